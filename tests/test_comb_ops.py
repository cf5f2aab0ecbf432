"""The comb training operator, its fused envelope, and the exact IIR, against independent references."""

import math

import numpy as np
import pytest
import scipy.signal
import torch

from sklearn_wavefront.ops import CombIIRStream, comb_envelope, comb_filter, comb_iir, envelope_length


def comb_reference(x, delays, alphas, n_echoes):
    """Direct float64 loop over the DESIGN §3.1 formula, sample by sample."""
    x = np.asarray(x, dtype=np.float64)
    batch, n = x.shape
    y = np.zeros((batch, len(delays), n))
    for f, (d, a) in enumerate(zip(delays, alphas)):
        for i in range(n):
            acc = x[:, i].copy()
            for t in range(1, n_echoes + 1):
                s = math.floor(t * d)
                beta = t * d - s
                if i - s >= 0:
                    acc += a**t * (1 - beta) * x[:, i - s]
                if i - s - 1 >= 0:
                    acc += a**t * beta * x[:, i - s - 1]
            y[:, f, i] = acc
    return y


def envelope_reference(y, window, stride, mode, pad):
    batch, n_filters, n = y.shape
    padded = np.pad(y, ((0, 0), (0, 0), (pad, pad)))
    valid = np.pad(np.ones(n, bool), (pad, pad))
    n_frames = (n + 2 * pad - window) // stride + 1
    z = np.zeros((batch, n_filters, n_frames))
    arg = np.zeros((batch, n_filters, n_frames), dtype=np.int64)
    for p in range(n_frames):
        seg = padded[..., p * stride : p * stride + window]
        if mode == "max":
            mag = np.where(valid[p * stride : p * stride + window], np.abs(seg), -np.inf)
            arg[..., p] = mag.argmax(-1) + p * stride - pad
            z[..., p] = mag.max(-1)
        else:
            z[..., p] = (seg**2).mean(-1)
    return z, arg


RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    "delays, alphas, n_echoes",
    [
        ([2.0, 3.5, 7.25], [0.9, -0.6, 0.0], 10),
        ([1.0, 13.0, 40.9], [0.5, 0.99, -0.99], 3),
        ([55.5], [0.9], 1),  # echoes reach before the signal start
        ([2.2, 2.7, 3.1, 9.99], [0.3, 0.3, 0.3, 0.3], 12),
    ],
)
def test_comb_filter_matches_numpy_loop(delays, alphas, n_echoes):
    x = RNG.standard_normal((2, 97))
    y = comb_filter(torch.from_numpy(x), torch.tensor(delays, dtype=torch.float64), torch.tensor(alphas, dtype=torch.float64), n_echoes)
    np.testing.assert_allclose(y.numpy(), comb_reference(x, delays, alphas, n_echoes), atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("n_echoes", [0, 1, 10, 23])
def test_echo_table_equals_the_per_tap_rule_bit_for_bit(dtype, n_echoes):
    """The compiled kernels' vectorised tap table and the torch path's tap-by-tap generator must be
    the same numbers (shifts, fractions and gains), or the two CPU paths would filter differently;
    both also match the DESIGN formula (floor(tD), tD - floor(tD), alpha^t)."""
    from sklearn_wavefront.ops._comb_torch import _echo_table, _echo_taps

    rng = np.random.default_rng(n_echoes)
    delays = np.concatenate([rng.uniform(2, 3000, 30), [2.0, 7.5, 13.0, 40.9, 1000.0 / 3]])
    alphas = np.concatenate([rng.uniform(-0.999, 0.999, 30), [0.9, -0.6, 0.0, 0.99, -0.99]])
    d, a = torch.tensor(delays, dtype=dtype), torch.tensor(alphas, dtype=dtype)
    shift, beta, gain = _echo_table(d, a, n_echoes)
    assert shift.dtype == np.int64 and beta.dtype == gain.dtype == np.float64
    assert shift.shape == beta.shape == gain.shape == (len(delays), n_echoes)
    for f, (df, af) in enumerate(zip(d.tolist(), a.tolist())):
        taps = list(_echo_taps(df, af, n_echoes))
        assert shift[f].tolist() == [s for _, s, _, _ in taps]
        assert beta[f].tolist() == [b for _, _, b, _ in taps]
        assert gain[f].tolist() == [g for _, _, _, g in taps]
        for t in range(1, n_echoes + 1):
            assert shift[f, t - 1] == math.floor(t * df)
            assert beta[f, t - 1] == pytest.approx(t * df - math.floor(t * df), abs=1e-9)
            assert gain[f, t - 1] == pytest.approx(af**t, rel=1e-12, abs=1e-300)
    # an echo past 2**62 samples (legal: delays are only bounded below) is capped there, never
    # wrapped to a negative int64 by the cast
    huge, _, _ = _echo_table(torch.tensor([1e18], dtype=torch.float64), torch.tensor([0.5]), max(n_echoes, 10))
    assert huge.min() >= 1e18 and huge.max() == 2**62


@pytest.mark.parametrize("compiled", [True, False], ids=["numba-if-installed", "torch"])
def test_a_delay_that_is_not_finite_is_refused_on_both_cpu_paths(compiled, monkeypatch):
    """The internal operator (called without the public wrapper's checks, as the filterbank's forward
    does) refuses a NaN delay, or one whose echoes overflow, on the compiled and the torch path
    alike: a NaN cast to an int64 shift would otherwise reach the compiled loops as a wrapped index."""
    from sklearn_wavefront.ops import comb as C
    from sklearn_wavefront.ops._comb_torch import _echo_table

    if not compiled:
        monkeypatch.setattr(C._numba_comb_kernels, "module", False)
    x = torch.randn(2, 500)
    for bad in (float("nan"), 1e308):
        delay, alpha = torch.tensor([5.0, bad], dtype=torch.float64), torch.tensor([0.5, 0.5], dtype=torch.float64)
        with pytest.raises(ValueError):
            C._comb_envelope_torch(x.double(), delay, alpha, 10, 50, 25, "max", 0)
    with pytest.raises(ValueError, match=r"finite .*filter\(s\) \[1\]"):
        _echo_table(torch.tensor([5.0, float("nan")]), torch.tensor([0.5, 0.5]), 3)


def test_comb_filter_shapes_dtypes_and_scalar_alpha():
    x = torch.randn(3, 1, 50)  # (batch, 1, time) accepted
    y = comb_filter(x, torch.tensor([4.5, 8.0]), 0.8)
    assert y.shape == (3, 2, 50) and y.dtype == torch.float32
    ref = comb_reference(x[:, 0].double().numpy(), [4.5, 8.0], [0.8, 0.8], 10)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-5, atol=1e-5)
    yh = comb_filter(x.half(), torch.tensor([4.5, 8.0]), 0.8)
    assert yh.dtype == torch.float16
    np.testing.assert_allclose(yh.float().numpy(), ref, rtol=5e-3, atol=5e-3)


