"""Learning through time: ``TemporalConvHead``, the ``"temporal"`` back-end and ``learning_head="temporal"``."""

import pickle

import numpy as np
import pytest
import torch

from sklearn_wavefront.classifiers import WaveformClassifier
from sklearn_wavefront.frontends import GammatoneFrontend, IConNetFrontend, SincFrontend
from sklearn_wavefront.networks.heads import TemporalConvHead, WaveformNet


def _blocks_output(head, h):
    """The convolution blocks applied to already normalised frames ``h`` (eval mode), before pooling."""
    for i, block in enumerate(head.blocks):
        h = block(h) if i == 0 else h + block(h)
    return h


def test_head_shapes_and_receptive_field():
    torch.manual_seed(0)
    head = TemporalConvHead(6, n_classes=4, channels=8, kernel_size=5, dilations=(1, 2, 4)).eval()
    z = torch.randn(3, 6, 80)
    assert head(z).shape == (3, 4)
    h = _blocks_output(head, z)
    assert h.shape == (3, 8, 80)  # zero padding keeps the frames
    # the normalisation uses the whole recording; the blocks see 29 frames:
    # receptive field 1 + (5 - 1) * (1 + 2 + 4) = 29 frames, 14 on each side
    z2 = z.clone()
    z2[:, :, 40] += 1.0
    changed = (_blocks_output(head, z2) - h).abs().amax(dim=(0, 1)) > 0
    assert torch.nonzero(changed).squeeze(1).tolist() == list(range(40 - 14, 40 + 15))


def test_head_normalises_each_recording_then_each_channel():
    torch.manual_seed(0)
    head = TemporalConvHead(4, n_classes=2).eval()
    z = torch.rand(3, 4, 30) * torch.tensor([1e-4, 1e-2, 1.0, 100.0])[None, :, None]
    # a recording's overall scale is divided out (envelopes of quiet and loud recordings alike)
    torch.testing.assert_close(head(z * torch.tensor([1e-3, 1.0, 1e3])[:, None, None]), head(z), rtol=1e-4, atol=1e-5)
    u = head.norm[0](z)
    ref = (z - z.mean(dim=(1, 2), keepdim=True)) / z.std(dim=(1, 2), correction=0, keepdim=True)
    torch.testing.assert_close(u, ref, rtol=1e-5, atol=1e-5)


def test_head_without_block_norm_is_per_recording_once_channels_are_frozen():
    torch.manual_seed(0)
    head = TemporalConvHead(4, n_classes=3, block_norm=None, dropout=0.0)  # as in the front-ends
    assert not any(isinstance(m, torch.nn.BatchNorm1d) for m in head.blocks.modules())
    head.train()
    head.norm[1].eval()  # as the front-ends' learning_head="temporal" freezes it
    z = torch.randn(5, 4, 40)
    torch.testing.assert_close(head(z)[:2], head(z[:2]))  # a recording's logits ignore the others
    with_bn = TemporalConvHead(4, n_classes=3, dropout=0.0).train()
    assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in with_bn.blocks.modules()) == 3
    assert not torch.allclose(with_bn(z)[:2], with_bn(z[:2]))  # batch statistics: the batch matters


def test_head_gradcheck_float64():
    torch.manual_seed(0)
    head = TemporalConvHead(3, n_classes=2, channels=4, kernel_size=3, dilations=(1, 2)).double().eval()
    z = torch.randn(2, 3, 12, dtype=torch.float64, requires_grad=True)
    names = [n for n, _ in head.named_parameters()]
    params = [p.detach().clone().requires_grad_(True) for p in head.parameters()]

    def f(z, *ps):  # the logits as a function of the input and every learnable parameter
        return torch.func.functional_call(head, dict(zip(names, ps)), (z,))

    assert torch.autograd.gradcheck(f, (z, *params))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"kernel_size": 4}, "kernel_size must be odd"),
        ({"dilations": (1, 0)}, "dilations"),
        ({"channels": 0}, "channels"),
        ({"dropout": 1.0}, "dropout"),
        ({"block_norm": "layer"}, "block_norm='layer'"),
    ],
)
def test_head_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TemporalConvHead(4, 2, **kwargs)


def test_head_refuses_one_value_per_channel_in_training():
    head = TemporalConvHead(4, 2)
    with pytest.raises(ValueError, match="one recording of one frame"):
        head(torch.randn(1, 4, 1))
    assert head.eval()(torch.randn(1, 4, 1)).shape == (1, 2)


