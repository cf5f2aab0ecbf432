"""SpectNet front-end: a learnable gammatone filterbank producing a log-energy spectrogram image."""

from __future__ import annotations

import math

import numpy as np
from scipy.special import logit
import torch
import torch.nn.functional as F
from torch import nn

from .._validation import check_choice, check_frequency_range, check_positive_float, check_positive_int
from ._base import FIRFilterbank
from ._dct import dct_ii_matrix
from ._scales import erb_bandwidth, mel_spaced

__all__ = ["GammatoneFilterbank"]


def _inverse_softplus(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    return y + np.log(-np.expm1(-y))


_ORDER_FLOOR = 1.001  # n = _ORDER_FLOOR + softplus(u): n > 1 survives floating-point rounding


class GammatoneFilterbank(FIRFilterbank):
    """Learnable gammatone filterbank (SpectNet) giving a log-energy spectrogram.

    Filter ``i`` is the FIR gammatone impulse response on exactly ``K`` taps ``t = k / fs``,
    ``k = 0 .. K - 1`` (the buffer ``t``):

    ``g(t) = a t^(n - 1) exp(-2 pi b t) cos(2 pi f t + phi)``

    with centre frequency ``f``, bandwidth ``b``, order ``n``, phase ``phi`` and amplitude ``a``.
    Parameterisation (no clamping): ``f = (fs / 2) sigmoid(u_f)`` stays in ``[0, fs / 2]`` (strictly
    inside except where the sigmoid rounds to 0 or 1, for ``|u_f|`` above ~17 in float32);
    ``b = softplus(u_b) > 0``; ``n = 1.001 + softplus(u_n)`` (the floor keeps ``n > 1`` even where
    softplus rounds to 0 in floating point); ``phi`` is free; ``a = exp(u_a) > 0``
    (the sign is covered by ``phi``). ``t^(n - 1)`` is evaluated as ``exp((n - 1) log t)`` with the
    ``t = 0`` tap masked (``log`` of a safe value, then set to 0, its exact value for ``n > 1``), so
    the gradient with respect to ``n`` is finite everywhere.

    Initialisation: ``f`` mel-spaced strictly inside ``(fmin, fmax)`` (Slaney mel, ``mel_spaced``);
    ``b = 1.019 * 24.7 * (4.37 f / 1000 + 1)`` (the ERB rule **with** the 1.019 factor, as in
    ``scipy.signal.gammatone``); ``n = order``; ``phi = 0``; with ``amplitude="learn"``, ``a`` such that
    every kernel has unit magnitude response at its centre frequency. With ``amplitude="normalize"``
    there is no amplitude parameter: each kernel is divided by the magnitude of its DTFT at ``f``
    (computed differentiably), so the unit gain at ``f`` holds throughout training. The envelope is
    first scaled to a unit peak in the log domain (its maximum, at ``t = (n - 1) / (2 pi b)``, is
    known in closed form): unscaled, high orders and wide bands underflow float32 and the gradient
    of the magnitude becomes NaN.

    The forward pass is the SpectNet spectrogram: valid causal convolution, square, mean over frames
    of ``window_seconds`` every ``hop_seconds``, ``log(E + eps)``: ``(B, n_filters, frames)``. With
    ``n_cepstra`` an orthonormal DCT-II over the filter axis keeps the first ``n_cepstra``
    coefficients (*gammatone cepstral coefficients*), and ``n_outputs == n_cepstra``. For a 2-D CNN,
    :meth:`image` returns the ``(B, 1, frames, n_outputs)`` image.

    Output-length rule, with ``W = round(window_seconds * fs)`` and ``H = round(hop_seconds * fs)``:
    ``frames = (n_samples - kernel_size + 1 - W) // H + 1``; a signal with fewer than
    ``kernel_size + W - 1`` samples raises ``ValueError``. Zeros appended to a recording never change
    the first ``output_length(n_samples)`` frames.

    "Static" and "learnable" gammatone filterbanks are the same module: ``learnable=False`` registers
    the raw parameters as buffers (no gradient).

    Parameters
    ----------
    sample_rate : float, default=16000
    n_filters : int, default=64
    kernel_size : int, default=400
        Taps ``K`` (25 ms at 16 kHz). The envelope of an order-4 filter peaks at ``3 / (2 pi b)`` s
        and lasts several times longer, so low filters are truncated: at 100 Hz the default keeps
        about 93 % of the impulse response's energy, and the kernel ends at 47 % of the envelope peak.
        Use longer kernels for low centre frequencies.
    fmin : float, default=100.0
        Must be > 0.
    fmax : float or None, default=None
        ``None`` means ``sample_rate / 2``; must be ``<= sample_rate / 2``.
    order : float, default=4
        Initial order ``n`` (> 1).
    learnable : bool, default=True
    amplitude : {"learn", "normalize"}, default="learn"
    window_seconds, hop_seconds : float, default=0.025, 0.010
        Frame length and hop of the energy averaging, in seconds (rounded to samples, at least 1).
    compression : {"log", "log1p", "db", None}, default="log"
    eps : float, default=1e-6
        Added before the logarithm.
    n_cepstra : int or None, default=None
        If given, the number of DCT-II coefficients returned instead of the filter energies.
    conv_method : {"auto", "direct", "fft"}, default="auto"
    multirate : bool, default=True
        Filter each band at the lowest rate its spectrum allows and take the envelope there: a
        documented approximation of the full-rate block, 2.5-5x faster (see
        :class:`~sklearn_wavefront.filterbanks._base.FIRFilterbank`, *Multirate*, for the rule and its
        measured tolerance). ``False``: the exact full-rate convolution.

    Attributes
    ----------
    t : torch.Tensor of shape (kernel_size,)
        Tap times ``k / fs`` in seconds (float64 buffer, cast to the parameters' dtype when used).
    center_hz_raw, bandwidth_raw, order_raw, phase : torch.Tensor of shape (n_filters,)
        Raw parameters ``u_f, u_b, u_n, phi`` (parameters if ``learnable``, else buffers).
    log_amplitude : torch.Tensor of shape (n_filters,)
        ``u_a`` (only with ``amplitude="learn"``).
    window_length, hop_length : int
        ``W`` and ``H`` in samples.

    Examples
    --------
    >>> import torch
    >>> from sklearn_wavefront.filterbanks.gammatone import GammatoneFilterbank
    >>> fb = GammatoneFilterbank(sample_rate=16000, n_filters=32, kernel_size=400)
    >>> x = torch.randn(2, 16000)
    >>> fb(x).shape
    torch.Size([2, 32, 96])
    >>> fb.image(x).shape  # for a 2-D CNN
    torch.Size([2, 1, 96, 32])
    >>> GammatoneFilterbank(n_filters=32, n_cepstra=13)(x).shape
    torch.Size([2, 13, 96])
    """

    def __init__(
        self,
        sample_rate: float = 16000,
        n_filters: int = 64,
        kernel_size: int = 400,
        fmin: float = 100.0,
        fmax: float | None = None,
        order: float = 4,
        learnable: bool = True,
        amplitude: str = "learn",
        window_seconds: float = 0.025,
        hop_seconds: float = 0.010,
        compression="log",
        eps: float = 1e-6,
        n_cepstra: int | None = None,
        conv_method: str = "auto",
        multirate: bool = True,
    ):
        super().__init__()
        fmin, fmax = check_frequency_range(fmin, fmax, sample_rate)
        sample_rate = float(sample_rate)
        window_seconds = check_positive_float("window_seconds", window_seconds)
        hop_seconds = check_positive_float("hop_seconds", hop_seconds)
        self._init_fir(
            sample_rate=sample_rate,
            n_filters=n_filters,
            kernel_size=kernel_size,
            window_length=max(1, round(window_seconds * sample_rate)),
            hop_length=max(1, round(hop_seconds * sample_rate)),
            envelope="square",
            pooling="mean",
            compression=compression,
            eps=eps,
            conv_method=conv_method,
            multirate=multirate,
        )
        self.fmin, self.fmax = fmin, fmax
        self.window_seconds, self.hop_seconds = window_seconds, hop_seconds
        order = check_positive_float("order", order)
        if order <= _ORDER_FLOOR:
            raise ValueError(f"order must be > {_ORDER_FLOOR}, got order={order!r}")
        self.order = order
        self.learnable = bool(learnable)
        self.amplitude = check_choice("amplitude", amplitude, {"learn", "normalize"})
        if n_cepstra is not None:
            n_cepstra = check_positive_int("n_cepstra", n_cepstra)
            if n_cepstra > self.n_filters:
                raise ValueError(f"n_cepstra must be <= n_filters={self.n_filters}, got n_cepstra={n_cepstra}")
        self.n_cepstra = n_cepstra

        # float64 so that a float64 copy of the module (gradcheck, references) has exact tap times;
        # kernels() casts it to the parameters' dtype.
        self.register_buffer("t", torch.arange(self.kernel_size, dtype=torch.float64) / self.sample_rate)
        nyquist = self.sample_rate / 2
        f = mel_spaced(fmin, fmax, self.n_filters)
        b = 1.019 * erb_bandwidth(f)
        p = f / nyquist
        raw = {
            "center_hz_raw": logit(p),
            "bandwidth_raw": _inverse_softplus(b),
            "order_raw": _inverse_softplus(np.full(self.n_filters, order - _ORDER_FLOOR)),
            "phase": np.zeros(self.n_filters),
        }
        for name, value in raw.items():
            self._register(name, torch.as_tensor(value, dtype=torch.float32))
        if self.amplitude == "learn":
            # Unit magnitude response at the centre frequency, computed in float64 from the float32 parameters.
            with torch.no_grad():
                params = {k: getattr(self, k).double() for k in raw}
                g = self._gammatone(params, torch.zeros(self.n_filters, dtype=torch.float64), self.t.double())
                f64 = nyquist * torch.sigmoid(params["center_hz_raw"])
                gain = self._gain_at(g, f64, self.t.double())
            self._register("log_amplitude", (-torch.log(gain)).float())
        if n_cepstra is not None:
            self.register_buffer("dct", dct_ii_matrix(self.n_filters, n_cepstra))
        else:
            self.dct = None

    def _register(self, name: str, value: torch.Tensor) -> None:
        if self.learnable:
            self.register_parameter(name, nn.Parameter(value))
        else:
            self.register_buffer(name, value)

    # ------------------------------------------------------------------ parameters in physical units
    def center_hz(self) -> torch.Tensor:
        """Centre frequencies ``f`` in Hz ``(n_filters,)``, differentiable."""
        return (self.sample_rate / 2) * torch.sigmoid(self.center_hz_raw)

    def bandwidth_hz(self) -> torch.Tensor:
        """Bandwidths ``b`` in Hz ``(n_filters,)``, differentiable."""
        return F.softplus(self.bandwidth_raw)

    def orders(self) -> torch.Tensor:
        """Orders ``n > 1`` ``(n_filters,)``, differentiable."""
        return _ORDER_FLOOR + F.softplus(self.order_raw)

    @torch.no_grad()
    def center_frequencies(self) -> np.ndarray:
        """Centre frequencies in Hz (numpy ``(n_filters,)``)."""
        return self.center_hz().double().cpu().numpy()

    @property
    def n_outputs(self) -> int:
        return self.n_filters if self.n_cepstra is None else self.n_cepstra

    # ------------------------------------------------------------------ kernels
    def _gammatone(self, params: dict, log_amplitude: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        f = (self.sample_rate / 2) * torch.sigmoid(params["center_hz_raw"])[:, None]
        b = F.softplus(params["bandwidth_raw"])[:, None]
        n = _ORDER_FLOOR + F.softplus(params["order_raw"])[:, None]
        phi = params["phase"][:, None]
        zero = t == 0
        log_t = torch.log(torch.where(zero, torch.ones_like(t), t))  # masked, not clamped: finite d/dn at t = 0
        exponent = log_amplitude[:, None] + (n - 1.0) * log_t - 2 * math.pi * b * t
        # t^(n-1) = 0 at t = 0 for n > 1: mask the exponent (exp(-inf) = 0 with a zero gradient), not the
        # result, whose masked-out value exp(log_amplitude) may overflow and turn 0 * inf into NaN
        env = torch.exp(torch.where(zero, torch.full_like(exponent, -math.inf), exponent))
        return env * torch.cos(2 * math.pi * f * t + phi)

    @staticmethod
    def _gain_at(g: torch.Tensor, f: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """``|sum_k g[k] exp(-2j pi f t_k)|`` per filter (the DTFT magnitude at ``f``)."""
        arg = 2 * math.pi * f[:, None] * t
        re = (g * torch.cos(arg)).sum(-1)
        im = (g * torch.sin(arg)).sum(-1)
        return torch.hypot(re, im)  # no squaring: re**2 + im**2 can underflow where |.| does not

    def kernels(self) -> torch.Tensor:
        """Gammatone kernels ``(n_filters, kernel_size)``, differentiable in the learnable parameters."""
        params = {k: getattr(self, k) for k in ("center_hz_raw", "bandwidth_raw", "order_raw", "phase")}
        dtype = params["center_hz_raw"].dtype
        t = self.t.to(dtype)
        if self.amplitude == "learn":
            return self._gammatone(params, self.log_amplitude, t)
        n = _ORDER_FLOOR + F.softplus(params["order_raw"])
        b = F.softplus(params["bandwidth_raw"])
        # log of the envelope's peak, max_t t^(n-1) exp(-2 pi b t), reached at t = (n - 1) / (2 pi b);
        # the division below cancels any scale, this one only keeps the kernel inside float range
        log_peak = (n - 1.0) * (torch.log((n - 1.0) / (2 * math.pi * b)) - 1.0)
        g = self._gammatone(params, -log_peak, t)
        gain = self._gain_at(g, self.center_hz(), t)
        return g / gain.clamp_min(torch.finfo(dtype).tiny)[:, None]

    # ------------------------------------------------------------------ forward
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = super().forward(x)
        if self.dct is None:
            return z
        return torch.einsum("cf,bft->bct", self.dct.to(z.dtype), z)

    def image(self, x: torch.Tensor) -> torch.Tensor:
        """The spectrogram as a ``(B, 1, frames, n_outputs)`` image for a 2-D CNN (time down, frequency across)."""
        return self.forward(x).transpose(1, 2).unsqueeze(1)

    def extra_repr(self) -> str:
        return (
            f"sample_rate={self.sample_rate:g}, n_filters={self.n_filters}, kernel_size={self.kernel_size}, "
            f"learnable={self.learnable}, amplitude={self.amplitude!r}, n_cepstra={self.n_cepstra}"
        )
