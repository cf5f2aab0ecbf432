"""Private random generators for the estimators, so that results never depend on torch's global one.

torch's global CPU generator is shared by every thread of a process. An estimator that seeds it
(``torch.manual_seed``) or draws from it during ``fit`` gives different results when another fit
runs in a thread beside it (``joblib``'s threading backend, ``GridSearchCV(n_jobs=2)`` inside a
thread pool). Here every random draw of a fit goes through a ``torch.Generator`` owned by the
estimator: the initial weights of ``Linear`` and ``Conv`` layers (re-drawn with the layer's own
default rule), dropout masks, and the shuffling of the data loader.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["make_generator", "reset_parameters", "GeneratorDropout", "use_generator_dropout"]


def make_generator(seed, device="cpu") -> torch.Generator:
    """A generator on ``device`` seeded with ``seed``; ``None`` draws the seed from torch's global
    generator, so ``torch.manual_seed`` still makes an unseeded estimator reproducible."""
    if seed is None:
        seed = int(torch.randint(0, 2**62, (1,)).item())
    return torch.Generator(device=device).manual_seed(int(seed))


def _fan_in(weight: torch.Tensor) -> int:
    return weight.shape[1] * math.prod(weight.shape[2:]) if weight.ndim > 1 else weight.shape[0]


@torch.no_grad()
def reset_parameters(module: nn.Module, generator: torch.Generator) -> nn.Module:
    """Re-draw the initial weights of every ``Linear`` and ``Conv1d/2d/3d`` layer of ``module`` from
    ``generator``, with torch's default rule for those layers (``kaiming_uniform_(a=sqrt(5))`` for the
    weight, ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` for the bias). Other parameters of this package's
    modules (filterbanks, norms) are initialised deterministically and are left as they are.
    """
    for layer in module.modules():
        if isinstance(layer, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
            if layer.bias is not None:
                fan_in = _fan_in(layer.weight)
                bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
                nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
    return module


class GeneratorDropout(nn.Dropout):
    """``nn.Dropout`` whose masks come from ``generator`` (torch's global one when ``None``).

    Same rule as :class:`torch.nn.Dropout`: in training, each element is zeroed with probability
    ``p`` and the others are scaled by ``1 / (1 - p)``; in ``eval()`` mode it is the identity.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, generator: torch.Generator | None = None):
        super().__init__(p=p, inplace=inplace)
        self.generator = generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0 or self.generator is None:
            return super().forward(x)
        if self.p == 1.0:
            return x * 0.0
        keep = torch.rand(x.shape, generator=self.generator, device=x.device, dtype=x.dtype) >= self.p
        return x * keep / (1.0 - self.p)


def use_generator_dropout(module: nn.Module, generator: torch.Generator) -> nn.Module:
    """Replace every ``nn.Dropout`` inside ``module`` by a :class:`GeneratorDropout` drawing from
    ``generator`` (in place; returns ``module``)."""
    for name, child in list(module.named_children()):
        if isinstance(child, GeneratorDropout):
            child.generator = generator
        elif type(child) is nn.Dropout:
            setattr(module, name, GeneratorDropout(child.p, child.inplace, generator))
        else:
            use_generator_dropout(child, generator)
    return module
