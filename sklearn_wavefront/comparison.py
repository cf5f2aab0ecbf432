"""Compare baselines and front-ends on the same folds: :func:`compare`, the engine of ``wavefront compare``.

Every *row* of the comparison is a (model, kind) pair (a recipe, :mod:`sklearn_wavefront.recipes`),
cross-validated on one list of folds (stratified; grouped when groups are given): the baselines
(chance, MFCC statistics + logistic regression, MiniRocket when aeon imports) and every front-end
fixed, temporal, learned and end to end. :func:`compare` returns a :class:`CompareResult`: the
table (a pandas DataFrame), the per-fold scores, the folds, the settings and the confusion
matrices, with ``to_json`` / ``from_json`` and ``write`` (``results.json``, ``results.csv``,
filter plots).

Nothing is tuned on test folds: the linear heads use fixed settings, the ridge penalties (MiniRocket,
temporal rows) are chosen inside the training fold (:class:`~sklearn_wavefront.baselines.SoftmaxRidgeClassifierCV`):
by leave-one-out over its recordings, or, when the recordings are segmented, by K-fold CV over whole
recordings (each recording's segments form a group, so a held-out segment's siblings never stay in
training). ``penalty_groups="group-column"`` makes the training part's groups (e.g. speakers) choose
the penalty, ahead of the recordings. That is opt-in: on spoken digits grouped by speaker (4 training
speakers) it ran to the grid's largest penalty and cost MiniRocket 5.6 UA points, the temporal rows
-1.7 to +1.0 (``benchmarks/results/temporal_penalty/``). Groups reach only these two kinds of rows:
the others choose nothing on inner splits (the end-to-end rows of the comparison train without early
stopping, so they have no inner validation split to group; the learned rows end in a logistic
regression with fixed settings).

Recordings of different lengths go through the length policy
(:func:`~sklearn_wavefront.length_policy.apply_length_policy`): never cut silently, and said so.
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from ._options import option
from .exceptions import InputError, Interrupted
from .length_policy import LengthPolicy, apply_length_policy
from .recipes import (
    TEMPORAL_ALPHAS,
    Settings,
    check_random_state_option,
    check_sample_rate,
    frame_channels,
    frontend_kwargs,
    groups_fit_parameter,
    make_estimator,
)
from .registry import AUTO_MODELS, BACKENDS, BASELINE_LIBRARIES, BASELINES, FRONTEND_KINDS, FRONTENDS, KINDS, LEARNABLE

__all__ = [
    "compare",
    "CompareResult",
    "builtin_data",
    "load_folder",
    "folder_column",
    "check_scale",
    "aeon_status",
    "plan_rows",
    "run_rows",
    "choice_text",
    "summarize",
    "confusion_matrices",
    "fold_scores",
    "format_table",
    "markdown_table",
    "table_cells",
    "versions",
    # the recipes and the length policy, importable from here as before they had modules of their own
    "BASELINES",
    "FRONTENDS",
    "LEARNABLE",
    "KINDS",
    "FRONTEND_KINDS",
    "TEMPORAL_ALPHAS",
    "Settings",
    "frontend_kwargs",
    "frame_channels",
    "make_estimator",
    "LengthPolicy",
    "apply_length_policy",
]

#: the smallest number of samples a recording (or segment) may hold
MIN_SAMPLES = 16
#: the layout of ``results.json``: 1 adds the paired margins and verdicts (files without one are 0)
RESULTS_SCHEMA = 1
#: the keys of a per-fold row that ``results.json`` and ``results.csv`` keep (``choice``: what an
#: ``auto`` row chose in that fold, :func:`choice_text`; ``None`` for the other rows)
ROW_KEYS = ("model", "kind", "fold", "ua", "uf1", "macc", "fit_seconds", "diverged", "choice")


# ------------------------------------------------------------------------------------------- rows
def _parse_list(text, allowed, flag):
    if text in (None, "", "all"):
        return list(allowed)
    names = [t.strip().lower() for t in str(text).split(",") if t.strip()]
    unknown = [n for n in names if n not in allowed]
    if unknown or not names:
        bad = unknown[0] if unknown else text
        raise ValueError(f"unknown value {bad!r} in {flag}; choose from {','.join(allowed)} or 'all'")
    return list(dict.fromkeys(names))


def plan_rows(models="all", kinds="all", aeon_available=True, extra_rows=None, option_style="cli",
              opensmile_available=True):
    """The (model, kind) rows to run, in table order, and notes on rows left out.

    Parameters
    ----------
    models : str or None
        Comma-separated subset of :data:`BASELINES`, :data:`FRONTENDS` and
        :data:`~sklearn_wavefront.registry.AUTO_MODELS`, or ``"all"`` (every one but ``auto-ensemble``).
    kinds : str or None
        Comma-separated subset of :data:`KINDS`, or ``"all"``.
    aeon_available, opensmile_available : bool
        Whether aeon (``minirocket``, ``mrhydra``) and opensmile (``egemaps+logreg``,
        ``compare2016+logreg``) import; otherwise their rows are left out with a note.
    extra_rows : str or None
        Comma-separated ``model:kind`` pairs run besides the ``models`` x ``kinds`` rows (e.g.
        ``"comb:learned,mel:temporal,mel:end-to-end"``), to add a few rows without all of their kind.
    option_style : {"cli", "python"}
        Whether messages name ``--models`` or ``models``.

    Returns
    -------
    rows : list of (str, str)
    notes : list of str

    Raises
    ------
    ValueError
        An unknown model or kind (the message names it), or no row left to run.

    Examples
    --------
    >>> from sklearn_wavefront.comparison import plan_rows
    >>> plan_rows("dummy,mel,comb", "baseline,fixed,learned")[0]
    [('dummy', 'baseline'), ('comb', 'fixed'), ('comb', 'learned'), ('mel', 'fixed')]
    """
    model_list = _parse_list(models, BASELINES + FRONTENDS + AUTO_MODELS, option("models", style=option_style))
    if (models or "all").strip().lower() == "all":  # "all" is every recipe and the search, not its ensemble
        model_list = [m for m in model_list if m != "auto-ensemble"]
    kind_list = _parse_list(kinds, KINDS, option("kinds", style=option_style))
    wanted = set()
    for pair in [p.strip() for p in (extra_rows or "").split(",") if p.strip()]:
        m, _, k = pair.partition(":")
        m, k = m.strip().lower(), k.strip().lower()
        if (k == "auto") != (m in AUTO_MODELS) or (k != "auto" and (
            m not in BASELINES + FRONTENDS or k not in KINDS or (k == "baseline") != (m in BASELINES)
            or (k == "learned" and m not in LEARNABLE)
        )):
            raise ValueError(
                f"{option('rows', style=option_style)} {pair!r} is not a row: use model:kind with a baseline and 'baseline', a front-end "
                f"and fixed, temporal, learned ({', '.join(LEARNABLE)}) or end-to-end, or {' or '.join(AUTO_MODELS)} and auto"
            )
        wanted.add((m, k))
    rows, notes = [], []
    available = {"aeon": aeon_available, "opensmile": opensmile_available}
    missing = {}
    for m in BASELINES:
        if (m, "baseline") in wanted or ("baseline" in kind_list and m in model_list):
            library = BASELINE_LIBRARIES.get(m)
            if library is not None and not available[library]:
                missing.setdefault(library, []).append(m)
                continue
            rows.append((m, "baseline"))
    for library, names in missing.items():
        notes.append(f"{', '.join(names)} baseline{'s' if len(names) > 1 else ''} skipped: {library} is not "
                     "installed (pip install 'sklearn-wavefront[baselines]')")
    for m in FRONTENDS:
        for k in FRONTEND_KINDS:
            if k == "learned" and m not in LEARNABLE:
                continue
            if (m, k) in wanted or (m in model_list and k in kind_list):
                rows.append((m, k))
    for m in AUTO_MODELS:  # its candidates are its own, whatever the other models are (AutoWavefrontClassifier)
        if (m, "auto") in wanted or (m in model_list and "auto" in kind_list):
            rows.append((m, "auto"))
    if not rows:
        raise ValueError(
            f"{option('models', style=option_style)} {models or 'all'} with {option('kinds', style=option_style)} "
            f"{kinds or 'all'} leaves no row to run "
            f"(baselines run only with the kind 'baseline'; 'learned' needs one of {', '.join(LEARNABLE)})"
        )
    return rows, notes



# ------------------------------------------------------------------------------------------ scores
def fold_scores(y_true, y_pred, classes):
    """UA, UF1 and (two classes) MAcc of one fold; MAcc is NaN when the fold lacks a class.

    Examples
    --------
    >>> from sklearn_wavefront.comparison import fold_scores
    >>> fold_scores(["a", "b", "b"], ["a", "b", "a"], ["a", "b"])["UA"]
    0.75
    """
    from .metrics import macc_score, unweighted_accuracy_score, unweighted_f1_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a fold's test part may lack a class that is predicted
        out = {"UA": unweighted_accuracy_score(y_true, y_pred), "UF1": unweighted_f1_score(y_true, y_pred)}
        if len(classes) == 2:
            present = np.isin(classes, np.asarray(y_true)).all()
            out["MAcc"] = macc_score(y_true, y_pred, pos_label=classes[1]) if present else float("nan")
    return out


def _fit_one(model, kind, fold, settings, X, y, domains, train, test, classes, keep, groups=None, split_groups=None):
    """Fit one row on one fold; returns its scores, confusion matrix, (``auto``) what it chose and
    (optionally) the estimator."""
    from sklearn.metrics import confusion_matrix

    callbacks, history = None, None
    if kind == "end-to-end" and keep:
        from .callbacks import FilterbankHistory

        history = FilterbankHistory()
        callbacks = [("filter_history", history)]
    from .auto import make_recipe

    est = make_recipe(model, kind, settings, callbacks)
    fit_params = {}
    if kind == "end-to-end" and domains is not None and settings.balance == "class_domain":
        fit_params["domains"] = domains[train]
    if groups is not None and (kind == "temporal" or model == "minirocket"):
        # the penalty is chosen by CV over the user's groups (SegmentedClassifier passes them on,
        # ahead of its recordings, under the inner estimator's own key)
        fit_params[groups_fit_parameter(est)] = np.asarray(groups)[train]
    if kind == "auto" and split_groups is not None:  # the inner splits and hold-outs keep groups whole
        fit_params["groups"] = np.asarray(split_groups)[train]
    from .exceptions import TrainingDivergedError

    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            est.fit(X[train], y[train], **fit_params)
            fit_seconds = time.perf_counter() - t0
            y_pred = est.predict(X[test])
    except TrainingDivergedError as exc:
        # one diverged fold does not end the run: the row is reported as diverged, never scored
        return {
            "model": model, "kind": kind, "fold": int(fold), "ua": None, "uf1": None, "macc": None,
            "fit_seconds": float(time.perf_counter() - t0), "confusion": None,
            "estimator": None, "history": None, "diverged": str(exc) or type(exc).__name__, "warnings": [],
            "choice": None,
        }
    # said in the run's notes, once per distinct warning (a ConvergenceWarning is worth knowing)
    seen = list(dict.fromkeys(f"{w.category.__name__}: {' '.join(str(w.message).split())}" for w in caught))
    s = fold_scores(y[test], y_pred, classes)
    return {
        "model": model,
        "kind": kind,
        "fold": int(fold),
        "ua": float(s["UA"]),
        "uf1": float(s["UF1"]),
        "macc": None if "MAcc" not in s or np.isnan(s["MAcc"]) else float(s["MAcc"]),
        "fit_seconds": float(fit_seconds),
        "confusion": confusion_matrix(y[test], y_pred, labels=classes).tolist(),
        "estimator": est if keep else None,
        "history": history,
        "diverged": None,
        "warnings": seen,
        "choice": dict(est.choice_) if kind == "auto" else None,
    }


def choice_text(choice):
    """What an ``auto`` row chose in one fold, in words (``None``: ``""``).

    Examples
    --------
    >>> from sklearn_wavefront.comparison import choice_text
    >>> choice_text({"name": "comb end-to-end 64", "epochs_run": 17, "inner_ua": 0.912})
    'comb end-to-end 64 (17 epochs; inner UA 0.912)'
    """
    if not choice:
        return ""
    parts = []
    if choice.get("epochs_run"):
        parts.append(f"{choice['epochs_run']} epochs")
    if choice.get("members"):
        parts.append("soft vote of " + " + ".join(choice["members"]))
    if choice.get("inner_ua") is not None:
        parts.append(f"inner UA {choice['inner_ua']:.3f}")
    return choice["name"] + (f" ({'; '.join(parts)})" if parts else "")


def _clock(seconds):
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def run_rows(rows, splits, settings, X, y, domains=None, n_jobs=1, progress=None, keep_last=False, on_result=None,
             groups=None, split_groups=None):
    """Cross-validate every row on ``splits``; fold-level parallelism with joblib.

    Every (row, fold) task builds its estimator from ``settings`` with the same seeds whatever
    ``n_jobs`` is, so the scores do not depend on it.

    Parameters
    ----------
    rows : list of (model, kind)
    splits : list of (train_indices, test_indices)
    settings : Settings
    X : ndarray (2-D, or object array of recordings when segmenting)
    y : ndarray of labels
    domains : ndarray or None
        Domain of each recording (for ``balance="class_domain"`` end-to-end rows).
    groups : ndarray or None
        Group of each recording (e.g. speaker) for choosing ridge penalties: the training part's
        groups reach the ``minirocket`` and ``temporal`` rows, whose ridge penalty is then chosen by
        K-fold CV over whole groups; other rows ignore them. ``None``: by recordings (see the module
        docstring). The folds themselves are ``splits``.
    split_groups : ndarray or None
        Group of each recording for the ``auto`` rows: their inner splits and early-stopping
        hold-outs never put one group on both sides.
    n_jobs : int
        Parallel tasks (joblib, processes).
    progress : callable or None
        Called with one line per finished (row, fold), with an ETA.
    keep_last : bool
        Return the fitted learned and end-to-end estimators of the last fold (for plots and the report).
    on_result : callable or None
        Called with each finished (row, fold) result as it arrives (e.g. to save partial results).

    Returns
    -------
    results : list of dict
        One per (row, fold), in row then fold order.
    """
    from joblib import Parallel, delayed

    from ._threads import budgeted

    classes = np.unique(y)
    last = len(splits) - 1
    tasks = [(m, k, f, tr, te) for m, k in rows for f, (tr, te) in enumerate(splits)]
    total = len(tasks)
    width = len(str(total))
    task, parallel_kwargs = budgeted(_fit_one, n_jobs, total)  # each worker's thread budget (_threads.py)
    gen = Parallel(n_jobs=n_jobs, return_as="generator", **parallel_kwargs)(
        delayed(task)(m, k, f, settings, X, y, domains, tr, te, classes,
                      keep_last and f == last and k in ("learned", "end-to-end"),
                      groups, split_groups)
        for m, k, f, tr, te in tasks
    )
    results = []
    t0 = time.perf_counter()
    for i, r in enumerate(gen, start=1):
        results.append(r)
        if on_result is not None:
            on_result(r)
        if progress is not None:
            elapsed = time.perf_counter() - t0
            eta = elapsed / i * (total - i)
            score = "DIVERGED " if r["diverged"] else f"UA {r['ua']:.3f}"
            chose = f"  chose {choice_text(r['choice'])}" if r.get("choice") else ""
            progress(
                f"[{i:>{width}}/{total}] {r['model']:<18} {r['kind']:<10} fold {r['fold'] + 1}/{len(splits)}  "
                f"{score}  fit {r['fit_seconds']:.1f} s  elapsed {_clock(elapsed)}  ETA {_clock(eta)}{chose}"
            )
    return results


# ---------------------------------------------------------------------------------------- summary
def _fold_ua(results, model, kind, n_folds):
    ua = np.full(n_folds, np.nan)
    for r in results:
        if r["model"] == model and r["kind"] == kind and r.get("ua") is not None:
            ua[r["fold"]] = r["ua"]
    return ua


def summarize(results, rows, classes, test_train_ratio=None):
    """Mean and std over folds per row, the paired difference to the best baseline and its verdict.

    Parameters
    ----------
    results : list of dict
        The per-(row, fold) results of :func:`run_rows`.
    rows : list of (model, kind)
    classes : array-like
    test_train_ratio : float or None
        ``n_test / n_train`` of the folds, for the corrected resampled t-test
        (:mod:`sklearn_wavefront.verdict`); ``None``: ``1 / (K - 1)``.

    Returns
    -------
    summary : list of dict
        Per row: ``model``, ``kind``, ``ua``, ``ua_std``, ``uf1``, ``uf1_std``, ``macc``,
        ``macc_std`` (``None`` unless two classes), ``fit_seconds``, ``fit_seconds_std``,
        ``n_folds``, ``n_diverged`` (folds whose training diverged: the row's scores are then
        ``None``, never a mean over the folds that happened to train); ``delta_ua`` and
        ``delta_ua_std`` (mean and std over folds of the row's UA minus the best baseline's on the
        same fold; ``None`` without baselines or scores), ``p_value`` and ``verdict``
        (``"better"``, ``"within noise"``, ``"worse"`` than the best baseline by the corrected
        resampled t-test; ``"reference"`` for the best baseline itself), ``beats_every_baseline``
        (better than each baseline beyond the noise) and ``best``: the highest mean UA among the
        rows that beat every baseline (the first one on a tie; none when no row does; with no
        baseline row at all, the highest mean UA).
    best_baseline : str or None
    """
    from .verdict import paired_difference, verdict

    summary = []
    for m, k in rows:
        rs = [r for r in results if r["model"] == m and r["kind"] == k]
        n_diverged = sum(1 for r in rs if r.get("diverged"))
        entry = {"model": m, "kind": k, "n_folds": len(rs), "n_diverged": n_diverged}
        if n_diverged:
            for key in ("ua", "uf1", "macc"):
                entry[key] = entry[key + "_std"] = None
        for key in ("ua", "uf1", "macc", "fit_seconds") if not n_diverged else ("fit_seconds",):
            vals = np.array([np.nan if r[key] is None else r[key] for r in rs], dtype=float)
            vals = vals[~np.isnan(vals)]
            if key == "macc" and len(classes) != 2:
                entry[key] = entry[key + "_std"] = None
            elif vals.size == 0:
                entry[key] = entry[key + "_std"] = None
            else:
                entry[key], entry[key + "_std"] = float(vals.mean()), float(vals.std())
        summary.append(entry)
    n_folds = 1 + max((r["fold"] for r in results), default=-1)
    ua = {(e["model"], e["kind"]): _fold_ua(results, e["model"], e["kind"], n_folds) for e in summary}
    scored = [e for e in summary if e["ua"] is not None]
    baselines = [e for e in scored if e["kind"] == "baseline"]
    best_baseline = max(baselines, key=lambda e: e["ua"]) if baselines else None

    def against(e, base):
        return paired_difference(ua[e["model"], e["kind"]], ua[base["model"], base["kind"]], test_train_ratio)

    for e in summary:
        e.update(delta_ua=None, delta_ua_std=None, p_value=None, verdict=None, beats_every_baseline=False)
        if best_baseline is None or e["ua"] is None:
            continue
        if e is best_baseline:
            e.update(delta_ua=0.0, delta_ua_std=0.0, verdict="reference")
            continue
        d = against(e, best_baseline)
        e.update(delta_ua=d.mean, delta_ua_std=None if np.isnan(d.std) else d.std,
                 p_value=None if np.isnan(d.p_value) else d.p_value, verdict=verdict(d))
        e["beats_every_baseline"] = e["kind"] != "baseline" and all(
            verdict(against(e, b)) == "better" for b in baselines)
    candidates = [e for e in scored if e["beats_every_baseline"]] if baselines else scored
    top = max((e["ua"] for e in candidates), default=None)
    marked = False
    for e in summary:
        e["best"] = (not marked) and e in candidates and e["ua"] == top
        marked = marked or e["best"]
    return summary, (None if best_baseline is None else best_baseline["model"])


def confusion_matrices(results, rows, classes):
    """Confusion matrices summed over folds, one per row (rows: true class, columns: predicted).

    A row whose training diverged in any fold has ``matrix`` ``None``, like its scores (a sum over
    the folds that trained would count only part of the recordings).
    """
    out = []
    for m, k in rows:
        rs = [r for r in results if r["model"] == m and r["kind"] == k]
        total = np.zeros((len(classes), len(classes)), dtype=int)
        for r in rs:
            if r["confusion"] is not None:
                total += np.asarray(r["confusion"], dtype=int)
        diverged = any(r.get("diverged") for r in rs)
        out.append({"model": m, "kind": k, "labels": [_py(c) for c in classes],
                    "matrix": None if diverged else total.tolist()})
    return out


def _py(value):
    return value.item() if hasattr(value, "item") else value


def _pm(mean, std, digits=3):
    return "n/a" if mean is None else f"{mean:.{digits}f} ± {std:.{digits}f}"


def table_cells(summary, two_classes):
    """The table's header and body as strings (the cells of :func:`format_table` and :func:`markdown_table`)."""
    header = (["model", "kind", "UA", "UF1"] + (["MAcc"] if two_classes else [])
              + ["fit (s)", "ΔUA (paired)", "p", "verdict", "best"])
    body = []
    for e in summary:
        if e.get("n_diverged"):
            shown = f"diverged ({e['n_diverged']}/{e['n_folds']} folds)"
            cells = [e["model"], e["kind"], shown, "n/a"] + (["n/a"] if two_classes else [])
        else:
            cells = [e["model"], e["kind"], _pm(e["ua"], e["ua_std"]), _pm(e["uf1"], e["uf1_std"])]
            if two_classes:
                cells.append(_pm(e["macc"], e["macc_std"]))
        delta = e.get("delta_ua")
        if delta is None:
            delta_cell = "n/a"
        elif e.get("verdict") == "reference":
            delta_cell = "0"
        else:
            std = e.get("delta_ua_std")
            delta_cell = f"{delta:+.3f}" + ("" if std is None else f" ± {std:.3f}")
        p = e.get("p_value")
        cells += [_pm(e["fit_seconds"], e["fit_seconds_std"], 1), delta_cell,
                  "" if p is None else ("<0.001" if p < 0.001 else f"{p:.3f}"), e.get("verdict") or "",
                  "*" if e["best"] else ""]
        body.append(cells)
    return header, body


