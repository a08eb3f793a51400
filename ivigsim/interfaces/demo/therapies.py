"""The therapy selector of the teaching demo: IVIG beside the therapies it competes with.

One patient with a pathogenic IgG autoantibody (model ``ivig_autoimmune``)
receives, in turn, each therapy of :data:`THERAPIES`: a 2 g/kg IVIG course,
the FcRn blockers efgartigimod and rozanolixizumab at their labelled doses,
five plasma exchanges, five immunoadsorptions, and the IVIG course followed
by the five plasma exchanges. :func:`compare_therapies` simulates them all
against the same patient untreated and returns what the selector shows: total
IgG, the free autoantibody as a share of untreated, FcRn occupancy (by IgG
and by the drug), serum albumin, and per therapy the nadir and its day, the
rebound four weeks after the nadir, the change of the area under the curve
over 8 weeks, what was given, sessions, cost (prices from :mod:`ivigsim.core.prices`)
and the safety flags.

The two lessons it is made for:

* **An FcRn blocker against IVIG's saturation of FcRn.** IVIG can only crowd
  FcRn with more IgG: to take a receptor from the autoantibody it must add
  grams of IgG, and total IgG rises. A blocker binds FcRn itself at
  nanomolar affinity from milligrams per kg, so every IgG, the autoantibody
  included, loses its protection at once and total IgG falls.
* **Why plasma exchange rebounds.** An exchange removes only what is in
  plasma, about 40 % of the body's IgG; the rest flows back from the tissues
  within a day or two and synthesis goes on, so the autoantibody climbs back
  between and after the sessions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ivigsim.core.albumin import albumin_course
from ivigsim.core.catalogue import load_model
from ivigsim.core.prices import IVIG_USD_PER_G, SESSION_USD, drug_price_usd_per_mg
from ivigsim.core.regimen import Regimen
from ivigsim.core.simulation import simulate
from ivigsim.interfaces.demo.lesson import MODEL, cumulative_grams

#: Days simulated.
T_END_DAYS = 84.0
#: Output step, days.
STEP_DAYS = 0.25
#: Window of the area-under-the-curve change, days (8 weeks).
AUC_WINDOW_DAYS = (0.0, 56.0)
#: The rebound is read this many days after the nadir.
REBOUND_AFTER_DAYS = 28.0


@dataclass(frozen=True)
class Therapy:
    """One arm of the selector: a key, a label, a sentence, and how to build its regimen."""

    key: str
    label: str
    what: str
    kind: str            # "ivig", "blocker", "apheresis" or "combined"

    def regimen(self) -> Regimen:
        """The arm's regimen (labelled doses; see :data:`THERAPIES`)."""
        return _BUILDERS[self.key]()


def _ivig():
    return Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8)


def _plex(start_day=0.0):
    return Regimen.plasma_exchange(plasma_volumes=1.0, sessions=5, every_days=2.0, start_day=start_day,
                                   replacement="albumin")


_BUILDERS = {
    "ivig": _ivig,
    "efgartigimod": lambda: Regimen.fcrn_antagonist(drug="efgartigimod", dose_mg_per_kg=10.0,
                                                    every_days=7.0, doses=4),
    "rozanolixizumab": lambda: Regimen.fcrn_antagonist(drug="rozanolixizumab", dose_mg=560.0,
                                                       every_days=7.0, doses=6, route="sc"),
    "plex": _plex,
    "immunoadsorption": lambda: Regimen.immunoadsorption(plasma_volumes=2.0, sessions=5, every_days=2.0),
    "ivig_then_plex": lambda: _ivig() + _plex(start_day=5.0),
}

#: The selector's therapies, in display order.
THERAPIES = (
    Therapy("ivig", "IVIG 2 g/kg", "0.4 g/kg a day for 5 days, 8 h infusions", "ivig"),
    Therapy("efgartigimod", "efgartigimod", "10 mg/kg IV over 1 h, weekly × 4 (label)", "blocker"),
    Therapy("rozanolixizumab", "rozanolixizumab", "560 mg SC weekly × 6 (label, 50-100 kg)", "blocker"),
    Therapy("plex", "plasma exchange", "5 × 1 plasma volume on alternate days, 5 % albumin", "apheresis"),
    Therapy("immunoadsorption", "immunoadsorption",
            "5 × 2 plasma volumes on alternate days, protein-A column (80 % per pass)", "apheresis"),
    Therapy("ivig_then_plex", "IVIG, then plasma exchange",
            "the IVIG course, then the 5 exchanges from day 5", "combined"),
)


