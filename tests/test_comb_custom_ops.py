"""The four comb custom operators: opcheck, torch.compile(fullgraph=True) on CPU, gradcheck in float64.

These exercise ``torch.ops.sklearn_wavefront.comb_filter`` / ``comb_filter_backward`` /
``comb_envelope`` / ``comb_envelope_backward`` directly (the registration: schema, fake kernels,
autograd), on the plain-torch CPU path. The Triton kernels behind the same operators are tested by
``tests/test_triton_comb.py`` under the Triton interpreter. The backward operators take
``need_grad_x``: with False they return an empty tensor of shape (0,) in place of dL/dx (checked
for both values of the flag, and through autograd with an ``x`` that needs no gradient).
"""

from __future__ import annotations

import pytest
import torch

from sklearn_wavefront.ops import comb as C  # noqa: F401  (registers the operators)

ops = torch.ops.sklearn_wavefront
T = 3


def _inputs(dtype=torch.float64, batch=2, n=48, delays=(2.3, 3.7, 5.45), seed=0, requires_grad=False):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, n, generator=gen, dtype=torch.float64).to(dtype)
    delay = torch.tensor(delays, dtype=dtype)
    alpha = torch.linspace(-0.8, 0.9, len(delays), dtype=dtype)
    if requires_grad:
        x, delay, alpha = (t.requires_grad_(True) for t in (x, delay, alpha))
    return x, delay, alpha


# (window, stride, pad): valid W > S, valid W < S, centred
ENVELOPES = [(12, 8, 0), (8, 13, 0), (10, 6, 5)]


# ------------------------------------------------------------------------------------ opcheck


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_opcheck_comb_filter(dtype):
    x, delay, alpha = _inputs(dtype)
    torch.library.opcheck(ops.comb_filter, (x, delay, alpha, T))
    x, delay, alpha = _inputs(dtype, requires_grad=True)
    torch.library.opcheck(ops.comb_filter, (x, delay, alpha, T))
    g = torch.randn(x.shape[0], delay.shape[0], x.shape[1], dtype=dtype)
    for need_grad_x in (True, False):
        args = (g, x.detach(), delay.detach(), alpha.detach(), T, need_grad_x)
        torch.library.opcheck(ops.comb_filter_backward, args)
        grad_x, grad_delay, grad_alpha = ops.comb_filter_backward(*args)
        assert grad_x.shape == (x.shape if need_grad_x else (0,)) and grad_x.dtype == dtype
        assert grad_delay.shape == delay.shape and grad_alpha.shape == alpha.shape


@pytest.mark.parametrize("mode", ["max", "energy"])
@pytest.mark.parametrize("window, stride, pad", ENVELOPES)
def test_opcheck_comb_envelope(mode, window, stride, pad):
    x, delay, alpha = _inputs(torch.float32, requires_grad=True)
    args = (x, delay, alpha, T, window, stride, mode, pad)
    torch.library.opcheck(ops.comb_envelope, args)
    z, argmax = ops.comb_envelope(*(a.detach() if isinstance(a, torch.Tensor) else a for a in args))
    gz = torch.randn_like(z)
    for need_grad_x in (True, False):
        bwd_args = (gz, x.detach(), delay.detach(), alpha.detach(), argmax, T, window, stride, mode, pad, need_grad_x)
        torch.library.opcheck(ops.comb_envelope_backward, bwd_args)
        grad_x = ops.comb_envelope_backward(*bwd_args)[0]
        assert grad_x.shape == (x.shape if need_grad_x else (0,)) and grad_x.dtype == x.dtype


def test_backward_schema_has_need_grad_x():
    # last argument ``bool need_grad_x=True``: calls without it (older callers, compiled graphs cached
    # before the flag existed) still get dL/dx
    for op in (ops.comb_filter_backward, ops.comb_envelope_backward):
        arg = op.default._schema.arguments[-1]
        assert arg.name == "need_grad_x" and str(arg.type) == "bool" and arg.default_value is True
    x, delay, alpha = _inputs(torch.float32, n=20)
    g = torch.randn(x.shape[0], delay.shape[0], x.shape[1])
    assert ops.comb_filter_backward(g, x, delay, alpha, T)[0].shape == x.shape


