"""Temporal heads: features of a front-end's frames that keep their time structure.

A front-end with ``output="frames"`` turns each recording into a multichannel series ``Z`` of shape
``(n_channels, n_frames)`` (one channel per filter). Pooling each channel to a mean and a standard
deviation throws away *when* things happen; a temporal head keeps it. :class:`MiniRocketHead` is the
MiniRocket transform (Dempster, Schmidt and Webb, "MiniRocket: a very fast (almost) deterministic
transform for time series classification", KDD 2021), derived here from the paper's description and
written in batched torch (CPU or CUDA, float32), so that ::

    Pipeline([("front", MelFrontend(output="frames")),
              ("head", MiniRocketHead(n_channels=40)),
              ("clf", RidgeClassifierCV(alphas=np.logspace(-3, 3, 10)))])

is a complete classifier.

**The transform, exactly.** Let ``L`` be the series length (series shorter than 9 frames are
zero-padded at the end to 9 frames, the kernel length).

* *Kernels.* 84 kernels of length 9: weight ``-1`` everywhere except ``2`` at three of the nine
  positions, one kernel per 3-subset of ``{0, ..., 8}`` in lexicographic order (``kernel_indices_``).
  The weights sum to zero, so a kernel ignores a constant offset of its input.
* *Dilations.* ``per_kernel = n_kernels // 84`` features per kernel (the transform returns
  ``84 * per_kernel`` features); ``m = min(per_kernel, max_dilations_per_kernel)`` exponents evenly
  spaced on ``[0, log2((L - 1) / 8)]`` (``[0, 0]`` when ``L < 9``); dilations ``floor(2 ** e)``,
  duplicates merged (``dilations_``). A dilation that appeared ``c`` times gets
  ``floor(c * per_kernel / m)`` features per kernel; the features left over go one each to the
  smallest dilations (``n_features_per_dilation_``).
* *Convolution.* Kernel ``k`` at dilation ``d`` reads ``x[t + (j - 4) d]``, ``j = 0..8`` (a centred
  cross-correlation). It is *padded* (zeros outside the series, output length ``L``) when
  ``(k + dilation index)`` is even, and *valid* otherwise (output positions ``4d .. L - 4d - 1``,
  length ``L - 8d >= 1``).
* *Channels.* Each (dilation, kernel) pair draws ``floor(2 ** u)`` distinct channels,
  ``u ~ Uniform(0, log2(min(n_channels, 9) + 1))``; its output is the sum over those channels of the
  same kernel applied to each (``channel_masks_``). With one channel this is the univariate transform.
* *Biases.* Feature ``i`` (in output order, counted from 1) has quantile ``q_i = frac(i * phi)``,
  ``phi = (1 + sqrt 5) / 2`` (a low-discrepancy sequence). For each (dilation, kernel) pair one
  training series is drawn at random; the biases of the pair's features are the ``q_i``-quantiles
  (linear interpolation) of that series' convolution output (``biases_``).
* *Pooling.* Feature = proportion of positive values (PPV): the fraction of output positions where
  ``conv - bias > 0``.

Output order: dilation (ascending), then kernel, then the pair's features by quantile index; feature
names are ``"ppv_d<dilation>_k<kernel>_<j>"``.

**Input.** ``X`` is either 3-D ``(n_recordings, n_channels, n_frames)`` or the 2-D flattened frames
that the front-ends' ``output="frames"`` produce (column ``c * n_frames + t``), with ``n_channels``
saying how many channels there are (``None``: one channel, i.e. each row is a single series).

**Steady level.** The kernels' weights sum to zero, so PPV features barely see a channel's steady
level (how loud a band is throughout), which is what tells steady tones apart. :class:`FrameStatistics`
gives it back: the mean and standard deviation over time of each channel of the same frames (the
front-ends' ``output="statistics"`` features), to be concatenated with the head's features, e.g. ::

    FeatureUnion([("minirocket", MiniRocketHead(n_channels=40)),
                  ("statistics", FrameStatistics(n_channels=40))])

which is what ``wavefront compare``'s temporal rows do (then ``StandardScaler`` and the ridge).

**Relaxation.** :class:`MiniRocketModule` (the torch module behind the transformer, in
``head.module_``) also computes a *soft* PPV, ``mean_t sigmoid((conv_t - bias) / (temperature * s))``
with ``s`` the standard deviation of the convolution output on the series that gave the biases. It is
differentiable with respect to the input, so that a front-end can learn through the same random
kernels; as ``temperature -> 0`` it tends to the PPV.
"""

