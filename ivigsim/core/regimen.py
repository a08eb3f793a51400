"""Dosing schedules for immunoglobulin therapy, written in clinical units.

A :class:`Regimen` is a list of :class:`Administration` entries exactly as a
clinician writes them (grams per kg or grams, start day, infusion length,
route and product).  :meth:`Regimen.doses` resolves them for one patient into
:class:`Dose` entries in absolute grams, which is what a pharmacokinetic model
consumes.  Time is in days throughout.

Clinical background used for the defaults and the checks:

* the standard IVIG course is 0.4 g/kg/day for 5 days (2 g/kg), each day's
  dose infused over several hours, repeated every 28 days;
* products are 5 % or 10 % solutions (50 or 100 g/L);
* labelled infusion rates go from 0.5 up to 6 mg/kg/min, and stay below
  2 mg/kg/min for patients at risk of thrombosis;
* early thromboembolic events are associated with 35 g or more of
  immunoglobulin in one day;
* subcutaneous IgG (SCIG) is given weekly into a subcutaneous depot; its
  absorption from the depot belongs to the model, so here an SC dose is a
  bolus into the depot.

Every problem with a regimen raises :class:`RegimenError`, whose message names
the offending entry and value.
"""

from __future__ import annotations

import csv
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np

from ivigsim.core import antagonists as _antagonists
from ivigsim.core import apheresis as _apheresis

__all__ = [
    "RegimenError",
    "Administration",
    "Dose",
    "Regimen",
    "ROUTES",
    "LABELLED_MAX_RATE_MG_PER_KG_PER_MIN",
    "THROMBOSIS_RISK_RATE_MG_PER_KG_PER_MIN",
    "HARD_MAX_RATE_MG_PER_KG_PER_MIN",
    "THROMBOSIS_RISK_DAILY_G",
    "HYPERVISCOSITY_BANDS_CP",
    "hyperviscosity_flags",
    "MAX_BODY_WEIGHT_KG",
    "MAX_CONCENTRATION_G_PER_L",
    "MAX_INFUSION_HOURS",
]

#: Routes a dose may take: intravenous, or subcutaneous into a depot.
ROUTES = ("iv", "sc")
#: Highest infusion rate on the product labels, mg/kg/min.
LABELLED_MAX_RATE_MG_PER_KG_PER_MIN = 6.0
#: Highest infusion rate for patients at risk of thrombosis, mg/kg/min.
THROMBOSIS_RISK_RATE_MG_PER_KG_PER_MIN = 2.0
#: Rates above this (more than 3x the labelled maximum) are refused, mg/kg/min.
HARD_MAX_RATE_MG_PER_KG_PER_MIN = 20.0
#: Amount in one day associated with early thromboembolic events, g.
THROMBOSIS_RISK_DAILY_G = 35.0
#: Serum-viscosity bands, cP: no hyperviscosity symptoms below 3, subtle
#: presentations above 4, the classic syndrome above 5 (Crawford, Cox & Cohen,
#: Am J Med 1985; target PK-32).
HYPERVISCOSITY_BANDS_CP = (3.0, 4.0, 5.0)
#: Largest body weight accepted, kg.
MAX_BODY_WEIGHT_KG = 500.0
#: Most concentrated product accepted (a 30 % solution), g/L.
MAX_CONCENTRATION_G_PER_L = 300.0
#: Longest single daily infusion accepted by the constructors, hours.
MAX_INFUSION_HOURS = 24.0

_MIN_PER_DAY = 1440.0
_HOURS_PER_DAY = 24.0
# Tolerance in days (about 0.1 ms) when comparing event times, so that an
# infusion ending exactly when the next one starts is not called an overlap
# because of floating-point rounding.
_TIME_TOL_DAY = 1e-9
# Relative tolerance on the safety thresholds, so that a rate of exactly
# 2 mg/kg/min computed as 2.0000000000000004 is not flagged as above 2.
_REL_TOL = 1e-9

_EVENT_COLUMNS = (
    "time_day",
    "amount_g",
    "amount_g_per_kg",
    "duration_h",
    "rate_g_per_h",
    "route",
    "product",
)


def hyperviscosity_flags(peak_viscosity_cp) -> list[str]:
    """Flags for a predicted peak serum viscosity, cP (Crawford et al. 1985, PK-32).

    Returns one line for the highest band reached (3, 4 or 5 cP), or nothing.
    """
    peak = float(peak_viscosity_cp)
    low, subtle, classic = HYPERVISCOSITY_BANDS_CP
    if not math.isfinite(peak) or peak < low:
        return []
    if peak >= classic:
        what = f"above {classic:g} cP, where the classic hyperviscosity syndrome is seen"
    elif peak >= subtle:
        what = f"above {subtle:g} cP, where subtle hyperviscosity presentations are seen"
    else:
        what = f"above {low:g} cP, below which no hyperviscosity symptoms are reported"
    return [f"predicted serum viscosity up to {peak:.2f} cP, {what} (Crawford et al. 1985)"]


class RegimenError(ValueError):
    """A dosing schedule that cannot be given as written.

    The message is meant for a clinician: it names the offending entry (or
    file, line and column) and the value that was refused.
    """


# ---------------------------------------------------------------------------
# Data classes
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Administration:
    """One dosing entry as the clinician wrote it.

    Entries are checked when they are put into a :class:`Regimen`.

    Parameters
    ----------
    time_day : float
        Start of the administration, days from the start of the simulation.
    amount : float
        Dose, in g/kg body weight if ``per_kg`` is true, otherwise in g.
    per_kg : bool
        Whether ``amount`` is per kg body weight.
    duration_day : float
        Infusion duration, days; ``0.0`` means a bolus (instantaneous).
    route : str
        ``"iv"`` (intravenous) or ``"sc"`` (subcutaneous depot, bolus only).
    product : str, optional
        Product name; the model decides which species each product enters.
    concentration_g_per_l : float or None, optional
        Concentration of the solution, g/L (100.0 for a 10 % product); used
        for infusion volumes in mL.
    """

    time_day: float
    amount: float
    per_kg: bool
    duration_day: float
    route: str
    product: str = "ivig"
    concentration_g_per_l: float | None = None


