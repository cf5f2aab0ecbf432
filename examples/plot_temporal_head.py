"""
=======================================================
Keeping *when*: a front-end's frames through MiniRocket
=======================================================

A front-end's default output is the mean and standard deviation of each filter's envelope over the
whole recording: *which* bands are active, not *when*. This example builds a task that only timing
decides (two tone bursts, low then high or high then low: the same bands, the same energy) and
compares, on the same folds:

* chance (``DummyClassifier``);
* ``MelFrontend`` statistics -> ``StandardScaler`` -> ``LogisticRegression`` (the ``fixed`` row of
  ``wavefront compare``);
* ``MelFrontend(output="frames")`` -> [:class:`~sklearn_wavefront.temporal.MiniRocketHead`,
  :class:`~sklearn_wavefront.temporal.FrameStatistics`] -> ``StandardScaler`` -> ridge (the
  ``temporal`` row): MiniRocket's random dilated convolutions and proportion-of-positive-values
  pooling over the mel frames, beside each band's mean and std over time (the steady level that
  MiniRocket's zero-sum kernels barely see).

On the real recordings of ``benchmarks/real_data.py`` (spoken digits, two heart-sound sets) the
mel, mfcc and sinc temporal rows beat every baseline on spoken digits and PASCAL's heart sounds
(iconnet on all but PASCAL's 80 recordings) and tie MiniRocket on Yaseen's; comb's do not; see *How well it works* in the documentation. The ridge is :class:`~sklearn_wavefront.baselines.SoftmaxRidgeClassifierCV`, a
``RidgeClassifierCV`` with a ``predict_proba``, so that the same pipeline can decide recordings of
any length inside a :class:`~sklearn_wavefront.SegmentedClassifier` (which passes each segment's
recording as ``groups``, so that the penalty is chosen over whole recordings).
"""

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_wavefront import FrameStatistics, MelFrontend, MiniRocketHead
from sklearn_wavefront.baselines import SoftmaxRidgeClassifierCV

torch.set_num_threads(1)

# %%
# The task: low-then-high ("up") or high-then-low ("down")
# ---------------------------------------------------------
# Two 0.15 s tone bursts (400 and 1200 Hz) at a random onset in a 0.6 s recording, in noise.
# Both classes hold the same two tones with the same energy: per-band statistics cannot tell them
# apart, the order in time can.
sr, n, duration = 8000, 80, 0.6
rng = np.random.default_rng(0)
t = np.arange(int(sr * duration)) / sr
y = np.array(["up", "down"] * (n // 2))
X = np.empty((n, t.size), dtype=np.float32)
burst = int(0.15 * sr)
for i, label in enumerate(y):
    first, second = (400.0, 1200.0) if label == "up" else (1200.0, 400.0)
    start = rng.integers(0, t.size - 2 * burst)
    x = 0.5 * rng.normal(size=t.size)
    for k, f in enumerate((first, second)):
        s = start + k * burst
        x[s : s + burst] += np.sin(2 * np.pi * f * t[s : s + burst] + rng.uniform(0, 2 * np.pi))
    X[i] = x

# %%
# Three pipelines on the same folds
# ---------------------------------
mel = dict(sample_rate=sr, n_filters=16, n_fft=256, hop_length=80)
pipelines = {
    "chance": DummyClassifier(strategy="stratified", random_state=0),
    "mel statistics\n-> logistic regression": make_pipeline(
        MelFrontend(**mel), StandardScaler(), LogisticRegression(max_iter=2000)
    ),
    "mel frames\n-> [MiniRocketHead, mean/std] -> ridge": Pipeline([
        ("frontend", MelFrontend(**mel, output="frames")),
        ("features", FeatureUnion([
            ("minirocket", MiniRocketHead(n_kernels=840, n_channels=16, random_state=0)),
            ("statistics", FrameStatistics(n_channels=16)),
        ])),
        ("scaler", StandardScaler()),
        ("ridge", SoftmaxRidgeClassifierCV(alphas=np.logspace(-3, 3, 10))),
    ]),
}
cv = StratifiedKFold(5, shuffle=True, random_state=0)
scores = {name: cross_val_score(est, X, y, cv=cv, scoring="balanced_accuracy") for name, est in pipelines.items()}
for name, s in scores.items():
    print(f"{name.replace(chr(10), ' '):<45} UA {s.mean():.3f} ± {s.std():.3f}")

# %%
# The statistics see the same two bands in both classes and stay near chance; the temporal head
# reads the order of the bursts.
fig, ax = plt.subplots(figsize=(6, 3))
names = list(scores)
ax.barh(names, [scores[k].mean() for k in names], xerr=[scores[k].std() for k in names], color="C0")
ax.axvline(0.5, color="grey", lw=0.8, ls="--")
ax.set_xlim(0, 1.05)
ax.set_xlabel("unweighted accuracy (5-fold CV, mean ± std)")
ax.invert_yaxis()
fig.tight_layout()
plt.show()
