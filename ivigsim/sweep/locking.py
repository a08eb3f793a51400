"""An exclusive lock on a run directory, held for the whole run.

Two ``ivigsim run`` processes writing to one directory would mix their
results. The first takes an operating-system lock (``fcntl.flock`` on POSIX,
``msvcrt.locking`` on Windows) on ``DIR/.ivigsim.lock`` and writes its process
id there; the second is refused with an error naming that process. The
operating system releases the lock when the holder exits, however it exits
(``kill -9`` included), so a stale lock file never blocks a later run.
"""

from __future__ import annotations

import os
from pathlib import Path

from ivigsim.errors import IvigsimError

LOCK_NAME = ".ivigsim.lock"


class RunLockedError(IvigsimError):
    """Another process holds the run directory's lock."""


def _try_lock(fd):
    """True when the exclusive lock was taken, False when another process holds it."""
    if os.name == "nt":  # pragma: no cover - exercised on Windows only
        import msvcrt
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fd):
    if os.name == "nt":  # pragma: no cover
        import msvcrt
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        except OSError:
            pass
        return
    import fcntl
    fcntl.flock(fd, fcntl.LOCK_UN)


class RunLock:
    """Exclusive lock of ``directory``; use as a context manager or call acquire/release.

    Parameters
    ----------
    directory : str or Path
        The run directory; it must exist.
    """

    def __init__(self, directory):
        self.directory = Path(directory)
        self.path = self.directory / LOCK_NAME
        self._fd = None

    @property
    def held(self):
        return self._fd is not None

    def holder(self):
        """The process id written by the current holder, or None."""
        try:
            text = self.path.read_text(encoding="ascii", errors="replace").strip()
        except OSError:
            return None
        return int(text) if text.isdigit() else None

    def acquire(self):
        if self._fd is not None:
            return self
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise IvigsimError(f"{self.directory}: cannot create the lock file {LOCK_NAME}: "
                               f"{exc.strerror or exc}") from None
        if not _try_lock(fd):
            os.close(fd)
            pid = self.holder()
            who = f"process {pid}" if pid else "another process"
            raise RunLockedError(f"{self.directory} is in use by {who} (lock file {self.path}); "
                                 f"wait for it to finish, or choose another --out")
        # The lock is ours: record who holds it (the file is not renamed, so
        # the lock stays on this inode).
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))
        self._fd = fd
        return self

    def release(self):
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
            _unlock(fd)
        finally:
            os.close(fd)

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
