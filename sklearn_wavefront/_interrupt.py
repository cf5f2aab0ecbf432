"""An interrupted training must raise, never return as if it had finished.

skorch's ``NeuralNet.partial_fit`` (which ``fit`` calls) wraps its training loop in
``except KeyboardInterrupt: pass``: Ctrl-C, or a ``KeyboardInterrupt`` raised by a callback or a
signal handler, ends training early and ``fit`` *returns* a half-trained net as if it had finished.
A script, a grid search or ``wavefront fit`` would then score, save or ship that net without a word.

:class:`ReraiseInterruptMixin` keeps skorch's ordering (the ``on_train_end`` callbacks still run, so
e.g. early stopping restores its best weights) and then raises the same ``KeyboardInterrupt``
again, with its original traceback. The net keeps the weights it had reached when it was
interrupted (an interactive user can still look at it), but no caller can mistake it for a
finished fit.

skorch also uses ``KeyboardInterrupt`` as a *signal*: :class:`skorch.callbacks.EarlyStopping` raises
it from its ``on_epoch_end`` to end a training that has stopped improving. That is a finished fit,
so a ``KeyboardInterrupt`` raised there (by ``EarlyStopping`` or a subclass) still ends training
quietly, as does :class:`StopTraining`, which a callback of one's own may raise to stop on purpose.
Every other ``KeyboardInterrupt`` is re-raised.
"""

from __future__ import annotations

__all__ = ["ReraiseInterruptMixin", "StopTraining"]


class StopTraining(KeyboardInterrupt):
    """Raise from a skorch callback to end training on purpose; ``fit`` then returns normally.

    (A plain ``KeyboardInterrupt`` from a callback counts as an interruption and is re-raised.)
    """


def _deliberate_stop(exc):
    """Whether ``exc`` is a request to stop training rather than an interruption: a
    :class:`StopTraining`, or a ``KeyboardInterrupt`` raised by a ``raise`` statement of the
    ``on_epoch_end`` of a skorch ``EarlyStopping`` (found from the innermost frame of its traceback).

    The ``raise`` matters: a Ctrl-C that lands while ``on_epoch_end`` runs leaves that method as the
    innermost frame too (Python's own SIGINT handler is C code, no frame of its own), and it must not
    pass for early stopping. The instruction the frame stopped at tells them apart, with or without
    the source: a signal's handler runs at calls, function starts and backward jumps, never at a
    ``raise`` instruction."""
    import dis

    if isinstance(exc, StopTraining):
        return True
    from skorch.callbacks import EarlyStopping

    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    frame = tb.tb_frame
    if not (frame.f_code.co_name == "on_epoch_end" and isinstance(frame.f_locals.get("self"), EarlyStopping)):
        return False
    code = frame.f_code.co_code
    return 0 <= tb.tb_lasti < len(code) and dis.opname[code[tb.tb_lasti]] == "RAISE_VARARGS"


class ReraiseInterruptMixin:
    """Mixin for skorch nets (put it before ``NeuralNet`` in the bases): ``fit`` and ``partial_fit``
    raise ``KeyboardInterrupt`` when training was interrupted, after skorch's ``on_train_end``.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skorch import NeuralNetClassifier
    >>> from skorch.callbacks import Callback
    >>> from sklearn_wavefront._interrupt import ReraiseInterruptMixin
    >>> class Net(ReraiseInterruptMixin, NeuralNetClassifier):
    ...     pass
    >>> class StopAtEpoch2(Callback):
    ...     def on_epoch_end(self, net, **kwargs):
    ...         if len(net.history) == 2:
    ...             raise KeyboardInterrupt
    >>> net = Net(torch.nn.Linear, module__in_features=3, module__out_features=2,
    ...           criterion=torch.nn.CrossEntropyLoss, max_epochs=5, train_split=None,
    ...           callbacks=[StopAtEpoch2()], verbose=0)
    >>> X, y = np.zeros((4, 3), dtype="float32"), np.array([0, 1, 0, 1])
    >>> try:
    ...     net.fit(X, y)
    ... except KeyboardInterrupt:
    ...     print("interrupted after", len(net.history), "epochs")
    interrupted after 2 epochs
    """

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        try:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        except KeyboardInterrupt as exc:
            if not _deliberate_stop(exc):
                # skorch's partial_fit swallows it; keep it to raise once on_train_end has run
                self.__dict__["_pending_interrupt"] = exc
            raise

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        self.__dict__.pop("_pending_interrupt", None)
        try:
            result = super().partial_fit(X, y, classes=classes, **fit_params)
        finally:
            pending = self.__dict__.pop("_pending_interrupt", None)
        if pending is not None:
            raise pending
        return result
