"""Tests of the learnable gammatone (SpectNet) filterbank against numpy and scipy references."""

import numpy as np
import pytest
import scipy.fft
import scipy.signal
import torch

from sklearn_wavefront.filterbanks._scales import erb_bandwidth, mel_spaced
from sklearn_wavefront.filterbanks.gammatone import GammatoneFilterbank

try:
    from ._gradcheck import gradcheck_parameters
except ImportError:
    from _gradcheck import gradcheck_parameters

ALL = {"center_hz_raw", "bandwidth_raw", "order_raw", "phase", "log_amplitude"}


def tiny(**kw):
    params = dict(sample_rate=1000, n_filters=3, kernel_size=21, fmin=50.0, window_seconds=0.01, hop_seconds=0.005)
    params.update(kw)
    return GammatoneFilterbank(**params)


def perturb(fb, seed=0):
    """Move every raw parameter away from its initial value (phase and order included)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in fb.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=g, dtype=p.dtype))
    return fb


def numpy_gammatone(fb):
    """Independent float64 evaluation of a t^(n-1) exp(-2 pi b t) cos(2 pi f t + phi)."""
    t = np.arange(fb.kernel_size) / fb.sample_rate
    f = fb.sample_rate / 2 / (1 + np.exp(-fb.center_hz_raw.detach().double().numpy()))
    b = np.log1p(np.exp(fb.bandwidth_raw.detach().double().numpy()))
    n = 1.001 + np.log1p(np.exp(fb.order_raw.detach().double().numpy()))  # documented: n = 1.001 + softplus(u)
    phi = fb.phase.detach().double().numpy()
    g = t[None, :] ** (n[:, None] - 1) * np.exp(-2 * np.pi * b[:, None] * t) * np.cos(2 * np.pi * f[:, None] * t + phi[:, None])
    return g, f


def dtft_at(h, f, fs):
    k = np.arange(h.shape[-1])
    return np.abs(np.sum(h * np.exp(-2j * np.pi * f[:, None] * k / fs), axis=1))


# ---------------------------------------------------------------------------------------------- gradients
@pytest.mark.parametrize(
    "kw, expected",
    [
        (dict(), ALL),
        (dict(amplitude="normalize"), ALL - {"log_amplitude"}),
        (dict(n_cepstra=2, compression="db"), ALL),
    ],
)
def test_gradcheck_every_learnable_parameter(kw, expected):
    fb = perturb(tiny(**kw))
    x = torch.randn(1, 60, generator=torch.Generator().manual_seed(0))
    assert set(gradcheck_parameters(fb, x)) == expected
    assert set(gradcheck_parameters(fb, x, fn=lambda m, inp: m.kernels())) == expected
    assert fb.center_hz_raw.shape == (3,)  # every filter, lowest and highest, is in the checked tensors


def test_order_gradient_is_finite_at_t0():
    fb = tiny(order=1.5).double()
    k = fb.kernels()
    assert torch.all(k[:, 0] == 0)
    k[:, 0].sum().backward(retain_graph=True)
    assert torch.all(torch.isfinite(fb.order_raw.grad))
    fb.zero_grad()
    fb.kernels().square().sum().backward()
    for name, p in fb.named_parameters():
        assert torch.all(torch.isfinite(p.grad)), name
        assert torch.all(p.grad != 0), name


# ---------------------------------------------------------------------------------------------- kernels
def test_kernels_match_numpy_formula():
    fb = perturb(GammatoneFilterbank(sample_rate=16000, n_filters=8, kernel_size=200), seed=1).double()
    g, _ = numpy_gammatone(fb)
    a = np.exp(fb.log_amplitude.detach().numpy())
    np.testing.assert_allclose(fb.kernels().detach().numpy(), a[:, None] * g, rtol=1e-9, atol=1e-300)
    assert fb.t.shape == (200,) and "t" in dict(fb.named_buffers())
    np.testing.assert_allclose(fb.t.numpy(), np.arange(200) / 16000)


def test_normalized_kernels_have_unit_gain_at_centre():
    fb = perturb(GammatoneFilterbank(sample_rate=16000, n_filters=8, kernel_size=300, amplitude="normalize"), seed=2).double()
    g, f = numpy_gammatone(fb)
    h = fb.kernels().detach().numpy()
    np.testing.assert_allclose(h, g / dtft_at(g, f, 16000)[:, None], rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(dtft_at(h, f, 16000), 1.0, rtol=1e-9)


def test_learned_amplitude_initialised_to_unit_gain():
    fb = GammatoneFilterbank(sample_rate=16000, n_filters=16, kernel_size=400)
    h = fb.kernels().detach().double().numpy()
    np.testing.assert_allclose(dtft_at(h, fb.center_frequencies(), 16000), 1.0, rtol=1e-4)


@pytest.mark.parametrize("fs, K", [(16000, 400), (8000, 256), (44100, 1024)])
def test_kernels_match_scipy_gammatone_up_to_scale(fs, K):
    fb = GammatoneFilterbank(sample_rate=fs, n_filters=12, kernel_size=K, fmin=200.0).double()
    h = fb.kernels().detach().numpy()
    for i, f in enumerate(fb.center_frequencies()):
        ref, _ = scipy.signal.gammatone(f, "fir", numtaps=K, fs=fs)
        corr = h[i] @ ref / (np.linalg.norm(h[i]) * np.linalg.norm(ref))
        assert corr > 0.99999, (f, corr)


def test_init_follows_mel_spacing_and_erb_rule():
    fb = GammatoneFilterbank(sample_rate=16000, n_filters=20, kernel_size=100, fmin=100.0, fmax=7000.0)
    f = mel_spaced(100.0, 7000.0, 20)
    np.testing.assert_allclose(fb.center_frequencies(), f, rtol=1e-5)
    np.testing.assert_allclose(fb.bandwidth_hz().detach().numpy(), 1.019 * erb_bandwidth(f), rtol=1e-5)
    np.testing.assert_allclose(fb.orders().detach().numpy(), 4.0, rtol=1e-6)
    assert torch.all(fb.phase == 0)


def test_frequency_response_peaks_at_centre_frequency():
    fb = GammatoneFilterbank(sample_rate=16000, n_filters=24, kernel_size=800, fmin=150.0)
    freqs, mag = fb.frequency_response(8001)
    peak = freqs[mag.argmax(axis=1)]
    c = fb.center_frequencies()
    assert np.all(np.abs(peak - c) <= 0.01 * c + 2 * (freqs[1] - freqs[0]))


def test_parameter_constraints_hold_after_perturbation():
    fb = GammatoneFilterbank(sample_rate=8000, n_filters=16, kernel_size=64).double()
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in fb.parameters():
            p.add_(10 * torch.randn(p.shape, generator=g, dtype=p.dtype))
    f = fb.center_hz()
    assert torch.all(f > 0) and torch.all(f < 4000)
    assert torch.all(fb.bandwidth_hz() > 0)
    assert torch.all(fb.orders() > 1)
    assert torch.isfinite(fb.kernels()).all()


def test_static_is_same_module_frozen():
    learn = GammatoneFilterbank(sample_rate=8000, n_filters=6, kernel_size=64)
    static = GammatoneFilterbank(sample_rate=8000, n_filters=6, kernel_size=64, learnable=False)
    assert list(static.parameters()) == []
    assert set(dict(static.named_buffers())) == ALL | {"t"}
    torch.testing.assert_close(static.kernels(), learn.kernels().detach())
    static.load_state_dict(learn.state_dict())


# ---------------------------------------------------------------------------------------------- forward
def test_spectrogram_matches_manual_pipeline():
    fb = perturb(tiny(n_filters=4, kernel_size=21)).double()
    x = torch.randn(2, 150, dtype=torch.float64)
    h = fb.kernels().detach().numpy()
    W, H = fb.window_length, fb.hop_length
    assert (W, H) == (10, 5)
    n = fb.output_length(150)
    ref = np.empty((2, 4, n))
    for b in range(2):
        for f in range(4):
            y = np.convolve(x[b].numpy(), h[f], mode="valid") ** 2
            ref[b, f] = [np.log(y[j * H : j * H + W].mean() + 1e-6) for j in range(n)]
    out = fb(x).detach().numpy()
    np.testing.assert_allclose(out, ref, rtol=1e-10)
    img = fb.image(x)
    assert img.shape == (2, 1, n, 4)
    np.testing.assert_allclose(img[:, 0].detach().numpy(), ref.transpose(0, 2, 1), rtol=1e-10)


def test_cepstra_are_orthonormal_dct_of_log_energies():
    x = torch.randn(2, 4000, dtype=torch.float64)
    spec = GammatoneFilterbank(sample_rate=8000, n_filters=16, kernel_size=128).double()(x).detach().numpy()
    fb = GammatoneFilterbank(sample_rate=8000, n_filters=16, kernel_size=128, n_cepstra=7).double()
    assert fb.n_outputs == 7 and fb.n_filters == 16
    ref = scipy.fft.dct(spec, type=2, norm="ortho", axis=1)[:, :7]
    np.testing.assert_allclose(fb(x).detach().numpy(), ref, rtol=1e-7, atol=1e-6)  # DCT rows stored in float32
    assert fb.image(x).shape == (2, 1, spec.shape[-1], 7)


@pytest.mark.parametrize("N", [200, 401, 1000, 1601])
@pytest.mark.parametrize("win, hop", [(0.025, 0.010), (0.010, 0.010), (0.032, 0.004)])
def test_output_length_rule(N, win, hop):
    fs, K = 8000, 100
    fb = GammatoneFilterbank(sample_rate=fs, n_filters=4, kernel_size=K, window_seconds=win, hop_seconds=hop)
    W, H = round(win * fs), round(hop * fs)
    if N < K + W - 1:
        assert fb.output_length(N) == 0
        with pytest.raises(ValueError, match="window_length"):
            fb(torch.randn(1, N))
        return
    expected = (N - K + 1 - W) // H + 1
    assert fb.output_length(N) == expected
    assert fb(torch.randn(2, N)).shape == (2, 4, expected)


@pytest.mark.parametrize("multirate, tol", [(False, 1e-5), (True, 1e-3)])
def test_zero_padding_does_not_change_frames(multirate, tol):
    """Exactly at full rate; with multirate within its tolerance (see test_sinc's twin)."""
    fb = GammatoneFilterbank(sample_rate=8000, n_filters=8, kernel_size=128, n_cepstra=5, multirate=multirate)
    x = torch.randn(2, 1234)
    n = fb.output_length(1234)
    y = fb(torch.cat([x, torch.zeros(2, 333)], 1))[..., :n]
    torch.testing.assert_close(y, fb(x), rtol=tol, atol=tol)


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(n_filters=0), "n_filters"),
        (dict(fmax=4500.0), "fmax"),
        (dict(fmin=0.0), "fmin"),
        (dict(fmin=-10.0), "fmin"),
        (dict(order=1.0), "order"),
        (dict(order=0.0), "order"),
        (dict(amplitude="free"), "amplitude"),
        (dict(n_cepstra=20), "n_cepstra"),
        (dict(window_seconds=0.0), "window_seconds"),
        (dict(hop_seconds=-1.0), "hop_seconds"),
        (dict(kernel_size=0), "kernel_size"),
    ],
)
def test_bad_parameters_raise(kw, match):
    params = dict(sample_rate=8000, n_filters=16, kernel_size=64)
    params.update(kw)
    with pytest.raises(ValueError, match=match):
        GammatoneFilterbank(**params)


