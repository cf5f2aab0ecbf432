"""The comparison behind ``wavefront compare``: baselines and front-ends on the same folds.

Every *row* of the comparison is a (model, kind) pair, cross-validated on one list of folds:

* ``kind="baseline"``: ``dummy`` (chance, :class:`~sklearn.dummy.DummyClassifier` with
  ``strategy="stratified"``), ``mfcc+logreg`` (:func:`~sklearn_wavefront.baselines.make_mfcc_logreg`),
  ``minirocket`` (:class:`~sklearn_wavefront.baselines.MiniRocketClassifier`, needs aeon);
* for every front-end (``comb``, ``iconnet``, ``sinc``, ``gammatone``, ``mel``, ``mfcc``):
  ``"fixed"`` (the front-end transformer with its initial filters -> ``StandardScaler`` ->
  ``LogisticRegression``); ``"temporal"``: the front-end with its initial filters and
  ``output="frames"`` -> [:class:`~sklearn_wavefront.temporal.MiniRocketHead`
  (``Settings.temporal_features`` features, ``random_state``; MiniRocket over the frames: the time
  structure that the mean/std statistics of ``"fixed"`` pool away), concatenated with
  :class:`~sklearn_wavefront.temporal.FrameStatistics` (each channel's mean and std over time: the
  steady band levels that the zero-sum MiniRocket kernels barely see)] -> ``StandardScaler`` ->
  :class:`~sklearn_wavefront.baselines.SoftmaxRidgeClassifierCV` with :data:`TEMPORAL_ALPHAS`
  (pipeline steps ``frontend``, ``features`` (a ``FeatureUnion`` of ``minirocket`` and
  ``statistics``), ``scaler``, ``ridge``); ``"learned"`` (the fixed pipeline, the transformer fitted with
  ``fit(X, y)`` and ``max_epochs > 0``, only for front-ends with learnable filters) and
  ``"end-to-end"`` (:class:`~sklearn_wavefront.classifiers.WaveformClassifier`).

Nothing is tuned on test folds: the linear heads use fixed settings, the ridge penalties (MiniRocket,
temporal rows) are chosen inside the training fold (:class:`~sklearn_wavefront.baselines.SoftmaxRidgeClassifierCV`):
by leave-one-out over its recordings, or, when the recordings are segmented, by K-fold CV over whole
recordings (each recording's segments form a group, so a held-out segment's siblings never stay in
training). :func:`run_rows` also takes ``groups`` (the CLI's ``--penalty-groups group-column``): the
training part's groups (e.g. speakers) then choose the penalty, ahead of the recordings. That is
opt-in: on spoken digits grouped by speaker (4 training speakers) it ran to the grid's largest
penalty and cost MiniRocket 5.6 UA points, the temporal rows -1.7 to +1.0
(``benchmarks/results/temporal_penalty/``). Groups reach only these two kinds of rows: the others
choose nothing on inner splits (the end-to-end rows of the comparison train without early stopping,
so they have no inner validation split to group; the learned rows end in a logistic regression with
fixed settings).

**Length policy** (:func:`apply_length_policy`). Recordings are never cut silently: with a
forced ``duration`` every recording is cropped or zero-padded to it; otherwise all are zero-padded
to the longest when that is at most ``max_duration`` seconds, and beyond it every model is wrapped
in :class:`~sklearn_wavefront.segmenting.SegmentedClassifier` (segments of ``max_duration``
seconds, shorter recordings padded to one segment, recording-level decision by mean
probability). What was done is counted and reported.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "BASELINES",
    "FRONTENDS",
    "KINDS",
    "TEMPORAL_ALPHAS",
    "LengthPolicy",
    "apply_length_policy",
    "make_estimator",
    "plan_rows",
    "run_rows",
    "summarize",
    "format_table",
    "markdown_table",
]

BASELINES = ("dummy", "mfcc+logreg", "minirocket")
FRONTENDS = ("comb", "iconnet", "sinc", "gammatone", "mel", "mfcc")
LEARNABLE = ("comb", "iconnet", "sinc", "gammatone")
KINDS = ("baseline", "fixed", "temporal", "learned", "end-to-end")
#: the kinds of a front-end's rows, in table order
FRONTEND_KINDS = KINDS[1:]
#: ridge penalties tried (inside the training fold, leave-one-out or grouped K-fold) by the temporal rows, as by MiniRocket's
TEMPORAL_ALPHAS = np.logspace(-3, 3, 10)


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


def plan_rows(models="all", kinds="all", aeon_available=True, extra_rows=None):
    """The (model, kind) rows to run, in table order, and notes on rows left out.

    Parameters
    ----------
    models : str or None
        Comma-separated subset of :data:`BASELINES` and :data:`FRONTENDS`, or ``"all"``.
    kinds : str or None
        Comma-separated subset of :data:`KINDS`, or ``"all"``.
    aeon_available : bool
        Whether aeon imports (otherwise ``minirocket`` is left out with a note).
    extra_rows : str or None
        Comma-separated ``model:kind`` pairs run besides the ``models`` x ``kinds`` rows (e.g.
        ``"comb:learned,mel:temporal,mel:end-to-end"``), to add a few rows without all of their kind.

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
    model_list = _parse_list(models, BASELINES + FRONTENDS, "--models")
    kind_list = _parse_list(kinds, KINDS, "--kinds")
    wanted = set()
    for pair in [p.strip() for p in (extra_rows or "").split(",") if p.strip()]:
        m, _, k = pair.partition(":")
        m, k = m.strip().lower(), k.strip().lower()
        if m not in BASELINES + FRONTENDS or k not in KINDS or (k == "baseline") != (m in BASELINES) or (
            k == "learned" and m not in LEARNABLE
        ):
            raise ValueError(
                f"--rows {pair!r} is not a row: use model:kind with a baseline and 'baseline', or a front-end "
                f"and fixed, temporal, learned (comb, iconnet, sinc, gammatone) or end-to-end"
            )
        wanted.add((m, k))
    rows, notes = [], []
    for m in BASELINES:
        if (m, "baseline") in wanted or ("baseline" in kind_list and m in model_list):
            if m == "minirocket" and not aeon_available:
                notes.append(
                    "minirocket baseline skipped: aeon is not installed "
                    "(pip install 'sklearn-wavefront[baselines]')"
                )
                continue
            rows.append((m, "baseline"))
    for m in FRONTENDS:
        for k in FRONTEND_KINDS:
            if k == "learned" and m not in LEARNABLE:
                continue
            if (m, k) in wanted or (m in model_list and k in kind_list):
                rows.append((m, k))
    if not rows:
        raise ValueError(
            f"--models {models or 'all'} with --kinds {kinds or 'all'} leaves no row to run "
            "(baselines run only with the kind 'baseline'; 'learned' needs comb, iconnet, sinc or gammatone)"
        )
    return rows, notes


