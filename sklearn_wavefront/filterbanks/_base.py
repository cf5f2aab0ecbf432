"""The common front-end protocol and the shared machinery of FIR filterbanks.

Every front-end module takes waveforms ``(batch, time)`` (or ``(batch, 1, time)``) and returns
``(batch, n_outputs, frames)``. It exposes ``sample_rate``, ``n_filters``, ``n_outputs`` (equal to
``n_filters`` unless a transform such as a DCT changes the channel count),
``center_frequencies()`` in Hz, ``frequency_response(n_freqs)`` of the filters actually applied,
and ``output_length(n_samples)``, the documented output-length rule. Transformers, networks and
plots rely only on this protocol.
"""

from __future__ import annotations

import math
import weakref

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .._dtypes import compute_dtype
from .._validation import check_choice, check_positive_float, check_positive_int, check_waveform
from ..ops.conv import _next_fast_length, fft_conv1d_valid

__all__ = ["Filterbank", "FIRFilterbank", "apply_envelope", "pool_frames", "compress"]

#: per multirate module: its last kernel spectrum and plan (no-gradient calls) and band groups; weak,
#: so nothing of it is pickled, deep-copied or kept alive with the module
_MULTIRATE_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _same_values(kept: list, tensors: list) -> bool:
    """Whether ``tensors`` hold what ``kept`` (copies taken earlier) holds: shapes, dtypes, devices
    and values (a NaN never equals itself, so such a filterbank is never served from the cache).
    The values in one reduction per device: one host sync, not one per tensor."""
    if len(kept) != len(tensors) or any(
            a.shape != b.shape or a.dtype != b.dtype or a.device != b.device for a, b in zip(kept, tensors)):
        return False
    by_device: dict = {}
    for a, b in zip(kept, tensors):
        by_device.setdefault(a.device, []).append(torch.eq(a, b.detach()).all())
    return all(bool(torch.stack(flags).all()) for flags in by_device.values())


ENVELOPES = {"abs", "square"}
POOLINGS = {"mean", "max"}
COMPRESSIONS = {None, "log1p", "log", "db"}


def apply_envelope(y: torch.Tensor, kind: str) -> torch.Tensor:
    """``|y|`` for ``kind="abs"``, ``y**2`` for ``kind="square"``."""
    return y.abs() if kind == "abs" else y.square()


def pool_frames(z: torch.Tensor, window: int, stride: int, kind: str) -> torch.Tensor:
    """Mean or max over frames of ``window`` samples taken every ``stride`` samples ("valid").

    ``(B, C, L) -> (B, C, (L - window) // stride + 1)``.
    """
    if kind == "max":
        return F.max_pool1d(z, window, stride)
    return F.avg_pool1d(z, window, stride)


def _pool(e: torch.Tensor, window: int, stride: int, kind: str, n_frames: int) -> torch.Tensor:
    """:func:`pool_frames`, first ``n_frames`` frames; overlapping mean windows are summed from
    blocks of ``gcd(window, stride)`` samples (each sample read once, not ``window / stride`` times)."""
    block = math.gcd(window, stride)
    if kind == "mean" and window > stride and block > 1:
        e = F.avg_pool1d(e, block, block)
        window, stride = window // block, stride // block
    return pool_frames(e, window, stride, kind)[..., :n_frames]


class _BlockEnergy(torch.autograd.Function):
    """Mean of ``y**2`` over consecutive blocks of ``block`` samples (the last, partial block left
    out): :func:`_block_energy`. The backward is one pass, ``2 y g / block`` (autograd's rule for the
    norm divides by it, then multiplies, then masks zero norms: three passes over ``y``); forward-mode
    AD has its ``jvp``."""

    @staticmethod
    def forward(ctx, y, block):
        ctx.save_for_backward(y)
        ctx.save_for_forward(y)
        ctx.block = block
        return torch.linalg.vector_norm(_blocks(y, block), dim=-1).square() / block

    @staticmethod
    def jvp(ctx, y_tangent, _block_tangent):
        # forward mode: d/dt mean(y**2) = 2 mean(y ydot), block by block
        (y,) = ctx.saved_tensors
        return (_blocks(y, ctx.block) * _blocks(y_tangent, ctx.block)).sum(-1) * (2.0 / ctx.block)

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        block = ctx.block
        scaled = (g * (2.0 / block)).unsqueeze(-1)
        n_used = g.shape[-1] * block
        if n_used == y.shape[-1]:
            return (_blocks(y, block) * scaled).flatten(-2), None
        grad = torch.zeros_like(y)
        grad[..., :n_used] = (_blocks(y, block) * scaled).flatten(-2)
        return grad, None


