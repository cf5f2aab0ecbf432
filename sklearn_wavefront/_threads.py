"""Thread budgets of parallel work: each worker's torch, BLAS/OpenMP and numba threads, set explicitly.

A (row, fold) task of :func:`sklearn_wavefront.compare` runs torch, numpy's BLAS (scikit-learn) and
numba kernels, each with a thread pool of its own. When ``n_jobs`` tasks run at once, every pool
must be cut to its share of the cores, or the workers oversubscribe them: the front-ends' CPU paths
are many small operations, and an intra-op pool whose threads wait for a core makes every operation
wait (``benchmarks/busy_threads.py``: 2-35x slower on a busy machine).

joblib's process backend (loky) already starts its workers with ``OMP_NUM_THREADS`` (and the BLAS and
numba variables) set to ``cpu_count() // n_jobs`` **unless the variable is set in the parent**, in
which case the parent's value is copied to every worker: a parent that exports ``OMP_NUM_THREADS=2``
and ``MKL_NUM_THREADS=2`` for its own work (torch takes the smaller of the two) gives each of
``n_jobs=2`` workers two torch threads, four on two cores (``benchmarks/speed_goals.py``, goal 3:
1.6x slower than one each). Its thread backend limits nothing (every task sees the process's whole
pool).
:func:`budgeted` makes the budget explicit for every backend: the task function is wrapped so that
each call runs under :func:`thread_limits` (``torch.set_num_threads``, threadpoolctl's
``threadpool_limits`` and, when numba is imported, ``numba.set_num_threads``), and process workers
are also started with joblib's ``inner_max_num_threads`` (the environment variables read when a
library starts its pool).

The budget (:func:`thread_budget`) is ``max(1, min(torch threads of the caller, cpus // workers))``
(the first term only when the caller has imported torch),
``workers = min(effective n_jobs, n_tasks)``: never more than the caller allows itself (a session that
set ``torch.set_num_threads(1)`` keeps one), never more than the workers' share of the cores. Thread
counts change speed only: every kernel here computes each value the same way whatever the number of
threads, so budgeted and default runs give identical results (tested).
"""

from __future__ import annotations

import contextlib
import sys
import threading

__all__ = ["thread_budget", "thread_limits", "budgeted", "ThreadBudgetedTask"]

# Two kinds of pool size (threadpoolctl's controllers, split by library file):
# - per thread: every OpenMP runtime (omp_set_num_threads sets the nthreads-var of the calling thread
#   only; torch's libgomp and scikit-learn's vendored libgomp are two runtimes, and
#   torch.set_num_threads reaches only the first) and a BLAS on an OpenMP threading layer. Each task
#   sets and restores them in its own thread. (Limited once, in the first task's thread, they left the
#   other task threads at the runtime's default: the core count, or OMP_NUM_THREADS when set.)
# - process-wide: the other BLAS pools (OpenBLAS on pthreads, MKL, BLIS). Concurrent tasks share them:
#   the first to enter limits them, the last to leave restores them. Recent threadpoolctl (3.8 here)
#   lets only one "controlling" thread set a pthreads OpenBLAS, the first that does, and releases it
#   only at the end of a ``with threadpool_limits`` in that same thread; the other threads' calls
#   silently do nothing. Our first and last task may be different threads, so the control is released
#   around our own changes (under _LOCK), never left to a thread: otherwise the last task's restore was
#   ignored (the caller's BLAS stayed limited) and, after a block in the caller's thread, every later
#   task's limit was ignored.
_LOCK = threading.Lock()
_ACTIVE = {"count": 0, "limits": None}


def _cpu_count() -> int:
    import joblib

    return max(1, int(joblib.cpu_count()))


