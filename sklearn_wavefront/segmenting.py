"""Recording-level decisions from a classifier trained on fixed-length segments.

Heart-sound, speech and music recordings differ in length (PhysioNet 2016: 5 to 120 s). The
usual protocol cuts every recording into segments of one length, trains a classifier on the
segments (each inherits the label, domain and subject of its recording), and decides per
recording by pooling the segment outputs. :class:`SegmentedClassifier` does all of this as one
scikit-learn estimator whose samples are *recordings*, so cross-validation, metrics and folds
all count recordings, never segments.
"""

from __future__ import annotations

import inspect
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions, validate_params
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _routing_enabled,
    get_routing_for_object,
    process_routing,
)
from sklearn.utils.validation import check_is_fitted

from ._validation import MAX_ABS_SAMPLE, ValidatedParamsMixin, check_estimator_method, check_segment_lengths

__all__ = ["SegmentedClassifier", "segment_signals"]


def _as_recordings(X):
    """Validate ``X`` as a sequence of 1-D float recordings; return a list of float arrays.

    A pandas DataFrame counts as a 2-D array (one recording per row): iterating over it would give
    its column labels.
    """
    if hasattr(X, "to_numpy") and getattr(X, "ndim", None) == 2:
        X = X.to_numpy()
    if isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype != object:
        recordings = list(X)
    elif isinstance(X, np.ndarray) and X.ndim not in (1, 2):
        raise ValueError(f"X must be a list of 1-D recordings or a 2-D array (n_recordings, n_samples), got ndim={X.ndim}")
    else:
        try:
            recordings = list(X)
        except TypeError as exc:
            raise ValueError(f"X must be a list of 1-D recordings, got {type(X).__name__}") from exc
    if not recordings:
        raise ValueError("X holds no recordings")
    out = []
    for i, rec in enumerate(recordings):
        arr = np.asarray(rec)
        if arr.ndim != 1:
            raise ValueError(f"recording {i} of X must be 1-D (mono samples), got shape {arr.shape}")
        if arr.size == 0:
            raise ValueError(f"recording {i} of X is empty (0 samples)")
        if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
            raise ValueError(f"recording {i} of X must hold real numbers, got dtype {arr.dtype}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"recording {i} of X contains NaN or infinite samples")
        peak = float(np.max(np.abs(arr)))
        if peak > MAX_ABS_SAMPLE:  # named here: the inner estimator would name a segment
            raise ValueError(
                f"recording {i} of X holds samples of magnitude up to {peak:.3g}; values beyond "
                f"{MAX_ABS_SAMPLE:.0e} overflow the float32 envelopes and gradients. Scale X down (audio is "
                "usually within [-1, 1])"
            )
        out.append(arr)
    return out


_PADS = StrOptions({"constant", "wrap"})


@validate_params(
    {
        "segment_length": [Interval(Integral, 1, None, closed="left")],
        "hop_length": [Interval(Integral, 1, None, closed="left"), None],
        "pad": [_PADS],
    },
    prefer_skip_nested_validation=True,
)
def segment_signals(X, segment_length, hop_length=None, *, pad="constant"):
    """Cut recordings of any length into segments of ``segment_length`` samples.

    Segments start at ``0, hop, 2*hop, ...`` while they fit inside the recording. If the last
    of them stops before the end, one more segment is added that *ends* at the last sample, so
    every sample is covered and none is dropped (``hop_length`` may not exceed
    ``segment_length``, which would skip the samples between segments). A recording shorter than ``segment_length``
    gives exactly one segment, padded at the end (``pad="constant"``: zeros; ``pad="wrap"``:
    the recording repeated).

    Parameters
    ----------
    X : list of 1-D array-like, or 2-D array of shape (n_recordings, n_samples)
        The recordings.
    segment_length : int
        Samples per segment.
    hop_length : int, default=None
        Samples between segment starts, at most ``segment_length``; ``None`` means
        ``segment_length`` (no overlap).
    pad : {"constant", "wrap"}, default="constant"
        How a recording shorter than one segment is completed.

    Returns
    -------
    segments : ndarray of shape (n_segments, segment_length)
        In recording order. Float input keeps its float dtype (the common type of all
        recordings, at least float32); integer input (any width) gives float64.
    recording_index : ndarray of shape (n_segments,)
        The recording each segment comes from.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_wavefront.segmenting import segment_signals
    >>> segs, rec = segment_signals([np.arange(10.0), np.arange(3.0)], 4, 3)
    >>> segs
    array([[0., 1., 2., 3.],
           [3., 4., 5., 6.],
           [6., 7., 8., 9.],
           [0., 1., 2., 0.]])
    >>> rec
    array([0, 0, 0, 1])
    """
    segment_length = int(segment_length)
    hop_length = segment_length if hop_length is None else int(hop_length)
    if hop_length > segment_length:
        raise ValueError(
            f"hop_length={hop_length} is longer than segment_length={segment_length}: the samples "
            "between segments would be dropped; use hop_length <= segment_length"
        )
    recordings = _as_recordings(X)
    if all(np.issubdtype(r.dtype, np.floating) for r in recordings):
        dtype = np.result_type(*[r.dtype for r in recordings], np.float32)
    else:  # integer samples (PCM) of any width: float64 holds them exactly
        dtype = np.dtype(np.float64)
    segments, index = [], []
    for i, rec in enumerate(recordings):
        n = len(rec)
        if n <= segment_length:
            seg = np.zeros(segment_length, dtype=dtype)
            if pad == "constant":
                seg[:n] = rec
            else:
                seg[:] = np.resize(rec, segment_length)
            segments.append(seg[None])
            index.append(i)
            continue
        starts = list(range(0, n - segment_length + 1, hop_length))
        if starts[-1] + segment_length < n:
            starts.append(n - segment_length)
        view = np.lib.stride_tricks.sliding_window_view(rec, segment_length)
        segments.append(view[starts].astype(dtype))
        index.extend([i] * len(starts))
    return np.concatenate(segments, axis=0), np.asarray(index)


def _fit_accepts_groups(estimator):
    try:
        params = inspect.signature(estimator.fit).parameters
    except (TypeError, ValueError, AttributeError):
        return False
    return "groups" in params and params["groups"].kind in (
        inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def _groups_key(estimator):
    """Name under which ``estimator.fit`` takes the group of each sample, or ``None``."""
    if _fit_accepts_groups(estimator):
        return "groups"
    steps = getattr(estimator, "steps", None)
    if isinstance(steps, list) and steps:
        name, last = steps[-1]
        if _routing_enabled():
            try:
                consumes = get_routing_for_object(estimator).consumes("fit", ["groups"])
            except Exception:  # noqa: BLE001 - an estimator without routing support
                return None
            return "groups" if consumes else None
        if last not in (None, "passthrough") and _fit_accepts_groups(last):
            return f"{name}__groups"
        for name, step in steps[:-1]:  # an earlier step that splits by group in its fit (a learned
            uses = getattr(step, "_fit_uses_groups", None)  # front-end with early stopping)
            if callable(uses) and uses() and _fit_accepts_groups(step):
                return f"{name}__groups"
    return None


class SegmentedClassifier(ValidatedParamsMixin, ClassifierMixin, BaseEstimator):
    """Train a classifier on fixed-length segments; predict whole recordings.

    ``fit`` cuts every recording into segments (:func:`segment_signals`), gives each segment the
    label of its recording (and every per-recording fit parameter, e.g. ``domains``), and fits a
    clone of ``estimator`` on the segments. ``predict_proba`` and ``predict`` pool the segment
    outputs of each recording. Samples are recordings throughout, so ``cross_validate`` with
    group folds splits by recording (and by subject through ``groups``).

    Parameters
    ----------
    estimator : scikit-learn classifier
        Fitted on ``(n_segments, segment_samples)`` arrays: any classifier or ``Pipeline``
        (e.g. a front-end followed by a classifier, or a skorch net). Needs ``predict_proba`` for
        ``aggregate="mean_proba"``.
    segment_seconds : float
        Segment length in seconds; ``round(segment_seconds * sample_rate)`` samples.
    hop_seconds : float, default=None
        Time between segment starts, at most ``segment_seconds``; ``None`` means
        ``segment_seconds`` (no overlap).
    sample_rate : float, default=16000
        Sample rate of the recordings in Hz.
    aggregate : {"mean_proba", "majority"}, default="mean_proba"
        ``"mean_proba"``: the recording's probabilities are the mean of its segments'
        probabilities; the prediction is their argmax. ``"majority"``: each segment votes with
        ``estimator.predict``; ``predict_proba`` returns the vote fractions and ``predict`` the
        class with most votes. **Tie rule** (both modes): among the tied classes, the one with
        the highest mean segment probability wins (when the estimator has ``predict_proba``);
        a remaining tie goes to the class that comes first in ``classes_``.
    pad : {"constant", "wrap"}, default="constant"
        How a recording shorter than one segment is completed (zeros or repetition); it is
        padded, never dropped.

    Attributes
    ----------
    estimator_ : estimator
        The clone of ``estimator`` fitted on the segments.
    classes_ : ndarray
        Class labels (those of ``estimator_``).
    segment_length_ : int
        Samples per segment.
    hop_length_ : int
        Samples between segment starts.
    n_segments_ : int
        Number of training segments.

    Notes
    -----
    **Inner validation splits by recording.** Segments of one recording are strongly alike, so an
    inner validation split (e.g. early stopping of a skorch net) must keep each recording on one
    side. ``fit`` therefore passes the recording of each segment as ``groups`` to the inner ``fit``
    when that accepts them: an estimator whose ``fit`` has a ``groups`` parameter (the classifiers
    of :mod:`sklearn_wavefront.classifiers` hold out whole groups), or a ``Pipeline`` whose last
    step's ``fit`` has one (as ``<step>__groups``; under metadata routing, when the pipeline
    requests ``groups``), else whose first step that holds recordings out by group in its ``fit``
    (a learned front-end of :mod:`sklearn_wavefront.frontends` with ``early_stopping=True``: the
    ``frontend__groups`` of the learned recipe). ``groups`` given to ``fit`` by the user (e.g. subjects, repeated per
    segment) take precedence; they are coarser than recordings, so the guarantee holds.

    **Routing per-recording fit parameters.** Every fit parameter that is an array of length
    ``n_recordings`` (``domains``, ``sample_weight``, ...) is repeated for each segment of its
    recording; other values are passed unchanged.

    * Without metadata routing, ``fit(X, y, **fit_params)`` hands all of ``fit_params`` to
      ``estimator.fit``: ``domains=d`` for a skorch net with :class:`~sklearn_wavefront.sampling.DoubleBalancedMixin`,
      ``clf__domains=d`` for a ``Pipeline`` whose step ``clf`` takes them.
    * With ``sklearn.set_config(enable_metadata_routing=True)``, this estimator is a router:
      parameters reach the inner estimator (and its steps) as they request them, e.g.
      ``net.set_fit_request(domains=True)``; then
      ``cross_validate(seg, X, y, params={"domains": d, "groups": g}, cv=StratifiedGroupKFold(4))``
      splits the domains per fold and the groups go to the splitter only.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from sklearn_wavefront.segmenting import SegmentedClassifier
    >>> rng = np.random.default_rng(0)
    >>> y = np.array([0, 1] * 10)
    >>> X = [rng.normal(scale=1 + 2 * label, size=rng.integers(50, 400)) for label in y]
    >>> log_std = FunctionTransformer(lambda S: np.log(S.std(axis=1, keepdims=True) + 1e-9))
    >>> seg = SegmentedClassifier(make_pipeline(log_std, LogisticRegression()),
    ...                           segment_seconds=0.1, sample_rate=1000).fit(X, y)
    >>> seg.segment_length_, seg.predict(X[:4]).tolist()
    (100, [0, 1, 0, 1])
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        "segment_seconds": [Interval(Real, 0, None, closed="neither")],
        "hop_seconds": [Interval(Real, 0, None, closed="neither"), None],
        "sample_rate": [Interval(Real, 0, None, closed="neither")],
        "aggregate": [StrOptions({"mean_proba", "majority"})],
        "pad": [_PADS],
    }

    def __init__(self, estimator, segment_seconds, hop_seconds=None, sample_rate=16000,
                 aggregate="mean_proba", pad="constant"):
        self.estimator = estimator
        self.segment_seconds = segment_seconds
        self.hop_seconds = hop_seconds
        self.sample_rate = sample_rate
        self.aggregate = aggregate
        self.pad = pad

    # -- validation ------------------------------------------------------------------------------
    def _lengths(self):
        """Segment and hop in samples (each >= 1, hop <= segment)."""
        return check_segment_lengths(self.segment_seconds, self.hop_seconds, self.sample_rate)

    def _check_params(self):
        self._lengths()
        if self.aggregate == "mean_proba":
            check_estimator_method(self.estimator, "predict_proba", "aggregate='mean_proba'", "aggregate='majority'")

    # -- fit -------------------------------------------------------------------------------------
    # not prefer_skip_nested_validation: the inner estimator's parameters are the user's, unvalidated
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Fit the inner estimator on the segments of the recordings ``X``.

        Parameters
        ----------
        X : list of 1-D array-like, or 2-D array (n_recordings, n_samples)
            The recordings (lengths may differ).
        y : array-like of shape (n_recordings,)
            One label per recording.
        **fit_params : dict
            Per-recording (length ``n_recordings``) or global fit parameters for the inner
            estimator; see the class Notes for routing.

        Returns
        -------
        self : SegmentedClassifier
        """
        seg_len, hop = self._lengths()
        recordings = _as_recordings(X)
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(recordings):
            raise ValueError(
                f"y must hold one label per recording: got shape {y.shape} for {len(recordings)} recordings"
            )
        if _routing_enabled():
            routed = process_routing(self, "fit", **fit_params)
            inner_params = dict(routed.estimator.fit)
        else:
            inner_params = dict(fit_params)
        segments, rec_index = segment_signals(recordings, seg_len, hop, pad=self.pad)
        inner_params = {k: self._expand(v, rec_index, len(recordings)) for k, v in inner_params.items()}
        key = _groups_key(self.estimator)
        if key is not None and key not in inner_params:
            inner_params[key] = rec_index
        self.estimator_ = clone(self.estimator).fit(segments, y[rec_index], **inner_params)
        self.classes_ = np.asarray(self.estimator_.classes_)
        self.segment_length_, self.hop_length_ = seg_len, hop
        self.n_segments_ = len(segments)
        return self

    @staticmethod
    def _expand(value, rec_index, n_recordings):
        if value is None or isinstance(value, (str, bytes, dict)) or np.isscalar(value):
            return value
        try:
            n = len(value)
        except TypeError:
            return value
        if n != n_recordings:
            return value
        if hasattr(value, "iloc"):  # pandas Series / DataFrame
            return value.iloc[rec_index]
        if isinstance(value, (list, tuple)):
            return np.asarray(value)[rec_index]
        return value[rec_index]  # numpy arrays, torch tensors

    def get_metadata_routing(self):
        """Routing of fit parameters to the inner estimator (fit -> fit only)."""
        return MetadataRouter(owner=self.__class__.__name__).add(
            estimator=self.estimator, method_mapping=MethodMapping().add(caller="fit", callee="fit")
        )

    # -- predict ---------------------------------------------------------------------------------
    def _segments(self, X):
        check_is_fitted(self)
        recordings = _as_recordings(X)
        segments, rec_index = segment_signals(recordings, self.segment_length_, self.hop_length_, pad=self.pad)
        return segments, rec_index, len(recordings)

    def _mean_per_recording(self, values, rec_index, n):
        sums = np.zeros((n, values.shape[1]))
        np.add.at(sums, rec_index, values)
        return sums / np.bincount(rec_index, minlength=n)[:, None]

    def _votes(self, segments, rec_index, n):
        pred = np.asarray(self.estimator_.predict(segments))
        position = {c: i for i, c in enumerate(self.classes_.tolist())}
        try:
            codes = np.array([position[p] for p in pred.tolist()], dtype=np.intp)
        except KeyError as exc:
            raise ValueError(f"the inner estimator predicted {exc.args[0]!r}, which is not in its classes_") from exc
        votes = np.zeros((n, len(self.classes_)))
        np.add.at(votes, (rec_index, codes), 1)
        return votes

    def predict_proba(self, X):
        """Recording probabilities: mean segment probability, or vote fractions (``"majority"``).

        Parameters
        ----------
        X : list of 1-D array-like, or 2-D array
            The recordings.

        Returns
        -------
        proba : ndarray of shape (n_recordings, n_classes)
        """
        segments, rec_index, n = self._segments(X)
        if self.aggregate == "mean_proba":
            return self._mean_per_recording(np.asarray(self.estimator_.predict_proba(segments)), rec_index, n)
        votes = self._votes(segments, rec_index, n)
        return votes / votes.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Recording labels, by the rule of ``aggregate`` and the documented tie rule.

        Parameters
        ----------
        X : list of 1-D array-like, or 2-D array
            The recordings.

        Returns
        -------
        y_pred : ndarray of shape (n_recordings,)
        """
        segments, rec_index, n = self._segments(X)
        has_proba = hasattr(self.estimator_, "predict_proba")
        mean_proba = (self._mean_per_recording(np.asarray(self.estimator_.predict_proba(segments)), rec_index, n)
                      if has_proba else None)
        if self.aggregate == "mean_proba":
            primary = mean_proba
        else:
            primary = self._votes(segments, rec_index, n)
        tied = primary == primary.max(axis=1, keepdims=True)
        if mean_proba is not None:
            # among tied classes, highest mean probability; np.argmax then takes the first index
            secondary = np.where(tied, mean_proba, -np.inf)
            winner = np.argmax(secondary, axis=1)
        else:
            winner = np.argmax(tied, axis=1)
        return self.classes_[winner]
