"""IConNet front-end: FIR band-pass kernels shaped by learnable generalized-cosine windows.

Each filter is an ideal band-pass (difference of two sinc low-passes) on integer taps centred at
``(K - 1) / 2``, multiplied by its own generalized-cosine window, and gain-normalised. Both the band
edges and the window coefficients may be learned (IConNet-B, -W, -BW).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import logit
import torch
from torch import nn

from .._validation import check_choice, check_frequency_range, check_positive_float, check_positive_int
from ._base import FIRFilterbank
from ._scales import mel_band_edges

__all__ = ["FIRWindowFilterbank", "WINDOW_COEFFICIENTS"]

#: Generalized-cosine coefficients ``a_p`` of the named windows, ``w[k] = sum_p (-1)^p a_p cos(2 pi p k / (K - 1))``.
WINDOW_COEFFICIENTS = {
    "hann": (0.5, 0.5),
    "hamming": (0.54, 0.46),
    "blackman": (0.42, 0.5, 0.08),
}

# Fraction of the admissible range by which an initial band edge that falls on (or outside) a
# constraint boundary is moved inside, where the sigmoid parameterisation can represent it.
_INIT_NUDGE = 1e-4


class FIRWindowFilterbank(FIRFilterbank):
    """IConNet filterbank: windowed-sinc band-pass kernels with learnable bands and windows.

    Filter ``i`` has a low cut-off ``f_lo`` and a bandwidth ``b`` (Hz). Its impulse response on the
    taps ``m = k - (K - 1) / 2``, ``k = 0 .. K - 1`` is the difference of two ideal low-passes,

    ``h[m] = (sin(2 pi (f_lo + b) m / fs) - sin(2 pi f_lo m / fs)) / (pi m)``, ``h[0] = 2 b / fs``,

    multiplied by the filter's window ``w[k] = sum_p (-1)^p a_p cos(2 pi p k / (K - 1))`` and divided
    by ``|A|``, where ``A = sum_m h[m] w[m] cos(2 pi f_c m / fs)`` is the (real, linear-phase) response
    at the band centre ``f_c = f_lo + b / 2``. **Gain norm:** every kernel has unit magnitude response
    at its band centre; the normalisation is computed differentiably. The impulse response is never
    rectified (no absolute value), so the kernel is symmetric and linear-phase.

    The bands are constrained by construction, without clamping (which would zero gradients):

    ``f_lo = min_low_hz + (U - min_low_hz - min_band_hz) * sigmoid(u)``,
    ``b = min_band_hz + (U - f_lo - min_band_hz) * sigmoid(v)``, ``U = sample_rate / 2 - 1 Hz``
    (``U - f_lo - min_band_hz`` is computed as ``(U - min_low_hz - min_band_hz) * sigmoid(-u)``),

    so that ``min_low_hz <= f_lo``, ``b >= min_band_hz`` and ``f_lo + b <= sample_rate / 2 - 1 Hz``
    for every value of the raw parameters ``u`` and ``v``.

    The forward pass is the IConNet block: valid causal convolution at the full rate, envelope
    (``|y|`` by default), pooling by ``stride`` applied once (``window_length = hop_length = stride``),
    compression (``"log1p"`` is NLReLU, ``log(1 + relu(z))``), and an optional ``LocalResponseNorm``
    across filters. Blocks stack: a following block runs at ``sample_rate / stride``.

    Output-length rule: ``frames = (n_samples - kernel_size + 1 - stride) // stride + 1``; a signal
    with fewer than ``kernel_size + stride - 1`` samples raises ``ValueError``. Zeros appended to a
    recording never change the first ``output_length(n_samples)`` frames.

    Parameters
    ----------
    sample_rate : float, default=16000
        Sample rate of the input in Hz.
    n_filters : int, default=64
        Total number of filters ``F`` (including ``n_low_filters``).
    kernel_size : int, default=255
        Number of taps ``K``; must be odd (the band-pass is centred on an integer tap).
    fmin, fmax : float, default=30.0, None
        The ``n_filters - n_low_filters`` main bands are initialised as adjacent bands equally
        spaced on the (Slaney) mel scale between ``fmin`` and ``fmax`` (``None``: ``sample_rate / 2``).
        Edges that fall outside the admissible set (e.g. exactly at ``sample_rate / 2``) are moved
        inside by 0.01 % of the admissible range.
    n_low_filters : int, default=0
        Extra low-frequency bands, adjacent and linearly spaced from ``min_low_hz`` to ``fmin``.
    window : {"hann", "hamming", "blackman"} or array-like of shape (P,), default="hann"
        Initial generalized-cosine coefficients ``a_p`` (the same for every filter).
    learn_bands : bool, default=True
        Learn the band edges (IConNet-B). Otherwise they are buffers.
    learn_windows : bool, default=True
        Learn the window coefficients per filter (IConNet-W). Otherwise they are buffers.
    min_low_hz : float, default=0.0
        Lower bound of every low cut-off.
    min_band_hz : float, default=1.0
        Lower bound of every bandwidth.
    stride : int, default=160
        Pooling window and hop in samples (10 ms at 16 kHz).
    envelope : {"abs", "square"}, default="abs"
    pooling : {"mean", "max"}, default="mean"
    compression : {"log1p", "log", "db", None}, default="log1p"
    eps : float, default=1e-6
        Floor used by the ``"log"`` and ``"db"`` compressions.
    lrn_size : int or None, default=None
        If given, a ``torch.nn.LocalResponseNorm(lrn_size)`` across filters ends the block.
    conv_method : {"auto", "direct", "fft"}, default="auto"
        How the convolution is computed (the FFT path equals the direct one to float rounding).
    multirate : bool, default=True
        Filter each band at the lowest rate its spectrum allows and take the envelope there: a
        documented approximation of the full-rate block, 2.5-5x faster (see
        :class:`~sklearn_wavefront.filterbanks._base.FIRFilterbank`, *Multirate*, for the rule and its
        measured tolerance). ``False``: the exact full-rate convolution.

    Attributes
    ----------
    low_hz_raw, band_hz_raw : torch.Tensor of shape (n_filters,)
        Unconstrained band parameters ``u`` and ``v`` (parameters if ``learn_bands``, else buffers).
    window_coefficients : torch.Tensor of shape (n_filters, P)
        Window coefficients ``a_p`` per filter (parameter if ``learn_windows``, else buffer).
    lrn : torch.nn.LocalResponseNorm or None

    Examples
    --------
    >>> import torch
    >>> from sklearn_wavefront.filterbanks.fir_window import FIRWindowFilterbank
    >>> fb = FIRWindowFilterbank(sample_rate=16000, n_filters=8, kernel_size=101, stride=160)
    >>> x = torch.randn(2, 16000)
    >>> fb(x).shape
    torch.Size([2, 8, 99])
    >>> fb.output_length(16000)
    99
    >>> fb.kernels().shape, fb.windows().shape
    (torch.Size([8, 101]), torch.Size([8, 101]))
    >>> fb.bands().shape  # (low, high) cut-offs in Hz
    (8, 2)
    """

    nyquist_margin_hz = 1.0

    def __init__(
        self,
        sample_rate: float = 16000,
        n_filters: int = 64,
        kernel_size: int = 255,
        fmin: float = 30.0,
        fmax: float | None = None,
        n_low_filters: int = 0,
        window="hann",
        learn_bands: bool = True,
        learn_windows: bool = True,
        min_low_hz: float = 0.0,
        min_band_hz: float = 1.0,
        stride: int = 160,
        envelope: str = "abs",
        pooling: str = "mean",
        compression="log1p",
        eps: float = 1e-6,
        lrn_size: int | None = None,
        conv_method: str = "auto",
        multirate: bool = True,
    ):
        super().__init__()
        kernel_size = check_positive_int("kernel_size", kernel_size, minimum=3)
        if kernel_size % 2 == 0:
            raise ValueError(
                f"kernel_size must be odd so the band-pass is centred on a tap, got kernel_size={kernel_size}"
            )
        stride = check_positive_int("stride", stride)
        self._init_fir(
            sample_rate=sample_rate,
            n_filters=n_filters,
            kernel_size=kernel_size,
            window_length=stride,
            hop_length=stride,
            envelope=envelope,
            pooling=pooling,
            compression=compression,
            eps=eps,
            conv_method=conv_method,
            multirate=multirate,
        )
        self.stride = stride
        fmin, fmax = check_frequency_range(fmin, fmax, self.sample_rate)
        self.fmin, self.fmax = fmin, fmax
        self.n_low_filters = check_positive_int("n_low_filters", n_low_filters, minimum=0)
        if self.n_low_filters >= self.n_filters:
            raise ValueError(
                f"n_low_filters must be < n_filters, got n_low_filters={n_low_filters} and n_filters={n_filters}"
            )
        self.min_low_hz = check_positive_float("min_low_hz", min_low_hz, allow_zero=True)
        self.min_band_hz = check_positive_float("min_band_hz", min_band_hz)
        self.learn_bands = bool(learn_bands)
        self.learn_windows = bool(learn_windows)
        upper = self._upper_hz
        if self.min_low_hz + self.min_band_hz >= upper:
            raise ValueError(
                f"min_low_hz + min_band_hz must be < sample_rate / 2 - {self.nyquist_margin_hz:g} Hz = {upper:g}, "
                f"got min_low_hz={min_low_hz!r}, min_band_hz={min_band_hz!r}"
            )
        if self.min_low_hz > fmin or (self.n_low_filters > 0 and self.min_low_hz >= fmin):
            relation = "<" if self.n_low_filters else "<="
            raise ValueError(f"min_low_hz must be {relation} fmin, got min_low_hz={min_low_hz!r} and fmin={fmin!r}")

        # Initial band edges: n_low_filters linear bands below fmin, then mel-spaced bands to fmax.
        edges = mel_band_edges(fmin, fmax, self.n_filters - self.n_low_filters)
        if self.n_low_filters:
            low = np.linspace(self.min_low_hz, fmin, self.n_low_filters + 1)
            edges = np.concatenate([low[:-1], edges])
        widths = np.diff(edges)
        if np.any(widths <= self.min_band_hz):
            raise ValueError(
                f"min_band_hz={min_band_hz!r} is not below the narrowest initial band ({widths.min():.4g} Hz); "
                "lower min_band_hz or use fewer filters"
            )
        u, v = self._raw_from_edges(edges[:-1], edges[1:])
        self._register("low_hz_raw", torch.as_tensor(u, dtype=torch.float32), self.learn_bands)
        self._register("band_hz_raw", torch.as_tensor(v, dtype=torch.float32), self.learn_bands)

        coeffs = self._window_coefficients(window)
        coeffs = torch.as_tensor(np.tile(coeffs, (self.n_filters, 1)), dtype=torch.float32)
        self._register("window_coefficients", coeffs, self.learn_windows)

        if lrn_size is None:
            self.lrn = None
        else:
            self.lrn = nn.LocalResponseNorm(check_positive_int("lrn_size", lrn_size))
        self.lrn_size = lrn_size

    # ------------------------------------------------------------------ construction helpers
    @property
    def _upper_hz(self) -> float:
        return self.sample_rate / 2 - self.nyquist_margin_hz

    def _register(self, name: str, value: torch.Tensor, learn: bool) -> None:
        if learn:
            self.register_parameter(name, nn.Parameter(value))
        else:
            self.register_buffer(name, value)

    @staticmethod
    def _window_coefficients(window) -> np.ndarray:
        if isinstance(window, str):
            check_choice("window", window, set(WINDOW_COEFFICIENTS))
            return np.asarray(WINDOW_COEFFICIENTS[window], dtype=np.float64)
        coeffs = np.asarray(window, dtype=np.float64)
        if coeffs.ndim != 1 or coeffs.size < 1 or not np.all(np.isfinite(coeffs)):
            raise ValueError(
                "window must be one of ['blackman', 'hamming', 'hann'] or a finite 1-D array of "
                f"generalized-cosine coefficients, got window={window!r}"
            )
        return coeffs

    def _raw_from_edges(self, lo: np.ndarray, hi: np.ndarray):
        """Invert the sigmoid parameterisation (edges outside the admissible set are nudged inside)."""
        upper = self._upper_hz
        span = upper - self.min_low_hz - self.min_band_hz
        s_lo = np.clip((lo - self.min_low_hz) / span, _INIT_NUDGE, 1 - _INIT_NUDGE)
        f_lo = self.min_low_hz + span * s_lo
        room = upper - f_lo - self.min_band_hz
        s_b = np.clip((hi - f_lo - self.min_band_hz) / room, _INIT_NUDGE, 1 - _INIT_NUDGE)
        return logit(s_lo), logit(s_b)

    # ------------------------------------------------------------------ bands and windows
    def low_hz(self) -> torch.Tensor:
        """Low cut-offs ``f_lo`` in Hz, ``(n_filters,)``, differentiable."""
        span = self._upper_hz - self.min_low_hz - self.min_band_hz
        return self.min_low_hz + span * torch.sigmoid(self.low_hz_raw)

    def band_hz(self) -> torch.Tensor:
        """Bandwidths ``b`` in Hz, ``(n_filters,)``, differentiable."""
        # U - f_lo - min_band_hz written as span * sigmoid(-u): a product of non-negative factors, so
        # b >= min_band_hz holds exactly in floating point, and f_lo + b <= U up to one rounding.
        span = self._upper_hz - self.min_low_hz - self.min_band_hz
        room = span * torch.sigmoid(-self.low_hz_raw)
        return self.min_band_hz + room * torch.sigmoid(self.band_hz_raw)

    def high_hz(self) -> torch.Tensor:
        """High cut-offs ``f_lo + b`` in Hz, ``(n_filters,)``, differentiable."""
        return self.low_hz() + self.band_hz()

    @torch.no_grad()
    def bands(self) -> np.ndarray:
        """``(n_filters, 2)`` numpy array of ``(low, high)`` cut-offs in Hz."""
        lo = self.low_hz()
        return torch.stack([lo, lo + self.band_hz()], dim=1).double().cpu().numpy()

    @torch.no_grad()
    def center_frequencies(self) -> np.ndarray:
        """Band centres ``f_lo + b / 2`` in Hz (numpy, ``(n_filters,)``)."""
        return (self.low_hz() + self.band_hz() / 2).double().cpu().numpy()

    def windows(self) -> torch.Tensor:
        """Per-filter windows ``(n_filters, kernel_size)``, differentiable in the coefficients."""
        a = self.window_coefficients
        k = torch.arange(self.kernel_size, dtype=a.dtype, device=a.device)
        p = torch.arange(a.shape[1], dtype=a.dtype, device=a.device)
        sign = 1.0 - 2.0 * torch.remainder(p, 2)  # (-1)^p
        basis = torch.cos(2 * math.pi * p[:, None] * k[None, :] / (self.kernel_size - 1))  # (P, K)
        return (a * sign) @ basis

    def kernels(self) -> torch.Tensor:
        """Gain-normalised windowed band-pass kernels ``(n_filters, kernel_size)``."""
        f_lo = self.low_hz()
        band = self.band_hz()
        f_hi = f_lo + band
        dtype, device = f_lo.dtype, f_lo.device
        half = (self.kernel_size - 1) // 2
        m = torch.arange(-half, half + 1, dtype=dtype, device=device)
        centre = m == 0
        m_safe = torch.where(centre, torch.ones_like(m), m)  # avoid 0/0 (and NaN gradients) at the centre tap
        w_hi = 2 * math.pi * f_hi[:, None] / self.sample_rate
        w_lo = 2 * math.pi * f_lo[:, None] / self.sample_rate
        off = (torch.sin(w_hi * m_safe) - torch.sin(w_lo * m_safe)) / (math.pi * m_safe)
        h = torch.where(centre, (2 * band / self.sample_rate)[:, None], off)
        h = h * self.windows().to(dtype)
        f_c = f_lo + band / 2
        gain = (h * torch.cos(2 * math.pi * f_c[:, None] * m / self.sample_rate)).sum(-1)
        return h / gain.abs().clamp_min(torch.finfo(dtype).tiny)[:, None]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = super().forward(x)
        return z if self.lrn is None else self.lrn(z)

    def extra_repr(self) -> str:
        return (
            f"sample_rate={self.sample_rate:g}, n_filters={self.n_filters}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, learn_bands={self.learn_bands}, learn_windows={self.learn_windows}"
        )

