"""Recipes: the estimator behind each (model, kind) pair, built one way for ``compare`` and ``fit``.

A *recipe* is a front-end (or a baseline) and a *kind* (:data:`~sklearn_wavefront.registry.KINDS`):

* ``"baseline"``: ``dummy`` (chance, :class:`~sklearn.dummy.DummyClassifier` with
  ``strategy="stratified"``), ``mfcc+logreg`` (:func:`~sklearn_wavefront.baselines.make_mfcc_logreg`),
  ``egemaps+logreg`` and ``compare2016+logreg`` (openSMILE's functionals,
  :func:`~sklearn_wavefront.baselines.make_opensmile_logreg`, need opensmile), ``minirocket``
  (:class:`~sklearn_wavefront.baselines.MiniRocketClassifier`) and ``mrhydra``
  (:class:`~sklearn_wavefront.baselines.MultiRocketHydraClassifier`, on the waveform downsampled to at
  most ``Settings.mrhydra_max_length`` samples), both needing aeon;
* ``"fixed"``: the front-end transformer with its initial filters -> ``StandardScaler`` ->
  ``LogisticRegression`` (pipeline steps ``frontend``, ``scaler``, ``classifier``);
* ``"temporal"``: the front-end with its initial filters and ``output="frames"`` ->
  [:class:`~sklearn_wavefront.temporal.MiniRocketHead` (MiniRocket over the frames: the time
  structure that the mean/std statistics of ``"fixed"`` pool away), concatenated with
  :class:`~sklearn_wavefront.temporal.FrameStatistics` (each channel's mean and std over time: the
  steady band levels that the zero-sum MiniRocket kernels barely see)] -> ``StandardScaler`` ->
  :class:`~sklearn_wavefront.baselines.SoftmaxRidgeClassifierCV` with :data:`TEMPORAL_ALPHAS`
  (steps ``frontend``, ``features`` (a ``FeatureUnion`` of ``minirocket`` and ``statistics``),
  ``scaler``, ``ridge``);
* ``"learned"``: the fixed pipeline, its front-end fitted with ``fit(X, y)`` and ``max_epochs > 0``
  (only :data:`~sklearn_wavefront.registry.LEARNABLE` front-ends), with ``early_stopping`` as
  ``Settings.early_stopping`` says (then its hold-out takes whole groups passed as
  ``frontend__groups``, see :func:`groups_fit_parameter`);
* ``"end-to-end"``: :class:`~sklearn_wavefront.classifiers.WaveformClassifier`;
* ``"auto"`` (models :data:`~sklearn_wavefront.registry.AUTO_MODELS`):
  :class:`~sklearn_wavefront.auto.AutoWavefrontClassifier`, which chooses one of the recipes above by
  grouped cross-validation inside the data given to ``fit`` (``auto-ensemble``: the soft vote of the
  three best); built by :func:`sklearn_wavefront.auto.make_recipe` (which builds every other kind
  here), since the search sits above the recipes it searches. It segments inside each candidate
  (never around the search, whose inner splits would then part the segments of one recording).

:func:`make_estimator` builds every one of them from a :class:`Settings`; ``wavefront compare``
(:func:`sklearn_wavefront.compare`) and ``wavefront fit`` (:func:`sklearn_wavefront.training.train_model`)
both call it, so a model file holds the recipe that the comparison scored.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from ._options import option
from .exceptions import InputError
from .registry import BASELINES, FRONTEND_CLASSES, FRONTENDS, KINDS, LEARNABLE

__all__ = [
    "TEMPORAL_ALPHAS",
    "Settings",
    "frontend_kwargs",
    "frame_channels",
    "make_estimator",
    "groups_fit_parameter",
    "frontend_builds",
    "minimum_sample_rate",
    "check_sample_rate",
    "check_random_state_option",
    "warm_up",
]

#: ridge penalties tried (inside the training fold, leave-one-out or grouped K-fold) by the temporal rows, as by MiniRocket's
TEMPORAL_ALPHAS = np.logspace(-3, 3, 10)


@dataclass
class Settings:
    """Model settings shared by every recipe (the command line's options).

    ``learning_rate`` is the learned front-ends' rate (``None``: each front-end's default); ``lr``
    the end-to-end networks' peak rate. ``segment_seconds`` wraps the estimator in a
    :class:`~sklearn_wavefront.segmenting.SegmentedClassifier` (recording-level decisions).
    ``early_stopping`` applies to the end-to-end and the learned rows (their default hold-out of
    10 % and patience of 5 epochs).
    """

    sample_rate: int
    n_filters: int = 16
    epochs: int = 8
    batch_size: int = 16
    lr: float = 3e-3
    learning_rate: float | None = None
    backend: str = "temporal"
    device: str = "auto"
    random_state: int = 0
    balance: str | None = None
    minirocket_kernels: int = 10000
    mrhydra_max_length: int = 2000
    temporal_features: int = 5000
    segment_seconds: float | None = None
    early_stopping: bool = False
    validation_fraction: float = 0.1
    patience: int = 5
    budget: float = 10.0
    penalty_groups: bool = False
    verbose: int = 0


def frontend_kwargs(name, sr, n_filters):
    """Per-front-end settings scaled to the sample rate: 10 ms hops, ~16 ms kernels, 25 ms windows.

    Examples
    --------
    >>> from sklearn_wavefront.recipes import frontend_kwargs
    >>> frontend_kwargs("iconnet", 8000, 16)
    {'kernel_size': 129, 'stride': 80}
    """
    hop = max(1, round(0.010 * sr))
    kernel = 2 * max(1, round(0.008 * sr)) + 1
    if name in ("iconnet", "sinc"):
        return {"kernel_size": kernel, "stride": hop}
    if name == "gammatone":
        return {"kernel_size": max(8, round(0.025 * sr))}
    if name in ("mel", "mfcc"):
        kw = {"n_fft": 2 ** math.ceil(math.log2(max(16, 0.032 * sr))), "hop_length": hop}
        if name == "mfcc":
            kw["n_mfcc"] = min(13, n_filters)
        return kw
    return {}


def frame_channels(model, n_filters):
    """Channels of front-end ``model``'s frames with ``n_filters`` filters (``mfcc``: its coefficients)."""
    return frontend_kwargs(model, 8000, n_filters).get("n_mfcc", n_filters)


