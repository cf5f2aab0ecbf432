"""Which normalisation the temporal back-end needs, chosen on an inner split (issue 10).

    python benchmarks/temporal_backend_norm.py 'gn+bn_in, bn blocks;bn_in, bn blocks' mel,iconnet,gammatone [--data-root ../shared/data/fsdd]

Only the *training* part of fold 1 of ``benchmarks/results/temporal/fsdd`` is used: 30 % of its
speakers are held out as an inner validation set (GroupShuffleSplit, seed 0); the test fold is never
read. Each variant is the end-to-end ``WaveformClassifier`` (16 filters, 10 epochs, lr 3e-3, batch 32,
the compare's length policy: 1 s segments decided per recording) with the temporal back-end's blocks
(three dilated convolutions, kernel 5, dilations 1/2/4, 32 channels, mean+max pooling) and one choice of
input normalisation (``gn`` = per-recording GroupNorm(1, C), ``in`` = per-recording per-channel
InstanceNorm, ``bn`` = BatchNorm1d per channel) and block normalisation (none, BatchNorm1d, GroupNorm).
Prints inner-validation UA and training UA (both in eval mode). Result (2026-11-27):
``benchmarks/results/temporal_backend/norm_choice.log``.
"""
import argparse
import csv
import os
import sys
import time
import warnings

import numpy as np
import torch
from sklearn.model_selection import GroupShuffleSplit
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from learned_temporal import load_run  # noqa: E402

from sklearn_wavefront import comparison as cmp  # noqa: E402
from sklearn_wavefront.classifiers import WaveformClassifier  # noqa: E402
from sklearn_wavefront.networks.heads import WaveformNet  # noqa: E402
from sklearn_wavefront.segmenting import SegmentedClassifier  # noqa: E402

p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
p.add_argument("variants", help="';'-separated names of VARIANTS")
p.add_argument("models", help="comma-separated front-ends")
p.add_argument("--data-root", default=os.path.join(os.path.dirname(HERE), "..", "shared", "data", "fsdd"))
args = p.parse_args()
run = os.path.join(HERE, "results", "temporal", "fsdd")
res, X, y, settings, pol, splits = load_run(run, args.data_root)
sr = settings.sample_rate
with open(os.path.join(run, "labels.csv"), newline="") as f:
    spk = np.asarray([r["speaker"] for r in csv.DictReader(f)])
outer_train = splits[0][0]  # fold 1's training part only: its test part is never read
tr, va = next(GroupShuffleSplit(1, test_size=0.3, random_state=0).split(outer_train, groups=spk[outer_train]))
tr, va = outer_train[tr], outer_train[va]


class Blocks(nn.Module):
    def __init__(self, C, n_classes, norm_in, norm_block):
        super().__init__()
        self.norm_in = norm_in(C)
        self.blocks = nn.ModuleList()
        w = C
        for d in (1, 2, 4):
            layers = [nn.Conv1d(w, 32, 5, dilation=d, padding=2 * d)]
            if norm_block: layers.append(norm_block(32))
            layers.append(nn.ReLU())
            self.blocks.append(nn.Sequential(*layers)); w = 32
        self.lin = nn.Linear(64, n_classes)
    def forward(self, z):
        h = self.norm_in(z)
        for i, bl in enumerate(self.blocks):
            h = bl(h) if i == 0 else h + bl(h)
        return self.lin(torch.cat([h.mean(-1), h.amax(-1)], 1))

VARIANTS = {
    'gn+bn_in, no block norm': (lambda C: nn.Sequential(nn.GroupNorm(1, C, eps=1e-12, affine=False), nn.BatchNorm1d(C)), None),
    'bn_in, bn blocks': (lambda C: nn.BatchNorm1d(C), nn.BatchNorm1d),
    'gn+bn_in, bn blocks': (lambda C: nn.Sequential(nn.GroupNorm(1, C, eps=1e-12, affine=False), nn.BatchNorm1d(C)), nn.BatchNorm1d),
    'gn+bn_in, gn blocks': (lambda C: nn.Sequential(nn.GroupNorm(1, C, eps=1e-12, affine=False), nn.BatchNorm1d(C)), lambda c: nn.GroupNorm(1, c)),
    'in+bn_in, gn blocks': (lambda C: nn.Sequential(nn.InstanceNorm1d(C, eps=1e-12), nn.BatchNorm1d(C)), lambda c: nn.GroupNorm(1, c)),
}
for vname in args.variants.split(';'):
    norm_in, norm_block = VARIANTS[vname]
    class Net(WaveformNet):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.head = Blocks(self.filterbank.n_outputs, kw['n_classes'], norm_in, norm_block)
    for model in args.models.split(','):
        t = time.time()
        clf = WaveformClassifier(module=Net, frontend=model, backend='temporal', frontend_kwargs=cmp.frontend_kwargs(model, sr, 16),
                                 sample_rate=sr, n_filters=16, max_epochs=10, batch_size=32, lr=3e-3, random_state=0, device='cpu')
        est = SegmentedClassifier(clf, segment_seconds=pol.segment_seconds, sample_rate=sr)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            est.fit(X[tr], y[tr])
            ua = cmp.fold_scores(y[va], est.predict(X[va]), np.unique(y))['UA']
            tra = cmp.fold_scores(y[tr], est.predict(X[tr]), np.unique(y))['UA']
        print(f'{vname:28s} {model:10s} inner-val UA {ua:.3f}  train UA {tra:.3f}  {time.time()-t:.0f}s', flush=True)
