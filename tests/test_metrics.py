"""Metrics against hand-computed confusion matrices."""

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate

from sklearn_wavefront.metrics import (
    macc_score,
    make_macc_scorer,
    make_scorers,
    make_sensitivity_scorer,
    make_specificity_scorer,
    sensitivity_score,
    specificity_score,
    ua_scorer,
    uf1_scorer,
    unweighted_accuracy_score,
    unweighted_f1_score,
    weighted_f1_score,
    wf1_scorer,
)


def _from_confusion(cm, labels):
    """y_true, y_pred realising the confusion matrix cm[true, pred]."""
    y_true, y_pred = [], []
    for i, ti in enumerate(labels):
        for j, pj in enumerate(labels):
            y_true += [ti] * cm[i][j]
            y_pred += [pj] * cm[i][j]
    return np.array(y_true), np.array(y_pred)


# binary PhysioNet-style: abnormal = 1, normal = -1
#            pred -1  pred 1
# true -1      40       10     TN = 40, FP = 10
# true  1       5       15     FN = 5,  TP = 15
BIN = _from_confusion([[40, 10], [5, 15]], [-1, 1])

# three classes
#            pred a  pred b  pred c
# true a        8       1       1      support 10
# true b        2       3       0      support 5
# true c        0       1       4      support 5
MULTI = _from_confusion([[8, 1, 1], [2, 3, 0], [0, 1, 4]], ["a", "b", "c"])


def test_binary_hand_computed():
    y_true, y_pred = BIN
    se, sp = 15 / 20, 40 / 50
    assert sensitivity_score(y_true, y_pred, pos_label=1) == pytest.approx(se)
    assert specificity_score(y_true, y_pred, pos_label=1) == pytest.approx(sp)
    assert macc_score(y_true, y_pred, pos_label=1) == pytest.approx((se + sp) / 2)
    # the other class as positive swaps Se and Sp
    assert sensitivity_score(y_true, y_pred, pos_label=-1) == pytest.approx(sp)
    assert specificity_score(y_true, y_pred, pos_label=-1) == pytest.approx(se)
    # UA = mean recall = MAcc for two classes
    assert unweighted_accuracy_score(y_true, y_pred) == pytest.approx((se + sp) / 2)


def test_binary_f1_hand_computed():
    y_true, y_pred = BIN
    f1_pos = 2 * 15 / (2 * 15 + 10 + 5)  # 2TP / (2TP + FP + FN)
    f1_neg = 2 * 40 / (2 * 40 + 5 + 10)
    assert unweighted_f1_score(y_true, y_pred) == pytest.approx((f1_pos + f1_neg) / 2)
    assert weighted_f1_score(y_true, y_pred) == pytest.approx((50 * f1_neg + 20 * f1_pos) / 70)


def test_multiclass_hand_computed():
    y_true, y_pred = MULTI
    recalls = [8 / 10, 3 / 5, 4 / 5]
    precisions = [8 / 10, 3 / 5, 4 / 5]  # column sums 10, 5, 5
    f1 = [2 * p * r / (p + r) for p, r in zip(precisions, recalls)]
    assert unweighted_accuracy_score(y_true, y_pred) == pytest.approx(np.mean(recalls))
    assert unweighted_f1_score(y_true, y_pred) == pytest.approx(np.mean(f1))
    assert weighted_f1_score(y_true, y_pred) == pytest.approx((10 * f1[0] + 5 * f1[1] + 5 * f1[2]) / 20)


def test_one_vs_rest_on_multiclass():
    y_true, y_pred = MULTI
    # positive "a": TP 8, FN 2; negatives b, c (10 samples), predicted a: 2 -> TN 8
    assert sensitivity_score(y_true, y_pred, pos_label="a") == pytest.approx(0.8)
    assert specificity_score(y_true, y_pred, pos_label="a") == pytest.approx(0.8)
    # positive "b": TP 3, FN 2; negatives a, c (15), predicted b: 2 -> TN 13
    assert sensitivity_score(y_true, y_pred, pos_label="b") == pytest.approx(0.6)
    assert specificity_score(y_true, y_pred, pos_label="b") == pytest.approx(13 / 15)
    assert macc_score(y_true, y_pred, pos_label="b") == pytest.approx((0.6 + 13 / 15) / 2)


def test_sample_weight():
    y_true = np.array([1, 1, 0, 0])
    y_pred = np.array([1, 0, 0, 1])
    w = np.array([3.0, 1.0, 1.0, 1.0])
    # weighted TP 3, FN 1, TN 1, FP 1 (imbalanced-learn 0.14.2 gives specificity 0 here)
    assert sensitivity_score(y_true, y_pred, sample_weight=w) == pytest.approx(0.75)
    assert specificity_score(y_true, y_pred, sample_weight=w) == pytest.approx(0.5)
    assert macc_score(y_true, y_pred, sample_weight=w) == pytest.approx(0.625)


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_imblearn_without_weights(seed):
    from imblearn.metrics import sensitivity_score as imb_se
    from imblearn.metrics import specificity_score as imb_sp

    rng = np.random.default_rng(seed)
    y_true, y_pred = rng.integers(0, 2, 50), rng.integers(0, 2, 50)
    assert sensitivity_score(y_true, y_pred) == pytest.approx(imb_se(y_true, y_pred, pos_label=1))
    assert specificity_score(y_true, y_pred) == pytest.approx(imb_sp(y_true, y_pred, pos_label=1))


def test_bad_pos_label():
    with pytest.raises(ValueError, match="pos_label=2 is not one of the labels"):
        macc_score([0, 1], [1, 1], pos_label=2)
    with pytest.raises(ValueError, match="different lengths"):
        sensitivity_score([0, 1], [1], pos_label=1)


def test_scorers_match_functions():
    X = np.arange(20, dtype=float)[:, None]
    y = np.array([0] * 14 + [1] * 6)
    clf = DummyClassifier(strategy="constant", constant=1).fit(X, y)  # Se 1, Sp 0
    assert make_sensitivity_scorer(1)(clf, X, y) == 1.0
    assert make_specificity_scorer(1)(clf, X, y) == 0.0
    assert make_macc_scorer(1)(clf, X, y) == 0.5
    assert make_macc_scorer(0)(clf, X, y) == 0.5
    assert ua_scorer(clf, X, y) == 0.5
    assert uf1_scorer(clf, X, y) == pytest.approx((0 + 2 * 6 / (12 + 14)) / 2)
    assert wf1_scorer(clf, X, y) == pytest.approx(6 / 20 * 12 / 26)


def test_scorers_in_cross_validate():
    rng = np.random.default_rng(0)
    y = np.array([0] * 30 + [1] * 10)
    X = np.c_[y + 0.8 * rng.normal(size=40), rng.normal(size=40)]
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    res = cross_validate(LogisticRegression(), X, y, cv=cv, scoring=make_scorers(pos_label=1),
                         return_estimator=True, return_indices=True)
    for k, (est, test) in enumerate(zip(res["estimator"], res["indices"]["test"])):
        pred = est.predict(X[test])
        assert res["test_macc"][k] == pytest.approx(macc_score(y[test], pred, pos_label=1))
        assert res["test_sensitivity"][k] == pytest.approx(np.mean(pred[y[test] == 1] == 1))
        assert res["test_specificity"][k] == pytest.approx(np.mean(pred[y[test] == 0] == 0))
        assert res["test_ua"][k] == pytest.approx(res["test_macc"][k])
    assert set(make_scorers()) == {"ua", "uf1", "wf1"}