from __future__ import annotations

import itertools
import math
from numbers import Integral

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Hidden, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from ._validation import ValidatedParamsMixin, check_device, renamed_parameter

__all__ = ["FrameStatistics", "MiniRocketHead", "MiniRocketModule", "minirocket_kernel_indices"]

KERNEL_LENGTH = 9
_GOLDEN = (1.0 + math.sqrt(5.0)) / 2.0


def minirocket_kernel_indices() -> np.ndarray:
    """Positions of the three weights equal to 2 in each of the 84 MiniRocket kernels.

    Returns
    -------
    indices : ndarray of shape (84, 3)
        Row ``k`` holds the sorted positions (in ``0..8``) of kernel ``k``; rows are the 3-subsets of
        ``{0, ..., 8}`` in lexicographic order.

    Examples
    --------
    >>> from sklearn_wavefront.temporal import minirocket_kernel_indices
    >>> idx = minirocket_kernel_indices()
    >>> idx.shape, idx[0].tolist(), idx[-1].tolist()
    ((84, 3), [0, 1, 2], [6, 7, 8])
    """
    return np.array(list(itertools.combinations(range(KERNEL_LENGTH), 3)), dtype=np.int64)


def _kernel_weights() -> np.ndarray:
    """The 84 kernels as a ``(84, 9)`` array of -1 and 2."""
    w = -np.ones((84, KERNEL_LENGTH))
    idx = minirocket_kernel_indices()
    w[np.arange(84)[:, None], idx] = 2.0
    return w


def _dilations(length: int, per_kernel: int, max_dilations: int):
    """Dilations and features per kernel at each dilation (see the module docstring)."""
    m = min(per_kernel, max_dilations)
    max_exp = max(math.log2((length - 1) / (KERNEL_LENGTH - 1)), 0.0) if length > 1 else 0.0
    raw = np.floor(2.0 ** np.linspace(0.0, max_exp, m)).astype(np.int64)
    dilations, counts = np.unique(raw, return_counts=True)
    n_per = (counts * per_kernel) // m
    left = per_kernel - int(n_per.sum())
    n_per[:left] += 1  # left < len(dilations): sum(counts * per_kernel / m) = per_kernel exactly
    return dilations, n_per


