"""GPU benchmark of the comb training operator: Triton fused / unfused vs torch reference vs dense conv1d.

Forward + backward of a comb filterbank followed by the max envelope, at the sizes of the
combolutional paper (DESIGN §3.1, §8):

* notes: 44.1 kHz, 3 s and 10 s, batch 16, 16 / 64 / 128 filters, window W = 8820, stride S = 4410;
* key estimation: 120 s at 44.1 kHz, batch 8, 64 filters, W = 8192, S = 8820.

Methods (every one computes the same ``z = max-envelope(comb(x))`` and the gradients of a weighted
sum of ``z`` w.r.t. delay and alpha; ``x`` is raw audio and does not require grad, as for a first
layer, so the backward operators run with ``need_grad_x=False`` and never build ``dL/dx``):

* ``triton fused``: ``torch.ops.sklearn_wavefront.comb_envelope`` on CUDA, i.e. the fused Triton
  kernels (never a (B, F, N) tensor, and no (B, N) ``dL/dx`` or atomics buffer);
* ``triton fused +dx``: the same with ``x.requires_grad_(True)`` (a comb layer that is not the
  first): the backward also returns ``dL/dx``, through a float32 (B, N) atomics buffer, so its peak
  shows what skipping ``dL/dx`` saves;
* ``triton unfused``: ``torch.ops.sklearn_wavefront.comb_filter`` (Triton) -> ``|y|`` -> ``max_pool1d``;
* ``torch reference``: the same custom op with the Triton backend switched off (plain torch);
* ``dense conv1d``: the FIR surrogate a ConvNet front-end would learn: ``conv1d`` with one dense
  causal kernel per filter of ``floor(T * max(D)) + 2`` taps (the taps of :func:`comb_fir_taps`,
  learnable), then ``|y|`` and ``max_pool1d``;
* ``dense fft conv``: the same dense FIR surrogate through an FFT convolution
  (:func:`sklearn_wavefront.ops.fft_conv1d_valid`), the strongest dense peer on the CPU
  (``benchmarks/cpu_speed.py`` goal 4): for kernels of thousands of taps it may beat cuDNN's direct
  algorithms.

The table gives the median time of ``--reps`` runs (after ``--warmup``), its ratio to ``triton
fused``, ``torch.cuda.max_memory_allocated`` during one forward + backward, and that peak divided
by ``input + output`` bytes (``x`` plus ``z``). Targets (issue 3): dense conv / triton fused >= 10
and triton fused peak / (input + output) <= 1.2. The fused rows are also checked against the torch
reference (max relative difference of z and of the delay and alpha gradients).

Run: ``python benchmarks/comb_gpu.py`` (``--help`` for options). Without CUDA it prints
``CUDA not available: GPU section skipped`` and exits 0. ``--smoke`` runs every code path on tiny
sizes on the CPU through the Triton interpreter (set ``TRITON_INTERPRET=1``) to check the script.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import statistics
import sys
import time

import torch
import torch.nn.functional as F

SAMPLE_RATE = 44100
N_ECHOES = 10
ALPHA = 0.9
FMIN, FMAX = 27.5, 4186.0  # piano range A0..C8: delays 10.5 .. 1604 samples at 44.1 kHz


def _configs(names, smoke):
    if smoke:
        return [("smoke W>S", 2, 600, 3, 64, 32), ("smoke W<S", 1, 500, 5, 24, 40)]
    out = []
    if "notes" in names:
        for seconds in (3, 10):
            for n_filters in (16, 64, 128):
                out.append((f"notes {seconds}s F={n_filters}", 16, seconds * SAMPLE_RATE, n_filters, 8820, 4410))
    if "key" in names:
        out.append(("key 120s F=64", 8, 120 * SAMPLE_RATE, 64, 8192, 8820))
    return out


def _delays(n_filters, device, fmin, fmax, sample_rate):
    f0 = torch.logspace(math.log10(fmin), math.log10(fmax), n_filters, dtype=torch.float64)
    return (sample_rate / f0).to(torch.float32).to(device)


class _Device:
    """Timing and peak-memory helpers: CUDA events and allocator stats, or wall clock on the CPU."""

    def __init__(self, device):
        self.device = torch.device(device)
        self.cuda = self.device.type == "cuda"

    def sync(self):
        if self.cuda:
            torch.cuda.synchronize(self.device)

    def time_ms(self, fn):
        self.sync()
        if self.cuda:
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            end.synchronize()
            return start.elapsed_time(end)
        t0 = time.perf_counter()
        fn()
        return (time.perf_counter() - t0) * 1e3

    def peak_bytes(self, fn):
        if not self.cuda:
            fn()
            return float("nan")
        self.sync()
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(self.device)
        fn()
        self.sync()
        return torch.cuda.max_memory_allocated(self.device)


@contextlib.contextmanager
def _backend(device_type, backend):
    """Temporarily set (or, with ``None``, remove) the comb backend of ``device_type``."""
    from sklearn_wavefront.ops import comb as C

    previous = C._BACKENDS.get(device_type)
    if backend is None:
        C._BACKENDS.pop(device_type, None)
    else:
        C.register_backend(device_type, backend)
    try:
        yield
    finally:
        if previous is None:
            C._BACKENDS.pop(device_type, None)
        else:
            C._BACKENDS[device_type] = previous


def _methods(window, stride, triton_backend, with_dense, with_torch):
    """``(label, forward function, backend for the device, x requires grad)``.

    The backend holds for forward AND backward.
    """
    ops = torch.ops.sklearn_wavefront

    def fused(x, delay, alpha):
        return ops.comb_envelope(x, delay, alpha, N_ECHOES, window, stride, "max", 0)[0]

    def unfused(x, delay, alpha):
        y = ops.comb_filter(x, delay, alpha, N_ECHOES)
        z = F.max_pool1d(y.abs().reshape(-1, 1, y.shape[-1]), window, stride)
        return z.reshape(x.shape[0], y.shape[1], -1)

    methods = [
        ("triton fused", fused, triton_backend, False),
        ("triton fused +dx", fused, triton_backend, True),
        ("triton unfused", unfused, triton_backend, False),
    ]
    if with_torch:
        methods.append(("torch reference", fused, None, False))
    if with_dense:
        methods.append(("dense conv1d", "dense", None, False))
        methods.append(("dense fft conv", "dense_fft", None, False))
    return methods


def _dense_setup(delay, alpha):
    """Learnable dense FIR kernels (F, 1, K) equal to the comb taps, K = floor(T max D) + 2."""
    from sklearn_wavefront.ops.comb import comb_fir_taps

    taps = [comb_fir_taps(float(d), float(a), N_ECHOES) for d, a in zip(delay.tolist(), alpha.tolist())]
    k = max(len(t) for t in taps)
    weight = torch.zeros(len(taps), 1, k, dtype=torch.float64)
    for f, t in enumerate(taps):
        weight[f, 0, : len(t)] = torch.from_numpy(t)
    # conv1d is a correlation: flip the taps; left-pad x by K - 1 for a causal "same" output
    return weight.flip(-1).to(device=delay.device, dtype=torch.float32).requires_grad_(True)


def _dense_fft(x, weight, window, stride):
    from sklearn_wavefront.ops import fft_conv1d_valid

    # weight holds the flipped taps for conv1d; fft_conv1d_valid convolves with the taps themselves
    y = fft_conv1d_valid(F.pad(x, (weight.shape[-1] - 1, 0)), weight[:, 0].flip(-1))
    z = F.max_pool1d(y.abs().reshape(-1, 1, y.shape[-1]), window, stride)
    return z.reshape(x.shape[0], weight.shape[0], -1)


def _dense(x, weight, window, stride):
    y = F.conv1d(F.pad(x[:, None, :], (weight.shape[-1] - 1, 0)), weight)
    z = F.max_pool1d(y.abs().reshape(-1, 1, y.shape[-1]), window, stride)
    return z.reshape(x.shape[0], weight.shape[0], -1)


def _run_config(dev, name, batch, n, n_filters, window, stride, args, triton_backend):
    gen = torch.Generator(device="cpu").manual_seed(0)
    x = torch.randn(batch, n, generator=gen).to(dev.device)
    delay0 = _delays(n_filters, dev.device, args.fmin, args.fmax, args.sample_rate)
    alpha0 = torch.full((n_filters,), ALPHA, device=dev.device)
    n_frames = (n - window) // stride + 1
    weights = torch.randn(batch, n_filters, n_frames, generator=gen).to(dev.device)
    io_bytes = x.numel() * x.element_size() + batch * n_filters * n_frames * 4
    rows, results = [], {}
    dense_weight = None
    for label, fn, backend, x_grad in _methods(window, stride, triton_backend, not args.no_dense, not args.no_torch):
        if fn in ("dense", "dense_fft"):
            dense_weight = _dense_setup(delay0, alpha0)
            dense_fn = _dense if fn == "dense" else _dense_fft

            def step(dense_fn=dense_fn):
                dense_weight.grad = None
                z = dense_fn(x, dense_weight, window, stride)
                (z * weights).sum().backward()
                return z.detach(), None, None

        else:

            def step(fn=fn, backend=backend, x_grad=x_grad):
                delay = delay0.clone().requires_grad_(True)
                alpha = alpha0.clone().requires_grad_(True)
                # x_grad: a fresh leaf sharing x's storage (no copy); its .grad is the (B, N) dL/dx
                x_in = x.detach().requires_grad_(True) if x_grad else x
                with _backend(dev.device.type, backend):  # forward and backward on the same kernels
                    z = fn(x_in, delay, alpha)
                    (z * weights).sum().backward()
                return z.detach(), delay.grad, alpha.grad

        try:
            times = []
            first = dev.time_ms(step)
            warm = [first] + [dev.time_ms(step) for _ in range(args.warmup - 1)]
            reps = 1 if warm[-1] > args.slow_ms else args.reps
            times = [dev.time_ms(step) for _ in range(reps)]
            out = {}
            peak = dev.peak_bytes(lambda: out.setdefault("r", step()))
            results[label] = out["r"]
            rows.append((label, statistics.median(times), peak))
        except torch.OutOfMemoryError:
            rows.append((label, float("nan"), float("nan")))
            print(f"  {name}: {label}: out of memory", flush=True)
        finally:
            dense_weight = None
            if dev.cuda:
                torch.cuda.empty_cache()

    base = dict((r[0], r[1]) for r in rows).get("triton fused", float("nan"))
    print(f"\n{name}: batch={batch} time={n} ({n / args.sample_rate:g} s) filters={n_filters} "
          f"window={window} stride={stride} frames={n_frames} echoes={N_ECHOES}")
    print(f"  {'method':16s} {'fwd+bwd ms':>11s} {'x fused':>9s} {'peak MiB':>10s} {'peak/(in+out)':>14s}")
    for label, ms, peak in rows:
        print(f"  {label:16s} {ms:11.2f} {ms / base:9.2f} {peak / 2**20:10.1f} {peak / io_bytes:14.2f}")
    if "triton fused" in results and "torch reference" in results:
        (zf, df, af), (zr, dr, ar) = results["triton fused"], results["torch reference"]

        def rel(a, b):
            return float((a.double() - b.double()).abs().max() / b.double().abs().max().clamp_min(1e-30))

        print(f"  check fused vs torch: z {rel(zf, zr):.1e}, d/ddelay {rel(df, dr):.1e}, d/dalpha {rel(af, ar):.1e}")
        if "triton fused +dx" in results:
            (zx, dx, ax) = results["triton fused +dx"]
            print(f"  check fused +dx vs torch: z {rel(zx, zr):.1e}, d/ddelay {rel(dx, dr):.1e}, "
                  f"d/dalpha {rel(ax, ar):.1e}")
        if "triton unfused" in results:
            (zu, du, au) = results["triton unfused"]
            print(f"  check unfused vs torch: z {rel(zu, zr):.1e}, d/ddelay {rel(du, dr):.1e}, d/dalpha {rel(au, ar):.1e}")
        if "dense conv1d" in results:
            print(f"  check dense conv1d vs torch: z {rel(results['dense conv1d'][0], zr):.1e} (TF32 convolutions if enabled)")
        if "dense fft conv" in results:
            print(f"  check dense fft conv vs torch: z {rel(results['dense fft conv'][0], zr):.1e}")
    summary = {}
    times = dict((r[0], r[1]) for r in rows)
    peaks = dict((r[0], r[2]) for r in rows)
    if "dense conv1d" in times:
        summary["dense/fused"] = times["dense conv1d"] / base
    if "dense fft conv" in times:
        summary["dense fft/fused"] = times["dense fft conv"] / base
    summary["fused peak/(in+out)"] = peaks.get("triton fused", float("nan")) / io_bytes
    summary["fused +dx peak/(in+out)"] = peaks.get("triton fused +dx", float("nan")) / io_bytes
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default="notes,key", help="comma-separated subset of: notes, key")
    parser.add_argument("--reps", type=int, default=5, help="timed repetitions (median reported)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs first (>= 1)")
    parser.add_argument("--slow-ms", type=float, default=3000.0, help="methods slower than this get 1 timed rep")
    parser.add_argument("--no-dense", action="store_true", help="skip the dense conv1d surrogate")
    parser.add_argument("--no-torch", action="store_true", help="skip the plain-torch reference")
    parser.add_argument("--fmin", type=float, default=FMIN)
    parser.add_argument("--fmax", type=float, default=FMAX)
    parser.add_argument("--sample-rate", type=float, default=SAMPLE_RATE)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes on the CPU via TRITON_INTERPRET=1")
    args = parser.parse_args(argv)
    args.warmup = max(1, args.warmup)

    if not args.smoke and not torch.cuda.is_available():
        print("CUDA not available: GPU section skipped")
        return 0

    from sklearn_wavefront.ops import comb as C  # registers the custom ops (and Triton for CUDA)

    try:
        from sklearn_wavefront.ops._triton_comb import TritonCombBackend
    except Exception as exc:  # noqa: BLE001
        print(f"triton is not importable ({exc!r}): GPU section skipped")
        return 0

    if args.smoke:
        import os

        if os.environ.get("TRITON_INTERPRET") != "1":
            print("--smoke needs TRITON_INTERPRET=1 in the environment")
            return 2
        dev = _Device("cpu")
        args.fmin, args.fmax, args.sample_rate = 200.0, 2000.0, 8000.0
        args.reps, args.warmup = 1, 1
        print("smoke run on the CPU (Triton interpreter): times are meaningless, memory is not measured")
    else:
        dev = _Device("cuda")
        registered = C._BACKENDS.get("cuda")
        print(f"device: {torch.cuda.get_device_name(dev.device)}; torch {torch.__version__}; "
              f"triton backend registered for cuda: {type(registered).__name__ if registered else 'no'}")
    triton_backend = TritonCombBackend()

    summaries = []
    for name, batch, n, n_filters, window, stride in _configs(args.configs.split(","), args.smoke):
        summaries.append((name, _run_config(dev, name, batch, n, n_filters, window, stride, args, triton_backend)))

    print("\nsummary (targets: the faster dense peer (conv1d or fft conv) / triton fused >= 10; "
          "triton fused peak / (input + output) <= 1.2)")
    for name, s in summaries:
        parts = [f"{k} = {v:.2f}" for k, v in s.items()]
        print(f"  {name:22s} " + "; ".join(parts))
    print(
        "note: x does not require grad (a first layer), so the backward operators run with need_grad_x=False\n"
        "      and build no (B, N) dL/dx or float32 atomics buffer; 'triton fused +dx' (x requires grad) keeps\n"
        "      them (about +1.0 of peak / (input + output) for float32 x). Every peak also includes the\n"
        "      benchmark's own (B, F, P) loss weights and the int64 (B, F, P) argmax saved for the backward."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
