"""The ``wavefront`` command.

``wavefront compare`` (also ``python -m sklearn_wavefront compare``) cross-validates, on the same
folds (stratified; grouped with ``--group-column``), the baselines (chance, MFCC statistics + logistic
regression, MiniRocket when aeon is installed) and every front-end four ways (fixed filters + a
linear head, fixed filters' frames + a temporal MiniRocket head and per-channel statistics + ridge, learned filters + the linear
head, end to end), on a folder of recordings described by a
``labels.csv`` or, by default, on built-in synthetic harmonic tones. It prints one table of mean ± std
unweighted accuracy (UA), unweighted F1 (UF1), MAcc (two classes only), fit time and each row's
difference to the best baseline, and writes ``results.json``, ``results.csv`` and filter plots to an
output folder. The comparison itself lives in :mod:`sklearn_wavefront.comparison`; this module only
reads the options and the data.

Bad input (a missing or unreadable file, a missing column, fewer recordings or groups than folds, an
unknown model or kind, an out-of-range option value, an unusable device or output folder) ends the
command with a one-line error ``wavefront: error: ...`` on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import sys
import warnings

import numpy as np

from . import comparison as _cmp
from .comparison import _scores  # noqa: F401  (kept importable from here)

__all__ = ["main", "build_parser"]

_LEARNABLE = {"comb", "iconnet", "sinc", "gammatone"}


class CommandError(Exception):
    """A user error: reported as one line, exit code 2."""


def _one_line(exc) -> str:
    return " ".join(str(exc).split())


# ---------------------------------------------------------------------------------------------- data
def _builtin_data(args):
    from .datasets import make_harmonic_tones

    sr = args.sample_rate or 8000
    duration = args.duration or 0.25
    _check_length(duration, sr)
    try:
        bunch = make_harmonic_tones(
            n_samples=args.n_recordings,
            n_classes=args.n_classes,
            sample_rate=sr,
            duration=duration,
            noise=args.noise,
            n_domains=2,
            random_state=args.random_state,
        )
    except ValueError as exc:
        raise CommandError(
            f"cannot build the built-in data with --sample-rate {sr} --duration {duration:g} "
            f"--n-classes {args.n_classes} --noise {args.noise:g}: {_one_line(exc)}"
        ) from exc
    X = np.asarray(bunch.data, dtype=np.float32)
    names = np.array([f"{f:.0f}Hz" for f in bunch.class_frequencies])
    y = names[np.asarray(bunch.target)]
    domains = None
    if args.domain_column:
        if args.domain_column != "domain":
            raise CommandError(
                f"--domain-column {args.domain_column!r}: the built-in data has one domain column, 'domain'"
            )
        domains = np.asarray(bunch.domains)
    desc = (
        f"built-in harmonic tones, semitones apart ({len(y)} recordings, {args.n_classes} classes, "
        f"noise {args.noise:g}, {sr} Hz, {duration:g} s)"
    )
    return list(X), y, None, domains, int(sr), desc


def _folder_data(args):
    root = args.data
    if not os.path.isdir(root):
        raise CommandError(f"data folder not found: {root}")
    bunch, labels_path = load_folder(args)
    sr = int(bunch.sample_rate)
    _check_scale(bunch.data, bunch.paths)
    if args.duration:
        _check_length(args.duration, sr)
    median = int(np.median([len(x) for x in bunch.data]))
    if not args.duration and median < _MIN_SAMPLES:
        raise CommandError(
            f"the recordings in {labels_path} have a median length of {median} samples at {sr} Hz; at least "
            f"{_MIN_SAMPLES} are needed (raise --sample-rate or pass a longer --duration)"
        )
    # every recording keeps its own length here: the length policy (comparison.apply_length_policy)
    # pads, crops (--duration) or segments, and says so
    X = list(bunch.data)
    groups = csv_column(bunch, args, args.group_column, "--group-column", labels_path)
    domains = csv_column(bunch, args, args.domain_column, "--domain-column", labels_path)
    y = np.asarray(bunch.target)
    desc = f"{labels_path} ({len(y)} recordings, {len(np.unique(y))} classes, {sr} Hz)"
    return X, y, groups, domains, sr, desc


def load_folder(args):
    """``load_audio_folder`` on ``args.data`` with the command's options: ``(bunch, labels_path)``.

    An error is one line; what the loader warns about (a CSV read as cp1252 or latin-1) is said on
    stderr as ``wavefront: warning: ...``, not lost.
    """
    from .datasets import load_audio_folder

    labels_path = args.labels if os.path.isabs(args.labels) else os.path.join(args.data, args.labels)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            bunch = load_audio_folder(args.data, labels=args.labels, sample_rate=args.sample_rate, duration=None,
                                      path_column=args.path_column, target_column=args.label_column)
        except (OSError, ValueError) as exc:
            raise CommandError(_one_line(exc)) from exc
    for w in caught:
        if issubclass(w.category, UserWarning):
            print(f"wavefront: warning: {_one_line(w.message)}", file=sys.stderr)
    return bunch, labels_path


def csv_column(bunch, args, column, flag, labels_path):
    """The values of the labels file's ``column`` (``None`` when not asked for); a missing column is
    one line naming ``flag`` and the columns there are."""
    if not column:
        return None
    if column not in bunch.columns:
        raise CommandError(
            f"{flag} {column!r} is not a column of {labels_path}; "
            f"its columns are {[args.path_column, args.label_column, *bunch.columns]}"
        )
    return np.asarray(bunch[column])


_MIN_SAMPLES = 16


def _frontend_builds(name, sr, n_filters) -> bool:
    """Whether front-end ``name`` with this command's settings can be built at ``sr`` Hz."""
    from .comparison import frontend_kwargs
    from .networks.heads import WaveformNet

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            WaveformNet(name, n_classes=2, sample_rate=sr, n_filters=n_filters,
                        frontend_kwargs=frontend_kwargs(name, sr, n_filters))
    except (ValueError, TypeError):
        return False
    return True


