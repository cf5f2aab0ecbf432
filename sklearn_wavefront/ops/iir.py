r"""Exact IIR comb filters for inference: ``y[n] = x[n] + α y[n − K]`` with an integer delay ``K``.

How this differs from the training operator (:func:`sklearn_wavefront.ops.comb_filter`):

* the training operator is a *truncated* FIR surrogate: ``T`` echoes, fractional delays by linear
  interpolation. Its peak gain is ``sum_{t=0..T} α^t = (1 − α^{T+1}) / (1 − α)``, about 6.86 for
  ``α = 0.9, T = 10``;
* the IIR keeps every echo, so its peak gain is ``1 / (1 − α)`` = 10 for ``α = 0.9``, and its peaks are
  sharper; its delay is an integer, ``K = round(D)``, so its fundamental is ``fs / K`` (quantised pitch).

Features computed with the IIR are therefore *not* numerically interchangeable with those of the
training operator; a model trained on one must be evaluated with the same one (or recalibrated).

Algorithm. Seen as a ``(rows, K)`` matrix (row ``r`` = samples ``rK … rK + K − 1``), the recursion is
``Y[r] = X[r] + α Y[r − 1]``: each block of ``K`` samples depends only on the previous block. Rather than
``N / K`` sequential vector steps, rows are grouped in chunks of ``m ≈ sqrt(N / K)`` rows:

1. within every chunk at once, run the recursion from a zero state (``m`` vector steps over all chunks);
2. carry the last row across chunks: ``S[c] = Z[c, m − 1] + α^m S[c − 1]`` (``N / (mK)`` steps of ``K``);
3. add the carried state: ``Y[c, r] = Z[c, r] + α^{r + 1} S[c − 1]`` (one vectorised step).

That is ``O(N)`` work (about three passes over the signal) in ``≈ 2 sqrt(N / K)`` vector steps.

Backends. When numba imports (``pip install sklearn-wavefront[fast]``) the CPU path runs a compiled
loop instead (:mod:`._iir_numba`): the recursion unrolled ``m`` times,
``y[n] = Σ_{i<m} α^i x[n − iK] + α^m y[n − mK]`` with ``mK >= 32``, so every block of ``mK`` samples is
one vectorised pass reading finished outputs only (``m = 1`` multiply-add per sample for ``K >= 32``,
2 for ``K >= 16``, 4 for ``K >= 8``, 8 below): the cost of copying the signal at ``K >= 16``. Without numba the torch algorithm
above runs. ``backend="auto"`` (default) picks numba for CPU tensors when it is installed; ``"numba"``
requires it; ``"torch"`` forces the torch path. Both give the same values up to float rounding (the
tests compare both with ``scipy.signal.lfilter``). numba is imported on the first call, not at import.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import torch
from torch import Tensor

from .._dtypes import numpy_dtype
from .._validation import (
    check_choice,
    check_finite_samples,
    check_open_unit_interval,
    check_positive_int,
    check_waveform,
)
from ._comb_torch import _envelope_pool_torch, envelope_padding, frames_for_pad
from ._lazy import OptionalKernels

__all__ = ["comb_iir", "comb_iir_envelope", "CombIIRStream", "numba_available"]

_BACKENDS = ("auto", "numba", "torch")
#: :mod:`._iir_numba`, imported on first use; ``None`` when numba is not installed
_numba_kernels = OptionalKernels("._iir_numba")


def numba_available() -> bool:
    """Whether the compiled IIR kernels can run (numba importable)."""
    return _numba_kernels() is not None


def _use_numba(backend: str, x: Tensor) -> bool:
    if backend not in _BACKENDS:
        raise ValueError(f"backend must be one of {list(_BACKENDS)}, got backend={backend!r}")
    if backend == "torch":
        return False
    numba_ok = x.device.type == "cpu" and x.dtype in (torch.float32, torch.float64)
    if backend == "numba":
        if _numba_kernels() is None:
            raise ImportError("backend='numba' needs numba: pip install 'sklearn-wavefront[fast]'")
        if not numba_ok:
            raise ValueError(f"backend='numba' runs on float32/float64 CPU tensors, got {x.dtype} on {x.device}")
        return True
    return numba_ok and _numba_kernels() is not None


def _check_integer_delays(delay) -> list[int]:
    if isinstance(delay, (list, tuple)) and delay and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1 for v in delay
    ):
        return [int(v) for v in delay]  # the common case, without a round trip through torch
    d = torch.as_tensor(delay)
    if d.ndim == 0:
        d = d[None]
    if d.ndim != 1 or d.numel() < 1:
        raise ValueError(f"delay must be a 1-D sequence of n_filters integer delays, got shape {tuple(d.shape)}")
    values = d.detach().cpu().to(torch.float64)
    if not bool(torch.isfinite(values).all()) or bool((values != values.round()).any()) or bool((values < 1).any()):
        raise ValueError(
            "delay must hold integers >= 1 (the exact IIR has whole-sample delays; use round(D)), "
            f"got delay={values.numpy()!r}"
        )
    return [int(v) for v in values.tolist()]


def _check_alphas(alpha, n_filters: int) -> list[float]:
    if isinstance(alpha, numbers.Real) and not isinstance(alpha, bool):
        check_open_unit_interval("alpha", alpha)
        return [float(alpha)] * n_filters
    # a Python sequence is read in float64 (torch.as_tensor would round it to float32 first)
    a = alpha if isinstance(alpha, Tensor) else torch.as_tensor(np.asarray(alpha, dtype=np.float64))
    a = a.detach().cpu().to(torch.float64)
    if a.ndim == 0:
        a = a.expand(n_filters)
    if a.shape != (n_filters,):
        raise ValueError(f"alpha must be a scalar or hold one gain per filter ({n_filters}), got shape {tuple(a.shape)}")
    check_open_unit_interval("alpha", a)
    return a.tolist()


def _iir_one(x: Tensor, k: int, a: float) -> Tensor:
    """``y[n] = x[n] + a y[n - k]`` along the last axis of ``x`` ``(B, N)``, zero initial state."""
    batch, n = x.shape
    rows = -(-n // k)
    m = max(1, math.isqrt(rows))
    chunks = -(-rows // m)
    total = chunks * m * k
    z = torch.zeros(batch, total, dtype=x.dtype, device=x.device)
    z[:, :n] = x
    z = z.view(batch, chunks, m, k)
    for r in range(1, m):  # 1. zero-state recursion inside every chunk at once
        z[:, :, r].add_(z[:, :, r - 1], alpha=a)
    if chunks > 1:
        carry = z[:, :, m - 1].clone()  # 2. true last row of every chunk
        a_m = a**m
        for c in range(1, chunks):
            carry[:, c].add_(carry[:, c - 1], alpha=a_m)
        # 3. the zero-input response of the carried state: a^(r+1) S[c-1] on row r of chunk c
        powers = torch.tensor([a ** (r + 1) for r in range(m)], dtype=x.dtype, device=x.device)
        z[:, 1:].add_(powers[None, None, :, None] * carry[:, :-1, None, :])
    return z.view(batch, total)[:, :n]


def _gains(alphas, dtype) -> np.ndarray:
    """The gains in the kernels' dtype; one that rounds to +-1 there would make the filter unstable.

    ``dtype``: a numpy dtype, or a torch dtype (bfloat16, which numpy lacks, is checked in float32:
    its gains round to 1 sooner, so ``|alpha| < 1 - 2**-8`` is the caller's responsibility there).
    """
    dtype = numpy_dtype(dtype, default=np.float32) if isinstance(dtype, torch.dtype) else dtype
    a = np.asarray(alphas, dtype=dtype).reshape(-1)
    if np.any(np.abs(a) >= 1):
        bad = np.asarray(alphas, dtype=np.float64).reshape(-1)[np.abs(a) >= 1]
        raise ValueError(
            f"alpha={bad.tolist()} rounds to magnitude 1 in {np.dtype(dtype).name}, where the comb filter is "
            "unstable: use a smaller gain or float64 input"
        )
    return a


def comb_iir(x: Tensor, delay, alpha=0.9, *, backend: str = "auto") -> Tensor:
    """Exact feedback comb filters, for inference.

    Parameters
    ----------
    x : Tensor of shape (batch, time) or (batch, 1, time)
        Waveforms (any floating dtype; computed in that dtype).
    delay : sequence of int or integer Tensor of shape (n_filters,)
        Whole-sample delays ``K >= 1`` (``round(sample_rate / f0)``).
    alpha : float or Tensor of shape (n_filters,), default=0.9
        Feedback gains strictly inside (-1, 1).
    backend : {"auto", "numba", "torch"}, default="auto"
        Compiled loop (numba, when installed) or the torch block algorithm; see the module docstring.

    Returns
    -------
    y : Tensor of shape (batch, n_filters, time)
        ``y[b, f, n] = x[b, n] + alpha_f y[b, f, n - K_f]`` with zero initial state. Not differentiable
        (an inference operator; train with :func:`~sklearn_wavefront.ops.comb_filter`).

    Examples
    --------
    >>> import torch
    >>> from sklearn_wavefront.ops import comb_iir
    >>> x = torch.zeros(1, 7); x[0, 0] = 1.0
    >>> comb_iir(x, [3], alpha=0.5)[0, 0]
    tensor([1.0000, 0.0000, 0.0000, 0.5000, 0.0000, 0.0000, 0.2500])
    """
    x = check_waveform(x, check_finite=False)
    delays = _check_integer_delays(delay)
    alphas = _check_alphas(alpha, len(delays))
    return _comb_iir(x, delays, alphas, backend)


def _comb_iir(x: Tensor, delays: list, alphas: list, backend: str = "auto") -> Tensor:
    """:func:`comb_iir` on a ``(B, N)`` floating ``x`` (finite or not: checked here) and validated
    delay and gain lists; also the stream's and the torch envelope's path."""
    if _use_numba(backend, x):
        xn = x.detach().contiguous().numpy()
        y = np.empty((xn.shape[0], len(delays), xn.shape[1]), dtype=xn.dtype)
        tails_finite = _numba_kernels().comb_iir_kernel(xn, np.asarray(delays, dtype=np.int64), _gains(alphas, xn.dtype), y)
        # finite output tails prove x finite for every gain != 0 (see the kernel): the pass over x
        # that validation costs elsewhere is needed only with a zero gain or a non-finite tail
        if not tails_finite or 0.0 in alphas:
            check_finite_samples(x)
        if not tails_finite:
            _raise_overflow(x)
        return torch.from_numpy(y)
    check_finite_samples(x)
    _gains(alphas, x.dtype)
    with torch.no_grad():
        y = x.new_empty((x.shape[0], len(delays), x.shape[1]))
        for f, (k, a) in enumerate(zip(delays, alphas)):
            y[:, f] = _iir_one(x, k, a)
            if not bool(torch.isfinite(y[:, f, -k:]).all()):  # x is finite: an overflow (see the kernel)
                _raise_overflow(x)
    return y


def _raise_overflow(x: Tensor):
    raise ValueError(
        f"the comb filter output overflows {x.dtype} (x is finite, max |x| = {float(x.abs().max()):.3g}): "
        "scale the signal down or compute in float64"
    )


def comb_iir_envelope(
    x: Tensor, delay, alpha=0.9, window: int = 800, stride: int = 400, padding: str = "valid",
    envelope: str = "max", *, backend: str = "auto",
) -> Tensor:
    """Exact IIR comb filters followed by a frame envelope, for inference.

    The inference counterpart of :func:`~sklearn_wavefront.ops.comb_envelope`, with the same framing:
    frame ``p`` covers ``y[p * stride - pad : p * stride - pad + window]`` of ``y = comb_iir(x, delay,
    alpha)`` zero-extended by ``pad`` samples on each side (``pad = 0`` for ``"valid"``,
    ``window // 2`` for ``"center"``); ``envelope="max"`` gives ``max |y|`` over the frame,
    ``"energy"`` the sum of ``y**2`` over it divided by ``window``. With numba the filter output is
    never stored for more than one (recording, filter) pair at a time.

    Parameters
    ----------
    x : Tensor of shape (batch, time) or (batch, 1, time)
    delay : sequence of int or integer Tensor of shape (n_filters,)
        Whole-sample delays ``K >= 1``.
    alpha : float or Tensor of shape (n_filters,), default=0.9
        Feedback gains strictly inside (-1, 1).
    window, stride : int, default=800 and 400
        Frame length and hop in samples.
    padding : {"valid", "center"}, default="valid"
    envelope : {"max", "energy"}, default="max"
    backend : {"auto", "numba", "torch"}, default="auto"

    Returns
    -------
    z : Tensor of shape (batch, n_filters, frames)
        ``frames = (time + 2 pad - window) // stride + 1``; at least one frame must fit.

    Examples
    --------
    >>> import torch
    >>> from sklearn_wavefront.ops import comb_iir_envelope
    >>> comb_iir_envelope(torch.randn(2, 1000), [20, 37], window=200, stride=100).shape
    torch.Size([2, 2, 9])
    """
    x = check_waveform(x)
    delays = _check_integer_delays(delay)
    alphas = _check_alphas(alpha, len(delays))
    # the same checks as comb_envelope's
    window = check_positive_int("window", window)
    stride = check_positive_int("stride", stride)
    padding = check_choice("padding", padding, {"valid", "center"})
    envelope = check_choice("envelope", envelope, {"max", "energy"})
    pad = envelope_padding(window, padding)
    if frames_for_pad(x.shape[-1], window, stride, pad) < 1:
        raise ValueError(
            f"x has {x.shape[-1]} samples, fewer than one frame of window={window} samples (padding={padding!r})"
        )
    return _comb_iir_envelope(x, delays, alphas, window, stride, pad, envelope, backend)


def _comb_iir_envelope(x, delays, alphas, window, stride, pad, envelope, backend="auto"):
    """:func:`comb_iir_envelope` on validated arguments (``x`` (B, N) finite, delays and gains lists)."""
    n_frames = frames_for_pad(x.shape[-1], window, stride, pad)
    if _use_numba(backend, x):
        # time-major (N, B): the recordings interleaved, so short delays still vectorise (see the kernel)
        xt = np.ascontiguousarray(x.detach().numpy().T)
        z = np.empty((xt.shape[1], len(delays), n_frames), dtype=xt.dtype)
        tails_finite = _numba_kernels().comb_iir_envelope_kernel(
            xt, np.asarray(delays, dtype=np.int64), _gains(alphas, xt.dtype),
            window, stride, pad, envelope == "energy", z,
        )
        z = torch.from_numpy(z)
        if not tails_finite:  # x is finite (validated): an overflow of the filter output
            _raise_overflow(x)
    else:
        y = _comb_iir(x, delays, alphas, backend="torch")  # raises on an overflow of y
        z = _envelope_pool_torch(y, window, stride, "max" if envelope == "max" else "energy", pad)[0]
    if not bool(torch.isfinite(z).all()):  # y finite, but y**2 summed over a frame overflowed
        _raise_overflow(x)
    return z


class CombIIRStream:
    """Exact IIR comb filters over a stream of chunks, carrying the filter state between calls.

    Processing a signal chunk by chunk with :meth:`process` gives exactly what :func:`comb_iir` gives
    on the whole signal (up to float rounding). The state is the last ``K_f`` outputs of every filter.

    Parameters
    ----------
    delay : sequence of int, shape (n_filters,)
        Whole-sample delays ``K >= 1``.
    alpha : float or sequence of float, default=0.9
        Feedback gains strictly inside (-1, 1).

    Examples
    --------
    >>> import torch
    >>> from sklearn_wavefront.ops import CombIIRStream, comb_iir
    >>> x = torch.randn(2, 1000, dtype=torch.float64)
    >>> stream = CombIIRStream([17, 40], alpha=0.9)
    >>> y = torch.cat([stream.process(c) for c in x.split(333, dim=-1)], dim=-1)
    >>> torch.allclose(y, comb_iir(x, [17, 40], alpha=0.9))
    True
    """

    def __init__(self, delay, alpha=0.9):
        self.delays = _check_integer_delays(delay)
        self.alphas = _check_alphas(alpha, len(self.delays))
        self.reset()

    def reset(self) -> None:
        """Forget the state: the next chunk starts from silence."""
        self._state: list[Tensor] | None = None

    def process(self, chunk: Tensor) -> Tensor:
        """Filter the next chunk ``(batch, L)`` -> ``(batch, n_filters, L)``."""
        chunk = check_waveform(chunk, name="chunk")
        batch, length = chunk.shape
        if self._state is None:
            self._state = [chunk.new_zeros(batch, k) for k in self.delays]
        elif self._state[0].shape[0] != batch or self._state[0].dtype != chunk.dtype:
            raise ValueError(
                f"chunk has batch={batch}, dtype={chunk.dtype} but the stream was started with "
                f"batch={self._state[0].shape[0]}, dtype={self._state[0].dtype}; call reset() first"
            )
        out = chunk.new_empty((batch, len(self.delays), length))
        with torch.no_grad():
            for f, (k, a) in enumerate(zip(self.delays, self.alphas)):
                # Prepending the last K outputs as input reproduces them exactly as outputs (they have
                # no history of their own), after which the recursion continues where it stopped.
                full = _comb_iir(torch.cat([self._state[f], chunk], dim=-1), [k], [a])[:, 0]
                out[:, f] = full[:, k:]
                self._state[f] = full[:, -k:].clone()
        return out
