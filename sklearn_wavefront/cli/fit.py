"""``wavefront fit``: train one recipe on a folder of recordings and save the model.

Reads the folder (:func:`sklearn_wavefront.comparison.load_folder`), trains with
:func:`sklearn_wavefront.training.train_model` and saves the
:class:`~sklearn_wavefront.persistence.WavefrontModel` (:func:`~sklearn_wavefront.persistence.save_model`).
"""

from __future__ import annotations

import os
import sys
import time

from ..registry import AUTO_MODELS, BACKENDS, FIT_KINDS, FRONTENDS
from ._common import CommandError, add_common_options, add_folder_options, one_line, progress_printer

__all__ = ["add_parser", "run", "TRUST"]

TRUST = ("a .joblib model file is a pickle: loading it runs code from the file, so only use such files "
         "you made or got from someone you trust; a .skops model file holds plain data and runs no code when loaded")


def add_parser(sub):
    """Add ``fit`` to ``sub`` (argparse subparsers)."""
    from ..registry import DEFAULT_CV_FOLDS, RECIPE_DEFAULTS as D

    given = "or the --from-results row's"
    p = sub.add_parser(
        "fit", help="train one recipe of compare on a folder of recordings and save the model",
        description=(
            "Train one (model, kind) row of wavefront compare on every recording listed in a folder's labels file "
            "and save the model with its recipe, settings, cross-validated score and package versions "
            "(.skops: plain data, safe to share; any other name: a joblib pickle). The recipe, its defaults and "
            "the length policy are compare's: recordings zero-padded to the longest when it is at most "
            "--max-duration seconds, else cut into segments of that length; new recordings are decided per "
            "segment by mean probability. --from-results takes a compare result's settings and keeps the row's "
            "score; without it an inner cross-validation (--cv-folds) estimates the score. "
            f"Warning: {TRUST}."
        ),
    )
    p.add_argument("--data", metavar="DIR", required=True, help="folder with the recordings and the labels file")
    add_folder_options(p, "CSV column of groups (e.g. speaker): the inner CV's folds keep a group together; with "
                          "--early-stopping whole groups are held out; with --penalty-groups group-column the "
                          "temporal kind's ridge penalty is chosen over them")
    p.add_argument("--domain-column", help="CSV column of recording domains, for --balance class_domain")
    p.add_argument("--model", choices=FRONTENDS + AUTO_MODELS,
                   help="front-end (default: auto with --kind auto, else iconnet); with --kind auto: auto (the best "
                        "candidate) or auto-ensemble (the soft vote of the three best)")
    p.add_argument("--kind", choices=FIT_KINDS,
                   help="the row kind of compare: auto (the recipe chosen by grouped inner cross-validation on these "
                        "recordings within --budget, as compare's auto row), fixed (initial filters -> statistics -> "
                        "logistic regression), temporal (initial filters' frames -> MiniRocket features and statistics "
                        "-> ridge), learned (the front-end learns its filters, then the fixed head; mel and mfcc: their "
                        "fixed recipe), end-to-end (default: auto, or learned when --model names a front-end)")
    p.add_argument("--budget", type=float,
                   help=f"--kind auto: minutes of estimated work of the search (default: {D['budget']:g}, {given})")
    p.add_argument("--from-results", metavar="DIR_OR_JSON",
                   help="a results.json of wavefront compare (or its --output-dir): train the --model --kind row "
                        "with its settings and keep its cross-validated score in the model; a flag that contradicts "
                        "it is refused")
    p.add_argument("--cv-folds", type=int,
                   help=f"folds of the inner cross-validation that estimates the model's score without --from-results "
                        f"(stratified, grouped by --group-column; 0: none; default: {DEFAULT_CV_FOLDS})")
    p.add_argument("--sample-rate", type=int,
                   help="resample every file to this rate in Hz (default: the files' rate, or the --from-results rate)")
    p.add_argument("--duration", type=float,
                   help="as compare: crop or zero-pad every training recording to this many seconds "
                        "(new recordings: segments of it)")
    p.add_argument("--max-duration", type=float,
                   help="as compare's length policy: zero-pad every recording to the longest when that is at most "
                        f"this many seconds, else segments of this length (default: {D['max_duration']:g}, {given})")
    p.add_argument("--segment-seconds", type=float,
                   help="train on segments of this length instead of the length policy's")
    p.add_argument("--hop-seconds", type=float, help="time between segment starts (default: the segment length)")
    p.add_argument("--aggregate", choices=["mean_proba", "majority"],
                   help="decision per recording from its segments (default: mean_proba)")
    p.add_argument("--n-filters", type=int, help=f"(default: {D['n_filters']}, {given})")
    p.add_argument("--epochs", type=int, help=f"training epochs, learned and end-to-end (default: {D['epochs']}, {given})")
    p.add_argument("--batch-size", type=int, help=f"(default: {D['batch_size']}, {given})")
    p.add_argument("--lr", type=float,
                   help=f"learning rate: end-to-end peak rate (default: {D['lr']:g}, {given}); learned: the "
                        "front-end's rate (default: its own, 0.01, as compare trains it)")
    p.add_argument("--backend", choices=BACKENDS, help=f"end-to-end back-end (default: {D['backend']}, {given})")
    p.add_argument("--temporal-features", type=int,
                   help=f"MiniRocket features of the temporal kind (default: {D['temporal_features']}, {given})")
    p.add_argument("--balance", choices=["none", "class", "class_domain"],
                   help=f"end-to-end balanced batches (default: none, {given})")
    p.add_argument("--penalty-groups", choices=["recordings", "group-column"],
                   help=f"temporal kind: what the ridge penalty is chosen over (default: recordings, {given})")
    p.add_argument("--early-stopping", action="store_true",
                   help="end-to-end and learned: hold out 10%% of the recordings (or groups), stop on their "
                        "loss and keep the best epoch")
    p.add_argument("--output", metavar="MODEL", required=True,
                   help="model file to write: model.skops (plain data, runs no code when loaded: the one to share) "
                        "or model.joblib (a pickle); never the labels file or a recording")
    add_common_options(p, "torch device for training (default: %(default)s)",
                       random_state_help=f"seed of the training and the inner folds (default: 0, {given})",
                       random_state_default=None)
    p.set_defaults(handler=run, on_interrupt="no model file written")
    return p