def _minimum_sample_rate(name, n_filters, upper=192000):
    """The lowest whole sample rate (Hz) at which ``name`` builds, by bisection (``None`` if none <= upper)."""
    if not _frontend_builds(name, upper, n_filters):
        return None
    lo, hi = 1, upper  # invariant: builds at hi; lo is a rate below every working one or untested
    if _frontend_builds(name, lo, n_filters):
        return lo
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _frontend_builds(name, mid, n_filters):
            hi = mid
        else:
            lo = mid
    return hi


def _check_sample_rate_for(frontends, sr, n_filters):
    """Reject a sample rate at which a chosen front-end cannot be built (its default frequency range
    needs a higher Nyquist frequency), naming the lowest rate that works."""
    for name in frontends:
        if _frontend_builds(name, sr, n_filters):
            continue
        low = _minimum_sample_rate(name, n_filters)
        hint = f"it needs at least {low} Hz" if low else "it cannot be built at any rate up to 192 kHz"
        raise CommandError(
            f"--sample-rate {sr} is too low for the {name} front-end with --n-filters {n_filters}: {hint} "
            "(pass a higher --sample-rate or leave that front-end out with --models)"
        )


def _check_scale(X, paths):
    """Name the first file whose samples are too large for the models (see MAX_ABS_SAMPLE)."""
    from ._validation import MAX_ABS_SAMPLE

    for x, path in zip(X, paths):
        peak = float(np.max(np.abs(x))) if len(x) else 0.0
        if peak > MAX_ABS_SAMPLE:
            raise CommandError(
                f"audio file {path} holds samples of magnitude up to {peak:.3g}; values beyond "
                f"{MAX_ABS_SAMPLE:.0e} overflow the models' float32 envelopes (audio is usually within "
                "[-1, 1]): rescale the file"
            )


