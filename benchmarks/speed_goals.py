"""Issue 21 ("Fast enough to search"): every goal beside its ratio, measured side by side in one run.

Goal 1 - fits: the learned (``fit(X, y)`` of the front-end, then the linear classifier) and
  end-to-end (``WaveformClassifier``) recipes of ``wavefront compare`` for comb, IConNet, SincNet and
  gammatone at 32 filters, trained on 500 recordings of 2 s at 16 kHz (each training part of a
  stratified K-fold over 625 synthetic recordings: harmonic tones of 6 pitches in noise, three
  timbres; or, with ``--fit-data``, real recordings), by this checkout's code and by the base
  commit's (``git archive`` of ``--base`` into a temporary folder), each in a worker process of its
  own that imports only its code. The two workers take turns on every (recipe, fold) fit; a ratio
  is the median over folds of base / new fit time (target >= 3). Accuracy: the paired difference of
  balanced accuracy (new - base) on the held-out part of each fold, mean and standard deviation
  over folds; "within noise" when the 95 % interval of the mean difference (t distribution)
  contains 0.
Goal 2 - FIR transforms at 64 filters (16 recordings of 2 s at 16 kHz) over librosa's mel(64) +
  dB + mean/std (the reference of ``cpu_speed.py``), interleaved, medians (target <= 4x), with the
  multirate path (the default) and full rate; and the multirate path's feature tolerance against
  full rate on noise, harmonic tones, a swept sine and noise bursts (and, with ``--data-root``, the
  Free Spoken Digit Dataset and the rendered instrument notes of ``../shared/data``).
Goal 3 - threads: ``comparison.run_rows`` with ``n_jobs=2``, each task under its thread budget,
  against the same ``run_rows`` with the budget switched off (every library's default pools, as
  before issue 21) under the thread backend, and under the process backend with ``OMP_NUM_THREADS=2`` exported by the parent (which
  loky copies to every worker); each variant in a fresh process; the results must be identical.
Goal 4 - ``comb_iir`` at K = 20 over a plain copy (1e6 float32; interleaved medians, target <= 2x),
  this code's and the base's; and whether a fresh process's first ``CombFrontend`` transform
  imports ``torch._dynamo``.
Goal 5 needs a GPU, which this run does not have: its row says so.

Run from the repository root of a clone (the base is read from its git history):
``python benchmarks/speed_goals.py [--base 4d4228d] [--folds 5] [--epochs 2] [--out DIR]``
(about 25 min on 2 shared cores; ``--quick`` takes 3: 160 recordings, 2 folds, 1 epoch, and
proves nothing). One torch thread everywhere (``OMP_NUM_THREADS=1``); the load of the machine at the
start and the end of the run is printed with the table (absolute times depend on it; ratios of
one run are comparable). Prints ONE table: goal, measurement, ratio, target, met / NOT met, why.
With ``--out`` also writes ``speed_goals.log`` (the printed lines) and ``speed_goals.json`` there.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASE = "4d4228d"  # main before issue 21's work (the commit the speed branch started from)
FIT_MODELS = ("comb", "iconnet", "sinc", "gammatone")
FIT_KINDS = ("learned", "end-to-end")

ROWS: list = []
LINES: list = []


def say(line=""):
    print(line, flush=True)
    LINES.append(line)


def row(goal, what, ratio, target="", met=None, note=""):
    shown = f"{ratio:.3g}" if isinstance(ratio, float) else str(ratio)
    ROWS.append({"goal": goal, "measurement": what, "ratio": shown, "target": target,
                 "status": {True: "met", False: "NOT met", None: "-"}[met], "note": note})


def machine_state() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",) * 3
    try:
        top = subprocess.run(["ps", "-eo", "pcpu,comm", "--sort=-pcpu"], capture_output=True, text=True,
                             timeout=10).stdout.splitlines()[1:4]
        top = "; ".join(" ".join(t.split()) for t in top)
    except (OSError, subprocess.SubprocessError):
        top = "?"
    return f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; busiest processes (%CPU command): {top}"


# ------------------------------------------------------------------------------------------ workers
# A worker imports one code tree (PYTHONPATH) and answers JSON requests on stdin, one per line.
WORKER = r'''
import json, os, sys, time, warnings
import numpy as np, torch
torch.set_num_threads(1)
warnings.simplefilter("ignore")
import sklearn_wavefront
root = sys.argv[1]
assert os.path.realpath(sklearn_wavefront.__file__).startswith(os.path.realpath(root)), sklearn_wavefront.__file__
from sklearn_wavefront.recipes import Settings, make_estimator
from sklearn.metrics import balanced_accuracy_score
data = np.load(sys.argv[2])
X, y = data["X"], data["y"]
print(json.dumps({"ready": sklearn_wavefront.__file__}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    if req["cmd"] == "fit":
        train, test = np.asarray(req["train"]), np.asarray(req["test"])
        s = Settings(sample_rate=16000, n_filters=32, epochs=req["epochs"], batch_size=16, device="cpu",
                     random_state=req.get("seed", 0))
        est = make_estimator(req["model"], req["kind"], s)
        t0 = time.perf_counter()
        est.fit(X[train], y[train])
        seconds = time.perf_counter() - t0
        ua = float(balanced_accuracy_score(y[test], est.predict(X[test])))
        print(json.dumps({"seconds": seconds, "ua": ua}), flush=True)
    elif req["cmd"] == "iir":
        from sklearn_wavefront.ops import comb_iir
        x = np.random.default_rng(0).standard_normal((1, 1_000_000)).astype(np.float32)
        xt = torch.from_numpy(x)
        fns = {"ours": lambda: comb_iir(xt, [req["k"]], 0.9), "copy": lambda: x.copy()}
        for f in fns.values():
            f()
        times = {k: [] for k in fns}
        for _ in range(req["repeats"]):
            for k, f in fns.items():
                t = time.perf_counter(); f(); times[k].append(time.perf_counter() - t)
        print(json.dumps({k: float(np.median(v)) for k, v in times.items()}), flush=True)
    else:
        break
'''


class Worker:
    """One code tree's worker process (see WORKER)."""

    def __init__(self, root: Path, data: Path, name: str):
        env = {**os.environ, "PYTHONPATH": str(root), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "OPENBLAS_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
        self.name = name
        self.proc = subprocess.Popen([sys.executable, "-u", "-c", WORKER, str(root), str(data)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env, cwd=tempfile.gettempdir())
        ready = json.loads(self.proc.stdout.readline())
        self.file = ready["ready"]

    def ask(self, **req):
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.name} worker stopped (request {req.get('cmd')} {req.get('model', '')})")
        return json.loads(line)

    def close(self):
        try:
            self.proc.stdin.write(json.dumps({"cmd": "stop"}) + "\n")
            self.proc.stdin.close()
        except OSError:
            pass
        self.proc.wait(timeout=60)


def base_tree(base: str, into: Path) -> Path | None:
    """The base commit's files (``git archive``), or None when this is not a clone that has it."""
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", base], capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    into.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


# ------------------------------------------------------------------------------------------ goal 1
def make_data(n_recordings: int, path: Path, folder: str | None = None):
    """625 synthetic recordings (harmonic tones of 6 pitches in noise, three timbres), or the first
    ``n_recordings`` of a shuffled folder with ``labels.csv`` (resampled to 16 kHz, 2 s)."""
    if folder:
        recs, labels = load_folder(folder, n_recordings)
        np.savez(path, X=recs.astype(np.float32), y=labels)
        return labels
    from sklearn_wavefront.datasets import make_harmonic_tones

    d = make_harmonic_tones(n_samples=n_recordings, n_classes=6, sample_rate=16000, duration=2.0, noise=4.0,
                            detune_cents=40.0, n_domains=3, random_state=0)
    np.savez(path, X=d.data.astype(np.float32), y=d.target)
    return d.target


def load_folder(folder: str, n_rec: int, sr=16000, n=32000):
    """Recordings of a folder with ``labels.csv`` (``path``, ``label``), shuffled, resampled to 16 kHz,
    zero-padded or cut to 2 s."""
    import csv

    import scipy.signal
    import soundfile as sf

    folder = Path(folder)
    rows = list(csv.DictReader(open(folder / "labels.csv")))
    rows = [rows[i] for i in np.random.default_rng(0).permutation(len(rows))[:n_rec]]
    recs = []
    for r in rows:
        a, fs = sf.read(folder / r["path"], dtype="float64")
        a = a.mean(1) if a.ndim > 1 else a
        if fs != sr:
            a = scipy.signal.resample_poly(a, sr, fs)
        recs.append(np.pad(a[:n], (0, max(0, n - len(a)))))
    return np.asarray(recs), np.asarray([r["label"] for r in rows])


def goal1(workers: dict, y: np.ndarray, folds: int, epochs: int, models=FIT_MODELS, kinds=FIT_KINDS, seeds=1):
    """Fits of every (recipe, fold), each code in turn; with ``seeds > 1`` each fit is repeated with
    ``random_state`` 0 ... seeds - 1 and a fold's accuracy is their mean, its time their median."""
    from sklearn.model_selection import StratifiedKFold

    splits = list(StratifiedKFold(folds, shuffle=True, random_state=0).split(np.zeros(len(y)), y))
    say(f"goal 1: {len(splits)} folds, training parts of {len(splits[0][0])} recordings, {epochs} epoch(s), "
        f"{len(np.unique(y))} classes, {seeds} seed(s) per fit")
    warm = np.arange(48)
    for w in workers.values():  # compile numba kernels, import everything, outside the timings
        for model in models:
            for kind in kinds:
                w.ask(cmd="fit", model=model, kind=kind, train=warm[:32].tolist(), test=warm[32:].tolist(), epochs=1)
    results = {(m, k, code): [] for m in models for k in kinds for code in workers}
    for f, (train, test) in enumerate(splits):
        for model in models:
            for kind in kinds:
                order = list(workers) if f % 2 == 0 else list(workers)[::-1]  # take turns going first
                got = {code: [] for code in workers}
                for seed in range(seeds):
                    for code in order:
                        got[code].append(workers[code].ask(cmd="fit", model=model, kind=kind, train=train.tolist(),
                                                           test=test.tolist(), epochs=epochs, seed=seed))
                for code in workers:
                    results[(model, kind, code)].append({
                        "seconds": float(np.median([r["seconds"] for r in got[code]])),
                        "ua": float(np.mean([r["ua"] for r in got[code]])),
                        "ua_seeds": [r["ua"] for r in got[code]],
                    })
                say(f"  fold {f + 1}: {model:<9} {kind:<10} " + "  ".join(
                    f"{code} {results[(model, kind, code)][-1]['seconds']:6.1f} s UA "
                    + "/".join(f"{u:.3f}" for u in results[(model, kind, code)][-1]["ua_seeds"])
                    for code in workers))
    return results


def t_quantile(df: int) -> float:
    from scipy.stats import t

    return float(t.ppf(0.975, df))


def goal1_rows(results, folds, models=FIT_MODELS, kinds=FIT_KINDS, seeds=1):
    for model in models:
        for kind in kinds:
            base = results[(model, kind, "base")]
            new = results[(model, kind, "new")]
            ratio = float(np.median([b["seconds"] / n["seconds"] for b, n in zip(base, new)]))
            diff = np.array([n["ua"] - b["ua"] for b, n in zip(base, new)])
            half = t_quantile(len(diff) - 1) * diff.std(ddof=1) / math.sqrt(len(diff)) if len(diff) > 1 else float("inf")
            within = bool(abs(diff.mean()) <= half) or bool(np.abs(diff).max() < 1e-9)
            acc = (f"UA base {np.mean([b['ua'] for b in base]):.3f} new {np.mean([n['ua'] for n in new]):.3f}; "
                   f"new-base {diff.mean():+.3f} +- {diff.std(ddof=1) if len(diff) > 1 else 0:.3f} "
                   f"({'within noise' if within else 'OUTSIDE noise'}: 95% half-width {half:.3f})")
            why = "" if ratio >= 3 else FIT_WHY.get(model, "")
            seeds_note = f", UA the mean of {seeds} seeds" if seeds > 1 else ""
            row("1", f"{kind} fit, {model}, 32 filters, base / new time (median of {folds} folds{seeds_note})", ratio,
                ">= 3x",
                ratio >= 3 and within, "; ".join(x for x in (acc, why) if x))


FIT_WHY = {
    "comb": ("the comb's FIR surrogate is full-rate work by nature (harmonics up to fs/2: nothing to "
             "decimate); its numba forward, 21 multiply-adds per sample and filter in two passes of five "
             "echoes, is load-bound (one shifted load per product) and about 60 % of an end-to-end step, "
             "the head, backward and optimiser most of the rest (benchmarks/comb_kernel.py, fit_profile.py)"),
    "gammatone": ("gammatone's broad skirts (support +-3 bandwidths at -40 dB) keep its upper half of "
                  "bands at the full rate: about half of the spectral work remains"),
}


# ------------------------------------------------------------------------------------------ goal 2
def interleaved(fns: dict, repeats: int) -> dict:
    for f in fns.values():
        f()
    times = {k: [] for k in fns}
    for _ in range(repeats):
        for k, f in fns.items():
            t = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t)
    return {k: float(np.median(v)) for k, v in times.items()}


