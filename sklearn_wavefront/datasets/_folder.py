"""Load a folder of audio files described by a CSV of labels and per-recording columns."""

from __future__ import annotations

import csv
import io
import numbers
import os
import stat
import struct
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly
from sklearn.utils import Bunch

__all__ = ["load_audio_folder", "read_audio", "AudioFileError"]

_RESERVED = {"data", "target", "sample_rate", "paths", "lengths", "original_sample_rates", "columns",
             "skipped", "DESCR"}


class _SkipFile(Exception):
    """A file that could not be used; carries the reason."""


class AudioFileError(ValueError):
    """An audio file that cannot be used as a recording; the message names the file and says why.

    Attributes
    ----------
    path : str
        The file.
    reason : str
        Why, without the file name (e.g. ``"is not a regular file (a named pipe)"``).
    """

    def __init__(self, path, reason):
        super().__init__(f"audio file {path} {reason}")
        self.path = str(path)
        self.reason = reason


_FILE_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_regular(mode):
    """``None`` for a regular file, else what the file is (for the message)."""
    if stat.S_ISREG(mode):
        return None
    for test, what in _FILE_KINDS:
        if test(mode):
            return what
    return "a special file"


def _check_regular(path):
    """Raise :class:`_SkipFile` unless ``path`` is (a link to) an existing regular file, without opening it.

    A named pipe would block ``open`` until something writes to it (forever, for a stray FIFO
    called ``x.wav``), and a device such as ``/dev/urandom`` never ends.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise _SkipFile(f"is a broken symbolic link (to {os.readlink(path)}, which does not exist)") from None
        raise _SkipFile("file not found") from None
    except OSError as exc:
        raise _SkipFile(f"cannot be examined ({exc.strerror or exc})") from exc
    what = _not_regular(st.st_mode)
    if what is not None:
        raise _SkipFile(f"is not a regular file ({what}); only regular audio files can be read")


def _open_regular(path):
    """Open ``path`` for reading, race-free: opened without blocking (a FIFO swapped in after
    :func:`_check_regular` cannot hang the open) and checked again on the open descriptor."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _SkipFile(f"cannot be opened ({exc.strerror or exc})") from exc
    try:
        what = _not_regular(os.fstat(fd).st_mode)
        if what is not None:
            raise _SkipFile(f"is not a regular file ({what}); only regular audio files can be read")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _check_rate(sample_rate):
    if sample_rate is None:
        return None
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, numbers.Real) or not sample_rate > 0 \
            or float(sample_rate) != int(sample_rate):
        raise ValueError(f"sample_rate must be a positive whole number of Hz or None, got sample_rate={sample_rate!r}")
    return int(sample_rate)


def _check_duration(duration):
    if duration is None:
        return None
    if isinstance(duration, bool) or not isinstance(duration, numbers.Real) or not np.isfinite(duration) \
            or duration <= 0:
        raise ValueError(f"duration must be a positive number of seconds or None, got duration={duration!r}")
    return float(duration)


def resample(x, orig_rate, target_rate):
    """Resample ``x`` from ``orig_rate`` to ``target_rate`` Hz with :func:`scipy.signal.resample_poly`.

    The rational factor ``target_rate / orig_rate`` is reduced (e.g. 44100 -> 2000 Hz is up 20,
    down 441); the output has ``ceil(len(x) * target_rate / orig_rate)`` samples.
    """
    if int(orig_rate) == int(target_rate):
        return np.asarray(x, dtype=np.float32)
    ratio = Fraction(int(target_rate), int(orig_rate))
    return resample_poly(np.asarray(x, dtype=np.float64), ratio.numerator, ratio.denominator).astype(np.float32)


def _declared_frames(f):
    """``(declared, present)`` sample frames of an uncompressed WAV, RF64 or AIFF file, else ``None``.

    ``f`` is the open binary file (read from its start). libsndfile reads such a file whose sample
    data is shorter than its header says without a word, and even reports the shorter length as the
    file's: only the header itself tells. Streaming writers that leave the size open (0, or
    0xFFFFFFFF without an RF64 ``ds64`` chunk) give ``None``.
    """
    try:
        f.seek(0)
        total = os.fstat(f.fileno()).st_size
        head = f.read(12)
        if len(head) < 12:
            return None
        if head[:4] in (b"RIFF", b"RIFX", b"RF64") and head[8:12] == b"WAVE":
            return _riff_frames(f, total, "<" if head[:4] != b"RIFX" else ">")
        if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
            return _aiff_frames(f, total, compressed=head[8:12] == b"AIFC")
    except (OSError, struct.error):
        return None
    return None


