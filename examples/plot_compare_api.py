"""
Compare front-ends from Python with ``compare()``
=================================================

:func:`sklearn_wavefront.compare` is the job of ``wavefront compare`` as a Python function: it
cross-validates the baselines (chance, MFCC statistics + logistic regression, MiniRocket when aeon
is installed) and the front-ends on the same folds, and returns a
:class:`~sklearn_wavefront.CompareResult` whose ``table`` is a pandas DataFrame and whose
``fold_scores`` hold every fold's score, so that a margin can be read against the spread over folds.

Here: the built-in harmonic tones (four pitches a semitone apart in noise), the baselines beside
fixed mel, comb and gammatone filterbanks, each through a linear head and through the temporal head.
"""

# %%
import matplotlib.pyplot as plt

from sklearn_wavefront import compare
from sklearn_wavefront.datasets import make_harmonic_tones

X, y = make_harmonic_tones(n_samples=120, n_classes=4, sample_rate=8000, duration=0.25, noise=1.0,
                           n_domains=2, random_state=0, return_X_y=True)
result = compare(X, y, sample_rate=8000, folds=4, models="dummy,mfcc+logreg,comb,gammatone,mel",
                 kinds="baseline,fixed,temporal", temporal_features=840, progress=False)
print(result)

# %%
# The table as a DataFrame: mean and std over folds, the difference to the best baseline.
result.table[["model", "kind", "ua", "ua_std", "delta_ua", "fit_seconds"]].round(3)

# %%
# Every fold's score as a dot: a row's mean is worth only as much as its spread over folds.
scores = result.fold_scores
labels = [f"{m} {k}" for m, k in result.table[["model", "kind"]].itertuples(index=False)]
fig, ax = plt.subplots(figsize=(7, 3.5))
for i, label in enumerate(labels):
    model, kind = label.split(" ")
    ua = scores[(scores.model == model) & (scores.kind == kind)].ua
    ax.plot(ua, [i] * len(ua), "o", alpha=0.6, color="C0")
    ax.plot([ua.mean()], [i], "|", markersize=14, color="k")
ax.set_yticks(range(len(labels)), labels)
ax.set_xlabel("unweighted accuracy per fold (| = mean)")
ax.invert_yaxis()
fig.tight_layout()
plt.show()