# ------------------------------------------------------------------------------------ x without grad


def _param_grads(fn, x, delay, alpha, x_requires_grad):
    x = x.detach().clone().requires_grad_(x_requires_grad)
    delay = delay.detach().clone().requires_grad_(True)
    alpha = alpha.detach().clone().requires_grad_(True)
    out = fn(x, delay, alpha)
    weights = torch.linspace(-1.0, 1.0, out.numel(), dtype=out.dtype).reshape(out.shape)
    (out * weights).sum().backward()
    return x.grad, delay.grad, alpha.grad


@pytest.mark.parametrize(
    "kind, mode",
    [("filter", None), ("envelope", "max"), ("envelope", "energy")],
)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_x_without_grad_skips_grad_x_and_keeps_parameter_grads(monkeypatch, kind, mode, dtype):
    """Through the public functions: x not requiring grad gives the same delay/alpha gradients, no
    x.grad, and the backward operator is asked (need_grad_x=False) not to compute dL/dx."""
    x, delay, alpha = _inputs(dtype, n=64, seed=2)
    if kind == "filter":
        name = "_comb_filter_backward_torch"

        def fn(x, d, a):
            return C.comb_filter(x, d, a, n_echoes=T)

    else:
        name = "_comb_envelope_backward_torch"

        def fn(x, d, a):
            return C.comb_envelope(x, d, a, window=12, stride=8, n_echoes=T, mode=mode, padding="center")

    seen = []
    real = getattr(C, name)

    def spy(*args):
        out = real(*args)
        seen.append((args[-1], tuple(out[0].shape)))
        return out

    monkeypatch.setattr(C, name, spy)
    gx_with, gd_with, ga_with = _param_grads(fn, x, delay, alpha, True)
    gx_without, gd_without, ga_without = _param_grads(fn, x, delay, alpha, False)
    assert seen == [(True, tuple(x.shape)), (False, (0,))]
    assert gx_with is not None and gx_with.shape == x.shape
    assert gx_without is None
    torch.testing.assert_close(gd_without, gd_with, rtol=0, atol=0)
    torch.testing.assert_close(ga_without, ga_with, rtol=0, atol=0)


def test_x_without_grad_via_backward_ops_directly():
    # need_grad_x=False returns exactly the parameter gradients of need_grad_x=True
    x, delay, alpha = _inputs(torch.float32, n=50, seed=4)
    g = torch.randn(x.shape[0], delay.shape[0], x.shape[1], generator=torch.Generator().manual_seed(0))
    full = ops.comb_filter_backward(g, x, delay, alpha, T, True)
    lean = ops.comb_filter_backward(g, x, delay, alpha, T, False)
    assert lean[0].shape == (0,) and lean[0].dtype == x.dtype and lean[0].device == x.device
    assert torch.equal(lean[1], full[1]) and torch.equal(lean[2], full[2])
    for mode in ("max", "energy"):
        z, argmax = ops.comb_envelope(x, delay, alpha, T, 12, 8, mode, 0)
        gz = torch.randn_like(z)
        full = ops.comb_envelope_backward(gz, x, delay, alpha, argmax, T, 12, 8, mode, 0, True)
        lean = ops.comb_envelope_backward(gz, x, delay, alpha, argmax, T, 12, 8, mode, 0, False)
        assert lean[0].shape == (0,) and full[0].shape == x.shape
        assert torch.equal(lean[1], full[1]) and torch.equal(lean[2], full[2])


# ------------------------------------------------------------------------------------ torch.compile


