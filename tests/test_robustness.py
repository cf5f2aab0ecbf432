"""Issue 20, library part: nothing lost, nothing silent (interrupts, safe model files, non-regular
and loud audio files, near-empty recordings, spreadsheet-safe CSV and atomic writes)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback

from sklearn_wavefront import CombFrontend, WaveformClassifier

RATE = 8000


def _data(n=8, seconds=0.1, seed=0):
    rng = np.random.default_rng(seed)
    X = (0.1 * rng.standard_normal((n, int(seconds * RATE)))).astype(np.float32)
    y = np.array(["a", "b"] * (n // 2))
    return X, y


# -- 1. interrupts ----------------------------------------------------------------------------------
class _InterruptAtEpoch(Callback):
    def __init__(self, epoch=2):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


def test_interrupted_skorch_fit_raises():
    X, y = _data()
    clf = WaveformClassifier(sample_rate=RATE, n_filters=4, max_epochs=4, batch_size=4, random_state=0,
                             callbacks=[("stop", _InterruptAtEpoch(2))])
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    assert len(clf.history) == 2  # stopped where it was interrupted, and said so


def test_interrupted_skorch_partial_fit_raises_and_a_clean_fit_still_returns():
    X, y = _data()
    clf = WaveformClassifier(sample_rate=RATE, n_filters=4, max_epochs=3, batch_size=4, random_state=0,
                             callbacks=[("stop", _InterruptAtEpoch(2))])
    with pytest.raises(KeyboardInterrupt):
        clf.partial_fit(X, y, classes=["a", "b"])
    clf.set_params(callbacks__stop=None, max_epochs=1)
    assert clf.fit(X, y) is clf  # nothing of the interrupt lingers


def test_interrupted_frontend_learning_raises_and_leaves_it_unfitted(monkeypatch):
    X, y = _data()
    front = CombFrontend(sample_rate=RATE, n_filters=4, max_epochs=3, batch_size=4, random_state=0)
    calls = []

    def interrupt(self, fb, loss, epoch, batch, x):  # called after every optimiser step
        calls.append(epoch)
        if epoch == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(type(front), "_check_finite", interrupt)
    with pytest.raises(KeyboardInterrupt):
        front.fit(X, y)
    assert 2 in calls
    with pytest.raises(NotFittedError):  # no half-learned filters, no labels without filters
        check_is_fitted(front)


def test_early_stopping_still_ends_a_fit_quietly():
    # skorch's EarlyStopping stops training by raising KeyboardInterrupt: that is a finished fit
    X, y = _data()
    clf = WaveformClassifier(sample_rate=RATE, n_filters=4, max_epochs=30, batch_size=4, random_state=0,
                             early_stopping=True, patience=1, validation_fraction=0.25)
    assert clf.fit(X, y) is clf
    assert len(clf.history) < 30


def test_stop_training_signal_ends_a_fit_quietly():
    from sklearn_wavefront._interrupt import StopTraining

    class Stop(Callback):
        def on_epoch_end(self, net, **kwargs):
            raise StopTraining

    X, y = _data()
    clf = WaveformClassifier(sample_rate=RATE, n_filters=4, max_epochs=3, batch_size=4, random_state=0,
                             callbacks=[Stop()])
    assert clf.fit(X, y) is clf and len(clf.history) == 1


# -- 2. model files that run no code on load --------------------------------------------------------
_EVIL_RAN = []


class Evil:
    """Records any attempt to build it from a file."""

    def __setstate__(self, state):
        _EVIL_RAN.append("setstate")

    def __reduce__(self):
        return (_EVIL_RAN.append, ("reduce",))


def _recordings(n=6, seed=0):
    rng = np.random.default_rng(seed)
    return [(0.1 * rng.standard_normal(int(0.1 * RATE))).astype(np.float32) for _ in range(n)], np.array(["a", "b"] * (n // 2))


@pytest.fixture(scope="module")
def wavefront_models():
    """A learned-front-end Pipeline model and an end-to-end WaveformClassifier model, both tiny."""
    import warnings

    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from sklearn_wavefront.callbacks import FilterbankHistory
    from sklearn_wavefront.persistence import WavefrontModel
    from sklearn_wavefront.segmenting import SegmentedClassifier

    X, y = _recordings()
    learned = Pipeline([("frontend", CombFrontend(sample_rate=RATE, n_filters=4, max_epochs=1, batch_size=4)),
                        ("scaler", StandardScaler()), ("classifier", LogisticRegression())])
    e2e = WaveformClassifier(frontend="comb", sample_rate=RATE, n_filters=4, max_epochs=2, batch_size=4,
                             random_state=0, callbacks=[("filter_history", FilterbankHistory())])
    models = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, est in (("learned", learned), ("end-to-end", e2e)):
            seg = SegmentedClassifier(est, segment_seconds=0.05, hop_seconds=0.05, sample_rate=RATE).fit(X, y)
            models[name] = WavefrontModel(seg, RATE, settings={"model": "comb", "kind": name, "none": None,
                                                               "initial": np.arange(3.0)})
    return models, X


@pytest.mark.parametrize("kind", ["learned", "end-to-end"])
def test_safe_model_file_round_trip(wavefront_models, tmp_path, kind):
    sio = pytest.importorskip("skops.io")
    from sklearn_wavefront.persistence import load_model, save_model

    models, X = wavefront_models
    model = models[kind]
    path = tmp_path / "m.skops"
    save_model(model, path)
    assert sio.get_untrusted_types(file=path) == []  # skops needs to trust nothing beyond plain data
    loaded = load_model(path, allow_pickle=False)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.classes_, model.classes_)
    assert loaded.settings["kind"] == kind and loaded.versions == model.versions
    if kind == "end-to-end":
        a, b = model.estimator.estimator_, loaded.estimator.estimator_
        assert len(b.history) == len(a.history) == 2
        np.testing.assert_array_equal(dict(b.callbacks_)["filter_history"].as_array(),
                                      dict(a.callbacks_)["filter_history"].as_array())


def _tampered(src, dst, edit):
    sio = pytest.importorskip("skops.io")
    plain = sio.load(src, trusted=[])
    edit(plain)
    sio.dump(plain, dst)
    return dst


def test_safe_model_file_with_an_untrusted_type_is_refused_and_runs_nothing(wavefront_models, tmp_path):
    pytest.importorskip("skops.io")
    from sklearn_wavefront.persistence import load_model, save_model

    save_model(wavefront_models[0]["learned"], tmp_path / "m.skops")
    evil = _tampered(tmp_path / "m.skops", tmp_path / "evil.skops",
                     lambda p: p["model"]["state"]["settings"].update(payload=Evil()))
    _EVIL_RAN.clear()
    with pytest.raises(ValueError, match=r"never contains: .*Evil.*not loaded"):
        load_model(evil)
    assert _EVIL_RAN == []


@pytest.mark.parametrize("node, named", [
    ({"__wf__": "object", "class": "os:system", "state": {}, "torch": {}}, "os:system"),
    ({"__wf__": "type", "name": "subprocess:Popen"}, "subprocess:Popen"),
    ({"__wf__": "object", "class": "sklearn_wavefront.__main__:main", "state": {}, "torch": {}},
     "sklearn_wavefront.__main__:main"),
])
def test_safe_model_file_naming_a_class_outside_the_allow_list_is_refused(wavefront_models, tmp_path, node, named):
    pytest.importorskip("skops.io")
    from sklearn_wavefront.persistence import load_model, save_model

    save_model(wavefront_models[0]["learned"], tmp_path / "m.skops")
    bad = _tampered(tmp_path / "m.skops", tmp_path / "bad.skops",
                    lambda p: p["model"]["state"]["settings"].update(payload=node))
    with pytest.raises(ValueError, match=f"names the class {re.escape(named)}.*may not use"):
        load_model(bad)


def test_a_pickle_named_skops_is_never_unpickled(tmp_path):
    pytest.importorskip("skops.io")
    import pickle

    from sklearn_wavefront.persistence import load_model

    path = tmp_path / "m.skops"
    path.write_bytes(pickle.dumps(Evil()))
    _EVIL_RAN.clear()
    with pytest.raises(ValueError, match="not a .skops model file"):
        load_model(path)
    assert _EVIL_RAN == []


def test_load_model_refuses_a_pickle_when_asked(wavefront_models, tmp_path):
    from sklearn_wavefront.persistence import load_model, save_model

    save_model(wavefront_models[0]["learned"], tmp_path / "m.joblib")
    with pytest.raises(ValueError, match="runs code.*allow_pickle=False"):
        load_model(tmp_path / "m.joblib", allow_pickle=False)


def test_safe_save_names_what_has_no_plain_form(wavefront_models, tmp_path):
    pytest.importorskip("skops.io")
    from sklearn_wavefront.persistence import WavefrontModel, save_model

    model = wavefront_models[0]["learned"]
    odd = WavefrontModel(model.estimator, RATE, settings={"postprocess": len})
    with pytest.raises(ValueError, match=r"settings\['postprocess'\].*Save it as .joblib"):
        save_model(odd, tmp_path / "m.skops")
    assert not list(tmp_path.iterdir())  # nothing half-written


@pytest.mark.parametrize("ext", [".joblib", ".skops"])
def test_newer_model_format_is_refused(wavefront_models, tmp_path, ext):
    from sklearn_wavefront.persistence import FORMAT_VERSION, load_model, save_model

    model = wavefront_models[0]["learned"]
    path = tmp_path / f"m{ext}"
    if ext == ".joblib":
        import copy

        newer = copy.copy(model)
        newer.format_version = FORMAT_VERSION + 1
        save_model(newer, path)
    else:
        pytest.importorskip("skops.io")
        save_model(model, tmp_path / "src.skops")
        _tampered(tmp_path / "src.skops", path, lambda p: p.update(format_version=FORMAT_VERSION + 1))
    with pytest.raises(ValueError, match=f"format {FORMAT_VERSION + 1}, newer than the format {FORMAT_VERSION}.*upgrade"):
        load_model(path)


@pytest.mark.parametrize("ext", [".joblib", ".skops"])
def test_other_package_versions_warn_naming_saved_and_installed(wavefront_models, tmp_path, ext):
    import copy

    import torch

    from sklearn_wavefront.persistence import ModelVersionWarning, load_model, save_model

    if ext == ".skops":
        pytest.importorskip("skops.io")
    model = copy.copy(wavefront_models[0]["learned"])
    model.versions = {**model.versions, "torch": "1.0.0", "scikit-learn": "0.20.0"}
    path = tmp_path / f"m{ext}"
    save_model(model, path)
    with pytest.warns(ModelVersionWarning) as record:
        load_model(path)
    message = str(record[0].message)
    assert "scikit-learn 0.20.0, torch 1.0.0" in message and f"torch {torch.__version__}" in message
    assert str(path) in message


def test_safe_format_without_skops_says_how_to_install(wavefront_models, tmp_path, monkeypatch):
    import sys

    from sklearn_wavefront.persistence import save_model

    monkeypatch.setitem(sys.modules, "skops", None)
    monkeypatch.setitem(sys.modules, "skops.io", None)
    with pytest.raises(ImportError, match=r"needs the skops package \(pip install skops"):
        save_model(wavefront_models[0]["learned"], tmp_path / "m.skops")
