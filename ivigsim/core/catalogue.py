"""Find model files by name: the project's ``models/``, an installed copy, or a path."""

from __future__ import annotations

import difflib
import os
from importlib import resources
from pathlib import Path

from ivigsim.paths import CHECKOUT_DIR
from ivigsim.errors import ModelFileError
from ivigsim.core.spec import ModelSpec, load_model_file

_CACHE = {}


def shipped_dir(kind):
    """A data folder (``models/``, ``experiments/``, ``validation/``, ``references/``) beside the package (source checkout) or inside it (wheel)."""
    checkout = CHECKOUT_DIR / kind
    if checkout.is_dir():
        return checkout
    installed = Path(str(resources.files("ivigsim"))) / f"_{kind}"
    return installed if installed.is_dir() else None


def model_dirs():
    """Directories searched for model names: ``IVIGSIM_MODEL_PATH`` entries, then the shipped ones."""
    dirs = [Path(p) for p in os.environ.get("IVIGSIM_MODEL_PATH", "").split(os.pathsep) if p]
    shipped = shipped_dir("models")
    return dirs + ([shipped] if shipped else [])


def experiments_dir():
    return shipped_dir("experiments")


def did_you_mean(name, known):
    """`` (did you mean 'x'?)`` for the closest of ``known`` to ``name``, or ``""``."""
    hint = difflib.get_close_matches(str(name), list(known), n=1, cutoff=0.6)
    return f" (did you mean '{hint[0]}'?)" if hint else ""


def experiment_paths():
    """Name -> path of every shipped experiment file (the file's stem is its name)."""
    folder = experiments_dir()
    return {p.stem: p for p in sorted(folder.glob("*.toml"))} if folder else {}


def experiment_path(name_or_path):
    """The file of a shipped experiment given by name (``"fcrn_dose_response"``), or the path given.

    A name (no ``.toml``, no folder) is looked up among the shipped
    experiments, so that it works after a plain ``pip install`` as model names do.
    """
    text = str(name_or_path)
    if text.endswith(".toml") or os.sep in text or "/" in text:
        return Path(text)
    paths = experiment_paths()
    if text not in paths:
        raise ModelFileError(text, "", f"no shipped experiment named '{text}'{did_you_mean(text, paths)}; "
                                         f"known: {', '.join(paths) or 'none'} (or give a path to a .toml file)")
    return paths[text]


def model_paths():
    """Name -> path of every model file found (earlier directories win)."""
    found = {}
    for d in model_dirs():
        for path in sorted(d.glob("*.toml")):
            found.setdefault(path.stem, path)
    return found


def load_model(name_or_path):
    """Load and validate a model by name (``"fcrn_pk"``) or by path to a ``.toml`` file.

    ``"NAME@SET"`` (or ``"path.toml@SET"``) applies the model's named parameter
    set ``SET`` (see :mod:`ivigsim.core.parameter_sets`), e.g. ``"fcrn_pk@mouse"``.
    Parsed models are cached per file and modification time.
    """
    if isinstance(name_or_path, ModelSpec):
        return name_or_path
    text = str(name_or_path)
    base, sep, set_name = text.rpartition("@")
    if sep and base and set_name and "/" not in set_name and os.sep not in set_name:
        return load_model(base).with_parameter_set(set_name)
    if text.endswith(".toml") or os.sep in text or "/" in text:
        path = Path(text)
    else:
        paths = model_paths()
        if text not in paths:
            raise ModelFileError(text, "", f"no model named '{text}'{did_you_mean(text, paths)}; "
                                           f"known models: {', '.join(sorted(paths)) or 'none'}")
        path = paths[text]
    path = path.resolve()
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise ModelFileError(path, "", "file not found") from None
    key = (str(path), stamp)
    if key not in _CACHE:
        _CACHE[key] = load_model_file(path)
    return _CACHE[key]
