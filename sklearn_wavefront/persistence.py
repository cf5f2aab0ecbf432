"""Save and load fitted models with their settings: what ``wavefront fit`` writes and ``predict`` reads.

A :class:`WavefrontModel` bundles a fitted recording-level estimator (usually a
:class:`~sklearn_wavefront.segmenting.SegmentedClassifier`) with what is needed to use it on new
files: the class list, the sample rate the recordings are resampled to, the segmentation policy,
the settings it was trained with, and the versions of the packages that trained it.
:func:`save_model` writes it with :mod:`joblib`; :func:`load_model` reads it back and checks it.

.. warning::

   **Loading a model runs code.** joblib files are pickles: unpickling can execute arbitrary
   Python code chosen by whoever wrote the file. Only load model files you made yourself or
   received from someone you trust, by a channel you trust.
"""

from __future__ import annotations

import os
import platform
import time

import numpy as np

__all__ = ["WavefrontModel", "save_model", "load_model"]

#: Format of the saved file; bumped when the layout of :class:`WavefrontModel` changes.
FORMAT_VERSION = 1


def package_versions() -> dict:
    """Versions of the packages a saved model depends on (``None`` for one that is not installed)."""
    from importlib import metadata

    from . import __version__

    # this package's own version from the package itself: also known when it runs from a source tree
    # (on sys.path, not installed), where the distribution metadata is missing
    versions = {"python": platform.python_version(), "sklearn-wavefront": __version__}
    for dist in ("torch", "scikit-learn", "skorch", "numpy", "scipy", "joblib"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return versions


class WavefrontModel:
    """A fitted recording-level classifier with its settings and provenance.

    Parameters
    ----------
    estimator : fitted classifier
        Takes a list of 1-D recordings at ``sample_rate`` Hz (any lengths) and has ``predict`` and
        ``predict_proba`` (a :class:`~sklearn_wavefront.segmenting.SegmentedClassifier`).
    sample_rate : int
        Every recording is resampled to this rate before ``estimator`` sees it.
    settings : dict, default=None
        How the model was trained (model name, kind, segment and hop seconds, epochs, ...).
    filter_history : ndarray of shape (n_records, n_filters) or None, default=None
        Centre frequencies (comb: f0) of the front-end before training (row 0) and after every
        epoch, when they were recorded.
    command : list of str or None, default=None
        The command line that trained the model.

    Attributes
    ----------
    classes_ : ndarray
        The class labels; the columns of ``predict_proba`` follow this order.
    versions : dict
        Package versions at training time (:func:`package_versions`).
    created : str
        UTC time of creation, ISO 8601.
    format_version : int

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn_wavefront.persistence import WavefrontModel
    >>> clf = DummyClassifier().fit(np.zeros((4, 1)), ["a", "b", "b", "b"])
    >>> model = WavefrontModel(clf, sample_rate=8000, settings={"model": "dummy"})
    >>> model.classes_.tolist(), model.sample_rate
    (['a', 'b'], 8000)
    """

    def __init__(self, estimator, sample_rate, settings=None, filter_history=None, command=None):
        self.estimator = estimator
        self.sample_rate = int(sample_rate)
        self.settings = dict(settings or {})
        self.filter_history = None if filter_history is None else np.asarray(filter_history, dtype=np.float64)
        self.command = None if command is None else [str(a) for a in command]
        self.classes_ = np.asarray(estimator.classes_)
        self.versions = package_versions()
        self.created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.format_version = FORMAT_VERSION

    def predict_proba(self, recordings):
        """Class probabilities of recordings already at ``sample_rate`` (rows sum to 1)."""
        return np.asarray(self.estimator.predict_proba(recordings))

    def predict(self, recordings):
        """Labels of recordings already at ``sample_rate``."""
        return np.asarray(self.estimator.predict(recordings))

    def describe(self) -> str:
        """A few lines saying what the model is, how it was trained and with which versions."""
        s = self.settings
        lines = [
            f"model: {s.get('model', '?')} ({s.get('kind', '?')}), classes {self.classes_.tolist()}",
            f"sample rate: {self.sample_rate} Hz; segments of {_num(s.get('segment_seconds'))} s, "
            f"hop {_num(s.get('hop_seconds'))} s, decision per recording by {s.get('aggregate', '?')}",
            f"trained {self.created} on {s.get('n_recordings', '?')} recordings"
            + (f" from {s['data']}" if s.get("data") else ""),
            "versions: " + ", ".join(f"{k} {v}" for k, v in self.versions.items() if v is not None),
        ]
        return "\n".join(lines)

    def __repr__(self):
        return (f"WavefrontModel({type(self.estimator).__name__}, classes={self.classes_.tolist()!r}, "
                f"sample_rate={self.sample_rate})")


def _num(value):
    return "?" if value is None else f"{value:.6g}"


def save_model(model, path):
    """Write a :class:`WavefrontModel` to ``path`` with :func:`joblib.dump` (compressed).

    The file is written to a temporary name in the same folder and renamed, so an interrupted
    save never leaves a truncated model under ``path``.

    Parameters
    ----------
    model : WavefrontModel
    path : str or path-like
    """
    import joblib

    if not isinstance(model, WavefrontModel):
        raise TypeError(f"save_model needs a WavefrontModel, got {type(model).__name__}")
    path = os.fspath(path)
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        joblib.dump(model, tmp, compress=3)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load_model(path):
    """Read a model written by :func:`save_model` (or ``wavefront fit``).

    .. warning:: This unpickles the file, which **runs code** from it: load only trusted files.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    model : WavefrontModel

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a joblib file, not a :class:`WavefrontModel`, or of a newer format.
    """
    import joblib

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"model file not found: {path}")
    try:
        model = joblib.load(path)
    except Exception as exc:  # noqa: BLE001 - pickle raises many kinds of error on a foreign file
        raise ValueError(
            f"{path} is not a model file written by wavefront fit ({type(exc).__name__}: {exc})"
        ) from exc
    if not isinstance(model, WavefrontModel):
        raise ValueError(f"{path} holds a {type(model).__name__}, not a model written by wavefront fit")
    if getattr(model, "format_version", None) != FORMAT_VERSION:
        raise ValueError(
            f"{path} has model format {getattr(model, 'format_version', None)!r}; this version of "
            f"sklearn_wavefront reads format {FORMAT_VERSION}"
        )
    return model

