"""Fitted estimators as plain data (containers, numbers, strings, numpy arrays) and back, without pickle.

This is the layer under the safe ``.skops`` model files of :mod:`sklearn_wavefront.persistence`.
:func:`to_plain` turns a fitted estimator tree into nested ``dict``/``list``/``str``/``int``/``float``/
``bool``/``None`` and numeric numpy arrays; :func:`from_plain` rebuilds it. Nothing in the plain form
is code: the rebuild *imports* no function and *calls* none named by the data. It only

* resolves class names through :func:`resolve_class`, which accepts a class only when it is a
  subclass of an allowed base *and* defined in an allowed package (see :data:`TRUSTED_CLASSES`);
* creates objects of those classes with ``cls.__new__(cls)`` and fills their ``__dict__`` with
  plain values (never ``__init__``, never ``__setstate__``: skorch's ``__setstate__`` would call
  ``torch.load`` on pickled bytes);
* rebuilds torch modules the way the estimator itself builds them (a front-end's
  ``_make_filterbank()``, a skorch net's ``initialize()``, which construct classes of the allowed
  kinds with plain keyword arguments) and copies the saved parameters and buffers into them as
  tensors.

Why not let skops serialise the estimators directly: skops (0.16) cannot save a torch tensor or module
at all ("Cannot directly construct TensorBase"), and trusting skorch's net types in skops would
mean running skorch's ``__setstate__``, i.e. ``torch.load`` of pickled bytes from the file. So the
``.skops`` file holds only this plain form, which skops loads with its default trust alone.

What cannot be written in plain form (a function or lambda, a ``numpy.random.RandomState``, an
unknown class, a torch module in an attribute no rule covers) raises :class:`PlainStateError`
naming the attribute path; such a model can still be saved as ``.joblib`` (a pickle).
"""

from __future__ import annotations

import importlib
import keyword
import numbers

import numpy as np

__all__ = ["PlainStateError", "to_plain", "from_plain", "resolve_class", "TRUSTED_CLASSES"]

_TAG = "__wf__"

#: Module roots and base classes of the classes a plain model may name. An object node may be of a
#: class derived from one of the "object" bases; a class-valued parameter (``module=``,
#: ``criterion=``, ``optimizer=``, ``iterator_train=``, ``dataset=``) from one of the "type" bases.
#: Each base is paired with the packages whose classes are accepted (the class's own ``__module__``).
TRUSTED_CLASSES = {
    "object": [
        ("sklearn.base:BaseEstimator", ("sklearn", "sklearn_wavefront")),
        ("skorch.net:NeuralNet", ("skorch", "sklearn_wavefront")),
        ("skorch.callbacks:Callback", ("sklearn_wavefront",)),
        ("skorch.dataset:ValidSplit", ("skorch",)),
        ("sklearn_wavefront.persistence:WavefrontModel", ("sklearn_wavefront",)),
    ],
    "type": [
        ("torch.nn:Module", ("torch.nn", "sklearn_wavefront")),
        ("torch.optim:Optimizer", ("torch.optim",)),
        ("torch.utils.data:Dataset", ("skorch.dataset", "sklearn_wavefront")),
        ("torch.utils.data:DataLoader", ("torch.utils.data", "sklearn_wavefront")),
        ("sklearn.base:BaseEstimator", ("sklearn", "sklearn_wavefront")),
        ("skorch.callbacks:Callback", ("sklearn_wavefront",)),
        ("numpy:generic", ("numpy",)),
    ],
}

#: skorch's own callbacks that hold only settings and scores (no file paths, no loggers, no loading):
#: accepted besides the package's callbacks. Checkpoint and LoadInitState (which read and write
#: files) and the logger integrations are left out on purpose.
_SKORCH_CALLBACKS = (
    "EpochTimer", "PrintLog", "PassthroughScoring", "EpochScoring", "BatchScoring", "EarlyStopping",
    "GradientNormClipping", "LRScheduler", "WarmRestartLR",
)

