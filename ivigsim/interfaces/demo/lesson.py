"""The computation behind the teaching demo, shared by its two front ends.

A :class:`Lesson` answers one question for a student: *given this IVIG regimen
and this patient, what happens to total IgG, to the pathogenic autoantibody
(through each mechanism alone and together), to the bill and to the safety
limits?* The matplotlib window (:mod:`ivigsim.interfaces.demo.widgets`) asks it again on
every slider move, so it is built to answer fast: the model is resolved and its
kernel loaded once (:func:`ivigsim.core.simulation.prepare`), and each answer only
rebuilds what a slider changed (regimen, dosing schedule, parameter vector)
before :func:`ivigsim.core.simulation.solve`. Simulations already done are kept,
and the untreated steady state is reused while the patient's parameters stay
the same (the steady-state cache of :mod:`ivigsim.core.simulation`).

The model is ``ivig_autoimmune``: FcRn competition and anti-idiotypic
neutralization of an IgG autoantibody. Its two teaching mechanisms are
``fcrn_saturation`` and ``anti_idiotype``.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from ivigsim.core.regimen import (
    LABELLED_MAX_RATE_MG_PER_KG_PER_MIN,
    THROMBOSIS_RISK_DAILY_G,
    THROMBOSIS_RISK_RATE_MG_PER_KG_PER_MIN,
    Regimen,
)
from ivigsim.core.simulation import prepare, resolve_parameters, solve, vary
from ivigsim.core.spec import BODY_WEIGHT
from ivigsim.core.summary import PRICE_USD_PER_G

MODEL = "ivig_autoimmune"

#: The mechanisms a student switches, with their labels.
MECHANISMS = (("fcrn_saturation", "FcRn saturation"), ("anti_idiotype", "anti-idiotypes"))

#: Names of the free-autoantibody curves of a :class:`LessonResult`.
CURVES = ("selected", "fcrn_saturation", "anti_idiotype", "untreated")

_CACHE_SIZE = 96


@dataclass(frozen=True)
class Control:
    """One slider: a field of :class:`LessonSettings` and its range.

    ``scale`` converts the field's value to the value shown (100 for a
    fraction shown in %).
    """

    name: str
    label: str
    unit: str
    low: float
    high: float
    step: float
    scale: float = 1.0
    fmt: str = "%.2f"


#: The sliders, in display order, shared by both front ends.
CONTROLS = (
    Control("dose_g_per_kg", "dose", "g/kg/day", 0.1, 1.0, 0.05),
    Control("days", "days per course", "d", 1, 7, 1, fmt="%d"),
    Control("infusion_hours", "infusion time", "h/day", 1.0, 12.0, 0.5, fmt="%.1f"),
    Control("every_days", "cycle length", "d", 7, 56, 7, fmt="%d"),
    Control("cycles", "courses", "", 1, 12, 1, fmt="%d"),
    Control("t_end_days", "horizon", "d", 28, 364, 14, fmt="%d"),
    Control("fcrn_total", "FcRn capacity", "µM", 10.0, 150.0, 0.2, fmt="%.1f"),
    Control("f_antiidiotype", "anti-idiotype fraction", "%", 0.0, 0.005, 0.0001, scale=100.0,
            fmt="%.2f"),
    Control("price_usd_per_g", "price", "USD/g", 50.0, 400.0, 1.0, fmt="%.0f"),
)


@dataclass(frozen=True)
class LessonSettings:
    """Everything a student can change.

    Parameters
    ----------
    dose_g_per_kg : float, g/kg per infusion day
    days : int, infusion days per course
    infusion_hours : float, hours per daily infusion
    every_days : float, days from one course start to the next
    cycles : int, number of courses
    t_end_days : float, days simulated
    fcrn_total : float, µM, endosomal FcRn capacity (model parameter ``fcrn_total``,
        the endothelial pool; a model's haematopoietic pool ``fcrn_total_h`` is
        scaled by the same factor, see :func:`fcrn_parameters`)
    f_antiidiotype : float, fraction of each IVIG dose anti-idiotypic to the
        autoantibody (model parameter ``f_antiidiotype``)
    price_usd_per_g : float, US$ per gram of IVIG
    fcrn_saturation, anti_idiotype : bool, mechanism switches
    """

    dose_g_per_kg: float = 0.4
    days: int = 5
    infusion_hours: float = 8.0
    every_days: float = 28.0
    cycles: int = 3
    t_end_days: float = 168.0
    fcrn_total: float = 49.8
    f_antiidiotype: float = 0.001
    price_usd_per_g: float = PRICE_USD_PER_G
    fcrn_saturation: bool = True
    anti_idiotype: bool = True

    def replace(self, **changes):
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    @property
    def mechanisms(self):
        """``{mechanism: on}`` for the switchable mechanisms."""
        return {name: bool(getattr(self, name)) for name, _ in MECHANISMS}

    def regimen(self):
        """The IVIG regimen these settings describe."""
        return Regimen.ivig(dose_g_per_kg=float(self.dose_g_per_kg), days=int(self.days),
                            infusion_hours=float(self.infusion_hours),
                            every_days=float(self.every_days), cycles=int(self.cycles))


@dataclass(frozen=True)
class Safety:
    """Safety readouts of a regimen for one patient, against the labelled limits.

    ``flags`` are :meth:`ivigsim.core.regimen.Regimen.safety_flags`, word for word.
    """

    peak_rate_mg_per_kg_per_min: float
    max_daily_g: float
    peak_igg_g_per_l: float
    flags: tuple
    rate_limit_thrombosis: float = THROMBOSIS_RISK_RATE_MG_PER_KG_PER_MIN
    rate_limit_labelled: float = LABELLED_MAX_RATE_MG_PER_KG_PER_MIN
    daily_limit_g: float = THROMBOSIS_RISK_DAILY_G


@dataclass(frozen=True)
class LessonResult:
    """What the three panels show, on the output grid ``t`` (days).

    Attributes
    ----------
    t : (n,) days
    igg_total, igg_endogenous, ivig : (n,) g/L, with the selected mechanisms
    autoantibody : dict of (n,) mg/L
        Free autoantibody: ``"selected"`` (the mechanisms switched on),
        ``"fcrn_saturation"`` and ``"anti_idiotype"`` (each alone) and
        ``"untreated"``.
    grams : (n,) g, IVIG infused up to each time
    cost_usd : (n,) US$, ``grams * price``
    safety : Safety
    regimen_text : str
    """

    settings: LessonSettings
    t: np.ndarray
    igg_total: np.ndarray
    igg_endogenous: np.ndarray
    ivig: np.ndarray
    autoantibody: dict
    grams: np.ndarray
    cost_usd: np.ndarray
    safety: Safety
    regimen_text: str


def cumulative_grams(doses, t):
    """IVIG infused by each time in ``t`` (days), g; infusions run at a constant rate.

    Parameters
    ----------
    doses : sequence of Dose
    t : (n,) days

    Returns
    -------
    (n,) g
    """
    t = np.asarray(t, dtype=np.float64)
    total = np.zeros_like(t)
    for dose in doses:
        if dose.duration_day > 0.0:
            total += dose.amount_g * np.clip((t - dose.time_day) / dose.duration_day, 0.0, 1.0)
        else:
            total += np.where(t >= dose.time_day, dose.amount_g, 0.0)
    return total


def fcrn_parameters(spec, fcrn_total) -> dict:
    """The FcRn slider's parameters: ``fcrn_total`` and, scaled by the same factor, ``fcrn_total_h``.

    Parameters
    ----------
    spec : ModelSpec
    fcrn_total : float, µM
        The slider's value, the endothelial pool's FcRn.

    Returns
    -------
    dict of str to float
        ``{"fcrn_total": ...}``, plus ``"fcrn_total_h"`` in models with a
        haematopoietic FcRn pool, so the slider scales the body's whole FcRn
        (both pools protect IgG about equally, Akilesh et al. 2007) and its
        default leaves the model unchanged.
    """
    params = {"fcrn_total": float(fcrn_total)}
    if "fcrn_total_h" in spec.parameter_names:
        value = dict(zip(spec.parameter_names, spec.default_parameters().tolist()))
        params["fcrn_total_h"] = float(fcrn_total) * value["fcrn_total_h"] / value["fcrn_total"]
    return params


class Lesson:
    """The demo's model, prepared once, answering :meth:`compute` for any settings.

    Parameters
    ----------
    model : str or ModelSpec
        A model with the mechanisms ``fcrn_saturation`` and ``anti_idiotype``
        and the parameters ``fcrn_total`` and ``f_antiidiotype`` (default
        ``"ivig_autoimmune"``).
    body_weight_kg : float, kg, optional
        The patient (default: the model's reference adult).
    rtol : float
        Relative tolerance of the solver.
    """

    def __init__(self, model=MODEL, body_weight_kg=None, rtol=1e-6):
        defaults = LessonSettings()
        self._base = prepare(model, defaults.regimen(), t_end=defaults.t_end_days,
                             body_weight_kg=body_weight_kg, rtol=rtol)
        spec = self._base.spec
        self.spec = spec
        self.body_weight_kg = float(self._base.body_weight_kg)
        value = dict(zip(spec.parameter_names, self._base.values.tolist()))
        self.defaults = defaults.replace(fcrn_total=value["fcrn_total"],
                                         f_antiidiotype=value["f_antiidiotype"])
        self._runs = OrderedDict()
        self._parameters = {}

    # -- building blocks ------------------------------------------------------

    def _values(self, settings):
        key = (settings.fcrn_total, settings.f_antiidiotype)
        if key not in self._parameters:
            params = {**fcrn_parameters(self.spec, settings.fcrn_total),
                      "f_antiidiotype": float(settings.f_antiidiotype)}
            weight = self.body_weight_kg if BODY_WEIGHT in self.spec.parameter_names else None
            self._parameters[key] = resolve_parameters(self.spec, params, weight)
        return self._parameters[key]

    def _switches(self, mechanisms):
        switches = self._base.switches.copy()
        for name, on in mechanisms.items():
            switches[self.spec.mechanism_names.index(name)] = 1.0 if on else 0.0
        return switches

    def _simulate(self, regimen, values, mechanisms, t_end, t_eval=None):
        """A cached simulation; ``regimen=None`` is the untreated patient."""
        key = (None if regimen is None else regimen.administrations, values.tobytes(),
               tuple(sorted(mechanisms.items())), float(t_end),
               None if t_eval is None else np.asarray(t_eval).tobytes())
        if key in self._runs:
            self._runs.move_to_end(key)
            return self._runs[key]
        regimen = Regimen.none() if regimen is None else regimen
        run = vary(self._base, values, self._switches(mechanisms), regimen, t_end, t_eval)
        result = solve(run).result()
        self._runs[key] = result
        if len(self._runs) > _CACHE_SIZE:
            self._runs.popitem(last=False)
        return result

    # -- the answer -------------------------------------------------------------

    def compute(self, settings=None):
        """Simulate what the panels show for ``settings`` (default: :attr:`defaults`).

        Returns
        -------
        LessonResult

        Raises
        ------
        RegimenError, ParameterError
            For settings the regimen or the model refuses.
        """
        settings = self.defaults if settings is None else settings
        regimen = settings.regimen()
        values = self._values(settings)
        t_end = float(settings.t_end_days)
        selected = self._simulate(regimen, values, settings.mechanisms, t_end)
        t = selected.t
        alone = {name: self._simulate(regimen, values,
                                      {m: m == name for m, _ in MECHANISMS}, t_end)
                 for name, _ in MECHANISMS}
        untreated = self._simulate(None, values, {m: True for m, _ in MECHANISMS}, t_end, t_eval=t)
        autoantibody = {"selected": selected["autoantibody_free"],
                        **{name: res["autoantibody_free"] for name, res in alone.items()},
                        "untreated": untreated["autoantibody_free"]}
        doses = regimen.doses(self.body_weight_kg)
        grams = cumulative_grams(doses, t)
        safety = Safety(
            peak_rate_mg_per_kg_per_min=regimen.max_rate_mg_per_kg_per_min(self.body_weight_kg),
            max_daily_g=regimen.max_daily_g(self.body_weight_kg),
            peak_igg_g_per_l=float(np.max(selected["igg_total"])),
            flags=tuple(regimen.safety_flags(self.body_weight_kg)))
        return LessonResult(
            settings=settings, t=t, igg_total=selected["igg_total"],
            igg_endogenous=selected["igg_endogenous"], ivig=selected["ivig"],
            autoantibody=autoantibody, grams=grams,
            cost_usd=grams * float(settings.price_usd_per_g), safety=safety,
            regimen_text=regimen.describe())
