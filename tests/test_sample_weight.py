"""`sample_weight` in the skorch classifiers: a weighted mean of the per-sample cross-entropy.

Integer weights must act exactly like repeated rows, and a zero weight like a removed row, in the
loss and in its gradient; the weights must reach the net through a Pipeline and metadata routing.
"""

import numpy as np
import pytest
import sklearn
import torch
from scipy.special import logsumexp
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_wavefront.classifiers import WaveformClassifier

RATE = 4000


def _data(n=9, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    t = np.arange(600) / RATE
    X = np.stack([np.sin(2 * np.pi * (300 + 400 * c) * t) + rng.normal(size=t.size) for c in y]).astype(np.float32)
    return X, y


def _net(**kw):
    params = dict(frontend="mel", sample_rate=RATE, n_filters=8, frontend_kwargs={"n_fft": 128, "hop_length": 40},
                  module__dropout=0.0, random_state=0, batch_size=64, max_epochs=1)
    params.update(kw)
    return WaveformClassifier(**params)


def _loss_and_grads(net, X, y, w=None):
    """Loss and gradients of one batch through the net's own infer/get_loss."""
    net.module_.zero_grad()
    Xb = torch.as_tensor(X) if w is None else {"X": torch.as_tensor(X), "sample_weight": torch.as_tensor(w)}
    y_pred = net.infer(Xb)
    loss = net.get_loss(y_pred, torch.as_tensor(y), X=Xb, training=True)
    loss.backward()
    return loss.item(), [p.grad.detach().clone() for p in net.module_.parameters() if p.grad is not None], y_pred


def test_integer_weights_equal_repeated_rows_in_loss_and_gradient():
    X, y = _data()
    w = np.array([1, 2, 3, 1, 0, 2, 1, 1, 4], dtype=np.float32)
    net = _net(classes=[0, 1, 2]).initialize()
    net.module_.eval()
    loss_w, grads_w, logits = _loss_and_grads(net, X, y, w)
    reps = w.astype(int)
    loss_d, grads_d, _ = _loss_and_grads(net, np.repeat(X, reps, axis=0), np.repeat(y, reps))
    # float64 reference from the logits: sum_i w_i CE_i / sum_i w_i
    z = logits.detach().double().cpu().numpy()
    ce = logsumexp(z, axis=1) - z[np.arange(len(y)), y]
    assert loss_w == pytest.approx(float((w * ce).sum() / w.sum()), rel=1e-5)
    assert loss_w == pytest.approx(loss_d, rel=1e-5)
    assert len(grads_w) == len(grads_d) > 0
    for gw, gd in zip(grads_w, grads_d):
        torch.testing.assert_close(gw, gd, rtol=1e-4, atol=1e-6)


def test_zero_weight_removes_a_sample_from_loss_and_gradient():
    X, y = _data()
    w = np.ones(len(y), dtype=np.float32)
    w[[1, 5]] = 0.0
    net = _net(classes=[0, 1, 2]).initialize()
    net.module_.eval()
    loss_w, grads_w, _ = _loss_and_grads(net, X, y, w)
    keep = w > 0
    loss_k, grads_k, _ = _loss_and_grads(net, X[keep], y[keep])
    assert loss_w == pytest.approx(loss_k, rel=1e-5)
    for gw, gk in zip(grads_w, grads_k):
        torch.testing.assert_close(gw, gk, rtol=1e-4, atol=1e-6)
    # and changing a zero-weighted sample changes nothing
    X2 = X.copy()
    X2[1] = 100.0 * np.random.default_rng(1).normal(size=X.shape[1])
    loss_2, grads_2, _ = _loss_and_grads(net, X2, y, w)
    assert loss_2 == pytest.approx(loss_w, rel=1e-6)
    for g2, gw in zip(grads_2, grads_w):
        torch.testing.assert_close(g2, gw, rtol=1e-5, atol=1e-7)


def _first_step(X, y, **fit_kw):
    """Loss and parameter change of one plain SGD step (one epoch of one batch, no schedule, no clipping)."""
    kw = dict(optimizer=torch.optim.SGD, lr=0.1, callbacks__lr_scheduler=None, callbacks__gradient_clipping=None)
    start = _net(classes=[0, 1, 2], **kw).initialize()  # the same seed gives the same initial weights
    p0 = [p.detach().clone() for p in start.module_.parameters()]
    net = _net(**kw).fit(X, y, **fit_kw)
    deltas = [p.detach() - q for p, q in zip(net.module_.parameters(), p0)]
    return net.history[-1, "train_loss"], deltas


def test_fit_weights_equal_duplicates_through_skorch():
    """The whole fit path (dataset, iterator, train step): one SGD step from the same initial weights."""
    X, y = _data()
    w = np.array([1, 2, 3, 1, 0, 2, 1, 1, 4])
    loss_w, step_w = _first_step(X, y, sample_weight=w)
    loss_d, step_d = _first_step(np.repeat(X, w, axis=0), np.repeat(y, w))
    loss_u, step_u = _first_step(X, y)
    assert loss_w == pytest.approx(loss_d, rel=1e-5)
    assert loss_w != pytest.approx(loss_u, rel=1e-3)
    assert max(float(d.abs().max()) for d in step_w) > 1e-4  # the step did move the weights
    for dw, dd in zip(step_w, step_d):
        torch.testing.assert_close(dw, dd, rtol=1e-3, atol=1e-6)
    assert any(not torch.allclose(dw, du, rtol=1e-2, atol=1e-6) for dw, du in zip(step_w, step_u))


def test_weights_are_routed_through_pipeline_and_metadata_routing():
    X, y = _data()
    w = np.array([1, 2, 3, 1, 0, 2, 1, 1, 4], dtype=float)
    direct = _net(max_epochs=2).fit(X, y, sample_weight=w).predict_proba(X)
    unweighted = _net(max_epochs=2).fit(X, y).predict_proba(X)
    assert not np.allclose(direct, unweighted)
    identity = FunctionTransformer()
    piped = Pipeline([("id", identity), ("clf", _net(max_epochs=2))]).fit(X, y, clf__sample_weight=w)
    np.testing.assert_allclose(piped.predict_proba(X), direct, rtol=1e-5, atol=1e-6)
    with sklearn.config_context(enable_metadata_routing=True):
        net = _net(max_epochs=2).set_fit_request(sample_weight=True)
        routed = Pipeline([("id", FunctionTransformer()), ("clf", net)]).fit(X, y, sample_weight=w)
        np.testing.assert_allclose(routed.predict_proba(X), direct, rtol=1e-5, atol=1e-6)


def test_weights_with_early_stopping_and_balanced_batches():
    X, y = _data(n=30)
    w = np.linspace(0.5, 2.0, len(y))
    net = _net(max_epochs=2, early_stopping=True, validation_fraction=0.3, balance="class", batch_size=6)
    net.fit(X, y, sample_weight=w)
    assert len(net.history) == 2 and np.isfinite(net.history[-1, "valid_loss"])
    assert net.predict_proba(X).shape == (30, 3)


@pytest.mark.parametrize(
    "w, match",
    [
        (np.ones(4), "one weight per sample"),
        (-np.ones(9), "finite numbers >= 0"),
        (np.full(9, np.nan), "finite numbers >= 0"),
        (np.zeros(9), "zero for every sample"),
    ],
)
def test_bad_weights_are_rejected(w, match):
    X, y = _data()
    with pytest.raises(ValueError, match=match):
        _net().fit(X, y, sample_weight=w)


def test_segmented_classifier_repeats_recording_weights_per_segment():
    """A recording's weight reaches each of its segments: weight 0 acts as removing the recording."""
    from sklearn_wavefront.segmenting import SegmentedClassifier

    X, y = _data()
    rng = np.random.default_rng(2)
    recordings = [x[: rng.integers(300, 600)] for x in X]  # mixed lengths: 1 or 2 segments of 300 samples
    w = np.ones(len(y))
    w[[2, 4]] = 0.0
    kw = dict(optimizer=torch.optim.SGD, lr=0.1, callbacks__lr_scheduler=None, callbacks__gradient_clipping=None)

    def step(recs, labels, **fit_kw):
        seg = SegmentedClassifier(_net(**kw), segment_seconds=300 / RATE, sample_rate=RATE)
        seg.fit(recs, labels, **fit_kw)
        return seg.estimator_.history[-1, "train_loss"], [p.detach().clone() for p in seg.estimator_.module_.parameters()]

    keep = w > 0
    loss_w, params_w = step(recordings, y, sample_weight=w)
    loss_k, params_k = step([r for r, k in zip(recordings, keep) if k], y[keep])
    assert loss_w == pytest.approx(loss_k, rel=1e-5)
    for pw, pk in zip(params_w, params_k):
        torch.testing.assert_close(pw, pk, rtol=1e-4, atol=1e-6)
    loss_u, _ = step(recordings, y)  # unweighted: the two recordings count
    assert loss_u != pytest.approx(loss_k, rel=1e-4)
