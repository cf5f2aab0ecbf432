"""What a user of the ``wavefront`` command sees when things go wrong: interrupts, bad outputs,
bad files, warnings. Each test names the defect it guards against (issue "nothing lost, nothing
silent, part two"); the subprocess tests send a real SIGINT."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

from sklearn_wavefront import comparison as cmp
from sklearn_wavefront.cli import main

sf = pytest.importorskip("soundfile")

RATE = 4000
TINY = ["--n-recordings", "16", "--n-classes", "2", "--sample-rate", "4000", "--duration", "0.25", "--epochs", "1",
        "--folds", "2", "--n-filters", "4", "--batch-size", "8", "--no-plots"]
FIT = ["--n-filters", "4", "--epochs", "1", "--batch-size", "8"]


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _folder(root, n=12, rate=RATE, seconds=0.3):
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        label = "low" if i % 2 else "high"
        t = np.arange(int(seconds * rate)) / rate
        sf.write(root / f"rec{i}.wav", np.sin(2 * np.pi * (300 if i % 2 else 1100) * t) + 0.1 * rng.normal(size=t.size),
                 rate)
        rows.append((f"rec{i}.wav", label, f"spk{i % 3}"))
    with open(root / "labels.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "speaker"])
        w.writerows(rows)
    return root


# ------------------------------------------------------------------------------ 1, 10: interrupts
def test_10_an_interrupted_compare_is_one_line_exit_130_naming_the_kept_results(tmp_path, capsys, monkeypatch):
    real = cmp._fit_one
    calls = []

    def fit_one(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(cmp, "_fit_one", fit_one)
    out_dir = tmp_path / "out"
    code, out, err = _run(capsys, "compare", *TINY, "--models", "dummy,mel", "--kinds", "baseline,fixed",
                          "--output-dir", out_dir)
    assert code == 130
    last = err.strip().splitlines()[-1]
    assert last == f"wavefront: interrupted: the 2 of 4 (row, fold) results finished are kept in " \
                   f"{out_dir / 'results.partial.jsonl'}"
    assert "Traceback" not in err and out == ""
    kept = [json.loads(line) for line in (out_dir / "results.partial.jsonl").read_text().splitlines()]
    assert [(r["model"], r["fold"]) for r in kept] == [("dummy", 0), ("dummy", 1)]
    assert not (out_dir / "results.json").exists()


def test_10_an_interrupted_compare_from_python_is_a_keyboard_interrupt_saying_what_is_kept(monkeypatch):
    from sklearn_wavefront.exceptions import Interrupted

    def fit_one(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cmp, "_fit_one", fit_one)
    with pytest.raises(KeyboardInterrupt, match="the 0 of 2 .* are lost") as info:
        cmp.compare(n_recordings=8, n_classes=2, folds=2, models="dummy", kinds="baseline", progress=False)
    assert isinstance(info.value, Interrupted) and info.value.kept is None


def _wait_for(proc, text, timeout=120):
    """Read the process's stderr until ``text`` appears; returns what was read."""
    seen = ""
    t0 = time.monotonic()
    while text not in seen:
        line = proc.stderr.readline()
        if not line:
            if proc.poll() is not None or time.monotonic() - t0 > timeout:
                raise AssertionError(f"{text!r} never came; stderr so far:\n{seen}")
            continue
        seen += line
    return seen


def _interrupt(argv, wait_text, cwd):
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-m", "sklearn_wavefront", *map(str, argv)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        before = _wait_for(proc, wait_text)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, out, before + err


@pytest.mark.slow
def test_1_sigint_during_end_to_end_training_writes_no_model_and_exits_130(tmp_path):
    root = _folder(tmp_path / "d")
    model = tmp_path / "m.joblib"
    code, out, err = _interrupt(["fit", "--data", root, "--model", "mel", "--kind", "end-to-end", "--n-filters", "4",
                                 "--epochs", "100000", "--batch-size", "4", "--output", model],
                                "epoch 2/100000", tmp_path)
    assert code == 130, err
    assert err.strip().splitlines()[-1] == "wavefront: interrupted: no model file written"
    assert "Traceback" not in err
    assert not model.exists() and not any(p.name.startswith("m.joblib") for p in tmp_path.iterdir())


@pytest.mark.slow
def test_10_sigint_into_a_running_compare_keeps_and_names_the_partial_results(tmp_path):
    out_dir = tmp_path / "o"
    code, out, err = _interrupt(["compare", "--models", "dummy,mel", "--kinds", "baseline,end-to-end", "--folds", "2",
                                 "--n-recordings", "16", "--n-classes", "2", "--n-filters", "4", "--epochs", "100000",
                                 "--no-plots", "--output-dir", out_dir],
                                "dummy       baseline   fold 2/2", tmp_path)
    assert code == 130, err
    assert err.strip().splitlines()[-1] == (f"wavefront: interrupted: the 2 of 4 (row, fold) results finished are kept "
                                            f"in {out_dir / 'results.partial.jsonl'}")
    assert "Traceback" not in err
    assert len((out_dir / "results.partial.jsonl").read_text().splitlines()) == 2


