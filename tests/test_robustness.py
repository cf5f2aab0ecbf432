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


def test_early_stopping_ends_a_fit_quietly_without_its_source(monkeypatch):
    # installs without source files (compiled only, frozen apps): the deliberate stop is told from
    # a Ctrl-C by the instruction it stopped at, not by reading the line
    import linecache

    monkeypatch.setattr(linecache, "getline", lambda *a, **k: "")
    monkeypatch.setattr(linecache, "getlines", lambda *a, **k: [])
    test_early_stopping_still_ends_a_fit_quietly()


def test_a_ctrl_c_while_early_stopping_checks_its_epoch_is_an_interruption():
    # Python's SIGINT handler is C code: a Ctrl-C landing while EarlyStopping.on_epoch_end runs leaves
    # that method as the innermost frame, as its own deliberate stop does; only the latter is a `raise`
    import signal

    from skorch.callbacks import EarlyStopping

    class CtrlCWhileChecking(EarlyStopping):
        def on_epoch_end(self, net, **kwargs):
            if len(net.history) == 2:
                signal.raise_signal(signal.SIGINT)  # Python's own handler raises KeyboardInterrupt here
            super().on_epoch_end(net, **kwargs)

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        X, y = _data()
        clf = WaveformClassifier(sample_rate=RATE, n_filters=4, max_epochs=6, batch_size=4, random_state=0,
                                 callbacks=[("stop", CtrlCWhileChecking(monitor="train_loss", patience=100))])
        with pytest.raises(KeyboardInterrupt):
            clf.fit(X, y)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert len(clf.history) == 2


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


# -- 3./4. non-regular, broken and loud audio files -------------------------------------------------
@pytest.fixture
def no_hang():
    """Fail (instead of hanging the suite) if the test blocks for more than 20 s."""
    import signal

    if not hasattr(signal, "SIGALRM"):
        pytest.skip("needs SIGALRM")

    def timeout(signum, frame):
        raise TimeoutError("blocked: the file was opened as if it were a regular file")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _folder_with(tmp_path, name, make):
    import soundfile as sf

    sf.write(tmp_path / "ok.wav", np.zeros(800, dtype=np.float32) + 0.1, RATE)
    make(tmp_path / name)
    (tmp_path / "labels.csv").write_text(f"path,label\nok.wav,a\n{name},b\n")
    return tmp_path


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="needs os.mkfifo")
def test_a_fifo_in_the_folder_is_refused_without_blocking(tmp_path, no_hang):
    import os

    from sklearn_wavefront.datasets import AudioFileError, load_audio_folder, read_audio

    root = _folder_with(tmp_path, "pipe.wav", os.mkfifo)
    with pytest.raises(ValueError, match=r"audio file \S*pipe\.wav .*is not a regular file \(a named pipe \(FIFO\)\)"):
        load_audio_folder(root)
    with pytest.raises(AudioFileError, match=r"pipe\.wav is not a regular file") as info:
        read_audio(root / "pipe.wav")
    assert info.value.path == str(root / "pipe.wav")
    with pytest.warns(UserWarning, match=r"left out 1 of 2 files.*pipe\.wav: is not a regular file"):
        bunch = load_audio_folder(root, on_error="skip")
    assert [p for p, _ in bunch.skipped] == [str(root / "pipe.wav")]


@pytest.mark.skipif(not __import__("os").path.exists("/dev/urandom"), reason="needs /dev/urandom")
def test_a_device_file_is_refused_without_reading_it(tmp_path, no_hang):
    import os

    from sklearn_wavefront.datasets import AudioFileError, load_audio_folder, read_audio

    with pytest.raises(AudioFileError, match=r"/dev/urandom is not a regular file \(a character device\)"):
        read_audio("/dev/urandom")
    root = _folder_with(tmp_path, "noise.wav", lambda p: os.symlink("/dev/urandom", p))
    with pytest.raises(ValueError, match=r"noise\.wav .*not a regular file \(a character device\)"):
        load_audio_folder(root)


