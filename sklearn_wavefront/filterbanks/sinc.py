"""SincNet baseline (Ravanelli & Bengio): learnable band edges, fixed Hamming window."""

from __future__ import annotations

import numbers

from .fir_window import FIRWindowFilterbank

__all__ = ["SincFilterbank"]


class SincFilterbank(FIRWindowFilterbank):
    """SincNet filterbank: Hamming-windowed sinc band-pass kernels with learnable cut-offs.

    A thin specialisation of :class:`~sklearn_wavefront.filterbanks.fir_window.FIRWindowFilterbank`
    with the window fixed to Hamming (``0.54 - 0.46 cos(2 pi k / (K - 1))``, a buffer, never learned)
    and only the low cut-off ``f_lo`` and bandwidth ``b`` of every filter learnable. Kernels are the
    difference of two ideal low-passes (cut-offs ``f_lo`` and ``f_lo + b``) on integer taps centred
    at ``(K - 1) / 2``, times the window, with unit magnitude response at the band centre.

    **Difference from the original SincNet.** SincNet keeps its bands valid by taking
    ``abs`` of the raw parameters and clamping ``f_lo + b`` to ``[min_low_hz, fs / 2]``; a clamped
    value has zero gradient, so a filter that touches a bound stops learning. Here the constraints
    ``f_lo >= min_low_hz``, ``b >= min_band_hz`` and ``f_lo + b <= fs / 2 - 1 Hz`` are kept by a
    sigmoid parameterisation (see ``FIRWindowFilterbank``), whose gradient is never clamped to zero
    (it still underflows to 0 in float32 once a raw parameter exceeds ~17 in magnitude).

    SincNet-like defaults: 80 filters of 251 taps, ``min_low_hz = 50`` Hz, initial adjacent bands
    mel-spaced from ``fmin = 50`` Hz to ``fmax = fs / 2 - (min_low_hz + min_band_hz)``, then ``|y|``,
    max pooling by ``stride`` and ``log1p`` compression. SincNet adds its 50 Hz band floor *on top of*
    the mel-spaced widths; here the initial bands are exactly the mel-spaced ones, so the floor
    ``min_band_hz`` (default 20 Hz) must lie below the narrowest initial band (``ValueError`` otherwise).

    Output-length rule: ``frames = (n_samples - kernel_size + 1 - stride) // stride + 1``; a signal
    with fewer than ``kernel_size + stride - 1`` samples raises ``ValueError``.

    Parameters
    ----------
    sample_rate : float, default=16000
    n_filters : int, default=80
    kernel_size : int, default=251
        Odd number of taps.
    fmin : float, default=50.0
    fmax : float or None, default=None
        ``None`` means ``sample_rate / 2 - (min_low_hz + min_band_hz)``.
    min_low_hz : float, default=50.0
    min_band_hz : float, default=20.0
    learn_bands : bool, default=True
        ``False`` gives a fixed (static) sinc filterbank.
    stride : int, default=160
    envelope, pooling, compression, eps, lrn_size, conv_method, multirate
        As in ``FIRWindowFilterbank`` (defaults ``"abs"``, ``"max"``, ``"log1p"``, ``1e-6``, ``None``,
        ``"auto"``, ``True``).

    Attributes
    ----------
    low_hz_raw, band_hz_raw : torch.Tensor of shape (n_filters,)
        Unconstrained band parameters.
    window_coefficients : torch.Tensor of shape (n_filters, 2)
        Hamming coefficients (buffer).

    Examples
    --------
    >>> import torch
    >>> from sklearn_wavefront.filterbanks.sinc import SincFilterbank
    >>> fb = SincFilterbank(sample_rate=8000, n_filters=10, kernel_size=101, stride=80)
    >>> fb(torch.randn(3, 8000)).shape
    torch.Size([3, 10, 98])
    >>> [name for name, _ in fb.named_parameters()]
    ['low_hz_raw', 'band_hz_raw']
    """

    def __init__(
        self,
        sample_rate: float = 16000,
        n_filters: int = 80,
        kernel_size: int = 251,
        fmin: float = 50.0,
        fmax: float | None = None,
        min_low_hz: float = 50.0,
        min_band_hz: float = 20.0,
        learn_bands: bool = True,
        stride: int = 160,
        envelope: str = "abs",
        pooling: str = "max",
        compression="log1p",
        eps: float = 1e-6,
        lrn_size: int | None = None,
        conv_method: str = "auto",
        multirate: bool = True,
    ):
        reals = (sample_rate, min_low_hz, min_band_hz)
        if fmax is None and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in reals):
            # numbers.Real, not (int, float): numpy scalars must get the same documented default
            fmax = float(sample_rate) / 2 - (float(min_low_hz) + float(min_band_hz))
        super().__init__(
            sample_rate=sample_rate,
            n_filters=n_filters,
            kernel_size=kernel_size,
            fmin=fmin,
            fmax=fmax,
            n_low_filters=0,
            window="hamming",
            learn_bands=learn_bands,
            learn_windows=False,
            min_low_hz=min_low_hz,
            min_band_hz=min_band_hz,
            stride=stride,
            envelope=envelope,
            pooling=pooling,
            compression=compression,
            eps=eps,
            lrn_size=lrn_size,
            conv_method=conv_method,
            multirate=multirate,
        )
