"""Early stopping of the learned front-ends (``fit(X, y)`` with ``max_epochs > 0``).

The hold-out is the end-to-end classifiers' (``sklearn_wavefront._holdout.holdout_indices``): whole
groups, stratified when both sides can hold every class, seeded from ``random_state``. Training
stops after ``patience`` epochs without a lower validation loss and keeps the best epoch's filters.
"""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
import torch
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_wavefront._holdout import holdout_indices
from sklearn_wavefront.datasets import make_harmonic_tones
from sklearn_wavefront.frontends import (
    CombFrontend,
    GammatoneFrontend,
    IConNetFrontend,
    MelFrontend,
    MFCCFrontend,
    SincFrontend,
    _BaseFrontend,
)
from sklearn_wavefront.recipes import Settings, groups_fit_parameter, make_estimator

SR = 4000
LEARN = dict(sample_rate=SR, n_filters=4, batch_size=8, learning_rate=0.05, random_state=0)
FRONTENDS = {
    "comb": (CombFrontend, dict(fmin=100.0, fmax=800.0)),
    "iconnet": (IConNetFrontend, dict(kernel_size=31, stride=40)),
    "sinc": (SincFrontend, dict(kernel_size=31, stride=40)),
    "gammatone": (GammatoneFrontend, dict(kernel_size=64)),
}


@pytest.fixture(scope="module")
def tones():
    X, y = make_harmonic_tones(n_samples=40, n_classes=2, duration=0.1, sample_rate=SR, n_harmonics=3,
                               random_state=0, return_X_y=True)
    return X, y


def _front(name, **kw):
    cls, own = FRONTENDS[name]
    return cls(**{**LEARN, **own, **kw})


def _state(front):
    return {k: v.clone() for k, v in front.filterbank_.state_dict().items()}


# -- (a) the best epoch's weights are the ones kept ---------------------------------------------------
@pytest.mark.parametrize(
    "name, head, weighted",
    [("comb", "linear", False), ("iconnet", "linear", True), ("sinc", "linear", False),
     ("gammatone", "linear", False), ("iconnet", "temporal", False)],
)
def test_early_stopping_keeps_the_best_epoch(tones, monkeypatch, name, head, weighted):
    X, y = tones
    w = np.random.default_rng(1).integers(1, 4, len(y)).astype(float) if weighted else None
    seen = {}
    original = _BaseFrontend._train

    def spy(self, fb, params, head_, logits_of, X_, y_codes, w_all, gen, device, frozen=(), held_out=None):
        out = original(self, fb, params, head_, logits_of, X_, y_codes, w_all, gen, device, frozen, held_out)
        with torch.no_grad():  # the returned model (filters and head) on the held-out rows, at once
            seen["held_out_rows"] = held_out[0]
            seen["logits"] = logits_of(torch.as_tensor(held_out[0], dtype=torch.float32))
        return out

    monkeypatch.setattr(_BaseFrontend, "_train", spy)
    common = dict(learning_head=head, early_stopping=True, validation_fraction=0.25)
    stopped = _front(name, max_epochs=30, patience=2, **common).fit(X, y, sample_weight=w)
    curve = stopped.validation_loss_curve_
    assert stopped.n_iter_ == len(stopped.loss_curve_) == len(curve) < 30  # it stopped early...
    assert stopped.best_epoch_ == int(np.argmin(curve)) + 1
    assert stopped.n_iter_ == stopped.best_epoch_ + 2  # ...after `patience` epochs without improvement
    assert min(curve[stopped.best_epoch_:]) >= curve[stopped.best_epoch_ - 1]

    # the restored model's validation loss, recomputed here: min(validation_loss_curve_)
    valid = stopped.validation_indices_
    np.testing.assert_array_equal(seen["held_out_rows"], X[valid])
    codes = torch.as_tensor(np.searchsorted(stopped.classes_, y[valid]))
    losses = torch.nn.functional.cross_entropy(seen["logits"], codes, reduction="none").double().numpy()
    weights = np.ones(len(valid)) if w is None else w[valid]
    recomputed = float((weights * losses).sum() / weights.sum())
    assert recomputed == pytest.approx(min(curve), rel=1e-5, abs=1e-7)

    # a run of exactly best_epoch_ epochs on the same split that nothing stops: the same filters
    plain = _front(name, max_epochs=stopped.best_epoch_, patience=1000, **common).fit(X, y, sample_weight=w)
    assert plain.n_iter_ == plain.best_epoch_ == stopped.best_epoch_
    np.testing.assert_array_equal(plain.validation_indices_, valid)
    assert plain.loss_curve_ == stopped.loss_curve_[: stopped.best_epoch_]
    assert plain.validation_loss_curve_ == curve[: stopped.best_epoch_]
    a, b = _state(stopped), _state(plain)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    np.testing.assert_array_equal(stopped.transform(X), plain.transform(X))
    # and the last epoch run is not what was kept
    assert stopped.n_iter_ > stopped.best_epoch_


