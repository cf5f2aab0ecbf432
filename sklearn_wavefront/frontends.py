"""Front-ends as scikit-learn transformers: waveforms in, per-filter features out.

Every transformer here wraps one filterbank module of :mod:`sklearn_wavefront.filterbanks`. It takes
``X`` of shape ``(n_recordings, n_samples)`` (waveforms at ``sample_rate`` Hz) and returns features of
shape ``(n_recordings, n_features)`` for any scikit-learn model.

**The feature rule.** The filterbank maps each recording to a compressed (log) envelope ``Z`` of shape
``(n_outputs, frames)`` (see each filterbank's output-length rule). With ``output="statistics"``
(default) the features are, for each statistic in ``statistics`` (in that order) and each output
channel ``c``, the statistic of ``Z[c, :]`` over frames: ``"mean"``, ``"std"`` (population standard
deviation, ``ddof=0``, so one frame gives 0), ``"max"`` or ``"min"``. Column ``s * n_outputs + c`` holds
statistic ``s`` of channel ``c``; ``n_features = len(statistics) * n_outputs``. With
``output="frames"`` the features are ``Z`` flattened row-major (column ``c * frames + t``), so
``n_features = n_outputs * frames``.

Recordings shorter than the filterbank's minimum input length (:meth:`Filterbank.min_input_length`)
are zero-padded at the end before filtering. ``transform`` computes in ``precision`` (default float32) on the CPU in chunks of
``batch_size`` recordings (one at a time on FFT paths), with filters evaluated in float64 from the fitted
parameters; the output is float64, within ``1e-4 * (1 + |feature|)`` of a float64 computation (mel and
MFCC: except bands more than ~80 dB below the loudest band, which float32 FFT rounding reaches, as in any
float32 spectrogram; ``precision="float64"`` computes those exactly), and each recording's row does not
depend on the other recordings. With ``output="statistics"``, ``transform`` also accepts a list of 1-D
recordings of any lengths (one row per recording).

**Learning the filters.** ``fit(X)`` (or ``fit(X, y)`` with ``max_epochs=0``, the default) only
builds the initial filterbank (mel- or log-spaced, see each class). ``fit(X, y)`` with
``max_epochs > 0`` also *learns* the filterbank's learnable parameters, like a supervised
transformer such as :class:`~sklearn.neighbors.NeighborhoodComponentsAnalysis`: the mean/std
statistics (always these, whatever ``output`` is) are standardised with the statistics of the
initial filterbank on the training data and fed to a linear soft-max head; filterbank and head are
trained jointly with Adam on the cross-entropy for ``max_epochs`` passes over shuffled mini-batches
of ``batch_size`` recordings. The head is then discarded and ``transform`` uses the learned filters.
With ``early_stopping=True`` (the learnable front-ends) a hold-out of ``validation_fraction`` of
the recordings (whole groups with ``fit(X, y, groups=g)``) is left out of all this; training stops
after ``patience`` epochs without a lower validation loss and keeps the best epoch's filters.
The same ``random_state`` gives the same result, also when several fits run at once in threads:
every random draw comes from a generator private to the estimator, never from torch's global one.
Learning stops with :class:`~sklearn_wavefront.exceptions.TrainingDivergedError` (naming the epoch
and batch) as soon as the loss or a filter parameter becomes NaN or infinite, and ``y`` must then
hold at least two classes.

**Inputs.** ``X`` must be finite, with ``|x| <= 1e10`` (audio is usually within [-1, 1] or integer
PCM; larger samples overflow the float32 envelopes used when learning): anything else is rejected
with a ``ValueError`` that says how to rescale.
"""

from __future__ import annotations

import copy
import time
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_consistent_length, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_parameter_constraints
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
from torch import nn

from ._dtypes import numpy_dtype
from ._holdout import holdout_indices
from ._optim import multi_tensor_step_kwargs
from ._random import global_rng_untouched, make_generator, reset_parameters
from ._validation import (
    ValidatedParamsMixin,
    check_device,
    check_distinct_choices,
    check_equal_lengths,
    check_sample_scale,
    nonfinite_parameters,
)
from .exceptions import TrainingDivergedError

__all__ = [
    "CombFrontend",
    "IConNetFrontend",
    "GammatoneFrontend",
    "SincFrontend",
    "MelFrontend",
    "MFCCFrontend",
]

_STATISTICS = ("mean", "std", "max", "min")
_RAGGED_HINT = (
    "Crop or zero-pad them to one length, or cut them into segments of one length "
    "(sklearn_wavefront.segment_signals) and pool the segments' features per recording."
)
_OUTPUTS = ("statistics", "frames")
_LEARNING_HEADS = ("linear", "temporal")


def _statistic(z: torch.Tensor, name: str) -> torch.Tensor:
    """Statistic ``name`` over the last (frame) axis of ``z``."""
    if name == "mean":
        return z.mean(-1)
    if name == "std":
        return z.std(-1, correction=0)
    if name == "max":
        return z.amax(-1)
    return z.amin(-1)


def _state_copy(module: nn.Module) -> dict:
    """A copy of ``module``'s parameters and buffers that later optimiser steps leave alone."""
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _plain(value):
    """A numpy scalar as the Python value it holds (for messages: ``'a'``, not ``np.str_('a')``)."""
    return value.item() if isinstance(value, np.generic) else value


# transform computes in float32 by default: 2-6x faster than float64, and the filters (kernels, delays,
# mel matrices) are still evaluated in float64 from the fitted parameters and rounded once.
_PRECISIONS = {"float32": torch.float32, "float64": torch.float64}


def _is_recording_list(X) -> bool:
    """A Python list/tuple of 1-D recordings (any lengths)."""
    return isinstance(X, (list, tuple)) and len(X) > 0 and all(len(np.shape(r)) == 1 for r in X)


def _is_ragged(X) -> bool:
    """A Python list/tuple of 1-D recordings whose lengths are not all equal."""
    return _is_recording_list(X) and len({len(r) for r in X}) > 1


_POSITIVE_INT = Interval(Integral, 1, None, closed="left")
_POSITIVE_REAL = Interval(Real, 0, None, closed="neither")  # finite and > 0 (inf and NaN fall outside)
#: parameters of the learnable front-ends' early stopping (as WaveformClassifier's)
_EARLY_STOPPING_CONSTRAINTS: dict = {
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "patience": [_POSITIVE_INT],
}


