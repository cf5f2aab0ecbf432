"""CombFilterbank: parameterisation, protocol, gradients and validation."""

import math

import numpy as np
import pytest
import torch

from sklearn_wavefront.filterbanks import CombFilterbank
from sklearn_wavefront.ops import comb_envelope, comb_filter


def test_init_spans_the_whole_log_range_evenly():
    bank = CombFilterbank(sample_rate=8000, n_filters=8, fmin=50.0, fmax=800.0)
    f0 = bank.center_frequencies()
    log_steps = np.diff(np.log(f0))
    np.testing.assert_allclose(log_steps, np.log(16) / 8, rtol=1e-5)
    # first and last half-steps reach fmin and fmax: the whole range is covered
    assert f0[0] == pytest.approx(50 * 16 ** (1 / 16), rel=1e-5)
    assert f0[-1] == pytest.approx(800 * 16 ** (-1 / 16), rel=1e-5)
    np.testing.assert_allclose(bank.delays().detach().numpy(), 8000 / f0, rtol=1e-5)


def test_f0_stays_inside_range_for_any_parameter_value():
    bank = CombFilterbank(sample_rate=8000, n_filters=5, fmin=50.0, fmax=4000.0)
    with torch.no_grad():
        bank.f0_logit.copy_(torch.tensor([-1e4, -30.0, 0.0, 30.0, 1e4]))
    f0 = bank.f0().detach()
    assert torch.all(f0 >= 50.0) and torch.all(f0 <= 4000.0)
    assert torch.all(bank.delays() >= 2.0)  # fmax <= fs/2 keeps every delay >= 2 samples


