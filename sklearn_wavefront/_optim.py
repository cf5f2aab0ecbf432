"""The optimiser's step: torch's multi-tensor ("foreach") Adam / AdamW wherever it applies.

torch's ``Adam`` and ``AdamW`` take their for-loop implementation on the CPU unless told otherwise
(on CUDA the multi-tensor one is already the default): about ten small tensor operations per
parameter tensor and step, each paying torch's dispatch. ``foreach=True`` makes each of those
operations one call over all the tensors. On the end-to-end comb's 17 parameter tensors (one
thread; ``benchmarks/fit_profile.py``, interleaved): 0.54 ms a step for the for-loop form, 0.35 ms
with ``foreach=True``. The same update rule; values agree to float rounding, and a fit is as
reproducible as before.

Not the fused step (``fused=True``, 0.12 ms), though faster: in torch 2.13 it writes the parameters
without advancing their version counters, so whatever watches ``Tensor._version`` misses the
change. The multirate filterbanks' spectrum cache (:mod:`sklearn_wavefront.filterbanks._base`) did,
and with the fused step early stopping scored the filters of before each step; that cache now
compares values, but a step that keeps torch's own bookkeeping is the safer default.

A user's own choice wins: ``fused``, ``foreach``, ``differentiable`` or ``capturable`` given (even
as ``None``; ``optimizer__foreach=False`` in the skorch classifiers), another optimiser (a subclass
of Adam too: its constructor may not take ``foreach``), a tensor learning rate or betas (which the
multi-tensor step refuses without ``capturable``), or parameters that are not all dense tensors on
one CPU or CUDA device keep torch's default.

The choice is made when the optimiser is built. A setting changed later on a fitted skorch
classifier goes straight to the live optimiser's groups, which keep ``foreach=True``: after
``set_params(optimizer__lr=torch.tensor(...))`` or ``set_params(optimizer__differentiable=True)``
torch refuses the next step (a tensor learning rate needs ``capturable`` with ``foreach``); build
the classifier with ``optimizer__foreach=None`` (torch's default) for that.
"""

from __future__ import annotations

import torch

#: optimisers whose multi-tensor step runs on the CPU and CUDA (these classes exactly: a subclass
#: may not take ``foreach``)
_FOREACH_OPTIMIZERS = (torch.optim.Adam, torch.optim.AdamW)
_FOREACH_DEVICE_TYPES = ("cpu", "cuda")
#: settings of the user's that keep torch's default: their own choice of implementation, or a form
#: the multi-tensor step refuses (a tensor learning rate or betas without ``capturable``)
_CHOSEN = ("fused", "foreach", "differentiable", "capturable")


def _tensor_settings(settings: dict) -> bool:
    """Whether the learning rate or the betas are given as tensors."""
    if isinstance(settings.get("lr"), torch.Tensor):
        return True
    betas = settings.get("betas")
    if betas is None:
        return False
    return isinstance(betas, torch.Tensor) or any(isinstance(b, torch.Tensor) for b in betas)


def multi_tensor_step_kwargs(optimizer, params, kwargs: dict) -> dict:
    """``kwargs`` with ``foreach=True`` added where ``optimizer`` (a class) can take its multi-tensor step on
    ``params`` (a list or tuple of tensors or of param-group dicts whose ``"params"`` are tensors,
    lists or tuples) and the caller chose nothing else; else ``kwargs`` unchanged. A new dict either way.

    Examples
    --------
    >>> import torch
    >>> p = [torch.nn.Parameter(torch.zeros(3))]
    >>> multi_tensor_step_kwargs(torch.optim.AdamW, p, {"lr": 0.01})
    {'lr': 0.01, 'foreach': True}
    >>> multi_tensor_step_kwargs(torch.optim.AdamW, p, {"lr": 0.01, "foreach": False})
    {'lr': 0.01, 'foreach': False}
    >>> multi_tensor_step_kwargs(torch.optim.SGD, p, {"lr": 0.01})
    {'lr': 0.01}
    """
    kwargs = dict(kwargs)
    if optimizer not in _FOREACH_OPTIMIZERS:
        return kwargs
    if any(k in kwargs for k in _CHOSEN) or _tensor_settings(kwargs):
        return kwargs
    if not isinstance(params, (list, tuple)):  # a one-pass iterable: read here, the optimiser would get none
        return kwargs
    tensors = []
    for item in params:
        if isinstance(item, dict):
            if any(k in item for k in _CHOSEN) or _tensor_settings(item):
                return kwargs
            group = item.get("params", ())
            if isinstance(group, torch.Tensor):
                group = [group]
            if not isinstance(group, (list, tuple)):  # a one-pass iterable: read it and the optimiser gets none
                return kwargs
            tensors.extend(group)
        else:
            tensors.append(item)
    if not tensors or not all(isinstance(t, torch.Tensor) and t.is_floating_point() and t.layout == torch.strided
                              for t in tensors):
        return kwargs
    devices = {t.device for t in tensors}
    if len(devices) != 1 or next(iter(devices)).type not in _FOREACH_DEVICE_TYPES:
        return kwargs
    kwargs["foreach"] = True
    return kwargs
