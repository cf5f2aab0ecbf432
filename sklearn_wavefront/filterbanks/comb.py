"""Learned-delay comb filterbank (the "combolutional" front-end)."""

from __future__ import annotations

import math
import numbers

import numpy as np
from scipy.special import logit
import torch
from torch import nn

from .._validation import (
    check_choice,
    check_frequency_range,
    check_open_unit_interval,
    check_positive_float,
    check_positive_int,
    check_sample_rate,
    check_waveform,
)
from ..ops.comb import _comb_envelope_call, comb_filter, envelope_length, envelope_padding
from ..ops.iir import _comb_iir_envelope, comb_iir
from ._base import COMPRESSIONS, Filterbank, compress
from ._scales import log_spaced_midpoints

__all__ = ["CombFilterbank"]

ALPHA_MAX = 0.999  # bound of learned feedback gains: |alpha| = ALPHA_MAX |tanh(v)| stays below 1 in float32


class CombFilterbank(Filterbank):
    """A bank of comb filters with learned fundamental frequencies, followed by a frame envelope.

    Each channel ``c`` has one learnable parameter ``w_c``; its fundamental is
    ``f0_c = fmin (fmax / fmin) ** sigmoid(w_c)``, always inside (fmin, fmax), and its delay is
    ``D_c = sample_rate / f0_c`` samples (``>= 2`` because ``fmax <= sample_rate / 2``). The input is
    filtered by the truncated-FIR comb of :func:`~sklearn_wavefront.ops.comb_filter` and reduced to a
    frame envelope by :func:`~sklearn_wavefront.ops.comb_envelope` (the two are fused: on the GPU path
    the full ``(batch, n_filters, time)`` signal is never stored), then compressed.

    Parameters
    ----------
    sample_rate : float, default=16000
        Sample rate of the input in Hz.
    n_filters : int, default=32
        Number of comb channels.
    fmin, fmax : float, default=50.0 and None
        Range of the fundamentals in Hz; ``fmax=None`` means ``min(2000, sample_rate / 2)``.
        ``0 < fmin < fmax <= sample_rate / 2``.
    alpha : float, default=0.9
        Feedback gain, strictly inside (-1, 1). Fixed unless ``learn_alpha``.
    learn_alpha : bool, default=False
        Learn one gain per channel, parameterised as ``alpha_c = 0.999 tanh(v_c)``, so ``|alpha_c| <= 0.999``
        for any ``v_c`` (plain ``tanh`` rounds to exactly 1 in float32 once ``|v_c|`` exceeds ~9, which an
        optimiser can reach, and the comb would stop being stable). ``|alpha|`` must then be below 0.999.
    learn_f0 : bool, default=True
        Whether the fundamentals are learnable (``False`` gives a fixed log-spaced comb bank).
    n_echoes : int, default=10
        Number of echoes of the truncated FIR training operator.
    window_length, hop_length : int or None, default=None
        Envelope frame length and hop in samples; ``None`` means 50 ms and half the window.
    envelope : {"max", "energy"}, default="max"
        ``max |y|`` over each frame, or mean ``y**2``.
    padding : {"valid", "center"}, default="valid"
        Frames inside the signal only, or frames centred on multiples of ``hop_length`` (``y`` zero-extended
        by ``window_length // 2`` on both sides).
    compression : {"log1p", "log", "db", None}, default="log1p"
        Amplitude compression of the envelope (``log1p`` is ``log(1 + z)``).
    eps : float, default=1e-6
        Floor inside ``"log"``/``"db"`` compression.

    Attributes
    ----------
    f0_logit : torch.nn.Parameter of shape (n_filters,)
        The parameter ``w`` above. Initialised so the fundamentals are evenly spaced on a log scale over
        the *whole* of [fmin, fmax]: ``f0_c = fmin (fmax/fmin) ** ((c + 1/2) / n_filters)``.
    alpha_param : torch.nn.Parameter or buffer of shape (n_filters,)
        ``atanh(alpha / 0.999)`` if ``learn_alpha`` else the fixed gain itself.

    Notes
    -----
    Output-length rule: ``frames = (n_samples + 2 pad - window_length) // hop_length + 1`` with ``pad = 0``
    (``"valid"``) or ``window_length // 2`` (``"center"``). In ``"valid"`` mode a signal shorter than
    ``window_length`` raises ``ValueError``. The comb is causal and ``"valid"`` frames never look past the
    signal's end, so zeros appended to a recording (batch padding) leave its frames unchanged. In
    ``"center"`` mode this holds for every frame whose window ends inside the signal
    (``p * hop_length - window_length // 2 + window_length <= n_samples``); the last frames, whose windows
    reach past the end, differ: there ``y`` is extended by zeros, while appended input zeros carry the
    comb's echo tail.

    Cost: the training operator does ``2 (n_echoes + 1)`` multiply-adds per sample and channel; the exact
    IIR used by :meth:`filter` with ``method="iir"`` does one.

    Examples
    --------
    >>> import torch
    >>> from sklearn_wavefront.filterbanks import CombFilterbank
    >>> bank = CombFilterbank(sample_rate=8000, n_filters=12, fmin=55.0, fmax=880.0)
    >>> bank(torch.randn(3, 8000)).shape          # (batch, n_filters, frames)
    torch.Size([3, 12, 39])
    >>> bank.output_length(8000)
    39
    >>> bank.center_frequencies().round(1)[:3]
    array([61.7, 77.8, 98. ])
    """

    def __init__(
        self,
        sample_rate: float = 16000,
        n_filters: int = 32,
        fmin: float = 50.0,
        fmax: float | None = None,
        alpha: float = 0.9,
        learn_alpha: bool = False,
        learn_f0: bool = True,
        n_echoes: int = 10,
        window_length: int | None = None,
        hop_length: int | None = None,
        envelope: str = "max",
        padding: str = "valid",
        compression: str | None = "log1p",
        eps: float = 1e-6,
    ):
        super().__init__()
        self.sample_rate = check_sample_rate(sample_rate)
        self.n_filters = check_positive_int("n_filters", n_filters)
        self.fmin, self.fmax = check_frequency_range(
            fmin, fmax, self.sample_rate, fmax_default=min(2000.0, self.sample_rate / 2)
        )
        # checked as stored (float32): a value such as 1 - 1e-8 passes in float64 but rounds to 1.0
        check_open_unit_interval("alpha", np.float32(alpha) if isinstance(alpha, numbers.Real) else alpha)
        if learn_alpha and not abs(float(alpha)) < ALPHA_MAX:
            raise ValueError(f"alpha must satisfy |alpha| < {ALPHA_MAX} with learn_alpha=True, got alpha={alpha!r}")
        self.n_echoes = check_positive_int("n_echoes", n_echoes)
        if window_length is None:
            window_length = max(1, round(0.05 * self.sample_rate))
        self.window_length = check_positive_int("window_length", window_length)
        self.hop_length = check_positive_int(
            "hop_length", max(1, self.window_length // 2) if hop_length is None else hop_length
        )
        self.envelope = check_choice("envelope", envelope, {"max", "energy"})
        self.padding = check_choice("padding", padding, {"valid", "center"})
        self.compression = check_choice("compression", compression, COMPRESSIONS)
        self.eps = check_positive_float("eps", eps)
        self.learn_alpha = bool(learn_alpha)

        f0 = log_spaced_midpoints(self.fmin, self.fmax, self.n_filters)
        u = np.log(f0 / self.fmin) / np.log(self.fmax / self.fmin)
        self.f0_logit = nn.Parameter(torch.as_tensor(logit(u), dtype=torch.float32), requires_grad=bool(learn_f0))
        alpha0 = torch.full((self.n_filters,), float(alpha), dtype=torch.float32)
        if self.learn_alpha:
            self.alpha_param = nn.Parameter(torch.atanh(alpha0.double() / ALPHA_MAX).float())
        else:
            self.register_buffer("alpha_param", alpha0)

    # -- parameterisation -------------------------------------------------------------------------

    def f0(self) -> torch.Tensor:
        """Fundamental frequencies in Hz, ``(n_filters,)`` tensor (differentiable).

        At least float32 even when the module was cast to half precision: a bfloat16 delay of ~50
        samples is off by up to 0.125 samples, and the 10th echo (at 10 D) by more than one sample.
        """
        log_ratio = math.log(self.fmax / self.fmin)
        w = self.f0_logit
        if w.dtype in (torch.float16, torch.bfloat16):
            w = w.float()
        return self.fmin * torch.exp(torch.sigmoid(w) * log_ratio)

    def delays(self) -> torch.Tensor:
        """Continuous delays ``sample_rate / f0`` in samples, ``(n_filters,)`` tensor (differentiable)."""
        return self.sample_rate / self.f0()

    def alphas(self) -> torch.Tensor:
        """Feedback gains, ``(n_filters,)`` tensor."""
        return ALPHA_MAX * torch.tanh(self.alpha_param) if self.learn_alpha else self.alpha_param

    # -- protocol ---------------------------------------------------------------------------------

    def center_frequencies(self) -> np.ndarray:
        """The learned fundamentals ``f0`` in Hz (numpy, float64)."""
        return self.f0().detach().cpu().double().numpy()

    def output_length(self, n_samples: int) -> int:
        return envelope_length(n_samples, self.window_length, self.hop_length, self.padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pad = envelope_padding(self.window_length, self.padding)
        x = check_waveform(
            x,
            min_length=max(1, self.window_length - 2 * pad),
            min_length_reason=f"one frame of window_length={self.window_length} samples",
        )
        # The op directly, not comb_envelope(): the input was just checked, and delays >= 2 and
        # |alpha| < 1 hold by construction, so the wrapper's value checks (a second pass over x, and a
        # device-to-host sync for delay and alpha on every training step) would only repeat work.
        z, _ = _comb_envelope_call(
            x.contiguous(), self.delays(), self.alphas(), self.n_echoes, self.window_length, self.hop_length,
            self.envelope, pad, need_argmax=False,
        )
        return compress(z, self.compression, self.eps)

    @torch.no_grad()
    def forward_iir(self, x: torch.Tensor) -> torch.Tensor:
        """Inference through the exact IIR: the same frames and compression as :meth:`forward`.

        Each channel is ``y[n] = x[n] + alpha y[n - round(D)]`` (whole-sample delays, as in the
        combolutional paper's inference), then the envelope of :meth:`forward` (``max |y|`` or mean ``y**2``
        per frame, same padding), then compression. Not differentiable. Compared with :meth:`forward` the
        channels keep every echo (peak gain ``1/(1-alpha)`` instead of ``(1-alpha**(T+1))/(1-alpha)``) and
        their fundamentals are quantised to ``sample_rate / round(D)``; see :mod:`sklearn_wavefront.ops.iir`.
        One multiply-add per sample and channel (compiled when numba is installed).
        """
        pad = envelope_padding(self.window_length, self.padding)
        x = check_waveform(
            x,
            min_length=max(1, self.window_length - 2 * pad),
            min_length_reason=f"one frame of window_length={self.window_length} samples",
        )
        # x was just validated, and round(D) >= 2 and |alpha| < 1 hold by construction: the internal
        # operator skips a second validation pass over x
        delays = [int(d) for d in torch.round(self.delays().detach().double()).tolist()]
        alphas = self.alphas().detach().double().cpu().tolist()
        z = _comb_iir_envelope(
            x, delays, alphas, self.window_length, self.hop_length, pad, self.envelope
        )
        return compress(z.to(x.device), self.compression, self.eps)

    def filter(self, x: torch.Tensor, method: str = "fir") -> torch.Tensor:
        """The comb outputs before the envelope, ``(batch, n_filters, time)``.

        ``method="fir"``: the differentiable training operator (fractional delays, ``n_echoes`` echoes).
        ``method="iir"``: the exact feedback comb ``y[n] = x[n] + alpha y[n - round(D)]`` for inference
        (see :mod:`sklearn_wavefront.ops.iir` for how the two differ: peak gain ``1/(1-alpha)`` vs
        ``(1 - alpha**(T+1))/(1 - alpha)``, and a whole-sample delay).
        """
        check_choice("method", method, {"fir", "iir"})
        if method == "fir":
            return comb_filter(x, self.delays(), self.alphas(), self.n_echoes)
        delays = torch.round(self.delays().detach()).to(torch.int64).cpu()
        return comb_iir(x, delays, self.alphas().detach().cpu())

    @torch.no_grad()
    def frequency_response(self, n_freqs: int = 512, method: str = "fir"):
        """Exact magnitude response of every channel on a Hz grid.

        ``method="fir"`` is the training operator ``|1 + sum_t alpha^t ((1-beta) e^{-jws} + beta e^{-jw(s+1)})|``;
        ``method="iir"`` is ``|1 / (1 - alpha e^{-jwK})|`` with ``K = round(D)``.

        Returns ``(freqs, magnitude)``: ``(n_freqs,)`` Hz from 0 to ``sample_rate / 2`` and ``(n_filters, n_freqs)``.
        """
        check_choice("method", method, {"fir", "iir"})
        freqs = self._frequency_grid(n_freqs)
        omega = 2 * np.pi * freqs / self.sample_rate
        delays = self.delays().double().cpu().numpy()
        alphas = self.alphas().double().cpu().numpy()
        mags = np.empty((self.n_filters, freqs.size))
        for c, (d, a) in enumerate(zip(delays, alphas)):
            if method == "iir":
                mags[c] = np.abs(1.0 / (1.0 - a * np.exp(-1j * omega * round(d))))
                continue
            h = np.ones_like(omega, dtype=complex)
            for t in range(1, self.n_echoes + 1):
                s = math.floor(t * d)
                beta = t * d - s
                h += a**t * ((1 - beta) * np.exp(-1j * omega * s) + beta * np.exp(-1j * omega * (s + 1)))
            mags[c] = np.abs(h)
        return freqs, mags
