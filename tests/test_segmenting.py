"""Tests of segment cutting and recording-level decisions."""

from collections import Counter

import numpy as np
import pytest
import sklearn
import torch
from skorch import NeuralNetClassifier
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from sklearn_wavefront.sampling import DoubleBalancedMixin
from sklearn_wavefront.segmenting import SegmentedClassifier, segment_signals



@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tiny nets train fastest on one thread (OpenMP spinning stalls on shared cores); restored after."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)

# --------------------------------------------------------------------------- segment_signals
def test_segments_hand_computed():
    x = np.arange(10.0)
    segs, rec = segment_signals([x], 4, 2)
    # starts 0, 2, 4, 6 (6 + 4 = 10 reaches the end: no extra segment)
    assert segs.tolist() == [[0, 1, 2, 3], [2, 3, 4, 5], [4, 5, 6, 7], [6, 7, 8, 9]]
    assert rec.tolist() == [0, 0, 0, 0]
    segs, _ = segment_signals([x], 4)  # hop = 4: starts 0, 4, then end-aligned 6
    assert segs.tolist() == [[0, 1, 2, 3], [4, 5, 6, 7], [6, 7, 8, 9]]
    segs, _ = segment_signals([np.arange(8.0)], 4)  # exact fit: no extra
    assert segs.tolist() == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_short_recording_padded_not_dropped():
    X = [np.array([1.0, 2.0]), np.arange(4.0), np.array([5.0])]
    segs, rec = segment_signals(X, 4)
    assert rec.tolist() == [0, 1, 2]
    assert segs.tolist() == [[1, 2, 0, 0], [0, 1, 2, 3], [5, 0, 0, 0]]
    segs, _ = segment_signals(X, 4, pad="wrap")
    assert segs.tolist() == [[1, 2, 1, 2], [0, 1, 2, 3], [5, 5, 5, 5]]


@pytest.mark.parametrize("n", [1, 5, 9, 10, 11, 37])
def test_every_sample_covered(n):
    x = np.arange(1.0, n + 1)
    segs, _ = segment_signals([x], 10, 3)
    covered = set(segs.ravel().tolist()) - {0.0}
    assert covered == set(x.tolist())


def test_segment_signals_accepts_2d_array_and_ints():
    segs, rec = segment_signals(np.arange(12).reshape(2, 6), 3)
    assert segs.dtype == np.float64 and segs.shape == (4, 3) and rec.tolist() == [0, 0, 1, 1]


@pytest.mark.parametrize(
    "X, kwargs, match",
    [
        # scikit-learn's InvalidParameterError: "The 'segment_length' parameter of segment_signals must be ..."
        ([np.ones(4)], {"segment_length": 0}, r"'segment_length' parameter of segment_signals .*Got 0 instead"),
        ([np.ones(4)], {"segment_length": 2, "hop_length": 1.5}, r"'hop_length' parameter of segment_signals .*Got 1.5"),
        ([np.ones(4)], {"segment_length": 2, "pad": "reflect"}, r"'pad' parameter of segment_signals .*Got 'reflect'"),
        ([np.ones((2, 2))], {"segment_length": 2}, "recording 0 of X must be 1-D"),
        ([np.ones(3), np.ones(0)], {"segment_length": 2}, "recording 1 of X is empty"),
        ([np.array([1.0, np.nan])], {"segment_length": 2}, "NaN"),
        ([], {"segment_length": 2}, "no recordings"),
    ],
)
def test_segment_signals_errors(X, kwargs, match):
    with pytest.raises(ValueError, match=match):
        segment_signals(X, **kwargs)


