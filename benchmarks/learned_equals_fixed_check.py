"""Why a learned sinc front-end scores exactly the fixed one on PASCAL's 80 (issue 10).

    python benchmarks/learned_equals_fixed_check.py [--data-root ../shared/data/pascal_heart]

On fold 1 of ``benchmarks/results/temporal_grouped/pascal_heart`` (its training part to fit, its test
part to predict), the compare's temporal row of ``sinc`` with fixed filters and with filters learned
through ``learning_head="temporal"`` (10 epochs): prints the learning loss, how far the bands moved, and
whether the test predictions, probabilities and chosen ridge penalties differ. Result:
``benchmarks/results/temporal_learning/pascal_sinc_check.log``.
"""
import argparse
import os
import sys
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from learned_temporal import load_run  # noqa: E402

from sklearn_wavefront import comparison as cmp  # noqa: E402

p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
p.add_argument("--data-root", default=os.path.join(os.path.dirname(HERE), "..", "shared", "data", "pascal_heart"))
args = p.parse_args()
res, X, y, settings, policy, splits = load_run(
    os.path.join(HERE, "results", "temporal_grouped", "pascal_heart"), args.data_root)
train, test = splits[0]
out = {}
for label, kw in (('fixed', {}), ('learned', {'estimator__frontend__max_epochs': 10, 'estimator__frontend__learning_head': 'temporal', 'estimator__frontend__batch_size': 32, 'estimator__frontend__random_state': 0})):
    est = cmp.make_estimator('sinc', 'temporal', settings).set_params(**kw)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        est.fit(X[train], y[train])
    f = est.estimator_['frontend']
    out[label] = (f.bands_.copy(), est.predict(X[test]), est.predict_proba(X[test])[:, 0], est.estimator_['ridge'].alpha_, f.loss_curve_)
print('loss', [round(v, 3) for v in out['learned'][4]])
print('max |d band| Hz', np.abs(out['learned'][0] - out['fixed'][0]).max(), 'median', np.median(np.abs(out['learned'][0] - out['fixed'][0])))
print('same predictions', (out['learned'][1] == out['fixed'][1]).all(), 'max |d proba|', np.abs(out['learned'][2] - out['fixed'][2]).max(), 'alphas', out['fixed'][3], out['learned'][3])
