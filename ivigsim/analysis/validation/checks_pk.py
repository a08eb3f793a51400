"""Checks of IgG homeostasis and FcRn (targets PK-01 to PK-22).

Every function is registered under its name and takes its conditions from
``validation/targets.toml``; see :mod:`ivigsim.analysis.validation.registry`.

References
----------
Kim J, Hayton WR, Robinson JM, Anderson CL. Kinetics of FcRn-mediated
recycling of IgG and albumin in human. Clin Immunol 2007;122:146-155.
Bleeker WK, Teeling JL, Hack CE. Accelerated autoantibody clearance by
intravenous immunoglobulin therapy. Blood 2001;98:3136-3142.
"""

from __future__ import annotations

import math

import numpy as np

from ivigsim.analysis.validation.registry import CheckResult, Curve, Figure, register

__all__ = ["kim_half_life_day", "tracer_half_life_day"]


def tracer_half_life_day(ctx, model, body_weight_kg, tracer_dose_g_per_kg, window_days, params=None,
                         mechanisms=None):
    """Terminal half-life (days) of a trace IVIG bolus: log-linear slope of ``ivig`` over the window.

    Returns
    -------
    (half-life in days, the simulation, (slope, intercept) of the log-linear fit)
    """
    t0, t1 = window_days
    res = ctx.simulate(model, regimen={"kind": "bolus", "dose_g_per_kg": tracer_dose_g_per_kg},
                       t_end=t1, body_weight_kg=body_weight_kg, params=params, mechanisms=mechanisms)
    window = (res.t >= t0) & (res.t <= t1)
    slope, intercept = np.polyfit(res.t[window], np.log(res["ivig"][window]), 1)
    return math.log(2.0) / -slope, res, (slope, intercept)


def kim_half_life_day(igg_g_per_l, k_int_per_day, j_max_mg_per_kg_per_day, k_m_g_per_l, v1_ml_per_kg,
                      intravascular_fraction):
    """Half-life (days) from Kim et al. 2007: FCR = k_int - J_max / (V1 (K_m + C)), over the plasma share."""
    fcr = k_int_per_day - j_max_mg_per_kg_per_day / (v1_ml_per_kg * (k_m_g_per_l + igg_g_per_l))
    return math.log(2.0) / (fcr * intravascular_fraction)


def _untreated(ctx, model, body_weight_kg, t_end=10.0):
    return ctx.simulate(model, t_end=t_end, body_weight_kg=body_weight_kg)


@register("steady_state_value")
def steady_state_value(ctx, *, model, body_weight_kg, observable):
    """An observable of the untreated steady state (``value``), and its drift over 10 days."""
    res = _untreated(ctx, model, body_weight_kg)
    y = res[observable]
    unit = res.units[observable]
    drift = float(np.max(np.abs(y - y[0])) / abs(y[0])) if y[0] else float("nan")
    fig = Figure(f"{model}: untreated {observable}", "time [day]", f"{observable} [{unit}]",
                 (Curve(res.t, y, "untreated steady state"),), range_on="value", marker=(0.0, float(y[0])))
    return CheckResult({"value": float(y[0]), "relative_drift": drift}, {"value": unit, "relative_drift": "1"},
                       fig, (f"largest relative drift over 10 untreated days: {drift:.1e}",))


