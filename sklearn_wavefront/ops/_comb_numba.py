"""Compiled (numba) CPU forward of the comb training operator's max envelope: an optional accelerator.

Imported lazily by :mod:`.comb` only when numba imports (``pip install sklearn-wavefront[fast]``).
The plain-torch forward makes ``2 T`` strided in-place additions over ``(B, N)`` per filter: a few
hundred small operations per call, each paying torch's dispatch and, with several intra-op threads
on a busy machine, a thread-pool round trip (measured here on 2 shared cores: 2.3 ms per addition
instead of 26 us, the whole ``CombFrontend.transform`` 35x slower than with one thread). This kernel
computes the same ``y`` for one (recording, filter) row at a time in a scratch row of ``N`` samples,
then its frames, in one compiled loop: no ``(B, F, N)`` tensor, no thread pool.

Same terms as the torch path: ``y = x + sum_t c0 x[n - s] + c1 x[n - s - 1]`` (zero before the start)
with ``c0 = α^t (1 - β)`` and ``c1 = α^t β`` rounded to the dtype of ``x``; the echoes are added five
at a time (five echoes, ten products, per pass over a tile of ``y``), so the sums round differently
from torch's one-echo-at-a-time ``add_``: values agree to float rounding, not bit for bit. Frames: ties in a
frame's maximum keep the first sample and a NaN the last, as ``max_pool1d`` does.

Where the time goes (B = 16, F = 32, 2 s at 16 kHz, one thread): the frame maxima took more than
the filtering (38 ms vs 25 ms) when every frame was scanned on its own with a NaN-aware maximum
that LLVM cannot vectorise (a NaN-propagating ``max`` is not associative). Now the maxima are taken
per hop-long block (each sample read once, a vectorised no-NaN maximum over the bits of ``|y|``,
which also tells whether the block holds a NaN or an infinity) and a frame is the earliest largest
of its ``window / hop`` blocks; the index of a maximum is searched (a scan of its block) only for
the blocks that win a frame, and only when the frames will be differentiated; a row where some
frame sees a NaN or an infinity (or frames that are not whole blocks) takes the exact per-frame
scan. Filtering five echoes per pass over a zero-led copy of the row (no echo-by-echo start), the
first pass also adding ``x`` itself (no copy pass): ``benchmarks/comb_kernel.py`` measures each
step against the one before.
"""

from __future__ import annotations

import numba
import numpy as np


_TILE = 4096  # output samples filtered at a time: the tile of y stays in the L1/L2 cache across the echoes


