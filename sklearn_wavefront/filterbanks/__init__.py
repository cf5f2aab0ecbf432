"""Filterbank modules: each produces its filters and applies them, following the front-end protocol.

Every module maps waveforms ``(batch, time)`` to ``(batch, n_outputs, frames)`` and exposes
``sample_rate``, ``n_filters``, ``center_frequencies()``, ``frequency_response(n_freqs)`` and
``output_length(n_samples)``.
"""

from ._base import Filterbank, FIRFilterbank
from .comb import CombFilterbank
from .fir_window import FIRWindowFilterbank
from .gammatone import GammatoneFilterbank
from .mel import MelFilterbank, MFCCFilterbank, mel_weights
from .sinc import SincFilterbank

__all__ = [
    "Filterbank",
    "FIRFilterbank",
    "CombFilterbank",
    "FIRWindowFilterbank",
    "SincFilterbank",
    "GammatoneFilterbank",
    "MelFilterbank",
    "MFCCFilterbank",
    "mel_weights",
]
