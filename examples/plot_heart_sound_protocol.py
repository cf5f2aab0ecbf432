"""The PhysioNet-2016-style protocol on synthetic heart sounds, end to end.

1. Data: :func:`make_heart_sounds` -- recordings of different lengths from subjects on two
   devices (domains) with different class balance (device 0: 20 % abnormal, device 1: 60 %).
2. Segments: :class:`SegmentedClassifier` cuts 2 s segments (1 s hop); every segment inherits
   the label and the device of its recording; recordings are decided by the mean segment
   probability. A recording shorter than 2 s is padded, never dropped.
3. Double-balanced training: a small skorch MLP with :class:`DoubleBalancedMixin` and
   ``balance="class_domain"`` draws every training batch evenly from the four
   (class, device) cells. The devices reach it by metadata routing
   (``set_fit_request(domains=True)``), split per fold by ``cross_validate``.
4. Evaluation: 4-fold ``StratifiedGroupKFold`` by subject; MAcc, Se and Sp per recording
   with abnormal (1) as the positive class.

Runs in well under a minute on 2 CPU cores::

    python examples/heart_sound_protocol.py

To use a learnable front-end instead of the fixed band energies, replace the ``features`` step
by one of the package's front-end transformers (or the whole pipeline by a classifier).
"""

import time

import numpy as np
import sklearn
import torch
from skorch import NeuralNetClassifier
from sklearn.model_selection import StratifiedGroupKFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from sklearn_wavefront.datasets import make_heart_sounds
from sklearn_wavefront.metrics import make_scorers
from sklearn_wavefront.sampling import DoubleBalancedMixin
from sklearn_wavefront.segmenting import SegmentedClassifier

SAMPLE_RATE = 2000


def band_energies(segments, n_bands=16, frame=256, hop=128):
    """Mean and standard deviation over frames of log energies in log-spaced bands (25-900 Hz)."""
    S = np.asarray(segments, dtype=np.float64)
    n_frames = 1 + (S.shape[1] - frame) // hop
    idx = np.arange(frame)[None, :] + hop * np.arange(n_frames)[:, None]
    spec = np.abs(np.fft.rfft(S[:, idx] * np.hanning(frame), axis=-1)) ** 2
    freqs = np.fft.rfftfreq(frame, 1 / SAMPLE_RATE)
    edges = np.geomspace(25, 900, n_bands + 1)
    bands = np.stack([spec[..., (freqs >= lo) & (freqs < hi)].sum(-1) for lo, hi in zip(edges[:-1], edges[1:])], -1)
    logb = np.log(bands + 1e-10)
    return np.concatenate([logb.mean(axis=1), logb.std(axis=1)], axis=1).astype(np.float32)


class MLP(torch.nn.Module):
    def __init__(self, n_features=32, n_hidden=32):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(n_features, n_hidden), torch.nn.ReLU(),
                                       torch.nn.Linear(n_hidden, 2))

    def forward(self, X):
        return self.net(X)  # logits: use CrossEntropyLoss


class BalancedMLP(DoubleBalancedMixin, NeuralNetClassifier):
    """A skorch classifier that accepts ``balance`` and ``fit(X, y, domains=...)``."""


def make_model(balance):
    net = BalancedMLP(MLP, criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.Adam, lr=3e-3,
                      max_epochs=15, batch_size=32, train_split=None, verbose=0,
                      iterator_train__shuffle=True, balance=balance, balance_epoch=20)
    net.set_fit_request(domains=True)
    pipe = Pipeline([("features", FunctionTransformer(band_energies)), ("scale", StandardScaler()), ("net", net)])
    return SegmentedClassifier(pipe, segment_seconds=2.0, hop_seconds=1.0, sample_rate=SAMPLE_RATE)


def main():
    torch.set_num_threads(1)  # tiny MLP: one thread is fastest (and robust on shared cores)
    sklearn.set_config(enable_metadata_routing=True)
    data = make_heart_sounds(n_recordings=160, duration=(1.5, 8.0), abnormal_fraction=(0.2, 0.6),
                             domain_weights=(0.75, 0.25), recordings_per_subject=2, murmur_level=0.12,
                             noise=0.08, random_state=0)
    X, y, domains, groups = data.data, data.target, data.domains, data.groups
    print(f"{len(X)} recordings of {len(np.unique(groups))} subjects, lengths "
          f"{min(map(len, X)) / SAMPLE_RATE:.1f}-{max(map(len, X)) / SAMPLE_RATE:.1f} s")
    for d in np.unique(domains):
        m = domains == d
        print(f"  device {d}: {m.sum()} recordings, {y[m].sum()} abnormal")

    cv = StratifiedGroupKFold(n_splits=4, shuffle=True, random_state=0)
    print(f"\n{'training batches':28s} {'MAcc':>13s} {'Se':>13s} {'Sp':>13s}")
    for balance in (None, "class_domain"):
        torch.manual_seed(0)
        t = time.perf_counter()
        res = cross_validate(make_model(balance), X, y, params={"domains": domains, "groups": groups}, cv=cv,
                             scoring=make_scorers(pos_label=1))
        label = "ordinary" if balance is None else "double-balanced"
        cols = [res[f"test_{k}"] for k in ("macc", "sensitivity", "specificity")]
        print(f"{label:28s} " + " ".join(f"{c.mean():.3f} ± {c.std():.3f}" for c in cols)
              + f"   ({time.perf_counter() - t:.0f} s)")


if __name__ == "__main__":
    main()
