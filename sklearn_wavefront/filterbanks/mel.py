"""Fixed baselines: mel spectrogram and MFCC (``torch.stft`` power -> mel matrix -> log -> DCT-II)."""

from __future__ import annotations

import warnings

import numpy as np
import torch

from .._dtypes import compute_dtype
from ..exceptions import EmptyFilterWarning
from .._validation import check_choice, check_frequency_range, check_positive_float, check_positive_int, check_waveform
from ._base import COMPRESSIONS, Filterbank, compress
from ._dct import dct_ii_matrix
from ._scales import hz_to_mel, mel_to_hz

__all__ = ["MelFilterbank", "MFCCFilterbank", "mel_weights"]


def mel_weights(freqs_hz, fmin: float, fmax: float, n_mels: int, htk: bool = False, norm="slaney") -> np.ndarray:
    """Triangular mel filter weights evaluated exactly at arbitrary frequencies.

    The ``n_mels + 2`` points ``p_0 < ... < p_{n_mels + 1}`` are equally spaced on the mel scale
    (Slaney, or HTK with ``htk=True``) from ``fmin`` to ``fmax``; filter ``i`` rises linearly in Hz
    from ``p_i`` to 1 at ``p_{i+1}`` and falls to 0 at ``p_{i+2}``. ``norm="slaney"`` scales it by
    ``2 / (p_{i+2} - p_i)`` (unit area in Hz, the Slaney / librosa convention); ``norm=None`` keeps
    unit peaks. Returns ``(n_mels, len(freqs_hz))`` float64.
    """
    f = np.asarray(freqs_hz, dtype=np.float64)
    p = mel_to_hz(np.linspace(hz_to_mel(fmin, htk), hz_to_mel(fmax, htk), n_mels + 2), htk)
    lo, mid, hi = p[:-2, None], p[1:-1, None], p[2:, None]
    rise = (f[None, :] - lo) / (mid - lo)
    fall = (hi - f[None, :]) / (hi - mid)
    w = np.maximum(0.0, np.minimum(rise, fall))
    if norm == "slaney":
        w = w * (2.0 / (hi - lo))
    return w