# ---------------------------------------------------------------------------------- length policy
@dataclass
class LengthPolicy:
    """What was done to the recordings' lengths (see :func:`apply_length_policy`)."""

    mode: str  # "equal", "pad", "crop", "segment"
    target_seconds: float
    n_recordings: int
    n_padded: int = 0
    n_cropped: int = 0
    n_segmented: int = 0
    n_segments: int = 0
    max_pad_seconds: float = 0.0
    max_crop_seconds: float = 0.0
    shortest_seconds: float = 0.0
    longest_seconds: float = 0.0
    cap_seconds: float | None = None
    segment_seconds: float | None = None
    message: str = field(default="")

    def as_dict(self):
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def apply_length_policy(recordings, sample_rate, duration=None, max_duration=10.0):
    """Bring recordings of any lengths to a form every model takes, and say what was done.

    Parameters
    ----------
    recordings : list of 1-D arrays or 2-D array
        The waveforms.
    sample_rate : int
        Their rate in Hz.
    duration : float or None
        Force this length (seconds): longer recordings are cropped at the end, shorter ones
        zero-padded at the end.
    max_duration : float
        Without ``duration``: pad to the longest recording when it is at most this long;
        otherwise segment every recording into pieces of this length (recording-level decisions).

    Returns
    -------
    X : ndarray of shape (n, n_samples), or object array of 1-D arrays (``mode="segment"``)
    policy : LengthPolicy

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_wavefront.comparison import apply_length_policy
    >>> X, p = apply_length_policy([np.ones(800), np.ones(1000)], 1000)
    >>> X.shape, p.mode, p.n_padded
    ((2, 1000), 'pad', 1)
    >>> X, p = apply_length_policy([np.ones(800), np.ones(3000)], 1000, max_duration=1.0)
    >>> p.mode, p.n_segmented, p.n_segments, p.n_padded
    ('segment', 1, 4, 1)
    """
    recs = [np.asarray(r, dtype=np.float32) for r in recordings]
    sr = float(sample_rate)
    lengths = np.array([len(r) for r in recs])
    n = len(recs)
    base = dict(n_recordings=n, shortest_seconds=float(lengths.min() / sr), longest_seconds=float(lengths.max() / sr))
    if duration is not None:
        target = int(round(duration * sr))
        X = np.zeros((n, target), dtype=np.float32)
        for row, r in zip(X, recs):
            row[: min(target, len(r))] = r[:target]
        crop = np.clip(lengths - target, 0, None) / sr
        pad = np.clip(target - lengths, 0, None) / sr
        p = LengthPolicy("crop" if (crop > 0).any() else ("pad" if (pad > 0).any() else "equal"), target / sr,
                         n_padded=int((pad > 0).sum()), n_cropped=int((crop > 0).sum()),
                         max_pad_seconds=float(pad.max()), max_crop_seconds=float(crop.max()), **base)
        p.message = (
            f"--duration {duration:g}: every recording set to {target / sr:g} s; "
            f"{p.n_cropped} of {n} cropped at the end (by up to {p.max_crop_seconds:.2f} s, "
            f"{float(crop.sum()):.1f} s of audio dropped), {p.n_padded} zero-padded (by up to {p.max_pad_seconds:.2f} s)"
        )
        return X, p
    longest = int(lengths.max())
    cap = int(round(max_duration * sr))
    if longest <= cap:
        pad = (longest - lengths) / sr
        X = np.zeros((n, longest), dtype=np.float32)
        for row, r in zip(X, recs):
            row[: len(r)] = r
        p = LengthPolicy("pad" if (pad > 0).any() else "equal", longest / sr, n_padded=int((pad > 0).sum()),
                         max_pad_seconds=float(pad.max()), cap_seconds=float(max_duration), **base)
        if p.mode == "equal":
            p.message = f"all {n} recordings are {longest / sr:g} s long: nothing padded or cut"
        else:
            p.message = (
                f"lengths {p.shortest_seconds:.2f}-{p.longest_seconds:.2f} s: {p.n_padded} of {n} recordings "
                f"zero-padded at the end to the longest, {longest / sr:.2f} s (by up to {p.max_pad_seconds:.2f} s, "
                f"mean {float(pad.mean()):.2f} s); none cut"
            )
        return X, p
    from .segmenting import segment_signals

    _, rec_index = segment_signals(recs, cap, cap)
    counts = np.bincount(rec_index, minlength=n)
    X = np.empty(n, dtype=object)
    for i, r in enumerate(recs):
        X[i] = r
    p = LengthPolicy("segment", cap / sr, n_padded=int((lengths < cap).sum()),
                     n_segmented=int((lengths > cap).sum()), n_segments=int(counts.sum()),
                     max_pad_seconds=float(np.clip(cap - lengths, 0, None).max() / sr), cap_seconds=float(max_duration),
                     segment_seconds=cap / sr, **base)
    p.message = (
        f"lengths {p.shortest_seconds:.2f}-{p.longest_seconds:.2f} s exceed --max-duration {max_duration:g}: "
        f"every model is trained on {cap / sr:g} s segments and decides per recording (mean probability); "
        f"{p.n_segmented} of {n} recordings cut into {int(counts[lengths > cap].sum())} segments "
        f"(the last of each ends at the recording's end), {p.n_padded} shorter ones zero-padded to one segment "
        f"(by up to {p.max_pad_seconds:.2f} s); no audio dropped"
    )
    return X, p