# -- (b) groups are never split; (c) stratified when possible ---------------------------------------
def test_holdout_never_splits_a_group():
    rng = np.random.default_rng(0)
    for trial in range(200):
        n = int(rng.integers(6, 80))
        groups = rng.integers(0, int(rng.integers(2, n)), n)
        if len(np.unique(groups)) < 2:
            continue
        y = rng.integers(0, int(rng.integers(1, 4)), n)
        fraction = float(rng.choice([0.1, 0.2, 0.3, 0.5]))
        n_groups = len(np.unique(groups))
        if n_groups - math.ceil(fraction * n_groups) < 1:
            continue
        train, valid = holdout_indices(n, fraction, y=y, groups=groups, random_state=trial)
        assert np.intersect1d(groups[train], groups[valid]).size == 0
        assert sorted(np.concatenate([train, valid]).tolist()) == list(range(n))
        assert len(np.unique(groups[valid])) == math.ceil(fraction * n_groups)


def test_front_end_holds_out_whole_groups(tones):
    X, y = tones
    groups = np.arange(len(y)) // 3  # 14 groups of up to 3 recordings
    front = _front("sinc", max_epochs=2, early_stopping=True, validation_fraction=0.3).fit(X, y, groups=groups)
    valid = front.validation_indices_
    train = np.setdiff1d(np.arange(len(y)), valid)
    assert np.intersect1d(groups[valid], groups[train]).size == 0
    assert len(np.unique(groups[valid])) == math.ceil(0.3 * 14)
    # the same seed, the same split; another seed, another split
    again = _front("sinc", max_epochs=2, early_stopping=True, validation_fraction=0.3).fit(X, y, groups=groups)
    np.testing.assert_array_equal(again.validation_indices_, valid)
    other = _front("sinc", max_epochs=2, early_stopping=True, validation_fraction=0.3, random_state=5)
    assert not np.array_equal(other.fit(X, y, groups=groups).validation_indices_, valid)


def test_holdout_is_stratified_when_both_sides_can_hold_every_class(tones):
    X, y = tones  # 2 classes x 20
    front = _front("iconnet", max_epochs=1, early_stopping=True, validation_fraction=0.25).fit(X, y)
    assert np.unique(y[front.validation_indices_], return_counts=True)[1].tolist() == [5, 5]
    y3 = np.repeat([0, 1, 2], [30, 20, 10])
    for seed in range(10):
        _, valid = holdout_indices(60, 0.1, y=y3, random_state=seed)
        assert np.bincount(y3[valid], minlength=3).tolist() == [3, 2, 1]
    # groups: stratified by each group's class, counted in groups (10 groups per class, 2 held out each)
    groups = np.arange(40) // 2
    yg = (groups >= 10).astype(int)
    for seed in range(10):
        _, valid = holdout_indices(40, 0.2, y=yg, groups=groups, random_state=seed)
        assert np.bincount(yg[valid]).tolist() == [4, 4]
    # 4 classes x 5, 2 held out: no room for every class on both sides -> a plain random split
    y4 = np.repeat([0, 1, 2, 3], 5)
    train, valid = holdout_indices(20, 0.1, y=y4, random_state=0)
    assert len(valid) == 2 and len(train) == 18


