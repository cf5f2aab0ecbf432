"""Fast transform paths against their references: float32 vs float64, batch independence, the comb's
exact-IIR inference vs scipy.signal.lfilter, and lists of recordings of different lengths."""

import numpy as np
import pytest
import scipy.signal
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_wavefront.frontends import (
    CombFrontend,
    GammatoneFrontend,
    IConNetFrontend,
    MelFrontend,
    MFCCFrontend,
    SincFrontend,
)
from sklearn_wavefront.ops import iir as iir_module

RNG = np.random.default_rng(80)
SR = 4000


def _signals(n_rec=5, n=3000):
    t = np.arange(n) / SR
    X = []
    for i in range(n_rec):
        f0 = 110.0 * (1 + 0.3 * i)
        sig = sum(np.sin(2 * np.pi * k * f0 * t + RNG.uniform(0, 6)) / k for k in range(1, 5))
        X.append(sig + 0.2 * RNG.standard_normal(n))
    return np.asarray(X)


FRONTENDS = [
    lambda **kw: CombFrontend(sample_rate=SR, n_filters=6, fmin=60.0, fmax=1000.0, **kw),
    lambda **kw: CombFrontend(sample_rate=SR, n_filters=6, fmin=60.0, fmax=1000.0, inference="iir", **kw),
    lambda **kw: IConNetFrontend(sample_rate=SR, n_filters=6, kernel_size=63, stride=40, **kw),
    lambda **kw: SincFrontend(sample_rate=SR, n_filters=6, kernel_size=63, stride=40, **kw),
    lambda **kw: GammatoneFrontend(sample_rate=SR, n_filters=6, kernel_size=256, **kw),  # FFT path
    lambda **kw: MelFrontend(sample_rate=SR, n_filters=12, n_fft=256, hop_length=64, **kw),
    lambda **kw: MFCCFrontend(sample_rate=SR, n_mfcc=6, n_filters=12, n_fft=256, hop_length=64, **kw),
]
IDS = ["comb", "comb-iir", "iconnet", "sinc", "gammatone", "mel", "mfcc"]


@parametrize_with_checks(
    [CombFrontend(n_filters=4, inference="iir"), SincFrontend(n_filters=4, kernel_size=31, stride=40, precision="float64")]
)
def test_sklearn_compatible_new_options(estimator, check):
    check(estimator)


@pytest.mark.parametrize("make", FRONTENDS, ids=IDS)
@pytest.mark.parametrize("output", ["statistics", "frames"])
def test_float32_transform_matches_float64_within_stated_tolerance(make, output):
    X = _signals()
    f32 = make(output=output).fit(X).transform(X)
    f64 = make(output=output, precision="float64").fit(X).transform(X)
    assert f32.dtype == np.float64 and f32.shape == f64.shape
    # the documented tolerance: |float32 - float64| <= 1e-4 (1 + |feature|)
    assert np.all(np.abs(f32 - f64) <= 1e-4 * (1 + np.abs(f64)))
    assert not np.array_equal(f32, f64)  # the two paths really differ in arithmetic


@pytest.mark.parametrize("make", FRONTENDS, ids=IDS)
def test_rows_do_not_depend_on_the_other_recordings(make):
    X = _signals(n_rec=7)
    front = make(batch_size=3).fit(X)
    whole = front.transform(X)
    for i in range(X.shape[0]):
        np.testing.assert_allclose(front.transform(X[i : i + 1])[0], whole[i], rtol=0, atol=1e-6)
    np.testing.assert_allclose(front.set_params(batch_size=32).transform(X), whole, rtol=0, atol=1e-6)
    np.testing.assert_allclose(front.transform(X[::-1])[::-1], whole, rtol=0, atol=1e-6)


def _iir_features_by_hand(X, f0, alpha, window, hop):
    """round(fs / f0) delays, scipy.signal.lfilter, max |y| per valid frame, log1p, mean and std."""
    rows = []
    for x in X:
        z = []
        for f in f0:
            k = int(round(SR / f))
            den = np.zeros(k + 1)
            den[0], den[k] = 1.0, -alpha
            y = np.abs(scipy.signal.lfilter([1.0], den, x))
            n_frames = (len(y) - window) // hop + 1
            z.append(np.log1p([y[p * hop : p * hop + window].max() for p in range(n_frames)]))
        z = np.asarray(z)
        rows.append(np.concatenate([z.mean(-1), z.std(-1)]))
    return np.asarray(rows)