def format_table(summary, two_classes):
    """The plain-text table (aligned columns, a rule under the header)."""
    header, body = table_cells(summary, two_classes)
    table = [header, *body]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = []
    for i, row in enumerate(table):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(summary, two_classes):
    """The same table as GitHub markdown (best row in bold)."""
    header, body = table_cells(summary, two_classes)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for cells in body:
        if cells[-1] == "*":
            cells = [f"**{c}**" for c in cells[:-1]] + ["**yes**"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def versions():
    """Versions of the package and its numerical dependencies (aeon, opensmile ``None`` when absent)."""
    import sklearn
    import torch

    from . import __version__
    from .baselines import aeon_version, opensmile_version

    return {
        "sklearn_wavefront": __version__,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "torch": torch.__version__,
        "scikit-learn": sklearn.__version__,
        "aeon": aeon_version(),
        "opensmile": opensmile_version(),
    }


# ------------------------------------------------------------------------------------------- data
def aeon_status():
    """``(importable, problem)``: whether aeon's MiniRocket imports, and why not when it is installed.

    Installed is not importable: a numba/numpy mismatch breaks aeon's import; either way the
    ``minirocket`` row is left out with a note, never a crash.
    """
    from .baselines import aeon_version

    if aeon_version() is None:
        return False, None
    from .baselines import _torch_threads_kept

    try:
        with _torch_threads_kept():  # the import starts numba's threads, which resets torch's count
            import aeon.classification.convolution_based  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - any import failure means: no MiniRocket row
        return False, f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    return True, None


def opensmile_status():
    """``(importable, problem)``: whether opensmile imports, and why not when it is installed."""
    from .baselines import opensmile_version

    if opensmile_version() is None:
        return False, None
    try:
        import opensmile  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - any import failure means: no openSMILE rows
        return False, f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    return True, None


def builtin_data(n_recordings=120, n_classes=4, *, sample_rate=8000, duration=0.25, noise=1.0, random_state=0):
    """The built-in data of ``wavefront compare``: harmonic tones a semitone apart, in two domains.

    A :class:`~sklearn.utils.Bunch` with ``data`` (a list of float32 recordings), ``target``
    (class names such as ``"220Hz"``), ``domains``, ``sample_rate`` and ``description``.

    Examples
    --------
    >>> from sklearn_wavefront.comparison import builtin_data
    >>> b = builtin_data(8, 2, duration=0.1)
    >>> len(b.data), sorted(set(b.target.tolist())), b.description
    (8, ['220Hz', '233Hz'], 'built-in harmonic tones, semitones apart (8 recordings, 2 classes, noise 1, 8000 Hz, 0.1 s)')
    """
    from sklearn.utils import Bunch

    from .datasets import make_harmonic_tones

    bunch = make_harmonic_tones(n_samples=n_recordings, n_classes=n_classes, sample_rate=sample_rate,
                                duration=duration, noise=noise, n_domains=2, random_state=random_state)
    names = np.array([f"{f:.0f}Hz" for f in bunch.class_frequencies])
    desc = (f"built-in harmonic tones, semitones apart ({n_recordings} recordings, {n_classes} classes, "
            f"noise {noise:g}, {sample_rate} Hz, {duration:g} s)")
    return Bunch(data=list(np.asarray(bunch.data, dtype=np.float32)), target=names[np.asarray(bunch.target)],
                 domains=np.asarray(bunch.domains), sample_rate=int(sample_rate), description=desc)


def _one_line(exc):
    return " ".join(str(exc).split())


def _check_length(duration, sr, name, style):
    n = int(round(duration * sr))
    if n < MIN_SAMPLES:
        raise InputError(
            f"{option(name, duration, style)} at {sr} Hz gives {n} samples per recording; at least {MIN_SAMPLES} are needed"
        )


def check_scale(recordings, paths):
    """Name the first file whose samples are too large for the models (see ``MAX_ABS_SAMPLE``)."""
    from ._validation import MAX_ABS_SAMPLE

    for x, path in zip(recordings, paths):
        peak = float(np.max(np.abs(x))) if len(x) else 0.0
        if peak > MAX_ABS_SAMPLE:
            raise InputError(
                f"audio file {path} holds samples of magnitude up to {peak:.3g}; values beyond "
                f"{MAX_ABS_SAMPLE:.0e} overflow the models' float32 envelopes (audio is usually within "
                "[-1, 1]): rescale the file"
            )


#: the loader's advice in Python words -> in the command's words (``option_style="cli"``)
_LOADER_ADVICE_AS_FLAGS = (
    ("on_error='skip'", "--on-error skip"),
    ("on_duplicate='first'", "--on-duplicate first"),
    ("pass sample_rate=...", "pass --sample-rate HZ"),
    ("pass the file's encoding as encoding=...", "pass the file's encoding as --encoding NAME"),
    ("pass encoding=...", "pass --encoding NAME"),
    ("pass encoding='utf-16'", "pass --encoding utf-16"),
    ("encoding='", "--encoding '"),
    ("; the list is in the returned Bunch's 'skipped'", ""),
)


def _as_flags(text):
    for python, flag in _LOADER_ADVICE_AS_FLAGS:
        text = text.replace(python, flag)
    return text


def load_folder(root, *, labels="labels.csv", sample_rate=None, path_column="path", label_column="label",
                on_error="raise", on_duplicate="raise", encoding=None, option_style="python"):
    """:func:`~sklearn_wavefront.datasets.load_audio_folder` with one-line :class:`InputError` s.

    Returns ``(bunch, labels_path)``. What the loader warns about (a CSV read as cp1252 or latin-1,
    files left out with ``on_error="skip"``) stays a warning. With ``option_style="cli"`` the
    loader's advice names the command's flags (``--on-error skip``, ``--sample-rate``,
    ``--encoding``) instead of Python parameters.
    """
    from .datasets import load_audio_folder

    if not os.path.isdir(root):
        raise InputError(f"data folder not found: {root}")
    labels_path = labels if os.path.isabs(labels) else os.path.join(root, labels)
    words = _as_flags if option_style == "cli" else (lambda text: text)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            bunch = load_audio_folder(root, labels=labels, sample_rate=sample_rate, duration=None,
                                      path_column=path_column, target_column=label_column, on_error=on_error,
                                      on_duplicate=on_duplicate, encoding=encoding)
        except (OSError, ValueError) as exc:
            raise InputError(words(_one_line(exc))) from exc
    for w in caught:  # said again, in the caller's words
        warnings.warn(words(_one_line(w.message)), w.category, stacklevel=2)
    return bunch, labels_path


def folder_column(bunch, column, name, labels_path, path_column="path", label_column="label", style="python"):
    """The values of the labels file's ``column`` (``None`` when not asked for); a missing column is
    one line naming the parameter and the columns there are."""
    if not column:
        return None
    if column not in bunch.columns:
        raise InputError(
            f"{option(name, style=style)} {column!r} is not a column of {labels_path}; "
            f"its columns are {[path_column, label_column, *bunch.columns]}"
        )
    return np.asarray(bunch[column])


def _check_folds(y, groups, folds, where, group_name, style):
    flag = option("folds", folds, style)
    if len(y) < folds:
        raise InputError(f"{where} has {len(y)} recordings, fewer than {flag}")
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        raise InputError(f"{where} has a single class ({classes[0]!r}); at least two are needed")
    small = counts.argmin()
    if counts[small] < folds:
        raise InputError(f"class {classes[small]!r} in {where} has {counts[small]} recordings, fewer than {flag}")
    if groups is not None and len(np.unique(groups)) < folds:
        raise InputError(f"{where} has {len(np.unique(groups))} groups, fewer than {flag}")
    if groups is not None:
        # grouped folds keep a group in one fold: a class in fewer groups than folds leaves some
        # fold without it (and its MAcc, UA undefined)
        for c in classes:
            n_groups = len(np.unique(np.asarray(groups)[y == c]))
            if n_groups < folds:
                raise InputError(
                    f"class {c.item() if hasattr(c, 'item') else c!r} in {where} occurs in {n_groups} distinct "
                    f"value(s) of {group_name}, fewer than {flag}; every class needs at least as many groups as folds"
                )


def _check_options(p, style):
    """Reject out-of-range values before any data is read or any model trained."""
    import math

    def whole(value):
        return isinstance(value, (int, np.integer)) and not isinstance(value, bool)

    for name in ("folds", "epochs", "n_filters", "batch_size", "n_recordings", "n_classes", "minirocket_kernels",
                 "temporal_features", "mrhydra_max_length"):
        if not whole(p[name]):
            raise InputError(f"{option(name, style=style)} must be a whole number, got {p[name]!r}")
        minimum = 2 if name in ("folds", "n_classes") else 1
        if p[name] < minimum:
            raise InputError(f"{option(name, style=style)} must be >= {minimum}, got {p[name]}")
    if p["sample_rate"] is not None and (not whole(p["sample_rate"]) or p["sample_rate"] < 1):
        raise InputError(f"{option('sample_rate', style=style)} must be a positive whole number of Hz, "
                         f"got {p['sample_rate']!r}")
    for name in ("duration", "max_duration", "lr", "noise", "budget"):
        if p[name] is not None and (isinstance(p[name], bool) or not isinstance(p[name], (int, float, np.number))):
            raise InputError(f"{option(name, style=style)} must be a number, got {p[name]!r}")
    if p["n_jobs"] is not None and not whole(p["n_jobs"]):
        raise InputError(f"{option('n_jobs', style=style)} must be a whole number or None, got {p['n_jobs']!r}")
    positive = {"duration": "a positive number of seconds", "max_duration": "a positive number of seconds",
                "lr": "a positive number", "budget": "a positive number of minutes"}
    for name, what in positive.items():
        v = p[name]
        if v is not None and not (math.isfinite(v) and v > 0):
            raise InputError(f"{option(name, style=style)} must be {what}, got {v:g}")
    if not (math.isfinite(p["noise"]) and p["noise"] >= 0):
        raise InputError(f"{option('noise', style=style)} must be a finite number >= 0, got {p['noise']:g}")
    if p["n_jobs"] is not None and (p["n_jobs"] == 0 or p["n_jobs"] < -1):
        raise InputError(f"{option('n_jobs', style=style)} must be >= 1 (or -1 for all cores), got {p['n_jobs']}")
    check_random_state_option(p["random_state"], option_style=style)
    if p["mrhydra_max_length"] < 16:
        raise InputError(f"{option('mrhydra_max_length', style=style)} must be >= 16, got {p['mrhydra_max_length']}")
    for name in ("minirocket_kernels", "temporal_features"):
        if p[name] < 84:
            raise InputError(f"{option(name, style=style)} must be >= 84, got {p[name]}")
    choices = {"backend": BACKENDS, "balance": (None, "class", "class_domain"),
               "penalty_groups": ("recordings", "group-column")}
    for name, allowed in choices.items():
        if p[name] not in allowed:
            raise InputError(f"{option(name, style=style)} must be one of {allowed}, got {p[name]!r}")
    from ._validation import check_device

    try:
        check_device(p["device"], name=option("device", style=style))
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _make_output_dir(path, style):
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{option('output_dir', path, style)}: cannot create the folder ({exc.strerror or exc})") from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise InputError(f"{option('output_dir', path, style)}: the folder is not writable")


# ------------------------------------------------------------------------------------------ plots
def _save_plots(name, clf, history, outdir, notes):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        notes.append("matplotlib is not installed: no plots written (pip install matplotlib)")
        return []
    from .inspection import FilterbankDisplay, plot_filter_evolution

    clf = getattr(clf, "estimator_", clf)  # inside a SegmentedClassifier
    written = []
    disp = FilterbankDisplay.from_estimator(clf, name=f"{name} front-end", max_filters=64)
    path = os.path.join(outdir, f"filters_{name}.png")
    disp.figure_.tight_layout()
    disp.figure_.savefig(path, dpi=100)
    plt.close(disp.figure_)
    written.append(path)
    if name in LEARNABLE and history is not None and len(history.center_frequencies_) > 1:
        ax = plot_filter_evolution(history)
        ax.set_title(f"{name}: {'f0' if name == 'comb' else 'centre frequencies'} during training (last fold)")
        path = os.path.join(outdir, f"evolution_{name}.png")
        ax.figure.tight_layout()
        ax.figure.savefig(path, dpi=100)
        plt.close(ax.figure)
        written.append(path)
    return written


def _warnings_by_row(results):
    """``{(model, kind): [distinct warnings over its folds]}`` in row order (rows that warned)."""
    out = {}
    for r in results:
        for w in r.get("warnings") or ():
            said = out.setdefault((r["model"], r["kind"]), [])
            if w not in said:
                said.append(w)
    return out


def _diverged_by_row(results):
    """``{(model, kind): [diverged fold results]}`` in row order."""
    out = {}
    for r in results:
        if r.get("diverged"):
            out.setdefault((r["model"], r["kind"]), []).append(r)
    return out


# ------------------------------------------------------------------------------------------ result
@dataclass
class CompareResult:
    """What :func:`compare` measured.

    Attributes
    ----------
    settings : dict
        The data, folds, model settings, length policy, versions, command and notes.
    rows : list of dict
        One per (row, fold): ``model``, ``kind``, ``fold``, ``ua``, ``uf1``, ``macc`` (``None``
        unless two classes, or when a fold lacks one), ``fit_seconds``, ``diverged`` (``None``, or
        the message of a training that diverged; its scores are then ``None``).
    summary : list of dict
        One per row (:func:`summarize`): mean and std over folds, ``delta_ua``, ``best``.
    confusion_matrices : list of dict
        Per row, summed over folds (rows: true class, columns: predicted).
    folds : list of dict
        The test indices of each fold.
    best_baseline : str or None
    paths : dict
        What :meth:`write` wrote (``results_json``, ``results_csv``, ``plots``).
    estimators : dict
        The fitted end-to-end estimators of the last fold, by model (kept for plots; not saved).

    Examples
    --------
    >>> from sklearn_wavefront import CompareResult, compare
    >>> result = compare(n_recordings=24, folds=2, models="dummy,mel", kinds="baseline,fixed",
    ...                  progress=False)
    >>> list(result.table[["model", "kind"]].itertuples(index=False, name=None))
    [('dummy', 'baseline'), ('mel', 'fixed')]
    >>> result.fold_scores.shape
    (4, 9)
    >>> CompareResult.from_json(result.to_json()).summary == result.summary
    True
    """

    settings: dict
    rows: list
    summary: list
    confusion_matrices: list
    folds: list
    best_baseline: str | None = None
    paths: dict = field(default_factory=dict)
    estimators: dict = field(default_factory=dict, repr=False)

    @property
    def table(self):
        """The summary as a :class:`pandas.DataFrame`, one row per (model, kind), in table order."""
        import pandas as pd

        return pd.DataFrame(self.summary)

    @property
    def fold_scores(self):
        """The per-fold scores as a :class:`pandas.DataFrame` (:data:`ROW_KEYS` columns)."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=list(ROW_KEYS))

    @property
    def classes(self):
        return self.settings["classes"]

    def table_cells(self):
        """The printed table's header and rows as strings (:func:`table_cells`)."""
        return table_cells(self.summary, len(self.settings["classes"]) == 2)

    def to_json(self, path=None):
        """The result as JSON (``results.json``'s layout); written to ``path`` when given."""
        text = json.dumps({"schema": RESULTS_SCHEMA, "settings": self.settings, "rows": self.rows,
                           "summary": self.summary, "confusion_matrices": self.confusion_matrices,
                           "folds": self.folds}, indent=2, default=_py)
        if path is not None:
            from ._csv import atomic_write

            with atomic_write(path) as f:
                f.write(text)
        return text

    @classmethod
    def from_json(cls, source):
        """A result from JSON text or from the path of a ``results.json``."""
        if isinstance(source, (str, os.PathLike)) and not str(source).lstrip().startswith("{"):
            with open(source) as f:
                source = f.read()
        data = json.loads(source)
        schema = data.get("schema", 0)  # 0: written before the schema was recorded (no verdicts yet)
        if schema > RESULTS_SCHEMA:
            raise ValueError(f"these results have schema {schema}, newer than the {RESULTS_SCHEMA} this version "
                             "of sklearn_wavefront reads; upgrade it")
        summary = data["summary"]
        baselines = [e for e in summary if e["kind"] == "baseline" and e.get("ua") is not None]
        best = max(baselines, key=lambda e: e["ua"])["model"] if baselines else None
        return cls(settings=data["settings"], rows=data["rows"], summary=summary,
                   confusion_matrices=data["confusion_matrices"], folds=data.get("folds", []), best_baseline=best)

    def write(self, output_dir, plots=True, report=True):
        """Write ``results.json`` and ``results.csv``, with ``plots`` the filter plots of the
        end-to-end rows' last fold, with ``report`` the self-contained ``report.html``
        (:func:`~sklearn_wavefront.report.write_report`) to ``output_dir``; returns :attr:`paths`."""
        import csv

        from ._csv import atomic_write

        os.makedirs(output_dir, exist_ok=True)
        json_path = os.path.join(output_dir, "results.json")
        self.to_json(json_path)
        csv_path = os.path.join(output_dir, "results.csv")
        with atomic_write(csv_path, newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(ROW_KEYS))
            writer.writeheader()
            for r in self.rows:
                writer.writerow({k: ("" if v is None else (f"{v:.6g}" if isinstance(v, float) else
                                                           choice_text(v) if k == "choice" else v))
                                 for k, v in r.items() if k in ROW_KEYS})
        written = []
        if plots:
            notes = self.settings.setdefault("notes", [])
            for (name, kind), (est, history) in self.estimators.items():
                if kind != "end-to-end":
                    continue
                try:
                    written += _save_plots(name, est, history, output_dir, notes)
                except Exception as exc:  # noqa: BLE001 - a plot never costs the run its measurements
                    notes.append(f"no filter plots for {name} {kind}: {_one_line(exc)}")
            if self.estimators:
                self.to_json(json_path)  # with the notes of the plots
        self.paths = {"results_json": json_path, "results_csv": csv_path, "plots": written}
        if report:
            from .report import write_report

            self.paths["report"] = write_report(self, os.path.join(output_dir, "report.html"))
        return self.paths

    def format(self):
        """The report ``wavefront compare`` prints: how it was measured, the table, where it went, notes."""
        s = self.settings
        two = len(s["classes"]) == 2
        grouping = s.get("grouping_text") or (
            f"grouped by {s['grouping']['group_column']!r}, stratified" if (s.get("grouping") or {}).get("group_column")
            else "stratified")
        lines = [f"{s['folds']}-fold {grouping} CV on {s['data_description']}",
                 f"length policy: {s['length_policy']['message']}"]
        balance = s.get("balance")
        lines.append(f"front-ends: {s['n_filters']} filters; learned and end-to-end: {s['epochs']} "
                     f"epoch{'' if s['epochs'] == 1 else 's'}, back-end "
                     f"{s['backend']}{', ' + balance + '-balanced batches' if balance else ''}; mean ± std over folds")
        if "temporal" in s["kinds"]:
            lines.append(f"temporal rows: fixed filters' frames -> [MiniRocketHead "
                         f"({84 * (s['temporal_features'] // 84)} features), per-channel mean and std] -> scaler -> ridge")
        if s.get("mrhydra_input"):
            lines.append(s["mrhydra_input"])
        if s.get("warm_up_seconds"):
            lines.append("compilation warm-up (once per run, outside the folds' fit times): "
                         + ", ".join(f"{m} {t:.1f} s" for m, t in s["warm_up_seconds"].items()))
        lines.append("nothing is tuned on test folds: logistic-regression heads use C=1; the ridge penalties "
                     f"(MiniRocket, temporal rows) are chosen by {s.get('penalty_text', 'the recorded rule')} inside "
                     "each training fold")
        if two:
            lines.append(f"MAcc: (sensitivity + specificity) / 2 with positive class {str(s['classes'][1])!r}")
        if self.best_baseline is not None:
            lines.append(f"ΔUA (paired): each fold's UA minus that of the best baseline ({self.best_baseline}) on the "
                         "same fold, mean ± std over folds; p and verdict: corrected resampled t-test (Nadeau & "
                         "Bengio, 2003), better / worse when two-sided p < 0.05, else within noise")
            if any(e["best"] for e in self.summary):
                lines.append("* marks the highest mean UA among the rows better than every baseline beyond the noise")
            else:
                lines.append("no row is better than every baseline beyond the noise over these folds: no * this time")
        else:
            lines.append("ΔUA: n/a (no baseline row); * marks the highest mean UA")
        lines.append(format_table(self.summary, two))
        for model, kind in dict.fromkeys((r["model"], r["kind"]) for r in self.rows if r.get("choice")):
            chosen = [f"{r['fold'] + 1}: {choice_text(r['choice'])}" for r in self.rows
                      if (r["model"], r["kind"]) == (model, kind) and r.get("choice")]
            lines.append(f"{model} chose, per fold (on inner splits of the training part only): " + "; ".join(chosen))
        if self.paths:
            lines.append(f"results: {self.paths['results_json']} (settings, per-fold rows, confusion matrices), "
                         f"{self.paths['results_csv']}")
            if self.paths.get("report"):
                lines.append(f"report: {self.paths['report']} (the table, every fold, confusion matrices, filters)")
            if self.paths.get("plots"):
                lines.append(f"filter plots: {', '.join(self.paths['plots'])}")
        lines += [f"note: {note}" for note in dict.fromkeys(s.get("notes", []))]
        return "\n".join(lines)

    __str__ = format


# ------------------------------------------------------------------------------------------ compare
def compare(X=None, y=None, *, sample_rate=None, groups=None, domains=None,
            labels="labels.csv", path_column="path", label_column="label", group_column=None, domain_column=None,
            on_error="raise", on_duplicate="raise", encoding=None, models="all", kinds="baseline,fixed,temporal,learned,auto", rows=None, folds=5,
            duration=None, max_duration=10.0, n_filters=16, epochs=4, batch_size=16, lr=3e-3,
            backend="temporal", balance=None, penalty_groups="recordings", minirocket_kernels=10000,
            mrhydra_max_length=2000, temporal_features=5000, budget=10.0, n_recordings=120, n_classes=4, noise=1.0, random_state=0, n_jobs=1,
            device="auto", output_dir=None, plots=True, report=True, progress=True, command=None, option_style="python"):
    """Cross-validate the baselines and the front-ends on the same folds; the job of ``wavefront compare``.

    Parameters
    ----------
    X : list of 1-D arrays, 2-D array, str, path or None, default=None
        The recordings (any lengths); or a folder holding them and a ``labels`` CSV; or ``None``
        for the built-in harmonic tones (``n_recordings``, ``n_classes``, ``noise``; 8000 Hz and
        0.25 s unless ``sample_rate`` / ``duration`` say otherwise).
    y : array-like or None
        Labels of ``X`` (``None`` for a folder or the built-in data).
    sample_rate : int or None
        Rate of ``X`` in Hz (required for recordings); for a folder, every file is resampled to it.
    groups, domains : array-like or None
        Per recording: groups (folds never split one; e.g. speakers) and recording domains
        (``balance="class_domain"``). For a folder: ``group_column``, ``domain_column``.
    labels, path_column, label_column, group_column, domain_column : str
        The folder's labels CSV and its columns.
    on_error, on_duplicate, encoding :
        For a folder: skip unreadable files (``"skip"``, said in a warning) or stop (``"raise"``);
        keep the first of repeated rows (``"first"``, said) or stop; the labels file's text encoding (``None``: UTF-8, else cp1252 or latin-1, said in a warning).
    models, kinds : str
        Comma-separated baselines and front-ends (:data:`~sklearn_wavefront.registry.BASELINES`,
        :data:`~sklearn_wavefront.registry.FRONTENDS`) and kinds
        (:data:`~sklearn_wavefront.registry.KINDS`), or ``"all"``.
    rows : str or None
        Further ``model:kind`` rows, e.g. ``"comb:end-to-end"``.
    folds : int, default=5
        Stratified (grouped when there are groups) K-fold, shuffled with ``random_state``.
    duration, max_duration : float
        The length policy (:func:`~sklearn_wavefront.length_policy.apply_length_policy`).
    n_filters, epochs, batch_size, lr, backend, balance :
        Front-end size; training of the learned and end-to-end rows; the end-to-end back-end
        (:data:`~sklearn_wavefront.registry.BACKENDS`) and batch balancing (``None``, ``"class"``,
        ``"class_domain"``).
    penalty_groups : {"recordings", "group-column"}
        What the ridge penalties of the MiniRocket and temporal rows are chosen over inside a
        training fold (see the module docstring).
    minirocket_kernels, temporal_features : int
        MiniRocket's kernels on the raw waveform; the temporal rows' MiniRocket features.
    budget : float, default=10.0
        Minutes of estimated work of each ``auto`` row per outer fold (its candidates, inner splits
        and rounds; :func:`sklearn_wavefront.auto.plan_search`).
    mrhydra_max_length : int
        MultiRocket-Hydra sees each recording (or segment) decimated by a whole factor to at most
        this many samples (its cost grows with the length; the report says what it saw).
    random_state : int
        Seed of the data, folds and training.
    n_jobs : int
        (row, fold) tasks in parallel (joblib processes); the results do not depend on it.
    device : str
        torch device (``"auto"``: CUDA if available).
    output_dir : str or None
        Where ``results.partial.jsonl`` (each finished fold at once, so an interrupted run keeps
        what it measured), then ``results.json``, ``results.csv`` and plots go.
    plots : bool
        Filter plots of the end-to-end rows (with ``output_dir``), and the learned rows' filters
        in the report.
    report : bool
        Write ``report.html`` (with ``output_dir``; :mod:`sklearn_wavefront.report`).
    progress : bool or callable
        One line per finished (row, fold) with an ETA: on stderr (``True``), nowhere (``False``)
        or to a callable.
    command : str or None
        The command line recorded in the settings (``wavefront compare`` passes its own).
    option_style : {"python", "cli"}
        Whether messages name parameters as here (``folds=5``) or as flags (``--folds 5``).

    Returns
    -------
    CompareResult

    Raises
    ------
    sklearn_wavefront.exceptions.InputError
        Bad data or options (a missing file or column, fewer recordings or groups than folds, an
        unknown model or kind, an out-of-range value, an unusable device or output folder); the
        message names the parameter and the value.

    Examples
    --------
    >>> from sklearn_wavefront import compare
    >>> from sklearn_wavefront.datasets import make_harmonic_tones
    >>> X, y = make_harmonic_tones(n_samples=24, n_classes=2, duration=0.25, random_state=0, return_X_y=True)
    >>> result = compare(X, y, sample_rate=8000, folds=2, models="dummy,mel", kinds="baseline,fixed",
    ...                  progress=False)
    >>> result.table[["model", "kind", "ua"]].shape
    (2, 3)
    """
    style = option_style
    if style not in ("python", "cli"):
        raise InputError(f"option_style must be 'python' or 'cli', got {style!r}")
    params = dict(folds=folds, epochs=epochs, n_filters=n_filters, batch_size=batch_size, n_recordings=n_recordings,
                  n_classes=n_classes, sample_rate=sample_rate, duration=duration, max_duration=max_duration, lr=lr,
                  noise=noise, n_jobs=n_jobs, minirocket_kernels=minirocket_kernels, mrhydra_max_length=mrhydra_max_length,
                  temporal_features=temporal_features, backend=backend, balance=balance,
                  penalty_groups=penalty_groups, device=device, random_state=random_state, budget=budget)
    if not callable(progress):
        quiet = not progress

        def progress(msg):
            if not quiet:
                print(msg, file=sys.stderr, flush=True)

    importable, aeon_problem = aeon_status()
    smile_ok, smile_problem = opensmile_status()
    try:
        plan, notes = plan_rows(models, kinds, aeon_available=importable, extra_rows=rows, option_style=style,
                                opensmile_available=smile_ok)
    except ValueError as exc:
        raise InputError(_one_line(exc)) from exc
    if aeon_problem:
        notes.append(f"aeon is installed but does not import ({aeon_problem}): no minirocket or mrhydra row")
    if smile_problem:
        notes.append(f"opensmile is installed but does not import ({smile_problem}): no openSMILE rows")
    _check_options(params, style)
    group_name = "groups"
    inputs = []  # files the run reads, which its outputs must not replace
    if X is None:
        sr = sample_rate or 8000
        builtin_duration = duration or 0.25
        _check_length(builtin_duration, sr, "duration", style)
        try:
            bunch = builtin_data(n_recordings, n_classes, sample_rate=sr, duration=builtin_duration, noise=noise,
                                 random_state=random_state)
        except ValueError as exc:
            raise InputError(
                f"cannot build the built-in data with {option('sample_rate', sr, style)} "
                f"{option('duration', builtin_duration, style)} {option('n_classes', n_classes, style)} "
                f"{option('noise', noise, style)}: {_one_line(exc)}"
            ) from exc
        recordings, y, desc, where = bunch.data, bunch.target, bunch.description, "the built-in data set"
        if group_column or groups is not None:  # never ignored in silence
            raise InputError(f"{option('group_column' if group_column else 'groups', style=style)}: the built-in "
                             "data has no groups (its folds are stratified); give a folder or recordings")
        if domain_column:
            if domain_column != "domain":
                raise InputError(f"{option('domain_column', style=style)} {domain_column!r}: the built-in data has one "
                                 "domain column, 'domain'")
            domains = bunch.domains
        data_name = "built-in harmonic tones"
    elif isinstance(X, (str, os.PathLike)):
        for name, values, column in (("groups", groups, "group_column"), ("domains", domains, "domain_column")):
            if values is not None:  # never dropped in silence: a folder's groups come from a column
                raise InputError(f"{option(name, style=style)} is for recordings given as arrays; with a folder, "
                                 f"name the labels file's column with {option(column, style=style)}")
        bunch, labels_path = load_folder(X, labels=labels, sample_rate=sample_rate, path_column=path_column,
                                         label_column=label_column, on_error=on_error, on_duplicate=on_duplicate,
                                         encoding=encoding, option_style=style)
        sr = int(bunch.sample_rate)
        check_scale(bunch.data, bunch.paths)
        recordings, y = list(bunch.data), np.asarray(bunch.target)
        groups = folder_column(bunch, group_column, "group_column", labels_path, path_column, label_column, style)
        domains = folder_column(bunch, domain_column, "domain_column", labels_path, path_column, label_column, style)
        if group_column:
            group_name = f"group column {group_column!r}"
        desc = f"{labels_path} ({len(y)} recordings, {len(np.unique(y))} classes, {sr} Hz)"
        where, data_name = labels_path, os.path.abspath(X)
        inputs = [labels_path, *bunch.paths, *(path for path, _ in bunch.get("skipped", []))]
    else:
        for name, column, value in (("groups", "group_column", group_column),
                                    ("domains", "domain_column", domain_column)):
            if value:  # never ignored in silence: arrays carry no labels file whose column it could name
                raise InputError(f"{option(column, value, style)} names a column of a folder's labels file; with "
                                 f"recordings given as arrays pass {option(name, style=style)}")
        if y is None:
            raise InputError("y is required with recordings (it is None only for a folder or the built-in data)")
        if sample_rate is None:
            raise InputError("sample_rate is required with recordings (their rate in Hz)")
        sr = int(sample_rate)
        recordings = [np.asarray(x, dtype=np.float32) for x in (list(X.to_numpy()) if hasattr(X, "to_numpy") else X)]
        if not recordings:
            raise InputError("X holds no recordings")
        if any(x.ndim != 1 or x.size == 0 for x in recordings):
            bad = next(i for i, x in enumerate(recordings) if x.ndim != 1 or x.size == 0)
            raise InputError(f"recording {bad} of X must be a non-empty 1-D array of samples, "
                             f"got shape {recordings[bad].shape}")
        y = np.asarray(y)
        if len(recordings) != len(y):
            raise InputError(f"X holds {len(recordings)} recordings but y {len(y)} labels")
        check_scale(recordings, [f"recording {i}" for i in range(len(recordings))])
        desc = f"{len(y)} recordings, {len(np.unique(y))} classes, {sr} Hz"
        where, data_name = "the recordings given", "recordings given in Python"
    for name, values in (("groups", groups), ("domains", domains)):
        if values is not None and len(values) != len(y):
            raise InputError(f"{name} holds {len(values)} values for {len(y)} recordings")
    groups = None if groups is None else np.asarray(groups)
    domains = None if domains is None else np.asarray(domains)
    if duration:
        _check_length(duration, sr, "duration", style)
    median = int(np.median([len(x) for x in recordings]))
    if not duration and median < MIN_SAMPLES:
        raise InputError(
            f"the recordings in {where} have a median length of {median} samples at {sr} Hz; at least "
            f"{MIN_SAMPLES} are needed (raise {option('sample_rate', style=style)} or pass a longer "
            f"{option('duration', style=style)})"
        )
    arrays = X is not None and not isinstance(X, (str, os.PathLike))
    if penalty_groups == "group-column" and groups is None:
        raise InputError(f"{option('penalty_groups', penalty_groups, style)} needs "
                         f"{option('groups' if arrays and style == 'python' else 'group_column', style=style)} "
                         "(the groups the penalty is chosen over)")
    if balance == "class_domain" and domains is None:
        raise InputError(f"{option('balance', balance, style)} needs "
                         f"{option('domains' if arrays and style == 'python' else 'domain_column', style=style)} "
                         "(each recording's domain)")
    if balance and any(k == "auto" for _, k in plan):  # never ignored in silence
        notes.append(f"{option('balance', balance, style)} balances the end-to-end rows' batches; the auto row's "
                     "end-to-end candidates train on plain shuffled batches")
    _check_folds(y, groups, folds, where, group_name, style)
    check_sample_rate(sorted({m for m, _ in plan if m in FRONTENDS}), sr, n_filters, option_style=style)
    if not duration:
        _check_length(max_duration, sr, "max_duration", style)
    X, policy = apply_length_policy(recordings, sr, duration=duration, max_duration=max_duration, option_style=style)
    classes = np.unique(y)
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    if groups is None:
        cv = StratifiedKFold(folds, shuffle=True, random_state=random_state)
    else:
        cv = StratifiedGroupKFold(folds, shuffle=True, random_state=random_state)
    splits = list(cv.split(np.zeros(len(y)), y, groups))
    if penalty_groups == "group-column":
        for k, (train, _) in enumerate(splits):
            n_train_groups = len(np.unique(groups[train]))
            if n_train_groups < 2:
                raise InputError(
                    f"{option('penalty_groups', penalty_groups, style)}: the training part of fold {k + 1} holds "
                    f"{n_train_groups} {group_column or 'groups'!r} group(s); choosing the ridge penalty over groups "
                    f"needs at least 2. Use more groups, fewer {option('folds', style=style)}, or the default "
                    f"{option('penalty_groups', 'recordings', style)}"
                )
    if output_dir is not None:
        _make_output_dir(output_dir, style)
        if inputs:  # a results file must never replace the labels file or a recording
            from ._csv import refuse_inputs

            names = ["results.json", "results.csv", "results.partial.jsonl", "report.html",
                     *(f"{kind}_{m}.png" for m in FRONTENDS for kind in ("filters", "evolution"))]
            try:
                for name in names:
                    refuse_inputs(os.path.join(output_dir, name), inputs)
            except ValueError as exc:
                raise InputError(f"{option('output_dir', output_dir, style)}: {_one_line(exc)}") from exc
    settings = Settings(
        sample_rate=sr, n_filters=n_filters, epochs=epochs, batch_size=batch_size, lr=lr, backend=backend,
        device=device, random_state=random_state, balance=balance, minirocket_kernels=minirocket_kernels,
        mrhydra_max_length=mrhydra_max_length, temporal_features=temporal_features, segment_seconds=policy.segment_seconds if policy.mode == "segment" else None,
        budget=budget, penalty_groups=penalty_groups == "group-column",
    )
    grouping = (f"grouped by {group_column!r}, stratified" if group_column else "grouped, stratified") \
        if groups is not None else "stratified"
    progress(f"wavefront compare: {folds}-fold {grouping} CV of {len(plan)} rows on {desc}")
    progress(f"length policy: {policy.message}")
    for note in notes:
        progress(f"note: {note}")
    warmed = {}
    compiles = [m for m, _ in plan if m in ("minirocket", "mrhydra") or m in FRONTENDS]
    if any(k == "auto" for _, k in plan):  # the search's candidates compile too
        from .auto import DEFAULT_CANDIDATES

        compiles += [c["model"] for c in DEFAULT_CANDIDATES if c["model"] in ("minirocket",) + FRONTENDS]
    if compiles:  # numba's one-off compilation and torch's first calls, outside every fold's fit time
        from .recipes import warm_up

        warmed = warm_up(compiles, sample_rate=sr)
        progress("compilation warm-up (once per run, outside the folds' fit times): "
                 + ", ".join(f"{m} {t:.1f} s" for m, t in warmed.items()))
    seen_by_mrhydra = None
    if ("mrhydra", "baseline") in plan:
        from .baselines import downsampling_factor

        n = round(policy.segment_seconds * sr) if policy.mode == "segment" else X.shape[1]
        q = downsampling_factor(n, mrhydra_max_length)
        unit = "segment" if policy.mode == "segment" else "recording"
        cap = option("mrhydra_max_length", mrhydra_max_length, style)
        seen_by_mrhydra = (f"mrhydra sees every {unit} at its full rate, {sr} Hz ({n} samples; {cap})" if q == 1 else
                           f"mrhydra sees every {unit} low-passed and decimated by {q} to {sr / q:g} Hz "
                           f"({-(-n // q)} samples; {cap}): what lies above {sr / q / 2:g} Hz is not seen")
    penalty_by = groups if penalty_groups == "group-column" else None
    keep_last = bool(plots and output_dir is not None)
    partial_path = None if output_dir is None else os.path.join(output_dir, "results.partial.jsonl")
    partial = None if partial_path is None else open(partial_path, "w")
    finished = []
    try:
        def save(r):  # each finished (row, fold) at once, so an interrupted run keeps what it measured
            finished.append(r)
            if partial is not None:
                partial.write(json.dumps({k: r.get(k) for k in (*ROW_KEYS, "confusion")}) + "\n")
                partial.flush()

        results = run_rows(plan, splits, settings, X, y, domains=domains, groups=penalty_by, n_jobs=n_jobs,
                           progress=progress, keep_last=keep_last, on_result=save, split_groups=groups)
        if len(classes) == 2:  # MAcc needs both classes in a fold's test part (sensitivity and specificity)
            undefined = sorted({r["fold"] for r in results if r["macc"] is None and not r.get("diverged")})
            if undefined:
                notes.append(
                    f"MAcc is undefined in fold(s) {', '.join(str(f + 1) for f in undefined)}, whose test part lacks "
                    f"a class: its mean ± std is over the other {len(splits) - len(undefined)} of {len(splits)} folds"
                )
        for (m, k), rs in _diverged_by_row(results).items():
            notes.append(
                f"{m} {k}: training diverged in {len(rs)} of {len(splits)} folds, so the row has no score "
                f"(first: {_one_line(rs[0]['diverged'])}); try a smaller {option('lr', style=style)}"
            )
        for (m, k), said in _warnings_by_row(results).items():
            n_folds = sum(1 for r in results if r["model"] == m and r["kind"] == k and r.get("warnings"))
            shown = "; ".join(said[:2]) + (f" (and {len(said) - 2} more)" if len(said) > 2 else "")
            notes.append(f"{m} {k}: warned while training in {n_folds} of {len(splits)} folds: {shown}")
        ratio = float(np.mean([len(te) / len(tr) for tr, te in splits]))
        summary, best_baseline = summarize(results, plan, classes, test_train_ratio=ratio)
        matrices = confusion_matrices(results, plan, classes)
        estimators = {}
        for r in results:
            if r["estimator"] is not None:
                estimators[(r["model"], r["kind"])] = (r["estimator"], r["history"])
            elif keep_last and r["kind"] == "end-to-end" and r["fold"] == len(splits) - 1 and r.get("diverged"):
                notes.append(f"no filter plots for {r['model']} end-to-end: its last fold diverged")
        if penalty_groups == "group-column":
            penalty_text = f"K-fold CV over the training part's groups ({group_column or 'groups'!r})"
        elif policy.mode == "segment":
            penalty_text = "K-fold CV over recordings (segments of one recording together)"
        else:
            penalty_text = "leave-one-out"
        settings_dict = {
            "command": command if command is not None else "sklearn_wavefront.compare(...)",
            "versions": versions(),
            "data": data_name,
            "data_description": desc,
            "n_recordings": int(len(y)),
            "classes": [_py(c) for c in classes],
            "sample_rate": int(sr),
            "folds": int(folds),
            "grouping": {"group_column": group_column, "n_groups": None if groups is None else int(len(np.unique(groups)))},
            "grouping_text": grouping,
            "domain_column": domain_column,
            "balance": balance,
            "random_state": random_state,
            "duration": duration, "max_duration": max_duration,
            "length_policy": policy.as_dict(),
            "models": sorted({m for m, _ in plan}, key=[m for m, _ in plan].index),
            "kinds": sorted({k for _, k in plan}, key=KINDS.index),
            "n_filters": n_filters, "epochs": epochs, "batch_size": batch_size, "lr": lr,
            "backend": backend, "device": device, "n_jobs": n_jobs,
            "minirocket_kernels": minirocket_kernels, "temporal_features": temporal_features, "budget": budget,
            "mrhydra_max_length": mrhydra_max_length, "mrhydra_input": seen_by_mrhydra,
            "warm_up_seconds": warmed,
            "penalty_groups": penalty_groups, "penalty_text": penalty_text, "test_train_ratio": ratio,
            "macc_positive_class": _py(classes[1]) if len(classes) == 2 else None,
            "option_style": style,
            "notes": notes,
        }
        rows_out = [{k: r.get(k) for k in ROW_KEYS} for r in results]
        folds_out = [{"fold": i, "test": [int(j) for j in te]} for i, (_, te) in enumerate(splits)]
        result = CompareResult(settings=settings_dict, rows=rows_out, summary=summary, confusion_matrices=matrices,
                               folds=folds_out, best_baseline=best_baseline, estimators=estimators)
        if output_dir is not None:
            try:
                result.write(output_dir, plots=plots, report=report)
            except OSError as exc:  # a full disk: one line from the command, the folds stay on disk
                raise OSError(exc.errno, f"cannot write the results to {output_dir} ({exc.strerror or exc}); the "
                                         f"{len(finished)} (row, fold) results are kept in {partial_path}") from exc
            partial.close()
            os.remove(partial_path)  # only now: whatever failed before this point left the measured folds on disk
        return result
    except KeyboardInterrupt as exc:
        total = len(plan) * len(splits)
        # after the last fold (summary, plots, writing) everything is in the partial file too
        if partial_path is None:
            kept = f"the {len(finished)} of {total} (row, fold) results finished are lost (pass output_dir to keep them)"
        else:
            kept = f"the {len(finished)} of {total} (row, fold) results finished are kept in {partial_path}"
        raise Interrupted(kept, kept=partial_path) from exc
    finally:
        if partial is not None:
            partial.close()
