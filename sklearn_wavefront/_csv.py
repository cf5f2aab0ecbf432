"""Output files that are safe to open and never half-written: spreadsheet-safe CSV cells and atomic writes.

**CSV injection.** A spreadsheet program that opens a CSV file treats a cell beginning with ``=``,
``+``, ``-`` or ``@`` as a formula, and a formula can fetch data from the network or run commands
(``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``). The cells ``wavefront`` writes include file names and
labels taken from the user's folders and CSV files, which anyone who prepared the data could have
chosen. :func:`escape_cell` follows the OWASP CSV-injection guidance
(https://owasp.org/www-community/attacks/CSV_Injection): a text cell beginning with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return is prefixed with a single quote, which spreadsheets show
as text and do not evaluate. The full-width forms of the four signs (U+FF1D, U+FF0B, U+FF0D, U+FF20),
which some spreadsheet programs also accept as a formula's start, are escaped as well.

Only *text* is escaped: a value given as a number (``int``, ``float``, numpy number) is written as
it is, because its text is a number (``-0.5``), which a spreadsheet reads as that number and never
as a formula; escaping it would turn it into text. So write numbers as numbers and names as text:
a file called ``-0.5.wav`` or a label ``-1`` arrives as text and is escaped (``'-0.5.wav``), as
OWASP asks for any text cell that starts with these characters. (Probabilities are never negative,
so their formatted text, e.g. ``f"{p:.6g}"``, never starts with a sign either.) Reading an escaped
file back with :mod:`csv` gives the quote-prefixed text: this protects the spreadsheet reader,
not a round trip.

**Atomic writes.** :func:`atomic_write` writes to a temporary file in the target's folder, flushes
and ``fsync``\\ s it, and renames it over the target (:func:`os.replace`), so the target is either
the old file or the complete new one, never a truncated mix, even when the writer is interrupted
(Ctrl-C, a full disk, an exception). It refuses to write over any of a given list of input paths
(compared with :func:`os.path.samefile`, so a hard link or another spelling of the same path is
caught) with a clear ``ValueError``: ``wavefront predict x.wav --output x.wav`` must not destroy
its input.
"""

from __future__ import annotations

import contextlib
import csv
import os
import stat
import tempfile

__all__ = ["FORMULA_PREFIXES", "escape_cell", "escape_row", "safe_csv_writer", "atomic_write", "refuse_inputs"]

