"""How the ``wavefront`` command takes Ctrl-C, a kill and a closed terminal: one clean ending, always.

SIGINT, SIGTERM and SIGHUP each raise ``KeyboardInterrupt`` in the main thread; each command keeps
what it finished and ends with one line and exit code 130 (:func:`._common.run_handler`).

An interrupt can be lost on its way there: Python code that C code runs on its own (a ctypes
callback, an object's finalizer, a weak-reference callback) prints an exception raised inside it as
"Exception ignored ..." and goes on, and a library may catch ``KeyboardInterrupt`` and carry on as if
nothing happened (a ``compare`` once trained on after its Ctrl-C). So each interrupt also starts a
watchdog thread: until the command has handled it (:func:`interrupt_handled`), the signal is sent
to the main thread again every :data:`REDELIVER_SECONDS` seconds, except while the main thread is
handling a ``KeyboardInterrupt`` (an ``except`` or ``finally`` cleaning up after it: not lost; a
library that keeps working inside such a block is therefore never interrupted again). A real signal
(``pthread_kill``; ``interrupt_main`` where there is none, as on Windows), not a flag, so that a main
thread blocked in a wait is woken too. A re-sent signal that arrives once the command has handled
the interrupt, or while the main thread is handling one, is ignored: it must not cut the command's
cleanup, its last line or its exit short.
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
_state = {"resent": None, "generation": 0}  # the signal number the watchdog re-sent; install()'s count


def interrupt_handled() -> None:
    """The command has caught the interrupt and is ending: no more re-deliveries (its cleanup must
    not be interrupted in turn)."""
    _handled.set()


def _handles_an_interrupt(exc) -> bool:
    """Whether ``exc`` (the exception a thread is handling, or None) is a ``KeyboardInterrupt`` or an
    error raised while cleaning up after one."""
    while exc is not None:
        if isinstance(exc, KeyboardInterrupt):
            return True
        exc = exc.__context__
    return False


def _main_thread_handles_an_interrupt() -> bool:
    """:func:`_handles_an_interrupt` for the main thread, seen from another thread."""
    current = getattr(sys, "_current_exceptions", dict)().get(threading.main_thread().ident)
    return _handles_an_interrupt(current[1] if isinstance(current, tuple) else current)  # 3.11: exc_info


def _send(signum: int, main_thread: int) -> None:
    if hasattr(signal, "pthread_kill"):
        signal.pthread_kill(main_thread, signum)
    else:
        import _thread

        _thread.interrupt_main(signum)


def _watch(signum: int, main_thread: int, generation: int) -> None:
    try:
        while not _handled.wait(REDELIVER_SECONDS):
            if _state["generation"] != generation:
                return  # another command of this process has started since
            if not _main_thread_handles_an_interrupt():
                _state["resent"] = signum
                _send(signum, main_thread)
    finally:
        _watching.release()


def _raise_interrupt(signum, frame):
    resent = _state["resent"] == signum
    if resent:
        _state["resent"] = None
        if _handled.is_set() or _handles_an_interrupt(sys.exc_info()[1]):
            return  # handled since the watchdog decided to send it: not lost after all
    elif not _handled.is_set() and _watching.acquire(blocking=False):
        try:
            threading.Thread(target=_watch, args=(signum, threading.main_thread().ident, _state["generation"]),
                             name="wavefront-interrupt-watchdog", daemon=True).start()
        except RuntimeError:  # no thread to be had: the interrupt still goes through, once
            _watching.release()
    raise KeyboardInterrupt(signal.Signals(signum).name)


def install() -> None:
    """Route SIGINT, SIGTERM and SIGHUP to :func:`_raise_interrupt`, only where nobody chose otherwise
    (SIGINT ignored by a shell that started us in the background stays ignored, and under ``nohup``
    SIGHUP stays ignored)."""
    _state["generation"] += 1
    _state["resent"] = None
    _handled.clear()
    chosen_before = {"SIGINT": signal.default_int_handler, "SIGTERM": signal.SIG_DFL, "SIGHUP": signal.SIG_DFL}
    for name, default in chosen_before.items():
        if hasattr(signal, name) and signal.getsignal(getattr(signal, name)) is default:
            signal.signal(getattr(signal, name), _raise_interrupt)