@register("baseline_fluxes")
def baseline_fluxes(ctx, *, model, body_weight_kg):
    """IgG synthesis, catabolism and FcRn recycling fluxes at the untreated steady state.

    Values: ``synthesis`` and ``catabolism`` (mg/kg/day), ``fcr`` (catabolic flux
    over the plasma amount, 1/day) and ``recycling_over_catabolism``.
    """
    res = _untreated(ctx, model, body_weight_kg)
    rates = ctx.reaction_rates(res)                                        # umol/day
    p = res.parameters
    to_mg_per_kg = p["mw_igg"] / body_weight_kg
    synthesis = sum(v for n, v in rates.items() if n.endswith("_synthesis")) * to_mg_per_kg
    catabolism = sum(v for n, v in rates.items() if n.endswith("_degradation")) * to_mg_per_kg
    recycled = sum(v for n, v in rates.items() if n.endswith("_recycling")) * to_mg_per_kg
    plasma_mg_per_kg = res["igg_total"][0] * p["v_plasma"] * 1000.0                # g/L x L/kg -> mg/kg
    fcr = catabolism / plasma_mg_per_kg
    values = {"synthesis": synthesis, "catabolism": catabolism, "recycled": recycled, "fcr": fcr,
              "recycling_over_catabolism": recycled / catabolism}
    units = {"synthesis": "mg/kg/day", "catabolism": "mg/kg/day", "recycled": "mg/kg/day", "fcr": "1/day",
             "recycling_over_catabolism": "1"}
    fig = Figure(f"{model}: IgG fluxes at the untreated steady state", "", "flux [mg/kg/day]",
                 (Curve(["synthesis", "catabolism", "FcRn recycling"], [synthesis, catabolism, recycled],
                        kind="bar"),))
    notes = (f"synthesis {synthesis:.4g}, catabolism {catabolism:.4g}, FcRn recycling {recycled:.4g} mg/kg/day "
             f"(every IgG class: endogenous IgG and autoantibody)",
             f"plasma IgG {res['igg_total'][0]:.3f} g/L ({plasma_mg_per_kg:.0f} mg/kg)")
    return CheckResult(values, units, fig, notes)


@register("tracer_half_life")
def tracer_half_life(ctx, *, model, body_weight_kg, tracer_dose_g_per_kg, window_days, params=None):
    """Terminal half-life (``half_life``, days) of a trace IVIG bolus in an untreated patient."""
    half_life, res, (slope, intercept) = tracer_half_life_day(ctx, model, body_weight_kg, tracer_dose_g_per_kg,
                                                              window_days, params)
    fit = np.exp(intercept + slope * res.t)
    fig = Figure(f"{model}: trace IVIG bolus ({tracer_dose_g_per_kg:g} g/kg)", "time [day]", "tracer IVIG [g/L]",
                 (Curve(res.t, res["ivig"], "simulated"),
                  Curve(res.t, fit, f"log-linear fit: t½ = {half_life:.2f} d")),
                 log_y=True, shade_x=(window_days[0], window_days[1], "fitting window"))
    return CheckResult({"half_life": half_life}, {"half_life": "day"}, fig)


def _igg_levels(ctx, model, body_weight_kg, igg_production):
    """Untreated steady total IgG (g/L) for each synthesis rate (mg/kg/day)."""
    return [float(ctx.simulate(model, t_end=1.0, body_weight_kg=body_weight_kg,
                               params={"igg_production": prod})["igg_total"][0])
            for prod in igg_production]


@register("half_life_vs_igg")
def half_life_vs_igg(ctx, *, model, body_weight_kg, tracer_dose_g_per_kg, window_days, igg_production,
                     kim_parameters):
    """Tracer half-life at several steady IgG levels set by the synthesis rate (PK-06).

    ``igg_production`` lists synthesis rates (mg/kg/day), the first giving
    hypo-, the middle normal and the last hypergammaglobulinaemia. Values:
    ``direction`` (half-life falls as IgG rises at every step), ``hypo_over_kim``
    and ``hyper_over_kim`` (simulated half-life over Kim et al.'s formula at
    the same IgG), and the half-lives and IgG levels themselves.
    """
    levels = _igg_levels(ctx, model, body_weight_kg, igg_production)
    half_lives = [tracer_half_life_day(ctx, model, body_weight_kg, tracer_dose_g_per_kg, window_days,
                                       {"igg_production": prod})[0] for prod in igg_production]
    kim = [kim_half_life_day(c, **kim_parameters) for c in levels]
    grid = np.linspace(0.5 * min(levels), 1.1 * max(levels), 100)
    values = {"direction": bool(np.all(np.diff(half_lives) < 0)),
              "hypo_over_kim": half_lives[0] / kim[0], "hyper_over_kim": half_lives[-1] / kim[-1],
              "hypo_half_life": half_lives[0], "hyper_half_life": half_lives[-1],
              "hypo_igg": levels[0], "hyper_igg": levels[-1]}
    units = {"hypo_over_kim": "1", "hyper_over_kim": "1", "hypo_half_life": "day", "hyper_half_life": "day",
             "hypo_igg": "g/L", "hyper_igg": "g/L"}
    fig = Figure(f"{model}: tracer half-life against steady total IgG", "total IgG [g/L]", "half-life [day]",
                 (Curve(levels, half_lives, "simulated (tracer bolus)", "points"),
                  Curve(grid, [kim_half_life_day(c, **kim_parameters) for c in grid],
                        "Kim et al. 2007 formula")))
    notes = tuple(f"IgG {c:.2f} g/L: simulated {h:.1f} d, Kim's formula {k:.1f} d"
                  for c, h, k in zip(levels, half_lives, kim))
    return CheckResult(values, units, fig, notes)


