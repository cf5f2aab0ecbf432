"""
==========================
Inspecting learned filters
==========================

Every channel of these front-ends has a meaning in Hz, so a fitted model can be *read*.
This example shows the three tools of :mod:`sklearn_wavefront.inspection`:

* :class:`~sklearn_wavefront.FilterbankDisplay` draws the magnitude responses of the filters
  actually applied (on a Hz axis, centre frequencies marked) of a fitted front-end, classifier,
  pipeline or search; for IConNet it also draws the learned windows;
* :class:`~sklearn_wavefront.FilterbankHistory`, a skorch callback, records the centre
  frequencies (comb: the fundamentals) before training and after every epoch;
* :func:`~sklearn_wavefront.plot_filter_evolution` draws those trajectories.

See :ref:`filter_plots` for how to read them.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch

from sklearn_wavefront import (
    CombNetClassifier,
    FilterbankDisplay,
    FilterbankHistory,
    IConNetFrontend,
    plot_filter_evolution,
)
from sklearn_wavefront.datasets import make_harmonic_tones, make_heart_sounds

torch.set_num_threads(1)

# %%
# A comb network trained end to end on pitch
# ------------------------------------------
# Four pitches a semitone apart (220-262 Hz); 12 comb channels start log-spaced over
# 100-400 Hz and are trained with the rest of the network.
tones = make_harmonic_tones(n_samples=96, n_classes=4, sample_rate=8000, duration=0.4, n_domains=2,
                            noise=0.3, random_state=0)
history = FilterbankHistory()
clf = CombNetClassifier(sample_rate=8000, n_filters=12, module__fmin=100.0, module__fmax=400.0,
                        max_epochs=12, lr=0.02, batch_size=16, callbacks=[history], random_state=0)
clf.fit(tones.data, tones.target)
print("training accuracy:", (clf.predict(tones.data) == tones.target).mean().round(3))
print("f0 before:", np.round(np.sort(history.as_array()[0]), 1).tolist())
print("f0 after: ", np.round(np.sort(history.as_array()[-1]), 1).tolist())

# %%
# The fundamentals against the epoch (row 0 of the history is the state before training); the
# dotted lines are the four class pitches.
ax = plot_filter_evolution(history)
for f in tones.class_frequencies:
    ax.axhline(f, color="k", ls=":", lw=0.8)

# %%
# The responses of the trained comb bank: one row per channel, a peak at every harmonic of
# its f0 (the circles). The same call accepts the classifier, a pipeline holding it, a
# :class:`~sklearn_wavefront.SegmentedClassifier` or a fitted ``GridSearchCV``.
disp = FilterbankDisplay.from_estimator(clf, n_freqs=1024)
disp.ax_.set_xlim(0, 1500)

# %%
# IConNet bands and windows learned on heart sounds
# -------------------------------------------------
# Murmur detection on 2 s synthetic heart sounds: the murmur is noise in 150-400 Hz, the
# heart beats themselves are below 100 Hz. Eight band-pass filters start mel-spaced over
# 20-1000 Hz with Hann windows; ``fit(X, y)`` learns their bands and windows (IConNet-BW).
heart = make_heart_sounds(n_recordings=80, duration=2.0, abnormal_fraction=0.5, murmur_level=0.2,
                          random_state=0)
X = np.stack(heart.data)
front = IConNetFrontend(sample_rate=2000, n_filters=8, fmin=20.0, fmax=1000.0, kernel_size=63, stride=50,
                        max_epochs=10, learning_rate=0.02, batch_size=16, random_state=0)
initial = IConNetFrontend(**{**front.get_params(), "max_epochs": 0}).fit(X)
front.fit(X, heart.target)
print("bands before (Hz):", np.round(initial.bands_).astype(int).tolist())
print("bands after  (Hz):", np.round(front.bands_).astype(int).tolist())

# %%
# Left, the responses; right, the windows (a Hann window at the start: the learned ones
# depart from it where the task asked for a sharper or a smoother band edge).
fig, axes = plt.subplots(2, 2, figsize=(12, 8), gridspec_kw={"width_ratios": [2, 1]}, layout="constrained")
FilterbankDisplay.from_estimator(initial, ax=axes[0], name="IConNet, initial", kind="lines")
FilterbankDisplay.from_estimator(front, ax=axes[1], name="IConNet, learned", kind="lines")
for ax in axes[:, 0]:
    ax.axvspan(150, 400, color="tab:red", alpha=0.1)
plt.show()
