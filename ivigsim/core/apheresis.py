"""Plasma exchange and immunoadsorption sessions, as a regimen describes them.

A session processes ``plasma_volumes`` of the patient's plasma volume over
``duration_day``. The processing is continuous, so during a session each
plasma species X is removed at the first-order rate
``r = plasma_volumes / duration_day * efficiency_X`` (per day), and a session
alone (without redistribution) leaves ``exp(-plasma_volumes * efficiency_X)``
of what was in plasma: the classical 1 - exp(-V_exchanged / V_plasma) of a
one-pool exchange (Kaplan 1990). Interstitial IgG then re-equilibrates through
the model's own distribution reactions.

* Plasma exchange (``kind = "plasma_exchange"``) discards the plasma it
  processes: efficiency 1 for every plasma species. Replacement with albumin
  returns no IgG; replacement with fresh-frozen plasma returns donor plasma,
  with its normal IgG, at the same volume rate.
* Immunoadsorption (``kind = "immunoadsorption"``) passes the plasma over a
  column and returns it: a species is removed with the column's per-pass
  efficiency for its class (``igg``, ``autoantibody``, ``antagonist``, and
  ``iga`` for the FcRn-blind, IgA-like tracer); the volume is not replaced.

The model receives a session through parameters it declares and the schedule
sets per time segment (see :data:`CONTROL_PARAMETERS`); the reactions that use
them are the model's, so mass balance and the Jacobian stay exact.

References
----------
Kaplan AA. Towards the rational prescription of therapeutic plasma exchange:
the kinetics of immunoglobulin removal. Semin Dial 1992;5:227-229; and
Kaplan AA. A simple and accurate method for prescribing plasma exchange.
ASAIO Trans 1990;36:M597-M599 (removal 1 - exp(-V_ex/V_p); a 1-1.5 plasma-volume
exchange removes 63-78 % of intravascular IgG).
Immunoadsorption (a textbook chapter on apheresis;
https://clinicalpub.com/immunoadsorption): 2.5 plasma volumes over an
Immunosorba protein-A column lower plasma IgG1 by 97 %, IgG2 98 %, IgG3 40 %,
IgG4 77 %, IgM 56 % and IgA 55 %.
Vidarsson G, Dekkers G, Rispens T. IgG subclasses and allotypes: from structure
to effector functions. Front Immunol 2014;5:520 (IgG1 60-70 %, IgG2 20-30 %,
IgG3 5-8 %, IgG4 1-4 % of serum IgG).
Schwartz J, et al. Guidelines on the use of therapeutic apheresis in clinical
practice (ASFA, 7th special issue). J Clin Apher 2016;31:149-338 (1-1.5 plasma
volumes per exchange, alternate days; sessions of about 1.5-3 h).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from ivigsim.core import prices as _prices
from ivigsim.errors import IvigsimError

#: Session kinds.
KINDS = ("plasma_exchange", "immunoadsorption")
#: Replacement fluids of a plasma exchange.
REPLACEMENTS = ("albumin", "fresh_frozen_plasma")
#: Classes a column efficiency may name.
CLASSES = ("igg", "autoantibody", "antagonist", "iga")
#: Most plasma volumes exchanged in one session (more is refused).
MAX_EXCHANGE_PLASMA_VOLUMES = 2.0
#: Most plasma volumes processed by an immunoadsorption column in one session.
MAX_ADSORPTION_PLASMA_VOLUMES = 3.0
#: Default session length, hours (a 1-1.5 plasma-volume exchange takes 1.5-3 h; ASFA 2016).
DEFAULT_SESSION_HOURS = 2.0
#: Longest session accepted, hours.
MAX_SESSION_HOURS = 12.0
#: Default per-pass efficiency of a protein-A immunoadsorption column for IgG.
#: Protein-A columns bind IgG1, IgG2 and IgG4 (about 95 % of IgG) almost
#: completely on each pass; IgG3 poorly (Belak et al., Vox Sang 1994; Koessler
#: et al. 2009). 0.8 per pass is the default; sweep it per column.
DEFAULT_COLUMN_EFFICIENCY = 0.8
#: Default per-pass efficiency of a protein-A column for IgA (the class of the
#: FcRn-blind tracer). Protein A binds IgA weakly: the same 2.5 plasma volumes
#: that lower IgG1 by 97 % and IgG2 by 98 % over an Immunosorba column lower IgA
#: by 55 % (clinicalpub.com/immunoadsorption, module References). In the
#: one-pool law a session leaves exp(-V * efficiency), so efficiencies scale as
#: log reductions: ln(1 - 0.55) / ln(1 - 0.924) = 0.31 of IgG's, where 92.4 % is
#: the total-IgG reduction those subclass figures give at subclass shares of
#: 66/23/7/4 % (within Vidarsson et al. 2014's ranges; the ends of those ranges
#: give 0.28-0.32). 0.31 x 0.8 = 0.25 per pass. Peptide-GAM and anti-human-Ig
#: columns bind IgA more: set ``iga`` per column.
DEFAULT_COLUMN_EFFICIENCY_IGA = 0.25

#: Direct hospital cost of one plasma-exchange procedure with albumin, US$:
#: five procedures cost US$4,638.16 (Winters et al., BMC Health Serv Res
#: 2011;11:101). An input of the therapy_cost_usd metric (price_usd_per_session).
DEFAULT_PRICE_USD_PER_SESSION = _prices.SESSION_USD

#: Model parameters a session sets per segment (1/day): removal rate constant
#: of plasma normal IgG (endogenous, infused, anti-idiotypes, complexes), of
#: the autoantibody, of an FcRn antagonist, of the FcRn-blind IgA-like tracer,
#: and the fresh-frozen plasma volume returned per plasma volume per day. A
#: model uses those it declares.
CONTROL_PARAMETERS = {
    "igg": "apheresis_igg",
    "autoantibody": "apheresis_aab",
    "antagonist": "apheresis_drug",
    "iga": "apheresis_iga",
    "ffp": "ffp_exchange",
}

_HOURS_PER_DAY = 24.0
_TIME_TOL_DAY = 1e-9


class ApheresisError(IvigsimError, ValueError):
    """A session that cannot be run as written (names the argument and its range)."""


@dataclass(frozen=True)
class ApheresisSession:
    """One plasma exchange or immunoadsorption session.

    Parameters
    ----------
    time_day : float
        Start, days.
    duration_day : float
        Length of the session, days.
    plasma_volumes : float
        Plasma processed, in multiples of the patient's plasma volume.
    kind : str
        ``"plasma_exchange"`` or ``"immunoadsorption"``.
    replacement : str
        Plasma exchange: ``"albumin"`` or ``"fresh_frozen_plasma"``;
        immunoadsorption: ``"none"`` (the plasma is returned).
    efficiency : tuple of (class, fraction)
        Fraction of each class removed per pass (all 1 for plasma exchange).
    """

    time_day: float
    duration_day: float
    plasma_volumes: float
    kind: str = "plasma_exchange"
    replacement: str = "albumin"
    efficiency: tuple = (("igg", 1.0), ("autoantibody", 1.0), ("antagonist", 1.0), ("iga", 1.0))

    @property
    def end_day(self) -> float:
        return self.time_day + self.duration_day

    def removal_rates(self) -> dict[str, float]:
        """Per-day rate constants of the session, by control parameter name."""
        processed = self.plasma_volumes / self.duration_day
        eff = dict(self.efficiency)
        rates = {CONTROL_PARAMETERS[c]: processed * eff.get(c, 0.0) for c in CLASSES}
        rates[CONTROL_PARAMETERS["ffp"]] = processed if self.replacement == "fresh_frozen_plasma" else 0.0
        return rates


def _number(value, argument: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ApheresisError(f"{argument} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ApheresisError(f"{argument} must be finite, got {value!r}")
    return value


def _count(value, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ApheresisError(f"{argument} must be a whole number >= 1, got {value!r}")
    return int(value)


def sessions(kind, plasma_volumes, n_sessions, every_days, start_day, session_hours, replacement,
             column_efficiency=None):
    """Checked sessions for :meth:`Regimen.plasma_exchange` / :meth:`Regimen.immunoadsorption`."""
    if kind not in KINDS:
        raise ApheresisError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    top = MAX_EXCHANGE_PLASMA_VOLUMES if kind == "plasma_exchange" else MAX_ADSORPTION_PLASMA_VOLUMES
    volumes = _number(plasma_volumes, "plasma_volumes")
    if not 0.0 < volumes <= top:
        raise ApheresisError(f"plasma_volumes must lie in (0, {top:g}] plasma volumes per session "
                             f"for {kind.replace('_', ' ')}, got {volumes:g}")
    count = _count(n_sessions, "sessions")
    period = _number(every_days, "every_days")
    start = _number(start_day, "start_day")
    if start < 0:
        raise ApheresisError(f"start_day must be >= 0, got {start:g}")
    hours = _number(DEFAULT_SESSION_HOURS if session_hours is None else session_hours, "session_hours")
    if not 0.0 < hours <= MAX_SESSION_HOURS:
        raise ApheresisError(f"session_hours must lie in (0, {MAX_SESSION_HOURS:g}] hours, got {hours:g}")
    duration = hours / _HOURS_PER_DAY
    if count > 1 and period < duration - _TIME_TOL_DAY:
        raise ApheresisError(f"sessions overlap: every_days = {period:g} is shorter than a session "
                             f"({hours:g} h); every_days must be >= {duration:.4g}")
    if kind == "plasma_exchange":
        if replacement not in REPLACEMENTS:
            raise ApheresisError(f"replacement must be one of {', '.join(REPLACEMENTS)}, got {replacement!r}")
        efficiency = tuple((c, 1.0) for c in CLASSES)
    else:
        given = {"igg": DEFAULT_COLUMN_EFFICIENCY, "autoantibody": DEFAULT_COLUMN_EFFICIENCY,
                 "antagonist": 0.0, "iga": DEFAULT_COLUMN_EFFICIENCY_IGA}
        for name, value in dict(column_efficiency or {}).items():
            if name not in CLASSES:
                raise ApheresisError(f"column_efficiency: unknown class {name!r}; "
                                     f"expected one of {', '.join(CLASSES)}")
            fraction = _number(value, f"column_efficiency['{name}']")
            if not 0.0 <= fraction <= 1.0:
                raise ApheresisError(f"column_efficiency['{name}'] must lie in [0, 1], got {fraction:g}")
            given[name] = fraction
        efficiency = tuple((c, given[c]) for c in CLASSES)
        replacement = "none"
    return tuple(ApheresisSession(start + k * period, duration, volumes, kind, replacement, efficiency)
                 for k in range(count))


def check_overlaps(all_sessions) -> None:
    """Refuse sessions that overlap in time (one apheresis circuit per patient)."""
    ordered = sorted(all_sessions, key=lambda s: s.time_day)
    for prev, nxt in zip(ordered, ordered[1:]):
        if nxt.time_day < prev.end_day - _TIME_TOL_DAY:
            raise ApheresisError(f"sessions overlap: a session starts on day {nxt.time_day:g} before the "
                                 f"one of day {prev.time_day:g} has ended (day {prev.end_day:.4g})")


def describe(all_sessions) -> str:
    """Words for a list of sessions: '5 × plasma exchange of 1 plasma volume (albumin), every 2 d'."""
    groups = {}
    for s in all_sessions:
        groups.setdefault((s.kind, s.plasma_volumes, s.replacement, s.duration_day, s.efficiency), []).append(s)
    parts = []
    for (kind, volumes, replacement, duration, _), group in groups.items():
        times = [s.time_day for s in group]
        what = "plasma exchange" if kind == "plasma_exchange" else "immunoadsorption"
        unit = "plasma volume" if volumes == 1 else "plasma volumes"
        text = f"{len(group)} × {what} of {volumes:.3g} {unit}"
        if kind == "plasma_exchange":
            text += f" ({replacement.replace('_', '-')} replacement)"
        text += f", {duration * _HOURS_PER_DAY:.3g} h each"
        gaps = np.diff(times)
        if len(times) > 1 and np.allclose(gaps, gaps[0]):
            text += f", every {gaps[0]:.3g} d"
        elif len(times) > 1:
            text += ", on days " + ", ".join(f"{t:.3g}" for t in times)
        if times[0] != 0:
            text += f" from day {times[0]:.3g}"
        parts.append(text)
    return " + ".join(parts)
