"""skorch classifiers: estimator checks, model selection, determinism, training defaults."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_wavefront.classifiers import (
    CombNetClassifier,
    IConNetClassifier,
    OneCycleLRScheduler,
    SpectNetClassifier,
    WaveformClassifier,
    resolve_device,
)
from sklearn_wavefront.networks.spectnet import SpectNet

SR = 4000


def _tones(n_per_class=8, n=1600, seed=0, labels=("low", "high")):
    """Harmonic tones, f0 = 110 Hz vs 300 Hz, in noise; float32 waveforms at 4 kHz."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / SR
    X, y = [], []
    for label, f0 in zip(labels, (110.0, 300.0)):
        for _ in range(n_per_class):
            f = f0 * (1 + 0.02 * rng.normal())
            sig = sum(np.sin(2 * np.pi * k * f * t + rng.uniform(0, 2 * np.pi)) / k for k in range(1, 5))
            X.append(sig + 0.3 * rng.normal(size=n))
            y.append(label)
    return np.asarray(X, dtype=np.float32), np.asarray(y)


def _comb(**kw):
    params = dict(sample_rate=SR, n_filters=6, module__fmax=800.0, module__channels=(8,), max_epochs=2, batch_size=8)
    return CombNetClassifier(**{**params, **kw})


def _iconnet(**kw):
    params = dict(sample_rate=SR, n_filters=6, module__kernel_size=31, module__stride=40, module__hidden=(16, 8),
                  max_epochs=2, batch_size=8)
    return IConNetClassifier(**{**params, **kw})


EXPECTED_FAILED = {
    "check_no_attributes_set_in_init": (
        "skorch's NeuralNet.__init__ sets history_, initialized_ and virtual_params_ and stores **kwargs "
        "(module__*) as attributes"
    ),
    "check_classifiers_train": (
        "the check's blob features are not waveforms; a tiny net trained for one epoch does not reach its "
        "0.83 training accuracy"
    ),
    "check_sample_weight_equivalence_on_dense_data": (
        "integer weights equal repeated rows in the loss of a batch (tests/test_sample_weight.py), but "
        "shuffled mini-batch training over repeated rows draws other batches (and more steps per epoch)"
    ),
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED


@parametrize_with_checks(
    [
        CombNetClassifier(n_filters=4, module__channels=(4,), max_epochs=1, random_state=0),
        IConNetClassifier(n_filters=4, module__kernel_size=15, module__stride=8, module__hidden=(8,), max_epochs=1,
                          random_state=0),
        SpectNetClassifier(n_filters=4, module__kernel_size=16, module__width=2, max_epochs=1, random_state=0),
        WaveformClassifier(frontend="mel", n_filters=8, frontend_kwargs={"n_fft": 32, "hop_length": 16},
                           module__hidden=(8,), max_epochs=1, random_state=0),
    ],
    expected_failed_checks=_expected_failed_checks,
)
# check_set_params accumulates fuzz values; once skorch rejects one (e.g. callbacks=-inf) every later
# set_params warns: harmless, and the check still verifies get_params/set_params agreement.
@pytest.mark.filterwarnings("ignore:.*set_params.*:UserWarning")
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_grid_search_over_filter_count(n_jobs):
    X, y = _tones()
    grid = GridSearchCV(_comb(random_state=0, max_epochs=1), {"module__n_filters": [4, 8]}, cv=2, n_jobs=n_jobs)
    grid.fit(X, y)
    assert grid.best_params_["module__n_filters"] in (4, 8)
    assert grid.best_estimator_.module_.filterbank.n_filters == grid.best_params_["module__n_filters"]
    assert len(grid.cv_results_["mean_test_score"]) == 2
    assert set(grid.predict(X)) <= {"low", "high"}


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_cross_val_score(n_jobs):
    X, y = _tones()
    scores = cross_val_score(_iconnet(random_state=0, max_epochs=1), X, y, cv=StratifiedKFold(2), n_jobs=n_jobs)
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))


def test_top_level_n_filters_for_grid_search():
    X, y = _tones(n_per_class=4)
    grid = GridSearchCV(
        IConNetClassifier(sample_rate=SR, module__kernel_size=31, module__stride=40, max_epochs=1, random_state=0),
        {"n_filters": [3, 5]}, cv=2,
    ).fit(X, y)
    assert grid.best_estimator_.module_.filterbank.n_filters == grid.best_params_["n_filters"]
    # the more specific module__n_filters wins
    assert _iconnet(n_filters=3, module__n_filters=4, max_epochs=0).fit(X, y).module_.filterbank.n_filters == 4


