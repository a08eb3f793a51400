"""Progress for long work: bars through ``tqdm.auto``, one-line notes, one switch to silence both.

In a notebook the bar is a widget (a text bar when ipywidgets is missing); on
a terminal it redraws in place; when output goes to a file or a pipe it
writes a plain line every few seconds instead, so a log shows the run moving.
``progress=False`` on a call, ``ivigsim --quiet`` or ``IVIGSIM_QUIET=1``
silence it.  Everything goes to standard error, never to standard output.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time

_QUIET = [False]
LINE_EVERY_S = 5.0          # a non-terminal gets a progress line at most this often


def enabled(progress=True):
    """Whether to show progress: asked for, and not silenced globally."""
    return bool(progress) and not _QUIET[0] and os.environ.get("IVIGSIM_QUIET", "") in ("", "0")


def set_quiet(quiet=True):
    """Silence (or restore) every progress bar and note in this process."""
    _QUIET[0] = bool(quiet)


@contextlib.contextmanager
def quiet():
    """Silence progress within a ``with`` block."""
    before = _QUIET[0]
    _QUIET[0] = True
    try:
        yield
    finally:
        _QUIET[0] = before


def _in_notebook():
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    ip = shell.get_ipython() if hasattr(shell, "get_ipython") else None
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


def note(message, progress=True):
    """A one-line status message on standard error (e.g. before a long compilation)."""
    if enabled(progress):
        print(message, file=sys.stderr, flush=True)


class _Silent:
    def update(self, n=1):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Lines(_Silent):
    """A plain line every few seconds, for logs and pipes (where a redrawn bar is noise)."""

    def __init__(self, total, desc, unit):
        self.total, self.desc, self.unit = total, desc, unit
        self.done, self.start, self.last = 0, time.perf_counter(), time.perf_counter()

    def update(self, n=1):
        self.done += n
        now = time.perf_counter()
        if now - self.last >= LINE_EVERY_S or self.done >= self.total:
            self.last = now
            elapsed = now - self.start
            eta = elapsed / self.done * (self.total - self.done) if self.done else float("nan")
            print(f"{self.desc}: {self.done}/{self.total} {self.unit}s, {elapsed:.0f} s elapsed, "
                  f"ETA {eta:.0f} s", file=sys.stderr, flush=True)


def bar(total, desc, unit="point", progress=True):
    """A progress bar over ``total`` items (``update(n)``, ``close()``; also a context manager)."""
    if not enabled(progress) or total <= 0:
        return _Silent()
    if _in_notebook():
        try:
            import ipywidgets  # noqa: F401  (tqdm.auto draws a widget only with it)
            from tqdm.auto import tqdm
        except ImportError:
            from tqdm.std import tqdm
        return tqdm(total=total, desc=desc, unit=unit)
    if sys.stderr.isatty():
        from tqdm.std import tqdm
        return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True)
    return _Lines(total, desc, unit)
