"""``wavefront fit``, ``wavefront predict`` and ``wavefront inspect``: train on a folder, keep the model,
label new files, look at the learned filters.

* ``fit`` reads every recording listed in the folder's labels file (any lengths), cuts them into
  segments of ``--segment-seconds`` (default: the median recording length, at most 5 s; a shorter
  recording is zero-padded, a longer one gives several segments, the last ending at its last
  sample), trains on the segments and saves a :class:`~sklearn_wavefront.persistence.WavefrontModel`
  (joblib) that decides per recording by the mean segment probability
  (:class:`~sklearn_wavefront.segmenting.SegmentedClassifier`). ``--kind learned``: the front-end's
  supervised ``fit(X, y)`` learns the filters, then ``StandardScaler`` and ``LogisticRegression``;
  ``--kind end-to-end``: a :class:`~sklearn_wavefront.classifiers.WaveformClassifier` (front-end and
  back-end trained together).
* ``predict`` resamples any audio file soundfile reads to the model's rate, segments it as in
  training and writes ``path,label`` and one ``proba_<class>`` column per class as CSV.
* ``inspect`` draws the filters (and, for end-to-end models, their centre frequencies / f0 per epoch)
  and writes a CSV of the learned filters.

**Loading a model runs code**: model files are pickles; only load files you trust.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import sys
import time
import warnings

import numpy as np
from skorch.callbacks import Callback

from .cli import CommandError, _one_line, csv_column, load_folder

__all__ = ["add_model_commands", "run_fit", "run_predict", "run_inspect", "filter_table"]

MODELS = ("comb", "iconnet", "gammatone", "sinc", "mel", "mfcc")
KINDS = ("learned", "end-to-end")
_MAX_DEFAULT_SEGMENT = 5.0
_MIN_SEGMENT_SAMPLES = 16
_TRUST = ("a model file is a pickle: loading it runs code from the file, so only use model files "
          "you made or got from someone you trust")


def _progress(args, msg):
    if not getattr(args, "quiet", False):
        print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------- fit
def _frontend_settings(name, sr, n_filters):
    """The same sample-rate-scaled settings as ``wavefront compare`` (10 ms hops, ~16 ms FIR kernels)."""
    from .comparison import frontend_kwargs

    return frontend_kwargs(name, sr, n_filters)


class _EpochProgress(Callback):
    """One line per epoch on stderr (looked up at call time, so the callback pickles)."""

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        valid = f"  valid loss {row['valid_loss']:.4f}" if row.get("valid_loss") is not None else ""
        print(f"  epoch {row['epoch']}/{net.max_epochs}  train loss {row.get('train_loss', float('nan')):.4f}"
              f"{valid}  {row.get('dur', 0.0):.1f} s", file=sys.stderr, flush=True)


def _build_estimator(args, sr, lr):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    kw = _frontend_settings(args.model, sr, args.n_filters)
    if args.kind == "learned":
        from . import frontends

        cls = {"comb": frontends.CombFrontend, "iconnet": frontends.IConNetFrontend,
               "gammatone": frontends.GammatoneFrontend, "sinc": frontends.SincFrontend,
               "mel": frontends.MelFrontend, "mfcc": frontends.MFCCFrontend}[args.model]
        front = cls(sample_rate=sr, n_filters=args.n_filters, max_epochs=args.epochs, batch_size=args.batch_size,
                    learning_rate=lr, random_state=args.random_state, verbose=0 if args.quiet else 1, **kw)
        return Pipeline([("frontend", front), ("scaler", StandardScaler()),
                         ("classifier", LogisticRegression(max_iter=1000))])
    from .callbacks import FilterbankHistory
    from .classifiers import WaveformClassifier

    callbacks = [("filter_history", FilterbankHistory())]
    if not args.quiet:
        callbacks.append(("progress", _EpochProgress()))
    return WaveformClassifier(
        frontend=args.model, backend=args.backend, frontend_kwargs=kw, sample_rate=sr, n_filters=args.n_filters,
        max_epochs=args.epochs, batch_size=args.batch_size, lr=lr, random_state=args.random_state,
        device=args.device, callbacks=callbacks, early_stopping=args.early_stopping,
    )


def _check_fit_options(args):
    from .cli import _check_device

    for flag, minimum in (("n_filters", 1), ("batch_size", 1), ("epochs", 0)):
        value = getattr(args, flag)
        if value < minimum:
            raise CommandError(f"--{flag.replace('_', '-')} must be >= {minimum}, got {value}")
    if args.epochs < 1 and (args.kind == "end-to-end" or args.model not in ("mel", "mfcc")):
        raise CommandError(f"--epochs must be >= 1 for --kind {args.kind} --model {args.model}, got {args.epochs}")
    if args.sample_rate is not None and args.sample_rate < 1:
        raise CommandError(f"--sample-rate must be a positive number of Hz, got {args.sample_rate}")
    for flag in ("segment_seconds", "hop_seconds", "lr"):
        value = getattr(args, flag)
        if value is not None and not (math.isfinite(value) and value > 0):
            raise CommandError(f"--{flag.replace('_', '-')} must be a positive number, got {value:g}")
    if args.hop_seconds is not None and args.segment_seconds is not None and args.hop_seconds > args.segment_seconds:
        raise CommandError(
            f"--hop-seconds {args.hop_seconds:g} is longer than --segment-seconds {args.segment_seconds:g}: "
            "the samples between segments would be skipped"
        )
    _check_device(args.device)
    folder = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(folder):
        raise CommandError(f"--output {args.output}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CommandError(f"--output {args.output}: the folder {folder} is not writable")
    if os.path.isdir(args.output):
        raise CommandError(f"--output {args.output} is a folder; give a file name, e.g. model.joblib")


def _read_folder(args):
    if not os.path.isdir(args.data):
        raise CommandError(f"--data {args.data}: folder not found")
    bunch, labels_path = load_folder(args)
    groups = csv_column(bunch, args, args.group_column, "--group-column", labels_path)
    y = np.asarray(bunch.target)
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        raise CommandError(f"{labels_path} has a single class ({classes[0]!r}); at least two are needed")
    return list(bunch.data), y, groups, int(bunch.sample_rate), labels_path


def run_fit(args, argv=None, out=None):
    """``wavefront fit``: train on a whole folder and save the model (see the module docstring)."""
    from .persistence import WavefrontModel, save_model
    from .segmenting import SegmentedClassifier

    out = sys.stdout if out is None else out
    _check_fit_options(args)
    t0 = time.perf_counter()
    _progress(args, f"wavefront fit: reading {args.data} ...")
    X, y, groups, sr, labels_path = _read_folder(args)
    lengths = np.array([len(x) for x in X]) / sr
    if args.segment_seconds is not None:
        seg = args.segment_seconds
    else:  # the median length, at most _MAX_DEFAULT_SEGMENT, as a whole number of samples
        seg = round(min(float(np.median(lengths)), _MAX_DEFAULT_SEGMENT) * sr) / sr
    hop = args.hop_seconds if args.hop_seconds is not None else seg
    if hop > seg:
        raise CommandError(f"--hop-seconds {hop:g} is longer than the segment length {seg:g} s")
    if round(seg * sr) < _MIN_SEGMENT_SAMPLES:
        raise CommandError(
            f"segments of {seg:g} s at {sr} Hz hold {round(seg * sr)} samples; at least {_MIN_SEGMENT_SAMPLES} "
            "are needed (raise --segment-seconds)"
        )
    if round(hop * sr) < 1:
        raise CommandError(f"--hop-seconds {hop:g} at {sr} Hz is shorter than one sample")
    lr = args.lr if args.lr is not None else (0.01 if args.kind == "learned" else 3e-3)
    estimator = _build_estimator(args, sr, lr)
    model = SegmentedClassifier(estimator, segment_seconds=seg, hop_seconds=hop, sample_rate=sr,
                                aggregate=args.aggregate)
    _progress(args, f"read {len(X)} recordings, {len(np.unique(y))} classes, {sr} Hz, "
                    f"{lengths.min():.2f} to {lengths.max():.2f} s (median {np.median(lengths):.2f} s) "
                    f"in {time.perf_counter() - t0:.1f} s")
    fixed = args.kind == "learned" and args.model in ("mel", "mfcc")
    how = "fixed filters, nothing to learn" if fixed else f"{args.epochs} epochs"
    _progress(args, f"training {args.model} ({args.kind}, {how}) on segments of {seg:.4g} s, hop {hop:.4g} s ...")
    t1 = time.perf_counter()
    fit_params = {}
    if groups is not None and args.kind == "end-to-end":
        fit_params["groups"] = groups  # the inner early-stopping split holds out whole groups
    # the front-ends' epoch lines (verbose) go to stdout; here stdout is for results, so they join
    # the other progress lines on stderr
    with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):
        warnings.simplefilter("ignore")
        try:
            model.fit(X, y, **fit_params)
        except ValueError as exc:
            raise CommandError(f"training failed: {_one_line(exc)}") from exc
    inner = model.estimator_
    history = None
    initial = None
    if args.kind == "end-to-end":
        cb = dict(inner.callbacks_).get("filter_history")
        if cb is not None and len(cb.center_frequencies_):
            history = cb.as_array()
    else:
        front = inner.named_steps["frontend"]
        initial = np.asarray(front._make_filterbank().center_frequencies(), dtype=np.float64)
    _progress(args, f"trained on {model.n_segments_} segments in {time.perf_counter() - t1:.1f} s")
    settings = {
        "model": args.model, "kind": args.kind, "segment_seconds": seg, "hop_seconds": hop,
        "aggregate": args.aggregate, "pad": model.pad, "n_filters": args.n_filters, "epochs": args.epochs,
        "batch_size": args.batch_size, "lr": lr, "random_state": args.random_state,
        "backend": args.backend if args.kind == "end-to-end" else None,
        "data": os.path.abspath(args.data), "labels": labels_path, "n_recordings": len(X),
        "group_column": args.group_column, "initial_center_frequencies": initial,
    }
    wrapped = WavefrontModel(model, sr, settings=settings, filter_history=history,
                             command=["wavefront", *(argv or [])])
    try:
        save_model(wrapped, args.output)
    except OSError as exc:
        raise CommandError(f"--output {args.output}: cannot write the model ({exc.strerror or exc})") from exc
    print(f"saved {args.output}", file=out)
    print(wrapped.describe(), file=out)
    return 0


# ------------------------------------------------------------------------------------------- predict
def _audio_extensions():
    import soundfile as sf

    exts = {f".{k.lower()}" for k in sf.available_formats()}
    return exts | {".oga", ".opus", ".aif", ".aiff", ".mp3"}


def _collect_files(paths):
    exts = _audio_extensions()
    files = []
    for p in paths:
        if os.path.isdir(p):
            found = []
            for root, dirs, names in os.walk(p):
                dirs.sort()
                found += [os.path.join(root, n) for n in sorted(names) if os.path.splitext(n)[1].lower() in exts]
            if not found:
                raise CommandError(f"folder {p} holds no audio file ({', '.join(sorted(exts))})")
            files += found
        elif os.path.isfile(p):
            files.append(p)
        else:
            raise CommandError(f"no such file or folder: {p}")
    return files


def _read_audio(path, sample_rate):
    from .datasets._folder import _read_one, _SkipFile

    try:  # the training loader's checks: unreadable, empty, truncated, NaN/inf
        x, _ = _read_one(path, sample_rate)
    except _SkipFile as exc:
        raise CommandError(f"audio file {path} {exc}") from exc
    return x


def _load(path):
    from .persistence import load_model

    try:
        return load_model(path)
    except (OSError, ValueError) as exc:
        raise CommandError(_one_line(exc)) from exc


def run_predict(args, argv=None, out=None):
    """``wavefront predict``: CSV of labels and class probabilities for audio files and folders."""
    model = _load(args.model)
    if args.batch_size < 1:
        raise CommandError(f"--batch-size must be >= 1, got {args.batch_size}")
    files = _collect_files(args.paths)
    if args.output:
        folder = os.path.dirname(os.path.abspath(args.output))
        if not os.path.isdir(folder):
            raise CommandError(f"--output {args.output}: the folder {folder} does not exist")
    _progress(args, f"wavefront predict: {len(files)} file(s), model {model.settings.get('model')} "
                    f"({model.settings.get('kind')}) at {model.sample_rate} Hz")
    classes = model.classes_
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["path", "label", *(f"proba_{c}" for c in classes.tolist())])
    t0 = time.perf_counter()
    for start in range(0, len(files), args.batch_size):
        chunk = files[start:start + args.batch_size]
        recordings = [_read_audio(f, model.sample_rate) for f in chunk]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            proba = model.predict_proba(recordings)
            # the model's own decision: with aggregate="majority" the probabilities are vote shares,
            # and a tie follows SegmentedClassifier's rule, not the first column
            labels = np.asarray(model.predict(recordings))
        for f, label, row in zip(chunk, labels.tolist(), proba):
            writer.writerow([f, label, *(f"{p:.6g}" for p in row)])
        if len(files) > args.batch_size:
            _progress(args, f"[{min(start + args.batch_size, len(files))}/{len(files)}] "
                            f"{time.perf_counter() - t0:.1f} s")
    if args.output:
        try:
            with open(args.output, "w", newline="") as f:
                f.write(buffer.getvalue())
        except OSError as exc:
            raise CommandError(f"--output {args.output}: cannot write ({exc.strerror or exc})") from exc
        _progress(args, f"wrote {args.output}")
    else:
        out = sys.stdout if out is None else out
        out.write(buffer.getvalue())
    return 0


# ------------------------------------------------------------------------------------------- inspect
def filter_table(filterbank, initial_center_frequencies=None):
    """The filters of a filterbank module as columns: ``(names, rows)``.

    Every filterbank gives ``filter`` and its centre frequency (``f0_hz`` for comb channels,
    ``center_hz`` otherwise); comb filterbanks add ``delay_samples`` and ``alpha``; band-pass FIR
    filterbanks (IConNet, SincNet) ``low_hz``, ``high_hz``, ``bandwidth_hz``; gammatone
    ``bandwidth_hz`` (the ``b`` of ``exp(-2 pi b t)``) and ``order``; mel/MFCC the edges of each
    triangle. ``initial_center_frequencies`` (before training) adds an ``initial_...`` column.
    """
    import torch

    with torch.no_grad():
        cf = np.asarray(filterbank.center_frequencies(), dtype=np.float64)
        cols = {}
        comb = hasattr(filterbank, "delays")
        cols["f0_hz" if comb else "center_hz"] = cf
        if initial_center_frequencies is not None and len(initial_center_frequencies) == len(cf):
            cols["initial_f0_hz" if comb else "initial_center_hz"] = np.asarray(initial_center_frequencies, float)
        if comb:
            cols["delay_samples"] = filterbank.delays().double().cpu().numpy()
            cols["alpha"] = filterbank.alphas().double().cpu().numpy()
        elif hasattr(filterbank, "bands"):
            bands = np.asarray(filterbank.bands(), dtype=np.float64)
            cols["low_hz"], cols["high_hz"] = bands[:, 0], bands[:, 1]
            cols["bandwidth_hz"] = bands[:, 1] - bands[:, 0]
        elif hasattr(filterbank, "orders"):
            cols["bandwidth_hz"] = filterbank.bandwidth_hz().double().cpu().numpy()
            cols["order"] = filterbank.orders().double().cpu().numpy()
        elif hasattr(filterbank, "mel_matrix"):
            from .filterbanks._scales import hz_to_mel, mel_to_hz

            htk = bool(getattr(filterbank, "htk", False))
            pts = mel_to_hz(np.linspace(hz_to_mel(filterbank.fmin, htk), hz_to_mel(filterbank.fmax, htk),
                                        len(cf) + 2), htk)
            cols["low_hz"], cols["high_hz"] = np.asarray(pts[:-2]), np.asarray(pts[2:])
            cols["bandwidth_hz"] = cols["high_hz"] - cols["low_hz"]
    names = ["filter", *cols]
    rows = [[i, *(float(cols[c][i]) for c in cols)] for i in range(len(cf))]
    return names, rows


def run_inspect(args, argv=None, out=None):
    """``wavefront inspect``: filter plots and a CSV of the learned filters."""
    out = sys.stdout if out is None else out
    model = _load(args.model)
    from .inspection import find_filterbank

    try:
        fb = find_filterbank(model.estimator)
    except (TypeError, ValueError) as exc:
        raise CommandError(f"{args.model}: {_one_line(exc)}") from exc
    try:
        os.makedirs(args.output_dir, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"--output-dir {args.output_dir}: cannot create the folder ({exc.strerror or exc})") from exc
    if not os.access(args.output_dir, os.W_OK | os.X_OK):
        raise CommandError(f"--output-dir {args.output_dir}: the folder is not writable")
    history = model.filter_history
    initial = history[0] if history is not None and len(history) else model.settings.get("initial_center_frequencies")
    names, rows = filter_table(fb, initial)
    written = []
    csv_path = os.path.join(args.output_dir, "filters.csv")
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(names)
        for row in rows:
            w.writerow([row[0], *(f"{v:.6g}" for v in row[1:])])
    written.append(csv_path)
    notes = []
    if args.no_plots:
        pass
    else:
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            plt = None
            notes.append("matplotlib is not installed: no plots written (pip install matplotlib)")
        if plt is not None:
            from .inspection import FilterbankDisplay, plot_filter_evolution

            name = f"{model.settings.get('model', '')} ({model.settings.get('kind', '')})"
            disp = FilterbankDisplay.from_estimator(model.estimator, name=name, max_filters=64)
            path = os.path.join(args.output_dir, "filters.png")
            disp.figure_.tight_layout()
            disp.figure_.savefig(path, dpi=100)
            plt.close(disp.figure_)
            written.append(path)
            if history is not None and len(history) > 1:
                ax = plot_filter_evolution(history)
                label = "f0" if names[1] == "f0_hz" else "centre frequencies"
                ax.set_title(f"{name}: {label} during training")
                path = os.path.join(args.output_dir, "evolution.png")
                ax.figure.tight_layout()
                ax.figure.savefig(path, dpi=100)
                plt.close(ax.figure)
                written.append(path)
            elif model.settings.get("kind") == "learned":
                notes.append("no per-epoch history: it is recorded for --kind end-to-end models "
                             "(filters.csv compares the learned filters with the initial ones)")
    print(model.describe(), file=out)
    print(f"{len(rows)} filters; written: {', '.join(written)}", file=out)
    for note in notes:
        print(f"note: {note}", file=out)
    return 0


# -------------------------------------------------------------------------------------------- parser
def add_model_commands(sub):
    """Add the ``fit``, ``predict`` and ``inspect`` subcommands to ``sub`` (argparse subparsers)."""
    warning = f"Warning: {_TRUST}."
    p = sub.add_parser(
        "fit", help="train on a folder of recordings and save the model",
        description=(
            "Train on every recording listed in a folder's labels file (any lengths: they are cut into "
            "segments and decided per recording by mean segment probability) and save the model with its "
            "settings and package versions (joblib). --kind learned: the front-end learns its filters, "
            "then StandardScaler + LogisticRegression; --kind end-to-end: front-end and back-end trained "
            f"together. {warning}"
        ),
    )
    p.add_argument("--data", metavar="DIR", required=True, help="folder with the recordings and the labels file")
    p.add_argument("--labels", default="labels.csv", help="labels CSV inside --data (default: %(default)s)")
    p.add_argument("--path-column", default="path", help="CSV column of file paths (default: %(default)s)")
    p.add_argument("--label-column", default="label", help="CSV column of labels (default: %(default)s)")
    p.add_argument("--group-column",
                   help="CSV column of groups (e.g. speaker): with --early-stopping, whole groups are held out")
    p.add_argument("--model", default="iconnet", choices=MODELS, help="front-end (default: %(default)s)")
    p.add_argument("--kind", default="learned", choices=KINDS, help="(default: %(default)s)")
    p.add_argument("--sample-rate", type=int, help="resample every file to this rate in Hz (default: the files' rate)")
    p.add_argument("--segment-seconds", type=float,
                   help=f"segment length (default: the median recording length, at most {_MAX_DEFAULT_SEGMENT:g} s)")
    p.add_argument("--hop-seconds", type=float, help="time between segment starts (default: the segment length)")
    p.add_argument("--aggregate", default="mean_proba", choices=["mean_proba", "majority"],
                   help="decision per recording from its segments (default: %(default)s)")
    p.add_argument("--n-filters", type=int, default=16, help="(default: %(default)s)")
    p.add_argument("--epochs", type=int, default=10, help="training epochs (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=16, help="(default: %(default)s)")
    p.add_argument("--lr", type=float, help="learning rate (default: 0.01 learned, 0.003 end-to-end)")
    p.add_argument("--backend", default="temporal", choices=["ffn", "conv", "temporal"], help="end-to-end back-end (default: %(default)s)")
    p.add_argument("--early-stopping", action="store_true",
                   help="end-to-end: hold out 10%% of the recordings (or groups) and stop on their loss")
    p.add_argument("--random-state", type=int, default=0, help="(default: %(default)s)")
    p.add_argument("--device", default="auto", help="torch device for end-to-end training (default: %(default)s)")
    p.add_argument("--output", metavar="MODEL", required=True, help="model file to write (e.g. model.joblib)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(handler=run_fit)

    p = sub.add_parser(
        "predict", help="label audio files with a saved model (CSV)",
        description=(
            "Write path,label and one proba_<class> column per class for every audio file given or found "
            "in the folders given (recursively; any format soundfile reads). Files are resampled to the "
            f"model's rate; any length. {warning}"
        ),
    )
    p.add_argument("model", metavar="MODEL", help="model file written by wavefront fit")
    p.add_argument("paths", metavar="PATH", nargs="+", help="audio files or folders")
    p.add_argument("--output", help="CSV file to write (default: stdout)")
    p.add_argument("--batch-size", type=int, default=64, help="files per prediction batch (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(handler=run_predict)

    p = sub.add_parser(
        "inspect", help="plot a saved model's filters and write them as CSV",
        description=(
            "Write filters.png (magnitude responses and centre frequencies), evolution.png (centre "
            "frequencies / f0 per epoch, end-to-end models) and filters.csv (centre frequency or f0, "
            f"band edges, bandwidths, orders, delays, gains as the front-end has them). {warning}"
        ),
    )
    p.add_argument("model", metavar="MODEL", help="model file written by wavefront fit")
    p.add_argument("--output-dir", default="wavefront-inspect", help="(default: %(default)s)")
    p.add_argument("--no-plots", action="store_true", help="only the CSV")
    p.set_defaults(handler=run_inspect)
    return sub

