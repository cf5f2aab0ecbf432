"""Double-balanced mini-batches: the same number of samples from every (class, domain) cell.

Double-balanced training (DBT, used by SpectNet on PhysioNet 2016) fights two imbalances at once:
between classes (few abnormal recordings) and between domains (recording devices, hospitals,
corpora). Every training batch holds exactly ``quota = batch_size // n_cells`` samples of each
observed (class, domain) cell, so neither a frequent class nor a frequent device dominates the
gradient. imbalanced-learn has no PyTorch sampler for this (its issue #424); this module fills it.

Two public pieces:

* :class:`DoubleBalancedBatchSampler` -- a ``torch.utils.data`` batch sampler, usable with any
  ``DataLoader(dataset, batch_sampler=...)``.
* :class:`DoubleBalancedMixin` -- adds ``balance=None|"class"|"class_domain"`` and
  ``fit(X, y, domains=None)`` to a :class:`skorch.NeuralNetClassifier` subclass; only the training
  iterator is balanced, validation and prediction iterators stay ordinary.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np
import torch
from sklearn.utils import check_random_state
from torch.utils.data import Sampler, Subset

__all__ = ["DoubleBalancedBatchSampler", "DoubleBalancedMixin", "SmallCellWarning"]


class SmallCellWarning(UserWarning):
    """A (class, domain) cell holds fewer samples than its per-batch quota.

    Its samples are then repeated inside a batch (the cell is reshuffled whenever it runs out).
    A cell with at least ``quota`` samples never repeats an index within a batch.
    """


def _encode(values, name):
    """Integer codes and the sorted unique values of a 1-D label array; error names ``name``."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of labels, got shape {arr.shape}")
    try:
        uniques, codes = np.unique(arr, return_inverse=True)
    except TypeError as exc:
        raise ValueError(
            f"{name} holds values of mixed types that cannot be sorted ({exc}); use one type"
        ) from exc
    return uniques, codes.reshape(-1)


