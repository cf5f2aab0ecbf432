"""Issue 8, goal 6: every transformer's ``transform`` with ``device="cuda"`` beside ``device="cpu"``.

Same recordings, same fitted (fixed) filters, the sizes of ``benchmarks/cpu_speed.py`` (2 s at 16 kHz,
64 filters; ``--recordings`` of them). For each front-end: the median wall time of ``transform`` on
each device (CUDA synchronised by the copy of the features back to the host, which ``transform``
does), their ratio (> 1: the GPU is faster), and the largest difference of the features relative to
the largest feature magnitude. The CPU runs with every core of the machine unless ``--cpu-threads``
says otherwise; the contenders are interleaved (round-robin) after one untimed warm-up each, which
also takes CUDA's and Triton's one-off compilation out of the numbers.

Run: ``python benchmarks/frontends_gpu.py``. Without CUDA it prints one line and exits 0.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
import torch


def _frontends(sample_rate, n_filters):
    from sklearn_wavefront.frontends import (
        CombFrontend,
        GammatoneFrontend,
        IConNetFrontend,
        MelFrontend,
        MFCCFrontend,
        SincFrontend,
    )

    return {
        "comb (FIR surrogate)": lambda **kw: CombFrontend(sample_rate=sample_rate, n_filters=n_filters, **kw),
        "comb (exact IIR)": lambda **kw: CombFrontend(sample_rate=sample_rate, n_filters=n_filters, inference="iir", **kw),
        "iconnet": lambda **kw: IConNetFrontend(sample_rate=sample_rate, n_filters=n_filters, **kw),
        "sinc": lambda **kw: SincFrontend(sample_rate=sample_rate, n_filters=n_filters, **kw),
        "gammatone": lambda **kw: GammatoneFrontend(sample_rate=sample_rate, n_filters=n_filters, **kw),
        "mel": lambda **kw: MelFrontend(sample_rate=sample_rate, n_filters=n_filters, **kw),
        "mfcc": lambda **kw: MFCCFrontend(sample_rate=sample_rate, n_filters=n_filters, **kw),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--recordings", type=int, default=64)
    p.add_argument("--seconds", type=float, default=2.0)
    p.add_argument("--sample-rate", type=int, default=16000)
    p.add_argument("--filters", type=int, default=64)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--cpu-threads", type=int, default=0, help="torch threads on the CPU (0: leave torch's default)")
    args = p.parse_args(argv)
    if not torch.cuda.is_available():
        print("CUDA not available: GPU section skipped")
        return 0
    if args.cpu_threads:
        torch.set_num_threads(args.cpu_threads)
    sr, n = args.sample_rate, int(args.seconds * args.sample_rate)
    rng = np.random.default_rng(1)
    X = 0.1 * rng.standard_normal((args.recordings, n)) + np.sin(2 * np.pi * 220 * np.arange(n) / sr)
    print(f"device: {torch.cuda.get_device_name()}; torch {torch.__version__}; CPU threads {torch.get_num_threads()}; "
          f"{args.recordings} recordings x {args.seconds:g} s at {sr} Hz, {args.filters} filters", flush=True)
    rows = []
    for name, make in _frontends(sr, args.filters).items():
        fronts = {"cpu": make(device="cpu").fit(X), "cuda": make(device="cuda").fit(X)}
        out = {k: f.transform(X) for k, f in fronts.items()}  # warm-up (compilation, allocator)
        times = {k: [] for k in fronts}
        for _ in range(args.repeats):
            for k, f in fronts.items():
                t0 = time.perf_counter()
                f.transform(X)  # returns a host array: the device work is finished when it returns
                times[k].append(time.perf_counter() - t0)
        t_cpu, t_gpu = statistics.median(times["cpu"]), statistics.median(times["cuda"])
        diff = float(np.max(np.abs(out["cuda"] - out["cpu"])) / max(np.max(np.abs(out["cpu"])), 1e-30))
        rows.append((name, t_cpu, t_gpu, diff))
        print(f"  {name}: cpu {t_cpu * 1e3:.1f} ms, cuda {t_gpu * 1e3:.1f} ms", flush=True)
    print(f"\n{'front-end':22s} {'cpu ms':>9s} {'cuda ms':>9s} {'cpu/cuda':>9s} {'max |diff| / max |f|':>21s}")
    for name, t_cpu, t_gpu, diff in rows:
        print(f"{name:22s} {t_cpu * 1e3:9.1f} {t_gpu * 1e3:9.1f} {t_cpu / t_gpu:9.2f} {diff:21.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
