"""Shared test helper: gradcheck every learnable parameter of a module in float64."""

from __future__ import annotations

import copy

import torch
from torch.func import functional_call


class _Apply(torch.nn.Module):
    """``fn(inner, x)`` as a module, so ``functional_call`` can swap the inner module's parameters."""

    def __init__(self, inner, fn):
        super().__init__()
        self.inner = inner
        self.fn = fn

    def forward(self, x):
        return self.fn(self.inner, x)


def gradcheck_parameters(module: torch.nn.Module, x: torch.Tensor, *, fn=None, atol=1e-6, rtol=1e-4, eps=1e-6):
    """Run ``torch.autograd.gradcheck`` on each parameter with ``requires_grad`` of a float64 copy of ``module``.

    Each parameter is checked on its own, all its elements (so every filter, the lowest and the
    highest included), through ``torch.func.functional_call``; the other parameters keep their values.
    ``fn(module, x)`` is the output checked (default: ``module(x)``). Returns the names of the
    parameters checked, so the caller can assert that none was missed.
    """
    wrapped = _Apply(copy.deepcopy(module).double(), fn or (lambda m, inp: m(inp)))
    x = x.detach().double()
    names = []
    for name, p in wrapped.inner.named_parameters():
        if not p.requires_grad:
            continue

        def out(t, key=f"inner.{name}"):
            return functional_call(wrapped, {key: t}, (x,))

        ok = torch.autograd.gradcheck(out, (p.detach().clone().requires_grad_(True),), eps=eps, atol=atol, rtol=rtol)
        assert ok, name
        names.append(name)
    return names
