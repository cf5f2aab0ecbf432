"""Triton comb kernels against the plain-torch reference, run by the Triton interpreter on CPU.

Own pytest process: ``TRITON_INTERPRET=1 python -m pytest -q -m triton_interpret`` (``make
test-triton``). The variable must be set before ``@triton.jit`` runs, so without it this module is
skipped. The interpreter costs ~0.5 ms per operation of every program instance: signals are short
and tiles are large (fewer programs), with block sizes picked so that the edge cases (N, W and F
not multiples of the block, echoes before the signal start, frames over the padding) are reached.
"""

from __future__ import annotations

import os

import pytest
import torch

pytestmark = pytest.mark.triton_interpret

if os.environ.get("TRITON_INTERPRET") != "1":
    pytest.skip(
        "Triton kernel tests need TRITON_INTERPRET=1 set before import (run `make test-triton`)",
        allow_module_level=True,
    )
pytest.importorskip("triton", reason="triton is not installed")

from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402

from sklearn_wavefront.ops import comb as C  # noqa: E402
from sklearn_wavefront.ops._triton_comb import (  # noqa: E402
    TritonCombBackend,
    run_triton_comb_envelope,
    run_triton_comb_envelope_backward,
    run_triton_comb_filter,
    run_triton_comb_filter_backward,
)

# Delays mixing non-integer and integer values, one below 1 sample, and one whose first echo
# already reaches before the signal start for every sample (delay > N).
DELAYS = [2.0, 3.5, 7.0, 0.75, 13.25, 150.0]
T = 3


def _params(n_filters=len(DELAYS), seed=0, dtype=torch.float32):
    gen = torch.Generator().manual_seed(seed)
    delay = torch.tensor(DELAYS[:n_filters], dtype=dtype)
    alpha = (torch.rand(n_filters, generator=gen, dtype=torch.float64) * 1.8 - 0.9).to(dtype)
    return delay, alpha


def _randn(*shape, seed=1, dtype=torch.float32):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=gen, dtype=torch.float64).to(dtype)


def _rel(a, b):
    a, b = a.double(), b.double()
    return float((a - b).abs().max() / b.abs().max().clamp_min(1e-30))


def _random_delays(n_filters, seed, n):
    """Random non-integer delays, with every other one rounded to an integer."""
    gen = torch.Generator().manual_seed(seed)
    d = torch.rand(n_filters, generator=gen, dtype=torch.float64) * (n / 2) + 1.0
    d[::2] = torch.round(d[::2])
    return d.float()


# ------------------------------------------------------------------------------ unfused comb_filter


@pytest.mark.parametrize(
    "batch, n, block_n, block_f, random_delays",
    [
        (2, 100, 32, 4, False),  # N not a multiple of the block, F=6 not a multiple of 4
        (1, 64, 64, 8, False),  # one block each way
        (3, 77, 64, 2, True),  # random integer and non-integer delays
    ],
)
def test_comb_filter_matches_reference(batch, n, block_n, block_f, random_delays):
    delay, alpha = _params()
    if random_delays:
        delay = _random_delays(len(DELAYS), seed=n, n=n)
    x = _randn(batch, n)
    y = run_triton_comb_filter(x, delay, alpha, T, block_f=block_f, block_n=block_n)
    y_ref = C._comb_filter_torch(x, delay, alpha, T)
    assert y.dtype == x.dtype and y.shape == y_ref.shape
    assert _rel(y, y_ref) < 1e-5

    g = _randn(*y.shape, seed=7)
    got = run_triton_comb_filter_backward(g, x, delay, alpha, T, block_f=block_f, block_n=block_n)
    ref = C._comb_filter_backward_torch(g, x, delay, alpha, T)
    for name, a, b in zip(["x", "delay", "alpha"], got, ref):
        assert a.dtype == b.dtype and a.shape == b.shape, name
        assert _rel(a, b) < 1e-4, name
    # without dL/dx (NEED_GX=False): an empty (0,) placeholder and the same parameter gradients
    lean = run_triton_comb_filter_backward(g, x, delay, alpha, T, False, block_f=block_f, block_n=block_n)
    assert lean[0].shape == (0,) and lean[0].dtype == x.dtype
    for name, a, b in zip(["delay", "alpha"], lean[1:], ref[1:]):
        assert a.dtype == b.dtype and a.shape == b.shape, name
        assert _rel(a, b) < 1e-4, name


