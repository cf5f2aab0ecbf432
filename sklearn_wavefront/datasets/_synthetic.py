"""Synthetic waveform data sets, deterministic given ``random_state``.

These are the built-in data of the examples and of the command line: they need no download,
and their content is known exactly (pitch of each tone, S1/S2 times of each heart beat), so
tests can check what a front-end learns.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from scipy.signal import butter, sosfilt
from sklearn.utils import Bunch, check_random_state

from .._validation import check_positive_int

__all__ = ["make_harmonic_tones", "make_heart_sounds"]


def _check_float(name, value, *, low=0.0, allow_low=False):
    ok = not isinstance(value, bool) and isinstance(value, numbers.Real) and np.isfinite(value)
    if not ok or value < low or (value == low and not allow_low):
        bound = f">= {low}" if allow_low else f"> {low}"
        raise ValueError(f"{name} must be a finite number {bound}, got {name}={value!r}")
    return float(value)


def _fade(n, sample_rate, seconds=0.01):
    """Raised-cosine fade in and out of ``seconds`` (avoids clicks at the edges)."""
    env = np.ones(n)
    k = min(int(seconds * sample_rate), n // 2)
    if k > 0:
        ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(k) / k)
        env[:k] = ramp
        env[n - k:] = ramp[::-1]
    return env


def make_harmonic_tones(n_samples=200, n_classes=4, *, sample_rate=8000, duration=0.5, fmin=220.0,
                        n_harmonics=5, detune_cents=20.0, n_domains=1, noise=0.1, shuffle=True,
                        random_state=None, return_X_y=False):
    """Harmonic tones of ``n_classes`` pitches in coloured noise; the class is the pitch.

    Class ``k`` has the fundamental ``fmin * 2 ** (k / 12)`` (semitone steps), detuned per
    sample by a uniform random amount of at most ``detune_cents`` (keep it below 50 cents, half
    a semitone, for the classes to stay apart). A tone is ``sum_h a_h sin(2 pi h f0 t + phi_h)``
    for ``h = 1..n_harmonics`` with random phases, a 10 ms raised-cosine fade in and out, a
    random gain in [0.5, 1], and Gaussian noise of standard deviation ``noise`` times the tone's
    RMS.

    Domains change the *timbre and colouring*, never the pitch: domain ``d`` of ``D`` uses
    harmonic amplitudes ``a_h = h ** -p_d`` with ``p_d`` evenly spaced in [0.7, 2.0] (``p = 1``
    when ``D = 1``), and noise passed through a one-pole low-pass ``y[n] = c_d y[n-1] + x[n]``
    with ``c_d`` evenly spaced in [0, 0.9] (white noise in domain 0), rescaled to the same RMS.
    Since every ``a_h < a_1``, the strongest spectral peak of a clean tone is its fundamental.
    Samples are spread evenly over classes, and within each class evenly over domains.

    Parameters
    ----------
    n_samples : int, default=200
        Number of tones.
    n_classes : int, default=4
        Number of pitches.
    sample_rate : int, default=8000
        Hz.
    duration : float, default=0.5
        Seconds per tone.
    fmin : float, default=220.0
        Fundamental of class 0 in Hz.
    n_harmonics : int, default=5
        Harmonics per tone (including the fundamental); the highest must stay below Nyquist.
    detune_cents : float, default=20.0
        Largest random detuning, in cents.
    n_domains : int, default=1
        Number of timbre/colouring domains.
    noise : float, default=0.1
        Noise RMS relative to the tone RMS.
    shuffle : bool, default=True
        Shuffle the order of the samples (otherwise sorted by class, then domain).
    random_state : int, RandomState instance or None, default=None
        Determines all randomness.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of the Bunch.

    Returns
    -------
    bunch : :class:`~sklearn.utils.Bunch`
        ``data`` float32 array (n_samples, round(duration * sample_rate)), ``target`` int
        class, ``domains`` int domain, ``f0`` the fundamental of each sample in Hz,
        ``class_frequencies`` (n_classes,) nominal fundamentals, ``sample_rate``, ``DESCR``.

    Examples
    --------
    >>> from sklearn_wavefront.datasets import make_harmonic_tones
    >>> b = make_harmonic_tones(n_samples=8, n_classes=2, n_domains=2, random_state=0)
    >>> b.data.shape, b.data.dtype, sorted(b.target.tolist()), sorted(b.domains.tolist())
    ((8, 4000), dtype('float32'), [0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 1, 1, 1, 1])
    >>> b.class_frequencies.round(2).tolist()
    [220.0, 233.08]
    """
    n_samples = check_positive_int("n_samples", n_samples)
    n_classes = check_positive_int("n_classes", n_classes)
    n_harmonics = check_positive_int("n_harmonics", n_harmonics)
    n_domains = check_positive_int("n_domains", n_domains)
    sample_rate = check_positive_int("sample_rate", sample_rate)
    duration = _check_float("duration", duration)
    fmin = _check_float("fmin", fmin)
    detune_cents = _check_float("detune_cents", detune_cents, allow_low=True)
    noise = _check_float("noise", noise, allow_low=True)
    if n_samples < n_classes:
        raise ValueError(f"n_samples={n_samples} must be >= n_classes={n_classes}")
    class_f0 = fmin * 2.0 ** (np.arange(n_classes) / 12)
    top = n_harmonics * class_f0[-1] * 2 ** (detune_cents / 1200)
    if top >= sample_rate / 2:
        raise ValueError(
            f"the highest harmonic ({n_harmonics} x {class_f0[-1]:.1f} Hz = {top:.1f} Hz) reaches the "
            f"Nyquist frequency {sample_rate / 2:g} Hz; lower n_harmonics={n_harmonics}, fmin={fmin}, "
            f"n_classes={n_classes} or raise sample_rate={sample_rate}"
        )
    n_time = int(round(duration * sample_rate))
    if n_time < 2:
        raise ValueError(f"duration={duration} at sample_rate={sample_rate} gives fewer than 2 samples")
    rng = check_random_state(random_state)

    target = np.arange(n_samples) % n_classes
    target.sort(kind="stable")
    domains = np.zeros(n_samples, dtype=np.int64)
    for k in range(n_classes):
        idx = np.flatnonzero(target == k)
        domains[idx] = np.arange(len(idx)) % n_domains
    if shuffle:
        perm = rng.permutation(n_samples)
        target, domains = target[perm], domains[perm]

    powers = np.linspace(0.7, 2.0, n_domains) if n_domains > 1 else np.array([1.0])
    poles = np.linspace(0.0, 0.9, n_domains) if n_domains > 1 else np.array([0.0])
    t = np.arange(n_time) / sample_rate
    fade = _fade(n_time, sample_rate)
    h = np.arange(1, n_harmonics + 1)
    data = np.empty((n_samples, n_time), dtype=np.float32)
    f0 = class_f0[target] * 2.0 ** (rng.uniform(-detune_cents, detune_cents, n_samples) / 1200)
    for i in range(n_samples):
        d = domains[i]
        amps = h ** -powers[d]
        phases = rng.uniform(0, 2 * np.pi, n_harmonics)
        tone = np.sin(2 * np.pi * f0[i] * h[:, None] * t + phases[:, None]).T @ amps
        tone *= fade * rng.uniform(0.5, 1.0)
        white = rng.normal(size=n_time)
        coloured = sosfilt(np.array([[1.0, 0, 0, 1.0, -poles[d], 0]]), white) if poles[d] else white
        coloured *= noise * np.sqrt(np.mean(tone**2)) / (np.sqrt(np.mean(coloured**2)) + 1e-12)
        data[i] = tone + coloured
    if return_X_y:
        return data, target
    return Bunch(
        data=data, target=target, domains=domains, f0=f0, class_frequencies=class_f0,
        sample_rate=sample_rate,
        DESCR=f"{n_samples} harmonic tones, {n_classes} pitch classes from {fmin:g} Hz in semitone steps, "
              f"{n_domains} timbre domain(s)",
    )


def _split_counts(total, weights):
    """Integer counts proportional to ``weights`` summing to ``total`` (largest remainders)."""
    raw = np.asarray(weights, dtype=float) / np.sum(weights) * total
    counts = np.floor(raw).astype(int)
    for k in np.argsort(-(raw - counts), kind="stable")[: total - counts.sum()]:
        counts[k] += 1
    return counts


def _per_domain(name, value, n_domains, low, high):
    arr = np.atleast_1d(np.asarray(value, dtype=float))
    if arr.ndim != 1 or len(arr) not in (1, n_domains) or not np.all(np.isfinite(arr)) \
            or np.any(arr < low) or np.any(arr > high):
        raise ValueError(
            f"{name} must be a number in [{low}, {high}] or one per domain (n_domains={n_domains}), got {name}={value!r}"
        )
    return np.broadcast_to(arr, (n_domains,)).copy()


def _range(name, value, low):
    arr = np.atleast_1d(np.asarray(value, dtype=float))
    if arr.shape not in ((1,), (2,)) or not np.all(np.isfinite(arr)) or arr.min() <= low or arr[0] > arr[-1]:
        raise ValueError(f"{name} must be a number > {low} or a range (low, high) with low <= high, got {name}={value!r}")
    return float(arr[0]), float(arr[-1])


def _add_burst(x, t, sample_rate, centre, amplitude, width, freq):
    """Add ``amplitude * exp(-((t - c) / width)^2 / 2) * sin(2 pi f (t - c))`` within 6 widths of c."""
    i0 = max(0, int((centre - 6 * width) * sample_rate))
    i1 = min(len(x), int((centre + 6 * width) * sample_rate) + 1)
    if i1 > i0:
        tt = t[i0:i1] - centre
        x[i0:i1] += amplitude * np.exp(-0.5 * (tt / width) ** 2) * np.sin(2 * np.pi * freq * tt)


def make_heart_sounds(n_recordings=100, *, sample_rate=2000, duration=(4.0, 10.0), abnormal_fraction=0.3,
                      n_domains=2, domain_weights=None, recordings_per_subject=2, heart_rate=(55.0, 110.0),
                      murmur_level=0.35, noise=0.05, random_state=None, return_X_y=False):
    """Phonocardiogram-like recordings: S1/S2 beats, a systolic murmur for the abnormal class.

    **Beats.** Each subject has a heart rate drawn from ``heart_rate`` (beats per minute); each
    beat's RR interval varies by 3 % around it. A beat starts with S1 (a 40-70 Hz tone under a
    Gaussian envelope of 20 ms width), and S2 (60-100 Hz, 15 ms, 0.6-0.9 of S1's amplitude)
    follows after the systole ``0.35 * sqrt(RR)`` seconds.

    **Abnormal class (target 1).** A systolic murmur: noise band-passed to 150-400 Hz filling
    each S1-S2 interval (from S1 + 60 ms to S2 - 30 ms) under a crescendo-decrescendo envelope,
    with RMS ``murmur_level`` times S1's peak amplitude (the subject's own level varies by ±30 %).
    Normal recordings (target 0) have no murmur.

    **Domains (devices).** Domain ``d`` of ``D`` colours the whole recording with a 2nd-order
    Butterworth band-pass whose low edge runs from 20 to 60 Hz and whose high edge from 80 % to
    40 % of the Nyquist frequency over the domains (so the last device muffles the murmur band),
    a gain from 1 to 0.6, and background noise of RMS ``noise * (1 + t_d)``, ``t_d = d / (D - 1)``.

    **Subjects and imbalance.** ``ceil(n_recordings / recordings_per_subject)`` subjects are
    spread over the domains by ``domain_weights``; within domain ``d`` a fraction
    ``abnormal_fraction[d]`` (rounded) of its subjects is abnormal. A subject keeps its class,
    domain and heart rate in all its recordings, so split folds by ``groups``.

    Parameters
    ----------
    n_recordings : int, default=100
    sample_rate : int, default=2000
        Hz; at least 1000 so the murmur band fits below Nyquist.
    duration : float or (float, float), default=(4.0, 10.0)
        Seconds per recording, fixed or drawn uniformly from the range.
    abnormal_fraction : float or sequence of float, default=0.3
        Fraction of abnormal subjects, overall or one per domain.
    n_domains : int, default=2
    domain_weights : sequence of float or None, default=None
        Relative number of subjects per domain (equal if ``None``).
    recordings_per_subject : int, default=2
    heart_rate : float or (float, float), default=(55.0, 110.0)
        Beats per minute.
    murmur_level : float, default=0.35
    noise : float, default=0.05
    random_state : int, RandomState instance or None, default=None
    return_X_y : bool, default=False
        Return ``(data, target)`` only.

    Returns
    -------
    bunch : :class:`~sklearn.utils.Bunch`
        ``data`` (list of float32 arrays of varying length), ``target`` (0 normal, 1 abnormal),
        ``target_names``, ``domains`` (int), ``groups`` (subject id), ``heart_rate`` (bpm),
        ``s1_onsets`` and ``s2_onsets`` (lists of arrays of the S1/S2 centres in seconds),
        ``sample_rate``, ``DESCR``.

    Examples
    --------
    >>> from sklearn_wavefront.datasets import make_heart_sounds
    >>> b = make_heart_sounds(n_recordings=8, duration=(2.0, 3.0), abnormal_fraction=0.5, random_state=0)
    >>> len(b.data), b.sample_rate, sorted(b.target.tolist()), sorted(set(b.domains.tolist()))
    (8, 2000, [0, 0, 0, 0, 1, 1, 1, 1], [0, 1])
    >>> all(4000 <= len(x) <= 6000 for x in b.data)
    True
    """
    n_recordings = check_positive_int("n_recordings", n_recordings)
    n_domains = check_positive_int("n_domains", n_domains)
    per_subject = check_positive_int("recordings_per_subject", recordings_per_subject)
    sample_rate = check_positive_int("sample_rate", sample_rate)
    if sample_rate < 1000:
        raise ValueError(f"sample_rate must be >= 1000 Hz (the murmur band reaches 400 Hz), got sample_rate={sample_rate}")
    dur_lo, dur_hi = _range("duration", duration, 0.0)
    hr_lo, hr_hi = _range("heart_rate", heart_rate, 0.0)
    if hr_lo < 20 or hr_hi > 250:
        raise ValueError(f"heart_rate must lie in [20, 250] beats per minute, got heart_rate={heart_rate!r}")
    abnormal = _per_domain("abnormal_fraction", abnormal_fraction, n_domains, 0.0, 1.0)
    weights = np.ones(n_domains) if domain_weights is None else _per_domain(
        "domain_weights", domain_weights, n_domains, 0.0, np.inf)
    if weights.sum() <= 0:
        raise ValueError(f"domain_weights must not all be 0, got domain_weights={domain_weights!r}")
    murmur_level = _check_float("murmur_level", murmur_level, allow_low=True)
    noise = _check_float("noise", noise, allow_low=True)
    rng = check_random_state(random_state)

    n_subjects = math.ceil(n_recordings / per_subject)
    subj_domain = np.repeat(np.arange(n_domains), _split_counts(n_subjects, weights))
    subj_class = np.zeros(n_subjects, dtype=np.int64)
    for d in range(n_domains):
        idx = np.flatnonzero(subj_domain == d)
        subj_class[idx[: int(round(abnormal[d] * len(idx)))]] = 1
    counts = np.full(n_subjects, per_subject)
    counts[rng.choice(n_subjects, counts.sum() - n_recordings, replace=False)] -= 1
    groups = np.repeat(np.arange(n_subjects), counts)
    groups = groups[rng.permutation(len(groups))]

    subj_hr = rng.uniform(hr_lo, hr_hi, n_subjects)
    subj_murmur = murmur_level * rng.uniform(0.7, 1.3, n_subjects)
    nyq = sample_rate / 2
    t_dom = np.linspace(0, 1, n_domains) if n_domains > 1 else np.zeros(1)
    device_sos = [butter(2, [20 + 40 * t, nyq * (0.8 - 0.4 * t)], btype="bandpass", fs=sample_rate, output="sos")
                  for t in t_dom]
    murmur_sos = butter(4, [150, 400], btype="bandpass", fs=sample_rate, output="sos")

    data, hrs, s1s, s2s = [], [], [], []
    for g in groups:
        d, label = subj_domain[g], subj_class[g]
        n = int(round(rng.uniform(dur_lo, dur_hi) * sample_rate))
        t = np.arange(n) / sample_rate
        hr = subj_hr[g] * rng.uniform(0.95, 1.05)
        rr_mean = 60.0 / hr
        x = np.zeros(n)
        murmur_env = np.zeros(n)
        s1_times, s2_times = [], []
        onset = rng.uniform(0.05, rr_mean)
        f1, f2 = rng.uniform(40, 70), rng.uniform(60, 100)
        while onset < t[-1]:
            rr = rr_mean * (1 + 0.03 * rng.normal())
            systole = 0.35 * math.sqrt(rr)
            s2 = onset + systole
            a1 = rng.uniform(0.8, 1.0)
            _add_burst(x, t, sample_rate, onset, a1, 0.02, f1)
            _add_burst(x, t, sample_rate, s2, a1 * rng.uniform(0.6, 0.9), 0.015, f2)
            s1_times.append(onset)
            if s2 < t[-1]:
                s2_times.append(s2)
            if label:
                lo, hi = onset + 0.06, s2 - 0.03
                i0, i1 = max(0, math.ceil(lo * sample_rate)), min(n, math.floor(hi * sample_rate) + 1)
                if i1 > i0:
                    murmur_env[i0:i1] = a1 * (1 - np.abs(2 * (t[i0:i1] - lo) / (hi - lo) - 1))
            onset += rr
        if label:
            band = sosfilt(murmur_sos, rng.normal(size=n))
            band /= np.sqrt(np.mean(band**2)) + 1e-12
            # the triangular envelope has RMS 1/sqrt(3) of its peak: scale the peak so the RMS
            # inside the interval is subj_murmur times S1's peak amplitude
            x += subj_murmur[g] * np.sqrt(3) * murmur_env * band
        x = sosfilt(device_sos[d], x) * (1 - 0.4 * t_dom[d])
        x += noise * (1 + t_dom[d]) * rng.normal(size=n)
        data.append(x.astype(np.float32))
        hrs.append(hr)
        s1s.append(np.asarray(s1_times))
        s2s.append(np.asarray(s2_times))
    target = subj_class[groups]
    if return_X_y:
        return data, target
    return Bunch(
        data=data, target=target, target_names=np.array(["normal", "abnormal"], dtype=object),
        domains=subj_domain[groups], groups=groups, heart_rate=np.asarray(hrs),
        s1_onsets=s1s, s2_onsets=s2s, sample_rate=sample_rate,
        DESCR=f"{n_recordings} synthetic heart-sound recordings of {n_subjects} subjects in {n_domains} "
              "device domain(s); target 1 = systolic murmur (abnormal)",
    )