@numba.njit(cache=True, nogil=True, fastmath={"contract"})
def _filter_row(xp, lead, shifts, c0, c1, y):
    """``y = x + sum_t c0[t] x[. - s_t] + c1[t] x[. - s_t - 1]`` (zero before the start), tile by tile.

    ``xp`` is the row ``x`` after ``lead >= max(s) + 1`` zeros (``x[i]`` is ``xp[lead + i]``), so every
    echo of every sample reads inside ``xp`` and the whole row takes the same vectorised passes:
    the first ``max(s) + 1`` samples (where echoes reach before the start) went echo by echo before,
    in loops LLVM left scalar, and cost 15 % of the filtering at 32 filters of 8-302 samples' delay.
    Tile by tile, five echoes (ten shifted slices; then four, two, one) per pass over the tile of
    ``y``, which stays in cache: ten echoes in two passes instead of three (4 + 4 + 2) saved 4 %.
    The first pass writes ``x + (its products)`` (no separate copy of ``x`` into ``y``). The loops
    are written over slices, which LLVM vectorises (offset indexing of ``y`` and ``xp`` in one loop
    stays scalar: 4x slower here).
    """
    n = y.shape[0]
    n_echoes = shifts.shape[0]
    for lo in range(0, n, _TILE):
        hi = min(lo + _TILE, n)
        ys = y[lo:hi]
        at, to = lead + lo, lead + hi  # the tile's span in xp
        xs = xp[at:to]
        t = 0
        while t + 5 <= n_echoes:
            s0, s1, s2, s3, s4 = shifts[t], shifts[t + 1], shifts[t + 2], shifts[t + 3], shifts[t + 4]
            a0, b0, a1, b1, a2 = c0[t], c1[t], c0[t + 1], c1[t + 1], c0[t + 2]
            b2, a3, b3, a4, b4 = c1[t + 2], c0[t + 3], c1[t + 3], c0[t + 4], c1[t + 4]
            x0, x0m = xp[at - s0 : to - s0], xp[at - s0 - 1 : to - s0 - 1]
            x1, x1m = xp[at - s1 : to - s1], xp[at - s1 - 1 : to - s1 - 1]
            x2, x2m = xp[at - s2 : to - s2], xp[at - s2 - 1 : to - s2 - 1]
            x3, x3m = xp[at - s3 : to - s3], xp[at - s3 - 1 : to - s3 - 1]
            x4, x4m = xp[at - s4 : to - s4], xp[at - s4 - 1 : to - s4 - 1]
            if t == 0:
                for j in range(hi - lo):
                    ys[j] = xs[j] + (a0 * x0[j] + b0 * x0m[j] + a1 * x1[j] + b1 * x1m[j] + a2 * x2[j]
                                     + b2 * x2m[j] + a3 * x3[j] + b3 * x3m[j] + a4 * x4[j] + b4 * x4m[j])
            else:
                for j in range(hi - lo):
                    ys[j] += (a0 * x0[j] + b0 * x0m[j] + a1 * x1[j] + b1 * x1m[j] + a2 * x2[j]
                              + b2 * x2m[j] + a3 * x3[j] + b3 * x3m[j] + a4 * x4[j] + b4 * x4m[j])
            t += 5
        if t + 4 <= n_echoes:
            s0, s1, s2, s3 = shifts[t], shifts[t + 1], shifts[t + 2], shifts[t + 3]
            a0, b0, a1, b1 = c0[t], c1[t], c0[t + 1], c1[t + 1]
            a2, b2, a3, b3 = c0[t + 2], c1[t + 2], c0[t + 3], c1[t + 3]
            x0, x0m = xp[at - s0 : to - s0], xp[at - s0 - 1 : to - s0 - 1]
            x1, x1m = xp[at - s1 : to - s1], xp[at - s1 - 1 : to - s1 - 1]
            x2, x2m = xp[at - s2 : to - s2], xp[at - s2 - 1 : to - s2 - 1]
            x3, x3m = xp[at - s3 : to - s3], xp[at - s3 - 1 : to - s3 - 1]
            if t == 0:
                for j in range(hi - lo):
                    ys[j] = xs[j] + (a0 * x0[j] + b0 * x0m[j] + a1 * x1[j] + b1 * x1m[j]
                                     + a2 * x2[j] + b2 * x2m[j] + a3 * x3[j] + b3 * x3m[j])
            else:
                for j in range(hi - lo):
                    ys[j] += (a0 * x0[j] + b0 * x0m[j] + a1 * x1[j] + b1 * x1m[j]
                              + a2 * x2[j] + b2 * x2m[j] + a3 * x3[j] + b3 * x3m[j])
            t += 4
        if t == 0:
            ys[:] = xs
        if t + 2 <= n_echoes:
            s0, s1 = shifts[t], shifts[t + 1]
            a0, b0, a1, b1 = c0[t], c1[t], c0[t + 1], c1[t + 1]
            x0, x0m = xp[at - s0 : to - s0], xp[at - s0 - 1 : to - s0 - 1]
            x1, x1m = xp[at - s1 : to - s1], xp[at - s1 - 1 : to - s1 - 1]
            for j in range(hi - lo):
                ys[j] += a0 * x0[j] + b0 * x0m[j] + a1 * x1[j] + b1 * x1m[j]
            t += 2
        if t < n_echoes:
            s0 = shifts[t]
            a0, b0 = c0[t], c1[t]
            x0, x0m = xp[at - s0 : to - s0], xp[at - s0 - 1 : to - s0 - 1]
            for j in range(hi - lo):
                ys[j] += a0 * x0[j] + b0 * x0m[j]


@numba.njit(cache=True, nogil=True)
def _max_abs_bits(bits, lo, hi, mask):
    """``max |y[lo:hi]|`` as the bits of ``|y|`` (meaningful where the block is finite; a NaN or an
    infinity shows as bits at or above infinity's) (``bits`` is ``y`` viewed as integers
    of its width, ``mask`` clears the sign bit): the bits of non-negative finite floats order as the
    floats do, and LLVM vectorises an integer maximum (a float maximum it does not: 7x slower here)."""
    s = bits[lo:hi]
    best = s[0] & mask
    for i in range(s.shape[0]):
        v = s[i] & mask
        best = v if v > best else best
    return best