def goal2(repeats: int, data_root: str | None):
    import torch

    from sklearn_wavefront.frontends import GammatoneFrontend, IConNetFrontend, SincFrontend

    torch.set_num_threads(1)
    try:
        import librosa
    except ImportError:
        row("2", "FIR transforms / librosa", "n/a", "<= 4x", None, "librosa not installed")
        librosa = None
    sr, n, n_filt = 16000, 32000, 64
    rng = np.random.default_rng(1)
    X = (rng.standard_normal((16, n)) * 0.1)
    X += np.sin(2 * np.pi * 220 * np.arange(n) / sr)
    classes = {"iconnet": IConNetFrontend, "sinc": SincFrontend, "gammatone": GammatoneFrontend}
    if librosa is not None:
        Xf = X.astype(np.float32)

        def lib():
            for x in Xf:
                s = librosa.power_to_db(librosa.feature.melspectrogram(y=x, sr=sr, n_fft=512, hop_length=160,
                                                                       n_mels=n_filt))
                np.concatenate([s.mean(-1), s.std(-1)])

        fns = {"librosa": lib}
        for name, cls in classes.items():
            for multirate in (True, False):
                f = cls(sample_rate=sr, n_filters=n_filt, multirate=multirate).fit(X)
                fns[(name, multirate)] = (lambda f=f: f.transform(X))
        t = interleaved(fns, repeats)
        was = {"iconnet": 14.6, "sinc": 14.5, "gammatone": 12.9}
        for name in classes:
            ratio = t[(name, True)] / t["librosa"]
            row("2", f"{name} transform (multirate, 64 filters, float32) / librosa mel(64)", ratio, "<= 4x",
                ratio <= 4, f"full rate (multirate=False) {t[(name, False)] / t['librosa']:.3g}x in this run; "
                f"RESULTS_cpu_speed.md recorded {was[name]}x")
    goal2_tolerance(classes, data_root)


