"""The common front-end protocol and the shared machinery of FIR filterbanks.

Every front-end module takes waveforms ``(batch, time)`` (or ``(batch, 1, time)``) and returns
``(batch, n_outputs, frames)``. It exposes ``sample_rate``, ``n_filters``, ``n_outputs`` (equal to
``n_filters`` unless a transform such as a DCT changes the channel count),
``center_frequencies()`` in Hz, ``frequency_response(n_freqs)`` of the filters actually applied,
and ``output_length(n_samples)``, the documented output-length rule. Transformers, networks and
plots rely only on this protocol.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .._validation import check_choice, check_positive_float, check_positive_int, check_waveform
from ..ops.conv import fft_conv1d_valid

__all__ = ["Filterbank", "FIRFilterbank", "apply_envelope", "pool_frames", "compress"]

ENVELOPES = {"abs", "square"}
POOLINGS = {"mean", "max"}
COMPRESSIONS = {None, "log1p", "log", "db"}


def apply_envelope(y: torch.Tensor, kind: str) -> torch.Tensor:
    """``|y|`` for ``kind="abs"``, ``y**2`` for ``kind="square"``."""
    return y.abs() if kind == "abs" else y.square()


def pool_frames(z: torch.Tensor, window: int, stride: int, kind: str) -> torch.Tensor:
    """Mean or max over frames of ``window`` samples taken every ``stride`` samples ("valid").

    ``(B, C, L) -> (B, C, (L - window) // stride + 1)``.
    """
    if kind == "max":
        return F.max_pool1d(z, window, stride)
    return F.avg_pool1d(z, window, stride)


def compress(z: torch.Tensor, kind, eps: float) -> torch.Tensor:
    """Amplitude compression of a non-negative envelope.

    ``"log1p"``: ``log(1 + relu(z))`` (NLReLU, finite at 0, linear near 0); ``"log"``: ``log(z + eps)``;
    ``"db"``: ``10 log10(max(z, eps))``, decibels of a *power* envelope (``"square"``/``"energy"``, mel
    power); applied to an amplitude envelope (``"abs"``/``"max"``) it gives half the amplitude's dB;
    ``None``: unchanged.
    """
    if kind is None:
        return z
    if kind == "log1p":
        return torch.log1p(torch.relu(z))
    if kind == "log":
        return torch.log(z + eps)
    return 10.0 * torch.log10(torch.clamp_min(z, eps))


class Filterbank(nn.Module):
    """Base class of the front-end modules (the protocol above).

    Subclasses set ``sample_rate`` and ``n_filters`` and implement ``forward``,
    ``center_frequencies``, ``frequency_response`` and ``output_length``.
    """

    sample_rate: float
    n_filters: int

    @property
    def n_outputs(self) -> int:
        """Number of output channels of ``forward`` (``n_filters`` unless a transform changes it)."""
        return self.n_filters

    def center_frequencies(self) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def frequency_response(self, n_freqs: int = 512):  # pragma: no cover - abstract
        raise NotImplementedError

    def output_length(self, n_samples: int) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def min_input_length(self) -> int:
        """Fewest samples (>= 1) for which ``forward`` yields at least one frame."""
        if self.output_length(1) >= 1:
            return 1
        hi = 2
        while self.output_length(hi) < 1:
            hi *= 2
        lo = hi // 2  # output_length(lo) < 1 <= output_length(hi); the rules are monotone in n
        while lo + 1 < hi:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if self.output_length(mid) >= 1 else (mid, hi)
        return hi

    def _frequency_grid(self, n_freqs: int) -> np.ndarray:
        n_freqs = check_positive_int("n_freqs", n_freqs, minimum=2)
        return np.linspace(0.0, self.sample_rate / 2, n_freqs)


class FIRFilterbank(Filterbank):
    """A filterbank of ``n_filters`` FIR kernels of ``kernel_size`` taps, followed by an envelope.

    ``forward``: convolution of each waveform with every kernel ("valid": only outputs that see a
    full kernel, so zeros appended to a recording never change earlier frames), then the envelope
    (``|y|`` or ``y**2``), then mean or max pooling over frames of ``window_length`` samples every
    ``hop_length`` samples, then compression.

    Output-length rule: ``frames = ((n_samples - kernel_size + 1) - window_length) // hop_length + 1``;
    a signal with fewer than ``kernel_size + window_length - 1`` samples raises ``ValueError``.

    The convolution is the true (flipped-kernel) convolution ``y[n] = sum_k h[k] x[n - k]`` and output
    ``m`` corresponds to input sample ``n = m + kernel_size - 1``. ``conv_method="fft"`` computes the
    same result through the FFT (faster for long kernels); ``"auto"`` picks it for kernels of at least
    ``fft_thresholds[dtype]`` taps: 160 in float32 (and half precision, computed in float32), 80 in
    float64. These are the crossovers measured with ``benchmarks/cpu_speed.py`` (1 thread, 64
    filters, 2 s at 16 kHz): float32 direct ``conv1d`` (oneDNN) wins up to 127 taps and the FFT from
    191 forward (from 251 forward+backward); float64 has no oneDNN kernel and the FFT already wins
    at 95 taps.

    Subclasses implement :meth:`kernels` (``(n_filters, kernel_size)`` tensor, differentiable in the
    learnable parameters) and :meth:`center_frequencies`.
    """

    fft_thresholds = {torch.float64: 80}
    fft_threshold = 160  # every other dtype (float32; half precision is transformed in float32)

    def _init_fir(
        self,
        *,
        sample_rate: float,
        n_filters: int,
        kernel_size: int,
        window_length: int,
        hop_length: int,
        envelope: str,
        pooling: str,
        compression,
        eps: float,
        conv_method: str,
    ) -> None:
        self.sample_rate = float(sample_rate)
        self.n_filters = check_positive_int("n_filters", n_filters)
        self.kernel_size = check_positive_int("kernel_size", kernel_size)
        self.window_length = check_positive_int("window_length", window_length)
        self.hop_length = check_positive_int("hop_length", hop_length)
        self.envelope = check_choice("envelope", envelope, ENVELOPES)
        self.pooling = check_choice("pooling", pooling, POOLINGS)
        self.compression = check_choice("compression", compression, COMPRESSIONS)
        self.eps = check_positive_float("eps", eps)
        self.conv_method = check_choice("conv_method", conv_method, {"auto", "direct", "fft"})

    def kernels(self) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def output_length(self, n_samples: int) -> int:
        n_conv = n_samples - self.kernel_size + 1
        if n_conv < self.window_length:
            return 0
        return (n_conv - self.window_length) // self.hop_length + 1

    def filter(self, x: torch.Tensor) -> torch.Tensor:
        """Convolve ``x`` with every kernel: ``(B, N) -> (B, n_filters, N - kernel_size + 1)``."""
        x = check_waveform(
            x,
            min_length=self.kernel_size,
            min_length_reason=f"one full kernel of kernel_size={self.kernel_size} taps",
        )
        return self._convolve(x)

    def uses_fft(self, dtype: torch.dtype = torch.float32) -> bool:
        """Whether :meth:`filter` convolves inputs of ``dtype`` through the FFT (``conv_method`` resolved)."""
        if self.conv_method != "auto":
            return self.conv_method == "fft"
        return self.kernel_size >= self.fft_thresholds.get(dtype, self.fft_threshold)

    def _convolve(self, x: torch.Tensor) -> torch.Tensor:
        """:meth:`filter` on an already validated ``(B, N)`` waveform."""
        h = self.kernels().to(x.dtype)
        if self.uses_fft(x.dtype):
            return fft_conv1d_valid(x, h)
        # conv1d is a cross-correlation; flipping the kernels makes it the causal convolution.
        return F.conv1d(x[:, None, :], h.flip(-1)[:, None, :])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = check_waveform(
            x,
            min_length=self.kernel_size + self.window_length - 1,
            min_length_reason=(
                f"one kernel of kernel_size={self.kernel_size} taps plus one frame of "
                f"window_length={self.window_length} samples"
            ),
        )
        y = self._convolve(x)
        z = pool_frames(apply_envelope(y, self.envelope), self.window_length, self.hop_length, self.pooling)
        return compress(z, self.compression, self.eps)

    @torch.no_grad()
    def frequency_response(self, n_freqs: int = 512):
        """Magnitude response of the kernels actually applied, by the exact DTFT.

        Returns ``(freqs, magnitude)``: ``freqs`` ``(n_freqs,)`` in Hz from 0 to ``sample_rate / 2``,
        ``magnitude`` ``(n_filters, n_freqs)`` linear (not dB).
        """
        freqs = self._frequency_grid(n_freqs)
        h = self.kernels().detach().to(torch.float64).cpu()
        k = torch.arange(self.kernel_size, dtype=torch.float64)
        phase = -2 * math.pi * torch.as_tensor(freqs)[None, :] * k[:, None] / self.sample_rate
        basis = torch.polar(torch.ones_like(phase), phase)  # (K, n_freqs), exp(-j 2 pi f k / fs)
        return freqs, (h.to(torch.complex128) @ basis).abs().numpy()
