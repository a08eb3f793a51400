"""What a dosing metric needs to know of a regimen: the dose context.

Internal to :mod:`ivigsim.analysis.metrics`, which re-exports the public names.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ivigsim.core import antagonists as _antagonists
from ivigsim.core.regimen import Regimen


# ---------------------------------------------------------------------------
# Dose context
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DoseContext:
    """Facts about the regimen each sweep point was given.

    Parameters
    ----------
    grams_given : numpy.ndarray
        Total immunoglobulin given over the regimen, g, shape ``(n_points,)``.
    max_infusion_rate_mg_per_kg_per_min : numpy.ndarray
        Fastest infusion of the regimen, mg/kg/min (0.0 where there is no
        infusion), shape ``(n_points,)``.

    Raises
    ------
    ValueError
        If the arrays are not one-dimensional or differ in length.
    """

    grams_given: np.ndarray
    max_infusion_rate_mg_per_kg_per_min: np.ndarray
    antagonist_mg: np.ndarray | None = None
    antagonist_price_usd_per_mg: np.ndarray | None = None
    sessions: np.ndarray | None = None
    max_daily_g: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = np.asarray(self.grams_given).shape[0] if np.ndim(self.grams_given) == 1 else 0
        for name, fill in (("antagonist_mg", 0.0), ("antagonist_price_usd_per_mg", np.nan),
                           ("sessions", 0.0), ("max_daily_g", 0.0)):
            value = getattr(self, name)
            object.__setattr__(self, name, np.full(n, fill) if value is None
                               else np.asarray(value, dtype=float))
        grams = np.asarray(self.grams_given, dtype=float)
        rate = np.asarray(self.max_infusion_rate_mg_per_kg_per_min, dtype=float)
        if grams.ndim != 1 or rate.ndim != 1 or grams.shape != rate.shape:
            raise ValueError(
                "DoseContext: grams_given and max_infusion_rate_mg_per_kg_per_min must be "
                f"one-dimensional arrays of the same length, got shapes {grams.shape} and "
                f"{rate.shape}"
            )
        object.__setattr__(self, "grams_given", grams)
        object.__setattr__(self, "max_infusion_rate_mg_per_kg_per_min", rate)

    @property
    def n_points(self) -> int:
        """Number of sweep points described."""
        return int(self.grams_given.shape[0])


def dose_context(regimens: Sequence[Regimen | None],
                 body_weights_kg: Sequence[float] | float) -> DoseContext:
    """Grams given and fastest infusion rate for each sweep point.

    Parameters
    ----------
    regimens : sequence of Regimen or None
        The regimen of each point; ``None`` (or an empty regimen) means
        untreated: 0 g and a rate of 0 mg/kg/min.
    body_weights_kg : sequence of float or float
        Body weight of each point, kg; one number is used for every point.

    Returns
    -------
    DoseContext
        Arrays of shape ``(len(regimens),)``.

    Raises
    ------
    ValueError
        If the number of body weights differs from the number of regimens.
    ivigsim.RegimenError
        For an invalid body weight, or a dose in grams infused too fast for
        that patient.
    """
    regimens = list(regimens)
    weights = np.asarray(body_weights_kg, dtype=float)
    if weights.ndim == 0:
        weights = np.full(len(regimens), float(weights))
    if weights.ndim != 1 or weights.shape[0] != len(regimens):
        raise ValueError(
            f"dose_context: got {len(regimens)} regimens but body weights of shape "
            f"{weights.shape}; give one body weight per regimen (or a single number)"
        )
    n = len(regimens)
    grams, rates, drug_mg, daily = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    drug_price, sessions = np.full(n, np.nan), np.zeros(n)
    known = _antagonists.catalogue()
    for i, (regimen, weight) in enumerate(zip(regimens, weights)):
        if regimen is None:
            continue
        sessions[i] = len(regimen.sessions)
        if not regimen.administrations:
            continue
        doses = regimen.doses(float(weight))
        grams[i] = math.fsum(d.amount_g for d in doses if d.product not in known)
        drug_mg[i] = 1000.0 * math.fsum(d.amount_g for d in doses if d.product in known)
        if regimen.antagonist:
            drug_price[i] = _antagonists.price_usd_per_mg(regimen.antagonist)
        rates[i] = regimen.max_rate_mg_per_kg_per_min(float(weight))
        by_day: dict[int, float] = {}
        for d in doses:
            if d.product not in known:
                by_day[math.floor(d.time_day)] = by_day.get(math.floor(d.time_day), 0.0) + d.amount_g
        daily[i] = max(by_day.values(), default=0.0)
    return DoseContext(grams, rates, drug_mg, drug_price, sessions, daily)
