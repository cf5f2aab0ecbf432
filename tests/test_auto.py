"""The recipe search (sklearn_wavefront.auto): it never sees test folds, keeps groups whole, is
deterministic, stays within its budget, and works inside scikit-learn's model selection and compare."""

import functools
import json

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold, cross_val_score

from sklearn_wavefront import comparison as cmp
from sklearn_wavefront.auto import (
    DEFAULT_CANDIDATES,
    AutoWavefrontClassifier,
    RecipeClassifier,
    candidate_name,
    estimated_seconds,
    plan_search,
)
from sklearn_wavefront.datasets import make_harmonic_tones
from sklearn_wavefront.recipes import Settings

SR = 8000
# cheap candidates that differ in skill on the tones (a few seconds per search on one thread)
CHEAP = [
    {"model": "mel", "kind": "fixed", "n_filters": 8},
    {"model": "gammatone", "kind": "fixed", "n_filters": 8},
    {"model": "comb", "kind": "fixed", "n_filters": 8},
    {"model": "mfcc+logreg", "kind": "baseline"},
]


@pytest.fixture(scope="module")
def tones():
    X, y = make_harmonic_tones(n_samples=60, n_classes=3, sample_rate=SR, duration=0.25, noise=1.0, random_state=0,
                               return_X_y=True)
    groups = np.arange(len(y)) % 6  # e.g. six speakers
    return X.astype(np.float32), y, groups


def _auto(**kw):
    return AutoWavefrontClassifier(sample_rate=SR, candidates=CHEAP, **kw)


@pytest.fixture
def per_sample_costs(monkeypatch):
    """A cost model without the fixed part of each fit, so that on these 60 short tones successive
    halving costs less than scoring every candidate on everything (as on large data sets)."""
    import sklearn_wavefront.auto as auto

    monkeypatch.setattr(auto, "_FIXED_SECONDS", dict.fromkeys(auto._FIXED_SECONDS, 0.0))
    monkeypatch.setattr(auto, "_FIXED_FRONTEND_SECONDS", 0.0)


def _half_budget():
    """Minutes: a budget below scoring every cheap candidate on all 60 tones, at which the plan halves."""
    minutes = plan_search(CHEAP, 60, int(0.25 * SR), 3, budget_minutes=1e6, n_classes=3).estimated_seconds / 60
    for _ in range(200):
        minutes *= 0.95
        plan = plan_search(CHEAP, 60, int(0.25 * SR), 3, budget_minutes=minutes, n_classes=3)
        if plan.n_rounds > 1:
            return minutes
    raise AssertionError("no budget makes the plan halve")


def test_the_choice_never_depends_on_the_outer_test_labels(tones):
    """A planted leak: permuting the test fold's labels (which compare's auto row must never see)
    leaves the choice and every inner score unchanged."""
    X, y, groups = tones
    train, test = next(StratifiedGroupKFold(3, shuffle=True, random_state=0).split(X, y, groups))
    rng = np.random.default_rng(0)
    y_leak = y.copy()
    y_leak[test] = rng.permutation(y[test])
    assert (y_leak[test] != y[test]).any()
    results = [cmp._fit_one("auto", "auto", 0, Settings(sample_rate=SR, budget=0.02), X, labels, None, train, test,
                            np.unique(y), False, split_groups=groups) for labels in (y, y_leak)]
    assert results[0]["choice"] == results[1]["choice"]
    # and with a candidate list: the search's inner scores themselves are identical
    a, b = (_auto().fit(X[train], labels[train], groups=groups[train]) for labels in (y, y_leak))
    np.testing.assert_array_equal(a.cv_results_["mean_test_score"], b.cv_results_["mean_test_score"])