def _fwd_bwd(fn, x, delay, alpha, x_requires_grad=True):
    x = x.detach().clone().requires_grad_(x_requires_grad)
    delay, alpha = (t.detach().clone().requires_grad_(True) for t in (delay, alpha))
    out = fn(x, delay, alpha)
    weights = torch.linspace(-1.0, 1.0, out.numel(), dtype=out.dtype).reshape(out.shape)
    (out * weights).sum().backward()
    return out.detach(), x.grad, delay.grad, alpha.grad


@pytest.mark.slow  # first inductor compile: 20-40 s on 2 cores
@pytest.mark.parametrize("x_requires_grad", [True, False])
def test_torch_compile_fullgraph_cpu(x_requires_grad):
    # x_requires_grad=False: the traced backward calls the backward ops with need_grad_x=False
    # (their fake returns a (0,) tensor in place of dL/dx) and x.grad stays None.
    torch._dynamo.reset()
    x, delay, alpha = _inputs(torch.float32, n=64)

    def features(x, delay, alpha):
        z_max, _ = ops.comb_envelope(x, delay, alpha, T, 16, 8, "max", 0)
        z_energy, _ = ops.comb_envelope(x, delay, alpha, T, 10, 12, "energy", 5)
        y = ops.comb_filter(x, delay, alpha, T)
        return torch.cat([torch.log1p(z_max), z_energy, y[..., ::8]], dim=-1)

    compiled = torch.compile(features, fullgraph=True, backend="inductor")
    got = _fwd_bwd(compiled, x, delay, alpha, x_requires_grad)
    ref = _fwd_bwd(features, x, delay, alpha, x_requires_grad)
    if not x_requires_grad:
        assert got[1] is None and ref[1] is None
        got, ref = got[:1] + got[2:], ref[:1] + ref[2:]
    for a, b in zip(got, ref):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------------------------ gradcheck


def test_gradcheck_comb_filter():
    # delays with every t * D (t <= T) at least 0.05 from an integer: y is smooth there in D
    x, delay, alpha = _inputs(torch.float64, n=30, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, d, a: ops.comb_filter(x, d, a, T), (x, delay, alpha))


@pytest.mark.parametrize("mode", ["max", "energy"])
@pytest.mark.parametrize("window, stride, pad", ENVELOPES)
def test_gradcheck_comb_envelope(mode, window, stride, pad):
    x, delay, alpha = _inputs(torch.float64, n=40, seed=3, requires_grad=True)

    def fn(x, d, a):
        return ops.comb_envelope(x, d, a, T, window, stride, mode, pad)[0]

    assert torch.autograd.gradcheck(fn, (x, delay, alpha))


def test_gradcheck_parameters_only_x_without_grad():
    # x is a constant (no grad): the backward ops run with need_grad_x=False
    x, delay, alpha = _inputs(torch.float64, n=36, seed=5, requires_grad=True)
    x = x.detach()
    assert torch.autograd.gradcheck(lambda d, a: ops.comb_filter(x, d, a, T), (delay, alpha))
    for mode in ("max", "energy"):
        assert torch.autograd.gradcheck(
            lambda d, a: ops.comb_envelope(x, d, a, T, 10, 6, mode, 5)[0], (delay, alpha)
        )