def test_comb_filter_float16_and_noncontiguous():
    delay, alpha = _params()
    base = _randn(2, 2 * 90, seed=3)
    x = base[:, ::2]  # non-contiguous
    assert not x.is_contiguous()
    y = run_triton_comb_filter(x, delay, alpha, T, block_f=8, block_n=64)
    assert _rel(y, C._comb_filter_torch(x.contiguous(), delay, alpha, T)) < 1e-5
    g = _randn(2, len(DELAYS), 90 * 2, seed=4)[..., ::2]
    got = run_triton_comb_filter_backward(g, x, delay, alpha, T, block_f=8, block_n=64)
    ref = C._comb_filter_backward_torch(g.contiguous(), x.contiguous(), delay, alpha, T)
    for a, b in zip(got, ref):
        assert _rel(a, b) < 1e-4

    # float16 in, float16 out, float32 accumulation (reference: float32 math rounded to float16)
    xh = x.half()
    yh = run_triton_comb_filter(xh, delay, alpha, T, block_f=8, block_n=64)
    assert yh.dtype == torch.float16
    assert _rel(yh, C._comb_filter_torch(xh, delay, alpha, T)) < 2e-3
    got = run_triton_comb_filter_backward(g.half(), xh, delay, alpha, T, block_f=8, block_n=64)
    ref = C._comb_filter_backward_torch(g.half(), xh, delay, alpha, T)
    assert got[0].dtype == torch.float16 and got[1].dtype == delay.dtype and got[2].dtype == alpha.dtype
    for a, b in zip(got, ref):
        assert _rel(a, b) < 2e-3


def test_bfloat16_loads_and_float32_math():
    # bfloat16 is loaded and converted to float32 (the interpreter's bf16 arithmetic is broken,
    # the kernels never do any); results are rounded to bfloat16 once.
    delay, alpha = _params()
    x = _randn(2, 64, seed=8).bfloat16()
    y = run_triton_comb_filter(x, delay, alpha, T, block_f=8, block_n=64)
    assert y.dtype == torch.bfloat16
    assert _rel(y, C._comb_filter_torch(x, delay, alpha, T)) < 1e-2
    z, argmax = run_triton_comb_envelope(x, delay, alpha, T, 16, 8, "max", 0, block_f=8, block_w=16)
    assert _rel(z, C._comb_envelope_torch(x, delay, alpha, T, 16, 8, "max", 0)[0]) < 1e-2
    gz = torch.ones_like(z)
    got = run_triton_comb_envelope_backward(gz, x, delay, alpha, argmax, T, 16, 8, "max", 0)
    ref = C._comb_envelope_backward_torch(gz, x, delay, alpha, argmax, T, 16, 8, "max", 0)
    assert got[0].dtype == torch.bfloat16
    for a, b in zip(got, ref):
        assert _rel(a, b) < 1e-2


# ------------------------------------------------------------------------------ fused envelope

# (n, window, stride, pad, block_w): W > S, W < S, centred padding (frames over the zero padding),
# W not a multiple of the block, heavy overlap (many frames share one argmax: duplicate atomics).
ENVELOPE_CASES = [
    (90, 40, 25, 0, 16),
    (90, 20, 33, 0, 32),
    (80, 30, 20, 15, 16),
    (70, 21, 16, 10, 64),
    (60, 40, 4, 0, 64),
]


