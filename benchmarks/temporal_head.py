"""Front-end frames + a temporal head (MiniRocketHead) vs the baselines, on real recordings.

Question (issue 10): does a front-end's frames fed to a MiniRocket-style temporal head beat
MiniRocket on the raw waveform and fixed mel filters, and do *learned* filters help there?

Protocol
--------
* Data: ``--data-dir`` = a folder with ``labels.csv`` + ``audio/`` (e.g. ``../shared/data/fsdd``).
  Every recording is resampled to ``--sample-rate`` and cut or zero-padded at the end to
  ``--duration`` seconds (:func:`sklearn_wavefront.datasets.load_audio_folder`). A random subset of
  ``--per-class`` recordings per class (balanced over groups when a group column exists) keeps the run
  to a few minutes on 2 shared cores.
* Folds: ``StratifiedGroupKFold(--folds)`` on ``--group-column`` (fsdd: ``speaker``, so every test
  speaker is unseen); ``StratifiedKFold`` when the column is absent (say so beside the numbers).
  The same folds for every row.
* Score: UA (balanced accuracy) per test fold; mean ± std over folds; seconds per fold (fit +
  predict, wall clock, one torch thread, under whatever load the machine has: compare ratios only).
* Rows: chance (``DummyClassifier``); MFCC + deltas statistics -> StandardScaler ->
  LogisticRegression; aeon MiniRocket on the raw waveform -> RidgeClassifierCV (needs the
  ``baselines`` extra; skipped without aeon); aeon MiniRocket on mel frames (the same frames as our
  head: a like-for-like check of the head); then ``front(output="frames") -> MiniRocketHead ->
  RidgeClassifierCV`` for mel, and for comb / IConNet / gammatone with fixed filters and with filters
  learned by the front-end's own ``fit(X, y)`` (``max_epochs`` > 0: a linear head on mean/std
  statistics); and ``"through head"`` rows where the filters are learned through the soft-PPV
  relaxation of a MiniRocketHead (:class:`~sklearn_wavefront.temporal.MiniRocketModule` with a
  ``temperature``) before the hard head is refitted on the learned frames.

Run: ``python benchmarks/temporal_head.py --data-dir ../shared/data/fsdd`` (prints a markdown table;
each row is also printed as soon as it is done; ``--rows`` picks rows by name). ``--speed 3`` only times
the head against aeon on the same mel frames. On a loaded machine set ``OMP_NUM_THREADS=1
NUMBA_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE``: without them, spinning thread pools made the same speed
comparison swing from 0.04 to 0.85 (aeon / ours) between runs here.

Measured (2026-11-27, 2 shared cores at load 13-16, 32 filters, hop 80 samples = 10 ms, 4956 head
features, ``--epochs 3``; seconds per fold are under that load: compare within a table only)

fsdd, ``--per-class 40`` (400 recordings of 0.5 s at 8 kHz), StratifiedGroupKFold(3) on speaker:

| pipeline | UA | s / fold |
|---|---|---|
| chance | 0.092 ± 0.011 | 0.0 |
| mfcc+deltas stats + LR | 0.527 ± 0.098 | 1.6 |
| aeon MiniRocket, raw waveform | 0.308 ± 0.026 | 18.1 |
| aeon MiniRocket, mel frames | 0.650 ± 0.097 | 8.1 |
| mel frames -> head | 0.626 ± 0.074 | 19.5 |
| iconnet fixed -> head | 0.595 ± 0.032 | 27.9 |
| iconnet learned (stats, 3 ep) -> head | 0.602 ± 0.071 | 96.2 |
| iconnet learned (through soft head, 3 ep) -> head | 0.580 ± 0.044 | 149.6 |
| gammatone fixed -> head | 0.578 ± 0.082 | 19.9 |
| gammatone learned (stats, 3 ep) -> head | 0.545 ± 0.071 | 53.7 |
| gammatone learned (through soft head, 3 ep) -> head | 0.574 ± 0.051 | 157.7 |
| comb fixed -> head | 0.345 ± 0.023 | 15.1 |
| comb learned (stats, 3 ep) -> head | 0.364 ± 0.044 | 29.0 |
| comb learned (through soft head, 3 ep) -> head | 0.343 ± 0.035 | 41.9 |

The same folds, ``--epochs 10``, run later with single-threaded pools (``OMP_NUM_THREADS=1 ...``):
seconds here are not comparable with the table above (its oversubscribed thread pools ran 3-5x slower).

| pipeline | UA | s / fold |
|---|---|---|
| iconnet learned (stats, 10 ep) -> head | 0.592 ± 0.072 | 37.0 |
| gammatone learned (stats, 10 ep) -> head | 0.590 ± 0.067 | 42.6 |
| iconnet learned (through soft head, 10 ep) -> head | 0.605 ± 0.010 | 26.2 |
| gammatone learned (through soft head, 10 ep) -> head | 0.607 ± 0.058 | 31.2 |

Re-timed with single-threaded pools (same folds; the UA values came out identical, as they must):
mfcc+deltas + LR 0.1 s / fold, aeon MiniRocket raw waveform 2.1 s, aeon MiniRocket on mel frames
0.3-0.7 s, mel frames -> head 0.5 s, iconnet fixed -> head 3.0 s, gammatone fixed -> head 3.2 s.

fsdd, ``--per-class 100`` (1000 recordings), same protocol:

| pipeline | UA | s / fold |
|---|---|---|
| chance | 0.087 ± 0.001 | 0.0 |
| mfcc+deltas stats + LR | 0.564 ± 0.062 | 2.5 |
| aeon MiniRocket, raw waveform | 0.393 ± 0.042 | 33.6 |
| aeon MiniRocket, mel frames | 0.703 ± 0.059 | 25.3 |
| mel frames -> head | 0.694 ± 0.058 | 24.4 |
| iconnet fixed -> head | 0.647 ± 0.025 | 56.6 |
| gammatone fixed -> head | 0.621 ± 0.046 | 70.6 |

yaseen_heart, ``--group-column none --duration 2.0 --per-class 40`` (200 recordings),
StratifiedKFold(3): no patient ids, so one patient's recordings may sit in train and test folds:

| pipeline | UA | s / fold |
|---|---|---|
| chance | 0.214 ± 0.018 | 0.1 |
| mfcc+deltas stats + LR | 0.834 ± 0.046 | 4.0 |
| aeon MiniRocket, raw waveform | 0.930 ± 0.018 | 33.3 |
| aeon MiniRocket, mel frames | 0.935 ± 0.013 | 4.7 |
| mel frames -> head | 0.940 ± 0.012 | 11.7 |
| iconnet fixed -> head | 0.940 ± 0.013 | 12.8 |
| iconnet learned (stats, 3 ep) -> head | 0.940 ± 0.022 | 98.4 |

pascal_heart (normal vs abnormal, PASCAL A+B), the 80 recordings of ``real_data.py --set pascal_heart``
(its derived ``labels.csv`` as ``--data-dir``: ``--group-column patient --sample-rate 4000 --duration 4.0
--per-class 1000 --folds 4 --n-filters 16 --hop 40 --epochs 10``), StratifiedGroupKFold(4) on patient (the
same folds as ``real_data.py``), every recording **cropped or zero-padded to 4 s** (``real_data.py``
segments instead, so these numbers are not those of its table); 2026-11-27 18:32 UTC, machine nearly idle;
its log, every fold: ``benchmarks/results/through_head/pascal_heart.log``:

| pipeline | UA | s / fold |
|---|---|---|
| aeon MiniRocket, mel frames | 0.678 ± 0.030 | 3.8 |
| mel frames -> head | 0.644 ± 0.101 | 0.8 |
| iconnet fixed -> head | 0.702 ± 0.030 | 0.8 |
| iconnet learned (stats, 10 ep) -> head | 0.713 ± 0.059 | 6.4 |
| iconnet learned (through soft head, 10 ep) -> head | 0.715 ± 0.028 | 9.0 |
| gammatone fixed -> head | 0.703 ± 0.081 | 1.0 |
| gammatone learned (stats, 10 ep) -> head | 0.741 ± 0.107 | 6.6 |
| gammatone learned (through soft head, 10 ep) -> head | 0.703 ± 0.081 | 11.0 |

Learned gammatone (stats) is at least as good as fixed on every fold (0.600/0.700/0.768/0.894 vs
0.600/0.650/0.768/0.794), but +3.8 points with a std of 0.107 over 4 folds of 20 recordings is within
noise; through the soft head gammatone scored exactly the fixed filters' UA on every fold.

Speed (``--speed 3``, single-threaded pools as above): fit + transform on fsdd's (400, 32, 51) mel
frames, head 0.30 s vs aeon 0.25 s (aeon / ours 0.85); on yaseen's (200, 32, 201), 1.29 s vs 0.71 s (0.55).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression, RidgeClassifierCV
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import LabelEncoder, StandardScaler

from sklearn_wavefront import (
    CombFrontend,
    GammatoneFrontend,
    IConNetFrontend,
    MelFrontend,
    MFCCFrontend,
    MiniRocketHead,
)
from sklearn_wavefront.datasets import load_audio_folder

ALPHAS = np.logspace(-3, 3, 10)


class MFCCDeltaStatistics(TransformerMixin, BaseEstimator):
    """Mean and std over frames of MFCCs and their deltas (``np.gradient`` along time)."""

    def __init__(self, sample_rate=8000, n_mfcc=20, n_fft=256, hop_length=80):
        self.sample_rate = sample_rate
        self.n_mfcc = n_mfcc
        self.n_fft = n_fft
        self.hop_length = hop_length

    def fit(self, X, y=None):
        self.front_ = MFCCFrontend(
            sample_rate=self.sample_rate, n_mfcc=self.n_mfcc, n_fft=self.n_fft, hop_length=self.hop_length,
            output="frames",
        ).fit(X)
        return self

    def transform(self, X):
        Z = self.front_.transform(X).reshape(len(X), self.n_mfcc, -1)
        D = np.gradient(Z, axis=-1) if Z.shape[-1] > 1 else np.zeros_like(Z)
        return np.concatenate([Z.mean(-1), Z.std(-1), D.mean(-1), D.std(-1)], axis=1)


class ThroughHead(TransformerMixin, BaseEstimator):
    """A front-end whose filters are learned through a soft-PPV MiniRocket head, then frozen.

    ``fit(X, y)``: fit ``front`` with fixed filters and a small MiniRocketHead on its frames (fixed
    kernels and biases); then train the front-end's filterbank and a linear soft-max layer on the
    standardised soft-PPV features (``temperature``) with Adam for ``max_epochs``. ``transform``
    returns the learned front-end's frames. Benchmark code: it reaches into the front-end's
    private helpers (``_make_filterbank``, ``_pad``, ``_set_learned_attributes``).
    """

    def __init__(self, front, n_features=840, temperature=0.1, max_epochs=5, learning_rate=0.01, batch_size=32,
                 random_state=0):
        self.front = front
        self.n_features = n_features
        self.temperature = temperature
        self.max_epochs = max_epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.random_state = random_state

    def fit(self, X, y):
        front = clone(self.front).set_params(output="frames", max_epochs=0).fit(X)
        torch.manual_seed(self.random_state)
        fb = front._make_filterbank().float()  # same initial filters, learnable flags as built
        fb.load_state_dict({k: v.float() for k, v in front.filterbank_.state_dict().items()})
        X_t = torch.tensor(np.asarray(X), dtype=torch.float32)
        codes = LabelEncoder().fit_transform(y)
        y_t = torch.as_tensor(codes)
        with torch.no_grad():
            Z0 = torch.cat([fb(front._pad(X_t[i : i + 64])) for i in range(0, len(X_t), 64)])
        head = MiniRocketHead(n_kernels=self.n_features, random_state=self.random_state).fit(Z0.numpy())
        module = head.module_
        with torch.no_grad():
            F0 = torch.cat([module(Z0[i : i + 64], temperature=self.temperature) for i in range(0, len(Z0), 64)])
        mu, sd = F0.mean(0), F0.std(0).clamp_min(1e-3)
        linear = torch.nn.Linear(F0.shape[1], int(codes.max()) + 1)
        params = [p for p in fb.parameters() if p.requires_grad]
        opt = torch.optim.Adam([*params, *linear.parameters()], lr=self.learning_rate)
        gen = torch.Generator().manual_seed(self.random_state)
        self.loss_curve_ = []
        fb.train()
        for _ in range(self.max_epochs):
            perm = torch.randperm(len(X_t), generator=gen)
            total = 0.0
            for s in range(0, len(X_t), self.batch_size):
                idx = perm[s : s + self.batch_size]
                opt.zero_grad()
                z = fb(front._pad(X_t[idx]))
                feats = (module(z, temperature=self.temperature) - mu) / sd
                loss = torch.nn.functional.cross_entropy(linear(feats), y_t[idx])
                loss.backward()
                opt.step()
                total += float(loss) * len(idx)
            self.loss_curve_.append(total / len(X_t))
        fb.eval()
        for p in fb.parameters():
            p.requires_grad_(False)
        front.filterbank_ = fb.double()
        front._set_learned_attributes(fb)
        self.front_ = front
        return self

    def transform(self, X):
        return self.front_.transform(X)


def build_rows(sr, n_filters, hop, epochs, n_features):
    """name -> (factory of a fresh estimator, needs aeon)."""
    win = 2 * hop
    fronts = {
        "mel": lambda: MelFrontend(sample_rate=sr, n_filters=n_filters, n_fft=256, hop_length=hop, output="frames"),
        "comb": lambda **kw: CombFrontend(sample_rate=sr, n_filters=n_filters, window_length=win, hop_length=hop,
                                          output="frames", random_state=0, **kw),
        "iconnet": lambda **kw: IConNetFrontend(sample_rate=sr, n_filters=n_filters, kernel_size=127, stride=hop,
                                                output="frames", random_state=0, **kw),
        "gammatone": lambda **kw: GammatoneFrontend(sample_rate=sr, n_filters=n_filters, kernel_size=128,
                                                    window_seconds=win / sr, hop_seconds=hop / sr, output="frames",
                                                    random_state=0, **kw),
    }

    def head():
        return MiniRocketHead(n_kernels=n_features, n_channels=n_filters, random_state=0)

    def ridge():
        return RidgeClassifierCV(alphas=ALPHAS)

    rows = {
        "chance": (lambda: DummyClassifier(strategy="stratified", random_state=0), False),
        "mfcc+deltas stats + LR": (
            lambda: make_pipeline(MFCCDeltaStatistics(sample_rate=sr, hop_length=hop), StandardScaler(),
                                  LogisticRegression(max_iter=2000)),
            False,
        ),
    }

    def aeon_raw():
        from aeon.transformations.collection.convolution_based import MiniRocket

        return make_pipeline(MiniRocket(n_kernels=n_features, random_state=0), ridge())

    class _To3D(TransformerMixin, BaseEstimator):
        def fit(self, X, y=None):
            return self

        def transform(self, X):
            return np.asarray(X, dtype=np.float32).reshape(len(X), n_filters, -1)

    def aeon_mel():
        from aeon.transformations.collection.convolution_based import MiniRocket

        return make_pipeline(fronts["mel"](), _To3D(), MiniRocket(n_kernels=n_features, random_state=0), ridge())

    rows["aeon MiniRocket, raw waveform"] = (aeon_raw, True)
    rows["aeon MiniRocket, mel frames"] = (aeon_mel, True)
    rows["mel frames -> head"] = (lambda: Pipeline([("front", fronts["mel"]()), ("head", head()), ("clf", ridge())]), False)
    for name in ("comb", "iconnet", "gammatone"):
        rows[f"{name} fixed -> head"] = (
            lambda name=name: Pipeline([("front", fronts[name]()), ("head", head()), ("clf", ridge())]), False
        )
        rows[f"{name} learned (stats, {epochs} ep) -> head"] = (
            lambda name=name: Pipeline(
                [("front", fronts[name](max_epochs=epochs, batch_size=32)), ("head", head()), ("clf", ridge())]
            ),
            False,
        )
        rows[f"{name} learned (through soft head, {epochs} ep) -> head"] = (
            lambda name=name: Pipeline(
                [("front", ThroughHead(fronts[name](), max_epochs=epochs)), ("head", head()), ("clf", ridge())]
            ),
            False,
        )
    return rows


def load(args):
    bunch = load_audio_folder(args.data_dir, sample_rate=args.sample_rate, duration=args.duration)
    X, y = np.asarray(bunch.data, dtype=np.float32), np.asarray(bunch.target).astype(str)
    groups = np.asarray(bunch[args.group_column]).astype(str) if args.group_column in bunch.columns else None
    rng = np.random.default_rng(args.seed)
    keep = []
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        if groups is not None:  # round-robin over groups so every speaker keeps its share
            by_group = [rng.permutation(idx[groups[idx] == g]).tolist() for g in np.unique(groups[idx])]
            tiers = itertools.zip_longest(*by_group)
            idx = np.asarray([i for tier in tiers for i in tier if i is not None])
        else:
            idx = rng.permutation(idx)
        keep.extend(idx[: args.per_class].tolist())
    keep = np.sort(np.asarray(keep))
    return X[keep], y[keep], (groups[keep] if groups is not None else None), bunch.sample_rate


def speed(X, sr, n_filters, hop, n_features, repeats):
    """Median seconds of fit + transform on the same mel frames: MiniRocketHead vs aeon's MiniRocket.

    Interleaved (ours, aeon, ours, aeon, ...) so both see the same machine load; aeon's numba
    kernels are compiled by a warm-up call first (a cost its users pay once per process).
    """
    from aeon.transformations.collection.convolution_based import MiniRocket

    F = MelFrontend(sample_rate=sr, n_filters=n_filters, n_fft=256, hop_length=hop, output="frames").fit_transform(X)
    F3 = np.ascontiguousarray(F.reshape(len(X), n_filters, -1), dtype=np.float32)
    ours = lambda: MiniRocketHead(n_kernels=n_features, n_channels=n_filters, random_state=0).fit(F3).transform(F3)
    theirs = lambda: MiniRocket(n_kernels=n_features, random_state=0).fit(F3).transform(F3)
    theirs()
    ours()
    times = {"ours": [], "aeon": []}
    for _ in range(repeats):
        for name, fn in (("ours", ours), ("aeon", theirs)):
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    a, b = np.median(times["ours"]), np.median(times["aeon"])
    print(f"\nSpeed, fit + transform on {F3.shape} mel frames, {84 * (n_features // 84)} features, median of {repeats} "
          f"interleaved runs:\n\n| MiniRocketHead (torch) | aeon MiniRocket (numba) | aeon / ours |\n|---|---|---|\n"
          f"| {a:.2f} s | {b:.2f} s | {b / a:.2f} |")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", required=True)
    p.add_argument("--sample-rate", type=int, default=8000)
    p.add_argument("--duration", type=float, default=0.5)
    p.add_argument("--per-class", type=int, default=60)
    p.add_argument("--group-column", default="speaker")
    p.add_argument("--folds", type=int, default=3)
    p.add_argument("--n-filters", type=int, default=32)
    p.add_argument("--hop", type=int, default=80, help="frame hop in samples for every front-end")
    p.add_argument("--epochs", type=int, default=5, help="max_epochs of the learned front-ends")
    p.add_argument("--n-features", type=int, default=4998, help="MiniRocket features (head and aeon)")
    p.add_argument("--rows", default="", help="comma-separated substrings: run only rows whose name has one")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--speed", type=int, default=0, metavar="REPEATS",
                   help="only time MiniRocketHead vs aeon's MiniRocket on the same mel frames (REPEATS runs each)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)

    X, y, groups, sr = load(args)
    if args.speed:
        speed(X, sr, args.n_filters, args.hop, args.n_features, args.speed)
        return
    if groups is not None:
        splits = list(StratifiedGroupKFold(args.folds, shuffle=True, random_state=args.seed).split(X, y, groups))
        fold_note = f"StratifiedGroupKFold({args.folds}) on {args.group_column}"
    else:
        splits = list(StratifiedKFold(args.folds, shuffle=True, random_state=args.seed).split(X, y))
        fold_note = f"StratifiedKFold({args.folds}) (no group column: recordings of one subject may cross folds)"
    print(f"# {args.data_dir}: {len(X)} recordings x {X.shape[1]} samples at {sr} Hz, {len(np.unique(y))} classes; "
          f"{fold_note}; head/aeon features {84 * (args.n_features // 84)}", file=sys.stderr, flush=True)

    rows = build_rows(sr, args.n_filters, args.hop, args.epochs, args.n_features)
    wanted = [w.strip() for w in args.rows.split(",") if w.strip()]
    results = []
    for name, (factory, needs_aeon) in rows.items():
        if wanted and not any(w in name for w in wanted):
            continue
        if needs_aeon:
            try:
                import aeon  # noqa: F401
            except ImportError:
                print(f"skipped {name}: aeon not installed (pip install 'sklearn-wavefront[baselines]')",
                      file=sys.stderr, flush=True)
                continue
        scores, seconds = [], []
        for k, (train, test) in enumerate(splits):
            t0 = time.perf_counter()
            est = factory().fit(X[train], y[train])
            scores.append(balanced_accuracy_score(y[test], est.predict(X[test])))
            seconds.append(time.perf_counter() - t0)
            print(f"  {name} fold {k}: UA {scores[-1]:.3f} ({seconds[-1]:.1f} s)", file=sys.stderr, flush=True)
        results.append((name, np.mean(scores), np.std(scores), np.mean(seconds)))
        print(f"| {name} | {results[-1][1]:.3f} ± {results[-1][2]:.3f} | {results[-1][3]:.1f} |", flush=True)

    print(f"\n{fold_note}; {len(X)} recordings; UA mean ± std over folds; seconds per fold (fit + predict, "
          f"{args.threads} torch thread(s), shared CPU)\n")
    print("| pipeline | UA | s / fold |\n|---|---|---|")
    for name, m, s, t in results:
        print(f"| {name} | {m:.3f} ± {s:.3f} | {t:.1f} |")


if __name__ == "__main__":
    main()