@dataclass(frozen=True)
class TherapyOutcome:
    """What one therapy does to the patient, on the grid ``t`` (days).

    Attributes
    ----------
    therapy : Therapy
    igg_total : (n,) g/L
    autoantibody_pct : (n,) %, free autoantibody as a share of untreated
    fcrn_by_igg_pct, fcrn_by_drug_pct : (n,) %, endosomal FcRn occupied by IgG, by the drug
    albumin_g_per_l : (n,) g/L
    nadir_pct : float, %, deepest fall of the free autoantibody below untreated
    nadir_day : float, day
    rebound_pct : float, %, fall below untreated :data:`REBOUND_AFTER_DAYS` after the nadir
    auc_change_pct : float, %, change of the area under the free autoantibody over 8 weeks
    igg_min, igg_max : float, g/L
    given : str, what was given ("140 g IVIG", "2,800 mg efgartigimod", "5 sessions")
    sessions : int
    cost_usd : float, US$ (NaN where a price is not published)
    flags : tuple of str, the regimen's safety flags, hyperviscosity and hypoalbuminaemia included
    """

    therapy: Therapy
    igg_total: np.ndarray
    autoantibody_pct: np.ndarray
    fcrn_by_igg_pct: np.ndarray
    fcrn_by_drug_pct: np.ndarray
    albumin_g_per_l: np.ndarray
    nadir_pct: float
    nadir_day: float
    rebound_pct: float
    auc_change_pct: float
    igg_min: float
    igg_max: float
    given: str
    sessions: int
    cost_usd: float
    flags: tuple


@dataclass(frozen=True)
class TherapyComparison:
    """Every therapy of :data:`THERAPIES` against the same patient untreated.

    Attributes
    ----------
    t : (n,) days
    untreated_igg, untreated_autoantibody : (n,) g/L and mg/L
    outcomes : dict of key to TherapyOutcome, in :data:`THERAPIES` order
    body_weight_kg : float
    model : str
    facts : dict, numbers the lesson text quotes (see :func:`lesson_facts`)
    """

    t: np.ndarray
    untreated_igg: np.ndarray
    untreated_autoantibody: np.ndarray
    outcomes: dict
    body_weight_kg: float
    model: str
    facts: dict


def _cost_and_given(regimen, body_weight_kg):
    doses = regimen.doses(body_weight_kg) if regimen.administrations else ()
    drug = regimen.antagonist
    amount_g = float(cumulative_grams(doses, [1e9])[0]) if doses else 0.0
    sessions = len(regimen.sessions)
    parts, cost = [], sessions * SESSION_USD
    if drug:
        mg = 1000.0 * amount_g
        parts.append(f"{mg:,.0f} mg {drug}")
        cost += mg * drug_price_usd_per_mg(drug)
    elif amount_g:
        parts.append(f"{amount_g:,.0f} g IVIG")
        cost += amount_g * IVIG_USD_PER_G
    if sessions:
        parts.append(f"{sessions} sessions")
    return " + ".join(parts), sessions, cost


def _outcome(therapy, res, untreated, body_weight_kg):
    regimen = res.regimen
    t = res.t
    ratio = 100.0 * res["autoantibody_free"] / untreated["autoantibody_free"]
    k = int(np.argmin(ratio))
    after = min(float(t[k]) + REBOUND_AFTER_DAYS, float(t[-1]))
    rebound = float(np.interp(after, t, ratio))
    window = (t >= AUC_WINDOW_DAYS[0]) & (t <= AUC_WINDOW_DAYS[1])
    auc = np.trapezoid(res["autoantibody_free"][window], t[window])
    auc0 = np.trapezoid(untreated["autoantibody_free"][window], t[window])
    album = albumin_course(regimen.sessions, t)
    given, sessions, cost = _cost_and_given(regimen, body_weight_kg)
    flags = list(regimen.safety_flags(body_weight_kg, peak_viscosity_cp=float(res["serum_viscosity_cp"].max())))
    if album.hypoalbuminaemia:
        flags.append(f"serum albumin falls to {album.minimum_g_per_l:.1f} g/L, below 35 g/L (hypoalbuminaemia)")
    return TherapyOutcome(
        therapy=therapy, igg_total=res["igg_total"], autoantibody_pct=ratio,
        fcrn_by_igg_pct=100.0 * res["fcrn_occupancy"], fcrn_by_drug_pct=100.0 * res["fcrn_occupancy_antagonist"],
        albumin_g_per_l=album.plasma_g_per_l, nadir_pct=100.0 - float(ratio[k]), nadir_day=float(t[k]),
        rebound_pct=100.0 - rebound, auc_change_pct=100.0 * (auc / auc0 - 1.0),
        igg_min=float(res["igg_total"].min()), igg_max=float(res["igg_total"].max()),
        given=given, sessions=sessions, cost_usd=float(cost), flags=tuple(flags))


