"""Audio files one by one, as ``wavefront predict`` reads them: find them in folders, read one with a reason on failure."""

from __future__ import annotations

import os

__all__ = ["audio_extensions", "find_audio_files", "read_recording"]


def audio_extensions():
    """File name endings of the formats soundfile reads (lower case, with the dot)."""
    import soundfile as sf

    exts = {f".{k.lower()}" for k in sf.available_formats()}
    return exts | {".oga", ".opus", ".aif", ".aiff", ".mp3"}


def find_audio_files(paths):
    """The audio files among ``paths``: files as given, folders searched recursively in sorted order.

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
        elif os.path.isfile(p):
            files.append(p)
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    return files


def read_recording(path, sample_rate):
    """Mono float32 samples of the audio file ``path``, resampled to ``sample_rate`` Hz.

    The training loader's checks (unreadable, empty, truncated, NaN/inf) apply; a failure is a
    ``ValueError`` that names the file and the reason.
    """
    from ._folder import _read_one, _SkipFile

    try:
        x, _ = _read_one(path, sample_rate)
    except _SkipFile as exc:
        raise ValueError(f"audio file {path} {exc}") from exc
    return x
