"""Regimen safety checks: refusing entries that cannot be given, flagging risky ones.

The field checks are shared by the :class:`~ivigsim.core.regimen.Regimen`
constructors and the event-table reader; the flags are what
:meth:`~ivigsim.core.regimen.Regimen.safety_flags` reports.  Internal to
:mod:`ivigsim.core.regimen`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

from ivigsim.core import antagonists as _antagonists
from ivigsim.core._regimen_types import (
    HARD_MAX_RATE_MG_PER_KG_PER_MIN,
    HYPERVISCOSITY_BANDS_CP,
    LABELLED_MAX_RATE_MG_PER_KG_PER_MIN,
    MAX_BODY_WEIGHT_KG,
    MAX_CONCENTRATION_G_PER_L,
    MIN_PER_DAY,
    REL_TOL,
    ROUTES,
    THROMBOSIS_RISK_DAILY_G,
    THROMBOSIS_RISK_RATE_MG_PER_KG_PER_MIN,
    TIME_TOL_DAY,
    Administration,
    RegimenError,
)
from ivigsim.core._regimen_words import fmt_num

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



# ---------------------------------------------------------------------------
# Field checks shared by the Regimen and the event-table reader
# ---------------------------------------------------------------------------


def real_number(value, where: str, what: str) -> float:
    """Return ``value`` as a float, refusing non-numbers (bools included)."""
    if type(value) is float:          # the common case, without the abstract-base-class checks below
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise RegimenError(f"{where}: {what} must be a number, got {value!r}")
    return float(value)


def whole_number(value, where: str, what: str) -> int:
    """Return ``value`` as an int >= 1, refusing fractions and non-numbers."""
    number = real_number(value, where, what)
    if not math.isfinite(number) or number != math.floor(number) or number < 1:
        raise RegimenError(f"{where}: {what} must be a whole number >= 1, got {value!r}")
    return int(number)


def check_start(value, where: str) -> float:
    """Check a start time in days: a finite number >= 0."""
    time = real_number(value, where, "start time")
    if not math.isfinite(time) or time < 0.0:
        raise RegimenError(
            f"{where}: start time must be a finite number of days >= 0, got {time!r}"
        )
    return time


def check_dose(value, per_kg: bool, where: str) -> float:
    """Check a dose (g/kg or g): a finite number > 0."""
    unit = "g/kg" if per_kg else "g"
    amount = real_number(value, where, f"dose in {unit}")
    if not math.isfinite(amount) or amount <= 0.0:
        raise RegimenError(f"{where}: dose must be > 0 {unit}, got {amount!r}")
    return amount


def check_duration(value, where: str) -> float:
    """Check an infusion duration in days: a finite number >= 0."""
    duration = real_number(value, where, "infusion duration")
    if not math.isfinite(duration) or duration < 0.0:
        raise RegimenError(
            f"{where}: infusion duration must be a finite number of days >= 0 "
            f"(0 means a bolus), got {duration!r}"
        )
    return duration


def check_route(value, where: str) -> str:
    """Check a route: ``"iv"`` or ``"sc"``."""
    if value not in ROUTES:
        raise RegimenError(f"{where}: route must be 'iv' or 'sc', got {value!r}")
    return value


def check_product(value, where: str) -> str:
    """Check a product name: a non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise RegimenError(f"{where}: product must be a non-empty name, got {value!r}")
    return value


def rate_mg_per_kg_per_min(amount_g_per_kg: float, duration_day: float) -> float:
    """Infusion rate in mg/kg/min of ``amount_g_per_kg`` given over ``duration_day``."""
    return amount_g_per_kg * 1000.0 / (duration_day * MIN_PER_DAY)


def check_rate(rate: float, where: str) -> None:
    """Refuse an infusion rate above the hard bound (mg/kg/min)."""
    if rate > HARD_MAX_RATE_MG_PER_KG_PER_MIN:
        raise RegimenError(
            f"{where}: infusion rate {rate:.3g} mg/kg/min is above the hard limit of "
            f"{HARD_MAX_RATE_MG_PER_KG_PER_MIN:g} mg/kg/min (more than 3x the labelled "
            f"maximum of {LABELLED_MAX_RATE_MG_PER_KG_PER_MIN:g} mg/kg/min); "
            "check the dose and the infusion time"
        )