@register("peak_total_igg")
def peak_total_igg(ctx, *, model, body_weight_kg, regimen, t_end_day):
    """Largest total plasma IgG (``peak``, g/L) over a course, and its day."""
    res = ctx.simulate(model, regimen=regimen, t_end=t_end_day, body_weight_kg=body_weight_kg)
    k = int(np.argmax(res["igg_total"]))
    peak = float(res["igg_total"][k])
    fig = Figure(f"{model}: total IgG over a course", "time [day]", "total IgG [g/L]",
                 (Curve(res.t, res["igg_total"], "total plasma IgG"),), range_on="peak",
                 marker=(float(res.t[k]), peak))
    return CheckResult({"peak": peak, "peak_day": float(res.t[k])}, {"peak": "g/L", "peak_day": "day"}, fig)


@register("peak_igg_virtual_patients")
def peak_igg_virtual_patients(ctx, *, model, body_weight_kg, regimens, t_end_day, v_plasma, igg_production):
    """Largest peak total IgG (``max_peak``, g/L) over virtual patients and 2 g/kg regimens (PK-10).

    The patients are every combination of plasma volume (``v_plasma``, L/kg)
    and IgG synthesis (``igg_production``, mg/kg/day) listed.
    """
    curves, peaks = [], []
    for regimen in regimens:
        for vp in v_plasma:
            for prod in igg_production:
                res = ctx.simulate(model, regimen=regimen, t_end=t_end_day, body_weight_kg=body_weight_kg,
                                   params={"v_plasma": vp, "igg_production": prod})
                peaks.append((float(res["igg_total"].max()), vp, prod, regimen.get("days")))
                curves.append(Curve(res.t, res["igg_total"], ""))
    worst = max(peaks)
    labelled = curves[:-1] + [Curve(curves[-1].x, curves[-1].y, f"{len(curves)} virtual patients")]
    fig = Figure(f"{model}: total IgG, {len(curves)} virtual patients on 2 g/kg", "time [day]",
                 "total IgG [g/L]", tuple(labelled), range_on="max_peak")
    note = (f"highest peak {worst[0]:.1f} g/L with v_plasma {worst[1]:g} L/kg, synthesis {worst[2]:g} "
            f"mg/kg/day, 2 g/kg over {worst[3]} day(s)")
    return CheckResult({"max_peak": worst[0]}, {"max_peak": "g/L"}, fig, (note,))


def _autoantibody_ratio(ctx, model, body_weight_kg, regimen, t_end_day, params=None):
    treated = ctx.simulate(model, regimen=regimen, t_end=t_end_day, body_weight_kg=body_weight_kg,
                           params=params)
    untreated = ctx.simulate(model, t_end=t_end_day, body_weight_kg=body_weight_kg, params=params,
                             t_eval=treated.t)
    return treated.t, treated["autoantibody"] / untreated["autoantibody"]