@pytest.mark.parametrize("mode", ["max", "energy"])
@pytest.mark.parametrize("n, window, stride, pad, block_w", ENVELOPE_CASES)
def test_comb_envelope_matches_reference(mode, n, window, stride, pad, block_w):
    delay, alpha = _params()
    x = _randn(2, n, seed=n + window)
    z, argmax = run_triton_comb_envelope(x, delay, alpha, T, window, stride, mode, pad, block_f=4, block_w=block_w)
    z_ref, argmax_ref = C._comb_envelope_torch(x, delay, alpha, T, window, stride, mode, pad)
    assert z.shape == z_ref.shape and z.dtype == x.dtype
    assert _rel(z, z_ref) < 1e-5
    assert argmax.dtype == torch.int64 and argmax.shape == argmax_ref.shape
    if mode == "max":
        assert int(argmax.min()) >= 0 and int(argmax.max()) < n  # absolute sample indices
        assert torch.equal(argmax, argmax_ref)

    gz = _randn(*z.shape, seed=11)
    block_n = 8 if mode == "max" else 32
    got = run_triton_comb_envelope_backward(
        gz, x, delay, alpha, argmax, T, window, stride, mode, pad, block_f=4, block_n=block_n
    )
    ref = C._comb_envelope_backward_torch(gz, x, delay, alpha, argmax_ref, T, window, stride, mode, pad)
    for name, a, b in zip(["x", "delay", "alpha"], got, ref):
        assert a.dtype == b.dtype and a.shape == b.shape, name
        assert _rel(a, b) < 1e-4, name


@pytest.mark.parametrize("mode", ["max", "energy"])
def test_comb_envelope_random_delays(mode):
    n, window, stride = 96, 24, 20
    delay = _random_delays(5, seed=5, n=n)
    alpha = torch.tensor([0.9, -0.7, 0.5, 0.2, -0.95])
    x = _randn(2, n, seed=21)
    z, argmax = run_triton_comb_envelope(x, delay, alpha, T, window, stride, mode, 0, block_f=8, block_w=32)
    z_ref, argmax_ref = C._comb_envelope_torch(x, delay, alpha, T, window, stride, mode, 0)
    assert _rel(z, z_ref) < 1e-5
    if mode == "max":
        assert torch.equal(argmax, argmax_ref)
    gz = _randn(*z.shape, seed=2)
    got = run_triton_comb_envelope_backward(gz, x, delay, alpha, argmax, T, window, stride, mode, 0, block_f=8)
    ref = C._comb_envelope_backward_torch(gz, x, delay, alpha, argmax_ref, T, window, stride, mode, 0)
    for a, b in zip(got, ref):
        assert _rel(a, b) < 1e-4


def test_envelope_argmax_tie_rule_and_sign():
    # A constant signal through integer delays gives long runs of equal |y| (after the transient):
    # the argmax is the FIRST index of the maximum, as max_pool1d's; negative y checks sign(y).
    n = 64
    x = torch.cat([torch.ones(1, n), -torch.ones(1, n)])
    delay = torch.tensor([2.0, 4.0, 3.0])
    alpha = torch.tensor([0.5, -0.5, 0.25])
    for window, stride, pad in [(16, 8, 0), (10, 12, 5)]:
        z, argmax = run_triton_comb_envelope(x, delay, alpha, 2, window, stride, "max", pad, block_f=4, block_w=16)
        z_ref, argmax_ref = C._comb_envelope_torch(x, delay, alpha, 2, window, stride, "max", pad)
        assert torch.equal(argmax, argmax_ref)
        assert torch.equal(z, z_ref)
        gz = torch.ones_like(z)
        got = run_triton_comb_envelope_backward(gz, x, delay, alpha, argmax, 2, window, stride, "max", pad)
        ref = C._comb_envelope_backward_torch(gz, x, delay, alpha, argmax_ref, 2, window, stride, "max", pad)
        for a, b in zip(got, ref):
            assert _rel(a, b) < 1e-5