def thread_budget(n_jobs, n_tasks=None, n_cpus=None) -> int:
    """Threads each worker may use when ``n_jobs`` tasks (of ``n_tasks``) run at once.

    Parameters
    ----------
    n_jobs : int
        joblib's ``n_jobs`` (``-1``: one worker per core; ``None``: 1).
    n_tasks : int or None
        Number of tasks: fewer tasks than ``n_jobs`` leave workers idle, whose cores the others share.
    n_cpus : int or None
        Cores available (default: joblib's ``cpu_count()``, which honours CPU affinity and cgroup quotas).

    Returns
    -------
    int
        ``max(1, min(torch.get_num_threads(), n_cpus // workers))`` (without the first term when the
        caller has not imported torch).

    Examples
    --------
    >>> from sklearn_wavefront._threads import thread_budget
    >>> thread_budget(2, n_cpus=8) <= 4, thread_budget(16, n_cpus=8), thread_budget(-1, n_cpus=8)
    (True, 1, 1)
    """
    cpus = _cpu_count() if n_cpus is None else max(1, int(n_cpus))
    if n_jobs is None:
        workers = 1
    elif n_jobs < 0:
        workers = max(1, cpus + 1 + n_jobs)  # joblib's rule: -1 all cores, -2 all but one, ...
    else:
        workers = max(1, int(n_jobs))
    if n_tasks is not None:
        workers = max(1, min(workers, int(n_tasks)))
    # the caller's own torch threads cap the budget; a caller that has not imported torch has chosen
    # none (and importing it here would cost the parent of process workers a second for nothing)
    torch = sys.modules.get("torch")
    cap = torch.get_num_threads() if torch is not None else cpus
    return max(1, min(cap, cpus // workers))


@contextlib.contextmanager
def thread_limits(n_threads: int):
    """Run the block with torch's intra-op pool, the BLAS/OpenMP pools and numba's threads at ``n_threads``.

    The previous sizes are restored on exit: torch's, numba's and the OpenMP runtimes' for the calling
    thread (their sizes are per thread), the BLAS pools' when the last of several concurrent blocks in
    one process exits (their sizes are process-wide; concurrent blocks share the first one's limit).

    Only the thread pools of libraries already loaded on entry are limited (threadpoolctl finds them
    in the process's loaded libraries): an OpenMP runtime first loaded inside the block starts at its
    own default (the core count, or ``OMP_NUM_THREADS``). Process workers are started with the
    budget in those variables (:func:`budgeted`), so this matters for the thread backend only.
    """
    import torch

    n_threads = max(1, int(n_threads))
    # per thread, first (its previous values are this thread's, before any BLAS call could touch them)
    torch_previous = torch.get_num_threads()  # also torch's lazy per-thread init of its OpenMP size
    if torch_previous != n_threads:
        torch.set_num_threads(n_threads)
    numba_previous = None
    numba = sys.modules.get("numba")  # imported by our kernels or a baseline; never imported here
    if numba is not None:
        # (launches numba's threading layer, loading its OpenMP runtime: before the pools are listed)
        numba_previous = numba.get_num_threads()
        numba.set_num_threads(min(n_threads, numba.config.NUMBA_NUM_THREADS))
    per_thread, process_wide = _pools()
    own = per_thread.limit(limits=n_threads)
    with _LOCK:
        if _ACTIVE["count"] == 0:
            _release_blas_control()
            _ACTIVE["limits"] = process_wide.limit(limits=n_threads)
            _release_blas_control()
        _ACTIVE["count"] += 1
    try:
        yield n_threads
    finally:
        with _LOCK:
            _ACTIVE["count"] -= 1
            if _ACTIVE["count"] == 0:
                _release_blas_control()
                _ACTIVE["limits"].restore_original_limits()
                _ACTIVE["limits"] = None
                _release_blas_control()
        # after the process-wide restore: an OpenMP-threaded BLAS sets this thread's OpenMP size
        own.restore_original_limits()
        if numba_previous is not None:
            numba.set_num_threads(numba_previous)
        if torch.get_num_threads() != torch_previous:
            torch.set_num_threads(torch_previous)


def _pools():
    """threadpoolctl controllers of the loaded pools: ``(per_thread, process_wide)``."""
    from threadpoolctl import ThreadpoolController

    controller = ThreadpoolController()
    per_thread, process_wide = [], []
    for lib in controller.lib_controllers:
        openmp = lib.user_api == "openmp" or getattr(lib, "threading_layer", None) == "openmp"
        (per_thread if openmp else process_wide).append(lib.filepath)
    # select(filepath=[]) selects nothing: restore_original_limits then touches only these libraries
    return controller.select(filepath=per_thread), controller.select(filepath=process_wide)


def _release_blas_control():
    """Let any thread set the pthreads OpenBLAS pools (recent threadpoolctl gives them to one thread)."""
    import threadpoolctl

    openblas = getattr(threadpoolctl, "OpenBLASController", None)
    clear = getattr(openblas, "clear_controlling_thread", None)
    if clear is not None:
        clear(force=True)


class ThreadBudgetedTask:
    """``fn`` run under :func:`thread_limits` ``(n_threads)``; picklable (for joblib's processes) when ``fn`` is.

    Parameters
    ----------
    fn : callable
        A module-level function (process workers import it by name).
    n_threads : int
    """

    def __init__(self, fn, n_threads: int):
        self.fn = fn
        self.n_threads = int(n_threads)

    def __call__(self, *args, **kwargs):
        with thread_limits(self.n_threads):
            return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"ThreadBudgetedTask({getattr(self.fn, '__name__', self.fn)!r}, n_threads={self.n_threads})"


def budgeted(fn, n_jobs, n_tasks=None):
    """``(task, parallel_kwargs)``: ``fn`` wrapped to run under its thread budget, and the keyword
    arguments of the ``joblib.Parallel`` that runs it.

    ``parallel_kwargs`` is ``{"backend": <the active backend, copied, with inner_max_num_threads=budget>}``
    when that backend starts processes that read it (loky, joblib's default; multiprocessing), so the
    workers also start with their pools at the budget; otherwise ``{}`` (thread and sequential
    backends: the wrapper alone sets the budget, in each task).

    Examples
    --------
    >>> from joblib import Parallel, delayed
    >>> import torch
    >>> from sklearn_wavefront._threads import budgeted
    >>> task, parallel_kwargs = budgeted(torch.get_num_threads, n_jobs=1)
    >>> Parallel(n_jobs=1, **parallel_kwargs)(delayed(task)() for _ in range(2)) == [task.n_threads] * 2
    True
    """
    import copy

    from joblib.parallel import get_active_backend

    budget = thread_budget(n_jobs, n_tasks)
    backend, _ = get_active_backend()
    kwargs = {}
    if getattr(backend, "supports_inner_max_num_threads", False) and n_jobs != 1:
        backend = copy.copy(backend)  # the active one may be the caller's parallel_config's own
        backend.inner_max_num_threads = budget
        kwargs["backend"] = backend
    return ThreadBudgetedTask(fn, budget), kwargs
