"""The ``wavefront`` command.

``wavefront compare`` (also ``python -m sklearn_wavefront compare``) runs a k-fold stratified
cross-validation of several front-ends, each followed by the same back-end
(:class:`~sklearn_wavefront.classifiers.WaveformClassifier`), on a folder of recordings described by
a ``labels.csv`` or, by default, on built-in synthetic harmonic tones. It prints a table of mean ± std
unweighted accuracy (UA), unweighted F1 (UF1), MAcc (two classes only) and fit time per front-end,
and writes ``results.csv`` and the filter plots to an output folder.

Bad input (a missing or unreadable file, a missing column, fewer recordings or groups than folds, an
unknown front-end, an out-of-range option value, an unusable device or output folder) ends the
command with a one-line error ``wavefront: error: ...`` on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
import time
import warnings

import numpy as np

__all__ = ["main", "build_parser"]

_ALL_FRONTENDS = ("comb", "iconnet", "sinc", "gammatone", "mel", "mfcc")
_LEARNABLE = {"comb", "iconnet", "sinc", "gammatone"}


class CommandError(Exception):
    """A user error: reported as one line, exit code 2."""


def _one_line(exc) -> str:
    return " ".join(str(exc).split())


# ---------------------------------------------------------------------------------------------- data
def _builtin_data(args):
    from .datasets import make_harmonic_tones

    sr = args.sample_rate or 8000
    duration = args.duration or 0.5
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
    desc = (
        f"built-in harmonic tones, semitones apart ({len(y)} recordings, {args.n_classes} classes, "
        f"noise {args.noise:g}, {sr} Hz, {duration:g} s)"
    )
    return X, y, None, int(sr), desc


def _folder_data(args):
    from .datasets import load_audio_folder

    root = args.data
    if not os.path.isdir(root):
        raise CommandError(f"data folder not found: {root}")
    labels_path = args.labels if os.path.isabs(args.labels) else os.path.join(root, args.labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            bunch = load_audio_folder(
                root,
                labels=args.labels,
                sample_rate=args.sample_rate,
                duration=None,
                path_column=args.path_column,
                target_column=args.label_column,
            )
        except (OSError, ValueError) as exc:
            raise CommandError(_one_line(exc)) from exc
    sr = int(bunch.sample_rate)
    _check_scale(bunch.data, bunch.paths)
    lengths = np.array([len(x) for x in bunch.data])
    if args.duration:
        _check_length(args.duration, sr)
    n = int(round(args.duration * sr)) if args.duration else int(np.median(lengths))
    if n < _MIN_SAMPLES:
        raise CommandError(
            f"the recordings in {labels_path} have a median length of {n} samples at {sr} Hz; at least "
            f"{_MIN_SAMPLES} are needed (raise --sample-rate or pass a longer --duration)"
        )
    X = np.zeros((len(bunch.data), max(n, 1)), dtype=np.float32)
    for row, x in zip(X, bunch.data):
        row[: min(n, len(x))] = x[:n]
    groups = None
    if args.group_column:
        if args.group_column not in bunch.columns:
            raise CommandError(
                f"group column {args.group_column!r} is not a column of {labels_path}; "
                f"its columns are {[args.path_column, args.label_column, *bunch.columns]}"
            )
        groups = np.asarray(bunch[args.group_column])
    y = np.asarray(bunch.target)
    desc = f"{labels_path} ({len(y)} recordings, {len(np.unique(y))} classes, {sr} Hz, {n / sr:g} s)"
    return X, y, groups, sr, desc


_MIN_SAMPLES = 16


def _frontend_builds(name, sr, n_filters) -> bool:
    """Whether front-end ``name`` with this command's settings can be built at ``sr`` Hz."""
    from .networks.heads import WaveformNet

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            WaveformNet(name, n_classes=2, sample_rate=sr, n_filters=n_filters,
                        frontend_kwargs=_frontend_kwargs(name, sr, n_filters))
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
            "(pass a higher --sample-rate or leave that front-end out with --frontends)"
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


def _check_length(duration, sr):
    n = int(round(duration * sr))
    if n < _MIN_SAMPLES:
        raise CommandError(
            f"--duration {duration:g} at {sr} Hz gives {n} samples per recording; at least {_MIN_SAMPLES} are needed"
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
    _check_device(args.device)


def _check_device(device):
    if device == "auto":
        return
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError, TypeError) as exc:
        raise CommandError(f"--device {device!r} is not a torch device (use auto, cpu, cuda or cuda:N)") from exc
    if dev.type == "cpu":
        return
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise CommandError(f"--device {device!r}: CUDA is not available here (use --device cpu or auto)")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise CommandError(
                f"--device {device!r}: there are only {torch.cuda.device_count()} CUDA device(s)"
            )
        return
    if dev.type == "mps":
        if not torch.backends.mps.is_available():
            raise CommandError(f"--device {device!r}: MPS is not available here (use --device cpu or auto)")
        return
    raise CommandError(f"--device {device!r} is not supported (use auto, cpu, cuda, cuda:N or mps)")


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


