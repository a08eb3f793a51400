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

import copy
import math
from dataclasses import dataclass
from os import PathLike

import numpy as np

from ivigsim.core import antagonists as _antagonists
from ivigsim.core import apheresis as _apheresis
from ivigsim.core._regimen_checks import (
    EntryLabel,
    check_body_weight,
    check_dose,
    check_product,
    check_rate,
    check_start,
    daily_g,
    hyperviscosity_flags,
    infusion_rates,
    label,
    rate_mg_per_kg_per_min,
    real_number,
    safety_flags,
    validate,
    whole_number,
)
from ivigsim.core._regimen_table import read_event_table
from ivigsim.core._regimen_triggered import TriggeredDose, check_triggered_dose
from ivigsim.core._regimen_types import (
    HARD_MAX_RATE_MG_PER_KG_PER_MIN,
    HOURS_PER_DAY,
    HYPERVISCOSITY_BANDS_CP,
    LABELLED_MAX_RATE_MG_PER_KG_PER_MIN,
    MAX_BODY_WEIGHT_KG,
    MAX_CONCENTRATION_G_PER_L,
    MAX_INFUSION_HOURS,
    ROUTES,
    THROMBOSIS_RISK_DAILY_G,
    THROMBOSIS_RISK_RATE_MG_PER_KG_PER_MIN,
    Administration,
    Dose,
    RegimenError,
)
from ivigsim.core._regimen_words import describe
from ivigsim.core.views import view

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
    triggered: tuple = ()        # TriggeredDose entries: doses given when a level falls (see when_below)

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
        validate(adms, [EntryLabel(i, adm) for i, adm in enumerate(adms)])
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
        triggered = tuple(self.triggered)
        for i, dose in enumerate(triggered):
            if not isinstance(dose, TriggeredDose):
                raise RegimenError(f"triggered dose {i + 1}: expected a TriggeredDose, got {type(dose).__name__}")
        object.__setattr__(self, "triggered", triggered)
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
        dose = check_dose(dose_g_per_kg, True, where)
        n_days = whole_number(days, where, "days")
        n_cycles = whole_number(cycles, where, "cycles")
        start = check_start(start_day, where)
        check_product(product, where)
        conc = real_number(product_concentration, where, "product_concentration")
        if not math.isfinite(conc) or not 0.0 < conc <= MAX_CONCENTRATION_G_PER_L / 1000.0:
            raise RegimenError(
                f"{where}: product_concentration is a fraction in (0, 0.3] "
                f"(0.05 for 5 %, 0.10 for 10 %), got {product_concentration!r}"
            )
        period = real_number(every_days, where, "every_days")
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
            rate = real_number(rate_ml_per_kg_per_min, where, "rate_ml_per_kg_per_min")
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
                8.0 if infusion_hours is None else real_number(infusion_hours, where, "infusion_hours")
            )
            if not math.isfinite(hours) or not 0.0 < hours <= MAX_INFUSION_HOURS:
                raise RegimenError(
                    f"{where}: infusion_hours must be > 0 and <= {MAX_INFUSION_HOURS:g}, "
                    f"got {infusion_hours!r}"
                )
        duration = hours / HOURS_PER_DAY
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
        length = real_number(hours, "infusion", "hours")
        if not math.isfinite(length) or not 0.0 < length <= MAX_INFUSION_HOURS:
            raise RegimenError(
                f"infusion: hours must be > 0 and <= {MAX_INFUSION_HOURS:g}, got {hours!r}"
            )
        adm = Administration(at_day, dose_g_per_kg, True, length / HOURS_PER_DAY, "iv", product)
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
        n_doses = whole_number(doses, where, "doses")
        start = check_start(start_day, where)
        period = real_number(every_days, where, "every_days")
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
            (default 0.8 each, a protein-A column), ``antagonist`` (default 0)
            and ``iga``, for the FcRn-blind IgA-like tracer (default 0.25,
            protein A's weak hold on IgA; see :mod:`ivigsim.core.apheresis`).

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
        # Named as the caller wrote it, in mg/kg or mg (check_dose speaks of g/kg and g).
        argument, unit = ("dose_mg_per_kg", "mg/kg") if per_kg else ("dose_mg", "mg")
        dose = real_number(dose_mg_per_kg if per_kg else dose_mg, where, argument)
        if not math.isfinite(dose) or dose <= 0.0:
            raise RegimenError(f"{where}: dose must be > 0 {unit} ({argument}), got {dose!r}")
        amount_g = check_dose(dose, per_kg, where) / 1000.0
        n_doses = whole_number(doses, where, "doses")
        start = check_start(start_day, where)
        period = real_number(every_days, where, "every_days")
        if not math.isfinite(period) or period <= 0.0:
            raise RegimenError(f"{where}: every_days must be > 0, got {every_days!r}")
        duration = 0.0
        if route == "iv":
            hours = entry.iv_infusion_hours if infusion_hours is None else real_number(
                infusion_hours, where, "infusion_hours")
            if not math.isfinite(hours) or not 0.0 < hours <= MAX_INFUSION_HOURS:
                raise RegimenError(f"{where}: infusion_hours must be > 0 and <= "
                                   f"{MAX_INFUSION_HOURS:g}, got {infusion_hours!r}")
            duration = hours / HOURS_PER_DAY
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
                   sessions=tuple(s for r in regimens for s in r.sessions),
                   triggered=tuple(d for r in regimens for d in r.triggered))

    @classmethod
    def when_below(
        cls,
        observable: str,
        threshold: float,
        dose_g_per_kg: float,
        min_interval_days: float = 0.0,
        unit: str = "",
        product: str = "ivig",
        route: str = "iv",
        start_day: float = 0.0,
        infusion_hours: float = 0.0,
    ) -> Regimen:
        """Dose whenever an observable falls below a threshold, at most every ``min_interval_days``.

        Trough-guided replacement: "give 0.4 g/kg when total IgG falls below
        6 g/L, at most every 14 days" is
        ``Regimen.when_below("igg_total", 6, 0.4, min_interval_days=14)``.

        Parameters
        ----------
        observable : str
            The model observable watched (e.g. ``"igg_total"``).
        threshold : float
            The level below which a dose is given, in ``unit`` (default: the
            observable's own unit).
        dose_g_per_kg : float
            Each dose, g/kg, given as a bolus (by ``route``), or infused over
            ``infusion_hours``.
        min_interval_days : float, optional
            Least time between two triggered doses (default 0: whenever the
            level falls below the threshold).
        unit : str, optional
            The threshold's unit, e.g. ``"g/L"`` (converted to the observable's).
        product, route : str, optional
            What is given and how (default ``"ivig"``, ``"iv"``).
        start_day : float, optional
            No triggered dose before this day (default 0).
        infusion_hours : float, optional
            Infuse each dose at a constant rate over this time from the moment
            it is triggered (iv only; default 0: a bolus). It may not outlast
            ``min_interval_days``.

        Returns
        -------
        Regimen
            A regimen with no fixed doses; combine it with others (``+``) for a
            loading course. A patient below the threshold at the start is dosed
            at once. The doses given are in ``result.regimen`` after a
            simulation (see :mod:`ivigsim.core.triggered`).
        """
        dose = TriggeredDose(observable, threshold, dose_g_per_kg, min_interval_days, unit, product, route,
                             start_day, infusion_hours)
        check_triggered_dose(dose, "Regimen.when_below")
        check_product(product, "Regimen.when_below")
        return cls((), name="when_below", triggered=(dose,))

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
        adms, name = read_event_table(path)
        return cls(adms, name=name)

    # -- behaviour ----------------------------------------------------------

    def renamed(self, name: str) -> Regimen:
        """This regimen under the name ``name``.

        Equal to ``dataclasses.replace(self, name=name)``, but the entries are
        not checked again: they were checked when this regimen was built, and
        a name does not change them (checking twice was 40 % of building a
        five-day course, and a sweep over doses builds one per point).

        Raises
        ------
        RegimenError
            If ``name`` is not text.
        """
        if not isinstance(name, str):
            raise RegimenError(f"regimen name must be text, got {name!r}")
        regimen = copy.copy(self)
        object.__setattr__(regimen, "name", name)
        return regimen

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
        weight = check_body_weight(body_weight_kg)
        result = []
        for i, adm in enumerate(self.administrations):
            amount = float(adm.amount)
            duration = float(adm.duration_day)
            amount_g = amount * weight if adm.per_kg else amount
            if not adm.per_kg and duration > 0.0:
                rate = rate_mg_per_kg_per_min(amount / weight, duration)
                check_rate(rate, f"{label(i, adm)}, for {weight:g} kg")
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
        weight = None if body_weight_kg is None else check_body_weight(body_weight_kg)
        parts = []
        for i, adm in enumerate(self.administrations):
            if adm.per_kg:
                parts.append(float(adm.amount))
            elif weight is None:
                raise RegimenError(
                    f"{label(i, adm)}: dose is {float(adm.amount):g} g; a body weight is "
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
        return safety_flags(self, body_weight_kg, peak_viscosity_cp)

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
        if self.triggered:
            fixed = Regimen(self.administrations, sessions=self.sessions).describe() \
                if self.administrations or self.sessions else ""
            return " + ".join(([fixed] if fixed else []) + [d.describe() for d in self.triggered])
        return describe(self)

    def __repr__(self) -> str:
        return view("regimen.repr")(self)

    def _repr_html_(self) -> str:
        return view("regimen.html")(self)

    def plot(self, body_weight_kg: float = 70.0, ax=None):
        """Plot the infusion-rate timeline (mg/kg/min against days) for one patient; returns the axes."""
        return view("regimen.plot")(self, body_weight_kg, ax=ax)

    # -- helpers --------------------------------------------------------------

    def _infusion_rates(self, body_weight_kg: float) -> list[tuple[int, float]]:
        """(entry index, rate in mg/kg/min) for every infusion (duration > 0)."""
        return infusion_rates(self, body_weight_kg)

    def _daily_g(self, body_weight_kg: float) -> dict[int, float]:
        """Grams given per calendar day (by start day), for days with a dose."""
        return daily_g(self, body_weight_kg)