@pytest.mark.parametrize("precision, tol", [("float64", 1e-10), ("float32", 1e-4)])
def test_comb_iir_inference_matches_lfilter_by_hand(precision, tol):
    X = _signals()
    front = CombFrontend(
        sample_rate=SR, n_filters=6, fmin=60.0, fmax=1000.0, inference="iir", precision=precision
    ).fit(X)
    # alpha_ is the gain as stored (0.9 rounded to float32)
    fb = front.filterbank_
    expected = _iir_features_by_hand(X, front.f0_, front.alpha_[0], fb.window_length, fb.hop_length)
    np.testing.assert_allclose(front.transform(X), expected, rtol=tol, atol=tol)
    # same names and shape as the FIR surrogate's features, different values
    fir = front.set_params(inference="fir").transform(X)
    assert fir.shape == expected.shape and not np.allclose(fir, expected, atol=1e-3)


def test_comb_iir_torch_fallback_gives_the_same_features(monkeypatch):
    X = _signals()
    front = CombFrontend(sample_rate=SR, n_filters=6, fmin=60.0, fmax=1000.0, inference="iir", precision="float64")
    ref = front.fit(X).transform(X)
    monkeypatch.setattr(iir_module._numba_kernels, "module", False)
    np.testing.assert_allclose(front.transform(X), ref, rtol=1e-10, atol=1e-10)


def test_bad_inference_and_precision_are_named():
    X = _signals(n_rec=2)
    with pytest.raises(ValueError, match=r"'inference' parameter of CombFrontend .*Got 'exact' instead"):
        CombFrontend(sample_rate=SR, inference="exact").fit(X)
    front = CombFrontend(sample_rate=SR).fit(X)
    # transform checks again what it reads (set_params after fit)
    with pytest.raises(ValueError, match=r"'inference' parameter of CombFrontend .*Got 'IIR' instead"):
        front.set_params(inference="IIR").transform(X)
    with pytest.raises(ValueError, match=r"'precision' parameter of CombFrontend .*Got 'half' instead"):
        front.set_params(inference="fir", precision="half").transform(X)
    with pytest.raises(ValueError, match=r"'precision' parameter of MelFrontend .*Got 'half' instead"):
        MelFrontend(sample_rate=SR, precision="half").fit(X)


@pytest.mark.parametrize("make", FRONTENDS, ids=IDS)
def test_list_of_recordings_of_different_lengths(make):
    X = _signals(n_rec=4, n=3000)
    recordings = [X[0], X[1, :2000], X[2, :2500], X[3, :2000]]
    front = make().fit(X)
    out = front.transform(recordings)
    assert out.shape == (4, front.get_feature_names_out().shape[0])
    for i, r in enumerate(recordings):  # the same front-end fitted on, and applied to, that recording alone
        alone = make().fit(r[None, :]).transform(r[None, :])[0]
        np.testing.assert_allclose(out[i], alone, rtol=0, atol=1e-6)
    # a list of equal lengths is an ordinary 2-D input
    np.testing.assert_array_equal(front.transform(list(X)), front.transform(X))


def test_list_of_different_lengths_with_frames_output_is_refused():
    X = _signals(n_rec=2)
    front = IConNetFrontend(sample_rate=SR, n_filters=4, kernel_size=31, stride=40, output="frames").fit(X)
    with pytest.raises(ValueError, match="equal length.*segment"):
        front.transform([X[0], X[1, :2000]])


def test_list_of_recordings_rejects_bad_items():
    X = _signals(n_rec=2)
    front = MelFrontend(sample_rate=SR, n_filters=8, n_fft=128, hop_length=64).fit(X)
    with pytest.raises(ValueError, match=r"X\[1\] contains NaN"):
        front.transform([X[0], np.r_[X[1, :100], np.nan]])
    with pytest.raises(ValueError, match=r"X\[1\] must be a non-empty 1-D waveform"):
        front.transform([X[0], np.empty(0)])


