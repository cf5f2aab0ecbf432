"""Both backends of the exact IIR comb (numba when installed, torch always) against scipy.signal.lfilter."""

import numpy as np
import pytest
import scipy.signal
import torch

from sklearn_wavefront.ops import CombIIRStream, comb_iir, comb_iir_envelope
from sklearn_wavefront.ops import iir as iir_module

RNG = np.random.default_rng(8)

BACKENDS = [
    "torch",
    pytest.param(
        "numba", marks=pytest.mark.skipif(not iir_module.numba_available(), reason="numba not installed")
    ),
]


def _lfilter_comb(x, k, a):
    den = np.zeros(k + 1)
    den[0], den[k] = 1.0, -a
    return scipy.signal.lfilter([1.0], den, x, axis=-1)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("n, k", [(1, 1), (5, 3), (100, 1), (257, 7), (1000, 99), (1000, 1000), (300, 999), (4099, 64),
                                  (1000, 16), (1001, 20), (999, 33), (1000, 63), (30, 20)])
@pytest.mark.parametrize("alpha", [0.9, -0.95, 0.0])
def test_comb_iir_backend_matches_lfilter_float64(backend, n, k, alpha):
    x = RNG.standard_normal((3, n))
    y = comb_iir(torch.from_numpy(x), [k], alpha, backend=backend)
    assert y.shape == (3, 1, n) and y.dtype == torch.float64
    np.testing.assert_allclose(y[:, 0].numpy(), _lfilter_comb(x, k, alpha), atol=1e-11)


@pytest.mark.parametrize("backend", BACKENDS)
def test_comb_iir_backend_many_channels_float32(backend):
    x = RNG.standard_normal((3, 6001)).astype(np.float32)
    delays = [2, 20, 37, 160, 1000, 7000]
    alphas = [0.9, 0.5, -0.8, 0.99, 0.3, 0.9]
    y = comb_iir(torch.from_numpy(x), delays, torch.tensor(alphas), backend=backend)
    assert y.shape == (3, 6, 6001) and y.dtype == torch.float32
    for f, (k, a) in enumerate(zip(delays, alphas)):
        np.testing.assert_allclose(y[:, f].numpy(), _lfilter_comb(x.astype(np.float64), k, a), atol=5e-5)


def test_backends_agree_on_non_contiguous_input():
    x = torch.from_numpy(RNG.standard_normal((4, 3000)))[:, ::2]
    ref = comb_iir(x, [5, 33], 0.8, backend="torch")
    torch.testing.assert_close(comb_iir(x, [5, 33], 0.8), ref, rtol=0, atol=1e-12)


def _numpy_envelope(y, window, stride, pad, envelope):
    """Frames of y (F, N) zero-extended by pad samples on each side: max |y| or mean y**2 over window."""
    yp = np.pad(y, ((0, 0), (pad, pad)))
    n_frames = (yp.shape[-1] - window) // stride + 1
    out = np.empty((y.shape[0], n_frames))
    for p in range(n_frames):
        seg = yp[:, p * stride : p * stride + window]
        out[:, p] = np.abs(seg).max(-1) if envelope == "max" else (seg**2).sum(-1) / window
    return out


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("padding", ["valid", "center"])
@pytest.mark.parametrize("envelope", ["max", "energy"])
@pytest.mark.parametrize("n, window, stride", [(2000, 200, 100), (1999, 161, 50), (300, 300, 7), (500, 101, 400)])
def test_comb_iir_envelope_matches_lfilter_then_pooling(backend, padding, envelope, n, window, stride):
    x = RNG.standard_normal((2, n))
    delays, alphas = [3, 40, 111], [0.9, -0.7, 0.95]
    z = comb_iir_envelope(torch.from_numpy(x), delays, alphas, window, stride, padding, envelope, backend=backend)
    pad = 0 if padding == "valid" else window // 2
    for b in range(2):
        y = np.stack([_lfilter_comb(x[b], k, a) for k, a in zip(delays, alphas)])
        np.testing.assert_allclose(z[b].numpy(), _numpy_envelope(y, window, stride, pad, envelope), rtol=1e-10, atol=1e-10)


