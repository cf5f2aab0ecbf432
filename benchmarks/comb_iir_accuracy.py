"""Accuracy cost of comb inference through the exact IIR instead of the FIR surrogate, on real speech.

``python benchmarks/comb_iir_accuracy.py --data-dir ../shared/data/fsdd [--per-class 60] [--folds 5]``

Free Spoken Digit Dataset (8 kHz), a stratified random subset of ``--per-class`` recordings per digit,
each zero-padded or cut to 1 s. The same stratified folds for every pipeline, all with
``StandardScaler + LogisticRegression``: CombFrontend features with ``inference="fir"`` (the training
surrogate) and ``inference="iir"`` (exact IIR, integer delays), fixed filters, then chance
(``DummyClassifier``) and MFCC statistics. MiniRocket (aeon) is added when aeon is installed.
Prints accuracy mean ± std over folds and the transform time of each. Folds mix speakers (a digit
task, not speaker-independent); the figures compare front-ends on equal terms, nothing more.
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_wavefront.frontends import CombFrontend, MFCCFrontend


def load(data_dir: Path, per_class: int, seed: int, length: int):
    with open(data_dir / "labels.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rng = np.random.default_rng(seed)
    by_label: dict = {}
    for r in rows:
        by_label.setdefault(r["label"], []).append(r)
    X, y = [], []
    for label in sorted(by_label):
        pick = rng.permutation(len(by_label[label]))[:per_class]
        for i in pick:
            wav, sr = sf.read(data_dir / by_label[label][i]["path"], dtype="float64")
            if wav.ndim > 1:
                wav = wav.mean(axis=1)
            wav = wav[:length]
            X.append(np.pad(wav, (0, length - wav.size)))
            y.append(label)
    return np.asarray(X), np.asarray(y), sr


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, default=Path("../shared/data/fsdd"))
    p.add_argument("--per-class", type=int, default=60)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--n-filters", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    X, y, sr = load(args.data_dir, args.per_class, args.seed, length=8000)
    print(f"{len(y)} recordings of 1 s at {sr} Hz, {len(set(y))} classes, {args.folds} stratified folds", flush=True)
    fronts = {
        "comb fir (surrogate)": lambda: CombFrontend(sample_rate=sr, n_filters=args.n_filters),
        "comb iir (exact, round(D))": lambda: CombFrontend(sample_rate=sr, n_filters=args.n_filters, inference="iir"),
        "mfcc 20 mean/std": lambda: MFCCFrontend(sample_rate=sr, n_fft=256, hop_length=80),
    }
    folds = list(StratifiedKFold(args.folds, shuffle=True, random_state=args.seed).split(X, y))
    results = {}
    for name, make in fronts.items():
        accs, secs = [], []
        for train, test in folds:
            front = make().fit(X[train])
            t = time.perf_counter()
            f_train, f_test = front.transform(X[train]), front.transform(X[test])
            secs.append(time.perf_counter() - t)
            clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000)).fit(f_train, y[train])
            accs.append(clf.score(f_test, y[test]))
        results[name] = (np.mean(accs), np.std(accs), np.mean(secs))
        print(f"  {name}: {np.mean(accs):.3f} ± {np.std(accs):.3f}", flush=True)
    accs = [DummyClassifier().fit(X[tr], y[tr]).score(X[te], y[te]) for tr, te in folds]
    results["chance (most frequent)"] = (np.mean(accs), np.std(accs), 0.0)
    try:
        from aeon.transformations.collection.convolution_based import MiniRocket
    except ImportError:
        print("  (aeon not installed: MiniRocket baseline skipped)")
    else:
        accs, secs = [], []
        for train, test in folds:
            t = time.perf_counter()
            mr = MiniRocket(random_state=args.seed).fit(X[train][:, None, :])
            f_train, f_test = mr.transform(X[train][:, None, :]), mr.transform(X[test][:, None, :])
            secs.append(time.perf_counter() - t)
            clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000)).fit(f_train, y[train])
            accs.append(clf.score(f_test, y[test]))
        results["minirocket"] = (np.mean(accs), np.std(accs), np.mean(secs))
    print(f"\n{'front-end + StandardScaler + LogisticRegression':<48} | accuracy        | transform s/fold")
    for name, (m, s, t) in results.items():
        print(f"{name:<48} | {m:.3f} ± {s:.3f}   | {t:.2f}")


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
