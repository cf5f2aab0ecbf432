"""SoftmaxRidgeClassifierCV's grouped penalty choice and its routing (segments, user groups)."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import RidgeClassifier, RidgeClassifierCV
from sklearn.model_selection import GroupKFold
from sklearn.preprocessing import LabelBinarizer

from sklearn_wavefront.baselines import SoftmaxRidgeClassifierCV

ALPHAS = np.logspace(-3, 3, 10)


def _data(n_groups=20, per_group=3, n_features=8, n_classes=3, seed=0):
    """Groups of near-identical samples (segments of one recording) with weak class signal."""
    rng = np.random.default_rng(seed)
    y_group = np.resize(np.arange(n_classes), n_groups)
    centres = rng.normal(size=(n_groups, n_features)) + 0.7 * y_group[:, None] * (np.arange(n_features) < 2)
    groups = np.repeat(np.arange(n_groups), per_group)
    X = centres[groups] + 0.05 * rng.normal(size=(len(groups), n_features))
    return X, y_group[groups], groups


def _brute_force(X, y, groups, alphas, sample_weight=None, ridge_on_all_classes=False):
    """Per GroupKFold fold and penalty, RidgeClassifier on the fold's training part (float64); the
    criterion of RidgeClassifierCV's leave-one-out: mean (weighted) squared error of the held-out
    decision values against the +-1-coded targets. ``ridge_on_all_classes``: sklearn's Ridge on the
    +-1 code of all classes instead (what RidgeClassifier fits, but keeping the columns of classes a
    fold's training part lacks)."""
    from sklearn.linear_model import Ridge

    X = np.asarray(X, dtype=np.float64)
    Y = LabelBinarizer(pos_label=1, neg_label=-1).fit_transform(y).astype(np.float64)
    sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    k = min(5, len(np.unique(groups)))
    sq = np.zeros((len(y), len(alphas)))
    for train, test in GroupKFold(n_splits=k).split(X, y, groups):
        for a, alpha in enumerate(alphas):
            if ridge_on_all_classes:
                d = Ridge(alpha=alpha, solver="svd").fit(X[train], Y[train], sample_weight=sw[train]).predict(X[test])
            else:
                clf = RidgeClassifier(alpha=alpha, solver="svd").fit(X[train], y[train], sample_weight=sw[train])
                d = clf.decision_function(X[test]).reshape(len(test), -1)
            sq[test, a] = sw[test] * ((d - Y[test]) ** 2).mean(axis=1)
    scores = -sq.mean(axis=0)
    best = int(np.argmax(scores))
    return alphas[best], scores[best]


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_without_groups_it_is_ridge_classifier_cv_exactly(n_classes, weighted):
    X, y, groups = _data(n_classes=n_classes)
    sw = np.random.default_rng(1).uniform(0.5, 2.0, size=len(y)) if weighted else None
    ref = RidgeClassifierCV(alphas=ALPHAS).fit(X, y, sample_weight=sw)
    for g in (None, np.arange(len(y))):  # all groups distinct: leave-one-out is already grouped
        ours = SoftmaxRidgeClassifierCV(alphas=ALPHAS).fit(X, y, sample_weight=sw, groups=g)
        assert ours.alpha_ == ref.alpha_ and ours.best_score_ == ref.best_score_
        np.testing.assert_array_equal(ours.coef_, ref.coef_)
        np.testing.assert_array_equal(ours.intercept_, ref.intercept_)
        np.testing.assert_array_equal(ours.decision_function(X), ref.decision_function(X))


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("n_features", [8, 90])  # more samples per fold than features, then fewer
@pytest.mark.parametrize("weighted", [False, True])
def test_grouped_choice_equals_brute_force(n_classes, n_features, weighted):
    X, y, groups = _data(n_groups=15, per_group=4, n_features=n_features, n_classes=n_classes, seed=n_features)
    sw = np.random.default_rng(2).uniform(0.5, 2.0, size=len(y)) if weighted else None
    ours = SoftmaxRidgeClassifierCV(alphas=ALPHAS).fit(X, y, sample_weight=sw, groups=groups)
    alpha, score = _brute_force(X, y, groups, ALPHAS, sw)
    assert ours.alpha_ == alpha
    assert ours.best_score_ == pytest.approx(score, rel=1e-8)
    # refitted on all samples with the chosen penalty
    final = RidgeClassifier(alpha=alpha, solver="svd").fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(ours.coef_, final.coef_, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(ours.intercept_, final.intercept_, rtol=1e-7, atol=1e-10)
    np.testing.assert_array_equal(ours.classes_, np.unique(y))
    np.testing.assert_allclose(ours.predict_proba(X).sum(axis=1), 1.0)


def test_fewer_groups_than_five_give_that_many_folds():
    X, y, groups = _data(n_groups=3, per_group=6, n_classes=3)
    ours = SoftmaxRidgeClassifierCV(alphas=ALPHAS).fit(X, y, groups=groups)
    # GroupKFold(3) over 3 groups of 3 classes: each fold's training part lacks the held-out class,
    # whose column is still scored (its training targets all -1)
    for train, _ in GroupKFold(3).split(X, y, groups):
        assert len(np.unique(y[train])) == 2
    alpha, score = _brute_force(X, y, groups, ALPHAS, ridge_on_all_classes=True)
    assert ours.alpha_ == alpha and ours.best_score_ == pytest.approx(score, rel=1e-8)
    # on folds with every class, the Ridge reference equals the RidgeClassifier one
    X, y, groups = _data(n_groups=15, per_group=2, n_classes=3)
    assert _brute_force(X, y, groups, ALPHAS, ridge_on_all_classes=True)[1] == pytest.approx(
        _brute_force(X, y, groups, ALPHAS)[1], rel=1e-10)


def test_leave_one_out_over_segments_picks_the_least_penalty_grouped_cv_does_not():
    """Labels carry no signal; each recording's segments are near copies. Leave-one-out predicts a
    held-out segment from its siblings, so the least penalty wins; over whole recordings it cannot."""
    rng = np.random.default_rng(0)
    n_rec, per_rec = 30, 4
    groups = np.repeat(np.arange(n_rec), per_rec)
    X = rng.normal(size=(n_rec, 40))[groups] + 1e-4 * rng.normal(size=(n_rec * per_rec, 40))
    y = rng.integers(0, 2, size=n_rec)[groups]
    loo = SoftmaxRidgeClassifierCV(alphas=ALPHAS).fit(X, y)
    grouped = SoftmaxRidgeClassifierCV(alphas=ALPHAS).fit(X, y, groups=groups)
    assert loo.alpha_ == ALPHAS.min()
    assert grouped.alpha_ >= 100 * ALPHAS.min()
    assert grouped.alpha_ == _brute_force(X, y, groups, ALPHAS)[0]


def test_group_errors_are_named():
    X, y, groups = _data()
    with pytest.raises(ValueError, match=r"groups must hold one group per sample: got shape \(59,\) for 60"):
        SoftmaxRidgeClassifierCV().fit(X, y, groups=groups[:-1])
    with pytest.raises(ValueError, match="groups has 1 distinct value.*at least 2"):
        SoftmaxRidgeClassifierCV().fit(X, y, groups=np.zeros(len(y)))


def test_scoring_scores_group_folds_and_store_cv_results_is_refused():
    X, y, groups = _data(n_groups=12, per_group=3)
    ours = SoftmaxRidgeClassifierCV(alphas=ALPHAS, scoring="accuracy").fit(X, y, groups=groups)
    ref = RidgeClassifierCV(alphas=ALPHAS, scoring="accuracy",
                            cv=list(GroupKFold(5).split(X, y, groups))).fit(X, y)
    assert ours.alpha_ == ref.alpha_ and ours.best_score_ == ref.best_score_
    assert ours.cv is None
    with pytest.raises(ValueError, match="store_cv_results=True keeps leave-one-out values"):
        SoftmaxRidgeClassifierCV(store_cv_results=True).fit(X, y, groups=groups)
    # all groups distinct: leave-one-out, whose values it keeps
    assert SoftmaxRidgeClassifierCV(store_cv_results=True).fit(X, y, groups=np.arange(len(y))).cv_results_.shape[0] == len(y)


def test_explicit_cv_gets_the_groups():
    X, y, groups = _data(n_groups=12, per_group=3)
    ours = SoftmaxRidgeClassifierCV(alphas=ALPHAS, cv=GroupKFold(3)).fit(X, y, groups=groups)
    ref = RidgeClassifierCV(alphas=ALPHAS, cv=list(GroupKFold(3).split(X, y, groups))).fit(X, y)
    assert ours.alpha_ == ref.alpha_ and ours.best_score_ == ref.best_score_
    assert isinstance(ours.cv, GroupKFold)  # the parameter is left as given


def test_segmented_temporal_pipeline_routes_recordings_to_the_ridge():
    from sklearn_wavefront import comparison as cmp
    from sklearn_wavefront.segmenting import SegmentedClassifier, segment_signals

    rng = np.random.default_rng(0)
    lengths = [900, 2500, 3300, 1800, 4000, 2100, 3900, 1200] * 2
    y = np.array([0, 1] * 8)
    X = [np.sin(2 * np.pi * (300 + 40 * label) * np.arange(n) / 4000) + rng.normal(size=n)
         for n, label in zip(lengths, y)]
    s = cmp.Settings(sample_rate=4000, n_filters=4, temporal_features=168, device="cpu", segment_seconds=0.25)
    seg = cmp.make_estimator("mel", "temporal", s)
    assert isinstance(seg, SegmentedClassifier)
    seg.fit(X, y)
    segments, rec = segment_signals(X, 1000, 1000)
    explicit = clone(seg.estimator).fit(segments, y[rec], ridge__groups=rec)
    plain = clone(seg.estimator).fit(segments, y[rec])  # leave-one-out over segments
    assert seg.estimator_["ridge"].alpha_ == explicit["ridge"].alpha_
    assert seg.estimator_["ridge"].best_score_ == explicit["ridge"].best_score_
    assert seg.estimator_["ridge"].best_score_ != plain["ridge"].best_score_
    # user groups (e.g. speakers) take precedence over the recordings
    speakers = np.arange(16) % 4
    seg_user = clone(seg).fit(X, y, ridge__groups=speakers)
    by_speaker = clone(seg.estimator).fit(segments, y[rec], ridge__groups=speakers[rec])
    assert seg_user.estimator_["ridge"].best_score_ == by_speaker["ridge"].best_score_
    assert seg_user.estimator_["ridge"].alpha_ == by_speaker["ridge"].alpha_


def test_minirocket_classifier_chooses_its_penalty_by_groups():
    pytest.importorskip("aeon")
    from sklearn_wavefront.baselines import MiniRocketClassifier

    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(12), 3)
    y = np.repeat([0, 1] * 6, 3)
    t = np.arange(300) / 300
    X = np.array([np.sin(2 * np.pi * (5 + 3 * label) * t + g) for label, g in zip(y, groups)])
    X = X + 0.3 * rng.normal(size=X.shape)
    clf = MiniRocketClassifier(n_kernels=168, random_state=0).fit(X, y, groups=groups)
    F = clf.scaler_.transform(clf.transform_.transform(X[:, None, :]))
    ref = SoftmaxRidgeClassifierCV(alphas=ALPHAS).fit(F, y, groups=groups)
    assert clf.ridge_.alpha_ == ref.alpha_ and clf.ridge_.best_score_ == ref.best_score_
    loo = MiniRocketClassifier(n_kernels=168, random_state=0).fit(X, y)
    assert loo.ridge_.best_score_ != clf.ridge_.best_score_
    assert loo.ridge_.alpha_ == RidgeClassifierCV(alphas=ALPHAS).fit(F, y).alpha_


def test_aeon_baselines_leave_the_callers_torch_threads_alone():
    """Importing aeon and MiniRocket's first numba run start numba's OpenMP threads, which reset torch's
    count to the number of cores: a process that chose one thread then ran every later torch fit on
    two (30x slower on a busy machine). Run in a fresh interpreter: the threads start once per process."""
    import subprocess
    import sys

    pytest.importorskip("aeon")
    code = (
        "import torch, numpy as np\n"
        "torch.set_num_threads(1)\n"
        "from sklearn_wavefront.comparison import aeon_status\n"
        "from sklearn_wavefront.recipes import warm_up\n"
        "from sklearn_wavefront.baselines import MiniRocketClassifier\n"
        "assert aeon_status()[0]\n"
        "warm_up(['minirocket', 'mrhydra'])\n"
        "X = np.random.default_rng(0).normal(size=(8, 300)); y = np.arange(8) % 2\n"
        "MiniRocketClassifier(n_kernels=84).fit(X, y).predict(X)\n"
        "print(torch.get_num_threads())\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if not k.endswith("_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1"]
