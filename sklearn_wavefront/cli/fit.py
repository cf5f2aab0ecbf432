"""``wavefront fit``: train one recipe on a folder of recordings and save the model.

Reads the folder (:func:`sklearn_wavefront.comparison.load_folder`), trains with
:func:`sklearn_wavefront.training.train_model` and saves the
:class:`~sklearn_wavefront.persistence.WavefrontModel` (:func:`~sklearn_wavefront.persistence.save_model`).
"""

from __future__ import annotations

import os
import sys
import time

from ..registry import BACKENDS, FIT_KINDS, FRONTENDS
from ._common import CommandError, add_common_options, add_folder_options, one_line, progress_printer

__all__ = ["add_parser", "run", "TRUST"]

TRUST = ("a .joblib model file is a pickle: loading it runs code from the file, so only use such files "
         "you made or got from someone you trust; a .skops model file holds plain data and runs no code when loaded")


def add_parser(sub):
    """Add ``fit`` to ``sub`` (argparse subparsers)."""
    p = sub.add_parser(
        "fit", help="train on a folder of recordings and save the model",
        description=(
            "Train on every recording listed in a folder's labels file (any lengths: they are cut into "
            "segments and decided per recording by mean segment probability) and save the model with its "
            "settings and package versions (.skops: plain data, safe to share; any other name: a joblib pickle). "
            "--kind learned: the front-end learns its filters, "
            "then StandardScaler + LogisticRegression; --kind end-to-end: front-end and back-end trained "
            f"together. Warning: {TRUST}."
        ),
    )
    p.add_argument("--data", metavar="DIR", required=True, help="folder with the recordings and the labels file")
    add_folder_options(p, "CSV column of groups (e.g. speaker): with --early-stopping, whole groups are held out")
    p.add_argument("--model", default="iconnet", choices=FRONTENDS, help="front-end (default: %(default)s)")
    p.add_argument("--kind", default="learned", choices=FIT_KINDS, help="(default: %(default)s)")
    p.add_argument("--sample-rate", type=int, help="resample every file to this rate in Hz (default: the files' rate)")
    p.add_argument("--segment-seconds", type=float,
                   help="segment length (default: the median recording length, at most 5 s)")
    p.add_argument("--hop-seconds", type=float, help="time between segment starts (default: the segment length)")
    p.add_argument("--aggregate", default="mean_proba", choices=["mean_proba", "majority"],
                   help="decision per recording from its segments (default: %(default)s)")
    p.add_argument("--n-filters", type=int, default=16, help="(default: %(default)s)")
    p.add_argument("--epochs", type=int, default=10, help="training epochs (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=16, help="(default: %(default)s)")
    p.add_argument("--lr", type=float, help="learning rate (default: 0.01 learned, 0.003 end-to-end)")
    p.add_argument("--backend", default="temporal", choices=BACKENDS, help="end-to-end back-end (default: %(default)s)")
    p.add_argument("--early-stopping", action="store_true",
                   help="end-to-end and learned: hold out 10%% of the recordings (or groups), stop on their "
                        "loss and keep the best epoch")
    p.add_argument("--output", metavar="MODEL", required=True,
                   help="model file to write: model.skops (plain data, runs no code when loaded: the one to share) "
                        "or model.joblib (a pickle); never the labels file or a recording")
    add_common_options(p, "torch device for end-to-end training (default: %(default)s)")
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
    from ..training import check_training_options, train_model

    out = sys.stdout if out is None else out
    progress = progress_printer(args)
    if args.data is not None and not os.path.isdir(args.data):
        raise CommandError(f"--data {args.data}: folder not found")
    check_training_options(model=args.model, kind=args.kind, n_filters=args.n_filters, batch_size=args.batch_size,
                           epochs=args.epochs, lr=args.lr, segment_seconds=args.segment_seconds,
                           hop_seconds=args.hop_seconds, device=args.device, random_state=args.random_state,
                           sample_rate=args.sample_rate, option_style="cli")
    _check_output(args.output)
    t0 = time.perf_counter()
    progress(f"wavefront fit: reading {args.data} ...")
    bunch, labels_path = load_folder(args.data, labels=args.labels, sample_rate=args.sample_rate,
                                     path_column=args.path_column, label_column=args.label_column,
                                     on_error=args.on_error, on_duplicate=args.on_duplicate, encoding=args.encoding,
                                     option_style="cli")
    groups = folder_column(bunch, args.group_column, "group_column", labels_path, args.path_column,
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
        X, y, sr, model=args.model, kind=args.kind, groups=groups, segment_seconds=args.segment_seconds,
        hop_seconds=args.hop_seconds, aggregate=args.aggregate, n_filters=args.n_filters, epochs=args.epochs,
        batch_size=args.batch_size, lr=args.lr, backend=args.backend, early_stopping=args.early_stopping,
        random_state=args.random_state, device=args.device, progress=None if args.quiet else progress,
        provenance={"data": os.path.abspath(args.data), "labels": labels_path, "group_column": args.group_column},
        command=["wavefront", *argv], option_style="cli",
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