# --------------------------------------------------------------------------- stub classifiers
class ProbaStub(ClassifierMixin, BaseEstimator):
    """Segment probabilities = first 3 samples of the segment (normalised); records its fit data."""

    def fit(self, X, y, domains=None):
        self.classes_ = np.unique(y)
        self.fit_X_, self.fit_y_, self.fit_domains_ = X, np.asarray(y), domains
        return self

    def predict_proba(self, X):
        p = np.asarray(X)[:, : len(self.classes_)]
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class VoteStub(ClassifierMixin, BaseEstimator):
    """No predict_proba: the segment's label is classes_[int(first sample)]."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return self.classes_[np.asarray(X)[:, 0].astype(int)]


def _rec(*segments):
    return np.concatenate([np.asarray(s, dtype=float) for s in segments])


def test_fit_inherits_labels_and_domains():
    X = [np.ones(7), np.ones(3), np.ones(9)]  # segment 3: 3, 1, 3 segments (7 -> 0, 3, end 4)
    y = np.array(["a", "b", "c"])
    d = np.array([10, 20, 30])
    seg = SegmentedClassifier(ProbaStub(), segment_seconds=3, sample_rate=1).fit(X, y, domains=d)
    assert seg.n_segments_ == 7
    assert seg.estimator_.fit_y_.tolist() == ["a"] * 3 + ["b"] + ["c"] * 3
    assert seg.estimator_.fit_domains_.tolist() == [10] * 3 + [20] + [30] * 3
    assert seg.classes_.tolist() == ["a", "b", "c"]


def test_mean_proba_hand_computed():
    X = [_rec([0.6, 0.4, 0.0], [0.2, 0.2, 0.6]), _rec([0.1, 0.8, 0.1])]
    seg = SegmentedClassifier(ProbaStub(), segment_seconds=3, sample_rate=1).fit(X * 2, [0, 1, 2, 0])
    proba = seg.predict_proba(X)
    np.testing.assert_allclose(proba, [[0.4, 0.3, 0.3], [0.1, 0.8, 0.1]])
    assert seg.predict(X).tolist() == [0, 1]


def test_majority_and_tie_rule():
    X = [
        _rec([0.6, 0.4, 0.0], [0.7, 0.3, 0.0], [0.0, 0.1, 0.9]),  # votes 0, 0, 2 -> 0
        _rec([0.6, 0.4, 0.0], [0.1, 0.5, 0.4]),  # votes 0, 1 tie; mean proba 0.35 vs 0.45 -> 1
        _rec([0.4, 0.6, 0.0], [0.6, 0.4, 0.0]),  # votes 1, 0 tie; mean proba 0.5 = 0.5 -> first class 0
    ]
    seg = SegmentedClassifier(ProbaStub(), segment_seconds=3, sample_rate=1, aggregate="majority")
    seg.fit(X, [0, 1, 2])
    np.testing.assert_allclose(seg.predict_proba(X), [[2 / 3, 0, 1 / 3], [0.5, 0.5, 0], [0.5, 0.5, 0]])
    assert seg.predict(X).tolist() == [0, 1, 0]
    # mean_proba mode, exact tie of the means -> first class
    seg_mean = SegmentedClassifier(ProbaStub(), segment_seconds=3, sample_rate=1).fit(X, [0, 1, 2])
    assert seg_mean.predict(X[2:]).tolist() == [0]


def test_majority_without_predict_proba_ties_to_first_class():
    X = [_rec([2, 0], [1, 0]), _rec([1, 0], [1, 0], [2, 0])]
    seg = SegmentedClassifier(VoteStub(), segment_seconds=2, sample_rate=1, aggregate="majority")
    seg.fit([np.zeros(2)] * 3, ["x", "y", "z"])
    assert seg.predict(X).tolist() == ["y", "y"]  # votes z/y tie -> y (index 1 < 2); y, y, z -> y
    with pytest.raises(ValueError, match="aggregate='mean_proba' needs an estimator with predict_proba"):
        SegmentedClassifier(VoteStub(), segment_seconds=2, sample_rate=1).fit(X, ["x", "y"])


def test_short_recordings_predicted():
    rng = np.random.default_rng(0)
    X = [rng.random(n) + 0.01 for n in (1, 2, 50, 3)]
    seg = SegmentedClassifier(ProbaStub(), segment_seconds=10, sample_rate=1).fit(X, [0, 1, 0, 1])
    assert seg.predict_proba(X).shape == (4, 2)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"segment_seconds": 0}, r"'segment_seconds' parameter of SegmentedClassifier .*Got 0 instead"),
        ({"segment_seconds": 0.0001}, r"segment_seconds=0.0001 at sample_rate=1 gives a segment of 0 samples"),
        ({"hop_seconds": -1.0}, r"'hop_seconds' parameter of SegmentedClassifier .*Got -1.0 instead"),
        ({"aggregate": "median"}, r"'aggregate' parameter of SegmentedClassifier .*Got 'median' instead"),
        ({"pad": "edge"}, r"'pad' parameter of SegmentedClassifier .*Got 'edge' instead"),
        ({"estimator": "logreg"}, r"'estimator' parameter of SegmentedClassifier .*Got 'logreg' instead"),
    ],
)
def test_parameter_errors(params, match):
    kw = dict(estimator=ProbaStub(), segment_seconds=2, sample_rate=1)
    kw.update(params)
    with pytest.raises(ValueError, match=match):
        SegmentedClassifier(**kw).fit([np.ones(4), np.ones(4)], [0, 1])


def test_y_length_error():
    with pytest.raises(ValueError, match="one label per recording"):
        SegmentedClassifier(ProbaStub(), segment_seconds=2, sample_rate=1).fit([np.ones(4)] * 3, [0, 1])


# --------------------------------------------------------------------------- real classifiers
def _stats(segments):
    """log energy and zero-crossing rate of each segment."""
    s = np.asarray(segments, dtype=float)
    energy = np.log(np.mean(s**2, axis=1) + 1e-8)
    zcr = np.mean(np.abs(np.diff(np.signbit(s), axis=1)), axis=1)
    return np.c_[energy, zcr]


def _recordings(n=48, seed=0, fs=1000):
    """Class 0: 50 Hz tones, class 1: 300 Hz tones; lengths 0.05 to 1.5 s; 2 domains; 12 subjects."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    domains = np.where(np.arange(n) % 3 == 0, "phone", "steth")
    groups = np.arange(n) // 4
    X = []
    for label in y:
        t = np.arange(int(rng.integers(50, 1500))) / fs
        f = 50.0 if label == 0 else 300.0
        X.append(np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)) + 0.3 * rng.normal(size=t.size))
    return X, y, domains, groups