def _cells(class_values, class_codes, domain_values, domain_codes):
    """The observed (class, domain) cells, sorted by class then domain, and each cell's sample indices.

    ``*_values`` are the sorted distinct values and ``*_codes`` each sample's position among them
    (:func:`_encode`); a missing domain is ``domain_values = [None]`` with all codes 0.
    """
    n_dom = len(domain_values)
    cell_codes = class_codes * n_dom + domain_codes
    present = np.unique(cell_codes)
    cells = [(_py(class_values[c // n_dom]), _py(domain_values[c % n_dom])) for c in present]
    return cells, [np.flatnonzero(cell_codes == c) for c in present]


def _py(value):
    """A numpy scalar as the matching Python scalar (for readable cell names)."""
    return value.item() if isinstance(value, np.generic) else value


class DoubleBalancedBatchSampler(Sampler):
    """Yield batches with the same number of samples from each (class, domain) cell.

    The cells are the (class, domain) pairs that actually occur in the data: a domain recorded for
    only one class forms a single cell, and no empty cell is ever requested. Each batch takes
    ``quota = batch_size // n_cells`` indices from every cell, so it holds ``quota * n_cells``
    samples (``batch_size`` rounded down to a multiple of the number of cells; see
    ``effective_batch_size_``). The indices within a batch are shuffled.

    Each cell is visited in a random order; when a cell is exhausted it is reshuffled and drawing
    continues, also across epochs (the sampler keeps its state between iterations, as a
    ``DataLoader`` iterates it once per epoch). All randomness comes from a private
    :class:`numpy.random.Generator` seeded from ``random_state`` at construction, so two samplers
    built with the same integer ``random_state`` yield the same sequence of epochs.

    Parameters
    ----------
    classes : array-like of shape (n_samples,)
        Class label of each sample (any sortable labels).
    domains : array-like of shape (n_samples,) or None, default=None
        Domain of each sample (device, site, corpus, ...). ``None`` puts every sample in one
        domain, which gives class-balanced batches.
    batch_size : int, default=32
        Requested batch size; must be at least the number of cells.
    epoch : {"max", "min"} or int, default="max"
        Length of one epoch (one pass of ``iter(sampler)``): ``"max"`` -- as many batches as needed
        for every sample of the *largest* cell to be drawn once, ``ceil(max_count / quota)``;
        ``"min"`` -- the same for the *smallest* cell, ``ceil(min_count / quota)``; an int -- that
        many batches.
    random_state : int, RandomState instance or None, default=None
        Seeds the private generator (scikit-learn convention: ``None`` draws the seed from
        numpy's global random state).

    Attributes
    ----------
    cells_ : list of tuple
        The (class, domain) pairs, in sorted order (domain is ``None`` when ``domains=None``).
    cell_counts_ : ndarray of shape (n_cells,)
        Number of samples in each cell.
    quota_ : int
        Samples drawn from each cell per batch.
    effective_batch_size_ : int
        ``quota_ * n_cells``, the size of every batch.
    n_batches_ : int
        Batches per epoch (``len(sampler)``).

    Raises
    ------
    ValueError
        If ``batch_size`` is smaller than the number of cells, ``epoch`` is not ``"max"``,
        ``"min"`` or a positive int, or ``classes`` and ``domains`` differ in length.

    Warns
    -----
    SmallCellWarning
        When a cell holds fewer samples than ``quota_``, so its samples repeat within a batch.

    See Also
    --------
    DoubleBalancedMixin : the same balancing inside a skorch classifier's ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_wavefront.sampling import DoubleBalancedBatchSampler
    >>> y = np.array([0] * 8 + [1] * 4)
    >>> d = np.array(["a"] * 6 + ["b"] * 2 + ["a"] * 2 + ["b"] * 2)
    >>> sampler = DoubleBalancedBatchSampler(y, d, batch_size=8, random_state=0)
    >>> sampler.cells_, sampler.cell_counts_.tolist(), sampler.quota_, len(sampler)
    ([(0, 'a'), (0, 'b'), (1, 'a'), (1, 'b')], [6, 2, 2, 2], 2, 3)
    >>> batch = next(iter(sampler))
    >>> sorted(zip(y[batch].tolist(), d[batch].tolist()))
    [(0, 'a'), (0, 'a'), (0, 'b'), (0, 'b'), (1, 'a'), (1, 'a'), (1, 'b'), (1, 'b')]

    With a ``DataLoader``: ``DataLoader(dataset, batch_sampler=sampler)``.
    """

    def __init__(self, classes, domains=None, batch_size=32, epoch="max", random_state=None):
        self.classes = classes
        self.domains = domains
        self.batch_size = batch_size
        self.epoch = epoch
        self.random_state = random_state

        class_values, class_codes = _encode(classes, "classes")
        n = len(class_codes)
        if n == 0:
            raise ValueError("classes is empty: there is nothing to sample")
        if domains is None:
            domain_values, domain_codes = np.array([None], dtype=object), np.zeros(n, dtype=np.intp)
        else:
            domain_values, domain_codes = _encode(domains, "domains")
            if len(domain_codes) != n:
                raise ValueError(
                    f"classes and domains must have the same length, got {n} and {len(domain_codes)}"
                )
        self.cells_, self._cell_indices = _cells(class_values, class_codes, domain_values, domain_codes)
        self.cell_counts_ = np.array([len(ix) for ix in self._cell_indices])
        n_cells = len(self.cells_)

        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
            raise TypeError(f"batch_size must be an integer, got batch_size={batch_size!r}")
        if batch_size < n_cells:
            raise ValueError(
                f"batch_size={batch_size} is smaller than the number of (class, domain) cells "
                f"({n_cells}: {self.cells_}); every batch needs at least one sample of each cell"
            )
        self.quota_ = int(batch_size) // n_cells
        self.effective_batch_size_ = self.quota_ * n_cells

        if isinstance(epoch, str):
            if epoch == "max":
                self.n_batches_ = math.ceil(self.cell_counts_.max() / self.quota_)
            elif epoch == "min":
                self.n_batches_ = math.ceil(self.cell_counts_.min() / self.quota_)
            else:
                raise ValueError(f"epoch must be 'max', 'min' or a positive int, got epoch={epoch!r}")
        elif isinstance(epoch, numbers.Integral) and not isinstance(epoch, bool) and epoch >= 1:
            self.n_batches_ = int(epoch)
        else:
            raise ValueError(f"epoch must be 'max', 'min' or a positive int, got epoch={epoch!r}")

        small = [(cell, int(cnt)) for cell, cnt in zip(self.cells_, self.cell_counts_) if cnt < self.quota_]
        if small:
            warnings.warn(
                f"{len(small)} (class, domain) cell(s) hold fewer samples than the per-batch quota "
                f"{self.quota_} (batch_size={batch_size}, {n_cells} cells): {small}; their samples "
                "will repeat within a batch",
                SmallCellWarning,
                stacklevel=2,
            )

        seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
        self._rng = np.random.default_rng(seed)
        self._orders = [self._rng.permutation(ix) for ix in self._cell_indices]
        self._positions = [0] * n_cells

    def _draw(self, k):
        """Next ``quota_`` indices of cell ``k``, reshuffling the cell whenever it runs out.

        When the cell runs out in the middle of a draw, the new permutation is reordered so that
        the indices already taken in this draw come after the ones still needed: no index repeats
        within a batch (possible whenever the cell holds at least ``quota_`` samples), and every
        cycle through the cell is still a permutation of it. Only a cell smaller than its quota
        (:class:`SmallCellWarning`) repeats samples within a batch.
        """
        out = []
        need = self.quota_
        while need:
            order, pos = self._orders[k], self._positions[k]
            take = min(need, len(order) - pos)
            out.append(order[pos:pos + take])
            pos += take
            need -= take
            if pos == len(order):
                order = self._rng.permutation(self._cell_indices[k])
                if need and len(order) >= self.quota_:
                    taken = np.concatenate(out)
                    later = np.isin(order, taken)
                    order = np.concatenate([order[~later], order[later]])
                self._orders[k] = order
                pos = 0
            self._positions[k] = pos
        return np.concatenate(out)

    def __iter__(self):
        for _ in range(self.n_batches_):
            batch = np.concatenate([self._draw(k) for k in range(len(self._cell_indices))])
            self._rng.shuffle(batch)
            yield batch.tolist()

    def __len__(self):
        return self.n_batches_


_BALANCE_CHOICES = (None, "class", "class_domain")


def _subset_indices(dataset, n_samples):
    """Indices into the ``fit`` data of the samples of ``dataset``.

    ``dataset`` is either the full dataset (``len == n_samples``) or a chain of
    :class:`torch.utils.data.Subset` of it (skorch's ``ValidSplit`` returns one).
    """
    if isinstance(dataset, Subset):
        base = _subset_indices(dataset.dataset, n_samples)
        return base[np.asarray(dataset.indices, dtype=np.intp)]
    if len(dataset) != n_samples:
        raise ValueError(
            f"balanced training cannot map the training dataset ({type(dataset).__name__} of "
            f"length {len(dataset)}) to the {n_samples} samples given to fit; the train_split must "
            "return torch.utils.data.Subset objects of the dataset it receives (skorch's ValidSplit does)"
        )
    return np.arange(n_samples)


class DoubleBalancedMixin:
    """Class- or (class, domain)-balanced training batches for a skorch classifier.

    Adds two constructor parameters and a ``domains`` argument to ``fit``:

    * ``balance=None`` -- ordinary training batches (whatever ``iterator_train`` does);
    * ``balance="class"`` -- every training batch holds the same number of samples of each class;
    * ``balance="class_domain"`` -- the same number of samples of each observed (class, domain)
      cell (double-balanced training); needs ``fit(X, y, domains=...)``.
    * ``balance_epoch`` -- ``"max"`` (default), ``"min"`` or a number of batches per epoch, see
      :class:`DoubleBalancedBatchSampler`.

    Only the training iterator is balanced. When skorch's ``train_split`` carves a validation
    set out of the data, the sampler sees the classes and domains of the training part only
    (mapped through the ``Subset`` indices); validation and prediction iterators are unchanged.
    ``domains`` never reaches the module's ``forward``. With ``balance=None`` or ``"class"``,
    ``domains`` is accepted and ignored, so a grid over ``balance`` needs no other change.

    **How a classifier adopts it.** Put the mixin first in the bases and forward its keyword
    arguments::

        class MyClassifier(DoubleBalancedMixin, NeuralNetClassifier):
            def __init__(self, module, *, balance=None, balance_epoch="max", random_state=None,
                         **kwargs):
                super().__init__(module, balance=balance, balance_epoch=balance_epoch, **kwargs)
                self.random_state = random_state

    (or define no ``__init__`` at all: the mixin's ``__init__`` takes ``balance`` and
    ``balance_epoch`` and passes everything else to skorch). The contract:

    1. ``fit(X, y, domains=None, **fit_params)`` and ``partial_fit`` are the mixin's. If the
       classifier overrides ``fit`` (e.g. to encode string labels), it must call
       ``super().fit(X, y_encoded, domains=domains, **fit_params)``; the cells depend only on
       how ``y`` partitions the samples, so encoded labels balance exactly like the originals.
    2. If the classifier overrides ``get_iterator``, it must call the mixin's for
       ``training=True``.
    3. ``iterator_train`` must accept ``batch_sampler=`` (``torch.utils.data.DataLoader`` does);
       ``iterator_train__batch_size`` / ``batch_size`` sets the requested batch size, and
       ``iterator_train__shuffle``, ``__sampler`` and ``__drop_last`` are dropped while balancing
       (the sampler does all three jobs).
    4. The sampler's seed (a new sampler is built every epoch): one draw from the net's private
       generator ``_loader_generator_`` when it has one (this package's classifiers), so every
       epoch has other batches; else ``self.random_state`` when the class has one and it is not
       ``None`` (every epoch then repeats the same batches); otherwise one draw from torch's global
       generator, so ``torch.manual_seed`` makes it reproducible like skorch's own shuffling.

    Metadata routing: with ``sklearn.set_config(enable_metadata_routing=True)``, call
    ``net.set_fit_request(domains=True)``; then ``cross_validate(net, X, y,
    params={"domains": d, "groups": g}, cv=StratifiedGroupKFold(4))`` hands each fit the domains
    of its training fold. Without routing, ``params={"domains": d}`` is passed to ``fit``
    directly and split per fold the same way.

    Attributes
    ----------
    balance_cells_ : list of tuple
        After a balanced fit: the (class, domain) cells of the last training set.
    balance_cell_counts_ : ndarray
        Their sizes.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skorch import NeuralNetClassifier
    >>> from sklearn_wavefront.sampling import DoubleBalancedMixin
    >>> class Balanced(DoubleBalancedMixin, NeuralNetClassifier):
    ...     pass
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 4)).astype("float32")
    >>> y = np.repeat([0, 1], [45, 15])
    >>> d = np.tile([0, 0, 1], 20)
    >>> net = Balanced(torch.nn.Linear, module__in_features=4, module__out_features=2,
    ...                criterion=torch.nn.CrossEntropyLoss, max_epochs=2, batch_size=8,
    ...                train_split=None, verbose=0, balance="class_domain")
    >>> _ = net.fit(X, y, domains=d)
    >>> net.balance_cells_, net.balance_cell_counts_.tolist()
    ([(0, 0), (0, 1), (1, 0), (1, 1)], [30, 15, 10, 5])
    >>> net.history[-1, "batches", -1, "train_batch_size"]   # 2 samples of each of the 4 cells
    8
    """

    def __init__(self, *args, balance=None, balance_epoch="max", **kwargs):
        self.balance = balance
        self.balance_epoch = balance_epoch
        super().__init__(*args, **kwargs)

    # -- fit entry points ---------------------------------------------------------------------
    def fit(self, X, y, domains=None, **fit_params):
        """Initialise and fit the net; ``domains`` (one per sample) feeds the balanced sampler.

        Parameters
        ----------
        X : input data accepted by skorch
        y : array-like of shape (n_samples,)
            Class labels (required when ``balance`` is set).
        domains : array-like of shape (n_samples,), default=None
            Domain of each sample; required for ``balance="class_domain"``, ignored otherwise.
        **fit_params : dict
            Passed to skorch's ``fit`` (the module's ``forward`` and ``train_split``).

        Returns
        -------
        self
        """
        # a refit starts from scratch: no cells of an earlier balanced fit survive (balance=None)
        for name in ("balance_cells_", "balance_cell_counts_", "_balance_cells_decoded_"):
            self.__dict__.pop(name, None)
        with _BalanceContext(self, y, domains):
            return super().fit(X, y, **fit_params)

    def partial_fit(self, X, y=None, classes=None, domains=None, **fit_params):
        """Fit without re-initialising (warm start); see :meth:`fit` for ``domains``."""
        if getattr(self, "_balance_context_", None) is not None:  # called from our fit
            if domains is not None:
                raise ValueError("domains was passed twice (to fit and to partial_fit)")
            return super().partial_fit(X, y, classes, **fit_params)
        with _BalanceContext(self, y, domains):
            return super().partial_fit(X, y, classes, **fit_params)

    # -- the iterator ---------------------------------------------------------------------------
    def get_iterator(self, dataset, training=False):
        """Training iterator with a :class:`DoubleBalancedBatchSampler` when ``balance`` is set.

        Validation and prediction iterators (``training=False``) are skorch's own.
        """
        iterator = self._balanced_iterator(dataset, training)
        if training:
            # lets a schedule (OneCycleLRScheduler) learn the epoch length without building a
            # second iterator (and a second sampler, with its warnings and random draws)
            self._train_iterator_len_ = (dataset, len(iterator))
        return iterator

    def _balanced_iterator(self, dataset, training):
        context = getattr(self, "_balance_context_", None)
        if not training or self.balance is None or context is None:
            return super().get_iterator(dataset, training=training)
        y_all, domains_all = context
        idx = _subset_indices(dataset, len(y_all))
        kwargs = self.get_params_for("iterator_train")
        batch_size = kwargs.pop("batch_size", self.batch_size)
        if batch_size == -1:
            batch_size = len(dataset)
        if kwargs.pop("sampler", None) is not None:
            raise ValueError(
                f"iterator_train__sampler cannot be combined with balance={self.balance!r}: "
                "the balanced batch sampler chooses the samples; drop one of them"
            )
        kwargs.pop("shuffle", None)
        kwargs.pop("drop_last", None)
        sampler = DoubleBalancedBatchSampler(
            y_all[idx],
            domains_all[idx] if self.balance == "class_domain" else None,
            batch_size=batch_size,
            epoch=self.balance_epoch,
            random_state=self._balance_seed(),
        )
        self.balance_cells_ = sampler.cells_
        self.balance_cell_counts_ = sampler.cell_counts_
        return self.iterator_train(dataset, batch_sampler=sampler, **kwargs)

    def _balance_seed(self):
        # skorch builds the training iterator (so a new sampler) every epoch: a net with a private
        # generator (this package's classifiers) draws each epoch's seed from it, so epochs differ
        # and the same random_state still gives the same run
        gen = getattr(self, "_loader_generator_", None)
        if gen is not None:
            return int(torch.randint(0, np.iinfo(np.int32).max, (1,), generator=gen).item())
        rs = getattr(self, "random_state", None)
        if rs is not None:
            return rs
        return int(torch.randint(0, np.iinfo(np.int32).max, (1,)).item())


class _BalanceContext:
    """Validate ``balance``/``y``/``domains`` and expose them to ``get_iterator`` during a fit."""

    def __init__(self, net, y, domains):
        self.net = net
        self.y = y
        self.domains = domains

    def __enter__(self):
        net, balance = self.net, self.net.balance
        if balance not in _BALANCE_CHOICES:
            raise ValueError(f"balance must be one of {list(_BALANCE_CHOICES)}, got balance={balance!r}")
        epoch = net.balance_epoch
        if not (epoch in ("max", "min") or (isinstance(epoch, numbers.Integral)
                                              and not isinstance(epoch, bool) and epoch >= 1)):
            raise ValueError(f"balance_epoch must be 'max', 'min' or a positive int, got balance_epoch={epoch!r}")
        context = None
        if balance is not None:
            if self.y is None:
                raise ValueError(f"balance={balance!r} needs the class labels: call fit(X, y)")
            y = _to_numpy_1d(self.y, "y")
            if balance == "class_domain":
                if self.domains is None:
                    raise ValueError(
                        "balance='class_domain' needs the domain of each sample: call "
                        "fit(X, y, domains=d) (or route it with set_fit_request(domains=True))"
                    )
                domains = _to_numpy_1d(self.domains, "domains")
                if len(domains) != len(y):
                    raise ValueError(
                        f"domains has {len(domains)} entries but y has {len(y)}; give one domain per sample"
                    )
            else:
                domains = None
            context = (y, domains)
        net._balance_context_ = context
        return self

    def __exit__(self, *exc):
        for name in ("_balance_context_", "_train_iterator_len_"):
            self.net.__dict__.pop(name, None)
        return False


def _to_numpy_1d(values, name):
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one entry per sample), got shape {arr.shape}")
    return arr
