"""End-to-end waveform classifiers: skorch ``NeuralNetClassifier`` subclasses with good defaults.

All classifiers here share these defaults (see :class:`WaveformClassifier` for the parameters):

* the module's output is **logits**, the criterion ``torch.nn.CrossEntropyLoss``, and
  ``predict_proba`` applies the soft-max (rows sum to 1);
* ``AdamW``; shuffled training batches; a one-cycle learning-rate schedule stepped **per batch**
  whose length is computed at the first epoch of every ``fit`` from ``max_epochs`` and the number of
  training batches (``lr`` is the peak rate); gradient-norm clipping at ``gradient_clip``;
* no validation split unless ``early_stopping=True``: then ``validation_fraction`` of the training
  data given to ``fit`` (never any other data) is held out, training stops after ``patience`` epochs
  without improvement of the validation loss, and the best weights are restored. The split is
  stratified by class when both sides can hold every class (each class has at least 2 samples and
  both sides at least ``n_classes`` samples); otherwise it falls back to an unstratified random
  split. With ``fit(X, y, groups=g)`` whole groups (recordings, subjects) are held out instead, so
  no group is on both sides; :class:`~sklearn_wavefront.segmenting.SegmentedClassifier` passes the
  recording of each segment this way. The group split is stratified by each group's (most
  frequent) class under the same condition, counted in groups;
* ``random_state`` seeds a generator private to the estimator, from which the initial weights,
  the shuffling, the dropout masks and the inner split are drawn; torch's global generator is
  neither reseeded nor drawn from, so the same ``random_state`` gives the same predictions on the
  CPU, also when several fits run at once in threads (``joblib``'s threading backend);
* training stops with :class:`~sklearn_wavefront.exceptions.TrainingDivergedError`, naming the
  epoch and batch, as soon as the loss or a parameter becomes NaN or infinite (a learning rate
  too large, or inputs of extreme scale), instead of returning a model that predicts NaN;
* ``X`` must be finite with ``|x| <= 1e10`` (audio is usually within [-1, 1]; larger samples
  overflow the float32 envelopes); ``y`` must hold at least two classes;
* ``device="auto"`` means ``"cuda"`` when available, else ``"cpu"``;
* any labels (strings included): ``classes_`` holds them **sorted** (scikit-learn convention, also
  when ``classes=[...]`` is given in another order: ``classes`` only fixes the label set), the
  columns of ``predict_proba`` follow ``classes_``, and ``predict`` returns them;
* class- or (class, domain)-balanced batches with ``balance=...`` and ``fit(X, y, domains=...)``
  (:class:`~sklearn_wavefront.sampling.DoubleBalancedMixin`);
* ``fit(X, y, sample_weight=w)``: the loss of a batch is the weighted mean
  ``sum_i w_i l_i / sum_i w_i`` of the per-sample losses (a batch whose weights are all zero
  contributes a zero loss), so integer weights act as repeated rows and a zero weight removes a
  sample's influence; routed by ``Pipeline`` (``clf__sample_weight=w``) and, under metadata routing,
  after ``set_fit_request(sample_weight=True)``;
* ``X`` is a float array ``(n_recordings, n_samples)`` of waveforms at ``sample_rate`` Hz.
"""

from __future__ import annotations

import contextlib
import copy
import warnings
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
import torch
from skorch import NeuralNetClassifier
from skorch.callbacks import (
    Callback,
    EarlyStopping,
    EpochScoring,
    EpochTimer,
    GradientNormClipping,
    LRScheduler,
    PassthroughScoring,
    PrintLog,
)
from skorch.utils import is_dataset
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data
from torch.utils.data import DataLoader, Subset

from ._holdout import holdout_indices
from ._interrupt import ReraiseInterruptMixin
from ._optim import multi_tensor_step_kwargs
from .registry import BACKENDS
from ._random import global_rng_untouched, global_seed, make_generator, reset_parameters, use_generator_dropout
from ._validation import (
    check_device,
    check_equal_lengths,
    check_sample_scale,
    nonfinite_parameters,
    validate_estimator_params,
)
from .exceptions import TrainingDivergedError
from .networks.combnet import CombNet
from .networks.heads import WaveformNet
from .networks.iconnet import IConNet
from .networks.spectnet import SpectNet
from .sampling import DoubleBalancedMixin

__all__ = [
    "WaveformClassifier",
    "CombNetClassifier",
    "IConNetClassifier",
    "SpectNetClassifier",
    "OneCycleLRScheduler",
    "resolve_device",
]


def resolve_device(device):
    """``"auto"`` -> ``"cuda"`` if available else ``"cpu"``; anything else unchanged."""
    if isinstance(device, str) and device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def _encoded_accuracy(net, X, y):
    """Accuracy on the *encoded* labels skorch sees internally (for the ``valid_acc`` column)."""
    proba = net.predict_proba(X)
    y = y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
    return float(np.mean(proba.argmax(axis=1) == y))