def test_integer_delay_gradient_is_the_right_derivative():
    # At an integer t*D the operator has a kink; its delay gradient is the right derivative
    # (⌊·⌋ and ⌊·⌋ + 1), checked against a forward finite difference. x and alpha: full gradcheck.
    x, delay, alpha = _inputs(torch.float64, n=30, delays=(2.0, 3.0, 5.0), requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, a: ops.comb_filter(x, delay.detach(), a, T), (x, alpha))
    w = torch.randn(2, 3, 30, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    (ops.comb_filter(x, delay, alpha, T) * w).sum().backward()
    eps = 1e-7
    for f in range(3):
        shifted = delay.detach().clone()
        shifted[f] += eps
        hi = (ops.comb_filter(x.detach(), shifted, alpha.detach(), T) * w).sum()
        lo = (ops.comb_filter(x.detach(), delay.detach(), alpha.detach(), T) * w).sum()
        torch.testing.assert_close(delay.grad[f], (hi - lo) / eps, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------------------ dispatch


def test_triton_backend_registered_for_cuda_only_when_available():
    backend = C._BACKENDS.get("cuda")
    if not torch.cuda.is_available():
        assert backend is None
        return
    try:
        import triton  # noqa: F401
    except Exception:  # noqa: BLE001
        assert backend is None
    else:
        from sklearn_wavefront.ops._triton_comb import TritonCombBackend

        assert isinstance(backend, TritonCombBackend)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (compiled Triton kernels)")
@pytest.mark.parametrize("mode", ["max", "energy"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_triton_cuda_custom_ops_match_cpu_reference(mode, dtype):
    """On a GPU machine: the custom ops on CUDA tensors (Triton) against the CPU torch path."""
    pytest.importorskip("triton")
    gen = torch.Generator().manual_seed(0)
    n, delays = 3000, (2.0, 3.5, 17.25, 40.0, 123.4, 5000.0, 7.0)
    x = torch.randn(3, n, generator=gen).to(dtype)
    delay = torch.tensor(delays)
    alpha = torch.linspace(-0.9, 0.9, len(delays))
    tol = 1e-4 if dtype == torch.float32 else 3e-3

    def run(device):
        xd, dd, ad = (t.to(device).requires_grad_(True) for t in (x, delay, alpha))
        z_env, argmax = ops.comb_envelope(xd, dd, ad, 10, 250, 100, mode, 125)
        y = ops.comb_filter(xd, dd, ad, 10)
        w_env = torch.linspace(-1, 1, z_env.numel(), device=device).reshape(z_env.shape)
        w_y = torch.linspace(-1, 1, y.numel(), device=device).reshape(y.shape)
        loss = (y.float() * w_y).sum()
        if not (mode == "max" and dtype == torch.float16):
            # (the float16 CPU reference takes its max over y rounded to float16: ties may move the argmax)
            loss = loss + (z_env.float() * w_env).sum()
        loss.backward()
        return [t.detach().cpu() for t in (z_env, y, xd.grad, dd.grad, ad.grad)], argmax.cpu()

    got, argmax = run("cuda")
    ref, argmax_ref = run("cpu")
    for a, b in zip(got, ref):
        err = float((a.double() - b.double()).abs().max() / b.double().abs().max())
        assert err < tol
    if mode == "max" and dtype == torch.float32:
        assert torch.equal(argmax, argmax_ref)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("n, window, stride, pad", [(3000, 400, 200, 0), (2999, 301, 97, 150), (500, 500, 7, 0),
                                                    (800, 100, 300, 50), (3001, 400, 100, 200), (1600, 160, 160, 0)])
def test_compiled_max_envelope_equals_the_torch_forward(dtype, n, window, stride, pad, monkeypatch):
    """The numba forward (CPU, mode="max") against the plain-torch per-filter path: same frames to
    float rounding, the same argmax (random data has no ties), and so the same gradients. Windows
    that are whole hops take the blocked maxima (with and without centre padding), others the
    per-frame scan."""
    pytest.importorskip("numba")
    from sklearn_wavefront.ops import comb as C

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(3, n, generator=gen, dtype=dtype)
    delay = torch.tensor([2.0, 7.3, 41.9, 333.3, 1200.5], dtype=dtype)
    alpha = torch.tensor([0.9, -0.7, 0.5, 0.95, 0.3], dtype=dtype)
    assert C._numba_comb_kernels() is not None
    compiled = C._comb_envelope_torch(x, delay, alpha, 10, window, stride, "max", pad)
    monkeypatch.setattr(C._numba_comb_kernels, "module", False)
    reference = C._comb_envelope_torch(x, delay, alpha, 10, window, stride, "max", pad)
    assert compiled[0].dtype == dtype and compiled[0].shape == reference[0].shape
    tol = dict(rtol=1e-6, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-13, atol=1e-13)
    torch.testing.assert_close(compiled[0], reference[0], **tol)
    assert torch.equal(compiled[1], reference[1])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("need_grad_x", [True, False])
@pytest.mark.parametrize("n, window, stride, pad", [(3000, 400, 200, 0), (2999, 301, 97, 150), (800, 100, 300, 50)])
def test_compiled_max_envelope_backward_equals_the_torch_rule(dtype, need_grad_x, n, window, stride, pad, monkeypatch):
    """The numba backward of the max envelope (one pass over the frames' argmax taps) against the
    torch gathers: the three gradients to float rounding (the kernel accumulates in float64)."""
    pytest.importorskip("numba")
    from sklearn_wavefront.ops import _comb_torch as CT

    gen = torch.Generator().manual_seed(1)
    x = torch.randn(3, n, generator=gen, dtype=dtype)
    delay = torch.tensor([2.0, 7.3, 41.9, 333.3, 1200.5], dtype=dtype)
    alpha = torch.tensor([0.9, -0.7, 0.5, 0.95, 0.3], dtype=dtype)
    z, argmax = CT._comb_envelope_torch(x, delay, alpha, 10, window, stride, "max", pad)
    grad_z = torch.randn(z.shape, generator=gen, dtype=dtype)
    grad_z[0, 1, :3] = 0.0  # frames with no gradient are skipped
    compiled = CT._comb_max_envelope_backward_sparse(grad_z, x, delay, alpha, argmax, 10, need_grad_x)
    monkeypatch.setattr(CT._numba_comb_kernels, "module", False)
    reference = CT._comb_max_envelope_backward_sparse(grad_z, x, delay, alpha, argmax, 10, need_grad_x)
    tol = dict(rtol=2e-5, atol=2e-4) if dtype == torch.float32 else dict(rtol=1e-11, atol=1e-10)
    for got, ref in zip(compiled, reference):
        assert got.dtype == ref.dtype and got.shape == ref.shape
        torch.testing.assert_close(got, ref, **tol)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("n_echoes", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 14, 20])
def test_compiled_filter_passes_equal_the_torch_forward_for_every_echo_count(dtype, n_echoes, monkeypatch):
    """The kernel filters five echoes per pass, then four, two, one (whichever pass comes first also
    adds x): every combination of passes, over rows of three tiles whose first samples see echoes
    from before the start (delays up to longer than the row), against the torch path; frames of
    one sample, so every |y[n]| is compared, not only the frames' maxima."""
    pytest.importorskip("numba")
    from sklearn_wavefront.ops import comb as C

    gen = torch.Generator().manual_seed(n_echoes)
    x = torch.randn(2, 9001, generator=gen, dtype=dtype)
    delay = torch.tensor([2.0, 3.7, 41.9, 1130.3, 9500.5], dtype=dtype)
    alpha = torch.tensor([0.9, -0.7, 0.5, 0.95, 0.3], dtype=dtype)
    compiled = C._comb_envelope_torch(x, delay, alpha, n_echoes, 1, 1, "max", 0)
    monkeypatch.setattr(C._numba_comb_kernels, "module", False)
    reference = C._comb_envelope_torch(x, delay, alpha, n_echoes, 1, 1, "max", 0)
    tol = dict(rtol=1e-6, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-13, atol=1e-13)
    torch.testing.assert_close(compiled[0], reference[0], **tol)
    assert torch.equal(compiled[1], reference[1])


def test_compiled_kernel_scratch_stays_within_twice_the_row_for_any_delay(monkeypatch):
    """Delays are only bounded below: echoes longer than the row read zeros, so the shifts reach the
    kernel capped at the row's length, and its zero-led copy of a row stays under 2 N + 1 samples
    (uncapped, a delay of 1e12 samples would ask for terabytes); the frames equal the torch path's."""
    pytest.importorskip("numba")
    from sklearn_wavefront.ops import comb as C

    kernels = C._numba_comb_kernels()
    seen = []
    real = kernels.comb_max_envelope_kernel

    class Spy:
        def __getattr__(self, name):
            return getattr(kernels, name)

        @staticmethod
        def comb_max_envelope_kernel(x, shifts, *rest):
            seen.append(int(shifts.max()))
            if seen[-1] > x.shape[-1]:  # never hand the kernel an allocation it cannot make
                raise AssertionError(
                    f"shifts of up to {seen[-1]} samples reach the kernel for rows of {x.shape[-1]}")
            return real(x, shifts, *rest)

    x = torch.randn(2, 3000, generator=torch.Generator().manual_seed(3))
    delay, alpha = torch.tensor([5.5, 1e12, 2999.0]), torch.tensor([0.9, 0.9, 0.5])
    monkeypatch.setattr(C._numba_comb_kernels, "module", Spy())
    compiled = C._comb_envelope_torch(x, delay, alpha, 10, 200, 100, "max", 0)
    assert seen == [3000]
    monkeypatch.setattr(C._numba_comb_kernels, "module", False)
    reference = C._comb_envelope_torch(x, delay, alpha, 10, 200, 100, "max", 0)
    torch.testing.assert_close(compiled[0], reference[0], rtol=1e-6, atol=1e-6)
    assert torch.equal(compiled[1], reference[1])


@pytest.mark.parametrize("n_echoes", [1, 2, 3, 4, 5, 9, 10])
def test_compiled_max_envelope_keeps_torch_nan_and_tie_rules(n_echoes, monkeypatch):
    """Where validation is skipped (the operator called directly), NaN frames and ties still pick the
    sample max_pool1d picks: the last NaN, the first of equal maxima; an infinity wins its frames;
    a NaN after the last frame changes nothing (the blocked maxima still serve that row). Every
    number of echoes: the filter's first pass (five or four echoes plus x) is there from four on."""
    pytest.importorskip("numba")
    from sklearn_wavefront.ops import comb as C

    x = torch.zeros(5, 600)
    x[0, 100], x[0, 130], x[1, 7] = float("nan"), float("nan"), 1.0  # row 1: a step, many equal maxima
    x[2, 300], x[3, 40] = float("inf"), -float("inf")
    x[4] = torch.linspace(-1.0, 1.0, 600)
    x[4, 595] = float("nan")  # frames of 64 every 32 end at sample 575: no frame sees it
    delay, alpha = torch.tensor([3.0, 50.5]), torch.tensor([0.5, 0.9])
    compiled = C._comb_envelope_torch(x, delay, alpha, n_echoes, 64, 32, "max", 0)
    monkeypatch.setattr(C._numba_comb_kernels, "module", False)
    reference = C._comb_envelope_torch(x, delay, alpha, n_echoes, 64, 32, "max", 0)
    torch.testing.assert_close(compiled[0], reference[0], equal_nan=True)
    assert torch.isnan(compiled[0][0]).any() and torch.isinf(compiled[0][2]).any()
    assert not torch.isnan(compiled[0][4]).any()
    assert torch.equal(compiled[1], reference[1])


# ------------------------------------------------------------------------------------ eager calls


@pytest.mark.parametrize("kind, mode", [("filter", None), ("envelope", "max"), ("envelope", "energy")])
@pytest.mark.parametrize("x_requires_grad", [True, False])
def test_eager_function_equals_the_custom_operator(kind, mode, x_requires_grad):
    """Eager calls run the kernels through a plain autograd.Function (no torch._dynamo import);
    its values and all three gradients equal those of the custom operator bit for bit."""
    x, delay, alpha = _inputs(torch.float32, n=80, seed=5)
    if kind == "filter":
        def through_op(x, d, a):
            return ops.comb_filter(x, d, a, T)

        def eager(x, d, a):
            return C._CombFilterFunction.apply(x, d, a, T)
    else:
        def through_op(x, d, a):
            return ops.comb_envelope(x, d, a, T, 12, 8, mode, 5)[0]

        def eager(x, d, a):
            return C._CombEnvelopeFunction.apply(x, d, a, T, 12, 8, mode, 5)[0]

    got = _fwd_bwd(eager, x, delay, alpha, x_requires_grad)
    ref = _fwd_bwd(through_op, x, delay, alpha, x_requires_grad)
    for a, b in zip(got, ref):
        if b is None:
            assert a is None
        else:
            torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_public_functions_take_the_eager_path_outside_torch_compile(monkeypatch):
    calls = []
    monkeypatch.setattr(C._CombEnvelopeFunction, "apply", lambda *a: calls.append("envelope") or C._comb_envelope_op(*a))
    monkeypatch.setattr(C._CombFilterFunction, "apply", lambda *a: calls.append("filter") or C._comb_filter_op(*a))
    x, delay, alpha = _inputs(torch.float32, requires_grad=True)
    C.comb_envelope(x, delay, alpha, window=12, stride=8, n_echoes=T)
    C.comb_filter(x, delay, alpha, n_echoes=T)
    with torch.no_grad():  # the argmax asked for: the Function even without a gradient
        C.comb_envelope(x, delay, alpha, window=12, stride=8, n_echoes=T, return_argmax=True)
    assert calls == ["envelope", "filter", "envelope"]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("window, stride, pad", ENVELOPES)
def test_frames_without_a_gradient_skip_the_argmax_and_equal_the_frames_with_one(dtype, window, stride, pad,
                                                                                monkeypatch):
    """Nothing to differentiate and no argmax asked for: the max envelope skips the search for each
    maximum's index (neither the Function nor the operator runs) and its frames equal, bit for bit,
    those of the differentiable call; with a gradient to come, the Function runs."""
    pytest.importorskip("numba")
    calls = []
    real = C._CombEnvelopeFunction.apply
    monkeypatch.setattr(C._CombEnvelopeFunction, "apply", lambda *a: calls.append("function") or real(*a))
    x, delay, alpha = _inputs(dtype, n=400, delays=(2.3, 7.7, 40.5))
    args = (x, delay, alpha, T, window, stride, "max", pad)
    z, argmax = C._comb_envelope_call(*args, need_argmax=False)
    assert calls == [] and argmax.numel() == 0
    z_reference, argmax_reference = C._comb_envelope_call(*args)
    assert calls == ["function"] and argmax_reference.shape == z_reference.shape
    assert torch.equal(z, z_reference)
    x.requires_grad_(True)
    z_graph, _ = C._comb_envelope_call(*args, need_argmax=False)  # a gradient to come: the argmax is kept
    assert calls == ["function", "function"] and z_graph.requires_grad and torch.equal(z_graph.detach(), z)
    import torch.autograd.forward_ad as fwAD

    with fwAD.dual_level():  # a tangent to carry: never dropped silently (the Function has no jvp)
        dual = fwAD.make_dual(x.detach(), torch.ones_like(x))
        with pytest.raises(NotImplementedError, match="jvp"):
            C._comb_envelope_call(dual, *args[1:], need_argmax=False)


_NO_DYNAMO = """
import sys
import numpy as np, torch
from sklearn_wavefront import CombFrontend
from sklearn_wavefront.ops import comb_envelope, comb_filter
X = np.random.default_rng(0).standard_normal((3, 8000))
for inference in ("fir", "iir"):
    CombFrontend(sample_rate=8000, n_filters=4, inference=inference).fit(X).transform(X)
x = torch.randn(2, 4000, requires_grad=True)
d = torch.tensor([20.5, 41.0], requires_grad=True)
(comb_envelope(x, d, 0.9, 400, 200).sum() + comb_filter(x, d, 0.9).sum()).backward()
print("torch._dynamo" in sys.modules)
"""


def test_first_comb_calls_in_a_fresh_process_import_no_dynamo():
    """A CombFrontend transform (FIR and IIR) and the comb operators' forward and backward in a fresh
    process leave torch._dynamo unimported (importing it costs 1.2-1.5 s per process)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", _NO_DYNAMO], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