def _check_length(duration, sr, flag="--duration"):
    n = int(round(duration * sr))
    if n < _MIN_SAMPLES:
        raise CommandError(
            f"{flag} {duration:g} at {sr} Hz gives {n} samples per recording; at least {_MIN_SAMPLES} are needed"
        )


def _check_options(args):
    """Reject out-of-range option values before any data is read or any model trained."""
    for flag in ("folds", "epochs", "n_filters", "batch_size", "n_recordings", "n_classes"):
        value = getattr(args, flag)
        minimum = 2 if flag in ("folds", "n_classes") else 1
        if value < minimum:
            raise CommandError(f"--{flag.replace('_', '-')} must be >= {minimum}, got {value}")
    if args.sample_rate is not None and args.sample_rate < 1:
        raise CommandError(f"--sample-rate must be a positive number of Hz, got {args.sample_rate}")
    if args.duration is not None and not (math.isfinite(args.duration) and args.duration > 0):
        raise CommandError(f"--duration must be a positive number of seconds, got {args.duration:g}")
    if not (math.isfinite(args.lr) and args.lr > 0):
        raise CommandError(f"--lr must be a positive number, got {args.lr:g}")
    if not (math.isfinite(args.noise) and args.noise >= 0):
        raise CommandError(f"--noise must be a finite number >= 0, got {args.noise:g}")
    if not (math.isfinite(args.max_duration) and args.max_duration > 0):
        raise CommandError(f"--max-duration must be a positive number of seconds, got {args.max_duration:g}")
    if args.n_jobs == 0 or args.n_jobs < -1:
        raise CommandError(f"--n-jobs must be >= 1 (or -1 for all cores), got {args.n_jobs}")
    if args.minirocket_kernels < 84:
        raise CommandError(f"--minirocket-kernels must be >= 84, got {args.minirocket_kernels}")
    if args.temporal_features < 84:
        raise CommandError(f"--temporal-features must be >= 84, got {args.temporal_features}")
    if args.penalty_groups == "group-column" and not args.group_column:
        raise CommandError("--penalty-groups group-column needs --group-column (the groups the penalty is chosen over)")
    if args.balance == "class_domain" and not args.domain_column:
        raise CommandError("--balance class_domain needs --domain-column (the column naming each recording's domain)")
    _check_device(args.device)


def _check_device(device):
    from ._validation import check_device

    try:
        check_device(device, name="--device")
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def _make_output_dir(path):
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"--output-dir {path}: cannot create the folder ({exc.strerror or exc})") from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise CommandError(f"--output-dir {path}: the folder is not writable")


def _check_folds(y, groups, folds, where, group_column=None):
    if len(y) < folds:
        raise CommandError(f"{where} has {len(y)} recordings, fewer than --folds {folds}")
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        raise CommandError(f"{where} has a single class ({classes[0]!r}); at least two are needed")
    small = counts.argmin()
    if counts[small] < folds:
        raise CommandError(
            f"class {classes[small]!r} in {where} has {counts[small]} recordings, fewer than --folds {folds}"
        )
    if groups is not None and len(np.unique(groups)) < folds:
        raise CommandError(f"{where} has {len(np.unique(groups))} groups, fewer than --folds {folds}")
    if groups is not None:
        # grouped folds keep a group in one fold: a class in fewer groups than folds leaves some
        # fold without it (and its MAcc, UA undefined)
        for c in classes:
            n_groups = len(np.unique(np.asarray(groups)[y == c]))
            if n_groups < folds:
                raise CommandError(
                    f"class {c.item() if hasattr(c, 'item') else c!r} in {where} occurs in {n_groups} distinct "
                    f"value(s) of group column {group_column!r}, fewer than --folds {folds}; every class "
                    "needs at least as many groups as folds"
                )


# ---------------------------------------------------------------------------------------------- plots
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
    if name in _LEARNABLE and history is not None and len(history.center_frequencies_) > 1:
        ax = plot_filter_evolution(history)
        ax.set_title(f"{name}: {'f0' if name == 'comb' else 'centre frequencies'} during training (last fold)")
        path = os.path.join(outdir, f"evolution_{name}.png")
        ax.figure.tight_layout()
        ax.figure.savefig(path, dpi=100)
        plt.close(ax.figure)
        written.append(path)
    return written