# -------------------------------------------------------------------------------------- estimators
@dataclass
class Settings:
    """Model settings shared by every row (the CLI's options)."""

    sample_rate: int
    n_filters: int = 16
    epochs: int = 8
    batch_size: int = 16
    lr: float = 3e-3
    backend: str = "temporal"
    device: str = "auto"
    random_state: int = 0
    balance: str | None = None
    minirocket_kernels: int = 10000
    temporal_features: int = 5000
    segment_seconds: float | None = None


def frontend_kwargs(name, sr, n_filters):
    """Per-front-end settings scaled to the sample rate: 10 ms hops, ~16 ms kernels, 25 ms windows."""
    import math

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


_FRONTEND_CLASSES = {
    "comb": "CombFrontend",
    "iconnet": "IConNetFrontend",
    "sinc": "SincFrontend",
    "gammatone": "GammatoneFrontend",
    "mel": "MelFrontend",
    "mfcc": "MFCCFrontend",
}


def frame_channels(model, n_filters):
    """Channels of front-end ``model``'s frames with ``n_filters`` filters (``mfcc``: its coefficients)."""
    return frontend_kwargs(model, 8000, n_filters).get("n_mfcc", n_filters)


def make_estimator(model, kind, settings, callbacks=None):
    """The estimator of one row, wrapped in a ``SegmentedClassifier`` when the policy segments.

    Examples
    --------
    >>> from sklearn_wavefront.comparison import Settings, make_estimator
    >>> est = make_estimator("comb", "fixed", Settings(sample_rate=8000))
    >>> [name for name, _ in est.steps]
    ['combfrontend', 'standardscaler', 'logisticregression']
    >>> est = make_estimator("mel", "temporal", Settings(sample_rate=8000))
    >>> [name for name, _ in est.steps], est["frontend"].output
    (['frontend', 'features', 'scaler', 'ridge'], 'frames')
    >>> [name for name, _ in est["features"].transformer_list], est["features"]["minirocket"].n_features
    (['minirocket', 'statistics'], 5000)
    """
    s = settings
    if kind == "baseline":
        if model == "dummy":
            from sklearn.dummy import DummyClassifier

            est = DummyClassifier(strategy="stratified", random_state=s.random_state)
        elif model == "mfcc+logreg":
            from .baselines import make_mfcc_logreg

            est = make_mfcc_logreg(s.sample_rate)
        elif model == "minirocket":
            from .baselines import MiniRocketClassifier

            est = MiniRocketClassifier(n_kernels=s.minirocket_kernels, random_state=s.random_state)
        else:
            raise ValueError(f"unknown baseline {model!r}; choose from {BASELINES}")
    elif kind in ("fixed", "learned"):
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        from . import frontends

        cls = getattr(frontends, _FRONTEND_CLASSES[model])
        kw = dict(sample_rate=s.sample_rate, n_filters=s.n_filters, **frontend_kwargs(model, s.sample_rate, s.n_filters))
        if kind == "learned":
            if model not in LEARNABLE:
                raise ValueError(f"the {model} front-end has no learnable filters (no 'learned' row)")
            kw.update(max_epochs=s.epochs, batch_size=s.batch_size, random_state=s.random_state)
        est = make_pipeline(cls(**kw), StandardScaler(), LogisticRegression(max_iter=2000))
    elif kind == "temporal":
        from sklearn.pipeline import FeatureUnion, Pipeline
        from sklearn.preprocessing import StandardScaler

        from . import frontends
        from .baselines import SoftmaxRidgeClassifierCV
        from .temporal import FrameStatistics, MiniRocketHead

        if model not in FRONTENDS:
            raise ValueError(f"unknown front-end {model!r} for a temporal row; choose from {FRONTENDS}")
        cls = getattr(frontends, _FRONTEND_CLASSES[model])
        front = cls(sample_rate=s.sample_rate, n_filters=s.n_filters, output="frames",
                    **frontend_kwargs(model, s.sample_rate, s.n_filters))
        head = MiniRocketHead(n_features=s.temporal_features, n_channels=frame_channels(model, s.n_filters),
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
        )
    else:
        raise ValueError(f"unknown kind {kind!r}; choose from {KINDS}")
    if s.segment_seconds is not None:
        from .segmenting import SegmentedClassifier

        est = SegmentedClassifier(est, segment_seconds=s.segment_seconds, sample_rate=s.sample_rate)
    return est


