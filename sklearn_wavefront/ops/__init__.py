"""Differentiable operators: comb filter (training), exact IIR comb (inference), FIR convolution."""

from .comb import comb_envelope, comb_filter, envelope_length
from .conv import fft_conv1d_valid
from .iir import CombIIRStream, comb_iir, comb_iir_envelope

__all__ = ["comb_filter", "comb_envelope", "envelope_length", "comb_iir", "comb_iir_envelope", "CombIIRStream", "fft_conv1d_valid"]
