"""The verdict of a comparison: the corrected resampled t-test against a hand computation, and the
rule that gives the star only to a row better than every baseline beyond the noise."""

import math

import numpy as np
import pytest
from scipy import stats

from sklearn_wavefront.comparison import format_table, summarize
from sklearn_wavefront.verdict import paired_difference, verdict

A = [0.81, 0.77, 0.86, 0.79, 0.83]
B = [0.74, 0.75, 0.80, 0.70, 0.78]


def test_statistic_equals_a_hand_computation():
    d = np.subtract(A, B)  # 0.07 0.02 0.06 0.09 0.05
    mean, var = d.sum() / 5, ((d - d.sum() / 5) ** 2).sum() / 4
    t = mean / math.sqrt((1 / 5 + 1 / 4) * var)  # 5-fold CV: n_test / n_train = 1/4
    got = paired_difference(A, B)
    assert got.mean == pytest.approx(0.058) and got.std == pytest.approx(math.sqrt(var))
    assert got.t == pytest.approx(t) and got.p_value == pytest.approx(2 * stats.t.sf(t, df=4))
    assert got.test_train_ratio == pytest.approx(0.25)
    # the correction makes it more cautious than the plain paired t-test
    assert got.p_value > stats.ttest_rel(A, B).pvalue
    # a given ratio (grouped folds of unequal size) is used as given
    assert paired_difference(A, B, test_train_ratio=0.5).t == pytest.approx(mean / math.sqrt((1 / 5 + 0.5) * var))


def test_signs_missing_folds_and_degenerate_cases():
    assert paired_difference(B, A).t == pytest.approx(-paired_difference(A, B).t)
    assert verdict(paired_difference(A, B)) == "better" and verdict(paired_difference(B, A)) == "worse"
    # a fold without a score (NaN) is left out of both
    a, b = [*A, np.nan], [*B, 0.1]
    assert paired_difference(a, b).n_folds == 5 and paired_difference(a, b).t == pytest.approx(paired_difference(A, B).t)
    # the same margin on every fold: no spread, the sign is certain
    same = paired_difference([0.75, 0.5, 0.25], [0.5, 0.25, 0.0])
    assert same.t == math.inf and same.p_value == 0.0 and verdict(same) == "better"
    two = paired_difference([0.75, 0.5], [0.5, 0.25])  # the same margin on two folds: no verdict
    assert two.t == math.inf and math.isnan(two.p_value) and verdict(two) == "within noise"
    equal = paired_difference([0.5, 0.6], [0.5, 0.6])
    assert math.isnan(equal.t) and verdict(equal) == "within noise"
    one = paired_difference([0.9], [0.1])
    assert math.isnan(one.p_value) and verdict(one) == "within noise"
    with pytest.raises(ValueError, match="shapes"):
        paired_difference([0.1, 0.2], [0.1])


def _results(scores):
    return [{"model": m, "kind": k, "fold": f, "ua": ua, "uf1": ua, "macc": None, "fit_seconds": 1.0,
             "diverged": None} for (m, k), uas in scores.items() for f, ua in enumerate(uas)]


def test_the_star_goes_only_to_a_row_better_than_every_baseline():
    scores = {
        ("dummy", "baseline"): [0.25, 0.26, 0.24, 0.25, 0.25],
        ("minirocket", "baseline"): B,
        ("comb", "fixed"): A,  # better than both, consistently
        ("mel", "fixed"): [0.99, 0.60, 0.99, 0.60, 0.99],  # highest mean, but all over the place
    }
    rows = list(scores)
    summary, best = summarize(_results(scores), rows, ["a", "b", "c"])
    by = {(e["model"], e["kind"]): e for e in summary}
    assert best == "minirocket"
    assert by["mel", "fixed"]["ua"] > by["comb", "fixed"]["ua"]
    assert by["mel", "fixed"]["verdict"] == "within noise" and not by["mel", "fixed"]["beats_every_baseline"]
    assert by["comb", "fixed"]["verdict"] == "better" and by["comb", "fixed"]["beats_every_baseline"]
    assert [e["best"] for e in summary] == [False, False, True, False]
    assert by["minirocket", "baseline"]["verdict"] == "reference" and by["dummy", "baseline"]["verdict"] == "worse"
    d = paired_difference(A, B)
    assert by["comb", "fixed"]["delta_ua"] == pytest.approx(d.mean) and by["comb", "fixed"]["p_value"] == pytest.approx(d.p_value)
    table = format_table(summary, two_classes=False)
    import re

    assert re.search(rf"\+{d.mean:.3f} ± {d.std:.3f}\s+{d.p_value:.3f}\s+better", table)

    # nothing beyond the noise: no star at all, whatever the means
    scores[("comb", "fixed")] = [0.90, 0.70, 0.88, 0.72, 0.86]
    summary, _ = summarize(_results(scores), rows, ["a", "b", "c"])
    assert not any(e["best"] for e in summary)


def test_without_baselines_the_star_is_the_highest_mean():
    scores = {("comb", "fixed"): A, ("mel", "fixed"): B}
    summary, best = summarize(_results(scores), list(scores), ["a", "b"])
    assert best is None and [e["best"] for e in summary] == [True, False]
    assert all(e["verdict"] is None for e in summary)


def test_better_than_the_best_baseline_is_not_enough_for_the_star():
    # "cnn" is beyond the noise above the best baseline's mean, but not above a weaker baseline that
    # happens to move with it fold by fold: no star (the star needs every baseline beaten)
    scores = {
        ("minirocket", "baseline"): [0.70, 0.72, 0.71, 0.73, 0.70],
        ("mfcc+logreg", "baseline"): [0.55, 0.90, 0.57, 0.92, 0.56],
        ("comb", "fixed"): [0.80, 0.83, 0.81, 0.84, 0.80],
    }
    summary, best = summarize(_results(scores), list(scores), ["a", "b", "c"])
    by = {(e["model"], e["kind"]): e for e in summary}
    assert best == "minirocket" and by["comb", "fixed"]["verdict"] == "better"
    assert verdict(paired_difference(scores["comb", "fixed"], scores["mfcc+logreg", "baseline"])) == "within noise"
    assert not by["comb", "fixed"]["beats_every_baseline"] and not any(e["best"] for e in summary)


def test_the_ratio_of_the_real_folds_is_the_one_used():
    # grouped folds of unequal size: n_test / n_train is what the folds were, not 1 / (K - 1)
    scores = {("minirocket", "baseline"): B, ("comb", "fixed"): A}
    for ratio in (None, 0.25, 0.6):
        summary, _ = summarize(_results(scores), list(scores), ["a", "b", "c"], test_train_ratio=ratio)
        d = np.subtract(A, B)
        r = 1 / 4 if ratio is None else ratio
        t = d.mean() / math.sqrt((1 / 5 + r) * d.var(ddof=1))
        assert summary[1]["p_value"] == pytest.approx(2 * stats.t.sf(abs(t), df=4))