def _riff_frames(f, total, endian):
    block_align, size64 = 0, None
    while True:
        chunk = f.read(8)
        if len(chunk) < 8:
            return None
        cid, size = chunk[:4], struct.unpack(endian + "I", chunk[4:])[0]
        if cid == b"ds64":  # RF64: the real sizes, 64-bit (riff size, data size, sample count)
            body = f.read(min(size, 24))
            if len(body) >= 16:
                size64 = struct.unpack("<Q", body[8:16])[0]
            f.seek(size - len(body) + (size & 1), os.SEEK_CUR)
        elif cid == b"fmt ":
            fmt = f.read(min(size, 16))
            if len(fmt) < 14:
                return None
            block_align = struct.unpack(endian + "H", fmt[12:14])[0]
            f.seek(size - len(fmt) + (size & 1), os.SEEK_CUR)
        elif cid == b"data":
            if size == 0xFFFFFFFF and size64 is not None:
                size = size64
            if block_align == 0 or size in (0, 0xFFFFFFFF):
                return None
            return size // block_align, (total - f.tell()) // block_align
        else:
            f.seek(size + (size & 1), os.SEEK_CUR)


_AIFC_PLAIN = {b"NONE", b"sowt", b"twos", b"fl32", b"FL32", b"fl64", b"FL64", b"in24", b"in32", b"raw "}


