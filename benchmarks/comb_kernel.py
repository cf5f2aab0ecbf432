"""The comb max-envelope forward kernel (numba, CPU) of this tree against the one of a base commit.

``python benchmarks/comb_kernel.py [--base 62ec46f] [--repeats 15]``

One training batch of the learned comb fit that ``speed_goals.py`` times: 16 recordings of 2 s at
16 kHz, 32 filters (fundamentals 50 Hz to 2 kHz), 10 echoes, frames of 50 ms every 25 ms, float32,
one thread. The base kernel is read from git (``git show BASE:sklearn_wavefront/ops/_comb_numba.py``)
into a temporary module; both are compiled and warmed before timing, the runs interleave, and the
table gives medians and the base / new ratio. The outputs are checked equal first (frames to float
rounding, the same argmax), so a faster kernel that computes something else fails here. Beside them,
the alternative a library would offer for the same FIR: an FFT convolution (``torch.fft``, the
filters' dense taps, one transform per recording and one inverse per recording and filter) then
``max_pool1d`` with indices; its frames are checked against the kernel's to FFT rounding.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
KERNEL = "sklearn_wavefront/ops/_comb_numba.py"


def load_base(rev: str, into: Path):
    source = subprocess.run(["git", "show", f"{rev}:{KERNEL}"], cwd=ROOT, check=True, capture_output=True,
                            text=True).stdout
    path = into / "base_comb_numba.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("base_comb_numba", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def inputs(seed=0, batch=16, n_filters=32, n=32000, n_echoes=10, rate=16000):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, n)).astype(np.float32)
    delay = rate / np.geomspace(50.0, 2000.0, n_filters)
    position = delay[:, None] * np.arange(1, n_echoes + 1)[None, :]
    shifts = np.floor(position).astype(np.int64)
    beta = position - shifts
    gain = 0.9 ** np.arange(1, n_echoes + 1)[None, :] * np.ones((n_filters, 1))
    c0 = (gain * (1.0 - beta)).astype(np.float32)
    c1 = (gain * beta).astype(np.float32)
    return x, shifts, c0, c1


def call(kernel, x, shifts, c0, c1, need_argmax=True, window=800, stride=400, pad=0):
    """One forward, in the kernel's own signature (the base's may be an older one)."""
    n_frames = (x.shape[1] + 2 * pad - window) // stride + 1
    z = np.empty((x.shape[0], shifts.shape[0], n_frames), np.float32)
    argmax = np.empty(z.shape, np.int64)
    y = np.empty(x.shape[1], np.float32)
    code = kernel.py_func.__code__
    params = code.co_varnames[: code.co_argcount]
    mask, not_finite = np.int32(0x7FFFFFFF), np.int32(0x7F800000)
    if "need_argmax" in params:  # from ae3d75c: the index search only when asked; scratch blocks passed in
        blocks = np.empty(n_frames + window // stride - 1, np.float32)
        kernel(x, shifts, c0, c1, window, stride, pad, z, argmax, need_argmax, y, y.view(np.int32), mask,
               not_finite, blocks, blocks.view(np.int32))
    else:  # before
        kernel(x, shifts, c0, c1, window, stride, pad, z, argmax, y, y.view(np.int32), mask)
    return z, argmax


def fft_frames(x, shifts, c0, c1, window=800, stride=400):
    """The same frames by FFT convolution: dense taps (1 at lag 0, c0 at s_t, c1 at s_t + 1), one rfft
    per recording, one irfft per (recording, filter), ``max_pool1d`` of ``|y|`` with its indices."""
    import torch
    import torch.nn.functional as F

    n = x.shape[1]
    taps = np.zeros((shifts.shape[0], int(shifts.max()) + 2), np.float32)
    taps[:, 0] = 1.0
    rows = np.arange(shifts.shape[0])[:, None]
    np.add.at(taps, (rows, shifts), c0)
    np.add.at(taps, (rows, shifts + 1), c1)
    n_fft = 1 << (n + taps.shape[1] - 1).bit_length()
    spec_x = torch.fft.rfft(torch.from_numpy(x), n_fft)
    spec_h = torch.fft.rfft(torch.from_numpy(taps), n_fft)
    y = torch.fft.irfft(spec_x[:, None, :] * spec_h[None], n_fft)[..., :n]
    z, idx = F.max_pool1d(y.abs(), window, stride, return_indices=True)
    return z.numpy(), idx.numpy()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", default="62ec46f", help="git revision of the base kernel")
    p.add_argument("--repeats", type=int, default=15)
    args = p.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)
    from sklearn_wavefront.ops import _comb_numba as new

    with tempfile.TemporaryDirectory() as tmp:
        base = load_base(args.base, Path(tmp))
        x, shifts, c0, c1 = inputs()
        kernels = {"base": base.comb_max_envelope_kernel, "new": new.comb_max_envelope_kernel}
        runs = {"base": lambda: call(kernels["base"], x, shifts, c0, c1),
                "new, training (with argmax)": lambda: call(kernels["new"], x, shifts, c0, c1),
                "new, transform (no argmax)": lambda: call(kernels["new"], x, shifts, c0, c1, need_argmax=False),
                "FFT convolution + max_pool1d": lambda: fft_frames(x, shifts, c0, c1)}
        out = {name: run() for name, run in runs.items()}  # compiles
        for name, (z, argmax) in out.items():
            tol = dict(rtol=1e-4, atol=1e-4) if name.startswith("FFT") else dict(rtol=1e-6, atol=1e-6)
            np.testing.assert_allclose(z, out["base"][0], **tol)
            if "no argmax" not in name and not name.startswith("FFT"):  # FFT rounding may move near-ties
                assert np.array_equal(argmax, out["base"][1]), f"{name}: argmax differs"
        times = {name: [] for name in runs}
        for _ in range(args.repeats):
            for name, run in runs.items():
                t = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - t)
    ms = {name: 1e3 * float(np.median(v)) for name, v in times.items()}
    print(f"comb max-envelope forward, 16 x 2 s at 16 kHz, 32 filters, 10 echoes, float32, one thread; "
          f"medians of {args.repeats} interleaved runs; frames equal to the base's (argmax too where computed; "
          f"the FFT's to its rounding)")
    for name, value in ms.items():
        label = f"base ({args.base})" if name == "base" else name
        ratio = "" if name == "base" else f"   base / this row {ms['base'] / value:.2f}"
        print(f"{label:<30} {value:6.1f} ms{ratio}")

if __name__ == "__main__":
    main()