# ---------------------------------------------------------------------------------------------- compare
def _diverged_by_row(results):
    """``{(model, kind): [diverged fold results]}`` in row order."""
    out = {}
    for r in results:
        if r.get("diverged"):
            out.setdefault((r["model"], r["kind"]), []).append(r)
    return out


def run_compare(args, out=None, err=None) -> int:
    """Run ``wavefront compare`` with parsed ``args``; the table goes to ``out``, progress to ``err``."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    from . import comparison as cmp
    from .baselines import aeon_version

    aeon_ok = aeon_version() is not None
    aeon_problem = None
    if aeon_ok:
        try:  # installed is not importable: a numba/numpy mismatch breaks aeon's import
            import aeon.classification.convolution_based  # noqa: F401
        except Exception as exc:  # noqa: BLE001 - any import failure means: no MiniRocket row
            aeon_ok, aeon_problem = False, f"{type(exc).__name__}: {_one_line(exc)}"
    try:
        rows, notes = cmp.plan_rows(args.models, args.kinds, aeon_available=aeon_ok, extra_rows=args.rows)
    except ValueError as exc:
        raise CommandError(_one_line(exc)) from exc
    if aeon_problem:
        notes.append(f"aeon is installed but does not import ({aeon_problem}): no minirocket row")
    _check_options(args)
    if args.data:
        recordings, y, groups, domains, sr, desc = _folder_data(args)
        where = os.path.join(args.data, args.labels)
    else:
        recordings, y, groups, domains, sr, desc = _builtin_data(args)
        where = "the built-in data set"
    _check_folds(y, groups, args.folds, where, args.group_column)
    _check_sample_rate_for(sorted({m for m, _ in rows if m in cmp.FRONTENDS}), sr, args.n_filters)
    if not args.duration:
        _check_length(args.max_duration, sr, flag="--max-duration")
    X, policy = cmp.apply_length_policy(recordings, sr, duration=args.duration, max_duration=args.max_duration)
    classes = np.unique(y)
    if groups is None:
        cv = StratifiedKFold(args.folds, shuffle=True, random_state=args.random_state)
    else:
        cv = StratifiedGroupKFold(args.folds, shuffle=True, random_state=args.random_state)
    splits = list(cv.split(np.zeros(len(y)), y, groups))
    _make_output_dir(args.output_dir)
    balance = None if args.balance == "none" else args.balance
    settings = cmp.Settings(
        sample_rate=sr, n_filters=args.n_filters, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        backend=args.backend, device=args.device, random_state=args.random_state, balance=balance,
        minirocket_kernels=args.minirocket_kernels, temporal_features=args.temporal_features,
        segment_seconds=policy.segment_seconds if policy.mode == "segment" else None,
    )

    def progress(msg):
        if not args.quiet:
            print(msg, file=err, flush=True)

    if args.penalty_groups == "group-column":
        for k, (train, _) in enumerate(splits):
            n_train_groups = len(np.unique(np.asarray(groups)[train]))
            if n_train_groups < 2:
                raise CommandError(
                    f"--penalty-groups group-column: the training part of fold {k + 1} holds {n_train_groups} "
                    f"{args.group_column!r} group(s); choosing the ridge penalty over groups needs at least 2. "
                    "Use more groups, fewer --folds, or the default --penalty-groups recordings"
                )
    grouping = f"grouped by {args.group_column!r}, stratified" if groups is not None else "stratified"
    progress(f"wavefront compare: {args.folds}-fold {grouping} CV of {len(rows)} rows on {desc}")
    progress(f"length policy: {policy.message}")
    for note in notes:
        progress(f"note: {note}")
    partial_path = os.path.join(args.output_dir, "results.partial.jsonl")
    with open(partial_path, "w") as partial:
        # each finished (row, fold) at once, so an interrupted run keeps what it measured

        def save(r):
            keys = ("model", "kind", "fold", "ua", "uf1", "macc", "fit_seconds", "confusion", "diverged")
            partial.write(json.dumps({k: r[k] for k in keys}) + "\n")
            partial.flush()

        penalty_groups = groups if args.penalty_groups == "group-column" else None
        results = cmp.run_rows(rows, splits, settings, X, y, domains=domains, groups=penalty_groups, n_jobs=args.n_jobs,
                               progress=progress, keep_last=not args.no_plots, on_result=save)
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
            f"(first: {_one_line(rs[0]['diverged'])}); try a smaller --lr"
        )
    summary, best_baseline = cmp.summarize(results, rows, classes)
    matrices = cmp.confusion_matrices(results, rows, classes)

    plots = []
    if not args.no_plots:
        for r in results:
            if r["estimator"] is not None:
                try:
                    plots += _save_plots(r["model"], r["estimator"], r["history"], args.output_dir, notes)
                except Exception as exc:  # noqa: BLE001 - a plot never costs the run its measurements
                    notes.append(f"no filter plots for {r['model']} {r['kind']}: {_one_line(exc)}")
            elif r["kind"] == "end-to-end" and r["fold"] == len(splits) - 1 and r.get("diverged"):
                notes.append(f"no filter plots for {r['model']} end-to-end: its last fold diverged")

    settings_dict = {
        "command": " ".join(shlex.quote(a) for a in [os.path.basename(sys.argv[0]) or "wavefront", *args.argv]),
        "versions": cmp.versions(),
        "data": os.path.abspath(args.data) if args.data else "built-in harmonic tones",
        "data_description": desc,
        "n_recordings": int(len(y)),
        "classes": [cmp._py(c) for c in classes],
        "sample_rate": int(sr),
        "folds": int(args.folds),
        "grouping": {"group_column": args.group_column,
                     "n_groups": None if groups is None else int(len(np.unique(groups)))},
        "domain_column": args.domain_column,
        "balance": balance,
        "random_state": args.random_state,
        "length_policy": policy.as_dict(),
        "models": sorted({m for m, _ in rows}, key=[m for m, _ in rows].index),
        "kinds": sorted({k for _, k in rows}, key=cmp.KINDS.index),
        "n_filters": args.n_filters, "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
        "backend": args.backend, "device": args.device, "n_jobs": args.n_jobs,
        "minirocket_kernels": args.minirocket_kernels, "temporal_features": args.temporal_features,
        "penalty_groups": args.penalty_groups,
        "macc_positive_class": cmp._py(classes[1]) if len(classes) == 2 else None,
        "notes": notes,
    }
    json_path, csv_path = cmp.write_results(args.output_dir, settings_dict, results, summary, matrices, splits)
    os.remove(partial_path)  # only now: whatever failed before this point left the measured folds on disk

    print(f"{args.folds}-fold {grouping} CV on {desc}", file=out)
    print(f"length policy: {policy.message}", file=out)
    print(f"front-ends: {args.n_filters} filters; learned and end-to-end: {args.epochs} "
          f"epoch{'' if args.epochs == 1 else 's'}, back-end "
          f"{args.backend}{', ' + balance + '-balanced batches' if balance else ''}; mean ± std over folds", file=out)
    if any(k == "temporal" for _, k in rows):
        print(f"temporal rows: fixed filters' frames -> [MiniRocketHead ({84 * (args.temporal_features // 84)} "
              "features), per-channel mean and std] -> scaler -> ridge", file=out)
    inner = ("K-fold CV over the training part's groups (" + repr(args.group_column) + ")"
             if args.penalty_groups == "group-column"
             else "K-fold CV over recordings (segments of one recording together)" if policy.mode == "segment"
             else "leave-one-out")
    print("nothing is tuned on test folds: logistic-regression heads use C=1; the ridge penalties (MiniRocket, "
          f"temporal rows) are chosen by {inner} inside each training fold", file=out)
    if len(classes) == 2:
        print(f"MAcc: (sensitivity + specificity) / 2 with positive class {str(classes[1])!r}", file=out)
    if best_baseline is not None:
        print(f"ΔUA: mean UA minus that of the best baseline ({best_baseline}); * marks the highest mean UA", file=out)
    else:
        print("ΔUA: n/a (no baseline row); * marks the highest mean UA", file=out)
    print(cmp.format_table(summary, len(classes) == 2), file=out)
    print(f"results: {json_path} (settings, per-fold rows, confusion matrices), {csv_path}", file=out)
    if plots:
        print(f"filter plots: {', '.join(plots)}", file=out)
    for note in dict.fromkeys(notes):
        print(f"note: {note}", file=out)
    return 0

# ---------------------------------------------------------------------------------------------- entry
class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``wavefront: error: ...`` and exit code 2 (no usage block)."""

    def error(self, message):
        self.exit(2, f"wavefront: error: {_one_line(message)} (see {self.prog} --help)\n")


