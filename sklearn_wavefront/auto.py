"""The package chooses its own recipe on the user's recordings: :class:`AutoWavefrontClassifier`.

A *candidate* is one recipe of :func:`~sklearn_wavefront.recipes.make_estimator` with its size: a
dict of :class:`RecipeClassifier` parameters (``model``, ``kind``, ``n_filters``, ``epochs``).
:class:`AutoWavefrontClassifier` chooses among the candidates by cross-validation **on the data given
to** ``fit`` **only** (inside an outer fold of ``compare``: its training part), grouped when
``groups`` are given (no group on both sides of an inner split), refits the choice on all of it and
predicts with it:

* the search is scikit-learn's successive halving
  (:class:`~sklearn.model_selection.HalvingGridSearchCV`, resource: the number of recordings): every
  candidate is scored on a part of the recordings, the best ``1 / factor`` go on with ``factor`` times
  more, until the last round scores the survivors on (nearly) all of them; when the budget allows, one round
  scores every candidate on all the recordings (an exhaustive grid search);
* the **budget** (``budget``, minutes) bounds the work *before* anything is fitted, through a cost
  model (:func:`estimated_seconds`: a fixed part per fit plus seconds per million samples, per filter
  and epoch for the trained kinds, measured on 2 CPU cores by ``benchmarks/auto_costs.py``): the plan
  (:func:`plan_search`) scores every candidate on every recording when that fits, else halves, else
  drops candidates from the end of the list (the list is in priority order). The plan, not the
  clock, limits the work, so the choices do not depend on the machine's load;
* the learned and end-to-end candidates stop early: they hold out ``validation_fraction`` of their
  training recordings (whole groups), stop after ``patience`` epochs without a better validation
  loss and keep the best epoch's weights; ``epochs`` is their upper bound, and the epochs run are
  reported (``choice_["epochs_run"]``);
* ``ensemble=k > 1`` soft-votes the ``k`` best candidates of the last round (each refitted on all the
  recordings): recipes that err on different recordings can correct each other.

The fits run through joblib (``n_jobs``), so ``joblib.parallel_backend("dask")`` spreads them over
a cluster as it does for :class:`~sklearn.model_selection.GridSearchCV`; each fit runs under an
explicit thread budget (:mod:`sklearn_wavefront._threads`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._validation import ValidatedParamsMixin
from .registry import BASELINES, FRONTENDS, LEARNABLE

__all__ = [
    "make_recipe",
    "RecipeClassifier",
    "AutoWavefrontClassifier",
    "DEFAULT_CANDIDATES",
    "candidate_name",
    "estimated_seconds",
    "plan_search",
    "SearchPlan",
    "DEFAULT_BUDGET",
]

#: minutes of (estimated) work per ``fit`` of :class:`AutoWavefrontClassifier`: with compare's folds,
#: per outer fold (see the docs' *Choosing a recipe* for the sets that chose it)
DEFAULT_BUDGET = 10.0

#: the candidates in priority order (the budget drops them from the end): what won on some kind of
#: data (temporal FIR rows on speech and heart sounds, the comb learned or end to end on pitch,
#: MiniRocket and openSMILE's ComParE functionals where nothing of the package beats them), then the
#: larger and costlier variants. Baselines whose library is absent are left out at ``fit``.
DEFAULT_CANDIDATES = (
    {"model": "iconnet", "kind": "temporal", "n_filters": 16},
    {"model": "gammatone", "kind": "temporal", "n_filters": 16},
    {"model": "minirocket", "kind": "baseline"},
    {"model": "comb", "kind": "end-to-end", "n_filters": 32, "epochs": 30},
    {"model": "mel", "kind": "temporal", "n_filters": 32},
    {"model": "comb", "kind": "learned", "n_filters": 32, "epochs": 30},
    {"model": "compare2016+logreg", "kind": "baseline"},
    {"model": "comb", "kind": "end-to-end", "n_filters": 64, "epochs": 30},
    {"model": "sinc", "kind": "temporal", "n_filters": 16},
    {"model": "mfcc+logreg", "kind": "baseline"},
)

# Cost model: seconds of one fit on 2 CPU cores, one thread per process: a fixed part per fit plus a
# part per million input samples (the learned and end-to-end kinds: per filter and epoch), measured by
# benchmarks/auto_costs.py (benchmarks/results/auto/costs.txt, 2026-12-07; the comb's figure 2026-12-08,
# after issue 21's faster kernel) and checked on a whole search by benchmarks/auto_budget.py. Where a
# figure was not measured (marked), a conservative guess.
_FIXED_SECONDS = {
    "dummy": 0.0, "mfcc+logreg": 0.01, "egemaps+logreg": 0.3, "compare2016+logreg": 0.3,
    "minirocket": 1.2, "mrhydra": 2.0,  # mrhydra: not measured
}
_COST_PER_MSAMPLE = {
    ("dummy", "baseline"): 0.001,
    ("mfcc+logreg", "baseline"): 0.03,
    ("egemaps+logreg", "baseline"): 1.4,
    ("compare2016+logreg", "baseline"): 1.4,
    ("minirocket", "baseline"): 1.6,
    ("mrhydra", "baseline"): 8.0,  # not measured: the judge tables' fit times
    ("fir", "fixed"): 0.1,
    ("fir", "temporal"): 0.17,
    ("comb", "fixed"): 0.15,  # comb fixed and temporal: not measured
    ("comb", "temporal"): 0.25,
}
# comb measured (learned 0.0020, end to end 0.0014-0.0016; 0.0030 and 0.0021-0.0024 before issue 21's
# kernel); the FIR front-ends not measured
_COST_PER_MSAMPLE_FILTER_EPOCH = {"comb": 0.002, "iconnet": 0.005, "sinc": 0.005, "gammatone": 0.012}
_FIXED_FRONTEND_SECONDS = 0.05


def make_recipe(model, kind, settings, callbacks=None):
    """The estimator of any row of ``compare``: :class:`AutoWavefrontClassifier` for the kind ``"auto"``
    (``model`` ``"auto"``, or ``"auto-ensemble"``: the soft vote of the three best), else
    :func:`~sklearn_wavefront.recipes.make_estimator`'s.

    The search takes ``settings``' sample rate, segment length, training settings and ``budget``;
    it segments inside each candidate, never around the search (whose inner splits would then part
    the segments of one recording).

    Examples
    --------
    >>> from sklearn_wavefront.auto import make_recipe
    >>> from sklearn_wavefront.recipes import Settings
    >>> type(make_recipe("auto", "auto", Settings(sample_rate=8000, budget=2.0))).__name__
    'AutoWavefrontClassifier'
    >>> make_recipe("auto-ensemble", "auto", Settings(sample_rate=8000)).ensemble
    3
    """
    from .recipes import make_estimator
    from .registry import AUTO_MODELS

    if kind != "auto":
        return make_estimator(model, kind, settings, callbacks=callbacks)
    if model not in AUTO_MODELS:
        raise ValueError(f"unknown auto row {model!r}; choose from {AUTO_MODELS}")
    s = settings
    return AutoWavefrontClassifier(
        sample_rate=s.sample_rate, budget=s.budget, ensemble=3 if model == "auto-ensemble" else 1,
        batch_size=s.batch_size, lr=s.lr, backend=s.backend, temporal_features=s.temporal_features,
        minirocket_kernels=s.minirocket_kernels, segment_seconds=s.segment_seconds,
        early_stopping=True, validation_fraction=s.validation_fraction, patience=s.patience,
        penalty_groups=s.penalty_groups, device=s.device, random_state=s.random_state, verbose=s.verbose,
    )


def candidate_name(params) -> str:
    """A short name of a candidate, e.g. ``"comb end-to-end 64"``.

    Examples
    --------
    >>> from sklearn_wavefront.auto import candidate_name
    >>> candidate_name({"model": "comb", "kind": "end-to-end", "n_filters": 64, "epochs": 30})
    'comb end-to-end 64'
    >>> candidate_name({"model": "minirocket", "kind": "baseline"})
    'minirocket'
    """
    if params.get("kind", "temporal") == "baseline":
        return params["model"]
    return f"{params['model']} {params.get('kind', 'temporal')} {params.get('n_filters', 16)}"


def estimated_seconds(params, n_recordings, n_samples) -> float:
    """Estimated seconds of one fit of a candidate on ``n_recordings`` of ``n_samples`` samples
    (2 CPU cores; learned and end-to-end: all ``epochs`` run, the most early stopping allows).

    Examples
    --------
    >>> from sklearn_wavefront.auto import estimated_seconds
    >>> cheap = estimated_seconds({"model": "mel", "kind": "temporal", "n_filters": 16}, 100, 16000)
    >>> costly = estimated_seconds({"model": "comb", "kind": "end-to-end", "n_filters": 64, "epochs": 30}, 100, 16000)
    >>> cheap < costly
    True
    """
    model, kind = params["model"], params.get("kind", "temporal")
    msamples = n_recordings * n_samples / 1e6
    if kind == "baseline":
        return _FIXED_SECONDS.get(model, 1.0) + _COST_PER_MSAMPLE.get((model, kind), 3.5) * msamples
    n_filters = params.get("n_filters", 16)
    if kind in ("learned", "end-to-end") and model in LEARNABLE:
        # the per-filter-epoch figure is the measured slope of the whole fit (its first pass included)
        per = _COST_PER_MSAMPLE_FILTER_EPOCH[model]
        return _FIXED_FRONTEND_SECONDS + per * msamples * n_filters * params.get("epochs", 4)
    base = "comb" if model == "comb" else "fir"
    # measured at 16 filters (mel temporal 32 cost no more: the head's feature count is fixed)
    return _FIXED_FRONTEND_SECONDS + _COST_PER_MSAMPLE[(base, "temporal" if kind == "temporal" else "fixed")] * msamples


# the settings a recipe and the search over recipes share (one place for their rules)
_SETTING_CONSTRAINTS = {
    "sample_rate": [Interval(Integral, 1, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "lr": [Interval(Real, 0, None, closed="neither")],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "patience": [Interval(Integral, 1, None, closed="left")],
    "backend": [str],
    "temporal_features": [Interval(Integral, 84, None, closed="left")],
    "minirocket_kernels": [Interval(Integral, 84, None, closed="left")],
    "segment_seconds": [Interval(Real, 0, None, closed="neither"), None],
    "penalty_groups": ["boolean"],
    "device": [str],
    "random_state": [Interval(Integral, 0, 2**32 - 1, closed="both")],
}


class RecipeClassifier(ValidatedParamsMixin, ClassifierMixin, BaseEstimator):
    """One recipe of :func:`~sklearn_wavefront.recipes.make_estimator` as an estimator whose recipe is a
    parameter, so that a search can tune ``model``, ``kind`` and the size.

    Parameters
    ----------
    model : str, default="iconnet"
        A front-end (:data:`~sklearn_wavefront.registry.FRONTENDS`) or a baseline
        (:data:`~sklearn_wavefront.registry.BASELINES`).
    kind : str, default="temporal"
        ``"baseline"`` (with a baseline), ``"fixed"``, ``"temporal"``, ``"learned"`` or ``"end-to-end"``.
    sample_rate : int, default=16000
    n_filters, epochs, batch_size : int
        Front-end size; the learned and end-to-end training (``epochs``: the most, with early stopping).
    lr : float
        End-to-end peak learning rate.
    early_stopping : bool, default=True
        Learned and end-to-end: hold out ``validation_fraction`` of the recordings (whole groups when
        ``fit`` gets ``groups``), stop after ``patience`` epochs without a better validation loss, keep
        the best epoch's weights.
    validation_fraction : float, default=0.1
    patience : int, default=5
    backend : str, default="temporal"
        End-to-end back-end.
    temporal_features, minirocket_kernels : int
        The temporal rows' MiniRocket features; MiniRocket's kernels on the waveform.
    segment_seconds : float or None
        Train on segments of this length (:class:`~sklearn_wavefront.segmenting.SegmentedClassifier`).
    penalty_groups : bool, default=False
        Whether ``groups`` also choose the ridge penalty of the temporal and MiniRocket recipes
        (``compare``'s ``penalty_groups="group-column"``); else only the early-stopping hold-out sees them.
    n_threads : int or None
        Run ``fit`` and ``predict`` with this many torch / BLAS threads (``None``: as the caller).
    device : str, default="auto"
    random_state : int, default=0

    Attributes
    ----------
    estimator_ : estimator
        The fitted recipe.
    classes_ : ndarray
    epochs_run_ : int or None
        Epochs the learned or end-to-end training ran (``None`` for the other kinds).

    Examples
    --------
    >>> from sklearn_wavefront.auto import RecipeClassifier
    >>> from sklearn_wavefront.datasets import make_harmonic_tones
    >>> X, y = make_harmonic_tones(n_samples=24, n_classes=2, duration=0.25, random_state=0, return_X_y=True)
    >>> clf = RecipeClassifier("mel", "fixed", sample_rate=8000).fit(X, y)
    >>> clf.predict(X[:3]).shape, clf.epochs_run_
    ((3,), None)
    """

    _parameter_constraints = {
        **_SETTING_CONSTRAINTS,
        "model": [StrOptions(set(FRONTENDS) | set(BASELINES))],
        "kind": [StrOptions({"baseline", "fixed", "temporal", "learned", "end-to-end"})],
        "n_filters": [Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, model="iconnet", kind="temporal", *, sample_rate=16000, n_filters=16, epochs=4,
                 batch_size=16, lr=3e-3, early_stopping=True, validation_fraction=0.1, patience=5,
                 backend="temporal", temporal_features=5000, minirocket_kernels=10000, segment_seconds=None,
                 penalty_groups=False, n_threads=None, device="auto", random_state=0):
        self.model = model
        self.kind = kind
        self.sample_rate = sample_rate
        self.n_filters = n_filters
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.backend = backend
        self.temporal_features = temporal_features
        self.minirocket_kernels = minirocket_kernels
        self.segment_seconds = segment_seconds
        self.penalty_groups = penalty_groups
        self.n_threads = n_threads
        self.device = device
        self.random_state = random_state

    def settings(self):
        """The :class:`~sklearn_wavefront.recipes.Settings` this recipe is built from."""
        from .recipes import Settings

        return Settings(
            sample_rate=int(self.sample_rate), n_filters=self.n_filters, epochs=self.epochs,
            batch_size=self.batch_size, lr=self.lr, backend=self.backend, device=self.device,
            random_state=self.random_state, minirocket_kernels=self.minirocket_kernels,
            temporal_features=self.temporal_features, segment_seconds=self.segment_seconds,
            early_stopping=self.early_stopping, validation_fraction=self.validation_fraction,
            patience=self.patience,
        )

    def _threads(self):
        import contextlib

        if self.n_threads is None:
            return contextlib.nullcontext()
        from ._threads import thread_limits

        return thread_limits(self.n_threads)

    def fit(self, X, y, groups=None):
        """Build the recipe and fit it; ``groups`` (per recording) reach its early-stopping hold-out
        (and, with ``penalty_groups``, the ridge penalty's CV)."""
        from sklearn import config_context

        from .recipes import groups_fit_parameter, make_estimator

        self._validate_params()
        if (self.kind == "baseline") != (self.model in BASELINES):
            raise ValueError(f"kind={self.kind!r} does not go with model={self.model!r}: a baseline takes "
                             "kind='baseline', a front-end one of 'fixed', 'temporal', 'learned', 'end-to-end'")
        if self.kind == "learned" and self.model not in LEARNABLE:
            raise ValueError(f"model={self.model!r} has no learnable filters (kind='learned' needs one of "
                             f"{', '.join(LEARNABLE)})")
        y = np.asarray(y)
        with self._threads(), config_context(enable_metadata_routing=False):  # the recipe's own keys
            est = make_estimator(self.model, self.kind, self.settings())
            params = {}
            learns = self.kind in ("learned", "end-to-end") and self.early_stopping
            penalty = self.penalty_groups and (self.kind == "temporal" or self.model == "minirocket")
            if groups is not None and (learns or penalty):
                try:
                    params[groups_fit_parameter(est)] = np.asarray(groups)
                except ValueError:  # a recipe that takes no groups (e.g. learned without early stopping)
                    pass
            est.fit(X, y, **params)
        self.estimator_ = est
        self.classes_ = est.classes_
        self.epochs_run_ = _epochs_run(est, self.kind)
        return self

    def predict_proba(self, X):
        check_is_fitted(self)
        with self._threads():
            return self.estimator_.predict_proba(X)

    def predict(self, X):
        check_is_fitted(self)
        with self._threads():
            return self.estimator_.predict(X)


def _epochs_run(est, kind):
    """Epochs a fitted learned or end-to-end recipe trained (``None`` for the other kinds)."""
    if kind not in ("learned", "end-to-end"):
        return None
    inner = getattr(est, "estimator_", est)  # through a SegmentedClassifier
    if kind == "end-to-end":
        history = getattr(inner, "history_", None) or getattr(inner, "history", None)
        return None if history is None else len(history)
    front = inner.named_steps["frontend"]
    return int(getattr(front, "n_iter_", 0)) or None


@dataclass
class SearchPlan:
    """What :func:`plan_search` chose: the candidates kept, the rounds' recordings and the estimate."""

    candidates: list
    dropped: list
    min_resources: int
    max_resources: int
    factor: int
    n_rounds: int
    estimated_seconds: float
    budget_seconds: float
    rounds: list = field(default_factory=list)  # (n_candidates, n_recordings) per round

    @property
    def exhaustive(self):
        return self.n_rounds == 1

    def as_dict(self):
        """The plan as plain data (what a fitted :class:`AutoWavefrontClassifier` keeps in ``plan_``)."""
        return {"candidates": [dict(c) for c in self.candidates], "dropped": [dict(c) for c in self.dropped],
                "min_resources": int(self.min_resources), "max_resources": int(self.max_resources),
                "factor": int(self.factor), "n_rounds": int(self.n_rounds), "exhaustive": self.exhaustive,
                "estimated_seconds": float(self.estimated_seconds), "budget_seconds": float(self.budget_seconds),
                "rounds": [[int(a), int(b)] for a, b in self.rounds]}


def _rounds(n_candidates, min_resources, max_resources, factor):
    """The (candidates, recordings) of each round of scikit-learn's successive halving."""
    n_possible = 1 + int(math.floor(math.log(max_resources / min_resources, factor) + 1e-9))
    n_required = 1 + int(math.floor(math.log(n_candidates, factor) + 1e-9)) if n_candidates > 1 else 1
    n_rounds = min(n_possible, n_required)
    out, left = [], n_candidates
    for i in range(n_rounds):
        out.append((left, min(max_resources, int(min_resources * factor**i))))
        left = int(math.ceil(left / factor))
    return out


def plan_search(candidates, n_recordings, n_samples, n_splits, budget_minutes, n_classes, factor=3, ensemble=1):
    """Plan the search within the budget, before anything is fitted (deterministic).

    The work of a plan is its estimated seconds (:func:`estimated_seconds`): in every round, the
    round's candidates on the training part of its recordings, ``n_splits`` times (the survivors of a
    round are unknown beforehand: the costliest are counted), plus the refit of the ``ensemble``
    costliest survivors on all recordings. For the first ``n`` candidates (``n`` from all of them down
    to one) the plan is one round of every candidate on every recording (exhaustive) when it fits the
    budget, else successive halving whose last round scores the survivors on (nearly: up to
    ``factor ** (rounds - 1) - 1`` left out) every recording and whose first round has
    ``n_recordings // factor ** (rounds - 1)`` recordings (at least ``2 * n_splits * n_classes``,
    scikit-learn's smallest); the first that fits is taken (one candidate when none does). So the
    budget drops candidates from the end of the list: the list is in priority order.

    Examples
    --------
    >>> from sklearn_wavefront.auto import DEFAULT_CANDIDATES, plan_search
    >>> big = plan_search(DEFAULT_CANDIDATES, 400, 32000, 3, budget_minutes=600, n_classes=4)
    >>> big.exhaustive, len(big.candidates)
    (True, 10)
    >>> small = plan_search(DEFAULT_CANDIDATES, 400, 32000, 3, budget_minutes=1, n_classes=4)
    >>> len(small.candidates) < 10, small.estimated_seconds <= 60, small.dropped == list(DEFAULT_CANDIDATES[len(small.candidates):])
    (True, True, True)
    """
    budget = float(budget_minutes) * 60.0
    candidates = list(candidates)
    n_train = (n_splits - 1) / n_splits  # an inner split's training part, as a share of a round's recordings
    smallest = min(n_recordings, max(2 * n_splits * n_classes, 1))

    def cost(cands, rounds):
        total = 0.0
        for n_cand, res in rounds:
            each = sorted((estimated_seconds(c, res * n_train, n_samples) for c in cands), reverse=True)
            total += n_splits * sum(each[:n_cand])  # the costliest n_cand at this round's size
        last = rounds[-1][0]
        refits = sorted((estimated_seconds(c, n_recordings, n_samples) for c in cands), reverse=True)
        return total + sum(refits[: max(1, min(ensemble, last))])

    def plan(cands, rounds):
        return SearchPlan(cands, candidates[len(cands):], rounds[0][1], n_recordings, factor, len(rounds),
                          cost(cands, rounds), budget, rounds)

    for n in range(len(candidates), 0, -1):
        cands = candidates[:n]
        exhaustive = plan(cands, [(n, n_recordings)])
        if exhaustive.estimated_seconds <= budget or n == 1:
            return exhaustive
        n_rounds = 1 + int(math.floor(math.log(n, factor) + 1e-9))
        min_res = n_recordings // factor ** (n_rounds - 1)
        if n_rounds > 1 and min_res >= smallest:  # else too few recordings in the first round: fewer candidates
            halving = plan(cands, _rounds(n, min_res, n_recordings, factor))
            if halving.estimated_seconds <= budget:
                return halving
    raise AssertionError("unreachable: one candidate is always planned")


def _choice(params, fitted, inner_ua, inner_ua_std, n_candidates) -> dict:
    """The head of ``choice_``: what was chosen (its fitted :class:`RecipeClassifier`) and its inner score."""
    return {
        "name": candidate_name(params), "model": fitted.model, "kind": fitted.kind,
        "n_filters": None if fitted.kind == "baseline" else fitted.n_filters, "epochs_run": fitted.epochs_run_,
        "inner_ua": inner_ua, "inner_ua_std": inner_ua_std, "n_candidates": n_candidates,
    }


class AutoWavefrontClassifier(ValidatedParamsMixin, ClassifierMixin, BaseEstimator):
    """Choose the recipe by (grouped) cross-validation on the training data, refit it, predict with it.

    See the module docstring for the search, the budget and the ensemble.

    Parameters
    ----------
    sample_rate : int, default=16000
    candidates : list of dict or None
        :class:`RecipeClassifier` parameters of each candidate, in priority order (``None``:
        :data:`DEFAULT_CANDIDATES`).
    cv : int, default=3
        Inner folds: ``StratifiedGroupKFold`` with ``groups`` (fewer when there are fewer groups),
        else ``StratifiedKFold``; shuffled with ``random_state``.
    budget : float, default=DEFAULT_BUDGET
        Minutes of estimated work (2 CPU cores) per ``fit``; see :func:`plan_search`.
    factor : int, default=3
        Successive halving's factor.
    ensemble : int, default=1
        Soft-vote the ``ensemble`` best candidates of the last round (1: the best alone).
    early_stopping, validation_fraction, patience :
        The learned and end-to-end candidates' early stopping (see :class:`RecipeClassifier`).
    batch_size, lr, backend, temporal_features, minirocket_kernels, segment_seconds, penalty_groups, device :
        Passed to every candidate (see :class:`RecipeClassifier`).
    n_jobs : int or None
        Candidate fits in parallel (joblib; ``joblib.parallel_backend("dask")`` sends them to a cluster).
    random_state : int, default=0
    verbose : int, default=0
        ``> 0``: one line per round of the search on stderr.

    Attributes
    ----------
    plan_ : dict
        The :class:`SearchPlan` of the search, as a dict (``None`` when too few recordings allowed no search).
    cv_results_ : dict
        The search's record (``HalvingGridSearchCV.cv_results_``'s ``params``, ``iter``, ``n_resources``,
        ``mean_test_score``, ``std_test_score``, ``mean_fit_time``): every candidate, what lost too.
    n_candidates_, n_resources_ : list of int
        Candidates and recordings of each round.
    best_params_ : dict
    choice_ : dict
        What was chosen: ``name``, ``model``, ``kind``, ``n_filters``, ``epochs_run``, ``inner_ua`` (mean
        balanced accuracy over the inner splits) and ``inner_ua_std``; with an ensemble, ``members``;
        ``inner_scores``: every candidate's inner UA in the last round it reached, and that round's recordings.
    estimators_ : list of RecipeClassifier
        The refitted choice (one, or the ensemble's members).
    segment_length_, hop_length_ : int
        With ``segment_seconds``: the samples of each segment its candidates cut and between their
        starts (the same), as their :class:`~sklearn_wavefront.segmenting.SegmentedClassifier` cuts them.
    classes_ : ndarray

    Examples
    --------
    >>> from sklearn_wavefront.auto import AutoWavefrontClassifier
    >>> from sklearn_wavefront.datasets import make_harmonic_tones
    >>> X, y = make_harmonic_tones(n_samples=36, n_classes=2, duration=0.25, random_state=0, return_X_y=True)
    >>> auto = AutoWavefrontClassifier(sample_rate=8000, candidates=[
    ...     {"model": "mel", "kind": "fixed"}, {"model": "gammatone", "kind": "fixed", "n_filters": 8}])
    >>> auto.fit(X, y).choice_["model"] in ("mel", "gammatone")
    True
    """

    _parameter_constraints = {
        **_SETTING_CONSTRAINTS,
        "candidates": [list, tuple, None],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "budget": [Interval(Real, 0, None, closed="neither")],
        "factor": [Interval(Integral, 2, None, closed="left")],
        "ensemble": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(self, sample_rate=16000, *, candidates=None, cv=3, budget=DEFAULT_BUDGET, factor=3, ensemble=1,
                 early_stopping=True, validation_fraction=0.1, patience=5, batch_size=16, lr=3e-3,
                 backend="temporal", temporal_features=5000, minirocket_kernels=10000, segment_seconds=None,
                 penalty_groups=False, device="auto", n_jobs=None, random_state=0, verbose=0):
        self.sample_rate = sample_rate
        self.candidates = candidates
        self.cv = cv
        self.budget = budget
        self.factor = factor
        self.ensemble = ensemble
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.batch_size = batch_size
        self.lr = lr
        self.backend = backend
        self.temporal_features = temporal_features
        self.minirocket_kernels = minirocket_kernels
        self.segment_seconds = segment_seconds
        self.penalty_groups = penalty_groups
        self.device = device
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # -- candidates ---------------------------------------------------------------------------------
    def _usable_candidates(self):
        """The candidates, checked, without the baselines whose library is missing and the front-ends
        that cannot be built at ``sample_rate``."""
        from .recipes import frontend_builds
        from .registry import BASELINE_LIBRARIES

        cands = [dict(c) for c in (DEFAULT_CANDIDATES if self.candidates is None else self.candidates)]
        if not cands:
            raise ValueError("candidates is empty: give at least one recipe (or None for the defaults)")
        allowed = set(RecipeClassifier().get_params())
        for i, c in enumerate(cands):
            if not isinstance(c, dict) or "model" not in c:
                raise ValueError(f"candidates[{i}] must be a dict with at least 'model', got {c!r}")
            unknown = sorted(set(c) - allowed)
            if unknown:
                raise ValueError(f"candidates[{i}] has unknown key(s) {unknown}; RecipeClassifier takes "
                                 f"{sorted(allowed)}")
            if c["model"] not in FRONTENDS + BASELINES:
                raise ValueError(f"candidates[{i}]: model {c['model']!r} is not a front-end or a baseline; "
                                 f"choose from {', '.join(FRONTENDS + BASELINES)}")
            c.setdefault("kind", "baseline" if c["model"] in BASELINES else "temporal")
        kept = []
        for c in cands:
            library = BASELINE_LIBRARIES.get(c["model"])
            if library is not None and not _importable(library):
                continue
            if c["model"] in FRONTENDS and not frontend_builds(c["model"], int(self.sample_rate),
                                                               c.get("n_filters", 16)):
                continue
            kept.append(c)
        if not kept:
            raise ValueError("no candidate can run here (their libraries are missing, or their front-ends "
                             f"cannot be built at sample_rate={self.sample_rate})")
        return kept

    def _inner_cv(self, y, groups):
        """The inner splitter and the groups it splits by, or ``(None, None, reason)`` when no inner
        split can hold every class on both sides (then the first candidate is taken unsearched)."""
        from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

        smallest = int(np.unique(y, return_counts=True)[1].min())
        if smallest < 2:
            return None, None, (f"a class has {smallest} recording here: no inner split can hold it on both sides, "
                                "so the first candidate was taken without a search")
        if groups is None:
            return StratifiedKFold(min(self.cv, smallest), shuffle=True, random_state=self.random_state), None, None
        n_groups = len(np.unique(groups))
        return StratifiedGroupKFold(min(self.cv, n_groups), shuffle=True, random_state=self.random_state), groups, None

    # -- fit ----------------------------------------------------------------------------------------
    def fit(self, X, y, groups=None):
        """Choose the recipe on inner splits of ``(X, y)`` (grouped by ``groups``), refit it on all of it.

        Parameters
        ----------
        X : 2-D array (n_recordings, n_samples), or array/list of 1-D recordings with ``segment_seconds``
        y : array-like of shape (n_recordings,)
        groups : array-like of shape (n_recordings,) or None
            Group of each recording (e.g. speaker): no inner split and no early-stopping hold-out
            puts one group on both sides. With metadata routing, request it with
            ``set_fit_request(groups=True)``.
        """
        import sys
        import warnings

        from sklearn import config_context
        from sklearn.experimental import enable_halving_search_cv  # noqa: F401
        from sklearn.model_selection import HalvingGridSearchCV

        from ._threads import thread_budget

        self._validate_params()
        y = np.asarray(y)
        if len(y) != len(X):
            raise ValueError(f"X holds {len(X)} recordings but y {len(y)} labels")
        if groups is not None:
            groups = np.asarray(groups)
            if len(groups) != len(y):
                raise ValueError(f"groups holds {len(groups)} values for {len(y)} recordings")
            groups = _normalised_groups(groups)
        cands = self._usable_candidates()
        cv, split_groups, unsearched = self._inner_cv(y, groups)
        if cv is None:
            return self._fit_unsearched(X, y, groups, cands[0], unsearched)
        if self.segment_seconds is None:
            n_samples = int(np.mean([len(x) for x in X]))
        else:  # every recording is cut into segments (the last padded): the samples the candidates see
            seg = max(1, int(round(self.segment_seconds * self.sample_rate)))
            n_samples = int(np.mean([max(1, math.ceil(len(x) / seg)) * seg for x in X]))
        p = plan_search(cands, len(y), n_samples, cv.get_n_splits(), self.budget, len(np.unique(y)),
                        factor=self.factor, ensemble=self.ensemble)
        self.plan_ = p.as_dict()
        n_tasks = cv.get_n_splits() * len(p.candidates)
        grid = [{k: [v] for k, v in c.items()} for c in p.candidates]
        if self.verbose:
            print(f"[auto] {len(p.candidates)} candidates ({len(p.dropped)} dropped by the budget), "
                  f"{p.n_rounds} round(s) from {p.min_resources} of {p.max_resources} recordings, "
                  f"{cv.get_n_splits()} inner folds, estimated {p.estimated_seconds / 60:.1f} of "
                  f"{p.budget_seconds / 60:.1f} min", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        # the groups reach both the inner splitter and every candidate's fit (its early-stopping
        # hold-out) through scikit-learn's metadata routing, enabled for this search only
        with config_context(enable_metadata_routing=True), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*least populated class.*")
            searched = self._base(n_threads=thread_budget(self.n_jobs, n_tasks)).set_fit_request(groups=True)
            search = HalvingGridSearchCV(
                searched, grid, factor=self.factor, resource="n_samples",
                min_resources=p.min_resources, max_resources=p.max_resources,
                aggressive_elimination=False, cv=cv, scoring="balanced_accuracy", refit=False,
                error_score=np.nan, n_jobs=self.n_jobs, random_state=self.random_state,
                verbose=max(0, int(self.verbose) - 1),
            )
            search.fit(X, y, groups=split_groups)
        self.search_seconds_ = time.perf_counter() - t0
        # the search's record, as plain data (a model file holds no search object): every candidate's
        # parameters, round, recordings and inner scores
        results = {key: np.asarray(search.cv_results_[key])
                   for key in ("iter", "n_resources", "mean_test_score", "std_test_score", "mean_fit_time")}
        results["params"] = [dict(params) for params in search.cv_results_["params"]]
        self.cv_results_ = results
        self.n_candidates_ = [int(n) for n in search.n_candidates_]
        self.n_resources_ = [int(n) for n in search.n_resources_]
        last = results["iter"] == results["iter"].max()
        scores = np.where(last & np.isfinite(results["mean_test_score"]), results["mean_test_score"], -np.inf)
        if not np.isfinite(scores).any():
            raise ValueError("every candidate failed on the inner splits (see the FitFailedWarning above)")
        # ties go to the candidate earliest in the list (its priority order), whatever order the search kept
        priority = [p.candidates.index(params) for params in results["params"]]  # each grid entry is a candidate
        order = np.lexsort((priority, -scores))
        chosen = [int(i) for i in order[: self.ensemble] if np.isfinite(scores[i])]
        if len(chosen) < self.ensemble:
            warnings.warn(f"AutoWavefrontClassifier: ensemble={self.ensemble} but the last round of the search scored "
                          f"{len(chosen)} candidate(s) on all the recordings: the soft vote has {len(chosen)} member(s) "
                          "(a larger budget lets more candidates reach the last round)", UserWarning, stacklevel=2)
        self.best_params_ = dict(results["params"][chosen[0]])
        t1 = time.perf_counter()
        self.estimators_ = []
        for i in chosen:  # with the caller's threads (a fitted model keeps no training-time budget)
            est = self._base().set_params(**results["params"][i])
            with config_context(enable_metadata_routing=False):
                est.fit(X, y, groups=groups)
            self.estimators_.append(est)
        self.refit_seconds_ = time.perf_counter() - t1
        self.classes_ = self.estimators_[0].classes_
        self._set_segments()
        best = self.estimators_[0]
        self.choice_ = _choice(self.best_params_, best, float(results["mean_test_score"][chosen[0]]),
                               float(results["std_test_score"][chosen[0]]), len(p.candidates))
        if self.ensemble > 1:
            self.choice_["members"] = [candidate_name(results["params"][i]) for i in chosen]
        # what lost too: every candidate's inner score in the last round it reached (and on how many recordings)
        reached = {}
        for i, params in enumerate(results["params"]):
            reached[candidate_name(params)] = (float(results["mean_test_score"][i]), int(results["n_resources"][i]))
        self.choice_["inner_scores"] = {name: {"ua": ua if math.isfinite(ua) else None, "n_recordings": n}
                                        for name, (ua, n) in reached.items()}  # None: the candidate failed
        if self.verbose:
            print(f"[auto] chose {self.choice_['name']} (inner UA {self.choice_['inner_ua']:.3f}) in "
                  f"{self.search_seconds_ + self.refit_seconds_:.0f} s", file=sys.stderr, flush=True)
        return self

    def _base(self, n_threads=None):
        return RecipeClassifier(
            sample_rate=self.sample_rate, batch_size=self.batch_size, lr=self.lr, early_stopping=self.early_stopping,
            validation_fraction=self.validation_fraction, patience=self.patience, backend=self.backend,
            temporal_features=self.temporal_features, minirocket_kernels=self.minirocket_kernels,
            segment_seconds=self.segment_seconds, penalty_groups=self.penalty_groups, device=self.device,
            random_state=self.random_state, n_threads=n_threads,
        )

    def _set_segments(self):
        """With ``segment_seconds``, the segments its candidates cut (as a SegmentedClassifier says
        them: what :func:`~sklearn_wavefront.persistence.input_coverage` reads to flag padding)."""
        if self.segment_seconds is None:
            for name in ("segment_length_", "hop_length_"):
                self.__dict__.pop(name, None)
            return
        self.segment_length_ = self.hop_length_ = max(1, int(round(self.segment_seconds * self.sample_rate)))

    def _fit_unsearched(self, X, y, groups, params, reason):
        """Too little data for an inner split: the first candidate, fitted on everything, said in ``choice_``."""
        import warnings

        warnings.warn(f"AutoWavefrontClassifier: {reason}", UserWarning, stacklevel=3)
        self.plan_ = self.cv_results_ = None
        self.n_candidates_, self.n_resources_ = [1], [len(y)]
        self.search_seconds_ = 0.0
        self.best_params_ = dict(params)
        t0 = time.perf_counter()
        est = self._base().set_params(**params).fit(X, y, groups=groups)
        self.refit_seconds_ = time.perf_counter() - t0
        self.estimators_ = [est]
        self.classes_ = est.classes_
        self._set_segments()
        self.choice_ = {**_choice(params, est, None, None, 1), "inner_scores": {}, "note": reason}
        return self

    def predict_proba(self, X):
        """Mean class probabilities of the chosen recipe(s)."""
        check_is_fitted(self)
        return np.mean([est.predict_proba(X) for est in self.estimators_], axis=0)

    def predict(self, X):
        check_is_fitted(self)
        if len(self.estimators_) == 1:
            return self.estimators_[0].predict(X)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def _normalised_groups(groups):
    """The groups the search and the refits use: ``None`` when they constrain nothing (one group per
    recording: the same splits and hold-outs as without groups) or cannot be used (a single group:
    said in a warning)."""
    import warnings

    n_groups = len(np.unique(groups))
    if n_groups < 2:
        warnings.warn("groups holds a single group: the recipe is chosen, and its early-stopping hold-out drawn, "
                      "by recordings", UserWarning, stacklevel=3)
        return None
    return None if n_groups == len(groups) else groups


def _importable(name):
    import importlib.util

    return importlib.util.find_spec(name) is not None
