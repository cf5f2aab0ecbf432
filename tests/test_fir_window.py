"""Tests of the IConNet FIR-window filterbank against independent numpy/scipy references."""

import math

import numpy as np
import pytest
import scipy.signal
import torch

from sklearn_wavefront.filterbanks._scales import mel_band_edges
from sklearn_wavefront.filterbanks.fir_window import WINDOW_COEFFICIENTS, FIRWindowFilterbank

try:
    from ._gradcheck import gradcheck_parameters
except ImportError:
    from _gradcheck import gradcheck_parameters


def tiny(**kw):
    params = dict(sample_rate=1000, n_filters=4, kernel_size=15, fmin=40.0, n_low_filters=1, min_low_hz=5.0, stride=10)
    params.update(kw)
    return FIRWindowFilterbank(**params)


def set_bands(fb, lo, hi):
    """Point the raw band parameters at the given (low, high) edges in Hz."""
    u, v = fb._raw_from_edges(np.asarray(lo, float), np.asarray(hi, float))
    with torch.no_grad():
        fb.low_hz_raw.copy_(torch.as_tensor(u))
        fb.band_hz_raw.copy_(torch.as_tensor(v))


def numpy_kernels(lo, hi, window, fs, K):
    """Independent reference: windowed difference of np.sinc low-passes, unit gain at the band centre."""
    m = np.arange(K) - (K - 1) / 2
    h = 2 * hi[:, None] / fs * np.sinc(2 * hi[:, None] * m / fs) - 2 * lo[:, None] / fs * np.sinc(2 * lo[:, None] * m / fs)
    h = h * window
    fc = (lo + hi) / 2
    gain = np.abs(np.sum(h * np.exp(-2j * np.pi * fc[:, None] * np.arange(K) / fs), axis=1))
    return h / gain[:, None]


def dtft(h, freqs, fs):
    k = np.arange(h.shape[-1])
    return np.abs(h @ np.exp(-2j * np.pi * np.outer(k, freqs) / fs))


# ---------------------------------------------------------------------------------------------- gradients
@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(envelope="square", pooling="max", compression="log", lrn_size=3),
        dict(window="blackman", compression="db", conv_method="fft"),
    ],
)
def test_gradcheck_every_learnable_parameter(kw):
    fb = tiny(**kw)
    x = torch.randn(1, 70, generator=torch.Generator().manual_seed(0))
    checked = gradcheck_parameters(fb, x)
    assert set(checked) == {"low_hz_raw", "band_hz_raw", "window_coefficients"}
    # every filter (the lowest, a linear low band, and the highest, next to Nyquist) is in the checked tensors
    assert fb.low_hz_raw.shape == (fb.n_filters,)
    assert fb.window_coefficients.shape[0] == fb.n_filters
    assert fb.bands()[0, 0] < fb.fmin and fb.bands()[-1, 1] > 0.99 * fb.sample_rate / 2


def test_gradcheck_kernels_directly_and_extremes_receive_gradient():
    fb = tiny(window=[0.4, 0.5, 0.1])
    checked = gradcheck_parameters(fb, torch.zeros(1, 1), fn=lambda m, x: m.kernels())
    assert set(checked) == {"low_hz_raw", "band_hz_raw", "window_coefficients"}
    for row in (0, fb.n_filters - 1):
        fb.zero_grad()
        fb.kernels()[row].square().sum().backward()
        for p in (fb.low_hz_raw, fb.band_hz_raw):
            assert p.grad[row] != 0
            others = torch.ones(fb.n_filters, dtype=bool)
            others[row] = False
            assert torch.all(p.grad[others] == 0)


@pytest.mark.parametrize(
    "learn_bands, learn_windows, expected",
    [(True, False, {"low_hz_raw", "band_hz_raw"}), (False, True, {"window_coefficients"}), (True, True, {"low_hz_raw", "band_hz_raw", "window_coefficients"}), (False, False, set())],
)
def test_variants_freeze_parameters(learn_bands, learn_windows, expected):
    fb = tiny(learn_bands=learn_bands, learn_windows=learn_windows)
    assert {n for n, p in fb.named_parameters() if p.requires_grad} == expected
    buffers = {n for n, _ in fb.named_buffers()}
    assert buffers == {"low_hz_raw", "band_hz_raw", "window_coefficients"} - expected
    # a training step moves only the learnable tensors
    before = {k: v.clone() for k, v in fb.state_dict().items()}
    opt = torch.optim.SGD([p for p in fb.parameters()], lr=1.0) if expected else None
    out = fb(torch.randn(2, 80)).sum()
    if opt:
        out.backward()
        opt.step()
    for k, v in fb.state_dict().items():
        assert torch.equal(v, before[k]) == (k not in expected)


