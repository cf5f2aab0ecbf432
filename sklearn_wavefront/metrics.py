"""Metrics of the heart-sound and speech-emotion protocols, as functions and as scorers.

=================  =========================================================================
name               definition
=================  =========================================================================
UA                 unweighted accuracy = mean per-class recall = balanced accuracy
UF1                unweighted F1 = unweighted (macro) mean of the per-class F1 scores
WF1                weighted F1 = per-class F1 weighted by the class support in ``y_true``
sensitivity (Se)   recall of the positive class ``pos_label``: TP / (TP + FN)
specificity (Sp)   recall of everything else: TN / (TN + FP)
MAcc               (Se + Sp) / 2, the PhysioNet/CinC 2016 score, for a stated ``pos_label``
=================  =========================================================================

Se, Sp and MAcc treat ``pos_label`` as the positive class and *every other label* as negative
(one-vs-rest), so they also apply to multi-class labels (e.g. "normal" vs all abnormal kinds).
For two classes MAcc equals UA.

UA, UF1 and WF1 are computed by :func:`sklearn.metrics.balanced_accuracy_score` and
:func:`sklearn.metrics.f1_score`; Se and Sp by :func:`sklearn.metrics.recall_score` of the
positive and of the negative side of the binarised labels. They agree with
:func:`imblearn.metrics.sensitivity_score` / :func:`imblearn.metrics.specificity_score` without
sample weights; with ``sample_weight``, imbalanced-learn 0.14.2 counts true negatives as
``n_samples - (weighted sums)``, mixing counts and weights, so its specificity is wrong and it is
not used here. This module only names the metrics, checks ``pos_label``, and makes scorers for
``cross_validate(scoring=...)``.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import balanced_accuracy_score, f1_score, make_scorer, recall_score

__all__ = [
    "unweighted_accuracy_score",
    "unweighted_f1_score",
    "weighted_f1_score",
    "sensitivity_score",
    "specificity_score",
    "macc_score",
    "ua_scorer",
    "uf1_scorer",
    "wf1_scorer",
    "make_macc_scorer",
    "make_sensitivity_scorer",
    "make_specificity_scorer",
    "make_scorers",
]


def unweighted_accuracy_score(y_true, y_pred, *, sample_weight=None):
    """Unweighted accuracy (UA): the mean of the per-class recalls (balanced accuracy).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    score : float
        UA in [0, 1].

    See Also
    --------
    sklearn.metrics.balanced_accuracy_score : the function that computes it.

    Examples
    --------
    >>> from sklearn_wavefront.metrics import unweighted_accuracy_score
    >>> unweighted_accuracy_score([0, 0, 0, 1], [0, 0, 1, 1])   # recalls 2/3 and 1
    0.8333333333333333
    """
    return float(balanced_accuracy_score(y_true, y_pred, sample_weight=sample_weight))


def unweighted_f1_score(y_true, y_pred, *, sample_weight=None):
    """Unweighted F1 (UF1): the plain mean of the per-class F1 scores (macro F1).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    score : float

    Examples
    --------
    >>> from sklearn_wavefront.metrics import unweighted_f1_score
    >>> round(unweighted_f1_score([0, 0, 0, 1], [0, 0, 1, 1]), 4)   # F1 0.8 and 2/3
    0.7333
    """
    return float(f1_score(y_true, y_pred, average="macro", sample_weight=sample_weight, zero_division=0))


def weighted_f1_score(y_true, y_pred, *, sample_weight=None):
    """Weighted F1 (WF1): per-class F1 weighted by the number of true samples of each class.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    score : float

    Examples
    --------
    >>> from sklearn_wavefront.metrics import weighted_f1_score
    >>> round(weighted_f1_score([0, 0, 0, 1], [0, 0, 1, 1]), 4)   # (3 * 0.8 + 1 * 2/3) / 4
    0.7667
    """
    return float(f1_score(y_true, y_pred, average="weighted", sample_weight=sample_weight, zero_division=0))


def _binarize(y_true, y_pred, pos_label):
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.ndim != 1 or y_pred.ndim != 1:
        raise ValueError(
            f"y_true and y_pred must be 1-D label arrays, got shapes {y_true.shape} and {y_pred.shape}"
        )
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred have different lengths: {len(y_true)} and {len(y_pred)}")
    present = set(np.unique(y_true).tolist()) | set(np.unique(y_pred).tolist())
    if pos_label not in present:
        raise ValueError(
            f"pos_label={pos_label!r} is not one of the labels present in y_true or y_pred "
            f"{sorted(present, key=str)!r}; pass the label of the positive (e.g. abnormal) class"
        )
    return y_true == pos_label, y_pred == pos_label


def sensitivity_score(y_true, y_pred, *, pos_label=1, sample_weight=None):
    """Sensitivity (Se): recall of ``pos_label``, TP / (TP + FN).

    Every label other than ``pos_label`` counts as negative.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.
    pos_label : int, str or bool, default=1
        The positive class (e.g. 1 = abnormal in PhysioNet 2016).
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    score : float

    Raises
    ------
    ValueError
        If ``pos_label`` occurs in neither ``y_true`` nor ``y_pred``.

    Examples
    --------
    >>> from sklearn_wavefront.metrics import sensitivity_score
    >>> sensitivity_score([1, 1, 1, 0], [1, 0, 1, 0])
    0.6666666666666666
    >>> sensitivity_score(["abn", "nor", "abn"], ["abn", "abn", "nor"], pos_label="abn")
    0.5
    """
    t, p = _binarize(y_true, y_pred, pos_label)
    return float(recall_score(t, p, pos_label=True, sample_weight=sample_weight, zero_division=0))


def specificity_score(y_true, y_pred, *, pos_label=1, sample_weight=None):
    """Specificity (Sp): recall of the negatives, TN / (TN + FP).

    Every label other than ``pos_label`` counts as negative.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.
    pos_label : int, str or bool, default=1
        The positive class.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    score : float

    Examples
    --------
    >>> from sklearn_wavefront.metrics import specificity_score
    >>> specificity_score([1, 0, 0, 0], [1, 1, 0, 0])
    0.6666666666666666
    """
    t, p = _binarize(y_true, y_pred, pos_label)
    return float(recall_score(t, p, pos_label=False, sample_weight=sample_weight, zero_division=0))


def macc_score(y_true, y_pred, *, pos_label=1, sample_weight=None):
    """MAcc = (sensitivity + specificity) / 2 for the positive class ``pos_label``.

    The score of the PhysioNet/CinC 2016 challenge (there with abnormal = 1, normal = -1).
    For two classes it equals the unweighted accuracy.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.
    pos_label : int, str or bool, default=1
        The positive class; all other labels are negative.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    score : float

    Examples
    --------
    >>> from sklearn_wavefront.metrics import macc_score
    >>> macc_score([1, 1, -1, -1, -1], [1, -1, -1, -1, 1])   # Se 1/2, Sp 2/3
    0.5833333333333333
    """
    se = sensitivity_score(y_true, y_pred, pos_label=pos_label, sample_weight=sample_weight)
    sp = specificity_score(y_true, y_pred, pos_label=pos_label, sample_weight=sample_weight)
    return (se + sp) / 2


ua_scorer = make_scorer(unweighted_accuracy_score)
"""Scorer for :func:`unweighted_accuracy_score` (greater is better)."""
uf1_scorer = make_scorer(unweighted_f1_score)
"""Scorer for :func:`unweighted_f1_score`."""
wf1_scorer = make_scorer(weighted_f1_score)
"""Scorer for :func:`weighted_f1_score`."""


def make_macc_scorer(pos_label=1):
    """Scorer for :func:`macc_score` with the positive class ``pos_label``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn_wavefront.metrics import make_macc_scorer
    >>> X, y = np.zeros((4, 1)), np.array([0, 1, 1, 1])
    >>> make_macc_scorer(pos_label=1)(DummyClassifier().fit(X, y), X, y)   # always predicts 1
    0.5
    """
    return make_scorer(macc_score, pos_label=pos_label)


def make_sensitivity_scorer(pos_label=1):
    """Scorer for :func:`sensitivity_score` with the positive class ``pos_label``."""
    return make_scorer(sensitivity_score, pos_label=pos_label)


def make_specificity_scorer(pos_label=1):
    """Scorer for :func:`specificity_score` with the positive class ``pos_label``."""
    return make_scorer(specificity_score, pos_label=pos_label)


def make_scorers(pos_label=None):
    """A dict of scorers for ``cross_validate(scoring=...)``.

    Parameters
    ----------
    pos_label : int, str, bool or None, default=None
        With ``None`` the dict holds ``"ua"``, ``"uf1"`` and ``"wf1"``. With a positive class it
        also holds ``"sensitivity"``, ``"specificity"`` and ``"macc"`` for that class.

    Returns
    -------
    scorers : dict of str to callable

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_validate
    >>> from sklearn_wavefront.metrics import make_scorers
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 20)
    >>> X = y[:, None] + 0.1 * rng.normal(size=(40, 2))
    >>> res = cross_validate(LogisticRegression(), X, y, cv=4, scoring=make_scorers(pos_label=1))
    >>> sorted(k for k in res if k.startswith("test_"))
    ['test_macc', 'test_sensitivity', 'test_specificity', 'test_ua', 'test_uf1', 'test_wf1']
    >>> float(res["test_macc"].mean())
    1.0
    """
    scorers = {"ua": ua_scorer, "uf1": uf1_scorer, "wf1": wf1_scorer}
    if pos_label is not None:
        scorers["sensitivity"] = make_sensitivity_scorer(pos_label)
        scorers["specificity"] = make_specificity_scorer(pos_label)
        scorers["macc"] = make_macc_scorer(pos_label)
    return scorers
