"""Convolution of a batch of waveforms with a bank of FIR kernels, directly or through the FFT."""

from __future__ import annotations

import torch

from .._dtypes import compute_dtype

__all__ = ["fft_conv1d_valid"]


def _next_fast_length(n: int) -> int:
    """Smallest 2^a 3^b 5^c >= n (pocketfft is fastest on such sizes)."""
    best = 1 << (n - 1).bit_length()
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            m = p35
            while m < n:
                m *= 2
            best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


def fft_conv1d_valid(x: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    """Valid-mode causal convolution through the FFT.

    ``x`` ``(B, N)``, ``kernels`` ``(F, K)`` with ``K <= N`` -> ``(B, F, N - K + 1)`` where output ``m``
    is ``sum_k kernels[f, k] x[b, m + K - 1 - k]``: exactly ``conv1d(x[:, None], kernels.flip(-1)[:, None])``.
    The transform length covers the full linear convolution (``N + K - 1``), so there is no circular
    wrap-around for any input length.
    """
    n, k = x.shape[-1], kernels.shape[-1]
    n_fft = _next_fast_length(n + k - 1)
    # Half precision is transformed in float32: CPU FFTs reject it, and cuFFT takes it only for
    # power-of-two lengths (and would lose accuracy over long sums).
    compute = compute_dtype(x.dtype)
    spec = torch.fft.rfft(x.to(compute), n_fft)[:, None, :] * torch.fft.rfft(kernels.to(compute), n_fft)[None, :, :]
    full = torch.fft.irfft(spec, n_fft)
    return full[..., k - 1 : n].to(x.dtype)
