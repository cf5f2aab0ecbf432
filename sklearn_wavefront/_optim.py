"""The optimiser's step: torch's multi-tensor ("foreach") Adam / AdamW wherever it applies.

torch's ``Adam`` and ``AdamW`` take their for-loop implementation on the CPU unless told otherwise
(on CUDA the multi-tensor one is already the default): about ten small tensor operations per
parameter tensor and step, each paying torch's dispatch. ``foreach=True`` makes each of those
operations one call over all the tensors. Measured here on the end-to-end comb's 17 parameter
tensors (one thread): 0.66 ms a step for the for-loop form, 0.38 ms with ``foreach=True``. The same
update rule; values agree to float rounding, and a fit is as reproducible as before.

Not the fused step (``fused=True``, 0.14 ms), though faster: in torch 2.13 it writes the parameters
without advancing their version counters, so whatever keys a cache on ``Tensor._version`` (the
multirate filterbanks' spectra, :mod:`sklearn_wavefront.filterbanks._base`) would go on serving
the filters of before the step; early stopping then scored stale filters (tested).

A user's own choice wins: ``fused`` or ``foreach`` given (``optimizer__foreach=False`` in the skorch
classifiers), another optimiser, ``differentiable=True``, or parameters that are not all dense
tensors on one CPU or CUDA device keep torch's default.
"""

from __future__ import annotations

import torch

#: optimisers whose multi-tensor step runs on the CPU and CUDA
_FOREACH_OPTIMIZERS = (torch.optim.Adam, torch.optim.AdamW)
_FOREACH_DEVICE_TYPES = ("cpu", "cuda")


def _tensors(params) -> list:
    """The parameter tensors of ``params``: tensors, or param-group dicts with a ``"params"`` entry."""
    out = []
    for item in params:
        if isinstance(item, dict):
            group = item.get("params", [])
            out.extend([group] if isinstance(group, torch.Tensor) else list(group))
        else:
            out.append(item)
    return out


def multi_tensor_step_kwargs(optimizer, params, kwargs: dict) -> dict:
    """``kwargs`` with ``foreach=True`` added where ``optimizer`` (a class) can take its multi-tensor step on
    ``params`` (a list of tensors or of param-group dicts) and the caller chose nothing else; else
    ``kwargs`` unchanged. A new dict either way.

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
    if not (isinstance(optimizer, type) and issubclass(optimizer, _FOREACH_OPTIMIZERS)):
        return kwargs
    if kwargs.get("fused") is not None or kwargs.get("foreach") is not None or kwargs.get("differentiable"):
        return kwargs
    params = list(params)
    if any(isinstance(g, dict) and ("fused" in g or "foreach" in g) for g in params):
        return kwargs
    tensors = _tensors(params)
    if not tensors or not all(isinstance(t, torch.Tensor) and t.is_floating_point() and t.layout == torch.strided
                              for t in tensors):
        return kwargs
    devices = {t.device for t in tensors}
    if len(devices) != 1 or next(iter(devices)).type not in _FOREACH_DEVICE_TYPES:
        return kwargs
    kwargs["foreach"] = True
    return kwargs
