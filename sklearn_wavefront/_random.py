"""Private random generators for the estimators, so that results never depend on torch's global one.

torch's global CPU generator is shared by every thread of a process. An estimator that seeds it
(``torch.manual_seed``) or draws from it during ``fit`` gives different results when another fit
runs in a thread beside it (``joblib``'s threading backend, ``GridSearchCV(n_jobs=2)`` inside a
thread pool). Here every random draw of a fit goes through a ``torch.Generator`` owned by the
estimator: the initial weights of ``Linear`` and ``Conv`` layers (re-drawn with the layer's own
default rule), dropout masks, and the shuffling of the data loader.

The few places that must touch the global generator (building a module, whose layers draw their
default weights from it, undone at once; the seed of an *unseeded* estimator) hold one process-wide
lock, so one fit's save-and-restore never rolls back another fit's seed draw.
"""

from __future__ import annotations

import contextlib
import math
import threading

import torch
from torch import nn

__all__ = [
    "global_seed",
    "global_rng_untouched",
    "CPUGenerator",
    "make_generator",
    "reset_parameters",
    "GeneratorDropout",
    "use_generator_dropout",
]

_GLOBAL_RNG_LOCK = threading.RLock()


def global_seed() -> int:
    """One draw from torch's global generator (the seed of an unseeded estimator), so that
    ``torch.manual_seed`` still makes an unseeded estimator reproducible."""
    with _GLOBAL_RNG_LOCK:
        return int(torch.randint(0, 2**31 - 1, (1,)).item())


@contextlib.contextmanager
def global_rng_untouched():
    """Whatever the block draws from torch's global CPU generator is undone when it ends."""
    with _GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=[]):
        yield


class CPUGenerator(torch.Generator):
    """A CPU ``torch.Generator`` that pickles its state as plain bytes.

    A plain generator pickles its state as a ``ByteTensor``, which ``torch.load(map_location=...)``
    moves like any tensor: skorch loads a model saved for CUDA with ``map_location="cuda"``, and the
    generator inside its module (the dropout masks' one) then fails to restore ("RNG state must be a
    torch.ByteTensor"). Bytes are never mapped. Constructed without arguments: always on the CPU. One generator shared by several layers is still one
    object after loading (pickle's memo keeps the sharing).
    """

    def __reduce__(self):
        return (_restore_cpu_generator, (self.get_state().numpy().tobytes(),))


# Saved models name this function (module and name): renaming or moving it breaks files saved before.
def _restore_cpu_generator(state: bytes) -> CPUGenerator:
    generator = CPUGenerator()
    generator.set_state(torch.frombuffer(bytearray(state), dtype=torch.uint8))
    return generator


def make_generator(seed) -> CPUGenerator:
    """A CPU generator seeded with ``seed`` (``None``: :func:`global_seed`).

    Always on the CPU, also for a model on a GPU: a CUDA generator pickled with a model could not
    be unpickled on a machine without CUDA. Masks drawn on the CPU are moved to the device.
    """
    return CPUGenerator().manual_seed(global_seed() if seed is None else int(seed))


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
        keep = torch.rand(x.shape, generator=self.generator) >= self.p  # on the generator's (CPU) device
        return x * keep.to(x.device) / (1.0 - self.p)


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
