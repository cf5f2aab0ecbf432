"""Regressions found by reviewing the product paths: saved models, class-weighted losses, lists."""

import pickle
import warnings

import numpy as np
import pytest
import torch

from sklearn_wavefront import CombFrontend, MelFrontend, WaveformClassifier

SR = 4000


def _tones(n=12, length=800, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(length) / SR
    y = np.tile([0, 1], n // 2)
    X = np.stack([np.sin(2 * np.pi * (300 + 300 * c) * t) for c in y]) + 0.3 * rng.normal(size=(n, length))
    return X.astype(np.float32), y


def _clf(**kw):
    return WaveformClassifier(frontend="mel", frontend_kwargs={"n_fft": 128, "hop_length": 64}, sample_rate=SR,
                              n_filters=4, max_epochs=1, batch_size=4, random_state=0, device="cpu", **kw)


def test_a_front_end_saved_before_a_parameter_existed_still_loads():
    X, _ = _tones()
    front = CombFrontend(sample_rate=SR, n_filters=4).fit(X)
    state = dict(front.__getstate__())
    del state["device"], state["precision"]  # as pickled by a version without these parameters
    old = CombFrontend.__new__(CombFrontend)
    old.__setstate__(state)
    assert old.device == "cpu" and old.precision == "float32"
    np.testing.assert_array_equal(old.transform(X), front.transform(X))


def test_a_classifier_saved_for_cuda_predicts_on_a_cpu_only_machine():
    if torch.cuda.is_available():
        pytest.skip("needs a machine without CUDA")
    X, y = _tones()
    clf = _clf().fit(X, y)
    clf.__dict__["_device_requested_"] = "cuda"  # as saved by `wavefront fit --device cuda`
    blob = pickle.dumps(clf)
    with pytest.warns(UserWarning, match="saved with device='cuda', but CUDA is not available"):
        back = pickle.loads(blob)
    assert back.get_params()["device"] == "cpu"
    clf.__dict__["_device_requested_"] = "cpu"
    np.testing.assert_allclose(back.predict_proba(X), clf.predict_proba(X), rtol=1e-6)


def test_all_ones_sample_weight_leaves_a_class_weighted_loss_unchanged():
    X, y = _tones()
    cw = torch.tensor([1.0, 3.0])
    plain = _clf(criterion__weight=cw, classes=[0, 1]).initialize()
    Xt = torch.as_tensor(X)
    yt = torch.as_tensor(y)
    y_pred = plain.module_(Xt)
    unweighted = plain.get_loss(y_pred, yt, X=Xt)
    weighted = plain.get_loss(y_pred, yt, X={"X": Xt, "sample_weight": torch.ones(len(y))})
    torch.testing.assert_close(weighted, unweighted)
    # and weights 2 on every sample are the same loss again (a weighted mean)
    doubled = plain.get_loss(y_pred, yt, X={"X": Xt, "sample_weight": 2 * torch.ones(len(y))})
    torch.testing.assert_close(doubled, unweighted)


def test_a_list_of_recordings_of_one_other_length_is_transformed():
    X, _ = _tones()
    front = MelFrontend(sample_rate=SR, n_filters=8, n_fft=128, hop_length=64).fit(X)
    longer = [np.r_[x, x[:100]] for x in X[:3]]  # all 900 samples, fit saw 800
    rows = front.transform(longer)
    np.testing.assert_array_equal(rows[1], front.transform([longer[1]])[0])
    with pytest.raises(ValueError, match="X has 900 features"):  # arrays keep the fixed width
        front.transform(np.stack(longer))


def test_unused_labels_of_the_wrong_length_are_an_error():
    X, y = _tones()
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples: \[12, 11\]"):
        MelFrontend(sample_rate=SR, n_filters=8, n_fft=128, hop_length=64).fit(X, y[:-1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MelFrontend(sample_rate=SR, n_filters=8, n_fft=128, hop_length=64).fit(X, y)


def test_dropout_generators_survive_a_load_that_maps_tensors_to_another_device():
    """skorch loads a model saved for CUDA with ``torch.load(map_location="cuda")``; a plain
    ``torch.Generator`` inside the module (the dropout masks' one) pickles its state as a tensor,
    which the map moved, and the load failed (seen on a GPU machine). ``map_location="meta"``
    moves every tensor the same way on a CPU-only machine."""
    import io

    from sklearn_wavefront._random import GeneratorDropout

    X, y = _tones()
    clf = _clf(module__hidden=(8, 8), module__dropout=0.5).fit(X, y)
    drops = [m for m in clf.module_.modules() if isinstance(m, GeneratorDropout)]
    assert len(drops) >= 2 and all(d.generator is drops[0].generator for d in drops)
    buf = io.BytesIO()
    torch.save(clf.module_, buf)
    buf.seek(0)
    loaded = torch.load(buf, map_location="meta", weights_only=False)
    loaded_drops = [m for m in loaded.modules() if isinstance(m, GeneratorDropout)]
    assert next(loaded.parameters()).device.type == "meta"  # the map did move the tensors
    generator = loaded_drops[0].generator
    assert generator.device.type == "cpu" and all(d.generator is generator for d in loaded_drops)
    torch.testing.assert_close(torch.rand(5, generator=generator), torch.rand(5, generator=drops[0].generator))
    # and the whole classifier pickles and predicts the same after the round trip
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X), clf.predict_proba(X))
