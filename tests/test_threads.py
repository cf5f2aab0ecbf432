"""Thread budgets of parallel work (sklearn_wavefront._threads): the budget, its limits, and that
budgeted runs give exactly the results of default-threaded ones."""

import os
import threading

import numpy as np
import pytest
import torch
from joblib import Parallel, delayed, parallel_config

from sklearn_wavefront import comparison as cmp
from sklearn_wavefront._threads import ThreadBudgetedTask, budgeted, thread_budget, thread_limits
from sklearn_wavefront.datasets import make_harmonic_tones
from sklearn_wavefront.recipes import Settings


def test_thread_budget_is_the_workers_share_of_the_cores_capped_by_the_caller(monkeypatch):
    monkeypatch.setattr(torch, "get_num_threads", lambda: 8)
    assert thread_budget(1, n_cpus=8) == 8
    assert thread_budget(2, n_cpus=8) == 4
    assert thread_budget(3, n_cpus=8) == 2
    assert thread_budget(16, n_cpus=8) == 1  # more workers than cores: one thread each, never 0
    assert thread_budget(-1, n_cpus=8) == 1 and thread_budget(-2, n_cpus=8) == 1 and thread_budget(-5, n_cpus=8) == 2
    assert thread_budget(4, n_tasks=2, n_cpus=8) == 4  # two tasks leave two workers idle
    assert thread_budget(None, n_cpus=8) == 8
    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    assert thread_budget(1, n_cpus=8) == 1  # a caller that chose one thread keeps one


def test_thread_limits_set_and_restore_torch_and_blas_threads():
    from threadpoolctl import threadpool_info

    before = torch.get_num_threads()
    blas_before = {d["filepath"]: d["num_threads"] for d in threadpool_info()}
    with thread_limits(1):
        assert torch.get_num_threads() == 1
        assert all(d["num_threads"] == 1 for d in threadpool_info())
    assert torch.get_num_threads() == before
    assert {d["filepath"]: d["num_threads"] for d in threadpool_info()} == blas_before


def _probe(_):
    import torch as t
    from threadpoolctl import threadpool_info

    return t.get_num_threads(), max(d["num_threads"] for d in threadpool_info())


def test_thread_backend_tasks_each_run_at_the_budget_and_the_caller_is_restored():
    """Every pool of every task's thread: OpenMP sizes are per thread (torch's libgomp and
    scikit-learn's vendored one are two runtimes), BLAS sizes process-wide."""
    from threadpoolctl import threadpool_info

    before = torch.get_num_threads()
    pools_before = {d["filepath"]: d["num_threads"] for d in threadpool_info()}
    barrier = threading.Barrier(2, timeout=30)

    def probe_together(i):  # both tasks inside their limits at once
        barrier.wait()
        return _probe(i)

    with parallel_config(backend="threading"):
        task, kwargs = budgeted(probe_together, n_jobs=2, n_tasks=2)
        assert kwargs == {}  # threads: the wrapper alone sets the budget
        out = Parallel(n_jobs=2, **kwargs)(delayed(task)(i) for i in range(2))
    assert out == [(task.n_threads, task.n_threads)] * 2
    assert torch.get_num_threads() == before
    after = {d["filepath"]: d["num_threads"] for d in threadpool_info()}
    assert {path: after[path] for path in pools_before} == pools_before  # (numba may load a runtime)


def test_thread_limits_apply_and_restore_in_any_thread_after_a_block_in_another():
    """Recent threadpoolctl (3.8 here) lets one thread set a pthreads OpenBLAS; a block must not keep
    that right."""
    from threadpoolctl import threadpool_info

    def pools():
        return {d["filepath"]: d["num_threads"] for d in threadpool_info()}

    with thread_limits(1):
        pass
    before = pools()
    seen = {}

    def worker():
        torch.get_num_threads()  # torch's own first-use init of this thread's OpenMP size (to its setting)
        seen["before"] = pools()
        with thread_limits(1):
            seen["in"] = pools()
        seen["after"] = pools()

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert set(seen["in"].values()) == {1}
    assert {path: seen["after"][path] for path in seen["before"]} == seen["before"]
    after = pools()
    assert {path: after[path] for path in before} == before


@pytest.mark.slow  # starts loky workers
def test_process_workers_run_at_the_budget_even_with_the_parents_thread_variables(monkeypatch):
    """loky copies a parent's OMP_NUM_THREADS and MKL_NUM_THREADS to every worker; the budget overrides them."""
    monkeypatch.setenv("OMP_NUM_THREADS", "8")
    monkeypatch.setenv("MKL_NUM_THREADS", "8")
    task, kwargs = budgeted(_probe, n_jobs=2, n_tasks=4)
    assert isinstance(task, ThreadBudgetedTask) and kwargs["backend"].inner_max_num_threads == task.n_threads
    out = Parallel(n_jobs=2, **kwargs)(delayed(task)(i) for i in range(4))
    assert out == [(task.n_threads, task.n_threads)] * 4
    assert os.environ["OMP_NUM_THREADS"] == "8" and os.environ["MKL_NUM_THREADS"] == "8"


def _strip(results):
    return [{k: v for k, v in r.items() if k not in ("fit_seconds", "estimator", "history")} for r in results]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["threading", "loky"])
def test_budgeted_run_rows_equals_default_threads(backend):
    """run_rows (each task under its thread budget: one thread per worker here) gives exactly the
    results of the same tasks run with every pool at the machine's default size (one thread per
    core, at least two, whatever OMP_NUM_THREADS the test session set)."""
    data = make_harmonic_tones(n_samples=24, n_classes=2, sample_rate=4000, duration=0.3, random_state=0)
    X, y = data.data.astype(np.float32), data.target
    settings = Settings(sample_rate=4000, n_filters=4, epochs=1, batch_size=8, device="cpu", random_state=0)
    rows = [("comb", "learned"), ("iconnet", "end-to-end"), ("gammatone", "fixed"), ("mel", "fixed")]
    idx = np.arange(len(y))
    splits = [(idx[idx % 2 == 0], idx[idx % 2 == 1]), (idx[idx % 2 == 1], idx[idx % 2 == 0])]
    classes = np.unique(y)
    default_threads = ThreadBudgetedTask(cmp._fit_one, max(2, os.cpu_count() or 1))
    with parallel_config(backend=backend):
        budgeted_results = cmp.run_rows(rows, splits, settings, X, y, n_jobs=2)
        default = Parallel(n_jobs=2)(
            delayed(default_threads)(m, k, f, settings, X, y, None, tr, te, classes, False)
            for m, k in rows for f, (tr, te) in enumerate(splits)
        )
    assert _strip(budgeted_results) == _strip(default)