def _frontend_class(model):
    from . import frontends

    return getattr(frontends, FRONTEND_CLASSES[model])


def make_estimator(model, kind, settings, callbacks=None):
    """The estimator of one recipe, wrapped in a ``SegmentedClassifier`` when ``settings`` segments.

    Parameters
    ----------
    model : str
        A baseline (:data:`~sklearn_wavefront.registry.BASELINES`) or a front-end
        (:data:`~sklearn_wavefront.registry.FRONTENDS`).
    kind : str
        One of :data:`~sklearn_wavefront.registry.KINDS`.
    settings : Settings
    callbacks : list or None
        skorch callbacks of an end-to-end recipe.

    Examples
    --------
    >>> from sklearn_wavefront.recipes import Settings, make_estimator
    >>> est = make_estimator("comb", "fixed", Settings(sample_rate=8000))
    >>> [name for name, _ in est.steps]
    ['frontend', 'scaler', 'classifier']
    >>> est = make_estimator("mel", "temporal", Settings(sample_rate=8000))
    >>> [name for name, _ in est.steps], est["frontend"].output
    (['frontend', 'features', 'scaler', 'ridge'], 'frames')
    >>> [name for name, _ in est["features"].transformer_list], est["features"]["minirocket"].n_kernels
    (['minirocket', 'statistics'], 5000)
    """
    s = settings
    if kind == "auto":  # the search sits above the recipes it searches
        raise ValueError("the auto kind chooses among these recipes: build it with "
                         "sklearn_wavefront.auto.make_recipe (or AutoWavefrontClassifier)")
    if kind == "baseline":
        if model == "dummy":
            from sklearn.dummy import DummyClassifier

            est = DummyClassifier(strategy="stratified", random_state=s.random_state)
        elif model == "mfcc+logreg":
            from .baselines import make_mfcc_logreg

            est = make_mfcc_logreg(s.sample_rate)
        elif model in ("egemaps+logreg", "compare2016+logreg"):
            from .baselines import make_opensmile_logreg

            est = make_opensmile_logreg(s.sample_rate, model.split("+")[0])
        elif model == "minirocket":
            from .baselines import MiniRocketClassifier

            est = MiniRocketClassifier(n_kernels=s.minirocket_kernels, random_state=s.random_state)
        elif model == "mrhydra":
            from .baselines import MultiRocketHydraClassifier

            est = MultiRocketHydraClassifier(max_length=s.mrhydra_max_length, random_state=s.random_state)
        else:
            raise ValueError(f"unknown baseline {model!r}; choose from {BASELINES}")
    elif kind in ("fixed", "learned"):
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler

        if model not in FRONTENDS:
            raise ValueError(f"unknown front-end {model!r}; choose from {FRONTENDS}")
        kw = dict(sample_rate=s.sample_rate, n_filters=s.n_filters, **frontend_kwargs(model, s.sample_rate, s.n_filters))
        if kind == "learned":
            if model not in LEARNABLE:
                raise ValueError(f"the {model} front-end has no learnable filters (no 'learned' row)")
            kw.update(max_epochs=s.epochs, batch_size=s.batch_size, random_state=s.random_state, verbose=s.verbose,
                      early_stopping=s.early_stopping, validation_fraction=s.validation_fraction,
                      patience=s.patience)
            if s.learning_rate is not None:
                kw["learning_rate"] = s.learning_rate
        est = Pipeline([("frontend", _frontend_class(model)(**kw)), ("scaler", StandardScaler()),
                        ("classifier", LogisticRegression(max_iter=2000))])
    elif kind == "temporal":
        from sklearn.pipeline import FeatureUnion, Pipeline
        from sklearn.preprocessing import StandardScaler

        from .baselines import SoftmaxRidgeClassifierCV
        from .temporal import FrameStatistics, MiniRocketHead

        if model not in FRONTENDS:
            raise ValueError(f"unknown front-end {model!r} for a temporal row; choose from {FRONTENDS}")
        front = _frontend_class(model)(sample_rate=s.sample_rate, n_filters=s.n_filters, output="frames",
                                       **frontend_kwargs(model, s.sample_rate, s.n_filters))
        head = MiniRocketHead(n_kernels=s.temporal_features, n_channels=frame_channels(model, s.n_filters),
                              device=s.device, random_state=s.random_state)
        stats = FrameStatistics(n_channels=frame_channels(model, s.n_filters))
        est = Pipeline([
            ("frontend", front),
            ("features", FeatureUnion([("minirocket", head), ("statistics", stats)])),
            ("scaler", StandardScaler()),
            ("ridge", SoftmaxRidgeClassifierCV(alphas=TEMPORAL_ALPHAS)),
        ])
    elif kind == "end-to-end":
        from .classifiers import WaveformClassifier

        if model not in FRONTENDS:
            raise ValueError(f"unknown front-end {model!r}; choose from {FRONTENDS}")
        est = WaveformClassifier(
            frontend=model,
            backend=s.backend,
            frontend_kwargs=frontend_kwargs(model, s.sample_rate, s.n_filters),
            sample_rate=s.sample_rate,
            n_filters=s.n_filters,
            max_epochs=s.epochs,
            batch_size=s.batch_size,
            lr=s.lr,
            random_state=s.random_state,
            device=s.device,
            balance=s.balance,
            callbacks=callbacks,
            early_stopping=s.early_stopping,
            validation_fraction=s.validation_fraction,
            patience=s.patience,
        )
    else:
        raise ValueError(f"unknown kind {kind!r}; choose from {KINDS}")
    if s.segment_seconds is not None:
        from .segmenting import SegmentedClassifier

        est = SegmentedClassifier(est, segment_seconds=s.segment_seconds, sample_rate=s.sample_rate)
    return est


