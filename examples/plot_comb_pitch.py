"""
===========================================
Comb filters on pitch: fixed, learned, MFCC
===========================================

A comb channel has one parameter, its fundamental f0, and answers to every harmonic of it: the
task it suits is **pitch**. Here the classes are four pitches a semitone apart
(:func:`~sklearn_wavefront.datasets.make_harmonic_tones`), played with three timbres and noise
colourings (the *domains*) that change the spectrum but never the pitch.

Every model is the same linear head (standardised features, logistic regression) after a
different front-end, scored by 5-fold stratified cross-validation on the same folds:

* chance (:class:`~sklearn.dummy.DummyClassifier`), the floor;
* MFCC statistics, the classical baseline;
* :class:`~sklearn_wavefront.CombFrontend` with its initial fundamentals, log-spaced over
  100-400 Hz (*fixed*);
* the same front-end whose fundamentals are *learned* from the labels of the training fold
  (``fit(X, y)`` with ``max_epochs > 0``; the features are the rule of
  :mod:`sklearn_wavefront.frontends`).
"""

import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_wavefront import CombFrontend, FilterbankDisplay, MFCCFrontend
from sklearn_wavefront.datasets import make_harmonic_tones

torch.set_num_threads(1)  # small tensors: one thread is fastest and steady on shared cores
SAMPLE_RATE = 8000
data = make_harmonic_tones(n_samples=120, n_classes=4, sample_rate=SAMPLE_RATE, duration=0.4, fmin=220.0,
                           n_domains=3, detune_cents=25.0, noise=0.5, random_state=0)
X, y = data.data, data.target
print(f"{len(X)} tones of {X.shape[1] / SAMPLE_RATE:.1f} s, class fundamentals "
      f"{np.round(data.class_frequencies, 1).tolist()} Hz")

# %%
# The same folds for every model
# ------------------------------
comb = dict(sample_rate=SAMPLE_RATE, n_filters=12, fmin=100, fmax=400, random_state=0)
models = {
    "chance": DummyClassifier(strategy="prior"),
    "MFCC + logistic regression": make_pipeline(
        MFCCFrontend(sample_rate=SAMPLE_RATE, n_mfcc=13, n_filters=40, n_fft=256, hop_length=128),
        StandardScaler(), LogisticRegression(max_iter=2000)),
    "comb, fixed f0": make_pipeline(CombFrontend(**comb), StandardScaler(), LogisticRegression(max_iter=2000)),
    "comb, learned f0": make_pipeline(CombFrontend(**comb, max_epochs=8, learning_rate=0.03, batch_size=16),
                                      StandardScaler(), LogisticRegression(max_iter=2000)),
}
cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
print(f"\n{'model':30s} {'accuracy (mean ± std over 5 folds)':>36s} {'fit time per fold':>18s}")
results = {}
for name, model in models.items():
    res = cross_validate(model, X, y, cv=cv, scoring="balanced_accuracy", return_estimator=True)
    results[name] = res
    s = res["test_score"]
    print(f"{name:30s} {s.mean():27.3f} ± {s.std():.3f} {res['fit_time'].mean():15.2f} s")

# %%
# What the comb learned
# ---------------------
# The fundamentals of the first fold's learned front-end against the four class pitches: a
# channel moves to one of the pitches, or to a sub-harmonic of one (a comb at f0/2 passes every
# harmonic of f0 too).
learned = results["comb, learned f0"]["estimator"][0][0]
fixed = results["comb, fixed f0"]["estimator"][0][0]
print("fixed   f0:", np.round(np.sort(fixed.f0_), 1).tolist())
print("learned f0:", np.round(np.sort(learned.f0_), 1).tolist())

fig, axes = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
FilterbankDisplay.from_estimator(fixed, ax=axes[0], name="fixed comb bank", n_freqs=1024)
FilterbankDisplay.from_estimator(learned, ax=axes[1], name="learned comb bank", n_freqs=1024)
for ax in axes:
    ax.set_xlim(0, 1200)
    for f in data.class_frequencies:
        ax.axvline(f, color="w", ls=":", lw=0.8)
plt.show()
