"""DoubleBalancedResampler: equal (class, domain) cells, as an imbalanced-learn sampler."""

from collections import Counter

import numpy as np
import pytest
import sklearn
from imblearn.pipeline import Pipeline
from sklearn.base import clone
from sklearn.dummy import DummyClassifier

from sklearn_wavefront.resampling import DoubleBalancedResampler


def _data():
    # cells (class, domain): (a, x) 7, (a, y) 3, (b, x) 2, (b, y) 5; domain "z" only for class b: 1
    y = np.array(["a"] * 10 + ["b"] * 8)
    d = np.array(["x"] * 7 + ["y"] * 3 + ["x"] * 2 + ["y"] * 5 + ["z"])
    y = np.append(y[:17], "b")
    X = np.arange(len(y), dtype=float)[:, None] * np.ones((1, 3))
    return X, y, d


EXPECTED = {("a", "x"): 7, ("a", "y"): 3, ("b", "x"): 2, ("b", "y"): 5, ("b", "z"): 1}


def _cells(y, d):
    return Counter(zip(y.tolist(), d.tolist()))


@pytest.mark.parametrize("strategy, target", [("over", 7), ("under", 1), (4, 4)])
def test_every_cell_gets_the_target_size(strategy, target):
    X, y, d = _data()
    res = DoubleBalancedResampler(strategy=strategy, random_state=0)
    X_res, y_res = res.fit_resample(X, y, domains=d)
    assert res.cells_ == sorted(EXPECTED)
    assert dict(zip(res.cells_, res.cell_counts_.tolist())) == EXPECTED
    assert res.target_count_ == target
    assert _cells(y_res, res.domains_resampled_) == {cell: target for cell in EXPECTED}
    idx = res.sample_indices_
    np.testing.assert_array_equal(X_res, X[idx])  # rows travel with their labels
    np.testing.assert_array_equal(y_res, y[idx])
    np.testing.assert_array_equal(res.domains_resampled_, d[idx])
    assert np.all(np.diff(idx) >= 0)  # original order kept
    # as even as possible: a cell of n samples repeats each t // n or t // n + 1 times, never fewer
    uses = np.bincount(idx, minlength=len(y))
    for (c, dom), n in EXPECTED.items():
        members = np.flatnonzero((y == c) & (d == dom))
        assert set(uses[members]) <= {target // n, target // n + 1}
        assert uses[members].sum() == target


def test_class_only_balancing_without_domains():
    X, y, _ = _data()
    res = DoubleBalancedResampler(strategy="under", random_state=1)
    X_res, y_res = res.fit_resample(X, y)
    assert res.cells_ == [("a", None), ("b", None)]
    assert res.cell_counts_.tolist() == [10, 8]
    assert Counter(y_res.tolist()) == {"a": 8, "b": 8}
    assert len(np.unique(res.sample_indices_)) == 16  # under-sampling draws without replacement
    assert res.domains_resampled_ is None


def test_recordings_of_different_lengths_stay_a_list():
    rng = np.random.default_rng(0)
    X = [rng.normal(size=n) for n in (5, 9, 3, 7, 4)]
    y = np.array([0, 0, 0, 1, 1])
    X_res, y_res = DoubleBalancedResampler(random_state=0).fit_resample(X, y)
    assert isinstance(X_res, list) and len(X_res) == 6
    assert Counter(y_res.tolist()) == {0: 3, 1: 3}
    assert [len(x) for x in X_res[:3]] == [5, 9, 3]  # class 0: 3 recordings, each once
    assert all(any(x is r for r in X) for x in X_res)  # the recordings themselves, not copies


def test_seeded_draws_are_reproducible():
    X, y, d = _data()
    a = DoubleBalancedResampler("under", random_state=3).fit(X, y, domains=d).sample_indices_
    b = DoubleBalancedResampler("under", random_state=3).fit(X, y, domains=d).sample_indices_
    np.testing.assert_array_equal(a, b)
    draws = {tuple(DoubleBalancedResampler("under", random_state=s).fit(X, y, domains=d).sample_indices_)
             for s in range(10)}
    assert len(draws) > 1


def test_in_imblearn_pipeline_with_routed_domains():
    X, y, d = _data()
    with sklearn.config_context(enable_metadata_routing=True):
        sampler = DoubleBalancedResampler(strategy="over", random_state=0).set_fit_resample_request(domains=True)
        pipe = Pipeline([("balance", sampler), ("clf", DummyClassifier(strategy="prior"))])
        pipe.fit(X, y, domains=d)
    fitted = pipe.named_steps["balance"]
    assert dict(zip(fitted.cells_, fitted.cell_counts_.tolist())) == EXPECTED
    # the classifier saw 2 cells of class a and 3 of class b, 7 samples each
    np.testing.assert_allclose(pipe.named_steps["clf"].class_prior_, [14 / 35, 21 / 35])
    assert pipe.predict(X).shape == (len(y),)  # predict never resamples
    # without domains the pipeline balances the classes
    pipe = Pipeline([("balance", DoubleBalancedResampler()), ("clf", DummyClassifier(strategy="prior"))]).fit(X, y)
    np.testing.assert_allclose(pipe.named_steps["clf"].class_prior_, [0.5, 0.5])


def test_clone_and_params():
    res = DoubleBalancedResampler(strategy=5, random_state=2)
    assert clone(res).get_params() == {"strategy": 5, "random_state": 2}


@pytest.mark.parametrize(
    "kwargs, fit_kw, match",
    [
        ({"strategy": "both"}, {}, r"'strategy' parameter of DoubleBalancedResampler .*Got 'both' instead"),
        ({"strategy": 0}, {}, r"'strategy' parameter of DoubleBalancedResampler .*Got 0 instead"),
        ({}, {"domains": np.zeros(3)}, "one domain per sample"),
    ],
)
def test_bad_input(kwargs, fit_kw, match):
    X, y, _ = _data()
    with pytest.raises(ValueError, match=match):
        DoubleBalancedResampler(**kwargs).fit_resample(X, y, **fit_kw)


def test_x_and_y_lengths_must_match():
    X, y, _ = _data()
    with pytest.raises(ValueError, match="X has 17 samples but y has 18"):
        DoubleBalancedResampler().fit_resample(X[:-1], y)