def _burst_order(n_per_class=12, sr=4000, n=4000, seed=0):
    """Two tone bursts (500 Hz, 1500 Hz) in either order: the same spectrum and the same per-band
    mean and std, so only the time order tells the classes apart."""
    rng = np.random.default_rng(seed)
    t = np.arange(n // 2) / sr
    a, b = np.sin(2 * np.pi * 500 * t), np.sin(2 * np.pi * 1500 * t)
    X, y = [], []
    for label, (first, second) in (("low-high", (a, b)), ("high-low", (b, a))):
        for _ in range(n_per_class):
            X.append(np.concatenate([first, second]) + 0.05 * rng.normal(size=n))
            y.append(label)
    return np.asarray(X), np.asarray(y)


def test_temporal_learning_head_learns_time_order_the_linear_one_cannot():
    X, y = _burst_order()
    kw = dict(sample_rate=4000, n_filters=6, kernel_size=31, stride=40, max_epochs=15, batch_size=8,
              random_state=0)
    linear = IConNetFrontend(learning_head="linear", **kw).fit(X, y)
    temporal = IConNetFrontend(learning_head="temporal", **kw).fit(X, y)
    # per-band mean/std are (almost) equal across the classes: the linear head stays near log(2)
    assert min(linear.loss_curve_) > 0.5
    assert temporal.loss_curve_[-1] < 0.1
    assert len(temporal.loss_curve_) == 15 and temporal.n_iter_ == 15


def test_temporal_learning_head_moves_filters_deterministically():
    X, y = _burst_order(n_per_class=6)
    kw = dict(sample_rate=4000, n_filters=4, kernel_size=31, stride=40, max_epochs=2, batch_size=4,
              learning_rate=0.05, learning_head="temporal")
    initial = SincFrontend(**kw).fit(X)
    state = torch.random.get_rng_state()
    a = SincFrontend(random_state=0, **kw).fit(X, y)
    assert torch.equal(state, torch.random.get_rng_state())  # torch's global generator untouched
    b = SincFrontend(random_state=0, **kw).fit(X, y)
    assert np.max(np.abs(a.bands_ - initial.bands_)) > 0.1
    np.testing.assert_array_equal(a.bands_, b.bands_)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    c = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(c.transform(X), a.transform(X))


def test_learning_head_is_validated():
    with pytest.raises(ValueError, match=r"'learning_head' parameter of GammatoneFrontend .*Got 'conv' instead"):
        GammatoneFrontend(sample_rate=4000, n_filters=4, kernel_size=64, learning_head="conv").fit(np.zeros((2, 400)))


def test_waveform_net_temporal_backend():
    net = WaveformNet("gammatone", n_classes=3, sample_rate=4000, n_filters=5, backend="temporal",
                      frontend_kwargs={"kernel_size": 64})
    assert isinstance(net.head, TemporalConvHead)
    assert net(torch.randn(2, 2000)).shape == (2, 3)


def test_waveform_classifier_temporal_backend_learns_time_order():
    X, y = _burst_order(n_per_class=8)
    clf = WaveformClassifier(frontend="iconnet", backend="temporal", sample_rate=4000, n_filters=6,
                             frontend_kwargs={"kernel_size": 31, "stride": 40}, max_epochs=15, lr=0.01,
                             batch_size=8, random_state=0, train_split=None, device="cpu")  # refits are
    # bit-identical on the CPU only (the docstring's promise; CUDA convolution backwards add in any order)
    clf.fit(X.astype(np.float32), y)
    assert (clf.predict(X.astype(np.float32)) == y).mean() == 1.0
    again = WaveformClassifier(**clf.get_params()).fit(X.astype(np.float32), y)
    np.testing.assert_array_equal(again.predict_proba(X.astype(np.float32)), clf.predict_proba(X.astype(np.float32)))


def test_waveform_classifier_temporal_backend_refuses_sample_weight():
    X, y = _burst_order(n_per_class=2)
    for kw in ({"backend": "temporal"}, {"module__backend": "temporal"}):
        clf = WaveformClassifier(frontend="mel", sample_rate=4000, n_filters=8, max_epochs=1,
                                 frontend_kwargs={"n_fft": 128, "hop_length": 64}, **kw)
        with pytest.raises(ValueError, match="sample_weight is not supported with backend='temporal'"):
            clf.fit(X.astype(np.float32), y, sample_weight=np.ones(len(y)))


needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@needs_cuda
def test_temporal_learning_head_on_cuda_matches_the_cpu():
    X, y = _burst_order(n_per_class=6)
    # one epoch (3 Adam steps): over more epochs at this rate float32 rounding differences between the
    # devices grow (an H200 run: 3 epochs ended 0.7 % apart in loss)
    kw = dict(sample_rate=4000, n_filters=4, kernel_size=31, stride=40, max_epochs=1, batch_size=4,
              learning_rate=0.05, learning_head="temporal", random_state=0)
    cpu = IConNetFrontend(**kw).fit(X, y)
    state = torch.cuda.get_rng_state()
    gpu = IConNetFrontend(device="cuda", **kw).fit(X, y)
    assert torch.equal(state, torch.cuda.get_rng_state())  # no draw from the CUDA generator
    # the same draws and the same arithmetic up to float32 rounding
    np.testing.assert_allclose(gpu.loss_curve_, cpu.loss_curve_, rtol=1e-4)
    np.testing.assert_allclose(gpu.bands_, cpu.bands_, atol=0.5)  # Hz; the bands moved by ~70 Hz
    assert np.abs(cpu.bands_ - IConNetFrontend(**kw).fit(X).bands_).max() > 10.0


@needs_cuda
def test_waveform_classifier_temporal_backend_on_cuda_pickles_to_the_cpu():
    X, y = _burst_order(n_per_class=8)
    X = X.astype(np.float32)
    clf = WaveformClassifier(frontend="iconnet", backend="temporal", sample_rate=4000, n_filters=6,
                             frontend_kwargs={"kernel_size": 31, "stride": 40}, max_epochs=10, lr=0.01,
                             batch_size=8, random_state=0, device="cuda").fit(X, y)
    assert (clf.predict(X) == y).mean() == 1.0
    on_gpu = clf.predict_proba(X)
    np.testing.assert_allclose(pickle.loads(pickle.dumps(clf)).predict_proba(X), on_gpu, atol=1e-6)
    import copy

    xt = torch.from_numpy(X)
    with torch.no_grad():
        clf.module_.eval()
        on_cuda = clf.module_(xt.cuda()).double().cpu()
        on_cpu = copy.deepcopy(clf.module_).cpu()(xt).double()
    torch.testing.assert_close(on_cuda, on_cpu, rtol=1e-3, atol=1e-3)
