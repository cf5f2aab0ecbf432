"""Bad data never passes silently: one regression test per finding of the adversarial pass.

Each test is numbered like the finding it covers: (1)-(6) silent wrong results, (7)-(13) obscure
errors, (14)-(16) noise. Every one of them failed on the code before the fix.
"""

import struct
import warnings

import numpy as np
import pytest
import soundfile as sf
import torch
from joblib import parallel_backend
from sklearn.model_selection import StratifiedKFold, cross_val_score
from skorch.callbacks import Callback

from sklearn_wavefront import (
    CombFrontend,
    CombNetClassifier,
    GammatoneFrontend,
    MelFrontend,
    SegmentedClassifier,
    SincFrontend,
    WaveformClassifier,
)
from sklearn_wavefront.cli import main
from sklearn_wavefront.datasets import load_audio_folder
from sklearn_wavefront.exceptions import EmptyFilterWarning, TrainingDivergedError

SR = 4000


@pytest.fixture(autouse=True)
def _keep_global_torch_rng():
    """Some tests here reseed torch's global generator on purpose; later tests get it back as it was."""
    state = torch.get_rng_state()
    yield
    torch.set_rng_state(state)


def _tones(n=16, length=800, seed=0):
    """Two classes of noisy tones (300 / 600 Hz) at SR."""
    rng = np.random.default_rng(seed)
    t = np.arange(length) / SR
    y = np.repeat([0, 1], n // 2)
    X = np.stack([np.sin(2 * np.pi * (300 if c == 0 else 600) * t + rng.uniform(0, 6)) for c in y])
    return (X + 0.3 * rng.normal(size=X.shape)).astype(np.float32), y


def _small_classifier(cls=WaveformClassifier, **kw):
    params = dict(sample_rate=SR, n_filters=4, max_epochs=2, batch_size=4, random_state=0, device="cpu")
    if cls is WaveformClassifier:
        params.update(frontend="mel", frontend_kwargs={"n_fft": 128, "hop_length": 64})
    params.update(kw)
    return cls(**params)


def _write_folder(root, rows, header="path,label", files=None):
    root.mkdir(exist_ok=True)
    for name, x in (files or {}).items():
        sf.write(root / name, x, SR, subtype="FLOAT")
    (root / "labels.csv").write_text("\n".join([header, *rows]) + "\n")
    return root


def _tone_files(n_per_class=3, length=800):
    X, y = _tones(2 * n_per_class, length)
    return {f"r{i}.wav": x for i, x in enumerate(X)}, [f"r{i}.wav,{c}" for i, c in enumerate(y)]


def _cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------- (1), (2) no NaN models, ever
def test_1_front_end_learning_that_diverges_raises_naming_epoch_and_cause():
    X, y = _tones()
    front = GammatoneFrontend(sample_rate=SR, n_filters=4, kernel_size=64, max_epochs=2, learning_rate=1e6,
                              random_state=0)
    with pytest.raises(TrainingDivergedError, match=r"GammatoneFrontend\.fit diverged .* epoch \d+, batch \d+") as info:
        front.fit(X, y)
    assert "learning_rate=1000000.0" in str(info.value)
    assert not hasattr(front, "filterbank_")  # no half-fitted transformer left behind


def test_1_learning_at_a_sane_rate_stays_finite():
    X, y = _tones()
    front = GammatoneFrontend(sample_rate=SR, n_filters=4, kernel_size=64, max_epochs=2, learning_rate=0.05,
                              random_state=0).fit(X, y)
    assert np.isfinite(front.loss_curve_).all() and np.isfinite(front.transform(X)).all()


@pytest.mark.parametrize("scale", [1e11, 1e18, 3e19])
def test_2_huge_samples_are_rejected_by_classifiers_and_front_ends(scale):
    X, y = _tones()
    X[3] *= scale / np.abs(X[3]).max()
    with pytest.raises(ValueError, match=r"magnitude up to .*recording 3.*Scale X down"):
        _small_classifier().fit(X, y)
    with pytest.raises(ValueError, match=r"recording 3"):
        MelFrontend(sample_rate=SR, n_filters=8, n_fft=128, hop_length=64, max_epochs=1).fit(X, y)
    fitted = _small_classifier(max_epochs=1).fit(*_tones())
    for method in (fitted.predict, fitted.predict_proba, lambda X: fitted.partial_fit(X, y)):
        with pytest.raises(ValueError, match=r"recording 3"):
            method(X)
    front = MelFrontend(sample_rate=SR, n_filters=8, n_fft=128, hop_length=64).fit(_tones()[0])
    with pytest.raises(ValueError, match=r"recording 3"):
        front.transform(X)
    segmented = SegmentedClassifier(_small_classifier(max_epochs=1), segment_seconds=0.05, sample_rate=SR)
    with pytest.raises(ValueError, match=r"recording 3 of X holds samples"):  # the recording, not a segment
        segmented.fit(X, y)


def test_2_integer_pcm_scale_is_accepted():
    X, y = _tones()
    clf = _small_classifier(max_epochs=1).fit(X * 2**31, y)  # int32 PCM read as numbers
    assert np.isfinite(clf.predict_proba(X * 2**31)).all()


def test_2_classifier_training_that_diverges_raises():
    X, y = _tones()
    clf = _small_classifier(lr=1e30, gradient_clip=None, max_epochs=3)
    with pytest.raises(TrainingDivergedError, match=r"WaveformClassifier diverged at epoch \d+, batch \d+.*lr=1e\+30"):
        clf.fit(X, y)


def test_2_a_diverged_fit_leaves_no_nan_model():
    from skorch.exceptions import NotInitializedError

    X, y = _tones()
    clf = _small_classifier(lr=1e30, gradient_clip=None, max_epochs=3)
    with pytest.raises(TrainingDivergedError):
        clf.fit(X, y)
    with pytest.raises(NotInitializedError):
        clf.predict(X)
    # a continued fit that diverges gets back the model it had
    good = _small_classifier(max_epochs=2).fit(X, y)
    before, n_epochs = good.predict_proba(X), len(good.history)
    with pytest.raises(TrainingDivergedError):
        good.set_params(lr=1e30, gradient_clip=None).partial_fit(X, y)
    np.testing.assert_array_equal(good.predict_proba(X), before)
    assert len(good.history) == n_epochs
    # a front-end whose refit diverges is unfitted, not its old filters beside the new labels
    front = GammatoneFrontend(sample_rate=SR, n_filters=4, kernel_size=64, max_epochs=1, random_state=0).fit(X, y)
    with pytest.raises(TrainingDivergedError):
        front.set_params(learning_rate=1e6, max_epochs=2).fit(X, y)
    assert not [k for k in vars(front) if k.endswith("_")]


def test_2_cli_rejects_a_wav_with_huge_samples_naming_it(tmp_path, capsys):
    files, rows = _tone_files()
    files["r2.wav"] = files["r2.wav"] * 3e19
    root = _write_folder(tmp_path / "d", rows, files=files)
    code, out, err = _cli(capsys, "compare", "--data", str(root), "--folds", "2", "--epochs", "1", "--frontends", "mel",
                          "--no-plots", "--quiet", "--output-dir", str(tmp_path / "o"))
    assert code == 2 and out == ""
    assert err.startswith("wavefront: error: audio file ") and "r2.wav" in err and len(err.splitlines()) == 1


# ---------------------------------------------------------------- (3), (4), (5), (7), (8), (9) the loader
def test_3_duplicate_column_names_are_an_error(tmp_path):
    files, rows = _tone_files()
    root = _write_folder(tmp_path / "d", [r + ",x" for r in rows], header="path,label,label", files=files)
    with pytest.raises(ValueError, match=r"duplicate column name\(s\) \['label'\]"):
        load_audio_folder(root)


def test_4_a_file_listed_twice_is_an_error_or_kept_once(tmp_path):
    files, rows = _tone_files()
    root = _write_folder(tmp_path / "d", [*rows, "./r0.wav,1"], files=files)
    with pytest.raises(ValueError, match=r"r0.wav on lines 2 and 8.*on_duplicate='first'"):
        load_audio_folder(root)
    with pytest.warns(UserWarning, match="1 repeated row"):
        bunch = load_audio_folder(root, on_duplicate="first")
    assert len(bunch.data) == len(rows) and bunch.target[0] == 0  # the first row's label
    with pytest.raises(ValueError, match="on_duplicate must be"):
        load_audio_folder(root, on_duplicate="last")


def _truncate_wav(path, keep_frames):
    data = path.read_bytes()
    offset = data.index(b"data") + 8
    width = struct.unpack("<H", data[data.index(b"fmt ") + 20 : data.index(b"fmt ") + 22])[0]  # block align
    path.write_bytes(data[: offset + keep_frames * width])


@pytest.mark.parametrize("subtype", ["FLOAT", "PCM_16"])
def test_5_a_truncated_wav_is_an_error_naming_it(tmp_path, subtype):
    root = tmp_path / "d"
    root.mkdir()
    sf.write(root / "cut.wav", np.zeros(4000), SR, subtype=subtype)
    sf.write(root / "ok.wav", np.zeros(4000), SR, subtype=subtype)
    _truncate_wav(root / "cut.wav", 500)
    (root / "labels.csv").write_text("path,label\ncut.wav,a\nok.wav,b\n")
    with pytest.raises(ValueError, match=r"cut\.wav .*truncated: its header declares 4000 sample frames but only 500"):
        load_audio_folder(root)
    with pytest.warns(UserWarning, match="left out 1 of 2"):
        bunch = load_audio_folder(root, on_error="skip")
    assert [len(x) for x in bunch.data] == [4000]


@pytest.mark.parametrize("fmt, subtype", [("RF64", "PCM_16"), ("AIFF", "PCM_16"), ("AIFF", "FLOAT")])
def test_5_truncated_rf64_and_aiff_files_are_errors(tmp_path, fmt, subtype):
    root = tmp_path / "d"
    root.mkdir()
    sf.write(root / "cut.snd", np.zeros(4000), SR, format=fmt, subtype=subtype)
    data = (root / "cut.snd").read_bytes()
    (root / "cut.snd").write_bytes(data[: len(data) // 3])
    (root / "labels.csv").write_text("path,label\ncut.snd,a\n")
    with pytest.raises(ValueError, match=r"cut\.snd .*truncated: its header declares 4000 sample frames"):
        load_audio_folder(root)


def test_5_complete_files_with_extra_chunks_are_not_truncated(tmp_path):
    """A chunk after the sample data (LIST metadata), odd-sized chunks, 24-bit extensible WAV, 8-bit."""
    root = tmp_path / "d"
    root.mkdir()
    x = 0.1 * np.sin(np.arange(4001) / 7)
    sf.write(root / "meta.wav", x, SR, subtype="PCM_16")
    data = bytearray((root / "meta.wav").read_bytes())
    data += b"LIST" + struct.pack("<I", 5) + b"INFOa" + b"\x00"  # an odd chunk, padded, after data
    data[4:8] = struct.pack("<I", len(data) - 8)
    (root / "meta.wav").write_bytes(bytes(data))
    sf.write(root / "ext.wav", np.c_[x, x, x], SR, format="WAVEX", subtype="PCM_24")
    sf.write(root / "u8.wav", x, SR, subtype="PCM_U8")
    sf.write(root / "aiff.aiff", x, SR, format="AIFF", subtype="PCM_16")
    (root / "labels.csv").write_text("path,label\nmeta.wav,a\next.wav,a\nu8.wav,b\naiff.aiff,b\n")
    bunch = load_audio_folder(root)
    assert [len(r) for r in bunch.data] == [4001] * 4


def test_7_non_finite_samples_are_an_error_naming_the_file(tmp_path, capsys):
    files, rows = _tone_files()
    files["r4.wav"][100] = np.nan
    files["r1.wav"][5] = np.inf
    root = _write_folder(tmp_path / "d", rows, files=files)
    with pytest.raises(ValueError, match=r"r1\.wav .*contains 1 NaN or infinite sample"):
        load_audio_folder(root)
    code, out, err = _cli(capsys, "compare", "--data", str(root), "--folds", "2", "--epochs", "1", "--frontends", "mel",
                          "--no-plots", "--quiet", "--output-dir", str(tmp_path / "o"))
    assert code == 2 and len(err.splitlines()) == 1 and "r1.wav" in err and "NaN" in err


@pytest.mark.parametrize("row", ["r5.wav,", "r5.wav", " ,1"])
def test_8_a_row_without_label_or_path_names_the_line(tmp_path, row):
    files, rows = _tone_files()
    rows[5] = row
    root = _write_folder(tmp_path / "d", rows, files=files)
    with pytest.raises(ValueError, match=r"labels\.csv, line 7: "):
        load_audio_folder(root)


def test_8_a_row_with_extra_cells_is_an_error(tmp_path):
    files, rows = _tone_files()
    rows[0] += ",surplus"
    root = _write_folder(tmp_path / "d", rows, files=files)
    with pytest.raises(ValueError, match=r"line 2: 3 cells for the 2 columns"):
        load_audio_folder(root)


def test_8_spreadsheet_leftovers_are_ignored(tmp_path):
    """Unnamed empty trailing columns, empty trailing cells and rows of empty cells hold nothing."""
    files, rows = _tone_files(n_per_class=1)
    root = _write_folder(tmp_path / "d", [rows[0] + ",,", ",,,", rows[1] + ",", "  "], header="path,label,,",
                         files=files)
    bunch = load_audio_folder(root)
    assert len(bunch.data) == 2 and bunch.columns == []


def test_9_windows_1252_csv_is_read(tmp_path):
    files, rows = _tone_files(n_per_class=1)
    root = _write_folder(tmp_path / "d", [], files=files)
    text = "path,label,note\n" + "".join(f"{r},it\u2019s\n" for r in rows)
    (root / "labels.csv").write_bytes(text.encode("cp1252"))
    with pytest.warns(UserWarning, match="read as cp1252"):
        bunch = load_audio_folder(root)
    assert bunch.note.tolist() == ["it\u2019s", "it\u2019s"]


def test_9_latin1_and_byte_order_mark_csv_files_are_read(tmp_path):
    files, rows = _tone_files(n_per_class=1)
    root = _write_folder(tmp_path / "d", [], files=files)
    text = "path,label,speaker\n" + "".join(f"{r},Jos\u00e9\x81\n" for r in rows)  # 0x81: not cp1252
    (root / "labels.csv").write_bytes(text.encode("latin-1"))
    with pytest.warns(UserWarning, match="read as latin-1"):
        bunch = load_audio_folder(root)
    assert bunch.speaker.tolist() == ["Jos\u00e9\x81", "Jos\u00e9\x81"]
    (root / "labels.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))  # Excel's "CSV UTF-8"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bunch = load_audio_folder(root)
    assert bunch.speaker.tolist() == ["Jos\u00e9\x81", "Jos\u00e9\x81"] and len(bunch.data) == 2
    (root / "labels.csv").write_bytes(text.encode("latin-1"))
    with pytest.raises(ValueError, match=r"labels\.csv cannot be read as utf-8 .*encoding="):
        load_audio_folder(root, encoding="utf-8")
    (root / "labels.csv").write_bytes(text.encode("utf-16"))
    with pytest.raises(ValueError, match=r"labels\.csv .*UTF-16"):
        load_audio_folder(root)


# ---------------------------------------------------------------- (6) determinism under threads
class _GlobalRngVandal(Callback):
    """What another thread does to torch's global generator while this fit runs."""

    def on_batch_begin(self, net, **kwargs):
        torch.manual_seed(int(torch.randint(0, 1000, (1,))))
        torch.rand(17)


def test_6_classifier_results_do_not_depend_on_the_global_generator():
    X, y = _tones()
    torch.manual_seed(1)
    state = torch.get_rng_state()
    ref = CombNetClassifier(sample_rate=SR, n_filters=4, max_epochs=2, batch_size=4, random_state=0,
                            device="cpu").fit(X, y)
    assert torch.equal(torch.get_rng_state(), state), "fit reseeded or drew from torch's global generator"
    torch.manual_seed(2)
    other = CombNetClassifier(sample_rate=SR, n_filters=4, max_epochs=2, batch_size=4, random_state=0, device="cpu",
                              callbacks=[("vandal", _GlobalRngVandal())]).fit(X, y)
    np.testing.assert_array_equal(ref.predict_proba(X), other.predict_proba(X))
    changed = CombNetClassifier(sample_rate=SR, n_filters=4, max_epochs=2, batch_size=4, random_state=1,
                                device="cpu").fit(X, y)
    assert not np.array_equal(ref.predict_proba(X), changed.predict_proba(X))


def test_6_dropout_masks_come_from_the_estimator():
    X, y = _tones()
    kw = dict(frontend="mel", frontend_kwargs={"n_fft": 128, "hop_length": 64}, module__dropout=0.5)
    ref = _small_classifier(**kw).fit(X, y)
    other = _small_classifier(**kw, callbacks=[("vandal", _GlobalRngVandal())]).fit(X, y)
    np.testing.assert_array_equal(ref.predict_proba(X), other.predict_proba(X))
    drops = [m for m in ref.module_.modules() if isinstance(m, torch.nn.Dropout)]
    assert drops and all(getattr(m, "generator", None) is not None for m in drops)


def test_6_front_end_learning_does_not_touch_the_global_generator():
    X, y = _tones()
    torch.manual_seed(3)
    state = torch.get_rng_state()
    a = SincFrontend(sample_rate=SR, n_filters=4, kernel_size=31, max_epochs=2, batch_size=4, random_state=0).fit(X, y)
    assert torch.equal(torch.get_rng_state(), state)
    torch.manual_seed(4)
    b = SincFrontend(sample_rate=SR, n_filters=4, kernel_size=31, max_epochs=2, batch_size=4, random_state=0).fit(X, y)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))


@pytest.mark.parametrize("make, backend", [
    (lambda: CombNetClassifier(sample_rate=SR, n_filters=4, max_epochs=2, batch_size=4, random_state=0,
                               device="cpu"), "threading"),
    (lambda: CombFrontend(sample_rate=SR, n_filters=4, max_epochs=2, batch_size=4, random_state=0), "threading"),
    (lambda: CombNetClassifier(sample_rate=SR, n_filters=4, max_epochs=2, batch_size=4, random_state=0,
                               device="cpu"), "loky"),
])
def test_6_parallel_backends_give_the_same_scores_as_one_job(make, backend):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    X, y = _tones(n=24)
    est = make()
    if isinstance(est, CombFrontend):
        est = make_pipeline(est, LogisticRegression())
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    one = cross_val_score(est, X, y, cv=cv, n_jobs=1)
    with parallel_backend(backend, n_jobs=2):
        runs = [cross_val_score(est, X, y, cv=cv, n_jobs=2) for _ in range(3 if backend == "threading" else 1)]
    for scores in runs:
        np.testing.assert_array_equal(scores, one)


def test_6_balanced_batches_differ_between_epochs_and_repeat_between_runs():
    class Batches(Callback):
        def on_train_begin(self, net, **kwargs):
            self.sums = []

        def on_batch_begin(self, net, batch=None, training=False, **kwargs):
            if training:
                self.sums.append(round(float(batch[0].sum()), 4))

    X, y = _tones(n=24)
    runs = []
    for _ in range(2):
        rec = Batches()
        _small_classifier(max_epochs=2, balance="class", callbacks=[("rec", rec)]).fit(X, y)
        runs.append(rec.sums)
    assert runs[0] == runs[1]
    half = len(runs[0]) // 2
    assert runs[0][:half] != runs[0][half:]  # epoch 2 is not epoch 1 again


def test_6_skorch_options_still_work():
    """device=None (skorch's 'leave the module where it is') and an iterator that takes no generator."""
    X, y = _tones()

    def plain_loader(dataset, batch_size=32, shuffle=False, **kwargs):
        assert "generator" not in kwargs
        return torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=shuffle)

    _small_classifier(device=None, max_epochs=1).fit(X, y)
    clf = _small_classifier(max_epochs=1, iterator_train=plain_loader, iterator_valid=plain_loader).fit(X, y)
    assert clf.predict(X).shape == y.shape


# ---------------------------------------------------------------- (10) sample rates too low
def test_10_cli_names_the_lowest_sample_rate_a_front_end_needs(tmp_path, capsys):
    files, rows = _tone_files()
    root = _write_folder(tmp_path / "d", rows, files=files)
    for rate, front, low in ((100, "comb", 101), (200, "gammatone", 201)):
        code, out, err = _cli(capsys, "compare", "--data", str(root), "--sample-rate", str(rate), "--frontends", front,
                              "--folds", "2", "--epochs", "1", "--no-plots", "--quiet", "--output-dir", str(tmp_path / "o"))
        assert code == 2 and len(err.splitlines()) == 1
        assert f"--sample-rate {rate} is too low for the {front} front-end" in err and f"at least {low} Hz" in err
    # the rate named works
    from sklearn_wavefront.recipes import frontend_builds as _frontend_builds

    assert _frontend_builds("comb", 101, 16) and not _frontend_builds("comb", 100, 16)


def test_10_cli_rejects_recordings_of_a_few_samples(tmp_path, capsys):
    files, rows = _tone_files()
    root = _write_folder(tmp_path / "d", rows, files=files)
    code, out, err = _cli(capsys, "compare", "--data", str(root), "--sample-rate", "3", "--frontends", "mel",
                          "--folds", "2", "--epochs", "1", "--no-plots", "--quiet", "--output-dir", str(tmp_path / "o"))
    assert code == 2 and "median length of 1 samples at 3 Hz" in err and len(err.splitlines()) == 1


# ---------------------------------------------------------------- (11), (12), (13) obscure errors
def test_11_segmented_classifier_takes_a_dataframe():
    pd = pytest.importorskip("pandas")
    X, y = _tones()
    make = lambda: SegmentedClassifier(_small_classifier(max_epochs=1), segment_seconds=0.1, sample_rate=SR)  # noqa: E731
    from_df = make().fit(pd.DataFrame(X), y)
    from_array = make().fit(X, y)
    assert from_df.n_segments_ == from_array.n_segments_ == len(X) * 2
    np.testing.assert_array_equal(from_df.predict_proba(pd.DataFrame(X)), from_array.predict_proba(X))


def test_12_recordings_of_different_lengths_get_advice():
    X, y = _tones()
    ragged = [x[: 400 + 10 * i] for i, x in enumerate(X)]
    with pytest.raises(ValueError, match=r"16 recordings of different lengths \(400 to 550 samples\).*SegmentedClassifier"):
        _small_classifier().fit(ragged, y)
    with pytest.raises(ValueError, match=r"different lengths .*segment_signals"):
        MelFrontend(sample_rate=SR, n_filters=8, n_fft=128, hop_length=64, max_epochs=1).fit(ragged, y)


def test_12_fixed_front_ends_fit_and_transform_lists_of_any_length():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    X, y = _tones()
    ragged = [x[: 400 + 10 * i] for i, x in enumerate(X)]
    front = CombFrontend(sample_rate=SR, n_filters=4).fit(ragged)
    assert not hasattr(front, "n_features_in_")
    rows = front.transform(ragged)
    for i in (0, 7, 15):  # each row is that recording's features, whatever the others' lengths
        np.testing.assert_array_equal(rows[i], front.transform([ragged[i]])[0])
    pipe = make_pipeline(CombFrontend(sample_rate=SR, n_filters=4), LogisticRegression()).fit(ragged, y)
    assert pipe.predict(ragged).shape == (16,)
    with pytest.raises(ValueError, match="output='frames' needs recordings of equal length"):
        CombFrontend(sample_rate=SR, n_filters=4, output="frames").fit(ragged)
    with pytest.raises(ValueError, match=r"X\[2\] contains NaN"):
        CombFrontend(sample_rate=SR, n_filters=4).fit([*ragged[:2], np.full(30, np.nan), *ragged[3:]])


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message given when CUDA is missing")
def test_13_cuda_without_cuda_is_a_clear_error():
    X, y = _tones()
    with pytest.raises(ValueError, match=r"device='cuda': CUDA is not available here"):
        _small_classifier(device="cuda").fit(X, y)


# ---------------------------------------------------------------- (14), (15), (16) noise and silent skips
def test_14_learning_and_dataframe_input_raise_no_warning():
    pd = pytest.importorskip("pandas")
    X, y = _tones()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CombFrontend(sample_rate=SR, n_filters=4, max_epochs=1, batch_size=8, random_state=0).fit(X, y)
        clf = _small_classifier(max_epochs=1).fit(pd.DataFrame(X), pd.Series(y))
        clf.predict(pd.DataFrame(X))


def test_15_learning_from_a_single_class_is_an_error():
    X, _ = _tones()
    y = np.full(len(X), "a")
    with pytest.raises(ValueError, match=r"y contains only one class: 'a'.*max_epochs=0"):
        CombFrontend(sample_rate=SR, n_filters=4, max_epochs=1).fit(X, y)
    CombFrontend(sample_rate=SR, n_filters=4, max_epochs=0).fit(X, y)  # nothing to learn: fine
    with pytest.raises(ValueError, match=r"at least 2 classes, but y contains only one class: 'a'"):
        _small_classifier().fit(X, y)
    # classes=[...] announces the label set; fit still needs two of them in y
    with pytest.raises(ValueError, match=r"only one class: 'a'"):
        _small_classifier(classes=["a", "b"]).fit(X, y)
    # nothing to learn in a mel front-end: one class is no obstacle
    MelFrontend(sample_rate=SR, n_filters=8, n_fft=128, hop_length=64, max_epochs=2).fit(X, y)
    # partial_fit with the full label set announced may see one class at a time
    clf = _small_classifier(max_epochs=1, classes=["a", "b"])
    clf.partial_fit(X, y)
    assert clf.classes_.tolist() == ["a", "b"]


def test_16_mel_bands_without_any_stft_bin_are_announced():
    with pytest.warns(EmptyFilterWarning, match=r"of the n_filters=500 mel bands contain no STFT bin"):
        MelFrontend(sample_rate=16000, n_filters=500, n_fft=256).fit(np.zeros((2, 4000)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MelFrontend(sample_rate=16000, n_filters=40, n_fft=512).fit(np.zeros((2, 4000)))


def test_results_csv_untouched_by_a_failed_run(tmp_path, capsys):
    """A run that stops with an error writes no table that could be mistaken for a result."""
    files, rows = _tone_files()
    files["r0.wav"][0] = np.nan
    root = _write_folder(tmp_path / "d", rows, files=files)
    out_dir = tmp_path / "o"
    code, _, _ = _cli(capsys, "compare", "--data", str(root), "--folds", "2", "--frontends", "mel", "--no-plots",
                      "--quiet", "--output-dir", str(out_dir))
    assert code == 2 and not (out_dir / "results.csv").exists()


def test_cli_says_when_macc_leaves_out_a_fold(tmp_path, capsys):
    """Grouped folds can leave a class out of a test part: MAcc is then averaged over fewer folds, and
    the report says so."""
    X, _ = _tones(n=16)
    root = tmp_path / "d"
    root.mkdir()
    # a grouping (found by search) for which StratifiedGroupKFold(3, shuffle, seed 0) tests a fold
    # holding one class only; every class is in at least 3 speakers, so the folds check passes
    groups = ["s4", "s3", "s1", "s0", "s3", "s5", "s0", "s3", "s2", "s0", "s3", "s4", "s4", "s5", "s3", "s3"]
    y = np.array(list("bbabaaabaabbbabb"))
    rows = []
    for i, (x, c, g) in enumerate(zip(X, y, groups)):
        sf.write(root / f"r{i}.wav", x, SR, subtype="FLOAT")
        rows.append(f"r{i}.wav,{c},{g}")
    (root / "labels.csv").write_text("path,label,speaker\n" + "\n".join(rows) + "\n")
    code, out, err = _cli(capsys, "compare", "--data", str(root), "--group-column", "speaker", "--folds", "3",
                          "--models", "dummy", "--kinds", "baseline", "--quiet", "--no-plots",
                          "--output-dir", str(tmp_path / "o"))
    assert code == 0, err
    assert "note: MAcc is undefined in fold(s)" in out and "of 3 folds" in out


def test_9_the_cli_says_which_encoding_it_read(tmp_path, capsys):
    files, rows = _tone_files()
    root = _write_folder(tmp_path / "d", [], files=files)
    text = "path,label,note\n" + "".join(f"{r},caf\u00e9\n" for r in rows)
    (root / "labels.csv").write_bytes(text.encode("cp1252"))
    code, out, err = _cli(capsys, "compare", "--data", str(root), "--folds", "2", "--models", "dummy", "--kinds",
                          "baseline", "--quiet", "--no-plots", "--output-dir", str(tmp_path / "o"))
    assert code == 0, err
    assert err.startswith("wavefront: warning: ") and "read as cp1252" in err
