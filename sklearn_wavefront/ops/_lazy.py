"""Optional compiled (numba) kernels, imported on first use: the one loader of :mod:`.comb` and :mod:`.iir`.

``numba`` is an optional extra (``pip install sklearn-wavefront[fast]``): the kernel modules
(:mod:`._comb_numba`, :mod:`._iir_numba`) import it at their top, so they are imported only when a
kernel is first asked for, and a missing numba leaves the plain-torch path in place.
"""

from __future__ import annotations

import importlib

__all__ = ["OptionalKernels"]


class OptionalKernels:
    """A module of compiled kernels, imported on the first call; ``None`` when it cannot be imported.

    ``kernels()`` returns the module (or ``None``); ``module`` holds ``None`` until the first call,
    then the module or ``False``. Setting ``module = False`` (tests: ``monkeypatch.setattr(kernels,
    "module", False)``) forces the torch path.

    Parameters
    ----------
    name : str
        The module, relative to :mod:`sklearn_wavefront.ops` (e.g. ``"._iir_numba"``).
    """

    def __init__(self, name: str):
        self.name = name
        self.module = None

    def __call__(self):
        if self.module is None:
            try:
                self.module = importlib.import_module(self.name, __package__)
            except ImportError:  # numba missing (or broken): the torch kernels serve
                self.module = False
        return self.module or None

    def __repr__(self) -> str:
        state = "not imported yet" if self.module is None else ("unavailable" if self.module is False else "loaded")
        return f"OptionalKernels({self.name!r}: {state})"