# ------------------------------------------------------------------------------------------ scores
def _scores(y_true, y_pred, classes):
    """UA, UF1 and (two classes) MAcc of one fold; MAcc is NaN when the fold lacks a class."""
    from .metrics import macc_score, unweighted_accuracy_score, unweighted_f1_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a fold's test part may lack a class that is predicted
        out = {"UA": unweighted_accuracy_score(y_true, y_pred), "UF1": unweighted_f1_score(y_true, y_pred)}
        if len(classes) == 2:
            present = np.isin(classes, np.asarray(y_true)).all()
            out["MAcc"] = macc_score(y_true, y_pred, pos_label=classes[1]) if present else float("nan")
    return out


def _groups_key(est):
    """Fit-parameter name under which ``est`` (or the estimator a ``SegmentedClassifier`` wraps) takes groups."""
    from .segmenting import SegmentedClassifier, _groups_key as inner_key

    key = inner_key(est.estimator if isinstance(est, SegmentedClassifier) else est)
    if key is None:
        raise ValueError(f"{type(est).__name__} takes no groups in fit")
    return key


def _fit_one(model, kind, fold, settings, X, y, domains, train, test, classes, keep, groups=None):
    """Fit one row on one fold; returns its scores, confusion matrix and (optionally) the estimator."""
    from sklearn.metrics import confusion_matrix

    callbacks, history = None, None
    if kind == "end-to-end" and keep:
        from .callbacks import FilterbankHistory

        history = FilterbankHistory()
        callbacks = [("filter_history", history)]
    est = make_estimator(model, kind, settings, callbacks)
    fit_params = {}
    if kind == "end-to-end" and domains is not None and settings.balance == "class_domain":
        fit_params["domains"] = domains[train]
    if groups is not None and (kind == "temporal" or model == "minirocket"):
        # the penalty is chosen by CV over the user's groups (SegmentedClassifier passes them on,
        # ahead of its recordings, under the inner estimator's own key)
        fit_params[_groups_key(est)] = np.asarray(groups)[train]
    from .exceptions import TrainingDivergedError

    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X[train], y[train], **fit_params)
            fit_seconds = time.perf_counter() - t0
            y_pred = est.predict(X[test])
    except TrainingDivergedError as exc:
        # one diverged fold does not end the run: the row is reported as diverged, never scored
        return {
            "model": model, "kind": kind, "fold": int(fold), "ua": None, "uf1": None, "macc": None,
            "fit_seconds": float(time.perf_counter() - t0), "confusion": None,
            "estimator": None, "history": None, "diverged": str(exc) or type(exc).__name__,
        }
    s = _scores(y[test], y_pred, classes)
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
    }


