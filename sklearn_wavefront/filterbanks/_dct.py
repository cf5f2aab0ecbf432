"""Orthonormal DCT-II matrix shared by the cepstral front-ends."""

from __future__ import annotations

import math

import torch

__all__ = ["dct_ii_matrix"]


def dct_ii_matrix(n_in: int, n_out: int | None = None, dtype=torch.float32) -> torch.Tensor:
    """The first ``n_out`` rows of the orthonormal DCT-II matrix of size ``n_in``.

    ``D[k, n] = s_k cos(pi k (2 n + 1) / (2 n_in))`` with ``s_0 = sqrt(1 / n_in)`` and
    ``s_k = sqrt(2 / n_in)`` otherwise, so ``D @ x`` equals ``scipy.fft.dct(x, type=2, norm="ortho")[:n_out]``.
    Returns a ``(n_out, n_in)`` tensor.
    """
    n_out = n_in if n_out is None else n_out
    n = torch.arange(n_in, dtype=torch.float64)
    k = torch.arange(n_out, dtype=torch.float64)[:, None]
    d = torch.cos(math.pi * k * (2 * n + 1) / (2 * n_in)) * math.sqrt(2.0 / n_in)
    d[0] /= math.sqrt(2.0)
    return d.to(dtype)