def check_administration(adm: Administration, where: str) -> None:
    """Check one entry on its own (everything but overlaps with other entries)."""
    check_start(adm.time_day, where)
    if not isinstance(adm.per_kg, (bool, np.bool_)):
        raise RegimenError(f"{where}: per_kg must be True or False, got {adm.per_kg!r}")
    amount = check_dose(adm.amount, bool(adm.per_kg), where)
    duration = check_duration(adm.duration_day, where)
    route = check_route(adm.route, where)
    if route == "sc" and duration > 0.0:
        raise RegimenError(
            f"{where}: a subcutaneous dose is a bolus into the depot and cannot have an "
            f"infusion duration, got {duration!r} days"
        )
    check_product(adm.product, where)
    if adm.concentration_g_per_l is not None:
        conc = real_number(adm.concentration_g_per_l, where, "concentration in g/L")
        if not math.isfinite(conc) or not 0.0 < conc <= MAX_CONCENTRATION_G_PER_L:
            raise RegimenError(
                f"{where}: concentration must be > 0 and <= {MAX_CONCENTRATION_G_PER_L:g} g/L "
                f"(a 30 % solution), got {conc!r}"
            )
    if adm.per_kg and duration > 0.0:
        check_rate(rate_mg_per_kg_per_min(amount, duration), where)


def check_overlaps(adms: Sequence[Administration], labels: Sequence[str]) -> None:
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
            if adms[i].time_day < end - TIME_TOL_DAY:
                raise RegimenError(
                    f"{labels[i]}: IV infusion of '{product}' starts before the infusion of "
                    f"{labels[prev]} has ended (day {fmt_num(end)}); "
                    "infusions of the same product must not overlap"
                )


def validate(adms: Sequence[Administration], labels: Sequence[str | EntryLabel]) -> None:
    """Check every entry, then overlaps between entries; ``labels`` name them in messages."""
    for adm, where in zip(adms, labels):
        check_administration(adm, where)
    check_overlaps(adms, labels)


def label(index: int, adm: Administration) -> str:
    """Name entry ``index`` (0-based) as 'administration 3 (day 28.0)'."""
    time = adm.time_day
    is_number = isinstance(time, numbers.Real) and not isinstance(time, (bool, np.bool_))
    if is_number and math.isfinite(time):
        return f"administration {index + 1} (day {round(float(time), 4)})"
    return f"administration {index + 1}"


class EntryLabel:
    """:func:`label` of entry ``index``, written out only when a message uses it.

    The checks put their ``where`` into f-strings, which format this the same
    as the text of :func:`label`. Formatting every entry's label up front cost
    a quarter of building a regimen (a sweep over doses builds one per point),
    and a valid regimen never shows it.
    """

    __slots__ = ("index", "adm")

    def __init__(self, index: int, adm: Administration) -> None:
        self.index = index
        self.adm = adm

    def __str__(self) -> str:
        return label(self.index, self.adm)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def check_body_weight(body_weight_kg) -> float:
    """Check a body weight in kg: finite, > 0 and <= 500."""
    weight = real_number(body_weight_kg, "body weight", "body weight in kg")
    if not math.isfinite(weight) or not 0.0 < weight <= MAX_BODY_WEIGHT_KG:
        raise RegimenError(
            f"body weight must be a finite number > 0 and <= {MAX_BODY_WEIGHT_KG:g} kg, "
            f"got {weight!r}"
        )
    return weight


def infusion_rates(regimen, body_weight_kg: float) -> list[tuple[int, float]]:
    """(entry index, rate in mg/kg/min) for every infusion (duration > 0) of ``regimen``."""
    weight = check_body_weight(body_weight_kg)
    return [
        (i, rate_mg_per_kg_per_min(dose.amount_g / weight, dose.duration_day))
        for i, dose in enumerate(regimen.doses(weight))
        if dose.duration_day > 0.0
    ]