def test_logistic_regression_pipeline_in_grouped_cv():
    X, y, _, groups = _recordings()
    seg = SegmentedClassifier(
        Pipeline([("stats", FunctionTransformer(_stats)), ("scale", StandardScaler()), ("lr", LogisticRegression())]),
        segment_seconds=0.2, hop_seconds=0.1, sample_rate=1000,
    )
    res = cross_validate(seg, X, y, groups=groups, cv=StratifiedGroupKFold(4), return_indices=True)
    assert np.all(res["test_score"] >= 0.9)
    for train, test in zip(res["indices"]["train"], res["indices"]["test"]):
        assert set(groups[train]).isdisjoint(groups[test])


def test_grid_search_inner_param():
    X, y, _, _ = _recordings(n=24)
    seg = SegmentedClassifier(Pipeline([("stats", FunctionTransformer(_stats)), ("lr", LogisticRegression())]),
                              segment_seconds=0.2, sample_rate=1000, aggregate="majority")
    search = GridSearchCV(seg, {"estimator__lr__C": [0.1, 10.0], "segment_seconds": [0.1, 0.2]}, cv=3).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_score_ >= 0.9


class Linear8(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(8, 2)

    def forward(self, X):
        return self.lin(X)


class BalancedNet(DoubleBalancedMixin, NeuralNetClassifier):
    pass


def _features8(segments):
    s = np.asarray(segments, dtype=np.float64)
    spec = np.abs(np.fft.rfft(s, axis=1)) ** 2
    bands = np.array_split(spec, 8, axis=1)
    return np.log(np.stack([b.mean(axis=1) for b in bands], axis=1) + 1e-8).astype(np.float32)


def _skorch_segmented():
    net = BalancedNet(Linear8, criterion=torch.nn.CrossEntropyLoss, max_epochs=3, batch_size=8, lr=0.05,
                      train_split=None, verbose=0, balance="class_domain")
    pipe = Pipeline([("feat", FunctionTransformer(_features8)), ("net", net)])
    return SegmentedClassifier(pipe, segment_seconds=0.25, sample_rate=1000), net


def test_skorch_net_with_domains_under_routing():
    X, y, domains, groups = _recordings()
    seg, net = _skorch_segmented()
    with sklearn.config_context(enable_metadata_routing=True):
        net.set_fit_request(domains=True)
        res = cross_validate(seg, X, y, params={"domains": domains, "groups": groups}, cv=StratifiedGroupKFold(4),
                             return_estimator=True, return_indices=True)
    n_segs = np.array([len(segment_signals([x], 250)[1]) for x in X])
    for est, train in zip(res["estimator"], res["indices"]["train"]):
        expected = Counter()
        for i in train:
            expected[(int(y[i]), str(domains[i]))] += int(n_segs[i])
        fitted = est.estimator_.named_steps["net"]
        assert fitted.balance_cells_ == sorted(expected)
        assert fitted.balance_cell_counts_.tolist() == [expected[c] for c in sorted(expected)]
    assert np.mean(res["test_score"]) >= 0.8


def test_skorch_net_domains_without_routing():
    X, y, domains, _ = _recordings(n=24)
    seg, _ = _skorch_segmented()
    seg.fit(X, y, net__domains=domains)  # plain Pipeline convention: step__param
    n_segs = np.array([len(segment_signals([x], 250)[1]) for x in X])
    assert seg.estimator_.named_steps["net"].balance_cell_counts_.sum() == n_segs.sum()
    assert seg.predict(X).shape == (24,)


def test_routing_stub_requests_domains():
    X = [np.ones(6), np.ones(3)]
    with sklearn.config_context(enable_metadata_routing=True):
        stub = ProbaStub().set_fit_request(domains=True)
        seg = SegmentedClassifier(stub, segment_seconds=3, sample_rate=1).fit(X, [0, 1], domains=["p", "q"])
        assert seg.estimator_.fit_domains_.tolist() == ["p", "p", "q"]
        with pytest.raises(Exception, match="domains"):  # passed but not requested
            SegmentedClassifier(ProbaStub(), segment_seconds=3, sample_rate=1).fit(X, [0, 1], domains=["p", "q"])


# --------------------------------------------------------------------------- review regressions
def test_segment_signals_rejects_hop_longer_than_segment():
    """hop > segment would skip samples between segments (the docstring promises none is dropped)."""
    with pytest.raises(ValueError, match="hop_length=5"):
        segment_signals([np.arange(20.0)], 4, 5)
    with pytest.raises(ValueError, match="hop_seconds"):
        SegmentedClassifier(ProbaStub(), segment_seconds=3, hop_seconds=4, sample_rate=1).fit(
            [np.ones(10), np.ones(10)], [0, 1])


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8])
def test_segment_signals_integer_input_gives_float64(dtype):
    segs, _ = segment_signals([np.ones(6, dtype=dtype)], 3)
    assert segs.dtype == np.float64
    segs, _ = segment_signals([np.ones(2, dtype=dtype)], 3)  # padded path
    assert segs.dtype == np.float64