def test_envelope_float16_and_noncontiguous():
    delay, alpha = _params(4)
    x = _randn(80, 2, seed=9).t()  # (2, 80) non-contiguous
    assert not x.is_contiguous()
    for mode in ["max", "energy"]:
        z, argmax = run_triton_comb_envelope(x, delay, alpha, T, 30, 20, mode, 15, block_f=4, block_w=32)
        z_ref, argmax_ref = C._comb_envelope_torch(x.contiguous(), delay, alpha, T, 30, 20, mode, 15)
        assert _rel(z, z_ref) < 1e-5
        gz = _randn(*z.shape, seed=3)[..., None].expand(*z.shape, 2)[..., 0]  # non-contiguous grad
        got = run_triton_comb_envelope_backward(gz, x, delay, alpha, argmax, T, 30, 20, mode, 15, block_f=4)
        ref = C._comb_envelope_backward_torch(gz.contiguous(), x.contiguous(), delay, alpha, argmax_ref, T, 30, 20, mode, 15)
        for a, b in zip(got, ref):
            assert _rel(a, b) < 1e-4

        # float16: output in float16; max |y| is the float32 max rounded (rounding is monotone)
        xh = x.half()
        zh, argmax_h = run_triton_comb_envelope(xh, delay, alpha, T, 30, 20, mode, 15, block_f=4, block_w=32)
        zh_ref, _ = C._comb_envelope_torch(xh, delay, alpha, T, 30, 20, mode, 15)
        assert zh.dtype == torch.float16
        assert _rel(zh, zh_ref) < 3e-3
        if mode == "max":
            # the kernel's argmax is the float32 argmax; the backward reference recomputes y in float32 too
            _, argmax_f32 = C._comb_envelope_torch(xh.float(), delay, alpha, T, 30, 20, mode, 15)
            assert torch.equal(argmax_h, argmax_f32)
        got = run_triton_comb_envelope_backward(gz.half(), xh, delay, alpha, argmax_h, T, 30, 20, mode, 15, block_f=4)
        ref = C._comb_envelope_backward_torch(gz.half(), xh, delay, alpha, argmax_h, T, 30, 20, mode, 15)
        assert got[0].dtype == torch.float16
        for a, b in zip(got, ref):
            assert _rel(a, b) < 3e-3


# ------------------------------------------------------------------------------ memory rule


class _RecordSizes(TorchDispatchMode):
    """Records the number of elements of every tensor produced by a torch op."""

    def __init__(self):
        super().__init__()
        self.sizes = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for o in out if isinstance(out, (tuple, list)) else (out,):
            if isinstance(o, torch.Tensor):
                self.sizes.append((str(func), o.numel()))
        return out


@pytest.mark.parametrize("mode", ["max", "energy"])
def test_fused_envelope_never_allocates_batch_filters_time(mode):
    batch, n, window, stride = 2, 64, 16, 16
    delay, alpha = _params()
    x = _randn(batch, n)
    z, argmax = run_triton_comb_envelope(x, delay, alpha, T, window, stride, mode, 0, block_f=8, block_w=16)
    gz = torch.ones_like(z)
    with _RecordSizes() as rec:
        run_triton_comb_envelope(x, delay, alpha, T, window, stride, mode, 0, block_f=8, block_w=16)
        run_triton_comb_envelope_backward(gz, x, delay, alpha, argmax, T, window, stride, mode, 0, block_f=8)
    big = batch * len(DELAYS) * n
    assert rec.sizes, "the recorder saw no torch op"
    assert max(size for _, size in rec.sizes) < big, rec.sizes


# ------------------------------------------------------------------------------ need_grad_x=False

# (n, window, stride, pad): W > S valid, centred padding (frames over the zero padding)
NO_GX_CASES = [(90, 40, 25, 0), (80, 30, 20, 15)]


