"""IConNet: 1-2 FIR-window blocks -> pooling -> FFN (LayerNorm + LeakyReLU between both hidden layers)."""

from __future__ import annotations

import torch
from torch import nn

from .._validation import check_choice
from ..filterbanks.fir_window import FIRWindowFilterbank
from .heads import FFNHead, StatsPooling, pad_to_length

__all__ = ["IConNet"]


class IConNet(nn.Module):
    """Interpretable CNN on waveforms built from FIR-window filterbank blocks.

    Block 1 is a :class:`~sklearn_wavefront.filterbanks.fir_window.FIRWindowFilterbank` at
    ``sample_rate`` (conv, ``|y|``, pooling by ``stride``, NLReLU, optional LocalResponseNorm):
    ``(B, T) -> (B, F1, T1)``. With ``n_blocks=2`` a second FIR-window filterbank of ``n_filters2``
    filters runs at ``sample_rate / stride`` on every channel of block 1 (the channels are folded into
    the batch, so the same ``F2`` kernels filter each of them): ``(B, F1, T1) -> (B, F1 * F2, T2)``,
    a modulation-spectrum-like representation. Then :class:`~sklearn_wavefront.networks.heads.StatsPooling`
    (``pooling`` over frames) and :class:`~sklearn_wavefront.networks.heads.FFNHead` (input LayerNorm;
    ``Linear -> LayerNorm -> LeakyReLU -> Dropout`` for each hidden layer; ``Linear`` to logits).

    Variants: ``variant="BW"`` learns bands and windows, ``"B"`` bands only, ``"W"`` windows only,
    ``"fixed"`` neither (the flags apply to every block).

    Parameters
    ----------
    sample_rate : float, default=16000
    n_classes : int, default=2
    n_filters : int, default=64
        Filters of block 1.
    kernel_size : int, default=255
        Odd number of taps of block 1.
    stride : int, default=160
        Pooling of block 1 in samples.
    fmin, fmax : float, default=30.0 and None
        Initial mel-spaced band range of block 1.
    variant : {"BW", "B", "W", "fixed"}, default="BW"
    window : {"hann", "hamming", "blackman"}, default="hann"
    lrn_size : int or None, default=None
        LocalResponseNorm size after each block.
    n_blocks : {1, 2}, default=1
    n_filters2, kernel_size2, stride2 : int, default=8, 15, 4
        Block 2 (only with ``n_blocks=2``); its bands span 0.5 Hz to its Nyquist frequency.
    pooling : tuple of str, default=("mean", "std")
    hidden : tuple of int, default=(256, 128)
    dropout : float, default=0.1

    Examples
    --------
    >>> import torch
    >>> from sklearn_wavefront.networks.iconnet import IConNet
    >>> net = IConNet(sample_rate=8000, n_classes=3, n_filters=8, kernel_size=63, stride=80)
    >>> net(torch.randn(2, 4000)).shape
    torch.Size([2, 3])
    >>> IConNet(sample_rate=8000, n_filters=4, kernel_size=31, stride=40, n_blocks=2, n_filters2=3)(torch.randn(2, 4000)).shape
    torch.Size([2, 2])
    """

    def __init__(
        self,
        sample_rate: float = 16000,
        n_classes: int = 2,
        n_filters: int = 64,
        kernel_size: int = 255,
        stride: int = 160,
        fmin: float = 30.0,
        fmax: float | None = None,
        variant: str = "BW",
        window="hann",
        lrn_size: int | None = None,
        n_blocks: int = 1,
        n_filters2: int = 8,
        kernel_size2: int = 15,
        stride2: int = 4,
        pooling=("mean", "std"),
        hidden=(256, 128),
        dropout: float = 0.1,
    ):
        super().__init__()
        check_choice("variant", variant, {"BW", "B", "W", "fixed"})
        check_choice("n_blocks", n_blocks, {1, 2})
        flags = dict(learn_bands=variant in ("BW", "B"), learn_windows=variant in ("BW", "W"))
        self.filterbank = FIRWindowFilterbank(
            sample_rate=sample_rate,
            n_filters=n_filters,
            kernel_size=kernel_size,
            stride=stride,
            fmin=fmin,
            fmax=fmax,
            window=window,
            lrn_size=lrn_size,
            **flags,
        )
        self.block2 = None
        channels = self.filterbank.n_outputs
        self.min_length = int(self.filterbank.min_input_length())
        if n_blocks == 2:
            self.block2 = FIRWindowFilterbank(
                sample_rate=float(sample_rate) / stride,
                n_filters=n_filters2,
                kernel_size=kernel_size2,
                stride=stride2,
                fmin=0.5,
                window=window,
                lrn_size=lrn_size,
                **flags,
            )
            channels *= self.block2.n_outputs
            # enough samples for block 2 to see one full frame of block 1's output
            need = self.block2.min_input_length()
            self.min_length = max(self.min_length, kernel_size - 1 + stride * need)
        self.pool = StatsPooling(pooling)
        self.head = FFNHead(channels * len(self.pool.stats), n_classes, hidden=hidden, dropout=dropout)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Output of the filterbank block(s), ``(B, channels, frames)``."""
        z = self.filterbank(pad_to_length(x, self.min_length))
        if self.block2 is not None:
            b, c, t = z.shape
            z = self.block2(z.reshape(b * c, t))
            z = z.reshape(b, c * z.shape[1], z.shape[-1])
        return z

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.pool(self.features(x)))