@numba.njit(cache=True, nogil=True)
def _first_index_of(bits, lo, mask, best):
    """The first ``i >= lo`` with ``bits[i] & mask == best`` (there is one before the block's end).
    One by one: chunked searches (a vectorised maximum or comparison per 16-64 samples) were no
    faster on half a block of 400 samples on average."""
    i = lo
    while (bits[i] & mask) != best:
        i += 1
    return i


@numba.njit(cache=True, nogil=True)
def _max_abs_blocks(bits, mask, not_finite, window, stride, pad, z, argmax, need_argmax, blocks, block_bits, where):
    """Frames of a row from hop-long blocks (``window`` a multiple of ``stride``); ``False``, with
    nothing written, when a sample that some frame sees is a NaN or an infinity.

    Block ``j`` covers ``[j S - pad, j S - pad + S)`` (clipped to the row; an empty block has bits
    -1, below every sample's), frame ``p`` the blocks ``p ... p + W/S - 1``. Each block's maximum
    first (as the bits of ``|y|``, into ``block_bits``, whose float view is ``blocks``), then each
    frame's largest block, the earliest on ties, and, only when ``need_argmax`` and only for the
    blocks that win a frame, the first index of that block's maximum: the first index of the frame's
    maximum. ``not_finite`` is the bit pattern of infinity: ``|y|``'s bits at or above it are an
    infinity or a NaN, which :func:`_max_abs_frames` must rank (a NaN wins there).
    """
    n = bits.shape[0]
    for j in range(block_bits.shape[0]):
        lo = max(j * stride - pad, 0)
        hi = min(j * stride - pad + stride, n)
        where[j] = -1  # its index not searched yet
        if lo >= hi:
            block_bits[j] = -1
            continue
        best = _max_abs_bits(bits, lo, hi, mask)
        if best >= not_finite:
            return False
        block_bits[j] = best
    per = window // stride
    for p in range(z.shape[0]):
        at = p
        for j in range(p + 1, p + per):
            if block_bits[j] > block_bits[at]:
                at = j
        z[p] = blocks[at]
        if need_argmax:
            if where[at] < 0:
                where[at] = _first_index_of(bits, max(at * stride - pad, 0), mask, block_bits[at])
            argmax[p] = where[at]
    return True


@numba.njit(cache=True, nogil=True)
def _max_abs_frames(y, window, stride, pad, z, argmax):
    """``z[p] = max |y|`` over frame ``p`` and ``argmax[p]`` its index, with ``max_pool1d``'s rules:
    the first of equal maxima; a NaN wins, and the last NaN of the frame is the one returned.

    A branch-free max reduction first (vectorised: 4.5x faster than tracking the index on the way),
    then a short scan for the index.
    """
    n = y.shape[0]
    for p in range(z.shape[0]):
        lo = max(p * stride - pad, 0)
        hi = min(p * stride - pad + window, n)
        best = abs(y[lo])
        has_nan = best != best
        for i in range(lo + 1, hi):
            v = abs(y[i])
            best = v if v > best else best
            has_nan |= v != v
        if has_nan:
            where = hi - 1
            while y[where] == y[where]:
                where -= 1
            best = abs(y[where])
        else:
            where = lo
            while abs(y[where]) != best:
                where += 1
        z[p] = best
        argmax[p] = where


