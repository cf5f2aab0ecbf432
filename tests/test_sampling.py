"""Tests of double-balanced batches: the sampler alone and inside a skorch classifier."""

import warnings
from collections import Counter

import numpy as np
import pytest
import sklearn
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from skorch import NeuralNetClassifier
from skorch.callbacks import Callback
from skorch.dataset import ValidSplit
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold, StratifiedKFold, cross_validate
from torch.utils.data import DataLoader, TensorDataset

from sklearn_wavefront.sampling import DoubleBalancedBatchSampler, DoubleBalancedMixin, SmallCellWarning



@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tiny nets train fastest on one thread (OpenMP spinning stalls on shared cores); restored after."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)

# --------------------------------------------------------------------------- helpers
def _cell_counts(batch, y, d):
    return Counter(zip(np.asarray(y)[batch].tolist(), np.asarray(d)[batch].tolist()))


def _imbalanced(seed=0):
    """4 cells with sizes 20, 7, 5, 3 (class 0/1 x domain 'a'/'b')."""
    y = np.array([0] * 27 + [1] * 8)
    d = np.array(["a"] * 20 + ["b"] * 7 + ["a"] * 5 + ["b"] * 3)
    perm = np.random.default_rng(seed).permutation(len(y))
    return y[perm], d[perm]


# --------------------------------------------------------------------------- the sampler
def test_every_batch_has_exact_quota_per_cell():
    y, d = _imbalanced()
    sampler = DoubleBalancedBatchSampler(y, d, batch_size=8, random_state=0)
    assert sampler.quota_ == 2 and sampler.effective_batch_size_ == 8
    batches = list(sampler)
    assert len(batches) == len(sampler) == 10  # ceil(20 / 2)
    for batch in batches:
        assert _cell_counts(batch, y, d) == {(0, "a"): 2, (0, "b"): 2, (1, "a"): 2, (1, "b"): 2}


def test_batch_size_rounded_down_to_multiple_of_cells():
    y, d = _imbalanced()
    sampler = DoubleBalancedBatchSampler(y, d, batch_size=11, random_state=0)  # 4 cells -> 2 each
    assert sampler.effective_batch_size_ == 8
    assert all(len(b) == 8 for b in sampler)


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 12), min_size=1, max_size=6),
    quota=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_exact_counts_any_cells(sizes, quota, seed):
    # cell k gets sizes[k] samples; classes = k // 2, domains = k % 2
    cells = np.repeat(np.arange(len(sizes)), sizes)
    perm = np.random.default_rng(seed).permutation(len(cells))
    cells = cells[perm]
    y, d = cells // 2, cells % 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallCellWarning)
        sampler = DoubleBalancedBatchSampler(y, d, batch_size=quota * len(sizes), random_state=seed)
    for batch in sampler:
        assert np.bincount(cells[batch], minlength=len(sizes)).tolist() == [quota] * len(sizes)


def test_epoch_lengths():
    y, d = _imbalanced()  # cells 20, 7, 5, 3; quota 2
    assert len(DoubleBalancedBatchSampler(y, d, batch_size=8, epoch="max")) == 10
    assert len(DoubleBalancedBatchSampler(y, d, batch_size=8, epoch="min")) == 2  # ceil(3 / 2)
    s = DoubleBalancedBatchSampler(y, d, batch_size=8, epoch=7)
    assert len(s) == 7 and len(list(s)) == 7


def test_max_epoch_visits_every_sample_and_largest_cell_once():
    y, d = _imbalanced()
    sampler = DoubleBalancedBatchSampler(y, d, batch_size=8, random_state=3)
    drawn = np.concatenate(list(sampler))
    counts = np.bincount(drawn, minlength=len(y))
    assert counts.min() >= 1  # no sample left out of an epoch
    largest = np.flatnonzero((y == 0) & (d == "a"))
    assert counts[largest].tolist() == [1] * 20  # 10 batches x 2 = 20: each exactly once


def test_cells_reshuffled_when_exhausted():
    # a cell of 4 drawn 2 per batch: batches 2k and 2k+1 together hold the whole cell (one
    # permutation), and the split of the cell between them changes from cycle to cycle
    y = np.array([0] * 4 + [1] * 9)
    sampler = DoubleBalancedBatchSampler(y, None, batch_size=4, epoch=40, random_state=1)
    small = [sorted(i for i in b if y[i] == 0) for b in sampler]
    for k in range(0, len(small), 2):
        assert sorted(small[k] + small[k + 1]) == [0, 1, 2, 3]
    assert len({tuple(small[k]) for k in range(0, len(small), 2)}) > 1


