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
FIT = ["--kind", "learned", "--n-filters", "4", "--epochs", "1", "--batch-size", "8"]  # one recipe: these tests are about faults, not the search


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
    """Read the process's stderr until ``text`` appears, at most ``timeout`` seconds; returns what was
    read. A reader thread feeds a queue, so a process that never prints ``text`` fails the test
    instead of blocking it."""
    import queue
    import threading

    if not hasattr(proc, "_lines"):
        proc._lines = queue.Queue()

        def pump():
            for line in proc.stderr:
                proc._lines.put(line)
            proc._lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
    seen, deadline = "", time.monotonic() + timeout
    while text not in seen:
        try:
            line = proc._lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            proc.kill()
            raise AssertionError(f"{text!r} never came within {timeout} s; stderr so far:\n{seen}") from None
        if line is None:
            raise AssertionError(f"{text!r} never came; the process ended; stderr:\n{seen}")
        seen += line
    return seen


def _rest(proc, timeout=120):
    """The rest of stderr after the process ends (read by the pump of :func:`_wait_for`). A process
    still running after ``timeout`` s fails the test with every thread's Python stack (the child's
    faulthandler answers SIGUSR1, see :data:`_CHILD`), so a hang says where it hung."""
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGUSR1)
        time.sleep(2)
        proc.kill()
        proc.wait()
        raise AssertionError(f"still running {timeout} s after the signal; stderr with its stacks:\n"
                             f"{_drain(proc, timeout=10)}") from None
    return _drain(proc)


def _drain(proc, timeout=120):
    import queue

    rest = []
    while True:
        try:
            line = proc._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"the process ended but its stderr stayed open {timeout} s (a child process of "
                                 f"its own holding it?); stderr so far:\n{''.join(rest)}") from None
        if line is None:
            return "".join(rest)
        rest.append(line)


# ``python -m sklearn_wavefront``, with faulthandler dumping every thread's stack on SIGUSR1
_CHILD = ("import faulthandler, signal; faulthandler.register(signal.SIGUSR1, all_threads=True); "
          "from sklearn_wavefront.cli import entry_point; entry_point()")


def _interrupt(argv, wait_text, cwd, delay=0.5):
    # a cold compiler cache: an interrupt that lands in torch's compiler once turned the exit
    # code 130 into a death by SIGINT (see cli.entry_point)
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1", TORCHINDUCTOR_CACHE_DIR=str(cwd / "inductor"))
    # SIGINT's default action in the child, whatever this process does with it (a pytest started in
    # the background ignores SIGINT, and an ignored signal stays ignored across exec)
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, *map(str, argv)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        before = _wait_for(proc, wait_text)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        err = _rest(proc)
        out = proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, out, before + err


