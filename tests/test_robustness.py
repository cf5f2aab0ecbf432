"""Issue 20, library part: nothing lost, nothing silent (interrupts, safe model files, non-regular
and loud audio files, near-empty recordings, spreadsheet-safe CSV and atomic writes)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback

from sklearn_wavefront import CombFrontend, WaveformClassifier

RATE = 8000


def _data(n=8, seconds=0.1, seed=0):
    rng = np.random.default_rng(seed)
    X = (0.1 * rng.standard_normal((n, int(seconds * RATE)))).astype(np.float32)
    y = np.array(["a", "b"] * (n // 2))
    return X, y


# -- 1. interrupts ----------------------------------------------------------------------------------
class _InterruptAtEpoch(Callback):
    def __init__(self, epoch=2):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


def test_interrupted_skorch_fit_raises():
    X, y = _data()
    clf = WaveformClassifier(sample_rate=RATE, n_filters=4, max_epochs=4, batch_size=4, random_state=0,
                             callbacks=[("stop", _InterruptAtEpoch(2))])
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    assert len(clf.history) == 2  # stopped where it was interrupted, and said so


def test_interrupted_skorch_partial_fit_raises_and_a_clean_fit_still_returns():
    X, y = _data()
    clf = WaveformClassifier(sample_rate=RATE, n_filters=4, max_epochs=3, batch_size=4, random_state=0,
                             callbacks=[("stop", _InterruptAtEpoch(2))])
    with pytest.raises(KeyboardInterrupt):
        clf.partial_fit(X, y, classes=["a", "b"])
    clf.set_params(callbacks__stop=None, max_epochs=1)
    assert clf.fit(X, y) is clf  # nothing of the interrupt lingers


def test_interrupted_frontend_learning_raises_and_leaves_it_unfitted(monkeypatch):
    X, y = _data()
    front = CombFrontend(sample_rate=RATE, n_filters=4, max_epochs=3, batch_size=4, random_state=0)
    calls = []

    def interrupt(self, fb, loss, epoch, batch, x):  # called after every optimiser step
        calls.append(epoch)
        if epoch == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(type(front), "_check_finite", interrupt)
    with pytest.raises(KeyboardInterrupt):
        front.fit(X, y)
    assert 2 in calls
    with pytest.raises(NotFittedError):  # no half-learned filters, no labels without filters
        check_is_fitted(front)


def test_early_stopping_still_ends_a_fit_quietly():
    # skorch's EarlyStopping stops training by raising KeyboardInterrupt: that is a finished fit
    X, y = _data()
    clf = WaveformClassifier(sample_rate=RATE, n_filters=4, max_epochs=30, batch_size=4, random_state=0,
                             early_stopping=True, patience=1, validation_fraction=0.25)
    assert clf.fit(X, y) is clf
    assert len(clf.history) < 30


def test_stop_training_signal_ends_a_fit_quietly():
    from sklearn_wavefront._interrupt import StopTraining

    class Stop(Callback):
        def on_epoch_end(self, net, **kwargs):
            raise StopTraining

    X, y = _data()
    clf = WaveformClassifier(sample_rate=RATE, n_filters=4, max_epochs=3, batch_size=4, random_state=0,
                             callbacks=[Stop()])
    assert clf.fit(X, y) is clf and len(clf.history) == 1
