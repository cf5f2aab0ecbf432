"""Is a row better than a baseline beyond the noise over folds? The corrected resampled t-test.

Fold scores of two models measured on the same K folds are paired: the difference ``d_k`` per
fold removes what is common to both (an easy or a hard fold). Their mean over folds estimates
the margin; its spread says how far to trust it. The folds' training parts overlap, so the
``d_k`` are correlated and the plain paired t-test is too eager. Nadeau and Bengio (2003,
"Inference for the generalization error", Machine Learning 52:239-281) correct the variance of
the mean by the ratio of test to training size:

.. math::

    t = \\frac{\\bar d}{\\sqrt{\\left(\\frac{1}{K} + \\frac{n_\\mathrm{test}}{n_\\mathrm{train}}\\right) s_d^2}},
    \\qquad s_d^2 = \\frac{1}{K-1} \\sum_k (d_k - \\bar d)^2,

compared with Student's t with ``K - 1`` degrees of freedom (two-sided). For K-fold
cross-validation ``n_test / n_train = 1 / (K - 1)``. Bouckaert and Frank (2004) found this test
to keep its nominal type-I error where the uncorrected one does not; with 3-5 folds it has little
power, which is the honest answer: a margin is called only when the folds agree.

:func:`paired_difference` gives the statistic for one pair of rows; :func:`verdict` the word
shown in ``wavefront compare``'s table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["PairedDifference", "paired_difference", "verdict", "VERDICTS", "ALPHA"]

#: the two-sided level below which a margin is called (better / worse)
ALPHA = 0.05
#: the words of :func:`verdict`
VERDICTS = ("better", "within noise", "worse")


@dataclass(frozen=True)
class PairedDifference:
    """The per-fold differences of two rows and the corrected resampled t-test on them.

    Attributes
    ----------
    mean, std : float
        Mean and standard deviation (``ddof=1``) of ``a_k - b_k`` over the folds.
    n_folds : int
    t : float
        The corrected statistic (``nan`` with fewer than two folds; ``±inf`` when every fold
        differs by the same nonzero amount).
    p_value : float
        Two-sided, Student's t with ``n_folds - 1`` degrees of freedom (``nan`` with fewer than two
        folds, or with two folds that differ by the same amount).
    test_train_ratio : float
        ``n_test / n_train`` used in the correction.
    """

    mean: float
    std: float
    n_folds: int
    t: float
    p_value: float
    test_train_ratio: float


def paired_difference(a, b, test_train_ratio=None):
    """The corrected resampled t-test of fold scores ``a`` against ``b`` (same folds, same order).

    Parameters
    ----------
    a, b : array-like of shape (n_folds,)
        Scores per fold; folds where either is NaN are left out.
    test_train_ratio : float or None
        ``n_test / n_train``; ``None``: ``1 / (n_folds - 1)``, as in K-fold cross-validation.

    Returns
    -------
    PairedDifference

    Examples
    --------
    >>> from sklearn_wavefront.verdict import paired_difference
    >>> d = paired_difference([0.80, 0.85, 0.90], [0.70, 0.80, 0.78])
    >>> round(d.mean, 4), round(d.std, 4), round(d.t, 3), round(d.p_value, 3)
    (0.09, 0.0361, 2.734, 0.112)
    """
    from scipy import stats

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"a and b must be 1-D fold scores of one length, got shapes {a.shape} and {b.shape}")
    keep = ~(np.isnan(a) | np.isnan(b))
    d = a[keep] - b[keep]
    k = int(d.size)
    if test_train_ratio is None:
        test_train_ratio = 1.0 / (k - 1) if k > 1 else math.nan
    mean = float(d.mean()) if k else math.nan
    std = float(d.std(ddof=1)) if k > 1 else math.nan
    if k < 2:
        t, p = math.nan, math.nan
    elif std == 0.0:
        # every fold moved by the same amount: certain with three folds or more; with two, the same
        # margin twice (one test item on small folds) is no evidence of a spread the test can judge
        t = math.copysign(math.inf, mean) if mean != 0 else math.nan
        p = 1.0 if mean == 0 else (0.0 if k >= 3 else math.nan)
    else:
        t = mean / math.sqrt((1.0 / k + test_train_ratio) * std**2)
        p = float(2 * stats.t.sf(abs(t), df=k - 1))
    return PairedDifference(mean=mean, std=std, n_folds=k, t=float(t), p_value=float(p),
                            test_train_ratio=float(test_train_ratio))


def verdict(difference, alpha=ALPHA):
    """``"better"``, ``"worse"`` (a margin beyond the noise at level ``alpha``) or ``"within noise"``.

    Examples
    --------
    >>> from sklearn_wavefront.verdict import paired_difference, verdict
    >>> verdict(paired_difference([0.9, 0.92, 0.95, 0.91, 0.93], [0.7, 0.72, 0.71, 0.74, 0.7]))
    'better'
    >>> verdict(paired_difference([0.80, 0.85, 0.90], [0.70, 0.80, 0.78]))
    'within noise'
    """
    if not (difference.p_value < alpha):  # NaN (too few folds) is no evidence either way
        return "within noise"
    return "better" if difference.mean > 0 else "worse"
