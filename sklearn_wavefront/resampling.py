"""An imbalanced-learn sampler on the double-balanced (class, domain) cells.

:class:`~sklearn_wavefront.sampling.DoubleBalancedBatchSampler` balances every *mini-batch* of a
torch model. :class:`DoubleBalancedResampler` balances a *training set* once, for any
scikit-learn model: it is an imbalanced-learn sampler (``fit_resample``), so it goes into an
:class:`imblearn.pipeline.Pipeline`, which applies it during ``fit`` only (never in ``predict``).
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from imblearn.base import BaseSampler  # imported first: it registers fit_resample with metadata routing
from sklearn.base import _fit_context
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ._validation import ValidatedParamsMixin
from .sampling import _cells, _encode

__all__ = ["DoubleBalancedResampler"]


class DoubleBalancedResampler(ValidatedParamsMixin, BaseSampler):
    """Resample a data set so that every observed (class, domain) cell has the same size.

    The cells are the (class, domain) pairs that occur in ``y`` and ``domains`` (without
    ``domains``: the classes), as in :class:`~sklearn_wavefront.sampling.DoubleBalancedBatchSampler`.
    Each cell is brought to the same target size:

    * ``strategy="over"``: the size of the largest cell. A cell of ``n`` samples and target ``t``
      keeps each of its samples ``t // n`` times and ``t % n`` of them, drawn without replacement,
      once more: as even as repetition allows (not a bootstrap).
    * ``strategy="under"``: the size of the smallest cell, drawn without replacement (the other
      samples are left out; ``sample_indices_`` says which were kept).
    * an int ``t``: that size for every cell (over- or under-sampled per cell as above).

    The kept indices are returned in their original order (repeats next to each other).

    Parameters
    ----------
    strategy : {"over", "under"} or int, default="over"
    random_state : int, RandomState instance or None, default=None
        Seeds the draws.

    Attributes
    ----------
    cells_ : list of tuple
        The (class, domain) cells in sorted order (domain ``None`` without ``domains``).
    cell_counts_ : ndarray of shape (n_cells,)
        Size of each cell before resampling.
    target_count_ : int
        Size of each cell after resampling.
    sample_indices_ : ndarray of shape (n_cells * ``target_count_``,)
        Indices into the data given to ``fit_resample`` of the returned samples.
    domains_resampled_ : ndarray or None
        The domains of the returned samples (``None`` without ``domains``).

    Notes
    -----
    ``X`` may be a 2-D array, a DataFrame, or a list of 1-D recordings of different lengths (a
    list comes back). The domains reach ``fit_resample`` directly
    (``fit_resample(X, y, domains=d)``) or, inside an imbalanced-learn ``Pipeline``, by metadata
    routing: ``sklearn.set_config(enable_metadata_routing=True)``,
    ``DoubleBalancedResampler().set_fit_resample_request(domains=True)``, then
    ``pipeline.fit(X, y, domains=d)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_wavefront.resampling import DoubleBalancedResampler
    >>> X = np.arange(10.0).reshape(-1, 1)
    >>> y = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1])
    >>> d = np.array(["a", "a", "a", "a", "b", "b", "a", "b", "b", "b"])
    >>> res = DoubleBalancedResampler(strategy="under", random_state=0)
    >>> X_res, y_res = res.fit_resample(X, y, domains=d)
    >>> res.cells_, res.cell_counts_.tolist(), res.target_count_
    ([(0, 'a'), (0, 'b'), (1, 'a'), (1, 'b')], [4, 2, 1, 3], 1)
    >>> sorted(zip(y_res.tolist(), res.domains_resampled_.tolist()))
    [(0, 'a'), (0, 'b'), (1, 'a'), (1, 'b')]
    """

    _sampling_type = "bypass"
    # a pipeline calls fit_resample, never fit: domains routed there only (set_fit_resample_request)
    __metadata_request__fit = {"domains": False}
    _parameter_constraints: dict = {
        "strategy": [StrOptions({"over", "under"}), Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, strategy="over", random_state=None):
        super().__init__(sampling_strategy="auto")
        self.strategy = strategy
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_resample(self, X, y, domains=None):
        """Resample ``X`` and ``y`` to equal (class, domain) cells.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or list of 1-D recordings
        y : array-like of shape (n_samples,)
        domains : array-like of shape (n_samples,), default=None
            Domain of each sample; ``None``: balance the classes only.

        Returns
        -------
        X_resampled : same type as ``X``
        y_resampled : ndarray
        """
        return self._fit_resample(X, y, domains=domains)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, domains=None):
        """Compute the cells (no resampling is returned; use :meth:`fit_resample`)."""
        self._fit_resample(X, y, domains=domains)
        return self

    def _fit_resample(self, X, y, domains=None):
        strategy = self.strategy
        y = np.asarray(y)
        n = len(y)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D (one label per sample), got shape {y.shape}")
        try:
            n_x = X.shape[0] if hasattr(X, "shape") else len(X)
        except TypeError as exc:
            raise ValueError(f"X must be an array-like or a list of samples, got {type(X).__name__}") from exc
        if n_x != n:
            raise ValueError(f"X has {n_x} samples but y has {n}")
        if n == 0:
            raise ValueError("y holds no samples")
        classes, class_codes = _encode(y, "y")
        if domains is None:
            dom_values, dom_codes = np.array([None], dtype=object), np.zeros(n, dtype=np.intp)
            d = None
        else:
            d = np.asarray(domains)
            if d.ndim != 1 or len(d) != n:
                raise ValueError(f"domains must hold one domain per sample: got shape {d.shape} for {n} samples")
            dom_values, dom_codes = _encode(d, "domains")
        self.cells_, members = _cells(classes, class_codes, dom_values, dom_codes)
        counts = np.array([len(m) for m in members])
        self.cell_counts_ = counts
        target = counts.max() if strategy == "over" else counts.min() if strategy == "under" else strategy
        self.target_count_ = int(target)
        rng = check_random_state(self.random_state)
        chosen = []
        for idx in members:
            repeats, extra = divmod(self.target_count_, len(idx))
            part = [np.repeat(idx, repeats)] if repeats else []
            if extra:
                part.append(rng.choice(idx, size=extra, replace=False))
            chosen.append(np.concatenate(part))
        self.sample_indices_ = np.sort(np.concatenate(chosen), kind="stable")
        self.domains_resampled_ = None if d is None else d[self.sample_indices_]
        return _safe_indexing(X, self.sample_indices_), y[self.sample_indices_]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