def test_inner_splits_and_the_candidates_keep_groups_whole(tones, monkeypatch, per_sample_costs):
    """Every candidate is scored on recordings of groups it was not trained on, and receives the
    groups of its training part (for its early-stopping hold-out)."""
    X, y, groups = tones
    group_of = {x.tobytes(): g for x, g in zip(X, groups)}
    events = []
    fit, predict = RecipeClassifier.fit, RecipeClassifier.predict

    @functools.wraps(fit)
    def recording_fit(self, X_, y_, groups=None):
        assert groups is not None and list(groups) == [group_of[x.tobytes()] for x in X_]
        events.append(("fit", {group_of[x.tobytes()] for x in X_}))
        return fit(self, X_, y_, groups=groups)

    @functools.wraps(predict)
    def recording_predict(self, X_):
        events.append(("predict", {group_of[x.tobytes()] for x in X_}))
        return predict(self, X_)

    monkeypatch.setattr(RecipeClassifier, "fit", recording_fit)
    monkeypatch.setattr(RecipeClassifier, "predict", recording_predict)
    auto = _auto(budget=_half_budget()).fit(X, y, groups=groups)  # a small budget: several rounds on parts of the data
    assert auto.plan_["n_rounds"] > 1
    pairs = [(a[1], b[1]) for a, b in zip(events, events[1:]) if a[0] == "fit" and b[0] == "predict"]
    assert len(pairs) == auto.n_candidates_[0] * 3 + sum(auto.n_candidates_[1:]) * 3
    for trained_on, scored_on in pairs:
        assert not trained_on & scored_on


def test_the_search_is_deterministic_with_random_state(tones):
    X, y, groups = tones
    a = _auto(random_state=3).fit(X, y, groups=groups)
    b = _auto(random_state=3).fit(X, y, groups=groups)
    assert a.choice_ == b.choice_
    np.testing.assert_array_equal(a.cv_results_["mean_test_score"], b.cv_results_["mean_test_score"])
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_the_choice_is_the_best_inner_score_refitted_on_everything(tones):
    X, y, groups = tones
    auto = _auto().fit(X, y, groups=groups)
    res = auto.cv_results_
    assert auto.plan_["exhaustive"]  # a large budget: one round, every candidate on every recording
    best = int(np.argmax(res["mean_test_score"]))
    assert auto.best_params_ == res["params"][best]
    assert auto.choice_["inner_ua"] == pytest.approx(res["mean_test_score"][best])
    assert auto.choice_["name"] == candidate_name(res["params"][best])
    # refitted on all the data: the same as fitting the chosen recipe by hand
    by_hand = RecipeClassifier(sample_rate=SR, **auto.best_params_).fit(X, y, groups=groups)
    np.testing.assert_array_equal(auto.predict_proba(X), by_hand.predict_proba(X))


def test_the_budget_limits_candidates_and_rounds_never_the_clock():
    shapes = dict(n_recordings=400, n_samples=32000, n_splits=3, n_classes=7)
    plans = [plan_search(DEFAULT_CANDIDATES, budget_minutes=b, **shapes) for b in (0.05, 0.5, 5, 50, 5000)]
    # more budget never means less work: more candidates, or larger first rounds
    work = [(len(p.candidates), p.min_resources) for p in plans]
    assert work == sorted(work)
    assert plans[-1].exhaustive and len(plans[-1].candidates) == len(DEFAULT_CANDIDATES)
    assert len(plans[0].candidates) < len(DEFAULT_CANDIDATES)
    for p in plans[:-1]:
        assert p.estimated_seconds <= p.budget_seconds or len(p.candidates) == 1
    # dropped from the end of the list: the first candidates are kept
    assert plans[0].candidates == list(DEFAULT_CANDIDATES[: len(plans[0].candidates)])
    # the cost model grows with filters, epochs and data
    comb = {"model": "comb", "kind": "end-to-end", "n_filters": 32, "epochs": 10}
    assert estimated_seconds(comb, 100, 16000) < estimated_seconds({**comb, "n_filters": 64}, 100, 16000)
    assert estimated_seconds(comb, 100, 16000) < estimated_seconds({**comb, "epochs": 20}, 100, 16000)
    assert estimated_seconds(comb, 100, 16000) < estimated_seconds(comb, 200, 16000)