@dataclass(frozen=True)
class Dose:
    """One administration resolved for one patient, in absolute grams.

    Parameters
    ----------
    time_day : float
        Start, days from the start of the simulation.
    amount_g : float
        Dose, g.
    duration_day : float
        Infusion duration, days; ``0.0`` for a bolus.
    route : str
        ``"iv"`` or ``"sc"``.
    product : str
        Product name.
    """

    time_day: float
    amount_g: float
    duration_day: float
    route: str
    product: str

    @property
    def rate_g_per_day(self) -> float:
        """Infusion rate, g/day (``inf`` for a bolus)."""
        if self.duration_day == 0.0:
            return math.inf
        return self.amount_g / self.duration_day

    @property
    def end_day(self) -> float:
        """End of the administration, days (equal to the start for a bolus)."""
        return self.time_day + self.duration_day


# ---------------------------------------------------------------------------
# Field checks shared by the Regimen and the event-table reader
# ---------------------------------------------------------------------------


def _real(value, where: str, what: str) -> float:
    """Return ``value`` as a float, refusing non-numbers (bools included)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise RegimenError(f"{where}: {what} must be a number, got {value!r}")
    return float(value)


def _whole(value, where: str, what: str) -> int:
    """Return ``value`` as an int >= 1, refusing fractions and non-numbers."""
    number = _real(value, where, what)
    if not math.isfinite(number) or number != math.floor(number) or number < 1:
        raise RegimenError(f"{where}: {what} must be a whole number >= 1, got {value!r}")
    return int(number)


def _check_start(value, where: str) -> float:
    """Check a start time in days: a finite number >= 0."""
    time = _real(value, where, "start time")
    if not math.isfinite(time) or time < 0.0:
        raise RegimenError(
            f"{where}: start time must be a finite number of days >= 0, got {time!r}"
        )
    return time


def _check_dose(value, per_kg: bool, where: str) -> float:
    """Check a dose (g/kg or g): a finite number > 0."""
    unit = "g/kg" if per_kg else "g"
    amount = _real(value, where, f"dose in {unit}")
    if not math.isfinite(amount) or amount <= 0.0:
        raise RegimenError(f"{where}: dose must be > 0 {unit}, got {amount!r}")
    return amount


def _check_duration(value, where: str) -> float:
    """Check an infusion duration in days: a finite number >= 0."""
    duration = _real(value, where, "infusion duration")
    if not math.isfinite(duration) or duration < 0.0:
        raise RegimenError(
            f"{where}: infusion duration must be a finite number of days >= 0 "
            f"(0 means a bolus), got {duration!r}"
        )
    return duration


def _check_route(value, where: str) -> str:
    """Check a route: ``"iv"`` or ``"sc"``."""
    if value not in ROUTES:
        raise RegimenError(f"{where}: route must be 'iv' or 'sc', got {value!r}")
    return value


def _check_product(value, where: str) -> str:
    """Check a product name: a non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise RegimenError(f"{where}: product must be a non-empty name, got {value!r}")
    return value


def _rate_mg_per_kg_per_min(amount_g_per_kg: float, duration_day: float) -> float:
    """Infusion rate in mg/kg/min of ``amount_g_per_kg`` given over ``duration_day``."""
    return amount_g_per_kg * 1000.0 / (duration_day * _MIN_PER_DAY)


def _check_rate(rate: float, where: str) -> None:
    """Refuse an infusion rate above the hard bound (mg/kg/min)."""
    if rate > HARD_MAX_RATE_MG_PER_KG_PER_MIN:
        raise RegimenError(
            f"{where}: infusion rate {rate:.3g} mg/kg/min is above the hard limit of "
            f"{HARD_MAX_RATE_MG_PER_KG_PER_MIN:g} mg/kg/min (more than 3x the labelled "
            f"maximum of {LABELLED_MAX_RATE_MG_PER_KG_PER_MIN:g} mg/kg/min); "
            "check the dose and the infusion time"
        )


def _check_administration(adm: Administration, where: str) -> None:
    """Check one entry on its own (everything but overlaps with other entries)."""
    _check_start(adm.time_day, where)
    if not isinstance(adm.per_kg, (bool, np.bool_)):
        raise RegimenError(f"{where}: per_kg must be True or False, got {adm.per_kg!r}")
    amount = _check_dose(adm.amount, bool(adm.per_kg), where)
    duration = _check_duration(adm.duration_day, where)
    route = _check_route(adm.route, where)
    if route == "sc" and duration > 0.0:
        raise RegimenError(
            f"{where}: a subcutaneous dose is a bolus into the depot and cannot have an "
            f"infusion duration, got {duration!r} days"
        )
    _check_product(adm.product, where)
    if adm.concentration_g_per_l is not None:
        conc = _real(adm.concentration_g_per_l, where, "concentration in g/L")
        if not math.isfinite(conc) or not 0.0 < conc <= MAX_CONCENTRATION_G_PER_L:
            raise RegimenError(
                f"{where}: concentration must be > 0 and <= {MAX_CONCENTRATION_G_PER_L:g} g/L "
                f"(a 30 % solution), got {conc!r}"
            )
    if adm.per_kg and duration > 0.0:
        _check_rate(_rate_mg_per_kg_per_min(amount, duration), where)


def _check_overlaps(adms: Sequence[Administration], labels: Sequence[str]) -> None:
    """Refuse two IV infusions of the same product that overlap in time."""
    by_product: dict[str, list[int]] = {}
    for i, adm in enumerate(adms):
        if adm.route == "iv" and adm.duration_day > 0.0:
            by_product.setdefault(adm.product, []).append(i)
    for product, indices in by_product.items():
        indices.sort(key=lambda i: adms[i].time_day)
        # Until the first overlap the infusions are disjoint, so comparing
        # each one with the one before it in time is enough.
        for prev, i in zip(indices, indices[1:]):
            end = adms[prev].time_day + adms[prev].duration_day
            if adms[i].time_day < end - _TIME_TOL_DAY:
                raise RegimenError(
                    f"{labels[i]}: IV infusion of '{product}' starts before the infusion of "
                    f"{labels[prev]} has ended (day {_fmt_num(end)}); "
                    "infusions of the same product must not overlap"
                )


