"""Front-end transformers: estimator checks, the feature rule, learning, output formats."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_wavefront.filterbanks.comb import CombFilterbank
from sklearn_wavefront.filterbanks.fir_window import FIRWindowFilterbank
from sklearn_wavefront.frontends import (
    CombFrontend,
    GammatoneFrontend,
    IConNetFrontend,
    MelFrontend,
    MFCCFrontend,
    SincFrontend,
)

SMALL = [
    CombFrontend(n_filters=4),
    CombFrontend(n_filters=4, max_epochs=1),
    IConNetFrontend(n_filters=4, kernel_size=31, stride=40, max_epochs=1),
    IConNetFrontend(n_filters=4, kernel_size=31, stride=40, max_epochs=1, learning_head="temporal"),
    SincFrontend(n_filters=4, kernel_size=31, stride=40, max_epochs=1),
    GammatoneFrontend(n_filters=4, kernel_size=64, max_epochs=1),
    MelFrontend(n_filters=8, n_fft=64, hop_length=32),
    MFCCFrontend(n_mfcc=4, n_filters=8, n_fft=64, hop_length=32),
]


@parametrize_with_checks(SMALL)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _tones(n_per_class=8, sr=4000, n=2000, seed=0):
    """Two classes of harmonic tones (f0 = 110 Hz vs 300 Hz) in noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / sr
    X, y = [], []
    for label, f0 in (("low", 110.0), ("high", 300.0)):
        for _ in range(n_per_class):
            f = f0 * (1 + 0.02 * rng.normal())
            sig = sum(np.sin(2 * np.pi * k * f * t + rng.uniform(0, 2 * np.pi)) / k for k in range(1, 5))
            X.append(sig + 0.3 * rng.normal(size=n))
            y.append(label)
    return np.asarray(X), np.asarray(y)


def test_statistics_equal_filterbank_by_hand():
    X, _ = _tones(n_per_class=2)
    front = CombFrontend(sample_rate=4000, n_filters=5, fmin=60.0, fmax=800.0, precision="float64").fit(X)
    fb = CombFilterbank(sample_rate=4000, n_filters=5, fmin=60.0, fmax=800.0).double()
    with torch.no_grad():
        z = fb(torch.tensor(X))
    expected = torch.cat([z.mean(-1), z.std(-1, correction=0)], dim=1).numpy()
    out = front.transform(X)
    assert out.shape == (X.shape[0], 2 * 5)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)
    names = front.get_feature_names_out()
    assert names[0].startswith("comb0_f0_") and names[0].endswith("hz_mean")
    assert names[5].startswith("comb0_f0_") and names[5].endswith("hz_std")
    np.testing.assert_allclose(front.center_frequencies_, fb.center_frequencies())


def test_frames_output_is_flattened_envelope():
    X, _ = _tones(n_per_class=2)
    kw = dict(sample_rate=4000, n_filters=3, kernel_size=31, stride=40)
    front = IConNetFrontend(output="frames", precision="float64", **kw).fit(X)
    fb = FIRWindowFilterbank(**kw).double()
    with torch.no_grad():
        z = fb(torch.tensor(X)).numpy()
    frames = fb.output_length(X.shape[1])
    assert front.n_frames_ == frames
    out = front.transform(X)
    assert out.shape == (X.shape[0], 3 * frames)
    np.testing.assert_allclose(out, z.reshape(X.shape[0], -1), rtol=1e-10, atol=1e-12)
    assert len(front.get_feature_names_out()) == out.shape[1]
    assert front.get_feature_names_out()[1].endswith("_t01")


@pytest.mark.parametrize("stats", [("max",), ("mean", "min", "std")])
def test_statistics_choice_and_order(stats):
    X, _ = _tones(n_per_class=1)
    front = MelFrontend(
        sample_rate=4000, n_filters=6, n_fft=128, hop_length=64, statistics=stats, precision="float64"
    ).fit(X)
    out = front.transform(X)
    assert out.shape == (2, 6 * len(stats))
    with torch.no_grad():
        z = front.filterbank_(torch.tensor(X)).numpy()
    fns = {"mean": np.mean, "std": np.std, "max": np.max, "min": np.min}
    expected = np.concatenate([fns[s](z, axis=-1) for s in stats], axis=1)
    np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-9)


def test_short_recordings_are_zero_padded():
    front = IConNetFrontend(sample_rate=4000, n_filters=3, kernel_size=31, stride=40).fit(np.ones((2, 10)))
    assert front.min_input_length_ == 31 + 40 - 1
    X = np.random.default_rng(0).normal(size=(2, 10))
    padded = np.pad(X, ((0, 0), (0, front.min_input_length_ - 10)))
    with torch.no_grad():
        z = front.filterbank_(torch.tensor(padded))
    # float32 transform vs the float64 module: the documented 1e-4 * (1 + |feature|)
    np.testing.assert_allclose(front.transform(X)[:, :3], z.mean(-1).numpy(), rtol=1e-4, atol=1e-8)