class MelFilterbank(Filterbank):
    """Fixed log-mel spectrogram front-end.

    ``forward``: power spectrogram ``|STFT|^2`` by ``torch.stft`` (periodic Hann window of
    ``win_length`` samples centred in ``n_fft``; with ``center=True`` the signal is padded with
    ``n_fft // 2`` **zeros** on each side, never reflected, so zeros appended to a batch never change
    the frames of the original signal), then the mel matrix, then compression. The mel matrix uses
    the Slaney mel scale (linear below 1 kHz, logarithmic above; ``htk=True`` for
    ``2595 log10(1 + f / 700)``) and Slaney area normalisation (``norm="slaney"``, each triangle scaled
    by ``2 / (right edge - left edge)``; ``norm=None`` for unit peaks): the defaults of librosa.
    ``compression="db"`` is ``10 log10(max(E, amin))`` (no ``top_db`` clipping, which would make a
    frame depend on the loudest frame of the recording).

    Output-length rule: with ``center=True``, ``frames = 1 + n_samples // hop_length`` (any
    ``n_samples >= 1``); with ``center=False``, ``frames = (n_samples - n_fft) // hop_length + 1`` and
    a signal shorter than ``n_fft`` raises ``ValueError``. Frame ``t`` is centred on sample
    ``t * hop_length`` (``center=True``) or starts there (``center=False``).

    Parameters
    ----------
    sample_rate : float, default=16000
    n_filters : int, default=64
        Number of mel bands.
    n_fft : int, default=512
    hop_length : int, default=160
    win_length : int or None, default=None
        ``None`` means ``n_fft``; must be ``<= n_fft``.
    fmin : float, default=0.0
        Lowest edge of the first triangle (``>= 0``).
    fmax : float or None, default=None
        Highest edge of the last triangle; ``None`` means ``sample_rate / 2``; must be ``<= sample_rate / 2``.
    htk : bool, default=False
    norm : {"slaney", None}, default="slaney"
    center : bool, default=True
    compression : {"db", "log", "log1p", None}, default="db"
    amin : float, default=1e-10
        Floor of the power before ``"db"``; added before ``"log"``.

    Attributes
    ----------
    mel_matrix : torch.Tensor of shape (n_filters, n_fft // 2 + 1)
        The mel weights on the STFT bin frequencies (buffer).
    window : torch.Tensor of shape (win_length,)
        The periodic Hann window (buffer).

    Examples
    --------
    >>> import torch
    >>> from sklearn_wavefront.filterbanks.mel import MelFilterbank
    >>> fb = MelFilterbank(sample_rate=16000, n_filters=40, n_fft=512, hop_length=160)
    >>> fb(torch.randn(2, 16000)).shape
    torch.Size([2, 40, 101])
    >>> fb.output_length(16000)
    101
    """

    def __init__(
        self,
        sample_rate: float = 16000,
        n_filters: int = 64,
        n_fft: int = 512,
        hop_length: int = 160,
        win_length: int | None = None,
        fmin: float = 0.0,
        fmax: float | None = None,
        htk: bool = False,
        norm="slaney",
        center: bool = True,
        compression="db",
        amin: float = 1e-10,
    ):
        super().__init__()
        fmin, fmax = check_frequency_range(fmin, fmax, sample_rate, allow_zero_fmin=True)
        self.sample_rate = float(sample_rate)
        self.n_filters = check_positive_int("n_filters", n_filters)
        self.n_fft = check_positive_int("n_fft", n_fft, minimum=2)
        self.hop_length = check_positive_int("hop_length", hop_length)
        win_length = self.n_fft if win_length is None else check_positive_int("win_length", win_length)
        if win_length > self.n_fft:
            raise ValueError(f"win_length must be <= n_fft={self.n_fft}, got win_length={win_length}")
        self.win_length = win_length
        self.fmin, self.fmax = fmin, fmax
        self.htk = bool(htk)
        self.norm = check_choice("norm", norm, {"slaney", None})
        self.center = bool(center)
        self.compression = check_choice("compression", compression, COMPRESSIONS)
        self.amin = check_positive_float("amin", amin)
        bins = np.linspace(0.0, self.sample_rate / 2, self.n_fft // 2 + 1)
        weights = mel_weights(bins, fmin, fmax, self.n_filters, self.htk, self.norm)
        empty = int(np.count_nonzero(weights.max(axis=1) <= 0))
        if empty:
            # such a band sits at the log floor for every input: a constant feature, silently
            warnings.warn(
                f"{empty} of the n_filters={self.n_filters} mel bands contain no STFT bin (n_fft={self.n_fft} "
                f"gives bins {self.sample_rate / self.n_fft:g} Hz apart) and output a constant; use fewer "
                "filters, a larger n_fft or a wider [fmin, fmax]",
                EmptyFilterWarning,
                stacklevel=2,
            )
        self.register_buffer("mel_matrix", torch.as_tensor(weights, dtype=torch.float32))
        self.register_buffer("window", torch.hann_window(self.win_length, periodic=True, dtype=torch.float32))

    # ------------------------------------------------------------------ protocol
    def uses_fft(self, dtype: torch.dtype = torch.float32) -> bool:
        """Always ``True``: the spectrogram is an FFT (batched FFTs may round rows by position)."""
        return True

    def center_frequencies(self) -> np.ndarray:
        """Peak frequencies of the triangles (the interior mel points), in Hz."""
        mels = np.linspace(hz_to_mel(self.fmin, self.htk), hz_to_mel(self.fmax, self.htk), self.n_filters + 2)
        return mel_to_hz(mels[1:-1], self.htk)

    def frequency_response(self, n_freqs: int = 512):
        """``(freqs, weights)``: the triangular mel weights evaluated exactly on ``n_freqs`` Hz from 0 to fs/2."""
        freqs = self._frequency_grid(n_freqs)
        return freqs, mel_weights(freqs, self.fmin, self.fmax, self.n_filters, self.htk, self.norm)

    def output_length(self, n_samples: int) -> int:
        if self.center:
            # torch.stft pads n_fft // 2 zeros on each side: 1 + (N + 2 (n_fft // 2) - n_fft) // hop frames,
            # i.e. 1 + N // hop for even n_fft and 1 + (N - 1) // hop for odd n_fft
            if n_samples < 1:
                return 0
            return 1 + (n_samples + 2 * (self.n_fft // 2) - self.n_fft) // self.hop_length
        if n_samples < self.n_fft:
            return 0
        return (n_samples - self.n_fft) // self.hop_length + 1

    # ------------------------------------------------------------------ forward
    def power_spectrogram(self, x: torch.Tensor) -> torch.Tensor:
        """``|STFT|^2``: ``(B, N) -> (B, n_fft // 2 + 1, frames)``."""
        x = check_waveform(
            x,
            min_length=1 if self.center else self.n_fft,
            min_length_reason="" if self.center else f"one frame of n_fft={self.n_fft} samples with center=False",
        )
        compute = compute_dtype(x.dtype)  # no half-precision FFT on CPU
        spec = torch.stft(
            x.to(compute),
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            win_length=self.win_length,
            window=self.window.to(compute),
            center=self.center,
            pad_mode="constant",
            return_complex=True,
        )
        return (spec.real.square() + spec.imag.square()).to(x.dtype)

    def mel_spectrogram(self, x: torch.Tensor) -> torch.Tensor:
        """Mel-band power before compression ``(B, n_filters, frames)``."""
        power = self.power_spectrogram(x)
        return torch.einsum("mf,bft->bmt", self.mel_matrix.to(power.dtype), power)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return compress(self.mel_spectrogram(x), self.compression, self.amin)


class MFCCFilterbank(MelFilterbank):
    """Fixed MFCC front-end: orthonormal DCT-II of the dB mel spectrogram.

    ``forward`` computes the :class:`MelFilterbank` output with ``compression="db"``
    (``10 log10(max(E, amin))``) and applies the orthonormal DCT-II along the mel axis, keeping the
    first ``n_mfcc`` coefficients (``scipy.fft.dct(..., type=2, norm="ortho")``, librosa's default).
    ``n_outputs == n_mfcc``; ``center_frequencies`` and ``frequency_response`` describe the mel bands.

    Output-length rule: as :class:`MelFilterbank`.

    Parameters
    ----------
    sample_rate : float, default=16000
    n_mfcc : int, default=20
        Number of cepstral coefficients, ``<= n_filters``.
    n_filters : int, default=64
        Number of mel bands.
    n_fft, hop_length, win_length, fmin, fmax, htk, norm, center, amin
        As in :class:`MelFilterbank`.

    Attributes
    ----------
    dct : torch.Tensor of shape (n_mfcc, n_filters)
        The orthonormal DCT-II rows (buffer).

    Examples
    --------
    >>> import torch
    >>> from sklearn_wavefront.filterbanks.mel import MFCCFilterbank
    >>> fb = MFCCFilterbank(sample_rate=16000, n_mfcc=13, n_filters=40)
    >>> fb(torch.randn(2, 8000)).shape
    torch.Size([2, 13, 51])
    >>> fb.n_outputs
    13
    """

    def __init__(
        self,
        sample_rate: float = 16000,
        n_mfcc: int = 20,
        n_filters: int = 64,
        n_fft: int = 512,
        hop_length: int = 160,
        win_length: int | None = None,
        fmin: float = 0.0,
        fmax: float | None = None,
        htk: bool = False,
        norm="slaney",
        center: bool = True,
        amin: float = 1e-10,
    ):
        super().__init__(
            sample_rate=sample_rate,
            n_filters=n_filters,
            n_fft=n_fft,
            hop_length=hop_length,
            win_length=win_length,
            fmin=fmin,
            fmax=fmax,
            htk=htk,
            norm=norm,
            center=center,
            compression="db",
            amin=amin,
        )
        n_mfcc = check_positive_int("n_mfcc", n_mfcc)
        if n_mfcc > self.n_filters:
            raise ValueError(f"n_mfcc must be <= n_filters={self.n_filters}, got n_mfcc={n_mfcc}")
        self.n_mfcc = n_mfcc
        self.register_buffer("dct", dct_ii_matrix(self.n_filters, n_mfcc))

    @property
    def n_outputs(self) -> int:
        return self.n_mfcc

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        db = super().forward(x)
        return torch.einsum("cm,bmt->bct", self.dct.to(db.dtype), db)