def daily_g(regimen, body_weight_kg: float) -> dict[int, float]:
    """Grams given per calendar day (by start day), for days with a dose."""
    daily: dict[int, float] = {}
    for dose in regimen.doses(body_weight_kg):
        day = math.floor(dose.time_day)
        daily[day] = daily.get(day, 0.0) + dose.amount_g
    return daily


def safety_flags(regimen, body_weight_kg: float, peak_viscosity_cp: float | None = None) -> list[str]:
    """The warnings of :meth:`ivigsim.core.regimen.Regimen.safety_flags`."""
    flags = []
    rates = infusion_rates(regimen, body_weight_kg)
    for limit, reason in (
        (LABELLED_MAX_RATE_MG_PER_KG_PER_MIN, "the labelled maximum"),
        (
            THROMBOSIS_RISK_RATE_MG_PER_KG_PER_MIN,
            "the limit for patients at risk of thrombosis",
        ),
    ):
        above = [(i, rate) for i, rate in rates if rate > limit * (1.0 + REL_TOL)]
        if above:
            first = above[0][0]
            fastest = max(rate for _, rate in above)
            flags.append(
                f"infusion rate up to {fastest:.3g} mg/kg/min in {len(above)} of "
                f"{len(rates)} infusions is above {limit:g} mg/kg/min, {reason} "
                f"(first: {label(first, regimen.administrations[first])})"
            )
    daily = daily_g(regimen, body_weight_kg)
    heavy = sorted(day for day, grams in daily.items()
                   if grams >= THROMBOSIS_RISK_DAILY_G * (1.0 - REL_TOL))
    if heavy:
        most = max(daily[day] for day in heavy)
        flags.append(
            f"{len(heavy)} day(s) with >= {THROMBOSIS_RISK_DAILY_G:g} g immunoglobulin "
            f"(up to {most:.3g} g, first on day {heavy[0]}), associated with early "
            "thromboembolic events"
        )
    weight = check_body_weight(body_weight_kg)
    seen = set()
    for adm in regimen.administrations:
        if adm.product in _antagonists.catalogue():
            dose_mg = float(adm.amount) * 1000.0 * (weight if adm.per_kg else 1.0)
            for flag in _antagonists.label_flags(adm.product, adm.route, dose_mg,
                                                 dose_mg / weight, weight):
                if flag not in seen:
                    seen.add(flag)
                    flags.append(flag + " (a safety flag, not a refusal)")
    flags += _given_during_apheresis(regimen, weight)
    if peak_viscosity_cp is not None:
        flags += hyperviscosity_flags(peak_viscosity_cp)
    return flags


def _given_during_apheresis(regimen, body_weight_kg: float) -> list[str]:
    """One flag if an IV dose runs during an apheresis session, which removes it as it is given.

    Plasma exchange and immunoadsorption remove plasma IgG (an antagonist too, in an exchange);
    clinically a product is given after the day's session, not during it. Allowed (the model
    computes what is left), but flagged.
    """
    if not regimen.sessions:
        return []
    clashes = []
    for dose in regimen.doses(body_weight_kg):
        if dose.route != "iv":
            continue
        for session in regimen.sessions:
            inside = (dose.time_day < session.end_day and dose.end_day > session.time_day) or (
                dose.duration_day == 0.0 and session.time_day <= dose.time_day < session.end_day)
            if inside:
                clashes.append((dose, session))
    if not clashes:
        return []
    dose, session = clashes[0]
    what = session.kind.replace("_", " ")
    article = "an" if what[0] in "aeiou" else "a"
    return [f"{len(clashes)} IV dose(s) given during {article} {what} session, which removes the product as it "
            f"is given (first: {dose.product} on day {dose.time_day:g}, session from day "
            f"{session.time_day:g} to {session.end_day:.4g}); give it after the session "
            "(a safety flag, not a refusal)"]