def _validate(adms: Sequence[Administration], labels: Sequence[str]) -> None:
    """Check every entry, then overlaps between entries."""
    for adm, where in zip(adms, labels):
        _check_administration(adm, where)
    _check_overlaps(adms, labels)


def _label(index: int, adm: Administration) -> str:
    """Name entry ``index`` (0-based) as 'administration 3 (day 28.0)'."""
    time = adm.time_day
    is_number = isinstance(time, numbers.Real) and not isinstance(time, (bool, np.bool_))
    if is_number and math.isfinite(time):
        return f"administration {index + 1} (day {round(float(time), 4)})"
    return f"administration {index + 1}"


def _check_body_weight(body_weight_kg) -> float:
    """Check a body weight in kg: finite, > 0 and <= 500."""
    weight = _real(body_weight_kg, "body weight", "body weight in kg")
    if not math.isfinite(weight) or not 0.0 < weight <= MAX_BODY_WEIGHT_KG:
        raise RegimenError(
            f"body weight must be a finite number > 0 and <= {MAX_BODY_WEIGHT_KG:g} kg, "
            f"got {weight!r}"
        )
    return weight


# ---------------------------------------------------------------------------
# Formatting helpers for describe()
# ---------------------------------------------------------------------------


def _fmt_num(value: float) -> str:
    """Format a number compactly: 0.4, 28, 0.3333."""
    return f"{value:.4g}"


def _fmt_duration(duration_day: float) -> str:
    """Format an infusion duration: '8 h', '200 min' or '3.33 h'."""
    hours = duration_day * _HOURS_PER_DAY
    minutes = hours * 60.0
    if abs(hours - round(hours)) < 1e-6:
        return f"{round(hours)} h"
    if abs(minutes - round(minutes)) < 1e-6:
        return f"{round(minutes)} min"
    return f"{hours:.3g} h"


