"""
===================================================
The heart-sound protocol with a gammatone front-end
===================================================

The PhysioNet/CinC 2016 protocol of the SpectNet and IConNet papers, end to end, on synthetic
heart sounds, with the package's own front-end:

1. **Data**: :func:`~sklearn_wavefront.datasets.make_heart_sounds`: recordings of different
   lengths from subjects on two devices (domains) with different class balance (device 0: 20 %
   abnormal, device 1: 60 %); abnormal recordings carry a systolic murmur (150-400 Hz noise
   between S1 and S2).
2. **Features**: a :class:`~sklearn_wavefront.GammatoneFrontend` (SpectNet's filterbank:
   16 gammatone filters mel-spaced over 40-800 Hz, log energy per 50 ms frame, mean and std
   over frames per filter).
3. **Segments**: :class:`~sklearn_wavefront.SegmentedClassifier` cuts 2 s segments (1 s hop);
   every segment inherits the label and the device of its recording; recordings are decided by
   the mean segment probability. A recording shorter than 2 s is padded, never dropped.
4. **Double-balanced training**: a small skorch MLP with
   :class:`~sklearn_wavefront.DoubleBalancedMixin` and ``balance="class_domain"`` draws every
   training batch evenly from the four (class, device) cells. The devices reach it by metadata
   routing (``set_fit_request(domains=True)``), split per fold by ``cross_validate``.
5. **Evaluation**: 4-fold :class:`~sklearn.model_selection.StratifiedGroupKFold` by subject
   (no subject in both the training and the test fold); MAcc, sensitivity (Se) and
   specificity (Sp) per *recording*, abnormal (1) being the positive class
   (:func:`~sklearn_wavefront.metrics.make_scorers`).
"""

import time

import matplotlib.pyplot as plt
import numpy as np
import sklearn
import torch
from skorch import NeuralNetClassifier
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_wavefront import DoubleBalancedMixin, GammatoneFrontend, MFCCFrontend, SegmentedClassifier
from sklearn_wavefront.datasets import make_heart_sounds
from sklearn_wavefront.metrics import make_scorers

torch.set_num_threads(1)  # tiny MLP: one thread is fastest (and steady on shared cores)
sklearn.set_config(enable_metadata_routing=True)
SAMPLE_RATE = 2000

# %%
# The data
# --------
data = make_heart_sounds(n_recordings=120, duration=(1.5, 6.0), abnormal_fraction=(0.2, 0.6),
                         domain_weights=(0.75, 0.25), recordings_per_subject=2, murmur_level=0.12,
                         noise=0.08, random_state=0)
X, y, domains, groups = data.data, data.target, data.domains, data.groups
print(f"{len(X)} recordings of {len(np.unique(groups))} subjects, lengths "
      f"{min(map(len, X)) / SAMPLE_RATE:.1f}-{max(map(len, X)) / SAMPLE_RATE:.1f} s")
for d in np.unique(domains):
    m = domains == d
    print(f"  device {d}: {m.sum()} recordings, {y[m].sum()} abnormal")

fig, axes = plt.subplots(2, 1, figsize=(9, 4), sharex=True, layout="constrained")
for ax, label in zip(axes, (0, 1)):
    i = int(np.flatnonzero(y == label)[0])
    t = np.arange(len(X[i])) / SAMPLE_RATE
    ax.plot(t, X[i], lw=0.5)
    ax.set(title=f"{data.target_names[label]} (device {domains[i]})", ylabel="amplitude")
axes[-1].set(xlabel="time (s)", xlim=(0, 3))


# %%
# The model
# ---------
# The network is a small MLP; the front-end's features are standardised on the training fold.
class MLP(torch.nn.Module):
    def __init__(self, n_features=32, n_hidden=32):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(n_features, n_hidden), torch.nn.ReLU(),
                                       torch.nn.Linear(n_hidden, 2))

    def forward(self, X):
        return self.net(X.float())  # the features are float64; logits: use CrossEntropyLoss


class BalancedMLP(DoubleBalancedMixin, NeuralNetClassifier):
    """A skorch classifier that accepts ``balance`` and ``fit(X, y, domains=...)``."""


def gammatone():
    return GammatoneFrontend(sample_rate=SAMPLE_RATE, n_filters=16, fmin=40.0, fmax=800.0, kernel_size=64,
                             window_seconds=0.05, hop_seconds=0.025)


def segmented(pipe):
    return SegmentedClassifier(pipe, segment_seconds=2.0, hop_seconds=1.0, sample_rate=SAMPLE_RATE)


def make_model(balance):
    net = BalancedMLP(MLP, criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.Adam, lr=3e-3,
                      max_epochs=15, batch_size=32, train_split=None, verbose=0,
                      iterator_train__shuffle=True, balance=balance, balance_epoch=20)
    net.set_fit_request(domains=True)
    return segmented(Pipeline([("features", gammatone()), ("scale", StandardScaler()), ("net", net)]))


# %%
# Cross-validation by subject
# ---------------------------
# The same folds for every model. The baselines (chance, MFCC statistics with a
# class-balanced logistic regression) use neither the devices nor the network.
cv = StratifiedGroupKFold(n_splits=4, shuffle=True, random_state=0)
scoring = make_scorers(pos_label=1)
baselines = {
    "chance": segmented(DummyClassifier(strategy="prior")),
    "MFCC + logistic regression": segmented(Pipeline([
        ("features", MFCCFrontend(sample_rate=SAMPLE_RATE, n_mfcc=13, n_filters=26, n_fft=256, hop_length=50)),
        ("scale", StandardScaler()), ("clf", LogisticRegression(class_weight="balanced", max_iter=2000))])),
}
print(f"{'model':38s} {'MAcc':>13s} {'Se':>13s} {'Sp':>13s}")


def report(label, res, seconds):
    cols = [res[f"test_{k}"] for k in ("macc", "sensitivity", "specificity")]
    print(f"{label:38s} " + " ".join(f"{c.mean():.3f} ± {c.std():.3f}" for c in cols) + f"   ({seconds:.0f} s)")


for label, model in baselines.items():
    t = time.perf_counter()
    res = cross_validate(model, X, y, params={"groups": groups}, cv=cv, scoring=scoring)
    report(label, res, time.perf_counter() - t)
for balance in (None, "class_domain"):
    torch.manual_seed(0)
    t = time.perf_counter()
    res = cross_validate(make_model(balance), X, y, params={"domains": domains, "groups": groups}, cv=cv,
                         scoring=scoring)
    label = "gammatone + MLP, " + ("ordinary batches" if balance is None else "double-balanced")
    report(label, res, time.perf_counter() - t)

# %%
# Chance scores MAcc 0.5 whatever the folds. On real recordings (PhysioNet 2016), replace
# :func:`~sklearn_wavefront.datasets.make_heart_sounds` by
# :func:`~sklearn_wavefront.datasets.load_physionet2016` (see also
# ``benchmarks/double_balanced_pascal.py``).
plt.show()