def _signal_a_handler(tmp_path, body):
    """Run ``wavefront``'s entry point on a command handler whose body is ``body`` (Python lines, the
    handler's indentation), SIGINT it once it prints ``ready``: ``(code, stderr lines after ready,
    seconds from the signal to the end)``."""
    script = tmp_path / "handler.py"
    script.write_text(
        "import faulthandler, signal, sys, threading, time\n"
        "faulthandler.register(signal.SIGUSR1, all_threads=True)\n"
        "from sklearn_wavefront import cli\n"
        "from sklearn_wavefront.cli._common import run_handler\n"
        "from sklearn_wavefront.exceptions import Interrupted\n"
        "def handler(args, argv):\n" + body +
        "class Args:\n"
        "    on_interrupt = 'nothing kept'\n"
        "cli.main = lambda argv=None: run_handler(handler, Args(), [])\n"
        "cli.entry_point()\n")
    proc = subprocess.Popen([sys.executable, str(script)], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        _wait_for(proc, "ready")
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        err = _rest(proc, timeout=60)
        waited = time.monotonic() - start
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, err.splitlines(), waited


def test_the_watchdog_resends_through_interrupt_main_where_there_is_no_pthread_kill(monkeypatch):
    # Windows has no pthread_kill: the re-send falls back to _thread.interrupt_main
    import threading

    from sklearn_wavefront.cli import _signals

    monkeypatch.delattr(signal, "pthread_kill", raising=False)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            _signals._send(signal.SIGINT, threading.main_thread().ident)
            for _ in range(1000):  # the flag is seen at the next check between bytecodes
                time.sleep(0.001)
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.slow
def test_an_interrupt_that_a_library_swallows_still_ends_the_command(tmp_path):
    # Python run by C code (a ctypes callback, a finalizer) prints an exception raised in it and goes
    # on, and some libraries catch KeyboardInterrupt: the command raises it again until handled, even
    # in a main thread blocked in a wait (a real signal, not a flag checked between bytecodes)
    from sklearn_wavefront.cli._signals import REDELIVER_SECONDS

    code, lines, waited = _signal_a_handler(tmp_path, (
        "    try:\n"
        "        print('ready', file=sys.stderr, flush=True)  # inside: the signal may come at once\n"
        "        while True:\n"
        "            time.sleep(0.01)\n"
        "    except KeyboardInterrupt:\n"
        "        print('swallowed', file=sys.stderr, flush=True)\n"
        "    threading.Event().wait()  # then blocked for good, as a training waiting on a lock\n"))
    assert code == 130, lines
    assert lines == ["swallowed", "wavefront: interrupted: nothing kept"]
    assert waited >= REDELIVER_SECONDS  # raised again after the wait, not at once


@pytest.mark.slow
def test_a_cleanup_after_an_interrupt_longer_than_the_watchdog_is_not_cut_short(tmp_path):
    # compare catches the interrupt, closes its partial file and says what it kept: a cleanup that
    # takes longer than the re-delivery interval is handling the interrupt, not losing it
    code, lines, waited = _signal_a_handler(tmp_path, (
        "    try:\n"
        "        print('ready', file=sys.stderr, flush=True)\n"
        "        while True:\n"
        "            time.sleep(0.01)\n"
        "    except KeyboardInterrupt as exc:\n"
        "        try:\n"
        "            time.sleep(6.5)  # in the except block\n"
        "            raise Interrupted('the 2 results finished are kept') from exc\n"
        "        finally:\n"
        "            time.sleep(6.5)  # and in a finally block while it propagates\n"))
    assert code == 130, lines
    assert lines == ["wavefront: interrupted: the 2 results finished are kept"]
    assert waited >= 13


@pytest.mark.slow
def test_1_sigint_during_end_to_end_training_writes_no_model_and_exits_130(tmp_path):
    root = _folder(tmp_path / "d")
    model = tmp_path / "m.joblib"
    code, out, err = _interrupt(["fit", "--data", root, "--model", "mel", "--kind", "end-to-end", "--n-filters", "4",
                                 "--epochs", "100000", "--batch-size", "4", "--cv-folds", "0", "--output", model],
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
                                "baseline   fold 2/2", tmp_path)
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

    import sklearn_wavefront.auto as auto  # compare builds every row through auto.make_recipe

    monkeypatch.setattr(auto, "make_recipe", lambda *args, **kwargs: Warns())
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


# -------------------------------------------------------------- predict: files, outputs, formats
@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A mel model (nothing to learn: fast) saved both ways, and the folder it was trained on."""
    root = _folder(tmp_path_factory.mktemp("faults") / "d")
    paths = {}
    for ext in ("joblib", "skops"):
        if ext == "skops":
            pytest.importorskip("skops")
        paths[ext] = root.parent / f"m.{ext}"
        assert main(["fit", "--data", str(root), "--model", "mel", *FIT, "--output", str(paths[ext]), "--quiet"]) == 0
    return root, paths


def _csv_rows(text):
    return list(csv.reader(text.splitlines()))


def test_2_outputs_never_replace_inputs(trained, tmp_path, capsys):
    root, models = trained
    model = models["joblib"]
    audio = root / "rec0.wav"
    before = {p: p.read_bytes() for p in (model, audio, root / "labels.csv")}
    for argv in (["predict", model, audio, "--output", model],
                 ["predict", model, audio, "--output", audio],
                 ["predict", model, root, "--output", root / "rec5.wav"],
                 ["fit", "--data", root, "--model", "mel", *FIT, "--output", root / "labels.csv"],
                 ["fit", "--data", root, "--model", "mel", *FIT, "--output", root / "rec3.wav"],
                 ["inspect", model, "--output-dir", tmp_path, "--no-plots"]):
        if argv[0] == "inspect":  # a model file named like inspect's output, in its output folder
            (tmp_path / "filters.csv").write_bytes(model.read_bytes())
            argv = ["inspect", tmp_path / "filters.csv", "--output-dir", tmp_path, "--no-plots"]
        code, out, err = _run(capsys, *argv)
        assert code == 2, (argv, err)
        errors = [line for line in err.splitlines() if line.startswith("wavefront: error: ")]
        assert len(errors) == 1 and "refusing to write" in errors[0] and "input file" in errors[0], err
        assert "Traceback" not in err
    assert {p: p.read_bytes() for p in before} == before
    # compare: an output folder whose results.csv would be a listed recording
    (root / "results.csv").write_bytes(b"")
    with open(root / "labels.csv", "a") as f:
        f.write("results.csv,low,spk0\n")
    try:
        code, out, err = _run(capsys, "compare", "--data", root, "--on-error", "skip", "--models", "dummy",
                              "--kinds", "baseline", "--folds", "2", "--output-dir", root)
        assert code == 2 and "refusing to write" in err and "results.csv" in err, err
    finally:
        (root / "labels.csv").write_bytes(before[root / "labels.csv"])
        (root / "results.csv").unlink()


def test_3_and_5_predict_goes_past_bad_files_naming_each_with_exit_1(trained, tmp_path, capsys):
    root, models = trained
    new = tmp_path / "new"
    new.mkdir()
    sf.write(new / "a_good.wav", np.sin(np.arange(1200) / 3.0), RATE)
    (new / "b_bad.wav").write_text("not audio")
    os.symlink(new / "gone.wav", new / "c_broken.wav")
    os.mkfifo(new / "d_pipe.wav")
    sf.write(new / "e_loud.wav", np.full(1200, 1e11), RATE, subtype="FLOAT")
    sf.write(new / "f_good.wav", np.sin(np.arange(1200) / 7.0), RATE)
    target = tmp_path / "p.csv"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    # a subprocess with a deadline: a reader that opened the named pipe would block forever
    proc = subprocess.run([sys.executable, "-m", "sklearn_wavefront", "predict", str(models["joblib"]), str(new),
                           str(new / "d_pipe.wav"), "--output", str(target), "--batch-size", "2"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 1, proc.stderr
    rows = _csv_rows(target.read_text())
    assert rows[0][-2:] == ["status", "note"]
    status = {os.path.basename(r[0]): (r[-2], r[-1]) for r in rows[1:]}
    assert [s for s, _ in status.values()].count("ok") == 2 and len(rows) == 1 + 7
    assert status["b_bad.wav"][0] == "error" and status["b_bad.wav"][1].startswith("unreadable")
    assert status["c_broken.wav"] == ("error", f"is a broken symbolic link (to {new / 'gone.wav'})") or \
        "broken symbolic link" in status["c_broken.wav"][1]
    assert status["d_pipe.wav"][0] == "error" and "not a regular file" in status["d_pipe.wav"][1]
    assert status["e_loud.wav"][0] == "error" and "magnitude" in status["e_loud.wav"][1]
    for name in ("b_bad.wav", "c_broken.wav", "d_pipe.wav", "e_loud.wav"):
        assert f"wavefront: warning: {new / name}: " in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == f"wavefront: 5 of 7 files could not be read (status 'error' in {target})"
    assert "Traceback" not in proc.stderr
    # --on-error raise stops at the first bad file, one line, exit 2, the rows before it kept
    code, out, err = _run(capsys, "predict", models["joblib"], new / "a_good.wav", new / "b_bad.wav",
                          new / "f_good.wav", "--on-error", "raise", "--batch-size", "1", "--output", target)
    assert code == 2 and err.strip().splitlines()[-1].startswith(f"wavefront: error: audio file {new / 'b_bad.wav'} unreadable")
    assert [os.path.basename(r[0]) for r in _csv_rows(target.read_text())[1:]] == ["a_good.wav", "b_bad.wav"]


def test_5_a_named_pipe_given_to_fit_is_refused_not_waited_on(tmp_path):
    root = _folder(tmp_path / "d")
    os.remove(root / "rec3.wav")
    os.mkfifo(root / "rec3.wav")
    proc = subprocess.run([sys.executable, "-m", "sklearn_wavefront", "fit", "--data", str(root), "--model", "mel",
                           *FIT, "--output", str(tmp_path / "m.joblib")], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert proc.returncode == 2
    assert f"audio file {root / 'rec3.wav'}" in proc.stderr and "not a regular file" in proc.stderr
    assert "no such file" not in proc.stderr


def test_6_near_empty_recordings_are_flagged(trained, tmp_path, capsys):
    root, models = trained
    sf.write(tmp_path / "one.wav", np.array([0.5]), RATE)
    sf.write(tmp_path / "zeros.wav", np.zeros(1200), RATE)
    sf.write(tmp_path / "tone.wav", np.sin(np.arange(1200) / 3.0), RATE)
    code, out, err = _run(capsys, "predict", models["joblib"], tmp_path / "one.wav", tmp_path / "zeros.wav",
                          tmp_path / "tone.wav")
    assert code == 0, err
    rows = {os.path.basename(r[0]): r for r in _csv_rows(out)[1:]}
    assert rows["one.wav"][-2] == "flagged" and "1 samples padded to 1200" in rows["one.wav"][-1]
    assert rows["zeros.wav"][-2] == "flagged" and "all 1200 samples are silence" in rows["zeros.wav"][-1]
    assert rows["tone.wav"][-2:] == ["ok", ""]
    assert all(r[1] for r in rows.values())  # still labelled
    assert "2 of 3 recordings are flagged as near-empty" in err


def test_formula_like_file_names_are_escaped_in_predict_csv(trained, tmp_path, capsys):
    root, models = trained
    name = tmp_path / "=HYPERLINK(1).wav"
    sf.write(name, np.sin(np.arange(1200) / 3.0), RATE)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        code, out, err = _run(capsys, "predict", models["joblib"], "=HYPERLINK(1).wav", "--quiet")
    finally:
        os.chdir(cwd)
    assert code == 0, err
    assert _csv_rows(out)[1][0] == "'=HYPERLINK(1).wav"


def test_an_unwritable_or_full_output_is_found_before_or_without_harm(trained, tmp_path, capsys, monkeypatch):
    import tempfile

    from sklearn_wavefront.persistence import WavefrontModel

    root, models = trained
    predicted = []
    real = WavefrontModel.predict_proba
    monkeypatch.setattr(WavefrontModel, "predict_proba", lambda self, X: predicted.append(1) or real(self, X))

    def no_room(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    with monkeypatch.context() as m:  # a read-only folder, as a non-root user meets it
        m.setattr(tempfile, "mkstemp", no_room)
        code, out, err = _run(capsys, "predict", models["joblib"], root, "--output", tmp_path / "p.csv", "--quiet")
    assert code == 2 and err.strip() == f"wavefront: error: --output {tmp_path / 'p.csv'}: cannot write (Permission denied)"
    assert predicted == []  # found before any prediction
    # a full disk while the rows go out: one line, the old file untouched, no temporary left
    (tmp_path / "p.csv").write_text("old\n")
    real_fsync = os.fsync

    def full(fd):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(os, "fsync", full)
        code, out, err = _run(capsys, "predict", models["joblib"], root, "--output", tmp_path / "p.csv", "--quiet")
    assert os.fsync is real_fsync
    assert code == 2 and "No space left on device" in err and len(err.strip().splitlines()) == 1, err
    assert (tmp_path / "p.csv").read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["p.csv"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder_is_one_line(trained, tmp_path, capsys):
    root, models = trained
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    code, out, err = _run(capsys, "predict", models["joblib"], root, "--output", ro / "p.csv")
    assert code == 2 and "cannot write" in err


def test_a_safe_model_file_predicts_as_the_pickle_and_versions_are_compared(trained, tmp_path, capsys):
    import joblib

    root, models = trained
    code, out_pickle, err = _run(capsys, "predict", models["joblib"], root, "--quiet")
    assert code == 0, err
    code, out_safe, err = _run(capsys, "predict", models["skops"], root, "--quiet")
    assert code == 0 and out_safe == out_pickle, err
    old = joblib.load(models["joblib"])
    old.versions["torch"] = "1.0.0"
    joblib.dump(old, tmp_path / "old.joblib")
    code, out, err = _run(capsys, "predict", tmp_path / "old.joblib", root / "rec0.wav", "--quiet")
    assert code == 0
    warned = [line for line in err.splitlines() if line.startswith("wavefront: warning:")]
    assert len(warned) == 1 and "torch 1.0.0" in warned[0] and "installed" in warned[0], err


def test_concurrent_predict_runs_write_whole_files(trained, tmp_path):
    root, models = trained
    target = tmp_path / "p.csv"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    subsets = [[str(root / f"rec{i}.wav") for i in range(k, 12, 3)] for k in range(3)]  # three different runs
    cmd = [sys.executable, "-m", "sklearn_wavefront", "predict", str(models["joblib"]), "--batch-size", "1", "--quiet"]
    alone = [subprocess.run([*cmd, *files], capture_output=True, text=True, timeout=120, env=env).stdout
             for files in subsets]
    assert len(set(alone)) == 3
    procs = [subprocess.Popen([*cmd, *files, "--output", str(target)], stderr=subprocess.PIPE, text=True, env=env)
             for files in subsets]
    for p in procs:
        assert p.wait(timeout=180) == 0, p.stderr.read()
    assert target.read_text() in alone  # one whole run's rows, never an interleaving of several
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv"]


@pytest.mark.slow
def test_3_sigint_into_predict_keeps_the_rows_written(trained, tmp_path):
    root, models = trained
    many = tmp_path / "many"
    many.mkdir()
    for i in range(400):  # 10 s each: long enough that the run is still going when the signal comes
        sf.write(many / f"f{i:03d}.wav", np.sin(np.arange(40000) / (2.0 + i % 7)), RATE)
    target = tmp_path / "p.csv"
    code, out, err = _interrupt(["predict", models["joblib"], many, "--batch-size", "1", "--output", target],
                                "[3/400]", tmp_path, delay=0)
    assert code == 130, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("wavefront: interrupted: ") and f"of 400 files done; their rows are in {target}" in last
    assert "Traceback" not in err
    rows = _csv_rows(target.read_text())
    done = int(last.split("interrupted: ")[1].split(" of")[0])
    assert len(rows) == 1 + done and done >= 3 and all(r[-2] == "ok" for r in rows[1:])


def test_3_audio_is_read_by_libsndfile_not_through_python_callbacks(tmp_path, monkeypatch):
    # a Ctrl-C landing in one of soundfile's Python read callbacks was swallowed by cffi: predict then
    # called the file unreadable and went on as if nothing had been asked
    from sklearn_wavefront.datasets import read_audio

    calls = []
    real = sf.SoundFile._init_virtual_io
    monkeypatch.setattr(sf.SoundFile, "_init_virtual_io", lambda self, f: calls.append(f) or real(self, f))
    x = np.sin(np.arange(4000) / 5.0).astype(np.float32)
    for ext, subtype in (("wav", "FLOAT"), ("flac", "PCM_24"), ("ogg", "VORBIS")):
        sf.write(tmp_path / f"a.{ext}", x, RATE, subtype=subtype)
        got, rate = read_audio(tmp_path / f"a.{ext}")
        assert rate == RATE and got.shape == x.shape
        np.testing.assert_allclose(got, x, atol=0.05 if ext == "ogg" else 1e-6)
    assert calls == []
    (tmp_path / "bad.wav").write_text("not audio")
    with pytest.raises(ValueError, match=f"audio file {tmp_path / 'bad.wav'} unreadable") as info:
        read_audio(tmp_path / "bad.wav")
    assert "/proc/self/fd" not in str(info.value)


# ------------------------------------------------------------------ found by review: each one a defect
def test_groups_and_domains_are_never_dropped_in_silence(tmp_path):
    from sklearn_wavefront.exceptions import InputError

    root = _folder(tmp_path / "d")
    X, y = [np.zeros(800) + i for i in range(8)], ["a", "b"] * 4
    with pytest.raises(InputError, match=r"groups is for recordings given as arrays; with a folder, name the "
                                         r"labels file's column with group_column"):
        cmp.compare(str(root), groups=list(range(12)), progress=False)
    with pytest.raises(InputError, match=r"domains is for recordings given as arrays.*domain_column"):
        cmp.compare(str(root), domains=[0] * 12, progress=False)
    with pytest.raises(InputError, match=r"group_column='speaker' names a column of a folder's labels file; with "
                                         r"recordings given as arrays pass groups"):
        cmp.compare(X, y, sample_rate=8000, group_column="speaker", progress=False)
    # the right name for each way of giving the data
    with pytest.raises(InputError, match=r"balance='class_domain' needs domains \("):
        cmp.compare(X, y, sample_rate=8000, balance="class_domain", progress=False)
    with pytest.raises(InputError, match=r"penalty_groups='group-column' needs group_column \("):
        cmp.compare(str(root), penalty_groups="group-column", progress=False)


@pytest.mark.parametrize("kwargs, message", [
    (dict(X=[], y=[]), "X holds no recordings"),
    (dict(sample_rate="8000"), r"sample_rate must be a positive whole number of Hz, got '8000'"),
    (dict(minirocket_kernels=None), r"minirocket_kernels must be a whole number, got None"),
    (dict(lr="fast"), r"lr must be a number, got 'fast'"),
])
def test_python_values_of_the_wrong_type_are_input_errors(kwargs, message):
    from sklearn_wavefront.exceptions import InputError

    with pytest.raises(InputError, match=message):
        cmp.compare(**{"X": [np.zeros(800)] * 4, "y": ["a", "b"] * 2, "sample_rate": 8000, "progress": False,
                       **kwargs})


def test_n_jobs_none_means_one_job_as_in_joblib():
    r = cmp.compare(n_recordings=16, n_classes=2, folds=2, models="dummy", kinds="baseline", n_jobs=None,
                    progress=False)
    assert len(r.rows) == 2


def test_submodules_are_attributes_of_the_package():
    code = ("import sklearn_wavefront as s; print(s.frontends.__name__, s.ops.__name__, s.networks.__name__, "
            "'frontends' in dir(s))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["sklearn_wavefront.frontends", "sklearn_wavefront.ops", "sklearn_wavefront.networks", "True"]
    import sklearn_wavefront

    for name in sklearn_wavefront.__all__:  # every public name resolves
        assert getattr(sklearn_wavefront, name) is not None


def test_results_written_before_the_verdicts_still_read_and_print(tmp_path):
    r = cmp.compare(n_recordings=16, n_classes=2, folds=2, models="dummy,mfcc+logreg", kinds="baseline",
                    progress=False)
    old = json.loads(r.to_json())
    del old["schema"]
    for key in ("grouping_text", "penalty_text", "test_train_ratio", "warm_up_seconds", "mrhydra_input"):
        old["settings"].pop(key, None)
    for e in old["summary"]:
        for key in ("delta_ua_std", "p_value", "verdict", "beats_every_baseline"):
            e.pop(key)
    back = cmp.CompareResult.from_json(json.dumps(old))
    assert "2-fold stratified CV" in back.format() and "mfcc+logreg" in back.format()
    newer = json.loads(r.to_json())
    newer["schema"] = 99
    with pytest.raises(ValueError, match="schema 99, newer than the 1"):
        cmp.CompareResult.from_json(json.dumps(newer))


def test_ctrl_c_after_the_last_fold_still_names_the_kept_results(tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cmp, "summarize", interrupted)
    code, out, err = _run(capsys, "compare", *TINY, "--models", "dummy", "--kinds", "baseline",
                          "--output-dir", tmp_path / "o")
    assert code == 130
    assert err.strip().splitlines()[-1] == ("wavefront: interrupted: the 2 of 2 (row, fold) results finished are kept "
                                            f"in {tmp_path / 'o' / 'results.partial.jsonl'}")


def test_a_full_disk_while_compare_or_inspect_writes_is_one_line(trained, tmp_path, capsys, monkeypatch):
    root, models = trained

    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    code, out, err = _run(capsys, "compare", *TINY, "--models", "dummy", "--kinds", "baseline",
                          "--output-dir", tmp_path / "o", "--quiet")
    assert code == 1 and "Traceback" not in err
    assert err.strip() == (f"wavefront: error: cannot write the results to {tmp_path / 'o'} (No space left on device); "
                           f"the 2 (row, fold) results are kept in {tmp_path / 'o' / 'results.partial.jsonl'}")
    code, out, err = _run(capsys, "inspect", models["joblib"], "--output-dir", tmp_path / "i", "--no-plots")
    assert code == 1 and err.strip() == "wavefront: error: No space left on device"


def test_predict_into_a_closed_pipe_stops_quietly(trained, tmp_path):
    root, models = trained
    cmd = (f"{sys.executable} -m sklearn_wavefront predict {models['joblib']} {root} --batch-size 1 --quiet "
           "| head -c 10")
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert proc.stdout == "path,label" and "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr
    assert proc.returncode in (0, 141)


def test_a_model_that_loads_but_cannot_predict_is_one_line_keeping_the_rows(trained, tmp_path, capsys):
    import joblib

    root, models = trained
    broken = joblib.load(models["joblib"])
    del broken.estimator.estimator_.named_steps["classifier"].coef_  # as a pickle of another version can be
    broken.versions["scikit-learn"] = "0.1"
    joblib.dump(broken, tmp_path / "broken.joblib")
    code, out, err = _run(capsys, "predict", tmp_path / "broken.joblib", root, "--output", tmp_path / "p.csv",
                          "--quiet")
    assert code == 2 and "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"wavefront: error: the model {tmp_path / 'broken.joblib'} failed to predict (AttributeError")
    assert "it was saved with scikit-learn 0.1 (installed: " in last
    assert (tmp_path / "p.csv").read_text().startswith("path,label")


def test_fit_refuses_an_unusable_output_before_training(tmp_path, capsys, monkeypatch):
    root = _folder(tmp_path / "d")
    os.mkfifo(tmp_path / "pipe.joblib")
    code, out, err = _run(capsys, "fit", "--data", root, "--model", "mel", *FIT, "--output", tmp_path / "pipe.joblib")
    assert code == 2 and "exists and is not a regular file" in err and "trained on" not in err
    monkeypatch.setitem(sys.modules, "skops", None)
    monkeypatch.setitem(sys.modules, "skops.io", None)
    code, out, err = _run(capsys, "fit", "--data", root, "--model", "mel", *FIT, "--output", tmp_path / "m.skops")
    assert code == 2 and "the .skops format needs skops" in err and "trained on" not in err


@pytest.mark.slow
def test_sigterm_ends_compare_as_ctrl_c_does(tmp_path):
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1")
    out_dir = tmp_path / "o"
    proc = subprocess.Popen([sys.executable, "-m", "sklearn_wavefront", "compare", "--models", "dummy,mel", "--kinds",
                             "baseline,end-to-end", "--folds", "2", "--n-recordings", "16", "--n-classes", "2",
                             "--n-filters", "4", "--epochs", "100000", "--no-plots", "--output-dir", str(out_dir)],
                            env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        _wait_for(proc, "baseline   fold 2/2")
        time.sleep(0.5)
        proc.terminate()
        err = _rest(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1].endswith(f"kept in {out_dir / 'results.partial.jsonl'}")
