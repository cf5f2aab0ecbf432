"""Baselines that every accuracy claim stands beside.

``wavefront compare`` reports these baselines on the same folds as the front-ends (each optional
library missing leaves its rows out with a one-line note, never a crash):

* chance: :class:`sklearn.dummy.DummyClassifier` (``strategy="stratified"``);
* :func:`make_mfcc_logreg`: :class:`MFCCStatistics` (mean and standard deviation over frames of
  MFCCs and their first and second deltas) -> ``StandardScaler`` -> ``LogisticRegression``;
* :class:`MiniRocketClassifier`: aeon's MiniRocket transform of the raw waveform ->
  ``StandardScaler`` -> ``RidgeClassifierCV`` (the ridge penalty is chosen on the training data only:
  by leave-one-out, or by K-fold CV over whole groups when ``fit`` gets ``groups``). aeon is an
  optional extra (``pip install sklearn-wavefront[baselines]``); it is imported when the classifier is
  fitted, so this module imports without it;
* :class:`MultiRocketHydraClassifier`: aeon's MultiRocket-Hydra (ahead of MiniRocket by about one
  accuracy point over aeon's 112 UCR data sets) on the waveform *downsampled* to at most
  ``max_length`` samples: on audio at full rate it costs minutes per fold and tens of GB;
* :func:`make_opensmile_logreg`: openSMILE's eGeMAPS (88) or ComParE 2016 (6,373) functionals ->
  ``StandardScaler`` -> ``LogisticRegression``, the speech practitioner's standard (optional
  ``opensmile``).

:class:`SoftmaxRidgeClassifierCV` is scikit-learn's ``RidgeClassifierCV`` with a ``predict_proba``
(the soft-max of its decision values) and a ``groups`` argument to ``fit`` (the penalty is then
chosen by cross-validation over whole groups, not leave-one-out over samples), so that a ridge head
can decide per recording in a :class:`~sklearn_wavefront.segmenting.SegmentedClassifier`, which
passes each segment's recording as its group; the temporal rows of ``wavefront compare`` end with it.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, _fit_context
from sklearn.linear_model import RidgeClassifierCV
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ._validation import ValidatedParamsMixin

__all__ = ["MFCCStatistics", "MiniRocketClassifier", "MultiRocketHydraClassifier", "OpenSmileFunctionals",
           "SoftmaxRidgeClassifierCV", "aeon_version", "opensmile_version", "delta", "make_mfcc_logreg",
           "make_opensmile_logreg", "warm_up"]


def _dist_version(name):
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version(name)
    except PackageNotFoundError:
        return None


def aeon_version():
    """The installed aeon version, or ``None`` when aeon is not installed."""
    return _dist_version("aeon")


def opensmile_version():
    """The installed opensmile version, or ``None`` when opensmile is not installed."""
    return _dist_version("opensmile")


_POSITIVE_INT = Interval(Integral, 1, None, closed="left")


@validate_params({"C": ["array-like"], "width": [_POSITIVE_INT]}, prefer_skip_nested_validation=True)
def delta(C, width=2):
    """Regression deltas along the last axis (frames).

    ``d[t] = sum_{n=1..width} n * (c[t+n] - c[t-n]) / (2 * sum_{n=1..width} n**2)``, with the
    frames beyond either end taken equal to the first / last frame (edge padding), so the output
    has the shape of ``C``.

    Parameters
    ----------
    C : ndarray of shape (..., n_frames)
        Coefficients per frame.
    width : int, default=2
        Frames on each side of the regression window.

    Returns
    -------
    D : ndarray of the shape of ``C``

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_wavefront.baselines import delta
    >>> delta(np.arange(6.0)).tolist()   # slope 1 inside, smaller at the padded edges
    [0.5, 0.8, 1.0, 1.0, 0.8, 0.5]
    """
    width = int(width)
    C = np.asarray(C, dtype=float)
    pad = [(0, 0)] * (C.ndim - 1) + [(width, width)]
    P = np.pad(C, pad, mode="edge")
    n = C.shape[-1]
    num = sum(k * (P[..., width + k: width + k + n] - P[..., width - k: width - k + n]) for k in range(1, width + 1))
    return num / (2 * sum(k * k for k in range(1, width + 1)))


class MFCCStatistics(ValidatedParamsMixin, TransformerMixin, BaseEstimator):
    """MFCCs, their deltas and delta-deltas, summarised by mean and std over frames.

    The MFCC frames come from :class:`~sklearn_wavefront.MFCCFrontend` (``output="frames"``);
    the deltas from :func:`delta`. Features, in this order: mean of the ``n_mfcc`` MFCCs, of their
    deltas, of the delta-deltas, then the (population) standard deviation of the same three, so
    ``n_features = 6 * n_mfcc``. Nothing is learned: ``fit`` only builds the filterbank.

    Parameters
    ----------
    sample_rate : float, default=16000
        Sample rate of the waveforms in Hz.
    n_mfcc : int, default=20
        Cepstral coefficients per frame.
    n_filters : int, default=40
        Mel bands before the DCT.
    n_fft : int or None, default=None
        FFT size; ``None`` is the power of two at or above 32 ms.
    hop_length : int or None, default=None
        Samples between frames; ``None`` is 10 ms.
    delta_width : int, default=2
        Half-width of the delta regression window (frames).

    Attributes
    ----------
    frontend_ : MFCCFrontend
        The fitted MFCC front-end.
    n_features_in_ : int
        Samples per recording seen in ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_wavefront.baselines import MFCCStatistics
    >>> X = np.random.default_rng(0).normal(size=(3, 4000))
    >>> MFCCStatistics(sample_rate=8000).fit_transform(X).shape
    (3, 120)
    """

    _parameter_constraints: dict = {
        "sample_rate": [Interval(Real, 0, None, closed="neither")],
        "n_mfcc": [_POSITIVE_INT],  # <= n_filters: checked by the MFCC filterbank
        "n_filters": [_POSITIVE_INT],
        "n_fft": [Interval(Integral, 2, None, closed="left"), None],
        "hop_length": [_POSITIVE_INT, None],
        "delta_width": [_POSITIVE_INT],
    }

    def __init__(self, sample_rate=16000, n_mfcc=20, n_filters=40, n_fft=None, hop_length=None, delta_width=2):
        self.sample_rate = sample_rate
        self.n_mfcc = n_mfcc
        self.n_filters = n_filters
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.delta_width = delta_width

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Build the MFCC front-end for waveforms like ``X``."""
        from .frontends import MFCCFrontend

        X = validate_data(self, X, dtype=(np.float64, np.float32))
        sr = float(self.sample_rate)
        n_fft = self.n_fft or int(2 ** np.ceil(np.log2(max(16, 0.032 * sr))))
        hop = self.hop_length or max(1, int(round(0.010 * sr)))
        self.frontend_ = MFCCFrontend(
            sample_rate=sr, n_mfcc=self.n_mfcc, n_filters=self.n_filters, n_fft=n_fft, hop_length=hop,
            output="frames",
        ).fit(X)
        return self

    def transform(self, X):
        """Mean and std over frames of MFCCs, deltas and delta-deltas: ``(n, 6 * n_mfcc)``."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        F = self.frontend_.transform(X)
        C = F.reshape(len(X), self.n_mfcc, -1)
        D1 = delta(C, self.delta_width)
        D2 = delta(D1, self.delta_width)
        parts = [A.mean(-1) for A in (C, D1, D2)] + [A.std(-1) for A in (C, D1, D2)]
        return np.concatenate(parts, axis=1)


def make_mfcc_logreg(sample_rate, n_mfcc=20, n_filters=40, C=1.0):
    """The ``mfcc+logreg`` baseline: :class:`MFCCStatistics` -> scaler -> logistic regression.

    Examples
    --------
    >>> from sklearn_wavefront.baselines import make_mfcc_logreg
    >>> [name for name, _ in make_mfcc_logreg(8000).steps]
    ['mfccstatistics', 'standardscaler', 'logisticregression']
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(
        MFCCStatistics(sample_rate=sample_rate, n_mfcc=n_mfcc, n_filters=n_filters),
        StandardScaler(),
        LogisticRegression(C=C, max_iter=2000),
    )


