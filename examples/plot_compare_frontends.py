"""
========================================================
Comparing the front-ends on two tasks, on the same folds
========================================================

Which front-end suits which task? Every front-end here has its *initial* (fixed) filters and is
followed by the same head (standardised per-filter mean and std of the log envelope, then a
logistic regression), scored by 5-fold stratified cross-validation on the same folds, beside
chance and, when `aeon <https://www.aeon-toolkit.org>`_ is installed, MiniRocket on the raw
waveform. Two tasks, both built in (:mod:`sklearn_wavefront.datasets`):

* **pitch**: four harmonic tones a semitone apart (220-262 Hz), 0.25 s long, in three timbres,
  buried in noise (1.5 times the tone's RMS); eight filters over 100-1000 Hz. The classes differ
  by 6 % in frequency: a band-pass filter must resolve single harmonics, while a comb filter
  answers to a whole harmonic series at once.
* **murmur**: 2 s synthetic heart sounds, half with a systolic murmur (150-400 Hz noise between
  S1 and S2); sixteen filters over 50-1000 Hz. The classes differ by the energy in a band over
  time, which a band-pass filter sees and a comb filter does not isolate.

Learning the filters (``max_epochs > 0``) or training end to end
(:class:`~sklearn_wavefront.WaveformClassifier`, the job of ``wavefront compare``) are the next
steps; see :ref:`learning_modes`. Timings are for this small data on the documentation
machine; only their ratios mean something.
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

from sklearn_wavefront import (
    CombFrontend,
    GammatoneFrontend,
    IConNetFrontend,
    MelFrontend,
    MFCCFrontend,
    SincFrontend,
)
from sklearn_wavefront.datasets import make_harmonic_tones, make_heart_sounds

torch.set_num_threads(1)


def frontends(sr, fmin, fmax, n_filters):
    """Each front-end with ``n_filters`` filters over [fmin, fmax], 10 ms hops, ~16 ms kernels at ``sr`` Hz."""
    hop = round(0.010 * sr)
    kernel = 2 * round(0.008 * sr) + 1
    n_fft = int(2 ** np.ceil(np.log2(0.032 * sr)))
    common = dict(sample_rate=sr, n_filters=n_filters, fmin=fmin, fmax=fmax)
    return {
        "comb": CombFrontend(**common),
        "IConNet": IConNetFrontend(**common, kernel_size=kernel, stride=hop),
        "SincNet": SincFrontend(**common, kernel_size=kernel, stride=hop),
        "gammatone": GammatoneFrontend(**common, kernel_size=round(0.025 * sr)),
        "mel": MelFrontend(**common, n_fft=n_fft, hop_length=hop),
        "MFCC": MFCCFrontend(**common, n_mfcc=min(13, n_filters), n_fft=n_fft, hop_length=hop),
    }


def minirocket():
    """MiniRocket + ridge classifier (the time-series baseline), or None without aeon."""
    try:
        from aeon.transformations.collection.convolution_based import MiniRocket
    except ImportError:
        return None
    from sklearn.linear_model import RidgeClassifierCV

    return make_pipeline(MiniRocket(random_state=0), StandardScaler(), RidgeClassifierCV(np.logspace(-3, 3, 7)))


tones = make_harmonic_tones(n_samples=80, n_classes=4, sample_rate=8000, duration=0.25, n_domains=3,
                            noise=1.5, detune_cents=30.0, random_state=0)
heart = make_heart_sounds(n_recordings=80, duration=2.0, abnormal_fraction=0.5, murmur_level=0.1,
                          noise=0.1, random_state=0)
tasks = {
    "pitch": (tones.data, tones.target, frontends(8000, 100.0, 1000.0, n_filters=8)),
    "murmur": (np.stack(heart.data), heart.target, frontends(2000, 50.0, 1000.0, n_filters=16)),
}

# %%
# Cross-validation
# ----------------
cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
scores = {}
for task, (X, y, fronts) in tasks.items():
    models = {"chance": DummyClassifier(strategy="prior")}
    models.update({name: make_pipeline(front, StandardScaler(), LogisticRegression(max_iter=3000))
                   for name, front in fronts.items()})
    if minirocket() is not None:
        models["MiniRocket"] = minirocket()
    print(f"\n{task}: {len(X)} recordings of {X.shape[1]} samples")
    print(f"  {'front-end':12s} {'UA (mean ± std)':>17s} {'fit + predict per fold':>24s}")
    for name, model in models.items():
        t = time.perf_counter()
        res = cross_validate(model, X, y, cv=cv, scoring="balanced_accuracy")
        per_fold = (time.perf_counter() - t) / cv.get_n_splits()
        scores[task, name] = res["test_score"]
        s = res["test_score"]
        print(f"  {name:12s} {s.mean():9.3f} ± {s.std():.3f} {per_fold:19.2f} s")
if minirocket() is None:
    print("\n(aeon is not installed: no MiniRocket row; pip install 'aeon>=1.0')")

# %%
# The scores side by side (UA = balanced accuracy; the bars are the standard deviation over the
# five folds; the dotted line is chance).
names = [n for n in ("comb", "IConNet", "SincNet", "gammatone", "mel", "MFCC", "MiniRocket") if ("pitch", n) in scores]
fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
width = 0.38
for k, task in enumerate(tasks):
    means = [scores[task, n].mean() for n in names]
    stds = [scores[task, n].std() for n in names]
    ax.bar(np.arange(len(names)) + (k - 0.5) * width, means, width, yerr=stds, label=task, capsize=3)
ax.axhline(0.25, color="tab:blue", ls=":", lw=1)
ax.axhline(0.5, color="tab:orange", ls=":", lw=1)
ax.set(xticks=np.arange(len(names)), xticklabels=names, ylabel="UA (5-fold CV)", ylim=(0, 1.05),
       title="fixed filters + the same logistic-regression head")
ax.legend(title="task")
plt.show()
