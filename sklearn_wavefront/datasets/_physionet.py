"""Loader for the PhysioNet/CinC Challenge 2016 heart-sound training data layout."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._folder import _read_files

__all__ = ["load_physionet2016"]

_SUBSET = re.compile(r"^training-([a-z])$")


def load_physionet2016(root, subsets=None, sample_rate=None, duration=None, *, on_error="raise",
                       return_X_y=False):
    """Load the PhysioNet/CinC 2016 heart-sound recordings (``training-a`` ... ``training-f``).

    Expected layout (as distributed by PhysioNet)::

        root/training-a/REFERENCE.csv     lines "a0001,-1" (record name, label)
        root/training-a/a0001.wav ...
        root/training-b/...

    Labels are kept as in the files: ``1`` = abnormal, ``-1`` = normal (use ``pos_label=1`` in
    :mod:`sklearn_wavefront.metrics`). The domain of a recording is the letter of its subset
    (the six subsets come from different databases, devices and sites). The files carry no
    subject ids, so no ``groups`` are returned; split by record (and by subset for
    cross-domain experiments).

    Parameters
    ----------
    root : str or path-like
        Folder holding the ``training-*`` folders.
    subsets : iterable of str or None, default=None
        Letters to load, e.g. ``"abc"`` or ``["a", "e"]``; ``None`` loads every ``training-*``
        folder present.
    sample_rate : int or None, default=None
        Resample to this rate; ``None`` keeps the files' rate (2000 Hz in the official data),
        which must be the same for all.
    duration : float or None, default=None
        Cut or zero-pad every recording to this many seconds (``data`` becomes a 2-D array).
    on_error : {"raise", "skip"}, default="raise"
        What to do with a missing or unreadable file (see :func:`load_audio_folder`).
    return_X_y : bool, default=False
        Return ``(data, target)`` only.

    Returns
    -------
    bunch : :class:`~sklearn.utils.Bunch`
        ``data``, ``target`` (int, -1/1), ``domains`` (subset letters), ``records`` (names such
        as ``"a0001"``), ``paths``, ``sample_rate``, ``lengths``, ``skipped``.

    Raises
    ------
    FileNotFoundError
        If ``root`` holds no ``training-*`` folder, a requested subset is absent, or a subset
        has no ``REFERENCE.csv``.
    ValueError
        If a ``REFERENCE.csv`` line is malformed or has a label other than -1 or 1.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, soundfile as sf
    >>> from sklearn_wavefront.datasets import load_physionet2016
    >>> root = tempfile.mkdtemp()
    >>> os.makedirs(os.path.join(root, "training-a"))
    >>> sf.write(os.path.join(root, "training-a", "a0001.wav"), np.zeros(2000), 2000)
    >>> with open(os.path.join(root, "training-a", "REFERENCE.csv"), "w") as f:
    ...     _ = f.write("a0001,1\\n")
    >>> b = load_physionet2016(root)
    >>> b.target.tolist(), b.domains.tolist(), b.records.tolist(), b.sample_rate
    ([1], ['a'], ['a0001'], 2000)
    """
    root = Path(root)
    present = {}
    if root.is_dir():
        for child in sorted(root.iterdir()):
            m = _SUBSET.match(child.name)
            if m and child.is_dir():
                present[m.group(1)] = child
    if not present:
        raise FileNotFoundError(f"no training-* folder (PhysioNet 2016 layout) in {root}")
    if subsets is None:
        letters = sorted(present)
    else:
        letters = [str(s).lower().removeprefix("training-") for s in subsets]
        missing = [s for s in letters if s not in present]
        if missing:
            raise FileNotFoundError(
                f"subsets={list(subsets)!r}: no folder training-{missing[0]} in {root} "
                f"(present: {['training-' + s for s in sorted(present)]})"
            )
    records, labels, domains, paths = [], [], [], []
    for letter in letters:
        ref = present[letter] / "REFERENCE.csv"
        if not ref.is_file():
            raise FileNotFoundError(f"{ref} not found: every training-* folder needs its REFERENCE.csv")
        with open(ref, newline="", encoding="utf-8") as f:
            for lineno, row in enumerate(csv.reader(f), start=1):
                if not row or not "".join(row).strip():
                    continue
                if len(row) < 2:
                    raise ValueError(f"{ref} line {lineno}: expected 'record,label', got {','.join(row)!r}")
                name, label = row[0].strip(), row[1].strip()
                if label not in ("-1", "1"):
                    raise ValueError(f"{ref} line {lineno}: label must be -1 (normal) or 1 (abnormal), got {label!r}")
                records.append(name)
                labels.append(int(label))
                domains.append(letter)
                paths.append(str(present[letter] / f"{name}.wav"))
    if not records:
        raise ValueError(f"the REFERENCE.csv files of {root} list no recordings")
    data, kept, _, lengths, skipped, rate = _read_files(
        paths, sample_rate=sample_rate, duration=duration, on_error=on_error,
        listed_in=f"the REFERENCE.csv files of {root}",
    )
    target = np.asarray(labels, dtype=np.int64)[kept]
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        domains=np.asarray(domains, dtype=object)[kept],
        records=np.asarray(records, dtype=object)[kept],
        paths=np.asarray(paths, dtype=object)[kept],
        sample_rate=rate,
        lengths=lengths,
        skipped=skipped,
        DESCR="PhysioNet/CinC Challenge 2016 heart sounds (1 = abnormal, -1 = normal; domain = subset)",
    )