def _import_minirocket():
    try:
        with _torch_threads_kept():  # importing aeon starts numba's threads, which resets torch's count
            from aeon.transformations.collection.convolution_based import MiniRocket
    except ImportError as exc:
        raise ImportError(
            "MiniRocketClassifier needs aeon, an optional extra: pip install 'sklearn-wavefront[baselines]'"
        ) from exc
    return MiniRocket


class MiniRocketClassifier(ValidatedParamsMixin, ClassifierMixin, BaseEstimator):
    """aeon's MiniRocket on the raw waveform, then ``StandardScaler`` and ``RidgeClassifierCV``.

    The ridge penalty is chosen among ``alphas`` on the training data only (never on test data): by
    efficient leave-one-out, or, with ``fit(X, y, groups=g)``, by K-fold CV over whole groups
    (:class:`SoftmaxRidgeClassifierCV`; segments of one recording then never sit on both sides).
    ``predict_proba`` is the soft-max of the ridge decision values (a
    sigmoid for two classes): a ranking score that sums to one, not a calibrated probability;
    it lets :class:`~sklearn_wavefront.segmenting.SegmentedClassifier` pool segments.

    Parameters
    ----------
    n_kernels : int, default=10000
        MiniRocket kernels (rounded down to a multiple of 84 by aeon).
    max_dilations_per_kernel : int, default=32
    alphas : array-like, default=np.logspace(-3, 3, 10)
        Ridge penalties tried.
    random_state : int or None, default=None
        Seed of MiniRocket.
    n_jobs : int, default=1
        Threads of the MiniRocket transform.

    Attributes
    ----------
    transform_ : aeon MiniRocket
    scaler_ : StandardScaler
    ridge_ : SoftmaxRidgeClassifierCV
        ``RidgeClassifierCV`` itself without grouped ``groups``.
    classes_ : ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_wavefront.baselines import MiniRocketClassifier
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(400) / 400
    >>> X = np.array([np.sin(2 * np.pi * f * t) + 0.1 * rng.normal(size=400) for f in [5, 20] * 10])
    >>> y = np.array(["low", "high"] * 10)
    >>> clf = MiniRocketClassifier(n_kernels=84, random_state=0).fit(X, y)  # doctest: +SKIP
    >>> (clf.predict(X) == y).mean()  # doctest: +SKIP
    1.0
    """

    _parameter_constraints: dict = {
        "n_kernels": [_POSITIVE_INT],
        "max_dilations_per_kernel": [_POSITIVE_INT],
        "alphas": ["array-like", None],  # each > 0: checked by the ridge
        "random_state": ["random_state"],
        "n_jobs": [Integral],
    }

    def __init__(self, n_kernels=10000, max_dilations_per_kernel=32, alphas=None, random_state=None, n_jobs=1):
        self.n_kernels = n_kernels
        self.max_dilations_per_kernel = max_dilations_per_kernel
        self.alphas = alphas
        self.random_state = random_state
        self.n_jobs = n_jobs

    @staticmethod
    def _as_3d(X):
        return np.ascontiguousarray(X, dtype=np.float64)[:, None, :]

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, groups=None):
        """Fit MiniRocket's biases on ``X``, then the scaler and the ridge on its features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timepoints)
            Waveforms.
        y : array-like of shape (n_samples,)
            Labels.
        groups : array-like of shape (n_samples,), default=None
            Group of each sample (the recording of each segment, or a subject): when some group
            holds more than one sample, the ridge penalty is chosen by K-fold CV over whole groups
            (see :class:`SoftmaxRidgeClassifierCV`); otherwise by leave-one-out.

        Returns
        -------
        self : MiniRocketClassifier
        """
        from sklearn.preprocessing import StandardScaler

        MiniRocket = _import_minirocket()
        X, y = validate_data(self, X, y, dtype=np.float64)
        self._encoder = LabelEncoder().fit(y)
        self.classes_ = self._encoder.classes_
        self.transform_ = MiniRocket(
            n_kernels=self.n_kernels, max_dilations_per_kernel=self.max_dilations_per_kernel,
            n_jobs=self.n_jobs, random_state=self.random_state,
        )
        with _torch_threads_kept():  # numba's first parallel run starts its threads, resetting torch's count
            F = self.transform_.fit_transform(self._as_3d(X))
        self.scaler_ = StandardScaler().fit(F)
        alphas = np.logspace(-3, 3, 10) if self.alphas is None else self.alphas
        self.ridge_ = SoftmaxRidgeClassifierCV(alphas=alphas).fit(
            self.scaler_.transform(F), self._encoder.transform(y), groups=groups)
        return self

    def decision_function(self, X):
        """Ridge decision values of the MiniRocket features."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        with _torch_threads_kept():
            F = self.transform_.transform(self._as_3d(X))
        return self.ridge_.decision_function(self.scaler_.transform(F))

    def predict(self, X):
        """Class labels."""
        d = self.decision_function(X)
        codes = (d > 0).astype(int) if d.ndim == 1 else d.argmax(axis=1)
        return self.classes_[codes]

    def predict_proba(self, X):
        """Soft-max (sigmoid for two classes) of the decision values; see the class docstring."""
        return _softmax_of_decision(self.decision_function(X))


def _softmax_of_decision(d):
    """Soft-max of ridge decision values ``(n, n_classes)``; for two classes (``d`` 1-D, the
    positive class's score) the sigmoid, as two columns."""
    d = np.asarray(d, dtype=np.float64)
    if d.ndim == 1:
        p1 = 1.0 / (1.0 + np.exp(-d))
        return np.column_stack([1.0 - p1, p1])
    e = np.exp(d - d.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class SoftmaxRidgeClassifierCV(RidgeClassifierCV):
    """``RidgeClassifierCV`` with ``predict_proba`` and a penalty chosen by grouped CV when asked.

    Without ``groups`` (or with ``cv`` set) this is scikit-learn's
    :class:`~sklearn.linear_model.RidgeClassifierCV` exactly (same parameters; with ``cv=None`` the
    penalty is chosen among ``alphas`` by efficient leave-one-out on the training data).
    ``predict_proba`` is the soft-max of :meth:`decision_function` (a sigmoid for two classes): a
    ranking score that sums to one and whose argmax is ``predict``, not a calibrated probability. It
    lets :class:`~sklearn_wavefront.segmenting.SegmentedClassifier` pool segments per recording
    (``aggregate="mean_proba"``).

    **Grouped penalty choice.** ``fit(X, y, groups=g)`` with ``cv=None`` and some group holding more
    than one sample (segments of one recording, recordings of one speaker) chooses the penalty by
    K-fold cross-validation over whole groups instead of leave-one-out: leave-one-out would keep a
    left-out sample's siblings in training and so favour the least regularisation. The folds are
    :class:`~sklearn.model_selection.GroupKFold` with ``K = min(5, number of groups)``. The criterion
    is the one ``RidgeClassifierCV`` uses for leave-one-out (its ``scoring=None``): the mean, over all
    samples (each held out once) and all target columns, of the squared difference between the
    held-out decision values and the targets coded ``+1``/``-1`` (one column for two classes), each
    sample's term multiplied by its weight (``sample_weight`` times the ``class_weight``) as
    leave-one-out does; ``best_score_`` is minus that mean for the chosen penalty, ``alpha_`` the
    first penalty of ``alphas`` that reaches it. The model is then refitted on all samples with
    ``alpha_`` (:class:`~sklearn.linear_model.RidgeClassifier`). scikit-learn's own
    ``RidgeClassifierCV(cv=<group splits>)`` is not used because it scores folds by accuracy, not
    by this criterion. Each fold solves the ridge for every penalty from one eigendecomposition of its
    (weighted, centred) Gram or covariance matrix, as ``RidgeClassifier`` would fit it on the fold's
    ±1-coded targets (every class column is kept even when a fold's training part lacks a class).
    Two limits: the folds are not stratified (with few groups a fold's training part may lack a
    class), and ``GroupKFold`` balances its folds by the number of samples, not their weights, so
    integer weights choose the same penalty as repeated samples only when the folds come out the same.
    With ``groups`` all distinct (or ``None``) leave-one-out is used, unchanged. With ``cv`` set,
    ``groups`` go to that splitter (``check_cv(cv).split(X, y, groups)``) and scikit-learn's
    grid search scores the folds as usual; with ``scoring`` set (and ``cv=None``), the same grid search
    scores the ``GroupKFold`` folds with that scorer. ``store_cv_results=True`` (leave-one-out values)
    cannot be combined with grouped ``groups``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_wavefront.baselines import SoftmaxRidgeClassifierCV
    >>> X = np.array([[0.0], [0.1], [0.9], [1.0], [2.0], [2.1]])
    >>> clf = SoftmaxRidgeClassifierCV(alphas=[0.1, 1.0]).fit(X, [0, 0, 1, 1, 2, 2])
    >>> proba = clf.predict_proba(X)
    >>> proba.shape, bool(np.allclose(proba.sum(axis=1), 1.0))
    ((6, 3), True)
    >>> bool((clf.classes_[proba.argmax(axis=1)] == clf.predict(X)).all())
    True

    Segments of one recording share a group; the penalty is then chosen over whole recordings:

    >>> rng = np.random.default_rng(0)
    >>> X = np.repeat(rng.normal(size=(12, 30)), 3, axis=0) + 0.01 * rng.normal(size=(36, 30))
    >>> y, groups = np.repeat([0, 1] * 6, 3), np.repeat(np.arange(12), 3)
    >>> alphas = [0.01, 1.0, 100.0]
    >>> float(SoftmaxRidgeClassifierCV(alphas=alphas).fit(X, y).alpha_)  # leave-one-out
    0.01
    >>> float(SoftmaxRidgeClassifierCV(alphas=alphas).fit(X, y, groups=groups).alpha_)
    100.0
    """

    # validates RidgeClassifierCV's constraints on every path (the grouped one does not call super().fit)
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, groups=None, **params):
        """Fit the ridge; with ``groups``, choose the penalty by grouped K-fold CV (class docstring).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : float or array-like of shape (n_samples,), default=None
        groups : array-like of shape (n_samples,), default=None
            Group of each sample (e.g. the recording of each segment). ``None``, or all distinct:
            leave-one-out as in ``RidgeClassifierCV``.
        **params : dict
            Passed to ``RidgeClassifierCV.fit`` (metadata routing to the scorer).

        Returns
        -------
        self : SoftmaxRidgeClassifierCV

        Raises
        ------
        ValueError
            ``groups`` of another length than ``y``, or fewer than 2 distinct groups.
        """
        if groups is None:
            return super().fit(X, y, sample_weight=sample_weight, **params)
        groups = np.asarray(groups)
        n = len(y) if hasattr(y, "__len__") else None
        if groups.ndim != 1 or (n is not None and len(groups) != n):
            raise ValueError(f"groups must hold one group per sample: got shape {groups.shape} for {n} samples")
        uniques, counts = np.unique(groups, return_counts=True)
        if len(uniques) < 2:
            raise ValueError(
                f"groups has {len(uniques)} distinct value(s); choosing the penalty by groups needs at least 2"
            )
        if self.cv is None and counts.max() == 1:  # every sample its own group: leave-one-out is grouped already
            return super().fit(X, y, sample_weight=sample_weight, **params)
        if self.cv is None and self.store_cv_results:
            raise ValueError(
                "store_cv_results=True keeps leave-one-out values; with groups the penalty is chosen by grouped "
                "K-fold CV instead: fit without groups, or set store_cv_results=False"
            )
        if self.cv is not None or self.scoring is not None:
            from sklearn.model_selection import GroupKFold, check_cv

            # a splitter given by the user gets the groups; a scorer scores grouped folds (GridSearchCV)
            cv = self.cv if self.cv is not None else GroupKFold(n_splits=min(5, len(uniques)))
            splits = list(check_cv(cv, y, classifier=True).split(X, y, groups))
            saved = self.cv
            self.cv = splits
            try:
                super().fit(X, y, sample_weight=sample_weight, **params)
            finally:
                self.cv = saved
            return self
        return self._fit_grouped(X, y, sample_weight, groups, len(uniques))

    def _fit_grouped(self, X, y, sample_weight, groups, n_groups):
        import scipy.sparse as sp
        from sklearn.linear_model import RidgeClassifier
        from sklearn.model_selection import GroupKFold

        X, y, sw, Y = self._prepare_data(X, y, sample_weight, solver="eigen")
        X = np.asarray(X.toarray() if sp.issparse(X) else X, dtype=np.float64)
        Y = np.asarray(Y, dtype=np.float64)
        sw = np.asarray(sw, dtype=np.float64)
        alphas = np.atleast_1d(np.asarray(self.alphas, dtype=np.float64))
        if alphas.ndim != 1 or (alphas <= 0).any() or not np.isfinite(alphas).all():
            raise ValueError(f"alphas must be positive finite numbers, got alphas={self.alphas!r}")
        splits = GroupKFold(n_splits=min(5, n_groups)).split(X, y, groups)
        errors = _grouped_ridge_errors(X, Y, sw, splits, alphas, self.fit_intercept)
        scores = -errors.mean(axis=0)
        best = int(np.argmax(scores))  # the first on a tie, as RidgeClassifierCV
        self.alpha_ = float(alphas[best])
        self.best_score_ = float(scores[best])
        final = RidgeClassifier(alpha=self.alpha_, fit_intercept=self.fit_intercept, class_weight=self.class_weight)
        final.fit(X, y, sample_weight=sample_weight)
        self.coef_, self.intercept_ = final.coef_, final.intercept_
        return self

    def predict_proba(self, X):
        """Soft-max (sigmoid for two classes) of :meth:`decision_function`, one column per class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return _softmax_of_decision(self.decision_function(X))


def _grouped_ridge_errors(X, Y, sw, splits, alphas, fit_intercept):
    """Held-out weighted squared errors ``(n_samples, n_alphas)`` of ridge on ``Y`` over ``splits``.

    Per fold, the ridge of scikit-learn's ``Ridge``/``RidgeClassifier`` (weighted centring when
    ``fit_intercept``, rows scaled by the square root of the weights) is solved for every penalty from
    one eigendecomposition: of the Gram matrix ``A A^T`` when the fold has at most as many samples as
    features (dual form), of ``A^T A`` otherwise. Entry ``(i, a)`` is ``sw_i`` times the mean over
    target columns of the squared error of sample ``i``'s decision values when held out.
    """
    n = X.shape[0]
    errors = np.full((n, len(alphas)), np.nan)
    for train, test in splits:
        Xtr, Ytr, w = X[train], Y[train], sw[train]
        if fit_intercept:
            xm, ym = np.average(Xtr, axis=0, weights=w), np.average(Ytr, axis=0, weights=w)
        else:
            xm, ym = np.zeros(X.shape[1]), np.zeros(Y.shape[1])
        root = np.sqrt(w)[:, None]
        A, B = (Xtr - xm) * root, (Ytr - ym) * root
        Xte = X[test] - xm
        if A.shape[0] <= A.shape[1]:
            ev, U = np.linalg.eigh(A @ A.T)
            left, right = Xte @ A.T @ U, U.T @ B
        else:
            ev, V = np.linalg.eigh(A.T @ A)
            left, right = Xte @ V, V.T @ (A.T @ B)
        ev = np.clip(ev, 0.0, None)
        for a, alpha in enumerate(alphas):
            pred = left @ (right / (ev + alpha)[:, None]) + ym
            errors[test, a] = sw[test] * ((pred - Y[test]) ** 2).mean(axis=1)
    return errors


# ----------------------------------------------------------------------------- MultiRocket-Hydra
class _torch_threads_kept:
    """Restore torch's intra-op thread count on exit: aeon's Hydra sets it to ``n_jobs`` and leaves it
    there, which would make every later torch fit of the process single-threaded; importing aeon
    starts numba's OpenMP threads, which sets it to the number of cores (a process that chose one
    thread then runs every later torch fit on two, 30x slower on a busy machine)."""

    def __enter__(self):
        import torch

        self.threads = torch.get_num_threads()

    def __exit__(self, *exc):
        import torch

        torch.set_num_threads(self.threads)


def _import_mrhydra():
    try:
        with _torch_threads_kept():  # importing aeon starts numba's threads, which resets torch's count
            from aeon.classification.convolution_based import MultiRocketHydraClassifier as AeonMRHydra
    except ImportError as exc:
        raise ImportError(
            "MultiRocketHydraClassifier needs aeon, an optional extra: pip install 'sklearn-wavefront[baselines]'"
        ) from exc
    return AeonMRHydra


def downsampling_factor(n_samples, max_length):
    """The whole factor ``q`` that brings ``n_samples`` to at most ``max_length`` (1: none)."""
    return max(1, -(-int(n_samples) // int(max_length)))


class MultiRocketHydraClassifier(ValidatedParamsMixin, ClassifierMixin, BaseEstimator):
    """aeon's MultiRocket-Hydra on the waveform, low-pass filtered and downsampled to ``max_length``.

    The waveform is decimated by the whole factor ``q = ceil(n_samples / max_length)``
    (:func:`scipy.signal.resample_poly`, an anti-aliasing FIR low-pass), so the classifier sees
    ``sample_rate / q`` Hz: content above ``sample_rate / (2 q)`` is gone. Full-rate audio is what
    makes MultiRocket-Hydra costly (on 352 recordings of 1 s at 16 kHz: 734-849 s and 11.5 GB per
    fold on one core); the comparison's table says what it saw (:attr:`factor_`).
    ``predict_proba`` is aeon's (one-hot of the ridge's decision), fine for pooling segments by vote.

    Parameters
    ----------
    max_length : int, default=2000
        The longest series handed to aeon.
    n_kernels, n_groups : int, default=8, 64
        Hydra's kernels per group and groups (aeon's defaults).
    n_jobs : int, default=1
    random_state : int or None, default=None

    Attributes
    ----------
    factor_ : int
        The downsampling factor ``q``.
    estimator_ : aeon MultiRocketHydraClassifier
    classes_ : ndarray
    """

    _parameter_constraints: dict = {
        "max_length": [Interval(Integral, 16, None, closed="left")],
        "n_kernels": [_POSITIVE_INT],
        "n_groups": [_POSITIVE_INT],
        "n_jobs": [Integral],
        "random_state": ["random_state"],
    }

    def __init__(self, max_length=2000, n_kernels=8, n_groups=64, n_jobs=1, random_state=None):
        self.max_length = max_length
        self.n_kernels = n_kernels
        self.n_groups = n_groups
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _series(self, X):
        from scipy.signal import resample_poly

        X = np.asarray(X, dtype=np.float64)
        if self.factor_ > 1:
            X = resample_poly(X, 1, self.factor_, axis=1)
        return np.ascontiguousarray(X)[:, None, :]

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Downsample ``X`` (n_recordings, n_samples) and fit aeon's classifier on it."""
        AeonMRHydra = _import_mrhydra()
        X, y = validate_data(self, X, y, dtype=np.float64)
        self.factor_ = downsampling_factor(X.shape[1], self.max_length)
        seed = self.random_state
        if seed is not None and not isinstance(seed, Integral):  # a RandomState: one draw seeds aeon
            seed = int(check_random_state(seed).randint(2**31 - 1))
        self.estimator_ = AeonMRHydra(n_kernels=self.n_kernels, n_groups=self.n_groups, n_jobs=self.n_jobs,
                                      random_state=seed)
        with _torch_threads_kept():
            self.estimator_.fit(self._series(X), y)
        self.classes_ = np.asarray(self.estimator_.classes_)
        return self

    def predict(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        with _torch_threads_kept():
            return np.asarray(self.estimator_.predict(self._series(X)))

    def predict_proba(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        with _torch_threads_kept():
            return np.asarray(self.estimator_.predict_proba(self._series(X)))


# ------------------------------------------------------------------------------ openSMILE functionals
#: the openSMILE feature sets offered, by the name the comparison uses
OPENSMILE_SETS = {"egemaps": "eGeMAPSv02", "compare2016": "ComParE_2016"}


class OpenSmileFunctionals(ValidatedParamsMixin, TransformerMixin, BaseEstimator):
    """openSMILE's functionals of each recording (eGeMAPS v02: 88; ComParE 2016: 6,373 features).

    Stateless: every recording is described on its own (``fit`` only checks). Recordings below 8 kHz
    are resampled to 8 kHz first (a choice, so that every feature set sees its frequency bands defined
    alike whatever the input rate); NaN features (a descriptor undefined on silence, or on a
    recording too short for its windows: under ~0.1 s) are set to 0.

    Parameters
    ----------
    sample_rate : int
        Rate of the recordings in Hz.
    feature_set : {"egemaps", "compare2016"}, default="egemaps"

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_wavefront.baselines import OpenSmileFunctionals
    >>> X = np.random.default_rng(0).normal(size=(2, 8000)) * 0.1
    >>> OpenSmileFunctionals(8000).fit_transform(X).shape  # doctest: +SKIP
    (2, 88)
    """

    _parameter_constraints: dict = {
        "sample_rate": [_POSITIVE_INT],
        "feature_set": [StrOptions(set(OPENSMILE_SETS))],
    }

    def __init__(self, sample_rate, feature_set="egemaps"):
        self.sample_rate = sample_rate
        self.feature_set = feature_set

    def _smile(self):
        try:
            import opensmile
        except ImportError as exc:
            raise ImportError("OpenSmileFunctionals needs opensmile, an optional extra: "
                              "pip install 'sklearn-wavefront[baselines]'") from exc
        return opensmile.Smile(feature_set=getattr(opensmile.FeatureSet, OPENSMILE_SETS[self.feature_set]),
                               feature_level=opensmile.FeatureLevel.Functionals)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        self._smile()  # says now, not at transform, when opensmile is missing
        self.n_features_in_ = np.asarray(X[0]).shape[0] if len(X) else 0
        return self

    def transform(self, X):
        from scipy.signal import resample_poly

        check_is_fitted(self, "n_features_in_")
        smile = self._smile()
        rate = int(self.sample_rate)
        out = []
        for x in X:
            x = np.asarray(x, dtype=np.float32)
            if rate < 8000:
                x = resample_poly(x, 8000, rate).astype(np.float32)
            out.append(smile.process_signal(x, max(rate, 8000)).to_numpy()[0])
        return np.nan_to_num(np.asarray(out, dtype=np.float64))


def make_opensmile_logreg(sample_rate, feature_set="egemaps", C=1.0):
    """openSMILE functionals (``"egemaps"`` or ``"compare2016"``) -> scaler -> logistic regression.

    Examples
    --------
    >>> from sklearn_wavefront.baselines import make_opensmile_logreg
    >>> [name for name, _ in make_opensmile_logreg(16000, "compare2016").steps]
    ['opensmilefunctionals', 'standardscaler', 'logisticregression']
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(OpenSmileFunctionals(sample_rate, feature_set), StandardScaler(),
                         LogisticRegression(C=C, max_iter=2000))


# ------------------------------------------------------------------------------ compilation warm-up
def warm_up(models, sample_rate=8000):
    """Compile, on tiny data, what the given baselines compile on first use (aeon's numba kernels).

    A first MiniRocket fit in a process spends most of its time compiling (48 s measured here, 1 s
    afterwards): timed inside a fold, that makes the fold's fit time meaningless. Returns
    ``{model: seconds}`` for the models it warmed (``minirocket``, ``mrhydra``; the other baselines
    compile nothing). :func:`sklearn_wavefront.recipes.warm_up` adds the front-ends.
    """
    import time

    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 256))
    y = np.arange(8) % 2
    seconds = {}
    for model in dict.fromkeys(models):
        if model not in ("minirocket", "mrhydra"):
            continue
        t0 = time.perf_counter()
        try:
            if model == "minirocket":
                MiniRocketClassifier(n_kernels=84, random_state=0).fit(X, y).predict(X)
            else:
                MultiRocketHydraClassifier(max_length=256, n_groups=8, random_state=0).fit(X, y).predict(X)
        except Exception:  # noqa: BLE001 - a warm-up never costs a run: the fold then pays, as before
            continue
        seconds[model] = time.perf_counter() - t0
    return seconds