@pytest.mark.parametrize("make", [_comb, _iconnet])
def test_probabilities_labels_pickle_and_determinism(make):
    X, y = _tones()
    a = make(random_state=0).fit(X, y)
    proba = a.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert a.classes_.tolist() == ["high", "low"]
    assert set(a.predict(X)) <= {"high", "low"}
    np.testing.assert_array_equal(a.predict(X), a.classes_[proba.argmax(1)])
    b = make(random_state=0).fit(X, y)
    if next(a.module_.parameters()).device.type == "cpu":
        np.testing.assert_array_equal(b.predict_proba(X), proba)
    else:  # CUDA: the Triton comb backward sums parameter gradients with float atomics, in no fixed order
        np.testing.assert_allclose(b.predict_proba(X), proba, rtol=1e-5, atol=1e-6)  # (seen: 3e-8 apart)
    c = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(c.predict_proba(X), proba)
    assert c.get_params()["device"] == "auto"


def test_comb_classifier_learns_f0_and_separates_tones():
    X, y = _tones(n_per_class=10)
    clf = _comb(random_state=0, max_epochs=15, lr=0.02).fit(X, y)
    init = _comb(random_state=0, max_epochs=0).fit(X, y).module_.filterbank.center_frequencies()
    assert np.max(np.abs(clf.module_.filterbank.center_frequencies() - init)) > 0.01
    assert clf.score(X, y) >= 0.9


def test_one_cycle_schedule_per_batch_and_clipping():
    X, y = _tones()  # 16 recordings, batch 8 -> 2 batches per epoch
    clf = _comb(random_state=0, max_epochs=3, lr=0.01).fit(X, y)
    lrs = [b["event_lr"] for epoch in clf.history for b in epoch["batches"]]
    assert len(lrs) == 6
    assert lrs[0] == pytest.approx(0.01 / 25)
    assert max(lrs) == pytest.approx(0.01, rel=0.05)
    assert lrs[-1] < lrs[0]
    names = dict(clf.callbacks_)
    assert isinstance(names["lr_scheduler"], OneCycleLRScheduler)
    assert names["gradient_clipping"].gradient_clip_value == 1.0
    assert "early_stopping" not in names
    assert "valid_loss" not in clf.history[-1]  # no split without early stopping


def test_early_stopping_uses_inner_split_of_training_data():
    X, y = _tones(n_per_class=10)
    clf = _comb(random_state=0, max_epochs=4, early_stopping=True, validation_fraction=0.2, patience=2).fit(X, y)
    assert "valid_loss" in clf.history[-1] and "valid_acc" in clf.history[-1]
    n_valid = sum(b["valid_batch_size"] for b in clf.history[-1]["batches"] if "valid_batch_size" in b)
    n_train = sum(b["train_batch_size"] for b in clf.history[-1]["batches"] if "train_batch_size" in b)
    assert n_valid == 4 and n_train == 16
    assert "early_stopping" in dict(clf.callbacks_)


def test_device_auto_and_string_labels_iconnet_variants():
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    X, y = _tones(n_per_class=4)
    clf = _iconnet(variant="B", max_epochs=1).fit(X, y)
    fb = clf.module_.filterbank
    assert fb.learn_bands and not fb.learn_windows
    assert clf.device == resolve_device("auto")
    assert clf.get_params()["device"] == "auto"
    assert isinstance(dict(clf.module_.named_parameters())["filterbank.low_hz_raw"], torch.nn.Parameter)
    assert "filterbank.window_coefficients" not in dict(clf.module_.named_parameters())


def test_spectnet_dropout_is_a_module_and_eval_is_deterministic():
    net = SpectNet(sample_rate=SR, n_classes=3, n_filters=8, kernel_size=32, width=4, dropout=0.5)
    assert any(isinstance(m, torch.nn.Dropout) for m in net.modules())
    x = torch.randn(2, 1600)
    net.eval()
    with torch.no_grad():
        torch.testing.assert_close(net(x), net(x))
        # a recording's logits do not depend on the rest of its batch
        torch.testing.assert_close(net(x[:1]), net(x)[:1], rtol=1e-5, atol=1e-5)


def test_balanced_batches_with_domains():
    X, y = _tones(n_per_class=6)
    domains = np.tile([0, 1], 6)
    clf = _comb(random_state=0, max_epochs=1, balance="class_domain", batch_size=4).fit(X, y, domains=domains)
    assert len(clf.balance_cells_) == 4
    assert clf.history[-1, "batches", 0, "train_batch_size"] == 4