@register("autoantibody_fcrn_nadir")
def autoantibody_fcrn_nadir(ctx, *, model, body_weight_kg, regimen, t_end_day, recovery_day):
    """Autoantibody with FcRn competition as the only IVIG mechanism, against the untreated patient.

    Values: ``reduction`` (largest fall of A/A_untreated, %), ``nadir_day``,
    and ``recovering`` (by ``recovery_day`` more than half of the fall has
    come back).
    """
    t, ratio = _autoantibody_ratio(ctx, model, body_weight_kg, regimen, t_end_day)
    k = int(np.argmin(ratio))
    reduction = 100.0 * (1.0 - ratio[k])
    at_recovery = float(np.interp(recovery_day, t, ratio))
    values = {"reduction": reduction, "nadir_day": float(t[k]),
              "recovering": bool(at_recovery > 1.0 - (1.0 - ratio[k]) / 2.0)}
    fig = Figure(f"{model}: autoantibody reduction by FcRn competition", "time [day]",
                 "reduction vs untreated [%]", (Curve(t, 100.0 * (1.0 - ratio), "1 - A/A_untreated"),),
                 range_on="reduction", marker=(float(t[k]), reduction),
                 vlines=((recovery_day, f"day {recovery_day:g}"),))
    return CheckResult(values, {"reduction": "%", "nadir_day": "day"}, fig,
                       (f"A/A_untreated at day {recovery_day:g}: {at_recovery:.3f}",))


@register("fcrn_knockout")
def fcrn_knockout(ctx, *, model, body_weight_kg, tracer_dose_g_per_kg, window_days, knockout_params, regimen,
                  t_end_day):
    """FcRn capacity 0: tracer half-life against the wild type, and the IVIG effect on the autoantibody.

    Values: ``half_life_ratio`` (knockout over wild type), the two half-lives,
    and ``no_ivig_effect`` (A/A_untreated stays within 1e-6 of 1 after the course).
    """
    wild, res_wild, _ = tracer_half_life_day(ctx, model, body_weight_kg, tracer_dose_g_per_kg, window_days)
    knockout, res_ko, _ = tracer_half_life_day(ctx, model, body_weight_kg, tracer_dose_g_per_kg, window_days,
                                               knockout_params)
    _, ratio = _autoantibody_ratio(ctx, model, body_weight_kg, regimen, t_end_day, knockout_params)
    deviation = float(np.max(np.abs(ratio - 1.0)))
    values = {"half_life_ratio": knockout / wild, "wild_type_half_life": wild, "knockout_half_life": knockout,
              "no_ivig_effect": bool(deviation < 1e-6)}
    units = {"half_life_ratio": "1", "wild_type_half_life": "day", "knockout_half_life": "day"}
    fig = Figure(f"{model}: trace IVIG, wild type and FcRn knockout", "time [day]", "tracer IVIG [g/L]",
                 (Curve(res_wild.t, res_wild["ivig"], f"wild type, t½ = {wild:.1f} d"),
                  Curve(res_ko.t, res_ko["ivig"], f"FcRn capacity 0, t½ = {knockout:.1f} d")),
                 log_y=True, shade_x=(window_days[0], window_days[1], "fitting window"))
    return CheckResult(values, units, fig, (f"knockout: largest |A/A_untreated - 1| after the course "
                                            f"{deviation:.1e}",))