def _row_quantiles(values: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Row-wise linear-interpolation quantiles (numpy's default method): ``q[r]`` of ``values[r]``."""
    s = np.sort(values, axis=1)
    pos = q * (s.shape[1] - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, s.shape[1] - 1)
    frac = pos - lo
    rows = np.arange(s.shape[0])[:, None]
    return s[rows, lo] + frac * (s[rows, hi] - s[rows, lo])


class MiniRocketModule(nn.Module):
    """The fitted MiniRocket transform as a torch module (buffers only, nothing to learn).

    Built by :class:`MiniRocketHead` (``head.module_``); the parameters of the transform are described
    in :mod:`sklearn_wavefront.temporal`.

    Parameters
    ----------
    n_channels : int
        Channels of the input series.
    length : int
        Frames per series (at least 9; the transformer pads shorter series).
    dilations : sequence of int
        Dilations, ascending.
    n_features_per_dilation : sequence of int
        Features per kernel at each dilation.
    channel_masks : array-like of shape (n_dilations, 84, n_channels)
        1 where a channel takes part in the (dilation, kernel) pair, else 0.
    biases : sequence of array-like
        For each dilation, an array of shape ``(84, n_features_per_dilation[i])``.
    scales : array-like of shape (n_dilations, 84)
        Standard deviation of each pair's convolution output on its bias series (used by the soft PPV).

    Examples
    --------
    >>> import numpy as np, torch
    >>> from sklearn_wavefront.temporal import MiniRocketHead
    >>> X = np.random.default_rng(0).normal(size=(5, 2, 30))
    >>> head = MiniRocketHead(n_kernels=168, random_state=0).fit(X)
    >>> z = head.module_(torch.tensor(X, dtype=torch.float32))
    >>> z.shape, bool(np.allclose(z.numpy(), head.transform(X)))
    (torch.Size([5, 168]), True)
    >>> head.module_(torch.tensor(X, dtype=torch.float32), temperature=0.1).shape
    torch.Size([5, 168])
    """

    def __init__(self, n_channels, length, dilations, n_features_per_dilation, channel_masks, biases, scales):
        super().__init__()
        self.n_channels = int(n_channels)
        self.length = int(length)
        self.dilations = [int(d) for d in dilations]
        self.n_features_per_dilation = [int(n) for n in n_features_per_dilation]
        idx = torch.as_tensor(minirocket_kernel_indices())
        self.register_buffer("kernel_indices", idx)
        self.register_buffer("kernel_weights", torch.as_tensor(_kernel_weights(), dtype=torch.float32))
        self.register_buffer("channel_masks", torch.as_tensor(np.asarray(channel_masks), dtype=torch.float32))
        self.register_buffer("scales", torch.as_tensor(np.asarray(scales), dtype=torch.float32))
        for i, b in enumerate(biases):
            self.register_buffer(f"biases_{i}", torch.as_tensor(np.asarray(b), dtype=torch.float32))

    def biases(self, i: int) -> torch.Tensor:
        """Biases ``(84, n_features_per_dilation[i])`` of dilation index ``i``."""
        return getattr(self, f"biases_{i}")

    @property
    def n_features(self) -> int:
        return 84 * sum(self.n_features_per_dilation)

    def padded(self, i: int) -> torch.Tensor:
        """Boolean ``(84,)``: which kernels are padded at dilation index ``i``."""
        return (torch.arange(84, device=self.kernel_indices.device) + i) % 2 == 0

    def convolve(self, x: torch.Tensor, i: int) -> torch.Tensor:
        """Channel-summed convolution outputs ``(batch, 84, L)`` at dilation index ``i``, zero-padded.

        Entries of a valid (unpadded) kernel outside positions ``4d .. L - 4d - 1`` are computed on the
        zero padding; :meth:`forward` discards them.
        """
        d = self.dilations[i]
        # weight[k, c, j] = mask[k, c] * w_k[j]: the same kernel on each chosen channel, summed
        weight = self.channel_masks[i].to(x.dtype).unsqueeze(-1) * self.kernel_weights.to(x.dtype).unsqueeze(1)
        return nn.functional.conv1d(x, weight, dilation=d, padding=4 * d)

    def convolve_own(self, x: torch.Tensor, i: int) -> torch.Tensor:
        """Kernel ``k`` on series ``x[k]`` only: ``(84, L)`` from ``x`` of shape ``(84, n_channels, L)``.

        One grouped convolution (group ``k`` = series ``k``), the diagonal of :meth:`convolve`.
        """
        d = self.dilations[i]
        weight = self.channel_masks[i].to(x.dtype).unsqueeze(-1) * self.kernel_weights.to(x.dtype).unsqueeze(1)
        out = nn.functional.conv1d(x.reshape(1, -1, x.shape[-1]), weight, dilation=d, padding=4 * d, groups=84)
        return out[0]

    def forward(self, x: torch.Tensor, temperature: float | None = None) -> torch.Tensor:
        """Features ``(batch, n_features)`` of ``x`` ``(batch, n_channels, length)``.

        ``temperature=None`` gives the PPV (a step function: the output does not require grad); a positive ``temperature`` gives the
        soft PPV of the module docstring (differentiable with respect to ``x``).
        """
        if x.ndim != 3 or x.shape[1] != self.n_channels or x.shape[2] != self.length:
            raise ValueError(
                f"expected x of shape (batch, {self.n_channels}, {self.length}), got {tuple(x.shape)}"
            )
        L = self.length
        out = []
        for i, d in enumerate(self.dilations):
            C = self.convolve(x, i)
            b = self.biases(i).to(x.dtype)
            pad = self.padded(i)
            parts, kernels = [], []
            for mask, lo, hi in ((pad, 0, L), (~pad, 4 * d, L - 4 * d)):
                c = C[:, mask, lo:hi]  # (batch, k, t)
                bb = b[mask]  # (k, f)
                if temperature is None:  # a step function: no gradient, so none is tracked
                    diff = c.detach().unsqueeze(2) - bb.unsqueeze(-1)  # (batch, k, f, t): reduce over t
                    f = diff.gt_(0).to(x.dtype).mean(-1)  # c - b > 0 exactly when c > b (IEEE, no flush)
                else:
                    s = (self.scales[i][mask].to(x.dtype) * temperature).clamp_min(1e-12)[:, None, None]
                    f = torch.sigmoid((c.unsqueeze(2) - bb.unsqueeze(-1)) / s).mean(-1)
                parts.append(f)
                kernels.append(torch.nonzero(mask).squeeze(1))
            inverse = torch.argsort(torch.cat(kernels))
            feats = torch.cat(parts, dim=1).index_select(1, inverse)
            out.append(feats.reshape(x.shape[0], -1))
        return torch.cat(out, dim=1)


_N_CHANNELS = [Interval(Integral, 1, None, closed="left"), None]


def _is_3d(X) -> bool:
    if sp.issparse(X) or hasattr(X, "iloc"):
        return False
    shape = getattr(X, "shape", None)
    if shape is not None:
        return len(shape) == 3
    return isinstance(X, (list, tuple)) and np.ndim(X) == 3


def _validated_series(est, X, reset: bool, dtype=(np.float32, np.float64)) -> np.ndarray:
    """Validate ``X`` for ``est`` (``n_channels`` parameter, ``n_channels_``/``n_frames_`` once fitted)
    and return its series ``(n, n_channels_, n_frames_)`` in the dtype scikit-learn kept.

    ``X`` is 3-D series or 2-D flattened ``(n_channels, n_frames)`` rows; with ``reset`` the channel
    and frame counts are recorded on ``est``. ``dtype``: kept when ``X`` has one of them, else the first.
    """
    if _is_3d(X):
        X3 = np.asarray(X)
        n, c, t = X3.shape
        expected = est.n_channels if reset else est.n_channels_
        if expected is not None and c != expected:
            name = "n_channels" if reset else "n_channels_ (seen in fit)"
            raise ValueError(f"X has {c} channels (axis 1) but {name}={expected}")
        if not reset and t != est.n_frames_:
            raise ValueError(f"X has {t} frames (axis 2) but n_frames_={est.n_frames_} were seen in fit")
        X2 = validate_data(est, X3.reshape(n, c * t), dtype=list(dtype), reset=reset)
        n_channels = c
    else:
        X2 = validate_data(est, X, dtype=list(dtype), reset=reset)
        n_channels = (est.n_channels or 1) if reset else est.n_channels_
        if X2.shape[1] % n_channels:
            raise ValueError(
                f"X has {X2.shape[1]} columns, not a multiple of n_channels={n_channels}: a 2-D X must hold "
                f"flattened (n_channels, n_frames) series"
            )
    if reset:
        est.n_channels_ = int(n_channels)
        est.n_frames_ = X2.shape[1] // n_channels
    return X2.reshape(X2.shape[0], n_channels, -1)


def _check_input_features(est, input_features):
    """``get_feature_names_out``'s length check of ``input_features`` (otherwise ignored)."""
    if input_features is not None and len(input_features) != est.n_features_in_:
        raise ValueError(
            f"input_features should have length equal to the number of features seen in fit "
            f"({est.n_features_in_}), got {len(input_features)}"
        )


class FrameStatistics(ValidatedParamsMixin, TransformerMixin, BaseEstimator):
    """Mean and standard deviation over time of each channel of multichannel frames.

    Takes the input :class:`MiniRocketHead` takes (the flattened frames of a front-end's
    ``output="frames"``, or 3-D series) and returns, for each channel ``c``, the mean over frames
    (column ``c``) and the population standard deviation (``ddof=0``; column ``n_channels_ + c``):
    the same features as the front-end's ``output="statistics"`` with its default statistics.
    Nothing is learned; ``fit`` records the shapes. Beside MiniRocket features (whose kernels sum to
    zero and so barely see a channel's steady level) it gives a linear head that level.

    Parameters
    ----------
    n_channels : int or None, default=None
        Channels of a 2-D ``X`` whose rows are flattened ``(n_channels, n_frames)`` series (column
        ``c * n_frames + t``). ``None``: a 2-D row is one single-channel series. A 3-D ``X`` carries
        its own channel count, which must equal ``n_channels`` when that is set.

    Attributes
    ----------
    n_features_in_ : int
        Columns of the (flattened) input seen in ``fit``: ``n_channels_ * n_frames_``.
    n_channels_ : int
        Channels per series seen in ``fit``.
    n_frames_ : int
        Frames per series seen in ``fit``.

    See Also
    --------
    MiniRocketHead : The temporal features these statistics complement.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_wavefront.temporal import FrameStatistics
    >>> X = np.array([[1.0, 3.0, 0.0, 0.0],     # channel 0: frames 1, 3; channel 1: frames 0, 0
    ...               [2.0, 2.0, 5.0, 1.0]])
    >>> FrameStatistics(n_channels=2).fit_transform(X)
    array([[2., 0., 1., 0.],
           [2., 3., 0., 2.]])
    >>> FrameStatistics(n_channels=2).fit(X).get_feature_names_out().tolist()
    ['mean_c0', 'mean_c1', 'std_c0', 'std_c1']
    """

    _parameter_constraints: dict = {"n_channels": _N_CHANNELS}

    def __init__(self, n_channels=None):
        self.n_channels = n_channels

    def _series(self, X, reset):
        return _validated_series(self, X, reset, dtype=(np.float64, np.float32))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the number of channels and frames of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_recordings, n_channels, n_frames) or (n_recordings, n_channels * n_frames)
            Training series.
        y : None
            Ignored.

        Returns
        -------
        self : FrameStatistics
        """
        self._series(X, reset=True)
        return self

    def transform(self, X):
        """Per-channel mean and standard deviation over frames.

        Parameters
        ----------
        X : array-like shaped like the ``X`` of ``fit``

        Returns
        -------
        features : ndarray of shape (n_recordings, 2 * ``n_channels_``)
            Means of channels ``0..n_channels_-1``, then their standard deviations (float64).
        """
        check_is_fitted(self, "n_channels_")
        series = self._series(X, reset=False).astype(np.float64, copy=False)
        return np.concatenate([series.mean(axis=2), series.std(axis=2)], axis=1)

    def get_feature_names_out(self, input_features=None):
        """Names ``"mean_c<c>"`` then ``"std_c<c>"`` of the output features.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored apart from a length check.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "n_channels_")
        _check_input_features(self, input_features)
        names = [f"{stat}_c{c}" for stat in ("mean", "std") for c in range(self.n_channels_)]
        return np.asarray(names, dtype=object)