def _clock(seconds):
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def run_rows(rows, splits, settings, X, y, domains=None, n_jobs=1, progress=None, keep_last=False, on_result=None,
             groups=None):
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
    n_jobs : int
        Parallel tasks (joblib, processes).
    progress : callable or None
        Called with one line per finished (row, fold), with an ETA.
    keep_last : bool
        Return the fitted end-to-end estimators of the last fold (for plots).
    on_result : callable or None
        Called with each finished (row, fold) result as it arrives (e.g. to save partial results).

    Returns
    -------
    results : list of dict
        One per (row, fold), in row then fold order.
    """
    from joblib import Parallel, delayed

    classes = np.unique(y)
    last = len(splits) - 1
    tasks = [(m, k, f, tr, te) for m, k in rows for f, (tr, te) in enumerate(splits)]
    total = len(tasks)
    width = len(str(total))
    gen = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_fit_one)(m, k, f, settings, X, y, domains, tr, te, classes, keep_last and f == last and k == "end-to-end",
                          groups)
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
            progress(
                f"[{i:>{width}}/{total}] {r['model']:<11} {r['kind']:<10} fold {r['fold'] + 1}/{len(splits)}  "
                f"{score}  fit {r['fit_seconds']:.1f} s  elapsed {_clock(elapsed)}  ETA {_clock(eta)}"
            )
    return results


# ---------------------------------------------------------------------------------------- summary
def summarize(results, rows, classes):
    """Mean and std over folds per row, the difference to the best baseline, the best row.

    Returns
    -------
    summary : list of dict
        Per row: ``model``, ``kind``, ``ua``, ``ua_std``, ``uf1``, ``uf1_std``, ``macc``,
        ``macc_std`` (``None`` unless two classes), ``fit_seconds``, ``fit_seconds_std``,
        ``n_folds``, ``n_diverged`` (folds whose training diverged: the row's scores are then
        ``None``, never a mean over the folds that happened to train), ``delta_ua`` (mean UA minus
        the best baseline's; ``None`` without baselines or scores), ``best`` (True for the highest
        mean UA, the first one on a tie).
    best_baseline : str or None
    """
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
    scored = [e for e in summary if e["ua"] is not None]
    baselines = [e for e in scored if e["kind"] == "baseline"]
    best_baseline = max(baselines, key=lambda e: e["ua"]) if baselines else None
    best_ua = max((e["ua"] for e in scored), default=None)
    marked = False
    for e in summary:
        e["delta_ua"] = None if best_baseline is None or e["ua"] is None else e["ua"] - best_baseline["ua"]
        e["best"] = (not marked) and e["ua"] is not None and e["ua"] == best_ua
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


def _table_cells(summary, two_classes):
    header = ["model", "kind", "UA", "UF1"] + (["MAcc"] if two_classes else []) + ["fit (s)", "ΔUA", "best"]
    body = []
    for e in summary:
        if e.get("n_diverged"):
            shown = f"diverged ({e['n_diverged']}/{e['n_folds']} folds)"
            cells = [e["model"], e["kind"], shown, "n/a"] + (["n/a"] if two_classes else [])
        else:
            cells = [e["model"], e["kind"], _pm(e["ua"], e["ua_std"]), _pm(e["uf1"], e["uf1_std"])]
            if two_classes:
                cells.append(_pm(e["macc"], e["macc_std"]))
        cells += [_pm(e["fit_seconds"], e["fit_seconds_std"], 1),
                  "n/a" if e["delta_ua"] is None else f"{e['delta_ua']:+.3f}",
                  "*" if e["best"] else ""]
        body.append(cells)
    return header, body


def format_table(summary, two_classes):
    """The plain-text table (aligned columns, a rule under the header)."""
    header, body = _table_cells(summary, two_classes)
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
    header, body = _table_cells(summary, two_classes)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for cells in body:
        if cells[-1] == "*":
            cells = [f"**{c}**" for c in cells[:-1]] + ["**yes**"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def versions():
    """Versions of the package and its numerical dependencies (aeon ``None`` when absent)."""
    import sklearn
    import torch

    from . import __version__
    from .baselines import aeon_version

    return {
        "sklearn_wavefront": __version__,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "torch": torch.__version__,
        "scikit-learn": sklearn.__version__,
        "aeon": aeon_version(),
    }


def write_results(outdir, settings_dict, results, summary, matrices, splits=None):
    """Write ``results.json`` and ``results.csv``; return their paths.

    ``results.json`` holds ``settings``, ``rows`` (one per row and fold: ``model``, ``kind``,
    ``fold``, ``ua``, ``uf1``, ``macc`` (``null`` unless two classes, or when a fold lacks one),
    ``fit_seconds``, ``diverged`` (``null``, or the message of a training that diverged, whose
    scores are then ``null``)), ``summary`` (see :func:`summarize`), ``confusion_matrices`` (per row,
    summed over folds) and ``folds`` (the test indices of each fold); ``results.csv`` the rows.
    """
    import csv
    import json

    rows = [{k: r.get(k) for k in ("model", "kind", "fold", "ua", "uf1", "macc", "fit_seconds", "diverged")}
            for r in results]
    json_path = os.path.join(outdir, "results.json")
    with open(json_path, "w") as f:
        folds = [] if splits is None else [{"fold": i, "test": [int(j) for j in te]} for i, (_, te) in enumerate(splits)]
        json.dump({"settings": settings_dict, "rows": rows, "summary": summary, "confusion_matrices": matrices,
                   "folds": folds}, f, indent=2, default=_py)
    csv_path = os.path.join(outdir, "results.csv")
    with open(csv_path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["model", "kind", "fold", "ua", "uf1", "macc", "fit_seconds", "diverged"])
        writer.writeheader()
        for r in rows:
            writer.writerow({k: ("" if v is None else (f"{v:.6g}" if isinstance(v, float) else v)) for k, v in r.items()})
    return json_path, csv_path