@register("replacement_trough_slope")
def replacement_trough_slope(ctx, *, model, body_weight_kg, doses_g_per_kg, every_days, infusion_hours, cycles,
                             params):
    """Steady IgG troughs of replacement IVIG in primary immunodeficiency, and their rise with dose (PK-40).

    Each dose in ``doses_g_per_kg`` is infused over ``infusion_hours`` every
    ``every_days`` for ``cycles`` cycles in a patient with the parameter
    overrides ``params`` (no IgG synthesis). Values: ``slope`` (rise of the
    last trough per 100 mg/kg every 4 weeks, between the first and last dose),
    ``trough_low`` and ``trough_high`` (g/L), and ``plateau`` (the last two
    troughs of every dose within 1 % of each other).
    """
    curves, troughs, plateau = [], [], True
    t_end = every_days * cycles
    for dose in doses_g_per_kg:
        regimen = {"kind": "ivig", "dose_g_per_kg": dose, "days": 1, "infusion_hours": infusion_hours,
                   "every_days": every_days, "cycles": cycles}
        res = ctx.simulate(model, regimen=regimen, t_end=t_end, body_weight_kg=body_weight_kg, params=params)
        series = [float(res.at("igg_total", k * every_days - 1e-9)) for k in range(1, cycles + 1)]
        plateau = plateau and abs(series[-1] - series[-2]) < 0.01 * series[-1]
        troughs.append(series[-1])
        curves.append(Curve(res.t, res["igg_total"], f"{dose:g} g/kg every {every_days:g} days"))
    # the dose step in units of 100 mg/kg every 4 weeks
    step = (doses_g_per_kg[-1] - doses_g_per_kg[0]) / 0.1 * 28.0 / every_days
    slope = (troughs[-1] - troughs[0]) / step
    values = {"slope": slope, "trough_low": troughs[0], "trough_high": troughs[-1], "plateau": plateau}
    units = {"slope": "g/L", "trough_low": "g/L", "trough_high": "g/L"}
    fig = Figure(f"{model}: replacement IVIG without IgG synthesis", "time [day]", "total IgG [g/L]",
                 tuple(curves), hlines=tuple((c, f"steady trough {c:.2f} g/L") for c in troughs))
    notes = tuple(f"{d:g} g/kg every {every_days:g} days: steady trough {c:.2f} g/L"
                  for d, c in zip(doses_g_per_kg, troughs))
    return CheckResult(values, units, fig, notes)


@register("fcrn_competition_with_blind_tracer")
def fcrn_competition_with_blind_tracer(ctx, *, model, body_weight_kg, regimen, read_day, t_end_day):
    """A continuously infused IgG mAb and an FcRn-blind tracer after one IVIG dose (PK-15).

    The autoantibody of the model stands for the infused IgG1 mAb (its
    synthesis is the infusion) and ``tracer`` for the IgA mAb. Values:
    ``ratio_day_3`` (A/A_untreated at ``read_day``), ``fcrn_blind_ratio``
    (the tracer's ratio), ``fcrn_blind_unchanged`` (within 1e-6 of 1 at every
    output) and ``nadir`` (lowest A/A_untreated) with its day.
    """
    treated = ctx.simulate(model, regimen=regimen, t_end=t_end_day, body_weight_kg=body_weight_kg)
    untreated = ctx.simulate(model, t_end=t_end_day, body_weight_kg=body_weight_kg, t_eval=treated.t)
    t = treated.t
    ratio = treated["autoantibody"] / untreated["autoantibody"]
    blind = treated["tracer"] / untreated["tracer"]
    k = int(np.argmin(ratio))
    at_read = float(np.interp(read_day, t, ratio))
    values = {"ratio_day_3": at_read, "fcrn_blind_ratio": float(np.interp(read_day, t, blind)),
              "fcrn_blind_unchanged": bool(np.max(np.abs(blind - 1.0)) < 1e-6),
              "nadir": float(ratio[k]), "nadir_day": float(t[k])}
    fig = Figure(f"{model}: infused IgG mAb and FcRn-blind tracer after IVIG", "time [day]",
                 "concentration / untreated", (Curve(t, ratio, "IgG mAb (binds FcRn)"),
                                                Curve(t, blind, "FcRn-blind tracer (IgA-like)")),
                 range_on="ratio_day_3", marker=(read_day, at_read), vlines=((read_day, f"day {read_day:g}"),))
    return CheckResult(values, {"ratio_day_3": "1", "fcrn_blind_ratio": "1", "nadir": "1", "nadir_day": "day"},
                       fig, (f"lowest A/A_untreated {ratio[k]:.3f} on day {t[k]:.2f}; untreated plasma IgG "
                             f"{untreated['igg_total'][0]:.2f} g/L, peak after the dose "
                             f"{treated['igg_total'].max():.1f} g/L",))
