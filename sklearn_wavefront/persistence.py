"""Save and load fitted models with their settings: what ``wavefront fit`` writes and ``predict`` reads.

A :class:`WavefrontModel` bundles a fitted recording-level estimator (usually a
:class:`~sklearn_wavefront.segmenting.SegmentedClassifier`) with what is needed to use it on new
files: the class list, the sample rate the recordings are resampled to, the segmentation policy,
the settings it was trained with, and the versions of the packages that trained it.
:func:`save_model` writes it in one of two formats, chosen by the file name:

``model.skops`` (safe, needs the optional ``skops`` package: ``pip install sklearn-wavefront[safe]``)
    The model as plain data, no pickle: containers, numbers, strings and numeric arrays (the
    torch parameters as arrays), written with :func:`skops.io.dump`. :func:`load_model` reads it
    with :func:`skops.io.load` trusting no type beyond skops's defaults, refuses a file holding
    any other type (naming it), and rebuilds the estimators from an allow-list of classes of this
    package, scikit-learn, skorch and torch (:mod:`sklearn_wavefront._plainstate`): **loading it
    runs no code chosen by the file's author**. Models holding something that has no plain form
    (a function, a ``RandomState``, a class outside the allow-list) cannot be saved this way.

any other name, e.g. ``model.joblib``
    A compressed :mod:`joblib` pickle of the whole object: any model can be saved.

.. warning::

   **Loading a joblib model runs code.** joblib files are pickles: unpickling can execute arbitrary
   Python code chosen by whoever wrote the file. Only load ``.joblib`` files you made yourself or
   received from someone you trust, by a channel you trust; prefer ``.skops`` for models you share.

On load (either format) the versions of sklearn_wavefront, scikit-learn, torch and skorch recorded
in the file are compared with the installed ones; a :class:`ModelVersionWarning` names both when
they differ. A file of a newer format than this code knows is refused with a ``ValueError``.
"""

from __future__ import annotations

import os
import platform
import time
import warnings

import numpy as np

__all__ = ["WavefrontModel", "save_model", "load_model", "check_versions", "package_versions", "ModelVersionWarning",
           "SAFE_EXTENSION", "input_coverage", "SILENCE_THRESHOLD", "MAX_PADDING_FRACTION", "MIN_CONTENT_FRACTION"]

#: Format of the saved file; bumped when the layout of :class:`WavefrontModel` changes.
FORMAT_VERSION = 1

#: The file extension that selects the safe (plain-data, skops) format.
SAFE_EXTENSION = ".skops"

#: Marks a skops file as a wavefront model (its top-level ``"format"`` entry).
_SAFE_FORMAT_NAME = "sklearn_wavefront.WavefrontModel"

#: Packages whose versions are compared on load (their changes can change predictions or break loading).
CHECKED_VERSIONS = ("sklearn-wavefront", "scikit-learn", "torch", "skorch")