def test_the_search_follows_the_plan(tones, per_sample_costs):
    X, y, groups = tones
    auto = _auto(budget=_half_budget()).fit(X, y, groups=groups)
    p = auto.plan_
    assert list(auto.n_candidates_) == [n for n, _ in p["rounds"]]
    assert list(auto.n_resources_) == [r for _, r in p["rounds"]]
    assert len(auto.cv_results_["params"]) == sum(n for n, _ in p["rounds"])


def test_a_group_per_recording_is_the_same_as_no_groups(tones):
    """One group per recording constrains nothing: the same inner splits, and an end-to-end candidate's
    early-stopping hold-out (drawn by group, or by recording) the same, so the same model."""
    X, y, _ = tones
    e2e = [{"model": "comb", "kind": "end-to-end", "n_filters": 4, "epochs": 3}, CHEAP[0]]
    a = AutoWavefrontClassifier(SR, candidates=e2e, ensemble=2).fit(X, y)
    b = AutoWavefrontClassifier(SR, candidates=e2e, ensemble=2).fit(X, y, groups=np.arange(len(y)))
    np.testing.assert_array_equal(a.cv_results_["mean_test_score"], b.cv_results_["mean_test_score"])
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_an_ensemble_soft_votes_the_best_candidates(tones):
    X, y, groups = tones
    auto = _auto(ensemble=2).fit(X, y, groups=groups)
    assert len(auto.estimators_) == 2 and len(auto.choice_["members"]) == 2
    mean = np.mean([e.predict_proba(X) for e in auto.estimators_], axis=0)
    np.testing.assert_allclose(auto.predict_proba(X), mean)
    np.testing.assert_array_equal(auto.predict(X), auto.classes_[mean.argmax(1)])


def test_it_works_in_cross_val_score_and_nested_grid_search_with_groups_routed(tones):
    import sklearn

    X, y, groups = tones
    outer = StratifiedGroupKFold(3, shuffle=True, random_state=0)
    # without routing: scikit-learn gives the groups to the splitter only (the inner search then splits
    # by recordings); with routing they reach the search too
    plain = cross_val_score(_auto(), X, y, groups=groups, cv=outer, scoring="balanced_accuracy")
    assert plain.shape == (3,)
    with sklearn.config_context(enable_metadata_routing=True):
        auto = _auto().set_fit_request(groups=True)
        routed = cross_val_score(auto, X, y, params={"groups": groups}, cv=outer, scoring="balanced_accuracy")
        nested = GridSearchCV(auto, {"ensemble": [1, 2]}, cv=outer, scoring="balanced_accuracy")
        nested.fit(X, y, groups=groups)
    assert routed.shape == (3,) and np.all((routed >= 0) & (routed <= 1))
    assert nested.best_params_["ensemble"] in (1, 2)
    # the routed groups reached the inner search: its folds are grouped
    by_hand = []
    for train, test in outer.split(X, y, groups):
        fitted = _auto().fit(X[train], y[train], groups=groups[train])
        by_hand.append(sklearn.metrics.balanced_accuracy_score(y[test], fitted.predict(X[test])))
    np.testing.assert_allclose(routed, by_hand)


