"""The stronger baselines of the comparison against their libraries used directly, their
optional-ness, and compilation kept out of every fold's fit time."""

import subprocess
import sys

import numpy as np
import pytest

from sklearn_wavefront import comparison as cmp
from sklearn_wavefront.datasets import make_harmonic_tones


def _tones(n=40, sr=4000, duration=0.5, seed=1):
    X, y = make_harmonic_tones(n_samples=n, n_classes=2, sample_rate=sr, duration=duration, noise=0.5,
                               random_state=seed, return_X_y=True)
    return np.asarray(X, dtype=np.float64), np.asarray(y)


def test_mrhydra_equals_aeons_own_on_the_decimated_waveform():
    pytest.importorskip("aeon")
    from aeon.classification.convolution_based import MultiRocketHydraClassifier as AeonMRHydra
    from scipy.signal import resample_poly

    from sklearn_wavefront.baselines import MultiRocketHydraClassifier

    X, y = _tones()  # 2000 samples
    ours = MultiRocketHydraClassifier(max_length=700, n_groups=16, random_state=0).fit(X[:30], y[:30])
    assert ours.factor_ == 3  # ceil(2000 / 700)
    ref = AeonMRHydra(n_groups=16, random_state=0).fit(resample_poly(X[:30], 1, 3, axis=1)[:, None, :], y[:30])
    test = resample_poly(X[30:], 1, 3, axis=1)[:, None, :]
    np.testing.assert_array_equal(ours.predict(X[30:]), ref.predict(test))
    np.testing.assert_array_equal(ours.predict_proba(X[30:]), ref.predict_proba(test))
    # no decimation when the recordings are short enough
    assert MultiRocketHydraClassifier(max_length=2000, n_groups=8, random_state=0).fit(X[:10], y[:10]).factor_ == 1


@pytest.mark.parametrize("feature_set, n_features", [("egemaps", 88), ("compare2016", 6373)])
def test_opensmile_rows_equal_opensmile_used_directly(feature_set, n_features):
    opensmile = pytest.importorskip("opensmile")
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from sklearn_wavefront.baselines import make_opensmile_logreg

    X, y = _tones(n=24, sr=16000, duration=0.5)
    smile = opensmile.Smile(feature_set={"egemaps": opensmile.FeatureSet.eGeMAPSv02,
                                         "compare2016": opensmile.FeatureSet.ComParE_2016}[feature_set],
                            feature_level=opensmile.FeatureLevel.Functionals)
    F = np.nan_to_num(np.array([smile.process_signal(x.astype(np.float32), 16000).to_numpy()[0] for x in X]))
    assert F.shape == (24, n_features)
    ref_scaler = StandardScaler().fit(F[:16])
    ref = LogisticRegression(max_iter=2000).fit(ref_scaler.transform(F[:16]), y[:16])
    ours = make_opensmile_logreg(16000, feature_set).fit(X[:16], y[:16])
    np.testing.assert_allclose(ours[0].transform(X[16:]), F[16:])
    np.testing.assert_array_equal(ours.predict(X[16:]), ref.predict(ref_scaler.transform(F[16:])))


def test_opensmile_resamples_what_it_cannot_take():
    pytest.importorskip("opensmile")
    from scipy.signal import resample_poly

    from sklearn_wavefront.baselines import OpenSmileFunctionals

    X, _ = _tones(n=2, sr=4000)
    low = OpenSmileFunctionals(4000).fit(X).transform(X)
    at8k = OpenSmileFunctionals(8000).fit(X).transform(resample_poly(X, 2, 1, axis=1))
    np.testing.assert_allclose(low, at8k, rtol=1e-5, atol=1e-6)


