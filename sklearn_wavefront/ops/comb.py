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

The plain-torch implementation below loops over filters and echoes with in-place strided
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
registered for them.

Cost: ``(T + 1) · 2`` multiply-adds per output sample and filter (the exact IIR of
:mod:`sklearn_wavefront.ops.iir` costs 1).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .._validation import check_choice, check_open_unit_interval, check_positive_int, check_waveform

__all__ = ["comb_filter", "comb_envelope", "envelope_length", "envelope_padding", "comb_fir_taps"]


# --------------------------------------------------------------------------------------------
# Plain-torch reference kernels (the CPU path, and the reference for every other backend)
# --------------------------------------------------------------------------------------------


def _acc_dtype(dtype: torch.dtype) -> torch.dtype:
    """Half-precision inputs are accumulated in float32."""
    return torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype


def _echo_taps(delay_f: float, alpha_f: float, n_echoes: int):
    """Yield ``(t, s, beta, alpha^t)`` for the echoes t = 1..T of one filter."""
    gain = 1.0
    for t in range(1, n_echoes + 1):
        gain *= alpha_f
        td = t * delay_f
        s = math.floor(td)
        yield t, s, td - s, gain


def _echo_table(delay: Tensor, alpha: Tensor, n_echoes: int):
    """:func:`_echo_taps` of every filter as ``(F, T)`` numpy arrays: shifts (int64), betas, gains (float64)."""
    taps = [list(_echo_taps(d, a, n_echoes)) for d, a in zip(delay.tolist(), alpha.tolist())]
    shift = np.array([[e[1] for e in row] for row in taps], dtype=np.int64).reshape(len(taps), n_echoes)
    beta = np.array([[e[2] for e in row] for row in taps], dtype=np.float64).reshape(len(taps), n_echoes)
    gain = np.array([[e[3] for e in row] for row in taps], dtype=np.float64).reshape(len(taps), n_echoes)
    return shift, beta, gain


def _comb_filter_torch(x: Tensor, delay: Tensor, alpha: Tensor, n_echoes: int) -> Tensor:
    batch, n = x.shape
    acc = _acc_dtype(x.dtype)
    xa = x.to(acc)
    y = xa[:, None, :].expand(batch, delay.shape[0], n).clone()
    for f, (d, a) in enumerate(zip(delay.tolist(), alpha.tolist())):
        yf = y[:, f, :]
        for _, s, beta, gain in _echo_taps(d, a, n_echoes):
            if s < n:
                yf[:, s:].add_(xa[:, : n - s], alpha=gain * (1.0 - beta))
            if s + 1 < n:
                yf[:, s + 1 :].add_(xa[:, : n - s - 1], alpha=gain * beta)
    return y.to(x.dtype)


def _no_grad_x(x: Tensor) -> Tensor:
    """What the backward operators return in place of dL/dx when ``need_grad_x`` is False."""
    return x.new_empty((0,))


def _comb_filter_backward_torch(
    grad: Tensor, x: Tensor, delay: Tensor, alpha: Tensor, n_echoes: int, need_grad_x: bool = True
):
    """``(dL/dx, dL/ddelay, dL/dalpha)``; ``dL/dx`` is ``_no_grad_x(x)`` (shape (0,)) unless ``need_grad_x``."""
    batch, n = x.shape
    acc = _acc_dtype(x.dtype)
    xa, ga = x.to(acc), grad.to(acc)
    grad_x = ga.sum(dim=1) if need_grad_x else None
    grad_delay = torch.zeros(delay.shape[0], dtype=torch.float64)
    grad_alpha = torch.zeros(delay.shape[0], dtype=torch.float64)
    for f, (d, a) in enumerate(zip(delay.tolist(), alpha.tolist())):
        gf = ga[:, f, :]
        gd = galpha = 0.0
        for t, s, beta, gain in _echo_taps(d, a, n_echoes):
            # <g, x[. - s]> and <g, x[. - s - 1]>: correlations at the two taps of echo t.
            corr0 = float((gf[:, s:] * xa[:, : n - s]).sum()) if s < n else 0.0
            corr1 = float((gf[:, s + 1 :] * xa[:, : n - s - 1]).sum()) if s + 1 < n else 0.0
            if need_grad_x and s < n:
                grad_x[:, : n - s].add_(gf[:, s:], alpha=gain * (1.0 - beta))
            if need_grad_x and s + 1 < n:
                grad_x[:, : n - s - 1].add_(gf[:, s + 1 :], alpha=gain * beta)
            gd += t * gain * (corr1 - corr0)
            gain_prev = a ** (t - 1)  # d(alpha^t)/d alpha = t alpha^(t-1); 0**0 == 1 in Python
            galpha += t * gain_prev * ((1.0 - beta) * corr0 + beta * corr1)
        grad_delay[f] = gd
        grad_alpha[f] = galpha
    # The accumulators live on the CPU (float64); the gradients go back to the parameters' device.
    return (
        grad_x.to(x.dtype) if need_grad_x else _no_grad_x(x),
        grad_delay.to(device=delay.device, dtype=delay.dtype),
        grad_alpha.to(device=alpha.device, dtype=alpha.dtype),
    )


