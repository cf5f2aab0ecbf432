"""Back-ends (heads) shared by the networks, and the generic front-end + back-end network.

Every network in :mod:`sklearn_wavefront.networks` maps waveforms ``(batch, time)`` to class
**logits** ``(batch, n_classes)`` (train with ``torch.nn.CrossEntropyLoss``). Dropout is always an
``nn.Dropout`` module, so ``module.eval()`` switches it off. Recordings shorter than the front-end's
minimum input length are zero-padded at the end (:func:`pad_to_length`).
"""

from __future__ import annotations

import numbers

import torch
from torch import nn

from .._validation import check_choice, check_positive_int

from ..registry import BACKENDS, FRONTENDS

__all__ = [
    "FRONTEND_NAMES",
    "make_filterbank",
    "pad_to_length",
    "StatsPooling",
    "FFNHead",
    "Conv1x1Head",
    "TemporalConvHead",
    "WaveformNet",
]

#: Names accepted by :func:`make_filterbank` (and by ``WaveformClassifier(frontend=...)``): the registry's.
FRONTEND_NAMES = FRONTENDS


def _filterbank_class(name: str):
    check_choice("frontend", name, set(FRONTEND_NAMES))
    if name == "comb":
        from ..filterbanks.comb import CombFilterbank

        return CombFilterbank
    if name == "iconnet":
        from ..filterbanks.fir_window import FIRWindowFilterbank

        return FIRWindowFilterbank
    if name == "sinc":
        from ..filterbanks.sinc import SincFilterbank

        return SincFilterbank
    if name == "gammatone":
        from ..filterbanks.gammatone import GammatoneFilterbank

        return GammatoneFilterbank
    from ..filterbanks.mel import MelFilterbank, MFCCFilterbank

    return MelFilterbank if name == "mel" else MFCCFilterbank


def make_filterbank(frontend, **kwargs) -> nn.Module:
    """Build a filterbank module from a name in :data:`FRONTEND_NAMES` or a filterbank class.

    ``kwargs`` are passed to the constructor; those whose value is ``None`` are dropped, so the
    filterbank's own default applies.
    """
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    if isinstance(frontend, str):
        return _filterbank_class(frontend)(**kwargs)
    if isinstance(frontend, type) and issubclass(frontend, nn.Module):
        return frontend(**kwargs)
    raise ValueError(
        f"frontend must be one of {list(FRONTEND_NAMES)} or a filterbank class, got frontend={frontend!r}"
    )


def pad_to_length(x: torch.Tensor, length: int) -> torch.Tensor:
    """Zero-pad ``(batch, time)`` waveforms at the end to at least ``length`` samples."""
    if x.ndim == 3 and x.shape[1] == 1:
        x = x[:, 0]
    if x.shape[-1] < length:
        x = nn.functional.pad(x, (0, length - x.shape[-1]))
    return x


_POOLS = ("mean", "std", "max")


class StatsPooling(nn.Module):
    """Statistics over the last (time) axis, concatenated: ``(B, C, T) -> (B, C * len(stats))``.

    ``"std"`` is the population standard deviation (0 for a single frame).
    """

    def __init__(self, stats=("mean", "std")):
        super().__init__()
        stats = (stats,) if isinstance(stats, str) else tuple(stats)
        if not stats or any(s not in _POOLS for s in stats):
            raise ValueError(f"pooling must be a non-empty sequence of {list(_POOLS)}, got pooling={stats!r}")
        self.stats = stats

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        out = []
        for s in self.stats:
            if s == "mean":
                out.append(z.mean(-1))
            elif s == "std":
                out.append(z.std(-1, correction=0))
            else:
                out.append(z.amax(-1))
        return torch.cat(out, dim=1)


def _hidden(hidden, name="hidden"):
    if isinstance(hidden, numbers.Integral):
        hidden = (hidden,)
    hidden = tuple(hidden)
    for h in hidden:
        check_positive_int(name, h)
    return hidden


def _check_dropout(dropout):
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1), got dropout={dropout!r}")
    return float(dropout)