def tolerance_signals(sr, n, seed=0):
    """The test suite's signals (tests/test_multirate.py): noise, tones, a swept sine, noise bursts."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / sr
    noise = 0.1 * rng.standard_normal((4, n))
    tones = np.stack([0.5 * np.sin(2 * np.pi * f0 * t) + 0.3 * np.sin(2 * np.pi * 3.1 * f0 * t)
                      for f0 in np.geomspace(80, 2500, 4)])
    chirp = 0.4 * np.sin(2 * np.pi * (50 * t + 0.5 * (7000 - 50) / t[-1] * t**2))[None]
    burst = noise * (np.arange(n) % (sr // 4) < sr // 16)
    return {"noise": noise, "tones": tones, "sweep": chirp, "bursts": burst}


def real_signals(data_root: str, n_rec=24):
    """Recordings of ../shared/data (FSDD speech at 8 kHz, gm_pitch notes at 16 kHz), resampled to
    16 kHz and zero-padded or cut to 2 s."""
    return {name: load_folder(Path(data_root) / name, n_rec)[0] for name in ("fsdd", "gm_pitch")
            if (Path(data_root) / name / "labels.csv").exists()}


def goal2_tolerance(classes, data_root):
    from sklearn_wavefront.frontends import GammatoneFrontend

    sr = 16000
    sets = {k: v for k, v in tolerance_signals(sr, sr).items()}
    if data_root:
        sets.update(real_signals(data_root))
    stated = {"iconnet": (0.05, 0.03), "sinc": (0.1, 0.06), "gammatone": (0.35, 0.03)}
    for name, cls in classes.items():
        worst_frames, worst_stats, parts = 0.0, 0.0, []
        for sname, X in sets.items():
            kw = dict(sample_rate=sr, n_filters=32)
            fr = [cls(**kw, output="frames", multirate=m).fit(X).transform(X).reshape(len(X), 32, -1)
                  for m in (True, False)]
            st = [cls(**kw, multirate=m).fit(X).transform(X) for m in (True, False)]
            d_frames = np.abs(fr[0] - fr[1])
            d_stats = np.abs(st[0] - st[1])
            if cls is GammatoneFrontend:
                # the statement's scope: frames within 30 dB of the frame's loudest band; statistics
                # of recordings whose every frame is (noise, bursts, speech: the scope), else reported
                keep = fr[1] >= fr[1].max(1, keepdims=True) - np.log(1e3)
                d_frames = d_frames[keep]
            f_max, s_max = float(d_frames.max()), float(d_stats.max())
            # gammatone's statistics are stated for recordings whose bands stay within 30 dB of the
            # loudest in every frame; its frames (filtered above) always count
            stats_in_scope = not (cls is GammatoneFrontend and sname in ("tones", "sweep", "gm_pitch"))
            worst_frames = max(worst_frames, f_max)
            if stats_in_scope:
                worst_stats = max(worst_stats, s_max)
            parts.append(f"{sname} {f_max:.3f}/{s_max:.3f}"
                         + ("" if stats_in_scope else " (statistics of faint bands: outside the statement)"))
        tf, ts = stated[name]
        row("2", f"{name} multirate vs full rate, max |difference| of frames / statistics (32 filters)",
            f"{worst_frames:.3f} / {worst_stats:.3f}", f"<= {tf} / {ts}",
            worst_frames <= tf and worst_stats <= ts, "; ".join(parts))


# ------------------------------------------------------------------------------------------ goal 3
THREADS_CHILD = r'''
import json, sys, time, warnings
import numpy as np
warnings.simplefilter("ignore")
from joblib import parallel_config
from sklearn_wavefront import comparison as cmp
from sklearn_wavefront.datasets import make_harmonic_tones
from sklearn_wavefront.recipes import Settings
variant, backend = sys.argv[1], sys.argv[2]
d = make_harmonic_tones(n_samples=64, n_classes=4, sample_rate=16000, duration=1.0, noise=2.0, random_state=0)
X, y = d.data.astype(np.float32), d.target
s = Settings(sample_rate=16000, n_filters=16, epochs=2, batch_size=16, device="cpu", random_state=0)
rows = [("comb", "learned"), ("iconnet", "learned"), ("gammatone", "end-to-end"), ("sinc", "fixed")]
idx = np.arange(len(y))
splits = [(idx[idx % 2 == 0], idx[idx % 2 == 1]), (idx[idx % 2 == 1], idx[idx % 2 == 0])]
if variant == "default":  # run_rows as before issue 21: the task function as it is, every library's default pools
    import sklearn_wavefront._threads as threads
    threads.budgeted = lambda fn, n_jobs, n_tasks=None: (fn, {})
with parallel_config(backend=backend):
    t0 = time.perf_counter()
    out = cmp.run_rows(rows, splits, s, X, y, n_jobs=2)
    seconds = time.perf_counter() - t0
keep = [{k: v for k, v in r.items() if k not in ("fit_seconds", "estimator", "history")} for r in out]
print(json.dumps({"seconds": seconds, "results": keep}))
'''


# loky copies a variable the parent exports and sets the others to cpu_count // n_jobs; torch takes the
# smaller of OMP_NUM_THREADS and MKL_NUM_THREADS, so a parent exporting both (for its own work) gives
# every worker that many torch threads
TWO = {"OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}


def _spin(stop):  # another program's work on the machine (as busy_threads.py)
    while not stop.is_set():
        pass


def goal3(repeats: int):
    env_base = {**os.environ, "PYTHONPATH": str(ROOT)}
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        env_base.pop(k, None)
    scenarios = [
        ("thread backend (n_jobs=2; parent without OMP_NUM_THREADS)", "threading", {}, 0),
        ("process backend (n_jobs=2), the parent exporting OMP_NUM_THREADS=2 MKL_NUM_THREADS=2", "loky", TWO, 0),
        ("the same on a busy machine (one other process spinning on a core)", "loky", TWO, 1),
        ("process backend (n_jobs=2), parent without OMP_NUM_THREADS (control)", "loky", {}, 0),
    ]
    import multiprocessing as mp

    for what, backend, extra, busy in scenarios:
        times = {"default": [], "budgeted": []}
        same = True
        first = {}
        stop = mp.Event()
        spinners = [mp.Process(target=_spin, args=(stop,), daemon=True) for _ in range(busy)]
        for proc in spinners:
            proc.start()
        try:
            for r in range(repeats):
                for variant in (("default", "budgeted") if r % 2 == 0 else ("budgeted", "default")):
                    out = subprocess.run([sys.executable, "-c", THREADS_CHILD, variant, backend], capture_output=True,
                                         text=True, env={**env_base, **extra}, cwd=tempfile.gettempdir())
                    if out.returncode != 0:
                        raise RuntimeError(out.stderr[-2000:])
                    res = json.loads(out.stdout.strip().splitlines()[-1])
                    times[variant].append(res["seconds"])
                    first.setdefault(variant, res["results"])
                    same = same and res["results"] == first[variant]
        finally:
            stop.set()
            for proc in spinners:
                proc.join()
        same = same and first["default"] == first["budgeted"]
        ratio = float(np.median(times["default"]) / np.median(times["budgeted"]))
        row("3", f"run_rows, 8 (row, fold) tasks: default threads / thread budget, {what}", ratio, "", same,
            f"results {'identical' if same else 'DIFFERENT'}; medians of {repeats} fresh processes "
            f"({np.median(times['default']):.1f} s vs {np.median(times['budgeted']):.1f} s)")


# ------------------------------------------------------------------------------------------ goal 4
DYNAMO_CHILD = r'''
import sys, time
import numpy as np
from sklearn_wavefront import CombFrontend
X = np.random.default_rng(0).standard_normal((4, 16000))
front = CombFrontend(sample_rate=16000).fit(X)
t0 = time.perf_counter()
front.transform(X)
print("torch._dynamo" in sys.modules, time.perf_counter() - t0)
'''


def goal4(workers: dict, repeats: int):
    got = {code: w.ask(cmd="iir", k=20, repeats=repeats) for code, w in workers.items()}  # each: copy beside it
    for code in workers:
        ratio = got[code]["ours"] / got[code]["copy"]
        row("4", f"comb_iir 1e6 float32, K=20 / plain copy ({code} code, its own process)", ratio, "<= 2x",
            ratio <= 2 if code == "new" else None, "numba kernel; RESULTS_cpu_speed.md recorded 3.3-5.5x")
    for code, w in workers.items():
        root = Path(w.file).resolve().parent.parent
        out = subprocess.run([sys.executable, "-c", DYNAMO_CHILD], capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": str(root)}, cwd=tempfile.gettempdir())
        imported, seconds = out.stdout.split()
        imported = imported == "True"
        row("4", f"first CombFrontend transform in a fresh process imports torch._dynamo ({code} code)",
            "yes" if imported else "no", "no", (not imported) if code == "new" else None,
            f"that first transform took {float(seconds):.2f} s")


# ------------------------------------------------------------------------------------------ main
def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", default=DEFAULT_BASE, help="the base commit (default: main before issue 21)")
    p.add_argument("--recordings", type=int, default=625, help="recordings in all; each fold trains on (K-1)/K of them")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--repeats", type=int, default=7, help="interleaved repeats of the goal-2 and goal-4 timings")
    p.add_argument("--data-root", default=None, help="e.g. ../shared/data: real recordings for goal 2's tolerance")
    p.add_argument("--fit-data", default=None, help="a folder with labels.csv (e.g. ../shared/data/gm_pitch) for "
                   "goal 1 instead of the synthetic tones (resampled to 16 kHz, 2 s)")
    p.add_argument("--models", default=",".join(FIT_MODELS), help="goal 1's front-ends (comma-separated)")
    p.add_argument("--kinds", default=",".join(FIT_KINDS), help="goal 1's kinds: learned, end-to-end")
    p.add_argument("--seeds", type=int, default=1, help="goal 1: fits per (recipe, fold), random_state 0..seeds-1")
    p.add_argument("--skip", nargs="*", default=[], choices=["1", "2", "3", "4"])
    p.add_argument("--quick", action="store_true", help="160 recordings, 2 folds, 1 epoch, 3 repeats (proves nothing)")
    p.add_argument("--out", default=None, help="folder for speed_goals.log and speed_goals.json")
    args = p.parse_args(argv)
    if args.quick:
        args.recordings, args.folds, args.epochs, args.repeats = 160, 2, 1, 3
    import torch

    torch.set_num_threads(1)
    started = datetime.now(timezone.utc)
    say("$ python " + " ".join(sys.argv))
    say(f"speed_goals.py, {started:%Y-%m-%d %H:%M} UTC; {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores; torch {torch.__version__}, 1 thread; base {args.base}")
    say(f"at start: {machine_state()}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "data.npz"
        y = make_data(args.recordings, data, args.fit_data)
        workers = {}
        base = base_tree(args.base, tmp / "base")
        try:
            if base is None:
                say(f"base commit {args.base} not found in this clone: goals 1 and 4 compare nothing")
            else:
                workers["base"] = Worker(base, data, "base")
            workers["new"] = Worker(ROOT, data, "new")
            say("workers: " + "; ".join(f"{k} imports {w.file}" for k, w in workers.items()))
            if "1" not in args.skip and "base" in workers:
                models, kinds = args.models.split(","), args.kinds.split(",")
                results = goal1(workers, y, args.folds, args.epochs, models, kinds, args.seeds)
                goal1_rows(results, args.folds, models, kinds, args.seeds)
            if "4" not in args.skip:
                goal4(workers, 4 * args.repeats)
        finally:
            for w in workers.values():
                w.close()
    if "2" not in args.skip:
        goal2(args.repeats, args.data_root)
    if "3" not in args.skip:
        goal3(3 if not args.quick else 1)
    row("5", "GPU goal (Triton / CUDA)", "not run", "", None, "no GPU was lent to this task")
    say(f"at end: {machine_state()}; {(datetime.now(timezone.utc) - started).total_seconds() / 60:.1f} min")
    header = ("goal", "measurement", "ratio", "target", "status", "note")
    cols = [[r[h] for r in ROWS] for h in ("goal", "measurement", "ratio", "target", "status", "note")]
    widths = [max(len(h), *(len(str(c)) for c in col)) for h, col in zip(header, cols)]
    widths[-1] = len("note")  # notes run on
    say(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
    say("-+-".join("-" * w for w in widths))
    for r in ROWS:
        say(" | ".join(str(r[h]).ljust(w) for h, w in zip(("goal", "measurement", "ratio", "target", "status", "note"), widths)))
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "speed_goals.log").write_text("\n".join(LINES) + "\n")
        (out / "speed_goals.json").write_text(json.dumps({"argv": sys.argv, "rows": ROWS}, indent=1) + "\n")


if __name__ == "__main__":
    main()
