"""Ctrl-C and ``kill`` (SIGTERM) during a sweep: stop at once, keep what is finished.

While a sweep runs, SIGTERM is turned into the same exception as Ctrl-C
(:class:`Terminated` is a ``KeyboardInterrupt``), so one code path cancels the
queued chunks, keeps the finished ones on disk and says how to resume. The
exit status follows the shell's convention: 128 + the signal number (130 for
SIGINT, 143 for SIGTERM).
"""

from __future__ import annotations

import signal
import sys
import threading
from contextlib import contextmanager



class Terminated(KeyboardInterrupt):
    """SIGTERM arrived (raised in the main thread by the handler below)."""

    signum = signal.SIGTERM


class RunInterrupted(KeyboardInterrupt):
    """A sweep was interrupted; its finished chunks are kept. ``exit_code`` is 128 + signal.

    Still a ``KeyboardInterrupt``, so no ``except Exception`` swallows it.
    """

    def __init__(self, message, signum):
        self.signum = int(signum)
        self.exit_code = 128 + self.signum
        super().__init__(message)


def signal_number(exc):
    """The signal behind a KeyboardInterrupt: SIGTERM for :class:`Terminated`, else SIGINT."""
    return getattr(exc, "signum", signal.SIGINT)


class _Seen:
    """What the handlers below saw: a signal that arrived, and one whose exception Python dropped."""

    arrived = None
    lost = None
    depth = 0


def _raise_terminated(signum, frame):
    _Seen.arrived = signal.SIGTERM
    raise Terminated()


def _raise_interrupt(signum, frame):
    _Seen.arrived = signal.SIGINT
    raise KeyboardInterrupt()


@contextmanager
def interrupts_kept():
    """Within the block SIGTERM raises :class:`Terminated`, and no interrupt is lost.

    Python raises a signal's exception wherever the main thread happens to be.
    When that is a finalizer (``__del__``, a weakref callback), Python prints it
    as "Exception ignored" and carries on, so a command would finish with a
    traceback on screen and exit 0. Here such an exception is kept silently for
    :func:`raise_lost_interrupt`, and once a signal arrived, the errors of the
    finalizers it cut short (a half-built ``ZipFile``) are not printed either.
    Only the main thread can install handlers; elsewhere the block runs as is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous_term = signal.signal(signal.SIGTERM, _raise_terminated)
    # A SIGINT that is ignored (a background job) or handled by the caller stays so.
    own_int = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if own_int:
        signal.signal(signal.SIGINT, _raise_interrupt)
    previous_hook = sys.unraisablehook

    def hook(unraisable):
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            _Seen.lost = _Seen.lost or int(signal_number(unraisable.exc_value))
        elif _Seen.arrived is None:
            previous_hook(unraisable)

    sys.unraisablehook = hook
    _Seen.depth += 1
    try:
        yield
    finally:
        _Seen.depth -= 1
        sys.unraisablehook = previous_hook
        if own_int:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, previous_term)
        if _Seen.depth == 0:
            _Seen.arrived = _Seen.lost = None


def raise_lost_interrupt():
    """Raise the interrupt a finalizer swallowed inside :func:`interrupts_kept`, if any."""
    signum, _Seen.lost = _Seen.lost, None
    if signum == signal.SIGTERM:
        raise Terminated()
    if signum is not None:
        raise KeyboardInterrupt()
