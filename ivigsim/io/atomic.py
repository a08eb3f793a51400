"""Write files so that a reader sees the old content or the new one, never a part.

Every file ivigsim writes over a user's path goes through here: the content is
written to a temporary file in the same directory, flushed to disk, and then
renamed over the target (``os.replace`` is atomic on POSIX and Windows). A
kill or a full disk leaves the old file untouched and, at worst, a temporary
file behind.

Temporary names start with a dot and end in ``.tmp`` (``.metrics.csv.4242.1a2b3c.tmp``),
so no glob of finished files (``chunk_*.npz``, ``*.csv``, ``*.png``) matches
them, and :func:`remove_stale_temps` can clean them up on resume.
"""

from __future__ import annotations

import os
import re
import secrets
from contextlib import contextmanager
from pathlib import Path

TEMP_SUFFIX = ".tmp"
_TEMP_RE = re.compile(r"^\..+\.\d+\.[0-9a-f]{6}\.tmp$")


def temp_name(path):
    """A temporary path beside ``path`` that no glob of finished files matches."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(3)}{TEMP_SUFFIX}")


def is_temp_name(name):
    """Whether ``name`` (a file name) was made by :func:`temp_name`."""
    return bool(_TEMP_RE.match(str(name)))


def _fsync_directory(directory):
    if os.name != "posix":          # directories cannot be opened for fsync on Windows
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path, fsync=True):
    """Yield a temporary path to write; on success it is renamed to ``path``.

    On any exception (a full disk, a kill signal turned into an exception, a
    failed validation) the temporary file is removed and ``path`` keeps its
    old content.

    Examples
    --------
    >>> with atomic_path(out / "figure.png") as tmp:   # doctest: +SKIP
    ...     fig.savefig(tmp, format="png")
    """
    path = Path(path)
    tmp = temp_name(path)
    try:
        yield tmp
        if fsync:
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if fsync:
        _fsync_directory(path.parent)


@contextmanager
def atomic_open(path, mode="w", fsync=True, **kwargs):
    """``open`` for writing, atomically: the file appears complete or not at all."""
    with atomic_path(path, fsync=fsync) as tmp:
        with open(tmp, mode, **kwargs) as fh:
            yield fh


def atomic_write_text(path, text, encoding="utf-8", fsync=True):
    """Write ``text`` to ``path`` atomically; returns the path."""
    with atomic_open(path, "w", encoding=encoding, newline="", fsync=fsync) as fh:
        fh.write(text)
    return Path(path)


def atomic_write_bytes(path, data, fsync=True):
    """Write ``data`` to ``path`` atomically; returns the path."""
    with atomic_open(path, "wb", fsync=fsync) as fh:
        fh.write(data)
    return Path(path)


def remove_stale_temps(directory, recursive=True):
    """Delete temporary files and staging folders left by killed writers under ``directory``.

    Returns the removed paths.
    """
    import shutil
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = list(directory.rglob(".*.tmp") if recursive else directory.glob(".*.tmp"))
    removed = []
    for path in found:
        if not is_temp_name(path.name) or not path.exists():
            continue
        try:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
        except OSError:
            pass
    return removed
