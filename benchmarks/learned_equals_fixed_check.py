"""Why a learned sinc front-end scores exactly the fixed one on PASCAL's 80 (issue 10).

    python benchmarks/learned_equals_fixed_check.py   # from the repository root; data in /work/shared/data

On fold 1 of ``benchmarks/results/temporal_grouped/pascal_heart`` (its training part to fit, its test
part to predict), the compare's temporal row of ``sinc`` with fixed filters and with filters learned
through ``learning_head="temporal"`` (10 epochs): prints the learning loss, how far the bands moved, and
whether the test predictions, probabilities and chosen ridge penalties differ. Result:
``benchmarks/results/temporal_learning/pascal_sinc_check.log``.
"""
import json, os, sys, warnings, numpy as np
sys.path.insert(0, '.')
from sklearn_wavefront import comparison as cmp
from sklearn_wavefront.datasets import load_audio_folder
run = 'benchmarks/results/temporal_grouped/pascal_heart'
res = json.load(open(run + '/results.json')); s = res['settings']; sr = int(s['sample_rate'])
b = load_audio_folder('/work/shared/data/pascal_heart', labels=os.path.abspath(run + '/labels.csv'), sample_rate=sr, duration=None)
y = np.asarray(b.target)
X, pol = cmp.apply_length_policy(list(b.data), sr, max_duration=s['length_policy']['cap_seconds'])
settings = cmp.Settings(sample_rate=sr, n_filters=s['n_filters'], random_state=0, device='cpu', segment_seconds=pol.segment_seconds)
test = np.asarray(res['folds'][0]['test']); train = np.setdiff1d(np.arange(len(y)), test)
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
