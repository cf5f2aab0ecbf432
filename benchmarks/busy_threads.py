"""Torch intra-op threads on a machine busy with other work: the comb front-end's fit and transform.

Backs the user guide's advice (*Scaling out*: one thread per process when the cores are shared) and the
explanation of the slow learned-comb rows in the documentation's *How well it works*. The front-ends'
CPU paths are many small tensor operations; with several intra-op threads each one waits for all of
them, and a thread that another program holds makes every operation wait for the scheduler.

The script starts ``--busy`` processes that spin (default: one per core, standing in for the other
jobs of a shared machine), then times ``CombFrontend.fit`` (learning, ``--epochs``) and ``transform``
on ``--recordings`` recordings of 1 s at 8 kHz, with torch's default number of threads and with one,
interleaved (medians of ``--repeats``); then the same with no busy process, as the control. Ratios
are threads-default time / one-thread time (> 1: the extra threads cost time).

Run: ``python benchmarks/busy_threads.py`` (about a minute on 2 cores).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import time

import numpy as np
import torch


def _spin(stop):
    while not stop.is_set():
        pass


def _time(fn, threads):
    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def measure(X, y, epochs, repeats, default_threads):
    from sklearn_wavefront import CombFrontend

    fitted = CombFrontend(sample_rate=8000, n_filters=16).fit(X)
    jobs = {
        "fit (learning)": lambda: CombFrontend(sample_rate=8000, n_filters=16, max_epochs=epochs, random_state=0).fit(X, y),
        "transform": lambda: fitted.transform(X),
    }
    out = {}
    for name, fn in jobs.items():
        fn()  # warm-up: imports, compilation
        times = {default_threads: [], 1: []}
        for _ in range(repeats):
            for threads in times:
                times[threads].append(_time(fn, threads))
        out[name] = {k: statistics.median(v) for k, v in times.items()}
    torch.set_num_threads(default_threads)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--recordings", type=int, default=200)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--busy", type=int, default=os.cpu_count(), help="spinning processes (default: one per core)")
    args = p.parse_args(argv)
    default_threads = torch.get_num_threads()
    rng = np.random.default_rng(0)
    X = (0.1 * rng.standard_normal((args.recordings, 8000))).astype(np.float32)
    y = np.arange(args.recordings) % 10
    print(f"torch {torch.__version__}; {os.cpu_count()} cores; default threads {default_threads}; "
          f"{args.recordings} recordings of 1 s at 8 kHz, 16 comb filters, {args.epochs} epochs", flush=True)
    rows = []
    for busy in (args.busy, 0):
        stop = mp.Event()
        procs = [mp.Process(target=_spin, args=(stop,), daemon=True) for _ in range(busy)]
        for proc in procs:
            proc.start()
        try:
            result = measure(X, y, args.epochs, args.repeats, default_threads)
        finally:
            stop.set()
            for proc in procs:
                proc.join()
        for name, t in result.items():
            rows.append((f"{busy} busy", name, t[default_threads], t[1]))
    print(f"\n{'machine':8s} {'step':15s} {f'{default_threads} threads s':>12s} {'1 thread s':>11s} {'ratio':>7s}")
    for machine, name, t_default, t_one in rows:
        print(f"{machine:8s} {name:15s} {t_default:12.2f} {t_one:11.2f} {t_default / t_one:7.1f}")


if __name__ == "__main__":
    main()
