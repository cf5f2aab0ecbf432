"""``wavefront compare``: cross-validate baselines and front-ends on the same folds and print the table.

Parses the options and calls :func:`sklearn_wavefront.compare`, which reads the folder (or builds
the built-in data), checks the options, runs every (row, fold), writes ``results.json``,
``results.csv`` and filter plots to ``--output-dir``; this module prints its report.
"""

from __future__ import annotations

import shlex
import sys

from ..registry import AUTO_MODELS, BACKENDS, BASELINES, FRONTENDS, KINDS
from ._common import add_common_options, add_folder_options, progress_printer

__all__ = ["add_parser", "run"]


def add_parser(sub):
    """Add ``compare`` to ``sub`` (argparse subparsers)."""
    p = sub.add_parser(
        "compare",
        help="cross-validate baselines and front-ends on the same folds and print a table",
        description=(
            "k-fold stratified (optionally grouped) cross-validation, on the same folds, of the baselines "
            "(dummy, mfcc+logreg; with the 'baselines' extra: openSMILE's egemaps+logreg and compare2016+logreg, MiniRocket, MultiRocket-Hydra) and of every front-end four ways "
            "(fixed filters + logistic regression; temporal: the fixed filters' frames -> a MiniRocket head and "
            "per-channel mean/std -> scaler -> ridge; learned filters + logistic regression; end to end), on a "
            "folder with a labels.csv (path,label[,group columns]) or, by default, on built-in synthetic "
            "harmonic tones. Prints mean ± std UA, UF1 (and MAcc for two classes), fit time and the "
            "paired difference to the best baseline per row with its verdict; writes results.json, results.csv, "
            "report.html and filter plots of the end-to-end rows to --output-dir."
        ),
    )
    models = ",".join(BASELINES + FRONTENDS + AUTO_MODELS)
    p.add_argument("--data", metavar="DIR", help="folder with the recordings and the labels file (default: built-in data)")
    add_folder_options(p, "CSV column of groups (e.g. speaker): folds never split a group")
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
                   help=f"comma-separated subset of {models}, or 'all': every one but auto-ensemble (the soft vote of the "
                        "auto search's three best candidates) (default: %(default)s)")
    p.add_argument("--kinds", default="baseline,fixed,temporal,learned,auto",
                   help=f"comma-separated subset of {','.join(KINDS)}, or 'all' (default: %(default)s; the "
                        "temporal rows are in the default because, on the real-data sets of the docs' 'How well it works', mel frames -> "
                        "MiniRocket head beat the best baseline on spoken digits (+10 to +14 UA points) and PASCAL "
                        "heart sounds (+2.4 to +5.3) and tied MiniRocket on Yaseen's, at 0.4-10 s per fold; the "
                        "end-to-end rows need more epochs than fit in a few minutes: add them with "
                        "--kinds all or --rows MODEL:end-to-end; the auto row chooses among the package's recipes, "
                        "MiniRocket and openSMILE by grouped CV inside each training fold, within --budget)")
    p.add_argument("--budget", type=float, default=10.0,
                   help="minutes of estimated work (2 CPU cores) of each auto row per outer fold: it bounds the "
                        "candidates and the recordings of each round of the search, never by the clock "
                        "(default: %(default)s)")
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
    p.add_argument("--backend", default="temporal", choices=BACKENDS, help="back-end of the end-to-end rows (default: %(default)s)")
    p.add_argument("--n-filters", type=int, default=16, help="filters per front-end (default: %(default)s)")
    p.add_argument("--folds", type=int, default=5, help="number of CV folds (default: %(default)s)")
    p.add_argument("--epochs", type=int, default=4, help="training epochs of learned and end-to-end rows (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=16, help="(default: %(default)s)")
    p.add_argument("--lr", type=float, default=3e-3, help="peak learning rate of the end-to-end rows (default: %(default)s)")
    p.add_argument("--minirocket-kernels", type=int, default=10000, help="MiniRocket kernels (default: %(default)s)")
    p.add_argument("--mrhydra-max-length", type=int, default=2000,
                   help="MultiRocket-Hydra sees each recording (or segment) decimated by a whole factor to at most "
                        "this many samples: at full rate it costs minutes per fold and GBs on audio "
                        "(default: %(default)s)")
    p.add_argument("--n-recordings", type=int, default=120, help="size of the built-in data set (default: %(default)s)")
    p.add_argument("--n-classes", type=int, default=4, help="classes of the built-in data set (default: %(default)s)")
    p.add_argument("--noise", type=float, default=1.0,
                   help="noise RMS relative to the tone RMS in the built-in data (default: %(default)s)")
    p.add_argument("--n-jobs", type=int, default=1,
                   help="(row, fold) tasks run in parallel (joblib processes); the results do not depend on it "
                        "(default: %(default)s)")
    p.add_argument("--output-dir", default="wavefront-output",
                   help="where results.json, results.csv and plots go (default: %(default)s)")
    p.add_argument("--no-plots", action="store_true", help="do not draw the filter plots")
    p.add_argument("--no-report", action="store_true",
                   help="do not write report.html (one self-contained page: the table with verdicts, every fold's "
                        "score, confusion matrices, filters before and after training, settings)")
    add_common_options(p, "torch device (default: %(default)s: CUDA if available)")
    p.set_defaults(handler=run, on_interrupt="before any fold finished; nothing kept")
    return p


def run(args, argv, out=None):
    """Run ``wavefront compare`` with parsed ``args``; the report goes to ``out`` (stdout)."""
    from ..comparison import compare

    out = sys.stdout if out is None else out
    command = " ".join(shlex.quote(a) for a in ["wavefront", *argv])
    result = compare(
        args.data, sample_rate=args.sample_rate, labels=args.labels, path_column=args.path_column,
        label_column=args.label_column, group_column=args.group_column, domain_column=args.domain_column,
        on_error=args.on_error, on_duplicate=args.on_duplicate, encoding=args.encoding,
        models=args.models, kinds=args.kinds, rows=args.rows, folds=args.folds, duration=args.duration,
        max_duration=args.max_duration, n_filters=args.n_filters, epochs=args.epochs, batch_size=args.batch_size,
        lr=args.lr, backend=args.backend, balance=None if args.balance == "none" else args.balance,
        penalty_groups=args.penalty_groups, minirocket_kernels=args.minirocket_kernels,
        mrhydra_max_length=args.mrhydra_max_length,
        temporal_features=args.temporal_features, budget=args.budget, n_recordings=args.n_recordings, n_classes=args.n_classes,
        noise=args.noise, random_state=args.random_state, n_jobs=args.n_jobs, device=args.device,
        output_dir=args.output_dir, plots=not args.no_plots, report=not args.no_report,
        progress=progress_printer(args), command=command,
        option_style="cli",
    )
    print(result.format(), file=out)
    return 0