def test_the_package_imports_and_compare_runs_without_aeon_and_opensmile(tmp_path):
    code = f"""
import sys
sys.modules["aeon"] = None
sys.modules["opensmile"] = None
import sklearn_wavefront.baselines as b
b.aeon_version = lambda: None
b.opensmile_version = lambda: None
from sklearn_wavefront import compare
r = compare(n_recordings=16, n_classes=2, folds=2, kinds="baseline", progress=False)
print([m for m in r.table["model"]])
print(r.settings["notes"])
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0] == "['dummy', 'mfcc+logreg']"
    assert "egemaps+logreg, compare2016+logreg baselines skipped: opensmile is not installed" in lines[1]
    assert "minirocket, mrhydra baselines skipped: aeon is not installed" in lines[1]


def test_compilation_is_warmed_up_once_outside_the_folds(monkeypatch):
    pytest.importorskip("aeon")
    import time

    import sklearn_wavefront.baselines as baselines

    order = []
    real_warm_up, real_fit_one = baselines.warm_up, cmp._fit_one

    def slow_warm_up(models, **kwargs):  # what a cold numba cache costs, made visible
        order.append("warm-up")
        time.sleep(0.5)
        return {m: 0.5 + t for m, t in real_warm_up(models, **kwargs).items()}

    def fit_one(model, kind, fold, *args, **kwargs):
        order.append(f"{model} {fold}")
        return real_fit_one(model, kind, fold, *args, **kwargs)

    monkeypatch.setattr(baselines, "warm_up", slow_warm_up)
    monkeypatch.setattr(cmp, "_fit_one", fit_one)
    r = cmp.compare(n_recordings=16, n_classes=2, folds=2, models="dummy,minirocket", kinds="baseline",
                    minirocket_kernels=84, progress=False)
    assert order == ["warm-up", "dummy 0", "dummy 1", "minirocket 0", "minirocket 1"]
    assert r.settings["warm_up_seconds"]["minirocket"] >= 0.5
    assert all(row["fit_seconds"] < 0.5 for row in r.rows)  # the warm-up is in no fold's time
    assert "compilation warm-up (once per run, outside the folds' fit times): minirocket" in r.format()


def test_the_report_says_what_mrhydra_saw():
    pytest.importorskip("aeon")
    r = cmp.compare(n_recordings=16, n_classes=2, folds=2, models="mrhydra", kinds="baseline", sample_rate=4000,
                    duration=0.5, mrhydra_max_length=700, progress=False)
    assert ("mrhydra sees every recording low-passed and decimated by 3 to 1333.33 Hz (667 samples; "
            "mrhydra_max_length=700): what lies above 666.667 Hz is not seen") in r.format()


def test_mrhydra_leaves_torch_threads_as_they_were():
    pytest.importorskip("aeon")
    import torch

    from sklearn_wavefront.baselines import MultiRocketHydraClassifier, warm_up

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        X, y = _tones(n=12)
        MultiRocketHydraClassifier(max_length=500, n_groups=8, random_state=0).fit(X, y).predict(X)
        warm_up(["mrhydra"])
        cmp.compare(n_recordings=16, n_classes=2, folds=2, models="mrhydra", kinds="baseline", progress=False)
        assert torch.get_num_threads() == 2  # aeon's Hydra sets it to n_jobs and leaves it there
    finally:
        torch.set_num_threads(before)


def test_the_front_ends_first_call_is_warmed_up_too(monkeypatch):
    import time

    from sklearn_wavefront import recipes

    calls = []
    real = recipes.make_estimator

    def first_fit_slow(model, kind, settings, callbacks=None):
        est = real(model, kind, settings, callbacks)
        if not calls:  # the first fixed comb estimator of the process pays a one-off cost
            calls.append(model)
            fit = est.fit

            def slow_fit(*a, **k):
                time.sleep(0.4)
                return fit(*a, **k)

            est.fit = slow_fit
        return est

    # the warm-up and the folds (through auto.make_recipe) both build with it: only the first build is slow
    monkeypatch.setattr(recipes, "make_estimator", first_fit_slow)
    r = cmp.compare(n_recordings=16, n_classes=2, folds=2, models="comb", kinds="fixed", progress=False)
    assert calls == ["comb"] and r.settings["warm_up_seconds"]["comb"] >= 0.4
    assert all(row["fit_seconds"] < 0.4 for row in r.rows)


@pytest.mark.slow
def test_a_cold_numba_cache_is_paid_in_the_warm_up_not_in_a_fold(tmp_path):
    pytest.importorskip("aeon")
    code = """
from sklearn_wavefront import compare
r = compare(n_recordings=16, n_classes=2, folds=2, models="minirocket", kinds="baseline", minirocket_kernels=84,
            progress=False)
print(r.settings["warm_up_seconds"]["minirocket"], max(row["fit_seconds"] for row in r.rows))
"""
    env = dict(__import__("os").environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"), OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env)
    assert out.returncode == 0, out.stderr
    warm, slowest_fold = map(float, out.stdout.split())
    assert warm > 5 * slowest_fold  # the compilation happened once, before the folds
