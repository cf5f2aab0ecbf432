"""Compiled (numba) kernels of the exact IIR comb: the optional accelerator of :mod:`.iir`.

Imported lazily by :mod:`.iir` only; importing this module imports numba (``pip install
sklearn-wavefront[fast]``). Every kernel is the recursion ``y[n] = x[n] + a y[n - K]`` with zero initial
state, written block by block so that the loop over a block has no dependency between its iterations
and LLVM vectorises it: :func:`comb_iir_kernel` unrolls the recursion so a block is at least 32 samples
(``m`` multiply-adds per sample, ``m = 1`` for ``K >= 32``, in one pass; see below), the envelope
kernel runs plain blocks of ``K B`` samples. Arithmetic in the dtype of ``x`` (the gains are cast to it).
"""

from __future__ import annotations

import numba
import numpy as np


_MIN_BLOCK = 64  # the envelope kernel's plain blocks: delays shorter than this are unrolled there


# --------------------------------------------------------------------------------------------
# comb_iir: the recursion unrolled m times, one fused pass per block
# --------------------------------------------------------------------------------------------
#
# ``y[n] = x[n] + a y[n - k]`` is, unrolled m times (exact for zero initial state),
#
#     y[n] = x[n] + a x[n - k] + ... + a^(m-1) x[n - (m-1) k] + a^m y[n - m k].
#
# A block of up to ``m k`` samples then reads only outputs finished before it, so its loop has no
# dependency between iterations: LLVM vectorises it, with the ``m`` terms summed in registers in
# one pass (one store per sample). Why not plain blocks of ``k`` samples (``m = 1``) for short
# delays: a block shorter than a few vectors leaves most of it to the scalar remainder, and a
# fixed 16-sample step grid (the previous kernel for 16 <= k < 64) makes each step load a
# vector that straddles the two vectors stored by the steps just before it, which the CPU cannot
# forward from its store buffer: the loop then waits for every store to retire (about one cycle
# per sample, 1.5-1.7x a copy at k = 20). With ``m k >= 32`` every block is at least two vectors
# long and its loads read data stored two or more blocks before. Measured here (1e6 float32, one
# thread, time / copy): k = 20 1.0 (was 1.5), k = 9 1.3 (was 3.0), k = 2 3.5 (was 10.8).
# The m = 8 kernel serves every k < 8. The terms are summed in the order written, so the result
# differs from the sample-by-sample recursion by float rounding only (tested against it and
# against scipy.signal.lfilter in float64).


@numba.njit(cache=True, nogil=True)
def _prologue(xb, k, a, yb, stop):
    """The sample-by-sample recursion for ``n < stop`` (the first ``m k`` samples, zero initial state)."""
    for i in range(min(stop, xb.shape[0])):
        yb[i] = xb[i] + a * yb[i - k] if i >= k else xb[i]


@numba.njit(cache=True, nogil=True)
def _fused1(xb, k, a, yb):
    n = xb.shape[0]
    _prologue(xb, k, a, yb, k)
    s = k
    while s < n:
        e = min(s + k, n)
        cur, prev, x0 = yb[s:e], yb[s - k : e - k], xb[s:e]
        for j in range(e - s):
            cur[j] = x0[j] + a * prev[j]
        s = e


@numba.njit(cache=True, nogil=True)
def _fused2(xb, k, a, yb):
    n = xb.shape[0]
    big = 2 * k
    a2 = a * a
    _prologue(xb, k, a, yb, big)
    s = big
    while s < n:
        e = min(s + big, n)
        cur, prev, x0 = yb[s:e], yb[s - big : e - big], xb[s:e]
        x1 = xb[s - k : e - k]
        for j in range(e - s):
            cur[j] = x0[j] + a * x1[j] + a2 * prev[j]
        s = e


@numba.njit(cache=True, nogil=True)
def _fused4(xb, k, a, yb):
    n = xb.shape[0]
    big = 4 * k
    a2 = a * a
    a3 = a2 * a
    a4 = a3 * a
    _prologue(xb, k, a, yb, big)
    s = big
    while s < n:
        e = min(s + big, n)
        cur, prev, x0 = yb[s:e], yb[s - big : e - big], xb[s:e]
        x1, x2, x3 = xb[s - k : e - k], xb[s - 2 * k : e - 2 * k], xb[s - 3 * k : e - 3 * k]
        for j in range(e - s):
            cur[j] = x0[j] + a * x1[j] + a2 * x2[j] + a3 * x3[j] + a4 * prev[j]
        s = e


