"""Exceptions and warnings of sklearn_wavefront (as :mod:`sklearn.exceptions` is for scikit-learn)."""

from __future__ import annotations

__all__ = ["TrainingDivergedError", "EmptyFilterWarning"]


class TrainingDivergedError(ValueError):
    """Training produced a non-finite loss or non-finite parameters and was stopped.

    Raised by the front-ends' supervised ``fit(X, y)`` and by the skorch classifiers instead of
    returning a model whose weights (and so every prediction) are NaN. The message names the
    estimator, the epoch and batch, and the likely causes (a learning rate too large for the
    problem, or inputs of an extreme scale). A subclass of :class:`ValueError`, so
    ``GridSearchCV(error_score=np.nan)`` scores such a candidate as failed and goes on.
    """


class EmptyFilterWarning(UserWarning):
    """A fixed filterbank has filters that pass nothing (e.g. mel bands narrower than the STFT bin
    spacing), so their features are constant for every input."""