def test_a_broken_symlink_and_a_folder_are_named_as_such(tmp_path):
    import os

    from sklearn_wavefront.datasets import load_audio_folder, read_audio

    root = _folder_with(tmp_path, "gone.wav", lambda p: os.symlink(tmp_path / "nowhere.wav", p))
    with pytest.raises(ValueError, match=r"gone\.wav .*is a broken symbolic link \(to \S*nowhere\.wav"):
        load_audio_folder(root)
    (tmp_path / "dir.wav").mkdir()
    with pytest.raises(ValueError, match=r"dir\.wav is not a regular file \(a folder\)"):
        read_audio(tmp_path / "dir.wav")
    with pytest.raises(FileNotFoundError, match=r"nowhere\.wav: file not found"):
        read_audio(tmp_path / "nowhere.wav")


def test_a_fifo_labels_file_is_refused(tmp_path, no_hang):
    import os

    from sklearn_wavefront.datasets import load_audio_folder

    if not hasattr(os, "mkfifo"):
        pytest.skip("needs os.mkfifo")
    os.mkfifo(tmp_path / "labels.csv")
    with pytest.raises(ValueError, match=r"labels\.csv is not a regular file \(a named pipe"):
        load_audio_folder(tmp_path)


def test_a_loud_file_is_named_by_its_path(tmp_path):
    import soundfile as sf

    from sklearn_wavefront.datasets import AudioFileError, load_audio_folder, read_audio

    def loud(path):
        x = np.zeros(800, dtype=np.float32)
        x[400] = 3e10
        sf.write(path, x, RATE, subtype="FLOAT")

    root = _folder_with(tmp_path, "loud.wav", loud)
    with pytest.raises(ValueError, match=r"audio file \S*loud\.wav .*magnitude up to 3e\+10 .*first at 0\.05 s"):
        load_audio_folder(root)
    with pytest.raises(AudioFileError, match=r"loud\.wav holds samples of magnitude up to 3e\+10"):
        read_audio(root / "loud.wav")


@pytest.mark.parametrize("content, reason", [
    (b"not audio at all", "unreadable"),
    (None, "holds no samples"),
    ("nan", "contains 1 NaN or infinite sample"),
])
def test_read_audio_names_the_file_for_every_problem(tmp_path, content, reason):
    import soundfile as sf

    from sklearn_wavefront.datasets import AudioFileError, read_audio

    path = tmp_path / "x.wav"
    if content is None:
        sf.write(path, np.zeros(0, dtype=np.float32), RATE)
    elif content == "nan":
        sf.write(path, np.array([0.0, np.nan, 0.0], dtype=np.float32), RATE, subtype="FLOAT")
    else:
        path.write_bytes(content)
    with pytest.raises(AudioFileError, match=rf"audio file {re.escape(str(path))} {reason}"):
        read_audio(path)


# -- 5. near-empty recordings -----------------------------------------------------------------------
def test_input_coverage_flags_one_sample_short_and_all_zero_recordings(wavefront_models):
    from sklearn_wavefront.persistence import input_coverage

    models, X = wavefront_models
    model = models["end-to-end"]  # segments of 0.05 s = 400 samples
    recordings = [X[0], X[0][:1], X[0][:20], np.zeros(800, dtype=np.float32), X[0][:200]]
    cov = input_coverage(model, recordings)
    assert cov.flagged.tolist() == [False, True, True, True, False]
    np.testing.assert_allclose(cov.padding_fraction, [0, 399 / 400, 380 / 400, 0, 0.5])
    assert cov.content_fraction[3] == 0 and cov.content_fraction[0] > 0.99
    assert cov.input_samples.tolist() == [800, 400, 400, 800, 400]
    assert "1 samples padded to 400: 99.8 % of the model's input is padding" in cov.reasons[1]
    assert cov.reasons[3] == "all 800 samples are silence (|x| <= 0.0001)" and cov.reasons[0] == ""
    assert np.all(np.isfinite(model.predict_proba(recordings)))  # the model answers all the same: hence the flag


