"""The multi-tensor Adam / AdamW step: where it is taken, where the user's choice or the parameters
keep torch's default, and that it is the same update as torch's for-loop step."""

import numpy as np
import pytest
import torch

from sklearn_wavefront import WaveformClassifier
from sklearn_wavefront._optim import multi_tensor_step_kwargs


def _params(device="cpu", dtype=torch.float32):
    return [torch.nn.Parameter(torch.zeros(3, device=device, dtype=dtype)),
            torch.nn.Parameter(torch.zeros(2, 2, device=device, dtype=dtype))]


@pytest.mark.parametrize("optimizer", [torch.optim.Adam, torch.optim.AdamW])
def test_adam_and_adamw_on_one_cpu_device_take_the_multi_tensor_step(optimizer):
    params = _params()
    assert multi_tensor_step_kwargs(optimizer, params, {"lr": 0.1}) == {"lr": 0.1, "foreach": True}
    groups = [{"params": params[:1]}, {"params": params[1], "lr": 0.5}]  # param groups, a bare tensor in one
    assert multi_tensor_step_kwargs(optimizer, groups, {}) == {"foreach": True}


def test_the_step_taken_advances_the_parameters_version_counters():
    """Why not the fused step: caches of the package, and autograd's own checks, see a parameter's
    change through its version counter, which the multi-tensor step advances."""
    params = _params()
    for p in params:
        p.grad = torch.ones_like(p)
    before = [p._version for p in params]
    kwargs = multi_tensor_step_kwargs(torch.optim.AdamW, params, {"lr": 0.1})
    assert kwargs["foreach"] is True
    torch.optim.AdamW(params, **kwargs).step()
    assert all(p._version > v for p, v in zip(params, before))


@pytest.mark.parametrize("kwargs", [{"fused": False}, {"foreach": True}, {"foreach": False}, {"foreach": None},
                                    {"differentiable": True}, {"capturable": False}])
def test_the_users_own_choice_is_kept(kwargs):
    assert multi_tensor_step_kwargs(torch.optim.AdamW, _params(), kwargs) == kwargs


class _OwnAdam(torch.optim.Adam):
    """A user's Adam whose constructor takes no ``foreach``."""

    def __init__(self, params, lr=1e-3):
        super().__init__(params, lr=lr)


@pytest.mark.parametrize("optimizer, kwargs, groups", [
    (_OwnAdam, {"lr": 0.1}, None),
    (torch.optim.Adam, {"lr": torch.tensor(0.1)}, None),
    (torch.optim.AdamW, {"lr": 0.1, "betas": (torch.tensor(0.9), torch.tensor(0.99))}, None),
    (torch.optim.AdamW, {"lr": 0.1}, {"lr": torch.tensor(0.1)}),
])
def test_settings_the_multi_tensor_step_refuses_keep_the_default_and_still_build(optimizer, kwargs, groups):
    """A subclass that takes no ``foreach``, a tensor learning rate or betas (refused by torch's
    multi-tensor step without ``capturable``): nothing is added, and the optimiser builds and steps
    as it did before."""
    params = _params()
    given = [{"params": params, **groups}] if groups else params
    got = multi_tensor_step_kwargs(optimizer, given, kwargs)
    assert "foreach" not in got
    for p in params:
        p.grad = torch.ones_like(p)
    optimizer(given, **got).step()
    assert all(bool((p != 0).all()) for p in params)


def test_a_one_pass_iterable_of_parameters_is_not_read():
    params = _params()
    group = {"params": (p for p in params)}
    assert multi_tensor_step_kwargs(torch.optim.Adam, [group], {}) == {}
    assert len(list(group["params"])) == 2  # still there for the optimiser
    given = (p for p in params)
    assert multi_tensor_step_kwargs(torch.optim.Adam, given, {}) == {}
    assert len(list(given)) == 2


def test_betas_given_as_an_array_are_read_without_error():
    betas = np.array([0.9, 0.99])  # no truth value: "betas or ()" would raise
    got = multi_tensor_step_kwargs(torch.optim.Adam, _params(), {"betas": betas})
    assert got["betas"] is betas and got["foreach"] is True


def test_no_multi_tensor_step_for_other_optimisers_devices_or_mixed_parameters():
    assert multi_tensor_step_kwargs(torch.optim.SGD, _params(), {"lr": 1.0}) == {"lr": 1.0}
    assert multi_tensor_step_kwargs(torch.optim.Adam, _params("meta"), {}) == {}  # not a device it is taken on
    mixed = [*_params("cpu"), *_params("meta")]
    assert multi_tensor_step_kwargs(torch.optim.Adam, mixed, {}) == {}
    assert multi_tensor_step_kwargs(torch.optim.Adam, [], {}) == {}
    assert multi_tensor_step_kwargs(torch.optim.Adam, [{"params": _params(), "foreach": False}], {}) == {}
    sparse = torch.nn.Parameter(torch.zeros(3, 3).to_sparse())
    assert multi_tensor_step_kwargs(torch.optim.Adam, [sparse], {}) == {}
    assert multi_tensor_step_kwargs("not a class", _params(), {}) == {}


@pytest.mark.parametrize("optimizer", [torch.optim.Adam, torch.optim.AdamW])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_multi_tensor_step_is_the_for_loop_update(optimizer, dtype):
    """Ten steps of the multi-tensor and of torch's for-loop implementation from the same start and
    gradients (amsgrad, weight decay and a changing learning rate included) give the same
    parameters to float rounding."""
    gen = torch.Generator().manual_seed(0)
    start = [torch.randn(5, 4, generator=gen, dtype=dtype), torch.randn(7, generator=gen, dtype=dtype)]
    grads = [[torch.randn(p.shape, generator=gen, dtype=dtype) for p in start] for _ in range(10)]
    results = []
    for extra in ({"foreach": False}, {}):
        params = [torch.nn.Parameter(p.clone()) for p in start]
        kwargs = multi_tensor_step_kwargs(optimizer, params, {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True, **extra})
        opt = optimizer(params, **kwargs)
        assert bool(opt.defaults["foreach"]) == (extra == {})
        for step, g in enumerate(grads):
            for p, gi in zip(params, g):
                p.grad = gi.clone()
            opt.param_groups[0]["lr"] = 0.05 / (1 + step)
            opt.step()
        results.append([p.detach() for p in params])
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-12, atol=1e-13)
    for loop, multi in zip(*results):
        torch.testing.assert_close(multi, loop, **tol)


def test_classifier_takes_the_multi_tensor_step_unless_told_otherwise():
    rng = np.random.default_rng(0)
    X = (0.1 * rng.standard_normal((16, 2000))).astype(np.float32)
    y = np.arange(16) % 2
    kwargs = dict(frontend="comb", sample_rate=8000, n_filters=4, max_epochs=1, device="cpu", random_state=0)
    net = WaveformClassifier(**kwargs).fit(X, y)
    assert net.optimizer_.defaults["foreach"] is True
    net = WaveformClassifier(**kwargs, optimizer__foreach=False).fit(X, y)
    assert net.optimizer_.defaults["foreach"] is False
    net = WaveformClassifier(**kwargs, optimizer__fused=True).fit(X, y)
    assert net.optimizer_.defaults["fused"] is True and not net.optimizer_.defaults["foreach"]
    net = WaveformClassifier(**kwargs, optimizer=torch.optim.SGD).fit(X, y)
    assert not net.optimizer_.defaults.get("foreach")
    # the same seed, the same fit
    a = WaveformClassifier(**kwargs).fit(X, y).predict_proba(X)
    b = WaveformClassifier(**kwargs).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