class _BaseFrontend(ValidatedParamsMixin, TransformerMixin, BaseEstimator):
    """Shared machinery of the front-end transformers (see the module docstring for the rules).

    Subclasses define ``_name`` (feature-name prefix), ``_filterbank_class()`` and
    ``_filterbank_kwargs()``, extend ``_parameter_constraints`` with their filterbank's parameters,
    and may extend ``_set_learned_attributes``. ``fit`` validates the parameters (scikit-learn's
    constraints, then ``_check_params``); what the filterbank alone can judge (``fmin < fmax <=
    sample_rate / 2``, an odd ``kernel_size``, ...) is checked by the filterbank module it builds.
    """

    _name = "frontend"
    _frequency_label = ""  # e.g. "f0_" for comb channels
    _cepstral = False  # outputs are cepstral coefficients, not bands (no frequency in the names)

    _parameter_constraints: dict = {
        "sample_rate": [_POSITIVE_REAL],
        "n_filters": [_POSITIVE_INT],
        "fmin": [_POSITIVE_REAL],
        "fmax": [_POSITIVE_REAL, None],
        "statistics": [StrOptions(set(_STATISTICS)), "array-like"],
        "output": [StrOptions(set(_OUTPUTS))],
        "max_epochs": [Interval(Integral, 0, None, closed="left")],
        "learning_rate": [_POSITIVE_REAL],
        "learning_head": [StrOptions(set(_LEARNING_HEADS))],
        "batch_size": [_POSITIVE_INT],
        "precision": [StrOptions(set(_PRECISIONS))],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }
    #: parameters ``transform`` reads (a ``set_params`` after ``fit`` may change them): checked there too
    _transform_params = ("precision", "device")

    # -- to implement -------------------------------------------------------------------------------
    def _filterbank_class(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _filterbank_kwargs(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- validation -------------------------------------------------------------------------------
    def _check_params(self):
        check_distinct_choices("statistics", self.statistics, _STATISTICS)
        self._transform_device()  # a device this machine has (fails early when CUDA is missing)

    def _check_transform_params(self):
        """The parameters ``transform`` reads, validated as ``fit`` does (they may have been set since)."""
        names = [k for k in self._transform_params if hasattr(self, k)]  # a model saved before a parameter existed
        validate_parameter_constraints(
            {k: self._parameter_constraints[k] for k in names},
            {k: getattr(self, k) for k in names},
            caller_name=type(self).__name__,
        )
        self._transform_device()

    def _make_filterbank(self) -> nn.Module:
        return self._filterbank_class()(**self._filterbank_kwargs())

    # -- features -----------------------------------------------------------------------------------
    def _pad(self, x: torch.Tensor) -> torch.Tensor:
        need = self.min_input_length_
        if x.shape[-1] < need:
            x = torch.nn.functional.pad(x, (0, need - x.shape[-1]))
        return x

    def _pooled(self, fb, x: torch.Tensor, stats) -> torch.Tensor:
        z = fb(self._pad(x))
        return torch.cat([_statistic(z, s) for s in stats], dim=1)

    def _transform_module(self, fb, x: torch.Tensor) -> torch.Tensor:
        """The envelope ``Z`` used by ``transform`` (the training forward unless a subclass says otherwise)."""
        return fb(x)

    def _transform_chunk(self, fb) -> int:
        """Recordings per chunk in ``transform``.

        FFT convolutions run one recording at a time: a batched FFT may round a row differently
        depending on its position in the batch (SIMD lanes vs remainder), and one row per call makes
        every recording's features independent of the others by construction.
        """
        if getattr(fb, "multirate", False):  # the multirate path works in the frequency domain
            return 1
        if getattr(fb, "uses_fft", None) is not None and fb.uses_fft(self._transform_dtype()):
            return 1
        return self.batch_size

    def _features(self, fb, x: torch.Tensor) -> torch.Tensor:
        z = self._transform_module(fb, self._pad(x))
        if self.output == "frames":
            return z.reshape(z.shape[0], -1)
        return torch.cat([_statistic(z, s) for s in self._statistics_], dim=1)

    def _batched(self, fn, X: np.ndarray, dtype=torch.float64, chunk_size=None) -> np.ndarray:
        out = []
        step = self.batch_size if chunk_size is None else chunk_size
        with torch.no_grad():
            for start in range(0, X.shape[0], step):
                # np.array copies into a fresh C-ordered array (torch rejects negative strides)
                chunk = torch.from_numpy(np.array(X[start : start + step], dtype=numpy_dtype(dtype)))
                out.append(fn(chunk).double().cpu().numpy())
        return np.concatenate(out, axis=0)

    def _transform_dtype(self) -> torch.dtype:
        return _PRECISIONS[self.precision]

    def _multirate_setting(self):
        """``multirate`` of a front-end that has it (``None`` otherwise). Models saved before the
        parameter existed have no such attribute and keep the full-rate path they were fitted with."""
        if "multirate" not in self._parameter_constraints:
            return None
        return bool(vars(self).get("multirate", False))

    def _transform_device(self) -> torch.device:
        return check_device(self.device)

    def _transform_array(self, X: np.ndarray) -> np.ndarray:
        """Features of a validated ``(n_recordings, n_samples)`` array (``precision`` compute, float64 out)."""
        fb = self.filterbank_
        multirate = self._multirate_setting()
        if multirate is not None and getattr(fb, "multirate", False) != multirate:
            fb = copy.copy(fb)  # shares the fitted parameters; filterbank_ itself is left as fit made it
            fb.multirate = multirate
        device = self._transform_device()
        if device.type != "cpu":  # a copy on the device: filterbank_ itself stays on the CPU
            fb = copy.deepcopy(fb).to(device)
        return self._batched(
            lambda x: self._features(fb, x.to(device)),
            X,
            dtype=self._transform_dtype(),
            chunk_size=self._transform_chunk(fb),
        )

    def _check_ragged(self, X) -> list:
        """The recordings of a list of 1-D recordings of different lengths, validated one by one."""
        if self.output == "frames":
            raise ValueError(
                "output='frames' needs recordings of equal length (the number of frames depends on the "
                f"length); got a list of {len(X)} recordings of different lengths. Pad or cut them to one "
                "length, or segment them (sklearn_wavefront.segmenting), or use output='statistics'"
            )
        recordings = []
        for i, r in enumerate(X):
            a = np.asarray(r)
            if a.ndim != 1 or a.size == 0:
                raise ValueError(
                    f"X[{i}] must be a non-empty 1-D waveform when X is a list of recordings of different "
                    f"lengths, got shape {a.shape}"
                )
            if not np.issubdtype(a.dtype, np.number) or np.issubdtype(a.dtype, np.complexfloating):
                raise ValueError(f"X[{i}] must hold real numbers, got dtype={a.dtype}")
            a = a.astype(np.float64, copy=False)
            if not np.isfinite(a).all():
                raise ValueError(f"X[{i}] contains NaN or infinite samples")
            check_sample_scale(a[None, :], name=f"X[{i}]")
            recordings.append(a)
        return recordings

    def _transform_ragged(self, X) -> np.ndarray:
        """Statistics of a list of 1-D recordings of different lengths: each row depends on its recording only."""
        recordings = self._check_ragged(X)
        out = np.empty((len(recordings), self._n_features_out), dtype=np.float64)
        by_length: dict = {}
        for i, a in enumerate(recordings):
            by_length.setdefault(a.shape[0], []).append(i)
        for rows in by_length.values():  # recordings of one length are batched together
            out[rows] = self._transform_array(np.stack([recordings[i] for i in rows]))
        return out

    # -- learning -----------------------------------------------------------------------------------
    def _learn(self, fb, X: np.ndarray, y_codes: np.ndarray, n_classes: int, seed: int, weights=None,
               valid=None):
        """Learn ``fb``'s parameters; returns ``(loss_curve, validation_loss_curve, best_epoch)``.

        ``valid``: ``(train_indices, valid_indices)`` of the early-stopping hold-out, or ``None``
        (everything trains). The standardisation of the head's inputs and the head itself see the
        training rows only."""
        params = [p for p in fb.parameters() if p.requires_grad]
        if not params:
            return [], [], 0
        # every random draw (head weights, shuffling) comes from this estimator's own generator:
        # torch's global one is shared by all threads (joblib's threading backend)
        gen = make_generator(seed)
        device = self._transform_device()  # learning runs where transform does
        fb.to(device)  # in place: the caller's module, moved back to the CPU by fit
        w_all = torch.ones(X.shape[0]) if weights is None else torch.as_tensor(weights, dtype=torch.float32)
        held_out = None
        if valid is not None:
            train, hold = valid
            held_out = (X[hold], y_codes[hold], w_all[torch.as_tensor(hold)].to(device))
            X, y_codes, w_all = X[train], y_codes[train], w_all[torch.as_tensor(train)]
        w_all = w_all.to(device)
        if self.learning_head == "temporal":
            from .networks.heads import TemporalConvHead

            with global_rng_untouched():
                head = TemporalConvHead(fb.n_outputs, n_classes, dropout=0.0, block_norm=None)
            frozen = [self._fix_channel_standardisation(head, fb, X, w_all, device)]

            def logits_of(x):
                return head(fb(self._pad(x)))
        else:
            head, logits_of = self._linear_head(fb, X, n_classes, w_all, device)
            frozen = []
        reset_parameters(head, gen)  # the head's weights drawn from this estimator's generator
        head.to(device)
        return self._train(fb, params, head, logits_of, X, y_codes, w_all, gen, device, frozen, held_out)

    def _fix_channel_standardisation(self, head, fb, X, w_all, device):
        """Freeze the temporal head's per-channel standardisation at the weighted mean and variance of
        the initial filters' (per-recording normalised) frames on the training data, as the linear head
        standardises its statistics: no statistic over a mini-batch, so each recording's loss depends
        on that recording only and an integer weight acts as repeats."""
        fb.eval()
        per_recording, channel_norm = head.norm[0], head.norm[1]

        def channel_moments(x):
            u = per_recording(fb(self._pad(x.to(device))))
            return torch.cat([u.mean(-1), (u * u).mean(-1)], dim=1)  # (B, 2C): per-recording moments

        moments = torch.as_tensor(self._batched(channel_moments, X, dtype=torch.float32), dtype=torch.float32)
        share = (w_all.cpu() / w_all.sum().cpu())[:, None]
        first, second = (share * moments).sum(0).chunk(2)
        with torch.no_grad():
            channel_norm.running_mean.copy_(first)
            channel_norm.running_var.copy_((second - first * first).clamp_min(0.0))
        channel_norm.requires_grad_(False)
        return channel_norm  # kept in eval() while the rest trains

    def _linear_head(self, fb, X, n_classes, w_all, device):
        """The linear soft-max head on per-filter mean/std, standardised with the initial filters'
        statistics on the training data, and the function giving its logits."""
        stats = ("mean", "std")
        fb.eval()
        feats0 = torch.as_tensor(
            self._batched(lambda x: self._pooled(fb, x.to(device), stats), X, dtype=torch.float32),
            dtype=torch.float32,
        ).to(device)
        share = (w_all / w_all.sum())[:, None]  # weighted standardisation: a weight counts as repeats
        mu = (share * feats0).sum(0)
        sd = (share * (feats0 - mu) ** 2).sum(0).sqrt().clamp_min(1e-3)
        with global_rng_untouched():  # the default initialisation's draws are undone (re-drawn by the caller)
            head = nn.Linear(feats0.shape[1], n_classes)

        def logits_of(x):
            return head((self._pooled(fb, x, stats) - mu) / sd)

        return head, logits_of

    def _train(self, fb, params, head, logits_of, X, y_codes, w_all, gen, device, frozen=(), held_out=None):
        """Adam on filterbank and head jointly; the weighted cross-entropy per mini-batch. Modules in
        ``frozen`` stay in ``eval()`` mode.

        With ``held_out = (X_valid, y_valid, w_valid)`` (early stopping): the weighted validation
        cross-entropy after every epoch; a copy of filterbank and head at each strictly lower one;
        stop after ``patience`` epochs without one and restore that copy. Evaluating draws nothing
        from ``gen``: on the same split, a run of ``n`` epochs is the first ``n`` epochs of a longer one.
        Returns ``(loss_curve, validation_loss_curve, best_epoch)``."""
        trained = [*params, *(p for p in head.parameters() if p.requires_grad)]
        settings = multi_tensor_step_kwargs(torch.optim.Adam, trained, {"lr": self.learning_rate})
        opt = torch.optim.Adam(trained, **settings)
        loss_fn = nn.CrossEntropyLoss(reduction="none")
        X_t = torch.tensor(X, dtype=torch.float32)  # stays on the CPU; each batch goes to the device
        y_t = torch.as_tensor(y_codes, dtype=torch.long).to(device)
        fb.train()
        head.train()
        for module in frozen:
            module.eval()
        losses, valid_losses = [], []
        best_loss, best_epoch, best_state, misses = float("inf"), 0, None, 0
        for epoch in range(self.max_epochs):
            start_time = time.perf_counter()
            perm = torch.randperm(X_t.shape[0], generator=gen)
            total = 0.0
            for batch, start in enumerate(range(0, X_t.shape[0], self.batch_size)):
                idx = perm[start : start + self.batch_size]
                idx_dev = idx.to(device)
                w = w_all[idx_dev]
                w_sum = float(w.sum())
                if w_sum <= 0:  # a batch of zero-weight recordings teaches nothing
                    continue
                opt.zero_grad()
                logits = logits_of(X_t[idx].to(device))
                # the weighted mean: integer weights act as repeated recordings
                loss = (w * loss_fn(logits, y_t[idx_dev])).sum() / w_sum
                loss.backward()
                opt.step()
                value = loss.item()
                self._check_finite(fb, value, epoch + 1, batch + 1, X_t[idx])
                total += value * w_sum
            losses.append(total / float(w_all.sum()))
            line = f"loss {losses[-1]:.4f}"
            if held_out is not None:
                valid_losses.append(self._validation_loss(fb, head, logits_of, held_out, device, frozen))
                line += f"  valid loss {valid_losses[-1]:.4f}"
                if valid_losses[-1] < best_loss:  # strictly lower: the first of equal losses is kept
                    best_loss, best_epoch, misses = valid_losses[-1], epoch + 1, 0
                    best_state = (_state_copy(fb), _state_copy(head))
                else:
                    misses += 1
            if self.verbose:
                print(
                    f"[{type(self).__name__}] epoch {epoch + 1}/{self.max_epochs}  {line}  "
                    f"{time.perf_counter() - start_time:.1f} s",
                    flush=True,
                )
            if held_out is not None and misses >= self.patience:
                break
        if best_state is not None:  # the best epoch's filterbank and head, as they were
            fb.load_state_dict(best_state[0])
            head.load_state_dict(best_state[1])
        else:  # no early stopping (or every validation loss NaN): the last epoch is the one kept
            best_epoch = len(losses)
        fb.eval()
        head.eval()
        return losses, valid_losses, best_epoch

    def _validation_loss(self, fb, head, logits_of, held_out, device, frozen=()) -> float:
        """The weighted mean cross-entropy of the held-out recordings (``eval()`` mode, no gradient)."""
        X_v, y_v, w_v = held_out
        fb.eval()
        head.eval()
        total = 0.0
        with torch.no_grad():
            for start in range(0, X_v.shape[0], self.batch_size):
                x = torch.tensor(X_v[start : start + self.batch_size], dtype=torch.float32).to(device)
                y = torch.as_tensor(y_v[start : start + self.batch_size], dtype=torch.long).to(device)
                w = w_v[start : start + self.batch_size]
                total += float((w * nn.functional.cross_entropy(logits_of(x), y, reduction="none")).sum())
        fb.train()
        head.train()
        for module in frozen:
            module.eval()
        return total / float(w_v.sum())

    def _check_finite(self, fb, loss: float, epoch: int, batch: int, x: torch.Tensor) -> None:
        """Raise :class:`TrainingDivergedError` if the loss or a filterbank parameter is not finite."""
        bad = nonfinite_parameters(fb, loss)
        if bad is None:
            return
        what = [] if np.isfinite(loss) else [f"the training loss is {loss}"]
        if bad:
            what.append(f"filterbank parameters {', '.join(bad)} are no longer finite")
        raise TrainingDivergedError(
            f"{type(self).__name__}.fit diverged while learning the filters at epoch {epoch}, batch {batch}: "
            f"{' and '.join(what)}. Likely causes: learning_rate={self.learning_rate!r} is too large (try one "
            f"10 times smaller), or the inputs have an extreme scale (largest |x| in this batch: "
            f"{float(x.abs().max()):.3g}; audio is usually within [-1, 1]). No filterbank was kept."
        )

    # -- scikit-learn API ---------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None, groups=None):
        """Build the filterbank; with ``y`` and ``max_epochs > 0``, also learn its parameters.

        Parameters
        ----------
        X : array-like of shape (n_recordings, n_samples), or list of 1-D arrays
            Waveforms sampled at ``sample_rate`` Hz. A list of recordings of different lengths is
            accepted when nothing is learned and ``output="statistics"`` (then ``n_features_in_``
            is not set, and ``transform`` takes recordings of any length).
        y : array-like of shape (n_recordings,), default=None
            Class labels. Used only when ``max_epochs > 0`` (then the filters are learned).
        sample_weight : array-like of shape (n_recordings,), default=None
            Non-negative weight of each recording in the learning loss (the weighted mean of each
            mini-batch's cross-entropy) and in the standardisation of the features that feed the
            linear head. With ``batch_size >= n_recordings`` an integer weight acts exactly as that
            many copies of the recording; with smaller batches each batch is weighted on its own.
            Checked but unused when nothing is learned. With ``early_stopping=True`` the validation
            loss is weighted the same way. With metadata routing, request it with
            ``set_fit_request(sample_weight=True)``.
        groups : array-like of shape (n_recordings,), default=None
            Group of each recording (the recording a segment was cut from, the speaker). With
            ``early_stopping=True`` (learnable front-ends) the hold-out takes whole groups, so no
            group is on both sides; checked but unused otherwise.
            :class:`~sklearn_wavefront.segmenting.SegmentedClassifier` passes the recording of each
            segment here when the front-end has early stopping on (``frontend__groups`` in a
            pipeline). With metadata routing, request it with ``set_fit_request(groups=True)``.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        stats = (self.statistics,) if isinstance(self.statistics, str) else tuple(self.statistics)
        self.__dict__.pop("classes_", None)  # a refit without labels learns no classes
        learn = y is not None and self.max_epochs > 0
        if learn:  # the filters learn from mini-batches of one length
            check_equal_lengths(X, hint=_RAGGED_HINT)
        if _is_ragged(X):  # fixed filters need no common length: nothing is learned from X
            recordings = self._check_ragged(X)
            for name in ("n_features_in_", "feature_names_in_"):  # no one number of samples
                self.__dict__.pop(name, None)
            longest = max(len(r) for r in recordings)
            X = np.empty((len(recordings), 0))  # stands in for the recordings in the checks below
        else:
            if learn:
                X, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
                check_classification_targets(y)
            else:
                X = validate_data(self, X, dtype=[np.float64, np.float32])
                if y is not None:  # unused, but a mismatch is a bug upstream
                    check_consistent_length(X, y)
            check_sample_scale(X)
            longest = X.shape[1]
        weights = None
        if sample_weight is not None:  # checked even when unused: a bad weight vector is a bug upstream
            # scikit-learn's check: one finite weight >= 0 per recording, not all zero
            weights = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        if groups is not None:  # checked even when unused, as sample_weight
            groups = np.asarray(groups)
            if groups.ndim != 1 or len(groups) != X.shape[0]:
                raise ValueError(
                    f"groups must hold one entry per recording: got shape {groups.shape} for {X.shape[0]} recordings"
                )
        self._statistics_ = stats
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        fb = self._make_filterbank()  # initialised deterministically (mel- or log-spaced): no draws
        self.min_input_length_ = int(fb.min_input_length())
        self.loss_curve_, self.validation_loss_curve_, self.best_epoch_ = [], [], 0
        split = None
        if learn:
            encoder = LabelEncoder().fit(y)
            has_parameters = any(p.requires_grad for p in fb.parameters())
            if len(encoder.classes_) < 2 and has_parameters:
                raise ValueError(
                    f"max_epochs={self.max_epochs} asks {type(self).__name__} to learn its filters from the labels, "
                    f"but y contains only one class: {_plain(encoder.classes_[0])!r}; learning needs at least 2 classes "
                    "(or set max_epochs=0 to keep the initial filters)"
                )
            y_codes = encoder.transform(y)
            if has_parameters and getattr(self, "early_stopping", False):
                split = self._holdout(y_codes, groups, weights, seed)
            self.classes_ = encoder.classes_
            try:
                self.loss_curve_, self.validation_loss_curve_, self.best_epoch_ = self._learn(
                    fb, X, y_codes, len(self.classes_), seed, weights, valid=split
                )
            except (TrainingDivergedError, KeyboardInterrupt):
                # no filters of an earlier fit beside this fit's labels, no half-learned filters: unfitted
                self._forget_fit()
                raise
        fb.eval()
        for p in fb.parameters():
            p.requires_grad_(False)
        # kept in float64 on the CPU: transform evaluates the filters from these parameters in float64
        # and rounds once to its precision (and copies them to its device)
        self.filterbank_ = fb.cpu().double()
        self.n_iter_ = len(self.loss_curve_)
        self.validation_indices_ = np.empty(0, dtype=np.intp) if split is None else split[1]
        n_frames = fb.output_length(max(longest, self.min_input_length_))
        self.n_frames_ = int(n_frames)
        self._n_features_out = (
            fb.n_outputs * self.n_frames_ if self.output == "frames" else fb.n_outputs * len(stats)
        )
        self._set_learned_attributes(fb)
        return self

    def _fit_uses_groups(self) -> bool:
        """Whether ``fit(X, y, groups=g)`` would use ``g``: learning with early stopping (read by
        :class:`~sklearn_wavefront.segmenting.SegmentedClassifier` and
        :func:`~sklearn_wavefront.recipes.groups_fit_parameter`, which then pass the groups here)."""
        return bool(getattr(self, "early_stopping", False)) and self.max_epochs > 0

    def _holdout(self, y_codes, groups, weights, seed):
        """``(train, valid)`` row indices of the early-stopping hold-out, each sorted."""
        train, valid = holdout_indices(
            len(y_codes), self.validation_fraction, y=y_codes, groups=groups, random_state=seed, what="recordings"
        )
        train, valid = np.sort(train), np.sort(valid)
        if weights is not None:
            for side, rows in (("training", train), ("held-out", valid)):
                if not weights[rows].sum() > 0:
                    raise ValueError(
                        f"early_stopping: every {side} recording has sample_weight 0 (the hold-out of "
                        f"validation_fraction={self.validation_fraction!r} is drawn from random_state); "
                        "its loss is undefined. Give them weight, or set early_stopping=False"
                    )
        return train, valid

    def __setstate__(self, state):
        """Unpickle; a parameter added to the class after the object was saved takes its default,
        so models saved by an earlier version of the package keep working."""
        super().__setstate__(state)
        import inspect

        for name, param in inspect.signature(type(self).__init__).parameters.items():
            if name != "self" and param.default is not inspect.Parameter.empty and name not in self.__dict__:
                # a model from before multirate existed was fitted (and its head trained) at the full rate
                setattr(self, name, False if name == "multirate" else param.default)

    def _forget_fit(self) -> None:
        """Remove everything ``fit`` sets, so the transformer reads as unfitted."""
        for name in [k for k in vars(self) if k.endswith("_") and not k.startswith("__")]:
            delattr(self, name)

    def _set_learned_attributes(self, fb) -> None:
        self.center_frequencies_ = np.asarray(fb.center_frequencies(), dtype=np.float64)

    def transform(self, X):
        """Features of each recording (see the module docstring for the rule).

        Computed in ``precision`` (the filters are evaluated in float64 and rounded once), one
        chunk of ``batch_size`` recordings at a time (one recording at a time on FFT paths); the
        features are returned in float64. float32 features match ``precision="float64"`` to within
        ``1e-4 * (1 + |feature|)`` (tested; mel/MFCC bands more than ~80 dB below the loudest band
        excepted, see the module docstring), and a recording's row does not depend on the other
        recordings in ``X`` (tested to 1e-6). A list of 1-D recordings gives one row per recording,
        whatever their lengths.

        Parameters
        ----------
        X : array-like of shape (n_recordings, n_samples), or list of 1-D arrays
            Waveforms at ``sample_rate`` Hz, as many samples as in ``fit``. With
            ``output="statistics"``, ``X`` may also be a list of 1-D recordings of different lengths:
            each row is then the features of that recording alone (recordings of equal length are
            batched together). ``output="frames"`` needs equal lengths.

        Returns
        -------
        features : ndarray of shape (n_recordings, n_features_out)
        """
        check_is_fitted(self, "filterbank_")
        self._check_transform_params()
        if _is_ragged(X) or (self.output == "statistics" and _is_recording_list(X)):
            # a list of recordings: one row each, whatever their lengths (also one recording, or
            # several of one length other than fit's); arrays keep scikit-learn's fixed width
            return self._transform_ragged(X)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        check_sample_scale(X)
        return self._transform_array(X)

    def _channel_names(self) -> list:
        fb = self.filterbank_
        n = fb.n_outputs
        width = len(str(max(n - 1, 0)))
        if not self._cepstral:
            hz = self.center_frequencies_
            return [f"{self._name}{i:0{width}d}_{self._frequency_label}{hz[i]:.0f}hz" for i in range(n)]
        return [f"{self._name}{i:0{width}d}" for i in range(n)]

    def get_feature_names_out(self, input_features=None):
        """Names of the output features.

        ``"<name><channel>_<centre>hz_<statistic>"`` (e.g. ``"comb03_f0_220hz_mean"``) with
        ``output="statistics"``, ``"<name><channel>_<centre>hz_t<frame>"`` with ``output="frames"``.
        Cepstral outputs (MFCC) have no frequency: ``"mfcc03_mean"``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored apart from a length check (the output names do not depend on the input).

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "filterbank_")
        if input_features is not None and len(input_features) != self.n_features_in_:
            raise ValueError(
                f"input_features should have length equal to the number of features seen in fit "
                f"({self.n_features_in_}), got {len(input_features)}"
            )
        channels = self._channel_names()
        if self.output == "frames":
            width = len(str(max(self.n_frames_ - 1, 0)))
            names = [f"{c}_t{t:0{width}d}" for c in channels for t in range(self.n_frames_)]
        else:
            names = [f"{c}_{s}" for s in self._statistics_ for c in channels]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags


_COMMON_PARAMS_DOC = """
    statistics : sequence of {"mean", "std", "max", "min"}, default=("mean", "std")
        Statistics over frames of each output channel (``output="statistics"``).
    output : {"statistics", "frames"}, default="statistics"
        Pooled statistics, or the whole envelope flattened (``n_outputs * frames`` features).
    max_epochs : int, default=0
        Passes over the data when learning the filters in ``fit(X, y)``; 0 keeps the initial filters.
    learning_rate : float, default=0.01
        Adam step size when learning the filters.
    learning_head : {"linear", "temporal"}, default="linear"
        What the filters learn through in ``fit(X, y)`` (then discarded): ``"linear"``, a linear
        soft-max layer on the standardised per-filter mean and std; ``"temporal"``, a
        :class:`~sklearn_wavefront.networks.heads.TemporalConvHead` (dilated convolutions over the
        frames; no dropout, no normalisation over mini-batches), so the filters learn what changes in time, as the features of
        :class:`~sklearn_wavefront.temporal.MiniRocketHead` read it.
    batch_size : int, default=32
        Recordings per mini-batch (learning) and per chunk (``transform``).
    precision : {"float32", "float64"}, default="float32"
        Arithmetic of ``transform`` (the output is float64 either way; filters are always evaluated in
        float64 from the fitted parameters). float32 is 2-6x faster and within
        ``1e-4 * (1 + |feature|)`` of float64 (mel/MFCC: for bands within ~80 dB of the loudest).
    device : str or torch.device, default="cpu"
        Where ``transform`` computes (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ... or ``"auto"``: CUDA when
        available); the features come back as a numpy array either way. On CUDA the comb's training
        operator runs the Triton kernels when triton imports (``CombFrontend(inference="iir")`` runs
        the torch block algorithm there). Learning in ``fit`` runs there too; the fitted
        ``filterbank_`` is kept on the CPU. Measured on an H200 against its 16 CPU threads
        (``benchmarks/frontends_gpu.py``): the FIR front-ends and the comb surrogate transform 12-14x
        faster on CUDA, gammatone 2x; the exact-IIR comb, mel and MFCC are faster on the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds the head initialisation and the shuffling when learning (a generator private to
        the estimator: torch's global one is neither used nor reseeded).
    verbose : int, default=0
        When > 0 and the filters are learned, one line per epoch (loss, seconds) on stdout.
"""

_EARLY_STOPPING_DOC = """
    early_stopping : bool, default=False
        When learning (``fit(X, y)`` with ``max_epochs > 0``): hold out ``validation_fraction`` of
        the recordings, train on the rest, and after each epoch compute the (weighted, with
        ``sample_weight``) cross-entropy of the held-out recordings; stop after ``patience`` epochs
        without a strictly lower one and restore the filters (and head) of the best epoch. The
        hold-out is that of :class:`~sklearn_wavefront.classifiers.WaveformClassifier`: whole groups
        with ``fit(X, y, groups=g)``, stratified by class when both sides can hold every class,
        drawn from ``random_state``.
    validation_fraction : float in (0, 1), default=0.1
        Share of the recordings (or groups) held out when ``early_stopping``.
    patience : int, default=5
        Epochs without improvement of the validation loss before stopping.
"""

_COMMON_ATTRS_DOC = """
    filterbank_ : torch.nn.Module
        The fitted filterbank module (parameters frozen).
    n_features_in_ : int
        Number of samples per recording seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Defined only when ``X`` had string column names.
    n_frames_ : int
        Frames per recording of ``n_features_in_`` samples.
    min_input_length_ : int
        Shorter recordings are zero-padded at the end to this length.
    classes_ : ndarray
        Class labels (only after learning with ``y``; a later ``fit`` without learning removes it).
    loss_curve_ : list of float
        Mean training loss per epoch when the filters were learned (empty otherwise; with early
        stopping, over the training part only).
    n_iter_ : int
        Number of epochs run (``len(loss_curve_)``).
    best_epoch_ : int
        The epoch (1-based) whose filters were kept: the one of the lowest validation loss with
        early stopping, else the last one (``n_iter_``; 0 when nothing was learned).
    validation_loss_curve_ : list of float
        Validation loss per epoch with early stopping (empty otherwise).
    validation_indices_ : ndarray of int
        Rows of ``X`` held out for early stopping, sorted (empty without early stopping).
"""


#: the multirate parameter of the FIR front-ends (IConNet, SincNet, gammatone)
_MULTIRATE_DOC = """
    multirate : bool, default=True
        Filter each band at the lowest rate its spectrum allows and take the envelope there (a
        documented approximation of the full-rate filterbank: see *Multirate* in
        :class:`~sklearn_wavefront.filterbanks._base.FIRFilterbank` for the rule and the measured
        tolerance; 2.5-5x faster ``transform``, 2.7-6x faster learning). ``False`` computes every
        band at the full rate. Read by ``fit`` (learning uses the same forward) and by ``transform``.
"""


def _doc(cls):
    cls.__doc__ = (
        cls.__doc__.replace("%(multirate_param)s", _MULTIRATE_DOC.strip("\n"))
        .replace("%(common_params)s", _COMMON_PARAMS_DOC.strip("\n"))
        .replace("%(early_stopping_params)s", _EARLY_STOPPING_DOC.strip("\n"))
        .replace("%(common_attrs)s", _COMMON_ATTRS_DOC.strip("\n"))
    )
    return cls


@_doc
class CombFrontend(_BaseFrontend):
    """Comb-filter (combolutional) front-end: learned fundamental frequencies.

    Wraps :class:`~sklearn_wavefront.filterbanks.comb.CombFilterbank`: ``n_filters`` comb channels with
    fundamentals initialised evenly on a log scale over ``[fmin, fmax]``, max-envelope frames,
    ``log1p`` compression. Features follow the rule of :mod:`sklearn_wavefront.frontends`.

    Parameters
    ----------
    sample_rate : float, default=16000
        Sample rate of the waveforms in Hz.
    n_filters : int, default=32
        Number of comb channels.
    fmin, fmax : float, default=50.0 and None
        Range of the fundamentals in Hz (``None``: ``min(2000, sample_rate / 2)``).
    alpha : float, default=0.9
        Feedback gain, inside (-1, 1).
    learn_alpha : bool, default=False
        Also learn one gain per channel.
    window_length, hop_length : int or None, default=None
        Envelope frame and hop in samples (``None``: 50 ms and half of it).
    inference : {"fir", "iir"}, default="fir"
        Filter used by ``transform``. ``"fir"``: the truncated-FIR surrogate that ``fit`` trains
        (fractional delays, 10 echoes). ``"iir"``: the exact feedback comb with whole-sample delays
        ``round(sample_rate / f0)``, one multiply-add per sample and channel, as the combolutional paper
        does at inference (compiled with numba when installed: ``pip install sklearn-wavefront[fast]``).
        Same frames and names; the values differ (peak gain ``1/(1-alpha)`` vs about 6.86, quantised
        fundamentals), so fit the downstream model on features of the same ``inference``.
%(common_params)s
%(early_stopping_params)s

    Attributes
    ----------
    center_frequencies_ : ndarray of shape (n_filters,)
        Fundamentals in Hz (learned if ``max_epochs > 0``).
    f0_ : ndarray of shape (n_filters,)
        Same as ``center_frequencies_``.
    alpha_ : ndarray of shape (n_filters,)
        Feedback gains.
%(common_attrs)s

    See Also
    --------
    sklearn_wavefront.filterbanks.comb.CombFilterbank : The filterbank module.
    CombNetClassifier : The end-to-end classifier built on the same filters.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_wavefront.frontends import CombFrontend
    >>> X = np.random.default_rng(0).normal(size=(4, 4000))
    >>> front = CombFrontend(sample_rate=8000, n_filters=6).fit(X)
    >>> front.transform(X).shape
    (4, 12)
    >>> front.get_feature_names_out()[:2].tolist()
    ['comb0_f0_68hz_mean', 'comb1_f0_126hz_mean']
    """

    _name = "comb"
    _frequency_label = "f0_"
    _parameter_constraints: dict = {
        **_BaseFrontend._parameter_constraints,
        **_EARLY_STOPPING_CONSTRAINTS,
        "alpha": [Interval(Real, -1, 1, closed="neither")],
        "learn_alpha": ["boolean"],
        "window_length": [_POSITIVE_INT, None],
        "hop_length": [_POSITIVE_INT, None],
        "inference": [StrOptions({"fir", "iir"})],
    }
    _transform_params = (*_BaseFrontend._transform_params, "inference")

    def __init__(
        self,
        sample_rate=16000,
        n_filters=32,
        fmin=50.0,
        fmax=None,
        alpha=0.9,
        learn_alpha=False,
        window_length=None,
        hop_length=None,
        inference="fir",
        statistics=("mean", "std"),
        output="statistics",
        max_epochs=0,
        learning_rate=0.01,
        learning_head="linear",
        batch_size=32,
        precision="float32",
        device="cpu",
        random_state=None,
        verbose=0,
        early_stopping=False,
        validation_fraction=0.1,
        patience=5,
    ):
        self.sample_rate = sample_rate
        self.n_filters = n_filters
        self.fmin = fmin
        self.fmax = fmax
        self.alpha = alpha
        self.learn_alpha = learn_alpha
        self.window_length = window_length
        self.hop_length = hop_length
        self.inference = inference
        self.statistics = statistics
        self.output = output
        self.max_epochs = max_epochs
        self.learning_rate = learning_rate
        self.learning_head = learning_head
        self.batch_size = batch_size
        self.precision = precision
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience

    def _filterbank_class(self):
        from .filterbanks.comb import CombFilterbank

        return CombFilterbank

    def _filterbank_kwargs(self):
        return dict(
            sample_rate=self.sample_rate,
            n_filters=self.n_filters,
            fmin=self.fmin,
            fmax=self.fmax,
            alpha=self.alpha,
            learn_alpha=self.learn_alpha,
            window_length=self.window_length,
            hop_length=self.hop_length,
        )

    def _transform_module(self, fb, x):
        return fb.forward_iir(x) if self.inference == "iir" else fb(x)

    def _transform_chunk(self, fb) -> int:
        # the exact IIR filters each recording on its own (numba) or per chunk (torch): any chunk is exact
        return self.batch_size

    def _set_learned_attributes(self, fb):
        super()._set_learned_attributes(fb)
        self.f0_ = self.center_frequencies_.copy()
        self.alpha_ = fb.alphas().detach().double().numpy().copy()


@_doc
class IConNetFrontend(_BaseFrontend):
    """IConNet front-end: band-pass FIR kernels shaped by learnable generalized-cosine windows.

    Wraps :class:`~sklearn_wavefront.filterbanks.fir_window.FIRWindowFilterbank`: ``n_filters`` adjacent
    bands mel-spaced over ``[fmin, fmax]``, Hann windows, ``|y|``, mean pooling by ``stride``, NLReLU.
    ``learn_bands`` / ``learn_windows`` select the IConNet-B, -W or -BW variant that ``fit(X, y)``
    learns. Features follow the rule of :mod:`sklearn_wavefront.frontends`.

    Parameters
    ----------
    sample_rate : float, default=16000
        Sample rate of the waveforms in Hz.
    n_filters : int, default=32
        Number of band-pass filters.
    fmin, fmax : float, default=30.0 and None
        Range of the initial bands in Hz (``None``: ``sample_rate / 2``).
    kernel_size : int, default=127
        Odd number of taps.
    stride : int, default=160
        Pooling window and hop in samples.
    window : {"hann", "hamming", "blackman"}, default="hann"
        Initial window.
    learn_bands, learn_windows : bool, default=True
        Which parameters ``fit(X, y)`` learns.
%(multirate_param)s
%(common_params)s
%(early_stopping_params)s

    Attributes
    ----------
    center_frequencies_ : ndarray of shape (n_filters,)
        Band centres in Hz.
    bands_ : ndarray of shape (n_filters, 2)
        ``(low, high)`` cut-offs in Hz.
    windows_ : ndarray of shape (n_filters, kernel_size)
        The (learned) windows.
%(common_attrs)s

    See Also
    --------
    sklearn_wavefront.filterbanks.fir_window.FIRWindowFilterbank : The filterbank module.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_wavefront.frontends import IConNetFrontend
    >>> X = np.random.default_rng(0).normal(size=(4, 2000))
    >>> front = IConNetFrontend(sample_rate=8000, n_filters=5, kernel_size=63, stride=80).fit(X)
    >>> front.transform(X).shape, front.bands_.shape, front.windows_.shape
    ((4, 10), (5, 2), (5, 63))
    """

    _name = "iconnet"
    _parameter_constraints: dict = {
        **_BaseFrontend._parameter_constraints,
        **_EARLY_STOPPING_CONSTRAINTS,
        "kernel_size": [Interval(Integral, 3, None, closed="left")],  # odd: checked by the filterbank
        "stride": [_POSITIVE_INT],
        "window": [StrOptions({"hann", "hamming", "blackman"}), "array-like"],
        "learn_bands": ["boolean"],
        "learn_windows": ["boolean"],
        "multirate": ["boolean"],
    }
    _transform_params = (*_BaseFrontend._transform_params, "multirate")

    def __init__(
        self,
        sample_rate=16000,
        n_filters=32,
        fmin=30.0,
        fmax=None,
        kernel_size=127,
        stride=160,
        window="hann",
        learn_bands=True,
        learn_windows=True,
        multirate=True,
        statistics=("mean", "std"),
        output="statistics",
        max_epochs=0,
        learning_rate=0.01,
        learning_head="linear",
        batch_size=32,
        precision="float32",
        device="cpu",
        random_state=None,
        verbose=0,
        early_stopping=False,
        validation_fraction=0.1,
        patience=5,
    ):
        self.sample_rate = sample_rate
        self.n_filters = n_filters
        self.fmin = fmin
        self.fmax = fmax
        self.kernel_size = kernel_size
        self.stride = stride
        self.window = window
        self.learn_bands = learn_bands
        self.learn_windows = learn_windows
        self.multirate = multirate
        self.statistics = statistics
        self.output = output
        self.max_epochs = max_epochs
        self.learning_rate = learning_rate
        self.learning_head = learning_head
        self.batch_size = batch_size
        self.precision = precision
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience

    def _filterbank_class(self):
        from .filterbanks.fir_window import FIRWindowFilterbank

        return FIRWindowFilterbank

    def _filterbank_kwargs(self):
        return dict(
            sample_rate=self.sample_rate,
            n_filters=self.n_filters,
            fmin=self.fmin,
            fmax=self.fmax,
            kernel_size=self.kernel_size,
            stride=self.stride,
            window=self.window,
            learn_bands=self.learn_bands,
            learn_windows=self.learn_windows,
            multirate=self._multirate_setting(),
        )

    def _set_learned_attributes(self, fb):
        super()._set_learned_attributes(fb)
        self.bands_ = np.asarray(fb.bands(), dtype=np.float64)
        self.windows_ = fb.windows().detach().double().numpy().copy()


@_doc
class SincFrontend(_BaseFrontend):
    """SincNet front-end: Hamming-windowed sinc band-pass filters with learnable cut-offs.

    Wraps :class:`~sklearn_wavefront.filterbanks.sinc.SincFilterbank` (``|y|``, max pooling by
    ``stride``, ``log1p``). Features follow the rule of :mod:`sklearn_wavefront.frontends`.

    Parameters
    ----------
    sample_rate : float, default=16000
        Sample rate of the waveforms in Hz.
    n_filters : int, default=32
        Number of band-pass filters.
    fmin, fmax : float, default=50.0 and None
        Range of the initial bands in Hz.
    kernel_size : int, default=127
        Odd number of taps.
    stride : int, default=160
        Pooling window and hop in samples.
    min_low_hz, min_band_hz : float, default=50.0 and 20.0
        Floors of the low cut-offs and bandwidths.
%(multirate_param)s
%(common_params)s
%(early_stopping_params)s

    Attributes
    ----------
    center_frequencies_ : ndarray of shape (n_filters,)
        Band centres in Hz.
    bands_ : ndarray of shape (n_filters, 2)
        ``(low, high)`` cut-offs in Hz.
%(common_attrs)s

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_wavefront.frontends import SincFrontend
    >>> X = np.random.default_rng(0).normal(size=(3, 2000))
    >>> SincFrontend(sample_rate=8000, n_filters=4, kernel_size=63, stride=80).fit_transform(X).shape
    (3, 8)
    """

    _name = "sinc"
    _parameter_constraints: dict = {
        **_BaseFrontend._parameter_constraints,
        **_EARLY_STOPPING_CONSTRAINTS,
        "kernel_size": [Interval(Integral, 3, None, closed="left")],  # odd: checked by the filterbank
        "stride": [_POSITIVE_INT],
        "min_low_hz": [Interval(Real, 0, None, closed="left")],
        "min_band_hz": [_POSITIVE_REAL],
        "multirate": ["boolean"],
    }
    _transform_params = (*_BaseFrontend._transform_params, "multirate")

    def __init__(
        self,
        sample_rate=16000,
        n_filters=32,
        fmin=50.0,
        fmax=None,
        kernel_size=127,
        stride=160,
        min_low_hz=50.0,
        min_band_hz=20.0,
        multirate=True,
        statistics=("mean", "std"),
        output="statistics",
        max_epochs=0,
        learning_rate=0.01,
        learning_head="linear",
        batch_size=32,
        precision="float32",
        device="cpu",
        random_state=None,
        verbose=0,
        early_stopping=False,
        validation_fraction=0.1,
        patience=5,
    ):
        self.sample_rate = sample_rate
        self.n_filters = n_filters
        self.fmin = fmin
        self.fmax = fmax
        self.kernel_size = kernel_size
        self.stride = stride
        self.min_low_hz = min_low_hz
        self.min_band_hz = min_band_hz
        self.multirate = multirate
        self.statistics = statistics
        self.output = output
        self.max_epochs = max_epochs
        self.learning_rate = learning_rate
        self.learning_head = learning_head
        self.batch_size = batch_size
        self.precision = precision
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience

    def _filterbank_class(self):
        from .filterbanks.sinc import SincFilterbank

        return SincFilterbank

    def _filterbank_kwargs(self):
        return dict(
            sample_rate=self.sample_rate,
            n_filters=self.n_filters,
            fmin=self.fmin,
            fmax=self.fmax,
            kernel_size=self.kernel_size,
            stride=self.stride,
            min_low_hz=self.min_low_hz,
            min_band_hz=self.min_band_hz,
            multirate=self._multirate_setting(),
        )

    def _set_learned_attributes(self, fb):
        super()._set_learned_attributes(fb)
        self.bands_ = np.asarray(fb.bands(), dtype=np.float64)


@_doc
class GammatoneFrontend(_BaseFrontend):
    """Learnable gammatone front-end (SpectNet): log-energy of gammatone filters.

    Wraps :class:`~sklearn_wavefront.filterbanks.gammatone.GammatoneFilterbank`: centre frequencies
    mel-spaced inside ``(fmin, fmax)``, ERB bandwidths, order 4; ``fit(X, y)`` learns centre
    frequency, bandwidth, order, phase and amplitude. Features follow the rule of
    :mod:`sklearn_wavefront.frontends`.

    Parameters
    ----------
    sample_rate : float, default=16000
        Sample rate of the waveforms in Hz.
    n_filters : int, default=32
        Number of gammatone filters.
    fmin, fmax : float, default=100.0 and None
        Range of the initial centre frequencies in Hz.
    kernel_size : int, default=256
        Taps of each gammatone kernel.
    window_seconds, hop_seconds : float, default=0.025 and 0.010
        Energy frame length and hop in seconds.
%(multirate_param)s
%(common_params)s
%(early_stopping_params)s

    Attributes
    ----------
    center_frequencies_ : ndarray of shape (n_filters,)
        Centre frequencies in Hz.
    bandwidths_ : ndarray of shape (n_filters,)
        Bandwidths ``b`` in Hz.
    orders_ : ndarray of shape (n_filters,)
        Orders ``n``.
%(common_attrs)s

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_wavefront.frontends import GammatoneFrontend
    >>> X = np.random.default_rng(0).normal(size=(3, 2000))
    >>> GammatoneFrontend(sample_rate=8000, n_filters=6, kernel_size=128).fit_transform(X).shape
    (3, 12)
    """

    _name = "gammatone"
    _parameter_constraints: dict = {
        **_BaseFrontend._parameter_constraints,
        **_EARLY_STOPPING_CONSTRAINTS,
        "kernel_size": [_POSITIVE_INT],
        "window_seconds": [_POSITIVE_REAL],
        "hop_seconds": [_POSITIVE_REAL],
        "multirate": ["boolean"],
    }
    _transform_params = (*_BaseFrontend._transform_params, "multirate")

    def __init__(
        self,
        sample_rate=16000,
        n_filters=32,
        fmin=100.0,
        fmax=None,
        kernel_size=256,
        window_seconds=0.025,
        hop_seconds=0.010,
        multirate=True,
        statistics=("mean", "std"),
        output="statistics",
        max_epochs=0,
        learning_rate=0.01,
        learning_head="linear",
        batch_size=32,
        precision="float32",
        device="cpu",
        random_state=None,
        verbose=0,
        early_stopping=False,
        validation_fraction=0.1,
        patience=5,
    ):
        self.sample_rate = sample_rate
        self.n_filters = n_filters
        self.fmin = fmin
        self.fmax = fmax
        self.kernel_size = kernel_size
        self.window_seconds = window_seconds
        self.hop_seconds = hop_seconds
        self.multirate = multirate
        self.statistics = statistics
        self.output = output
        self.max_epochs = max_epochs
        self.learning_rate = learning_rate
        self.learning_head = learning_head
        self.batch_size = batch_size
        self.precision = precision
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience

    def _filterbank_class(self):
        from .filterbanks.gammatone import GammatoneFilterbank

        return GammatoneFilterbank

    def _filterbank_kwargs(self):
        return dict(
            sample_rate=self.sample_rate,
            n_filters=self.n_filters,
            fmin=self.fmin,
            fmax=self.fmax,
            kernel_size=self.kernel_size,
            window_seconds=self.window_seconds,
            hop_seconds=self.hop_seconds,
            multirate=self._multirate_setting(),
        )

    def _set_learned_attributes(self, fb):
        super()._set_learned_attributes(fb)
        self.bandwidths_ = fb.bandwidth_hz().detach().double().numpy().copy()
        self.orders_ = fb.orders().detach().double().numpy().copy()


@_doc
class MelFrontend(_BaseFrontend):
    """Fixed log-mel spectrogram front-end (baseline; nothing to learn).

    Wraps :class:`~sklearn_wavefront.filterbanks.mel.MelFilterbank` (power STFT, Slaney mel matrix,
    decibels). ``max_epochs`` is accepted for a uniform interface but has no effect.

    Parameters
    ----------
    sample_rate : float, default=16000
        Sample rate of the waveforms in Hz.
    n_filters : int, default=40
        Number of mel bands.
    fmin, fmax : float, default=0.0 and None
        Frequency range in Hz.
    n_fft : int, default=512
        FFT size.
    hop_length : int, default=160
        Hop between frames in samples.
%(common_params)s

    Attributes
    ----------
    center_frequencies_ : ndarray of shape (n_filters,)
        Centres of the mel bands in Hz.
%(common_attrs)s

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_wavefront.frontends import MelFrontend
    >>> X = np.random.default_rng(0).normal(size=(3, 2000))
    >>> MelFrontend(sample_rate=8000, n_filters=10, n_fft=256, hop_length=80).fit_transform(X).shape
    (3, 20)
    """

    _name = "mel"
    _parameter_constraints: dict = {
        **_BaseFrontend._parameter_constraints,
        "fmin": [Interval(Real, 0, None, closed="left")],  # the lowest mel band may start at DC
        "n_fft": [Interval(Integral, 2, None, closed="left")],
        "hop_length": [_POSITIVE_INT],
    }

    def __init__(
        self,
        sample_rate=16000,
        n_filters=40,
        fmin=0.0,
        fmax=None,
        n_fft=512,
        hop_length=160,
        statistics=("mean", "std"),
        output="statistics",
        max_epochs=0,
        learning_rate=0.01,
        learning_head="linear",
        batch_size=32,
        precision="float32",
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.sample_rate = sample_rate
        self.n_filters = n_filters
        self.fmin = fmin
        self.fmax = fmax
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.statistics = statistics
        self.output = output
        self.max_epochs = max_epochs
        self.learning_rate = learning_rate
        self.learning_head = learning_head
        self.batch_size = batch_size
        self.precision = precision
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _filterbank_class(self):
        from .filterbanks.mel import MelFilterbank

        return MelFilterbank

    def _filterbank_kwargs(self):
        return dict(
            sample_rate=self.sample_rate,
            n_filters=self.n_filters,
            fmin=self.fmin,
            fmax=self.fmax,
            n_fft=self.n_fft,
            hop_length=self.hop_length,
        )


@_doc
class MFCCFrontend(_BaseFrontend):
    """Fixed MFCC front-end (baseline; nothing to learn).

    Wraps :class:`~sklearn_wavefront.filterbanks.mel.MFCCFilterbank`: the orthonormal DCT-II of the
    log-mel spectrogram, first ``n_mfcc`` coefficients. Feature names carry no frequency
    (``"mfcc03_mean"``).

    Parameters
    ----------
    sample_rate : float, default=16000
        Sample rate of the waveforms in Hz.
    n_mfcc : int, default=20
        Number of cepstral coefficients (``<= n_filters``).
    n_filters : int, default=40
        Number of mel bands.
    fmin, fmax : float, default=0.0 and None
        Frequency range in Hz.
    n_fft : int, default=512
        FFT size.
    hop_length : int, default=160
        Hop between frames in samples.
%(common_params)s

    Attributes
    ----------
    center_frequencies_ : ndarray of shape (n_filters,)
        Centres of the underlying mel bands in Hz.
%(common_attrs)s

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_wavefront.frontends import MFCCFrontend
    >>> X = np.random.default_rng(0).normal(size=(3, 2000))
    >>> front = MFCCFrontend(sample_rate=8000, n_mfcc=5, n_filters=10, n_fft=256, hop_length=80)
    >>> front.fit_transform(X).shape
    (3, 10)
    >>> front.get_feature_names_out()[[0, 5]].tolist()
    ['mfcc0_mean', 'mfcc0_std']
    """

    _name = "mfcc"
    _cepstral = True
    _parameter_constraints: dict = {
        **_BaseFrontend._parameter_constraints,
        "n_mfcc": [_POSITIVE_INT],  # <= n_filters: checked by the filterbank
        "fmin": [Interval(Real, 0, None, closed="left")],
        "n_fft": [Interval(Integral, 2, None, closed="left")],
        "hop_length": [_POSITIVE_INT],
    }

    def __init__(
        self,
        sample_rate=16000,
        n_mfcc=20,
        n_filters=40,
        fmin=0.0,
        fmax=None,
        n_fft=512,
        hop_length=160,
        statistics=("mean", "std"),
        output="statistics",
        max_epochs=0,
        learning_rate=0.01,
        learning_head="linear",
        batch_size=32,
        precision="float32",
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.sample_rate = sample_rate
        self.n_mfcc = n_mfcc
        self.n_filters = n_filters
        self.fmin = fmin
        self.fmax = fmax
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.statistics = statistics
        self.output = output
        self.max_epochs = max_epochs
        self.learning_rate = learning_rate
        self.learning_head = learning_head
        self.batch_size = batch_size
        self.precision = precision
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _filterbank_class(self):
        from .filterbanks.mel import MFCCFilterbank

        return MFCCFilterbank

    def _filterbank_kwargs(self):
        return dict(
            sample_rate=self.sample_rate,
            n_mfcc=self.n_mfcc,
            n_filters=self.n_filters,
            fmin=self.fmin,
            fmax=self.fmax,
            n_fft=self.n_fft,
            hop_length=self.hop_length,
        )
