r"""The plain-torch kernels of the comb operators: the CPU path and the reference of every other back-end.

The lowest layer of the comb operator (DESIGN §2, §4): :mod:`.comb` registers its
``torch.library`` custom operators on these functions, and the Triton back-end
(:mod:`._triton_comb`) sends float64 to them and shares their frame rule (:func:`frames_for_pad`).
Nothing here imports another module of :mod:`sklearn_wavefront.ops` except the optional numba kernels
of the CPU max-envelope forward (:mod:`._comb_numba`, through :class:`._lazy.OptionalKernels`).
The math, the gradients and what each backward recomputes are written down in :mod:`.comb`.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .._dtypes import compute_dtype, numpy_dtype
from ._lazy import OptionalKernels

__all__ = ["envelope_padding", "frames_for_pad"]


# --------------------------------------------------------------------------------------------
# Frame rule (shared with the custom operators' fake kernels and the Triton back-end)
# --------------------------------------------------------------------------------------------


def envelope_padding(window: int, padding: str) -> int:
    """Zeros added on *each* side of ``y`` before pooling: 0 for ``"valid"``, ``window // 2`` for ``"center"``."""
    return 0 if padding == "valid" else window // 2


def frames_for_pad(n_samples: int, window: int, stride: int, pad: int) -> int:
    """Frames of ``window`` samples every ``stride`` over ``n_samples`` extended by ``pad`` zeros on each side.

    ``(n_samples + 2 pad - window) // stride + 1``, or 0 when not even one frame fits.
    """
    span = n_samples + 2 * pad - window
    return span // stride + 1 if span >= 0 else 0


# --------------------------------------------------------------------------------------------
# Plain-torch reference kernels (the CPU path, and the reference for every other backend)
# --------------------------------------------------------------------------------------------


def _delay_not_finite(n_echoes: int, which: str) -> ValueError:
    """The error of both tap tables for a delay whose echoes are not finite (``which``: the delay)."""
    return ValueError(f"the comb delays must be finite (with their {n_echoes} echoes): {which}; a NaN delay "
                      "usually means the training diverged")


def _echo_taps(delay_f: float, alpha_f: float, n_echoes: int):
    """Yield ``(t, s, beta, alpha^t)`` for the echoes t = 1..T of one filter."""
    gain = 1.0
    for t in range(1, n_echoes + 1):
        gain *= alpha_f
        td = t * delay_f
        if not math.isfinite(td):  # floor would raise a bare ValueError (NaN) or OverflowError (inf)
            raise _delay_not_finite(n_echoes, f"got delay {delay_f}")
        s = math.floor(td)
        yield t, s, td - s, gain


_SHIFT_CAP = float(2**62)  # beyond any row's length, and exact in float64 and int64


def _echo_table(delay: Tensor, alpha: Tensor, n_echoes: int):
    """:func:`_echo_taps` of every filter as ``(F, T)`` numpy arrays: shifts (int64), betas, gains (float64).

    The same float64 operations as :func:`_echo_taps`, in the same order (``t * D``, its floor, and
    ``alpha^t`` as a running product, here a cumulative product), so the tables equal it bit for bit;
    vectorised because it runs twice per training step (forward and backward), and the Python loop
    over ``F T`` taps took 0.3 ms of each.

    Shifts past ``2**62`` samples (delays that large are legal: every such echo falls before the
    start of any row) are capped there, where the int64 cast would overflow; a delay whose echoes
    are not finite (NaN, or overflowing to infinity) raises ``ValueError``, as the tap-by-tap rule does.
    """
    d = np.asarray(delay.detach().to(torch.float64).cpu(), dtype=np.float64).reshape(-1, 1)
    a = np.asarray(alpha.detach().to(torch.float64).cpu(), dtype=np.float64).reshape(-1, 1)
    with np.errstate(over="ignore", invalid="ignore"):  # a delay that overflows is refused just below
        td = np.arange(1, n_echoes + 1, dtype=np.float64) * d  # (F, T)
    if not np.isfinite(td).all():  # the tap-by-tap rule raised here too; a NaN cast to int64 is no shift
        bad = np.flatnonzero(~np.isfinite(td).all(axis=1)).tolist()
        raise _delay_not_finite(n_echoes, f"filter(s) {bad} have delay {d[bad, 0].tolist()}")
    shift = np.floor(td)
    gain = np.cumprod(np.broadcast_to(a, td.shape), axis=1)
    return np.minimum(shift, _SHIFT_CAP).astype(np.int64), td - shift, gain


def _comb_filter_torch(x: Tensor, delay: Tensor, alpha: Tensor, n_echoes: int) -> Tensor:
    batch, n = x.shape
    acc = compute_dtype(x.dtype)
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
    acc = compute_dtype(x.dtype)
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


#: :mod:`._comb_numba`, imported on first use; ``None`` when numba is not installed
_numba_comb_kernels = OptionalKernels("._comb_numba")