def groups_fit_parameter(estimator):
    """The ``fit`` parameter under which a recipe's estimator takes the group of each recording.

    For a ``SegmentedClassifier`` that of the estimator it wraps (it passes the groups on, ahead of
    its own recordings); for a pipeline the last step's (``ridge__groups``), else that of a learned
    front-end with early stopping (``frontend__groups``: its hold-out takes whole groups). Raises
    ``ValueError`` for an estimator that takes no groups.

    Examples
    --------
    >>> from sklearn_wavefront.recipes import Settings, groups_fit_parameter, make_estimator
    >>> groups_fit_parameter(make_estimator("mel", "temporal", Settings(sample_rate=8000)))
    'ridge__groups'
    >>> groups_fit_parameter(make_estimator("comb", "learned", Settings(sample_rate=8000, early_stopping=True)))
    'frontend__groups'
    """
    from .segmenting import SegmentedClassifier, _groups_key

    key = _groups_key(estimator.estimator if isinstance(estimator, SegmentedClassifier) else estimator)
    if key is None:
        raise ValueError(f"{type(estimator).__name__} takes no groups in fit")
    return key


def frontend_builds(name, sr, n_filters) -> bool:
    """Whether front-end ``name`` with the recipes' settings can be built at ``sr`` Hz.

    Examples
    --------
    >>> from sklearn_wavefront.recipes import frontend_builds
    >>> frontend_builds("comb", 101, 16), frontend_builds("comb", 100, 16)
    (True, False)
    """
    from .networks.heads import WaveformNet

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            WaveformNet(name, n_classes=2, sample_rate=sr, n_filters=n_filters,
                        frontend_kwargs=frontend_kwargs(name, sr, n_filters))
    except (ValueError, TypeError):
        return False
    return True