@pytest.mark.parametrize(
    "x, match",
    [(torch.full((1, 500), float("nan")), "NaN"), (torch.randn(500), "shape"), (torch.randn(1, 3, 500), "channels")],
)
def test_bad_input_raises(x, match):
    with pytest.raises(ValueError, match=match):
        GammatoneFilterbank(sample_rate=8000, n_filters=4, kernel_size=64)(x)


@pytest.mark.parametrize("amplitude", ["normalize", "learn"])
@pytest.mark.parametrize("sample_rate, order", [(16000, 8), (16000, 12), (48000, 16), (48000, 24)])
def test_high_orders_keep_finite_gradients_and_unit_gain_in_float32(amplitude, sample_rate, order):
    """Unscaled, t^(n-1) exp(-2 pi b t) underflows float32 for high orders and wide bands (NaN gradients)."""
    fb = GammatoneFilterbank(sample_rate=sample_rate, n_filters=8, amplitude=amplitude, order=order)
    fb(torch.randn(2, 3000, generator=torch.Generator().manual_seed(0))).mean().backward()
    for name, p in fb.named_parameters():
        assert torch.isfinite(p.grad).all(), name
    freqs, mag = fb.frequency_response(4097)
    gains = [np.interp(f, freqs, m) for f, m in zip(fb.center_frequencies(), mag)]
    np.testing.assert_allclose(gains, 1.0, atol=5e-3)


def test_order_stays_above_one_for_any_parameter_value():
    fb = GammatoneFilterbank(sample_rate=8000, n_filters=3)
    with torch.no_grad():
        fb.order_raw.copy_(torch.tensor([-1e4, -40.0, 0.0]))
    assert torch.all(fb.orders() > 1)
    fb(torch.randn(1, 2000)).sum().backward()
    assert torch.isfinite(fb.order_raw.grad).all()
