"""Regimen data: the clinical constants, the error, and the entry types.

Internal to :mod:`ivigsim.core.regimen`, which re-exports the public names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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

MIN_PER_DAY = 1440.0
HOURS_PER_DAY = 24.0
# Tolerance in days (about 0.1 ms) when comparing event times, so that an
# infusion ending exactly when the next one starts is not called an overlap
# because of floating-point rounding.
TIME_TOL_DAY = 1e-9
# Relative tolerance on the safety thresholds, so that a rate of exactly
# 2 mg/kg/min computed as 2.0000000000000004 is not flagged as above 2.
REL_TOL = 1e-9


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
