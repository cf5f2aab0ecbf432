"""Where a fit's time goes (issue 21, goal 1): front-end forward, its backward, the rest of a step.

For each learnable front-end (comb, IConNet, SincNet, gammatone; 32 filters, the recipe settings of
``wavefront compare`` at 16 kHz) and each code tree (this checkout's and the base commit's, each in
a worker process of its own, as ``speed_goals.py`` does), one training step's parts on a batch of
16 recordings of 2 s: the filterbank's forward (features of the batch, with gradients recorded),
its backward (gradients of the filter parameters from a fixed random weighting of the output), and
the per-step time of a whole learned and end-to-end fit (``(fit with 3 epochs - fit with 1 epoch)
/ 2 epochs / 4 steps`` on 64 recordings): its remainder after the filterbank's forward and backward
is the head (linear soft-max or the temporal convolutions), the optimiser, batching and Python. Then
one AdamW step on the end-to-end comb's parameters in torch's three implementations (for-loop, the
CPU default; foreach, which the package asks for; fused), interleaved. The torch profiler's top
operators of one learned fit of this code are printed last (``--top``).

Run: ``python benchmarks/fit_profile.py [--base 4d4228d] [--top 12]`` (about 3 min on 2 cores; one
torch thread; medians of ``--repeats``).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from speed_goals import DEFAULT_BASE, ROOT, base_tree, machine_state  # noqa: E402

CHILD = r'''
import json, sys, time, warnings
import numpy as np, torch
torch.set_num_threads(1)
warnings.simplefilter("ignore")
from sklearn_wavefront.networks.heads import make_filterbank
from sklearn_wavefront.recipes import Settings, frontend_kwargs, make_estimator
repeats, top = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
X = (0.1 * rng.standard_normal((64, 32000))).astype(np.float32)
y = np.arange(64) % 4
x = torch.from_numpy(X[:16])

def med(f):
    f()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return float(np.median(ts)) * 1e3

out = {}
for model in ("comb", "iconnet", "sinc", "gammatone"):
    fb = make_filterbank(model, sample_rate=16000, n_filters=32, **frontend_kwargs(model, 16000, 32))
    w = None
    def fwd():
        return fb(x)
    def fwdbwd():
        global w
        fb.zero_grad(set_to_none=True)
        z = fb(x)
        if w is None or w.shape != z.shape:
            w = torch.randn(z.shape, generator=torch.Generator().manual_seed(0))
        (z * w).sum().backward()
    row = {"fwd": med(fwd)}
    row["bwd"] = med(fwdbwd) - row["fwd"]
    for kind in ("learned", "end-to-end"):
        fits = {}
        for epochs in (1, 3):
            est = make_estimator(model, kind, Settings(sample_rate=16000, n_filters=32, epochs=epochs, batch_size=16,
                                                       device="cpu", random_state=0))
            fits[epochs] = med(lambda: est.fit(X, y))
        row[kind] = (fits[3] - fits[1]) / 2 / 4
    out[model] = row
# the optimiser's step on the end-to-end comb's parameters: torch's CPU default (for-loop) against
# the multi-tensor step the package now asks for (sklearn_wavefront._optim) and the fused one it
# does not take (it leaves the parameters' version counters alone); interleaved, medians
from sklearn_wavefront.networks.heads import WaveformNet
net = WaveformNet("comb", n_classes=4, sample_rate=16000, n_filters=32, backend="temporal")
params = list(net.parameters())
for p in params:
    p.grad = torch.randn(p.shape, generator=torch.Generator().manual_seed(1))
steps = {name: torch.optim.AdamW(params, lr=1e-6, **kw).step
         for name, kw in (("for-loop", {"foreach": False}), ("foreach", {"foreach": True}), ("fused", {"fused": True}))}
times = {name: [] for name in steps}
for step in steps.values():
    step()
for _ in range(50 * repeats):
    for name, step in steps.items():
        t = time.perf_counter(); step(); times[name].append(time.perf_counter() - t)
out["adamw_step_ms"] = {name: float(np.median(v)) * 1e3 for name, v in times.items()}
out["adamw_tensors"] = len(params)
print(json.dumps(out))
if top:
    from torch.profiler import ProfilerActivity, profile
    for model in ("comb", "iconnet"):
        est = make_estimator(model, "learned", Settings(sample_rate=16000, n_filters=32, epochs=2, batch_size=16,
                                                        device="cpu", random_state=0))
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            est.fit(X, y)
        print(f"--- torch profiler, learned {model} fit (64 recordings, 2 epochs), this code ---", file=sys.stderr)
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=top, max_name_column_width=40),
              file=sys.stderr)
'''


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", default=DEFAULT_BASE)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--top", type=int, default=12, help="rows of the profiler table (0: none)")
    args = p.parse_args(argv)
    print(f"at start: {machine_state()}", flush=True)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"new": ROOT}
        base = base_tree(args.base, Path(tmp) / "base")
        if base is not None:
            trees = {"base": base, "new": ROOT}
        for code, root in trees.items():
            env = {**os.environ, "PYTHONPATH": str(root)}
            out = subprocess.run([sys.executable, "-c", CHILD, str(args.repeats), str(args.top if code == "new" else 0)],
                                 capture_output=True, text=True, env=env, cwd=tempfile.gettempdir())
            if out.returncode != 0:
                raise RuntimeError(out.stderr[-3000:])
            results[code] = json.loads(out.stdout.strip().splitlines()[-1])
            profile_table = out.stderr
    print(f"at end: {machine_state()}")
    print("ms per training step of 16 recordings x 2 s at 16 kHz, 32 filters, one thread "
          "(rest = step - filterbank forward - backward: head, optimiser, batching, Python)")
    print(f"{'front-end':10s} {'code':5s} {'fb fwd':>7s} {'fb bwd':>7s} {'learned step':>13s} {'rest':>6s} "
          f"{'e2e step':>9s} {'rest':>6s}")
    for model in ("comb", "iconnet", "sinc", "gammatone"):
        for code in results:
            r = results[code][model]
            print(f"{model:10s} {code:5s} {r['fwd']:7.1f} {r['bwd']:7.1f} {r['learned']:13.1f} "
                  f"{r['learned'] - r['fwd'] - r['bwd']:6.1f} {r['end-to-end']:9.1f} "
                  f"{r['end-to-end'] - r['fwd'] - r['bwd']:6.1f}")
    steps = results["new"]["adamw_step_ms"]
    print(f"AdamW step on the end-to-end comb's {results['new']['adamw_tensors']} parameter tensors "
          "(one thread, interleaved medians): "
          + ", ".join(f"{name} {ms:.2f} ms" for name, ms in steps.items())
          + f"; for-loop / foreach {steps['for-loop'] / steps['foreach']:.2f}x")
    if args.top:
        print(profile_table)


if __name__ == "__main__":
    main()