def _blocks(y: torch.Tensor, block: int) -> torch.Tensor:
    """``y`` ``(..., L)`` as ``(..., L // block, block)`` (a view; the tail past the last whole block left out)."""
    n_blocks = y.shape[-1] // block
    return (y if n_blocks * block == y.shape[-1] else y[..., : n_blocks * block]).unflatten(-1, (n_blocks, block))


def _block_energy(y: torch.Tensor, block: int) -> torch.Tensor:
    """``F.avg_pool1d(y.square(), block, block)`` in one pass over ``y``: each block's squared
    Euclidean norm over its length, ``(B, C, L) -> (B, C, L // block)``. The ``(B, C, L)`` tensor of
    squares is never made (at the full rate, making it and pooling it were about 40 % of a gammatone
    forward), and the gradient is one pass too. Equal to the pooled squares to float rounding (the
    sums are taken in another order)."""
    return _BlockEnergy.apply(y, block)


def _envelope_frames(y: torch.Tensor, window: int, stride: int, envelope: str, pooling: str,
                     n_frames: int) -> torch.Tensor:
    """``_pool(apply_envelope(y, envelope), window, stride, pooling, n_frames)``; the mean energy
    (``"square"``, ``"mean"``) of overlapping windows from :func:`_block_energy`."""
    block = math.gcd(window, stride)
    if envelope == "square" and pooling == "mean" and window > stride and block > 1:
        z = pool_frames(_block_energy(y, block), window // block, stride // block, "mean")
        return z[..., :n_frames]
    return _pool(apply_envelope(y, envelope), window, stride, pooling, n_frames)


def _trapezoid_frames(y: torch.Tensor, envelope: str, window: int, hop: int, m: int, n_frames: int) -> torch.Tensor:
    """Mean frames of a full-rate envelope from its every ``m``-th sample: ``e`` = the envelope of
    ``y`` ``(B, C, L)`` (the band filtered at the rate ``fs / m``).

    A frame's full-rate mean is ``(1 / W) sum`` over its ``W`` samples; from the step-``m`` samples
    ``e[j]``, ``j = p S/m ... p S/m + W/m - 1``, Euler-Maclaurin's endpoint correction gives, to
    second order, ``mean_j e[j] + (m - 1) / 2W (e[p S/m + W/m] - e[p S/m])`` (halving the error of
    the plain step-``m`` mean). The mean by :func:`_envelope_frames`, the two endpoint samples by a
    stride-``g`` pooling of size 1 of ``y`` (``g = gcd(W/m, S/m)``), their envelope, and slices of
    that short result: slicing ``e`` itself would make the backward zero-fill a whole ``e`` per slice
    (measured: 1.2-6.8 ms here against 3-88 ms for one strided ``conv1d`` with the trapezoid weights,
    whose input gradient is slow)."""
    wm, hm = window // m, hop // m
    z = _envelope_frames(y, wm, hm, envelope, "mean", n_frames)
    g = math.gcd(wm, hm)
    s = apply_envelope(F.avg_pool1d(y, 1, g), envelope)
    last = (n_frames - 1) * hm // g
    first = s[..., : last + 1 : hm // g]
    after = s[..., wm // g : wm // g + last + 1 : hm // g]
    return z + (m - 1) / (2 * window) * (after - first)


def compress(z: torch.Tensor, kind, eps: float) -> torch.Tensor:
    """Amplitude compression of a non-negative envelope.

    ``"log1p"``: ``log(1 + relu(z))`` (NLReLU, finite at 0, linear near 0); ``"log"``: ``log(z + eps)``;
    ``"db"``: ``10 log10(max(z, eps))``, decibels of a *power* envelope (``"square"``/``"energy"``, mel
    power); applied to an amplitude envelope (``"abs"``/``"max"``) it gives half the amplitude's dB;
    ``None``: unchanged.
    """
    if kind is None:
        return z
    if kind == "log1p":
        return torch.log1p(torch.relu(z))
    if kind == "log":
        return torch.log(z + eps)
    return 10.0 * torch.log10(torch.clamp_min(z, eps))


class Filterbank(nn.Module):
    """Base class of the front-end modules (the protocol above).

    Subclasses set ``sample_rate`` and ``n_filters`` and implement ``forward``,
    ``center_frequencies``, ``frequency_response`` and ``output_length``.
    """

    sample_rate: float
    n_filters: int

    @property
    def n_outputs(self) -> int:
        """Number of output channels of ``forward`` (``n_filters`` unless a transform changes it)."""
        return self.n_filters

    def center_frequencies(self) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def frequency_response(self, n_freqs: int = 512):  # pragma: no cover - abstract
        raise NotImplementedError

    def output_length(self, n_samples: int) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def min_input_length(self) -> int:
        """Fewest samples (>= 1) for which ``forward`` yields at least one frame."""
        if self.output_length(1) >= 1:
            return 1
        hi = 2
        while self.output_length(hi) < 1:
            hi *= 2
        lo = hi // 2  # output_length(lo) < 1 <= output_length(hi); the rules are monotone in n
        while lo + 1 < hi:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if self.output_length(mid) >= 1 else (mid, hi)
        return hi

    def _frequency_grid(self, n_freqs: int) -> np.ndarray:
        n_freqs = check_positive_int("n_freqs", n_freqs, minimum=2)
        return np.linspace(0.0, self.sample_rate / 2, n_freqs)


class FIRFilterbank(Filterbank):
    """A filterbank of ``n_filters`` FIR kernels of ``kernel_size`` taps, followed by an envelope.

    ``forward``: convolution of each waveform with every kernel ("valid": only outputs that see a
    full kernel, so at the full rate zeros appended to a recording never change earlier frames;
    see *Multirate* below for the default path), then the envelope
    (``|y|`` or ``y**2``), then mean or max pooling over frames of ``window_length`` samples every
    ``hop_length`` samples, then compression.

    Output-length rule: ``frames = ((n_samples - kernel_size + 1) - window_length) // hop_length + 1``;
    a signal with fewer than ``kernel_size + window_length - 1`` samples raises ``ValueError``.

    The convolution is the true (flipped-kernel) convolution ``y[n] = sum_k h[k] x[n - k]`` and output
    ``m`` corresponds to input sample ``n = m + kernel_size - 1``. ``conv_method="fft"`` computes the
    same result through the FFT (faster for long kernels); ``"auto"`` picks it for kernels of at least
    ``fft_thresholds[dtype]`` taps: 160 in float32 (and half precision, computed in float32), 80 in
    float64. These are the crossovers measured with ``benchmarks/cpu_speed.py`` (1 thread, 64
    filters, 2 s at 16 kHz): float32 direct ``conv1d`` (oneDNN) wins up to 127 taps and the FFT from
    191 forward (from 251 forward+backward); float64 has no oneDNN kernel and the FFT already wins
    at 95 taps.

    **Multirate** (``multirate=True``, the default): a documented approximation of ``forward`` that
    filters each band at the lowest rate its spectrum allows and takes the envelope there, at the
    frame rate's multiples. For band ``f``, the *support* is the range of frequencies where the
    kernel's magnitude response is at least ``multirate_tau`` (1 %, -40 dB) of its peak; its factor
    ``M`` is the largest divisor of ``gcd(hop_length, window_length)`` (at most ``window_length /
    8``: eight samples per frame) whose Nyquist zones ``[z fs / 2M, (z + 1) fs / 2M]`` hold the whole
    support in one zone (band-pass sampling: a low band in the first zone, a high one in any other).
    The band is then computed as ``y[jM]``, every ``M``-th sample of the valid convolution, from the
    spectrum: the product ``X H`` over that zone only, folded to the rate ``fs / M`` (conjugated and
    reversed for odd zones) and inverse-transformed at the length ``n_fft / M``; the envelope and
    pooling run on these samples (frames of ``window_length / M`` samples every ``hop_length / M``).
    Bands whose support fits no zone of any ``M > 1`` are computed at the full rate (``M = 1``, the
    exact valid convolution through the FFT). The plan is recomputed from the current kernels at
    every call, so learned bands move between rates as they learn; gradients flow through the
    kernels' spectra as in the full-rate FFT path.

    Two things differ from the full-rate ``forward``: the part of each band's output outside its
    zone (where the kernel's response is below ``multirate_tau``) is dropped, and a frame's mean or
    max is taken over ``window_length / M`` samples instead of ``window_length`` (a mean gets the
    Euler-Maclaurin endpoint correction ``+ (M - 1) / 2W (e[end] - e[start])``, which halves its
    error). **Stated tolerance** against ``multirate=False`` (the tests hold it on noise, tones, a
    swept sine and noise bursts; ``benchmarks/speed_goals.py`` measures it on speech and rendered
    instrument notes too), for the front-ends' compressed frames and their per-recording mean/std:

    * IConNet (``log1p`` of mean ``|y|``): frames within 0.05, statistics within 0.03;
    * SincNet (``log1p`` of max ``|y|``, max over fewer samples): frames within 0.1, statistics 0.06;
    * gammatone (``log`` of mean ``y**2``): frames within 0.35 where the band is within 30 dB of the
      frame's loudest band, statistics within 0.03 when every frame is (noise, bursts, speech). A
      band more than 30 dB below a loud band keeps only its in-zone energy: its full-rate energy
      there is mostly the far skirt of the loud band's response, so its log energy, and the
      statistics of a band that is that faint in most frames, can differ by several units (0.65 on
      a swept sine, 1.7 beside pure tones).

    Appending zeros to a recording changes its frames within these tolerances (exactly nothing at
    full rate): the dropped part spreads over the transform length. The cost is about
    ``sum_f 1 / M_f`` of the full-rate spectral work (0.15-0.2 for mel-spaced IConNet and SincNet
    bands at 16 kHz, about 0.5 for the broad gammatone skirts). ``multirate=False`` keeps the exact
    full-rate path (``conv_method`` then chooses direct or FFT convolution; the multirate path
    always works in the frequency domain).

    Subclasses implement :meth:`kernels` (``(n_filters, kernel_size)`` tensor, differentiable in the
    learnable parameters) and :meth:`center_frequencies`.
    """

    fft_thresholds = {torch.float64: 80}
    fft_threshold = 160  # every other dtype (float32; half precision is transformed in float32)
    #: a band's support: where its magnitude response is at least this fraction of its peak
    multirate_tau = 1e-2
    #: fewest samples a decimated frame keeps (caps the decimation factor at window_length / 8)
    multirate_min_frame = 8

    def _init_fir(
        self,
        *,
        sample_rate: float,
        n_filters: int,
        kernel_size: int,
        window_length: int,
        hop_length: int,
        envelope: str,
        pooling: str,
        compression,
        eps: float,
        conv_method: str,
        multirate: bool = True,
    ) -> None:
        self.sample_rate = float(sample_rate)
        self.n_filters = check_positive_int("n_filters", n_filters)
        self.kernel_size = check_positive_int("kernel_size", kernel_size)
        self.window_length = check_positive_int("window_length", window_length)
        self.hop_length = check_positive_int("hop_length", hop_length)
        self.envelope = check_choice("envelope", envelope, ENVELOPES)
        self.pooling = check_choice("pooling", pooling, POOLINGS)
        self.compression = check_choice("compression", compression, COMPRESSIONS)
        self.eps = check_positive_float("eps", eps)
        self.conv_method = check_choice("conv_method", conv_method, {"auto", "direct", "fft"})
        if not isinstance(multirate, (bool, np.bool_)):
            raise ValueError(f"multirate must be True or False, got multirate={multirate!r}")
        self.multirate = bool(multirate)

    def kernels(self) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def output_length(self, n_samples: int) -> int:
        n_conv = n_samples - self.kernel_size + 1
        if n_conv < self.window_length:
            return 0
        return (n_conv - self.window_length) // self.hop_length + 1

    def filter(self, x: torch.Tensor) -> torch.Tensor:
        """Convolve ``x`` with every kernel: ``(B, N) -> (B, n_filters, N - kernel_size + 1)``."""
        x = check_waveform(
            x,
            min_length=self.kernel_size,
            min_length_reason=f"one full kernel of kernel_size={self.kernel_size} taps",
        )
        return self._convolve(x)

    def uses_fft(self, dtype: torch.dtype = torch.float32) -> bool:
        """Whether :meth:`filter` convolves inputs of ``dtype`` through the FFT (``conv_method`` resolved)."""
        if self.conv_method != "auto":
            return self.conv_method == "fft"
        return self.kernel_size >= self.fft_thresholds.get(dtype, self.fft_threshold)

    def _convolve(self, x: torch.Tensor) -> torch.Tensor:
        """:meth:`filter` on an already validated ``(B, N)`` waveform."""
        h = self.kernels().to(x.dtype)
        if self.uses_fft(x.dtype):
            return fft_conv1d_valid(x, h)
        # conv1d is a cross-correlation; flipping the kernels makes it the causal convolution.
        return F.conv1d(x[:, None, :], h.flip(-1)[:, None, :])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = check_waveform(
            x,
            min_length=self.kernel_size + self.window_length - 1,
            min_length_reason=(
                f"one kernel of kernel_size={self.kernel_size} taps plus one frame of "
                f"window_length={self.window_length} samples"
            ),
        )
        if getattr(self, "multirate", False):  # modules pickled before the option existed: full rate
            z = self._multirate_frames(x)
        else:
            y = self._convolve(x)
            z = pool_frames(apply_envelope(y, self.envelope), self.window_length, self.hop_length, self.pooling)
        return compress(z, self.compression, self.eps)

    # ------------------------------------------------------------------ multirate
    def _multirate_factors(self) -> np.ndarray:
        """Candidate decimation factors: divisors of gcd(hop, window) leaving >= multirate_min_frame samples."""
        g = math.gcd(self.hop_length, self.window_length)
        cap = max(1, self.window_length // self.multirate_min_frame)
        return np.array([m for m in range(1, min(g, cap) + 1) if g % m == 0], dtype=np.int64)

    def multirate_fft_length(self, n_samples: int) -> int:
        """The transform length of the multirate path for ``n_samples``: at least ``n_samples`` (plus
        ``max(M) - kernel_size + 1`` when positive), a multiple of ``2 M`` for every candidate factor
        ``M`` (so every zone is whole bins), and a product of 2, 3 and 5 times that multiple."""
        step = 1
        factors = self._multirate_factors().tolist()
        for m in factors:
            step = step * 2 * m // math.gcd(step, 2 * m)
        # room for the first decimated sample after the last frame (the mean frames' endpoint term):
        # the frames end by sample n - K + 1, so kernels longer than the factor need none
        room = max(0, max(factors) - self.kernel_size + 1)
        return step * _next_fast_length(-(-(int(n_samples) + room) // step))

    def multirate_plan(self, magnitude: torch.Tensor, n_fft: int):
        """Each band's factor ``M`` and zone ``z`` from its magnitude response on the ``n_fft // 2 + 1`` bins.

        Returns two int64 numpy arrays of shape ``(n_filters,)``.
        """
        mag = magnitude.detach()
        peak = mag.amax(-1, keepdim=True)
        above = mag >= self.multirate_tau * peak
        n_bins = mag.shape[-1]
        lo = above.to(torch.uint8).argmax(-1).cpu().numpy()
        hi = n_bins - 1 - above.flip(-1).to(torch.uint8).argmax(-1).cpu().numpy()
        factors = self._multirate_factors()
        half = (n_fft // factors) // 2  # bins per zone at each factor
        zone_lo = lo[:, None] // half[None, :]
        zone_hi = np.minimum(hi[:, None] // half[None, :], factors[None, :] - 1)  # fs/2 belongs to the last zone
        fits = (zone_lo == zone_hi) & np.isfinite(peak.cpu().numpy())
        best = np.where(fits, factors[None, :], 0).argmax(-1)  # factors ascend: the largest that fits
        factor = factors[best]
        zone = zone_lo[np.arange(len(lo)), best]
        return factor.astype(np.int64), np.where(factor > 1, zone, 0).astype(np.int64)

    def _multirate_kernels(self, n_fft: int, dtype: torch.dtype, device):
        """``(groups, inverse)``: for each group of bands sharing a factor and a zone parity,
        ``(m, odd, idx, spec)`` with ``spec`` the group's kernel spectra on its zone bins (the
        conjugated spectrum of the reversed kernels, ``(F_g, L / 2 + 1)``), and the permutation back
        to filter order. Reused between calls that record no gradient while the parameters and
        buffers hold the same values (``transform`` filters one recording at a time: the spectra and
        the plan are computed once per ``transform``, not per recording). The values are compared
        with a copy kept beside the spectra (hundreds to a few thousand numbers), not by version
        counters: torch's fused Adam step and writes through ``.data`` change a parameter without
        advancing its counter, and a cache keyed on it served the filters of before such a step."""
        tensors = list(self.parameters()) + list(self.buffers())
        cacheable = not (torch.is_grad_enabled() and any(t.requires_grad for t in tensors))
        key = (n_fft, dtype, str(device))
        store = _MULTIRATE_CACHE.setdefault(self, {})
        kept = store.get("spectra")  # (key, values, result), replaced whole: never half written
        if cacheable and kept is not None and kept[0] == key and _same_values(kept[1], tensors):
            return kept[2]
        # the values the spectra are computed from, copied before they are computed
        values = [t.detach().clone() for t in tensors] if cacheable else None
        h = self.kernels().to(dtype)
        spec_h = torch.fft.rfft(h.flip(-1), n_fft).conj_physical()
        factor, zone = self.multirate_plan(spec_h.abs(), n_fft)
        plan, inverse, flat, sizes = self._multirate_groups(factor, zone, n_fft, device)
        # every group's zone bins in one gather (its backward: one scatter into one zero tensor,
        # where a gather per group filled a whole (F, n_fft / 2 + 1) gradient per group)
        pieces = spec_h.reshape(-1)[flat].split(sizes)
        groups = []
        for (m, odd, rows, idx), piece in zip(plan, pieces):
            spec = piece.view(len(rows), n_fft // m // 2 + 1)
            if odd:  # an odd zone's fold is the conjugate: conj(X H) = conj(X) conj(H), factor by factor
                spec = spec.conj_physical()
            groups.append((m, odd, idx, spec / m if m > 1 else spec))  # y[jM] = irfft_L(fold) / M
        value = (groups, inverse)
        if cacheable:
            store["spectra"] = (key, values, value)
        return value

    def _multirate_groups(self, factor: np.ndarray, zone: np.ndarray, n_fft: int, device) -> list:
        """The bands grouped by (factor, zone parity): ``(m, odd, rows, idx or None)`` each, the inverse
        permutation back to filter order (``None`` when the groups keep it), and the flat indices of
        every group's zone bins in the ``(n_filters, n_fft / 2 + 1)`` spectrum with each group's count;
        cached by plan."""
        key = (n_fft, str(device), factor.tobytes(), zone.tobytes())
        store = _MULTIRATE_CACHE.setdefault(self, {})
        if store.get("groups_key") == key:
            return store["groups"]
        by_group: dict = {}
        for f, (m, z) in enumerate(zip(factor.tolist(), zone.tolist())):
            by_group.setdefault((m, z % 2), []).append((f, z))
        groups, order, flat, sizes = [], [], [], []
        n_bins = n_fft // 2 + 1
        for (m, odd), members in sorted(by_group.items()):
            length = n_fft // m
            rows = torch.tensor([f for f, _ in members], device=device)
            # zone z of the spectrum, folded to the rate fs / M: bins z L / 2 ... (z + 1) L / 2, in
            # order for even zones, reversed (and conjugated, by the caller) for odd ones (a mirrored alias)
            bins = torch.arange(length // 2 + 1, device=device)
            start = torch.tensor([(z // 2 + 1) * length if odd else (z // 2) * length for _, z in members],
                                 device=device)
            idx = start[:, None] - bins[None, :] if odd else start[:, None] + bins[None, :]
            flat.append((rows[:, None] * n_bins + idx).reshape(-1))
            sizes.append(idx.numel())
            if not odd and all(z == 0 for _, z in members):
                idx = None  # the first zone: a plain slice of the signal's spectrum
            groups.append((m, bool(odd), rows, idx))
            order.extend(f for f, _ in members)
        inverse = None
        if order != sorted(order):
            inverse = torch.empty(len(order), dtype=torch.long, device=device)
            inverse[torch.tensor(order, device=device)] = torch.arange(len(order), device=device)
        value = (groups, inverse, torch.cat(flat), sizes)
        store["groups_key"], store["groups"] = key, value
        return value

    def _multirate_frames(self, x: torch.Tensor) -> torch.Tensor:
        """Envelope frames ``(B, n_filters, frames)`` of the multirate path (see the class docstring)."""
        n = x.shape[-1]
        hop, win = self.hop_length, self.window_length
        n_frames = (n - self.kernel_size + 1 - win) // hop + 1
        compute = compute_dtype(x.dtype)
        n_fft = self.multirate_fft_length(n)
        # y[m] = sum_j h[K-1-j] x[m+j] (the valid convolution) is a cross-correlation with the reversed
        # kernel; with n_fft >= N no output m <= N - K wraps around
        spec_x = torch.fft.rfft(x.to(compute), n_fft)
        groups, inverse = self._multirate_kernels(n_fft, compute, x.device)
        spec_xc = spec_x.conj_physical() if any(odd for _, odd, _, _ in groups) else None
        outs = []
        for m, odd, idx, spec in groups:
            length = n_fft // m
            if idx is None:
                prod = spec_x[:, None, : length // 2 + 1] * spec
            else:
                prod = (spec_xc if odd else spec_x)[:, idx] * spec
            y = torch.fft.irfft(prod, length)
            if m > 1 and self.pooling == "mean":
                z = _trapezoid_frames(y, self.envelope, win, hop, m, n_frames)
            else:  # frames past the needed ones are cut from the (small) result, not from the envelope
                z = _envelope_frames(y, win // m, hop // m, self.envelope, self.pooling, n_frames)
            outs.append(z)
        z = torch.cat(outs, dim=1) if len(outs) > 1 else outs[0]
        if inverse is not None:
            z = z[:, inverse]
        return z.to(x.dtype)

    @torch.no_grad()
    def frequency_response(self, n_freqs: int = 512):
        """Magnitude response of the kernels actually applied, by the exact DTFT.

        Returns ``(freqs, magnitude)``: ``freqs`` ``(n_freqs,)`` in Hz from 0 to ``sample_rate / 2``,
        ``magnitude`` ``(n_filters, n_freqs)`` linear (not dB).
        """
        freqs = self._frequency_grid(n_freqs)
        h = self.kernels().detach().to(torch.float64).cpu()
        k = torch.arange(self.kernel_size, dtype=torch.float64)
        phase = -2 * math.pi * torch.as_tensor(freqs)[None, :] * k[:, None] / self.sample_rate
        basis = torch.polar(torch.ones_like(phase), phase)  # (K, n_freqs), exp(-j 2 pi f k / fs)
        return freqs, (h.to(torch.complex128) @ basis).abs().numpy()