# -- (d) errors name the parameter --------------------------------------------------------------------
@pytest.mark.parametrize(
    "params, match",
    [({"validation_fraction": 1.5}, r"'validation_fraction' parameter of CombFrontend .*Got 1.5"),
     ({"validation_fraction": 0.0}, r"'validation_fraction' parameter of CombFrontend"),
     ({"patience": 0}, r"'patience' parameter of CombFrontend .*Got 0"),
     ({"early_stopping": "yes"}, r"'early_stopping' parameter of CombFrontend")],
)
def test_invalid_parameters_are_named(tones, params, match):
    X, y = tones
    with pytest.raises(InvalidParameterError, match=match):
        _front("comb", max_epochs=1, **params).fit(X, y)


def test_holdout_errors_name_the_parameter(tones):
    X, y = tones
    es = dict(max_epochs=1, early_stopping=True)
    with pytest.raises(ValueError, match="early_stopping with groups needs at least 2 distinct groups"):
        _front("sinc", **es).fit(X, y, groups=np.zeros(len(y)))
    with pytest.raises(ValueError, match=r"validation_fraction=0\.9 of the 4 training recordings.*none to train"):
        _front("sinc", validation_fraction=0.9, **es).fit(X[[0, 1, 2, 5]], y[[0, 1, 2, 5]])
    with pytest.raises(ValueError, match=r"validation_fraction=0\.6 of the 2 training groups"):
        _front("sinc", validation_fraction=0.6, **es).fit(X, y, groups=np.arange(len(y)) % 2)
    with pytest.raises(ValueError, match=r"groups must hold one entry per recording: got shape \(3,\)"):
        _front("sinc", **es).fit(X, y, groups=[0, 1, 2])
    front = _front("sinc", **es)
    valid = front.fit(X, y).validation_indices_
    w = np.ones(len(y))
    w[valid] = 0.0
    with pytest.raises(ValueError, match="every held-out recording has sample_weight 0"):
        front.fit(X, y, sample_weight=w)


