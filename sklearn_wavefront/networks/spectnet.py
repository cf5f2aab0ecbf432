"""SpectNet: learnable gammatone spectrogram image -> 2-D ResNet (3 residual blocks) -> linear."""

from __future__ import annotations

import math

import torch
from torch import nn

from .._validation import check_positive_int
from ..filterbanks.gammatone import GammatoneFilterbank
from .heads import _check_dropout, pad_to_length

__all__ = ["SpectNet", "ResidualBlock2d"]


def _norm(channels: int) -> nn.GroupNorm:
    # groups of at least 4 channels: a group never normalises a single value (1x1 feature maps)
    return nn.GroupNorm(math.gcd(channels, max(1, channels // 4)), channels)


class ResidualBlock2d(nn.Module):
    """``conv3x3 -> norm -> ReLU -> conv3x3 -> norm`` plus a (1x1-projected when needed) shortcut, ReLU."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.norm1 = _norm(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.norm2 = _norm(out_channels)
        self.act = nn.ReLU()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), _norm(out_channels)
            )
        else:
            self.shortcut = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.act(self.norm1(self.conv1(x)))
        y = self.norm2(self.conv2(y))
        return self.act(y + self.shortcut(x))


class SpectNet(nn.Module):
    """Learnable gammatone spectrogram and a small 2-D ResNet.

    ``waveform (B, T)`` -> :meth:`GammatoneFilterbank.image` ``(B, 1, frames, n_filters)`` (log
    energies) -> stem ``conv3x3(1 -> c) + norm + ReLU`` -> 3 :class:`ResidualBlock2d` with widths
    ``c, 2c, 4c`` (the last two with stride 2) -> ``AdaptiveAvgPool2d(1)`` -> ``Dropout`` -> ``Linear``
    -> logits. Normalisation is ``GroupNorm`` (not BatchNorm), so a recording's logits never depend on
    the rest of its batch and batches of one recording can be trained. ``learnable=False`` freezes the
    gammatone parameters (the "static" SpectNet).

    Parameters
    ----------
    sample_rate : float, default=16000
    n_classes : int, default=2
    n_filters : int, default=64
    kernel_size : int, default=400
    fmin, fmax : float, default=100.0 and None
    window_seconds, hop_seconds : float, default=0.025 and 0.010
    learnable : bool, default=True
    width : int, default=16
        Channels ``c`` of the stem.
    dropout : float, default=0.2

    Examples
    --------
    >>> import torch
    >>> from sklearn_wavefront.networks.spectnet import SpectNet
    >>> net = SpectNet(sample_rate=8000, n_classes=3, n_filters=16, kernel_size=128, width=4)
    >>> net(torch.randn(2, 4000)).shape
    torch.Size([2, 3])
    """

    def __init__(
        self,
        sample_rate: float = 16000,
        n_classes: int = 2,
        n_filters: int = 64,
        kernel_size: int = 400,
        fmin: float = 100.0,
        fmax: float | None = None,
        window_seconds: float = 0.025,
        hop_seconds: float = 0.010,
        learnable: bool = True,
        width: int = 16,
        dropout: float = 0.2,
    ):
        super().__init__()
        n_classes = check_positive_int("n_classes", n_classes)
        width = check_positive_int("width", width)
        self.filterbank = GammatoneFilterbank(
            sample_rate=sample_rate,
            n_filters=n_filters,
            kernel_size=kernel_size,
            fmin=fmin,
            fmax=fmax,
            window_seconds=window_seconds,
            hop_seconds=hop_seconds,
            learnable=learnable,
        )
        self.min_length = int(self.filterbank.min_input_length())
        self.stem = nn.Sequential(nn.Conv2d(1, width, 3, padding=1, bias=False), _norm(width), nn.ReLU())
        self.blocks = nn.Sequential(
            ResidualBlock2d(width, width),
            ResidualBlock2d(width, 2 * width, stride=2),
            ResidualBlock2d(2 * width, 4 * width, stride=2),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(_check_dropout(dropout))
        self.linear = nn.Linear(4 * width, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        img = self.filterbank.image(pad_to_length(x, self.min_length))
        z = self.pool(self.blocks(self.stem(img))).flatten(1)
        return self.linear(self.dropout(z))
