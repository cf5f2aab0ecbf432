"""Argument checks shared by every module.

Every check raises ``ValueError`` (or ``TypeError`` for a wrong type) whose message names the
parameter and the offending value, so that a user reading a traceback from deep inside a
``GridSearchCV`` knows which argument to fix.

**Estimator parameters** are validated in ``fit`` (scikit-learn's convention), in two steps, by
:func:`validate_estimator_params`:

1. scikit-learn's own validation of the class's ``_parameter_constraints`` (types, ranges, options:
   ``Interval``, ``StrOptions``, ...), which raises
   :class:`~sklearn.utils._param_validation.InvalidParameterError` (a ``ValueError`` and a
   ``TypeError``) naming the parameter, the estimator and the value: "The 'n_filters' parameter of
   CombFrontend must be an int in the range [1, inf). Got 0 instead.";
2. the estimator's ``_check_params()``, the one hook for what constraints cannot express (rules
   between parameters, the elements of a sequence, the devices of this machine), written with the
   small ``check_*`` functions of this module.

:class:`ValidatedParamsMixin` gives scikit-learn estimators both steps through scikit-learn's own
hook (``_validate_params``, which ``sklearn.base._fit_context`` calls); the skorch classifiers, which
are no scikit-learn ``BaseEstimator``, call :func:`validate_estimator_params` from ``fit``. The torch
modules (filterbanks, operators) keep the plain ``check_*`` functions: they are no estimators.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import torch
from sklearn.utils._param_validation import validate_parameter_constraints

__all__ = [
    "check_positive_int",
    "check_positive_float",
    "check_sample_rate",
    "check_frequency_range",
    "check_open_unit_interval",
    "check_choice",
    "check_distinct_choices",
    "check_segment_lengths",
    "check_estimator_method",
    "renamed_parameter",
    "check_waveform",
    "check_finite_samples",
    "check_device",
    "nonfinite_parameters",
    "validate_estimator_params",
    "ValidatedParamsMixin",
]


# ------------------------------------------------------------------------------------------------
# Estimator parameters: scikit-learn's constraints, then the estimator's _check_params
# ------------------------------------------------------------------------------------------------


def validate_estimator_params(estimator) -> None:
    """Validate ``estimator``'s parameters: its ``_parameter_constraints`` through scikit-learn, then
    its ``_check_params()`` (see the module docstring)."""
    params = estimator.get_params(deep=False)
    validate_parameter_constraints(estimator._parameter_constraints, params, caller_name=type(estimator).__name__)
    estimator._check_params()


class ValidatedParamsMixin:
    """scikit-learn's parameter validation followed by ``_check_params``, for scikit-learn estimators.

    Put it before ``BaseEstimator`` in the bases, declare ``_parameter_constraints`` and decorate
    ``fit`` with ``sklearn.base._fit_context``, which calls ``_validate_params`` (unless scikit-learn's
    ``skip_parameter_validation`` is set, e.g. inside an estimator that validated its own).
    """

    def _validate_params(self):
        validate_estimator_params(self)

    def _check_params(self):
        """Checks ``_parameter_constraints`` cannot express (between parameters, about this machine); none here."""


def check_distinct_choices(name: str, value, choices) -> tuple:
    """``value`` (one name, or a sequence of them) as a tuple of distinct names from ``choices``, or raise."""
    values = (value,) if isinstance(value, str) else tuple(value)
    if not values or any(v not in choices for v in values) or len(set(values)) != len(values):
        raise ValueError(
            f"{name} must be a non-empty sequence of distinct names from {list(choices)}, got {name}={value!r}"
        )
    return values


def check_segment_lengths(segment_seconds, hop_seconds, sample_rate) -> tuple[int, int]:
    """Segment and hop in samples, ``round(seconds * sample_rate)``: each at least one sample, and the
    hop no longer than the segment (samples between segments would be dropped). ``hop_seconds=None``
    is the segment (no overlap)."""
    seg = int(round(segment_seconds * sample_rate))
    if seg < 1:
        raise ValueError(
            f"segment_seconds={segment_seconds!r} at sample_rate={sample_rate!r} gives a segment of 0 samples"
        )
    hop = seg if hop_seconds is None else int(round(hop_seconds * sample_rate))
    if hop < 1:
        raise ValueError(f"hop_seconds={hop_seconds!r} at sample_rate={sample_rate!r} gives a hop of 0 samples")
    if hop > seg:
        raise ValueError(
            f"hop_seconds={hop_seconds!r} is longer than segment_seconds={segment_seconds!r}: "
            "the samples between segments would be dropped"
        )
    return seg, hop


def check_estimator_method(estimator, method: str, needed_by: str, instead: str) -> None:
    """Raise unless ``estimator`` has ``method``; ``needed_by`` names the setting that needs it,
    ``instead`` the setting that does not."""
    if not hasattr(estimator, method):
        raise ValueError(
            f"{needed_by} needs an estimator with {method}; {type(estimator).__name__} has none (use {instead})"
        )


def renamed_parameter(estimator, old: str, new: str, default, *, removed_in: str):
    """The value of parameter ``new`` of ``estimator``, honouring its deprecated alias ``old``.

    scikit-learn's pattern for a renamed parameter: ``old`` defaults to ``"deprecated"``; passing it
    warns (``FutureWarning`` naming ``new``) and its value is used; passing it together with a ``new``
    other than its ``default`` is an error (the two would disagree).
    """
    old_value, new_value = getattr(estimator, old), getattr(estimator, new)
    if isinstance(old_value, str) and old_value == "deprecated":
        return new_value
    cls = type(estimator).__name__
    if not (new_value is default or new_value == default):
        raise ValueError(
            f"{cls} got both {new}={new_value!r} and its deprecated alias {old}={old_value!r}: pass {new} only"
        )
    warnings.warn(
        f"{cls}'s parameter {old!r} was renamed {new!r} and will be removed in {removed_in}: "
        f"pass {new}={old_value!r} instead",
        FutureWarning,
        stacklevel=3,
    )
    return old_value


# ------------------------------------------------------------------------------------------------
# Plain checks (torch modules, operators, and the rules constraints cannot express)
# ------------------------------------------------------------------------------------------------


def check_positive_int(name: str, value, *, minimum: int = 1) -> int:
    """Return ``value`` as an ``int`` if it is an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {name}={value!r}")
    return int(value)