# ---------------------------------------------------------------------------------------------- windows
@pytest.mark.parametrize("K", [15, 31, 101])
@pytest.mark.parametrize("window", ["hann", "hamming", "blackman", (0.3635819, 0.4891775, 0.1365995, 0.0106411)])
def test_windows_match_scipy_general_cosine(K, window):
    fb = FIRWindowFilterbank(sample_rate=8000, n_filters=3, kernel_size=K, window=window, stride=4)
    a = WINDOW_COEFFICIENTS[window] if isinstance(window, str) else window
    ref = scipy.signal.windows.general_cosine(K, a, sym=True)
    np.testing.assert_allclose(fb.windows().detach().numpy(), np.tile(ref, (3, 1)), atol=1e-6)


def test_learned_window_coefficients_match_general_cosine_per_filter():
    fb = tiny(window="blackman").double()
    rng = np.random.default_rng(1)
    a = rng.uniform(0, 1, size=(fb.n_filters, 3))
    with torch.no_grad():
        fb.window_coefficients.copy_(torch.as_tensor(a))
    for i in range(fb.n_filters):
        ref = scipy.signal.windows.general_cosine(fb.kernel_size, a[i], sym=True)
        np.testing.assert_allclose(fb.windows()[i].detach().numpy(), ref, atol=1e-12)


# ---------------------------------------------------------------------------------------------- kernels
def test_kernels_match_numpy_reference():
    fb = FIRWindowFilterbank(sample_rate=16000, n_filters=12, kernel_size=63, fmin=60.0, n_low_filters=2, min_low_hz=5.0).double()
    lo, hi = fb.bands().T
    ref = numpy_kernels(lo, hi, scipy.signal.windows.hann(63, sym=True), 16000, 63)
    np.testing.assert_allclose(fb.kernels().detach().numpy(), ref, rtol=1e-9, atol=1e-12)


def test_kernels_pass_their_band_and_are_symmetric():
    fs, K = 16000, 255
    rng = np.random.default_rng(0)
    n = 40
    fb = FIRWindowFilterbank(sample_rate=fs, n_filters=n, kernel_size=K, fmin=30.0).double()
    mainlobe = 4 * fs / K  # Hann mainlobe width (two-sided), Hz
    lo = rng.uniform(10, 6000, n)
    hi = lo + rng.uniform(5, 2000, n)
    hi = np.minimum(hi, fs / 2 - 10)
    set_bands(fb, lo, hi)
    # also random (but valid, positive-sum) learned windows
    with torch.no_grad():
        fb.window_coefficients.add_(torch.as_tensor(rng.uniform(-0.05, 0.05, (n, 2))))
    h = fb.kernels().detach().numpy()
    np.testing.assert_allclose(h, h[:, ::-1], atol=1e-12)  # linear phase, never rectified
    freqs = np.linspace(0, fs / 2, 4001)
    resp = dtft(h, freqs, fs)
    lo_t, hi_t = fb.bands().T
    np.testing.assert_allclose(lo_t, lo, atol=1e-6)
    np.testing.assert_allclose(hi_t, hi, atol=1e-6)
    centre = np.abs(np.sum(h * np.exp(-2j * np.pi * ((lo + hi) / 2)[:, None] * np.arange(K) / fs), axis=1))
    np.testing.assert_allclose(centre, 1.0, rtol=1e-9)  # the stated gain norm
    n_checked = 0
    for i in range(n):
        far = (freqs < lo[i] - 3 * mainlobe) | (freqs > hi[i] + 3 * mainlobe)
        if not far.any():
            continue
        n_checked += 1
        assert 20 * np.log10(centre[i] / resp[i, far].max()) >= 20.0, (lo[i], hi[i])
    assert n_checked >= n - 2


def test_kernel_has_unit_gain_at_centre_through_frequency_response():
    fb = FIRWindowFilterbank(sample_rate=16000, n_filters=16, kernel_size=255)
    freqs, mag = fb.frequency_response(8001)
    c = fb.center_frequencies()
    at_c = np.array([np.interp(c[i], freqs, mag[i]) for i in range(16)])
    np.testing.assert_allclose(at_c, 1.0, atol=2e-3)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_band_constraints_hold_after_large_perturbations(dtype):
    fb = FIRWindowFilterbank(sample_rate=8000, n_filters=32, kernel_size=31, min_low_hz=20.0, min_band_hz=3.0, fmin=40.0).to(dtype)
    g = torch.Generator().manual_seed(0)
    for scale in (1.0, 10.0, 100.0, 1e4):
        with torch.no_grad():
            fb.low_hz_raw.add_(scale * torch.randn(32, generator=g, dtype=dtype))
            fb.band_hz_raw.add_(scale * torch.randn(32, generator=g, dtype=dtype))
        lo, b = fb.low_hz(), fb.band_hz()
        assert torch.all(lo >= 20.0)
        assert torch.all(b >= 3.0)
        assert torch.all(lo + b < 4000.0)
        assert torch.all(lo + b <= 4000.0 - fb.nyquist_margin_hz + 1e-2)
        assert torch.isfinite(fb.kernels()).all()