def _comb_max_envelope_numba(x, delay, alpha, n_echoes, window, stride, pad, need_argmax=True):
    """The max-envelope forward through the compiled kernel (CPU float32/float64 ``x``), or ``None``.

    ``(z, argmax)``; without ``need_argmax`` (nothing will differentiate these frames) ``argmax`` is
    empty, and the kernel skips the search for each maximum's index where frames are whole hops.
    """
    kernels = _numba_comb_kernels()
    if kernels is None or x.device.type != "cpu" or x.dtype not in (torch.float32, torch.float64):
        return None
    shifts, beta, gain = _echo_table(delay, alpha, n_echoes)
    # an echo of N or more samples reads only the zeros before the start, whatever its shift: capped
    # at N, the kernel's zero-led copy of a row (max shift + 1 zeros, then the row) stays under 2 N
    np.minimum(shifts, x.shape[-1], out=shifts)
    np_dtype = numpy_dtype(x.dtype)
    c0 = (gain * (1.0 - beta)).astype(np_dtype)  # rounded once, as the torch path's add_(alpha=...)
    c1 = (gain * beta).astype(np_dtype)
    xn = x.detach().contiguous().numpy()
    n_frames = frames_for_pad(xn.shape[1], window, stride, pad)
    z = np.empty((xn.shape[0], shifts.shape[0], n_frames), dtype=np_dtype)
    argmax = np.empty(z.shape, dtype=np.int64)
    int_dtype, mask, not_finite = ((np.int32, 0x7FFFFFFF, 0x7F800000) if np_dtype == np.float32
                                   else (np.int64, 0x7FFFFFFFFFFFFFFF, 0x7FF0000000000000))
    y = np.empty(xn.shape[1], dtype=np_dtype)  # the kernel's scratch row, also read as integers
    blocks = np.empty(n_frames + max(window // stride, 1) - 1, dtype=np_dtype)  # the same for the blocks' maxima
    kernels.comb_max_envelope_kernel(xn, shifts, c0, c1, window, stride, pad, z, argmax, bool(need_argmax), y,
                                     y.view(int_dtype), int_dtype(mask), int_dtype(not_finite), blocks,
                                     blocks.view(int_dtype))
    return torch.from_numpy(z), (torch.from_numpy(argmax) if need_argmax else torch.empty(0, dtype=torch.int64))


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
    compiled = _comb_max_envelope_backward_numba(grad_z, x, delay, alpha, argmax, n_echoes, need_grad_x)
    if compiled is not None:
        return compiled
    acc = compute_dtype(x.dtype)
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


def _comb_max_envelope_backward_numba(grad_z, x, delay, alpha, argmax, n_echoes, need_grad_x):
    """The sparse max-envelope backward through the compiled kernel (CPU float32/float64), or ``None``.

    Same rule and results as the torch gathers below (to float rounding: the kernel accumulates the
    correlations and ``dL/dx`` in float64, one frame at a time), in one pass without the
    ``(B, F, P, T)`` temporaries: measured 20 ms -> 2 ms for B = 16, F = 32, 2 s at 16 kHz."""
    kernels = _numba_comb_kernels()
    if kernels is None or x.device.type != "cpu" or x.dtype not in (torch.float32, torch.float64):
        return None
    shifts, beta, gain = _echo_table(delay, alpha, n_echoes)
    t = np.arange(1, n_echoes + 1, dtype=np.float64)
    a = alpha.detach().to(torch.float64).cpu().numpy()
    dgain = t[None, :] * a[:, None] ** (t[None, :] - 1)  # d(alpha^t)/d alpha
    n_filters = shifts.shape[0]
    corr0 = np.zeros((n_filters, n_echoes))
    corr1 = np.zeros((n_filters, n_echoes))
    grad_x = np.zeros(x.shape if need_grad_x else (1, 1))
    kernels.comb_max_envelope_backward_kernel(
        grad_z.detach().contiguous().numpy(), x.detach().contiguous().numpy(), shifts, beta, gain, dgain,
        argmax.contiguous().numpy(), bool(need_grad_x), corr0, corr1, grad_x,
    )
    grad_delay = (t[None, :] * gain * (corr1 - corr0)).sum(-1)
    grad_alpha = (dgain * ((1 - beta) * corr0 + beta * corr1)).sum(-1)
    return (
        torch.from_numpy(grad_x).to(x.dtype) if need_grad_x else _no_grad_x(x),
        torch.from_numpy(grad_delay).to(device=delay.device, dtype=delay.dtype),
        torch.from_numpy(grad_alpha).to(device=alpha.device, dtype=alpha.dtype),
    )


def _comb_envelope_backward_torch(
    grad_z, x, delay, alpha, argmax, n_echoes, window, stride, mode, pad, need_grad_x: bool = True
):
    """``(dL/dx, dL/ddelay, dL/dalpha)``; ``dL/dx`` is ``_no_grad_x(x)`` (shape (0,)) unless ``need_grad_x``."""
    acc = compute_dtype(x.dtype)
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
