"""MiniRocketHead: estimator checks, the written shape rules, a float64 re-derivation, aeon agreement."""

import math
import warnings
from itertools import combinations

import numpy as np
import pytest
import torch
from sklearn.linear_model import RidgeClassifierCV
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_wavefront import MelFrontend, MiniRocketHead
from sklearn_wavefront.temporal import FrameStatistics, MiniRocketModule, minirocket_kernel_indices


@parametrize_with_checks([MiniRocketHead(n_kernels=168, random_state=0), FrameStatistics()])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _series(n=12, c=3, t=40, seed=0):
    return np.random.default_rng(seed).normal(size=(n, c, t))


# -- the written rules ------------------------------------------------------------------------------
def test_kernels_are_the_84_three_subsets():
    idx = minirocket_kernel_indices()
    assert [tuple(r) for r in idx] == list(combinations(range(9), 3))
    head = MiniRocketHead(n_kernels=84, random_state=0).fit(_series())
    np.testing.assert_array_equal(head.kernel_indices_, idx)


@pytest.mark.parametrize(
    "length, n_features, max_dil, dilations, per_dilation",
    [
        # per_kernel 4, m = 4: floor(2 ** linspace(0, 1, 4)) = 1, 1, 1, 2 -> counts 3, 1
        (17, 336, 32, [1, 2], [3, 1]),
        # per_kernel 5, m = 2: 2 ** [0, 1] -> counts 1, 1 -> floor(5 / 2) = 2 each, one left to d = 1
        (17, 420, 2, [1, 2], [3, 2]),
        # series shorter than 9 frames are padded to 9: only dilation 1
        (5, 168, 32, [1], [2]),
        (9, 168, 32, [1], [2]),
    ],
)
def test_dilations_follow_the_rule(length, n_features, max_dil, dilations, per_dilation):
    X = _series(n=6, c=2, t=length)
    head = MiniRocketHead(n_kernels=n_features, max_dilations_per_kernel=max_dil, random_state=0).fit(X)
    np.testing.assert_array_equal(head.dilations_, dilations)
    np.testing.assert_array_equal(head.n_features_per_dilation_, per_dilation)
    Z = head.transform(X)
    assert Z.shape == (6, 84 * (n_features // 84))
    assert Z.dtype == np.float32


@pytest.mark.parametrize("length", [9, 10, 40, 101, 200])
def test_default_shapes_and_largest_dilation(length):
    head = MiniRocketHead(random_state=0).fit(_series(n=3, c=2, t=length))
    assert head.transform(_series(n=2, c=2, t=length, seed=1)).shape == (2, 9996)
    assert int(head.n_features_per_dilation_.sum()) == 119
    assert len(head.get_feature_names_out()) == 9996
    # the largest dilation leaves at least one valid output position: L - 8 d >= 1
    assert length - 8 * head.dilations_.max() >= 1
    expected_max = math.floor(2 ** max(math.log2((length - 1) / 8), 0))
    assert head.dilations_.max() == expected_max
    assert head.channel_masks_.shape == (len(head.dilations_), 84, 2)
    assert head.quantiles_.shape == (9996,)


def test_channel_counts_follow_the_rule():
    head = MiniRocketHead(n_kernels=84 * 20, random_state=0).fit(_series(n=5, c=16, t=64))
    counts = head.channel_masks_.sum(-1)
    # floor(2 ** u), u ~ U(0, log2(min(16, 9) + 1)): from 1 to 9 channels, 1 the most frequent
    assert counts.min() == 1 and counts.max() <= 9
    assert set(np.unique(head.channel_masks_)) == {0.0, 1.0}
    head1 = MiniRocketHead(n_kernels=84 * 4, random_state=0).fit(_series(n=5, c=1, t=64))
    assert (head1.channel_masks_ == 1).all()


def test_quantiles_low_discrepancy():
    head = MiniRocketHead(n_kernels=168, random_state=0).fit(_series())
    i = np.arange(1, 169)
    np.testing.assert_allclose(head.quantiles_, (i * (1 + 5**0.5) / 2) % 1)


def test_flattened_frames_equal_three_d_input():
    X = _series(n=7, c=4, t=30)
    a = MiniRocketHead(n_kernels=336, random_state=3).fit(X)
    b = MiniRocketHead(n_kernels=336, n_channels=4, random_state=3).fit(X.reshape(7, -1))
    np.testing.assert_array_equal(a.transform(X), b.transform(X.reshape(7, -1)))
    np.testing.assert_array_equal(a.transform(X), a.transform(X.reshape(7, -1)))
    assert (a.n_channels_, a.n_frames_, a.n_features_in_) == (4, 30, 120)


def test_frontend_frames_layout():
    """A front-end's flattened frames, read back as (channels, frames), are the series the head sees."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 2000))
    front = MelFrontend(sample_rate=8000, n_filters=8, n_fft=128, hop_length=64, output="frames").fit(X)
    F = front.transform(X)
    Z3 = F.reshape(6, 8, front.n_frames_)
    head = MiniRocketHead(n_kernels=168, n_channels=8, random_state=0).fit(F)
    np.testing.assert_array_equal(head.transform(F), head.transform(Z3))
    assert head.n_frames_ == front.n_frames_


def test_batch_size_does_not_change_features():
    X = _series(n=10, c=3, t=50)
    a = MiniRocketHead(n_kernels=336, batch_size=256, random_state=0).fit(X).transform(X)
    b = MiniRocketHead(n_kernels=336, batch_size=3, random_state=0).fit(X).transform(X)
    np.testing.assert_array_equal(a, b)


def test_deterministic_with_random_state_and_different_across_seeds():
    X = _series(n=10, c=5, t=50)
    a = MiniRocketHead(n_kernels=336, random_state=1).fit(X)
    b = MiniRocketHead(n_kernels=336, random_state=1).fit(X)
    c = MiniRocketHead(n_kernels=336, random_state=2).fit(X)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    np.testing.assert_array_equal(a.channel_masks_, b.channel_masks_)
    assert not np.array_equal(a.channel_masks_, c.channel_masks_)
    assert not np.array_equal(a.bias_examples_, c.bias_examples_)
    assert not np.allclose(a.transform(X), c.transform(X))


# -- float64 re-derivation from the definition ----------------------------------------------------------
def _reference_feature(head, x, i, k, j):
    """PPV of feature (dilation index i, kernel k, j-th) of series x (C, L), in float64 numpy."""
    d = int(head.dilations_[i])
    w = -np.ones(9)
    w[head.kernel_indices_[k]] = 2.0
    dilated = np.zeros(8 * d + 1)
    dilated[::d] = w
    channels = np.flatnonzero(head.channel_masks_[i, k])
    L = x.shape[1]
    padded = (i + k) % 2 == 0
    conv = np.zeros(L if padded else L - 8 * d)
    for c in channels:
        xc = np.pad(x[c], 4 * d) if padded else x[c]
        conv += np.correlate(xc, dilated, mode="valid")  # sum_j w_j x[t + (j - 4) d]
    return conv, float(np.mean(conv > head.biases_[i][k, j]))


def _column(head, i, k, j):
    n_per = head.n_features_per_dilation_
    return 84 * int(n_per[:i].sum()) + k * int(n_per[i]) + j


def test_features_equal_float64_rederivation():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(8, 3, 61)).cumsum(-1)  # random walks: few near-ties
    head = MiniRocketHead(n_kernels=84 * 12, random_state=0).fit(X)
    Z = head.transform(X)
    picks = [(i, k, j) for i in range(len(head.dilations_)) for k in (0, 1, 40, 83) for j in range(head.n_features_per_dilation_[i])]
    assert len(picks) >= 40
    diffs = []
    for i, k, j in picks:
        for n in range(X.shape[0]):
            _, ref = _reference_feature(head, X[n], i, k, j)
            diffs.append(abs(Z[n, _column(head, i, k, j)] - ref))
    diffs = np.asarray(diffs)
    # float32 vs float64 can flip a comparison where conv is within rounding of the bias (one position)
    assert (diffs == 0).mean() > 0.99
    assert diffs.max() <= 1.0 / (61 - 8 * head.dilations_.max()) + 1e-6


def test_biases_are_quantiles_of_the_bias_series():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(9, 2, 45)).cumsum(-1)
    head = MiniRocketHead(n_kernels=84 * 6, random_state=4).fit(X)
    for i in range(len(head.dilations_)):
        for k in (0, 7, 50, 83):
            e = head.bias_examples_[i, k]
            conv, _ = _reference_feature(head, X[e], i, k, 0)
            for j in range(head.n_features_per_dilation_[i]):
                q = head.quantiles_[_column(head, i, k, j)]
                np.testing.assert_allclose(head.biases_[i][k, j], np.quantile(conv, q), rtol=1e-4, atol=1e-4)
                # so the series that gave the bias has PPV close to 1 - q
                ppv = head.transform(X[e : e + 1])[0, _column(head, i, k, j)]
                assert abs(ppv - (1 - q)) <= 1.0 / len(conv) + 1e-6


def test_kernels_ignore_a_constant_offset():
    X = _series(n=6, c=2, t=40)
    head = MiniRocketHead(n_kernels=336, random_state=0).fit(X)
    # valid (unpadded) kernels see no padding: weights sum to zero, so an offset changes nothing there
    Z0, Z1 = head.transform(X), head.transform(X + 3.0)
    valid = np.concatenate(
        [
            np.repeat((np.arange(84) + i) % 2 == 1, m)
            for i, m in enumerate(head.n_features_per_dilation_)
        ]
    )
    np.testing.assert_allclose(Z0[:, valid], Z1[:, valid], atol=1.0 / 40 + 1e-6)


# -- errors -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_kernels": 83}, r"'n_kernels' parameter of MiniRocketHead must be an int in the range \[84, inf\)\. Got 83"),
        ({"n_features": 83}, r"'n_features' parameter of MiniRocketHead must be an int in the range \[84, inf\)\. Got 83"),
        ({"max_dilations_per_kernel": 0}, r"'max_dilations_per_kernel' parameter of MiniRocketHead .*Got 0 instead"),
        ({"batch_size": 0}, r"'batch_size' parameter of MiniRocketHead .*Got 0 instead"),
        ({"n_channels": 0}, r"'n_channels' parameter of MiniRocketHead .*Got 0 instead"),
        ({"device": "gpu0"}, "device='gpu0'"),
    ],
)
def test_bad_parameters_are_named(params, match):
    with pytest.raises(ValueError, match=match):
        MiniRocketHead(**params).fit(_series())


def test_n_features_is_a_deprecated_alias_of_n_kernels():
    """aeon's name is n_kernels; the old n_features still works, warns, and cannot disagree with it."""
    X = _series()
    ref = MiniRocketHead(n_kernels=168, random_state=0).fit(X).transform(X)
    with pytest.warns(FutureWarning, match=r"'n_features' was renamed 'n_kernels'.*n_kernels=168"):
        old = MiniRocketHead(n_features=168, random_state=0).fit(X)
    assert old.transform(X).shape == (X.shape[0], 168)  # the alias's value is used, not the default 10000
    np.testing.assert_array_equal(old.transform(X), ref)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new name alone: no warning
        MiniRocketHead(n_kernels=168, random_state=0).fit(X)
    with pytest.raises(ValueError, match=r"both n_kernels=168 and its deprecated alias n_features=252"):
        MiniRocketHead(n_kernels=168, n_features=252).fit(X)
    assert MiniRocketHead().get_params()["n_features"] == "deprecated"


def test_head_pickled_before_the_rename_loads_with_n_kernels():
    import pickle

    from sklearn.base import clone

    X = _series()
    head = MiniRocketHead(n_kernels=168, random_state=0).fit(X)
    state = head.__getstate__()
    state["n_features"] = state.pop("n_kernels")  # what an earlier version pickled
    old = MiniRocketHead.__new__(MiniRocketHead)
    old.__setstate__(state)
    loaded = pickle.loads(pickle.dumps(old))
    assert loaded.get_params()["n_kernels"] == 168 and loaded.get_params()["n_features"] == "deprecated"
    np.testing.assert_array_equal(loaded.transform(X), head.transform(X))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # refitting the loaded head needs no deprecated alias
        np.testing.assert_array_equal(clone(loaded).fit(X).transform(X), head.transform(X))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message when CUDA is absent")
def test_cuda_absent_is_a_clear_error():
    with pytest.raises(ValueError, match="CUDA is not available"):
        MiniRocketHead(device="cuda").fit(_series())


def test_shape_mismatches_are_explained():
    X = _series(n=5, c=3, t=20)
    with pytest.raises(ValueError, match="3 channels .* n_channels=4"):
        MiniRocketHead(n_channels=4).fit(X)
    with pytest.raises(ValueError, match="not a multiple of n_channels=7"):
        MiniRocketHead(n_channels=7).fit(X.reshape(5, -1))
    head = MiniRocketHead(n_kernels=84, random_state=0).fit(X)
    with pytest.raises(ValueError, match="n_channels_"):
        head.transform(_series(n=2, c=2, t=20))
    with pytest.raises(ValueError, match="21 frames"):
        head.transform(_series(n=2, c=3, t=21))


def test_pipeline_and_pandas_output():
    pd = pytest.importorskip("pandas")
    X = _series(n=8, c=2, t=30).reshape(8, -1)
    head = MiniRocketHead(n_kernels=168, n_channels=2, random_state=0).set_output(transform="pandas")
    out = head.fit_transform(X)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(head.get_feature_names_out())
    assert out.columns[0] == "ppv_d1_k00_0"


# -- the differentiable relaxation ----------------------------------------------------------------------
def test_soft_ppv_tends_to_ppv():
    X = np.random.default_rng(2).normal(size=(6, 2, 40)).cumsum(-1)
    head = MiniRocketHead(n_kernels=336, random_state=0).fit(X)
    x = torch.tensor(X, dtype=torch.float64)
    m = head.module_.double()
    hard = m(x).numpy()
    soft = m(x, temperature=1e-6).numpy()
    assert np.mean(np.abs(hard - soft) < 1e-3) > 0.99
    warm = m(x, temperature=1.0).numpy()
    assert np.abs(hard - warm).max() > 0.05  # a real relaxation, not the step
    np.testing.assert_allclose(hard, head.transform(X), atol=1.0 / 40 + 1e-6)


def test_soft_ppv_gradcheck():
    X = np.random.default_rng(3).normal(size=(2, 2, 20))
    head = MiniRocketHead(n_kernels=84, random_state=0).fit(X)
    m = head.module_.double()
    x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: m(v, temperature=0.5), (x,), eps=1e-6, atol=1e-5)
    assert not m(x).requires_grad  # the hard PPV is a step function: no gradient is pretended


def test_module_rejects_wrong_shapes():
    head = MiniRocketHead(n_kernels=84, random_state=0).fit(_series(n=4, c=2, t=20))
    assert isinstance(head.module_, MiniRocketModule)
    with pytest.raises(ValueError, match=r"\(batch, 2, 20\)"):
        head.module_(torch.zeros(1, 3, 20))


# -- agreement with aeon ------------------------------------------------------------------------------
def _motif_data(n_per_class=40, c=3, t=64, noise=1.2, seed=0):
    """Two classes of a short motif (rise-then-fall vs fall-then-rise) at a random time on channel 1,
    with a weaker copy on channel 2, in Gaussian noise."""
    rng = np.random.default_rng(seed)
    motif = np.concatenate([np.linspace(0, 1, 6), np.linspace(1, -1, 8), np.linspace(-1, 0, 6)])
    X, y = [], []
    for label in (0, 1):
        for _ in range(n_per_class):
            x = rng.normal(scale=noise, size=(c, t))
            start = rng.integers(0, t - motif.size)
            m = motif if label == 0 else motif[::-1]
            x[1, start : start + motif.size] += 2 * m
            x[2, start : start + motif.size] += m
            X.append(x)
            y.append(label)
    return np.asarray(X), np.asarray(y)


@pytest.mark.slow  # ~17 s, mostly numba compiling aeon's kernels
def test_accuracy_agrees_with_aeon_minirocket():
    aeon_conv = pytest.importorskip("aeon.transformations.collection.convolution_based")
    X, y = _motif_data()
    ours, theirs = [], []
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(X[:, 0, 0], y):
        for make, acc in (
            (lambda: MiniRocketHead(n_kernels=2016, random_state=0), ours),
            (lambda: aeon_conv.MiniRocket(n_kernels=2016, random_state=0), theirs),
        ):
            pipe = make_pipeline(make(), RidgeClassifierCV(alphas=np.logspace(-3, 3, 10)))
            acc.append(pipe.fit(X[train], y[train]).score(X[test], y[test]))
    ours, theirs = np.mean(ours), np.mean(theirs)
    # the task is neither trivial nor hopeless for the reference, and we are within noise of it:
    # 80 test recordings in all, so one standard error of an accuracy near 0.8 is ~0.045
    assert 0.6 < theirs < 0.99, theirs
    assert abs(ours - theirs) <= 0.1, (ours, theirs)


def test_docstring_examples_run():
    import doctest

    import sklearn_wavefront.temporal as temporal

    result = doctest.testmod(temporal, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 8 and result.failed == 0


def test_bias_convolution_is_the_diagonal_of_the_full_one():
    X = _series(n=84, c=3, t=30, seed=9)
    head = MiniRocketHead(n_kernels=168, random_state=0).fit(X[:5])
    x = torch.tensor(X, dtype=torch.float32)
    for i in range(len(head.dilations_)):
        full = head.module_.convolve(x, i)  # (84 series, 84 kernels, L)
        own = head.module_.convolve_own(x, i)
        np.testing.assert_allclose(own.numpy(), full[torch.arange(84), torch.arange(84)].numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_features_equal_the_cpu_features():
    X = _series(n=10, c=4, t=64)
    cpu = MiniRocketHead(n_kernels=168, random_state=0).fit(X)
    gpu = MiniRocketHead(n_kernels=168, random_state=0, device="cuda").fit(X)
    # the biases are quantiles of convolution outputs: equal up to float32 rounding on either device
    for b_gpu, b_cpu in zip(gpu.biases_, cpu.biases_, strict=True):
        np.testing.assert_allclose(b_gpu, b_cpu, rtol=1e-4, atol=1e-5)
    # proportions of positive values: a value at a bias may flip one of the 64 positions
    np.testing.assert_allclose(gpu.transform(X), cpu.transform(X), atol=1.5 / 64)


# -- FrameStatistics ---------------------------------------------------------------------------------
def test_frame_statistics_equal_numpy_on_the_reshaped_frames():
    S = _series(n=6, c=5, t=33, seed=3) * np.arange(1, 6)[None, :, None] + np.arange(5)[None, :, None]
    flat = S.reshape(6, -1)  # column c * n_frames + t, the front-ends' output="frames" layout
    out = FrameStatistics(n_channels=5).fit(flat).transform(flat)
    assert out.shape == (6, 2 * 5) and out.dtype == np.float64
    for i in range(6):
        for c in range(5):
            frames = flat[i, c * 33:(c + 1) * 33]
            assert out[i, c] == pytest.approx(np.mean(frames), rel=1e-12)
            assert out[i, 5 + c] == pytest.approx(np.sqrt(np.mean((frames - frames.mean()) ** 2)), rel=1e-12)
    # 3-D input gives the same; n_channels=None with 2-D input: one channel per row
    np.testing.assert_array_equal(FrameStatistics().fit(S).transform(S), out)
    one = FrameStatistics().fit_transform(flat)
    np.testing.assert_allclose(one, np.column_stack([flat.mean(axis=1), flat.std(axis=1)]))
    # float32 frames (the front-ends' dtype) give float64 statistics of the same values
    np.testing.assert_allclose(FrameStatistics(n_channels=5).fit_transform(flat.astype(np.float32)), out, rtol=1e-5)


def test_frame_statistics_of_frontend_frames_equal_its_statistics_output():
    X = np.random.default_rng(0).normal(size=(4, 2000))
    kw = dict(sample_rate=4000, n_filters=6, n_fft=128, hop_length=40)
    frames = MelFrontend(output="frames", **kw).fit(X).transform(X)
    stats = MelFrontend(output="statistics", **kw).fit(X).transform(X)
    np.testing.assert_allclose(FrameStatistics(n_channels=6).fit_transform(frames), stats, rtol=1e-6, atol=1e-9)


def test_frame_statistics_shapes_names_and_errors():
    X = _series(n=5, c=3, t=20)
    st = FrameStatistics(n_channels=3).fit(X.reshape(5, -1))
    assert (st.n_channels_, st.n_frames_, st.n_features_in_) == (3, 20, 60)
    assert st.get_feature_names_out().tolist() == ["mean_c0", "mean_c1", "mean_c2", "std_c0", "std_c1", "std_c2"]
    with pytest.raises(ValueError, match="not a multiple of n_channels=7"):
        FrameStatistics(n_channels=7).fit(X.reshape(5, -1))
    with pytest.raises(ValueError, match="3 channels .* n_channels=4"):
        FrameStatistics(n_channels=4).fit(X)
    with pytest.raises(ValueError, match=r"'n_channels' parameter of FrameStatistics .*Got 0 instead"):
        FrameStatistics(n_channels=0).fit(X)
    with pytest.raises(ValueError, match="n_channels_"):
        st.transform(_series(n=2, c=2, t=30))
    with pytest.raises(ValueError, match="60 features"):
        st.transform(np.zeros((2, 61)))
    with pytest.raises(ValueError, match="input_features should have length"):
        st.get_feature_names_out(["a"])


def test_frame_statistics_see_the_steady_level_that_minirocket_ignores():
    """A constant offset of one channel moves its mean only (the head's unpadded kernels ignore it:
    test_kernels_ignore_a_constant_offset)."""
    X = _series(n=8, c=2, t=40)
    shifted = X + np.array([3.0, 0.0])[None, :, None]
    st = FrameStatistics().fit(X)
    diff = st.transform(shifted) - st.transform(X)
    np.testing.assert_allclose(diff, np.tile([3.0, 0.0, 0.0, 0.0], (8, 1)), atol=1e-12)