# ---------------------------------------------------------------------------------------- estimators
def _frontend_kwargs(name, sr, n_filters):
    """Per-front-end settings scaled to the sample rate: 10 ms hops, ~16 ms kernels, 25 ms windows."""
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


def _make_classifier(name, args, sr, seed, callbacks):
    from .classifiers import WaveformClassifier

    return WaveformClassifier(
        frontend=name,
        backend=args.backend,
        frontend_kwargs=_frontend_kwargs(name, sr, args.n_filters),
        sample_rate=sr,
        n_filters=args.n_filters,
        max_epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        random_state=seed,
        device=args.device,
        callbacks=callbacks,
    )


def _scores(y_true, y_pred, classes):
    from .metrics import macc_score, unweighted_accuracy_score, unweighted_f1_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a fold's test part may lack a class that is predicted
        out = {"UA": unweighted_accuracy_score(y_true, y_pred), "UF1": unweighted_f1_score(y_true, y_pred)}
        if len(classes) == 2:
            # MAcc needs both classes in the fold's truth (sensitivity and specificity); else NaN
            present = np.isin(classes, np.asarray(y_true)).all()
            out["MAcc"] = macc_score(y_true, y_pred, pos_label=classes[1]) if present else float("nan")
    return out


# ---------------------------------------------------------------------------------------------- plots
def _save_plots(name, clf, history, outdir, notes):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        notes.add("matplotlib is not installed: no plots written (pip install matplotlib)")
        return []
    from .inspection import FilterbankDisplay, plot_filter_evolution

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
def _parse_frontends(text):
    if text in (None, "", "all"):
        return list(_ALL_FRONTENDS)
    names = [t.strip().lower() for t in text.split(",") if t.strip()]
    unknown = [n for n in names if n not in _ALL_FRONTENDS]
    if unknown or not names:
        raise CommandError(f"unknown front-end {unknown[0] if unknown else text!r} in --frontends; choose from {','.join(_ALL_FRONTENDS)} or 'all'")
    return list(dict.fromkeys(names))


def _fmt(values, digits=3):
    """mean ± std over the folds where the score is defined (``n/a`` when it is in none)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return "n/a"
    return f"{values.mean():.{digits}f} ± {values.std():.{digits}f}"


def run_compare(args, out=None, err=None) -> int:
    """Run ``wavefront compare`` with parsed ``args``; the table goes to ``out``, progress to ``err``."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    from .callbacks import FilterbankHistory

    frontends = _parse_frontends(args.frontends)
    _check_options(args)
    if args.data:
        X, y, groups, sr, desc = _folder_data(args)
        where = os.path.join(args.data, args.labels)
    else:
        X, y, groups, sr, desc = _builtin_data(args)
        where = "the built-in data set"
    _check_folds(y, groups, args.folds, where, args.group_column)
    _check_sample_rate_for(frontends, sr, args.n_filters)
    classes = np.unique(y)
    if groups is None:
        cv = StratifiedKFold(args.folds, shuffle=True, random_state=args.random_state)
    else:
        cv = StratifiedGroupKFold(args.folds, shuffle=True, random_state=args.random_state)
    splits = list(cv.split(X, y, groups))
    _make_output_dir(args.output_dir)

    def progress(msg):
        if not args.quiet:
            print(msg, file=err, flush=True)

    progress(f"wavefront compare: {args.folds}-fold CV of {len(frontends)} front-ends on {desc}")
    results, notes, plots = {}, set(), []
    total, done = len(frontends) * len(splits), 0
    for name in frontends:
        rows = []
        history = None
        for k, (tr, te) in enumerate(splits):
            history = FilterbankHistory()
            clf = _make_classifier(name, args, sr, args.random_state, [("filter_history", history)])
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                clf.fit(X[tr], y[tr])
            fit_time = time.perf_counter() - t0
            scores = _scores(y[te], clf.predict(X[te]), classes)
            scores["fit time (s)"] = fit_time
            if np.isnan(scores.get("MAcc", 0.0)):
                notes.add("MAcc is undefined (left out of mean ± std) in a fold whose test part lacks a class")
            rows.append(scores)
            done += 1
            progress(f"[{done:>{len(str(total))}}/{total}] {name:<9} fold {k + 1}/{len(splits)}  "
                     f"UA {scores['UA']:.3f}  fit {fit_time:.1f} s")
        results[name] = rows
        if not args.no_plots:
            plots += _save_plots(name, clf, history, args.output_dir, notes)

    columns = list(results[frontends[0]][0])
    table = [["front-end", *columns]]
    for name in frontends:
        table.append([name, *(_fmt([r[c] for r in results[name]], 1 if c.startswith("fit") else 3) for c in columns)])
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    print(f"{args.folds}-fold stratified CV on {desc}", file=out)
    print(f"back-end: {args.backend}, {args.n_filters} filters, {args.epochs} epochs; mean ± std over folds", file=out)
    if len(classes) == 2:
        print(f"MAcc: (sensitivity + specificity) / 2 with positive class {classes[1]!r}", file=out)
    for i, row in enumerate(table):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip(), file=out)
        if i == 0:
            print("  ".join("-" * w for w in widths), file=out)
    csv_path = os.path.join(args.output_dir, "results.csv")
    with open(csv_path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["frontend", "fold", *columns])
        for name in frontends:
            for k, r in enumerate(results[name]):
                writer.writerow([name, k, *(f"{r[c]:.6g}" for c in columns)])
    print(f"per-fold results: {csv_path}", file=out)
    if plots:
        print(f"filter plots: {', '.join(plots)}", file=out)
    for note in sorted(notes):
        print(f"note: {note}", file=out)
    return 0


