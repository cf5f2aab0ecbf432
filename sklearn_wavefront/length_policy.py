"""The length policy: recordings of any lengths brought to a form every model takes, and said so.

Recordings are never cut silently (:func:`apply_length_policy`): with a forced ``duration`` every
recording is cropped or zero-padded to it; otherwise all are zero-padded to the longest when that is
at most ``max_duration`` seconds, and beyond it the models are trained on segments of
``max_duration`` seconds (:class:`~sklearn_wavefront.segmenting.SegmentedClassifier`, shorter
recordings padded to one segment, recording-level decision by mean probability). What was done is
counted in a :class:`LengthPolicy` and reported in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._options import option

__all__ = ["LengthPolicy", "apply_length_policy"]

@dataclass
class LengthPolicy:
    """What was done to the recordings' lengths (see :func:`apply_length_policy`)."""

    mode: str  # "equal", "pad", "crop", "segment"
    target_seconds: float
    n_recordings: int
    n_padded: int = 0
    n_cropped: int = 0
    n_segmented: int = 0
    n_segments: int = 0
    max_pad_seconds: float = 0.0
    max_crop_seconds: float = 0.0
    shortest_seconds: float = 0.0
    longest_seconds: float = 0.0
    cap_seconds: float | None = None
    segment_seconds: float | None = None
    message: str = field(default="")

    def as_dict(self):
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def apply_length_policy(recordings, sample_rate, duration=None, max_duration=10.0, option_style="python"):
    """Bring recordings of any lengths to a form every model takes, and say what was done.

    Parameters
    ----------
    recordings : list of 1-D arrays or 2-D array
        The waveforms.
    sample_rate : int
        Their rate in Hz.
    duration : float or None
        Force this length (seconds): longer recordings are cropped at the end, shorter ones
        zero-padded at the end.
    max_duration : float
        Without ``duration``: pad to the longest recording when it is at most this long;
        otherwise segment every recording into pieces of this length (recording-level decisions).
    option_style : {"python", "cli"}
        How the message names ``duration`` and ``max_duration`` (``max_duration=10.0`` or
        ``--max-duration 10``).

    Returns
    -------
    X : ndarray of shape (n, n_samples), or object array of 1-D arrays (``mode="segment"``)
    policy : LengthPolicy

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_wavefront.length_policy import apply_length_policy
    >>> X, p = apply_length_policy([np.ones(800), np.ones(1000)], 1000)
    >>> X.shape, p.mode, p.n_padded
    ((2, 1000), 'pad', 1)
    >>> X, p = apply_length_policy([np.ones(800), np.ones(3000)], 1000, max_duration=1.0)
    >>> p.mode, p.n_segmented, p.n_segments, p.n_padded
    ('segment', 1, 4, 1)
    """
    recs = [np.asarray(r, dtype=np.float32) for r in recordings]
    sr = float(sample_rate)
    lengths = np.array([len(r) for r in recs])
    n = len(recs)
    base = dict(n_recordings=n, shortest_seconds=float(lengths.min() / sr), longest_seconds=float(lengths.max() / sr))
    if duration is not None:
        target = int(round(duration * sr))
        X = np.zeros((n, target), dtype=np.float32)
        for row, r in zip(X, recs):
            row[: min(target, len(r))] = r[:target]
        crop = np.clip(lengths - target, 0, None) / sr
        pad = np.clip(target - lengths, 0, None) / sr
        p = LengthPolicy("crop" if (crop > 0).any() else ("pad" if (pad > 0).any() else "equal"), target / sr,
                         n_padded=int((pad > 0).sum()), n_cropped=int((crop > 0).sum()),
                         max_pad_seconds=float(pad.max()), max_crop_seconds=float(crop.max()), **base)
        p.message = (
            f"{option('duration', duration, option_style)}: every recording set to {target / sr:g} s; "
            f"{p.n_cropped} of {n} cropped at the end (by up to {p.max_crop_seconds:.2f} s, "
            f"{float(crop.sum()):.1f} s of audio dropped), {p.n_padded} zero-padded (by up to {p.max_pad_seconds:.2f} s)"
        )
        return X, p
    longest = int(lengths.max())
    cap = int(round(max_duration * sr))
    if longest <= cap:
        pad = (longest - lengths) / sr
        X = np.zeros((n, longest), dtype=np.float32)
        for row, r in zip(X, recs):
            row[: len(r)] = r
        p = LengthPolicy("pad" if (pad > 0).any() else "equal", longest / sr, n_padded=int((pad > 0).sum()),
                         max_pad_seconds=float(pad.max()), cap_seconds=float(max_duration), **base)
        if p.mode == "equal":
            p.message = f"all {n} recordings are {longest / sr:g} s long: nothing padded or cut"
        else:
            p.message = (
                f"lengths {p.shortest_seconds:.2f}-{p.longest_seconds:.2f} s: {p.n_padded} of {n} recordings "
                f"zero-padded at the end to the longest, {longest / sr:.2f} s (by up to {p.max_pad_seconds:.2f} s, "
                f"mean {float(pad.mean()):.2f} s); none cut"
            )
        return X, p
    from .segmenting import segment_signals

    _, rec_index = segment_signals(recs, cap, cap)
    counts = np.bincount(rec_index, minlength=n)
    X = np.empty(n, dtype=object)
    for i, r in enumerate(recs):
        X[i] = r
    p = LengthPolicy("segment", cap / sr, n_padded=int((lengths < cap).sum()),
                     n_segmented=int((lengths > cap).sum()), n_segments=int(counts.sum()),
                     max_pad_seconds=float(np.clip(cap - lengths, 0, None).max() / sr), cap_seconds=float(max_duration),
                     segment_seconds=cap / sr, **base)
    p.message = (
        f"lengths {p.shortest_seconds:.2f}-{p.longest_seconds:.2f} s exceed {option('max_duration', max_duration, option_style)}: "
        f"every model is trained on {cap / sr:g} s segments and decides per recording (mean probability); "
        f"{p.n_segmented} of {n} recordings cut into {int(counts[lengths > cap].sum())} segments "
        f"(the last of each ends at the recording's end), {p.n_padded} shorter ones zero-padded to one segment "
        f"(by up to {p.max_pad_seconds:.2f} s); no audio dropped"
    )
    return X, p