def minimum_sample_rate(name, n_filters, upper=192000):
    """The lowest whole sample rate (Hz) at which ``name`` builds, by bisection (``None`` if none <= upper)."""
    if not frontend_builds(name, upper, n_filters):
        return None
    lo, hi = 1, upper  # invariant: builds at hi; lo is a rate below every working one or untested
    if frontend_builds(name, lo, n_filters):
        return lo
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if frontend_builds(name, mid, n_filters):
            hi = mid
        else:
            lo = mid
    return hi


def check_sample_rate(frontends, sr, n_filters, option_style="python", chosen_by="models"):
    """Reject a sample rate at which a chosen front-end cannot be built (its default frequency range
    needs a higher Nyquist frequency), naming the lowest rate that works (an :class:`InputError`).
    ``chosen_by`` names the parameter that chose the front-ends (``models``; ``model`` for one)."""
    style = option_style
    for name in frontends:
        if frontend_builds(name, sr, n_filters):
            continue
        low = minimum_sample_rate(name, n_filters)
        hint = f"it needs at least {low} Hz" if low else "it cannot be built at any rate up to 192 kHz"
        raise InputError(
            f"{option('sample_rate', sr, style)} is too low for the {name} front-end with "
            f"{option('n_filters', n_filters, style)}: {hint} (pass a higher {option('sample_rate', style=style)} "
            + (f"or leave that front-end out with {option('models', style=style)})" if chosen_by == "models"
               else f"or choose another {option(chosen_by, style=style)})")
        )


def check_random_state_option(random_state, option_style="python"):
    """A seed must be a whole number in [0, 2**32 - 1] (what numpy's generators take), or an
    :class:`InputError` naming the parameter."""
    if isinstance(random_state, bool) or not isinstance(random_state, (int, np.integer)) or not (
        0 <= random_state <= 2**32 - 1
    ):
        raise InputError(f"{option('random_state', style=option_style)} must be a whole number from 0 to "
                         f"2**32 - 1, got {random_state!r}")


def warm_up(models, sample_rate=8000):
    """Pay on tiny data what the given models pay on first use in a process: aeon's numba compilation
    (:func:`sklearn_wavefront.baselines.warm_up`) and each front-end's first fit (the comb kernel's
    numba compilation, torch's first calls: ~1.4 s for comb, 0.03 s afterwards).

    ``compare`` calls it once per run and reports the seconds on their own line, so that no fold's
    fit time holds them. Returns ``{model: seconds}`` for the models warmed.
    """
    import time

    from . import baselines

    seconds = baselines.warm_up(models, sample_rate=sample_rate)
    rng = np.random.default_rng(0)
    y = np.arange(8) % 2
    for model in dict.fromkeys(models):
        if model not in FRONTENDS:
            continue
        t0 = time.perf_counter()
        try:
            wave = rng.normal(size=(8, int(sample_rate) // 4)) * 0.1  # 0.25 s
            est = make_estimator(model, "fixed", Settings(sample_rate=int(sample_rate), n_filters=4))
            est.fit(wave, y).predict(wave)
        except Exception:  # noqa: BLE001 - a warm-up never costs a run: the fold then pays, as before
            continue
        seconds[model] = time.perf_counter() - t0
    return seconds
