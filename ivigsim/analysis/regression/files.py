"""Reference files: stable CSV and JSON text, written only where their content changes."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

from ivigsim.paths import CHECKOUT_DIR
from ivigsim.errors import IvigsimError

__all__ = ["SIDECAR", "VOLATILE", "csv_text", "read_csv", "json_text", "read_sidecar", "write_files",
           "sha256_of", "display_path", "git_dirty", "missing_message"]

#: The sidecar of every reference folder.
SIDECAR = "reference.json"
#: Sidecar fields that change with every regeneration without the results changing.
VOLATILE = ("created", "git_commit", "git_dirty", "ivigsim_version", "python", "numpy", "scipy", "numba",
            "platform")


def sha256_of(path) -> str:
    """SHA-256 of a file's bytes, in hex."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def display_path(path) -> str:
    """A path relative to the checkout when it lies inside it."""
    path = Path(path).resolve()
    root = CHECKOUT_DIR
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def csv_text(rows) -> str:
    """CSV text of ``rows`` (lists of cells), ``\\n`` line endings whatever the platform."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue()


def git_dirty():
    """Whether tracked files of the checkout have uncommitted changes (None outside a checkout)."""
    import subprocess
    root = CHECKOUT_DIR
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return bool(out.stdout.strip()) if out.returncode == 0 else None


def json_text(data) -> str:
    """JSON with sorted keys and a final newline, so that a changed value is a one-line diff."""
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def write_files(folder: Path, files: dict, sidecar: dict, volatile=VOLATILE) -> str:
    """Write ``files`` (name -> text) and the sidecar where their content changed.

    Returns ``"updated"`` when any file was written, ``"unchanged"`` when
    every file already held this content and the sidecar differs only in its
    ``volatile`` fields (date, commit, versions), which are then left as
    they were.
    """
    folder.mkdir(parents=True, exist_ok=True)
    changed = False
    for name, text in files.items():
        target = folder / name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            changed = True
    old = read_sidecar(folder) if (folder / SIDECAR).exists() else None
    new = json.loads(json_text(sidecar))
    if changed or old is None or _stable(old, volatile) != _stable(new, volatile):
        (folder / SIDECAR).write_text(json_text(sidecar), encoding="utf-8")
        changed = True
    return "updated" if changed else "unchanged"


def _stable(sidecar, volatile):
    return {k: v for k, v in sidecar.items() if k not in volatile}


def read_sidecar(folder: Path) -> dict:
    """The ``reference.json`` of a reference folder."""
    try:
        return json.loads((folder / SIDECAR).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise IvigsimError(f"{folder / SIDECAR}: cannot read the reference's sidecar ({exc})") from None


def read_csv(path: Path):
    """(header, rows) of a reference CSV, cells as text."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        raise IvigsimError(f"{path}: empty reference file")
    return rows[0], rows[1:]


def missing_message(name, folder) -> str:
    """The error for a reference that does not exist: how to create it."""
    return (f"no reference for '{name}' in {display_path(folder)}/; create it with "
            f"`ivigsim regress --update --only {name}` (or regress(['{name}'], update=True)) "
            "and commit it")