def _version_line():
    from . import __version__

    return f"wavefront (sklearn-wavefront) {__version__}"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="wavefront",
        description="Learnable, interpretable waveform front-ends for scikit-learn users.",
    )
    parser.add_argument("--version", action="version", version=_version_line())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser(
        "compare",
        help="cross-validate baselines and front-ends on the same folds and print a table",
        description=(
            "k-fold stratified (optionally grouped) cross-validation, on the same folds, of the baselines "
            "(dummy, mfcc+logreg, minirocket with the 'baselines' extra) and of every front-end four ways "
            "(fixed filters + logistic regression; temporal: the fixed filters' frames -> a MiniRocket head and "
            "per-channel mean/std -> scaler -> ridge; learned filters + logistic regression; end to end), on a "
            "folder with a labels.csv (path,label[,group columns]) or, by default, on built-in synthetic "
            "harmonic tones. Prints mean ± std UA, UF1 (and MAcc for two classes), fit time and the "
            "difference to the best baseline per row; writes results.json, results.csv and filter plots "
            "of the end-to-end rows to --output-dir."
        ),
    )
    models = ",".join(_cmp.BASELINES + _cmp.FRONTENDS)
    p.add_argument("--data", metavar="DIR", help="folder with the recordings and the labels file (default: built-in data)")
    p.add_argument("--labels", default="labels.csv", help="labels CSV inside --data (default: %(default)s)")
    p.add_argument("--path-column", default="path", help="CSV column of file paths (default: %(default)s)")
    p.add_argument("--label-column", default="label", help="CSV column of labels (default: %(default)s)")
    p.add_argument("--group-column", help="CSV column of groups (e.g. speaker): folds never split a group")
    p.add_argument("--domain-column",
                   help="CSV column of recording domains (e.g. device), routed per fold to the end-to-end rows "
                        "for --balance class_domain (built-in data: 'domain')")
    p.add_argument("--balance", default="none", choices=["none", "class", "class_domain"],
                   help="balanced training batches of the end-to-end rows: per class, or per (class, domain) "
                        "cell (double-balanced; needs --domain-column) (default: %(default)s)")
    p.add_argument("--sample-rate", type=int, help="resample to this rate in Hz (built-in data: 8000)")
    p.add_argument("--duration", type=float,
                   help="force every recording to this many seconds: crop or zero-pad at the end, and report "
                        "how many (default: the length policy, see --max-duration; built-in data: 0.25)")
    p.add_argument("--max-duration", type=float, default=10.0,
                   help="length policy: zero-pad every recording to the longest when that is at most this many "
                        "seconds; otherwise cut all into segments of this length and decide per recording "
                        "(default: %(default)s)")
    p.add_argument("--models", "--frontends", dest="models", default="all",
                   help=f"comma-separated subset of {models}, or 'all' (default: %(default)s)")
    p.add_argument("--kinds", default="baseline,fixed,temporal,learned",
                   help=f"comma-separated subset of {','.join(_cmp.KINDS)}, or 'all' (default: %(default)s; the "
                        "temporal rows are in the default because, on the README's real-data sets, mel frames -> "
                        "MiniRocket head beat the best baseline on spoken digits (+10 to +14 UA points) and PASCAL "
                        "heart sounds (+2.4 to +5.3) and tied MiniRocket on Yaseen's, at 0.4-10 s per fold; the "
                        "end-to-end rows need more epochs than fit in a few minutes: add them with "
                        "--kinds all or --rows MODEL:end-to-end)")
    p.add_argument("--rows", metavar="MODEL:KIND,...",
                   help="further model:kind rows besides --models x --kinds, e.g. comb:learned,mel:end-to-end")
    p.add_argument("--temporal-features", type=int, default=5000,
                   help="MiniRocket features of the temporal rows' head (rounded down to a multiple of 84) "
                        "(default: %(default)s)")
    p.add_argument("--penalty-groups", default="recordings", choices=["recordings", "group-column"],
                   help="how the MiniRocket and temporal rows choose their ridge penalty inside a training fold: "
                        "'recordings': leave-one-out, or K-fold CV over whole recordings when they are segmented; "
                        "'group-column': K-fold CV over the --group-column groups (on spoken digits by speaker "
                        "it ran to the largest penalty and cost MiniRocket 5.6 UA points, hence opt-in) "
                        "(default: %(default)s)")
    p.add_argument("--backend", default="temporal", choices=["ffn", "conv", "temporal"], help="back-end of the end-to-end rows (default: %(default)s)")
    p.add_argument("--n-filters", type=int, default=16, help="filters per front-end (default: %(default)s)")
    p.add_argument("--folds", type=int, default=5, help="number of CV folds (default: %(default)s)")
    p.add_argument("--epochs", type=int, default=4, help="training epochs of learned and end-to-end rows (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=16, help="(default: %(default)s)")
    p.add_argument("--lr", type=float, default=3e-3, help="peak learning rate of the end-to-end rows (default: %(default)s)")
    p.add_argument("--minirocket-kernels", type=int, default=10000, help="MiniRocket kernels (default: %(default)s)")
    p.add_argument("--n-recordings", type=int, default=120, help="size of the built-in data set (default: %(default)s)")
    p.add_argument("--n-classes", type=int, default=4, help="classes of the built-in data set (default: %(default)s)")
    p.add_argument("--noise", type=float, default=1.0,
                   help="noise RMS relative to the tone RMS in the built-in data (default: %(default)s)")
    p.add_argument("--random-state", type=int, default=0, help="seed of data, folds and training (default: %(default)s)")
    p.add_argument("--n-jobs", type=int, default=1,
                   help="(row, fold) tasks run in parallel (joblib processes); the results do not depend on it "
                        "(default: %(default)s)")
    p.add_argument("--device", default="auto", help="torch device (default: %(default)s: CUDA if available)")
    p.add_argument("--output-dir", default="wavefront-output",
                   help="where results.json, results.csv and plots go (default: %(default)s)")
    p.add_argument("--no-plots", action="store_true", help="do not draw the filter plots")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    from ._cli_model import add_model_commands  # fit, predict, inspect

    add_model_commands(sub)
    return parser


def main(argv=None) -> int:
    """Run the ``wavefront`` command; returns the exit code (0 success, 2 bad input)."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version (0) and one-line option errors (2)
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    from .exceptions import TrainingDivergedError

    args.argv = argv
    try:
        if hasattr(args, "handler"):  # fit, predict, inspect (_cli_model)
            return args.handler(args, argv=argv)
        return run_compare(args)
    except CommandError as exc:
        print(f"wavefront: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except TrainingDivergedError as exc:  # never a table built on a NaN model
        print(f"wavefront: error: {_one_line(exc)} (see --lr)", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