def test_segment_signals_float_dtypes_kept():
    assert segment_signals([np.ones(6, dtype=np.float32)], 3)[0].dtype == np.float32
    assert segment_signals([np.ones(6, dtype=np.float32), np.ones(6)], 3)[0].dtype == np.float64


class GroupStub(ProbaStub):
    def fit(self, X, y, groups=None):
        self.fit_groups_ = groups
        return super().fit(X, y)


def test_recording_index_passed_as_groups_to_inner_fit():
    X = [np.ones(7), np.ones(3), np.ones(9)]
    seg = SegmentedClassifier(GroupStub(), segment_seconds=3, sample_rate=1).fit(X, ["a", "b", "c"])
    assert seg.estimator_.fit_groups_.tolist() == [0, 0, 0, 1, 2, 2, 2]
    # an estimator without a groups parameter gets none
    seg = SegmentedClassifier(ProbaStub(), segment_seconds=3, sample_rate=1).fit(X, ["a", "b", "c"])
    assert seg.estimator_.fit_X_.shape == (7, 3)
    # user groups (subjects) win over the recording index
    seg = SegmentedClassifier(GroupStub(), segment_seconds=3, sample_rate=1).fit(X, ["a", "b", "c"],
                                                                                  groups=[5, 5, 6])
    assert seg.estimator_.fit_groups_.tolist() == [5, 5, 5, 5, 6, 6, 6]


def test_inner_early_stopping_splits_by_recording():
    from sklearn_wavefront.classifiers import WaveformClassifier

    splits = []

    class Probe(WaveformClassifier):
        def get_split_datasets(self, X, y=None, **kw):
            tr, va = super().get_split_datasets(X, y, **kw)
            splits.append((np.asarray(tr.indices), np.asarray(va.indices)))
            return tr, va

    rng = np.random.default_rng(0)
    y = np.array([0, 1] * 6)
    X = [rng.normal(size=4000).astype(np.float32) for _ in y]  # 10 segments of 400 each
    net = Probe(frontend="mel", sample_rate=8000, n_filters=4, max_epochs=1, random_state=0, early_stopping=True,
                validation_fraction=0.2, frontend_kwargs={"n_fft": 64, "hop_length": 32})
    for est, routing in [(net, False), (Pipeline([("id", FunctionTransformer()), ("net", net)]), False),
                         (net, True)]:
        splits.clear()
        with sklearn.config_context(enable_metadata_routing=routing):
            SegmentedClassifier(est, segment_seconds=0.05, sample_rate=8000).fit(X, y)
        _, rec = segment_signals(X, 400)
        tr, va = splits[-1]
        assert len(va) > 0 and len(tr) > 0
        assert set(rec[tr]).isdisjoint(rec[va])
