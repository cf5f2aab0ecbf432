"""Do the filters move when learned through the soft-PPV head? (issue 10; How well it works, previous recipe)

    python benchmarks/soft_head_check.py   # from the repository root; data in /work/shared/data

``benchmarks/temporal_head.py``'s ``ThroughHead`` (gammatone, 16 filters, 10 epochs) on the first 60
recordings of ``benchmarks/results/temporal/pascal_heart/labels.csv`` cropped or padded to 4 s: prints the
loss curve, how far the centre frequencies moved and how far the frames moved. Result:
``benchmarks/results/temporal_learning/soft_head_check.log``.
"""
import sys, os, json, numpy as np, warnings
sys.path.insert(0, 'benchmarks'); sys.path.insert(0, '.')
import temporal_head as th
from sklearn_wavefront import GammatoneFrontend
from sklearn_wavefront.datasets import load_audio_folder
b = load_audio_folder('/work/shared/data/pascal_heart', labels=os.path.abspath('benchmarks/results/temporal/pascal_heart/labels.csv'), sample_rate=4000, duration=4.0)
X, y = np.asarray(b.data)[:60], np.asarray(b.target)[:60]
hop = 40
front = GammatoneFrontend(sample_rate=4000, n_filters=16, kernel_size=128, window_seconds=2*hop/4000, hop_seconds=hop/4000, output='frames', random_state=0)
with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    t = th.ThroughHead(front, max_epochs=10).fit(X, y)
init = front.fit(X).center_frequencies_
print('loss', [round(v, 3) for v in t.loss_curve_])
print('max |delta centre| Hz', np.abs(t.front_.center_frequencies_ - init).max(), 'median', np.median(np.abs(t.front_.center_frequencies_ - init)))
print('max |delta frames|', np.abs(t.transform(X[:5]) - front.transform(X[:5])).max(), 'frame scale', np.abs(front.transform(X[:5])).mean())
