"""What a dosing metric needs to know of a regimen: the dose context.

Internal to :mod:`ivigsim.analysis.metrics`, which re-exports the public names.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ivigsim.core import albumin as _albumin
from ivigsim.core import antagonists as _antagonists
from ivigsim.core.regimen import MAX_BODY_WEIGHT_KG, Regimen, check_body_weight, rate_mg_per_kg_per_min

# Albumin is followed this long after the last apheresis session (albumin_min):
# it relaxes back towards the patient's level within a few half-times of the
# two-pool exchange (ivigsim.core.albumin), well inside four weeks.
ALBUMIN_AFTER_DAYS = 28.0

# Patients of one regimen from which its dose facts are computed as columns
# (about 45 us a regimen, against 15-130 us a patient one by one).
_COLUMNS_FROM = 4


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
    albumin_min_g_per_l: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = np.asarray(self.grams_given).shape[0] if np.ndim(self.grams_given) == 1 else 0
        for name, fill in (("antagonist_mg", 0.0), ("antagonist_price_usd_per_mg", np.nan),
                           ("sessions", 0.0), ("max_daily_g", 0.0),
                           ("albumin_min_g_per_l", _albumin.NORMAL_G_PER_L)):
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
    albumin = np.full(n, _albumin.NORMAL_G_PER_L)
    known = _antagonists.catalogue()
    dosed = np.array([r is not None and bool(r.administrations) for r in regimens], dtype=bool)
    bad = np.flatnonzero(dosed & ~(np.isfinite(weights) & (weights > 0.0) & (weights <= MAX_BODY_WEIGHT_KG)))
    if bad.size:
        check_body_weight(float(weights[bad[0]]))      # raises the one-point error
    # The points of one regimen are filled together: their doses differ only by body weight.
    by_regimen = {}
    for i, regimen in enumerate(regimens):
        if regimen is not None:
            by_regimen.setdefault(id(regimen), (regimen, []))[1].append(i)
    columns = (grams, rates, drug_mg, daily)
    for regimen, where in by_regimen.values():
        where = np.asarray(where, dtype=np.int64)
        sessions[where] = len(regimen.sessions)
        if regimen.sessions:
            last = max(session.end_day for session in regimen.sessions)
            albumin[where] = _albumin.minimum_g_per_l(regimen.sessions, last + ALBUMIN_AFTER_DAYS)
        if not regimen.administrations:
            continue
        if regimen.antagonist:
            drug_price[where] = _antagonists.price_usd_per_mg(regimen.antagonist)
        if len(where) < _COLUMNS_FROM or any(not a.per_kg and a.duration_day > 0.0
                                             for a in regimen.administrations):
            # few patients (columns cost more than they save), or grams infused: the rate is checked per patient
            for weight in dict.fromkeys(weights[where].tolist()):     # once per body weight, in point order
                at = where[weights[where] == weight]
                for column, value in zip(columns, _dose_facts(regimen, weight, known)):
                    column[at] = value
        else:
            for column, values in zip(columns, _dose_columns(regimen, weights[where], known)):
                column[where] = values
    return DoseContext(grams, rates, drug_mg, drug_price, sessions, daily, albumin)


def _dose_facts(regimen, weight, known):
    """(grams, fastest rate, drug mg, largest daily grams) of ``regimen`` for one patient."""
    doses = regimen.doses(weight)
    grams = math.fsum(d.amount_g for d in doses if d.product not in known)
    drug_mg = 1000.0 * math.fsum(d.amount_g for d in doses if d.product in known)
    rate = regimen.max_rate_mg_per_kg_per_min(weight)
    by_day: dict[int, float] = {}
    for d in doses:
        if d.product not in known:
            by_day[math.floor(d.time_day)] = by_day.get(math.floor(d.time_day), 0.0) + d.amount_g
    return grams, rate, drug_mg, max(by_day.values(), default=0.0)


def _dose_columns(regimen, weights, known):
    """:func:`_dose_facts` for many body weights at once, with the same operations in the same order.

    For a regimen whose infusions are all per kg (no rate check depends on
    the weight). Each dose is ``amount * weight`` (per kg) or ``amount``, as
    :meth:`Regimen.doses` computes it; sums keep their order (or are exact,
    ``math.fsum``); rates are ``amount_g / weight * 1000 / (duration * 1440)``.
    """
    adms = regimen.administrations
    amounts = np.empty((weights.size, len(adms)))
    for d, a in enumerate(adms):
        amounts[:, d] = float(a.amount) * weights if a.per_kg else float(a.amount)
    drug = np.array([a.product in known for a in adms], dtype=bool)
    grams = np.array([math.fsum(row) for row in amounts[:, ~drug].tolist()])
    drug_mg = 1000.0 * np.array([math.fsum(row) for row in amounts[:, drug].tolist()])
    rate = np.zeros(weights.size)
    infusions = [d for d, a in enumerate(adms) if float(a.duration_day) > 0.0]
    if infusions:
        rate = np.max(np.stack([rate_mg_per_kg_per_min(amounts[:, d] / weights, float(adms[d].duration_day))
                                for d in infusions], axis=1), axis=1)
    by_day: dict[int, np.ndarray] = {}
    for d, a in enumerate(adms):
        if not drug[d]:
            day = math.floor(float(a.time_day))
            by_day[day] = by_day.get(day, 0.0) + amounts[:, d]
    daily = np.max(np.stack(list(by_day.values()), axis=1), axis=1) if by_day else np.zeros(weights.size)
    return grams, rate, drug_mg, daily
