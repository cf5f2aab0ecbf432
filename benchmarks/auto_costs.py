"""Calibrate the ``auto`` search's cost model: each default candidate's fit time at two data sizes.

    OMP_NUM_THREADS=1 python benchmarks/auto_costs.py [--sizes 32,128] [--seconds 1] [--sample-rate 16000]

For every candidate of :data:`sklearn_wavefront.auto.DEFAULT_CANDIDATES` (the learned and end-to-end
ones with 3 epochs and no early stopping, so an epoch's cost is measured), fits it on ``n`` synthetic
recordings for each ``n`` of ``--sizes`` (median of 3 runs, interleaved) and prints the fixed cost
(seconds per fit) and the slope (seconds per million samples; per filter and epoch for the trained
kinds) of the line through the two sizes, beside what :func:`~sklearn_wavefront.auto.estimated_seconds`
predicts at both sizes. ``_COST_PER_MSAMPLE`` and its neighbours in ``sklearn_wavefront/auto.py`` hold
the figures of the run recorded in ``benchmarks/results/auto/costs.txt``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sklearn_wavefront.auto import DEFAULT_CANDIDATES, RecipeClassifier, candidate_name, estimated_seconds  # noqa: E402
from sklearn_wavefront.datasets import make_harmonic_tones  # noqa: E402
from sklearn_wavefront.recipes import warm_up  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="32,128")
    p.add_argument("--seconds", type=float, default=1.0)
    p.add_argument("--sample-rate", type=int, default=16000)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    sizes = [int(v) for v in args.sizes.split(",")]
    X, y = make_harmonic_tones(n_samples=max(sizes), n_classes=7, sample_rate=args.sample_rate,
                               duration=args.seconds, noise=1.0, random_state=0, return_X_y=True)
    X = X.astype(np.float32)
    warm_up([c["model"] for c in DEFAULT_CANDIDATES], sample_rate=args.sample_rate)
    epochs = 3
    times = {}
    for _ in range(args.repeats):  # interleaved: a slow spell of the machine hits every candidate
        for params in DEFAULT_CANDIDATES:
            trained = params["kind"] in ("learned", "end-to-end")
            kw = {**params, **({"epochs": epochs, "early_stopping": False} if trained else {})}
            for n in sizes:
                est = RecipeClassifier(sample_rate=args.sample_rate, **kw)
                t0 = time.perf_counter()
                try:
                    est.fit(X[:n], y[:n])
                except ImportError:
                    continue
                times.setdefault((candidate_name(params), n), []).append(time.perf_counter() - t0)
    print(f"{args.seconds:g} s recordings at {args.sample_rate} Hz; trained kinds: {epochs} epochs, no early stopping; "
          f"median of {args.repeats}")
    print("| candidate | " + " | ".join(f"fit at n={n} (s)" for n in sizes)
          + " | fixed (s) | slope (s per Msample) | per filter-epoch | " + " | ".join(f"estimate n={n}" for n in sizes) + " |")
    print("|---" * (5 + 2 * len(sizes)) + "|")
    for params in DEFAULT_CANDIDATES:
        name = candidate_name(params)
        if (name, sizes[0]) not in times:
            print(f"| {name} | not installed |")
            continue
        med = [float(np.median(times[name, n])) for n in sizes]
        ms = [n * X.shape[1] / 1e6 for n in sizes]
        slope = (med[-1] - med[0]) / (ms[-1] - ms[0])
        fixed = med[0] - slope * ms[0]
        trained = params["kind"] in ("learned", "end-to-end")
        per = slope / (epochs * params.get("n_filters", 16)) if trained else float("nan")
        est_params = {**params, "epochs": epochs} if trained else params
        ests = [estimated_seconds(est_params, n, X.shape[1]) for n in sizes]
        print(f"| {name} | " + " | ".join(f"{m:.2f}" for m in med) + f" | {fixed:.2f} | {slope:.2f} | "
              + (f"{per:.4f}" if trained else "") + " | " + " | ".join(f"{e:.2f}" for e in ests) + " |")


if __name__ == "__main__":
    main()