def test_learning_moves_f0_and_is_deterministic():
    X, y = _tones()
    kw = dict(sample_rate=4000, n_filters=6, fmin=60.0, fmax=800.0, max_epochs=3, learning_rate=0.05, batch_size=8)
    initial = CombFrontend(**kw).fit(X).f0_  # no y: no learning
    a = CombFrontend(random_state=0, **kw).fit(X, y)
    b = CombFrontend(random_state=0, **kw).fit(X, y)
    assert a.n_iter_ == 3 and len(a.loss_curve_) == 3
    assert np.max(np.abs(a.f0_ - initial)) > 0.1  # Hz: the fundamentals were learned
    assert list(a.classes_) == ["high", "low"]
    np.testing.assert_array_equal(a.f0_, b.f0_)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    c = CombFrontend(random_state=1, **kw).fit(X, y)
    assert not np.array_equal(a.f0_, c.f0_)
    # max_epochs=0 with y: initial filters
    np.testing.assert_array_equal(CombFrontend(**{**kw, "max_epochs": 0}).fit(X, y).f0_, initial)


def test_learning_iconnet_moves_bands():
    X, y = _tones()
    kw = dict(sample_rate=4000, n_filters=4, kernel_size=31, stride=40, learning_rate=0.05, batch_size=8, random_state=0)
    initial = IConNetFrontend(**kw).fit(X)
    learned = IConNetFrontend(max_epochs=2, **kw).fit(X, y)
    assert np.max(np.abs(learned.bands_ - initial.bands_)) > 0.1
    assert np.max(np.abs(learned.windows_ - initial.windows_)) > 1e-4
    assert learned.windows_.shape == (4, 31)


def test_pandas_output_and_pipeline():
    pd = pytest.importorskip("pandas")
    X, y = _tones(n_per_class=4)
    front = GammatoneFrontend(sample_rate=4000, n_filters=4, kernel_size=64).set_output(transform="pandas")
    df = front.fit_transform(X)
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == list(front.get_feature_names_out())
    assert df.columns[0].startswith("gammatone0_") and df.columns[0].endswith("hz_mean")
    pipe = make_pipeline(CombFrontend(sample_rate=4000, n_filters=8, fmax=800.0), LogisticRegression())
    assert pipe.fit(X, y).score(X, y) > 0.9


def test_mfcc_names_have_no_frequency():
    front = MFCCFrontend(sample_rate=4000, n_mfcc=3, n_filters=6, n_fft=128, hop_length=64).fit(np.zeros((2, 500)))
    assert front.get_feature_names_out().tolist() == [
        "mfcc0_mean", "mfcc1_mean", "mfcc2_mean", "mfcc0_std", "mfcc1_std", "mfcc2_std",
    ]


def test_pickle_round_trip():
    X, y = _tones(n_per_class=3)
    front = SincFrontend(sample_rate=4000, n_filters=4, kernel_size=31, stride=40, max_epochs=1, random_state=0)
    front.fit(X, y)
    clone = pickle.loads(pickle.dumps(front))
    np.testing.assert_array_equal(clone.transform(X), front.transform(X))
    np.testing.assert_array_equal(clone.bands_, front.bands_)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"statistics": ("mean", "median")}, r"statistics=\('mean', 'median'\)"),
        ({"statistics": ()}, r"statistics=\(\)"),
        # scikit-learn's InvalidParameterError: "The 'output' parameter of CombFrontend must be ... Got 'image' instead."
        ({"output": "image"}, r"'output' parameter of CombFrontend .*Got 'image' instead"),
        ({"max_epochs": -1}, r"'max_epochs' parameter of CombFrontend .*Got -1 instead"),
        ({"batch_size": 0}, r"'batch_size' parameter of CombFrontend .*Got 0 instead"),
        ({"learning_rate": 0.0}, r"'learning_rate' parameter of CombFrontend .*Got 0.0 instead"),
        ({"learning_rate": float("inf")}, r"'learning_rate' parameter of CombFrontend .*Got inf instead"),
        ({"fmax": 3000.0}, "fmax"),
        ({"n_filters": 0}, r"'n_filters' parameter of CombFrontend must be an int in the range \[1, inf\)\. Got 0 instead"),
        ({"alpha": 1.0}, r"'alpha' parameter of CombFrontend .*Got 1.0 instead"),
    ],
)
def test_bad_parameters_name_themselves(params, match):
    with pytest.raises(ValueError, match=match):
        CombFrontend(sample_rate=4000, **params).fit(np.zeros((2, 400)))


def test_transform_needs_same_length():
    front = CombFrontend(sample_rate=4000, n_filters=3).fit(np.zeros((2, 400)))
    with pytest.raises(ValueError, match="400 features"):
        front.transform(np.zeros((2, 300)))


def test_unsupervised_refit_forgets_classes():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(8, 800)), np.array([0, 1] * 4)
    f = SincFrontend(sample_rate=8000, n_filters=4, kernel_size=31, stride=40, max_epochs=1, random_state=0)
    assert f.fit(X, y).classes_.tolist() == [0, 1] and f.n_iter_ == 1
    f.fit(X)
    assert not hasattr(f, "classes_") and f.n_iter_ == 0 and f.loss_curve_ == []
    fresh = SincFrontend(sample_rate=8000, n_filters=4, kernel_size=31, stride=40, max_epochs=1, random_state=0).fit(X)
    np.testing.assert_array_equal(f.center_frequencies_, fresh.center_frequencies_)