def test_input_coverage_counts_wrapped_repeats_as_padding():
    from sklearn.dummy import DummyClassifier

    from sklearn_wavefront.persistence import input_coverage
    from sklearn_wavefront.segmenting import SegmentedClassifier

    X, y = _recordings(4)
    seg = SegmentedClassifier(DummyClassifier(), segment_seconds=0.2, sample_rate=RATE, pad="wrap").fit(X, y)
    ten_ms = X[0][: int(0.01 * RATE)]
    cov = input_coverage(seg, [ten_ms])
    assert cov.flagged.tolist() == [True] and cov.content_fraction[0] > 0.99  # repeats are sound, yet padding
    np.testing.assert_allclose(cov.padding_fraction, [1 - 80 / 1600])


# -- 6. spreadsheet-safe CSV and atomic writes ------------------------------------------------------
@pytest.mark.parametrize("cell", ["=1+1", "+1", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1", "-0.5.wav",
                                  "=HYPERLINK(\"http://evil\")", "\uff1d1+1"])
def test_formula_cells_are_escaped(cell):
    from sklearn_wavefront._csv import escape_cell

    assert escape_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["rec1.wav", "a=b", "sub/-x.wav", "", 0.25, -0.5, 3, None])
def test_other_cells_and_numbers_are_left_alone(cell):
    from sklearn_wavefront._csv import escape_cell

    assert escape_cell(cell) == cell


def test_safe_csv_writer_escapes_names_not_numbers():
    import csv
    import io

    from sklearn_wavefront._csv import safe_csv_writer

    buffer = io.StringIO()
    safe_csv_writer(buffer, lineterminator="\n").writerow(["=cmd|' /C calc'!A0.wav", "-yes", -0.5, 0.25])
    assert next(csv.reader(io.StringIO(buffer.getvalue()))) == ["'=cmd|' /C calc'!A0.wav", "'-yes", "-0.5", "0.25"]


def test_atomic_write_replaces_whole_or_not_at_all(tmp_path):
    import os

    from sklearn_wavefront._csv import atomic_write

    target = tmp_path / "out.csv"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    with pytest.raises(RuntimeError, match="disk full"):
        with atomic_write(target, newline="") as f:
            f.write("half of the new")
            raise RuntimeError("disk full")
    assert target.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    with atomic_write(target, newline="") as f:
        f.write("new\n")
    assert target.read_text() == "new\n" and sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    assert os.stat(target).st_mode & 0o777 == 0o640  # keeps the replaced file's permissions
    with atomic_write(tmp_path / "b.bin", "wb") as f:
        f.write(b"\x00\x01")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"


def test_atomic_write_refuses_to_overwrite_an_input(tmp_path):
    import os

    from sklearn_wavefront._csv import atomic_write

    audio = tmp_path / "x.wav"
    audio.write_bytes(b"RIFF audio")
    os.link(audio, tmp_path / "hard.csv")
    (tmp_path / "sub").mkdir()
    for target in (audio, tmp_path / "sub" / ".." / "x.wav", tmp_path / "hard.csv"):
        with pytest.raises(ValueError, match=r"refusing to write .*: it is the input file .*x\.wav"):
            with atomic_write(target, protect=[tmp_path / "sub", audio]) as f:
                f.write("path,label\n")
    assert audio.read_bytes() == b"RIFF audio"
    with pytest.raises(ValueError, match="it is a folder"):
        with atomic_write(tmp_path / "sub"):
            pass


def test_load_model_refuses_a_fifo_without_blocking(tmp_path, no_hang):
    import os

    from sklearn_wavefront.persistence import load_model

    if not hasattr(os, "mkfifo"):
        pytest.skip("needs os.mkfifo")
    os.mkfifo(tmp_path / "m.joblib")
    with pytest.raises(ValueError, match=r"m\.joblib is not a regular file"):
        load_model(tmp_path / "m.joblib")