def _envelope_pool_torch(y: Tensor, window: int, stride: int, mode: str, pad: int):
    """``(B, F, N) -> (z, argmax)``: max |y| (argmax absolute, in [0, N)) or mean y² per frame."""
    batch, n_filters, n = y.shape
    flat = y.reshape(batch * n_filters, 1, n)
    if mode == "max":
        # max_pool1d pads with -inf, so the argmax always lands on a real sample, and it returns
        # indices into the unpadded input: absolute sample positions.
        z, idx = F.max_pool1d(flat.abs(), window, stride, padding=pad, return_indices=True)
        return z.reshape(batch, n_filters, -1), idx.reshape(batch, n_filters, -1)
    z = F.avg_pool1d(flat.square(), window, stride, padding=pad, count_include_pad=True)
    return z.reshape(batch, n_filters, -1), torch.empty(0, dtype=torch.int64, device=y.device)


_NUMBA_COMB = None  # the compiled kernels module once imported, False when numba is missing


def _numba_comb_kernels():
    """:mod:`._comb_numba`, or ``None`` when numba is not installed (imported once, lazily)."""
    global _NUMBA_COMB
    if _NUMBA_COMB is None:
        try:
            from . import _comb_numba
        except ImportError:
            _NUMBA_COMB = False
        else:
            _NUMBA_COMB = _comb_numba
    return _NUMBA_COMB or None


def _comb_max_envelope_numba(x, delay, alpha, n_echoes, window, stride, pad):
    """The max-envelope forward through the compiled kernel (CPU float32/float64 ``x``), or ``None``."""
    kernels = _numba_comb_kernels()
    if kernels is None or x.device.type != "cpu" or x.dtype not in (torch.float32, torch.float64):
        return None
    shifts, beta, gain = _echo_table(delay, alpha, n_echoes)
    np_dtype = np.float32 if x.dtype == torch.float32 else np.float64
    c0 = (gain * (1.0 - beta)).astype(np_dtype)  # rounded once, as the torch path's add_(alpha=...)
    c1 = (gain * beta).astype(np_dtype)
    xn = x.detach().contiguous().numpy()
    n_frames = frames_for_pad(xn.shape[1], window, stride, pad)
    z = np.empty((xn.shape[0], shifts.shape[0], n_frames), dtype=np_dtype)
    argmax = np.empty(z.shape, dtype=np.int64)
    kernels.comb_max_envelope_kernel(xn, shifts, c0, c1, window, stride, pad, z, argmax)
    return torch.from_numpy(z), torch.from_numpy(argmax)


def _comb_envelope_torch(x, delay, alpha, n_echoes, window, stride, mode, pad):
    """The CPU forward (and any device without a backend of its own).

    ``mode="max"`` on float32/float64 CPU input runs the compiled kernel of :mod:`._comb_numba` when
    numba is installed (one row at a time, no thread pool; values equal to float rounding).
    Otherwise one filter at a time: the largest temporary is one filter's ``(B, N)`` output (and
    its ``|y|`` or ``y²``), never the ``(B, F, N)`` filterbank output; values equal the all-filters-
    at-once computation bit for bit (each filter's arithmetic is the same)."""
    if mode == "max":
        compiled = _comb_max_envelope_numba(x, delay, alpha, n_echoes, window, stride, pad)
        if compiled is not None:
            return compiled
    zs, idx = [], []
    for f in range(delay.shape[0]):
        y_f = _comb_filter_torch(x, delay[f : f + 1], alpha[f : f + 1], n_echoes)  # (B, 1, N)
        z_f, i_f = _envelope_pool_torch(y_f, window, stride, mode, pad)
        zs.append(z_f)
        idx.append(i_f)
    z = torch.cat(zs, dim=1)
    return z, (torch.cat(idx, dim=1) if mode == "max" else idx[0])