def test_bad_candidates_and_groups_are_named():
    X, y = make_harmonic_tones(n_samples=12, n_classes=2, duration=0.1, random_state=0, return_X_y=True)
    with pytest.raises(ValueError, match=r"candidates\[1\] has unknown key\(s\) \['filters'\]"):
        AutoWavefrontClassifier(SR, candidates=[{"model": "mel"}, {"model": "mel", "filters": 3}]).fit(X, y)
    with pytest.raises(ValueError, match=r"candidates\[0\]: model 'melody' is not a front-end or a baseline"):
        AutoWavefrontClassifier(SR, candidates=[{"model": "melody"}]).fit(X, y)
    with pytest.raises(ValueError, match="candidates is empty"):
        AutoWavefrontClassifier(SR, candidates=[]).fit(X, y)
    # a single group: chosen on splits by recordings, and a learned candidate's hold-out by recordings too
    learned = {"model": "comb", "kind": "learned", "n_filters": 4, "epochs": 2}
    with pytest.warns(UserWarning, match="groups holds a single group: the recipe is chosen, and its "
                                         "early-stopping hold-out drawn, by recordings"):
        single = AutoWavefrontClassifier(SR, candidates=[learned, CHEAP[0]], ensemble=2).fit(X, y, groups=np.zeros(12))
    assert len(single.estimators_) == 2
    with pytest.raises(ValueError, match="groups holds 5 values for 12 recordings"):
        AutoWavefrontClassifier(SR, candidates=CHEAP[:1]).fit(X, y, groups=np.zeros(5))
    with pytest.raises(ValueError, match="budget"):
        AutoWavefrontClassifier(SR, budget=0).fit(X, y)
    with pytest.raises(ValueError, match="kind='temporal' does not go with model='minirocket'"):
        RecipeClassifier("minirocket", "temporal", sample_rate=SR).fit(X, y)


def test_compare_reports_each_folds_choice(tmp_path):
    result = cmp.compare(n_recordings=36, folds=3, models="dummy,mel,auto", kinds="baseline,fixed,auto", budget=0.005,
                         progress=False, output_dir=str(tmp_path), plots=False, report=False)
    rows = [r for r in result.rows if r["kind"] == "auto"]
    assert [r["fold"] for r in rows] == [0, 1, 2]
    for r in rows:
        assert r["choice"]["name"] == candidate_name({k: r["choice"][k] for k in ("model", "kind", "n_filters")
                                                      if r["choice"][k] is not None})
    text = result.format()
    line = next(s for s in text.splitlines() if s.startswith("auto chose, per fold"))
    assert all(f"{r['fold'] + 1}: {cmp.choice_text(r['choice'])}" in line for r in rows)
    saved = json.loads((tmp_path / "results.json").read_text())
    assert [r["choice"] for r in saved["rows"] if r["kind"] == "auto"] == [r["choice"] for r in rows]
    csv_text = (tmp_path / "results.csv").read_text()
    assert csv_text.splitlines()[0].endswith(",choice") and cmp.choice_text(rows[0]["choice"]) in csv_text
    assert line in cmp.CompareResult.from_json(tmp_path / "results.json").format()  # read back, said again


def test_too_few_recordings_for_an_inner_split_take_the_first_candidate_and_say_so():
    X, y = make_harmonic_tones(n_samples=12, n_classes=2, duration=0.1, random_state=0, return_X_y=True)
    y = y.astype(str).astype(object)
    y[0] = "lonely"  # a class with one recording: no inner split holds it on both sides
    with pytest.warns(UserWarning, match="a class has 1 recording here"):
        auto = AutoWavefrontClassifier(SR, candidates=CHEAP[1:3]).fit(X, y)
    assert auto.cv_results_ is None and auto.choice_["name"] == candidate_name(CHEAP[1])
    assert "without a search" in auto.choice_["note"] and auto.choice_["inner_ua"] is None
    np.testing.assert_array_equal(auto.predict_proba(X), RecipeClassifier(sample_rate=SR, **CHEAP[1]).fit(X, y)
                                  .predict_proba(X))


def test_plan_rows_has_the_auto_rows():
    rows, _ = cmp.plan_rows("dummy,mel,auto", "baseline,auto", extra_rows="auto-ensemble:auto")
    assert rows == [("dummy", "baseline"), ("auto", "auto"), ("auto-ensemble", "auto")]
    # "all" models: the search row, not its ensemble; models without auto: no auto row
    assert cmp.plan_rows("all", "auto")[0] == [("auto", "auto")]
    assert cmp.plan_rows("dummy,mel", "baseline,auto")[0] == [("dummy", "baseline")]
    with pytest.raises(ValueError, match="'mel:auto' is not a row"):
        cmp.plan_rows("dummy", "baseline", extra_rows="mel:auto")

