"""The `wavefront compare` command: built-in data, a folder with labels.csv, and bad input (exit 2)."""

import csv
import os
import subprocess
import sys

import numpy as np
import pytest

from sklearn_wavefront.cli import main

sf = pytest.importorskip("soundfile")

FAST = ["--epochs", "1", "--folds", "2", "--n-filters", "4", "--batch-size", "8"]


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_builtin_data_prints_table_and_writes_plots(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    code, out, err = _run(
        capsys, "compare", "--frontends", "comb,mel", "--kinds", "end-to-end", "--n-recordings", "16",
        "--n-classes", "2", "--sample-rate", "4000", "--duration", "0.25", "--output-dir", str(tmp_path), *FAST,
    )
    assert code == 0, err
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("model"))
    assert header.split() == ["model", "kind", "UA", "UF1", "MAcc", "fit", "(s)", "ΔUA", "(paired)", "p", "verdict", "best"]
    rows = {line.split()[0]: line for line in lines if line.split() and line.split()[0] in ("comb", "mel")}
    assert set(rows) == {"comb", "mel"}
    assert rows["comb"].count("±") == 4  # UA, UF1, MAcc, fit time
    assert "2-fold stratified CV on built-in harmonic tones" in out
    assert "positive class" in out
    assert "[4/4] mel" in err  # progress on stderr
    with open(tmp_path / "results.csv") as f:
        table = list(csv.DictReader(f))
    assert [(r["model"], r["kind"], r["fold"]) for r in table] == [
        ("comb", "end-to-end", "0"), ("comb", "end-to-end", "1"), ("mel", "end-to-end", "0"), ("mel", "end-to-end", "1")
    ]
    assert all(0.0 <= float(r["ua"]) <= 1.0 for r in table)
    for name in ("filters_comb.png", "evolution_comb.png", "filters_mel.png"):
        assert (tmp_path / name).stat().st_size > 0
    assert not (tmp_path / "evolution_mel.png").exists()  # nothing is learned in a mel front-end


def test_multiclass_has_no_macc(tmp_path, capsys):
    code, out, _ = _run(
        capsys, "compare", "--frontends", "mfcc", "--n-recordings", "12", "--n-classes", "3", "--sample-rate",
        "4000", "--duration", "0.2", "--output-dir", str(tmp_path), "--no-plots", "--quiet", *FAST,
    )
    assert code == 0
    header = next(line for line in out.splitlines() if line.startswith("model"))
    assert "MAcc" not in header and "UF1" in header


def _folder(tmp_path, n_per_class=3, extra_rows=(), rates=(8000, 16000)):
    root = tmp_path / "data"
    root.mkdir()
    rng = np.random.default_rng(0)
    rows = []
    for i in range(2 * n_per_class):
        label = "yes" if i % 2 else "no"
        rate = rates[i % len(rates)]
        t = np.arange(int(0.3 * rate)) / rate
        x = np.sin(2 * np.pi * (200 if label == "yes" else 500) * t) + 0.1 * rng.normal(size=t.size)
        ext = "flac" if i % 3 == 0 else "wav"
        sf.write(root / f"rec{i}.{ext}", x, rate)
        rows.append((f"rec{i}.{ext}", label, f"spk{i // 2}"))
    rows += list(extra_rows)
    with open(root / "labels.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "speaker"])
        w.writerows(rows)
    return root


def test_folder_with_labels_csv_and_groups(tmp_path, capsys):
    root = _folder(tmp_path)
    code, out, err = _run(
        capsys, "compare", "--data", str(root), "--frontends", "mel", "--sample-rate", "8000",
        "--group-column", "speaker", "--output-dir", str(tmp_path / "out"), "--no-plots", *FAST,
    )
    assert code == 0, err
    assert "labels.csv (6 recordings, 2 classes, 8000 Hz)" in out
    assert "all 6 recordings are 0.3 s long: nothing padded or cut" in out
    assert any(line.startswith("mel ") for line in out.splitlines())


def _error_line(err):
    lines = [line for line in err.splitlines() if line.startswith("wavefront: error:")]
    assert len(lines) == 1, err
    return lines[0]


def test_missing_audio_file(tmp_path, capsys):
    root = _folder(tmp_path, extra_rows=[("gone.wav", "yes", "spk9")])
    code, _, err = _run(capsys, "compare", "--data", str(root), "--sample-rate", "8000", *FAST)
    assert code == 2
    assert "gone.wav" in _error_line(err)


def test_unreadable_audio_file(tmp_path, capsys):
    root = _folder(tmp_path, extra_rows=[("broken.wav", "no", "spk9")])
    (root / "broken.wav").write_bytes(b"this is not audio at all")
    code, _, err = _run(capsys, "compare", "--data", str(root), "--sample-rate", "8000", *FAST)
    assert code == 2
    assert "broken.wav" in _error_line(err)


@pytest.mark.parametrize("flag, column", [("--label-column", "emotion"), ("--group-column", "session")])
def test_absent_column(tmp_path, capsys, flag, column):
    root = _folder(tmp_path)
    code, _, err = _run(capsys, "compare", "--data", str(root), "--sample-rate", "8000", flag, column, *FAST)
    assert code == 2
    line = _error_line(err)
    assert f"'{column}'" in line and "labels.csv" in line


def test_missing_folder_and_labels_file(tmp_path, capsys):
    code, _, err = _run(capsys, "compare", "--data", str(tmp_path / "nowhere"), *FAST)
    assert code == 2 and "nowhere" in _error_line(err)
    (tmp_path / "empty").mkdir()
    code, _, err = _run(capsys, "compare", "--data", str(tmp_path / "empty"), *FAST)
    assert code == 2 and "labels.csv" in _error_line(err)


def test_fewer_recordings_than_folds(tmp_path, capsys):
    root = _folder(tmp_path, n_per_class=2)
    code, _, err = _run(capsys, "compare", "--data", str(root), "--sample-rate", "8000", "--folds", "5")
    assert code == 2
    line = _error_line(err)
    assert "4 recordings, fewer than --folds 5" in line and "labels.csv" in line
    code, _, err = _run(capsys, "compare", "--n-recordings", "6", "--n-classes", "2", "--folds", "5")
    assert code == 2 and "fewer than --folds 5" in _error_line(err)


def test_unknown_frontend_and_bad_numbers(capsys):
    code, _, err = _run(capsys, "compare", "--frontends", "comb,wavelet")
    assert code == 2 and "'wavelet'" in _error_line(err)
    code, _, err = _run(capsys, "compare", "--epochs", "0")
    assert code == 2 and "--epochs" in _error_line(err)


def test_python_dash_m_entry_point(tmp_path):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    ok = subprocess.run([sys.executable, "-m", "sklearn_wavefront", "compare", "--help"],
                        capture_output=True, text=True, env=env)
    assert ok.returncode == 0 and "--frontends" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "sklearn_wavefront", "compare", "--data", str(tmp_path / "none")],
                         capture_output=True, text=True, env=env)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [f"wavefront: error: data folder not found: {tmp_path / 'none'}"]