def test_combnet_eval_uses_the_exact_iir_when_asked():
    import torch

    from sklearn_wavefront.classifiers import CombNetClassifier
    from sklearn_wavefront.networks.combnet import CombNet

    torch.manual_seed(0)
    net = CombNet(sample_rate=SR, n_classes=3, n_filters=5, fmax=800.0, channels=(8,), inference="iir")
    x = torch.from_numpy(_signals(n_rec=2)).float()
    net.eval()
    with torch.no_grad():
        torch.testing.assert_close(net(x), net.head(net.filterbank.forward_iir(x)))
        fir = net.head(net.filterbank(x))
        assert not torch.allclose(net(x), fir, atol=1e-4)
    net.train()  # training always runs the differentiable surrogate
    torch.manual_seed(1)
    out_train = net(x)
    torch.manual_seed(1)
    torch.testing.assert_close(out_train, net.head(net.filterbank(x)))
    with pytest.raises(ValueError, match="inference must be 'fir' or 'iir'"):
        CombNet(sample_rate=SR, inference="exact")

    X = _signals(n_rec=6)
    y = np.array(["a", "b"] * 3)
    params = dict(sample_rate=SR, n_filters=4, module__fmax=800.0, module__channels=(4,), max_epochs=1, random_state=0)
    clf = CombNetClassifier(module__inference="iir", **params).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (6, 2) and np.allclose(proba.sum(1), 1)
    with torch.no_grad():
        device = next(clf.module_.parameters()).device  # 'auto': CUDA where there is one
        expected = torch.softmax(clf.module_(torch.from_numpy(X).float().to(device)), dim=-1).cpu().numpy()
    np.testing.assert_allclose(proba, expected, rtol=1e-5, atol=1e-6)


def test_device_cpu_is_the_default_path_and_bad_devices_are_named():
    X = _signals(n_rec=3)
    ref = IConNetFrontend(sample_rate=SR, n_filters=4, kernel_size=31, stride=40).fit(X).transform(X)
    out = IConNetFrontend(sample_rate=SR, n_filters=4, kernel_size=31, stride=40, device="cpu").fit(X).transform(X)
    np.testing.assert_array_equal(out, ref)
    with pytest.raises(ValueError, match="device='gpu0' is not a torch device"):
        MelFrontend(sample_rate=SR, device="gpu0").fit(X)
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device='cuda': CUDA is not available here"):
            CombFrontend(sample_rate=SR, device="cuda").fit(X)
        front = CombFrontend(sample_rate=SR).fit(X)
        with pytest.raises(ValueError, match="CUDA is not available"):
            front.set_params(device="cuda").transform(X)


@pytest.mark.parametrize("make", FRONTENDS, ids=IDS)
def test_cuda_transform_matches_cpu(make):
    import torch

    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    X = _signals()
    cpu = make().fit(X).transform(X)
    gpu = make(device="cuda").fit(X).transform(X)
    np.testing.assert_allclose(gpu, cpu, rtol=1e-4, atol=1e-4)


def test_float32_mel_departs_only_in_bands_far_below_the_loudest():
    """The documented exception to the float32 tolerance: a loud pure tone leaves bands at float32
    FFT rounding noise, all of them more than 80 dB below the loudest band; a signal with any noise
    floor above that has none."""
    from sklearn_wavefront import MelFrontend

    sr = 16000
    t = np.arange(sr) / sr
    rng = np.random.default_rng(0)
    for x, expect_departures in ((1000 * np.sin(2 * np.pi * 440 * t), True),
                                 (0.01 * np.sin(2 * np.pi * 440 * t) + 1e-3 * rng.normal(size=t.size), False)):
        f32, f64 = (MelFrontend(sample_rate=sr, n_filters=64, statistics=("mean",), precision=p).fit(x[None])
                    .transform(x[None])[0] for p in ("float32", "float64"))
        off = np.abs(f32 - f64) > 1e-4 * (1 + np.abs(f64))
        assert off.any() == expect_departures
        assert np.all(f64.max() - f64[off] > 80)