def test_comb_filter_is_causal_so_batch_padding_changes_nothing():
    x = torch.randn(2, 64, dtype=torch.float64)
    d = torch.tensor([3.3, 11.7], dtype=torch.float64)
    y = comb_filter(x, d, 0.9)
    y_padded = comb_filter(torch.nn.functional.pad(x, (0, 37)), d, 0.9)
    torch.testing.assert_close(y_padded[..., :64], y)


# -- gradients --------------------------------------------------------------------------------


def _inputs(delays, alphas, n=60, batch=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, n, dtype=torch.float64, generator=g, requires_grad=True)
    d = torch.tensor(delays, dtype=torch.float64, requires_grad=True)
    a = torch.tensor(alphas, dtype=torch.float64, requires_grad=True)
    return x, d, a


# Delays whose multiples t*D (t <= n_echoes) stay away from integers: y is smooth there.
SMOOTH_DELAYS = [2.13, 5.37, 11.41]


def test_gradcheck_comb_filter_x_delay_alpha():
    x, d, a = _inputs(SMOOTH_DELAYS, [0.9, -0.7, 0.2])
    assert torch.autograd.gradcheck(lambda x, d, a: comb_filter(x, d, a, 4), (x, d, a))


def test_gradcheck_comb_filter_scalar_alpha():
    x, d, _ = _inputs(SMOOTH_DELAYS, [0.0, 0.0, 0.0])
    a = torch.tensor(0.85, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, d, a: comb_filter(x, d, a, 4), (x, d, a))


@pytest.mark.parametrize("mode", ["max", "energy"])
@pytest.mark.parametrize("padding", ["valid", "center"])
@pytest.mark.parametrize("window, stride", [(16, 5), (7, 7), (5, 9)])
def test_gradcheck_comb_envelope(mode, padding, window, stride):
    x, d, a = _inputs(SMOOTH_DELAYS, [0.9, -0.7, 0.2])
    fn = lambda x, d, a: comb_envelope(x, d, a, window=window, stride=stride, n_echoes=4, mode=mode, padding=padding)
    assert torch.autograd.gradcheck(fn, (x, d, a))


