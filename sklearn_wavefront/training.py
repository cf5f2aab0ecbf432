"""Train one recipe on whole recordings and keep it as a model: what ``wavefront fit`` does.

:func:`train_model` trains what :func:`~sklearn_wavefront.compare` scores for one (model, kind) row
(kinds fixed, temporal, learned, end-to-end), the same way:

* the same estimator (:func:`~sklearn_wavefront.recipes.make_estimator`) with the same defaults
  (:data:`RECIPE_DEFAULTS`, those of ``compare``);
* the same length policy (:func:`~sklearn_wavefront.length_policy.apply_length_policy`): every
  recording zero-padded at the end to the longest when that is at most ``max_duration`` seconds,
  else segments of ``max_duration`` seconds; or all cropped or padded to a forced ``duration``. The
  model is a :class:`~sklearn_wavefront.segmenting.SegmentedClassifier` whose segment is that length,
  so it trains on exactly the arrays ``compare`` trains on and decides any new recording per segment
  (a shorter one zero-padded at the end, a longer one in several segments, mean probability);
* with ``from_results``, the settings of a ``compare`` result (``results.json``), whose
  cross-validated score of the row is kept in the model; without, an inner cross-validation of the
  same recipe on the training recordings estimates it (``cv_folds``).

:func:`build_estimator` is the one place where a kind becomes an estimator.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
import warnings
from dataclasses import replace

import numpy as np

from ._options import option
from .exceptions import InputError
from .registry import AUTO_MODELS, BACKENDS, DEFAULT_CV_FOLDS, FIT_KINDS, FRONTENDS, LEARNABLE, RECIPE_DEFAULTS

__all__ = [
    "train_model",
    "check_training_options",
    "build_estimator",
    "estimator_kind",
    "resolve_recipe",
    "recipe_from_results",
    "RECIPE_DEFAULTS",
    "DEFAULT_CV_FOLDS",
    "MIN_SEGMENT_SAMPLES",
]

#: the fewest samples a segment may hold
MIN_SEGMENT_SAMPLES = 16

_AGGREGATES = ("mean_proba", "majority")
_BALANCES = (None, "none", "class", "class_domain")
_PENALTY_GROUPS = ("recordings", "group-column")


def resolve_recipe(model=None, kind=None, option_style="python"):
    """``(model, kind)`` with the defaults filled in: no kind is ``"auto"`` (the recipe chosen on inner
    splits) unless a front-end is named, then ``"learned"``; no model is ``"auto"`` for the kind
    ``"auto"``, else ``"iconnet"``. A front-end with the kind ``"auto"`` (or ``"auto"`` with another
    kind) is an :class:`~sklearn_wavefront.exceptions.InputError`.

    Examples
    --------
    >>> from sklearn_wavefront.training import resolve_recipe
    >>> resolve_recipe(), resolve_recipe("comb"), resolve_recipe(kind="temporal")
    (('auto', 'auto'), ('comb', 'learned'), ('iconnet', 'temporal'))
    """
    style = option_style
    if kind is None:
        kind = "learned" if model is not None and model not in AUTO_MODELS else "auto"
    if model is None:
        model = "auto" if kind == "auto" else "iconnet"
    if kind == "auto" and model not in AUTO_MODELS:
        raise InputError(f"{option('model', model, style)} names one recipe, but {option('kind', 'auto', style)} "
                         f"chooses among all of them: pass another {option('kind', style=style)} with "
                         f"{option('model', model, style)}, or leave {option('model', style=style)} out")
    if kind != "auto" and model in AUTO_MODELS:
        raise InputError(f"{option('model', model, style)} goes with {option('kind', 'auto', style)} only")
    return model, kind


def estimator_kind(model, kind):
    """The kind of :func:`~sklearn_wavefront.recipes.make_estimator` that builds ``kind`` of
    ``model``: the same, except ``"learned"`` of a front-end with nothing to learn (mel, MFCC),
    which is its ``"fixed"`` recipe.

    Examples
    --------
    >>> from sklearn_wavefront.training import estimator_kind
    >>> estimator_kind("comb", "learned"), estimator_kind("mel", "learned"), estimator_kind("mel", "temporal")
    ('learned', 'fixed', 'temporal')
    """
    return "fixed" if kind == "learned" and model not in LEARNABLE else kind


def build_estimator(model, kind, settings, *, segment_seconds, hop_seconds=None, aggregate="mean_proba",
                    callbacks=None, segmented_search=False):
    """The recording-level estimator of one recipe, unfitted: the one place a kind becomes an estimator.

    ``make_estimator(model, estimator_kind(model, kind), settings)`` (without its own segmenting)
    inside a :class:`~sklearn_wavefront.segmenting.SegmentedClassifier` of ``segment_seconds``.

    Parameters
    ----------
    model : str
        A front-end (:data:`~sklearn_wavefront.registry.FRONTENDS`).
    kind : str
        One of :data:`~sklearn_wavefront.registry.FIT_KINDS`.
    settings : Settings
    segment_seconds : float
    hop_seconds : float or None
        ``None``: the segment length, as ``compare`` cuts.
    aggregate : {"mean_proba", "majority"}
    callbacks : list or None
        skorch callbacks of the end-to-end kind.
    segmented_search : bool
        The kind ``"auto"`` on recordings cut into several segments: the search itself, each candidate
        segmenting (as ``compare`` runs it, so that its inner splits and scores are over recordings),
        instead of the search inside a ``SegmentedClassifier``.

    Examples
    --------
    >>> from sklearn_wavefront.recipes import Settings
    >>> from sklearn_wavefront.training import build_estimator
    >>> est = build_estimator("mel", "temporal", Settings(sample_rate=8000), segment_seconds=0.5)
    >>> type(est).__name__, [name for name, _ in est.estimator.steps]
    ('SegmentedClassifier', ['frontend', 'features', 'scaler', 'ridge'])
    """
    from .auto import make_recipe
    from .segmenting import SegmentedClassifier

    if kind not in FIT_KINDS:
        raise ValueError(f"unknown kind {kind!r} to fit; choose from {FIT_KINDS}")
    if kind == "auto" and segmented_search:
        return make_recipe(model, kind, replace(settings, segment_seconds=segment_seconds), callbacks=callbacks)
    # auto on one segment per recording: the search runs on the segments (the recordings, padded)
    inner = make_recipe(model, estimator_kind(model, kind), replace(settings, segment_seconds=None),
                        callbacks=callbacks)
    return SegmentedClassifier(inner, segment_seconds=segment_seconds, hop_seconds=hop_seconds,
                               sample_rate=settings.sample_rate, aggregate=aggregate)


def _fit_parameters(kind, estimator, settings, groups, domains, penalty_groups, index=None):
    """The per-recording ``fit`` parameters of a recipe, as ``compare`` passes them (``index``: the
    recordings being fitted)."""
    from .recipes import groups_fit_parameter

    def part(values):
        return None if values is None else (values if index is None else values[index])

    params = {}
    if kind == "auto" and groups is not None:
        # the search's inner splits and hold-outs keep groups whole (without them SegmentedClassifier
        # gives each recording its own group, so a recording's segments stay together)
        params["groups"] = part(groups)
    if kind == "end-to-end":
        if domains is not None and settings.balance == "class_domain":
            params["domains"] = part(domains)
        if groups is not None and settings.early_stopping:
            params["groups"] = part(groups)  # the inner early-stopping split holds out whole groups
    if kind == "learned" and groups is not None and settings.early_stopping:
        # the front-end's early-stopping hold-out takes whole groups (as "frontend__groups")
        try:
            params[groups_fit_parameter(estimator)] = part(groups)
        except ValueError:  # mel and MFCC: their fixed recipe learns nothing and holds nothing out
            pass
    if kind == "temporal" and penalty_groups == "group-column":
        # the ridge penalty chosen by CV over the user's groups, as compare --penalty-groups group-column
        params[groups_fit_parameter(estimator)] = part(groups)
    return params


# ------------------------------------------------------------------------------------------ options
def _whole(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_training_options(*, model=None, kind=None, n_filters=None, batch_size=None, epochs=None,
                           lr=None, backend=None, temporal_features=None, balance=None, penalty_groups=None,
                           duration=None, max_duration=None, segment_seconds=None, hop_seconds=None, aggregate=None,
                           cv_folds=None, budget=None, device="auto", random_state=None, sample_rate=None,
                           option_style="python"):
    """Reject out-of-range options of :func:`train_model` before any data is read (an :class:`InputError`
    naming the option). ``None`` means not given (a default of :data:`RECIPE_DEFAULTS` or of a
    ``compare`` result). ``sample_rate`` (when known) is checked to be one at which ``model`` can be built.
    """
    from .recipes import check_random_state_option, check_sample_rate

    style = option_style
    if random_state is not None:
        check_random_state_option(random_state, option_style=style)
    if sample_rate is not None and (isinstance(sample_rate, bool) or sample_rate < 1):
        raise InputError(f"{option('sample_rate', style=style)} must be a positive number of Hz, got {sample_rate}")
    if kind is not None and kind not in FIT_KINDS:
        raise InputError(f"{option('kind', kind, style)} is not a kind to fit; choose from {', '.join(FIT_KINDS)}")
    if model is not None and model not in FRONTENDS + AUTO_MODELS:
        raise InputError(f"{option('model', model, style)} is not a front-end; choose from {', '.join(FRONTENDS)} "
                         f"(or {' or '.join(AUTO_MODELS)} with {option('kind', 'auto', style)})")
    model, kind = resolve_recipe(model, kind, style)
    for name, value in (("n_filters", n_filters), ("epochs", epochs),
                        ("balance", None if balance in (None, "none") else balance)):
        if kind == "auto" and value is not None:  # never ignored in silence
            raise InputError(f"{option(name, value, style)} is not used by {option('kind', 'auto', style)}: its "
                             "candidates have their own sizes and stop early (sklearn_wavefront.auto.DEFAULT_CANDIDATES); "
                             f"name a {option('kind', style=style)} and a {option('model', style=style)} to set it")
    for name, value, minimum in (("n_filters", n_filters, 1), ("batch_size", batch_size, 1), ("epochs", epochs, 0),
                                 ("temporal_features", temporal_features, 84)):
        if value is None:
            continue
        if not _whole(value):
            raise InputError(f"{option(name, style=style)} must be a whole number, got {value!r}")
        if value < minimum:
            raise InputError(f"{option(name, style=style)} must be >= {minimum}, got {value}")
    if epochs is not None and epochs < 1 and estimator_kind(model, kind) in ("learned", "end-to-end"):
        raise InputError(f"{option('epochs', style=style)} must be >= 1 for {option('kind', kind, style)} "
                         f"{option('model', model, style)}, got {epochs}")
    if cv_folds is not None and (not _whole(cv_folds) or cv_folds == 1 or cv_folds < 0):
        raise InputError(f"{option('cv_folds', style=style)} must be 0 (no inner cross-validation) or a whole "
                         f"number >= 2, got {cv_folds!r}")
    for name, value in (("segment_seconds", segment_seconds), ("hop_seconds", hop_seconds), ("lr", lr),
                        ("duration", duration), ("max_duration", max_duration), ("budget", budget)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise InputError(f"{option(name, style=style)} must be a number, got {value!r}")
        if not (math.isfinite(value) and value > 0):
            raise InputError(f"{option(name, style=style)} must be a positive number, got {value:g}")
    if hop_seconds is not None and segment_seconds is not None and hop_seconds > segment_seconds:
        raise InputError(
            f"{option('hop_seconds', hop_seconds, style)} is longer than {option('segment_seconds', segment_seconds, style)}: "
            "the samples between segments would be skipped"
        )
    if segment_seconds is not None and duration is not None:
        raise InputError(f"{option('segment_seconds', segment_seconds, style)} and {option('duration', duration, style)} "
                         "both set the length the model sees; give one")
    for name, value, allowed in (("backend", backend, (None, *BACKENDS)), ("balance", balance, _BALANCES),
                                 ("penalty_groups", penalty_groups, (None, *_PENALTY_GROUPS)),
                                 ("aggregate", aggregate, (None, *_AGGREGATES))):
        if value not in allowed:
            shown = ", ".join(str(a) for a in allowed if a is not None)
            raise InputError(f"{option(name, value, style)} is not one of {shown}")
    from ._validation import check_device

    try:
        check_device(device, name=option("device", style=style))
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if sample_rate is not None and model in FRONTENDS:
        check_sample_rate([model], int(sample_rate), n_filters or RECIPE_DEFAULTS["n_filters"], option_style=style,
                          chosen_by="model")


# ------------------------------------------------------------------------------------------ results
def _results_path(source, style):
    path = os.fspath(source)
    if os.path.isdir(path):
        path = os.path.join(path, "results.json")
    if not os.path.isfile(path):
        raise InputError(f"{option('from_results', source, style)}: no compare result there (a results.json, or the "
                         "folder wavefront compare wrote it to)")
    return path


def recipe_from_results(source, model, kind, *, option_style="python"):
    """The settings and the cross-validated score of ``compare``'s (``model``, ``kind``) row.

    Parameters
    ----------
    source : str or path-like
        A ``results.json`` written by :func:`sklearn_wavefront.compare` (``wavefront compare``), or
        the folder holding it.
    model, kind : str
        The row.
    option_style : {"python", "cli"}

    Returns
    -------
    dict
        ``path`` (of the results file), ``settings`` (the recipe's settings as ``compare`` used them:
        the keys of :data:`RECIPE_DEFAULTS` and ``sample_rate``), ``missing`` (settings the file
        does not record, whose defaults are used), ``classes`` and ``cv_score`` (``source``
        ``"compare"``, ``ua_mean``, ``ua_std``, ``ua_folds``, ``uf1_mean``, ``uf1_std``,
        ``n_folds``, the verdict against the best baseline and the data the score was measured on).

    Raises
    ------
    InputError
        No readable result there; no such row in it (the message lists its rows); a row whose
        training diverged (it has no score).
    """
    from .comparison import CompareResult

    style = option_style
    source = os.fspath(source)
    path = _results_path(source, style)
    try:
        result = CompareResult.from_json(path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{option('from_results', source, style)}: {path} is not a readable compare result "
                         f"({type(exc).__name__}: {' '.join(str(exc).split())})") from exc
    s = result.settings
    entry = next((e for e in result.summary if e.get("model") == model and e.get("kind") == kind), None)
    if entry is None:
        rows = ", ".join(f"{e['model']} {e['kind']}" for e in result.summary if e.get("kind") in FIT_KINDS)
        hint = ""
        if kind == "learned" and model not in LEARNABLE:
            hint = (f" ({model} has no learnable filters, so compare has no learned row for it; its learned recipe "
                    f"is the fixed one: {option('kind', 'fixed', style)})")
        raise InputError(
            f"{option('from_results', source, style)} has no row {model} {kind}{hint}; its front-end rows: "
            f"{rows or 'none'} (choose one with {option('model', style=style)} and {option('kind', style=style)})"
        )
    if entry.get("n_diverged") or entry.get("ua") is None:
        raise InputError(
            f"{option('from_results', source, style)}: the row {model} {kind} has no score (its training diverged in "
            f"{entry.get('n_diverged') or 'some'} of {entry.get('n_folds', '?')} folds); a model of these settings "
            "would likely diverge too"
        )
    settings, missing = {}, []
    for key, default in RECIPE_DEFAULTS.items():
        if key in ("duration", "max_duration"):
            continue
        if key in s:
            settings[key] = s[key]
        else:
            settings[key], _ = default, missing.append(key)
    if "max_duration" in s or "duration" in s:
        settings["duration"], settings["max_duration"] = s.get("duration"), s.get("max_duration")
    else:  # written before the two were recorded: the length policy says which applied
        policy = s.get("length_policy") or {}
        if policy.get("cap_seconds") is not None:
            settings["duration"], settings["max_duration"] = None, float(policy["cap_seconds"])
        elif policy.get("target_seconds") is not None:
            settings["duration"], settings["max_duration"] = float(policy["target_seconds"]), None
        else:
            settings["duration"], settings["max_duration"] = None, RECIPE_DEFAULTS["max_duration"]
            missing.append("max_duration")
    if settings["max_duration"] is None and settings["duration"] is None:
        settings["max_duration"] = RECIPE_DEFAULTS["max_duration"]
    settings["sample_rate"] = s.get("sample_rate")
    folds = sorted((r for r in result.rows if r.get("model") == model and r.get("kind") == kind),
                   key=lambda r: r.get("fold", 0))
    cv_score = {
        "source": "compare",
        "ua_mean": entry.get("ua"), "ua_std": entry.get("ua_std"),
        "ua_folds": [r.get("ua") for r in folds],
        "uf1_mean": entry.get("uf1"), "uf1_std": entry.get("uf1_std"),
        "n_folds": int(entry.get("n_folds") or len(folds)),
        "grouping": s.get("grouping_text"),
        "random_state": s.get("random_state"),
        "delta_ua": entry.get("delta_ua"), "delta_ua_std": entry.get("delta_ua_std"), "p_value": entry.get("p_value"),
        "verdict": entry.get("verdict"), "best_baseline": result.best_baseline,
        "data": s.get("data"), "data_description": s.get("data_description"),
        "n_recordings": s.get("n_recordings"), "classes": s.get("classes"),
        "results": os.path.abspath(path), "command": s.get("command"),
    }
    return {"path": path, "settings": settings, "missing": missing, "classes": s.get("classes"), "cv_score": cv_score}


def _contradiction(name, given, used, source, model, kind, style):
    return InputError(
        f"{option(name, given, style)} contradicts {option('from_results', source, style)}: compare trained the "
        f"{model} {kind} row with {option(name, used, style) if used is not None else 'no ' + option(name, style=style)}; "
        f"leave {option(name, style=style)} out (or train without {option('from_results', style=style)})"
    )


def _same(a, b):
    if isinstance(a, (int, float, np.number)) and isinstance(b, (int, float, np.number)) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=0.0)
    return a == b


def _settings_from_results(source, model, kind, sr, classes, given, style, **compare_fixed):
    """:func:`recipe_from_results`, refusing what contradicts it: a setting given with another value,
    another sample rate or classes, and what ``compare`` never does (its own segments, hops,
    aggregation, early stopping; an inner CV when the score is the result's)."""
    results = recipe_from_results(source, model, kind, option_style=style)
    used = results["settings"]
    where = option("from_results", source, style)
    if used.get("sample_rate") is not None and int(used["sample_rate"]) != sr:
        raise InputError(f"{option('sample_rate', sr, style)} contradicts {where}: compare scored the row on recordings "
                         f"at {used['sample_rate']} Hz (pass {option('sample_rate', used['sample_rate'], style)})")
    for name, value in given.items():
        if value is None:
            continue
        if name == "lr" and estimator_kind(model, kind) == "learned":
            raise InputError(
                f"{option('lr', value, style)} contradicts {where}: compare trained the {model} {kind} row's filters "
                f"at the front-end's default learning rate (its {option('lr', style=style)} is the end-to-end rows'); "
                f"leave {option('lr', style=style)} out"
            )
        value = None if (name == "balance" and value == "none") else value
        if not _same(value, used.get(name)):
            raise _contradiction(name, value, used.get(name), source, model, kind, style)
    theirs = {"segment_seconds": (None, "segments of its length policy"), "hop_seconds": (None, "hops of one segment"),
              "aggregate": ("mean_proba", "aggregate mean_proba"), "early_stopping": (False, "no early stopping")}
    for name, (value_there, what) in theirs.items():
        value = compare_fixed[name]
        if value is not None and value is not False and not _same(value, value_there):
            raise InputError(f"{option(name, value, style)} contradicts {where}: compare trained every row with "
                             f"{what}; leave {option(name, style=style)} out")
    if compare_fixed["cv_folds"]:
        raise InputError(f"{option('cv_folds', compare_fixed['cv_folds'], style)} with {option('from_results', style=style)}: "
                         "the model's score is the compare row's; leave one of them out")
    if results["classes"] is not None and [str(c) for c in results["classes"]] != [str(c) for c in classes]:
        raise InputError(f"{where} was measured on the classes {results['classes']}; these recordings have "
                         f"{classes.tolist()}: its score would not be this model's")
    return results


# ----------------------------------------------------------------------------------------- lengths
def _length_plan(recordings, sr, duration, max_duration, segment_seconds, style):
    """The training arrays and the segment length: compare's length policy, or ``segment_seconds``."""
    from .length_policy import apply_length_policy

    if segment_seconds is not None:
        n = round(segment_seconds * sr)
        if n < MIN_SEGMENT_SAMPLES:
            raise InputError(f"segments of {segment_seconds:g} s at {sr} Hz hold {n} samples; at least "
                             f"{MIN_SEGMENT_SAMPLES} are needed (raise {option('segment_seconds', style=style)})")
        X = np.empty(len(recordings), dtype=object)
        for i, r in enumerate(recordings):
            X[i] = np.asarray(r, dtype=np.float32)  # as the length policy gives them
        lengths = np.array([len(r) for r in recordings]) / sr
        policy = {"mode": "segment-seconds", "segment_seconds": float(segment_seconds),
                  "shortest_seconds": float(lengths.min()), "longest_seconds": float(lengths.max()),
                  "message": (f"{option('segment_seconds', segment_seconds, style)}: lengths {lengths.min():.2f}-"
                              f"{lengths.max():.2f} s cut into segments of {segment_seconds:g} s (shorter ones "
                              "zero-padded to one segment); not compare's length policy")}
        return X, float(segment_seconds), policy
    name, value = ("duration", duration) if duration is not None else ("max_duration", max_duration)
    if round(value * sr) < MIN_SEGMENT_SAMPLES:
        raise InputError(f"{option(name, value, style)} at {sr} Hz gives {round(value * sr)} samples; at least "
                         f"{MIN_SEGMENT_SAMPLES} are needed")
    X, p = apply_length_policy(recordings, sr, duration=duration, max_duration=max_duration, option_style=style)
    seg = p.segment_seconds if p.mode == "segment" else p.target_seconds
    if round(seg * sr) < MIN_SEGMENT_SAMPLES:
        raise InputError(
            f"the longest recording holds {round(seg * sr)} samples at {sr} Hz; at least {MIN_SEGMENT_SAMPLES} are "
            f"needed (raise {option('sample_rate', style=style)}, or pass {option('duration', style=style)})"
        )
    return X, float(seg), p.as_dict()


# ------------------------------------------------------------------------------------------ inner CV
def _check_cv(y, groups, n_folds, style):
    flag = option("cv_folds", n_folds, style)
    skip = f"({option('cv_folds', 0, style)} skips the inner cross-validation)"
    classes, counts = np.unique(y, return_counts=True)
    if counts.min() < n_folds:
        c = classes[counts.argmin()]
        raise InputError(f"class {c.item() if hasattr(c, 'item') else c!r} has {counts.min()} recordings, fewer "
                         f"than {flag} {skip}")
    if groups is not None:
        for c in classes:
            n_groups = len(np.unique(groups[y == c]))
            if n_groups < n_folds:
                raise InputError(f"class {c.item() if hasattr(c, 'item') else c!r} occurs in {n_groups} group(s), "
                                 f"fewer than {flag}; grouped folds need as many groups per class {skip}")


def _inner_cv(X, y, groups, n_folds, random_state, build, fit_parameters, say):
    """Cross-validate a recipe on the training recordings; the folds as compare makes them."""
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    from .comparison import fold_scores
    from .exceptions import TrainingDivergedError

    if groups is None:
        cv = StratifiedKFold(n_folds, shuffle=True, random_state=random_state)
    else:
        cv = StratifiedGroupKFold(n_folds, shuffle=True, random_state=random_state)
    classes = np.unique(y)
    ua, uf1, diverged, caught = [], [], 0, []
    for k, (train, test) in enumerate(cv.split(np.zeros(len(y)), y, groups)):
        est = build()
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as seen, contextlib.redirect_stdout(sys.stderr):
            warnings.simplefilter("always")
            try:
                est.fit(X[train], y[train], **fit_parameters(est, train))
                pred = est.predict(X[test])
            except TrainingDivergedError as exc:
                diverged += 1
                ua.append(None), uf1.append(None)
                say(f"inner CV fold {k + 1}/{n_folds}: training diverged ({' '.join(str(exc).split())})")
                continue
            finally:
                caught += seen
        s = fold_scores(y[test], pred, classes)
        ua.append(float(s["UA"])), uf1.append(float(s["UF1"]))
        say(f"inner CV fold {k + 1}/{n_folds}: UA {s['UA']:.3f} (fit {time.perf_counter() - t0:.1f} s)")
    scored = [u for u in ua if u is not None]
    scored_f1 = [u for u in uf1 if u is not None]
    ok = not diverged
    return {
        "source": "inner-cv",
        "ua_mean": float(np.mean(scored)) if ok else None, "ua_std": float(np.std(scored)) if ok else None,
        "ua_folds": ua,
        "uf1_mean": float(np.mean(scored_f1)) if ok else None, "uf1_std": float(np.std(scored_f1)) if ok else None,
        "n_folds": int(n_folds), "n_diverged": diverged,
        "grouping": "grouped, stratified" if groups is not None else "stratified",
        "random_state": random_state, "n_recordings": int(len(y)),
    }, caught


def _said_once(caught, stacklevel):
    for text, category in dict.fromkeys((" ".join(str(w.message).split()), w.category) for w in caught):
        warnings.warn(f"while training: {category.__name__}: {text}", category, stacklevel=stacklevel + 1)


def _score_text(cv):
    """The score as a line: ``UA 0.812 ± 0.034 over 5 folds (compare)``."""
    if not cv or cv.get("source") is None:
        return "not estimated"
    if cv.get("ua_mean") is None:
        return f"none: training diverged in {cv.get('n_diverged')} of {cv.get('n_folds')} folds"
    where = "compare" if cv["source"] == "compare" else "inner CV"
    return f"UA {cv['ua_mean']:.3f} ± {cv['ua_std']:.3f} over {cv['n_folds']} {cv.get('grouping') or ''} folds ({where})"


# ------------------------------------------------------------------------------------------- train
def train_model(X, y, sample_rate, *, model=None, kind=None, groups=None, domains=None, from_results=None,
                cv_folds=None, duration=None, max_duration=None, segment_seconds=None, hop_seconds=None,
                aggregate=None, n_filters=None, epochs=None, batch_size=None, lr=None, backend=None,
                temporal_features=None, balance=None, penalty_groups=None, budget=None, early_stopping=False,
                random_state=None,
                device="auto", progress=None, provenance=None, command=None, option_style="python"):
    """Train the ``model`` front-end's ``kind`` recipe on whole recordings, as ``compare`` scores it.

    The recipe is built by :func:`build_estimator` (the estimator of
    :func:`~sklearn_wavefront.recipes.make_estimator` in a
    :class:`~sklearn_wavefront.segmenting.SegmentedClassifier`), trained on the arrays of
    ``compare``'s length policy: all recordings zero-padded at the end to the longest when it is at
    most ``max_duration`` seconds (one segment of that length each), else segments of
    ``max_duration`` seconds; or cropped/padded to ``duration``. With the same recordings and
    settings the model predicts what ``compare``'s model of that row predicts.

    Every setting left ``None`` takes its :data:`RECIPE_DEFAULTS` value (``compare``'s), or with
    ``from_results`` the value the result records; a setting given that differs from the result's is
    refused.

    Parameters
    ----------
    X : list of 1-D arrays
        Recordings of any lengths at ``sample_rate`` Hz.
    y : array-like
        One label per recording (at least two classes).
    sample_rate : int
    model : str or None
        A front-end (:data:`~sklearn_wavefront.registry.FRONTENDS`), or with the kind ``"auto"``
        ``"auto"`` (the default there) or ``"auto-ensemble"`` (:data:`~sklearn_wavefront.registry.AUTO_MODELS`);
        ``None``: see :func:`resolve_recipe`.
    kind : {"auto", "fixed", "temporal", "learned", "end-to-end"} or None
        ``None``: ``"auto"``, or ``"learned"`` when ``model`` names a front-end. As in ``compare``:
        ``"auto"``: :class:`~sklearn_wavefront.auto.AutoWavefrontClassifier` chooses the recipe by
        (grouped) cross-validation on these recordings within ``budget`` minutes, and the model keeps
        what it chose (``settings["choice"]``); ``"fixed"``: the front-end's initial filters -> ``StandardScaler`` ->
        ``LogisticRegression``; ``"temporal"``: the initial filters' frames -> MiniRocket features
        and per-channel statistics -> ridge; ``"learned"``: the front-end learns its filters
        (``fit(X, y)``), then the fixed head (mel and MFCC have nothing to learn: their learned
        recipe is the fixed one, as the model's settings say); ``"end-to-end"``: a
        :class:`~sklearn_wavefront.classifiers.WaveformClassifier`.
    groups : array-like or None
        Per recording (e.g. speaker): the inner CV's folds keep a group together; with
        ``early_stopping`` whole groups are held out; with ``penalty_groups="group-column"`` the
        temporal kind's ridge penalty is chosen over them.
    domains : array-like or None
        Per recording: the domains of ``balance="class_domain"`` (end to end).
    from_results : str, path-like or None
        A ``compare`` result (``results.json`` or its folder): train with the settings of its
        (``model``, ``kind``) row and keep that row's cross-validated score in the model
        (:func:`recipe_from_results`). Refused when the row is not there, or when a setting given
        here contradicts the result, or ``sample_rate`` is not the result's.
    cv_folds : int or None
        Without ``from_results``: folds of the inner cross-validation of the same recipe on these
        recordings that estimates the model's score (``None``: :data:`DEFAULT_CV_FOLDS`; ``0``:
        none); stratified, grouped by ``groups`` when given, shuffled with ``random_state``.
    duration, max_duration : float or None
        ``compare``'s length policy (:func:`~sklearn_wavefront.length_policy.apply_length_policy`;
        ``max_duration`` default 10 s). With ``duration``, new recordings longer than it are
        decided by segments of that length (not cropped).
    segment_seconds : float or None
        Train on segments of this length instead of the length policy's.
    hop_seconds : float or None
        Time between segment starts (default: the segment length).
    aggregate : {"mean_proba", "majority"} or None
        The decision per recording from its segments (default ``"mean_proba"``, compare's).
    n_filters, epochs, batch_size : int or None
    lr : float or None
        End to end: the peak learning rate (default 0.003). Learned: the front-end's learning rate
        (default: the front-end's own, 0.01, as ``compare`` trains it; with ``from_results`` it cannot be set).
    backend : str or None
        End-to-end back-end (:data:`~sklearn_wavefront.registry.BACKENDS`; default ``"temporal"``).
    temporal_features : int or None
        MiniRocket features of the temporal kind (default 5000).
    balance : {None, "none", "class", "class_domain"}
        End-to-end batch balancing (``None``: not given, i.e. none or the result's).
    budget : float or None
        The kind ``"auto"``: minutes of estimated work of its search (default 10, as ``compare``).
    penalty_groups : {"recordings", "group-column"} or None
        What the temporal kind's ridge penalty is chosen over (``compare``'s option).
    early_stopping : bool
        End to end, and learned front-ends: hold out 10 % of the recordings (or groups) and stop on
        their loss, keeping the best epoch (``compare``'s rows never do; its ``auto`` row's candidates do).
    random_state : int or None
        Seed of the training and the inner folds (default 0).
    device : str
    progress : callable or None
        Called with a line of progress (``None``: silent); end-to-end training then also reports
        each epoch on stderr, the learned front-ends theirs.
    provenance : dict or None
        Extra settings to keep in the model (e.g. the data folder and labels file).
    command : list of str or None
        The command line kept in the model.
    option_style : {"python", "cli"}
        Whether messages name parameters as here or as ``wavefront fit`` flags.

    Returns
    -------
    WavefrontModel
        Its ``settings`` hold ``recipe`` (model, kind and the kind of
        :func:`~sklearn_wavefront.recipes.make_estimator` that built it), every setting used, the
        length policy, and ``cv_score`` (``source``: ``"compare"``, ``"inner-cv"`` or ``None``;
        ``ua_mean``, ``ua_std``, ``ua_folds``, ``n_folds``, ...).

    Examples
    --------
    >>> from sklearn_wavefront.datasets import make_harmonic_tones
    >>> from sklearn_wavefront.training import train_model
    >>> X, y = make_harmonic_tones(n_samples=16, n_classes=2, duration=0.2, random_state=0, return_X_y=True)
    >>> m = train_model(list(X), y, 8000, model="mel", kind="fixed", cv_folds=2)
    >>> m.settings["kind"], m.settings["segment_seconds"], m.predict(list(X[:2])).shape
    ('fixed', 0.2, (2,))
    >>> m.settings["cv_score"]["source"], m.settings["cv_score"]["n_folds"]
    ('inner-cv', 2)
    """
    from .callbacks import EpochProgress, FilterbankHistory
    from .persistence import WavefrontModel
    from .recipes import Settings

    style = option_style
    given = {"n_filters": n_filters, "epochs": epochs, "batch_size": batch_size, "lr": lr, "backend": backend,
             "temporal_features": temporal_features, "balance": balance, "penalty_groups": penalty_groups,
             "duration": duration, "max_duration": max_duration, "random_state": random_state, "budget": budget}
    check_training_options(model=model, kind=kind, segment_seconds=segment_seconds, hop_seconds=hop_seconds,
                           aggregate=aggregate, cv_folds=cv_folds, device=device, sample_rate=sample_rate,
                           option_style=style, **given)
    model, kind = resolve_recipe(model, kind, style)
    say = progress if callable(progress) else (lambda msg: None)
    sr = int(sample_rate)
    y = np.asarray(y)
    classes = np.unique(y)
    if len(classes) < 2:
        raise InputError(f"the recordings have a single class ({classes[0]!r}); at least two are needed")
    if len(X) != len(y):
        raise InputError(f"X holds {len(X)} recordings but y {len(y)} labels")
    for name, values in (("groups", groups), ("domains", domains)):
        if values is not None and len(values) != len(y):
            raise InputError(f"{option(name, style=style)} holds {len(values)} values for {len(y)} recordings")
    groups = None if groups is None else np.asarray(groups)
    domains = None if domains is None else np.asarray(domains)

    # the settings: given, else the compare result's, else compare's defaults
    results = cv_score = None
    cv_caught = []  # warnings of the inner CV: said with the final training's, once each
    if from_results is not None:
        from_results = os.fspath(from_results)  # named as given: a path, not its repr
        results = _settings_from_results(from_results, model, kind, sr, classes, given, style,
                                         segment_seconds=segment_seconds, hop_seconds=hop_seconds,
                                         aggregate=aggregate, early_stopping=early_stopping, cv_folds=cv_folds)
        settings_used, cv_score = {k: results["settings"][k] for k in RECIPE_DEFAULTS}, results["cv_score"]
    else:
        settings_used = {k: (RECIPE_DEFAULTS[k] if v is None else v) for k, v in given.items()}
        if settings_used["balance"] == "none":
            settings_used["balance"] = None
        if settings_used["duration"] is not None and max_duration is None:
            settings_used["max_duration"] = None  # a forced duration: no cap applies (as compare records it)
    u = settings_used
    unused = {"n_filters": None, "epochs": None, "balance": None} if kind == "auto" else {}  # refused if given
    check_training_options(model=model, kind=kind, option_style=style, sample_rate=sr, **{**u, **unused})
    if u["balance"] == "class_domain" and kind == "end-to-end" and domains is None:
        raise InputError(f"{option('balance', 'class_domain', style)} needs "
                         f"{option('domain_column' if style == 'cli' else 'domains', style=style)} (each recording's domain)")
    if u["penalty_groups"] == "group-column" and kind == "temporal" and groups is None:
        raise InputError(f"{option('penalty_groups', 'group-column', style)} needs "
                         f"{option('group_column' if style == 'cli' else 'groups', style=style)} (the groups the ridge "
                         "penalty is chosen over)")
    if early_stopping and kind not in ("end-to-end", "learned"):
        raise InputError(f"{option('early_stopping', style=style)} is for {option('kind', 'end-to-end', style)} and "
                         f"{option('kind', 'learned', style)} only")
    aggregate = aggregate or "mean_proba"
    n_folds = 0 if results is not None else (DEFAULT_CV_FOLDS if cv_folds is None else int(cv_folds))
    if n_folds:
        _check_cv(y, groups, n_folds, style)

    # the arrays compare trains on, and the segment that is every one of them
    X_train, seg, policy = _length_plan(list(X), sr, u["duration"], u["max_duration"], segment_seconds, style)
    hop = hop_seconds if hop_seconds is not None else seg
    if hop > seg:
        raise InputError(f"{option('hop_seconds', hop, style)} is longer than the segment length {seg:g} s")
    if round(hop * sr) < 1:
        raise InputError(f"{option('hop_seconds', hop, style)} at {sr} Hz is shorter than one sample")
    recipe = estimator_kind(model, kind)
    settings = Settings(sample_rate=sr, n_filters=u["n_filters"], epochs=u["epochs"], batch_size=u["batch_size"],
                        lr=u["lr"], learning_rate=lr if recipe == "learned" else None, backend=u["backend"],
                        device=device, random_state=u["random_state"], balance=u["balance"],
                        temporal_features=u["temporal_features"], early_stopping=early_stopping, verbose=0,
                        budget=u["budget"], penalty_groups=u["penalty_groups"] == "group-column")

    segmented_search = kind == "auto" and policy["mode"] in ("segment", "segment-seconds")
    if segmented_search and (hop_seconds is not None or aggregate != "mean_proba"):
        raise InputError(f"{option('kind', 'auto', style)} on segments: its candidates cut recordings as compare "
                         f"does (hop = segment length, mean probability); {option('hop_seconds', style=style)} and "
                         f"{option('aggregate', style=style)} apply to the other kinds")

    def build(callbacks=None, verbose=0):
        return build_estimator(model, kind, replace(settings, verbose=verbose), segment_seconds=seg,
                               hop_seconds=hop_seconds, aggregate=aggregate, callbacks=callbacks,
                               segmented_search=segmented_search)

    def fit_parameters(est, index=None):
        return _fit_parameters(kind, est, settings, groups, domains, u["penalty_groups"], index)

    note = (f"{model} has no learnable filters: its learned recipe is the fixed one" if recipe != kind else None)
    source = f"settings of {results['path']}" if results else "compare's default settings"
    say(f"recipe: {model} {kind}{' (' + note + ')' if note else ''}, {source}")
    if results and results["missing"]:
        say(f"note: {results['path']} does not record {', '.join(results['missing'])}: compare's defaults are used")
    say(f"length policy: {policy['message']}")
    if results:
        cv = cv_score
        say(f"score: {_score_text(cv)} on {cv.get('data_description') or cv.get('data')}, from {results['path']}")
        if cv.get("n_recordings") is not None and cv["n_recordings"] != len(y):
            say(f"note: compare measured the score on {cv['n_recordings']} recordings; this model trains on {len(y)}")
    elif n_folds:
        say(f"score: inner {n_folds}-fold {'grouped, ' if groups is not None else ''}stratified CV of the same recipe "
            f"on the {len(y)} recordings ...")
        cv_score, cv_caught = _inner_cv(X_train, y, groups, n_folds, u["random_state"], build, fit_parameters, say)
        cv_score["data"] = (provenance or {}).get("data") or "the recordings given"
        say(f"score: {_score_text(cv_score)}")
    else:
        cv_score = {"source": None, "ua_mean": None, "ua_std": None, "ua_folds": [], "n_folds": 0}
        say(f"score: not estimated ({option('cv_folds', 0, style)})")

    callbacks = None
    if kind == "end-to-end":
        callbacks = [("filter_history", FilterbankHistory())]
        if progress is not None:
            callbacks.append(("progress", EpochProgress()))
    segmented = build(callbacks, verbose=int(progress is not None))
    if recipe == "fixed":
        how = "fixed filters, nothing to learn"
    elif recipe == "temporal":
        how = "fixed filters' frames -> MiniRocket features and statistics -> ridge"
    elif recipe == "auto":
        how = f"the recipe chosen by grouped inner CV within {u['budget']:g} minutes of estimated work"
    else:
        how = f"{u['epochs']} epochs"
    say(f"training {model} ({kind}, {how}) on segments of {seg:.4g} s, hop {hop:.4g} s ...")
    t1 = time.perf_counter()
    # the front-ends' epoch lines (verbose) go to stdout; stdout is for results, so they join the
    # other progress lines on stderr
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(sys.stderr):
        warnings.simplefilter("always")
        try:
            # the package routes its own fit parameters by name: a session's global metadata routing
            # (which would ask every estimator to request them) does not apply inside
            from sklearn import config_context

            with config_context(enable_metadata_routing=False):
                segmented.fit(X_train, y, **fit_parameters(segmented))
        except InputError:
            raise
        except ValueError as exc:
            from .exceptions import TrainingDivergedError

            if isinstance(exc, TrainingDivergedError):
                raise
            raise InputError(f"training failed: {' '.join(str(exc).split())}") from exc
    _said_once(cv_caught + list(caught), 2)  # once each after training (not dropped, not once per batch or fold)
    inner = segmented if segmented_search else segmented.estimator_  # the search, or the segments' estimator
    n_segments = (sum(max(1, math.ceil(len(x) / round(seg * sr))) for x in X_train) if segmented_search
                  else segmented.n_segments_)
    history, initial = _filter_records(kind, inner)
    say(f"trained on {n_segments} segments in {time.perf_counter() - t1:.1f} s")
    choice = None
    if kind == "auto":
        from .comparison import choice_text

        choice = _plain_tree(inner.choice_)
        say(f"chose {choice_text(choice)}")
    used = {k: (_plain_tree(v) if recipe in _USED_BY.get(k, FIT_KINDS) else None) for k, v in u.items()}
    if recipe == "learned":  # the rate the front-end trained at (its own default unless lr was given)
        used["lr"] = float(segmented.estimator_.named_steps["frontend"].learning_rate)
    kept = {
        "model": model, "kind": kind,
        "recipe": {"model": model, "kind": kind, "built_as": recipe, "note": note},
        "segment_seconds": seg, "hop_seconds": hop, "aggregate": aggregate,
        "pad": "constant" if segmented_search else segmented.pad,  # the candidates' segments: zero-padded
        "length_policy": policy, **used,
        "early_stopping": bool(early_stopping), "device": device,
        "from_results": None if results is None else os.path.abspath(results["path"]),
        "cv_score": _plain_tree(cv_score),
        "choice": choice,
        "n_recordings": len(X), "initial_center_frequencies": initial,
    }
    kept.update(provenance or {})
    return WavefrontModel(segmented, sr, settings=kept, filter_history=history, command=command)


#: the settings that only some kinds (of make_estimator) use; the model keeps the others as None
_USED_BY = {
    "n_filters": ("fixed", "temporal", "learned", "end-to-end"), "epochs": ("learned", "end-to-end"),
    "batch_size": ("learned", "end-to-end", "auto"), "lr": ("learned", "end-to-end", "auto"),
    "backend": ("end-to-end", "auto"), "balance": ("end-to-end",), "temporal_features": ("temporal", "auto"),
    "penalty_groups": ("temporal", "auto"), "budget": ("auto",),
}


def _plain_tree(value):
    """A dict of lists and numbers as plain Python data, all the way down (for a .skops file)."""
    if isinstance(value, dict):
        return {str(k): _plain_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_tree(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value  # numbers as Python numbers


def _filter_records(kind, inner):
    """``(history, initial)``: the centre frequencies per epoch (end to end) or before training (a
    pipeline with a ``frontend`` step), else ``None``."""
    if kind == "end-to-end":
        cb = dict(getattr(inner, "callbacks_", None) or []).get("filter_history")
        if cb is not None and len(cb.center_frequencies_):
            return cb.as_array(), None
        return None, None
    front = getattr(inner, "named_steps", {}).get("frontend")
    if front is None:
        return None, None
    return None, np.asarray(front._make_filterbank().center_frequencies(), dtype=np.float64)
