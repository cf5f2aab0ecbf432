r"""Triton kernels for the comb training operator and its fused envelope (DESIGN §3.1, §4).

This module is private. :mod:`sklearn_wavefront.ops` (its ``__init__``) registers :class:`TritonCombBackend` for
``"cuda"`` tensors when CUDA is available and ``triton`` imports, so the four custom operators
``sklearn_wavefront::comb_filter`` / ``comb_filter_backward`` / ``comb_envelope`` /
``comb_envelope_backward`` launch the kernels below on the GPU and run plain torch everywhere else.

Private entry points (documented, used by the tests and the GPU benchmark)
--------------------------------------------------------------------------
``run_triton_comb_filter``, ``run_triton_comb_filter_backward``, ``run_triton_comb_envelope`` and
``run_triton_comb_envelope_backward`` take the arguments of the ``_..._torch`` reference kernels of
:mod:`sklearn_wavefront.ops._comb_torch` (plus optional block sizes) and launch the Triton kernels on the
given tensors, whatever their device. On a CPU-only machine they run under the Triton interpreter::

    TRITON_INTERPRET=1 python -c "import torch; from sklearn_wavefront.ops._triton_comb import run_triton_comb_filter; \
        print(run_triton_comb_filter(torch.randn(2, 100), torch.tensor([3.5]), torch.tensor([0.9]), 4).shape)"

(``TRITON_INTERPRET=1`` must be set before this module is imported: the ``@triton.jit``
decorators read it.) Inputs may be float32, float16 or bfloat16 and non-contiguous (they are made
contiguous); every kernel loads its inputs, converts them to float32 and accumulates in float32.
Outputs have the dtype of ``x``; delay and alpha gradients have the dtypes of ``delay`` and ``alpha``.
float64 inputs are computed in float32 by these entry points; :class:`TritonCombBackend` sends
float64 to the plain-torch kernels instead (exact, and what ``gradcheck`` needs).

Echo tables
-----------
``⌊t D⌋``, ``β = t D − ⌊t D⌋`` and the gains are computed once per call on the device, in float64,
exactly as the reference does (``t · D`` in double precision, ``α^t`` by repeated multiplication),
into an int32 table ``s[f, t]`` and a float32 table ``coef[k, f, t]`` with
``k = 0: α^t (1 − β)``, ``1: α^t β``, ``2: t α^t``, ``3: t α^(t−1) (1 − β)``, ``4: t α^(t−1) β``.
Computing ``t D`` in float32 inside the kernel would move ``⌊t D⌋`` across an integer for some delays
(the output is continuous there, but the delay gradient jumps).

Skipping dL/dx
--------------
The backward entry points take ``need_grad_x`` (default True), passed by the custom operators as
``ctx.needs_input_grad[0]``. The backward kernels have a ``NEED_GX: tl.constexpr`` flag; with
``NEED_GX=False`` they compile without any ``dL/dx`` load, arithmetic, store or atomic (in the
energy backward that also removes the recomputation of ``dL/dy`` at ``m + s`` and ``m + s + 1``,
about ``2T`` of its ``2T + 1`` evaluations), no (B, N) output or float32 atomics buffer is
allocated (the ``gx_ptr`` argument is a one-element dummy that is never touched), and the entry
point returns ``x.new_empty((0,))`` in place of ``dL/dx``. The delay and alpha gradients are
computed by the same code either way.

Kernels, memory and cost (B batch, F filters, N samples, T echoes, P frames of W samples, stride S)
---------------------------------------------------------------------------------------------------
* ``_comb_filter_fwd_kernel``: ``y`` (B, F, N), a program per (N block, F block, b); 2T + 1 gathers
  per output sample and filter.
* ``_comb_filter_bwd_kernel``: a program per (N block, b) loops over all filters: ``dL/dx`` of its
  block (the adjoint, reading ``g`` at ``m + s`` and ``m + s + 1``: no atomics; only with
  ``NEED_GX``) and the per-program partial sums of the delay and alpha gradients, added with one
  ``atomic_add`` per channel.
* ``_comb_envelope_fwd_kernel``: a program per (frame, F block, b) computes ``y`` on the fly for the
  W samples of its frame, in chunks of ``BLOCK_W``, and keeps the running max ``|y|`` with its first
  absolute index (``max_pool1d``'s rule; padded positions count as ``-inf``) or the sum of ``y²``
  (padded positions count as 0, the mean divides by W). Cost: ``P · W`` samples per filter, i.e.
  ``W / S`` times the signal when frames overlap (W > S); samples between frames (W < S) are never
  computed. Memory: the (B, F, P) output and, for max, the (B, F, P) int64 argmax. No (B, F, N) tensor.
* ``_comb_envelope_bwd_max_kernel``: a program per (P block, F block, b); for each stored argmax
  ``n*`` it recomputes ``y[n*]`` (T + 1 taps) for ``sign(y)``, scatters ``w = g · sign(y[n*])`` into
  ``dL/dx`` at ``n*``, ``n* − s`` and ``n* − s − 1`` with atomics into a float32 (B, N) buffer
  (input-sized; only with ``NEED_GX``, else neither the buffer nor the atomics exist), and reduces
  the parameter gradients per program (one atomic per channel).
* ``_comb_envelope_bwd_energy_kernel``: ``dL/dy[n] = 2 y[n] / W · Σ_{frames p ∋ n} g[p]`` is never
  stored: the window sums come from a float64 prefix sum of ``g`` along frames (B, F, P + 1), and
  ``dL/dy`` is recomputed where the adjoint needs it (at ``m``, ``m + s`` and ``m + s + 1``), so a
  program per (N block, b) owns its ``dL/dx`` block without atomics. Cost ``(2T + 1)(T + 1)`` gathers
  per sample and filter (about ``T`` times the forward), traded for no (B, F, N) buffer and no
  contended atomics into ``dL/dx``. Without ``NEED_GX`` only ``dL/dy[m]`` is recomputed: ``T + 1``
  gathers for it plus ``2T`` for the correlations, per sample and filter.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from torch import Tensor

from ._comb_torch import (
    _comb_envelope_backward_torch,
    _comb_envelope_torch,
    _comb_filter_backward_torch,
    _comb_filter_torch,
    frames_for_pad,
)

__all__ = [
    "TritonCombBackend",
    "run_triton_comb_filter",
    "run_triton_comb_filter_backward",
    "run_triton_comb_envelope",
    "run_triton_comb_envelope_backward",
]


# --------------------------------------------------------------------------------------------
# Device helpers
# --------------------------------------------------------------------------------------------



@triton.jit
def _comb_at(x_row, pos, offs_f, f_ok, N, T, FT, s_ptr, coef_ptr):
    """``y[f, pos]`` of the training operator, float32, for a tile of filters ``offs_f`` (rows) and
    absolute sample positions ``pos`` (an int32 tensor of shape [BLOCK_F, BLOCK]).

    Positions outside ``[0, N)`` get the causal comb continued there (x is zero outside the
    signal); callers mask them as their operator requires. ``FT = F * T`` is the row stride of the
    coefficient table.
    """
    f_ok2 = f_ok[:, None]
    y = tl.load(x_row + pos, mask=(pos >= 0) & (pos < N) & f_ok2, other=0.0).to(tl.float32)
    tab = offs_f * T
    for t in range(T):
        s = tl.load(s_ptr + tab + t, mask=f_ok, other=0)
        c0 = tl.load(coef_ptr + tab + t, mask=f_ok, other=0.0)
        c1 = tl.load(coef_ptr + FT + tab + t, mask=f_ok, other=0.0)
        p0 = pos - s[:, None]
        v0 = tl.load(x_row + p0, mask=(p0 >= 0) & (p0 < N) & f_ok2, other=0.0).to(tl.float32)
        p1 = p0 - 1
        v1 = tl.load(x_row + p1, mask=(p1 >= 0) & (p1 < N) & f_ok2, other=0.0).to(tl.float32)
        # Same order of additions as the torch reference: x, then per echo the floor tap, then the +1 tap.
        y = y + c0[:, None] * v0
        y = y + c1[:, None] * v1
    return y


@triton.jit
def _energy_grad_y(x_row, cum_rows, pos, offs_f, f_ok, N, T, FT, P, W, S, PAD, s_ptr, coef_ptr):
    """``dL/dy[f, pos] = 2 y[f, pos] / W · Σ_{frames p ∋ pos} g[f, p]`` (0 outside ``[0, N)``).

    Frame ``p`` covers ``[p S − PAD, p S − PAD + W)``, so the frames holding ``n`` are
    ``p_lo = max(0, ⌈(n + PAD − W + 1) / S⌉) ≤ p ≤ p_hi = min(P − 1, ⌊(n + PAD) / S⌋)``; their sum
    is a difference of the float64 prefix sums ``cum_rows[k] = Σ_{p<k} g[p]``.
    """
    f_ok2 = f_ok[:, None]
    inside = (pos >= 0) & (pos < N) & f_ok2
    a = pos + PAD - W + 1
    p_lo = tl.where(a > 0, (a + S - 1) // S, 0)
    p_hi = tl.minimum((pos + PAD) // S, P - 1)
    has = inside & (p_lo <= p_hi)
    hi = tl.load(cum_rows + (p_hi + 1), mask=has, other=0.0)
    lo = tl.load(cum_rows + p_lo, mask=has, other=0.0)
    gsum = (hi - lo).to(tl.float32)
    y = _comb_at(x_row, pos, offs_f, f_ok, N, T, FT, s_ptr, coef_ptr)
    return tl.where(has, (2.0 / W) * y * gsum, 0.0)


# --------------------------------------------------------------------------------------------
# Kernels
# --------------------------------------------------------------------------------------------


@triton.jit
def _comb_filter_fwd_kernel(x_ptr, s_ptr, coef_ptr, y_ptr, N, F, T, BLOCK_F: tl.constexpr, BLOCK_N: tl.constexpr):
    """y[b, f, n] for a [BLOCK_F, BLOCK_N] tile; grid (cdiv(N, BLOCK_N), cdiv(F, BLOCK_F), B)."""
    pid_n = tl.program_id(0)
    pid_f = tl.program_id(1)
    b = tl.program_id(2).to(tl.int64)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    offs_f = pid_f * BLOCK_F + tl.arange(0, BLOCK_F)
    f_ok = offs_f < F
    pos = offs_n[None, :] + tl.zeros([BLOCK_F, BLOCK_N], dtype=tl.int32)
    y = _comb_at(x_ptr + b * N, pos, offs_f, f_ok, N, T, F * T, s_ptr, coef_ptr)
    out = y_ptr + (b * F + offs_f[:, None]) * N + offs_n[None, :]
    tl.store(out, y.to(y_ptr.dtype.element_ty), mask=f_ok[:, None] & (offs_n[None, :] < N))


@triton.jit
def _comb_filter_bwd_kernel(
    g_ptr,
    x_ptr,
    s_ptr,
    coef_ptr,
    gx_ptr,
    gd_ptr,
    ga_ptr,
    N,
    F,
    T,
    NEED_GX: tl.constexpr,
    BLOCK_F: tl.constexpr,
    BLOCK_N: tl.constexpr,
):
    """dL/dx for one block of samples (all filters) and its partial delay/alpha gradients.

    Grid (cdiv(N, BLOCK_N), B). ``gx[m] = Σ_f g[f, m] + Σ_{f,t} α^t ((1−β) g[f, m+s] + β g[f, m+s+1])``;
    the program owns its gx block (no atomics). Parameter partial sums over the block's samples go
    out with one atomic per channel. Without ``NEED_GX`` nothing of dL/dx is computed and
    ``gx_ptr`` is never touched.
    """
    pid_n = tl.program_id(0)
    b = tl.program_id(1).to(tl.int64)
    FT = F * T
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    n_ok = offs_n < N
    x_row = x_ptr + b * N
    gx = tl.zeros([BLOCK_N], dtype=tl.float32)
    for f0 in range(0, F, BLOCK_F):
        offs_f = f0 + tl.arange(0, BLOCK_F)
        f_ok = offs_f < F
        f_ok2 = f_ok[:, None]
        g_rows = g_ptr + (b * F + offs_f[:, None]) * N
        g0 = tl.load(g_rows + offs_n[None, :], mask=f_ok2 & n_ok[None, :], other=0.0).to(tl.float32)
        acc = g0
        gd = tl.zeros([BLOCK_F], dtype=tl.float32)
        ga = tl.zeros([BLOCK_F], dtype=tl.float32)
        tab = offs_f * T
        for t in range(T):
            s = tl.load(s_ptr + tab + t, mask=f_ok, other=0)
            tg = tl.load(coef_ptr + 2 * FT + tab + t, mask=f_ok, other=0.0)
            d0 = tl.load(coef_ptr + 3 * FT + tab + t, mask=f_ok, other=0.0)
            d1 = tl.load(coef_ptr + 4 * FT + tab + t, mask=f_ok, other=0.0)
            if NEED_GX:
                # adjoint: read g forward in time
                c0 = tl.load(coef_ptr + tab + t, mask=f_ok, other=0.0)
                c1 = tl.load(coef_ptr + FT + tab + t, mask=f_ok, other=0.0)
                q0 = offs_n[None, :] + s[:, None]
                gq0 = tl.load(g_rows + q0, mask=(q0 >= 0) & (q0 < N) & n_ok[None, :] & f_ok2, other=0.0).to(
                    tl.float32
                )
                q1 = q0 + 1
                gq1 = tl.load(g_rows + q1, mask=(q1 >= 0) & (q1 < N) & n_ok[None, :] & f_ok2, other=0.0).to(
                    tl.float32
                )
                acc = acc + c0[:, None] * gq0 + c1[:, None] * gq1
            # correlations <g, x[. - s]>, <g, x[. - s - 1]> over this block
            p0 = offs_n[None, :] - s[:, None]
            xv0 = tl.load(x_row + p0, mask=(p0 >= 0) & (p0 < N) & f_ok2, other=0.0).to(tl.float32)
            p1 = p0 - 1
            xv1 = tl.load(x_row + p1, mask=(p1 >= 0) & (p1 < N) & f_ok2, other=0.0).to(tl.float32)
            corr0 = tl.sum(g0 * xv0, axis=1)
            corr1 = tl.sum(g0 * xv1, axis=1)
            gd += tg * (corr1 - corr0)
            ga += d0 * corr0 + d1 * corr1
        if NEED_GX:
            gx += tl.sum(acc, axis=0)
        tl.atomic_add(gd_ptr + offs_f, gd, mask=f_ok, sem="relaxed")
        tl.atomic_add(ga_ptr + offs_f, ga, mask=f_ok, sem="relaxed")
    if NEED_GX:
        tl.store(gx_ptr + b * N + offs_n, gx.to(gx_ptr.dtype.element_ty), mask=n_ok)


@triton.jit
def _comb_envelope_fwd_kernel(
    x_ptr,
    s_ptr,
    coef_ptr,
    z_ptr,
    idx_ptr,
    N,
    F,
    T,
    P,
    W,
    S,
    PAD,
    IS_MAX: tl.constexpr,
    BLOCK_F: tl.constexpr,
    BLOCK_W: tl.constexpr,
):
    """z[b, f, p] (max |y| and its absolute argmax, or mean y²) for one frame and BLOCK_F filters.

    Grid (P, cdiv(F, BLOCK_F), B). The frame's W samples are visited in chunks of BLOCK_W, y is
    computed on the fly (never stored); positions outside [0, N) are the zero padding.
    """
    p = tl.program_id(0)
    pid_f = tl.program_id(1)
    b = tl.program_id(2).to(tl.int64)
    offs_f = pid_f * BLOCK_F + tl.arange(0, BLOCK_F)
    f_ok = offs_f < F
    x_row = x_ptr + b * N
    start = p * S - PAD
    best = tl.zeros([BLOCK_F], dtype=tl.float32) - float("inf")
    best_i = tl.zeros([BLOCK_F], dtype=tl.int32)
    energy = tl.zeros([BLOCK_F], dtype=tl.float32)
    for w0 in range(0, W, BLOCK_W):
        offs_w = w0 + tl.arange(0, BLOCK_W)
        pos = (start + offs_w)[None, :] + tl.zeros([BLOCK_F, BLOCK_W], dtype=tl.int32)
        real = (offs_w[None, :] < W) & (pos >= 0) & (pos < N) & f_ok[:, None]
        y = _comb_at(x_row, pos, offs_f, f_ok, N, T, F * T, s_ptr, coef_ptr)
        if IS_MAX:
            v = tl.where(real, tl.abs(y), -float("inf"))
            cmax = tl.max(v, axis=1)
            # first index of the chunk's maximum; chunks go left to right and only a strictly
            # larger value replaces the running max, so ties keep the first index (max_pool1d's rule)
            cidx = tl.min(tl.where(v == cmax[:, None], pos, 2147483647), axis=1)
            better = cmax > best
            best = tl.where(better, cmax, best)
            best_i = tl.where(better, cidx, best_i)
        else:
            v = tl.where(real, y, 0.0)
            energy += tl.sum(v * v, axis=1)
    out = (b * F + offs_f) * P + p
    if IS_MAX:
        tl.store(z_ptr + out, best.to(z_ptr.dtype.element_ty), mask=f_ok)
        tl.store(idx_ptr + out, best_i.to(tl.int64), mask=f_ok)
    else:
        tl.store(z_ptr + out, (energy / W).to(z_ptr.dtype.element_ty), mask=f_ok)


@triton.jit
def _comb_envelope_bwd_max_kernel(
    gz_ptr,
    x_ptr,
    idx_ptr,
    s_ptr,
    coef_ptr,
    gx_ptr,
    gd_ptr,
    ga_ptr,
    N,
    F,
    T,
    P,
    NEED_GX: tl.constexpr,
    BLOCK_F: tl.constexpr,
    BLOCK_P: tl.constexpr,
):
    """Backward of the max envelope through the stored absolute argmax, times sign(y).

    Grid (cdiv(P, BLOCK_P), cdiv(F, BLOCK_F), B). With ``NEED_GX``, ``gx_ptr`` is a float32 (B, N)
    buffer receiving atomics; without it ``gx_ptr`` is never touched (a dummy). Delay/alpha partial
    sums go out with one atomic per channel.
    """
    pid_p = tl.program_id(0)
    pid_f = tl.program_id(1)
    b = tl.program_id(2).to(tl.int64)
    FT = F * T
    offs_p = pid_p * BLOCK_P + tl.arange(0, BLOCK_P)
    offs_f = pid_f * BLOCK_F + tl.arange(0, BLOCK_F)
    f_ok = offs_f < F
    f_ok2 = f_ok[:, None]
    off = (b * F + offs_f[:, None]) * P + offs_p[None, :]
    ok = f_ok2 & (offs_p[None, :] < P)
    n_star = tl.load(idx_ptr + off, mask=ok, other=0).to(tl.int32)
    ok = ok & (n_star >= 0) & (n_star < N)
    gz = tl.load(gz_ptr + off, mask=ok, other=0.0).to(tl.float32)
    x_row = x_ptr + b * N
    gx_row = gx_ptr + b * N
    y = _comb_at(x_row, n_star, offs_f, f_ok, N, T, FT, s_ptr, coef_ptr)
    sign = tl.where(y > 0, 1.0, tl.where(y < 0, -1.0, 0.0))
    w = tl.where(ok, gz * sign, 0.0)
    if NEED_GX:
        tl.atomic_add(gx_row + n_star, w, mask=ok, sem="relaxed")
    gd = tl.zeros([BLOCK_F], dtype=tl.float32)
    ga = tl.zeros([BLOCK_F], dtype=tl.float32)
    tab = offs_f * T
    for t in range(T):
        s = tl.load(s_ptr + tab + t, mask=f_ok, other=0)
        tg = tl.load(coef_ptr + 2 * FT + tab + t, mask=f_ok, other=0.0)
        d0 = tl.load(coef_ptr + 3 * FT + tab + t, mask=f_ok, other=0.0)
        d1 = tl.load(coef_ptr + 4 * FT + tab + t, mask=f_ok, other=0.0)
        p0 = n_star - s[:, None]
        m0 = ok & (p0 >= 0) & (p0 < N)
        p1 = p0 - 1
        m1 = ok & (p1 >= 0) & (p1 < N)
        if NEED_GX:
            c0 = tl.load(coef_ptr + tab + t, mask=f_ok, other=0.0)
            c1 = tl.load(coef_ptr + FT + tab + t, mask=f_ok, other=0.0)
            tl.atomic_add(gx_row + p0, w * c0[:, None], mask=m0, sem="relaxed")
            tl.atomic_add(gx_row + p1, w * c1[:, None], mask=m1, sem="relaxed")
        xv0 = tl.load(x_row + p0, mask=m0, other=0.0).to(tl.float32)
        xv1 = tl.load(x_row + p1, mask=m1, other=0.0).to(tl.float32)
        corr0 = tl.sum(w * xv0, axis=1)
        corr1 = tl.sum(w * xv1, axis=1)
        gd += tg * (corr1 - corr0)
        ga += d0 * corr0 + d1 * corr1
    tl.atomic_add(gd_ptr + offs_f, gd, mask=f_ok, sem="relaxed")
    tl.atomic_add(ga_ptr + offs_f, ga, mask=f_ok, sem="relaxed")


@triton.jit
def _comb_envelope_bwd_energy_kernel(
    cum_ptr,
    x_ptr,
    s_ptr,
    coef_ptr,
    gx_ptr,
    gd_ptr,
    ga_ptr,
    N,
    F,
    T,
    P,
    W,
    S,
    PAD,
    NEED_GX: tl.constexpr,
    BLOCK_F: tl.constexpr,
    BLOCK_N: tl.constexpr,
):
    """Backward of the energy envelope; dL/dy is recomputed where needed, never stored.

    Grid (cdiv(N, BLOCK_N), B); ``cum_ptr`` holds the float64 prefix sums (B, F, P + 1) of dL/dz
    along frames. The program owns its dL/dx block; parameter partial sums go out with one atomic
    per channel. Without ``NEED_GX`` dL/dy is recomputed at the block's own samples only (for the
    correlations) and ``gx_ptr`` is never touched.
    """
    pid_n = tl.program_id(0)
    b = tl.program_id(1).to(tl.int64)
    FT = F * T
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    n_ok = offs_n < N
    x_row = x_ptr + b * N
    gx = tl.zeros([BLOCK_N], dtype=tl.float32)
    for f0 in range(0, F, BLOCK_F):
        offs_f = f0 + tl.arange(0, BLOCK_F)
        f_ok = offs_f < F
        f_ok2 = f_ok[:, None]
        cum_rows = cum_ptr + (b * F + offs_f[:, None]) * (P + 1)
        pos = offs_n[None, :] + tl.zeros([BLOCK_F, BLOCK_N], dtype=tl.int32)
        g0 = _energy_grad_y(x_row, cum_rows, pos, offs_f, f_ok, N, T, FT, P, W, S, PAD, s_ptr, coef_ptr)
        acc = g0
        gd = tl.zeros([BLOCK_F], dtype=tl.float32)
        ga = tl.zeros([BLOCK_F], dtype=tl.float32)
        tab = offs_f * T
        for t in range(T):
            s = tl.load(s_ptr + tab + t, mask=f_ok, other=0)
            tg = tl.load(coef_ptr + 2 * FT + tab + t, mask=f_ok, other=0.0)
            d0 = tl.load(coef_ptr + 3 * FT + tab + t, mask=f_ok, other=0.0)
            d1 = tl.load(coef_ptr + 4 * FT + tab + t, mask=f_ok, other=0.0)
            if NEED_GX:
                c0 = tl.load(coef_ptr + tab + t, mask=f_ok, other=0.0)
                c1 = tl.load(coef_ptr + FT + tab + t, mask=f_ok, other=0.0)
                q0 = pos + s[:, None]
                gq0 = _energy_grad_y(x_row, cum_rows, q0, offs_f, f_ok, N, T, FT, P, W, S, PAD, s_ptr, coef_ptr)
                gq1 = _energy_grad_y(
                    x_row, cum_rows, q0 + 1, offs_f, f_ok, N, T, FT, P, W, S, PAD, s_ptr, coef_ptr
                )
                acc = acc + c0[:, None] * gq0 + c1[:, None] * gq1
            p0 = pos - s[:, None]
            xv0 = tl.load(x_row + p0, mask=(p0 >= 0) & (p0 < N) & f_ok2, other=0.0).to(tl.float32)
            p1 = p0 - 1
            xv1 = tl.load(x_row + p1, mask=(p1 >= 0) & (p1 < N) & f_ok2, other=0.0).to(tl.float32)
            corr0 = tl.sum(g0 * xv0, axis=1)
            corr1 = tl.sum(g0 * xv1, axis=1)
            gd += tg * (corr1 - corr0)
            ga += d0 * corr0 + d1 * corr1
        if NEED_GX:
            gx += tl.sum(acc, axis=0)
        tl.atomic_add(gd_ptr + offs_f, gd, mask=f_ok, sem="relaxed")
        tl.atomic_add(ga_ptr + offs_f, ga, mask=f_ok, sem="relaxed")
    if NEED_GX:
        tl.store(gx_ptr + b * N + offs_n, gx.to(gx_ptr.dtype.element_ty), mask=n_ok)


# --------------------------------------------------------------------------------------------
# Host side: tables, block sizes, private entry points
# --------------------------------------------------------------------------------------------


def _echo_tables(delay: Tensor, alpha: Tensor, n_echoes: int, n: int):
    """``s`` (F, T) int32 and ``coef`` (5, F, T) float32, computed in float64 like the reference."""
    d = delay.detach().to(torch.float64)
    a = alpha.detach().to(torch.float64)
    t = torch.arange(1, n_echoes + 1, dtype=torch.float64, device=d.device)
    td = d[:, None] * t[None, :]
    s = torch.floor(td)
    beta = td - s
    gain = torch.cumprod(a[:, None].expand(-1, n_echoes), dim=1)  # α^t by repeated products
    gain_prev = torch.cat([torch.ones_like(a)[:, None], gain[:, :-1]], dim=1)  # α^(t−1), α^0 = 1
    coef = torch.stack(
        [gain * (1 - beta), gain * beta, t * gain, t * gain_prev * (1 - beta), t * gain_prev * beta]
    )
    # |s| beyond the signal means both taps fall outside it; clamping keeps int32 safe.
    s = s.clamp(-(n + 2), n + 2).to(torch.int32)
    return s.contiguous(), coef.to(torch.float32).contiguous()


# Default tiles (num_warps=4) were chosen from ahead-of-time sm_90 compiles (triton 3.7.1, no spills,
# 40-110 registers per thread); they are untuned on hardware. The entry points accept overrides.
def _pow2(v: int, cap: int, floor: int = 1) -> int:
    return max(floor, min(cap, triton.next_power_of_2(max(1, int(v)))))


def _device_ctx(t: Tensor):
    return torch.cuda.device(t.device) if t.is_cuda else _NullCtx()


class _NullCtx:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _check_2d(x: Tensor, delay: Tensor, alpha: Tensor):
    if x.ndim != 2:
        raise ValueError(f"x must have shape (batch, time), got {tuple(x.shape)}")
    if delay.ndim != 1 or alpha.shape != delay.shape:
        raise ValueError(f"delay and alpha must be 1-D of equal length, got {tuple(delay.shape)} and {tuple(alpha.shape)}")


def run_triton_comb_filter(
    x: Tensor, delay: Tensor, alpha: Tensor, n_echoes: int, *, block_f: int | None = None, block_n: int | None = None
) -> Tensor:
    """Triton ``y = comb_filter(x)``: ``(B, N) -> (B, F, N)`` (private entry point, any device).

    Same arguments and result as ``_comb_filter_torch``; ``block_f`` / ``block_n`` (powers of two)
    override the tile shape.
    """
    _check_2d(x, delay, alpha)
    x = x.contiguous()
    batch, n = x.shape
    n_filters = delay.shape[0]
    y = torch.empty((batch, n_filters, n), dtype=x.dtype, device=x.device)
    if y.numel() == 0:
        return y
    s_tab, coef = _echo_tables(delay, alpha, n_echoes, n)
    bf = block_f or _pow2(n_filters, 4)
    bn = block_n or _pow2(n, 512, 16)
    grid = (triton.cdiv(n, bn), triton.cdiv(n_filters, bf), batch)
    with _device_ctx(x):
        _comb_filter_fwd_kernel[grid](x, s_tab, coef, y, n, n_filters, n_echoes, BLOCK_F=bf, BLOCK_N=bn)
    return y


def run_triton_comb_filter_backward(
    grad: Tensor,
    x: Tensor,
    delay: Tensor,
    alpha: Tensor,
    n_echoes: int,
    need_grad_x: bool = True,
    *,
    block_f: int | None = None,
    block_n: int | None = None,
):
    """Triton ``(dL/dx, dL/ddelay, dL/dalpha)`` from ``grad = dL/dy`` (B, F, N); as ``_comb_filter_backward_torch``.

    With ``need_grad_x=False`` the kernel skips dL/dx (``NEED_GX=False``), no (B, N) tensor is
    allocated, and ``x.new_empty((0,))`` is returned in its place.
    """
    _check_2d(x, delay, alpha)
    x = x.contiguous()
    grad = grad.contiguous()
    batch, n = x.shape
    n_filters = delay.shape[0]
    if tuple(grad.shape) != (batch, n_filters, n):
        raise ValueError(f"grad must have shape {(batch, n_filters, n)}, got {tuple(grad.shape)}")
    need_grad_x = bool(need_grad_x)
    # without dL/dx the kernel gets a one-element dummy of the same dtype (never read or written)
    grad_x = torch.empty_like(x) if need_grad_x else x.new_empty((0,))
    grad_delay = torch.zeros(n_filters, dtype=torch.float32, device=x.device)
    grad_alpha = torch.zeros(n_filters, dtype=torch.float32, device=x.device)
    if grad.numel() == 0:
        return grad_x.zero_(), grad_delay.to(delay.dtype), grad_alpha.to(alpha.dtype)
    s_tab, coef = _echo_tables(delay, alpha, n_echoes, n)
    bf = block_f or _pow2(n_filters, 4)
    bn = block_n or _pow2(n, 256, 16)
    grid = (triton.cdiv(n, bn), batch)
    gx_arg = grad_x if need_grad_x else x.new_empty((1,))
    with _device_ctx(x):
        _comb_filter_bwd_kernel[grid](
            grad, x, s_tab, coef, gx_arg, grad_delay, grad_alpha, n, n_filters, n_echoes,
            NEED_GX=need_grad_x, BLOCK_F=bf, BLOCK_N=bn,
        )
    return grad_x, grad_delay.to(delay.dtype), grad_alpha.to(alpha.dtype)


def run_triton_comb_envelope(
    x: Tensor,
    delay: Tensor,
    alpha: Tensor,
    n_echoes: int,
    window: int,
    stride: int,
    mode: str,
    pad: int,
    *,
    block_f: int | None = None,
    block_w: int | None = None,
):
    """Triton fused comb + envelope: ``(z, argmax)`` as ``_comb_envelope_torch`` (private, any device).

    ``z`` is (B, F, P) in the dtype of ``x``; ``argmax`` is the int64 absolute sample index of each
    frame's max ``|y|`` (``mode="max"``) or an empty int64 tensor (``mode="energy"``).
    """
    _check_2d(x, delay, alpha)
    if mode not in ("max", "energy"):
        raise ValueError(f"mode must be 'max' or 'energy', got {mode!r}")
    x = x.contiguous()
    batch, n = x.shape
    n_filters = delay.shape[0]

    n_frames = frames_for_pad(n, window, stride, pad)
    z = torch.empty((batch, n_filters, n_frames), dtype=x.dtype, device=x.device)
    is_max = mode == "max"
    argmax = torch.empty((batch, n_filters, n_frames) if is_max else (0,), dtype=torch.int64, device=x.device)
    if z.numel() == 0:
        return z, argmax
    s_tab, coef = _echo_tables(delay, alpha, n_echoes, n)
    bf = block_f or _pow2(n_filters, 4)
    bw = block_w or _pow2(window, max(16, 1024 // bf), 16)
    grid = (n_frames, triton.cdiv(n_filters, bf), batch)
    with _device_ctx(x):
        _comb_envelope_fwd_kernel[grid](
            x,
            s_tab,
            coef,
            z,
            argmax if is_max else z,  # unused in energy mode
            n,
            n_filters,
            n_echoes,
            n_frames,
            window,
            stride,
            pad,
            IS_MAX=is_max,
            BLOCK_F=bf,
            BLOCK_W=bw,
        )
    return z, argmax


def run_triton_comb_envelope_backward(
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
    *,
    block_f: int | None = None,
    block_n: int | None = None,
):
    """Triton ``(dL/dx, dL/ddelay, dL/dalpha)`` of the fused envelope; as ``_comb_envelope_backward_torch``.

    ``block_n`` is the tile length along frames (``mode="max"``) or samples (``mode="energy"``).
    With ``need_grad_x=False`` the kernels skip dL/dx (``NEED_GX=False``): neither the (B, N) result
    nor the float32 (B, N) atomics buffer of the max backward is allocated, and
    ``x.new_empty((0,))`` is returned in place of dL/dx.
    """
    _check_2d(x, delay, alpha)
    if mode not in ("max", "energy"):
        raise ValueError(f"mode must be 'max' or 'energy', got {mode!r}")
    x = x.contiguous()
    grad_z = grad_z.contiguous()
    batch, n = x.shape
    n_filters = delay.shape[0]

    n_frames = frames_for_pad(n, window, stride, pad)
    if tuple(grad_z.shape) != (batch, n_filters, n_frames):
        raise ValueError(f"grad_z must have shape {(batch, n_filters, n_frames)}, got {tuple(grad_z.shape)}")
    need_grad_x = bool(need_grad_x)
    grad_delay = torch.zeros(n_filters, dtype=torch.float32, device=x.device)
    grad_alpha = torch.zeros(n_filters, dtype=torch.float32, device=x.device)
    if grad_z.numel() == 0 or x.numel() == 0:
        grad_x = torch.zeros_like(x) if need_grad_x else x.new_empty((0,))
        return grad_x, grad_delay.to(delay.dtype), grad_alpha.to(alpha.dtype)
    s_tab, coef = _echo_tables(delay, alpha, n_echoes, n)
    with _device_ctx(x):
        if mode == "max":
            argmax = argmax.contiguous()
            if tuple(argmax.shape) != tuple(grad_z.shape):
                raise ValueError(f"argmax must have shape {tuple(grad_z.shape)}, got {tuple(argmax.shape)}")
            # atomics need a float32 target; for float32 x it is the result itself. Without dL/dx:
            # a one-element float32 dummy, never read or written.
            gx = torch.zeros(x.shape if need_grad_x else (1,), dtype=torch.float32, device=x.device)
            bf = block_f or _pow2(n_filters, 8)
            bp = block_n or _pow2(n_frames, max(16, 256 // bf), 16)
            grid = (triton.cdiv(n_frames, bp), triton.cdiv(n_filters, bf), batch)
            _comb_envelope_bwd_max_kernel[grid](
                grad_z, x, argmax, s_tab, coef, gx, grad_delay, grad_alpha, n, n_filters, n_echoes, n_frames,
                NEED_GX=need_grad_x, BLOCK_F=bf, BLOCK_P=bp,
            )
            grad_x = gx.to(x.dtype) if need_grad_x else x.new_empty((0,))
        else:
            cum = torch.zeros((batch, n_filters, n_frames + 1), dtype=torch.float64, device=x.device)
            torch.cumsum(grad_z.to(torch.float64), dim=-1, out=cum[..., 1:])
            grad_x = torch.empty_like(x) if need_grad_x else x.new_empty((0,))
            bf = block_f or _pow2(n_filters, 2)
            bn = block_n or _pow2(n, 256, 16)
            grid = (triton.cdiv(n, bn), batch)
            _comb_envelope_bwd_energy_kernel[grid](
                cum, x, s_tab, coef, grad_x if need_grad_x else x.new_empty((1,)), grad_delay, grad_alpha, n,
                n_filters, n_echoes, n_frames, window, stride, pad, NEED_GX=need_grad_x, BLOCK_F=bf, BLOCK_N=bn,
            )
    return grad_x, grad_delay.to(delay.dtype), grad_alpha.to(alpha.dtype)


# --------------------------------------------------------------------------------------------
# Backend object for the dispatch of ops/comb.py's custom operators
# --------------------------------------------------------------------------------------------


class TritonCombBackend:
    """The kernel methods :func:`sklearn_wavefront.ops.comb.register_backend` expects, on Triton
    (registered for ``"cuda"`` by :mod:`sklearn_wavefront.ops`).

    float64 inputs go to the plain-torch reference kernels (the Triton kernels accumulate in
    float32); float32, float16 and bfloat16 run the Triton kernels. The backward methods take
    ``need_grad_x`` (the custom operators always pass it); when False they return
    ``x.new_empty((0,))`` in place of dL/dx and allocate nothing input-sized for it.
    """

    @staticmethod
    def _torch_path(x: Tensor) -> bool:
        return x.dtype == torch.float64

    def comb_filter(self, x, delay, alpha, n_echoes):
        if self._torch_path(x):
            return _comb_filter_torch(x, delay, alpha, n_echoes)
        return run_triton_comb_filter(x, delay, alpha, n_echoes)

    def comb_filter_backward(self, grad, x, delay, alpha, n_echoes, need_grad_x=True):
        if self._torch_path(x):
            return _comb_filter_backward_torch(grad, x, delay, alpha, n_echoes, need_grad_x)
        return run_triton_comb_filter_backward(grad, x, delay, alpha, n_echoes, need_grad_x)

    def comb_envelope(self, x, delay, alpha, n_echoes, window, stride, mode, pad):
        if self._torch_path(x):
            return _comb_envelope_torch(x, delay, alpha, n_echoes, window, stride, mode, pad)
        return run_triton_comb_envelope(x, delay, alpha, n_echoes, window, stride, mode, pad)

    def comb_envelope_backward(
        self, grad_z, x, delay, alpha, argmax, n_echoes, window, stride, mode, pad, need_grad_x=True
    ):
        if self._torch_path(x):
            return _comb_envelope_backward_torch(
                grad_z, x, delay, alpha, argmax, n_echoes, window, stride, mode, pad, need_grad_x
            )
        return run_triton_comb_envelope_backward(
            grad_z, x, delay, alpha, argmax, n_echoes, window, stride, mode, pad, need_grad_x
        )
