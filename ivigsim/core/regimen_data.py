"""One way to build a regimen from data: a table of an experiment, fit or validation file.

Every file format of ivigsim writes a regimen the same way: a table with a
``kind``, the name of a :class:`~ivigsim.core.regimen.Regimen` constructor,
and that constructor's keyword arguments::

    { kind = "ivig", dose_g_per_kg = 0.4, days = 5, infusion_hours = 8 }
    { kind = "combine", parts = [{ kind = "ivig", ... }, { kind = "plasma_exchange", ... }] }

:func:`regimen_from_data` turns such a table into a Regimen; experiment
files (:class:`ivigsim.sweep.experiment.RegimenSpec`), fit conditions,
validation targets and the stochastic regression cases all call it, so a
table means the same regimen wherever it is written.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping, Sequence

import numpy as np

from ivigsim.core.regimen import Regimen, RegimenError

__all__ = ["REGIMEN_KINDS", "regimen_from_data", "constructor_keywords", "is_whole_keyword"]

#: Regimen constructors a table may name (``Regimen.<kind>``); ``combine`` takes ``parts``.
REGIMEN_KINDS = ("ivig", "bolus", "infusion", "scig", "none", "fcrn_antagonist", "plasma_exchange",
                 "immunoadsorption", "when_below", "combine")


@functools.lru_cache(maxsize=None)
def _signature(kind: str) -> inspect.Signature:
    if kind == "combine":       # kind = "combine", parts = [{kind = ...}, ...]
        return inspect.Signature([inspect.Parameter("parts", inspect.Parameter.KEYWORD_ONLY)])
    return inspect.signature(getattr(Regimen, kind))


def _check_kind(kind, where):
    if kind not in REGIMEN_KINDS:
        raise RegimenError(f"{where}: unknown regimen kind {kind!r}; expected one of {', '.join(REGIMEN_KINDS)}")


def constructor_keywords(kind: str) -> tuple[str, ...]:
    """The keywords of constructor ``kind``, in signature order."""
    _check_kind(kind, "regimen")
    return tuple(_signature(kind).parameters)


def is_whole_keyword(kind: str, keyword: str) -> bool:
    """Whether constructor ``kind`` annotates ``keyword`` as an ``int`` (days, cycles, doses, ...)."""
    annotation = _signature(kind).parameters[keyword].annotation
    return annotation is int or annotation == "int"


def regimen_from_data(entry, name: str | None = None, overrides: Mapping[str, object] | None = None) -> Regimen:
    """The regimen a table describes.

    Parameters
    ----------
    entry : Mapping or sequence of Mapping
        ``{"kind": KIND, **keywords}``: ``KIND`` is one of :data:`REGIMEN_KINDS`
        and the other keys are that constructor's keywords. ``kind =
        "combine"`` takes ``parts``, a list of such tables; a list of tables
        is their combination too.
    name : str, optional
        The regimen's name (default: the constructor's).
    overrides : Mapping of str to object, optional
        Values that replace the table's, e.g. one row of sampled sweep
        points; names the constructor does not take are ignored (for
        ``combine``, each part takes those it accepts).

    Returns
    -------
    Regimen

    Raises
    ------
    RegimenError
        Naming the regimen and the key: an unknown kind, a keyword the
        constructor does not take, a missing one, or values it refuses.

    Notes
    -----
    A whole number written as a float (``2.0``, as sampled sweep values are)
    is passed as an ``int`` to keywords annotated ``int``; NumPy scalars are
    passed as Python numbers.
    """
    overrides = overrides or {}
    where = f"regimen '{name}'" if name else "regimen table"
    if isinstance(entry, Sequence) and not isinstance(entry, (str, bytes)):
        entry = {"kind": "combine", "parts": list(entry)}
    if not isinstance(entry, Mapping) or "kind" not in entry:
        raise RegimenError(f"{where}: a regimen is a table with a 'kind' ({', '.join(REGIMEN_KINDS)}) "
                           f"and that constructor's keywords, got {entry!r}")
    kind = entry["kind"]
    _check_kind(kind, where)
    arguments = {k: v for k, v in entry.items() if k != "kind"}
    if kind == "combine":
        parts = arguments.pop("parts", None)
        if arguments:
            raise RegimenError(f"{where}: kind 'combine' takes only 'parts', got '{sorted(arguments)[0]}'")
        if not isinstance(parts, Sequence) or isinstance(parts, (str, bytes)) or not parts:
            raise RegimenError(f"{where}: kind 'combine' needs parts = a non-empty list of regimen tables")
        built = [regimen_from_data(part, overrides=overrides) for part in parts]
        regimen = Regimen.combine(*built)
        return regimen.renamed(name) if name else regimen
    parameters = _signature(kind).parameters
    arguments.update((k, v) for k, v in overrides.items() if k in parameters)
    unknown = [k for k in arguments if k not in parameters]
    if unknown:
        raise RegimenError(f"{where}: Regimen.{kind}() has no keyword '{unknown[0]}'; "
                           f"accepted: {', '.join(parameters) or 'none'}")
    missing = [k for k, p in parameters.items() if p.default is p.empty and k not in arguments]
    if missing:
        raise RegimenError(f"{where}: Regimen.{kind}() needs {', '.join(repr(k) for k in missing)}")
    for key, value in arguments.items():
        if isinstance(value, np.generic):
            value = value.item()
        if is_whole_keyword(kind, key) and isinstance(value, float) and value.is_integer():
            value = int(value)
        arguments[key] = value
    regimen = getattr(Regimen, kind)(**arguments)
    return regimen.renamed(name) if name else regimen
