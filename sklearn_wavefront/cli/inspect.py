"""``wavefront inspect``: a saved model's filters as plots and a CSV
(:func:`sklearn_wavefront.inspection.write_filter_report`)."""

from __future__ import annotations

import os
import sys

from ._common import CommandError, one_line

__all__ = ["add_parser", "run"]


def add_parser(sub):
    """Add ``inspect`` to ``sub`` (argparse subparsers)."""
    from .fit import TRUST

    p = sub.add_parser(
        "inspect", help="plot a saved model's filters and write them as CSV",
        description=(
            "Write filters.png (magnitude responses and centre frequencies), evolution.png (centre "
            "frequencies / f0 per epoch, end-to-end models) and filters.csv (centre frequency or f0, "
            f"band edges, bandwidths, orders, delays, gains as the front-end has them). Warning: {TRUST}."
        ),
    )
    p.add_argument("model", metavar="MODEL", help="model file written by wavefront fit")
    p.add_argument("--output-dir", default="wavefront-inspect", help="(default: %(default)s)")
    p.add_argument("--no-plots", action="store_true", help="only the CSV")
    p.set_defaults(handler=run, on_interrupt="the files written so far may be incomplete")
    return p


def run(args, argv, out=None):
    """``wavefront inspect``: filter plots and a CSV of the learned filters."""
    from ..inspection import find_filterbank, write_filter_report
    from .predict import load

    out = sys.stdout if out is None else out
    model = load(args.model)
    try:
        find_filterbank(model.estimator)
    except TypeError as exc:
        choice = (model.settings or {}).get("choice")
        if choice and choice.get("kind") == "baseline":  # auto chose a baseline: a model with no filters
            print(model.describe(), file=out)
            print(f"note: no filters to inspect: the recipe auto chose, {choice['name']}, is a baseline", file=out)
            return 0
        raise CommandError(f"{args.model}: {one_line(exc)}") from exc
    except ValueError as exc:
        raise CommandError(f"{args.model}: {one_line(exc)}") from exc
    try:
        os.makedirs(args.output_dir, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"--output-dir {args.output_dir}: cannot create the folder ({exc.strerror or exc})") from exc
    if not os.access(args.output_dir, os.W_OK | os.X_OK):
        raise CommandError(f"--output-dir {args.output_dir}: the folder is not writable")
    if not args.no_plots:
        try:
            import matplotlib

            matplotlib.use("Agg")  # files only: no window, whatever the display
        except ImportError:
            pass
    try:
        written, n_filters, notes = write_filter_report(model, args.output_dir, plots=not args.no_plots,
                                                        protect=[args.model])
    except ValueError as exc:  # an output file that is the model
        raise CommandError(f"--output-dir {args.output_dir}: {one_line(exc)}") from exc
    print(model.describe(), file=out)
    print(f"{n_filters} filters; written: {', '.join(written)}", file=out)
    for note in notes:
        print(f"note: {note}", file=out)
    return 0