class _RecordAllocations(TorchDispatchMode):
    """Records ``(op, numel, dtype)`` of every tensor a non-in-place torch op returns.

    In-place ops (``set_``, ``copy_``, ``zero_``, ...) are left out: they allocate nothing new, and
    the interpreter's own byte-storage copies of the kernel arguments go through them.
    """

    def __init__(self):
        super().__init__()
        self.allocs = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if not func._schema.name.split("::")[-1].endswith("_"):
            for o in out if isinstance(out, (tuple, list)) else (out,):
                if isinstance(o, torch.Tensor):
                    self.allocs.append((str(func), o.numel(), o.dtype))
        return out

    def input_sized(self, batch, n, dtypes=(torch.float32,)):
        """The recorded tensors of at least ``batch * n`` elements with a dtype in ``dtypes``."""
        return [a for a in self.allocs if a[1] >= batch * n and a[2] in dtypes]


@pytest.mark.parametrize("mode", ["max", "energy"])
@pytest.mark.parametrize("n, window, stride, pad", NO_GX_CASES)
def test_envelope_backward_without_grad_x(mode, n, window, stride, pad):
    """NEED_GX=False: parameter gradients equal the reference's; no (B, N) buffer is allocated."""
    batch = 2
    delay, alpha = _params()
    x = _randn(batch, n, seed=n + 3)
    z, argmax = run_triton_comb_envelope(x, delay, alpha, T, window, stride, mode, pad, block_f=8, block_w=64)
    gz = _randn(*z.shape, seed=12)
    block_n = 16 if mode == "max" else 32
    with _RecordAllocations() as rec:
        got = run_triton_comb_envelope_backward(
            gz, x, delay, alpha, argmax, T, window, stride, mode, pad, False, block_f=4, block_n=block_n
        )
    ref = C._comb_envelope_backward_torch(gz, x, delay, alpha, argmax, T, window, stride, mode, pad, False)
    ref_full = C._comb_envelope_backward_torch(gz, x, delay, alpha, argmax, T, window, stride, mode, pad)
    assert got[0].shape == (0,) and got[0].dtype == x.dtype and ref[0].shape == (0,)
    for name, a, b, c in zip(["delay", "alpha"], got[1:], ref[1:], ref_full[1:]):
        assert torch.equal(b, c), name  # the reference's parameter gradients do not depend on the flag
        assert a.dtype == b.dtype and a.shape == b.shape, name
        assert _rel(a, b) < 1e-4, name
    assert rec.allocs, "the recorder saw no torch op"
    assert not rec.input_sized(batch, n), rec.allocs  # no float32 (B, N) buffer (x is float32)
    assert max(size for _, size, _ in rec.allocs) < batch * n, rec.allocs  # nor anything that large

    # sanity of the recorder: with dL/dx the float32 (B, N) result (for max: its atomics buffer) shows up
    with _RecordAllocations() as rec_full:
        run_triton_comb_envelope_backward(
            gz, x, delay, alpha, argmax, T, window, stride, mode, pad, True, block_f=4, block_n=block_n
        )
    assert rec_full.input_sized(batch, n), rec_full.allocs


def test_filter_backward_without_grad_x_allocates_no_input_sized_tensor():
    batch, n = 2, 70
    delay, alpha = _params()
    x = _randn(batch, n, seed=30)
    g = _randn(batch, len(DELAYS), n, seed=31)
    with _RecordAllocations() as rec:
        got = run_triton_comb_filter_backward(g, x, delay, alpha, T, False, block_f=8, block_n=64)
    ref = C._comb_filter_backward_torch(g, x, delay, alpha, T, False)
    assert got[0].shape == (0,) and ref[0].shape == (0,)
    for a, b in zip(got[1:], ref[1:]):
        assert _rel(a, b) < 1e-4
    assert rec.allocs and max(size for _, size, _ in rec.allocs) < batch * n, rec.allocs
    with _RecordAllocations() as rec_full:
        run_triton_comb_filter_backward(g, x, delay, alpha, T, True, block_f=8, block_n=64)
    assert rec_full.input_sized(batch, n), rec_full.allocs


