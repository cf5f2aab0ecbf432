"""Train one recipe on whole recordings and keep it as a model: what ``wavefront fit`` does.

:func:`train_model` cuts recordings of any lengths into segments (default: the median recording
length, at most :data:`MAX_DEFAULT_SEGMENT` seconds; a shorter recording is zero-padded, a longer
one gives several segments, the last ending at its last sample), trains the recipe of
:func:`~sklearn_wavefront.recipes.make_estimator` on them inside a
:class:`~sklearn_wavefront.segmenting.SegmentedClassifier` (decisions per recording by mean
segment probability or majority), and returns a :class:`~sklearn_wavefront.persistence.WavefrontModel`
with the settings, the initial filters and (end to end) their history per epoch.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
import warnings

import numpy as np

from ._options import option
from .exceptions import InputError
from .registry import FIT_KINDS, FRONTENDS, LEARNABLE

__all__ = ["train_model", "check_training_options", "MAX_DEFAULT_SEGMENT", "MIN_SEGMENT_SAMPLES"]

#: the longest default segment (seconds); longer recordings give several segments
MAX_DEFAULT_SEGMENT = 5.0
#: the fewest samples a segment may hold
MIN_SEGMENT_SAMPLES = 16


def check_training_options(*, model="iconnet", kind="learned", n_filters=16, batch_size=16, epochs=10, lr=None,
                           segment_seconds=None, hop_seconds=None, device="auto", random_state=0,
                           sample_rate=None, option_style="python"):
    """Reject out-of-range options of :func:`train_model` before any data is read (an :class:`InputError`).

    ``sample_rate`` (when known) is checked to be one at which ``model`` can be built.
    """
    from .recipes import check_random_state_option, check_sample_rate

    style = option_style
    check_random_state_option(random_state, option_style=style)
    if sample_rate is not None and (isinstance(sample_rate, bool) or sample_rate < 1):
        raise InputError(f"{option('sample_rate', style=style)} must be a positive number of Hz, got {sample_rate}")
    if model not in FRONTENDS:
        raise InputError(f"{option('model', model, style)} is not a front-end; choose from {', '.join(FRONTENDS)}")
    if kind not in FIT_KINDS:
        raise InputError(f"{option('kind', kind, style)} is not a kind to fit; choose from {', '.join(FIT_KINDS)}")
    for name, value, minimum in (("n_filters", n_filters, 1), ("batch_size", batch_size, 1), ("epochs", epochs, 0)):
        if value < minimum:
            raise InputError(f"{option(name, style=style)} must be >= {minimum}, got {value}")
    if epochs < 1 and (kind == "end-to-end" or model in LEARNABLE):
        raise InputError(f"{option('epochs', style=style)} must be >= 1 for {option('kind', kind, style)} "
                         f"{option('model', model, style)}, got {epochs}")
    for name, value in (("segment_seconds", segment_seconds), ("hop_seconds", hop_seconds), ("lr", lr)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise InputError(f"{option(name, style=style)} must be a positive number, got {value:g}")
    if hop_seconds is not None and segment_seconds is not None and hop_seconds > segment_seconds:
        raise InputError(
            f"{option('hop_seconds', hop_seconds, style)} is longer than {option('segment_seconds', segment_seconds, style)}: "
            "the samples between segments would be skipped"
        )
    from ._validation import check_device

    try:
        check_device(device, name=option("device", style=style))
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if sample_rate is not None and model in FRONTENDS:
        check_sample_rate([model], int(sample_rate), n_filters, option_style=style, chosen_by="model")


def train_model(X, y, sample_rate, *, model="iconnet", kind="learned", groups=None, segment_seconds=None,
                hop_seconds=None, aggregate="mean_proba", n_filters=16, epochs=10, batch_size=16, lr=None,
                backend="temporal", early_stopping=False, random_state=0, device="auto", progress=None,
                provenance=None, command=None, option_style="python"):
    """Train the ``model`` front-end's ``kind`` recipe on whole recordings; return a saved-model wrapper.

    Parameters
    ----------
    X : list of 1-D arrays
        Recordings of any lengths at ``sample_rate`` Hz.
    y : array-like
        One label per recording (at least two classes).
    sample_rate : int
    model : str, default="iconnet"
        A front-end (:data:`~sklearn_wavefront.registry.FRONTENDS`).
    kind : {"learned", "end-to-end"}, default="learned"
        ``"learned"``: the front-end learns its filters (``fit(X, y)``), then ``StandardScaler`` and
        ``LogisticRegression`` (mel and MFCC have nothing to learn: their fixed recipe);
        ``"end-to-end"``: a :class:`~sklearn_wavefront.classifiers.WaveformClassifier`.
    groups : array-like or None
        Per recording (e.g. speaker): with ``early_stopping``, whole groups are held out.
    segment_seconds, hop_seconds : float or None
        Segment length (default: the median recording length, at most :data:`MAX_DEFAULT_SEGMENT`)
        and the time between segment starts (default: the segment length).
    aggregate : {"mean_proba", "majority"}
        The decision per recording from its segments.
    n_filters, epochs, batch_size : int
    lr : float or None
        Learning rate (default: 0.01 learned, 0.003 end to end).
    backend : str
        End-to-end back-end (:data:`~sklearn_wavefront.registry.BACKENDS`).
    early_stopping : bool
        End to end, and learned front-ends: hold out 10 % of the recordings (or groups) and stop on
        their loss, keeping the best epoch.
    random_state : int
    device : str
    progress : callable or None
        Called with a line of progress (``None``: silent); end-to-end training then also reports
        each epoch on stderr, the learned front-ends theirs.
    provenance : dict or None
        Extra settings to keep in the model (e.g. the data folder and labels file).
    command : list of str or None
        The command line kept in the model.
    option_style : {"python", "cli"}
        Whether messages name parameters as here or as ``wavefront fit`` flags.

    Returns
    -------
    WavefrontModel

    Examples
    --------
    >>> from sklearn_wavefront.datasets import make_harmonic_tones
    >>> from sklearn_wavefront.training import train_model
    >>> X, y = make_harmonic_tones(n_samples=16, n_classes=2, duration=0.2, random_state=0, return_X_y=True)
    >>> m = train_model(list(X), y, 8000, model="mel", epochs=0)
    >>> m.settings["kind"], m.settings["segment_seconds"], m.predict(list(X[:2])).shape
    ('learned', 0.2, (2,))
    """
    from .callbacks import EpochProgress, FilterbankHistory
    from .persistence import WavefrontModel
    from .recipes import Settings, groups_fit_parameter, make_estimator
    from .segmenting import SegmentedClassifier

    style = option_style
    check_training_options(model=model, kind=kind, n_filters=n_filters, batch_size=batch_size, epochs=epochs, lr=lr,
                           segment_seconds=segment_seconds, hop_seconds=hop_seconds, device=device,
                           random_state=random_state, sample_rate=sample_rate, option_style=style)
    say = progress if callable(progress) else (lambda msg: None)
    sr = int(sample_rate)
    y = np.asarray(y)
    classes = np.unique(y)
    if len(classes) < 2:
        raise InputError(f"the recordings have a single class ({classes[0]!r}); at least two are needed")
    lengths = np.array([len(x) for x in X]) / sr
    if segment_seconds is not None:
        seg = segment_seconds
    else:  # the median length, at most MAX_DEFAULT_SEGMENT, as a whole number of samples
        seg = round(min(float(np.median(lengths)), MAX_DEFAULT_SEGMENT) * sr) / sr
    hop = hop_seconds if hop_seconds is not None else seg
    if hop > seg:
        raise InputError(f"{option('hop_seconds', hop, style)} is longer than the segment length {seg:g} s")
    if round(seg * sr) < MIN_SEGMENT_SAMPLES:
        raise InputError(
            f"segments of {seg:g} s at {sr} Hz hold {round(seg * sr)} samples; at least {MIN_SEGMENT_SAMPLES} "
            f"are needed (raise {option('segment_seconds', style=style)})"
        )
    if round(hop * sr) < 1:
        raise InputError(f"{option('hop_seconds', hop, style)} at {sr} Hz is shorter than one sample")
    lr = lr if lr is not None else (0.01 if kind == "learned" else 3e-3)
    recipe = "fixed" if kind == "learned" and model not in LEARNABLE else kind
    settings = Settings(sample_rate=sr, n_filters=n_filters, epochs=epochs, batch_size=batch_size, lr=lr,
                        learning_rate=lr, backend=backend, device=device, random_state=random_state,
                        early_stopping=early_stopping, verbose=int(progress is not None))
    callbacks = None
    if kind == "end-to-end":
        callbacks = [("filter_history", FilterbankHistory())]
        if progress is not None:
            callbacks.append(("progress", EpochProgress()))
    estimator = make_estimator(model, recipe, settings, callbacks=callbacks)
    segmented = SegmentedClassifier(estimator, segment_seconds=seg, hop_seconds=hop, sample_rate=sr,
                                    aggregate=aggregate)
    how = "fixed filters, nothing to learn" if recipe == "fixed" else f"{epochs} epochs"
    say(f"training {model} ({kind}, {how}) on segments of {seg:.4g} s, hop {hop:.4g} s ...")
    t1 = time.perf_counter()
    fit_params = {}
    if groups is not None and (kind == "end-to-end" or (early_stopping and recipe == "learned")):
        # the inner early-stopping split holds out whole groups ("groups" end to end,
        # "frontend__groups" for a learned front-end); SegmentedClassifier repeats them per segment
        fit_params[groups_fit_parameter(estimator)] = np.asarray(groups)
    # the front-ends' epoch lines (verbose) go to stdout; stdout is for results, so they join the
    # other progress lines on stderr
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(sys.stderr):
        warnings.simplefilter("always")
        try:
            segmented.fit(X, y, **fit_params)
        except InputError:
            raise
        except ValueError as exc:
            from .exceptions import TrainingDivergedError

            if isinstance(exc, TrainingDivergedError):
                raise
            raise InputError(f"training failed: {' '.join(str(exc).split())}") from exc
    # said once each after training (not dropped, and not once per batch)
    for text, category in dict.fromkeys((" ".join(str(w.message).split()), w.category) for w in caught):
        warnings.warn(f"while training: {category.__name__}: {text}", category, stacklevel=2)
    inner = segmented.estimator_
    history = initial = None
    if kind == "end-to-end":
        cb = dict(inner.callbacks_).get("filter_history")
        if cb is not None and len(cb.center_frequencies_):
            history = cb.as_array()
    else:
        front = inner.named_steps["frontend"]
        initial = np.asarray(front._make_filterbank().center_frequencies(), dtype=np.float64)
    say(f"trained on {segmented.n_segments_} segments in {time.perf_counter() - t1:.1f} s")
    kept = {
        "model": model, "kind": kind, "segment_seconds": seg, "hop_seconds": hop, "aggregate": aggregate,
        "pad": segmented.pad, "n_filters": n_filters, "epochs": epochs, "batch_size": batch_size, "lr": lr,
        "random_state": random_state, "backend": backend if kind == "end-to-end" else None,
        "n_recordings": len(X), "initial_center_frequencies": initial,
    }
    kept.update(provenance or {})
    return WavefrontModel(segmented, sr, settings=kept, filter_history=history, command=command)
