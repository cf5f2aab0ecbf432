"""Model selection on a Dask cluster gives the results of the local run.

``joblib.parallel_backend("dask")`` sends the fits of ``GridSearchCV`` and ``cross_validate``
(``n_jobs=-1``) to the workers of a ``dask.distributed`` cluster; the local reference runs them
one after the other in this process (``n_jobs=None``). Here a ``LocalCluster`` of two
worker *processes*, so estimators, torch modules and callbacks really travel by pickle to
another interpreter and back. Each test compares every score, the chosen parameters, the
predictions and the recorded filter history with the same search run in this process.

Needs the ``distributed`` extra (``pip install 'sklearn-wavefront[distributed]'``, installed by
``make venv``); skipped only when dask is absent.
"""

import logging

import numpy as np
import pytest
import torch
from joblib import parallel_backend
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold, StratifiedKFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_wavefront import CombFrontend, CombNetClassifier, FilterbankHistory, IConNetFrontend
from sklearn_wavefront.datasets import make_harmonic_tones

pytest.importorskip("dask", reason="the distributed extra is not installed (pip install '.[distributed]')")
distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")

SR = 8000


def _one_thread():
    """Workers compute with one torch thread, like this test process (tests/conftest.py).

    Importing the package here, before any test, also keeps a slow first import in one worker
    from leaving all the first fits to the other.
    """
    import sklearn_wavefront.classifiers  # noqa: F401
    import sklearn_wavefront.frontends  # noqa: F401

    torch.set_num_threads(1)
    return torch.get_num_threads()


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    )
    with cluster, distributed.Client(cluster) as c:
        assert c.run(_one_thread) == {w: 1 for w in c.scheduler_info()["workers"]}
        yield c


@pytest.fixture(scope="module")
def tones():
    b = make_harmonic_tones(n_samples=36, n_classes=3, sample_rate=SR, duration=0.2, noise=0.5, random_state=0)
    groups = np.arange(len(b.target)) % 6  # e.g. 6 speakers or devices: folds split by group
    return b.data, b.target, groups


def test_grid_search_over_front_end_pipeline_on_dask_equals_local(client, tones):
    X, y, groups = tones
    pipe = Pipeline([
        ("front", CombFrontend(sample_rate=SR, n_filters=4, fmin=100.0, fmax=1000.0, random_state=0)),
        ("scale", StandardScaler()),
        ("clf", LogisticRegression(max_iter=2000)),
    ])
    # fixed filters and learned ones (fit(X, y) trains the fundamentals in the worker)
    grid = {"front__max_epochs": [0, 1], "clf__C": [0.1, 10.0]}

    def search(n_jobs):
        return GridSearchCV(pipe, grid, cv=GroupKFold(n_splits=3), n_jobs=n_jobs, scoring="balanced_accuracy")

    local = search(None).fit(X, y, groups=groups)
    with distributed.get_task_stream(client) as stream, parallel_backend("dask"):
        remote = search(-1).fit(X, y, groups=groups)
    # the 12 fits (4 candidates x 3 folds) ran on the cluster, on both workers
    assert {task["worker"] for task in stream.data} == set(client.scheduler_info()["workers"])

    assert remote.cv_results_["params"] == local.cv_results_["params"]
    for k in range(3):
        np.testing.assert_array_equal(remote.cv_results_[f"split{k}_test_score"], local.cv_results_[f"split{k}_test_score"])
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(remote.predict(X), local.predict(X))
    np.testing.assert_allclose(remote.predict_proba(X), local.predict_proba(X), rtol=0, atol=1e-10)
    np.testing.assert_allclose(
        remote.best_estimator_["front"].f0_, local.best_estimator_["front"].f0_, rtol=0, atol=1e-6
    )


def test_cross_validate_learned_iconnet_front_end_on_dask_equals_local(client, tones):
    X, y, _ = tones
    pipe = Pipeline([
        ("front", IConNetFrontend(sample_rate=SR, n_filters=4, kernel_size=31, stride=80, max_epochs=2,
                                  random_state=0)),
        ("clf", LogisticRegression(max_iter=2000)),
    ])
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    local = cross_validate(pipe, X, y, cv=cv, return_estimator=True)
    with parallel_backend("dask"):
        remote = cross_validate(pipe, X, y, cv=cv, n_jobs=-1, return_estimator=True)
    np.testing.assert_array_equal(remote["test_score"], local["test_score"])
    for r, l in zip(remote["estimator"], local["estimator"]):
        # the learned bands came back from the worker with the estimator
        np.testing.assert_allclose(r["front"].bands_, l["front"].bands_, rtol=0, atol=1e-6)
        assert len(r["front"].loss_curve_) == 2