def _is_close_day(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6


def _describe_group(entries: list[Administration]) -> str:
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
        if _is_close_day(time - courses[-1][-1], 1.0):
            courses[-1].append(time)
        else:
            courses.append([time])
    lengths = {len(course) for course in courses}
    starts = [course[0] for course in courses]
    gaps = np.diff(starts)
    regular = len(lengths) == 1 and all(_is_close_day(gap, gaps[0]) for gap in gaps)
    course_days = len(courses[0]) if regular else 1

    parts = []
    if course_days > 1:
        parts.append(f"{_fmt_num(amount)} {unit}/day × {course_days} d")
    else:
        parts.append(f"{_fmt_num(amount)} {unit}")
    plural = len(entries) > 1
    if first.route == "sc":
        parts.append("SC depot doses" if plural else "SC depot dose")
    elif first.duration_day == 0.0:
        parts.append("IV boluses" if plural else "IV bolus")
    else:
        kind = "infusions" if plural else "infusion"
        parts.append(f"{_fmt_duration(float(first.duration_day))} {kind}")
    if regular:
        if len(courses) > 1:
            parts.append(f"every {_fmt_num(float(gaps[0]))} d × {len(courses)}")
        if times[0] != 0.0:
            parts.append(f"from day {_fmt_num(times[0])}")
    else:
        parts.append("on days " + ", ".join(_fmt_num(t) for t in times))
    text = ", ".join(parts)
    if first.product != "ivig":
        text = f"{first.product}: {text}"
    return text


# ---------------------------------------------------------------------------
# Regimen
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Regimen:
    """A dosing schedule: administrations sorted by start time.

    Parameters
    ----------
    administrations : tuple of Administration
        The entries; any sequence is accepted and stored as a tuple sorted
        by ``time_day`` (entries at the same time keep their order).
    name : str, optional
        A short label, e.g. ``"IVIG"``.

    Raises
    ------
    RegimenError
        If an entry is invalid (non-finite or non-positive dose, negative
        start, negative or non-finite duration, unknown route, an SC entry
        with a duration, a per-kg infusion faster than 20 mg/kg/min) or two
        IV infusions of the same product overlap.  Entries are numbered from
        1 in the order given.

    Notes
    -----
    The rate bound for entries in absolute grams needs the body weight, so
    it is checked by :meth:`doses` and the methods built on it.
    """

    administrations: tuple[Administration, ...]
    name: str = ""
    sessions: tuple = ()

    def __post_init__(self) -> None:
        if isinstance(self.administrations, (str, bytes, Administration)):
            raise RegimenError("administrations must be a sequence of Administration entries")
        try:
            adms = tuple(self.administrations)
        except TypeError:
            raise RegimenError(
                "administrations must be a sequence of Administration entries, "
                f"got {type(self.administrations).__name__}"
            ) from None
        for i, adm in enumerate(adms):
            if not isinstance(adm, Administration):
                raise RegimenError(
                    f"administration {i + 1}: expected an Administration, got {type(adm).__name__}"
                )
        if not isinstance(self.name, str):
            raise RegimenError(f"regimen name must be text, got {self.name!r}")
        _validate(adms, [_label(i, adm) for i, adm in enumerate(adms)])
        ordered = tuple(sorted(adms, key=lambda adm: float(adm.time_day)))
        object.__setattr__(self, "administrations", ordered)
        sessions = tuple(self.sessions)
        for i, session in enumerate(sessions):
            if not isinstance(session, _apheresis.ApheresisSession):
                raise RegimenError(f"session {i + 1}: expected an ApheresisSession, "
                                   f"got {type(session).__name__}")
        try:
            _apheresis.check_overlaps(sessions)
        except _apheresis.ApheresisError as exc:
            raise RegimenError(f"plasma exchange / immunoadsorption: {exc}") from None
        object.__setattr__(self, "sessions", tuple(sorted(sessions, key=lambda s: s.time_day)))
        drugs = sorted({adm.product for adm in ordered if adm.product in _antagonists.catalogue()})
        if len(drugs) > 1:
            raise RegimenError(f"one FcRn antagonist per regimen, got {', '.join(drugs)}: they share "
                               "the model's antagonist species")

    # -- constructors -------------------------------------------------------

    @classmethod
    def ivig(
        cls,
        dose_g_per_kg: float = 0.4,
        days: int = 5,
        infusion_hours: float | None = None,
        rate_ml_per_kg_per_min: float | None = None,
        product_concentration: float = 0.10,
        every_days: float = 28.0,
        cycles: int = 1,
        start_day: float = 0.0,
        product: str = "ivig",
    ) -> Regimen:
        """Daily IV infusions for ``days`` days, repeated every ``every_days``.

        Parameters
        ----------
        dose_g_per_kg : float, optional
            Daily dose, g/kg (default 0.4, i.e. 2 g/kg over 5 days).
        days : int, optional
            Infusion days per course (default 5).
        infusion_hours : float, optional
            Length of each daily infusion, hours, in (0, 24].
        rate_ml_per_kg_per_min : float, optional
            Infusion rate, mL/kg/min, of a product at ``product_concentration``;
            the duration is the time the daily dose takes at this rate.  Give
            either this or ``infusion_hours``; with neither, infusions last 8 h.
        product_concentration : float, optional
            Product strength as a fraction in (0, 0.3]: 0.05 for a 5 %
            (50 g/L) or 0.10 for a 10 % (100 g/L) solution (default 0.10).
        every_days : float, optional
            Days from the start of one course to the next (default 28); must
            be at least ``days``, or courses would overlap.
        cycles : int, optional
            Number of courses (default 1).
        start_day : float, optional
            Day of the first infusion (default 0).
        product : str, optional
            Product name (default ``"ivig"``).

        Returns
        -------
        Regimen
            ``days * cycles`` infusions, the one on day ``d`` of course ``k``
            starting at ``start_day + k * every_days + d``.

        Raises
        ------
        RegimenError
            On any invalid argument.
        """
        where = "IVIG regimen"
        dose = _check_dose(dose_g_per_kg, True, where)
        n_days = _whole(days, where, "days")
        n_cycles = _whole(cycles, where, "cycles")
        start = _check_start(start_day, where)
        _check_product(product, where)
        conc = _real(product_concentration, where, "product_concentration")
        if not math.isfinite(conc) or not 0.0 < conc <= MAX_CONCENTRATION_G_PER_L / 1000.0:
            raise RegimenError(
                f"{where}: product_concentration is a fraction in (0, 0.3] "
                f"(0.05 for 5 %, 0.10 for 10 %), got {product_concentration!r}"
            )
        period = _real(every_days, where, "every_days")
        if not math.isfinite(period) or period < n_days:
            raise RegimenError(
                f"{where}: every_days must be at least the {n_days} infusion days, "
                f"or courses would overlap; got {every_days!r}"
            )
        if infusion_hours is not None and rate_ml_per_kg_per_min is not None:
            raise RegimenError(
                f"{where}: give either infusion_hours or rate_ml_per_kg_per_min, not both "
                f"(got {infusion_hours!r} h and {rate_ml_per_kg_per_min!r} mL/kg/min)"
            )
        if rate_ml_per_kg_per_min is not None:
            rate = _real(rate_ml_per_kg_per_min, where, "rate_ml_per_kg_per_min")
            if not math.isfinite(rate) or rate <= 0.0:
                raise RegimenError(f"{where}: infusion rate must be > 0 mL/kg/min, got {rate!r}")
            # mL/kg/min x g/mL = g/kg/min; a fraction of 0.10 is 0.10 g/mL.
            minutes = dose / (rate * conc)
            hours = minutes / 60.0
            if hours > MAX_INFUSION_HOURS:
                raise RegimenError(
                    f"{where}: {dose!r} g/kg at {rate!r} mL/kg/min of a {conc * 100:g} % product "
                    f"takes {hours:.3g} h, longer than one day; increase the rate"
                )
        else:
            hours = (
                8.0 if infusion_hours is None else _real(infusion_hours, where, "infusion_hours")
            )
            if not math.isfinite(hours) or not 0.0 < hours <= MAX_INFUSION_HOURS:
                raise RegimenError(
                    f"{where}: infusion_hours must be > 0 and <= {MAX_INFUSION_HOURS:g}, "
                    f"got {infusion_hours!r}"
                )
        duration = hours / _HOURS_PER_DAY
        adms = tuple(
            Administration(
                time_day=start + k * period + d,
                amount=dose,
                per_kg=True,
                duration_day=duration,
                route="iv",
                product=product,
                concentration_g_per_l=conc * 1000.0,
            )
            for k in range(n_cycles)
            for d in range(n_days)
        )
        return cls(adms, name="IVIG")

    @classmethod
    def bolus(
        cls,
        dose_g_per_kg: float,
        at_day: float = 0.0,
        product: str = "ivig",
        route: str = "iv",
    ) -> Regimen:
        """A single instantaneous dose.

        Parameters
        ----------
        dose_g_per_kg : float
            Dose, g/kg.
        at_day : float, optional
            Time of the dose, days (default 0).
        product : str, optional
            Product name (default ``"ivig"``).
        route : str, optional
            ``"iv"`` (default) or ``"sc"`` (into the depot).

        Returns
        -------
        Regimen
        """
        adm = Administration(at_day, dose_g_per_kg, True, 0.0, route, product)
        return cls((adm,), name="bolus")

    @classmethod
    def infusion(
        cls,
        dose_g_per_kg: float,
        at_day: float,
        hours: float,
        product: str = "ivig",
    ) -> Regimen:
        """A single IV infusion.

        Parameters
        ----------
        dose_g_per_kg : float
            Dose, g/kg.
        at_day : float
            Start of the infusion, days.
        hours : float
            Length of the infusion, hours, in (0, 24].
        product : str, optional
            Product name (default ``"ivig"``).

        Returns
        -------
        Regimen
        """
        length = _real(hours, "infusion", "hours")
        if not math.isfinite(length) or not 0.0 < length <= MAX_INFUSION_HOURS:
            raise RegimenError(
                f"infusion: hours must be > 0 and <= {MAX_INFUSION_HOURS:g}, got {hours!r}"
            )
        adm = Administration(at_day, dose_g_per_kg, True, length / _HOURS_PER_DAY, "iv", product)
        return cls((adm,), name="infusion")

    @classmethod
    def scig(
        cls,
        dose_g_per_kg: float = 0.1,
        every_days: float = 7.0,
        doses: int = 4,
        start_day: float = 0.0,
        product: str = "ivig",
    ) -> Regimen:
        """Repeated subcutaneous doses into the depot (weekly by default).

        Parameters
        ----------
        dose_g_per_kg : float, optional
            Dose each time, g/kg (default 0.1).
        every_days : float, optional
            Days between doses, > 0 (default 7).
        doses : int, optional
            Number of doses (default 4).
        start_day : float, optional
            Day of the first dose (default 0).
        product : str, optional
            Product name (default ``"ivig"``).

        Returns
        -------
        Regimen
            ``doses`` SC boluses at ``start_day + k * every_days``.
        """
        where = "SCIG regimen"
        n_doses = _whole(doses, where, "doses")
        start = _check_start(start_day, where)
        period = _real(every_days, where, "every_days")
        if not math.isfinite(period) or period <= 0.0:
            raise RegimenError(f"{where}: every_days must be > 0, got {every_days!r}")
        adms = tuple(
            Administration(start + k * period, dose_g_per_kg, True, 0.0, "sc", product)
            for k in range(n_doses)
        )
        return cls(adms, name="SCIG")

    @classmethod
    def plasma_exchange(
        cls,
        plasma_volumes: float = 1.0,
        sessions: int = 5,
        every_days: float = 2.0,
        replacement: str = "albumin",
        session_hours: float | None = None,
        start_day: float = 0.0,
    ) -> Regimen:
        """Therapeutic plasma exchange: ``sessions`` exchanges every ``every_days``.

        Parameters
        ----------
        plasma_volumes : float, optional
            Plasma exchanged per session, in multiples of the patient's
            plasma volume, in (0, 2] (default 1).
        sessions : int, optional
            Number of sessions (default 5).
        every_days : float, optional
            Days from one session's start to the next (default 2, alternate days).
        replacement : str, optional
            ``"albumin"`` (no IgG returned; default) or ``"fresh_frozen_plasma"``
            (donor plasma with normal IgG returned at the exchange rate).
        session_hours : float, optional
            Length of each session, hours (default 2).
        start_day : float, optional
            Day of the first session (default 0).

        Returns
        -------
        Regimen
            The removal is continuous over each session (see :mod:`ivigsim.core.apheresis`).
        """
        try:
            found = _apheresis.sessions("plasma_exchange", plasma_volumes, sessions, every_days,
                                        start_day, session_hours, replacement)
        except _apheresis.ApheresisError as exc:
            raise RegimenError(f"plasma exchange: {exc}") from None
        return cls((), name="PLEX", sessions=found)

    @classmethod
    def immunoadsorption(
        cls,
        plasma_volumes: float = 2.0,
        sessions: int = 5,
        every_days: float = 1.0,
        column_efficiency: dict | None = None,
        session_hours: float | None = None,
        start_day: float = 0.0,
    ) -> Regimen:
        """Immunoadsorption: plasma passed over a column and returned.

        Parameters
        ----------
        plasma_volumes : float, optional
            Plasma processed per session, in plasma volumes, in (0, 3] (default 2).
        sessions, every_days, session_hours, start_day
            As for :meth:`plasma_exchange` (default: 5 daily sessions).
        column_efficiency : dict, optional
            Fraction removed per pass, by class: ``igg``, ``autoantibody``
            (default 0.8 each, a protein-A column) and ``antagonist`` (default 0).

        Returns
        -------
        Regimen
        """
        try:
            found = _apheresis.sessions("immunoadsorption", plasma_volumes, sessions, every_days,
                                        start_day, session_hours, "none", column_efficiency)
        except _apheresis.ApheresisError as exc:
            raise RegimenError(f"immunoadsorption: {exc}") from None
        return cls((), name="immunoadsorption", sessions=found)

    @classmethod
    def fcrn_antagonist(
        cls,
        drug: str = "efgartigimod",
        dose_mg_per_kg: float | None = None,
        dose_mg: float | None = None,
        every_days: float = 7.0,
        doses: int = 4,
        route: str | None = None,
        infusion_hours: float | None = None,
        start_day: float = 0.0,
    ) -> Regimen:
        """Repeated doses of an FcRn antagonist (efgartigimod, rozanolixizumab, nipocalimab).

        Parameters
        ----------
        drug : str
            A drug of the catalogue (``ivigsim/core/data/fcrn_antagonists.toml``).
        dose_mg_per_kg, dose_mg : float
            Dose per administration, mg/kg or a flat mg dose (give one).
        every_days : float, optional
            Days between doses (default 7).
        doses : int, optional
            Number of doses (default 4).
        route : str, optional
            ``"iv"`` or ``"sc"``; default the drug's usual route.
        infusion_hours : float, optional
            IV infusion length, hours (default: the label's).
        start_day : float, optional
            Day of the first dose.

        Returns
        -------
        Regimen
            Doses outside the labelled range are allowed and flagged by
            :meth:`safety_flags`.
        """
        where = "FcRn antagonist regimen"
        try:
            entry = _antagonists.drug(drug)
        except _antagonists.AntagonistError as exc:
            raise RegimenError(f"{where}: {exc}") from None
        route = entry.default_route if route is None else route
        if route not in entry.routes:
            raise RegimenError(f"{where}: {drug} is given by the {' or '.join(entry.routes)} route, "
                               f"got route={route!r}")
        if (dose_mg_per_kg is None) == (dose_mg is None):
            raise RegimenError(f"{where}: give exactly one of dose_mg_per_kg or dose_mg")
        per_kg = dose_mg_per_kg is not None
        amount_g = _check_dose(dose_mg_per_kg if per_kg else dose_mg, per_kg, where) / 1000.0
        n_doses = _whole(doses, where, "doses")
        start = _check_start(start_day, where)
        period = _real(every_days, where, "every_days")
        if not math.isfinite(period) or period <= 0.0:
            raise RegimenError(f"{where}: every_days must be > 0, got {every_days!r}")
        duration = 0.0
        if route == "iv":
            hours = entry.iv_infusion_hours if infusion_hours is None else _real(
                infusion_hours, where, "infusion_hours")
            if not math.isfinite(hours) or not 0.0 < hours <= MAX_INFUSION_HOURS:
                raise RegimenError(f"{where}: infusion_hours must be > 0 and <= "
                                   f"{MAX_INFUSION_HOURS:g}, got {infusion_hours!r}")
            duration = hours / _HOURS_PER_DAY
            if period < duration:
                raise RegimenError(f"{where}: every_days must be at least the infusion length")
        elif infusion_hours is not None:
            raise RegimenError(f"{where}: infusion_hours applies to the iv route only")
        adms = tuple(Administration(start + k * period, amount_g, per_kg, duration, route, drug)
                     for k in range(n_doses))
        return cls(adms, name=drug)

    @classmethod
    def combine(cls, *regimens: Regimen) -> Regimen:
        """One regimen that gives every part (``a + b`` is ``combine(a, b)``)."""
        if not regimens:
            return cls.none()
        for r in regimens:
            if not isinstance(r, Regimen):
                raise RegimenError(f"Regimen.combine takes regimens, got {type(r).__name__}")
        name = " + ".join(r.name for r in regimens if r.name)
        return cls(tuple(a for r in regimens for a in r.administrations), name=name,
                   sessions=tuple(s for r in regimens for s in r.sessions))

    @classmethod
    def none(cls) -> Regimen:
        """An empty regimen (untreated patient)."""
        return cls((), name="untreated")

    @classmethod
    def from_event_table(cls, path: str | PathLike) -> Regimen:
        """Read a NONMEM-style CSV event table.

        The first line is a header naming the columns:

        ``time_day`` (required)
            Start, days.
        ``amount_g`` or ``amount_g_per_kg`` (exactly one, required)
            Dose, g or g/kg.
        ``duration_h`` or ``rate_g_per_h`` (at most one, optional)
            Infusion length, hours, or rate, g/h (``rate_g_per_h`` needs
            ``amount_g``).  Without either, or with an empty cell, the dose
            is a bolus.
        ``route`` (optional)
            ``iv`` (default when absent or empty) or ``sc``.
        ``product`` (optional)
            Product name (``ivig`` when absent or empty).

        Blank lines are skipped.

        Parameters
        ----------
        path : str or path-like
            The CSV file.

        Returns
        -------
        Regimen
            Named after the file.

        Raises
        ------
        RegimenError
            If the file cannot be read or a value is invalid; the message
            names the file, the line and the column.
        """
        path = Path(path)
        fname = path.name
        try:
            with open(path, newline="", encoding="utf-8-sig") as handle:
                reader = csv.reader(handle)
                try:
                    lines = [(reader.line_num, row) for row in reader]
                except csv.Error as exc:
                    raise RegimenError(
                        f"{fname} line {reader.line_num}: not valid CSV ({exc})"
                    ) from exc
        except OSError as exc:
            raise RegimenError(
                f"cannot read event table {str(path)!r}: {exc.strerror or exc}"
            ) from exc
        except UnicodeDecodeError as exc:
            raise RegimenError(f"{fname}: not a text file ({exc.reason})") from exc

        if not lines or not any(cell.strip() for cell in lines[0][1]):
            raise RegimenError(
                f"{fname}: line 1 must be a header row naming the columns "
                f"({', '.join(_EVENT_COLUMNS)})"
            )
        header = [cell.strip().lower() for cell in lines[0][1]]
        _check_event_header(header, fname)
        amount_col = "amount_g" if "amount_g" in header else "amount_g_per_kg"
        per_kg = amount_col == "amount_g_per_kg"

        adms: list[Administration] = []
        labels: list[str] = []
        for line_num, row in lines[1:]:
            if not any(cell.strip() for cell in row):
                continue
            where = f"{fname} line {line_num}"
            if len(row) != len(header):
                raise RegimenError(
                    f"{where}: expected {len(header)} values ({', '.join(header)}), got {len(row)}"
                )
            cells = {col: cell.strip() for col, cell in zip(header, row)}

            time = _check_start(
                _cell_number(cells, "time_day", True, where), f"{where}, column 'time_day'"
            )
            amount = _check_dose(
                _cell_number(cells, amount_col, True, where),
                per_kg,
                f"{where}, column '{amount_col}'",
            )
            duration = 0.0
            hours = _cell_number(cells, "duration_h", False, where)
            if hours is not None:
                if not math.isfinite(hours) or hours < 0.0:
                    raise RegimenError(
                        f"{where}, column 'duration_h': infusion duration must be a finite "
                        f"number of hours >= 0 (0 means a bolus), got {hours!r}"
                    )
                duration = hours / _HOURS_PER_DAY
            rate = _cell_number(cells, "rate_g_per_h", False, where)
            if rate is not None:
                if not math.isfinite(rate) or rate <= 0.0:
                    raise RegimenError(
                        f"{where}, column 'rate_g_per_h': infusion rate must be > 0 g/h, "
                        f"got {rate!r}"
                    )
                duration = amount / rate / _HOURS_PER_DAY
            route = _check_route(cells.get("route", "").lower() or "iv", f"{where}, column 'route'")
            product = cells.get("product", "") or "ivig"
            adms.append(Administration(time, amount, per_kg, duration, route, product))
            labels.append(f"{where} (day {round(time, 4)})")
        _validate(adms, labels)
        return cls(tuple(adms), name=fname)

    # -- behaviour ----------------------------------------------------------

    def __add__(self, other: Regimen) -> Regimen:
        """Combine two regimens into one (checked again, e.g. for overlaps)."""
        if not isinstance(other, Regimen):
            return NotImplemented
        return Regimen.combine(self, other)

    @property
    def antagonist(self) -> str | None:
        """The FcRn antagonist this regimen gives, or None."""
        known = _antagonists.catalogue()
        return next((adm.product for adm in self.administrations if adm.product in known), None)

    def model_parameters(self) -> dict[str, float]:
        """Model parameter values the regimen brings: the antagonist's parameter set.

        Returns
        -------
        dict
            ``{"fcra_kd": ..., ...}`` for the drug given, empty otherwise.
        """
        name = self.antagonist
        return dict(_antagonists.drug(name).parameters) if name else {}

    def grams_by_product(self, body_weight_kg: float) -> dict[str, float]:
        """Grams given of each product (IVIG and any antagonist separately)."""
        totals: dict[str, float] = {}
        for dose in self.doses(body_weight_kg):
            totals[dose.product] = totals.get(dose.product, 0.0) + dose.amount_g
        return totals

    def doses(self, body_weight_kg: float) -> tuple[Dose, ...]:
        """Resolve the regimen for one patient.

        Parameters
        ----------
        body_weight_kg : float
            Body weight, kg (finite, > 0, <= 500).

        Returns
        -------
        tuple of Dose
            Doses in absolute grams, sorted by start time.

        Raises
        ------
        RegimenError
            For an invalid body weight, or an entry in absolute grams whose
            infusion rate for this patient is above 20 mg/kg/min.
        """
        weight = _check_body_weight(body_weight_kg)
        result = []
        for i, adm in enumerate(self.administrations):
            amount = float(adm.amount)
            duration = float(adm.duration_day)
            amount_g = amount * weight if adm.per_kg else amount
            if not adm.per_kg and duration > 0.0:
                rate = _rate_mg_per_kg_per_min(amount / weight, duration)
                _check_rate(rate, f"{_label(i, adm)}, for {weight:g} kg")
            result.append(Dose(float(adm.time_day), amount_g, duration, adm.route, adm.product))
        return tuple(result)

    def total_g_per_kg(self, body_weight_kg: float | None = None) -> float:
        """Total dose over the whole regimen, g/kg.

        Parameters
        ----------
        body_weight_kg : float, optional
            Body weight, kg; needed only when some entries are in grams.

        Returns
        -------
        float
            Sum of all doses, g/kg (0.0 for an empty regimen).

        Raises
        ------
        RegimenError
            If entries are in grams and no body weight is given.
        """
        weight = None if body_weight_kg is None else _check_body_weight(body_weight_kg)
        parts = []
        for i, adm in enumerate(self.administrations):
            if adm.per_kg:
                parts.append(float(adm.amount))
            elif weight is None:
                raise RegimenError(
                    f"{_label(i, adm)}: dose is {float(adm.amount):g} g; a body weight is "
                    "needed to express it in g/kg"
                )
            else:
                parts.append(float(adm.amount) / weight)
        return math.fsum(parts)

    def switch_times(self, body_weight_kg: float) -> np.ndarray:
        """Times where an infusion starts or stops or a bolus is given.

        Parameters
        ----------
        body_weight_kg : float
            Body weight, kg.

        Returns
        -------
        numpy.ndarray
            Sorted unique times, days (empty for an empty regimen).
        """
        times = [t for dose in self.doses(body_weight_kg) for t in (dose.time_day, dose.end_day)]
        return np.unique(np.asarray(times, dtype=float))

    def max_rate_mg_per_kg_per_min(self, body_weight_kg: float) -> float:
        """Highest infusion rate, mg/kg/min (boluses excluded; 0.0 if none).

        Parameters
        ----------
        body_weight_kg : float
            Body weight, kg.

        Returns
        -------
        float
        """
        return max((rate for _, rate in self._infusion_rates(body_weight_kg)), default=0.0)

    def max_daily_g(self, body_weight_kg: float) -> float:
        """Largest amount given in one calendar day, g (0.0 if none).

        Each dose counts towards the day it starts, ``floor(time_day)``;
        all routes and products count.

        Parameters
        ----------
        body_weight_kg : float
            Body weight, kg.

        Returns
        -------
        float
        """
        return max(self._daily_g(body_weight_kg).values(), default=0.0)

    def infusion_volume_ml(self, body_weight_kg: float) -> float:
        """Total volume of solution, mL, over the entries with a concentration.

        Entries without ``concentration_g_per_l`` are left out (0.0 if none
        has one).

        Parameters
        ----------
        body_weight_kg : float
            Body weight, kg.

        Returns
        -------
        float
        """
        doses = self.doses(body_weight_kg)
        return math.fsum(
            dose.amount_g / float(adm.concentration_g_per_l) * 1000.0
            for adm, dose in zip(self.administrations, doses)
            if adm.concentration_g_per_l is not None
        )

    def safety_flags(self, body_weight_kg: float, peak_viscosity_cp: float | None = None) -> list[str]:
        """Human-readable warnings for this patient.

        Flags infusions faster than the labelled maximum of 6 mg/kg/min,
        infusions faster than 2 mg/kg/min (the limit for patients at risk of
        thrombosis), and calendar days with 35 g or more.  Each condition
        gives at most one line, naming the first entry or day concerned.

        Parameters
        ----------
        body_weight_kg : float
            Body weight, kg.
        peak_viscosity_cp : float, optional
            Predicted peak serum viscosity, cP (a model's ``serum_viscosity_cp``);
            flagged against the 3, 4 and 5 cP bands of Crawford et al. 1985.
            FcRn-antagonist doses outside their labelled range are flagged too.

        Returns
        -------
        list of str
            Empty if nothing is flagged.
        """
        flags = []
        rates = self._infusion_rates(body_weight_kg)
        for limit, reason in (
            (LABELLED_MAX_RATE_MG_PER_KG_PER_MIN, "the labelled maximum"),
            (
                THROMBOSIS_RISK_RATE_MG_PER_KG_PER_MIN,
                "the limit for patients at risk of thrombosis",
            ),
        ):
            above = [(i, rate) for i, rate in rates if rate > limit * (1.0 + _REL_TOL)]
            if above:
                first = above[0][0]
                fastest = max(rate for _, rate in above)
                flags.append(
                    f"infusion rate up to {fastest:.3g} mg/kg/min in {len(above)} of "
                    f"{len(rates)} infusions is above {limit:g} mg/kg/min, {reason} "
                    f"(first: {_label(first, self.administrations[first])})"
                )
        daily = self._daily_g(body_weight_kg)
        heavy = sorted(day for day, grams in daily.items()
                       if grams >= THROMBOSIS_RISK_DAILY_G * (1.0 - _REL_TOL))
        if heavy:
            most = max(daily[day] for day in heavy)
            flags.append(
                f"{len(heavy)} day(s) with >= {THROMBOSIS_RISK_DAILY_G:g} g immunoglobulin "
                f"(up to {most:.3g} g, first on day {heavy[0]}), associated with early "
                "thromboembolic events"
            )
        weight = _check_body_weight(body_weight_kg)
        seen = set()
        for adm in self.administrations:
            if adm.product in _antagonists.catalogue():
                dose_mg = float(adm.amount) * 1000.0 * (weight if adm.per_kg else 1.0)
                for flag in _antagonists.label_flags(adm.product, adm.route, dose_mg,
                                                     dose_mg / weight, weight):
                    if flag not in seen:
                        seen.add(flag)
                        flags.append(flag + " (a safety flag, not a refusal)")
        if peak_viscosity_cp is not None:
            flags += hyperviscosity_flags(peak_viscosity_cp)
        return flags

    def describe(self) -> str:
        """One line summary, e.g. '0.4 g/kg/day × 5 d, 8 h infusions, every 28 d × 13'.

        Identical entries (same dose, infusion length, route and product)
        are grouped; runs of consecutive days form courses, and courses at a
        regular interval are written 'every P d × N'.  Groups are joined
        with ' + '.

        Returns
        -------
        str
        """
        if not self.administrations and not self.sessions:
            return "no treatment"
        if not self.administrations:
            return _apheresis.describe(self.sessions)
        groups: dict[tuple, list[Administration]] = {}
        for adm in self.administrations:
            key = (
                float(adm.amount),
                bool(adm.per_kg),
                float(adm.duration_day),
                adm.route,
                adm.product,
            )
            groups.setdefault(key, []).append(adm)
        text = " + ".join(_describe_group(entries) for entries in groups.values())
        if self.sessions:
            text += " + " + _apheresis.describe(self.sessions)
        return text

    def __repr__(self) -> str:
        from ivigsim.interfaces.regimen_view import regimen_repr
        return regimen_repr(self)

    def _repr_html_(self) -> str:
        from ivigsim.interfaces.regimen_view import regimen_html
        return regimen_html(self)

    def plot(self, body_weight_kg: float = 70.0, ax=None):
        """Plot the infusion-rate timeline (mg/kg/min against days) for one patient; returns the axes."""
        from ivigsim.interfaces.regimen_view import plot_regimen
        return plot_regimen(self, body_weight_kg, ax=ax)

    # -- helpers --------------------------------------------------------------

    def _infusion_rates(self, body_weight_kg: float) -> list[tuple[int, float]]:
        """(entry index, rate in mg/kg/min) for every infusion (duration > 0)."""
        weight = _check_body_weight(body_weight_kg)
        return [
            (i, _rate_mg_per_kg_per_min(dose.amount_g / weight, dose.duration_day))
            for i, dose in enumerate(self.doses(weight))
            if dose.duration_day > 0.0
        ]

    def _daily_g(self, body_weight_kg: float) -> dict[int, float]:
        """Grams given per calendar day (by start day), for days with a dose."""
        daily: dict[int, float] = {}
        for dose in self.doses(body_weight_kg):
            day = math.floor(dose.time_day)
            daily[day] = daily.get(day, 0.0) + dose.amount_g
        return daily


def _cell_number(cells: dict[str, str], col: str, required: bool, where: str) -> float | None:
    """Parse the number in column ``col`` of an event-table row (None if empty and optional)."""
    text = cells.get(col, "")
    if not text:
        if required:
            raise RegimenError(f"{where}, column '{col}': missing value")
        return None
    try:
        return float(text)
    except ValueError:
        raise RegimenError(f"{where}, column '{col}': expected a number, got {text!r}") from None


def _check_event_header(header: list[str], fname: str) -> None:
    """Check the column names of an event table."""
    allowed = ", ".join(_EVENT_COLUMNS)
    for col_num, col in enumerate(header, start=1):
        if not col:
            raise RegimenError(
                f"{fname} line 1, column {col_num}: empty column name; allowed columns: {allowed}"
            )
        if col not in _EVENT_COLUMNS:
            hint = ""
            try:
                float(col)
                hint = " (line 1 must be a header row naming the columns)"
            except ValueError:
                pass
            raise RegimenError(
                f"{fname} line 1: unknown column {col!r}{hint}; allowed columns: {allowed}"
            )
    for col in set(header):
        if header.count(col) > 1:
            raise RegimenError(f"{fname} line 1: column {col!r} appears more than once")
    if "time_day" not in header:
        raise RegimenError(f"{fname} line 1: required column 'time_day' is missing")
    has_abs, has_kg = "amount_g" in header, "amount_g_per_kg" in header
    if has_abs == has_kg:
        raise RegimenError(
            f"{fname} line 1: give exactly one of the columns 'amount_g' (g) or "
            f"'amount_g_per_kg' (g/kg), found {'both' if has_abs else 'neither'}"
        )
    if "duration_h" in header and "rate_g_per_h" in header:
        raise RegimenError(
            f"{fname} line 1: give at most one of the columns 'duration_h' or 'rate_g_per_h', "
            "not both"
        )
    if "rate_g_per_h" in header and has_kg:
        raise RegimenError(
            f"{fname} line 1: column 'rate_g_per_h' needs doses in grams ('amount_g'); "
            "with 'amount_g_per_kg' give the infusion length in 'duration_h'"
        )
