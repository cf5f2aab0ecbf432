"""The inner hold-out of early stopping, shared by the end-to-end classifiers and the learned front-ends.

One rule, one function (:func:`holdout_indices`): hold out ``fraction`` of the training samples -- or,
when ``groups`` are given, of the groups, whole groups on one side -- stratified by class when both
sides can hold every class (:func:`can_stratify`; a group counts with its most frequent class),
otherwise a plain random split. The draws come from ``random_state`` alone (scikit-learn's
``StratifiedShuffleSplit`` / ``ShuffleSplit``).
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit


def can_stratify(y, fraction) -> bool:
    """Whether a stratified split of ``y`` with ``test_size=fraction`` holds every class on both sides.

    Every class needs at least 2 members, and each side at least as many members as there are
    classes (the held-out side has ``ceil(fraction * len(y))``, as scikit-learn counts it).
    """
    if y is None or len(y) < 2:
        return False
    counts = np.unique(y, return_counts=True)[1]
    n, n_classes = len(y), len(counts)
    n_test = int(np.ceil(fraction * n))
    n_train = n - n_test
    return bool(counts.min() >= 2 and n_test >= n_classes and n_train >= n_classes)


def _majority_labels(y, codes, n_groups):
    """The most frequent label of each group (ties: the smallest label)."""
    group_y = np.empty(n_groups, dtype=y.dtype)
    for g in range(n_groups):
        vals, counts = np.unique(y[codes == g], return_counts=True)
        group_y[g] = vals[np.argmax(counts)]
    return group_y


def holdout_indices(n_samples, fraction, *, y=None, groups=None, random_state=None, what="samples"):
    """Indices ``(train, valid)`` of the early-stopping hold-out of ``n_samples`` samples.

    Parameters
    ----------
    n_samples : int
        Number of training samples.
    fraction : float in (0, 1)
        Share held out: ``ceil(fraction * n)`` of the ``n`` samples (or groups) go to ``valid``.
    y : array-like of shape (n_samples,) or None
        Labels, for stratification (see :func:`can_stratify`); ``None``: a plain random split.
    groups : array-like of shape (n_samples,) or None
        Group of each sample: whole groups are held out (no group on both sides), stratified by
        each group's most frequent label under the same condition, counted in groups.
    random_state : int, RandomState instance or None
        Seeds the split.
    what : str, default="samples"
        What the samples are, for messages (e.g. ``"recordings"``).

    Returns
    -------
    train, valid : ndarray of int
        With ``groups``, each sorted; without, in the order the splitter draws them.

    Raises
    ------
    ValueError
        ``groups`` or ``y`` of the wrong length; fewer than 2 distinct groups; or so few samples
        (groups) that holding out ``fraction`` of them leaves none to train on.
    """
    y = None if y is None else np.asarray(y)
    if y is not None and len(y) != n_samples:
        raise ValueError(f"y has {len(y)} entries but there are {n_samples} training {what}")
    if groups is None:
        _check_sizes(n_samples, fraction, what)
        ids = np.arange(n_samples)
        if can_stratify(y, fraction):
            splitter = StratifiedShuffleSplit(n_splits=1, test_size=fraction, random_state=random_state)
            return next(splitter.split(ids, y))
        splitter = ShuffleSplit(n_splits=1, test_size=fraction, random_state=random_state)
        return next(splitter.split(ids))
    groups = np.asarray(groups)
    if len(groups) != n_samples:
        raise ValueError(f"groups has {len(groups)} entries but there are {n_samples} training {what}")
    uniques, codes = np.unique(groups, return_inverse=True)
    codes = codes.reshape(-1)
    if len(uniques) < 2:
        raise ValueError(
            "early_stopping with groups needs at least 2 distinct groups to hold one out for "
            f"validation, got {len(uniques)}"
        )
    _check_sizes(len(uniques), fraction, "groups")
    group_ids = np.arange(len(uniques))
    group_y = None if y is None else _majority_labels(y, codes, len(uniques))
    if can_stratify(group_y, fraction):
        splitter = StratifiedShuffleSplit(n_splits=1, test_size=fraction, random_state=random_state)
        train_g, valid_g = next(splitter.split(group_ids, group_y))
    else:
        splitter = ShuffleSplit(n_splits=1, test_size=fraction, random_state=random_state)
        train_g, valid_g = next(splitter.split(group_ids))
    return np.flatnonzero(np.isin(codes, train_g)), np.flatnonzero(np.isin(codes, valid_g))


def _check_sizes(n, fraction, what):
    """Holding out ``ceil(fraction * n)`` of ``n`` must leave at least one to train on."""
    n_valid = math.ceil(fraction * n)  # scikit-learn's count of the held-out side
    if n - n_valid < 1:
        raise ValueError(
            f"early_stopping holds out validation_fraction={fraction!r} of the {n} training {what}: "
            f"{n_valid} held out leaves none to train on. Lower validation_fraction, give more {what}, "
            "or set early_stopping=False"
        )
