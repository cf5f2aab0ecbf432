"""The multirate path of the FIR filterbanks (IConNet, SincNet, gammatone; ``multirate=True``).

* its fold is exact: on input confined to a band's zone, each band's frames are those of every
  M-th sample of the full-rate valid convolution (numpy reference, float64);
* multirate vs full rate within the tolerance the documentation states, on noise and tones;
* gradients of every learnable parameter through decimated bands (float64 gradcheck);
* the kernels' spectra cached between no-gradient calls are recomputed when a parameter changes;
* the front-ends' ``multirate`` parameter: validated, read by ``transform``, old models keep full rate.
"""

import pickle

import numpy as np
import pytest
import torch

from sklearn_wavefront.filterbanks.fir_window import FIRWindowFilterbank
from sklearn_wavefront.filterbanks.gammatone import GammatoneFilterbank
from sklearn_wavefront.filterbanks.sinc import SincFilterbank
from sklearn_wavefront.frontends import GammatoneFrontend, IConNetFrontend, SincFrontend

try:
    from ._gradcheck import gradcheck_parameters
except ImportError:  # run as a plain module
    from _gradcheck import gradcheck_parameters


def _plan(fb, n):
    n_fft = fb.multirate_fft_length(n)
    with torch.no_grad():
        spec = torch.fft.rfft(fb.kernels().double().flip(-1), n_fft).conj()
    factor, zone = fb.multirate_plan(spec.abs(), n_fft)
    return n_fft, factor, zone