# ---------------------------------------------------------------------------------------------- initialisation
def test_init_is_exactly_mel_spaced_plus_linear_low_bands():
    fb = FIRWindowFilterbank(sample_rate=16000, n_filters=10, kernel_size=101, fmin=100.0, fmax=4000.0, n_low_filters=3, min_low_hz=10.0)
    bands = fb.bands()
    assert bands.shape == (10, 2)
    expected_edges = np.concatenate([np.linspace(10.0, 100.0, 4)[:-1], mel_band_edges(100.0, 4000.0, 7)])
    np.testing.assert_allclose(bands[1:, 0], expected_edges[1:-1], atol=0.01)
    # the edge sitting on the bound min_low_hz is moved inside by 1e-4 of the admissible range
    span = 8000.0 - fb.nyquist_margin_hz - 10.0 - fb.min_band_hz
    assert 10.0 < bands[0, 0] <= 10.0 + 1e-4 * span + 1e-3
    np.testing.assert_allclose(bands[:, 1], expected_edges[1:], atol=0.01)
    np.testing.assert_allclose(bands[1:, 0], bands[:-1, 1], atol=0.01)  # adjacent
    np.testing.assert_allclose(fb.center_frequencies(), bands.mean(1), rtol=1e-6)


@pytest.mark.parametrize("fs", [4000, 8000, 22050])
def test_init_uses_own_sample_rate(fs):
    fb = FIRWindowFilterbank(sample_rate=fs, n_filters=20, kernel_size=51, stride=2)
    bands = fb.bands()
    edges = mel_band_edges(30.0, fs / 2, 20)
    np.testing.assert_allclose(bands[:-1, 1], edges[1:-1], rtol=1e-5)
    assert fs / 2 - 2 < bands[-1, 1] < fs / 2