def _aiff_frames(f, total, compressed):
    channels = frames = width = None
    while True:
        chunk = f.read(8)
        if len(chunk) < 8:
            return None
        cid, size = chunk[:4], struct.unpack(">I", chunk[4:])[0]
        if cid == b"COMM":
            body = f.read(size)
            if len(body) < 8:
                return None
            channels, frames, bits = struct.unpack(">hIh", body[:8])
            if compressed and (len(body) < 22 or body[18:22] not in _AIFC_PLAIN):
                return None  # compressed sample data: sizes are not frames * width
            if compressed and body[18:22] in (b"fl32", b"FL32"):
                bits = 32
            elif compressed and body[18:22] in (b"fl64", b"FL64"):
                bits = 64
            width = channels * ((bits + 7) // 8)
            if size & 1:
                f.seek(1, os.SEEK_CUR)
        elif cid == b"SSND":
            if not (channels and width) or frames is None:
                return None
            offset = struct.unpack(">I", f.read(8)[:4])[0]
            present = max(0, total - f.tell() - offset) // width
            return frames, present
        else:
            f.seek(size + (size & 1), os.SEEK_CUR)


def _read_one(path, sample_rate):
    """Mono float32 samples of ``path`` (channels averaged), resampled; raise _SkipFile on trouble."""
    from .._validation import MAX_ABS_SAMPLE

    _check_regular(path)
    with _open_regular(path) as f:
        # libsndfile reads the checked descriptor itself (through /proc/self/fd where there is one),
        # not through soundfile's Python read callbacks: a Ctrl-C that lands in a callback is
        # swallowed by cffi ("Exception ignored from cffi callback") and the file then looks unreadable
        native = f"/proc/self/fd/{f.fileno()}"
        source = native if os.path.exists(native) else f
        try:
            x, rate = sf.read(source, dtype="float32", always_2d=True)
        except Exception as exc:  # soundfile raises LibsndfileError, RuntimeError, TypeError...
            said = _without_handle(exc).replace(native, str(path))
            raise _SkipFile(f"unreadable ({type(exc).__name__}: {said})") from exc
        if x.shape[0] == 0:
            raise _SkipFile("holds no samples")
        frames = _declared_frames(f)
    if frames is not None and frames[1] < frames[0]:
        raise _SkipFile(
            f"is truncated: its header declares {frames[0]} sample frames but only {frames[1]} are present"
        )
    if not np.all(np.isfinite(x)):
        bad = np.flatnonzero(~np.isfinite(x).all(axis=1))
        raise _SkipFile(
            f"contains {bad.size} NaN or infinite sample(s) (the first at {bad[0] / rate:.4g} s, frame {bad[0]})"
        )
    peak = float(np.abs(x).max())
    if peak > MAX_ABS_SAMPLE:
        loud = np.flatnonzero((np.abs(x) > MAX_ABS_SAMPLE).any(axis=1))
        raise _SkipFile(
            f"holds samples of magnitude up to {peak:.3g} ({loud.size} frame(s) beyond {MAX_ABS_SAMPLE:.0e}, the "
            f"first at {loud[0] / rate:.4g} s), which overflow the float32 envelopes and gradients; scale it "
            "down (audio is usually within [-1, 1])"
        )
    x = x.mean(axis=1)
    if sample_rate is not None:
        x = resample(x, rate, sample_rate)
    return x, int(rate)


def _without_handle(exc):
    """soundfile's message, with the file object's repr (``<_io.BufferedReader name=...>``) shortened."""
    return str(exc).replace("<_io.BufferedReader name=", "<").replace("<_io.FileIO name=", "<")


def read_audio(path, sample_rate=None):
    """Read one audio file as the folder loader does, or raise an error naming the file.

    The checks of :func:`load_audio_folder`, for one file at a time (``wavefront predict`` reads
    its inputs with it): the file must be an existing regular file (a named pipe, a device, a
    folder or a broken symbolic link is refused *before* it is opened, so nothing blocks), readable
    by soundfile, non-empty, no shorter than its WAV/AIFF header declares, and hold only finite
    samples of magnitude at most :data:`~sklearn_wavefront._validation.MAX_ABS_SAMPLE`.

    Parameters
    ----------
    path : str or path-like
    sample_rate : int or None, default=None
        Resample to this rate (see :func:`resample`); ``None`` keeps the file's rate.

    Returns
    -------
    x : ndarray of shape (n_samples,), float32
        Mono samples (channels averaged).
    rate : int
        The file's own sample rate in Hz (before resampling).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist (the message names it).
    AudioFileError
        (a ``ValueError``) for any other problem; the message is ``"audio file <path> <reason>"``.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, soundfile as sf
    >>> from sklearn_wavefront.datasets import read_audio
    >>> folder = tempfile.mkdtemp()
    >>> sf.write(os.path.join(folder, "a.wav"), np.zeros(800), 8000)
    >>> x, rate = read_audio(os.path.join(folder, "a.wav"), sample_rate=4000)
    >>> x.shape, rate
    ((400,), 8000)
    >>> os.mkfifo(os.path.join(folder, "pipe.wav"))
    >>> read_audio(os.path.join(folder, "pipe.wav"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sklearn_wavefront.datasets._folder.AudioFileError: audio file .../pipe.wav is not a regular file (a named pipe (FIFO)); ...
    """
    sample_rate = _check_rate(sample_rate)
    try:
        return _read_one(os.fspath(path), sample_rate)
    except _SkipFile as exc:
        if str(exc) == "file not found":
            raise FileNotFoundError(f"audio file {path}: file not found") from None
        raise AudioFileError(path, str(exc)) from exc.__cause__


def _read_files(paths, *, sample_rate, duration, on_error, listed_in):
    """Read ``paths``; returns data (list), kept positions, original rates, lengths, skipped list."""
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got on_error={on_error!r}")
    sample_rate = _check_rate(sample_rate)
    duration = _check_duration(duration)
    data, kept, rates, skipped = [], [], [], []
    for i, path in enumerate(paths):
        try:
            x, rate = _read_one(path, sample_rate)
        except _SkipFile as exc:
            if on_error == "raise":
                err = FileNotFoundError if str(exc) == "file not found" else ValueError
                raise err(
                    f"audio file {path} (listed in {listed_in}) {exc}; fix or remove it, "
                    "or pass on_error='skip' to leave such files out"
                ) from exc.__cause__
            skipped.append((str(path), str(exc)))
            continue
        data.append(x)
        kept.append(i)
        rates.append(rate)
    if skipped:
        shown = "; ".join(f"{p}: {why}" for p, why in skipped[:5])
        more = f" (and {len(skipped) - 5} more)" if len(skipped) > 5 else ""
        warnings.warn(
            f"on_error='skip': left out {len(skipped)} of {len(paths)} files listed in {listed_in}: "
            f"{shown}{more}; the list is in the returned Bunch's 'skipped'",
            UserWarning,
            stacklevel=3,
        )
    if not data:
        raise ValueError(f"no readable audio file among the {len(paths)} listed in {listed_in}")
    if sample_rate is None:
        distinct = sorted(set(rates))
        if len(distinct) > 1:
            examples = {r: str(paths[kept[rates.index(r)]]) for r in distinct}
            raise ValueError(
                f"the files listed in {listed_in} have different sample rates {distinct} "
                f"(e.g. {examples}); pass sample_rate=... to resample them all to one rate"
            )
        sample_rate = distinct[0]
    lengths = np.array([len(x) for x in data])
    if duration is not None:
        n = int(round(duration * sample_rate))
        fixed = np.zeros((len(data), n), dtype=np.float32)
        for row, x in zip(fixed, data):
            row[: min(n, len(x))] = x[:n]
        data = fixed
    return data, np.asarray(kept), np.asarray(rates), lengths, skipped, sample_rate


def _exact_int(text):
    """``int(text)`` when it writes back as ``text`` (no leading zeros, ``+``, ``_``), else ``None``."""
    try:
        value = int(text)
    except ValueError:
        return None
    return value if str(value) == text else None


def _exact_float(text):
    """``float(text)`` when ``text`` is how Python writes that number (or an exact int), else ``None``."""
    if _exact_int(text) is not None:
        return float(text)
    try:
        value = float(text)
    except ValueError:
        return None
    return value if repr(value) == text and np.isfinite(value) else None


def _convert_column(values):
    """Numbers only when that loses nothing, else the strings.

    A column becomes int64 when every value (surrounding blanks aside) is an integer written the
    way Python writes it (``"7"``, ``"-3"``; not ``"007"``, ``"+3"``, ``"1_0"``), float64 when every
    value is such an integer or a float written as Python writes it (``"0.5"``; not ``"0.50"``,
    ``"1e3"``) and no two distinct values become the same number (``"1"`` and ``"1.0"``);
    otherwise it stays an object array of the original strings. So distinct labels are never
    merged and a label's spelling survives a round trip.
    """
    stripped = [str(v).strip() for v in values]
    ints = [_exact_int(t) for t in stripped]
    if all(v is not None for v in ints):
        return np.array(ints, dtype=np.int64)
    floats = [_exact_float(t) for t in stripped]
    if all(v is not None for v in floats) and len(set(floats)) == len(set(stripped)):
        return np.array(floats, dtype=np.float64)
    return np.array(values, dtype=object)


def _read_csv(labels_path, encoding):
    """Header and ``(line number, row)`` pairs of the CSV; the encoding as described in the loader."""
    # cp1252 is what spreadsheet programs on Windows write; latin-1 decodes any byte at all
    tries = ["utf-8-sig", "cp1252", "latin-1"] if encoding is None else [encoding]
    for enc in tries:
        try:
            with open(labels_path, newline="", encoding=enc) as f:
                text = f.read()
        except LookupError as exc:
            raise ValueError(f"encoding={encoding!r} is not a text encoding Python knows") from exc
        except UnicodeDecodeError as exc:
            if encoding is not None:
                raise ValueError(
                    f"{labels_path} cannot be read as {encoding} ({exc.reason} at byte {exc.start}); "
                    "pass the file's encoding as encoding=..."
                ) from exc
            continue  # not this encoding: try the next
        if "\x00" in text:  # NUL characters: a UTF-16/32 file read as an 8-bit encoding
            raise ValueError(
                f"{labels_path} holds NUL characters when read as {enc}: it is probably UTF-16 (as some "
                "spreadsheet programs write); save it as CSV UTF-8 or pass encoding='utf-16'"
            )
        reader = csv.reader(io.StringIO(text, newline=""))
        fields = next(reader, [])
        # rows with no content at all (blank lines, or ",," left by a spreadsheet) are not records
        rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
        if enc != "utf-8-sig" and encoding is None:
            warnings.warn(
                f"{labels_path} is not valid UTF-8; it was read as {enc} (pass encoding=... if that is wrong)",
                UserWarning,
                stacklevel=3,
            )
        return fields, rows
    raise AssertionError("unreachable: latin-1 decodes every byte")  # pragma: no cover


def _drop_empty_trailing(fields, rows):
    """Drop trailing columns that have no name and no content (spreadsheets leave ``path,label,,``),
    and empty cells past the last column (``a.wav,yes,``): they hold nothing that could be lost."""
    n = len(fields)
    while n and not fields[n - 1].strip() and all(len(r) < n or not r[n - 1].strip() for _, r in rows):
        n -= 1
    fields = fields[:n]
    rows = [(line, r[:n] if all(not c.strip() for c in r[n:]) else r) for line, r in rows]
    return fields, rows


def _check_rows(labels_path, fields, rows, path_column, target_column):
    """Every row has one cell per column, a path and a label; the column names are distinct."""
    seen, dup = set(), []
    for name in fields:
        if name in seen and name not in dup:
            dup.append(name)
        seen.add(name)
    if dup:
        raise ValueError(
            f"{labels_path} has duplicate column name(s) {dup}; every column needs its own name "
            "(otherwise one of them would be silently ignored)"
        )
    for line, row in rows:
        if len(row) != len(fields):
            raise ValueError(
                f"{labels_path}, line {line}: {len(row)} cells for the {len(fields)} columns {fields}"
            )
        cells = dict(zip(fields, row))
        for col, what in ((path_column, "path"), (target_column, "label")):
            if not cells[col].strip():
                raise ValueError(f"{labels_path}, line {line}: the {what} column {col!r} is empty")


def _check_duplicates(labels_path, paths, lines, on_duplicate):
    """Positions of the rows to keep; a file listed twice could sit in a training and a test fold."""
    first, dups = {}, []
    for i, p in enumerate(paths):
        key = os.path.normcase(os.path.realpath(p))
        if key in first:
            dups.append((first[key], i))
        else:
            first[key] = i
    if not dups:
        return list(range(len(paths)))
    shown = "; ".join(f"{paths[j]} on lines {lines[i]} and {lines[j]}" for i, j in dups[:3])
    more = f" (and {len(dups) - 3} more)" if len(dups) > 3 else ""
    if on_duplicate == "raise":
        raise ValueError(
            f"{labels_path} lists {len(dups)} file(s) more than once: {shown}{more}; a recording listed twice "
            "can end up in a training and a test fold. Remove the repeats, or pass on_duplicate='first' "
            "to keep each file's first row"
        )
    warnings.warn(
        f"on_duplicate='first': {len(dups)} repeated row(s) of {labels_path} left out: {shown}{more}",
        UserWarning,
        stacklevel=3,
    )
    dropped = {j for _, j in dups}
    return [i for i in range(len(paths)) if i not in dropped]


def load_audio_folder(root, labels="labels.csv", sample_rate=None, duration=None, *, path_column="path",
                      target_column="label", on_error="raise", on_duplicate="raise", encoding=None,
                      return_X_y=False):
    """Load the recordings of a folder described by a CSV file.

    The CSV has a header row; ``path_column`` holds file paths relative to ``root`` (or
    absolute), ``target_column`` the labels, and every other column (speaker, domain, subject,
    ...) is returned as an array under its own name. Files are read with ``soundfile`` (WAV,
    FLAC, OGG, MP3), mixed down to mono by averaging the channels, and returned as float32.

    Parameters
    ----------
    root : str or path-like
        The folder.
    labels : str or path-like, default="labels.csv"
        The CSV file, relative to ``root`` or absolute.
    sample_rate : int or None, default=None
        Resample every file to this rate (:func:`scipy.signal.resample_poly`). ``None`` keeps
        the files' rate, which must then be the same for all (otherwise a ``ValueError`` lists
        the rates found).
    duration : float or None, default=None
        If given, every recording is cut or zero-padded at the end to ``round(duration *
        sample_rate)`` samples and ``data`` is a 2-D array; the original lengths stay in
        ``lengths``. If ``None``, ``data`` is a list of 1-D arrays of their own lengths.
    path_column, target_column : str, default="path", "label"
        Names of the CSV columns with the file paths and the labels.
    on_error : {"raise", "skip"}, default="raise"
        A missing file raises ``FileNotFoundError``; an unreadable or empty one, a WAV file shorter
        than its header declares (truncated), one holding NaN or infinite samples or samples beyond
        ``MAX_ABS_SAMPLE`` (1e10) in magnitude, a broken symbolic link, and anything that is not a
        regular file (a named pipe, a device, a folder: refused before it is opened, so nothing
        blocks) raise ``ValueError``; each message names the file (:func:`read_audio` applies the
        same checks to one file). With ``"skip"`` such files are left out, a
        warning says how many, and the Bunch's ``skipped`` lists ``(path, reason)`` pairs.
    on_duplicate : {"raise", "first"}, default="raise"
        A file listed on more than one row (same path after resolving ``..`` and links) raises
        ``ValueError`` naming the lines: it could otherwise sit in a training and a test fold.
        ``"first"`` keeps each file's first row and warns.
    encoding : str or None, default=None
        Text encoding of the CSV. ``None`` reads UTF-8 (with or without the byte-order mark that
        spreadsheet programs write) and, when the file is not valid UTF-8, Windows-1252 (what
        spreadsheet programs on Windows write) or else latin-1, with a warning.

    The CSV must have distinct column names, one cell per column on every row and a non-empty path
    and label on every row; otherwise a ``ValueError`` names the file and the line. Rows without any
    content, and trailing columns or cells that are empty and unnamed, are ignored.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of the Bunch.

    Returns
    -------
    bunch : :class:`~sklearn.utils.Bunch`
        ``data`` (list of float32 arrays, or an array of shape (n, round(duration*sample_rate))),
        ``target``, ``sample_rate`` (int), ``paths`` (str), ``lengths`` (samples after
        resampling, before ``duration``), ``original_sample_rates``, ``columns`` (names of the
        extra columns), one entry per extra column, ``skipped``. Columns whose values are all
        whole numbers are ``int64``, all numbers ``float64``, otherwise ``object`` arrays of
        ``str`` (empty cells stay ``""``); the same holds for ``target``. A column is converted
        only when no value changes meaning: every value must be written as Python writes the
        number (``"07"``, ``"+7"``, ``"1_0"``, ``"0.50"`` or ``"1e3"`` keep the whole column
        as strings) and distinct values must stay distinct numbers (``"1"`` and ``"1.0"``).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, soundfile as sf
    >>> from sklearn_wavefront.datasets import load_audio_folder
    >>> root = tempfile.mkdtemp()
    >>> sf.write(os.path.join(root, "a.wav"), np.zeros(800), 8000)
    >>> sf.write(os.path.join(root, "b.wav"), np.zeros(4000), 4000)
    >>> with open(os.path.join(root, "labels.csv"), "w") as f:
    ...     _ = f.write("path,label,speaker\\na.wav,yes,s1\\nb.wav,no,s2\\n")
    >>> bunch = load_audio_folder(root, sample_rate=2000)
    >>> [len(x) for x in bunch.data], bunch.target.tolist(), bunch.speaker.tolist()
    ([200, 2000], ['yes', 'no'], ['s1', 's2'])
    >>> load_audio_folder(root, sample_rate=2000, duration=0.5).data.shape
    (2, 1000)
    """
    root = Path(root)
    labels_path = Path(labels) if Path(labels).is_absolute() else root / labels
    if not labels_path.is_file():
        try:
            _check_regular(labels_path)
        except _SkipFile as exc:
            if str(exc) != "file not found":  # a FIFO, a device, a folder, a broken link: say so
                raise ValueError(f"labels file {labels_path} {exc}") from None
        raise FileNotFoundError(f"labels file not found: {labels_path} (labels={str(labels)!r}, root={str(root)!r})")
    if on_duplicate not in ("raise", "first"):
        raise ValueError(f"on_duplicate must be 'raise' or 'first', got on_duplicate={on_duplicate!r}")
    fields, numbered = _read_csv(labels_path, encoding)
    fields, numbered = _drop_empty_trailing(fields, numbered)
    for name, col in (("path_column", path_column), ("target_column", target_column)):
        if col not in fields:
            raise ValueError(f"{name}={col!r} is not a column of {labels_path}; its columns are {fields}")
    extra = [c for c in fields if c not in (path_column, target_column)]
    clash = sorted(set(extra) & _RESERVED)
    if clash:
        raise ValueError(f"columns {clash} of {labels_path} clash with reserved Bunch keys {sorted(_RESERVED)}; rename them")
    if not numbered:
        raise ValueError(f"{labels_path} lists no recordings")
    _check_rows(labels_path, fields, numbered, path_column, target_column)
    rows = [dict(zip(fields, row)) for _, row in numbered]
    lines = [line for line, _ in numbered]
    paths = [str(Path(r[path_column]) if Path(r[path_column]).is_absolute() else root / r[path_column]) for r in rows]
    keep = _check_duplicates(labels_path, paths, lines, on_duplicate)
    rows, paths = [rows[i] for i in keep], [paths[i] for i in keep]
    data, kept, rates, lengths, skipped, rate = _read_files(
        paths, sample_rate=sample_rate, duration=duration, on_error=on_error, listed_in=str(labels_path)
    )
    rows = [rows[i] for i in kept]
    target = _convert_column([r[target_column] for r in rows])
    if return_X_y:
        return data, target
    bunch = Bunch(
        data=data,
        target=target,
        sample_rate=rate,
        paths=np.array([paths[i] for i in kept], dtype=object),
        lengths=lengths,
        original_sample_rates=rates,
        columns=extra,
        skipped=skipped,
        DESCR=f"Audio recordings listed in {labels_path}",
    )
    for col in extra:
        bunch[col] = _convert_column([r[col] for r in rows])
    return bunch