def test_cross_validate_routes_domains_per_fold_to_our_classifier():
    """Under metadata routing, each fold's classifier balances exactly its own training cells."""
    from collections import Counter

    import sklearn
    from sklearn.model_selection import StratifiedGroupKFold, cross_validate

    X, y = _tones(n_per_class=8)
    domains = np.tile([0, 1], 8)
    groups = np.repeat(np.arange(8), 2)  # two recordings per subject; folds never split a subject
    with sklearn.config_context(enable_metadata_routing=True):
        clf = _comb(random_state=0, max_epochs=1, balance="class_domain", batch_size=4)
        clf.set_fit_request(domains=True)
        res = cross_validate(clf, X, y, params={"domains": domains, "groups": groups}, cv=StratifiedGroupKFold(4),
                             return_estimator=True, return_indices=True)
    for est, train, test in zip(res["estimator"], res["indices"]["train"], res["indices"]["test"]):
        cells = Counter(zip(y[train].tolist(), domains[train].tolist()))
        assert est.balance_cells_ == sorted(cells)
        assert est.balance_cell_counts_.tolist() == [cells[c] for c in sorted(cells)]
        assert set(groups[train]).isdisjoint(groups[test])


@pytest.mark.parametrize(
    "params, match",
    [
        # scikit-learn's InvalidParameterError: "The 'patience' parameter of CombNetClassifier must be ... Got 0 instead."
        ({"validation_fraction": 1.5, "early_stopping": True},
         r"'validation_fraction' parameter of CombNetClassifier .*Got 1.5 instead"),
        ({"patience": 0}, r"'patience' parameter of CombNetClassifier .*Got 0 instead"),
        ({"gradient_clip": -1.0}, r"'gradient_clip' parameter of CombNetClassifier .*Got -1.0 instead"),
        ({"early_stopping": "yes"}, r"'early_stopping' parameter of CombNetClassifier .*Got 'yes' instead"),
        ({"max_epochs": -1}, r"'max_epochs' parameter of CombNetClassifier .*Got -1 instead"),
        ({"balance": "domain"}, r"'balance' parameter of CombNetClassifier .*Got 'domain' instead"),
        ({"module__fmax": 5000.0}, "fmax"),
    ],
)
def test_bad_parameters_name_themselves(params, match):
    X, y = _tones(n_per_class=2)
    with pytest.raises(ValueError, match=match):
        _comb(**params).fit(X, y)


def test_network_structures_follow_the_papers():
    from sklearn_wavefront.networks.combnet import CombNet
    from sklearn_wavefront.networks.iconnet import IConNet

    icon = IConNet(sample_rate=SR, n_classes=3, n_filters=4, kernel_size=31, stride=40, hidden=(16, 8))
    layers = list(icon.head.layers)
    kinds = [type(m).__name__ for m in layers]
    assert kinds == ["LayerNorm", "Linear", "LayerNorm", "LeakyReLU", "Dropout",
                     "Linear", "LayerNorm", "LeakyReLU", "Dropout", "Linear"]
    assert layers[-1].out_features == 3
    two = IConNet(sample_rate=SR, n_filters=4, kernel_size=31, stride=40, n_blocks=2, n_filters2=3)
    assert two.features(torch.randn(2, 1600)).shape[1] == 4 * 3
    comb = CombNet(sample_rate=SR, n_classes=2, n_filters=5, channels=(8, 8))
    convs = [m for m in comb.head.features if isinstance(m, torch.nn.Conv1d)]
    assert [c.kernel_size for c in convs] == [(1,), (1,)]
    assert sum(isinstance(m, torch.nn.ELU) for m in comb.head.features) == 2
    assert comb(torch.randn(3, 1600)).shape == (3, 2)
    # inputs shorter than a frame are zero-padded, not rejected
    assert comb(torch.randn(2, 10)).shape == (2, 2)


def test_user_classes_order_agrees_with_predictions():
    """classes=[...] in unsorted order: classes_ is sorted and predict_proba columns follow it."""
    rng = np.random.default_rng(0)
    y = np.repeat(["cat", "dog"], 8)
    X = (rng.normal(size=(16, 800)) * np.where(y == "dog", 5.0, 0.1)[:, None]).astype(np.float32)
    clf = WaveformClassifier(frontend="mel", sample_rate=8000, n_filters=8, max_epochs=15, lr=1e-2,
                             batch_size=8, random_state=0, classes=["dog", "cat"],
                             frontend_kwargs={"n_fft": 64, "hop_length": 32})
    clf.fit(X, y)
    assert clf.classes_.tolist() == ["cat", "dog"]
    assert clf.classes_.tolist() == clf.label_encoder_.classes_.tolist()
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(1)])
    assert clf.score(X, y) == 1.0
    # balanced cells are decoded with the same codes
    clf2 = WaveformClassifier(frontend="mel", sample_rate=8000, n_filters=4, max_epochs=1, batch_size=4,
                              random_state=0, classes=["dog", "cat"], balance="class",
                              frontend_kwargs={"n_fft": 64, "hop_length": 32}).fit(X, y)
    assert clf2.balance_cells_ == [("cat", None), ("dog", None)]