# ---------------------------------------------------------------------------------- review regressions
TINY = ["--frontends", "mel", "--n-recordings", "8", "--n-classes", "2", "--no-plots", "--quiet", *FAST]


@pytest.mark.parametrize(
    "argv, named",
    [
        (["--duration", "-1"], "--duration"),
        (["--duration", "0.0001"], "--duration"),
        (["--sample-rate", "-8000"], "--sample-rate"),
        (["--sample-rate", "100"], "--sample-rate"),
        (["--noise", "-1"], "--noise"),
        (["--noise", "nan"], "--noise"),
        (["--lr", "-1"], "--lr"),
        (["--lr", "0"], "--lr"),
        (["--device", "bogus"], "--device"),
    ],
)
def test_bad_option_values_give_one_line_and_exit_2(tmp_path, capsys, argv, named):
    code, _, err = _run(capsys, "compare", *TINY, "--output-dir", str(tmp_path / "out"), *argv)
    assert code == 2, err
    line = _error_line(err)
    assert named in line and argv[1] in line
    assert "Traceback" not in err


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="CUDA is available here")
def test_device_cuda_without_cuda(tmp_path, capsys):
    code, _, err = _run(capsys, "compare", *TINY, "--output-dir", str(tmp_path / "out"), "--device", "cuda")
    assert code == 2 and "--device" in _error_line(err) and "cuda" in _error_line(err)


def test_output_dir_that_is_a_file(tmp_path, capsys):
    path = tmp_path / "afile"
    path.write_text("x")
    code, _, err = _run(capsys, "compare", *TINY, "--output-dir", str(path))
    assert code == 2
    line = _error_line(err)
    assert "--output-dir" in line and str(path) in line


