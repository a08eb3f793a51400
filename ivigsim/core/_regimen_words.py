"""The description of a regimen in words (``Regimen.describe``).

Internal to :mod:`ivigsim.core.regimen`.
"""

from __future__ import annotations

import numpy as np

from ivigsim.core import antagonists as _antagonists
from ivigsim.core import apheresis as _apheresis
from ivigsim.core._regimen_types import HOURS_PER_DAY, Administration

# ---------------------------------------------------------------------------
# Formatting helpers for describe()
# ---------------------------------------------------------------------------


def fmt_num(value: float) -> str:
    """Format a number compactly: 0.4, 28, 0.3333."""
    return f"{value:.4g}"


def fmt_duration(duration_day: float) -> str:
    """Format an infusion duration: '8 h', '200 min' or '3.33 h'."""
    hours = duration_day * HOURS_PER_DAY
    minutes = hours * 60.0
    if abs(hours - round(hours)) < 1e-6:
        return f"{round(hours)} h"
    if abs(minutes - round(minutes)) < 1e-6:
        return f"{round(minutes)} min"
    return f"{hours:.3g} h"


def is_close_day(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6


def describe_group(entries: list[Administration]) -> str:
    """Describe identical entries (same dose, duration, route, product) at several times."""
    first = entries[0]
    times = sorted(adm.time_day for adm in entries)
    unit = "g/kg" if first.per_kg else "g"
    amount = float(first.amount)
    if first.product in _antagonists.catalogue():      # antagonists are dosed in mg
        unit, amount = "m" + unit, amount * 1000.0

    # Split into courses of consecutive daily doses.
    courses: list[list[float]] = [[times[0]]]
    for time in times[1:]:
        if is_close_day(time - courses[-1][-1], 1.0):
            courses[-1].append(time)
        else:
            courses.append([time])
    lengths = {len(course) for course in courses}
    starts = [course[0] for course in courses]
    gaps = np.diff(starts)
    regular = len(lengths) == 1 and all(is_close_day(gap, gaps[0]) for gap in gaps)
    course_days = len(courses[0]) if regular else 1

    parts = []
    if course_days > 1:
        parts.append(f"{fmt_num(amount)} {unit}/day × {course_days} d")
    else:
        parts.append(f"{fmt_num(amount)} {unit}")
    plural = len(entries) > 1
    if first.route == "sc":
        parts.append("SC depot doses" if plural else "SC depot dose")
    elif first.duration_day == 0.0:
        parts.append("IV boluses" if plural else "IV bolus")
    else:
        kind = "infusions" if plural else "infusion"
        parts.append(f"{fmt_duration(float(first.duration_day))} {kind}")
    if regular:
        if len(courses) > 1:
            parts.append(f"every {fmt_num(float(gaps[0]))} d × {len(courses)}")
        if times[0] != 0.0:
            parts.append(f"from day {fmt_num(times[0])}")
    else:
        parts.append("on days " + ", ".join(fmt_num(t) for t in times))
    text = ", ".join(parts)
    if first.product != "ivig":
        text = f"{first.product}: {text}"
    return text


def describe(regimen) -> str:
    """The one-line summary of :meth:`ivigsim.core.regimen.Regimen.describe`."""
    if not regimen.administrations and not regimen.sessions:
        return "no treatment"
    if not regimen.administrations:
        return _apheresis.describe(regimen.sessions)
    groups: dict[tuple, list[Administration]] = {}
    for adm in regimen.administrations:
        key = (
            float(adm.amount),
            bool(adm.per_kg),
            float(adm.duration_day),
            adm.route,
            adm.product,
        )
        groups.setdefault(key, []).append(adm)
    text = " + ".join(describe_group(entries) for entries in groups.values())
    if regimen.sessions:
        text += " + " + _apheresis.describe(regimen.sessions)
    return text
