"""Tests of the SincNet baseline filterbank."""

import numpy as np
import pytest
import scipy.signal
import torch

from sklearn_wavefront.filterbanks._scales import mel_band_edges
from sklearn_wavefront.filterbanks.fir_window import FIRWindowFilterbank
from sklearn_wavefront.filterbanks.sinc import SincFilterbank

try:
    from ._gradcheck import gradcheck_parameters
except ImportError:
    from _gradcheck import gradcheck_parameters


def tiny(**kw):
    params = dict(sample_rate=1000, n_filters=3, kernel_size=25, fmin=30.0, min_low_hz=20.0, min_band_hz=5.0, stride=10)
    params.update(kw)
    return SincFilterbank(**params)


def test_gradcheck_band_parameters_only():
    fb = tiny()
    checked = gradcheck_parameters(fb, torch.randn(1, 70, generator=torch.Generator().manual_seed(3)))
    assert set(checked) == {"low_hz_raw", "band_hz_raw"}
    assert fb.low_hz_raw.shape == (3,)  # lowest and highest filter inside the checked tensors
    checked = gradcheck_parameters(fb, torch.zeros(1, 1), fn=lambda m, x: m.kernels())
    assert set(checked) == {"low_hz_raw", "band_hz_raw"}


def test_gradient_does_not_vanish_at_the_bounds():
    """SincNet's abs + clamp zeroes the gradient of a filter pushed past a bound; the sigmoid does not."""
    fb = tiny().double()
    with torch.no_grad():
        fb.low_hz_raw.fill_(-12.0)  # f_lo very close to min_low_hz
        fb.band_hz_raw.fill_(12.0)  # f_hi very close to the Nyquist margin
    assert torch.all(fb.low_hz() - fb.min_low_hz < 1e-2)
    fb.kernels().square().sum().backward()
    assert torch.all(fb.low_hz_raw.grad != 0) and torch.all(fb.band_hz_raw.grad != 0)


def test_window_is_fixed_hamming():
    fb = SincFilterbank(sample_rate=16000, n_filters=10, kernel_size=101)
    ref = scipy.signal.windows.hamming(101, sym=True)
    np.testing.assert_allclose(fb.windows().numpy(), np.tile(ref, (10, 1)), atol=1e-6)
    assert "window_coefficients" in dict(fb.named_buffers())
    assert "window_coefficients" not in dict(fb.named_parameters())
    assert isinstance(fb, FIRWindowFilterbank) and fb.pooling == "max"


def test_kernels_match_sincnet_formula():
    """Independent numpy SincNet kernel: Hamming x (2 f2 sinc(2 f2 t) - 2 f1 sinc(2 f1 t)), unit gain at centre."""
    fs, K = 16000, 251
    fb = SincFilterbank(sample_rate=fs, n_filters=20, kernel_size=K).double()
    rng = np.random.default_rng(0)
    with torch.no_grad():
        fb.low_hz_raw.add_(torch.as_tensor(rng.normal(0, 2, 20)))
        fb.band_hz_raw.add_(torch.as_tensor(rng.normal(0, 2, 20)))
    f1, f2 = fb.bands().T
    t = (np.arange(K) - (K - 1) / 2) / fs
    h = (2 * f2[:, None] * np.sinc(2 * f2[:, None] * t) - 2 * f1[:, None] * np.sinc(2 * f1[:, None] * t)) / fs
    h *= np.hamming(K)
    fc = (f1 + f2) / 2
    h /= np.abs(h @ np.cos(2 * np.pi * np.outer(t * fs, fc) / fs)).diagonal()[:, None]
    # rtol: the Hamming coefficients 0.54, 0.46 are stored in float32
    np.testing.assert_allclose(fb.kernels().detach().numpy(), h, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("fs", [8000, 16000, 22050, 44100])
def test_sincnet_defaults_construct_and_run(fs):
    fb = SincFilterbank(sample_rate=fs, n_filters=40, kernel_size=101, stride=fs // 100)
    bands = fb.bands()
    assert np.all(bands[:, 0] >= 50.0) and np.all(np.diff(bands, axis=1) >= 20.0)
    top = fs / 2 - 70.0  # default fmax = fs/2 - (min_low_hz + min_band_hz)
    np.testing.assert_allclose(bands[:, 1], mel_band_edges(50.0, top, 40)[1:], rtol=1e-5)
    x = torch.randn(2, fs // 2)
    assert fb(x).shape == (2, 40, fb.output_length(fs // 2))


def test_static_variant_has_no_parameters():
    fb = SincFilterbank(sample_rate=8000, n_filters=8, kernel_size=51, learn_bands=False)
    assert list(fb.parameters()) == []
    assert fb(torch.randn(1, 500)).requires_grad is False


@pytest.mark.parametrize("multirate, tol", [(False, 1e-6), (True, 1e-3)])
def test_zero_padding_and_output_length(multirate, tol):
    """Appended zeros leave the frames unchanged: exactly at full rate; with multirate within its
    tolerance (the part of each band dropped outside its zone spreads over the transform length,
    which the zeros change)."""
    fb = SincFilterbank(sample_rate=8000, n_filters=8, kernel_size=51, stride=20, multirate=multirate)
    x = torch.randn(3, 333)
    n = fb.output_length(333)
    assert n == (333 - 51 + 1 - 20) // 20 + 1
    y = fb(torch.cat([x, torch.zeros(3, 50)], 1))[..., :n]
    torch.testing.assert_close(y, fb(x), rtol=tol, atol=tol)
    with pytest.raises(ValueError, match="kernel_size=51"):
        fb(torch.randn(1, 69))


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(n_filters=-1), "n_filters"),
        (dict(fmax=4001.0), "fmax"),
        (dict(fmin=0.0), "fmin"),
        (dict(kernel_size=250), "kernel_size"),
        (dict(min_band_hz=200.0), "min_band_hz"),
        (dict(min_low_hz=100.0), "min_low_hz"),
    ],
)
def test_bad_parameters_raise(kw, match):
    params = dict(sample_rate=8000, n_filters=20, kernel_size=251)
    params.update(kw)
    with pytest.raises(ValueError, match=match):
        SincFilterbank(**params)