class MiniRocketHead(ValidatedParamsMixin, TransformerMixin, BaseEstimator):
    """MiniRocket features of multichannel frames: random dilated convolutions + PPV pooling.

    The transform of Dempster et al. (2021), described exactly in :mod:`sklearn_wavefront.temporal`,
    for the frames of a front-end (``output="frames"``) or any multichannel series. Computed in float32
    with torch, in batches, on ``device``; the same ``random_state`` gives the same features.

    Parameters
    ----------
    n_kernels : int, default=10000
        Requested number of features (aeon's ``MiniRocket`` calls it ``n_kernels`` too); the transform
        returns ``84 * (n_kernels // 84)`` (at least 84).
    max_dilations_per_kernel : int, default=32
        Most dilations per kernel.
    n_channels : int or None, default=None
        Channels of a 2-D ``X`` whose rows are flattened ``(n_channels, n_frames)`` series (column
        ``c * n_frames + t``, the front-ends' ``output="frames"`` layout): set it to the front-end's
        number of outputs. ``None``: a 2-D row is one single-channel series. A 3-D ``X`` carries its
        own channel count, which must equal ``n_channels`` when that is set.
    batch_size : int, default=64
        Recordings per batch (64 kept the intermediate tensors cache-sized and was fastest of 4-256
        on 32 x 51 mel frames here).
    device : str or torch.device, default="cpu"
        Where to compute (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ... or ``"auto"``: CUDA when available).
    random_state : int, RandomState instance or None, default=None
        Draws the channels of each kernel and the series that give the biases.
    n_features : int, default="deprecated"
        Deprecated alias of ``n_kernels`` (its name before aeon's was adopted): passing it warns
        (``FutureWarning``) and its value is used; passing it with an ``n_kernels`` other than the
        default is an error. It will be removed in 0.3.

    Attributes
    ----------
    n_features_in_ : int
        Columns of the (flattened) input seen in ``fit``: ``n_channels_ * n_frames_``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Defined only when ``X`` had string column names.
    n_channels_ : int
        Channels per series seen in ``fit``.
    n_frames_ : int
        Frames per series seen in ``fit`` (before padding to 9 frames).
    dilations_ : ndarray of shape (n_dilations,)
        Dilations, ascending.
    n_features_per_dilation_ : ndarray of shape (n_dilations,)
        Features per kernel at each dilation.
    kernel_indices_ : ndarray of shape (84, 3)
        Positions of the weights equal to 2 in each kernel.
    channel_masks_ : ndarray of shape (n_dilations, 84, ``n_channels_``)
        Channels of each (dilation, kernel) pair.
    bias_examples_ : ndarray of shape (n_dilations, 84)
        Index (in the training ``X``) of the series that gave each pair's biases.
    biases_ : list of ndarray
        For each dilation, the biases ``(84, n_features_per_dilation_[i])``.
    quantiles_ : ndarray of shape (n_features_out,)
        The quantile of each feature's bias.
    module_ : MiniRocketModule
        The transform as a torch module (also gives the differentiable soft PPV).

    See Also
    --------
    sklearn_wavefront.MelFrontend : A front-end whose ``output="frames"`` feeds this head.
    sklearn.linear_model.RidgeClassifierCV : The linear classifier MiniRocket's paper pairs it with.

    Notes
    -----
    Derived from the paper's description, not from its code: the padding rule, the channel-count rule
    and the assignment of left-over features to dilations are this package's reading of it. Agreement
    with aeon's ``MiniRocket`` is tested in accuracy, not feature by feature. On one CPU thread it is
    1.2-1.8x slower than aeon's numba code on mel frames (``benchmarks/temporal_head.py --speed``);
    its reasons to exist are torch (CUDA, batches) and the differentiable relaxation.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import RidgeClassifierCV
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_wavefront import MelFrontend, MiniRocketHead
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(4000) / 8000
    >>> X = np.array([np.sin(2 * np.pi * (300 + 200 * (i % 2)) * t) + 0.1 * rng.normal(size=t.size)
    ...               for i in range(20)])
    >>> y = np.arange(20) % 2
    >>> front = MelFrontend(sample_rate=8000, n_filters=16, n_fft=256, hop_length=128, output="frames")
    >>> head = MiniRocketHead(n_kernels=840, n_channels=16, random_state=0)
    >>> pipe = make_pipeline(front, head, RidgeClassifierCV()).fit(X, y)
    >>> pipe[:2].transform(X).shape
    (20, 840)
    >>> float(pipe.score(X, y))
    1.0
    """

    _parameter_constraints: dict = {
        "n_kernels": [Interval(Integral, 84, None, closed="left")],
        "max_dilations_per_kernel": [Interval(Integral, 1, None, closed="left")],
        "n_channels": _N_CHANNELS,
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "n_features": [Interval(Integral, 84, None, closed="left"), Hidden(StrOptions({"deprecated"}))],
    }

    def __init__(
        self,
        n_kernels=10000,
        max_dilations_per_kernel=32,
        n_channels=None,
        batch_size=64,
        device="cpu",
        random_state=None,
        n_features="deprecated",
    ):
        self.n_kernels = n_kernels
        self.max_dilations_per_kernel = max_dilations_per_kernel
        self.n_channels = n_channels
        self.batch_size = batch_size
        self.device = device
        self.random_state = random_state
        self.n_features = n_features

    # -- validation -------------------------------------------------------------------------------
    def _check_params(self):
        self._device()  # a device this machine has

    def _n_kernels(self) -> int:
        """``n_kernels``, or the deprecated ``n_features`` when that was passed (FutureWarning; an
        error together with an ``n_kernels`` other than the default)."""
        return renamed_parameter(self, "n_features", "n_kernels", 10000, removed_in="0.3")

    def __setstate__(self, state):
        """Unpickle; a head saved before the rename (``n_features`` and no ``n_kernels``) gets its count
        as ``n_kernels``, so ``get_params``, ``clone`` and a refit work without the deprecated alias."""
        if "n_kernels" not in state:
            state = {**state, "n_kernels": state.get("n_features", 10000), "n_features": "deprecated"}
        super().__setstate__(state)

    def _device(self) -> torch.device:
        return check_device(self.device)

    def _series(self, X, reset: bool) -> np.ndarray:
        """Validate ``X`` and return float32 series ``(n, n_channels_, n_frames_)``."""
        series = np.ascontiguousarray(_validated_series(self, X, reset), dtype=np.float32)
        if series.shape[2] < KERNEL_LENGTH:
            series = np.pad(series, ((0, 0), (0, 0), (0, KERNEL_LENGTH - series.shape[2])))
        return series

    # -- scikit-learn API ---------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Draw the channels of each kernel and fit the biases on ``X``.

        Parameters
        ----------
        X : array-like of shape (n_recordings, n_channels, n_frames) or (n_recordings, n_channels * n_frames)
            Training series (see the class docstring for the 2-D layout).
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        per_kernel = self._n_kernels() // 84
        device = self._device()
        series = self._series(X, reset=True)
        n, C, L = series.shape
        rng = check_random_state(self.random_state)
        dilations, n_per = _dilations(L, per_kernel, self.max_dilations_per_kernel)
        n_dil = len(dilations)
        max_ch = min(C, KERNEL_LENGTH)
        masks = np.zeros((n_dil, 84, C), dtype=np.float32)
        for i in range(n_dil):
            for k in range(84):
                n_ch = int(2.0 ** rng.uniform(0.0, math.log2(max_ch + 1)))
                masks[i, k, rng.choice(C, size=min(n_ch, max_ch), replace=False)] = 1.0
        examples = rng.randint(n, size=(n_dil, 84))
        n_out = 84 * per_kernel
        quantiles = np.mod(np.arange(1, n_out + 1) * _GOLDEN, 1.0)

        module = MiniRocketModule(C, L, dilations, n_per, masks, [np.zeros((84, m)) for m in n_per], np.ones((n_dil, 84)))
        module = module.to(device)
        scales = np.ones((n_dil, 84), dtype=np.float32)
        biases = []
        start = 0
        with torch.no_grad():
            for i, d in enumerate(dilations):
                own = module.convolve_own(torch.as_tensor(series[examples[i]], device=device), i)
                own = own.double().cpu().numpy()  # (84, L): kernel k on its own bias series
                q = quantiles[start : start + 84 * n_per[i]].reshape(84, n_per[i])
                start += 84 * n_per[i]
                pad = module.padded(i).cpu().numpy()
                b = np.empty((84, n_per[i]), dtype=np.float32)
                for mask, lo, hi in ((pad, 0, L), (~pad, 4 * d, L - 4 * d)):
                    c = own[mask, lo:hi]
                    b[mask] = _row_quantiles(c, q[mask])
                    scales[i, mask] = c.std(axis=1)
                biases.append(b)
        self.module_ = MiniRocketModule(C, L, dilations, n_per, masks, biases, scales).to(device)
        self.dilations_ = dilations
        self.n_features_per_dilation_ = n_per
        self.kernel_indices_ = minirocket_kernel_indices()
        self.channel_masks_ = masks
        self.bias_examples_ = examples
        self.biases_ = biases
        self.quantiles_ = quantiles
        self._n_features_out = n_out
        return self

    def transform(self, X):
        """PPV features of each series.

        Parameters
        ----------
        X : array-like of shape (n_recordings, ``n_channels_``, ``n_frames_``) or (n_recordings, ``n_features_in_``)
            Series shaped like those seen in ``fit``.

        Returns
        -------
        features : ndarray of shape (n_recordings, 84 * (n_kernels // 84)), float32
            Proportions in ``[0, 1]``, in the order of the module docstring.
        """
        check_is_fitted(self, "module_")
        series = self._series(X, reset=False)
        device = next(iter(self.module_.buffers())).device
        out = []
        with torch.no_grad():
            for start in range(0, series.shape[0], self.batch_size):
                x = torch.as_tensor(series[start : start + self.batch_size], device=device)
                out.append(self.module_(x).cpu().numpy())
        if not out:
            return np.empty((0, self._n_features_out), dtype=np.float32)
        return np.concatenate(out, axis=0)

    def get_feature_names_out(self, input_features=None):
        """Names ``"ppv_d<dilation>_k<kernel>_<j>"`` of the output features, in output order.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored apart from a length check.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "module_")
        _check_input_features(self, input_features)
        names = [
            f"ppv_d{d}_k{k:02d}_{j}"
            for d, m in zip(self.dilations_, self.n_features_per_dilation_)
            for k in range(84)
            for j in range(m)
        ]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
