"""Differentiable operators: comb filter (training), exact IIR comb (inference), FIR convolution.

Layers, lowest first (no module imports one above it): ``_lazy`` (optional numba kernels),
``_comb_torch`` (the comb's plain-torch kernels and frame rule), ``_triton_comb`` (its Triton
kernels, which fall back on ``_comb_torch`` for float64), ``comb`` (the ``torch.library`` custom
operators and their dispatch), ``iir`` and ``conv``. This package's ``__init__`` ties the Triton
back-end to the custom operators for CUDA tensors, only when CUDA is available and triton imports;
everywhere else the plain-torch kernels run.
"""

import torch

from .comb import comb_envelope, comb_filter, envelope_length, register_backend
from .conv import fft_conv1d_valid
from .iir import CombIIRStream, comb_iir, comb_iir_envelope

__all__ = ["comb_filter", "comb_envelope", "envelope_length", "comb_iir", "comb_iir_envelope", "CombIIRStream", "fft_conv1d_valid"]


def _register_triton_for_cuda() -> None:
    """Route CUDA tensors of the comb custom operators to the Triton kernels, when triton imports."""
    try:
        from ._triton_comb import TritonCombBackend
    except Exception:  # noqa: BLE001 - triton missing or broken: the torch path serves CUDA tensors
        return
    register_backend("cuda", TritonCombBackend())


if torch.cuda.is_available():
    _register_triton_for_cuda()
