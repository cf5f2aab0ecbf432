"""skorch callbacks: record the filterbank's parameters during training."""

from __future__ import annotations

import numpy as np
import torch
from skorch.callbacks import Callback

__all__ = ["FilterbankHistory", "EpochProgress"]


class FilterbankHistory(Callback):
    """Record the front-end's centre frequencies (and raw parameters) before training and after every epoch.

    Works with any network whose front-end is the attribute ``attribute`` of ``net.module_`` (all the
    networks of :mod:`sklearn_wavefront.networks` call it ``filterbank``) and follows the filterbank
    protocol. Each epoch it appends the centre frequencies in Hz (for comb channels: the fundamentals
    ``f0``) to :attr:`center_frequencies_` and to ``net.history`` under ``key``, and copies of the
    learnable parameters to :attr:`parameters_`. :func:`sklearn_wavefront.inspection.plot_filter_evolution`
    draws the result (f0 of every comb channel against the epoch, as in Fig. 3 of the Combolutional paper).

    Parameters
    ----------
    attribute : str, default="filterbank"
        Name of the front-end module inside ``net.module_``.
    key : str, default="center_frequencies"
        History column for the per-epoch centre frequencies.

    Attributes
    ----------
    center_frequencies_ : list of ndarray of shape (n_filters,)
        Entry 0 is the state before training, entry ``e`` the state after epoch ``e`` (the list
        restarts at every ``fit``; ``partial_fit`` continues it).
    parameters_ : list of dict of str to ndarray
        The filterbank's learnable parameters at the same times.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_wavefront.callbacks import FilterbankHistory
    >>> from sklearn_wavefront.classifiers import CombNetClassifier
    >>> X = np.random.default_rng(0).normal(size=(8, 2000)).astype("float32")
    >>> y = np.array([0, 1] * 4)
    >>> rec = FilterbankHistory()
    >>> clf = CombNetClassifier(sample_rate=8000, n_filters=4, max_epochs=3, callbacks=[rec], random_state=0)
    >>> _ = clf.fit(X, y)
    >>> len(rec.center_frequencies_), rec.as_array().shape
    (4, (4, 4))
    >>> len(clf.history[:, "center_frequencies"])
    3
    """

    def __init__(self, attribute="filterbank", key="center_frequencies"):
        self.attribute = attribute
        self.key = key

    def initialize(self):
        self.center_frequencies_ = []
        self.parameters_ = []
        return self

    def _filterbank(self, net):
        module = getattr(net, "module_", None)
        fb = getattr(module, self.attribute, None)
        if fb is None or not hasattr(fb, "center_frequencies"):
            raise ValueError(
                f"FilterbankHistory(attribute={self.attribute!r}): net.module_ has no filterbank attribute "
                f"{self.attribute!r} with center_frequencies()"
            )
        return fb

    def _snapshot(self, net):
        fb = self._filterbank(net)
        with torch.no_grad():
            cf = np.asarray(fb.center_frequencies(), dtype=np.float64).copy()
            params = {n: p.detach().cpu().double().numpy().copy() for n, p in fb.named_parameters()}
        self.center_frequencies_.append(cf)
        self.parameters_.append(params)
        return cf

    def on_train_begin(self, net, **kwargs):
        if not self.center_frequencies_:
            self._snapshot(net)

    def on_epoch_end(self, net, **kwargs):
        cf = self._snapshot(net)
        net.history.record(self.key, cf.tolist())

    def as_array(self) -> np.ndarray:
        """The recorded centre frequencies as an ``(n_records, n_filters)`` array (row 0: before training)."""
        return np.vstack(self.center_frequencies_) if self.center_frequencies_ else np.empty((0, 0))

    def plot(self, ax=None, **kwargs):
        """Shortcut for :func:`sklearn_wavefront.inspection.plot_filter_evolution` (needs matplotlib)."""
        from .inspection import plot_filter_evolution

        return plot_filter_evolution(self, ax=ax, **kwargs)


class EpochProgress(Callback):
    """One line per epoch on stderr: epoch, training (and validation) loss, seconds.

    ``sys.stderr`` is looked up at each call, so the callback pickles with its network and writes
    where the process's stderr is at the time.
    """

    def on_epoch_end(self, net, **kwargs):
        import sys

        row = net.history[-1]
        valid = f"  valid loss {row['valid_loss']:.4f}" if row.get("valid_loss") is not None else ""
        print(f"  epoch {row['epoch']}/{net.max_epochs}  train loss {row.get('train_loss', float('nan')):.4f}"
              f"{valid}  {row.get('dur', 0.0):.1f} s", file=sys.stderr, flush=True)