def test_comb_iir_envelope_float32_backends_agree():
    x = torch.from_numpy(RNG.standard_normal((3, 8000)).astype(np.float32))
    for envelope in ("max", "energy"):
        ref = comb_iir_envelope(x.double(), [30, 80], 0.9, 400, 200, "center", envelope, backend="torch")
        z = comb_iir_envelope(x, [30, 80], 0.9, 400, 200, "center", envelope)
        assert z.dtype == torch.float32
        torch.testing.assert_close(z.double(), ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(window=0), "window"),
        (dict(padding="same"), "padding"),
        (dict(envelope="mean"), "envelope"),
        (dict(window=5000), "fewer than one frame"),
        (dict(backend="cuda"), "backend"),
    ],
)
def test_comb_iir_envelope_rejects_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        comb_iir_envelope(torch.randn(1, 1000), [10], **kwargs)


def test_numba_backend_requested_without_numba_raises(monkeypatch):
    monkeypatch.setattr(iir_module._numba_kernels, "module", False)
    assert not iir_module.numba_available()
    with pytest.raises(ImportError, match=r"sklearn-wavefront\[fast\]"):
        comb_iir(torch.randn(1, 10), [3], backend="numba")
    # "auto" falls back to the torch path
    x = torch.from_numpy(RNG.standard_normal((1, 50)))
    np.testing.assert_allclose(comb_iir(x, [3], 0.5)[0, 0].numpy(), _lfilter_comb(x[0].numpy(), 3, 0.5), atol=1e-12)


def test_finiteness_check_accepts_large_finite_samples_and_rejects_nan():
    from sklearn_wavefront._validation import check_waveform

    big = torch.full((2, 8), 3e38, dtype=torch.float32)  # finite, but their float32 sum overflows
    assert check_waveform(big) is big
    for bad in (float("nan"), float("inf"), -float("inf")):
        x = torch.zeros(2, 8)
        x[1, 3] = bad
        with pytest.raises(ValueError, match="NaN or infinite"):
            check_waveform(x)
    x = torch.zeros(2, 8)
    x[0, 0], x[0, 1] = float("inf"), -float("inf")  # sums to NaN: still rejected
    with pytest.raises(ValueError, match="NaN or infinite"):
        check_waveform(x)


@pytest.mark.parametrize("backend", BACKENDS)
def test_comb_iir_envelope_rows_do_not_depend_on_the_batch(backend):
    x = torch.from_numpy(RNG.standard_normal((7, 5000)).astype(np.float32))
    for envelope in ("max", "energy"):
        z = comb_iir_envelope(x, [3, 8, 40, 200], 0.9, 400, 200, "center", envelope, backend=backend)
        for i in range(7):
            zi = comb_iir_envelope(x[i : i + 1], [3, 8, 40, 200], 0.9, 400, 200, "center", envelope, backend=backend)
            torch.testing.assert_close(zi[0], z[i], rtol=0, atol=1e-6 if backend == "torch" else 0)


def _recursion(x, k, a):
    """The sample-by-sample recursion y[n] = x[n] + a y[n - k] (the reference the kernels unroll), in x's dtype."""
    y = x.copy()
    for n in range(k, x.shape[-1]):
        y[..., n] = x[..., n] + a * y[..., n - k]
    return y


