"""``wavefront predict``: a CSV of labels and class probabilities for audio files and folders.

Each row is written as soon as its batch is computed (to ``--output`` through a temporary file
that replaces it, so the file is never half a row; to stdout with a flush). A file that cannot be
read (missing, unreadable, not a regular file, too loud, NaN) gets a row with status ``error`` and
the reason, and the run goes on (``--on-error skip``, the default) with exit code 1 at the end; a
near-empty recording (mostly padding, or silence) is labelled but flagged. Ctrl-C keeps the rows
already written. The output never replaces an input (the model or an audio file), and file names
that a spreadsheet would run as a formula are escaped.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import warnings

from ._common import CommandError, one_line, progress_printer
from ._signals import interrupt_handled

__all__ = ["add_parser", "run", "load"]

#: the columns after ``path``, ``label`` and the probabilities
STATUS_COLUMNS = ("status", "note")


def add_parser(sub):
    """Add ``predict`` to ``sub`` (argparse subparsers)."""
    from .fit import TRUST

    p = sub.add_parser(
        "predict", help="label audio files with a saved model (CSV)",
        description=(
            "Write path, label, one proba_<class> column per class, status (ok, flagged: more than 90%% of the "
            "model's input is padding or less than 10%% is sound; error: the file could not be read) and note (why) "
            "for every audio file given or found in the folders given (recursively; any format soundfile reads). "
            "Files are resampled to the model's rate; any length. Rows are written as they are computed; the "
            "exit code is 1 when some file could not be read. Cells a spreadsheet would run as a formula are "
            f"escaped with a leading quote. Warning: {TRUST} (a .skops model file runs no code when loaded)."
        ),
    )
    p.add_argument("model", metavar="MODEL", help="model file written by wavefront fit (.joblib or .skops)")
    p.add_argument("paths", metavar="PATH", nargs="+", help="audio files or folders")
    p.add_argument("--output", help="CSV file to write (default: stdout); never one of the inputs")
    p.add_argument("--on-error", default="skip", choices=["skip", "raise"],
                   help="a file that cannot be read: a row with status 'error' and the reason, and go on (exit "
                        "code 1 at the end), or stop there keeping the rows written so far (exit code 2) "
                        "(default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=64, help="files per prediction batch (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(handler=run, on_interrupt="nothing was predicted yet")
    return p


def load(path):
    """The saved model at ``path``, or a one-line :class:`CommandError`.

    A model saved under other package versions is loaded with a warning naming them.
    """
    from ..persistence import load_model

    try:
        return load_model(path)
    except (OSError, ValueError, ImportError) as exc:
        raise CommandError(one_line(exc)) from exc


def _versions_said(model):
    """``"torch 1.0 (installed: 2.13)"``-style words for the packages whose versions differ, or ``""``."""
    from ..persistence import CHECKED_VERSIONS, package_versions

    here = package_versions()
    saved = getattr(model, "versions", {}) or {}
    return ", ".join(f"{name} {saved.get(name)} (installed: {here.get(name)})" for name in CHECKED_VERSIONS
                     if saved.get(name) != here.get(name))


def _read(files, sample_rate):
    """``(recordings, errors)``: the samples of each readable file, the reason for each other one."""
    from ..datasets import read_audio

    recordings, errors = {}, {}
    for f in files:
        try:
            recordings[f], _ = read_audio(f, sample_rate)
        except FileNotFoundError:
            errors[f] = "file not found"
        except ValueError as exc:  # AudioFileError: unreadable, empty, not a regular file, too loud, NaN
            errors[f] = getattr(exc, "reason", None) or one_line(exc)
    return recordings, errors


def run(args, argv, out=None):
    """``wavefront predict``: CSV of labels, probabilities and status for audio files and folders."""
    import numpy as np

    from .._csv import atomic_write, refuse_inputs, safe_csv_writer
    from ..datasets import find_audio_files
    from ..exceptions import Interrupted
    from ..persistence import input_coverage

    progress = progress_printer(args)
    if args.batch_size < 1:
        raise CommandError(f"--batch-size must be >= 1, got {args.batch_size}")
    try:
        files = find_audio_files(args.paths)
    except FileNotFoundError as exc:
        raise CommandError(one_line(exc)) from exc
    if args.output:  # before any work: never over an input, never into a folder that is not there
        try:
            refuse_inputs(args.output, [args.model, *files])
        except ValueError as exc:
            raise CommandError(f"--output: {one_line(exc)}") from exc
        folder = os.path.dirname(os.path.abspath(args.output))
        if not os.path.isdir(folder):
            raise CommandError(f"--output {args.output}: the folder {folder} does not exist")
    model = load(args.model)
    progress(f"wavefront predict: {len(files)} file(s), model {model.settings.get('model')} "
             f"({model.settings.get('kind')}) at {model.sample_rate} Hz")
    classes = model.classes_
    header = ["path", "label", *(f"proba_{c}" for c in classes.tolist()), *STATUS_COLUMNS]
    done, failed, flagged, interrupted, stop = 0, [], 0, False, None
    if args.output:
        try:
            sink = atomic_write(args.output, newline="", protect=[args.model, *files])
            stream = sink.__enter__()  # the temporary file exists now: an unwritable folder fails here
        except (OSError, ValueError) as exc:
            raise CommandError(f"--output {args.output}: cannot write ({getattr(exc, 'strerror', None) or one_line(exc)})") from exc
    else:
        sink, stream = contextlib.nullcontext(), (sys.stdout if out is None else out)
    writer = safe_csv_writer(stream, lineterminator="\n")
    t0 = time.perf_counter()
    try:
        writer.writerow(header)
        for start in range(0, len(files), args.batch_size):
            chunk = files[start:start + args.batch_size]
            recordings, errors = _read(chunk, model.sample_rate)
            good = [f for f in chunk if f in recordings]
            if good:
                batch = [recordings[f] for f in good]
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        proba = model.predict_proba(batch)
                        # the model's own decision: with aggregate="majority" the probabilities are vote
                        # shares, and a tie follows SegmentedClassifier's rule, not the first column
                        labels = np.asarray(model.predict(batch)).tolist()
                        coverage = input_coverage(model, batch)
                except Exception as exc:  # noqa: BLE001 - a model that loads but cannot predict (other versions)
                    stop = f"the model {args.model} failed to predict ({type(exc).__name__}: {one_line(exc)})" + (
                        f"; it was saved with {_versions_said(model)}" if _versions_said(model) else "")
                    break
                results = {f: (label, row, reason) for f, label, row, reason in
                           zip(good, labels, proba, coverage.reasons)}
            for f in chunk:
                if f in errors:
                    writer.writerow([f, "", *([""] * len(classes)), "error", errors[f]])
                    failed.append(f)
                    print(f"wavefront: warning: {f}: {errors[f]}", file=sys.stderr, flush=True)
                    if args.on_error == "raise":
                        stop = f"audio file {f} {errors[f]}"
                        break
                    continue
                label, row, reason = results[f]
                writer.writerow([f, label, *(f"{p:.6g}" for p in row), "flagged" if reason else "ok", reason])
                flagged += bool(reason)
                done += 1
            stream.flush()
            if stop:
                break
            if len(files) > args.batch_size:
                progress(f"[{min(start + args.batch_size, len(files))}/{len(files)}] {time.perf_counter() - t0:.1f} s")
    except KeyboardInterrupt:
        interrupt_handled()  # closing the sink below must not be interrupted again
        interrupted = True  # keep what was written: the sink still closes normally below
    except BrokenPipeError:  # stdout closed by the reader (| head): stop quietly, as a shell tool does
        sys.stdout = open(os.devnull, "w")
        return 141
    except OSError as exc:
        sink.__exit__(*sys.exc_info())  # the old file stays as it was; the temporary goes
        if not args.output:
            raise
        raise CommandError(f"--output {args.output}: cannot write ({exc.strerror or one_line(exc)})") from exc
    except BaseException:
        sink.__exit__(*sys.exc_info())
        raise
    try:
        sink.__exit__(None, None, None)
    except OSError as exc:  # a full disk found when the rows are synced: the old file is untouched
        raise CommandError(f"--output {args.output}: cannot write ({exc.strerror or one_line(exc)})") from exc
    where = args.output or "stdout"
    if interrupted:
        raise Interrupted(f"{done + len(failed)} of {len(files)} files done; their rows are in {where}", kept=args.output)
    if stop:
        why = "--on-error raise; " if stop.startswith("audio file") else ""
        raise CommandError(f"{stop} ({why}the rows before it are in {where})")
    if args.output:
        progress(f"wrote {args.output}")
    if flagged:
        print(f"wavefront: warning: {flagged} of {len(files)} recordings are flagged as near-empty (status 'flagged': "
              "mostly padding or silence); their labels say little", file=sys.stderr)
    if failed:
        print(f"wavefront: {len(failed)} of {len(files)} files could not be read (status 'error' in {where})",
              file=sys.stderr)
        return 1
    return 0
