"""Exceptions and warnings of sklearn_wavefront (as :mod:`sklearn.exceptions` is for scikit-learn)."""

from __future__ import annotations

__all__ = ["TrainingDivergedError", "EmptyFilterWarning", "InputError", "Interrupted"]


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


class InputError(ValueError):
    """Bad data or options given to :func:`sklearn_wavefront.compare` or
    :func:`sklearn_wavefront.training.train_model`: a missing file or column, too few recordings or
    groups for the folds, an out-of-range value. The message is one sentence naming the parameter
    (or file) and the value; the ``wavefront`` command prints it as one line and exits with code 2.
    """


class Interrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C (SIGINT), saying what it kept.

    A :class:`KeyboardInterrupt`, so code that lets Ctrl-C through still does; the message says
    where the finished part is (e.g. :func:`sklearn_wavefront.compare`'s ``results.partial.jsonl``)
    and :attr:`kept` holds that path (``None`` when nothing was kept).
    """

    def __init__(self, message, kept=None):
        super().__init__(message)
        self.kept = kept