def test_early_stopping_small_multiclass_falls_back_to_unstratified_split():
    """4 classes x 5 recordings, validation_fraction=0.1: 2 held out < 4 classes -> unstratified split."""
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2, 3], 5)
    X = rng.normal(size=(20, 800)).astype(np.float32)
    clf = WaveformClassifier(frontend="mel", sample_rate=8000, n_filters=4, max_epochs=2, random_state=0,
                             early_stopping=True, frontend_kwargs={"n_fft": 64, "hop_length": 32}).fit(X, y)
    n_valid = sum(b["valid_batch_size"] for b in clf.history[-1]["batches"] if "valid_batch_size" in b)
    assert n_valid == 2
    assert clf.predict(X).shape == (20,)


def test_early_stopping_with_groups_keeps_each_group_on_one_side():
    X, y = _tones(n_per_class=10)
    groups = np.repeat(np.arange(10), 2)  # pairs of recordings with one label each
    y = np.where(groups % 2 == 0, "low", "high")
    splits = []

    class Probe(CombNetClassifier):
        def get_split_datasets(self, X, y=None, **kw):
            tr, va = super().get_split_datasets(X, y, **kw)
            splits.append((np.asarray(tr.indices), np.asarray(va.indices)))
            return tr, va

    clf = Probe(sample_rate=SR, n_filters=6, module__fmax=800.0, module__channels=(8,), max_epochs=1,
                batch_size=8, random_state=0, early_stopping=True, validation_fraction=0.2)
    clf.fit(X, y, groups=groups)
    tr, va = splits[-1]
    assert len(va) == 4 and len(tr) == 16
    assert set(groups[tr]).isdisjoint(groups[va])
    assert sorted(set(y[va])) == ["high", "low"]  # stratified by group label


def test_refit_without_balance_forgets_balance_cells():
    X, y = _tones(n_per_class=4)
    clf = _comb(random_state=0, max_epochs=1, balance="class", batch_size=4).fit(X, y)
    assert clf.balance_cells_ == [("high", None), ("low", None)]
    clf.set_params(balance=None).fit(X, y)
    assert not hasattr(clf, "balance_cells_") and not hasattr(clf, "balance_cell_counts_")


def test_one_cycle_schedule_builds_no_second_balanced_sampler():
    import warnings

    from sklearn_wavefront.sampling import SmallCellWarning

    X, y = _tones(n_per_class=4)
    X, y = X[:5], y[:5]  # 1 "high", 4 "low": quota 2 > 1 sample -> one SmallCellWarning per sampler
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _comb(random_state=0, max_epochs=2, balance="class", batch_size=4).fit(X, y)
    assert sum(issubclass(w.category, SmallCellWarning) for w in caught) == 1


def test_groups_reach_an_explicit_train_split_but_not_forward():
    from skorch.dataset import ValidSplit
    from sklearn.model_selection import GroupKFold

    X, y = _tones(n_per_class=4)
    groups = np.arange(4).repeat(2)  # 8 recordings, 4 groups
    clf = _comb(random_state=0, max_epochs=1, train_split=ValidSplit(GroupKFold(4))).fit(X, y, groups=groups)
    n_valid = sum(b["valid_batch_size"] for b in clf.history[-1]["batches"] if "valid_batch_size" in b)
    assert n_valid == 2


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (Triton comb kernels in training)")
@pytest.mark.parametrize("make", [_comb, _iconnet], ids=["combnet", "iconnet"])
def test_training_on_cuda_gives_the_network_the_cpu_computes(make):
    """A classifier trained with device='cuda' (the Triton comb kernels for CombNet) learns finite
    weights, and its fitted network gives on the CPU the logits it gives on CUDA."""
    import copy

    X, y = _tones()
    clf = make(device="cuda", max_epochs=3).fit(X, y)
    losses = clf.history[:, "train_loss"]
    assert np.all(np.isfinite(losses))
    assert next(clf.module_.parameters()).device.type == "cuda"
    xt = torch.from_numpy(X)
    with torch.no_grad():
        clf.module_.eval()
        on_cuda = clf.module_(xt.cuda()).double().cpu()
        on_cpu = copy.deepcopy(clf.module_).cpu()(xt).double()
    torch.testing.assert_close(on_cuda, on_cpu, rtol=1e-3, atol=1e-3)
    assert clf.predict(X).shape == y.shape
