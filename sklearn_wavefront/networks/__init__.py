"""Torch models: a front-end module followed by a back-end, trained end to end."""

from .combnet import CombNet
from .heads import Conv1x1Head, FFNHead, StatsPooling, WaveformNet
from .iconnet import IConNet
from .spectnet import SpectNet

__all__ = ["CombNet", "IConNet", "SpectNet", "WaveformNet", "FFNHead", "Conv1x1Head", "StatsPooling"]