def test_cross_validate_classifier_on_dask_equals_local_and_history_returns(client, tones):
    X, y, _ = tones
    X = X.astype(np.float32)
    record = FilterbankHistory()
    clf = CombNetClassifier(sample_rate=SR, n_filters=4, module__fmin=100.0, module__fmax=1000.0, max_epochs=2,
                            batch_size=16, callbacks=[record], random_state=0)
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    local = cross_validate(clf, X, y, cv=cv, return_estimator=True, scoring="balanced_accuracy")
    with parallel_backend("dask"):
        remote = cross_validate(clf, X, y, cv=cv, n_jobs=-1, return_estimator=True, scoring="balanced_accuracy")

    np.testing.assert_array_equal(remote["test_score"], local["test_score"])
    for r, l in zip(remote["estimator"], local["estimator"]):
        np.testing.assert_allclose(r.predict_proba(X), l.predict_proba(X), rtol=0, atol=1e-5)
        # What the callback recorded lives in each returned (fitted) estimator: the per-epoch
        # f0 in its history, and the callback's own record in callbacks_ ...
        r_f0 = np.asarray(r.history[:, "center_frequencies"])
        assert r_f0.shape == (2, 4)
        np.testing.assert_allclose(r_f0, np.asarray(l.history[:, "center_frequencies"]), rtol=0, atol=1e-4)
        r_record = dict(r.callbacks_)["FilterbankHistory"]
        assert r_record.as_array().shape == (3, 4)  # before training + 2 epochs
    # ... never in the callback object given to the template: the search fits clones of it,
    # here as in a local run.
    assert not hasattr(record, "center_frequencies_")


def test_grid_search_over_classifier_on_dask_equals_local(client, tones):
    X, y, _ = tones
    X = X.astype(np.float32)
    clf = CombNetClassifier(sample_rate=SR, n_filters=4, module__fmin=100.0, module__fmax=1000.0, max_epochs=2,
                            batch_size=16, random_state=0)
    grid = {"n_filters": [3, 6], "lr": [0.003, 0.03]}
    cv = StratifiedKFold(n_splits=2, shuffle=True, random_state=0)
    local = GridSearchCV(clf, grid, cv=cv).fit(X, y)
    with parallel_backend("dask"):
        remote = GridSearchCV(clf, grid, cv=cv, n_jobs=-1).fit(X, y)
    assert remote.best_params_ == local.best_params_
    for k in range(2):
        np.testing.assert_array_equal(remote.cv_results_[f"split{k}_test_score"], local.cv_results_[f"split{k}_test_score"])
    np.testing.assert_array_equal(remote.predict(X), local.predict(X))


def test_routed_domains_reach_the_workers(client, tones):
    # double-balanced batches need each recording's domain: cross_validate splits it per fold
    # and the task carries scikit-learn's configuration (metadata routing on) to the worker
    import sklearn

    X, y, groups = tones
    X = X.astype(np.float32)
    domains = np.arange(len(y)) % 2
    cv = GroupKFold(n_splits=3)
    with sklearn.config_context(enable_metadata_routing=True):
        clf = CombNetClassifier(sample_rate=SR, n_filters=4, module__fmin=100.0, module__fmax=1000.0, max_epochs=1,
                                batch_size=12, balance="class_domain", random_state=0).set_fit_request(domains=True)
        params = {"domains": domains, "groups": groups}
        local = cross_validate(clf, X, y, cv=cv, params=params, return_estimator=True)
        with parallel_backend("dask"):
            remote = cross_validate(clf, X, y, cv=cv, params=params, n_jobs=-1, return_estimator=True)
    np.testing.assert_array_equal(remote["test_score"], local["test_score"])
    for (train, _), r in zip(cv.split(X, y, groups), remote["estimator"]):
        # every (class, domain) cell of the training fold, as the worker saw it
        cells = {(int(c), int(d)) for c, d in zip(y[train], domains[train])}
        assert {(int(c), int(d)) for c, d in r.balance_cells_} == cells


def test_recipe_search_on_dask_chooses_as_in_one_process(client, tones):
    """AutoWavefrontClassifier's candidate fits go through joblib: on the cluster they give the
    choices and inner scores of the same search run in this process."""
    from sklearn_wavefront.auto import AutoWavefrontClassifier

    X, y, groups = tones
    candidates = [{"model": "mel", "kind": "fixed", "n_filters": 8}, {"model": "gammatone", "kind": "fixed", "n_filters": 8},
                  {"model": "comb", "kind": "end-to-end", "n_filters": 4, "epochs": 3}]

    def search(n_jobs):
        return AutoWavefrontClassifier(sample_rate=SR, candidates=candidates, n_jobs=n_jobs, random_state=0)

    local = search(None).fit(X, y, groups=groups)
    with distributed.get_task_stream(client) as stream, parallel_backend("dask"):
        remote = search(-1).fit(X, y, groups=groups)
    assert {task["worker"] for task in stream.data} == set(client.scheduler_info()["workers"])
    assert remote.choice_ == local.choice_
    for key in ("params", "mean_test_score", "std_test_score"):
        np.testing.assert_array_equal(np.asarray(remote.cv_results_[key]),
                                      np.asarray(local.cv_results_[key]))
    np.testing.assert_allclose(remote.predict_proba(X), local.predict_proba(X), rtol=0, atol=1e-10)
