"""``wavefront predict``: a CSV of labels and class probabilities for audio files and folders."""

from __future__ import annotations

import csv
import io
import os
import sys
import time
import warnings

from ._common import CommandError, one_line, progress_printer

__all__ = ["add_parser", "run"]


def add_parser(sub):
    """Add ``predict`` to ``sub`` (argparse subparsers)."""
    from .fit import TRUST

    p = sub.add_parser(
        "predict", help="label audio files with a saved model (CSV)",
        description=(
            "Write path,label and one proba_<class> column per class for every audio file given or found "
            "in the folders given (recursively; any format soundfile reads). Files are resampled to the "
            f"model's rate; any length. Warning: {TRUST}."
        ),
    )
    p.add_argument("model", metavar="MODEL", help="model file written by wavefront fit")
    p.add_argument("paths", metavar="PATH", nargs="+", help="audio files or folders")
    p.add_argument("--output", help="CSV file to write (default: stdout)")
    p.add_argument("--batch-size", type=int, default=64, help="files per prediction batch (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(handler=run)
    return p


def load(path):
    """The saved model at ``path``, or a one-line :class:`CommandError`."""
    from ..persistence import load_model

    try:
        return load_model(path)
    except (OSError, ValueError) as exc:
        raise CommandError(one_line(exc)) from exc


def run(args, argv, out=None):
    """``wavefront predict``: CSV of labels and class probabilities for audio files and folders."""
    import numpy as np

    from ..datasets import find_audio_files, read_recording

    progress = progress_printer(args)
    model = load(args.model)
    if args.batch_size < 1:
        raise CommandError(f"--batch-size must be >= 1, got {args.batch_size}")
    try:
        files = find_audio_files(args.paths)
    except FileNotFoundError as exc:
        raise CommandError(one_line(exc)) from exc
    if args.output:
        folder = os.path.dirname(os.path.abspath(args.output))
        if not os.path.isdir(folder):
            raise CommandError(f"--output {args.output}: the folder {folder} does not exist")
    progress(f"wavefront predict: {len(files)} file(s), model {model.settings.get('model')} "
             f"({model.settings.get('kind')}) at {model.sample_rate} Hz")
    classes = model.classes_
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["path", "label", *(f"proba_{c}" for c in classes.tolist())])
    t0 = time.perf_counter()
    for start in range(0, len(files), args.batch_size):
        chunk = files[start:start + args.batch_size]
        try:
            recordings = [read_recording(f, model.sample_rate) for f in chunk]
        except ValueError as exc:
            raise CommandError(one_line(exc)) from exc
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            proba = model.predict_proba(recordings)
            # the model's own decision: with aggregate="majority" the probabilities are vote shares,
            # and a tie follows SegmentedClassifier's rule, not the first column
            labels = np.asarray(model.predict(recordings))
        for f, label, row in zip(chunk, labels.tolist(), proba):
            writer.writerow([f, label, *(f"{p:.6g}" for p in row)])
        if len(files) > args.batch_size:
            progress(f"[{min(start + args.batch_size, len(files))}/{len(files)}] {time.perf_counter() - t0:.1f} s")
    if args.output:
        try:
            with open(args.output, "w", newline="") as f:
                f.write(buffer.getvalue())
        except OSError as exc:
            raise CommandError(f"--output {args.output}: cannot write ({exc.strerror or exc})") from exc
        progress(f"wrote {args.output}")
    else:
        out = sys.stdout if out is None else out
        out.write(buffer.getvalue())
    return 0