def test_grouped_folds_need_enough_groups_per_class(tmp_path, capsys):
    """Class 'no' lives in one speaker only: with 2 grouped folds one fold would lack it."""
    root = tmp_path / "data"
    root.mkdir()
    rows = []
    for i in range(8):
        label = "yes" if i < 6 else "no"
        sf.write(root / f"r{i}.wav", np.sin(np.arange(2400) * (0.1 + 0.05 * i)), 8000)
        rows.append((f"r{i}.wav", label, f"spk{i % 3}" if label == "yes" else "spk9"))
    with open(root / "labels.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "speaker"])
        w.writerows(rows)
    code, _, err = _run(capsys, "compare", "--data", str(root), "--group-column", "speaker",
                        "--output-dir", str(tmp_path / "out"), *TINY[:2], "--no-plots", "--quiet", *FAST)
    assert code == 2, err
    line = _error_line(err)
    assert "'speaker'" in line and "'no'" in line and "--folds 2" in line


def test_scores_survive_a_fold_without_a_class():
    from sklearn_wavefront.comparison import fold_scores as _scores

    classes = np.array(["no", "yes"])
    for y_true, y_pred in [(["no", "no"], ["no", "no"]), (["yes", "yes"], ["yes", "no"]), (["no"], ["yes"])]:
        out = _scores(np.array(y_true), np.array(y_pred), classes)
        assert set(out) == {"UA", "UF1", "MAcc"}
        assert np.isnan(out["MAcc"]) or 0.0 <= out["MAcc"] <= 1.0


class _DivergesOnFit:
    """Stands in for a row's estimator whose training diverges (as TrainingDivergedError says)."""

    def fit(self, X, y, **params):
        from sklearn_wavefront.exceptions import TrainingDivergedError

        raise TrainingDivergedError("WaveformClassifier diverged at epoch 1, batch 1: the loss is nan")


def test_a_diverged_row_is_reported_and_the_run_goes_on(tmp_path, capsys, monkeypatch):
    """A row whose training diverges in every fold: the run still ends with a table (exit 0), the
    row says 'diverged' with no score, it is never the best row, a note names it, and the JSON / CSV
    rows carry the message with null scores; the other rows are untouched."""
    import json

    from sklearn_wavefront import comparison as cmp

    import sklearn_wavefront.auto as auto  # compare builds every row through auto.make_recipe

    real = auto.make_recipe
    monkeypatch.setattr(auto, "make_recipe",
                        lambda model, kind, *a, **k: _DivergesOnFit() if kind == "learned" else real(model, kind, *a, **k))
    code, out, err = _run(capsys, "compare", "--frontends", "gammatone", "--kinds", "fixed,learned",
                          "--n-recordings", "8", "--n-classes", "2", "--no-plots", *FAST, "--output-dir", str(tmp_path))
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith("gammatone") and "learned" in x)
    assert "diverged (2/2 folds)" in line and "±" in line  # the fit time still has its mean ± std
    assert not line.rstrip().endswith("*")
    fixed = next(x for x in out.splitlines() if x.startswith("gammatone") and "fixed" in x)
    assert fixed.count("±") == 4 and fixed.rstrip().endswith("*")  # the only scored row is the best
    assert "note: gammatone learned: training diverged in 2 of 2 folds" in out and "--lr" in out
    assert "MAcc is undefined" not in out  # a diverged fold is not a fold whose test part lacks a class
    assert "DIVERGED" in err  # the progress line of each fold
    res = json.loads((tmp_path / "results.json").read_text())
    learned = [r for r in res["rows"] if r["kind"] == "learned"]
    assert len(learned) == 2 and all(r["ua"] is None and "diverged" in r["diverged"] for r in learned)
    assert all(r["diverged"] is None and r["ua"] is not None for r in res["rows"] if r["kind"] == "fixed")
    entry = next(e for e in res["summary"] if e["kind"] == "learned")
    assert entry["n_diverged"] == 2 and entry["ua"] is None and not entry["best"]
    assert sum(e["best"] for e in res["summary"]) == 1
    with open(tmp_path / "results.csv") as f:
        table = list(csv.DictReader(f))
    assert [r["ua"] for r in table if r["kind"] == "learned"] == ["", ""]
    assert all(r["diverged"] for r in table if r["kind"] == "learned")
    assert not (tmp_path / "results.partial.jsonl").exists()


def test_a_row_diverging_in_one_fold_only_has_no_score(tmp_path, capsys, monkeypatch):
    """Diverging in fold 2 of 2: no mean over the fold that trained, no partial confusion matrix."""
    import json

    from sklearn_wavefront import comparison as cmp

    real_fit_one = cmp._fit_one

    def fit_one(model, kind, fold, *args, **kwargs):  # settings, X, y, ..., keep, groups: unchanged
        if kind == "learned" and fold == 1:
            return real_fit_one(model, kind, fold, *args, **kwargs) | {
                "ua": None, "uf1": None, "macc": None, "confusion": None, "diverged": "diverged at epoch 1"}
        return real_fit_one(model, kind, fold, *args, **kwargs)

    monkeypatch.setattr(cmp, "_fit_one", fit_one)
    code, out, err = _run(capsys, "compare", "--frontends", "gammatone", "--kinds", "fixed,learned",
                          "--n-recordings", "8", "--n-classes", "2", "--no-plots", *FAST, "--output-dir", str(tmp_path))
    assert code == 0, err
    assert "diverged (1/2 folds)" in next(x for x in out.splitlines() if x.startswith("gammatone") and "learned" in x)
    assert "training diverged in 1 of 2 folds" in out and "MAcc is undefined" not in out
    res = json.loads((tmp_path / "results.json").read_text())
    entry = next(e for e in res["summary"] if e["kind"] == "learned")
    assert entry["ua"] is None and entry["macc"] is None and entry["n_diverged"] == 1 and not entry["best"]
    scored = [r for r in res["rows"] if r["kind"] == "learned" and r["diverged"] is None]
    assert len(scored) == 1 and scored[0]["ua"] is not None  # the fold that trained is still recorded
    matrices = {m["kind"]: m["matrix"] for m in res["confusion_matrices"]}
    assert matrices["learned"] is None and sum(map(sum, matrices["fixed"])) == 8