@numba.njit(cache=True, nogil=True)
def _fused8(xb, k, a, yb):
    n = xb.shape[0]
    big = 8 * k
    a2 = a * a
    a3 = a2 * a
    a4 = a3 * a
    a5 = a4 * a
    a6 = a5 * a
    a7 = a6 * a
    a8 = a7 * a
    _prologue(xb, k, a, yb, big)
    s = big
    while s < n:
        e = min(s + big, n)
        cur, prev, x0 = yb[s:e], yb[s - big : e - big], xb[s:e]
        x1, x2, x3 = xb[s - k : e - k], xb[s - 2 * k : e - 2 * k], xb[s - 3 * k : e - 3 * k]
        x4, x5, x6 = xb[s - 4 * k : e - 4 * k], xb[s - 5 * k : e - 5 * k], xb[s - 6 * k : e - 6 * k]
        x7 = xb[s - 7 * k : e - 7 * k]
        for j in range(e - s):
            cur[j] = (x0[j] + a * x1[j] + a2 * x2[j] + a3 * x3[j] + a4 * x4[j] + a5 * x5[j] + a6 * x6[j]
                      + a7 * x7[j] + a8 * prev[j])
        s = e


@numba.njit(cache=True, nogil=True)
def _recurse_fused(xb, k, a, yb):
    """``yb[n] = xb[n] + a yb[n - k]``, zero initial state: unrolled ``m`` times with ``m k >= 32``."""
    if k >= 32:
        _fused1(xb, k, a, yb)
    elif k >= 16:
        _fused2(xb, k, a, yb)
    elif k >= 8:
        _fused4(xb, k, a, yb)
    else:
        _fused8(xb, k, a, yb)


# --------------------------------------------------------------------------------------------
# comb_iir_envelope: plain blocks (the same rounding for every batch size)
# --------------------------------------------------------------------------------------------