@pytest.mark.parametrize("integer_delay", [2.0, 7.0, 16.0])
def test_gradient_at_integer_delay_is_the_right_derivative(integer_delay):
    """At integer t*D, y has a kink in D; the gradient is the one-sided (right) derivative.

    x and alpha enter smoothly there and pass gradcheck; for the delay we compare with a forward
    finite difference, and check that it is *not* the left derivative (so the test can fail).
    """
    x, d, a = _inputs([integer_delay], [0.8], n=80)
    fn = lambda x, a: comb_filter(x, d.detach(), a, 5)
    assert torch.autograd.gradcheck(fn, (x, a))

    weights = torch.randn(1, 1, 80, dtype=torch.float64, generator=torch.Generator().manual_seed(3)).expand(2, 1, 80)
    loss = lambda dd: float((comb_filter(x.detach(), dd, a.detach(), 5) * weights).sum())
    (comb_filter(x, d, a, 5) * weights).sum().backward()
    h = 1e-6
    right = (loss(d.detach() + h) - loss(d.detach())) / h
    left = (loss(d.detach()) - loss(d.detach() - h)) / h
    assert d.grad.item() == pytest.approx(right, rel=1e-5, abs=1e-7)
    assert abs(right - left) > 1e-3  # a real kink: the choice of side matters


@pytest.mark.parametrize("mode", ["max", "energy"])
@pytest.mark.parametrize("padding", ["valid", "center"])
@pytest.mark.parametrize("n, window, stride", [(40, 8, 3), (53, 10, 10), (61, 4, 9), (33, 33, 1), (100, 17, 6)])
def test_comb_envelope_matches_reference_and_length_rule(mode, padding, n, window, stride):
    x = RNG.standard_normal((2, n))
    delays, alphas = [2.5, 6.1, 15.0], [0.9, 0.5, -0.5]
    z, arg = comb_envelope(
        torch.from_numpy(x), torch.tensor(delays, dtype=torch.float64), torch.tensor(alphas, dtype=torch.float64),
        window=window, stride=stride, n_echoes=6, mode=mode, padding=padding, return_argmax=True,
    )
    pad = window // 2 if padding == "center" else 0
    z_ref, arg_ref = envelope_reference(comb_reference(x, delays, alphas, 6), window, stride, mode, pad)
    assert z.shape[-1] == envelope_length(n, window, stride, padding) == z_ref.shape[-1]
    np.testing.assert_allclose(z.numpy(), z_ref, atol=1e-12)
    if mode == "max":
        np.testing.assert_array_equal(arg.numpy(), arg_ref)  # absolute sample indices
        assert arg.min() >= 0 and arg.max() < n


def test_envelope_length_rule_many_lengths():
    d = torch.tensor([3.5])
    for n in range(9, 60, 7):
        for window in (1, 4, 9):
            for stride in (1, 3, 8):
                for padding in ("valid", "center"):
                    if padding == "valid" and n < window:
                        continue
                    z = comb_envelope(torch.randn(1, n), d, window=window, stride=stride, padding=padding, n_echoes=2)
                    pad = window // 2 if padding == "center" else 0
                    assert z.shape == (1, 1, (n + 2 * pad - window) // stride + 1)


def test_envelope_does_not_depend_on_batch_zero_padding():
    x = torch.randn(2, 200, dtype=torch.float64)
    d = torch.tensor([4.4, 9.9], dtype=torch.float64)
    for mode in ("max", "energy"):
        z = comb_envelope(x, d, window=30, stride=11, mode=mode)
        zp = comb_envelope(torch.nn.functional.pad(x, (0, 123)), d, window=30, stride=11, mode=mode)
        torch.testing.assert_close(zp[..., : z.shape[-1]], z)


# -- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(x=torch.full((1, 20), float("nan"))), "x contains NaN"),
        (dict(x=torch.tensor([[1.0, float("inf")] * 10])), "x contains NaN or infinite"),
        (dict(x=torch.randn(20)), "x must have shape"),
        (dict(x=torch.randn(2, 3, 20)), "3 channels"),
        (dict(alpha=1.0), "alpha must lie strictly inside"),
        (dict(alpha=torch.tensor([0.5, -1.2])), "alpha must lie strictly inside"),
        (dict(delay=torch.tensor([0.0, 3.0])), "delay must be finite and > 0"),
        (dict(delay=torch.tensor([[3.0]])), "delay must be a 1-D"),
        (dict(alpha=torch.tensor([0.5, 0.5, 0.5])), "alpha must be a scalar or have the shape"),
    ],
)
def test_comb_filter_rejects_bad_input(kwargs, match):
    args = dict(x=torch.randn(1, 20), delay=torch.tensor([2.5, 3.0]), alpha=0.9)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        comb_filter(args["x"], args["delay"], args["alpha"])


def test_comb_envelope_rejects_short_signal_and_bad_params():
    with pytest.raises(ValueError, match="x has 10 samples but at least 11"):
        comb_envelope(torch.randn(1, 10), torch.tensor([2.5]), window=11, stride=2)
    with pytest.raises(ValueError, match="mode"):
        comb_envelope(torch.randn(1, 50), torch.tensor([2.5]), window=11, stride=2, mode="mean")
    with pytest.raises(ValueError, match="window"):
        comb_envelope(torch.randn(1, 50), torch.tensor([2.5]), window=0, stride=2)
    with pytest.raises(ValueError, match="n_echoes"):
        comb_filter(torch.randn(1, 50), torch.tensor([2.5]), n_echoes=0)