def test_forward_equals_the_ops_by_hand():
    bank = CombFilterbank(sample_rate=4000, n_filters=6, fmin=60.0, fmax=600.0, window_length=80, hop_length=30)
    x = torch.randn(2, 1000)
    z = comb_envelope(x, bank.delays(), bank.alphas(), window=80, stride=30, n_echoes=10, mode="max")
    torch.testing.assert_close(bank(x), torch.log1p(z))
    assert bank(x).shape == (2, 6, bank.output_length(1000)) == (2, 6, (1000 - 80) // 30 + 1)


@pytest.mark.parametrize("padding", ["valid", "center"])
@pytest.mark.parametrize("envelope", ["max", "energy"])
def test_output_length_rule(padding, envelope):
    bank = CombFilterbank(sample_rate=2000, n_filters=3, fmin=40, fmax=400, window_length=50, hop_length=13, padding=padding, envelope=envelope)
    for n in (50, 51, 63, 64, 200, 517):
        pad = 25 if padding == "center" else 0
        assert bank(torch.randn(1, n)).shape[-1] == bank.output_length(n) == (n + 2 * pad - 50) // 13 + 1
    assert bank.min_input_length() == (50 if padding == "valid" else 1)


def test_output_does_not_depend_on_batch_zero_padding():
    bank = CombFilterbank(sample_rate=2000, n_filters=4, fmin=40, fmax=400, window_length=64, hop_length=32)
    x = torch.randn(1, 700)
    z = bank(x)
    zp = bank(torch.nn.functional.pad(x, (0, 300)))
    torch.testing.assert_close(zp[..., : z.shape[-1]], z)


def _gradcheck_parameter(bank, name, x):
    params = dict(bank.named_parameters())
    base = {k: v.detach() for k, v in params.items()}

    def fn(value):
        return torch.func.functional_call(bank, {**base, name: value}, (x,))

    return torch.autograd.gradcheck(fn, (params[name].detach().clone().requires_grad_(),))


@pytest.mark.parametrize("envelope", ["max", "energy"])
def test_gradcheck_every_learnable_parameter(envelope):
    # n_filters=3 tests the lowest, a middle and the highest channel
    bank = CombFilterbank(
        sample_rate=1000, n_filters=3, fmin=60, fmax=400, window_length=20, hop_length=7,
        learn_alpha=True, alpha=0.8, n_echoes=3, envelope=envelope,
    ).double()
    with torch.no_grad():  # keep t*D away from integers (kinks; see test_comb_ops)
        bank.f0_logit.add_(torch.tensor([0.013, -0.021, 0.017], dtype=torch.float64))
    x = torch.randn(2, 90, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    for name in ("f0_logit", "alpha_param"):
        assert _gradcheck_parameter(bank, name, x), name


def test_learn_flags_and_fixed_alpha():
    bank = CombFilterbank(n_filters=4, learn_f0=False)
    assert not bank.f0_logit.requires_grad
    assert [n for n, p in bank.named_parameters() if p.requires_grad] == []
    assert "alpha_param" in dict(bank.named_buffers())
    learned = CombFilterbank(n_filters=4, alpha=-0.5, learn_alpha=True)
    torch.testing.assert_close(learned.alphas().detach(), torch.full((4,), -0.5))
    with torch.no_grad():
        learned.alpha_param.fill_(50.0)
    assert torch.all(learned.alphas().abs() <= 1)  # tanh keeps |alpha| <= 1 for any parameter


def test_frequency_response_fir_and_iir():
    bank = CombFilterbank(sample_rate=8000, n_filters=2, fmin=100, fmax=400, alpha=0.9)
    freqs, mag = bank.frequency_response(4001)
    assert freqs[0] == 0 and freqs[-1] == 4000 and mag.shape == (2, 4001)
    # brute force: DFT of the impulse response of the training operator
    impulse = torch.zeros(1, 4096, dtype=torch.float64)
    impulse[0, 0] = 1.0
    with torch.no_grad():
        h = comb_filter(impulse, bank.delays().double(), bank.alphas().double(), bank.n_echoes)[0].numpy()
    brute = np.abs(np.exp(-2j * np.pi * np.outer(freqs, np.arange(4096)) / 8000) @ h.T).T
    np.testing.assert_allclose(mag, brute, rtol=1e-8, atol=1e-8)
    # peaks of the truncated FIR response at DC: 1 + sum alpha^t; the IIR: 1/(1-alpha)
    assert mag[:, 0] == pytest.approx((1 - 0.9**11) / 0.1)
    _, mag_iir = bank.frequency_response(4001, method="iir")
    assert mag_iir[:, 0] == pytest.approx(10.0)


def test_filter_iir_uses_rounded_delays():
    bank = CombFilterbank(sample_rate=8000, n_filters=3, fmin=100, fmax=1000)
    x = torch.randn(2, 500, dtype=torch.float64)
    y = bank.filter(x, method="iir")
    k = int(round(bank.delays()[0].item()))
    alpha = bank.alphas()[0].item()  # the float32 buffer's value of 0.9
    expected = x.clone()
    for n in range(k, 500):
        expected[:, n] = x[:, n] + alpha * expected[:, n - k]
    torch.testing.assert_close(y[:, 0], expected)
    assert bank.filter(x).shape == (2, 3, 500)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(fmax=5000.0), "fmax must be <= sample_rate / 2"),
        (dict(fmin=0.0), "fmin must be a finite frequency > 0"),
        (dict(fmin=-5.0), "fmin"),
        (dict(fmin=500.0, fmax=400.0), "fmin must be < fmax"),
        (dict(n_filters=0), "n_filters must be an integer >= 1"),
        (dict(n_filters=-3), "n_filters"),
        (dict(alpha=1.0), "alpha must lie strictly inside"),
        (dict(alpha=-1.5), "alpha"),
        (dict(sample_rate=0), "sample_rate"),
        (dict(envelope="mean"), "envelope must be one of"),
        (dict(window_length=0), "window_length"),
    ],
)
def test_bad_parameters_raise_value_error_naming_them(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CombFilterbank(**{"sample_rate": 8000, **kwargs})


def test_bad_input_raises_value_error():
    bank = CombFilterbank(sample_rate=8000, n_filters=2, window_length=100)
    with pytest.raises(ValueError, match="NaN"):
        bank(torch.full((1, 400), float("nan")))
    with pytest.raises(ValueError, match="at least 100"):
        bank(torch.randn(1, 99))
    with pytest.raises(ValueError, match="shape"):
        bank(torch.randn(2, 2, 2, 400))
    with pytest.raises(TypeError, match="integer"):
        CombFilterbank(n_filters=2.5)


def test_learned_alpha_cannot_saturate_to_one():
    """Plain tanh rounds to 1.0 in float32 for |v| > ~9; the bound keeps the comb stable and usable."""
    bank = CombFilterbank(sample_rate=2000, n_filters=3, fmin=40, fmax=400, learn_alpha=True, window_length=64)
    with torch.no_grad():
        bank.alpha_param.copy_(torch.tensor([9.5, -50.0, 1e4]))
    alphas = bank.alphas().detach()
    assert alphas.dtype == torch.float32
    assert torch.all(alphas.abs() < 1) and alphas.abs().max().item() == pytest.approx(0.999, abs=1e-6)
    bank(torch.randn(1, 500)).sum().backward()  # no "alpha must lie strictly inside" error
    assert torch.isfinite(bank.alpha_param.grad).all()


def test_alpha_is_validated_as_stored():
    with pytest.raises(ValueError, match="alpha must lie strictly inside"):
        CombFilterbank(alpha=1 - 1e-8)  # inside (-1, 1) in float64, 1.0 in float32
    with pytest.raises(ValueError, match="learn_alpha=True"):
        CombFilterbank(alpha=0.9995, learn_alpha=True)
    torch.testing.assert_close(
        CombFilterbank(n_filters=2, alpha=0.95, learn_alpha=True).alphas().detach(), torch.full((2,), 0.95)
    )


@pytest.mark.parametrize("envelope", ["max", "energy"])
def test_center_padding_frames_inside_the_signal_ignore_batch_padding(envelope):
    bank = CombFilterbank(sample_rate=8000, n_filters=3, padding="center", envelope=envelope, window_length=100, hop_length=40)
    x = torch.randn(1, 3000, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    z = bank.double()(x)
    zp = bank(torch.nn.functional.pad(x, (0, 777)))
    inside = [p for p in range(z.shape[-1]) if p * 40 - 50 + 100 <= 3000]
    assert len(inside) < z.shape[-1]  # the rule leaves some trailing frames out
    torch.testing.assert_close(zp[..., inside], z[..., inside])
    if envelope == "energy":  # the echo tail always adds energy (a max may still lie inside the signal)
        assert not torch.allclose(zp[..., z.shape[-1] - 1], z[..., -1])
