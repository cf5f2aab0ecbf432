"""Frequency scales: mel (Slaney and HTK), ERB, and helpers that space filters on them.

All functions accept floats or numpy arrays and return numpy arrays (float64).
"""

from __future__ import annotations

import numpy as np

__all__ = ["hz_to_mel", "mel_to_hz", "erb_bandwidth", "mel_spaced", "mel_band_edges", "log_spaced_midpoints"]

# Slaney (Auditory Toolbox) mel scale: linear below 1 kHz, logarithmic above. This is librosa's default.
_F_SP = 200.0 / 3  # Hz per mel in the linear part
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOGSTEP = np.log(6.4) / 27.0


def hz_to_mel(hz, htk: bool = False):
    """Convert Hz to mel. ``htk=False`` (default) is the Slaney scale, ``htk=True`` is ``2595 log10(1 + f/700)``."""
    hz = np.asarray(hz, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + hz / 700.0)
    mel = hz / _F_SP
    log_part = hz >= _MIN_LOG_HZ
    return np.where(log_part, _MIN_LOG_MEL + np.log(np.maximum(hz, _MIN_LOG_HZ) / _MIN_LOG_HZ) / _LOGSTEP, mel)


def mel_to_hz(mel, htk: bool = False):
    """Inverse of :func:`hz_to_mel`."""
    mel = np.asarray(mel, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)
    hz = _F_SP * mel
    log_part = mel >= _MIN_LOG_MEL
    return np.where(log_part, _MIN_LOG_HZ * np.exp(_LOGSTEP * (mel - _MIN_LOG_MEL)), hz)


def erb_bandwidth(hz):
    """Equivalent rectangular bandwidth (Glasberg & Moore 1990): ``24.7 (4.37 f / 1000 + 1)`` Hz."""
    return 24.7 * (4.37 * np.asarray(hz, dtype=np.float64) / 1000.0 + 1.0)


def mel_band_edges(fmin: float, fmax: float, n_bands: int, htk: bool = False):
    """``n_bands + 1`` edges equally spaced on the mel scale from ``fmin`` to ``fmax`` (inclusive), in Hz.

    Band ``i`` is ``[edges[i], edges[i + 1]]``: exactly ``n_bands`` adjacent bands covering the range.
    """
    return mel_to_hz(np.linspace(hz_to_mel(fmin, htk), hz_to_mel(fmax, htk), n_bands + 1), htk)


def mel_spaced(fmin: float, fmax: float, n: int, htk: bool = False):
    """``n`` centre frequencies: the interior points of ``n + 2`` mel-equispaced points over [fmin, fmax].

    They stay strictly inside (fmin, fmax), away from 0 and the Nyquist frequency where the
    gradient of a sigmoid-parameterised frequency vanishes.
    """
    return mel_band_edges(fmin, fmax, n + 1, htk)[1:-1]


def log_spaced_midpoints(fmin: float, fmax: float, n: int):
    """``n`` frequencies evenly spaced on a log scale covering the *whole* of [fmin, fmax].

    Frequency ``i`` sits at the log-centre of the ``i``-th of ``n`` equal log-bands, i.e.
    ``fmin (fmax/fmin)^((i + 1/2) / n)``, so the first and last bands reach fmin and fmax.
    """
    u = (np.arange(n, dtype=np.float64) + 0.5) / n
    return fmin * (fmax / fmin) ** u
