"""How the ``wavefront`` command takes Ctrl-C, a kill and a closed terminal: one clean ending, always.

SIGINT, SIGTERM and SIGHUP each raise ``KeyboardInterrupt`` in the main thread; each command keeps
what it finished and ends with one line and exit code 130 (:func:`._common.run_handler`).

An interrupt can be lost on its way there: Python code that C code runs on its own (a ctypes
callback, an object's finalizer, a weak-reference callback) prints an exception raised inside it as
"Exception ignored ..." and goes on, and a library may catch ``KeyboardInterrupt`` and carry on as if
nothing happened (a ``compare`` once trained on after its Ctrl-C). So each interrupt also starts a
watchdog thread: until the command has handled it (:func:`interrupt_handled`), the signal is sent
to the main thread again every :data:`REDELIVER_SECONDS` seconds, except while the main thread is
handling a ``KeyboardInterrupt`` (an ``except`` or ``finally`` cleaning up after it: not lost). A
real signal (``pthread_kill``), not a flag, so that a main thread blocked in a wait is woken too.
A re-sent signal that arrives once the command has handled the interrupt is ignored: it must not
cut the command's last line or its exit short.
"""

from __future__ import annotations

import signal
import sys
import threading

__all__ = ["install", "interrupt_handled", "REDELIVER_SECONDS"]

#: seconds after an interrupt that nothing has handled before it is raised again
REDELIVER_SECONDS = 5.0

_handled = threading.Event()
_watching = threading.Lock()  # held while a watchdog runs: one at a time
_resent = threading.Event()  # the watchdog has re-sent the signal; cleared by the handler


def interrupt_handled() -> None:
    """The command has caught the interrupt and is ending: no more re-deliveries (its cleanup must
    not be interrupted in turn)."""
    _handled.set()


def _main_thread_handles_an_interrupt() -> bool:
    """Whether the main thread is in an ``except`` or ``finally`` block for a ``KeyboardInterrupt``
    (or for an error raised while cleaning up after one)."""
    current = getattr(sys, "_current_exceptions", dict)().get(threading.main_thread().ident)
    exc = current[1] if isinstance(current, tuple) else current  # Python 3.11: an exc_info tuple
    while exc is not None:
        if isinstance(exc, KeyboardInterrupt):
            return True
        exc = exc.__context__
    return False


def _watch(signum: int, main_thread: int) -> None:
    try:
        while not _handled.wait(REDELIVER_SECONDS):
            if not _main_thread_handles_an_interrupt():
                _resent.set()
                signal.pthread_kill(main_thread, signum)
    finally:
        _watching.release()


def _raise_interrupt(signum, frame):
    resent = _resent.is_set()
    _resent.clear()
    if _handled.is_set():
        if resent:
            return  # the command has ended its work since the watchdog re-sent it
    elif _watching.acquire(blocking=False):
        try:
            threading.Thread(target=_watch, args=(signum, threading.main_thread().ident),
                             name="wavefront-interrupt-watchdog", daemon=True).start()
        except RuntimeError:  # no thread to be had: the interrupt still goes through, once
            _watching.release()
    raise KeyboardInterrupt(signal.Signals(signum).name)


def install() -> None:
    """Route SIGINT, SIGTERM and SIGHUP to :func:`_raise_interrupt`, only where nobody chose otherwise
    (SIGINT ignored by a shell that started us in the background stays ignored, and under ``nohup``
    SIGHUP stays ignored)."""
    _handled.clear()
    _resent.clear()
    chosen_before = {"SIGINT": signal.default_int_handler, "SIGTERM": signal.SIG_DFL, "SIGHUP": signal.SIG_DFL}
    for name, default in chosen_before.items():
        if hasattr(signal, name) and signal.getsignal(getattr(signal, name)) is default:
            signal.signal(getattr(signal, name), _raise_interrupt)