def test_reproducible_with_random_state():
    y, d = _imbalanced()
    a = DoubleBalancedBatchSampler(y, d, batch_size=8, random_state=42)
    b = DoubleBalancedBatchSampler(y, d, batch_size=8, random_state=42)
    c = DoubleBalancedBatchSampler(y, d, batch_size=8, random_state=43)
    ea, eb, ec = list(a), list(b), list(c)
    assert ea == eb
    assert ea != ec
    assert list(a) == list(b)  # second epochs agree too ...
    assert list(a) != ea  # ... and differ from the first


def test_private_generator_ignores_global_state():
    y, d = _imbalanced()
    np.random.seed(0)
    first = list(DoubleBalancedBatchSampler(y, d, batch_size=8, random_state=5))
    np.random.seed(1)
    torch.manual_seed(1)
    assert list(DoubleBalancedBatchSampler(y, d, batch_size=8, random_state=5)) == first


def test_domain_present_in_one_class_only():
    y = np.array([0] * 10 + [1] * 6 + [0] * 4)
    d = np.array(["a"] * 10 + ["a"] * 6 + ["b"] * 4)  # domain b only has class 0
    sampler = DoubleBalancedBatchSampler(y, d, batch_size=6, random_state=0)
    assert sampler.cells_ == [(0, "a"), (0, "b"), (1, "a")]
    for batch in sampler:
        assert _cell_counts(batch, y, d) == {(0, "a"): 2, (0, "b"): 2, (1, "a"): 2}


def test_no_domains_gives_class_balance():
    y = np.array(["x"] * 9 + ["y"] * 3)
    sampler = DoubleBalancedBatchSampler(y, batch_size=6, random_state=0)
    assert sampler.cells_ == [("x", None), ("y", None)]
    for batch in sampler:
        assert Counter(y[batch].tolist()) == {"x": 3, "y": 3}


def test_small_cell_warns():
    y = np.array([0] * 10 + [1] * 2)
    with pytest.warns(SmallCellWarning, match=r"\(1, None\)"):
        sampler = DoubleBalancedBatchSampler(y, batch_size=8, random_state=0)
    for batch in sampler:
        assert np.bincount(y[batch]).tolist() == [4, 4]


def test_errors():
    y, d = _imbalanced()
    with pytest.raises(ValueError, match="batch_size=3 is smaller than the number of"):
        DoubleBalancedBatchSampler(y, d, batch_size=3)
    with pytest.raises(ValueError, match="epoch="):
        DoubleBalancedBatchSampler(y, d, batch_size=8, epoch="all")
    with pytest.raises(ValueError, match="epoch="):
        DoubleBalancedBatchSampler(y, d, batch_size=8, epoch=0)
    with pytest.raises(ValueError, match="same length"):
        DoubleBalancedBatchSampler(y, d[:-1], batch_size=8)
    with pytest.raises(TypeError, match="batch_size"):
        DoubleBalancedBatchSampler(y, d, batch_size=8.0)


def test_works_in_dataloader():
    y, d = _imbalanced()
    ds = TensorDataset(torch.arange(len(y)), torch.as_tensor(y))
    loader = DataLoader(ds, batch_sampler=DoubleBalancedBatchSampler(y, d, batch_size=8, random_state=0))
    for idx, yb in loader:
        assert _cell_counts(idx.numpy(), y, d) == {(0, "a"): 2, (0, "b"): 2, (1, "a"): 2, (1, "b"): 2}
        assert torch.equal(yb, torch.as_tensor(y)[idx])


# --------------------------------------------------------------------------- skorch integration
class TinyMLP(torch.nn.Module):
    """Logits from 8 features; feature 0 carries the sample index and is ignored by the model."""

    def __init__(self, n_classes=2):
        super().__init__()
        self.lin = torch.nn.Linear(7, n_classes)

    def forward(self, X):  # no **kwargs: would fail if ``domains`` leaked into forward
        return self.lin(X[:, 1:])


class BalancedNet(DoubleBalancedMixin, NeuralNetClassifier):
    pass


class RecordBatches(Callback):
    """Record the sample indices (feature 0) of every batch."""

    def on_train_begin(self, net, **kwargs):
        self.train, self.valid = [], []

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        idx = batch[0][:, 0].round().long().tolist()
        (self.train if training else self.valid).append(idx)