_FORBIDDEN_MODULE_PARTS = {"__main__", "conftest", "setup", "tests", "testing"}


class PlainStateError(ValueError):
    """A value cannot be written in, or read from, the plain (code-free) form."""


# ----------------------------------------------------------------------------------- class names
def class_name(cls) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _in_packages(module: str, packages) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def _import_attr(name: str):
    module, _, qualname = name.partition(":")
    return getattr(importlib.import_module(module), qualname)


def _skorch_callback_ok(cls) -> bool:
    import skorch.callbacks

    return cls.__module__.startswith("skorch.callbacks") and any(
        cls is getattr(skorch.callbacks, n, None) for n in _SKORCH_CALLBACKS
    )


def is_trusted_class(cls, role: str) -> bool:
    """Whether ``cls`` may be named by a plain model as an object's class (``role="object"``) or as a
    class-valued parameter (``role="type"``); see :data:`TRUSTED_CLASSES`."""
    if not isinstance(cls, type):
        return False
    for base_name, packages in TRUSTED_CLASSES[role]:
        base = _import_attr(base_name)
        if not issubclass(cls, base):
            continue
        if _in_packages(cls.__module__, packages):
            return True
        if base_name == "skorch.callbacks:Callback" and _skorch_callback_ok(cls):
            return True
    return False


def resolve_class(name, role: str, where: str = "the model"):
    """The class named ``"module:qualname"``, if :func:`is_trusted_class` accepts it, else
    :class:`PlainStateError` naming it. Only modules of the packages in :data:`TRUSTED_CLASSES`
    are imported (never a ``__main__``, test or setup module)."""
    if not isinstance(name, str) or name.count(":") != 1:
        raise PlainStateError(f"{where}: {name!r} is not a class name of the form 'module:qualname'")
    module, qualname = name.split(":")
    parts = module.split(".")
    roots = {p.split(".")[0] for _, packages in TRUSTED_CLASSES[role] for p in packages} | {"skorch"}
    if (
        parts[0] not in roots
        or any(not p.isidentifier() or keyword.iskeyword(p) or p in _FORBIDDEN_MODULE_PARTS or p.strip("_") in _FORBIDDEN_MODULE_PARTS
               or p.lstrip("_").startswith("test")
               for p in parts)
        or any(not q.isidentifier() or q.startswith("__") for q in qualname.split("."))
    ):
        raise PlainStateError(f"{where} names the class {name}, which a wavefront model file may not use")
    try:
        obj = importlib.import_module(module)
        for q in qualname.split("."):
            obj = getattr(obj, q)
    except (ImportError, AttributeError) as exc:
        raise PlainStateError(
            f"{where} names the class {name}, which this installation does not have ({exc}); the model was "
            "probably saved by another version of sklearn_wavefront or its dependencies"
        ) from exc
    if not is_trusted_class(obj, role):
        raise PlainStateError(f"{where} names {name}, which is not a class a wavefront model file may use")
    return obj


# ------------------------------------------------------------------------------------------ encode
def to_plain(obj, where="model"):
    """``obj`` as plain data; :class:`PlainStateError` naming the attribute path of anything that is not."""
    return _Encoder().encode(obj, where)