#: First characters that make a spreadsheet evaluate a cell (OWASP's list, plus full-width forms).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def escape_cell(value):
    """``value`` made safe for a spreadsheet: text starting with a formula character gets a ``'`` prefix.

    Numbers (and ``None``, booleans, anything that is not a ``str``) are returned unchanged.

    Examples
    --------
    >>> from sklearn_wavefront._csv import escape_cell
    >>> escape_cell('=HYPERLINK("http://x")'), escape_cell("-0.5.wav"), escape_cell("@SUM(A1)")
    ('\\'=HYPERLINK("http://x")', "'-0.5.wav", "'@SUM(A1)")
    >>> escape_cell("rec1.wav"), escape_cell(-0.5), escape_cell("a=b")
    ('rec1.wav', -0.5, 'a=b')
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def escape_row(row):
    """:func:`escape_cell` of every cell of ``row`` (a list)."""
    return [escape_cell(v) for v in row]


class _SafeWriter:
    """A :func:`csv.writer` whose rows are escaped cell by cell."""

    def __init__(self, f, **fmtparams):
        self._writer = csv.writer(f, **fmtparams)

    @property
    def dialect(self):
        return self._writer.dialect

    def writerow(self, row):
        return self._writer.writerow(escape_row(row))

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def safe_csv_writer(f, **fmtparams):
    """Like :func:`csv.writer`, but every text cell passes through :func:`escape_cell`.

    Examples
    --------
    >>> import io
    >>> from sklearn_wavefront._csv import safe_csv_writer
    >>> buffer = io.StringIO()
    >>> w = safe_csv_writer(buffer, lineterminator="\\n")
    >>> w.writerows([["path", "label", "proba_yes"], ["=cmd|' /C calc'!A0.wav", "+yes", 0.25]])
    >>> print(buffer.getvalue(), end="")
    path,label,proba_yes
    '=cmd|' /C calc'!A0.wav,'+yes,0.25
    """
    return _SafeWriter(f, **fmtparams)


def _same_file(a, b) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (or cannot be examined): compare the resolved names
        return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def _new_file_mode() -> int:
    """The mode ``open(path, "w")`` would give a new file: 0o666 less the umask."""
    try:
        with open("/proc/self/status") as f:  # Linux: the umask without changing it
            for line in f:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: read it by setting it (and putting it back at once)
    os.umask(mask)
    return 0o666 & ~mask


def refuse_inputs(path, protect):
    """Raise ``ValueError`` if ``path`` is one of the files in ``protect`` (under any name: the same
    file through a link or another spelling counts); folders in ``protect`` are ignored.

    A command calls it before its work, so that an output that would replace an input is refused
    before anything is computed; :func:`atomic_write` calls it again before writing.
    """
    path = os.fspath(path)
    for other in protect:
        other = os.fspath(other)
        if os.path.isdir(other):
            continue
        if _same_file(path, other):
            raise ValueError(f"refusing to write {path}: it is the input file {other}")


@contextlib.contextmanager
def atomic_write(path, mode="w", *, protect=(), encoding=None, newline=None):
    """Context manager: a file object whose content replaces ``path`` only when the block succeeds.

    Parameters
    ----------
    path : str or path-like
        The file to write. A symbolic link is followed: the file it points to is replaced.
    mode : {"w", "wb"}, default="w"
    protect : iterable of str or path-like, default=()
        Paths that must not be overwritten (the command's inputs); folders in it are ignored.
    encoding, newline : str or None
        As for :func:`open` (text mode only); pass ``newline=""`` for :mod:`csv`.

    Raises
    ------
    ValueError
        Before anything is written, if ``path`` is one of ``protect`` (the same file under any
        name), or exists and is not a regular file (a folder, a named pipe, a device).
    FileNotFoundError
        If the folder of ``path`` does not exist.

    Notes
    -----
    The new file gets the mode of the file it replaces, or the usual mode of a new file (0o666
    less the umask). The temporary file (``.<name>.<random>.tmp`` beside the target) is removed
    when the block raises; the target is then untouched.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn_wavefront._csv import atomic_write
    >>> folder = tempfile.mkdtemp()
    >>> target = os.path.join(folder, "out.csv")
    >>> with atomic_write(target, newline="") as f:
    ...     _ = f.write("path,label\\n")
    >>> open(target).read()
    'path,label\\n'
    >>> with atomic_write(target, protect=[target]) as f:  # doctest: +ELLIPSIS
    ...     pass
    Traceback (most recent call last):
    ...
    ValueError: refusing to write .../out.csv: it is the input file .../out.csv
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', got mode={mode!r}")
    path = os.fspath(path)
    refuse_inputs(path, protect)
    target = os.path.realpath(path)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise ValueError(f"refusing to write {path}: it is {kind}")
    folder = os.path.dirname(target) or "."
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {path}: the folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(target)}.", suffix=".tmp")
    try:
        os.chmod(tmp, stat.S_IMODE(st.st_mode) if st is not None else _new_file_mode())
        text = {} if mode == "wb" else {"encoding": encoding, "newline": newline}
        with os.fdopen(fd, mode, **text) as f:
            fd = None
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
        tmp = None
        _fsync_folder(folder)
    finally:
        if fd is not None:
            os.close(fd)
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.remove(tmp)


def _fsync_folder(folder):
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    with contextlib.suppress(OSError):
        dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