class FFNHead(nn.Module):
    """Feed-forward classifier: input LayerNorm, then per hidden layer
    ``Linear -> LayerNorm -> LeakyReLU -> Dropout``, then a ``Linear`` to the logits.

    With the default two hidden layers, LayerNorm and LeakyReLU sit between *both* pairs of linear
    layers (the IConNet head).

    Parameters
    ----------
    in_features : int
    n_classes : int
    hidden : tuple of int, default=(256, 128)
    dropout : float, default=0.1
    """

    def __init__(self, in_features: int, n_classes: int, hidden=(256, 128), dropout: float = 0.1):
        super().__init__()
        in_features = check_positive_int("in_features", in_features)
        n_classes = check_positive_int("n_classes", n_classes)
        dropout = _check_dropout(dropout)
        layers = [nn.LayerNorm(in_features)]
        width = in_features
        for h in _hidden(hidden):
            layers += [nn.Linear(width, h), nn.LayerNorm(h), nn.LeakyReLU(0.01), nn.Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, n_classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class Conv1x1Head(nn.Module):
    """Per-frame channel mixing: ``GroupNorm(1, C)`` (per-recording normalisation over channels and
    frames), a stack of 1x1 ``Conv1d`` + ``ELU``, global pooling over frames, ``Dropout``, ``Linear``.

    ``(B, C, T) -> (B, n_classes)`` logits.
    """

    def __init__(self, in_channels: int, n_classes: int, channels=(32, 32), pooling=("mean", "max"), dropout=0.1):
        super().__init__()
        in_channels = check_positive_int("in_channels", in_channels)
        n_classes = check_positive_int("n_classes", n_classes)
        layers = [nn.GroupNorm(1, in_channels)]
        width = in_channels
        for c in _hidden(channels, "channels"):
            layers += [nn.Conv1d(width, c, kernel_size=1), nn.ELU()]
            width = c
        self.features = nn.Sequential(*layers)
        self.pool = StatsPooling(pooling)
        self.dropout = nn.Dropout(_check_dropout(dropout))
        self.linear = nn.Linear(width * len(self.pool.stats), n_classes)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.linear(self.dropout(self.pool(self.features(z))))


class TemporalConvHead(nn.Module):
    """Convolutions over frames: how each band changes in time, not only its pooled level.

    ``(B, C, T) -> (B, n_classes)`` logits. :attr:`norm` standardises each recording over its
    channels and frames (``GroupNorm(1, C)``, no affine part), then each channel over the batch
    (``BatchNorm1d(C)``: batch statistics while training, running ones in ``eval()``); then for each
    ``d`` in ``dilations`` a block ``Conv1d(kernel_size, dilation=d, zero padding to keep T frames)
    -> BatchNorm1d -> ReLU`` (``channels`` wide; without the ``BatchNorm1d`` when
    ``block_norm=None``; every block after the first adds its input back, a residual); then mean and
    max over frames, ``Dropout`` and a ``Linear``. With the defaults the receptive field is
    ``1 + (kernel_size - 1) * sum(dilations) = 29`` frames (0.29 s at a 10 ms hop). With
    ``block_norm=None`` and :attr:`norm` in ``eval()`` mode, each recording's logits depend on that
    recording only (the front-ends' ``learning_head="temporal"`` uses it so, with the channel
    standardisation frozen at statistics of the training data, so that sample weights act as
    repeats).

    Both normalisations were chosen on an inner split of a training fold (spoken digits, speakers
    held out, 10 epochs; ``benchmarks/results/temporal_backend/``): without the per-recording step,
    IConNet's envelopes (nearly linear in loudness) trained to a training UA of 0.14; without the
    block normalisation, gammatone and IConNet reached 0.54 / 0.57 inner-validation UA instead of
    0.73 / 0.66.

    The :class:`Conv1x1Head` mixes channels one frame at a time and the ``"ffn"`` back-end sees
    per-channel statistics only; this back-end lets the filters learn what MiniRocket-style
    features (:class:`~sklearn_wavefront.temporal.MiniRocketHead`) later read from the frames:
    patterns across neighbouring frames at several time scales.

    Parameters
    ----------
    in_channels : int
    n_classes : int
    channels : int, default=32
        Width of every block.
    kernel_size : int, default=5
        Taps of each convolution (odd, so the padding is symmetric).
    dilations : tuple of int, default=(1, 2, 4)
        One block per entry.
    dropout : float, default=0.1
    block_norm : {"batch", None}, default="batch"
        ``BatchNorm1d`` after each convolution, or none.

    Examples
    --------
    >>> import torch
    >>> from sklearn_wavefront.networks.heads import TemporalConvHead
    >>> head = TemporalConvHead(16, n_classes=3)
    >>> head(torch.randn(4, 16, 50)).shape
    torch.Size([4, 3])
    """

    def __init__(self, in_channels: int, n_classes: int, channels: int = 32, kernel_size: int = 5,
                 dilations=(1, 2, 4), dropout: float = 0.1, block_norm="batch"):
        super().__init__()
        in_channels = check_positive_int("in_channels", in_channels)
        n_classes = check_positive_int("n_classes", n_classes)
        channels = check_positive_int("channels", channels)
        kernel_size = check_positive_int("kernel_size", kernel_size)
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd (symmetric padding keeps the frames), got kernel_size={kernel_size}")
        dilations = _hidden(dilations, "dilations")
        if block_norm not in ("batch", None):
            raise ValueError(f"block_norm must be 'batch' or None, got block_norm={block_norm!r}")
        # per recording first: front-ends without a log (IConNet's NLReLU of |y| is nearly linear for
        # audio in [-1, 1]) give envelopes whose scale follows loudness; with batch statistics alone
        # IConNet trained to a training UA of 0.14 (benchmarks/results/temporal_backend/norm_choice.log).
        # eps only guards silence: envelope variances of quiet recordings reach 1e-9, which the
        # default 1e-5 would swamp.
        self.norm = nn.Sequential(nn.GroupNorm(1, in_channels, eps=1e-12, affine=False), nn.BatchNorm1d(in_channels))
        self.blocks = nn.ModuleList()
        width = in_channels
        for d in dilations:
            conv = nn.Conv1d(width, channels, kernel_size, dilation=d, padding=d * (kernel_size - 1) // 2)
            norm = [nn.BatchNorm1d(channels)] if block_norm == "batch" else []
            self.blocks.append(nn.Sequential(conv, *norm, nn.ReLU()))
            width = channels
        self.pool = StatsPooling(("mean", "max"))
        self.dropout = nn.Dropout(_check_dropout(dropout))
        self.linear = nn.Linear(2 * channels, n_classes)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.shape[0] * z.shape[-1] == 1 and any(  # the module walk only on that rare shape
                m.training for m in self.modules() if isinstance(m, nn.BatchNorm1d)):
            raise ValueError(
                "TemporalConvHead needs more than one value per channel to standardise while training: "
                "got one recording of one frame; use longer recordings or mini-batches of at least 2"
            )
        h = self.norm(z)
        for i, block in enumerate(self.blocks):
            h = block(h) if i == 0 else h + block(h)
        return self.linear(self.dropout(self.pool(h)))


_BACKENDS = BACKENDS


class WaveformNet(nn.Module):
    """Any front-end followed by a back-end: the network of ``WaveformClassifier``.

    ``waveform (B, T) -> filterbank (B, C, frames) -> back-end -> logits (B, n_classes)``.

    Parameters
    ----------
    frontend : str or filterbank class, default="iconnet"
        One of :data:`FRONTEND_NAMES` or a class following the filterbank protocol.
    n_classes : int, default=2
    sample_rate : float, default=16000
    n_filters : int or None, default=None
        Passed to the filterbank (``None``: its default).
    backend : {"ffn", "conv", "temporal"}, default="ffn"
        ``"ffn"``: :class:`StatsPooling` (``pooling``) then :class:`FFNHead` (``hidden``, ``dropout``).
        ``"conv"``: :class:`Conv1x1Head` (``hidden`` as its channels).
        ``"temporal"``: :class:`TemporalConvHead` (its defaults; ``dropout``), convolutions over frames.
    hidden : tuple of int, default=(128, 64)
    pooling : tuple of str, default=("mean", "std")
    dropout : float, default=0.1
    frontend_kwargs : dict or None, default=None
        Further filterbank arguments (e.g. ``{"kernel_size": 127}``).
    fmin, fmax : float or None, default=None
        Frequency range passed to the filterbank when given.

    Examples
    --------
    >>> import torch
    >>> from sklearn_wavefront.networks.heads import WaveformNet
    >>> net = WaveformNet("comb", n_classes=3, sample_rate=8000, n_filters=8)
    >>> net(torch.randn(2, 4000)).shape
    torch.Size([2, 3])
    """

    def __init__(
        self,
        frontend="iconnet",
        n_classes: int = 2,
        sample_rate: float = 16000,
        n_filters: int | None = None,
        backend: str = "ffn",
        hidden=(128, 64),
        pooling=("mean", "std"),
        dropout: float = 0.1,
        frontend_kwargs: dict | None = None,
        fmin: float | None = None,
        fmax: float | None = None,
    ):
        super().__init__()
        check_choice("backend", backend, set(_BACKENDS))
        self.filterbank = make_filterbank(
            frontend, sample_rate=sample_rate, n_filters=n_filters, fmin=fmin, fmax=fmax, **(frontend_kwargs or {})
        )
        self.min_length = int(self.filterbank.min_input_length())
        channels = self.filterbank.n_outputs
        if backend == "ffn":
            self.pool = StatsPooling(pooling)
            self.head = FFNHead(channels * len(self.pool.stats), n_classes, hidden=hidden, dropout=dropout)
        elif backend == "conv":
            self.pool = nn.Identity()
            self.head = Conv1x1Head(channels, n_classes, channels=hidden, pooling=pooling, dropout=dropout)
        else:
            self.pool = nn.Identity()
            self.head = TemporalConvHead(channels, n_classes, dropout=dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.filterbank(pad_to_length(x, self.min_length))
        return self.head(self.pool(z))
