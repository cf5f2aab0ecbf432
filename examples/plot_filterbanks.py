"""
==========================================
The six filterbanks, and a comb that hears
==========================================

Every front-end of the package is a small :class:`torch.nn.Module` that *produces* its filters
from a handful of parameters with a meaning in Hz and applies them: waveforms
``(batch, time)`` in, ``(batch, n_outputs, frames)`` out (the front-end protocol, see
:ref:`frontend_protocol`). This example

1. builds each of them at 8 kHz, prints its output shape, its centre-frequency range and its
   number of learnable parameters, and draws its magnitude responses with
   :class:`~sklearn_wavefront.FilterbankDisplay`;
2. trains the fundamentals of a 6-channel comb bank (100-400 Hz) by gradient descent to
   maximise the log energy of its output for a 220 Hz harmonic tone in noise. A comb filter
   passes every harmonic of its f0, so the objective has local optima: each channel climbs to
   the nearest one, and the channel that starts within about 10 % of 220 Hz locks onto the tone.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch

from sklearn_wavefront import FilterbankDisplay
from sklearn_wavefront.filterbanks import (
    CombFilterbank,
    FIRWindowFilterbank,
    GammatoneFilterbank,
    MelFilterbank,
    MFCCFilterbank,
    SincFilterbank,
)

torch.manual_seed(0)
SAMPLE_RATE = 8000


def harmonic_tone(f0, seconds=1.0, noise=0.3, seed=0):
    """Five harmonics of ``f0`` with random phases, amplitudes 1/h, in white noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    tone = sum(np.cos(2 * np.pi * f0 * h * t + rng.uniform(0, 2 * np.pi)) / h for h in range(1, 6))
    return torch.tensor(tone + noise * rng.standard_normal(t.size), dtype=torch.float32)[None]


# %%
# Six front-ends, one protocol
# ----------------------------
x = harmonic_tone(220.0)
banks = {
    "CombFilterbank": CombFilterbank(sample_rate=SAMPLE_RATE, n_filters=16, fmin=55, fmax=880),
    "FIRWindowFilterbank": FIRWindowFilterbank(sample_rate=SAMPLE_RATE, n_filters=16),
    "SincFilterbank": SincFilterbank(sample_rate=SAMPLE_RATE, n_filters=16),
    "GammatoneFilterbank": GammatoneFilterbank(sample_rate=SAMPLE_RATE, n_filters=16),
    "MelFilterbank": MelFilterbank(sample_rate=SAMPLE_RATE, n_filters=16),
    "MFCCFilterbank": MFCCFilterbank(sample_rate=SAMPLE_RATE, n_filters=16, n_mfcc=13),
}
print(f"1 s harmonic tone at 220 Hz, {SAMPLE_RATE} Hz\n")
print(f"{'front-end':<22} {'output shape':<16} {'centre frequencies (Hz)':<24} learnable parameters")
for name, bank in banks.items():
    with torch.no_grad():
        shape = tuple(bank(x).shape)
    fc = bank.center_frequencies()
    n_params = sum(p.numel() for p in bank.parameters() if p.requires_grad)
    print(f"{name:<22} {str(shape):<16} {fc.min():7.1f} ... {fc.max():7.1f}      {n_params}")

# %%
# Their magnitude responses (the filters actually applied, on a Hz axis). The comb bank is drawn
# as an image, one row per channel: a comb filter has a peak at every harmonic of its f0. The
# MFCC bank's "filters" are its mel bands (the DCT comes after them).
fig, axes = plt.subplots(3, 2, figsize=(11, 10), layout="constrained")
for ax, (name, bank) in zip(axes.ravel(), banks.items()):
    FilterbankDisplay.from_filterbank(bank, ax=ax, name=name, n_freqs=512)

# %%
# A comb channel climbs to the pitch of a tone
# --------------------------------------------
# Six channels between 100 and 400 Hz; the loss is minus the mean log energy of the output.
bank = CombFilterbank(
    sample_rate=SAMPLE_RATE, n_filters=6, fmin=100, fmax=400,
    window_length=400, hop_length=200, envelope="energy", compression="log",
)
before = bank.center_frequencies()
optimizer = torch.optim.Adam(bank.parameters(), lr=0.05)
trajectory = [before]
for _ in range(150):
    loss = -bank(x).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    trajectory.append(bank.center_frequencies())
after = bank.center_frequencies()
for b, a in zip(before, after):
    mark = "  <- locked onto the tone" if abs(a - 220) < 2 else ""
    print(f"f0 {b:6.1f} Hz -> {a:6.1f} Hz{mark}")

# %%
# The fundamentals during training: the channel that started near 220 Hz settles on it, the
# others on the nearest peak of their own objective (sub-harmonics and harmonics of the tone).
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(np.asarray(trajectory))
ax.axhline(220, color="k", ls=":", lw=1, label="the tone's f0")
ax.set(xlabel="Adam step", ylabel="f0 (Hz)", yscale="log", title="comb fundamentals during training")
ax.legend()
plt.show()