def _check_output(path):
    """Everything about ``--output`` that can be known before training (which may take hours)."""
    import stat

    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CommandError(f"--output {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CommandError(f"--output {path}: the folder {folder} is not writable")
    if os.path.isdir(path):
        raise CommandError(f"--output {path} is a folder; give a file name, e.g. model.skops")
    if os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode):
        raise CommandError(f"--output {path} exists and is not a regular file (a named pipe or a device)")
    if path.lower().endswith(".skops"):
        try:
            import skops.io  # noqa: F401
        except ImportError as exc:
            raise CommandError(f"--output {path}: the .skops format needs skops (pip install skops, or "
                               "'sklearn-wavefront[safe]'); or save a .joblib pickle") from exc


def run(args, argv, out=None):
    """``wavefront fit``: train on a whole folder and save the model (see the module docstring)."""
    import numpy as np

    from .._csv import refuse_inputs
    from ..comparison import folder_column, load_folder
    from ..persistence import save_model
    from ..training import check_training_options, recipe_from_results, resolve_recipe, train_model

    out = sys.stdout if out is None else out
    progress = progress_printer(args)
    if args.data is not None and not os.path.isdir(args.data):
        raise CommandError(f"--data {args.data}: folder not found")
    recipe = {"n_filters": args.n_filters, "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
              "backend": args.backend, "temporal_features": args.temporal_features, "balance": args.balance,
              "penalty_groups": args.penalty_groups, "duration": args.duration, "max_duration": args.max_duration,
              "random_state": args.random_state, "budget": args.budget}
    check_training_options(model=args.model, kind=args.kind, segment_seconds=args.segment_seconds,
                           hop_seconds=args.hop_seconds, aggregate=args.aggregate, cv_folds=args.cv_folds,
                           device=args.device, sample_rate=args.sample_rate, option_style="cli", **recipe)
    model_name, kind = resolve_recipe(args.model, args.kind, option_style="cli")
    sample_rate = args.sample_rate
    if args.from_results is not None:  # before reading the data: the row must be there, its rate is the model's
        row = recipe_from_results(args.from_results, model_name, kind, option_style="cli")
        if sample_rate is None:
            sample_rate = row["settings"].get("sample_rate")
    _check_output(args.output)
    t0 = time.perf_counter()
    progress(f"wavefront fit: reading {args.data} ...")
    bunch, labels_path = load_folder(args.data, labels=args.labels, sample_rate=sample_rate,
                                     path_column=args.path_column, label_column=args.label_column,
                                     on_error=args.on_error, on_duplicate=args.on_duplicate, encoding=args.encoding,
                                     option_style="cli")
    groups = folder_column(bunch, args.group_column, "group_column", labels_path, args.path_column,
                           args.label_column, style="cli")
    domains = folder_column(bunch, args.domain_column, "domain_column", labels_path, args.path_column,
                            args.label_column, style="cli")
    X, y, sr = list(bunch.data), np.asarray(bunch.target), int(bunch.sample_rate)
    inputs = [labels_path, *bunch.paths, *(path for path, _ in bunch.get("skipped", []))]
    try:  # before training: a model must never replace the labels or a recording
        refuse_inputs(args.output, inputs)
    except ValueError as exc:
        raise CommandError(f"--output: {one_line(exc)}") from exc
    lengths = np.array([len(x) for x in X]) / sr
    progress(f"read {len(X)} recordings, {len(np.unique(y))} classes, {sr} Hz, "
             f"{lengths.min():.2f} to {lengths.max():.2f} s (median {np.median(lengths):.2f} s) "
             f"in {time.perf_counter() - t0:.1f} s")
    model = train_model(
        X, y, sr, model=model_name, kind=kind, groups=groups, domains=domains, from_results=args.from_results,
        cv_folds=args.cv_folds, segment_seconds=args.segment_seconds, hop_seconds=args.hop_seconds,
        aggregate=args.aggregate, early_stopping=args.early_stopping, device=args.device,
        progress=None if args.quiet else progress,
        provenance={"data": os.path.abspath(args.data), "labels": labels_path, "group_column": args.group_column,
                    "domain_column": args.domain_column},
        command=["wavefront", *argv], option_style="cli", **recipe,
    )
    try:
        save_model(model, args.output, protect=inputs)
    except OSError as exc:
        raise CommandError(f"--output {args.output}: cannot write the model ({exc.strerror or exc})") from exc
    except (ValueError, ImportError) as exc:  # a .skops name without skops, or a model with no plain form
        raise CommandError(f"--output {args.output}: {one_line(exc)}") from exc
    print(f"saved {args.output}", file=out)
    print(model.describe(), file=out)
    return 0
