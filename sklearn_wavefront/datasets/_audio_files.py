"""The audio files among paths given on a command line: files as given, folders searched (``wavefront predict``)."""

from __future__ import annotations

import os

__all__ = ["audio_extensions", "find_audio_files"]


def audio_extensions():
    """File name endings of the formats soundfile reads (lower case, with the dot)."""
    import soundfile as sf

    exts = {f".{k.lower()}" for k in sf.available_formats()}
    return exts | {".oga", ".opus", ".aif", ".aiff", ".mp3"}


def find_audio_files(paths):
    """The audio files among ``paths``: files as given, folders searched recursively in sorted order.

    In a folder, every entry whose name ends like an audio file counts, regular or not (a named pipe
    called ``x.wav`` is listed, and :func:`~sklearn_wavefront.datasets.read_audio` then refuses it
    with a reason instead of blocking on it).

    Raises
    ------
    FileNotFoundError
        A path that is neither a file nor a folder, or a folder holding no audio file.
    """
    exts = audio_extensions()
    files = []
    for p in paths:
        if os.path.isdir(p):
            found = []
            for root, dirs, names in os.walk(p):
                dirs.sort()
                found += [os.path.join(root, n) for n in sorted(names) if os.path.splitext(n)[1].lower() in exts]
            if not found:
                raise FileNotFoundError(f"folder {p} holds no audio file ({', '.join(sorted(exts))})")
            files += found
        elif os.path.lexists(p):
            # a file, or something that is no regular file (a named pipe, a device, a broken symbolic
            # link): kept, so that the reader names it and says why (read_audio refuses the
            # non-regular ones before opening them, so nothing blocks)
            files.append(p)
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    return files