def check_positive_float(name: str, value, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a ``float`` if it is a finite number ``> 0`` (``>= 0`` if allowed)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} of type {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {name}={value!r}")
    return value


def check_sample_rate(sample_rate) -> float:
    """Return the sample rate in Hz as a float, or raise naming ``sample_rate``."""
    return check_positive_float("sample_rate", sample_rate)


def check_frequency_range(fmin, fmax, sample_rate, *, fmax_default: float | None = None, allow_zero_fmin: bool = False):
    """Validate ``0 < fmin < fmax <= sample_rate / 2``; ``fmax=None`` takes ``fmax_default``.

    ``allow_zero_fmin=True`` accepts ``fmin = 0`` (fixed filterbanks such as mel, whose lowest
    triangle may start at DC; learnable ones keep ``fmin > 0``). Returns ``(fmin, fmax)`` as floats.
    """
    sample_rate = check_sample_rate(sample_rate)
    nyquist = sample_rate / 2
    if fmax is None:
        fmax = nyquist if fmax_default is None else fmax_default
    if (
        isinstance(fmin, bool)
        or not isinstance(fmin, numbers.Real)
        or not np.isfinite(fmin)
        or fmin < 0
        or (fmin == 0 and not allow_zero_fmin)
    ):
        bound = ">= 0" if allow_zero_fmin else "> 0"
        raise ValueError(f"fmin must be a finite frequency {bound} Hz, got fmin={fmin!r}")
    if isinstance(fmax, bool) or not isinstance(fmax, numbers.Real) or not np.isfinite(fmax):
        raise ValueError(f"fmax must be a finite frequency in Hz, got fmax={fmax!r}")
    if fmax > nyquist:
        raise ValueError(
            f"fmax must be <= sample_rate / 2 = {nyquist:g} Hz (the Nyquist frequency), "
            f"got fmax={fmax!r} with sample_rate={sample_rate:g}"
        )
    if fmin >= fmax:
        raise ValueError(f"fmin must be < fmax, got fmin={fmin!r} and fmax={fmax!r}")
    return float(fmin), float(fmax)


def check_open_unit_interval(name: str, value) -> None:
    """Raise unless every element of ``value`` lies strictly inside (-1, 1).

    Used for comb feedback gains: ``|alpha| < 1`` keeps the IIR comb stable.
    """
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if not -1.0 < float(value) < 1.0:  # False for NaN too
            raise ValueError(f"{name} must lie strictly inside (-1, 1) so the comb filter is stable, got {name}={value!r}")
        return
    # via float64: numpy has no bfloat16
    arr = value.detach().to(torch.float64).cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value, dtype=float)
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(np.abs(arr) >= 1):
        shown = arr.item() if arr.size == 1 else arr
        raise ValueError(f"{name} must lie strictly inside (-1, 1) so the comb filter is stable, got {name}={shown!r}")