# ---------------------------------------------------------------------------------------------- entry
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wavefront",
        description="Learnable, interpretable waveform front-ends for scikit-learn users.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser(
        "compare",
        help="cross-validate front-ends with the same back-end and print a table",
        description=(
            "k-fold stratified cross-validation of front-ends (each with the same back-end) on a folder "
            "with a labels.csv (path,label[,group columns]) or, by default, on built-in synthetic "
            "harmonic tones. Prints mean ± std UA, UF1 (and MAcc for two classes) and fit time per "
            "front-end; writes results.csv and filter plots to --output-dir."
        ),
    )
    p.add_argument("--data", metavar="DIR", help="folder with the recordings and the labels file (default: built-in data)")
    p.add_argument("--labels", default="labels.csv", help="labels CSV inside --data (default: %(default)s)")
    p.add_argument("--path-column", default="path", help="CSV column of file paths (default: %(default)s)")
    p.add_argument("--label-column", default="label", help="CSV column of labels (default: %(default)s)")
    p.add_argument("--group-column", help="CSV column of groups (e.g. speaker): folds never split a group")
    p.add_argument("--sample-rate", type=int, help="resample to this rate in Hz (built-in data: 8000)")
    p.add_argument("--duration", type=float,
                   help="crop/zero-pad every recording to this many seconds (folder: median length; built-in: 0.5)")
    p.add_argument("--frontends", default="all", help=f"comma-separated subset of {','.join(_ALL_FRONTENDS)}, or 'all'")
    p.add_argument("--backend", default="ffn", choices=["ffn", "conv"], help="back-end for every front-end (default: %(default)s)")
    p.add_argument("--n-filters", type=int, default=16, help="filters per front-end (default: %(default)s)")
    p.add_argument("--folds", type=int, default=5, help="number of CV folds (default: %(default)s)")
    p.add_argument("--epochs", type=int, default=8, help="training epochs per fold (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=16, help="(default: %(default)s)")
    p.add_argument("--lr", type=float, default=3e-3, help="peak learning rate (default: %(default)s)")
    p.add_argument("--n-recordings", type=int, default=120, help="size of the built-in data set (default: %(default)s)")
    p.add_argument("--n-classes", type=int, default=4, help="classes of the built-in data set (default: %(default)s)")
    p.add_argument("--noise", type=float, default=1.0,
                   help="noise RMS relative to the tone RMS in the built-in data (default: %(default)s)")
    p.add_argument("--random-state", type=int, default=0, help="seed of data, folds and training (default: %(default)s)")
    p.add_argument("--device", default="auto", help="torch device (default: %(default)s: CUDA if available)")
    p.add_argument("--output-dir", default="wavefront-output", help="where plots and results.csv go (default: %(default)s)")
    p.add_argument("--no-plots", action="store_true", help="do not draw the filter plots")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    from ._cli_model import add_model_commands  # fit, predict, inspect

    add_model_commands(sub)
    return parser


def main(argv=None) -> int:
    """Run the ``wavefront`` command; returns the exit code (0 success, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    from .exceptions import TrainingDivergedError

    try:
        if hasattr(args, "handler"):  # fit, predict, inspect (_cli_model)
            return args.handler(args, argv=sys.argv[1:] if argv is None else list(argv))
        return run_compare(args)
    except CommandError as exc:
        print(f"wavefront: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except TrainingDivergedError as exc:  # never a table built on a NaN model
        print(f"wavefront: error: {_one_line(exc)} (see --lr)", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