def _data(n=96, seed=0):
    """y: 3:1 imbalance; domains: 2 devices with different class mixes; groups: 24 subjects."""
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % 4 == 0).astype(int)
    d = np.where(np.arange(n) % 3 == 0, "dev1", "dev0")
    X = rng.normal(size=(n, 8)).astype(np.float32)
    X[:, 1] += 2.0 * y
    X[:, 0] = np.arange(n)
    groups = np.arange(n) // 4
    return X, y, d, groups


def _net(**kw):
    params = dict(
        module=TinyMLP, criterion=torch.nn.CrossEntropyLoss, max_epochs=2, batch_size=8, lr=0.1,
        train_split=None, verbose=0, iterator_train__shuffle=True,
    )
    params.update(kw)
    return BalancedNet(**params)


def test_mixin_balances_training_batches():
    X, y, d, _ = _data()
    rec = RecordBatches()
    net = _net(balance="class_domain", callbacks=[("rec", rec)])
    net.fit(X, y, domains=d)
    n_cells = Counter(zip(y.tolist(), d.tolist()))
    assert len(n_cells) == 4
    # epoch "max": ceil(largest cell / quota 2) batches, 2 epochs
    assert len(rec.train) == 2 * int(np.ceil(max(n_cells.values()) / 2))
    for batch in rec.train:
        assert _cell_counts(batch, y, d) == {cell: 2 for cell in n_cells}
    assert net.balance_cells_ == sorted(n_cells)
    assert net.balance_cell_counts_.tolist() == [n_cells[c] for c in sorted(n_cells)]


def test_mixin_class_balance_ignores_domains():
    X, y, d, _ = _data()
    rec = RecordBatches()
    _net(balance="class", callbacks=[("rec", rec)], batch_size=10).fit(X, y, domains=d)
    for batch in rec.train:
        assert np.bincount(y[batch], minlength=2).tolist() == [5, 5]


def test_mixin_none_is_ordinary_skorch():
    X, y, d, _ = _data()
    rec = RecordBatches()
    _net(balance=None, callbacks=[("rec", rec)], max_epochs=1).fit(X, y, domains=d)
    assert sorted(i for b in rec.train for i in b) == list(range(len(y)))  # one plain pass


def test_mixin_sampler_sees_training_subset_only():
    X, y, d, _ = _data()
    rec = RecordBatches()
    net = _net(balance="class_domain", callbacks=[("rec", rec)], train_split=ValidSplit(4, stratified=True),
               max_epochs=1)
    net.fit(X, y, domains=d)
    valid = sorted(i for b in rec.valid for i in b)
    assert len(valid) == len(y) // 4 and len(set(valid)) == len(valid)  # ordinary: each once
    seen_train = {i for b in rec.train for i in b}
    assert seen_train.isdisjoint(valid)
    assert seen_train == set(range(len(y))) - set(valid)  # "max" epoch reaches every training sample
    train = np.setdiff1d(np.arange(len(y)), valid)
    train_cells = Counter(zip(y[train].tolist(), d[train].tolist()))
    assert net.balance_cell_counts_.tolist() == [train_cells[c] for c in sorted(train_cells)]
    for batch in rec.train:
        assert _cell_counts(batch, y, d) == {cell: 2 for cell in train_cells}
    # prediction iterator is ordinary: predictions follow the input order
    assert net.predict_proba(X).shape == (len(y), 2)


def test_mixin_reproducible_under_torch_seed():
    X, y, d, _ = _data()
    runs = []
    for _ in range(2):
        torch.manual_seed(7)
        rec = RecordBatches()
        _net(balance="class_domain", callbacks=[("rec", rec)]).fit(X, y, domains=d)
        runs.append(rec.train)
    assert runs[0] == runs[1]


def test_mixin_errors():
    X, y, d, _ = _data()
    with pytest.raises(ValueError, match="balance='class_domain' needs the domain"):
        _net(balance="class_domain").fit(X, y)
    with pytest.raises(ValueError, match="balance must be one of"):
        _net(balance="domain").fit(X, y, domains=d)
    with pytest.raises(ValueError, match="balance_epoch"):
        _net(balance="class", balance_epoch="all").fit(X, y)
    with pytest.raises(ValueError, match="domains has 95 entries"):
        _net(balance="class_domain").fit(X, y, domains=d[:-1])


def test_mixin_params_clone_and_set_params():
    net = _net(balance="class_domain", balance_epoch="min")
    params = net.get_params()
    assert params["balance"] == "class_domain" and params["balance_epoch"] == "min"
    twin = clone(net)
    assert twin.balance == "class_domain" and twin.balance_epoch == "min"
    twin.set_params(balance=None)
    assert twin.balance is None
    assert "_balance_context_" not in vars(twin)


