"""Ctrl-C and ``kill`` (SIGTERM) during a sweep: stop at once, keep what is finished.

While a sweep runs, SIGTERM is turned into the same exception as Ctrl-C
(:class:`Terminated` is a ``KeyboardInterrupt``), so one code path cancels the
queued chunks, keeps the finished ones on disk and says how to resume. The
exit status follows the shell's convention: 128 + the signal number (130 for
SIGINT, 143 for SIGTERM).
"""

from __future__ import annotations

import signal
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


def _raise_terminated(signum, frame):
    raise Terminated()


@contextmanager
def sigterm_as_interrupt():
    """Within the block, SIGTERM raises :class:`Terminated` in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
