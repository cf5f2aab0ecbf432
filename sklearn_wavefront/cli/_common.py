"""What every ``wavefront`` command shares: one-line errors, one-line warnings, common options.

A command module parses, calls the library and prints. Bad input reaches the user as one line
``wavefront: error: ...`` on stderr with exit code 2: the library's
:class:`~sklearn_wavefront.exceptions.InputError` (whose messages name flags, as the commands call
the library with ``option_style="cli"``), a :class:`CommandError` of the command layer itself
(a bad output path), and a diverged training. Warnings are one line ``wavefront: warning: ...``.
This module imports neither torch nor scikit-learn, so ``wavefront --help`` starts fast.
"""

from __future__ import annotations

import argparse
import sys
import warnings

__all__ = ["CommandError", "one_line", "Parser", "add_folder_options", "add_common_options", "run_handler"]


class CommandError(Exception):
    """A user error found by the command layer: reported as one line, exit code 2."""


def one_line(exc) -> str:
    return " ".join(str(exc).split())


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``wavefront: error: ...`` and exit code 2 (no usage block)."""

    def error(self, message):
        self.exit(2, f"wavefront: error: {one_line(message)} (see {self.prog} --help)\n")


def add_folder_options(p, group_help):
    """``--labels``, ``--path-column``, ``--label-column``, ``--group-column`` of a data folder."""
    p.add_argument("--labels", default="labels.csv", help="labels CSV inside --data (default: %(default)s)")
    p.add_argument("--path-column", default="path", help="CSV column of file paths (default: %(default)s)")
    p.add_argument("--label-column", default="label", help="CSV column of labels (default: %(default)s)")
    p.add_argument("--group-column", help=group_help)
    p.add_argument("--on-error", default="raise", choices=["raise", "skip"],
                   help="a listed audio file that cannot be used (missing, unreadable, empty, truncated, NaN): "
                        "stop with its name, or leave it out and say which (default: %(default)s)")
    p.add_argument("--on-duplicate", default="raise", choices=["raise", "first"],
                   help="a file listed twice in the labels file: stop, or keep its first row and say so "
                        "(default: %(default)s)")
    p.add_argument("--encoding", help="text encoding of the labels file (default: UTF-8, else cp1252 or latin-1, "
                                      "said in a warning)")


def add_common_options(p, device_help, random_state_help="seed of data, folds and training (default: %(default)s)",
                       random_state_default=0):
    """``--random-state``, ``--device`` and ``--quiet``."""
    p.add_argument("--random-state", type=int, default=random_state_default, help=random_state_help)
    p.add_argument("--device", default="auto", help=device_help)
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def progress_printer(args):
    """A function printing a progress line on stderr, or nothing with ``--quiet``."""
    quiet = getattr(args, "quiet", False)

    def progress(msg):
        if not quiet:
            print(msg, file=sys.stderr, flush=True)

    return progress


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"wavefront: warning: {one_line(message)}", file=sys.stderr, flush=True)


def run_handler(handler, args, argv):
    """Run a command's handler: its exit code, or 2 with one line for a user error."""
    from ..exceptions import InputError, Interrupted, TrainingDivergedError
    from ._signals import interrupt_handled

    with warnings.catch_warnings():
        warnings.showwarning = _show_warning  # one line, never the source line of the warning
        try:
            return handler(args, argv)
        except (CommandError, InputError) as exc:
            print(f"wavefront: error: {one_line(exc)}", file=sys.stderr)
            return 2
        except TrainingDivergedError as exc:  # never a table or a model built on a NaN model
            print(f"wavefront: error: {one_line(exc)} (see --lr)", file=sys.stderr)
            return 2
        except OSError as exc:  # the machine's fault (a full disk, a vanished folder): one line, exit 1
            where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
            print(f"wavefront: error: {one_line(exc.strerror or exc)}{where}", file=sys.stderr)
            return 1
        except KeyboardInterrupt as exc:  # Ctrl-C: one line saying what was kept, exit 130 as shells do
            interrupt_handled()
            said = one_line(exc) if isinstance(exc, Interrupted) else getattr(args, "on_interrupt", "")
            print(f"wavefront: interrupted{': ' + said if said else ''}", file=sys.stderr, flush=True)
            return 130
