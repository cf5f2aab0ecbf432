"""CombNet: comb filterbank (fused envelope) -> 1x1-conv/ELU stack -> pooling -> linear."""

from __future__ import annotations

import torch
from torch import nn

from ..filterbanks.comb import CombFilterbank
from .heads import Conv1x1Head, pad_to_length

__all__ = ["CombNet"]


class CombNet(nn.Module):
    """The combolutional network: learned-delay comb channels and a tiny per-frame mixer.

    ``waveform (B, T)`` -> :class:`~sklearn_wavefront.filterbanks.comb.CombFilterbank` (fused max
    envelope, ``log1p``) ``(B, n_filters, frames)`` -> :class:`~sklearn_wavefront.networks.heads.Conv1x1Head`
    (``GroupNorm(1, C)``, 1x1 ``Conv1d`` + ``ELU`` per entry of ``channels``, mean and max pooling over
    frames, dropout, linear) -> logits ``(B, n_classes)``.

    Parameters
    ----------
    sample_rate : float, default=16000
    n_classes : int, default=2
    n_filters : int, default=32
        Comb channels.
    fmin, fmax : float, default=50.0 and None
        Range of the fundamentals (``None``: ``min(2000, sample_rate / 2)``).
    alpha : float, default=0.9
    learn_alpha : bool, default=False
    n_echoes : int, default=10
    window_length, hop_length : int or None, default=None
        Envelope frames (``None``: 50 ms, hop half of it).
    channels : tuple of int, default=(32, 32)
        Widths of the 1x1-conv layers.
    pooling : tuple of str, default=("mean", "max")
    dropout : float, default=0.1
    inference : {"fir", "iir"}, default="fir"
        Filter used in evaluation mode (``module.eval()``, as in ``predict``): the truncated-FIR
        surrogate that training uses, or the exact IIR with whole-sample delays ``round(D)``
        (:meth:`CombFilterbank.forward_iir <sklearn_wavefront.filterbanks.CombFilterbank.forward_iir>`),
        one multiply-add per sample and channel. Training always uses the surrogate. With skorch:
        ``CombNetClassifier(module__inference="iir")``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_wavefront.networks.combnet import CombNet
    >>> net = CombNet(sample_rate=8000, n_classes=4, n_filters=8)
    >>> net(torch.randn(3, 4000)).shape
    torch.Size([3, 4])
    """

    def __init__(
        self,
        sample_rate: float = 16000,
        n_classes: int = 2,
        n_filters: int = 32,
        fmin: float = 50.0,
        fmax: float | None = None,
        alpha: float = 0.9,
        learn_alpha: bool = False,
        n_echoes: int = 10,
        window_length: int | None = None,
        hop_length: int | None = None,
        channels=(32, 32),
        pooling=("mean", "max"),
        dropout: float = 0.1,
        inference: str = "fir",
    ):
        super().__init__()
        if inference not in ("fir", "iir"):
            raise ValueError(f"inference must be 'fir' or 'iir', got inference={inference!r}")
        self.inference = inference
        self.filterbank = CombFilterbank(
            sample_rate=sample_rate,
            n_filters=n_filters,
            fmin=fmin,
            fmax=fmax,
            alpha=alpha,
            learn_alpha=learn_alpha,
            n_echoes=n_echoes,
            window_length=window_length,
            hop_length=hop_length,
        )
        self.min_length = int(self.filterbank.min_input_length())
        self.head = Conv1x1Head(self.filterbank.n_outputs, n_classes, channels=channels, pooling=pooling, dropout=dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = pad_to_length(x, self.min_length)
        if self.inference == "iir" and not self.training:
            return self.head(self.filterbank.forward_iir(x))
        return self.head(self.filterbank(x))