def _envelope_grad_y_torch(grad_z, y, argmax, window, stride, mode, pad):
    """dL/dy from dL/dz: through the stored absolute argmax with sign(y), or the mean-y² adjoint."""
    batch, n_filters, n = y.shape
    if mode == "max":
        sign = torch.sign(torch.gather(y, -1, argmax))
        return torch.zeros_like(y).scatter_add_(-1, argmax, grad_z * sign)
    # Adjoint of zero-padded average pooling: spread each frame's gradient over its window / W.
    box = torch.full((1, 1, window), 1.0 / window, dtype=y.dtype, device=y.device)
    spread = F.conv_transpose1d(grad_z.reshape(batch * n_filters, 1, -1), box, stride=stride)
    spread = spread[..., pad : pad + n]
    if spread.shape[-1] < n:  # samples after the last frame receive no gradient
        spread = F.pad(spread, (0, n - spread.shape[-1]))
    return 2.0 * y * spread.reshape(batch, n_filters, n)


def _comb_max_envelope_backward_sparse(grad_z, x, delay, alpha, argmax, n_echoes, need_grad_x):
    """Max-envelope backward from the stored argmax only: ``O(B F P T)`` work, nothing of size (B, F, N).

    ``dL/dy`` is non-zero only at the stored argmax ``m`` of each frame, where it is
    ``g = dL/dz * sign(y[m])``. ``y[m]`` is re-evaluated at those ``P`` samples only (a gather of
    ``x[m]``, ``x[m - s]``, ``x[m - s - 1]`` per echo), and the three gradients are the comb
    operator's adjoint restricted to them: ``dL/dx`` scatters ``g`` (gain 1) to ``m`` and ``g α^t (1-β)``,
    ``g α^t β`` to ``m - s``, ``m - s - 1``; ``dL/dD`` and ``dL/dα`` are the correlations of ``g`` with
    ``x[m - s]`` and ``x[m - s - 1]``.
    """
    acc = _acc_dtype(x.dtype)
    batch, n = x.shape
    n_filters = delay.shape[0]
    xa = x.to(acc)
    g = grad_z.to(acc)  # (B, F, P)
    shift, beta, gain = (torch.from_numpy(t).to(x.device) for t in _echo_table(delay, alpha, n_echoes))  # (F, T)
    beta, gain = beta.to(acc), gain.to(acc)
    t_idx = torch.arange(1, n_echoes + 1, dtype=acc, device=x.device)
    a = alpha.to(device=x.device, dtype=torch.float64)
    # d(alpha^t)/d alpha = t alpha^(t-1)
    dgain = (t_idx.double()[None, :] * a[:, None] ** (t_idx.double()[None, :] - 1)).to(acc)

    flat = xa.reshape(-1)
    base = (torch.arange(batch, device=x.device) * n)[:, None, None]  # (B, 1, 1)

    def gather(pos):  # x[b, pos] with zeros before the start; pos (B, F, P[, T])
        valid = pos >= 0
        b = base if pos.ndim == 3 else base[..., None]
        return torch.where(valid, flat[(pos.clamp_min(0) + b).reshape(-1)].reshape(pos.shape), 0.0), valid

    m = argmax.to(torch.int64)  # (B, F, P), absolute indices
    x_m, _ = gather(m)
    pos0 = m[..., None] - shift[None, :, None, :]  # (B, F, P, T)
    x0, v0 = gather(pos0)
    x1, v1 = gather(pos0 - 1)
    bt, gt = beta[None, :, None, :], gain[None, :, None, :]
    y_m = x_m + (gt * ((1 - bt) * x0 + bt * x1)).sum(-1)
    gs = g * torch.sign(y_m)  # dL/dy at the argmax samples
    corr0 = (gs[..., None] * x0).sum(dim=(0, 2))  # (F, T)
    corr1 = (gs[..., None] * x1).sum(dim=(0, 2))
    t_f = t_idx[None, :]
    grad_delay = (t_f * gain * (corr1 - corr0)).sum(-1)
    grad_alpha = (dgain * ((1 - beta) * corr0 + beta * corr1)).sum(-1)
    if need_grad_x:
        grad_flat = torch.zeros(batch * n, dtype=acc, device=x.device)
        grad_flat.index_add_(0, (m + base).reshape(-1), gs.reshape(-1))
        w0 = (gs[..., None] * gt * (1 - bt)) * v0
        w1 = (gs[..., None] * gt * bt) * v1
        b4 = base[..., None]
        grad_flat.index_add_(0, (pos0.clamp_min(0) + b4).reshape(-1), w0.reshape(-1))
        grad_flat.index_add_(0, ((pos0 - 1).clamp_min(0) + b4).reshape(-1), w1.reshape(-1))
        grad_x = grad_flat.reshape(batch, n).to(x.dtype)
    else:
        grad_x = _no_grad_x(x)
    return (
        grad_x,
        grad_delay.to(device=delay.device, dtype=delay.dtype),
        grad_alpha.to(device=alpha.device, dtype=alpha.dtype),
    )


