"""A state-triggered dose as a regimen holds it: "give D when X falls below T, at most every N days".

Only the data and its checks live here, beside the regimen's other types, so that
:class:`~ivigsim.core.regimen.Regimen` can hold triggered doses without importing
the machinery that turns them into model events (:mod:`ivigsim.core.triggered`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ivigsim.core._regimen_types import RegimenError


@dataclass(frozen=True)
class TriggeredDose:
    """Give ``dose_g_per_kg`` of ``product`` when ``observable`` < ``threshold``, at most every interval."""

    observable: str
    threshold: float                 # in ``unit``, or in the observable's declared unit if unit is ""
    dose_g_per_kg: float
    min_interval_days: float
    unit: str = ""
    product: str = "ivig"
    route: str = "iv"
    start_day: float = 0.0
    infusion_hours: float = 0.0      # 0: a bolus; else infused at a constant rate over this time

    def describe(self):
        unit = f" {self.unit}" if self.unit else ""
        how = f"infused over {self.infusion_hours:g} h" if self.infusion_hours else self.route
        return (f"{self.dose_g_per_kg:g} g/kg {self.product} ({how}) when {self.observable} < "
                f"{self.threshold:g}{unit}, at most every {self.min_interval_days:g} days"
                + (f", from day {self.start_day:g}" if self.start_day else ""))



def check_triggered_dose(dose, where):
    """Refuse an invalid triggered dose with a message naming the argument."""
    if not isinstance(dose.observable, str) or not dose.observable:
        raise RegimenError(f"{where}: observable must be an observable's name, got {dose.observable!r}")
    for field_name, low in (("threshold", None), ("dose_g_per_kg", None), ("min_interval_days", 0.0),
                            ("start_day", 0.0), ("infusion_hours", 0.0)):
        value = getattr(dose, field_name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise RegimenError(f"{where}: {field_name} must be a finite number, got {value!r}")
        if low is not None and value < low:
            raise RegimenError(f"{where}: {field_name} must be at least {low:g}, got {value!r}")
    if dose.dose_g_per_kg <= 0:
        raise RegimenError(f"{where}: dose_g_per_kg must be positive, got {dose.dose_g_per_kg!r}")
    if dose.route not in ("iv", "sc"):
        raise RegimenError(f"{where}: route must be 'iv' or 'sc', got {dose.route!r}")
    if dose.infusion_hours and dose.route != "iv":
        raise RegimenError(f"{where}: infusion_hours is for the iv route; a {dose.route} dose is given at once")
    if dose.infusion_hours > 24.0 * dose.min_interval_days:
        raise RegimenError(f"{where}: an infusion of {dose.infusion_hours:g} h outlasts min_interval_days = "
                           f"{dose.min_interval_days:g}; the next dose could start before it ends")
    if not isinstance(dose.unit, str):
        raise RegimenError(f"{where}: unit must be text such as 'g/L', got {dose.unit!r}")
