r"""The comb ("combolutional") training operator, its fused envelope, and their gradients.

Training operator (DESIGN §3.1), a truncated FIR surrogate of the feedback comb with ``T`` echoes
and zero initial state, for each filter ``f`` with continuous delay ``D_f`` samples and gain ``alpha_f``:

.. math::

    y[b, f, n] = x[b, n] + \sum_{t=1}^{T} \alpha_f^t \big[(1 - \beta_{f,t})\, x[b, n - s_{f,t}]
                 + \beta_{f,t}\, x[b, n - s_{f,t} - 1]\big],
    \qquad s_{f,t} = \lfloor t D_f \rfloor,\; \beta_{f,t} = t D_f - s_{f,t},

with ``x[n] = 0`` for ``n < 0``. Using ``⌊·⌋`` and ``⌊·⌋ + 1`` (not floor and ceil) keeps the
derivative defined at integer ``t D``: there it is the right derivative, ``t α^t (x[n-s-1] - x[n-s])``.
``y`` is continuous and piecewise linear in ``D``, with kinks at the delays where some ``t D`` is
an integer.

Gradients (``g = dL/dy``):

* ``dL/dx[m] = sum_f g[f, m] + sum_{f,t} α^t [(1-β) g[f, m + s] + β g[f, m + s + 1]]`` (the same sum
  read forward in time: the adjoint);
* ``dL/dD_f = sum_t t α^t <g_f, x[· - s - 1] - x[· - s]>``;
* ``dL/dα_f = sum_t t α^{t-1} <g_f, (1-β) x[· - s] + β x[· - s - 1]>``.

``dL/dx`` is computed only when it is needed. Both backward operators take a last argument
``bool need_grad_x=True``; the autograd registration always passes ``ctx.needs_input_grad[0]``
(the default keeps calls without it, e.g. from compiled graphs cached before the flag existed,
computing ``dL/dx`` as they did). With ``need_grad_x=False`` (the usual case: the waveform is the
network's input) no ``dL/dx`` is accumulated and the backward returns, in its place, an **empty
tensor of shape (0,)** with the dtype and device of ``x``; the autograd function then returns
``None`` for ``x``. The delay and alpha gradients are the same either way.

The plain-torch implementation (:mod:`._comb_torch`) loops over filters and echoes with in-place strided
additions (``2 T F`` passes over ``(B, N)`` per call), so its memory is the output plus the input:
it never builds a ``(batch, n_filters, n_echoes, time)`` tensor. What each backward recomputes,
exactly:

* ``comb_filter`` backward: nothing; it reads ``dL/dy`` ``(B, F, N)`` and ``x``.
* ``comb_envelope`` backward, ``mode="max"``: no ``(B, F, N)`` tensor at all. ``dL/dy`` is non-zero
  only at the stored argmax of each frame, so ``y`` is re-evaluated at those ``B F P`` samples only
  (``T`` gathers each) for ``sign(y)``, and the gradients are the adjoint restricted to them:
  ``O(B F P T)`` work and memory.
* ``comb_envelope`` backward, ``mode="energy"``: recomputes ``y`` once (the forward does not keep
  it), one filter at a time: that filter's ``y_f`` ``(B, N)`` and ``dL/dy_f = 2 y_f · spread(dL/dz_f)``
  ``(B, N)``, then the ``comb_filter`` backward of that filter on it.
* ``comb_envelope`` forward on the CPU: ``mode="max"`` runs a compiled kernel when numba is
  installed (:mod:`._comb_numba`: one (recording, filter) row at a time in a scratch row of ``N``
  samples); otherwise, and for ``"energy"``, plain torch one filter at a time: its largest
  temporaries are one filter's ``y_f`` and ``|y_f|`` (or ``y_f²``), ``(B, N)`` each, never
  ``(B, F, N)`` (``benchmarks/cpu_speed.py`` goal 4 measures the peak). Both directions are ``torch.library`` custom operators
(``sklearn_wavefront::comb_filter`` and ``sklearn_wavefront::comb_envelope`` with their backward
operators), so ``torch.compile`` treats them as opaque nodes and another device's kernels can be
registered for them; eager calls run the same kernels through plain ``torch.autograd.Function`` s
(see "Eager calls" below: calling a custom operator imports ``torch._dynamo``, 1.2-1.5 s per process).

Cost: ``(T + 1) · 2`` multiply-adds per output sample and filter (the exact IIR of
:mod:`sklearn_wavefront.ops.iir` costs 1).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from .._validation import check_choice, check_open_unit_interval, check_positive_int, check_waveform
from ._comb_torch import (  # noqa: F401  (the reference kernels are also read from here by tests and benchmarks)
    _comb_envelope_backward_torch,
    _comb_envelope_torch,
    _comb_filter_backward_torch,
    _comb_filter_torch,
    _comb_max_envelope_numba,
    _echo_taps,
    _no_grad_x,
    _numba_comb_kernels,
    envelope_padding,
    frames_for_pad,
)

__all__ = ["comb_filter", "comb_envelope", "envelope_length", "envelope_padding", "comb_fir_taps"]


# --------------------------------------------------------------------------------------------
# Backend dispatch. Another backend registers itself here (the Triton kernels for CUDA tensors,
# from ops/__init__.py); CPU tensors and any device without a registered backend use the
# plain-torch kernels of ops/_comb_torch.py.
# --------------------------------------------------------------------------------------------

_BACKENDS: dict[str, object] = {}


def register_backend(device_type: str, backend) -> None:
    """Register an object with the four kernel methods of this module for tensors on ``device_type``.

    The backend provides ``comb_filter(x, delay, alpha, n_echoes)``,
    ``comb_filter_backward(grad, x, delay, alpha, n_echoes, need_grad_x)``,
    ``comb_envelope(x, delay, alpha, n_echoes, window, stride, mode, pad)`` and
    ``comb_envelope_backward(grad_z, x, delay, alpha, argmax, n_echoes, window, stride, mode, pad, need_grad_x)``
    with the semantics of the ``_..._torch`` functions above. ``need_grad_x`` is always passed
    (positionally); when it is False the backward methods must skip all ``dL/dx`` work, allocate
    nothing input-sized for it, and return ``x.new_empty((0,))`` in its place (the fake kernels of
    the backward operators say so).
    """
    _BACKENDS[device_type] = backend


def _backend(x: Tensor):
    return _BACKENDS.get(x.device.type)


# --------------------------------------------------------------------------------------------
# Custom operators
# --------------------------------------------------------------------------------------------


def _comb_filter_impl(x, delay, alpha, n_echoes):
    backend = _backend(x)
    if backend is not None:
        return backend.comb_filter(x, delay, alpha, n_echoes)
    return _comb_filter_torch(x, delay, alpha, n_echoes)


def _comb_filter_backward_impl(grad, x, delay, alpha, n_echoes, need_grad_x=True):
    backend = _backend(x)
    if backend is not None:
        return backend.comb_filter_backward(grad.contiguous(), x, delay, alpha, n_echoes, need_grad_x)
    return _comb_filter_backward_torch(grad, x, delay, alpha, n_echoes, need_grad_x)


def _comb_envelope_impl(x, delay, alpha, n_echoes, window, stride, mode, pad):
    backend = _backend(x)
    if backend is not None:
        return backend.comb_envelope(x, delay, alpha, n_echoes, window, stride, mode, pad)
    return _comb_envelope_torch(x, delay, alpha, n_echoes, window, stride, mode, pad)


def _comb_envelope_backward_impl(grad_z, x, delay, alpha, argmax, n_echoes, window, stride, mode, pad,
                                 need_grad_x=True):
    backend = _backend(x)
    if backend is not None:
        return backend.comb_envelope_backward(
            grad_z.contiguous(), x, delay, alpha, argmax, n_echoes, window, stride, mode, pad, need_grad_x
        )
    return _comb_envelope_backward_torch(
        grad_z, x, delay, alpha, argmax, n_echoes, window, stride, mode, pad, need_grad_x
    )


@torch.library.custom_op("sklearn_wavefront::comb_filter", mutates_args=())
def _comb_filter_op(x: Tensor, delay: Tensor, alpha: Tensor, n_echoes: int) -> Tensor:
    return _comb_filter_impl(x, delay, alpha, n_echoes)


@_comb_filter_op.register_fake
def _(x, delay, alpha, n_echoes):
    return x.new_empty((x.shape[0], delay.shape[0], x.shape[1]))


@torch.library.custom_op("sklearn_wavefront::comb_filter_backward", mutates_args=())
def _comb_filter_backward_op(
    grad: Tensor, x: Tensor, delay: Tensor, alpha: Tensor, n_echoes: int, need_grad_x: bool = True
) -> tuple[Tensor, Tensor, Tensor]:
    return _comb_filter_backward_impl(grad, x, delay, alpha, n_echoes, need_grad_x)


def _backward_fake(x, delay, alpha, need_grad_x):
    grad_x = torch.empty_like(x) if need_grad_x else _no_grad_x(x)
    return grad_x, torch.empty_like(delay), torch.empty_like(alpha)


@_comb_filter_backward_op.register_fake
def _(grad, x, delay, alpha, n_echoes, need_grad_x=True):
    return _backward_fake(x, delay, alpha, need_grad_x)


def _comb_filter_setup_context(ctx, inputs, output):
    x, delay, alpha, n_echoes = inputs
    ctx.save_for_backward(x, delay, alpha)
    ctx.n_echoes = n_echoes


def _comb_filter_autograd(ctx, grad):
    x, delay, alpha = ctx.saved_tensors
    need_grad_x = bool(ctx.needs_input_grad[0])
    grad_x, grad_delay, grad_alpha = _comb_filter_backward_op(grad, x, delay, alpha, ctx.n_echoes, need_grad_x)
    return (grad_x if need_grad_x else None), grad_delay, grad_alpha, None


_comb_filter_op.register_autograd(_comb_filter_autograd, setup_context=_comb_filter_setup_context)


@torch.library.custom_op("sklearn_wavefront::comb_envelope", mutates_args=())
def _comb_envelope_op(
    x: Tensor, delay: Tensor, alpha: Tensor, n_echoes: int, window: int, stride: int, mode: str, pad: int
) -> tuple[Tensor, Tensor]:
    return _comb_envelope_impl(x, delay, alpha, n_echoes, window, stride, mode, pad)


@_comb_envelope_op.register_fake
def _(x, delay, alpha, n_echoes, window, stride, mode, pad):
    n_frames = frames_for_pad(x.shape[1], window, stride, pad)
    z = x.new_empty((x.shape[0], delay.shape[0], n_frames))
    if mode == "max":
        return z, x.new_empty((x.shape[0], delay.shape[0], n_frames), dtype=torch.int64)
    return z, x.new_empty((0,), dtype=torch.int64)


@torch.library.custom_op("sklearn_wavefront::comb_envelope_backward", mutates_args=())
def _comb_envelope_backward_op(
    grad_z: Tensor,
    x: Tensor,
    delay: Tensor,
    alpha: Tensor,
    argmax: Tensor,
    n_echoes: int,
    window: int,
    stride: int,
    mode: str,
    pad: int,
    need_grad_x: bool = True,
) -> tuple[Tensor, Tensor, Tensor]:
    return _comb_envelope_backward_impl(grad_z, x, delay, alpha, argmax, n_echoes, window, stride, mode, pad,
                                        need_grad_x)


@_comb_envelope_backward_op.register_fake
def _(grad_z, x, delay, alpha, argmax, n_echoes, window, stride, mode, pad, need_grad_x=True):
    return _backward_fake(x, delay, alpha, need_grad_x)


def _comb_envelope_setup_context(ctx, inputs, output):
    x, delay, alpha, n_echoes, window, stride, mode, pad = inputs
    _, argmax = output
    ctx.save_for_backward(x, delay, alpha, argmax)
    ctx.params = (n_echoes, window, stride, mode, pad)
    ctx.mark_non_differentiable(argmax)


def _comb_envelope_autograd(ctx, grad_z, _grad_argmax):
    x, delay, alpha, argmax = ctx.saved_tensors
    need_grad_x = bool(ctx.needs_input_grad[0])
    grad_x, grad_delay, grad_alpha = _comb_envelope_backward_op(
        grad_z, x, delay, alpha, argmax, *ctx.params, need_grad_x
    )
    return (grad_x if need_grad_x else None), grad_delay, grad_alpha, None, None, None, None, None


_comb_envelope_op.register_autograd(_comb_envelope_autograd, setup_context=_comb_envelope_setup_context)


# --------------------------------------------------------------------------------------------
# Eager calls: the same kernels through a plain autograd.Function
# --------------------------------------------------------------------------------------------
#
# Calling a ``torch.library.custom_op`` runs its kernel inside ``torch._disable_dynamo``, whose first
# call imports ``torch._dynamo`` (1.2-1.5 s here, in every fresh process: every joblib worker, every
# ``wavefront`` command). Outside ``torch.compile`` nothing needs the operator's dispatcher entry, so
# eager calls go through these Functions instead: the same ``_..._impl`` kernels (and back-end
# dispatch), the same saved tensors and the same ``need_grad_x`` rule, so values and gradients are
# identical (tested). Under ``torch.compile`` (and for fake or functorch-wrapped tensors) the custom
# operators run, as opaque nodes of the graph.


class _CombFilterFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, delay, alpha, n_echoes):
        ctx.save_for_backward(x, delay, alpha)
        ctx.n_echoes = n_echoes
        return _comb_filter_impl(x, delay, alpha, n_echoes)

    @staticmethod
    def backward(ctx, grad):
        x, delay, alpha = ctx.saved_tensors
        need_grad_x = bool(ctx.needs_input_grad[0])
        grad_x, grad_delay, grad_alpha = _comb_filter_backward_impl(grad, x, delay, alpha, ctx.n_echoes, need_grad_x)
        return (grad_x if need_grad_x else None), grad_delay, grad_alpha, None


class _CombEnvelopeFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, delay, alpha, n_echoes, window, stride, mode, pad):
        z, argmax = _comb_envelope_impl(x, delay, alpha, n_echoes, window, stride, mode, pad)
        ctx.save_for_backward(x, delay, alpha, argmax)
        ctx.params = (n_echoes, window, stride, mode, pad)
        ctx.mark_non_differentiable(argmax)
        return z, argmax

    @staticmethod
    def backward(ctx, grad_z, _grad_argmax):
        x, delay, alpha, argmax = ctx.saved_tensors
        need_grad_x = bool(ctx.needs_input_grad[0])
        grad_x, grad_delay, grad_alpha = _comb_envelope_backward_impl(
            grad_z, x, delay, alpha, argmax, *ctx.params, need_grad_x
        )
        return (grad_x if need_grad_x else None), grad_delay, grad_alpha, None, None, None, None, None


_PLAIN = (Tensor, torch.nn.Parameter)


def _eager(*tensors) -> bool:
    """Whether a call can bypass the custom operators: not traced by torch.compile, plain tensors."""
    return (
        not torch.compiler.is_compiling()
        and not torch._C._are_functorch_transforms_active()
        and all(type(t) in _PLAIN for t in tensors)
    )


def _comb_filter_call(x, delay, alpha, n_echoes):
    """The comb_filter operator on prepared inputs: the eager Function, or the custom op when traced."""
    if _eager(x, delay, alpha):
        return _CombFilterFunction.apply(x, delay, alpha, n_echoes)
    return _comb_filter_op(x, delay, alpha, n_echoes)


def _comb_envelope_call(x, delay, alpha, n_echoes, window, stride, mode, pad, need_argmax=True):
    """The comb_envelope operator on prepared inputs ``(z, argmax)``: the eager Function, or the custom op.

    ``need_argmax=False``: the caller reads only ``z``. When nothing will differentiate ``z`` either
    (grad mode off, or no input requiring a gradient, and no forward-mode level open) the max envelope
    on the CPU then skips the search for each maximum's index where frames are whole hops
    (transforms and predictions: a sixth of the kernel's time), and ``argmax`` is empty; ``z`` is the
    same.
    """
    if _eager(x, delay, alpha):
        records_grad = torch.is_grad_enabled() and any(t.requires_grad for t in (x, delay, alpha))
        # dual tensors of forward-mode AD do not require grad: the Function says it has no jvp
        forward_ad = getattr(torch.autograd.forward_ad, "_current_level", -1) >= 0
        if not (need_argmax or records_grad or forward_ad) and mode == "max" and _backend(x) is None:
            values = _comb_max_envelope_numba(x, delay, alpha, n_echoes, window, stride, pad, need_argmax=False)
            if values is not None:
                return values
        return _CombEnvelopeFunction.apply(x, delay, alpha, n_echoes, window, stride, mode, pad)
    return _comb_envelope_op(x, delay, alpha, n_echoes, window, stride, mode, pad)


# --------------------------------------------------------------------------------------------
# Public functions: validation, shapes, broadcasting
# --------------------------------------------------------------------------------------------


def _prepare(x, delay, alpha, n_echoes, min_length=1, min_length_reason=""):
    x = check_waveform(x, min_length=min_length, min_length_reason=min_length_reason)
    n_echoes = check_positive_int("n_echoes", n_echoes)
    delay = torch.as_tensor(delay, device=x.device)
    if delay.ndim != 1 or delay.shape[0] < 1:
        raise ValueError(f"delay must be a 1-D tensor of n_filters delays in samples, got shape {tuple(delay.shape)}")
    if not delay.is_floating_point():
        delay = delay.to(x.dtype if x.dtype in (torch.float32, torch.float64) else torch.float32)
    alpha = torch.as_tensor(alpha, device=x.device, dtype=delay.dtype)
    if alpha.ndim == 0:
        alpha = alpha.expand(delay.shape[0])  # a scalar gain is shared; its gradient sums over filters
    elif alpha.shape != delay.shape:
        raise ValueError(
            f"alpha must be a scalar or have the shape of delay {tuple(delay.shape)}, got shape {tuple(alpha.shape)}"
        )
    if not torch.compiler.is_compiling():
        if not bool(torch.isfinite(delay).all()) or bool((delay <= 0).any()):
            raise ValueError(
                f"delay must be finite and > 0 samples, got delay={delay.detach().to(torch.float64).cpu().numpy()!r}"
            )
        check_open_unit_interval("alpha", alpha)
    return x.contiguous(), delay.contiguous(), alpha.contiguous(), n_echoes


def comb_filter(x: Tensor, delay, alpha=0.9, n_echoes: int = 10) -> Tensor:
    """Apply a bank of comb filters (the differentiable training operator).

    Parameters
    ----------
    x : Tensor of shape (batch, time) or (batch, 1, time)
        Waveforms, float16/32/64 (half precision is accumulated in float32).
    delay : Tensor of shape (n_filters,)
        Continuous delays in samples (``sample_rate / f0``), > 0.
    alpha : float or Tensor of shape () or (n_filters,), default=0.9
        Feedback gain, strictly inside (-1, 1).
    n_echoes : int, default=10
        Number ``T`` of echoes of the truncated FIR surrogate.

    Returns
    -------
    y : Tensor of shape (batch, n_filters, time)
        ``y[b, f, n] = x[b, n] + sum_t alpha_f^t ((1 - beta) x[n - s] + beta x[n - s - 1])`` with
        ``s = floor(t D_f)``, ``beta = t D_f - s`` (module docstring). Differentiable w.r.t. ``x``,
        ``delay`` and ``alpha``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_wavefront.ops import comb_filter
    >>> x = torch.zeros(1, 8); x[0, 0] = 1.0            # an impulse
    >>> comb_filter(x, torch.tensor([2.5]), alpha=0.5, n_echoes=2)[0, 0]
    tensor([1.0000, 0.0000, 0.2500, 0.2500, 0.0000, 0.2500, 0.0000, 0.0000])
    """
    x, delay, alpha, n_echoes = _prepare(x, delay, alpha, n_echoes)
    return _comb_filter_call(x, delay, alpha, n_echoes)


def envelope_length(n_samples: int, window: int, stride: int, padding: str = "valid") -> int:
    """Number of frames of :func:`comb_envelope`: ``(N + 2 pad - window) // stride + 1`` (0 if negative).

    ``pad = 0`` for ``padding="valid"`` and ``window // 2`` for ``padding="center"`` (frame ``p`` is then
    centred on sample ``p * stride``).
    """
    return frames_for_pad(n_samples, window, stride, envelope_padding(window, padding))


def comb_envelope(
    x: Tensor,
    delay,
    alpha=0.9,
    window: int = 1024,
    stride: int = 512,
    n_echoes: int = 10,
    mode: str = "max",
    padding: str = "valid",
    return_argmax: bool = False,
):
    """Comb filtering fused with a frame envelope: ``(batch, time) -> (batch, n_filters, frames)``.

    ``mode="max"``: ``z[b, f, p] = max_{n in frame p} |y[b, f, n]|``; ``mode="energy"``:
    ``z[b, f, p] = mean_{n in frame p} y[b, f, n]**2``, where ``y = comb_filter(x, delay, alpha, n_echoes)``
    and frame ``p`` covers samples ``[p * stride - pad, p * stride - pad + window)``.

    Output-length rule: ``frames = (time + 2 * pad - window) // stride + 1`` with ``pad = 0`` for
    ``padding="valid"`` (needs ``time >= window``, else ``ValueError``) and ``pad = window // 2`` for
    ``padding="center"``, where ``y`` is extended by zeros (for ``"energy"`` the zeros count in the mean).
    Frames never look past the end of the signal in ``"valid"`` mode, so appending zeros to a
    recording (batch padding) leaves its first ``frames`` outputs unchanged.

    The gradient of ``"max"`` flows through the stored argmax (an absolute sample index in
    ``[0, time)``) times ``sign(y)``; the argmax is returned when ``return_argmax=True``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_wavefront.ops import comb_envelope
    >>> x = torch.randn(2, 4000)
    >>> comb_envelope(x, torch.tensor([40.0, 80.0, 160.0]), window=400, stride=200).shape
    torch.Size([2, 3, 19])
    """
    window = check_positive_int("window", window)
    stride = check_positive_int("stride", stride)
    mode = check_choice("mode", mode, {"max", "energy"})
    padding = check_choice("padding", padding, {"valid", "center"})
    pad = envelope_padding(window, padding)
    x, delay, alpha, n_echoes = _prepare(
        x,
        delay,
        alpha,
        n_echoes,
        min_length=max(1, window - 2 * pad),
        min_length_reason=f"one frame of window={window} samples with padding={padding!r}",
    )
    z, argmax = _comb_envelope_call(x, delay, alpha, n_echoes, window, stride, mode, pad, need_argmax=return_argmax)
    return (z, argmax) if return_argmax else z


def comb_fir_taps(delay: float, alpha: float, n_echoes: int = 10):
    """The dense FIR kernel equivalent to one comb filter of the training operator.

    Returns a float64 numpy array ``h`` of length ``floor(n_echoes * delay) + 2`` with
    ``y = numpy.convolve(x, h)[:len(x)]``. Used by tests (as an independent reference) and by the
    benchmark's dense ``conv1d`` surrogate.
    """
    taps = np.zeros(math.floor(n_echoes * delay) + 2)
    taps[0] = 1.0
    for _, s, beta, gain in _echo_taps(float(delay), float(alpha), n_echoes):
        taps[s] += gain * (1 - beta)
        taps[s + 1] += gain * beta
    return taps