def _check_fold_cells(res, y, d):
    for est, train in zip(res["estimator"], res["indices"]["train"]):
        cells = Counter(zip(y[train].tolist(), d[train].tolist()))
        assert est.balance_cells_ == sorted(cells)
        assert est.balance_cell_counts_.tolist() == [cells[c] for c in sorted(cells)]


def test_cross_validate_with_metadata_routing():
    X, y, d, groups = _data()
    with sklearn.config_context(enable_metadata_routing=True):
        net = _net(balance="class_domain").set_fit_request(domains=True)
        res = cross_validate(net, X, y, params={"domains": d, "groups": groups}, cv=StratifiedGroupKFold(4),
                             return_estimator=True, return_indices=True)
    _check_fold_cells(res, y, d)
    for train, test in zip(res["indices"]["train"], res["indices"]["test"]):
        assert set(groups[train]).isdisjoint(groups[test])
    assert np.all(res["test_score"] > 0.5)


def test_cross_validate_without_routing_splits_domains():
    X, y, d, _ = _data()
    res = cross_validate(_net(balance="class_domain"), X, y, params={"domains": d}, cv=StratifiedKFold(3),
                         return_estimator=True, return_indices=True)
    _check_fold_cells(res, y, d)


def test_grid_search_over_balance():
    X, y, d, _ = _data()
    search = GridSearchCV(_net(), {"balance": [None, "class", "class_domain"]}, cv=StratifiedKFold(3))
    search.fit(X, y, domains=d)
    assert len(search.cv_results_["params"]) == 3
    assert search.best_estimator_.balance in (None, "class", "class_domain")
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_grid_search_with_routing():
    X, y, d, groups = _data()
    with sklearn.config_context(enable_metadata_routing=True):
        net = _net(balance="class_domain").set_fit_request(domains=True)
        search = GridSearchCV(net, {"balance_epoch": ["min", 3]}, cv=StratifiedGroupKFold(3))
        search.fit(X, y, domains=d, groups=groups)
    assert search.best_estimator_.balance_cell_counts_.sum() == len(y)


# --------------------------------------------------------------------------- review regressions
def test_no_repeated_index_in_a_batch_when_cells_reach_their_quota():
    """Cell sizes [3, 30], quota 2: the small cell runs out mid-draw every other batch."""
    y = np.array([0] * 3 + [1] * 30)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SmallCellWarning)  # no cell is smaller than its quota
        sampler = DoubleBalancedBatchSampler(y, batch_size=4, epoch=60, random_state=0)
    batches = list(sampler)
    for batch in batches:
        assert len(batch) == len(set(batch))
        assert np.bincount(y[batch], minlength=2).tolist() == [2, 2]
    # each cycle through the small cell is still a permutation of it: every 3 batches (6 draws,
    # two cycles) draw each of its samples exactly twice
    for k in range(0, len(batches), 3):
        small = [i for b in batches[k:k + 3] for i in b if y[i] == 0]
        assert np.bincount(small, minlength=3).tolist() == [2, 2, 2]


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 12), min_size=1, max_size=6),
    quota=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_no_duplicates_unless_a_cell_is_smaller_than_its_quota(sizes, quota, seed):
    cells = np.repeat(np.arange(len(sizes)), sizes)
    y, d = cells // 2, cells % 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallCellWarning)
        sampler = DoubleBalancedBatchSampler(y, d, batch_size=quota * len(sizes), epoch=12, random_state=seed)
    for batch in sampler:
        assert np.bincount(cells[batch], minlength=len(sizes)).tolist() == [quota] * len(sizes)
        for k, size in enumerate(sizes):
            members = [i for i in batch if cells[i] == k]
            if size >= quota:
                assert len(members) == len(set(members))


def test_mixin_refit_without_balance_forgets_cells():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 4)).astype(np.float32)
    y = np.array([0, 1] * 8)
    d = np.tile([0, 0, 1, 1], 4)

    class Balanced(DoubleBalancedMixin, NeuralNetClassifier):
        pass

    net = Balanced(torch.nn.Linear, module__in_features=4, module__out_features=2,
                   criterion=torch.nn.CrossEntropyLoss, max_epochs=1, batch_size=8, train_split=None, verbose=0,
                   balance="class_domain")
    net.fit(X, y, domains=d)
    assert len(net.balance_cells_) == 4
    net.set_params(balance=None).fit(X, y)
    assert not hasattr(net, "balance_cells_") and not hasattr(net, "balance_cell_counts_")
