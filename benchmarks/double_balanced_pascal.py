"""Double-balanced training on real two-device heart sounds (PASCAL CHSC2011, sets A and B).

Question: does drawing every training batch evenly from the (class, device) cells raise the
recording-level MAcc over ordinary shuffled batches, with everything else equal?

Protocol
--------
* Data: ``--data-dir`` = the ``pascal_heart`` folder (``labels.csv`` + ``audio/``). Unlabelled
  recordings are dropped; ``artifact`` recordings (set A only: not a heart sound) are dropped;
  abnormal (1) = murmur, extrahls (set A), extrastole (set B); normal (0) = normal. The domain is
  the set (A: iStethoscope app / web upload at 44.1 kHz; B: DigiScope at 4 kHz). Everything is
  resampled to 2000 Hz with ``scipy.signal.resample_poly``.
* Groups: the ``id_prefix`` of set B (probably the patient, undocumented); each set-A recording
  is its own group (no subject information). Folds: ``StratifiedGroupKFold(4, shuffle=True)``.
* Model, identical in every row except the batch composition: a :class:`SegmentedClassifier`
  (2 s segments, 1 s hop, mean of segment probabilities) around ``log band-energy statistics
  -> StandardScaler -> small MLP`` (skorch, Adam, cross-entropy on logits). Rows:
  ``balance=None`` (ordinary shuffled batches), ``"class"`` and ``"class_domain"``; every row
  trains the same number of batches per epoch (that of an ordinary epoch) so only the
  composition of the batches differs. A ``LogisticRegression(class_weight="balanced")`` on the
  same features is a non-neural reference.
* Score: MAcc = (Se + Sp) / 2 with abnormal as positive, per recording, mean ± std over the
  test folds (``--repeats`` repeats the 4-fold CV with other shuffles and torch seeds); also MAcc
  within each device. Read the within-device columns too: set A is 63 % abnormal and set B 31 %,
  so the pooled MAcc also rewards recognising the *device* -- the confound that double-balanced
  batches are meant to remove.

Run: ``python benchmarks/double_balanced_pascal.py --data-dir ../shared/data/pascal_heart``
(2-4 minutes on 2 CPU cores; ``--repeats 3`` about 5 minutes).
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import sklearn
import torch
from skorch import NeuralNetClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from sklearn_wavefront.datasets import load_audio_folder
from sklearn_wavefront.metrics import macc_score, make_scorers
from sklearn_wavefront.sampling import DoubleBalancedMixin
from sklearn_wavefront.segmenting import SegmentedClassifier, segment_signals

SAMPLE_RATE = 2000
ABNORMAL = {"murmur", "extrahls", "extrastole"}


def band_energy_features(segments, sample_rate=SAMPLE_RATE, n_bands=20, frame=256, hop=128):
    """Mean and standard deviation over frames of the log energy in log-spaced bands (25-900 Hz)."""
    S = np.asarray(segments, dtype=np.float64)
    n_frames = 1 + (S.shape[1] - frame) // hop
    idx = np.arange(frame)[None, :] + hop * np.arange(n_frames)[:, None]
    spec = np.abs(np.fft.rfft(S[:, idx] * np.hanning(frame), axis=-1)) ** 2  # (n, frames, bins)
    freqs = np.fft.rfftfreq(frame, 1 / sample_rate)
    edges = np.geomspace(25, 900, n_bands + 1)
    bands = np.stack([spec[..., (freqs >= lo) & (freqs < hi)].sum(-1) for lo, hi in zip(edges[:-1], edges[1:])], -1)
    logb = np.log(bands + 1e-10)
    return np.concatenate([logb.mean(axis=1), logb.std(axis=1)], axis=1).astype(np.float32)


class MLP(torch.nn.Module):
    def __init__(self, n_features=40, n_hidden=32, n_classes=2, dropout=0.2):
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(n_features, n_hidden), torch.nn.ReLU(), torch.nn.Dropout(dropout),
            torch.nn.Linear(n_hidden, n_classes),
        )

    def forward(self, X):
        return self.net(X)


class BalancedMLPClassifier(DoubleBalancedMixin, NeuralNetClassifier):
    """skorch classifier with ``balance=None|"class"|"class_domain"`` (see DoubleBalancedMixin)."""


def load(data_dir):
    b = load_audio_folder(data_dir, sample_rate=SAMPLE_RATE)
    keep = np.array([lab not in ("unlabelled", "artifact") for lab in b.target])
    X = [x for x, k in zip(b.data, keep) if k]
    y = np.array([int(lab in ABNORMAL) for lab in b.target[keep]])
    domains = b.dataset[keep].astype(str)
    prefix = b.id_prefix[keep].astype(str)
    paths = b.paths[keep].astype(str)
    groups = np.where(prefix == "", np.char.add("a:", paths), np.char.add("b:", prefix))
    return X, y, domains, groups


def segmented(inner, args):
    return SegmentedClassifier(inner, segment_seconds=args.segment, hop_seconds=args.hop, sample_rate=SAMPLE_RATE)


def net_pipeline(balance, batches_per_epoch, args):
    net = BalancedMLPClassifier(
        MLP, criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.Adam, lr=args.lr,
        max_epochs=args.epochs, batch_size=args.batch_size, train_split=None, verbose=0,
        iterator_train__shuffle=True, balance=balance, balance_epoch=batches_per_epoch,
    ).set_fit_request(domains=True)
    return Pipeline([("features", FunctionTransformer(band_energy_features)), ("scale", StandardScaler()),
                     ("net", net)])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data/pascal_heart"))
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--segment", type=float, default=2.0)
    parser.add_argument("--hop", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=1,
                        help="repeat the k-fold CV with other shuffles and torch seeds; std over all folds")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1: tiny MLP steps are fastest single-threaded, "
                             "and OpenMP spinning collapses when the cores are shared)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    sklearn.set_config(enable_metadata_routing=True)

    t0 = time.perf_counter()
    X, y, domains, groups = load(args.data_dir)
    load_s = time.perf_counter() - t0
    seg_len, hop = round(args.segment * SAMPLE_RATE), round(args.hop * SAMPLE_RATE)
    _, rec_index = segment_signals(X, seg_len, hop)
    n_train_segments = len(rec_index) * (args.folds - 1) / args.folds
    batches_per_epoch = math.ceil(n_train_segments / args.batch_size)
    print(f"PASCAL CHSC2011 A+B at {SAMPLE_RATE} Hz: {len(X)} recordings ({y.sum()} abnormal), "
          f"{len(rec_index)} segments of {args.segment:g} s (hop {args.hop:g} s), loaded in {load_s:.0f} s")
    for d in np.unique(domains):
        m = domains == d
        print(f"  {d}: {m.sum()} recordings, {y[m].sum()} abnormal, {len(np.unique(groups[m]))} groups")
    print(f"{args.repeats} x {args.folds}-fold StratifiedGroupKFold, {args.epochs} epochs x {batches_per_epoch} "
          f"batches of {args.batch_size}; MAcc/Se/Sp per recording (abnormal = positive), mean ± std over "
          f"{args.repeats * args.folds} folds\n")

    scoring = make_scorers(pos_label=1)
    rows = [("MLP, ordinary batches (balance=None)", lambda: net_pipeline(None, batches_per_epoch, args), True),
            ("MLP, class-balanced batches", lambda: net_pipeline("class", batches_per_epoch, args), True),
            ("MLP, double-balanced (class x device)", lambda: net_pipeline("class_domain", batches_per_epoch, args), True),
            ("LogReg class_weight=balanced (ref.)",
             lambda: Pipeline([("features", FunctionTransformer(band_energy_features)), ("scale", StandardScaler()),
                               ("lr", LogisticRegression(class_weight="balanced", max_iter=2000))]), False)]
    header = f"{'model (recording level)':40s} {'MAcc':>13s} {'Se':>13s} {'Sp':>13s} {'MAcc set_a':>13s} {'MAcc set_b':>13s} {'time':>6s}"
    print(header)
    print("-" * len(header))
    for name, make, uses_domains in rows:
        t = time.perf_counter()
        cols = {k: [] for k in ("macc", "sensitivity", "specificity", "set_a", "set_b")}
        for rep in range(args.repeats):
            torch.manual_seed(args.seed + rep)
            cv = StratifiedGroupKFold(args.folds, shuffle=True, random_state=args.seed + rep)
            params = {"groups": groups, **({"domains": domains} if uses_domains else {})}
            res = cross_validate(segmented(make(), args), X, y, params=params, cv=cv, scoring=scoring,
                                 return_estimator=True, return_indices=True)
            for k in ("macc", "sensitivity", "specificity"):
                cols[k].extend(res[f"test_{k}"])
            for est, test in zip(res["estimator"], res["indices"]["test"]):
                pred = est.predict([X[i] for i in test])
                for d in ("set_a", "set_b"):
                    m = domains[test] == d
                    cols[d].append(macc_score(y[test][m], pred[m], pos_label=1))
        print(f"{name:40s} " + " ".join(f"{np.mean(c):.3f} ± {np.std(c):.3f}" for c in cols.values())
              + f" {time.perf_counter() - t:5.0f}s", flush=True)


if __name__ == "__main__":
    main()
