"""`wavefront fit` -> `predict` -> `inspect` on a tiny folder of recordings of mixed lengths and rates."""

import csv
import io
import os

import joblib
import numpy as np
import pytest
from scipy.signal import resample_poly

from sklearn_wavefront.cli import main
from sklearn_wavefront.persistence import WavefrontModel, load_model

sf = pytest.importorskip("soundfile")

RATE = 4000  # the models' rate: every file is resampled to it
FAST = ["--n-filters", "4", "--epochs", "1", "--batch-size", "8", "--sample-rate", str(RATE)]


def _tone(freq, seconds, rate, rng):
    t = np.arange(int(round(seconds * rate))) / rate
    return np.sin(2 * np.pi * freq * t) + 0.1 * rng.normal(size=t.size)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """12 recordings of 0.15 to 0.8 s, at 8000 Hz and 16000 Hz, two classes, three speakers."""
    root = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    rows, lengths = [], []
    for i in range(12):
        label = "low" if i % 2 else "high"
        rate = 16000 if i % 3 == 0 else 8000
        seconds = float(rng.uniform(0.15, 0.8))
        sf.write(root / f"rec{i}.wav", _tone(200 if label == "low" else 1200, seconds, rate, rng), rate)
        rows.append((f"rec{i}.wav", label, f"spk{i // 4}"))
        lengths.append(int(round(seconds * rate)) * RATE / rate)
    with open(root / "labels.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "speaker"])
        w.writerows(rows)
    new = root / "new"
    (new / "nested").mkdir(parents=True)
    sf.write(new / "long.flac", _tone(200, 3.0, 16000, rng), 16000)  # longer than any training file
    sf.write(new / "nested" / "tiny.wav", _tone(1200, 0.01, 8000, rng), 8000)  # shorter than a segment
    (new / "notes.txt").write_text("not audio, ignored in folders")
    return root, int(np.max(np.ceil(lengths)))  # the longest recording at RATE, in samples


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def models(folder, tmp_path_factory):
    root, _ = folder
    out = tmp_path_factory.mktemp("models")
    paths = {}
    for name, kind, extra in (("comb", "learned", []), ("iconnet", "end-to-end", ["--group-column", "speaker"])):
        path = out / f"{name}.joblib"
        code = main(["fit", "--data", str(root), "--model", name, "--kind", kind, *FAST, *extra,
                     "--output", str(path), "--quiet"])
        assert code == 0
        paths[kind] = path
    return paths


def test_fit_saves_model_with_settings_and_versions(folder, tmp_path, capsys):
    root, longest = folder
    path = tmp_path / "m.joblib"
    code, out, err = _run(capsys, "fit", "--data", root, "--model", "mel", *FAST, "--output", path)
    assert code == 0, err
    assert f"saved {path}" in out
    assert "reading" in err and "trained on" in err  # progress on stderr
    model = load_model(path)
    assert isinstance(model, WavefrontModel)
    assert model.classes_.tolist() == ["high", "low"]
    assert model.sample_rate == RATE
    # default segment: compare's length policy, every recording zero-padded to the longest (after
    # resampling, in whole samples) as it is at most --max-duration 10 s
    seg = model.estimator
    assert seg.segment_length_ == longest == int(round(model.settings["segment_seconds"] * RATE))
    assert model.settings["length_policy"]["mode"] == "pad" and model.settings["max_duration"] == 10
    assert model.settings["model"] == "mel" and model.settings["kind"] == "learned"
    assert model.settings["recipe"]["built_as"] == "fixed"  # mel has nothing to learn
    # the score: an inner 3-fold CV of the same recipe (FAST has no --cv-folds), said in the progress
    cv = model.settings["cv_score"]
    assert cv["source"] == "inner-cv" and cv["n_folds"] == 3 and len(cv["ua_folds"]) == 3
    assert "score: inner 3-fold stratified CV" in err and "cv score: UA" in out
    assert model.versions["torch"] and model.versions["scikit-learn"] and model.versions["sklearn-wavefront"]
    assert model.command[:3] == ["wavefront", "fit", "--data"]


@pytest.mark.parametrize("kind", ["learned", "end-to-end"])
def test_predict_csv_matches_model_on_resampled_audio(folder, models, kind, tmp_path, capsys):
    root, _ = folder
    path = models[kind]
    code, out, err = _run(capsys, "predict", path, root / "rec1.wav", root / "new", "--quiet")
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["path", "label", "proba_high", "proba_low", "status", "note"]
    files = [str(root / "rec1.wav"), str(root / "new" / "long.flac"), str(root / "new" / "nested" / "tiny.wav")]
    assert [r[0] for r in rows[1:]] == files  # notes.txt is not audio
    # the 10 ms file is more than 90 % padding in a 0.625 s segment (the longest training recording):
    # labelled, but flagged with the reason
    assert [r[4] for r in rows[1:]] == ["ok", "ok", "flagged"]
    assert rows[3][5] == ("only 1.6 % of the model's input is sound (|x| > 0.0001); 40 samples padded to 2501: "
                          "98.4 % of the model's input is padding")
    proba = np.array([[float(v) for v in r[2:4]] for r in rows[1:]])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert [r[1] for r in rows[1:]] == np.array(["high", "low"])[proba.argmax(axis=1)].tolist()
    # reference: the same files resampled by scipy directly and given to the loaded estimator
    model = load_model(path)
    recs = []
    for f in files:
        x, rate = sf.read(f, dtype="float32")
        recs.append(resample_poly(x.astype(np.float64), RATE, rate) if rate != RATE else x)
    np.testing.assert_allclose(proba, model.estimator.predict_proba(recs), atol=2e-5)
    # --output writes the same CSV
    target = tmp_path / "pred.csv"
    code, out2, _ = _run(capsys, "predict", path, root / "rec1.wav", root / "new", "--output", target, "--quiet")
    assert code == 0 and out2 == ""
    assert target.read_text() == out


def test_inspect_learned_comb_writes_filter_table(models, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    code, out, err = _run(capsys, "inspect", models["learned"], "--output-dir", tmp_path)
    assert code == 0, err
    with open(tmp_path / "filters.csv") as f:
        table = list(csv.DictReader(f))
    assert list(table[0]) == ["filter", "f0_hz", "initial_f0_hz", "delay_samples", "alpha"]
    front = load_model(models["learned"]).estimator.estimator_.named_steps["frontend"]
    np.testing.assert_allclose([float(r["f0_hz"]) for r in table], front.f0_, rtol=1e-5)
    np.testing.assert_allclose([float(r["alpha"]) for r in table], front.alpha_, rtol=1e-5)
    np.testing.assert_allclose([float(r["delay_samples"]) * float(r["f0_hz"]) for r in table], RATE, rtol=1e-4)
    # the initial f0 are log-spaced over [fmin, fmax] (the comb rule), and learning moved them
    init = np.array([float(r["initial_f0_hz"]) for r in table])
    np.testing.assert_allclose(np.diff(np.log(init)), np.diff(np.log(init)).mean(), rtol=1e-4)
    assert (tmp_path / "filters.png").stat().st_size > 0
    assert not (tmp_path / "evolution.png").exists()
    assert "no per-epoch history" in out


def test_inspect_end_to_end_has_history_and_bands(models, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    code, out, err = _run(capsys, "inspect", models["end-to-end"], "--output-dir", tmp_path)
    assert code == 0, err
    with open(tmp_path / "filters.csv") as f:
        table = list(csv.DictReader(f))
    assert list(table[0]) == ["filter", "center_hz", "initial_center_hz", "low_hz", "high_hz", "bandwidth_hz"]
    model = load_model(models["end-to-end"])
    fb = model.estimator.estimator_.module_.filterbank
    bands = fb.bands()
    np.testing.assert_allclose([[float(r["low_hz"]), float(r["high_hz"])] for r in table], bands, rtol=1e-5)
    np.testing.assert_allclose([float(r["center_hz"]) for r in table], bands.mean(axis=1), rtol=1e-5)
    np.testing.assert_allclose([float(r["initial_center_hz"]) for r in table], model.filter_history[0], rtol=1e-5)
    assert model.filter_history.shape == (2, 4)  # before training and after the one epoch
    for name in ("filters.png", "evolution.png"):
        assert (tmp_path / name).stat().st_size > 0


def test_help_warns_that_loading_runs_code(capsys):
    for command in ("fit", "predict", "inspect"):
        assert main([command, "--help"]) == 0  # main returns argparse's exit code
        assert "runs code" in " ".join(capsys.readouterr().out.split())


def _error(capsys, *argv):
    code, out, err = _run(capsys, *argv)
    assert code == 2
    lines = err.strip().splitlines()
    assert lines[-1].startswith("wavefront: error: "), err
    return lines[-1]


def test_errors_are_one_line_exit_2(folder, models, tmp_path, capsys):
    root, _ = folder
    model = models["learned"]
    assert "nowhere" in _error(capsys, "fit", "--data", tmp_path / "nowhere", "--output", tmp_path / "m.joblib")
    assert "--output" in _error(capsys, "fit", "--data", root, "--output", tmp_path / "no" / "m.joblib")
    assert "'dialect'" in _error(capsys, "fit", "--data", root, "--model", "iconnet", *FAST, "--group-column", "dialect",
                                 "--output", tmp_path / "m.joblib", "--quiet")
    assert "--segment-seconds" in _error(capsys, "fit", "--data", root, "--model", "iconnet", *FAST, "--segment-seconds", "0.001",
                                         "--output", tmp_path / "m.joblib", "--quiet")
    assert "--epochs" in _error(capsys, "fit", "--data", root, "--model", "iconnet", "--epochs", "0",
                                "--output", tmp_path / "m.joblib")
    # the search's candidates have their own sizes: a size given with the kind auto is refused, by name
    assert "--n-filters 8 is not used by --kind auto" in _error(capsys, "fit", "--data", root, "--n-filters", "8",
                                                               "--output", tmp_path / "m.joblib")
    assert "model file not found" in _error(capsys, "predict", tmp_path / "none.joblib", root)
    assert "not a model file" in _error(capsys, "predict", root / "labels.csv", root)
    joblib.dump({"not": "a model"}, tmp_path / "dict.joblib")
    assert "holds a dict" in _error(capsys, "predict", tmp_path / "dict.joblib", root)
    assert "missing.wav" in _error(capsys, "predict", model, root / "missing.wav")
    (tmp_path / "bad.wav").write_text("not audio")
    assert "unreadable" in _error(capsys, "predict", model, tmp_path / "bad.wav", "--on-error", "raise", "--quiet")
    (tmp_path / "empty").mkdir()
    assert "holds no audio file" in _error(capsys, "predict", model, tmp_path / "empty")
    assert "model file not found" in _error(capsys, "inspect", tmp_path / "none.joblib")


def _table(front):
    from sklearn_wavefront.inspection import filter_table

    names, rows = filter_table(front.fit(np.zeros((2, 800))).filterbank_)
    return {n: np.array([r[i] for r in rows]) for i, n in enumerate(names)}


def test_filter_table_gammatone_follows_the_erb_rule():
    from sklearn_wavefront.frontends import GammatoneFrontend

    t = _table(GammatoneFrontend(sample_rate=8000, n_filters=5, kernel_size=64))
    assert list(t) == ["filter", "center_hz", "bandwidth_hz", "order"]
    f = t["center_hz"]
    np.testing.assert_allclose(t["bandwidth_hz"], 1.019 * 24.7 * (4.37 * f / 1000 + 1), rtol=1e-4)
    np.testing.assert_allclose(t["order"], 4.0, rtol=1e-4)


def test_filter_table_mel_edges_are_the_neighbouring_centres():
    from sklearn_wavefront.filterbanks.mel import mel_weights
    from sklearn_wavefront.frontends import MelFrontend, MFCCFrontend

    for front in (MelFrontend(sample_rate=8000, n_filters=6, fmin=100.0, n_fft=256, hop_length=80),
                  MFCCFrontend(sample_rate=8000, n_mfcc=4, n_filters=6, fmin=100.0, n_fft=256, hop_length=80)):
        t = _table(front)
        assert list(t) == ["filter", "center_hz", "low_hz", "high_hz", "bandwidth_hz"] and len(t["filter"]) == 6
        np.testing.assert_allclose(t["low_hz"][1:], t["center_hz"][:-1], rtol=1e-9)
        np.testing.assert_allclose(t["high_hz"][:-1], t["center_hz"][1:], rtol=1e-9)
        assert t["low_hz"][0] == pytest.approx(100.0) and t["high_hz"][-1] == pytest.approx(4000.0)
        # the triangles vanish at their edges and peak at their centres
        for i in range(6):
            w = mel_weights(np.array([t["low_hz"][i], t["center_hz"][i], t["high_hz"][i]]), 100.0, 4000.0, 6)[i]
            assert w[0] == pytest.approx(0, abs=1e-9) and w[2] == pytest.approx(0, abs=1e-9) and w[1] > 0


def test_learned_fit_reports_each_epoch_on_stderr(folder, tmp_path, capsys):
    root, _ = folder
    code, out, err = _run(capsys, "fit", "--data", root, "--model", "comb", "--kind", "learned", *FAST,
                          "--output", tmp_path / "m.joblib")
    assert code == 0, err
    epochs = [line for line in err.splitlines() if line.startswith("[CombFrontend] epoch ")]
    n = int(FAST[FAST.index("--epochs") + 1])
    assert [line.split("  ")[0] for line in epochs] == [f"[CombFrontend] epoch {i}/{n}" for i in range(1, n + 1)]
    assert "[CombFrontend] epoch" not in out  # stdout keeps the results only (the model's settings say "epochs 1")


def test_predict_labels_follow_the_models_tie_rule(folder, tmp_path, capsys):
    """With majority votes, a recording of one 'high' and one 'low' segment is a tie: the CSV must
    carry the model's decision (highest mean segment probability), not the first tied column."""
    root, _ = folder
    path = tmp_path / "maj.joblib"
    code, _, err = _run(capsys, "fit", "--data", root, "--model", "mel", "--kind", "learned", *FAST,
                        "--aggregate", "majority", "--segment-seconds", "0.25", "--output", path)
    assert code == 0, err
    rng = np.random.default_rng(1)
    ties = tmp_path / "ties"
    ties.mkdir()
    for i in range(4):  # 'low' first or 'high' first, half a second each: two segments that disagree
        first, second = (200, 1200) if i % 2 else (1200, 200)
        sf.write(ties / f"mix{i}.wav", np.r_[_tone(first, 0.25, RATE, rng), _tone(second, 0.25, RATE, rng)], RATE)
    code, out, err = _run(capsys, "predict", path, ties)
    assert code == 0, err
    table = list(csv.DictReader(io.StringIO(out)))
    model = load_model(path)
    recordings = [sf.read(r["path"])[0] for r in table]
    assert [r["label"] for r in table] == model.predict(recordings).tolist()
    assert any(float(r["proba_high"]) == float(r["proba_low"]) == 0.5 for r in table)  # ties did happen