@numba.njit(cache=True, nogil=True)
def _recurse(xb, k, a, yb, min_block=_MIN_BLOCK):
    """``yb[n] = xb[n] + a yb[n - k]`` for ``n < len(xb)``, zero initial state (``yb`` preallocated).

    Delays ``k >= min_block``: block ``r`` of ``k`` samples is one vectorised pass over block ``r - 1``.
    Shorter delays are unrolled ``m = ceil(min_block / k)`` times:
    ``y[n] = sum_{i<m} a^i x[n - i k] + a^m y[n - m k]`` (exact with zero initial state, which also
    holds for the first ``m k`` samples done by the plain recursion), i.e. blocks of ``m k`` samples,
    each ``m`` vectorised passes over data already in cache. ``min_block=1`` never unrolls (every
    sample is then ``x + a * y_prev``, rounded the same way whatever the block length): the envelope
    kernel's mode, where the delay is ``k B`` and a recording's values must not depend on ``B``.
    """
    n = xb.shape[0]
    m = 1 if k >= min_block else -(-min_block // k)
    big = m * k
    for i in range(min(big, n)):
        yb[i] = xb[i] + a * yb[i - k] if i >= k else xb[i]
    # powers[i] = a^i in the dtype of yb: an integer literal in the arithmetic (a * 0 + 1) would type
    # the gains as float64 and the float32 loops below would convert every sample to double and back
    powers = np.ones(m, dtype=yb.dtype)
    for i in range(1, m):
        powers[i] = powers[i - 1] * a
    a_m = powers[m - 1] * a
    start = big
    while start < n:
        stop = min(start + big, n)
        cur = yb[start:stop]
        prev = yb[start - big : stop - big]
        xs = xb[start:stop]
        for j in range(stop - start):
            cur[j] = xs[j] + a_m * prev[j]
        for i in range(1, m):
            xi = xb[start - i * k : stop - i * k]
            pi = powers[i]
            for j in range(stop - start):
                cur[j] += pi * xi[j]
        start = stop


@numba.njit(cache=True, nogil=True)
def comb_iir_kernel(x, delays, alphas, y):
    """``x`` (B, N), ``delays`` (F,) int64, ``alphas`` (F,) dtype of x -> fills ``y`` (B, F, N).

    Returns whether the last ``K_f`` samples of every output row are finite. With a gain ``a != 0`` a
    NaN or infinite value anywhere in a row (from ``x``, or an overflow) is carried by the recursion
    to the last sample of its phase ``n mod K``: ``x + a * inf`` is infinite, and NaN stays NaN. So
    finite tails prove the whole row finite, for ``B * sum(K)`` reads instead of a pass over ``x``.
    """
    n = x.shape[1]
    finite = True
    for b in range(x.shape[0]):
        for f in range(delays.shape[0]):
            row = y[b, f]
            _recurse_fused(x[b], delays[f], alphas[f], row)
            for i in range(max(n - delays[f], 0), n):
                if not np.isfinite(row[i]):
                    finite = False
    return finite


@numba.njit(cache=True, nogil=True, fastmath=True)
def _reduce_rows(buf, lo, hi, energy, acc):
    """``acc[b] = max_i |buf[i, b]|`` or ``sum_i buf[i, b]**2`` over rows ``lo <= i < hi`` (``lo < hi``)."""
    n_b = buf.shape[1]
    for c in range(n_b):
        acc[c] = 0
    for i in range(lo, hi):
        row = buf[i]
        if energy:
            for c in range(n_b):
                acc[c] += row[c] * row[c]
        else:
            for c in range(n_b):
                acc[c] = max(acc[c], abs(row[c]))


@numba.njit(cache=True, nogil=True)
def comb_iir_envelope_kernel(xt, delays, alphas, window, stride, pad, energy, z):
    """Fused IIR + frame envelope on time-major input ``xt`` (N, B) (C order), never storing (B, F, N).

    Frame ``p`` covers ``y[p S - pad : p S - pad + W]`` (``y`` zero-extended): ``max |y|`` over it, or
    (``energy``) the sum of ``y**2`` over it divided by ``W``; with ``W`` a multiple of ``S`` it is
    reduced from ``W / S`` hop-long blocks, each reduced once.

    Interleaving the recordings makes ``y[n, b] = x[n, b] + a y[n - K, b]`` one flat recursion with delay
    ``K B`` over ``N B`` samples, so even short delays give long vectorised blocks; frames are reduced
    across all recordings at once. Every sample is computed by the same operations whatever ``B``, so a
    recording's result does not depend on the others in the batch. Scratch: one array the size of
    ``xt``. Fills ``z`` (B, F, P). Returns whether the last ``K_f`` rows of every filter's output are
    finite, which for finite ``xt`` proves that no sample overflowed (see :func:`comb_iir_kernel`):
    a frame's maximum alone would not, since ``max`` drops a NaN and frames need not cover every sample.
    """
    n, n_b = xt.shape
    n_frames = z.shape[2]
    buf = np.empty((n, n_b), dtype=xt.dtype)
    xf = xt.reshape(n * n_b)
    bf = buf.reshape(n * n_b)
    per = window // stride
    blocked = window % stride == 0
    n_blocks = n_frames + per - 1
    blocks = np.zeros((n_blocks if blocked else 1, n_b), dtype=xt.dtype)
    acc = np.empty(n_b, dtype=xt.dtype)
    finite = True
    for f in range(delays.shape[0]):
        _recurse(xf, delays[f] * n_b, alphas[f], bf, 1)  # same rounding for every batch size
        for i in range(max(n - delays[f], 0) * n_b, n * n_b):
            if not np.isfinite(bf[i]):
                finite = False
        if blocked:
            for j in range(n_blocks):
                lo = max(j * stride - pad, 0)
                hi = min(j * stride - pad + stride, n)
                if lo < hi:
                    _reduce_rows(buf, lo, hi, energy, blocks[j])
                else:
                    blocks[j, :] = 0
            for p in range(n_frames):
                for c in range(n_b):
                    v = blocks[p, c]
                    for j in range(p + 1, p + per):
                        v = v + blocks[j, c] if energy else max(v, blocks[j, c])
                    z[c, f, p] = v / window if energy else v
        else:
            for p in range(n_frames):
                lo = max(p * stride - pad, 0)
                hi = min(p * stride - pad + window, n)
                _reduce_rows(buf, lo, hi, energy, acc)
                for c in range(n_b):
                    z[c, f, p] = acc[c] / window if energy else acc[c]
    return finite
