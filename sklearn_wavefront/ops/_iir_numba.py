"""Compiled (numba) kernels of the exact IIR comb: the optional accelerator of :mod:`.iir`.

Imported lazily by :mod:`.iir` only; importing this module imports numba (``pip install
sklearn-wavefront[fast]``). Every kernel is the recursion ``y[n] = x[n] + a y[n - K]`` with zero initial
state, written block by block: block ``r`` (samples ``rK ... rK + K - 1``) reads only block ``r - 1``, so
the inner loop over a block has no dependency between its iterations and LLVM vectorises it. Work is
one multiply-add per sample and channel, in the dtype of ``x`` (the gains are cast to it).
"""

from __future__ import annotations

import numba
import numpy as np


_MIN_BLOCK = 64  # delays shorter than this take 16-sample steps (K >= 16) or are unrolled (K < 16)
_STEP = 16  # samples per step for delays 16 <= K < 64: one AVX-512 vector of float32


@numba.njit(cache=True, nogil=True)
def _recurse_steps(xb, k, a, yb):
    """The plain recursion in fixed steps of ``_STEP`` samples, for ``k >= _STEP``.

    A step ``y[s : s + 16]`` reads ``y[s - k : s - k + 16]``, all computed before it when ``k >= 16``:
    so every step is one vector operation whatever ``k``, and the values are those of the sample-by-
    sample recursion, bit for bit. Blocks of ``k`` samples (below) would leave a scalar remainder of
    ``k mod 16`` samples in every block, which dominates for delays of a few tens of samples.
    """
    n = xb.shape[0]
    for i in range(min(k, n)):
        yb[i] = xb[i]
    s = k
    while s + _STEP <= n:
        cur = yb[s : s + _STEP]
        prev = yb[s - k : s - k + _STEP]
        xs = xb[s : s + _STEP]
        for j in range(_STEP):
            cur[j] = xs[j] + a * prev[j]
        s += _STEP
    for i in range(s, n):
        yb[i] = xb[i] + a * yb[i - k]


@numba.njit(cache=True, nogil=True)
def _recurse(xb, k, a, yb, min_block=_MIN_BLOCK):
    """``yb[n] = xb[n] + a yb[n - k]`` for ``n < len(xb)``, zero initial state (``yb`` preallocated).

    Delays ``k >= 64``: block ``r`` of ``k`` samples is one vectorised pass over block ``r - 1``.
    ``16 <= k < 64``: fixed 16-sample steps (:func:`_recurse_steps`), the same values bit for bit.
    ``k < 16`` would make either too short to vectorise, so the recursion is unrolled
    ``m = ceil(64 / k)`` times: ``y[n] = sum_{i<m} a^i x[n - i k] + a^m y[n - m k]`` (exact with zero
    initial state, which also holds for the first ``m k`` samples done by the plain recursion), i.e.
    blocks of ``m k`` samples, each ``m`` vectorised passes over data already in cache.
    ``min_block=1`` never unrolls (every sample is then ``x + a * y_prev``, rounded the same way
    whatever the block length).
    """
    if _STEP <= k < min_block:
        _recurse_steps(xb, k, a, yb)
        return
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
            _recurse(x[b], delays[f], alphas[f], row)
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
