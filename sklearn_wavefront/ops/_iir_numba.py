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


_MIN_BLOCK = 64  # shorter delays are unrolled to a block of at least this many samples


@numba.njit(cache=True, nogil=True)
def _recurse(xb, k, a, yb):
    """``yb[n] = xb[n] + a yb[n - k]`` for ``n < len(xb)``, zero initial state (``yb`` preallocated).

    Delays ``k >= 64``: block ``r`` of ``k`` samples is one vectorised pass over block ``r - 1``.
    Shorter delays would make those passes too short to vectorise well, so the recursion is unrolled
    ``m = ceil(64 / k)`` times: ``y[n] = sum_{i<m} a^i x[n - i k] + a^m y[n - m k]`` (exact with zero
    initial state, which also holds for the first ``m k`` samples done by the plain recursion), i.e.
    blocks of ``m k`` samples, each ``m`` vectorised passes over data already in cache.
    """
    n = xb.shape[0]
    m = 1 if k >= _MIN_BLOCK else -(-_MIN_BLOCK // k)
    big = m * k
    for i in range(min(big, n)):
        yb[i] = xb[i] + a * yb[i - k] if i >= k else xb[i]
    powers = np.empty(m, dtype=yb.dtype)
    p = a * 0 + 1
    for i in range(m):
        powers[i] = p
        p = p * a
    a_m = p
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
    """``x`` (B, N), ``delays`` (F,) int64, ``alphas`` (F,) dtype of x -> fills ``y`` (B, F, N)."""
    for b in range(x.shape[0]):
        for f in range(delays.shape[0]):
            _recurse(x[b], delays[f], alphas[f], y[b, f])


@numba.njit(cache=True, nogil=True, fastmath=True)
def _reduce(buf, lo, hi, energy):
    """``max |buf[lo:hi]|`` or ``sum buf[lo:hi]**2`` (``lo < hi``; finite data, so fastmath may vectorise)."""
    acc = buf[lo] * 0
    if energy:
        for i in range(lo, hi):
            acc += buf[i] * buf[i]
    else:
        for i in range(lo, hi):
            acc = max(acc, abs(buf[i]))
    return acc


@numba.njit(cache=True, nogil=True)
def comb_iir_envelope_kernel(x, delays, alphas, window, stride, pad, energy, z):
    """Fused IIR + frame envelope, never storing (B, F, N).

    Fills ``z`` (B, F, P): frame ``p`` covers ``y[p S - pad : p S - pad + W]`` (``y`` zero-extended);
    ``max |y|`` over it, or (``energy``) the sum of ``y**2`` over it divided by ``W``. When ``W`` is a
    multiple of ``S`` the frame is reduced from ``W / S`` hop-long blocks, each reduced once.
    """
    n = x.shape[1]
    n_frames = z.shape[2]
    buf = np.empty(n, dtype=x.dtype)
    per = window // stride
    blocked = window % stride == 0
    n_blocks = n_frames + per - 1
    blocks = np.empty(n_blocks if blocked else 1, dtype=x.dtype)
    for b in range(x.shape[0]):
        for f in range(delays.shape[0]):
            _recurse(x[b], delays[f], alphas[f], buf)
            zb = z[b, f]
            if blocked:
                for j in range(n_blocks):
                    lo = max(j * stride - pad, 0)
                    hi = min(j * stride - pad + stride, n)
                    blocks[j] = _reduce(buf, lo, hi, energy) if lo < hi else 0
                for p in range(n_frames):
                    acc = blocks[p]
                    for j in range(p + 1, p + per):
                        acc = acc + blocks[j] if energy else max(acc, blocks[j])
                    zb[p] = acc / window if energy else acc
            else:
                for p in range(n_frames):
                    lo = max(p * stride - pad, 0)
                    hi = min(p * stride - pad + window, n)
                    acc = _reduce(buf, lo, hi, energy)
                    zb[p] = acc / window if energy else acc