@pytest.mark.parametrize("k", [1, 2, 3, 7, 8, 9, 15, 16, 17, 20, 31, 32, 33, 47, 63, 64, 65, 100, 1000])
def test_numba_unrolled_recursion_equals_the_recursion_and_lfilter_float64(k):
    """The compiled kernel unrolls the recursion m = 8, 4, 2 or 1 times (by delay) into one pass per
    block: in float64 the values are those of the sample-by-sample recursion and of lfilter to
    rounding, for every branch and for signals shorter than one unrolled block."""
    pytest.importorskip("numba")
    for n in (5003, 3 * k + 1, k + 1):
        x = RNG.standard_normal((2, n))
        for a in (0.9, -0.97, 0.3):
            y = comb_iir(torch.from_numpy(x), [k], a, backend="numba")[:, 0].numpy()
            np.testing.assert_allclose(y, _recursion(x, k, a), rtol=0, atol=1e-12, err_msg=f"K={k}, n={n}")
            np.testing.assert_allclose(y, _lfilter_comb(x, k, a), rtol=0, atol=1e-12, err_msg=f"K={k}, n={n}")


def test_numba_unrolled_recursion_float32_stays_within_float32_rounding():
    """float32: the unrolled sums round differently from the recursion, but no worse (measured: 2-3e-7
    of the output's largest value, as the float32 recursion itself)."""
    pytest.importorskip("numba")
    x = RNG.standard_normal(20000).astype(np.float32)
    for k in (2, 9, 16, 20, 33):
        y = comb_iir(torch.from_numpy(x[None]), [k], 0.9, backend="numba")[0, 0].numpy()
        exact = _recursion(x.astype(np.float64), k, 0.9)
        np.testing.assert_allclose(y, exact, rtol=0, atol=1e-6 * np.abs(exact).max(), err_msg=f"K={k}")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("alpha", [0.9, -0.9, 1e-30, 0.0])
@pytest.mark.parametrize("k", [3, 16, 20, 64, 100])
@pytest.mark.parametrize("where", [0, 1, 500, 999])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_comb_iir_rejects_a_non_finite_sample_anywhere(backend, alpha, k, where, bad):
    """The compiled path proves finiteness from the output's last K samples (any gain != 0) instead
    of a pass over x: a bad sample at any position, for each delay (one filter, K < N), is named."""
    x = torch.from_numpy(RNG.standard_normal((2, 1000)).astype(np.float32))
    x[1, where] = bad
    with pytest.raises(ValueError, match="x contains NaN or infinite samples"):
        comb_iir(x, [k], alpha, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_comb_iir_overflow_is_an_error_not_infinite_output(backend, monkeypatch):
    x = torch.full((1, 400), 3e38, dtype=torch.float32)  # finite; x + 0.9 y overflows float32
    with pytest.raises(ValueError, match="overflows torch.float32"):
        comb_iir(x, [10], 0.9, backend=backend)
    for envelope in ("max", "energy"):
        with pytest.raises(ValueError, match="overflows torch.float32"):
            comb_iir_envelope(x, [10], 0.9, window=100, stride=50, envelope=envelope, backend=backend)
    if backend == "torch":
        monkeypatch.setattr(iir_module._numba_kernels, "module", False)  # the stream then runs the torch kernel too
    with pytest.raises(ValueError, match="overflows torch.float32"):
        CombIIRStream([10], 0.9).process(x)
    assert torch.isfinite(comb_iir(x.double(), [10], 0.9, backend=backend)).all()  # float64 holds it
    # y fits float32 but y**2 summed over a frame does not
    big = torch.full((1, 400), 1e18, dtype=torch.float32)
    with pytest.raises(ValueError, match="overflows torch.float32"):
        comb_iir_envelope(big, [10], 0.5, window=100, stride=50, envelope="energy", backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_gain_that_rounds_to_one_in_float32_is_refused(backend):
    x = torch.ones(1, 2000)
    with pytest.raises(ValueError, match=r"alpha=\[0.99999999\] rounds to magnitude 1 in float32"):
        comb_iir(x, [10], 0.99999999, backend=backend)
    np.testing.assert_allclose(comb_iir(x.double(), [10], 0.99999999, backend=backend)[0, 0, -1].item(),
                               _lfilter_comb(np.ones(2000), 10, 0.99999999)[-1], rtol=1e-12)
