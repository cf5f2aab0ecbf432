"""How fast the ``wavefront`` command starts, beside ``python -c "import sklearn"``.

    python benchmarks/cli_start.py [--repeats 15]

Issue 19's target: ``wavefront --help`` and ``wavefront --version`` within 2x the start of
``python -c "import sklearn"``. Each command runs in a fresh interpreter (``python -m
sklearn_wavefront ...``, the same code as the ``wavefront`` entry point), the commands interleaved
round by round so that a busy machine slows them alike; the table shows the median wall time of each
and its ratio to ``import sklearn``. Also shown, without a target: ``wavefront fit --help`` and
``import torch`` (what every command paid before the parser stopped importing it).
Writes nothing; the figures go in the closing note of the change that measured them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

COMMANDS = {
    "import sklearn": [sys.executable, "-c", "import sklearn"],
    "wavefront --help": [sys.executable, "-m", "sklearn_wavefront", "--help"],
    "wavefront --version": [sys.executable, "-m", "sklearn_wavefront", "--version"],
    "wavefront fit --help": [sys.executable, "-m", "sklearn_wavefront", "fit", "--help"],
    "import torch": [sys.executable, "-c", "import torch"],
}
TARGETS = {"wavefront --help": 2.0, "wavefront --version": 2.0}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=15)
    args = p.parse_args(argv)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    times = {name: [] for name in COMMANDS}
    for name, cmd in COMMANDS.items():  # one warm-up each: the file cache, not the first run, is measured
        subprocess.run(cmd, env=env, check=True, capture_output=True)
    for _ in range(args.repeats):
        for name, cmd in COMMANDS.items():
            t0 = time.perf_counter()
            subprocess.run(cmd, env=env, check=True, capture_output=True)
            times[name].append(time.perf_counter() - t0)
    base = statistics.median(times["import sklearn"])
    print(f"median of {args.repeats} interleaved runs, {sys.executable}")
    print(f"{'command':<24} {'median (s)':>10} {'/ import sklearn':>17}  target")
    for name, ts in times.items():
        med = statistics.median(ts)
        ratio = med / base
        target = TARGETS.get(name)
        verdict = "" if target is None else f"<= {target:g}x: {'met' if ratio <= target else 'NOT met'}"
        print(f"{name:<24} {med:>10.3f} {ratio:>16.2f}x  {verdict}")


if __name__ == "__main__":
    main()