class OneCycleLRScheduler(LRScheduler):
    """``torch.optim.lr_scheduler.OneCycleLR`` stepped after every training batch.

    skorch's ``LRScheduler`` builds its scheduler when training begins, before the number of batches
    is known. This subclass builds it at the first epoch of each ``fit``, with
    ``total_steps = max_epochs * len(training iterator)``, and never steps past the end.

    Parameters
    ----------
    max_lr : float or None, default=None
        Peak learning rate (``None``: the net's ``lr``).
    pct_start : float, default=0.3
        Fraction of the steps spent increasing the rate.
    div_factor, final_div_factor : float, default=25.0 and 1e4
        Initial rate ``max_lr / div_factor``, final ``initial / final_div_factor``.
    event_name : str or None, default="event_lr"
        History key of the rate recorded per batch.
    """

    def __init__(self, max_lr=None, pct_start=0.3, div_factor=25.0, final_div_factor=1e4, event_name="event_lr"):
        super().__init__(
            policy=torch.optim.lr_scheduler.OneCycleLR, monitor=None, event_name=event_name, step_every="batch"
        )
        self.max_lr = max_lr
        self.pct_start = pct_start
        self.div_factor = div_factor
        self.final_div_factor = final_div_factor

    def on_train_begin(self, net, **kwargs):
        self.lr_scheduler_ = None
        self.total_steps_ = None
        self.steps_done_ = 0

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        if self.lr_scheduler_ is not None or dataset_train is None:
            return
        # skorch builds the training iterator just before the first epoch; nets with
        # DoubleBalancedMixin record its length, so no second (balanced) iterator is built here
        info = getattr(net, "_train_iterator_len_", None)
        if info is not None and info[0] is dataset_train:
            n_batches = info[1]
        else:
            n_batches = len(net.get_iterator(dataset_train, training=True))
        per_epoch = max(1, n_batches)
        self.total_steps_ = per_epoch * max(1, int(net.max_epochs))
        self.lr_scheduler_ = torch.optim.lr_scheduler.OneCycleLR(
            net.optimizer_,
            max_lr=net.lr if self.max_lr is None else self.max_lr,
            total_steps=self.total_steps_,
            pct_start=self.pct_start,
            div_factor=self.div_factor,
            final_div_factor=self.final_div_factor,
        )

    def on_batch_end(self, net, training, **kwargs):
        if not training or self.lr_scheduler_ is None:
            return
        self._record_last_lr(net, kind="batch")
        if self.steps_done_ + 1 < self.total_steps_:
            self.lr_scheduler_.step()
        self.steps_done_ += 1

    def on_epoch_end(self, net, **kwargs):
        return


class FiniteTrainingGuard(Callback):
    """Stop training with :class:`~sklearn_wavefront.exceptions.TrainingDivergedError` when a batch's
    loss or, after the optimiser step, any parameter is NaN or infinite.

    Without it a diverged net finishes ``fit`` "normally" and predicts one class for everything from
    NaN probabilities. The check costs one reduction over the parameters per batch.
    """

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
        if not training:
            return
        bad = nonfinite_parameters(net.module_, loss)
        if bad is None:
            return
        loss_ok = loss is None or bool(torch.isfinite(torch.as_tensor(loss)).all())
        epoch = len(net.history)
        n_batch = len(net.history[-1]["batches"]) if len(net.history) else 0
        peak = float("nan")
        if batch is not None:
            Xb = batch[0]
            if isinstance(Xb, dict):  # waveforms travelling with their sample weights
                Xb = Xb.get("X")
            if isinstance(Xb, torch.Tensor) and Xb.numel():
                peak = float(Xb.detach().abs().max())
        what = []
        if not loss_ok:
            what.append(f"the training loss is {float(torch.as_tensor(loss).detach().float().mean())}")
        if bad:
            shown = ", ".join(bad[:3]) + (f" and {len(bad) - 3} more" if len(bad) > 3 else "")
            what.append(f"parameters {shown} are no longer finite")
        raise TrainingDivergedError(
            f"{type(net).__name__} diverged at epoch {epoch}, batch {n_batch}: {' and '.join(what)}. "
            f"Likely causes: the learning rate lr={net.lr!r} is too large (try one 10 times smaller), "
            f"or the inputs have an extreme scale (largest |x| in this batch: {peak:.3g}; audio is "
            "usually within [-1, 1]). Training was stopped; the net keeps no NaN weights (a continued fit "
            "returns to its weights before this call, a fresh one leaves it uninitialised)."
        )


