"""How the ``wavefront`` command takes Ctrl-C, a kill and a closed terminal: one clean ending, always.

SIGINT, SIGTERM and SIGHUP each raise ``KeyboardInterrupt`` in the main thread; each command keeps
what it finished and ends with one line and exit code 130 (:func:`._common.run_handler`).

An interrupt can be lost on its way there: Python code that C code runs on its own (a ctypes
callback, an object's finalizer, a weak-reference callback) prints an exception raised inside it as
"Exception ignored ..." and goes on, and a library may catch ``KeyboardInterrupt`` and carry on as if
nothing happened. A command training for many epochs would then ignore the user's Ctrl-C. So each
interrupt also starts a watchdog: until the command has handled it (:func:`interrupt_handled`), the
interrupt is raised again in the main thread every :data:`REDELIVER_SECONDS` seconds.
"""

from __future__ import annotations

import signal
import threading

__all__ = ["install", "interrupt_handled", "REDELIVER_SECONDS"]

#: seconds after an interrupt that nothing has handled before it is raised again
REDELIVER_SECONDS = 5.0

_handled = threading.Event()
_watching = threading.Lock()  # held while a watchdog runs: one at a time


def interrupt_handled() -> None:
    """The command has caught the interrupt and is ending: no more re-deliveries (its cleanup must
    not be interrupted in turn)."""
    _handled.set()


def _watch(signum: int) -> None:
    import _thread

    try:
        while not _handled.wait(REDELIVER_SECONDS):
            _thread.interrupt_main(signum)  # runs the handler below in the main thread, as the signal did
    finally:
        _watching.release()


def _raise_interrupt(signum, frame):
    if not _handled.is_set() and _watching.acquire(blocking=False):
        threading.Thread(target=_watch, args=(signum,), name="wavefront-interrupt-watchdog", daemon=True).start()
    raise KeyboardInterrupt(signal.Signals(signum).name)


def install() -> None:
    """Route SIGINT, SIGTERM and SIGHUP to :func:`_raise_interrupt`, only where nobody chose otherwise
    (SIGINT ignored by a shell that started us in the background stays ignored, and under ``nohup``
    SIGHUP stays ignored)."""
    _handled.clear()
    chosen_before = {"SIGINT": signal.default_int_handler, "SIGTERM": signal.SIG_DFL, "SIGHUP": signal.SIG_DFL}
    for name, default in chosen_before.items():
        if hasattr(signal, name) and signal.getsignal(getattr(signal, name)) is default:
            signal.signal(getattr(signal, name), _raise_interrupt)
