"""Unit conversion of a check's value into its target's unit.

Internal to :mod:`ivigsim.analysis.validation`.
"""

from __future__ import annotations

from ivigsim.core.units import UnitError, parse_unit


def convert_unit(value, from_unit, to_unit, where):
    """``value`` from the check's unit into the target's."""
    if from_unit == to_unit:
        return value
    try:
        return value * parse_unit(from_unit).factor_to(parse_unit(to_unit))
    except UnitError as exc:
        raise ValueError(f"{where}: the check gives {from_unit!r}, the target wants {to_unit!r}: {exc}") from None