# -- exact IIR ----------------------------------------------------------------------------------


@pytest.mark.parametrize("n, k", [(1, 1), (5, 3), (100, 1), (257, 7), (1000, 99), (1000, 1000), (300, 999), (4099, 64)])
@pytest.mark.parametrize("alpha", [0.9, -0.95, 0.0])
def test_comb_iir_matches_lfilter(n, k, alpha):
    x = RNG.standard_normal((3, n))
    denominator = np.zeros(k + 1)
    denominator[0], denominator[k] = 1.0, -alpha
    ref = scipy.signal.lfilter([1.0], denominator, x, axis=-1)
    y = comb_iir(torch.from_numpy(x), [k], alpha)
    np.testing.assert_allclose(y[:, 0].numpy(), ref, atol=1e-11)


def test_comb_iir_per_filter_delays_and_gains_float32():
    x = RNG.standard_normal((2, 5000)).astype(np.float32)
    delays, alphas = [20, 37, 160], [0.9, 0.5, -0.8]
    y = comb_iir(torch.from_numpy(x), torch.tensor(delays), torch.tensor(alphas))
    assert y.shape == (2, 3, 5000) and y.dtype == torch.float32
    for f, (k, a) in enumerate(zip(delays, alphas)):
        den = np.zeros(k + 1)
        den[0], den[k] = 1.0, -a
        np.testing.assert_allclose(y[:, f].numpy(), scipy.signal.lfilter([1.0], den, x.astype(np.float64)), atol=2e-5)


@pytest.mark.parametrize("compiled", [True, False], ids=["numba-if-installed", "torch"])
@pytest.mark.parametrize("chunk_sizes", [[1000], [1, 2, 3, 994], [333, 333, 334], [7] * 142 + [6], [50, 0, 950]])
def test_streaming_equals_whole_signal(chunk_sizes, compiled, monkeypatch):
    if not compiled:  # the stream then runs the torch kernel; the whole-signal reference too
        from sklearn_wavefront.ops import iir as iir_module

        monkeypatch.setattr(iir_module._numba_kernels, "module", False)
    x = torch.from_numpy(RNG.standard_normal((2, 1000)))
    delays, alpha = [3, 17, 250], [0.9, -0.6, 0.99]
    whole = comb_iir(x, delays, alpha)
    stream = CombIIRStream(delays, alpha)
    pieces = [stream.process(c) for c in torch.split(x, chunk_sizes, dim=-1) if c.shape[-1] > 0]
    torch.testing.assert_close(torch.cat(pieces, dim=-1), whole, rtol=0, atol=1e-12)
    stream.reset()
    torch.testing.assert_close(stream.process(x), whole, rtol=0, atol=1e-12)


def test_streaming_rejects_batch_change():
    stream = CombIIRStream([5])
    stream.process(torch.randn(2, 10))
    with pytest.raises(ValueError, match="reset"):
        stream.process(torch.randn(3, 10))


@pytest.mark.parametrize(
    "delay, alpha, match",
    [([2.5], 0.9, "integers"), ([0], 0.9, "integers"), ([3], 1.0, "alpha"), ([3, 4], [0.5], "alpha must be a scalar")],
)
def test_comb_iir_rejects_bad_parameters(delay, alpha, match):
    with pytest.raises(ValueError, match=match):
        comb_iir(torch.randn(1, 10), delay, alpha)


def test_iir_and_truncated_fir_peak_gains_differ_as_documented():
    """Peak gain 1/(1-alpha) for the IIR vs (1 - alpha^(T+1))/(1 - alpha) for the T-echo surrogate."""
    n, k, alpha, t = 4000, 40, 0.9, 10
    x = torch.from_numpy(np.cos(2 * np.pi * np.arange(n) / k))[None]  # a sinusoid at the comb's f0
    iir = comb_iir(x, [k], alpha)[0, 0, -k:].abs().max().item()
    fir = comb_filter(x, torch.tensor([float(k)], dtype=torch.float64), alpha, t)[0, 0, -k:].abs().max().item()
    # after n/k periods the IIR has summed n/k echoes: (1 - alpha^(n/k)) / (1 - alpha) -> 1/(1 - alpha)
    assert iir == pytest.approx((1 - alpha ** (n // k)) / (1 - alpha), rel=1e-9)
    assert iir == pytest.approx(1 / (1 - alpha), rel=1e-4)
    assert fir == pytest.approx((1 - alpha ** (t + 1)) / (1 - alpha), rel=1e-9)
    assert fir == pytest.approx(6.8619, abs=1e-4)