# ---------------------------------------------------------------------------------------------- forward
def test_forward_matches_manual_pipeline():
    """The full-rate block (multirate=False) is exactly the documented pipeline."""
    fb = FIRWindowFilterbank(sample_rate=8000, n_filters=5, kernel_size=31, stride=16, lrn_size=3, multirate=False).double()
    x = torch.randn(3, 400, dtype=torch.float64)
    h = fb.kernels().detach().numpy()
    ref = np.empty((3, 5, fb.output_length(400)))
    for b in range(3):
        for f in range(5):
            y = np.abs(np.convolve(x[b].numpy(), h[f], mode="valid"))
            frames = y[: (len(y) // 16) * 16].reshape(-1, 16).mean(1)
            ref[b, f] = np.log1p(frames)
    ref = torch.nn.functional.local_response_norm(torch.as_tensor(ref), 3).numpy()
    np.testing.assert_allclose(fb(x).detach().numpy(), ref, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("N", [131, 160, 161, 500, 1013])
@pytest.mark.parametrize("K, stride", [(15, 1), (31, 7), (63, 32), (101, 100)])
def test_output_length_rule(N, K, stride):
    fb = FIRWindowFilterbank(sample_rate=8000, n_filters=3, kernel_size=K, stride=stride)
    if N < K + stride - 1:
        assert fb.output_length(N) == 0
        with pytest.raises(ValueError, match=f"at least {K + stride - 1}"):
            fb(torch.randn(2, N))
        return
    expected = (N - K + 1 - stride) // stride + 1
    assert fb.output_length(N) == expected
    assert fb(torch.randn(2, N)).shape == (2, 3, expected)
    assert fb(torch.randn(2, 1, N)).shape == (2, 3, expected)
    assert fb.min_input_length() == K + stride - 1


@pytest.mark.parametrize("kw", [dict(), dict(pooling="max", lrn_size=3), dict(conv_method="fft")])
def test_zero_padding_does_not_change_frames(kw):
    fb = FIRWindowFilterbank(sample_rate=8000, n_filters=6, kernel_size=31, stride=8, **kw)
    x = torch.randn(2, 301)
    n = fb.output_length(301)
    padded = torch.cat([x, torch.zeros(2, 77)], dim=1)
    torch.testing.assert_close(fb(padded)[..., :n], fb(x), rtol=1e-5, atol=1e-6)


def test_short_signal_raises():
    fb = FIRWindowFilterbank(sample_rate=8000, n_filters=3, kernel_size=31, stride=8)
    fb(torch.randn(1, 38))
    with pytest.raises(ValueError, match="kernel_size=31"):
        fb(torch.randn(1, 37))


@pytest.mark.parametrize("N", [31, 32, 97, 257, 1009, 4099])
def test_fft_convolution_equals_direct_float32(N):
    fb = FIRWindowFilterbank(sample_rate=16000, n_filters=8, kernel_size=31, stride=1, conv_method="direct")
    x = torch.randn(3, N, generator=torch.Generator().manual_seed(N))
    direct = fb.filter(x)
    fb.conv_method = "fft"
    fft = fb.filter(x)
    assert fft.dtype == torch.float32 and fft.shape == (3, 8, N - 30)
    assert (fft - direct).abs().max() <= 1e-5


def test_auto_conv_method_uses_fft_for_long_kernels():
    fb = FIRWindowFilterbank(sample_rate=16000, n_filters=4, kernel_size=301, stride=50)
    x = torch.randn(2, 1001)
    auto = fb(x)
    fb.conv_method = "direct"
    torch.testing.assert_close(auto, fb(x), rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(n_filters=0), "n_filters"),
        (dict(fmax=9000.0), "fmax"),
        (dict(fmin=0.0), "fmin"),
        (dict(fmin=-5.0), "fmin"),
        (dict(fmin=5000.0, fmax=4000.0), "fmin"),
        (dict(kernel_size=100), "kernel_size"),
        (dict(kernel_size=1), "kernel_size"),
        (dict(stride=0), "stride"),
        (dict(window="kaiser"), "window"),
        (dict(window=[[0.5, 0.5]]), "window"),
        (dict(n_low_filters=8), "n_low_filters"),
        (dict(min_band_hz=500.0), "min_band_hz"),
        (dict(min_low_hz=50.0), "min_low_hz"),
        (dict(min_low_hz=-1.0), "min_low_hz"),
        (dict(envelope="rms"), "envelope"),
        (dict(pooling="median"), "pooling"),
        (dict(compression="sqrt"), "compression"),
        (dict(lrn_size=0), "lrn_size"),
    ],
)
def test_bad_parameters_raise(kw, match):
    params = dict(sample_rate=16000, n_filters=8, kernel_size=101)
    params.update(kw)
    with pytest.raises(ValueError, match=match):
        FIRWindowFilterbank(**params)


@pytest.mark.parametrize(
    "x, match",
    [
        (torch.full((1, 300), float("nan")), "NaN"),
        (torch.tensor([[0.0] * 299 + [float("inf")]]), "infinite"),
        (torch.randn(300), "shape"),
        (torch.randn(1, 1, 1, 300), "shape"),
        (torch.randn(2, 2, 300), "channels"),
    ],
)
def test_bad_input_raises(x, match):
    fb = FIRWindowFilterbank(sample_rate=8000, n_filters=3, kernel_size=31, stride=8)
    with pytest.raises(ValueError, match=match):
        fb(x)


def test_protocol_attributes():
    fb = FIRWindowFilterbank(sample_rate=8000, n_filters=7, kernel_size=31)
    assert fb.sample_rate == 8000.0 and fb.n_filters == fb.n_outputs == 7
    c = fb.center_frequencies()
    assert isinstance(c, np.ndarray) and c.shape == (7,) and np.all(np.diff(c) > 0)
    freqs, mag = fb.frequency_response(257)
    assert freqs.shape == (257,) and mag.shape == (7, 257)
    assert math.isclose(freqs[-1], 4000.0)


@pytest.mark.parametrize("dtype, kernel_size, fft", [
    (torch.float32, 127, False), (torch.float32, 161, True), (torch.float64, 63, False), (torch.float64, 81, True),
])
def test_auto_conv_method_follows_the_measured_crossover_per_dtype(dtype, kernel_size, fft):
    fb = FIRWindowFilterbank(sample_rate=16000, n_filters=4, kernel_size=kernel_size, stride=50).to(dtype)
    assert fb.uses_fft(dtype) is fft
    x = torch.randn(2, 1001, dtype=dtype)
    auto = fb(x)
    fb.conv_method = "direct"
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    torch.testing.assert_close(auto, fb(x), rtol=tol, atol=tol)
    fb.conv_method = "fft"
    assert fb.uses_fft(dtype) and fb.uses_fft(torch.float64)