@numba.njit(cache=True, nogil=True)
def comb_max_envelope_kernel(x, shifts, c0, c1, window, stride, pad, z, argmax, need_argmax, y, bits, mask,
                             not_finite, blocks, block_bits):
    """``x`` (B, N); ``shifts`` (F, T) int64; ``c0``, ``c1`` (F, T) dtype of x; scratch ``y`` (N,) of
    the dtype of ``x``, ``bits`` the same memory viewed as integers of that width, ``mask`` their
    sign bit cleared (``0x7FFFFFFF`` or ``0x7FFFFFFFFFFFFFFF``), ``not_finite`` the bits of infinity
    (``0x7F800000`` or ``0x7FF0000000000000``); scratch ``blocks`` (``P + W // S - 1``,) of the dtype
    of ``x`` and ``block_bits`` its integer view.

    Fills ``z`` (B, F, P) with ``max |y|`` over frame ``p`` = samples ``[p S - pad, p S - pad + W)``
    of ``y`` (outside ``[0, N)`` ignored, as ``max_pool1d``'s ``-inf`` padding does) and, when
    ``need_argmax``, ``argmax`` (B, F, P) with the absolute index of that maximum (the first one on
    ties; a NaN wins, the last NaN). Without ``need_argmax`` (no gradient to come) ``argmax`` is
    left as it was where frames are whole hops (the blocked maxima), except in rows with a NaN or an
    infinity that a frame sees; the per-frame scan (other windows, those rows) always writes it.

    Allocates one row of ``max(shifts) + 1 + N`` samples (each recording after that many zeros):
    callers cap the shifts at ``N`` (a longer echo reads only zeros), which keeps it under ``2 N + 1``.
    """
    n_b, n = x.shape
    blocked = window % stride == 0
    where = np.empty(block_bits.shape[0], dtype=np.int64)
    lead = (shifts.max() if shifts.size else 0) + 1  # zeros before each row: every echo reads inside
    xp = np.zeros(lead + n, dtype=x.dtype)
    for b in range(n_b):
        xp[lead:] = x[b]
        for f in range(shifts.shape[0]):
            _filter_row(xp, lead, shifts[f], c0[f], c1[f], y)
            if not (blocked and _max_abs_blocks(bits, mask, not_finite, window, stride, pad, z[b, f], argmax[b, f],
                                                need_argmax, blocks, block_bits, where)):
                _max_abs_frames(y, window, stride, pad, z[b, f], argmax[b, f])


@numba.njit(cache=True, nogil=True)
def comb_max_envelope_backward_kernel(grad_z, x, shifts, beta, gain, dgain, argmax, need_grad_x, corr0, corr1,
                                      grad_x):
    """The max envelope's backward from the stored argmax (the sparse rule of ``_comb_torch``).

    ``grad_z``, ``argmax`` (B, F, P); ``x`` (B, N); ``shifts`` (F, T) int64; ``beta``, ``gain``,
    ``dgain`` (F, T) float64 (``dgain = d gain / d alpha``). For each frame, ``y`` is re-evaluated at
    its argmax ``m`` (``T`` taps), ``gs = dL/dz * sign(y[m])`` is correlated with ``x[m - s]`` and
    ``x[m - s - 1]`` into ``corr0``, ``corr1`` (F, T) float64, and, when ``need_grad_x``, scattered
    into ``grad_x`` (B, N) float64 (gain 1 at ``m``, ``gain (1 - beta)`` at ``m - s``, ``gain beta``
    at ``m - s - 1``; positions before the start take nothing). One pass over ``B F P T`` taps, no
    temporaries: the torch rule gathers ``(B, F, P, T)`` tensors.
    """
    n_b, n_f, n_p = grad_z.shape
    n_t = shifts.shape[1]
    for b in range(n_b):
        xb = x[b]
        for f in range(n_f):
            for p in range(n_p):
                g = grad_z[b, f, p]
                if g == 0:
                    continue
                m = argmax[b, f, p]
                y = np.float64(xb[m])
                for t in range(n_t):
                    i0 = m - shifts[f, t]
                    x0 = np.float64(xb[i0]) if i0 >= 0 else 0.0
                    x1 = np.float64(xb[i0 - 1]) if i0 >= 1 else 0.0
                    y += gain[f, t] * ((1.0 - beta[f, t]) * x0 + beta[f, t] * x1)
                gs = g if y > 0 else (-g if y < 0 else (y if y != y else 0.0 * g))  # torch.sign: NaN stays NaN
                if gs == 0:
                    continue
                if need_grad_x:
                    grad_x[b, m] += gs
                for t in range(n_t):
                    i0 = m - shifts[f, t]
                    if i0 >= 0:
                        corr0[f, t] += gs * xb[i0]
                        if need_grad_x:
                            grad_x[b, i0] += gs * gain[f, t] * (1.0 - beta[f, t])
                    if i0 >= 1:
                        corr1[f, t] += gs * xb[i0 - 1]
                        if need_grad_x:
                            grad_x[b, i0 - 1] += gs * gain[f, t] * beta[f, t]