# ------------------------------------------------------------------------------ through the custom ops


@pytest.fixture
def triton_on_cpu():
    """Route CPU tensors of the comb custom operators to the Triton backend (interpreter)."""
    previous = C._BACKENDS.get("cpu")
    C.register_backend("cpu", TritonCombBackend())
    try:
        yield
    finally:
        if previous is None:
            C._BACKENDS.pop("cpu", None)
        else:
            C._BACKENDS["cpu"] = previous


def _grads(fn, x, delay, alpha):
    x = x.clone().requires_grad_(True)
    delay = delay.clone().requires_grad_(True)
    alpha = alpha.clone().requires_grad_(True)
    out = fn(x, delay, alpha)
    weights = _randn(*out.shape, seed=5)
    (out * weights).sum().backward()
    return out.detach(), x.grad, delay.grad, alpha.grad


@pytest.mark.parametrize("mode", ["max", "energy"])
def test_custom_ops_dispatch_to_triton_backend(triton_on_cpu, mode):
    delay, alpha = _params(5)
    x = _randn(2, 120, seed=13)

    def envelope(x, d, a):
        return C.comb_envelope(x, d, a, window=32, stride=24, n_echoes=T, mode=mode, padding="center")

    got = _grads(envelope, x, delay, alpha)
    C._BACKENDS.pop("cpu")
    ref = _grads(envelope, x, delay, alpha)
    C.register_backend("cpu", TritonCombBackend())
    for a, b in zip(got, ref):
        assert _rel(a, b) < 1e-4

    if mode == "max":  # the unfused op too (one run is enough)
        def comb(x, d, a):
            return C.comb_filter(x, d, a, n_echoes=T)

        got = _grads(comb, x, delay, alpha)
        C._BACKENDS.pop("cpu")
        ref = _grads(comb, x, delay, alpha)
        for a, b in zip(got, ref):
            assert _rel(a, b) < 1e-4


@pytest.mark.parametrize("mode", ["max", "energy"])
def test_custom_ops_x_without_grad_on_triton_backend(triton_on_cpu, mode):
    """Autograd passes needs_input_grad[0] = False to the Triton backend: same delay/alpha grads as
    the torch path, x.grad stays None."""
    delay, alpha = _params(4)
    x = _randn(2, 96, seed=17)

    def run():
        d = delay.clone().requires_grad_(True)
        a = alpha.clone().requires_grad_(True)
        z = C.comb_envelope(x, d, a, window=32, stride=24, n_echoes=T, mode=mode, padding="valid")
        (z * _randn(*z.shape, seed=6)).sum().backward()
        return d.grad, a.grad

    got = run()
    C._BACKENDS.pop("cpu")
    ref = run()
    C.register_backend("cpu", TritonCombBackend())
    assert not x.requires_grad and x.grad is None
    for a, b in zip(got, ref):
        assert _rel(a, b) < 1e-4


def test_backend_sends_float64_to_torch(triton_on_cpu):
    delay, alpha = _params(3, dtype=torch.float64)
    x = _randn(1, 40, dtype=torch.float64)
    y = torch.ops.sklearn_wavefront.comb_filter(x, delay, alpha, T)
    assert y.dtype == torch.float64
    assert torch.equal(y, C._comb_filter_torch(x, delay, alpha, T))


# ------------------------------------------------------------------------------ GPU code generation