def compare_therapies(model=MODEL, body_weight_kg=None, t_end_days=T_END_DAYS, therapies=THERAPIES):
    """Simulate every therapy against the same patient untreated.

    Parameters
    ----------
    model : str or ModelSpec
        A model that receives IVIG, FcRn antagonists and apheresis (default ``"ivig_autoimmune"``).
    body_weight_kg : float, kg, optional
        The patient (default: the model's reference adult).
    t_end_days : float, days
    therapies : sequence of Therapy

    Returns
    -------
    TherapyComparison
    """
    spec = load_model(model)
    if body_weight_kg is None:
        body_weight_kg = float(dict(zip(spec.parameter_names, spec.default_parameters().tolist()))["body_weight"])
    t = np.arange(0.0, float(t_end_days) + 0.5 * STEP_DAYS, STEP_DAYS)
    untreated = simulate(spec, Regimen.none(), t_end=float(t_end_days), body_weight_kg=body_weight_kg, t_eval=t)
    outcomes = {}
    for therapy in therapies:
        res = simulate(spec, therapy.regimen(), t_end=float(t_end_days), body_weight_kg=body_weight_kg, t_eval=t)
        outcomes[therapy.key] = _outcome(therapy, res, untreated, body_weight_kg)
    facts = lesson_facts(spec, outcomes, untreated, t, body_weight_kg)
    return TherapyComparison(t, untreated["igg_total"], untreated["autoantibody_free"], outcomes,
                             float(body_weight_kg), spec.name, facts)


def lesson_facts(spec, outcomes, untreated, t, body_weight_kg):
    """The numbers the selector's text quotes, from the simulations themselves.

    Besides the outcomes, one more simulation: the IVIG course with its
    anti-idiotypes switched off, so that FcRn saturation alone is compared
    with the FcRn blockers.
    """
    facts = {}
    saturation = simulate(spec, _ivig(), t_end=float(t[-1]), body_weight_kg=body_weight_kg, t_eval=t,
                          mechanisms={"anti_idiotype": False})
    ratio = 100.0 * saturation["autoantibody_free"] / untreated["autoantibody_free"]
    at7 = int(np.searchsorted(t, 7.0))
    facts["saturation_day7_pct"] = 100.0 - float(ratio[at7])
    facts["saturation_nadir_pct"] = 100.0 - float(ratio.min())
    facts["saturation_nadir_day"] = float(t[int(np.argmin(ratio))])
    facts["saturation_fcrn_peak_pct"] = 100.0 * float(saturation["fcrn_occupancy"].max())
    facts["igg_peak_ivig"] = float(saturation["igg_total"].max())
    for key in ("efgartigimod", "rozanolixizumab"):
        if key in outcomes:
            o = outcomes[key]
            facts[f"{key}_day7_pct"] = 100.0 - float(o.autoantibody_pct[at7])
            facts[f"{key}_nadir_pct"] = o.nadir_pct
            facts[f"{key}_nadir_day"] = o.nadir_day
            facts[f"{key}_fcrn_peak_pct"] = float(o.fcrn_by_drug_pct.max())
            facts[f"{key}_igg_fall_pct"] = 100.0 * (1.0 - o.igg_min / float(untreated["igg_total"][0]))
    if "plex" in outcomes:
        o = outcomes["plex"]
        facts["plex_nadir_pct"] = o.nadir_pct
        facts["plex_nadir_day"] = o.nadir_day
        facts["plex_rebound_pct"] = o.rebound_pct
        facts["plex_rebound_day"] = min(o.nadir_day + REBOUND_AFTER_DAYS, float(t[-1]))
        # the rebound within a session gap: just after the first exchange against two days later
        first = Regimen.plasma_exchange(plasma_volumes=1.0, sessions=1).sessions[0]
        i_end, i_next = int(np.searchsorted(t, first.end_day)), int(np.searchsorted(t, 2.0 - 1e-9))
        facts["plex_first_end_pct"] = 100.0 - float(o.autoantibody_pct[i_end])
        facts["plex_before_second_pct"] = 100.0 - float(o.autoantibody_pct[i_next])
        facts["intravascular_pct"] = _intravascular_pct(untreated)
        facts["fcrn_start_pct"] = float(o.fcrn_by_igg_pct[0])
        facts["plex_fcrn_min_pct"] = float(o.fcrn_by_igg_pct.min())
    if "ivig_then_plex" in outcomes and "ivig" in outcomes:
        at14 = int(np.searchsorted(t, 14.0))
        facts["washout_igg_day14"] = float(outcomes["ivig_then_plex"].igg_total[at14])
        facts["ivig_igg_day14"] = float(outcomes["ivig"].igg_total[at14])
    return facts


def _intravascular_pct(untreated):
    """Share of the body's autoantibody in plasma at the untreated steady state, %."""
    p = untreated.parameters
    plasma_mg = float(untreated["aab_p"][0]) * p["v_plasma"] * p["body_weight"] * p["mw_igg"]
    body_mg = float(untreated["autoantibody_body"][0])
    return 100.0 * plasma_mg / body_mg if body_mg > 0 and math.isfinite(body_mg) else float("nan")