def check_choice(name: str, value, choices) -> str:
    """Raise unless ``value`` is one of ``choices``."""
    if value not in choices:
        # key=repr: option sets may mix strings and None, which plain sorting cannot order
        raise ValueError(f"{name} must be one of {sorted(choices, key=repr)!r}, got {name}={value!r}")
    return value


def check_waveform(
    x, *, name: str = "x", min_length: int = 1, min_length_reason: str = "", check_finite: bool = True
) -> torch.Tensor:
    """Validate a batch of waveforms and return it as a ``(batch, time)`` tensor.

    Accepts ``(batch, time)`` or ``(batch, 1, time)`` floating tensors. Raises ``ValueError`` naming
    ``name`` for a wrong number of dimensions, more than one channel, NaN or infinite samples, or a
    signal shorter than ``min_length`` samples (``min_length_reason`` says why that many are needed).
    The finiteness check is skipped while ``torch.compile`` traces, where it would break the graph,
    and with ``check_finite=False`` (for a caller that proves finiteness from its output instead; it
    then calls :func:`check_finite_samples` itself).
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim == 3:
        if x.shape[1] != 1:
            raise ValueError(
                f"{name} must have shape (batch, time) or (batch, 1, time); got {tuple(x.shape)} "
                f"with {x.shape[1]} channels (mix down or split the channels first)"
            )
        x = x[:, 0, :]
    elif x.ndim != 2:
        raise ValueError(f"{name} must have shape (batch, time) or (batch, 1, time); got ndim={x.ndim}, shape={tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype={x.dtype}")
    if x.shape[-1] < min_length:
        why = f" ({min_length_reason})" if min_length_reason else ""
        raise ValueError(f"{name} has {x.shape[-1]} samples but at least {min_length} are needed{why}")
    if check_finite and not torch.compiler.is_compiling():
        check_finite_samples(x, name=name)
    return x


def check_finite_samples(x: torch.Tensor, *, name: str = "x") -> None:
    """Raise ``ValueError`` naming ``name`` when ``x`` holds a NaN or infinite sample."""
    # A finite sum proves every sample finite (NaN and inf propagate) in one cheap reduction; only a
    # non-finite sum (a NaN/inf sample, or an overflow of large finite ones) needs the elementwise test.
    if not bool(torch.isfinite(x.sum())) and not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} contains NaN or infinite samples")


#: Largest ``|sample|`` the estimators accept. Audio is float in [-1, 1] or integer PCM (int32 at most
#: 2.1e9); squared envelopes of samples beyond ~1e18 overflow float32 (3.4e38) inside the filterbanks, and
#: their gradients overflow well before that, so training would end with NaN weights.
MAX_ABS_SAMPLE = 1e10


def check_sample_scale(X, *, name: str = "X") -> None:
    """Raise ``ValueError`` if any sample of ``X`` exceeds :data:`MAX_ABS_SAMPLE` in absolute value.

    ``X`` is a float array ``(n_recordings, n_samples)`` already checked for NaN and inf. The message
    names the first offending recording and says how to rescale.
    """
    arr = np.asarray(X)
    if arr.size == 0:
        return
    peaks = np.abs(arr).reshape(arr.shape[0], -1).max(axis=1) if arr.ndim > 1 else np.abs(arr)
    bad = np.flatnonzero(peaks > MAX_ABS_SAMPLE)
    if bad.size:
        i = int(bad[0])
        where = f" (recording {i}{f' and {bad.size - 1} more' if bad.size > 1 else ''})" if len(peaks) > 1 else ""
        raise ValueError(
            f"{name} holds samples of magnitude up to {float(peaks[i]):.3g}{where}; values beyond {MAX_ABS_SAMPLE:.0e} overflow "
            f"the float32 envelopes and gradients. Scale {name} down (audio is usually within [-1, 1]; "
            f"e.g. {name} / np.abs({name}).max())"
        )


def check_equal_lengths(X, *, name: str = "X", hint: str = "") -> None:
    """Raise a clear ``ValueError`` when ``X`` is a sequence of recordings of different lengths.

    numpy's own message ("inhomogeneous shape") does not say what to do; ``hint`` does.
    """
    if not (isinstance(X, (list, tuple)) or (isinstance(X, np.ndarray) and X.dtype == object)):
        return  # arrays, DataFrames, sparse matrices: numpy's and scikit-learn's checks speak for them
    try:
        lengths = [len(x) for x in X]
    except TypeError:
        return
    if len(set(lengths)) > 1:
        raise ValueError(
            f"{name} is a sequence of {len(lengths)} recordings of different lengths "
            f"({min(lengths)} to {max(lengths)} samples); this estimator needs recordings of one length. "
            + (hint or "Crop or zero-pad them to one length first.")
        )


def nonfinite_parameters(module: torch.nn.Module, loss=None) -> list | None:
    """``None`` when ``loss`` (if given) and every parameter of ``module`` are finite, else the names of
    the parameters that are not (possibly empty: then the loss is the culprit).

    One reduction and one device sync for the common, finite case: it runs after every training step
    of the front-ends' learning and of the classifiers (:class:`~sklearn_wavefront.exceptions.TrainingDivergedError`).
    """
    params = list(module.named_parameters())
    flags = [torch.isfinite(p).all() for _, p in params]
    if loss is not None:
        flags.append(torch.isfinite(torch.as_tensor(loss)).all())
    if not flags or bool(torch.stack([f.to(flags[0].device) for f in flags]).all()):
        return None
    return [name for (name, _), ok in zip(params, flags) if not bool(ok)]


def check_device(device, *, name: str = "device", allow_auto: bool = True) -> torch.device:
    """The ``torch.device`` that ``device`` names, checked to exist on this machine.

    ``"auto"`` (when ``allow_auto``) is CUDA where it is available, else the CPU. Raises
    ``ValueError`` naming ``name`` and the value for a string that is no torch device, a CUDA or MPS
    device this machine does not have, or a CUDA index beyond the devices present. The one rule for
    every estimator's ``device`` and the CLI's ``--device``.
    """
    shown = f"{name}={device!r}"
    if allow_auto and isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    choices = "'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'" if allow_auto else "'cpu', 'cuda', 'cuda:N' or 'mps'"
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise ValueError(f"{shown} is not a torch device (use {choices})") from exc
    fallback = "'cpu' or 'auto'" if allow_auto else "'cpu'"
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"{shown}: CUDA is not available here (use {fallback})")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"{shown}: there are only {torch.cuda.device_count()} CUDA device(s)")
    elif dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"{shown}: MPS is not available here (use {fallback})")
    elif dev.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"{shown} is not supported (use {choices})")
    return dev