_AOT_SCRIPT = r"""
import os, sys
import triton
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource
ptxas = os.path.join(os.path.dirname(triton.__file__), "backends", "nvidia", "bin", "ptxas")
if not os.path.exists(ptxas):
    print("SKIP: triton has no bundled ptxas"); sys.exit(0)
import sklearn_wavefront.ops._triton_comb as K

I = "i32"
def build(fn, sig, consts, arch, ones=()):
    sig = dict(sig); consts = dict(consts)
    for k in consts: sig[k] = "constexpr"
    for k in ones: sig[k] = "constexpr"; consts[k] = 1   # the launcher specialises ints equal to 1
    triton.compile(ASTSource(fn=fn, signature=sig, constexprs=consts), target=GPUTarget("cuda", arch, 32))

for arch, xdt in [(90, "fp32"), (80, "fp16")]:
    xp = "*" + xdt
    build(K._comb_filter_fwd_kernel, dict(x_ptr=xp, s_ptr="*i32", coef_ptr="*fp32", y_ptr=xp, N=I, F=I, T=I),
          dict(BLOCK_F=4, BLOCK_N=512), arch)
    for need_gx in (True, False):
        build(K._comb_filter_bwd_kernel, dict(g_ptr=xp, x_ptr=xp, s_ptr="*i32", coef_ptr="*fp32", gx_ptr=xp,
              gd_ptr="*fp32", ga_ptr="*fp32", N=I, F=I, T=I), dict(NEED_GX=need_gx, BLOCK_F=4, BLOCK_N=256), arch)
    for is_max in (True, False):
        build(K._comb_envelope_fwd_kernel, dict(x_ptr=xp, s_ptr="*i32", coef_ptr="*fp32", z_ptr=xp,
              idx_ptr="*i64" if is_max else xp, N=I, F=I, T=I, P=I, W=I, S=I, PAD=I),
              dict(IS_MAX=is_max, BLOCK_F=4, BLOCK_W=256), arch)
    for need_gx in (True, False):
        build(K._comb_envelope_bwd_max_kernel, dict(gz_ptr=xp, x_ptr=xp, idx_ptr="*i64", s_ptr="*i32",
              coef_ptr="*fp32", gx_ptr="*fp32", gd_ptr="*fp32", ga_ptr="*fp32", N=I, F=I, T=I, P=I),
              dict(NEED_GX=need_gx, BLOCK_F=8, BLOCK_P=32), arch)
        build(K._comb_envelope_bwd_energy_kernel, dict(cum_ptr="*fp64", x_ptr=xp, s_ptr="*i32", coef_ptr="*fp32",
              gx_ptr=xp, gd_ptr="*fp32", ga_ptr="*fp32", N=I, F=I, T=I, P=I, W=I, S=I, PAD=I),
              dict(NEED_GX=need_gx, BLOCK_F=2, BLOCK_N=256), arch)
build(K._comb_envelope_fwd_kernel, dict(x_ptr="*fp32", s_ptr="*i32", coef_ptr="*fp32", z_ptr="*fp32",
      idx_ptr="*i64", N=I, F=I, T=I, P=I, W=I, S=I, PAD=I), dict(IS_MAX=True, BLOCK_F=1, BLOCK_W=16), 90,
      ones=("F", "T", "P", "W", "S", "PAD"))
for need_gx in (True, False):
    build(K._comb_envelope_bwd_energy_kernel, dict(cum_ptr="*fp64", x_ptr="*fp32", s_ptr="*i32", coef_ptr="*fp32",
          gx_ptr="*fp32", gd_ptr="*fp32", ga_ptr="*fp32", N=I, F=I, T=I, P=I, W=I, S=I, PAD=I),
          dict(NEED_GX=need_gx, BLOCK_F=1, BLOCK_N=16), 90, ones=("F", "T", "P", "W", "S", "PAD"))
print("OK")
"""


def test_kernels_compile_for_gpu_targets():
    """Ahead-of-time compilation to sm_90 / sm_80 cubins (no GPU needed), outside the interpreter.

    The interpreter does not type-check like the compiler; this catches code-generation errors
    (and the constexpr specialisation of integer arguments equal to 1) on a CPU-only machine.
    """
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    proc = subprocess.run([sys.executable, "-c", _AOT_SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    if proc.stdout.startswith("SKIP:"):
        pytest.skip(proc.stdout.strip())
    assert proc.returncode == 0 and proc.stdout.strip().endswith("OK"), proc.stdout + proc.stderr