def _reference_band(fb, x, h, m):
    """One band's frames by the rule: every M-th sample of the valid convolution, envelope, frames of
    W / M samples every S / M, the endpoint correction of mean frames, compression (numpy, float64)."""
    win, hop = fb.window_length, fb.hop_length
    y = np.convolve(x, h, mode="valid")
    n_frames = (len(y) - win) // hop + 1
    need = ((n_frames - 1) * hop + win) // m
    e = np.abs(y[::m][: need + 1]) if fb.envelope == "abs" else y[::m][: need + 1] ** 2
    z = np.empty(n_frames)
    for p in range(n_frames):
        frame = e[p * hop // m : p * hop // m + win // m]
        if fb.pooling == "max":
            z[p] = frame.max()
        else:
            z[p] = frame.mean()
            if m > 1:
                z[p] += (m - 1) / (2 * win) * (e[(p * hop + win) // m] - e[p * hop // m])
    if fb.compression == "log1p":
        return np.log1p(np.maximum(z, 0))
    return np.log(z + fb.eps)


BANKS = [
    pytest.param(lambda: FIRWindowFilterbank(sample_rate=16000, n_filters=24, kernel_size=127, stride=160), id="iconnet"),
    pytest.param(lambda: SincFilterbank(sample_rate=16000, n_filters=24, kernel_size=127, stride=160), id="sinc"),
    pytest.param(lambda: GammatoneFilterbank(sample_rate=16000, n_filters=24, kernel_size=256), id="gammatone"),
]


@pytest.mark.parametrize("make", BANKS)
def test_multirate_fold_is_exact_on_input_inside_each_bands_zone(make):
    """Bin-centred sinusoids strictly inside band f's zone, over exactly one transform length: the
    spectrum outside the zone is zero, so nothing is dropped and band f's frames must equal the
    decimated full-rate samples' frames to float64 rounding, for first, even and odd zones alike."""
    fb = make().double()
    n = 6400
    n_fft, factor, zone = _plan(fb, n)
    assert n_fft == n  # the transform spans exactly the signal: periodic sinusoids, no leakage
    assert factor.max() > 1 and (zone > 0).any()  # decimated bands, in the first zone and beyond
    h = fb.kernels().detach().numpy()
    rng = np.random.default_rng(0)
    t = np.arange(n)
    for f in range(fb.n_filters):
        m, z = int(factor[f]), int(zone[f])
        half = n_fft // m // 2
        bins = rng.integers(z * half + 2, (z + 1) * half - 1, size=3) if m > 1 else rng.integers(1, n_fft // 2, size=3)
        x = sum(np.cos(2 * np.pi * k * t / n + phase) for k, phase in zip(bins, rng.uniform(0, 6, 3)))
        got = fb(torch.from_numpy(x[None]))[0, f].detach().numpy()
        np.testing.assert_allclose(got, _reference_band(fb, x, h[f], m), rtol=0, atol=1e-9, err_msg=f"band {f}, M={m}, zone {z}")


def _signals(sr, n, n_rec=4, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / sr
    noise = 0.1 * rng.standard_normal((n_rec, n))
    tones = np.stack([0.5 * np.sin(2 * np.pi * f0 * t) + 0.3 * np.sin(2 * np.pi * 3.1 * f0 * t)
                      for f0 in np.geomspace(80, 2500, n_rec)])
    chirp = 0.4 * np.sin(2 * np.pi * (50 * t + 0.5 * (7000 - 50) / t[-1] * t**2))[None]
    burst = noise * (np.arange(n) % (sr // 4) < sr // 16)  # onsets and silences
    return np.concatenate([noise, tones, chirp, burst])


# the tolerances stated in FIRFilterbank's docstring (Multirate), with the measured worst cases of
# benchmarks/speed_goals.py beside them: the features' statistics (per-recording mean and std of the
# compressed frames) and the frames themselves
STAT_TOLERANCE = {IConNetFrontend: 0.03, SincFrontend: 0.06, GammatoneFrontend: 0.03}
FRAME_TOLERANCE = {IConNetFrontend: 0.05, SincFrontend: 0.1, GammatoneFrontend: 0.35}


def _within_30_db(log_energy, axis=1):
    """Gammatone log energies within 30 dB of the loudest band (the statement's scope)."""
    return log_energy >= log_energy.max(axis, keepdims=True) - np.log(1e3)


@pytest.mark.parametrize("cls", list(STAT_TOLERANCE))
def test_multirate_features_within_the_stated_tolerance_of_full_rate(cls):
    sr, n = 16000, 16000
    X = _signals(sr, n)
    if cls is GammatoneFrontend:
        # the statement covers bands within 30 dB of the loudest in every frame (noise, bursts); a
        # band far below the loudest (tones, a sweep) keeps only its in-zone energy: documented
        X = np.concatenate([X[:4], X[-4:]])
    fast = cls(sample_rate=sr, n_filters=32).fit(X)
    full = cls(sample_rate=sr, n_filters=32, multirate=False).fit(X)
    got, ref = fast.transform(X), full.transform(X)
    assert np.abs(got - ref).max() <= STAT_TOLERANCE[cls]


@pytest.mark.parametrize("cls", list(FRAME_TOLERANCE))
def test_multirate_frames_within_the_stated_tolerance_of_full_rate(cls):
    sr, n = 16000, 16000
    X = _signals(sr, n, seed=1)
    fast = cls(sample_rate=sr, n_filters=32, output="frames").fit(X)
    full = cls(sample_rate=sr, n_filters=32, output="frames", multirate=False).fit(X)
    got = fast.transform(X).reshape(len(X), 32, -1)
    ref = full.transform(X).reshape(len(X), 32, -1)
    if cls is GammatoneFrontend:  # within 30 dB of the frame's loudest band
        keep = _within_30_db(ref)
        got, ref = got[keep], ref[keep]
    assert np.abs(got - ref).max() <= FRAME_TOLERANCE[cls]


# ------------------------------------------------------------------------------------ gradients
@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda: FIRWindowFilterbank(sample_rate=2000, n_filters=5, kernel_size=63, stride=40, fmin=60.0),
         {"low_hz_raw", "band_hz_raw", "window_coefficients"}),
        (lambda: SincFilterbank(sample_rate=2000, n_filters=5, kernel_size=63, stride=40, fmin=60.0),
         {"low_hz_raw", "band_hz_raw"}),
        (lambda: GammatoneFilterbank(sample_rate=2000, n_filters=5, kernel_size=64, fmin=60.0, window_seconds=0.04,
                                     hop_seconds=0.02),
         {"center_hz_raw", "bandwidth_raw", "order_raw", "phase", "log_amplitude"}),
    ],
    ids=["iconnet", "sinc", "gammatone"],
)
def test_gradcheck_every_learnable_parameter_through_decimated_bands(make, expected):
    fb = make()
    x = torch.randn(1, 400, generator=torch.Generator().manual_seed(0))
    _, factor, _ = _plan(fb.double(), 400)
    assert factor.max() > 1  # decimated bands are in the checked graph
    assert set(gradcheck_parameters(fb, x)) == expected


# ------------------------------------------------------------------------------------ caching
def test_cached_spectra_follow_parameter_changes():
    fb = FIRWindowFilterbank(sample_rate=16000, n_filters=8, kernel_size=127, stride=160)
    x = torch.randn(2, 4000)
    with torch.no_grad():
        before = fb(x)
        assert torch.equal(fb(x), before)  # served from the cache, same values
        fb.low_hz_raw.add_(0.3)  # an in-place update (as an optimiser step) bumps the version
        after = fb(x)
        fresh = FIRWindowFilterbank(sample_rate=16000, n_filters=8, kernel_size=127, stride=160)
        fresh.low_hz_raw.copy_(fb.low_hz_raw)
        torch.testing.assert_close(after, fresh(x), rtol=0, atol=0)
    assert not torch.allclose(after, before)
    # a call that records gradients never reads the cache
    z = fb(x)
    assert z.requires_grad


def _change_through_data(fb):
    fb.low_hz_raw.data.add_(0.3)  # .data has a version counter of its own


def _change_by_a_fused_adam_step(fb):
    for p in fb.parameters():
        p.grad = torch.ones_like(p)
    torch.optim.Adam(fb.parameters(), lr=0.5, fused=True).step()


@pytest.mark.parametrize("change", [_change_through_data, _change_by_a_fused_adam_step])
def test_cached_spectra_follow_changes_that_leave_the_version_counter_alone(change, monkeypatch):
    """Writes that do not advance a parameter's version counter (torch 2.13's fused Adam step, a
    write through ``.data``) still reach the next no-gradient call: the cache compares values. An
    unchanged filterbank is still served from the cache (the spectra are not recomputed)."""
    fb = FIRWindowFilterbank(sample_rate=16000, n_filters=8, kernel_size=127, stride=160)
    x = torch.randn(2, 4000)
    with torch.no_grad():
        before = fb(x)
    calls = []
    real = type(fb).kernels
    monkeypatch.setattr(type(fb), "kernels", lambda self: calls.append(1) or real(self))
    with torch.no_grad():
        assert torch.equal(fb(x), before) and calls == []  # unchanged: the cache serves it
    versions = [p._version for p in fb.parameters()]
    change(fb)
    with torch.no_grad():
        after = fb(x)
        fresh = FIRWindowFilterbank(sample_rate=16000, n_filters=8, kernel_size=127, stride=160)
        fresh.load_state_dict(fb.state_dict())
        reference = fresh(x)
    assert calls == [1, 1]  # recomputed for fb, and computed for the fresh copy
    torch.testing.assert_close(after, reference, rtol=0, atol=0)
    assert not torch.allclose(after, before)
    if change is _change_through_data:
        assert [p._version for p in fb.parameters()] == versions  # what the old key could not see


# ------------------------------------------------------------------------------------ front-ends
@pytest.mark.parametrize("cls", [IConNetFrontend, SincFrontend, GammatoneFrontend])
def test_multirate_parameter_is_validated_and_read_by_transform(cls):
    X = np.random.default_rng(0).normal(size=(3, 8000)) * 0.1
    with pytest.raises(ValueError, match="multirate"):
        cls(sample_rate=8000, n_filters=8, multirate="yes").fit(X)
    fast = cls(sample_rate=8000, n_filters=8).fit(X)
    assert fast.filterbank_.multirate is True
    full = cls(sample_rate=8000, n_filters=8, multirate=False).fit(X)
    switched = fast.set_params(multirate=False).transform(X)
    np.testing.assert_array_equal(switched, full.transform(X))
    assert fast.filterbank_.multirate is True  # transform does not change the fitted module


def test_a_model_saved_before_multirate_existed_keeps_the_full_rate():
    X = np.random.default_rng(0).normal(size=(3, 8000)) * 0.1
    full = IConNetFrontend(sample_rate=8000, n_filters=8, multirate=False).fit(X)
    old = IConNetFrontend(sample_rate=8000, n_filters=8, multirate=False).fit(X)
    del old.multirate  # as pickled by a version without the parameter
    del old.filterbank_.multirate
    restored = pickle.loads(pickle.dumps(old))
    assert restored.multirate is False
    np.testing.assert_array_equal(restored.transform(X), full.transform(X))


@pytest.mark.parametrize("length", [160, 163])  # whole blocks; a tail past the last block
def test_block_energy_equals_pooled_squares_and_its_gradient_finite_differences(length):
    """The multirate path's energy per block (one pass over y, its own backward) against the pooled
    squares it replaces, and its gradient against finite differences (float64); the tail past the
    last whole block takes no gradient, as with the pooling."""
    import torch.nn.functional as F

    from sklearn_wavefront.filterbanks._base import _block_energy

    y = torch.randn(2, 3, length, dtype=torch.float64, generator=torch.Generator().manual_seed(0), requires_grad=True)
    torch.testing.assert_close(_block_energy(y, 8), F.avg_pool1d(y.square(), 8, 8), rtol=1e-14, atol=0)
    assert torch.autograd.gradcheck(lambda t: _block_energy(t, 8), (y,), check_forward_ad=True)
    _block_energy(y, 8).sum().backward()
    assert torch.equal(y.grad[..., 160:], torch.zeros_like(y.grad[..., 160:]))
    torch.testing.assert_close(y.grad[..., :160], 2 * y.detach()[..., :160] / 8)