def _comb_envelope_backward_torch(
    grad_z, x, delay, alpha, argmax, n_echoes, window, stride, mode, pad, need_grad_x: bool = True
):
    """``(dL/dx, dL/ddelay, dL/dalpha)``; ``dL/dx`` is ``_no_grad_x(x)`` (shape (0,)) unless ``need_grad_x``."""
    acc = _acc_dtype(x.dtype)
    if mode == "max":
        return _comb_max_envelope_backward_sparse(grad_z, x, delay, alpha, argmax, n_echoes, need_grad_x)
    # energy: one filter at a time, recomputing that filter's y (B, N) and dL/dy (B, N)
    xa, ga = x.to(acc), grad_z.to(acc)
    grad_x = torch.zeros_like(xa) if need_grad_x else None
    grad_delay, grad_alpha = torch.empty_like(delay), torch.empty_like(alpha)
    for f in range(delay.shape[0]):
        d_f, a_f = delay[f : f + 1], alpha[f : f + 1]
        y_f = _comb_filter_torch(xa, d_f, a_f, n_echoes)
        grad_y = _envelope_grad_y_torch(ga[:, f : f + 1], y_f, argmax, window, stride, mode, pad)
        gx_f, grad_delay[f : f + 1], grad_alpha[f : f + 1] = _comb_filter_backward_torch(
            grad_y, xa, d_f, a_f, n_echoes, need_grad_x
        )
        if need_grad_x:
            grad_x.add_(gx_f)
    return (grad_x.to(x.dtype) if need_grad_x else _no_grad_x(x)), grad_delay, grad_alpha


# --------------------------------------------------------------------------------------------
# Backend dispatch. Another backend (Triton on CUDA) registers itself here; CPU tensors and any
# device without a registered backend use the plain-torch kernels above.
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


@torch.library.custom_op("sklearn_wavefront::comb_filter", mutates_args=())
def _comb_filter_op(x: Tensor, delay: Tensor, alpha: Tensor, n_echoes: int) -> Tensor:
    backend = _backend(x)
    if backend is not None:
        return backend.comb_filter(x, delay, alpha, n_echoes)
    return _comb_filter_torch(x, delay, alpha, n_echoes)


@_comb_filter_op.register_fake
def _(x, delay, alpha, n_echoes):
    return x.new_empty((x.shape[0], delay.shape[0], x.shape[1]))


@torch.library.custom_op("sklearn_wavefront::comb_filter_backward", mutates_args=())
def _comb_filter_backward_op(
    grad: Tensor, x: Tensor, delay: Tensor, alpha: Tensor, n_echoes: int, need_grad_x: bool = True
) -> tuple[Tensor, Tensor, Tensor]:
    backend = _backend(x)
    if backend is not None:
        return backend.comb_filter_backward(grad.contiguous(), x, delay, alpha, n_echoes, need_grad_x)
    return _comb_filter_backward_torch(grad, x, delay, alpha, n_echoes, need_grad_x)


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
    backend = _backend(x)
    if backend is not None:
        return backend.comb_envelope(x, delay, alpha, n_echoes, window, stride, mode, pad)
    return _comb_envelope_torch(x, delay, alpha, n_echoes, window, stride, mode, pad)


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
    backend = _backend(x)
    if backend is not None:
        return backend.comb_envelope_backward(
            grad_z.contiguous(), x, delay, alpha, argmax, n_echoes, window, stride, mode, pad, need_grad_x
        )
    return _comb_envelope_backward_torch(
        grad_z, x, delay, alpha, argmax, n_echoes, window, stride, mode, pad, need_grad_x
    )


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
    return _comb_filter_op(x, delay, alpha, n_echoes)


def envelope_padding(window: int, padding: str) -> int:
    """Zeros added on *each* side of ``y`` before pooling: 0 for ``"valid"``, ``window // 2`` for ``"center"``."""
    return 0 if padding == "valid" else window // 2


def frames_for_pad(n_samples: int, window: int, stride: int, pad: int) -> int:
    """Frames of ``window`` samples every ``stride`` over ``n_samples`` extended by ``pad`` zeros on each side.

    ``(n_samples + 2 pad - window) // stride + 1``, or 0 when not even one frame fits.
    """
    span = n_samples + 2 * pad - window
    return span // stride + 1 if span >= 0 else 0


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
    z, argmax = _comb_envelope_op(x, delay, alpha, n_echoes, window, stride, mode, pad)
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


# --------------------------------------------------------------------------------------------
# Triton kernels for CUDA tensors (ops/_triton_comb.py), registered only when CUDA is available
# and triton imports; otherwise every device runs the plain-torch kernels above.
# --------------------------------------------------------------------------------------------

if torch.cuda.is_available():
    try:
        from ._triton_comb import register_cuda_backend as _register_triton
    except Exception:  # triton missing or broken: the torch path serves CUDA tensors
        _register_triton = None
    if _register_triton is not None:
        _register_triton()
