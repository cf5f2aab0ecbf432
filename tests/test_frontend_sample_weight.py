"""Front-end learning with sample weights and progress lines (the supervised ``fit(X, y)``)."""

import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from sklearn_wavefront import CombFrontend, SincFrontend

SR = 4000


def _data(n=10, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(800) / SR
    y = np.tile([0, 1], n // 2)
    X = np.stack([np.sin(2 * np.pi * (250 + 200 * c) * t + rng.uniform(0, 6)) for c in y])
    return X + 0.4 * rng.normal(size=X.shape), y


def _front(**kw):
    # one batch holds every recording, so weights and repeats meet the same loss
    params = dict(sample_rate=SR, n_filters=4, kernel_size=31, max_epochs=3, batch_size=64, learning_rate=0.05,
                  random_state=0)
    params.update(kw)
    return SincFrontend(**params)


@pytest.mark.parametrize("head", ["linear", "temporal"])
def test_integer_weights_equal_repeated_recordings(head):
    X, y = _data()
    w = np.array([3, 1, 2, 1, 1, 1, 1, 1, 2, 1])
    weighted = _front(learning_head=head).fit(X, y, sample_weight=w)
    repeated = _front(learning_head=head).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.bands_, repeated.bands_, rtol=1e-4)
    np.testing.assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-4)
    unweighted = _front(learning_head=head).fit(X, y)
    assert np.abs(unweighted.bands_ - weighted.bands_).max() > 1e-2  # the weights did something


@pytest.mark.parametrize("head", ["linear", "temporal"])
def test_zero_weight_removes_a_recording(head):
    X, y = _data()
    w = np.ones(len(y))
    w[[2, 7]] = 0
    weighted = _front(learning_head=head).fit(X, y, sample_weight=w)
    removed = _front(learning_head=head).fit(np.delete(X, [2, 7], axis=0), np.delete(y, [2, 7]))
    np.testing.assert_allclose(weighted.bands_, removed.bands_, rtol=1e-4)


def test_temporal_head_channel_standardisation_is_the_weighted_moments_of_the_initial_frames():
    import torch

    from sklearn_wavefront.networks.heads import TemporalConvHead

    X, _ = _data()
    w = np.array([3, 1, 2, 1, 1, 1, 1, 1, 2, 1], dtype=np.float64)
    front = _front(learning_head="temporal")
    fb = front.fit(X).filterbank_.float()  # the initial filters
    head = TemporalConvHead(fb.n_outputs, 2, block_norm=None)
    front._fix_channel_standardisation(head, fb, X, torch.as_tensor(w, dtype=torch.float32), torch.device("cpu"))
    # float64 re-derivation: per-recording standardisation over channels and frames, then the
    # weighted mean and (population) variance of each channel over recordings and frames
    with torch.no_grad():
        Z = fb.double()(torch.as_tensor(X)).numpy()  # (n, C, T)
    U = (Z - Z.mean(axis=(1, 2), keepdims=True)) / Z.std(axis=(1, 2), keepdims=True)
    share = (w / w.sum())[:, None, None]
    mean = (share * U).sum(axis=0).mean(axis=-1)
    var = (share * U**2).sum(axis=0).mean(axis=-1) - mean**2
    bn = head.norm[1]
    np.testing.assert_allclose(bn.running_mean.numpy(), mean, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.running_var.numpy(), var, rtol=1e-4, atol=1e-5)
    assert not any(p.requires_grad for p in bn.parameters())  # (kept in eval() by _train: the tests above)


@pytest.mark.parametrize("bad, match", [
    (-np.ones(10), "Negative values .*sample_weight"),
    (np.zeros(10), "at least one non-zero"),
    (np.ones(9), r"sample_weight.shape == \(9,\), expected \(10,\)"),
])
def test_bad_weights_are_rejected(bad, match):
    X, y = _data()
    with pytest.raises(ValueError, match=match):
        _front().fit(X, y, sample_weight=bad)


def test_weights_are_routed_through_a_pipeline():
    X, y = _data()
    w = np.linspace(0.5, 2.0, len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = Pipeline([
            ("front", _front().set_fit_request(sample_weight=True)),
            ("clf", LogisticRegression().set_fit_request(sample_weight=True)),
        ]).fit(X, y, sample_weight=w)
    direct = _front().fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(pipe.named_steps["front"].bands_, direct.bands_)


def test_verbose_prints_one_line_per_epoch(capsys):
    X, y = _data()
    CombFrontend(sample_rate=SR, n_filters=4, max_epochs=2, verbose=1, random_state=0).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[0] for line in lines] == ["[CombFrontend] epoch 1/2", "[CombFrontend] epoch 2/2"]
    assert all("loss " in line and line.endswith(" s") for line in lines)
    CombFrontend(sample_rate=SR, n_filters=4, max_epochs=2, random_state=0).fit(X, y)
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match=r"'verbose' parameter of CombFrontend .*Got -1 instead"):
        CombFrontend(verbose=-1).fit(X)


@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs a CUDA device")
def test_learning_on_cuda_matches_the_cpu():
    X, y = _data()
    cpu = _front().fit(X, y)
    gpu = _front(device="cuda").fit(X, y)
    assert next(gpu.filterbank_.parameters()).device.type == "cpu"
    np.testing.assert_allclose(gpu.bands_, cpu.bands_, rtol=1e-3)
    np.testing.assert_allclose(gpu.transform(X), cpu.transform(X), rtol=1e-3, atol=1e-3)