# -- (e) without early stopping: nothing changes ------------------------------------------------------
@pytest.mark.parametrize("name", list(FRONTENDS))
def test_without_early_stopping_every_recording_trains_and_groups_are_unused(tones, name):
    X, y = tones
    front = _front(name, max_epochs=2).fit(X, y)
    assert front.n_iter_ == front.best_epoch_ == 2
    assert front.validation_loss_curve_ == [] and front.validation_indices_.size == 0
    with_groups = _front(name, max_epochs=2).fit(X, y, groups=np.arange(len(y)) // 4)
    assert with_groups.loss_curve_ == front.loss_curve_
    a, b = _state(front), _state(with_groups)
    assert all(torch.equal(a[k], b[k]) for k in a)
    # early_stopping without learning: nothing held out
    fixed = _front(name, early_stopping=True).fit(X, y)
    assert fixed.n_iter_ == fixed.best_epoch_ == 0 and fixed.validation_indices_.size == 0


def test_only_learnable_front_ends_take_the_parameters():
    defaults = {"early_stopping": False, "validation_fraction": 0.1, "patience": 5}
    for cls, _ in FRONTENDS.values():
        assert defaults.items() <= cls().get_params().items()
    for cls in (MelFrontend, MFCCFrontend):
        assert "early_stopping" not in cls().get_params()


def test_models_pickled_before_early_stopping_existed_load_with_the_defaults(tones):
    X, y = tones
    front = _front("comb", max_epochs=1).fit(X, y)
    state = front.__getstate__()
    for name in ("early_stopping", "validation_fraction", "patience"):
        del state[name]
    old = pickle.loads(pickle.dumps(front))
    old.__dict__.clear()
    old.__setstate__(state)
    assert (old.early_stopping, old.validation_fraction, old.patience) == (False, 0.1, 5)
    np.testing.assert_array_equal(old.transform(X), front.transform(X))
    old.fit(X, y)  # refits as a front-end without early stopping
    assert old.validation_indices_.size == 0


# -- (f) the groups reach the front-end in the learned recipe --------------------------------------
def test_groups_reach_the_front_end_of_the_learned_recipe(tones):
    X, y = tones  # 40 recordings of 400 samples -> 2 segments of 0.05 s each
    settings = dict(sample_rate=SR, n_filters=4, epochs=3, batch_size=8, random_state=0)
    assert groups_fit_parameter(make_estimator("comb", "learned", Settings(**settings, early_stopping=True))) == (
        "frontend__groups")
    assert groups_fit_parameter(make_estimator("mel", "temporal", Settings(**settings, early_stopping=True))) == (
        "ridge__groups")
    with pytest.raises(ValueError, match="takes no groups"):  # no early stopping: the front-end uses none
        groups_fit_parameter(make_estimator("comb", "learned", Settings(**settings)))

    est = make_estimator("comb", "learned", Settings(**settings, early_stopping=True, segment_seconds=0.05))
    assert est.estimator["frontend"].early_stopping is True
    key = groups_fit_parameter(est)
    assert key == "frontend__groups"
    speakers = np.arange(len(y)) // 4  # 10 speakers of 4 recordings
    est.fit(X, y, **{key: speakers})
    front = est.estimator_["frontend"]
    seg_speaker = np.repeat(speakers, 2)  # segments in recording order, 2 per recording
    valid = front.validation_indices_
    train = np.setdiff1d(np.arange(2 * len(y)), valid)
    assert front.n_iter_ >= 1 and valid.size > 0
    assert np.intersect1d(seg_speaker[valid], seg_speaker[train]).size == 0

    # without the user's groups, SegmentedClassifier passes the recording of each segment
    est = make_estimator("comb", "learned", Settings(**settings, early_stopping=True, segment_seconds=0.05)).fit(X, y)
    seg_recording = np.repeat(np.arange(len(y)), 2)
    valid = est.estimator_["frontend"].validation_indices_
    train = np.setdiff1d(np.arange(2 * len(y)), valid)
    assert valid.size > 0 and np.intersect1d(seg_recording[valid], seg_recording[train]).size == 0


def test_a_pipeline_routes_the_groups_to_its_front_end(tones):
    from sklearn.linear_model import LogisticRegression

    X, y = tones
    groups = np.arange(len(y)) // 5
    pipe = Pipeline([("frontend", _front("sinc", max_epochs=2, early_stopping=True)),
                     ("classifier", LogisticRegression())])
    pipe.fit(X, y, frontend__groups=groups)
    valid = pipe["frontend"].validation_indices_
    train = np.setdiff1d(np.arange(len(y)), valid)
    assert np.intersect1d(groups[valid], groups[train]).size == 0


def test_train_model_holds_out_the_users_groups_for_a_learned_front_end(tones):
    from sklearn_wavefront.training import train_model

    X, y = tones
    speakers = np.arange(len(y)) // 4
    m = train_model(list(X), y, SR, model="comb", kind="learned", groups=speakers, early_stopping=True, epochs=3,
                    n_filters=4, batch_size=8, segment_seconds=0.05, device="cpu")
    front = m.estimator.estimator_["frontend"]
    seg_speaker = np.repeat(speakers, 2)
    valid = front.validation_indices_
    train = np.setdiff1d(np.arange(2 * len(y)), valid)
    assert front.early_stopping and valid.size > 0
    assert np.intersect1d(seg_speaker[valid], seg_speaker[train]).size == 0
