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


@numba.njit(cache=True, nogil=True)
def _recurse(xb, k, a, yb):
    """``yb[n] = xb[n] + a yb[n - k]`` for ``n < len(xb)``, zero initial state (``yb`` preallocated)."""
    n = xb.shape[0]
    first = min(k, n)
    for i in range(first):
        yb[i] = xb[i]
    start = k
    while start < n:
        stop = min(start + k, n)
        cur = yb[start:stop]
        prev = yb[start - k : stop - k]
        xs = xb[start:stop]
        for j in range(stop - start):
            cur[j] = xs[j] + a * prev[j]
        start = stop


@numba.njit(cache=True, nogil=True)
def comb_iir_kernel(x, delays, alphas, y):
    """``x`` (B, N), ``delays`` (F,) int64, ``alphas`` (F,) dtype of x -> fills ``y`` (B, F, N)."""
    for b in range(x.shape[0]):
        for f in range(delays.shape[0]):
            _recurse(x[b], delays[f], alphas[f], y[b, f])


@numba.njit(cache=True, nogil=True)
def comb_iir_envelope_kernel(x, delays, alphas, window, stride, pad, energy, z):
    """Fused IIR + frame envelope, never storing (B, F, N).

    Fills ``z`` (B, F, P): frame ``p`` covers ``y[p S - pad : p S - pad + W]`` (``y`` zero-extended);
    ``max |y|`` over it, or (``energy``) the sum of ``y**2`` over it divided by ``W``.
    """
    n = x.shape[1]
    n_frames = z.shape[2]
    buf = np.empty(n, dtype=x.dtype)
    for b in range(x.shape[0]):
        for f in range(delays.shape[0]):
            _recurse(x[b], delays[f], alphas[f], buf)
            if energy:
                for i in range(n):
                    buf[i] = buf[i] * buf[i]
            else:
                for i in range(n):
                    buf[i] = abs(buf[i])
            zb = z[b, f]
            for p in range(n_frames):
                lo = p * stride - pad
                hi = lo + window
                if lo < 0:
                    lo = 0
                if hi > n:
                    hi = n
                acc = buf[lo]
                if energy:
                    for i in range(lo + 1, hi):
                        acc += buf[i]
                    zb[p] = acc / window
                else:
                    for i in range(lo + 1, hi):
                        if buf[i] > acc:
                            acc = buf[i]
                    zb[p] = acc