# --------------------------------------------------------------------- 7, 8: fit's checks and words
def test_7_fit_checks_the_sample_rate_and_seed_as_compare_does(tmp_path, capsys):
    root = _folder(tmp_path / "d")
    code, out, err = _run(capsys, "fit", "--data", root, "--model", "comb", "--sample-rate", "100",
                          "--output", tmp_path / "m.joblib")
    assert code == 2 and err.strip() == ("wavefront: error: --sample-rate 100 is too low for the comb front-end with "
                                         "--n-filters 16: it needs at least 101 Hz (pass a higher --sample-rate or "
                                         "choose another --model)")
    # the files' own rate, too low for the comb front-end: found after reading, the same words
    low = _folder(tmp_path / "low", rate=100, seconds=1.0)
    code, out, err = _run(capsys, "fit", "--data", low, "--model", "comb", *FIT, "--output", tmp_path / "m.joblib")
    assert code == 2 and "--sample-rate 100 is too low for the comb front-end" in err, err
    for command in (["fit", "--data", root, "--output", tmp_path / "m.joblib"], ["compare", *TINY]):
        code, out, err = _run(capsys, *command, "--random-state", "-1")
        assert code == 2 and err.strip() == "wavefront: error: --random-state must be a whole number from 0 to 2**32 - 1, got -1"
    assert not (tmp_path / "m.joblib").exists()


def test_8_cli_errors_name_flags_not_python_parameters(tmp_path, capsys):
    root = _folder(tmp_path / "d")
    (root / "rec3.wav").write_bytes(b"not audio")
    code, out, err = _run(capsys, "fit", "--data", root, *FIT, "--output", tmp_path / "m.joblib")
    assert code == 2 and "--on-error skip" in err and "on_error" not in err, err
    # --on-error skip leaves it out and says so in one line
    code, out, err = _run(capsys, "fit", "--data", root, *FIT, "--on-error", "skip", "--output", tmp_path / "m.joblib",
                          "--quiet")
    assert code == 0, err
    assert err.startswith("wavefront: warning: --on-error skip: left out 1 of 12 files") and "on_error" not in err
    # two rates and no --sample-rate
    sf.write(root / "rec3.wav", np.zeros(800), 8000)
    code, out, err = _run(capsys, "fit", "--data", root, *FIT, "--output", tmp_path / "m.joblib")
    assert code == 2 and "pass --sample-rate HZ" in err and "sample_rate" not in err, err
    # a UTF-16 labels file
    text = (root / "labels.csv").read_text()
    (root / "labels.csv").write_text(text, encoding="utf-16")
    code, out, err = _run(capsys, "compare", "--data", root, "--models", "dummy", "--kinds", "baseline",
                          "--output-dir", tmp_path / "o")
    assert code == 2 and "--encoding utf-16" in err and "encoding=" not in err, err
    code, out, err = _run(capsys, "compare", "--data", root, "--models", "dummy", "--kinds", "baseline",
                          "--sample-rate", "4000", "--folds", "2", "--encoding", "utf-16", "--quiet", "--no-plots",
                          "--output-dir", tmp_path / "o")
    assert code == 0, err


def test_8_every_python_hint_of_the_folder_loader_has_a_flag():
    # the loader's messages advise Python parameters ("pass x=..."): the command translates each
    import re
    from pathlib import Path

    source = (Path(cmp.__file__).parent / "datasets" / "_folder.py").read_text()
    hints = set(re.findall(r"pass (\w+)=", source)) | set(re.findall(r"(\w+)='(?:skip|first)'", source))
    translated = {python.split("=")[0].split()[-1] for python, _ in cmp._LOADER_ADVICE_AS_FLAGS}
    assert hints and hints <= translated, hints - translated


# ------------------------------------------------------------------------------------ 9: warnings
def test_9_warnings_raised_inside_a_fold_are_said_once_in_the_notes(tmp_path, capsys, monkeypatch):
    from sklearn.dummy import DummyClassifier
    from sklearn.exceptions import ConvergenceWarning

    class Warns(DummyClassifier):
        def fit(self, X, y, **kwargs):
            warnings.warn("lbfgs failed to converge", ConvergenceWarning)
            warnings.warn("lbfgs failed to converge", ConvergenceWarning)
            return super().fit(X, y)

    monkeypatch.setattr(cmp, "make_estimator", lambda *args, **kwargs: Warns())
    code, out, err = _run(capsys, "compare", *TINY, "--models", "dummy", "--kinds", "baseline",
                          "--output-dir", tmp_path / "o", "--quiet")
    assert code == 0, err
    notes = [line for line in out.splitlines() if "warned" in line]
    assert notes == ["note: dummy baseline: warned while training in 2 of 2 folds: "
                     "ConvergenceWarning: lbfgs failed to converge"]
    assert err == ""


def test_9_a_warning_is_one_line_even_under_quiet_and_fit_says_its_training_warnings(tmp_path, capsys, monkeypatch):
    from sklearn.exceptions import ConvergenceWarning

    from sklearn.linear_model import LogisticRegression

    real = LogisticRegression.fit

    def warn_then_fit(self, X, y, **kw):
        warnings.warn("lbfgs failed\nto converge", ConvergenceWarning)
        return real(self, X, y, **kw)

    monkeypatch.setattr(LogisticRegression, "fit", warn_then_fit)
    root = _folder(tmp_path / "d")
    code, out, err = _run(capsys, "fit", "--data", root, "--model", "mel", *FIT, "--output", tmp_path / "m.joblib",
                          "--quiet")
    assert code == 0, err
    assert err.splitlines() == ["wavefront: warning: while training: ConvergenceWarning: lbfgs failed to converge"]
