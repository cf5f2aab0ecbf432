"""CPU benchmark of the comb operators: ratios measured side by side in one run.

Table 1: comb filter + max envelope, forward+backward (gradients to x and the delays), against
  * a dense ``conv1d`` with each channel's equivalent FIR kernel (``floor(T * max delay) + 2`` taps,
    learnable weights), then the same max pooling; and
  * a naive autograd implementation (all echoes gathered at once, autograd through everything).
Table 2: exact IIR comb ``comb_iir`` against ``scipy.signal.lfilter`` with the length-K+1 denominator.

Peak memory is the growth of the resident set size of a fresh child process while the operation
runs: the child resets the kernel's peak counter (``/proc/self/clear_refs`` <- 5, Linux), builds its
inputs, and reports ``VmHWM - VmRSS`` (CPU tensors are invisible to tracemalloc). Inputs are
excluded; for reference the input signal of each case is listed in the table.

Usage: ``python benchmarks/comb_ops.py [--quick] [--no-memory]``
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import time

import numpy as np
import scipy.signal
import torch
import torch.nn.functional as F

from sklearn_wavefront.ops import comb_envelope, comb_iir
from sklearn_wavefront.ops.comb import comb_fir_taps

N_ECHOES = 10
ALPHA = 0.9


def make_case(sample_rate, seconds, n_filters, batch, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, int(seconds * sample_rate), generator=g)
    f0 = torch.logspace(math.log10(50), math.log10(500), n_filters)  # f0 in 50-500 Hz
    return x, sample_rate / f0


def run_comb(x, delays, window, stride):
    x = x.clone().requires_grad_()
    d = delays.clone().requires_grad_()
    z = comb_envelope(x, d, ALPHA, window=window, stride=stride, n_echoes=N_ECHOES)
    z.sum().backward()


def dense_kernels(delays):
    length = math.floor(N_ECHOES * float(delays.max())) + 2
    taps = np.zeros((len(delays), length), dtype=np.float32)
    for f, d in enumerate(delays.tolist()):
        h = comb_fir_taps(d, ALPHA, N_ECHOES)
        taps[f, : len(h)] = h
    return torch.from_numpy(taps)


def run_dense(x, kernels, window, stride):
    x = x.clone().requires_grad_()
    w = kernels.flip(-1)[:, None, :].clone().requires_grad_()
    y = F.conv1d(F.pad(x[:, None, :], (w.shape[-1] - 1, 0)), w)  # causal, same length as x
    z = F.max_pool1d(y.abs(), window, stride)
    z.sum().backward()


def run_naive(x, delays, window, stride):
    """Every echo gathered into one (B, F, T, N) tensor, autograd through floor/frac interpolation."""
    x = x.clone().requires_grad_()
    d = delays.clone().requires_grad_()
    n = x.shape[-1]
    t = torch.arange(1, N_ECHOES + 1, dtype=d.dtype)
    td = d[:, None] * t[None, :]  # (F, T)
    s = torch.floor(td).detach()
    beta = td - s
    idx = torch.arange(n)[None, None, :] - s[..., None].long()  # (F, T, N)
    xp = F.pad(x, (1 + int(s.max()) + 1, 0))
    offset = 1 + int(s.max()) + 1
    x0 = xp[:, idx + offset]  # (B, F, T, N)
    x1 = xp[:, idx + offset - 1]
    gain = (ALPHA**t)[None, :]
    y = x[:, None, :] + ((gain * (1 - beta))[None, ..., None] * x0 + (gain * beta)[None, ..., None] * x1).sum(2)
    z = F.max_pool1d(y.abs(), window, stride)
    z.sum().backward()


def best_time(fn, *args, repeats=3):
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best


def _status_kb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _peak_rss_child(queue, name, case):
    fn, args = _build(name, case)
    fn(*args)  # warm-up: one-off allocations (thread pools, caches) are not the operation's cost
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # reset the peak resident set size (VmHWM) to the current size
    before = _status_kb("VmRSS")
    fn(*args)
    queue.put((_status_kb("VmHWM") - before) * 1024)


def _build(name, case):
    sample_rate, seconds, n_filters, batch, window, stride = case
    x, delays = make_case(sample_rate, seconds, n_filters, batch)
    if name == "comb":
        return run_comb, (x, delays, window, stride)
    if name == "dense":
        return run_dense, (x, dense_kernels(delays), window, stride)
    if name == "naive":
        return run_naive, (x, delays, window, stride)
    if name == "iir":
        k = case[2]
        xs = x[:1].contiguous()
        return (lambda a: comb_iir(a, [k], ALPHA)), (xs,)
    if name == "lfilter":
        k = case[2]
        den = np.zeros(k + 1, dtype=np.float32)
        den[0], den[k] = 1.0, -ALPHA
        xs = x[:1].numpy()
        return (lambda a: scipy.signal.lfilter([1.0], den, a, axis=-1)), (xs,)
    raise ValueError(name)


def peak_rss(name, case):
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_peak_rss_child, args=(queue, name, case))
    proc.start()
    value = queue.get()
    proc.join()
    return value


def fmt_mb(nbytes):
    return f"{nbytes / 2**20:8.1f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    parser.add_argument("--no-memory", action="store_true", help="skip the child-process memory measurements")
    args = parser.parse_args(argv)

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, float32, T={N_ECHOES}, alpha={ALPHA}")
    print("\nTable 1. Comb + max envelope, forward+backward, 16 kHz, f0 in 50-500 Hz, window 800 / hop 400")
    cases = [(16000, 1.0, 16, 4), (16000, 1.0, 64, 4), (16000, 4.0, 16, 4), (16000, 4.0, 64, 4)]
    if args.quick:
        cases = [(16000, 0.5, 16, 2)]
    header = f"{'seconds':>7} {'filters':>7} {'batch':>5} | {'comb ms':>8} {'dense/comb':>10} {'naive/comb':>10}"
    if not args.no_memory:
        header += f" | {'comb MB':>8} {'dense MB':>8} {'naive MB':>8}"
    print(header)
    for sample_rate, seconds, n_filters, batch in cases:
        case = (sample_rate, seconds, n_filters, batch, 800, 400)
        x, delays = make_case(sample_rate, seconds, n_filters, batch)
        kernels = dense_kernels(delays)
        t_comb = best_time(run_comb, x, delays, 800, 400)
        t_dense = best_time(run_dense, x, kernels, 800, 400, repeats=1)
        naive_bytes = batch * n_filters * N_ECHOES * x.shape[-1] * 4 * 6
        t_naive = best_time(run_naive, x, delays, 800, 400, repeats=1) if naive_bytes < 8 * 2**30 else float("nan")
        row = f"{seconds:7.1f} {n_filters:7d} {batch:5d} | {t_comb * 1e3:8.1f} {t_dense / t_comb:10.1f} {t_naive / t_comb:10.1f}"
        if not args.no_memory:
            mems = [peak_rss(name, case) for name in ("comb", "dense")]
            mems.append(peak_rss("naive", case) if naive_bytes < 8 * 2**30 else float("nan"))
            row += " | " + " ".join(fmt_mb(m) for m in mems)
        print(row, flush=True)
    print(f"(dense kernel length = floor({N_ECHOES} * 320) + 2 = 3202 taps for f0 = 50 Hz at 16 kHz)")

    print("\nTable 2. Exact IIR comb y[n] = x[n] + 0.9 y[n-K], one channel, float32")
    n = 200_000 if args.quick else 1_000_000
    header = f"{'samples':>9} {'K':>5} | {'comb_iir ms':>11} {'lfilter/comb_iir':>16}"
    if not args.no_memory:
        header += f" | {'comb_iir MB':>11} {'lfilter MB':>10}"
    print(header)
    for k in (20, 100, 1000):
        seconds = n / 16000
        case = (16000, seconds, k, 1, 0, 0)
        x = torch.randn(1, n)
        den = np.zeros(k + 1, dtype=np.float32)
        den[0], den[k] = 1.0, -ALPHA
        t_iir = best_time(lambda a: comb_iir(a, [k], ALPHA), x, repeats=5)
        t_lf = best_time(lambda a: scipy.signal.lfilter([1.0], den, a, axis=-1), x.numpy(), repeats=3)
        row = f"{n:9d} {k:5d} | {t_iir * 1e3:11.2f} {t_lf / t_iir:16.1f}"
        if not args.no_memory:
            row += f" | {fmt_mb(peak_rss('iir', case)):>11} {fmt_mb(peak_rss('lfilter', case)):>10}"
        print(row, flush=True)


if __name__ == "__main__":
    main()
