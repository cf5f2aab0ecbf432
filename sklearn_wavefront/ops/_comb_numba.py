"""Compiled (numba) CPU forward of the comb training operator's max envelope: an optional accelerator.

Imported lazily by :mod:`.comb` only when numba imports (``pip install sklearn-wavefront[fast]``).
The plain-torch forward makes ``2 T`` strided in-place additions over ``(B, N)`` per filter: a few
hundred small operations per call, each paying torch's dispatch and, with several intra-op threads
on a busy machine, a thread-pool round trip (measured here on 2 shared cores: 2.3 ms per addition
instead of 26 us, the whole ``CombFrontend.transform`` 35x slower than with one thread). This kernel
computes the same ``y`` for one (recording, filter) row at a time in a scratch row of ``N`` samples,
then its frames, in one compiled loop: no ``(B, F, N)`` tensor, no thread pool.

Same arithmetic as the torch path, in the same order: ``y = x``, then for every echo ``t``,
``y[n] += c0 x[n - s]`` for ``n >= s`` and ``y[n] += c1 x[n - s - 1]`` for ``n >= s + 1``, with
``c0 = α^t (1 - β)`` and ``c1 = α^t β`` rounded to the dtype of ``x``. The sums may round differently
from torch's vectorised ``add_`` (which may fuse the multiply-add), so values agree to float rounding,
not bit for bit; ties in a frame's maximum keep the first sample and a NaN the last, as ``max_pool1d`` does.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def comb_max_envelope_kernel(x, shifts, c0, c1, window, stride, pad, z, argmax):
    """``x`` (B, N); ``shifts`` (F, T) int64; ``c0``, ``c1`` (F, T) dtype of x.

    Fills ``z`` (B, F, P) with ``max |y|`` over frame ``p`` = samples ``[p S - pad, p S - pad + W)``
    of ``y`` (outside ``[0, N)`` ignored, as ``max_pool1d``'s ``-inf`` padding does) and ``argmax``
    (B, F, P) with the absolute index of that maximum (the first one on ties; a NaN wins, the last NaN).
    """
    n_b, n = x.shape
    n_f, n_t = shifts.shape
    n_p = z.shape[2]
    y = np.empty(n, dtype=x.dtype)
    for b in range(n_b):
        xb = x[b]
        for f in range(n_f):
            y[:] = xb
            for t in range(n_t):
                s = shifts[f, t]
                # written over slices: LLVM vectorises these (4x faster here than indexing y and xb
                # with offsets in one loop, which it leaves scalar)
                if s < n:
                    a0 = c0[f, t]
                    ys = y[s:]
                    xs = xb[: n - s]
                    for j in range(n - s):
                        ys[j] += a0 * xs[j]
                if s + 1 < n:
                    a1 = c1[f, t]
                    ys = y[s + 1 :]
                    xs = xb[: n - s - 1]
                    for j in range(n - s - 1):
                        ys[j] += a1 * xs[j]
            for p in range(n_p):
                lo = max(p * stride - pad, 0)
                hi = min(p * stride - pad + window, n)
                best = -np.inf
                where = lo
                for i in range(lo, hi):
                    v = abs(y[i])
                    if v > best or v != v:  # as max_pool1d: the first maximum, the last NaN
                        best = v
                        where = i
                z[b, f, p] = best
                argmax[b, f, p] = where