class _WaveformNetBase(ReraiseInterruptMixin, DoubleBalancedMixin, NeuralNetClassifier):
    """Shared machinery; see the module docstring and :class:`WaveformClassifier`.

    An interrupted training (``KeyboardInterrupt``) raises from ``fit``/``partial_fit`` instead of
    returning a half-trained net (:class:`~sklearn_wavefront._interrupt.ReraiseInterruptMixin`).
    """

    # ``groups`` (for the inner early-stopping split) is not requested by default, so
    # ``cross_validate(..., params={"groups": g})`` under metadata routing hands the groups to the
    # splitter only; ``set_fit_request(groups=True)`` opts in.
    __metadata_request__fit = {"groups": False}
    __metadata_request__partial_fit = {"groups": False}

    # Validated by scikit-learn at the start of fit and partial_fit (validate_estimator_params: skorch's
    # NeuralNet is no BaseEstimator, and its own _validate_params checks argument names, not values).
    # skorch's other parameters (module, criterion, optimizer, callbacks, iterator_*, ...) are skorch's to check.
    _parameter_constraints: dict = {
        "sample_rate": [Interval(Real, 0, None, closed="neither")],
        "n_filters": [Interval(Integral, 1, None, closed="left"), None],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "max_epochs": [Interval(Integral, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), Options(Integral, {-1})],  # -1: skorch's "all"
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "gradient_clip": [Interval(Real, 0, None, closed="neither"), None],
        "random_state": ["random_state"],
        "device": [str, torch.device, None],  # None: skorch's "leave the module where it is"
        "verbose": ["verbose"],
        "balance": [StrOptions({"class", "class_domain"}), None],
        "balance_epoch": [StrOptions({"max", "min"}), Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        module,
        *,
        sample_rate=16000,
        n_filters=None,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.AdamW,
        lr=3e-3,
        max_epochs=20,
        batch_size=32,
        train_split=None,
        early_stopping=False,
        validation_fraction=0.1,
        patience=5,
        gradient_clip=1.0,
        random_state=None,
        device="auto",
        verbose=0,
        balance=None,
        balance_epoch="max",
        iterator_train__shuffle=True,
        **kwargs,
    ):
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            device=device,
            verbose=verbose,
            balance=balance,
            balance_epoch=balance_epoch,
            iterator_train__shuffle=iterator_train__shuffle,
            **kwargs,
        )
        self.sample_rate = sample_rate
        self.n_filters = n_filters
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.gradient_clip = gradient_clip
        self.random_state = random_state

    # -- device="auto" ------------------------------------------------------------------------------
    # skorch reads ``self.device`` everywhere; the property hands it the resolved device while
    # ``get_params`` reports what the user asked for.
    @property
    def device(self):
        return resolve_device(self.__dict__.get("_device_requested_", "cpu"))

    @device.setter
    def device(self, value):
        self.__dict__["_device_requested_"] = value

    def _get_param_names(self):
        # ``_params_to_validate`` is skorch bookkeeping, not a parameter (setting it breaks set_params)
        names = [n for n in super()._get_param_names() if n != "_params_to_validate"]
        return names if "device" in names else [*names, "device"]

    def get_params(self, deep=True, **kwargs):
        params = super().get_params(deep=deep, **kwargs)
        if "device" in params:
            params["device"] = self.__dict__.get("_device_requested_", "cpu")
        return params

    def __getstate__(self):
        state = super().__getstate__()
        state["device"] = self.device  # skorch's __setstate__ maps tensors to this device
        return state

    def __setstate__(self, state):
        requested = state.get("_device_requested_", "cpu")
        super().__setstate__(state)
        self.__dict__.pop("device", None)
        if isinstance(requested, str) and requested.startswith("cuda") and not torch.cuda.is_available():
            # skorch has already mapped the weights to the CPU; keep them there
            warnings.warn(
                f"{type(self).__name__} was saved with device={requested!r}, but CUDA is not available "
                "here: it runs on the CPU (device='cpu')",
                UserWarning,
                stacklevel=2,
            )
            requested = "cpu"
        self.__dict__["_device_requested_"] = requested

    # -- defaults -----------------------------------------------------------------------------------
    @property
    def _default_callbacks(self):
        callbacks = [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
            ("valid_loss", PassthroughScoring(name="valid_loss")),
            ("valid_acc", EpochScoring(_encoded_accuracy, name="valid_acc", lower_is_better=False)),
            ("lr_scheduler", OneCycleLRScheduler()),
            ("gradient_clipping", GradientNormClipping(gradient_clip_value=self.gradient_clip)),
            ("finite_guard", FiniteTrainingGuard()),
        ]
        if self.early_stopping:
            callbacks.append(
                ("early_stopping", EarlyStopping(monitor="valid_loss", patience=self.patience, load_best=True))
            )
        callbacks.append(("print_log", PrintLog()))
        return callbacks

    def _check_params(self):
        """What the constraints cannot say: the device exists on this machine."""
        requested = self.__dict__.get("_device_requested_", "cpu")
        if requested is not None:  # None: skorch's "leave the module where it is"
            check_device(requested)

    def _seed(self):
        """A torch seed from ``random_state`` (``None`` when unseeded)."""
        if self.random_state is None:
            return None
        if isinstance(self.random_state, Integral) and not isinstance(self.random_state, bool):
            return int(self.random_state) % (2**32)
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    def initialize(self):
        """Initialise callbacks, module and optimizer, drawing every random number from generators
        private to this estimator, seeded from ``random_state`` (see the module docstring)."""
        seed = self._seed()
        self._split_seed_ = seed
        if seed is None:  # unseeded: one draw from torch's global generator, as skorch's own shuffling
            seed = global_seed()
        self._torch_seed_ = seed
        # the generator of the data loader's shuffling (and its workers' base seed) and of the
        # balanced sampler's seed for each epoch
        self._loader_generator_ = make_generator(seed)
        # whatever a module draws from the global generator while it is built is undone (its
        # Linear/Conv weights are re-drawn from this estimator's generator in initialize_module)
        with global_rng_untouched():
            return super().initialize()

    def get_params_for(self, prefix):
        """skorch's, plus this estimator's private generator for the data loaders.

        A ``DataLoader`` without a generator draws its shuffling order (and a base seed, even
        when it does not shuffle) from torch's global generator.
        """
        params = super().get_params_for(prefix)
        if prefix not in ("iterator_train", "iterator_valid") or "generator" in params:
            return params
        iterator = getattr(self, prefix)
        if not (isinstance(iterator, type) and issubclass(iterator, DataLoader)):
            return params  # a custom iterator may take no generator
        if prefix == "iterator_train":
            params["generator"] = getattr(self, "_loader_generator_", None) or torch.Generator()
        else:
            params["generator"] = torch.Generator()  # consumed only by an unused base seed
        return params

    def _module_defaults(self) -> dict:
        defaults = {"sample_rate": self.sample_rate}
        n_classes = getattr(self, "_n_classes_init_", None)
        if n_classes is None and self.classes is not None and len(self.classes):
            n_classes = len(self.classes)
        if n_classes is not None:
            defaults["n_classes"] = int(n_classes)
        if self.n_filters is not None:
            defaults["n_filters"] = self.n_filters
        return defaults

    def initialize_module(self):
        """Build ``module_`` from ``module__*`` parameters plus ``sample_rate``, ``n_filters`` and the class count.

        Explicit ``module__*`` parameters win over the top-level ``sample_rate`` and ``n_filters``.
        """
        kwargs = self.get_params_for("module")
        defaults = self._module_defaults()
        if "n_classes" not in kwargs and "n_classes" not in defaults:
            raise ValueError(
                "the number of classes is unknown: call fit(X, y), or pass classes=[...] or module__n_classes"
            )
        kwargs = {**defaults, **kwargs}
        module = self.initialized_instance(self.module, kwargs)
        if module is not self.module:  # freshly built here, not a user's instance used as it is
            seed = getattr(self, "_torch_seed_", 0)
            reset_parameters(module, make_generator(seed))
            # dropout masks from this estimator's (CPU) generator
            use_generator_dropout(module, make_generator(seed + 1))
        self.module_ = module
        return self

    def get_split_datasets(self, X, y=None, **fit_params):
        """The inner validation split, only when ``early_stopping`` (or an explicit ``train_split``).

        Stratified by class when both sides can hold every class, else unstratified; by group when
        ``fit`` received ``groups`` (see the module docstring; the rule is
        :func:`sklearn_wavefront._holdout.holdout_indices`, shared with the learned front-ends).
        """
        if self.train_split is None and self.early_stopping:
            dataset = self.get_dataset(X, y)
            idx_train, idx_valid = holdout_indices(
                len(dataset), self.validation_fraction,
                y=None if y is None else _to_numpy(y),
                groups=getattr(self, "_fit_groups_", None),
                random_state=getattr(self, "_split_seed_", None),
            )
            return Subset(dataset, idx_train), Subset(dataset, idx_valid)
        groups = getattr(self, "_fit_groups_", None)
        if self.train_split is not None and groups is not None:
            fit_params = {**fit_params, "groups": groups}  # e.g. ValidSplit(GroupKFold(5)); not to forward
        return super().get_split_datasets(X, y, **fit_params)

    # -- labels and data ----------------------------------------------------------------------------
    def _encode_labels(self, y, refit: bool):
        check_classification_targets(y)
        if refit or getattr(self, "label_encoder_", None) is None:
            encoder = LabelEncoder()
            if self.classes is not None and len(self.classes):
                encoder.fit(np.asarray(self.classes))
                unknown = np.setdiff1d(np.unique(y), encoder.classes_)
                if unknown.size:
                    raise ValueError(f"y contains labels not in classes: {unknown.tolist()!r}")
            else:
                encoder.fit(y)
            self.label_encoder_ = encoder
            self._n_classes_init_ = len(encoder.classes_)
        return self.label_encoder_.transform(y).astype(np.int64)

    @property
    def classes_(self):
        """The class labels, sorted; the columns of ``predict_proba`` follow this order."""
        encoder = self.__dict__.get("label_encoder_")
        if encoder is not None:
            return encoder.classes_
        if self.classes is not None and len(self.classes):
            return LabelEncoder().fit(np.asarray(self.classes)).classes_
        return super().classes_

    def fit(self, X, y, domains=None, groups=None, sample_weight=None, **fit_params):
        """Initialise and train the network.

        Parameters
        ----------
        X : array-like of shape (n_recordings, n_samples)
            Waveforms at ``sample_rate`` Hz.
        y : array-like of shape (n_recordings,)
            Class labels (any type, strings included).
        domains : array-like of shape (n_recordings,), default=None
            Domain of each recording, for ``balance="class_domain"``.
        groups : array-like of shape (n_recordings,), default=None
            Group of each recording (recording of a segment, subject). With ``early_stopping=True``
            the inner validation split holds out whole groups; with an explicit ``train_split`` it
            is passed to that split; ignored otherwise. Never reaches the module's ``forward``.
        sample_weight : array-like of shape (n_recordings,), default=None
            Non-negative weight of each recording in the loss (see the module docstring); the
            validation loss of ``early_stopping`` is weighted the same way. Never reaches the
            module's ``forward``.
        **fit_params : dict
            Passed on to skorch.

        Returns
        -------
        self : object
        """
        validate_estimator_params(self)
        X, y = self._validate_Xy(X, y, reset=True)
        y_enc = self._encode_labels(y, refit=True)
        self._check_two_classes(np.unique(y))  # fit needs two classes in y, whatever `classes` announces
        X = self._attach_sample_weight(X, sample_weight)
        if groups is not None:
            groups = _to_numpy(groups)
            if groups.ndim != 1 or len(groups) != len(y_enc):
                raise ValueError(
                    f"groups must hold one entry per sample: got shape {groups.shape} for {len(y_enc)} samples"
                )
        self._in_fit_ = True
        self._fit_groups_ = groups
        keep = bool(self.warm_start) and getattr(self, "initialized_", False)
        try:
            with self._undo_on_divergence(keep_previous=keep):
                super().fit(X, y_enc, domains=domains, **fit_params)
        finally:
            self._in_fit_ = False
            self._fit_groups_ = None
        self._decode_balance_cells()
        return self

    def partial_fit(self, X, y=None, classes=None, domains=None, groups=None, sample_weight=None, **fit_params):
        """Continue training without re-initialising (labels are encoded as in the first fit).

        ``groups``, ``sample_weight``: as in :meth:`fit`.
        """
        if getattr(self, "_in_fit_", False):  # called from our fit, which set _fit_groups_
            if groups is not None or sample_weight is not None:
                raise ValueError("groups or sample_weight was passed twice (to fit and to partial_fit)")
            super().partial_fit(X, y, classes=classes, domains=domains, **fit_params)
            return self
        validate_estimator_params(self)
        first = not getattr(self, "initialized_", False)
        X, y = self._validate_Xy(X, y, reset=first)
        y = self._encode_labels(y, refit=first)
        if first:
            self._check_two_classes(classes)
        X = self._attach_sample_weight(X, sample_weight)
        self._fit_groups_ = None if groups is None else _to_numpy(groups)
        try:
            with self._undo_on_divergence(keep_previous=not first):
                super().partial_fit(X, y, classes=classes, domains=domains, **fit_params)
        finally:
            self._fit_groups_ = None
        self._decode_balance_cells()
        return self

    def _decode_balance_cells(self):
        """Report the balanced (class, domain) cells with the user's labels, not their codes.

        The mixin builds its sampler from the encoded labels; the codes are those of
        ``label_encoder_`` (the positions in the sorted ``classes_``), so the cells stay in sorted
        order and decode through ``label_encoder_.classes_``.
        """
        cells = getattr(self, "balance_cells_", None)
        if cells is None or getattr(self, "_balance_cells_decoded_", None) is cells:
            return
        classes = self.label_encoder_.classes_
        decoded = [(classes[c].item() if hasattr(classes[c], "item") else classes[c], d) for c, d in cells]
        self.balance_cells_ = decoded
        self._balance_cells_decoded_ = decoded

    # -- sample_weight ------------------------------------------------------------------------------
    # The weights travel with the waveforms as X = {"X": waveforms, "sample_weight": w}, so skorch's
    # datasets, splits and balanced samplers index both together; ``infer`` hands the module only the
    # waveforms and ``get_loss`` weights the per-sample losses.
    _SAMPLE_WEIGHT = "sample_weight"

    def _attach_sample_weight(self, X, sample_weight):
        if sample_weight is None:
            return X
        w = _to_numpy(sample_weight)
        if w.ndim != 1 or len(w) != len(X):
            raise ValueError(
                f"sample_weight must hold one weight per sample: got shape {w.shape} for {len(X)} samples"
            )
        try:
            w = w.astype(np.float32)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"sample_weight must hold numbers, got dtype {w.dtype}") from exc
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError("sample_weight must hold finite numbers >= 0")
        if not np.any(w > 0):
            raise ValueError("sample_weight is zero for every sample: nothing to learn from")
        return {"X": X, self._SAMPLE_WEIGHT: w}

    def infer(self, x, **fit_params):
        """The module's output for a batch; a ``sample_weight`` entry of ``x`` is left out of ``forward``."""
        if isinstance(x, Mapping) and self._SAMPLE_WEIGHT in x:
            x = x["X"]
        return super().infer(x, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The criterion on a batch; weighted mean ``sum w l / sum w`` when the batch carries weights.

        The criterion (``CrossEntropyLoss`` by default, or any torch loss with a ``reduction``
        attribute) is evaluated per sample (``reduction="none"``) and averaged with the weights.
        """
        weights = X.get(self._SAMPLE_WEIGHT) if isinstance(X, Mapping) else None
        if weights is None:
            return super().get_loss(y_pred, y_true, X=X, training=training)
        criterion = self.criterion_
        if not hasattr(criterion, "reduction"):
            raise TypeError(
                f"sample_weight needs a criterion with a 'reduction' attribute (a torch loss), "
                f"got {type(criterion).__name__}"
            )
        reduction = criterion.reduction
        criterion.reduction = "none"
        try:
            losses = super().get_loss(y_pred, y_true, X=None, training=training)
        finally:
            criterion.reduction = reduction
        weights = torch.as_tensor(weights, device=losses.device, dtype=losses.dtype).reshape(losses.shape[0])
        losses = losses.reshape(losses.shape[0], -1).mean(dim=1)
        norm = weights
        class_weight = getattr(criterion, "weight", None)
        if class_weight is not None and y_true is not None and y_true.ndim == 1:
            # a class-weighted criterion's mean divides by the class weights of the batch
            # (sum cw[y]); with sample weights too, by sum w cw[y], so all-ones w changes nothing
            norm = weights * class_weight.to(losses.device, losses.dtype)[y_true.to(losses.device).long()]
        return (weights * losses).sum() / norm.sum().clamp_min(torch.finfo(losses.dtype).tiny)

    def get_params_for_optimizer(self, prefix, named_parameters):
        """skorch's optimiser arguments, plus torch's multi-tensor step for Adam / AdamW on one CPU or
        CUDA device unless ``optimizer__foreach``, ``__fused``, ``__differentiable`` or
        ``__capturable`` was given, or a tensor learning rate or betas (see
        :mod:`sklearn_wavefront._optim`: on the end-to-end comb's parameters the for-loop step takes
        0.54 ms, the multi-tensor one 0.35 ms; ``benchmarks/fit_profile.py``)."""
        args, kwargs = super().get_params_for_optimizer(prefix, named_parameters)
        optimizer = getattr(self, prefix, None)
        if args:  # skorch's (param groups,): a list of dicts with lists of parameters
            kwargs = multi_tensor_step_kwargs(optimizer, args[0], kwargs)
        return args, kwargs

    def check_data(self, X, y):
        super().check_data(X, y)
        encoder = getattr(self, "label_encoder_", None)
        if encoder is not None:
            self.classes_inferred_ = encoder.classes_

    @contextlib.contextmanager
    def _undo_on_divergence(self, keep_previous):
        """On :class:`TrainingDivergedError`, never leave a NaN model behind: a continued fit
        (``partial_fit``, ``warm_start``) gets back the weights, optimiser state and history it
        had before; a fresh fit leaves the net uninitialised, so ``predict`` raises."""
        snapshot = None
        if keep_previous:
            snapshot = (
                copy.deepcopy(self.module_.state_dict()),
                copy.deepcopy(self.optimizer_.state_dict()),
                len(self.history_),
            )
        try:
            yield
        except TrainingDivergedError:
            if snapshot is not None:
                self.module_.load_state_dict(snapshot[0])
                self.optimizer_.load_state_dict(snapshot[1])
                del self.history_[snapshot[2]:]
            else:
                self.initialized_ = False
                for name in ("module_", "optimizer_", "criterion_"):
                    self.__dict__.pop(name, None)
            raise

    def _validate_Xy(self, X, y, reset):
        check_equal_lengths(X, hint=_RAGGED_HINT)
        X, y = validate_data(self, X, y, dtype=np.float32, reset=reset)
        check_sample_scale(X)
        # pandas hands out read-only views; torch warns on (and must not write to) those
        return (X if X.flags.writeable else X.copy()), y

    def _check_two_classes(self, classes=None):
        labels = self.label_encoder_.classes_
        if classes is not None and len(classes):
            labels = np.unique(np.asarray(classes))
        if len(labels) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes, but y contains only one class: "
                f"{labels[0].item() if hasattr(labels[0], 'item') else labels[0]!r}"
            )

    def _check_X(self, X):
        if is_dataset(X):
            return X
        check_equal_lengths(X, hint=_RAGGED_HINT)
        X = validate_data(self, X, dtype=np.float32, reset=False)
        check_sample_scale(X)
        return X if X.flags.writeable else X.copy()

    def predict_proba(self, X):
        """Class probabilities ``(n_recordings, n_classes)`` (soft-max of the logits; rows sum to 1),
        columns in the order of ``classes_``."""
        return super().predict_proba(self._check_X(X))

    def predict(self, X):
        """Predicted labels (elements of ``classes_``)."""
        proba = self.predict_proba(X)
        return np.asarray(self.classes_)[proba.argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        tags.input_tags.allow_nan = False
        return tags


_RAGGED_HINT = (
    "Wrap the classifier in sklearn_wavefront.SegmentedClassifier (which cuts recordings of any length "
    "into segments and decides per recording), or crop/zero-pad them to one length first."
)


def _to_numpy(values):
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    return np.asarray(values)


_CLF_PARAMS_DOC = """
    sample_rate : float, default=16000
        Sample rate of the waveforms in Hz (passed to the module).
    n_filters : int or None, default=None
        Filter count passed to the module (``None``: the module's default). ``module__n_filters``,
        when set, takes precedence (so a grid over either works).
    lr : float, default=3e-3
        Peak learning rate of the one-cycle schedule (AdamW).
    max_epochs : int, default=20
    batch_size : int, default=32
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data and stop on the validation loss.
    validation_fraction : float, default=0.1
    patience : int, default=5
        Epochs without improvement before stopping.
    gradient_clip : float or None, default=1.0
        Maximum gradient L2 norm (``None``: no clipping).
    random_state : int, RandomState instance or None, default=None
        Seeds torch at ``initialize()`` (weights, shuffling, dropout) and the inner split. The same
        seed gives the same model bit for bit on the CPU; on CUDA only to float rounding (the
        Triton comb backward adds parameter gradients with atomics, in no fixed order).
    device : str, default="auto"
        ``"auto"``: CUDA when available, else CPU.
    verbose : int, default=0
    balance : {None, "class", "class_domain"}, default=None
        Balanced training batches (:class:`~sklearn_wavefront.sampling.DoubleBalancedMixin`).
    balance_epoch : {"max", "min"} or int, default="max"
    **kwargs
        Any other skorch parameter, e.g. ``module__hidden=(64,)``, ``callbacks=[...]``.
"""

_CLF_ATTRS_DOC = """
    classes_ : ndarray
        The class labels, sorted (also when ``classes=[...]`` is given in another order); the
        columns of ``predict_proba`` follow this order.
    label_encoder_ : sklearn.preprocessing.LabelEncoder
        Maps labels to the integer targets the module is trained on.
    module_ : torch.nn.Module
        The trained network; its front-end is ``module_.filterbank``.
    history_ : skorch.History
        Per-epoch (and per-batch) training records.
    n_features_in_ : int
        Samples per recording seen in ``fit``.
"""


def _doc(cls):
    cls.__doc__ = cls.__doc__.replace("%(params)s", _CLF_PARAMS_DOC.strip("\n")).replace(
        "%(attrs)s", _CLF_ATTRS_DOC.strip("\n")
    )
    return cls


@_doc
class WaveformClassifier(_WaveformNetBase):
    """Any front-end with any back-end, trained end to end (:class:`~sklearn_wavefront.networks.heads.WaveformNet`).

    ``frontend`` picks the filterbank (``"comb"``, ``"iconnet"``, ``"sinc"``, ``"gammatone"``,
    ``"mel"``, ``"mfcc"`` or a filterbank class), ``backend`` the head (``"ffn"``: mean/std pooling
    and a LayerNorm/LeakyReLU FFN; ``"conv"``: a 1x1-conv/ELU stack; ``"temporal"``: dilated
    convolutions over frames, :class:`~sklearn_wavefront.networks.heads.TemporalConvHead`). Same back-end, different
    front-ends: the comparison ``wavefront compare`` runs. See :mod:`sklearn_wavefront.classifiers`
    for the training defaults.

    Parameters
    ----------
    frontend : str or class, default="iconnet"
        Passed to the module as ``module__frontend``.
    backend : {"ffn", "conv", "temporal"}, default="ffn"
        Passed to the module as ``module__backend``. ``"temporal"`` does not take ``sample_weight``
        (its batch normalisation cannot weigh recordings).
    frontend_kwargs : dict or None, default=None
        Further filterbank arguments (``module__frontend_kwargs``).
%(params)s

    Attributes
    ----------
%(attrs)s

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_wavefront.classifiers import WaveformClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(12, 2000)).astype("float32")
    >>> y = np.repeat(["cat", "dog"], 6)
    >>> clf = WaveformClassifier(frontend="mel", sample_rate=8000, n_filters=16, max_epochs=2, random_state=0)
    >>> clf.fit(X, y).predict(X[:3]).shape
    (3,)
    >>> clf.classes_.tolist()
    ['cat', 'dog']
    """

    _parameter_constraints: dict = {
        **_WaveformNetBase._parameter_constraints,
        "frontend": [str, type],  # a name or a filterbank class: the module checks which
        "backend": [StrOptions(set(BACKENDS))],
        "frontend_kwargs": [dict, None],
    }

    def __init__(self, frontend="iconnet", backend="ffn", frontend_kwargs=None, **kwargs):
        kwargs.setdefault("module", WaveformNet)
        super().__init__(**kwargs)
        self.frontend = frontend
        self.backend = backend
        self.frontend_kwargs = frontend_kwargs

    def _module_defaults(self):
        defaults = super()._module_defaults()
        defaults.update(frontend=self.frontend, backend=self.backend, frontend_kwargs=self.frontend_kwargs)
        return defaults

    def _attach_sample_weight(self, X, sample_weight):
        backend = self.get_params_for("module").get("backend", self.backend)
        if sample_weight is not None and backend == "temporal":
            # its BatchNorm layers standardise with mini-batch statistics: a recording's weight
            # would not act as repeats, and a zero-weight recording would still move the others
            raise ValueError(
                "sample_weight is not supported with backend='temporal': the temporal back-end's "
                "BatchNorm layers use mini-batch statistics, so weights would not act as repeated "
                "recordings. Use backend='ffn' or 'conv' with sample_weight, or balance='class' / "
                "'class_domain' to balance the batches"
            )
        return super()._attach_sample_weight(X, sample_weight)


@_doc
class CombNetClassifier(_WaveformNetBase):
    """CombNet trained end to end: learned-delay comb channels, a 1x1-conv/ELU stack, pooling, linear.

    The module is :class:`~sklearn_wavefront.networks.combnet.CombNet` (set its other arguments with
    ``module__...``, e.g. ``module__fmax=1000``). See :mod:`sklearn_wavefront.classifiers` for the
    training defaults.

    Parameters
    ----------
    module : class, default=CombNet
%(params)s

    Attributes
    ----------
%(attrs)s

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_wavefront.classifiers import CombNetClassifier
    >>> X = np.random.default_rng(0).normal(size=(8, 2000)).astype("float32")
    >>> y = np.array([0, 1] * 4)
    >>> clf = CombNetClassifier(sample_rate=8000, n_filters=6, max_epochs=1, random_state=0).fit(X, y)
    >>> clf.predict_proba(X).shape
    (8, 2)
    >>> clf.module_.filterbank.center_frequencies().shape
    (6,)
    """

    def __init__(self, module=CombNet, **kwargs):
        super().__init__(module, **kwargs)


@_doc
class IConNetClassifier(_WaveformNetBase):
    """IConNet trained end to end: FIR-window blocks, pooling, and an FFN head.

    The module is :class:`~sklearn_wavefront.networks.iconnet.IConNet`; ``variant`` selects which
    filter parameters are learned (``"BW"`` bands and windows, ``"B"``, ``"W"``, ``"fixed"``). See
    :mod:`sklearn_wavefront.classifiers` for the training defaults.

    Parameters
    ----------
    module : class, default=IConNet
    variant : {"BW", "B", "W", "fixed"}, default="BW"
        Passed to the module.
%(params)s

    Attributes
    ----------
%(attrs)s

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_wavefront.classifiers import IConNetClassifier
    >>> X = np.random.default_rng(0).normal(size=(8, 2000)).astype("float32")
    >>> y = np.array(["a", "b"] * 4)
    >>> clf = IConNetClassifier(sample_rate=8000, n_filters=6, module__kernel_size=31, module__stride=80,
    ...                         max_epochs=1, random_state=0).fit(X, y)
    >>> clf.predict(X[:2]).shape
    (2,)
    """

    _parameter_constraints: dict = {
        **_WaveformNetBase._parameter_constraints,
        "variant": [StrOptions({"BW", "B", "W", "fixed"})],
    }

    def __init__(self, module=IConNet, variant="BW", **kwargs):
        super().__init__(module, **kwargs)
        self.variant = variant

    def _module_defaults(self):
        defaults = super()._module_defaults()
        defaults["variant"] = self.variant
        return defaults


@_doc
class SpectNetClassifier(_WaveformNetBase):
    """SpectNet trained end to end: learnable gammatone spectrogram image and a 2-D ResNet.

    The module is :class:`~sklearn_wavefront.networks.spectnet.SpectNet`. Use ``balance="class_domain"``
    and ``fit(X, y, domains=...)`` for the double-balanced training of the paper. See
    :mod:`sklearn_wavefront.classifiers` for the training defaults.

    Parameters
    ----------
    module : class, default=SpectNet
%(params)s

    Attributes
    ----------
%(attrs)s

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_wavefront.classifiers import SpectNetClassifier
    >>> X = np.random.default_rng(0).normal(size=(8, 2000)).astype("float32")
    >>> y = np.array([0, 1] * 4)
    >>> clf = SpectNetClassifier(sample_rate=8000, n_filters=8, module__kernel_size=64, module__width=4,
    ...                          max_epochs=1, random_state=0).fit(X, y)
    >>> clf.predict_proba(X).sum(axis=1).round(6).tolist() == [1.0] * 8
    True
    """

    def __init__(self, module=SpectNet, **kwargs):
        super().__init__(module, **kwargs)
