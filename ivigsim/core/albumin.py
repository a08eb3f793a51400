"""Serum albumin through plasma exchange and immunoadsorption, and the hypoalbuminaemia flag.

Albumin is not a species of the IgG models: at normal levels its kinetics are
linear and, for the therapies ivigsim compares, independent of IgG. None of
the FcRn antagonists in the catalogue lowers albumin (efgartigimod and
nipocalimab block the IgG site of FcRn; rozanolixizumab too), so albumin is
changed only by apheresis, and this module computes it from a regimen's
sessions alone.

Two pools, intravascular ``P`` and extravascular ``E`` (g per litre of
plasma volume, so the result does not depend on body size)::

    dP/dt = s - (k_esc + k_cat + r(t)) P + k_ret E + r(t) c_rep
    dE/dt = k_esc P - k_ret E

``k_esc`` is the transcapillary escape rate, ``k_ret`` the return by lymph
(steady state puts :data:`INTRAVASCULAR_FRACTION` of the body's albumin in
plasma), ``k_cat`` the catabolism that gives the whole-body half-life
:data:`HALF_LIFE_DAY`, ``s`` the synthesis that holds the normal level, and
during a session ``r = plasma volumes / session length`` removes plasma while
the replacement fluid adds albumin at concentration ``c_rep`` (5 % albumin
solution: 50 g/L; fresh-frozen plasma: a normal plasma's albumin;
immunoadsorption returns the plasma and removes no albumin). The system is
linear with piecewise-constant coefficients and is solved exactly, segment by
segment, with a matrix exponential.

References
----------
Peters T Jr. All About Albumin: Biochemistry, Genetics, and Medical
Applications. Academic Press, 1996 (plasma albumin 35-50 g/L; about 40 % of
exchangeable albumin intravascular; half-life about 19 days).
Fleck A, et al. Increased vascular permeability: a major cause of
hypoalbuminaemia in disease and injury. Lancet 1985;1:781-784 (transcapillary
escape rate of albumin about 5 %/h in healthy subjects).
Albumin (Human) 5 % US prescribing information (50 g/L); Circular of
Information for the Use of Human Blood and Blood Components (AABB, 2017:
fresh-frozen plasma contains the plasma proteins at normal levels).
Kaplan AA. ASAIO Trans 1990;36:M597-M599 (the one-pool exchange the sessions follow).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Normal serum albumin, g/L (reference interval 35-50; Peters 1996).
NORMAL_G_PER_L = 42.0
#: Hypoalbuminaemia: serum albumin below this, g/L (the lower reference limit; Peters 1996).
HYPOALBUMINAEMIA_G_PER_L = 35.0
#: Share of exchangeable albumin in plasma at steady state (Peters 1996).
INTRAVASCULAR_FRACTION = 0.40
#: Transcapillary escape rate of plasma albumin, 1/day (5 %/h; Fleck et al. 1985).
ESCAPE_PER_DAY = 0.05 * 24.0
#: Whole-body half-life of albumin, days (Peters 1996).
HALF_LIFE_DAY = 19.0
#: Albumin concentration of each replacement fluid, g/L: 5 % albumin solution
#: (label); fresh-frozen plasma at a normal plasma's level (AABB Circular of
#: Information); immunoadsorption returns the patient's own plasma ("none").
REPLACEMENT_G_PER_L = {"albumin": 50.0, "fresh_frozen_plasma": NORMAL_G_PER_L}


@dataclass(frozen=True)
class AlbuminCourse:
    """Serum albumin over a regimen's apheresis sessions.

    Attributes
    ----------
    t : (n,) days
    plasma_g_per_l : (n,) g/L, serum albumin
    minimum_g_per_l : float, g/L, lowest value at the output times and session ends
    hypoalbuminaemia : bool
        Whether albumin falls below :data:`HYPOALBUMINAEMIA_G_PER_L`.
    """

    t: np.ndarray
    plasma_g_per_l: np.ndarray
    minimum_g_per_l: float
    hypoalbuminaemia: bool


def rate_constants():
    """``(k_esc, k_ret, k_cat, s)``: 1/day, 1/day, 1/day and g/L/day, from the sourced constants.

    Steady state: ``E/P = (1 - f)/f`` gives ``k_ret = k_esc f / (1 - f)``; the
    whole body loses ``k_cat P = k_cat f (P + E)``, so ``k_cat = ln2 / (f t_half)``;
    ``s = k_cat P_normal``.
    """
    f = INTRAVASCULAR_FRACTION
    k_ret = ESCAPE_PER_DAY * f / (1.0 - f)
    k_cat = math.log(2.0) / (f * HALF_LIFE_DAY)
    return ESCAPE_PER_DAY, k_ret, k_cat, k_cat * NORMAL_G_PER_L


def _segment_matrix(removal_per_day, replacement_g_per_l, baseline_g_per_l):
    """Augmented 3x3 generator of (P, E, 1) for one segment."""
    k_esc, k_ret, k_cat, s = rate_constants()
    s *= baseline_g_per_l / NORMAL_G_PER_L
    return np.array([
        [-(k_esc + k_cat + removal_per_day), k_ret, s + removal_per_day * replacement_g_per_l],
        [k_esc, -k_ret, 0.0],
        [0.0, 0.0, 0.0],
    ])


def _segments(sessions, replacement_g_per_l):
    """``(start, end, removal_per_day, replacement_g_per_l)`` of every session."""
    fluids = {**REPLACEMENT_G_PER_L, **dict(replacement_g_per_l or {})}
    out = []
    for s in sorted(sessions, key=lambda s: s.time_day):
        rate = s.plasma_volumes / s.duration_day
        if s.kind == "plasma_exchange":
            out.append((s.time_day, s.end_day, rate, fluids[s.replacement]))
        # immunoadsorption returns the plasma: no albumin leaves
    return out


def albumin_course(sessions, t, baseline_g_per_l=NORMAL_G_PER_L, replacement_g_per_l=None) -> AlbuminCourse:
    """Serum albumin at the times ``t`` (days) under the apheresis ``sessions``.

    Parameters
    ----------
    sessions : sequence of ApheresisSession
        E.g. ``regimen.sessions``; an empty sequence is the untreated patient.
    t : (n,) days, increasing, >= 0
    baseline_g_per_l : float, g/L
        The patient's steady albumin before treatment (synthesis is set to hold it).
    replacement_g_per_l : dict, optional
        Albumin of a replacement fluid by name, g/L, replacing :data:`REPLACEMENT_G_PER_L`
        entries (e.g. ``{"albumin": 40.0}`` for a 4 % solution).

    Returns
    -------
    AlbuminCourse
    """
    from scipy.linalg import expm
    t = np.asarray(t, dtype=np.float64)
    k_esc, k_ret, _, _ = rate_constants()
    base = float(baseline_g_per_l)
    if not (math.isfinite(base) and base > 0):
        raise ValueError(f"baseline_g_per_l must be a positive number of g/L, got {baseline_g_per_l!r}")
    state = np.array([base, base * k_esc / k_ret, 1.0])
    segs = _segments(sessions, replacement_g_per_l)
    breaks = sorted({0.0, *(b for seg in segs for b in seg[:2]), *t.tolist()})
    values, at_break = {}, {0.0: state[0]}
    now = 0.0
    for nxt in breaks[1:]:
        active = [seg for seg in segs if seg[0] <= now + 1e-12 and nxt <= seg[1] + 1e-12]
        rate, rep = (active[0][2], active[0][3]) if active else (0.0, 0.0)
        state = expm(_segment_matrix(rate, rep, base) * (nxt - now)) @ state
        now = nxt
        at_break[now] = state[0]
    for time in t.tolist():
        values[time] = at_break[time] if time in at_break else at_break[0.0]
    plasma = np.array([values[time] for time in t.tolist()])
    minimum = float(min(at_break.values()))
    return AlbuminCourse(t, plasma, minimum, minimum < HYPOALBUMINAEMIA_G_PER_L)


def minimum_g_per_l(sessions, t_end_day, baseline_g_per_l=NORMAL_G_PER_L) -> float:
    """Lowest serum albumin over ``[0, t_end_day]`` (session starts and ends, and daily), g/L."""
    if not sessions:
        return float(baseline_g_per_l)
    grid = np.arange(0.0, float(t_end_day) + 0.5, 1.0)
    return albumin_course(sessions, grid[grid <= t_end_day], baseline_g_per_l).minimum_g_per_l