class _Encoder:
    def __init__(self):
        self._active = set()

    def encode(self, obj, where):
        import torch

        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, numbers.Integral) and type(obj) is int:
            return obj
        if type(obj) is float:
            return obj
        if isinstance(obj, np.generic):
            if obj.dtype == object:
                raise PlainStateError(f"{where}: a numpy object scalar cannot be saved in the safe format")
            return {_TAG: "npscalar", "value": np.asarray(obj)}
        if isinstance(obj, np.ndarray):
            if obj.dtype == object:
                return {_TAG: "objarray", "shape": list(obj.shape),
                        "items": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj.ravel().tolist())]}
            if obj.dtype.kind not in "biufcUS?":
                raise PlainStateError(f"{where}: numpy arrays of dtype {obj.dtype} cannot be saved in the safe format")
            return np.array(obj, copy=True)
        if isinstance(obj, np.dtype):
            return {_TAG: "np_dtype", "name": obj.str}
        if isinstance(obj, torch.Tensor):
            return _tensor_to_plain(obj)
        if isinstance(obj, torch.dtype):
            return {_TAG: "torch_dtype", "name": str(obj).removeprefix("torch.")}
        if isinstance(obj, torch.device):
            return {_TAG: "torch_device", "name": str(obj)}
        if isinstance(obj, torch.Generator):
            return _generator_to_plain(obj, where)
        if isinstance(obj, type):
            if not is_trusted_class(obj, "type"):
                raise PlainStateError(f"{where}: the class {class_name(obj)} cannot be saved in the safe format")
            return {_TAG: "type", "name": class_name(obj)}
        key = id(obj)
        if key in self._active:
            raise PlainStateError(f"{where}: a reference cycle cannot be saved in the safe format")
        self._active.add(key)
        try:
            return self._encode_container_or_object(obj, where)
        finally:
            self._active.discard(key)

    def _encode_container_or_object(self, obj, where):
        import torch
        from skorch.history import History

        if isinstance(obj, History):
            return {_TAG: "history", "items": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
        if type(obj) is list:
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        if type(obj) is tuple:
            return {_TAG: "tuple", "items": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
        if type(obj) in (set, frozenset):
            items = sorted(obj, key=repr)
            return {_TAG: type(obj).__name__, "items": [self.encode(v, f"{where}{{}}") for v in items]}
        if type(obj) is dict:
            if all(type(k) is str for k in obj) and _TAG not in obj:
                return {k: self.encode(v, f"{where}[{k!r}]") for k, v in obj.items()}
            return {_TAG: "dict", "items": [[self.encode(k, f"{where}.key"), self.encode(v, f"{where}[{k!r}]")]
                                            for k, v in obj.items()]}
        if isinstance(obj, torch.nn.Module):
            raise PlainStateError(
                f"{where}: a torch module ({type(obj).__name__}) in this place cannot be saved in the safe format"
            )
        if not is_trusted_class(type(obj), "object"):
            raise PlainStateError(
                f"{where}: a {class_name(type(obj))} (of type {type(obj).__name__}) cannot be saved in the safe format"
            )
        if not hasattr(obj, "__dict__") or hasattr(type(obj), "__slots__") and type(obj).__slots__:
            raise PlainStateError(f"{where}: a {type(obj).__name__} without a plain __dict__ cannot be saved")
        state = dict(vars(obj))
        torch_state = {}
        for rule in _RULES:
            if isinstance(obj, rule.cls()):
                torch_state = rule.save(obj, state, self, where)
                break
        for k in state:
            if not _plain_attribute_name(k):
                raise PlainStateError(f"{where}: the attribute name {k!r} cannot be saved in the safe format")
        return {
            _TAG: "object",
            "class": class_name(type(obj)),
            "state": {k: self.encode(v, f"{where}.{k}") for k, v in state.items()},
            "torch": torch_state,
        }


def _plain_attribute_name(name) -> bool:
    return isinstance(name, str) and name.isidentifier() and not name.startswith("__")


_NUMPY_UNSUPPORTED = ("bfloat16", "float8", "uint16", "uint32", "uint64", "complex32")


def _tensor_to_plain(t):
    import torch

    t = t.detach().cpu()
    dtype = str(t.dtype).removeprefix("torch.")
    if any(dtype.startswith(u) for u in _NUMPY_UNSUPPORTED):
        value = t.to(torch.float64 if t.is_floating_point() else torch.int64).numpy().copy()
    else:
        value = t.numpy().copy()
    return {_TAG: "tensor", "value": value, "dtype": dtype}


def _generator_to_plain(g, where):
    import torch

    from ._random import CPUGenerator

    if type(g) not in (torch.Generator, CPUGenerator):
        raise PlainStateError(f"{where}: a {type(g).__name__} generator cannot be saved in the safe format")
    return {_TAG: "torch_generator", "cpu_generator": type(g) is CPUGenerator, "device": str(g.device),
            "state": g.get_state().numpy().copy()}


def _module_tensors(module, enc, where):
    """Parameters, buffers and the generators held by submodules of a torch module, as plain data."""
    import torch

    out = {
        "parameters": {n: _tensor_to_plain(p) for n, p in module.named_parameters()},
        "buffers": {n: _tensor_to_plain(b) for n, b in module.named_buffers()},
        "generators": {},
    }
    for prefix, sub in module.named_modules():
        for attr, value in vars(sub).items():
            if isinstance(value, torch.Generator):
                out["generators"][f"{prefix}:{attr}"] = _generator_to_plain(value, f"{where}.{prefix}.{attr}")
    return out


# ------------------------------------------------------------------------------------------ decode
def from_plain(data, where="model"):
    """Rebuild what :func:`to_plain` wrote; :class:`PlainStateError` for anything it would not write."""
    return _decode(data, where)


def _decode(data, where):
    if data is None or type(data) in (bool, str, int, float):
        return data
    if isinstance(data, np.ndarray):
        if data.dtype == object or data.dtype.kind not in "biufcUS?":
            raise PlainStateError(f"{where}: numpy array of dtype {data.dtype} in a safe model file")
        return data
    if type(data) is list:
        return [_decode(v, f"{where}[{i}]") for i, v in enumerate(data)]
    if type(data) is not dict:
        raise PlainStateError(f"{where}: a {type(data).__module__}.{type(data).__qualname__} in a safe model file")
    if _TAG not in data:
        for k in data:
            if type(k) is not str:
                raise PlainStateError(f"{where}: a dict key of type {type(k).__name__} in a safe model file")
        return {k: _decode(v, f"{where}[{k!r}]") for k, v in data.items()}
    kind = data[_TAG]
    decoder = _DECODERS.get(kind) if isinstance(kind, str) else None
    if decoder is None:
        raise PlainStateError(f"{where}: unknown node kind {kind!r} in a safe model file")
    try:
        return decoder(data, where)
    except PlainStateError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, RuntimeError) as exc:
        raise PlainStateError(f"{where}: a malformed {kind} node ({type(exc).__name__}: {exc})") from exc


def _items(data, where):
    items = data["items"]
    if type(items) is not list:
        raise PlainStateError(f"{where}: malformed items")
    return [_decode(v, f"{where}[{i}]") for i, v in enumerate(items)]


def _decode_npscalar(data, where):
    value = data["value"]
    if not isinstance(value, np.ndarray) or value.ndim != 0 or value.dtype == object:
        raise PlainStateError(f"{where}: malformed numpy scalar")
    return value[()]


def _decode_objarray(data, where):
    items = _items(data, where)
    shape = tuple(int(s) for s in data["shape"])
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out.reshape(shape)


def _decode_tensor(data, where):
    import torch

    value, dtype = data["value"], data["dtype"]
    if not isinstance(value, np.ndarray) or value.dtype == object or not isinstance(dtype, str):
        raise PlainStateError(f"{where}: malformed tensor")
    torch_dtype = getattr(torch, dtype, None)
    if not isinstance(torch_dtype, torch.dtype):
        raise PlainStateError(f"{where}: unknown tensor dtype {dtype!r}")
    return torch.from_numpy(np.array(value, copy=True)).to(torch_dtype)


def _decode_torch_dtype(data, where):
    import torch

    value = getattr(torch, str(data["name"]), None)
    if not isinstance(value, torch.dtype):
        raise PlainStateError(f"{where}: unknown torch dtype {data['name']!r}")
    return value


def _decode_generator(data, where):
    import torch

    from ._random import CPUGenerator

    state = data["state"]
    if not isinstance(state, np.ndarray) or state.dtype != np.uint8:
        raise PlainStateError(f"{where}: malformed generator state")
    device = str(data["device"])
    if device == "cpu":
        g = CPUGenerator() if data.get("cpu_generator") else torch.Generator()
    elif device.startswith("cuda") and torch.cuda.is_available():
        g = torch.Generator(device=device)
    else:  # a CUDA generator where there is no GPU: its state only matters to continued training
        return CPUGenerator() if data.get("cpu_generator") else torch.Generator()
    g.set_state(torch.from_numpy(state.copy()))
    return g


def _decode_history(data, where):
    from skorch.history import History

    return History(_items(data, where))


def _decode_object(data, where):
    cls = resolve_class(data["class"], "object", where)
    state = data["state"]
    if type(state) is not dict or _TAG in state:
        raise PlainStateError(f"{where}: malformed object state")
    decoded = {}
    for k, v in state.items():
        if not _plain_attribute_name(k):
            raise PlainStateError(f"{where}: the attribute name {k!r} may not be set from a model file")
        decoded[k] = _decode(v, f"{where}.{k}")
    obj = cls.__new__(cls)
    obj.__dict__.update(decoded)
    torch_state = data.get("torch") or {}
    if type(torch_state) is not dict:
        raise PlainStateError(f"{where}: malformed torch state")
    for rule in _RULES:
        if isinstance(obj, rule.cls()):
            rule.load(obj, decoded, torch_state, where)
            break
    else:
        if torch_state:
            raise PlainStateError(f"{where}: torch state for a {cls.__name__}, which has none")
    return obj


def _load_module_tensors(module, saved, where):
    """Copy saved parameters, buffers and generator states into a freshly built module; the names
    and shapes must match exactly."""
    import torch

    with torch.no_grad():
        for kind, current in (("parameters", dict(module.named_parameters())), ("buffers", dict(module.named_buffers()))):
            values = saved.get(kind, {})
            if type(values) is not dict or set(values) != set(current):
                missing = sorted(set(current) - set(values or {}))
                extra = sorted(set(values or {}) - set(current))
                raise PlainStateError(
                    f"{where}: the saved {kind} do not match the network this version builds "
                    f"(missing {missing}, unexpected {extra})"
                )
            for name, tensor in current.items():
                value = _decode(values[name], f"{where}.{name}")
                if not isinstance(value, torch.Tensor) or tuple(value.shape) != tuple(tensor.shape):
                    raise PlainStateError(
                        f"{where}: {kind[:-1]} {name} has shape {tuple(getattr(value, 'shape', ()))}, "
                        f"the network expects {tuple(tensor.shape)}"
                    )
                tensor.copy_(value)
    generators = saved.get("generators", {})
    subs = dict(module.named_modules())
    for key, plain in (generators or {}).items():
        prefix, _, attr = str(key).partition(":")
        sub = subs.get(prefix)
        if sub is None or not isinstance(vars(sub).get(attr), torch.Generator):
            raise PlainStateError(f"{where}: no generator {key} in the network this version builds")
        current = vars(sub)[attr]
        restored = _decode_generator(plain, f"{where}.{key}")
        if restored.device == current.device:
            current.set_state(restored.get_state())


_DECODERS = {
    "npscalar": _decode_npscalar,
    "objarray": _decode_objarray,
    "tuple": lambda d, w: tuple(_items(d, w)),
    "set": lambda d, w: set(_items(d, w)),
    "frozenset": lambda d, w: frozenset(_items(d, w)),
    "dict": lambda d, w: {_decode(k, f"{w}.key"): _decode(v, f"{w}[{i}]") for i, (k, v) in enumerate(d["items"])},
    "np_dtype": lambda d, w: np.dtype(str(d["name"])),
    "tensor": _decode_tensor,
    "torch_dtype": _decode_torch_dtype,
    "torch_device": lambda d, w: __import__("torch").device(str(d["name"])),
    "torch_generator": _decode_generator,
    "type": lambda d, w: resolve_class(d["name"], "type", w),
    "history": _decode_history,
    "object": _decode_object,
}


# -------------------------------------------------- rules for objects that hold torch modules
class _FrontendRule:
    """A fitted front-end's ``filterbank_``: rebuilt by ``_make_filterbank()`` from the parameters
    (deterministic, no random draws) in float64 on the CPU, frozen, as ``fit`` leaves it."""

    @staticmethod
    def cls():
        from .frontends import _BaseFrontend

        return _BaseFrontend

    @staticmethod
    def save(obj, state, enc, where):
        fb = state.pop("filterbank_", None)
        return {} if fb is None else {"filterbank_": _module_tensors(fb, enc, f"{where}.filterbank_")}

    @staticmethod
    def load(obj, decoded, torch_state, where):
        if set(torch_state) - {"filterbank_"}:
            raise PlainStateError(f"{where}: unexpected torch state {sorted(torch_state)}")
        if "filterbank_" not in torch_state:
            return
        fb = obj._make_filterbank().cpu().double()
        _load_module_tensors(fb, torch_state["filterbank_"], f"{where}.filterbank_")
        fb.eval()
        for p in fb.parameters():
            p.requires_grad_(False)
        obj.filterbank_ = fb


class _NeuralNetRule:
    """A skorch net: everything but its torch objects is plain state; the module(s), criterion(s)
    and optimizer(s) are rebuilt by ``initialize()`` (from the saved parameters, drawing nothing from
    torch's global generator) and then given the saved tensors and optimizer state. The default
    callbacks are rebuilt fresh (they hold functions); the callbacks passed as ``callbacks=`` keep
    their saved state; the history is restored."""

    _REBUILT = ("callbacks_", "history_", "virtual_params_")

    @staticmethod
    def cls():
        from skorch import NeuralNet

        return NeuralNet

    @staticmethod
    def save(obj, state, enc, where):
        for name in _NeuralNetRule._REBUILT:
            state.pop(name, None)
        if not obj.__dict__.get("initialized_", False):
            return {}
        torch_state = {"modules": {}, "optimizers": {}}
        for group, kind in (("_modules", "modules"), ("_criteria", "modules"), ("_optimizers", "optimizers")):
            for name in obj.__dict__.get(group, []):
                attr = f"{name}_"
                value = state.pop(attr, None)
                if value is None:
                    continue
                if kind == "modules":
                    torch_state["modules"][attr] = _module_tensors(value, enc, f"{where}.{attr}")
                else:
                    torch_state["optimizers"][attr] = enc.encode(value.state_dict(), f"{where}.{attr}")
        torch_state["history"] = enc.encode(obj.history_, f"{where}.history_")
        return torch_state

    @staticmethod
    def load(obj, decoded, torch_state, where):
        if not torch_state:
            return
        import warnings

        import torch

        from ._random import global_rng_untouched

        requested = decoded.get("_device_requested_")
        if isinstance(requested, str) and requested.startswith("cuda") and not torch.cuda.is_available():
            warnings.warn(
                f"{type(obj).__name__} was saved with device={requested!r}, but CUDA is not available here: "
                "it runs on the CPU (device='cpu')", UserWarning, stacklevel=2,
            )
            decoded["_device_requested_"] = "cpu"
        user_callbacks = [cb for cb in _iter_callbacks(decoded.get("callbacks"))]
        callback_states = [dict(vars(cb)) for cb in user_callbacks]
        obj.__dict__.setdefault("history_", None)  # as skorch's __init__ leaves it; initialize() fills it
        with global_rng_untouched():
            obj.initialize()
        obj.__dict__.update(decoded)  # seeds, generators and counters as saved, not as initialize drew them
        for cb, saved in zip(user_callbacks, callback_states):
            cb.__dict__.clear()
            cb.__dict__.update(saved)
        modules = torch_state.get("modules", {})
        for attr, saved in modules.items():
            module = obj.__dict__.get(attr)
            if not isinstance(module, torch.nn.Module):
                raise PlainStateError(f"{where}: the rebuilt net has no torch module {attr}")
            _load_module_tensors(module, saved, f"{where}.{attr}")
        for attr, plain in torch_state.get("optimizers", {}).items():
            optimizer = obj.__dict__.get(attr)
            if not isinstance(optimizer, torch.optim.Optimizer):
                raise PlainStateError(f"{where}: the rebuilt net has no optimizer {attr}")
            optimizer.load_state_dict(_decode(plain, f"{where}.{attr}"))
        obj.history_ = _decode(torch_state["history"], f"{where}.history_")


def _iter_callbacks(callbacks):
    from skorch.callbacks import Callback

    for item in callbacks or []:
        cb = item[1] if isinstance(item, tuple) and len(item) == 2 else item
        if isinstance(cb, Callback):
            yield cb


class _MiniRocketHeadRule:
    """A fitted :class:`~sklearn_wavefront.temporal.MiniRocketHead`'s ``module_`` (buffers only: the
    kernels, the channel masks, the fitted biases and scales): rebuilt as a
    :class:`~sklearn_wavefront.temporal.MiniRocketModule` from its sizes and the saved buffers, on
    the CPU (in float32, as ``fit`` builds it; the transform runs where the buffers are)."""

    @staticmethod
    def cls():
        from .temporal import MiniRocketHead

        return MiniRocketHead

    @staticmethod
    def save(obj, state, enc, where):
        module = state.pop("module_", None)
        if module is None:
            return {}
        return {"module_": {
            "n_channels": int(module.n_channels), "length": int(module.length),
            "dilations": [int(d) for d in module.dilations],
            "n_features_per_dilation": [int(n) for n in module.n_features_per_dilation],
            "tensors": _module_tensors(module, enc, f"{where}.module_"),
        }}

    @staticmethod
    def load(obj, decoded, torch_state, where):
        if set(torch_state) - {"module_"}:
            raise PlainStateError(f"{where}: unexpected torch state {sorted(torch_state)}")
        if "module_" not in torch_state:
            return
        from .temporal import MiniRocketModule

        saved = torch_state["module_"]
        if type(saved) is not dict:
            raise PlainStateError(f"{where}.module_: malformed MiniRocket state")

        def whole(value, name):
            if type(value) is not int or value < 1:
                raise PlainStateError(f"{where}.module_: {name} must be a positive whole number, got {value!r}")
            return value

        n_channels, length = whole(saved.get("n_channels"), "n_channels"), whole(saved.get("length"), "length")
        dilations, n_per = saved.get("dilations"), saved.get("n_features_per_dilation")
        if type(dilations) is not list or type(n_per) is not list or len(dilations) != len(n_per) or not dilations:
            raise PlainStateError(f"{where}.module_: malformed dilations")
        dilations = [whole(d, "a dilation") for d in dilations]
        n_per = [whole(n, "a feature count") for n in n_per]
        tensors = saved.get("tensors")
        buffers = tensors.get("buffers") if type(tensors) is dict else None
        if type(buffers) is not dict:
            raise PlainStateError(f"{where}.module_: malformed buffers")

        def buffer(name):  # a buffer's shape, from the file (the values are copied in below, checked)
            value = _decode(buffers.get(name), f"{where}.module_.{name}")
            if not hasattr(value, "shape"):
                raise PlainStateError(f"{where}.module_: no buffer {name}")
            return np.zeros(tuple(value.shape), dtype=np.float32)

        # built with placeholders of the saved shapes; _load_module_tensors then checks every name and
        # shape against what this version builds and copies the saved values in
        module = MiniRocketModule(n_channels, length, dilations, n_per, buffer("channel_masks"),
                                  [buffer(f"biases_{i}") for i in range(len(dilations))], buffer("scales"))
        _load_module_tensors(module, tensors, f"{where}.module_")
        obj.module_ = module


_RULES = (_FrontendRule, _NeuralNetRule, _MiniRocketHeadRule)