class ModelVersionWarning(UserWarning):
    """A model file was saved with other versions of the packages that run it than the installed ones."""


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
        """A few lines saying what the model is: its recipe, how it was trained (settings, length
        policy), its cross-validated score and where that comes from, and the package versions.

        Models saved before the recipe, the settings or the score were recorded leave those lines
        out (or say the score was not recorded).

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.dummy import DummyClassifier
        >>> from sklearn_wavefront.persistence import WavefrontModel
        >>> clf = DummyClassifier().fit(np.zeros((4, 1)), ["a", "b", "b", "b"])
        >>> settings = {"model": "mel", "kind": "fixed", "n_filters": 16, "random_state": 0,
        ...             "cv_score": {"source": "inner-cv", "ua_mean": 0.75, "ua_std": 0.05, "n_folds": 3,
        ...                          "ua_folds": [0.7, 0.75, 0.8], "grouping": "stratified"}}
        >>> print(WavefrontModel(clf, 8000, settings=settings).describe().splitlines()[0])
        model: mel (fixed), classes ['a', 'b']
        >>> [line for line in WavefrontModel(clf, 8000, settings=settings).describe().splitlines()
        ...  if line.startswith("cv score")]
        ['cv score: UA 0.750 ± 0.050 over 3 stratified folds (per fold 0.700, 0.750, 0.800), from an inner cross-validation of the training recordings']
        """
        s = self.settings
        recipe = s.get("recipe") or {}
        lines = [f"model: {s.get('model', '?')} ({s.get('kind', '?')}), classes {self.classes_.tolist()}"]
        if recipe:
            built = recipe.get("built_as")
            lines.append(f"recipe: {recipe.get('model')} {recipe.get('kind')}"
                         + (f", built as the {built} recipe" if built and built != recipe.get("kind") else "")
                         + (f" ({recipe['note']})" if recipe.get("note") else ""))
        lines.append(f"sample rate: {self.sample_rate} Hz; segments of {_num(s.get('segment_seconds'))} s, "
                     f"hop {_num(s.get('hop_seconds'))} s, decision per recording by {s.get('aggregate', '?')}")
        policy = s.get("length_policy")
        if isinstance(policy, dict) and policy.get("message"):
            lines.append(f"length policy: {policy['message']}")
        shown = [f"{name} {_setting(s[name])}" for name in _SETTINGS_SHOWN
                 if s.get(name) is not None and s.get(name) is not False]
        if shown:
            lines.append("settings: " + ", ".join(shown))
        if s.get("choice"):  # the kind auto: what its search chose on the training recordings
            from .comparison import choice_text

            lines.append(f"chose: {choice_text(s['choice'])}, of {s['choice'].get('n_candidates', '?')} candidates"
                         + (f" ({s['choice']['note']})" if s["choice"].get("note") else ""))
        if "cv_score" in s:
            lines.append(f"cv score: {_cv_text(s['cv_score'])}")
        elif recipe or shown:
            lines.append("cv score: not recorded")
        lines += [
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


#: the settings :meth:`WavefrontModel.describe` lists, in this order, when the model records them
_SETTINGS_SHOWN = ("n_filters", "epochs", "batch_size", "lr", "backend", "balance", "temporal_features",
                   "penalty_groups", "budget", "early_stopping", "duration", "max_duration", "random_state", "device",
                   "from_results")


def _setting(value):
    return f"{value:g}" if isinstance(value, float) else str(value)


def _cv_text(cv):
    """The cross-validated score of a model's settings, with its source, in one line."""
    if not isinstance(cv, dict) or cv.get("source") is None:
        return "not estimated"
    n = cv.get("n_folds", "?")
    if cv.get("ua_mean") is None:
        return f"none (training diverged in {cv.get('n_diverged', '?')} of {n} folds)"
    folds = [f for f in cv.get("ua_folds") or [] if f is not None]
    text = (f"UA {cv['ua_mean']:.3f} ± {cv.get('ua_std') or 0:.3f} over {n} "
            f"{(cv.get('grouping') or '') + ' ' if cv.get('grouping') else ''}folds"
            + (f" (per fold {', '.join(f'{f:.3f}' for f in folds)})" if folds else ""))
    if cv["source"] == "compare":
        text += f", from wavefront compare ({cv.get('results', '?')}) on {cv.get('data_description') or cv.get('data') or '?'}"
        if cv.get("verdict"):
            text += f"; against the best baseline ({cv.get('best_baseline')}): {cv['verdict']}"
    elif cv["source"] == "inner-cv":
        text += ", from an inner cross-validation of the training recordings"
    return text


def save_model(model, path, *, protect=()):
    """Write a :class:`WavefrontModel` to ``path``; the format follows the file name.

    ``*.skops``: the safe plain-data format (needs ``skops``; see the module docstring);
    any other name: a compressed :func:`joblib.dump` pickle. The file is written to a temporary name
    in the same folder, synced and renamed (:func:`~sklearn_wavefront._csv.atomic_write`), so an
    interrupted save never leaves a truncated model under ``path``.

    Parameters
    ----------
    model : WavefrontModel
    path : str or path-like
    protect : iterable of paths, default=()
        Files ``path`` must not replace (the training's inputs): a ``ValueError`` if it is one.

    Raises
    ------
    TypeError
        If ``model`` is not a :class:`WavefrontModel`.
    ImportError
        If ``path`` ends in ``.skops`` and skops is not installed.
    ValueError
        If ``path`` ends in ``.skops`` and the model holds something with no plain form (the message
        names it; save it as ``.joblib`` instead).
    """
    import joblib

    if not isinstance(model, WavefrontModel):
        raise TypeError(f"save_model needs a WavefrontModel, got {type(model).__name__}")
    path = os.fspath(path)
    safe = _is_safe_name(path)
    if safe:
        sio = _skops(path)
        from ._plainstate import PlainStateError, to_plain

        try:
            plain = {
                "format": _SAFE_FORMAT_NAME,
                "format_version": FORMAT_VERSION,
                "versions": to_plain(model.versions, "versions"),
                "model": to_plain(model, "model"),
            }
        except PlainStateError as exc:
            raise ValueError(
                f"cannot save this model in the safe {SAFE_EXTENSION} format: {exc}. Save it as .joblib "
                "instead (a pickle: only load it where you trust the file)"
            ) from exc
    from ._csv import atomic_write

    with atomic_write(path, "wb", protect=protect) as f:  # never a truncated model under `path`, even on Ctrl-C
        if safe:
            import zipfile

            sio.dump(plain, f, compression=zipfile.ZIP_DEFLATED)
        else:
            joblib.dump(model, f, compress=3)


def _is_safe_name(path) -> bool:
    return os.fspath(path).lower().endswith(SAFE_EXTENSION)


def _skops(path):
    try:
        import skops.io as sio
    except ImportError as exc:
        raise ImportError(
            f"{path}: the safe {SAFE_EXTENSION} model format needs the skops package "
            "(pip install skops, or pip install sklearn-wavefront[safe])"
        ) from exc
    return sio


def _is_zip(path) -> bool:
    with open(path, "rb") as f:
        return f.read(4) == b"PK\x03\x04"


def load_model(path, *, allow_pickle=True):
    """Read a model written by :func:`save_model` (or ``wavefront fit``).

    A ``.skops`` file (or any zip file, whatever its name) is read in the safe format: no code
    from the file runs. Any other file is unpickled with joblib.

    .. warning:: Unpickling a joblib file **runs code** from it: load only trusted files, or pass
       ``allow_pickle=False`` to refuse them.

    Parameters
    ----------
    path : str or path-like
    allow_pickle : bool, default=True
        ``False`` refuses any file that is not in the safe format, before reading it.

    Returns
    -------
    model : WavefrontModel

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the path is not a regular file (a folder, a named pipe, a device: refused before it is
        opened), the file is not a model file, holds a type the safe format does not allow (the message
        names it), is a pickle while ``allow_pickle=False``, or is of a newer format than this code
        reads.

    Warns
    -----
    ModelVersionWarning
        When the versions of sklearn_wavefront, scikit-learn, torch or skorch recorded in the file
        differ from the installed ones (the message lists saved and installed versions).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        if os.path.exists(path):  # a folder, a named pipe (opening it would block), a device
            raise ValueError(f"model file {path} is not a regular file")
        raise FileNotFoundError(f"model file not found: {path}")
    if _is_safe_name(path) or _is_zip(path):
        model, versions, format_version = _load_safe(path)
    else:
        if not allow_pickle:
            raise ValueError(
                f"{path} is not a safe {SAFE_EXTENSION} model file but (presumably) a joblib pickle, and "
                "loading a pickle runs code from the file; it was refused (allow_pickle=False)"
            )
        model = _load_joblib(path)
        versions, format_version = getattr(model, "versions", None), getattr(model, "format_version", None)
    _check_format_version(path, format_version)
    check_versions(versions, path)
    return model


def _load_joblib(path):
    import joblib

    try:
        model = joblib.load(path)
    except Exception as exc:  # noqa: BLE001 - pickle raises many kinds of error on a foreign file
        raise ValueError(
            f"{path} is not a model file written by wavefront fit ({type(exc).__name__}: {exc})"
        ) from exc
    if not isinstance(model, WavefrontModel):
        raise ValueError(f"{path} holds a {type(model).__name__}, not a model written by wavefront fit")
    return model


def _load_safe(path):
    sio = _skops(path)
    from ._plainstate import PlainStateError, from_plain

    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # noqa: BLE001 - a foreign or damaged zip fails in many ways
        raise ValueError(f"{path} is not a {SAFE_EXTENSION} model file ({type(exc).__name__}: {exc})") from exc
    untrusted = sorted(set(untrusted) | set(_types_beyond_plain(path)))
    if untrusted:
        raise ValueError(
            f"{path} holds types that a safe wavefront model file never contains: {', '.join(untrusted)}; "
            "it was not loaded (loading them could run code from the file)"
        )
    try:
        plain = sio.load(path, trusted=[])
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"{path} is not a {SAFE_EXTENSION} model file ({type(exc).__name__}: {exc})") from exc
    if type(plain) is not dict or plain.get("format") != _SAFE_FORMAT_NAME:
        raise ValueError(f"{path} is a skops file but not a model written by wavefront fit")
    format_version = plain.get("format_version")
    _check_format_version(path, format_version)  # before rebuilding anything of a newer layout
    try:
        versions = from_plain(plain.get("versions"), "versions")
        model = from_plain(plain.get("model"), "model")
    except PlainStateError as exc:
        raise ValueError(f"{path}: {exc}") from exc
    if not isinstance(model, WavefrontModel):
        raise ValueError(f"{path} holds a {type(model).__name__}, not a model written by wavefront fit")
    return model, versions, format_version


#: The only (module, class) pairs a safe model file's skops schema may name: plain containers,
#: JSON values and numeric numpy arrays (skops reads those with ``numpy.load(allow_pickle=False)``).
_PLAIN_SCHEMA_TYPES = {
    ("builtins", "dict"), ("builtins", "list"), ("builtins", "tuple"), ("builtins", "str"), ("builtins", "int"),
    ("builtins", "float"), ("builtins", "bool"), ("builtins", "NoneType"), ("numpy", "ndarray"),
}


def _types_beyond_plain(path):
    """Types named in the skops schema that are not plain (stricter than skops's default trust,
    which also admits scikit-learn estimators and numpy/scipy functions)."""
    import json
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            schema = json.loads(z.read("schema.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path} is not a {SAFE_EXTENSION} model file ({type(exc).__name__}: {exc})") from exc
    found, stack = set(), [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__module__" in node and "__class__" in node:
                pair = (str(node["__module__"]), str(node["__class__"]))
                if pair not in _PLAIN_SCHEMA_TYPES:
                    found.add(".".join(pair))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _check_format_version(path, format_version):
    if isinstance(format_version, bool) or not isinstance(format_version, int):
        raise ValueError(f"{path} records no valid model format version ({format_version!r}); it is not a "
                         "model written by wavefront fit")
    if format_version > FORMAT_VERSION:
        raise ValueError(
            f"{path} has model format {format_version}, newer than the format {FORMAT_VERSION} this version "
            "of sklearn_wavefront reads; upgrade sklearn_wavefront to load it"
        )
    if format_version < 1:
        raise ValueError(f"{path} has model format {format_version}; this version of sklearn_wavefront reads "
                         f"format {FORMAT_VERSION}")


def check_versions(saved, path="the model"):
    """Warn (:class:`ModelVersionWarning`) when the package versions in ``saved`` differ from the
    installed ones, for the packages in :data:`CHECKED_VERSIONS`; return the differences as
    ``{package: (saved, installed)}``.

    Examples
    --------
    >>> import warnings
    >>> from sklearn_wavefront.persistence import check_versions, package_versions
    >>> check_versions(package_versions())
    {}
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     diff = check_versions({**package_versions(), "torch": "0.1.0"}, "m.skops")
    >>> sorted(diff), "torch 0.1.0" in str(w[0].message)
    (['torch'], True)
    """
    if not isinstance(saved, dict):
        saved = {}
    installed = package_versions()
    diff = {name: (saved.get(name), installed.get(name)) for name in CHECKED_VERSIONS
            if saved.get(name) != installed.get(name)}
    if diff:
        was = ", ".join(f"{n} {s if s is not None else '(unknown)'}" for n, (s, _) in diff.items())
        now = ", ".join(f"{n} {i if i is not None else '(not installed)'}" for n, (_, i) in diff.items())
        warnings.warn(
            f"{path} was saved with {was}; installed here: {now}. The model may predict differently or fail; "
            "install the saved versions, or train it again (wavefront fit) with these",
            ModelVersionWarning,
            stacklevel=3,
        )
    return diff


# ------------------------------------------------------------------------------ near-empty inputs
#: A sample counts as silence when its magnitude is at most this (-80 dBFS for audio in [-1, 1],
#: as :func:`~sklearn_wavefront.datasets.read_audio` returns it; below 16-bit PCM's smallest step, 3e-5, x 3).
SILENCE_THRESHOLD = 1e-4
#: A recording is flagged when more than this fraction of the model's input is padding ...
MAX_PADDING_FRACTION = 0.9
#: ... or when less than this fraction of the model's input is sound (not silence, not zero padding).
MIN_CONTENT_FRACTION = 0.1


def input_coverage(model, recordings, *, silence_threshold=SILENCE_THRESHOLD,
                   max_padding=MAX_PADDING_FRACTION, min_content=MIN_CONTENT_FRACTION):
    """How much of the model's input each recording actually fills: flags near-empty recordings.

    A :class:`~sklearn_wavefront.segmenting.SegmentedClassifier` pads a recording shorter than one
    segment up to the segment length, so a 1-sample file, a 10 ms click or an all-zero file still
    gets confident-looking probabilities (p = 0.99999) computed almost entirely from zeros. This
    says, per recording, what fraction of the model's input (all its segments, exactly as
    ``predict_proba`` builds them) is padding and what fraction is sound, and flags the recordings
    whose output means little.

    Parameters
    ----------
    model : WavefrontModel or fitted SegmentedClassifier
        Another estimator is taken to see each recording as it is (no padding).
    recordings : list of 1-D array-like
        At the model's sample rate (as for ``model.predict_proba``).
    silence_threshold : float, default=SILENCE_THRESHOLD (1e-4)
        Samples of magnitude at most this count as silence.
    max_padding, min_content : float, default=0.9, 0.1
        The flag rule: a recording is flagged when ``padding_fraction > max_padding`` or
        ``content_fraction < min_content`` (an all-zero or all-silent recording has
        ``content_fraction == 0``). These are the thresholds ``wavefront predict`` should use.

    Returns
    -------
    coverage : :class:`~sklearn.utils.Bunch`
        ``n_samples`` (int array: the recording's samples), ``input_samples`` (int array: samples of
        the model's input, all segments together), ``padding_fraction`` (float array: the share of
        the input that is not the recording's own samples: zeros, or repeats with ``pad="wrap"``),
        ``content_fraction`` (float array: the share of the input above ``silence_threshold``;
        zero padding counts as silence), ``flagged`` (bool array) and ``reasons`` (list of str:
        why a recording is flagged, ``""`` when it is not).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn_wavefront.segmenting import SegmentedClassifier
    >>> from sklearn_wavefront.persistence import WavefrontModel, input_coverage
    >>> rng = np.random.default_rng(0)
    >>> X, y = [rng.normal(size=800) * 0.1 for _ in range(4)], [0, 1, 0, 1]
    >>> seg = SegmentedClassifier(DummyClassifier(), segment_seconds=0.1, sample_rate=8000).fit(X, y)
    >>> model = WavefrontModel(seg, sample_rate=8000)
    >>> cov = input_coverage(model, [X[0], X[0][:1], np.zeros(800)])
    >>> cov.padding_fraction.round(4).tolist(), cov.content_fraction.round(4).tolist()
    ([0.0, 0.9988, 0.0], [1.0, 0.0012, 0.0])
    >>> cov.flagged.tolist()
    [False, True, True]
    >>> cov.reasons[2]
    'all 800 samples are silence (|x| <= 0.0001)'
    """
    from sklearn.utils import Bunch

    from .segmenting import _as_recordings, segment_signals

    estimator = model.estimator if isinstance(model, WavefrontModel) else model
    recordings = _as_recordings(recordings)
    seg_len = getattr(estimator, "segment_length_", None)
    hop = getattr(estimator, "hop_length_", None)
    pad = getattr(estimator, "pad", "constant")
    n = len(recordings)
    n_samples = np.array([len(r) for r in recordings], dtype=np.int64)
    input_samples = np.zeros(n, dtype=np.int64)
    padding = np.zeros(n)
    content = np.zeros(n)
    for i, rec in enumerate(recordings):
        loud = (np.abs(np.asarray(rec, dtype=np.float64)) > silence_threshold).astype(np.float64)
        if seg_len is None:
            input_samples[i], content[i] = len(rec), loud.mean()
            continue
        # the segments predict_proba builds, of a mask of the recording's own samples and of its sound
        own, _ = segment_signals([np.ones(len(rec))], seg_len, hop, pad="constant")
        sound, _ = segment_signals([loud], seg_len, hop, pad=pad)
        input_samples[i] = own.size
        padding[i] = 1.0 - own.mean()
        content[i] = sound.mean()
    flagged = (padding > max_padding) | (content < min_content)
    reasons = []
    for i in range(n):
        why = []
        if content[i] == 0 and not np.any(np.abs(recordings[i]) > silence_threshold):
            why.append(f"all {n_samples[i]} samples are silence (|x| <= {silence_threshold:g})")
        elif content[i] < min_content:
            why.append(f"only {100 * content[i]:.3g} % of the model's input is sound (|x| > {silence_threshold:g})")
        if padding[i] > max_padding:
            why.append(f"{n_samples[i]} samples padded to {input_samples[i]}: {100 * padding[i]:.3g} % of the "
                       "model's input is padding")
        reasons.append("; ".join(why) if flagged[i] else "")
    return Bunch(n_samples=n_samples, input_samples=input_samples, padding_fraction=padding,
                 content_fraction=content, flagged=flagged, reasons=reasons)
