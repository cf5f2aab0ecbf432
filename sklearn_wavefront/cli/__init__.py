"""The ``wavefront`` command (also ``python -m sklearn_wavefront``): one module per subcommand.

* ``wavefront compare`` (:mod:`.compare`): :func:`sklearn_wavefront.compare` on a folder of
  recordings described by a ``labels.csv`` or on built-in data; prints the table.
* ``wavefront fit`` (:mod:`.fit`): :func:`sklearn_wavefront.training.train_model` on a folder;
  saves the model.
* ``wavefront predict`` (:mod:`.predict`): a CSV of labels and probabilities for audio files.
* ``wavefront inspect`` (:mod:`.inspect`): a saved model's filters as plots and CSV.

Each command parses its options, calls the library and prints; the shared parts (one-line errors
and warnings, common options) are in :mod:`._common`. Building the parser imports neither torch nor
scikit-learn: ``wavefront --help`` and ``--version`` start in a fraction of a second, and each
command imports what it needs when it runs.
"""

from __future__ import annotations

import sys

from .._version import __version__
from . import compare, fit, inspect, predict
from ._common import Parser, run_handler

__all__ = ["main", "build_parser", "entry_point"]

_COMMANDS = (compare, fit, predict, inspect)


def build_parser() -> Parser:
    """The ``wavefront`` argument parser with every subcommand."""
    parser = Parser(prog="wavefront", description="Learnable, interpretable waveform front-ends for scikit-learn users.")
    parser.add_argument("--version", action="version", version=f"wavefront (sklearn-wavefront) {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in _COMMANDS:
        command.add_parser(sub)
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
    return run_handler(args.handler, args, argv)


def entry_point():
    """The ``wavefront`` executable: :func:`main`, then exit with its code.

    SIGTERM and SIGHUP end a command as Ctrl-C does (what was finished is kept, one line, code 130),
    and an interrupt that a library swallowed is raised again until the command has handled it
    (:mod:`._signals`). After an interrupt (code 130) the process leaves at once (``os._exit``, streams
    flushed): an interrupt that crossed C code running Python (torch's compiler does) leaves CPython's
    "unhandled KeyboardInterrupt" mark set even though :func:`main` handled it, and CPython would then
    end the process by SIGINT at exit, turning the 130 into a death by signal.
    """
    import os

    from . import _signals

    _signals.install()
    try:
        code = main()
    finally:
        _signals.interrupt_handled()  # whatever main ended with: no interrupt raised into the exit
    if code == 130:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry_point()
