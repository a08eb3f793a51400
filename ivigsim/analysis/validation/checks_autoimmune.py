"""Checks of anti-idiotypic neutralization and recurrent pregnancy loss (targets AI-*, RPL-*).

References
----------
Rossi F, Kazatchkine MD. Antiidiotypes against autoantibodies in pooled
normal human polyspecific Ig. J Immunol 1989;143:4104-4109.
Caccavo D, et al. J Autoimmun 1994 (anticardiolipin inhibition, AI-01).
Kwak JY, et al. J Reprod Immunol 1995 (antiphospholipid titres, RPL-07).
"""

from __future__ import annotations

import numpy as np

from ivigsim.analysis.validation.registry import CheckResult, Curve, Figure, register

_OUTPUTS_PER_DAY = 96          # every 15 min: a 6 h infusion has 24 outputs to judge a fall by


def _inhibition(ctx, model, ivig_low, ivig_high, points, patient_igg, params=None):
    from ivigsim.core.in_vitro import in_vitro_inhibition
    key = ("in_vitro", model, ivig_low, ivig_high, points, patient_igg, params or {})
    return ctx.memo(key, lambda: in_vitro_inhibition(
        model, ivig_mg_per_ml=np.geomspace(ivig_low, ivig_high, points), patient_igg_mg_per_ml=patient_igg,
        params=params))


def _is_bell(inhibition, min_fall):
    """Strict rise to an interior maximum, strict fall after it, ending ``min_fall`` below the top."""
    k = int(np.argmax(inhibition))
    return bool(0 < k < len(inhibition) - 1 and np.all(np.diff(inhibition[:k + 1]) > 0)
                and np.all(np.diff(inhibition[k:]) < 0) and inhibition[-1] <= inhibition[k] - min_fall)


@register("in_vitro_curve")
def in_vitro_curve(ctx, *, model, ivig_mg_per_ml, patient_igg_mg_per_ml, min_fall_after_max, params=None):
    """Inhibition of autoantibody binding against IVIG in one well (AI-02, AI-03, AI-05).

    ``ivig_mg_per_ml`` is ``[low, high, points]`` of a log-spaced grid. Values:
    ``max_inhibition`` (%), ``ivig_to_patient_at_max`` (N of "1:N"),
    ``inhibition_at_top`` (% at the highest IVIG) and ``bell_shaped``.
    """
    low, high, points = ivig_mg_per_ml
    res = _inhibition(ctx, model, low, high, int(points), patient_igg_mg_per_ml, params)
    values = {"max_inhibition": 100.0 * res.max_inhibition, "ivig_to_patient_at_max": 1.0 / res.ratio_at_max,
              "inhibition_at_top": 100.0 * float(res.inhibition[-1]),
              "bell_shaped": _is_bell(res.inhibition, min_fall_after_max)}
    units = {"max_inhibition": "%", "ivig_to_patient_at_max": "1", "inhibition_at_top": "%"}
    fig = Figure(f"{model}: in-vitro inhibition, patient IgG {patient_igg_mg_per_ml:g} mg/mL",
                 "IVIG [mg/mL]", "inhibition of antigen binding [%]",
                 (Curve(res.ivig_mg_per_ml, 100.0 * res.inhibition, "inhibition", "line"),),
                 log_x=True, range_on="max_inhibition",
                 marker=(res.ivig_at_max_mg_per_ml, 100.0 * res.max_inhibition))
    return CheckResult(values, units, fig, (f"maximum at IVIG {res.ivig_at_max_mg_per_ml:.3g} mg/mL "
                                            f"(patient IgG : IVIG 1:{1 / res.ratio_at_max:.3g})",))


@register("in_vitro_variants")
def in_vitro_variants(ctx, *, model, ivig_mg_per_ml, patient_igg_mg_per_ml, variants):
    """Largest inhibition for several sera or IVIG lots, each a dict of parameter overrides (AI-01, AI-06).

    Values: ``lowest_max`` and ``highest_max`` (%) over the variants.
    """
    low, high, points = ivig_mg_per_ml
    curves, maxima = [], []
    for k, params in enumerate(variants):
        res = _inhibition(ctx, model, low, high, int(points), patient_igg_mg_per_ml, params)
        maxima.append(100.0 * res.max_inhibition)
        label = ", ".join(f"{n}={v:g}" for n, v in params.items()) or "defaults"
        curves.append(Curve(res.ivig_mg_per_ml, 100.0 * res.inhibition, label))
    fig = Figure(f"{model}: in-vitro inhibition across {len(variants)} sera / lots", "IVIG [mg/mL]",
                 "inhibition of antigen binding [%]", tuple(curves), log_x=True)
    notes = ("maxima: " + ", ".join(f"{m:.1f} %" for m in maxima),)
    return CheckResult({"lowest_max": min(maxima), "highest_max": max(maxima)},
                       {"lowest_max": "%", "highest_max": "%"}, fig, notes)


@register("parameter_prior")
def parameter_prior(ctx, *, model, parameters):
    """Default values of model parameters that a published prior bounds (AI-14).

    Values: ``largest`` (the largest default among ``parameters``, in their
    common unit) and each parameter by name.
    """
    from ivigsim.core.catalogue import load_model
    spec = load_model(model)
    found = {name: spec.parameters[spec.parameter_index(name)] for name in parameters}
    units = {str(p.unit) for p in found.values()}
    if len(units) != 1:
        raise ValueError(f"parameters {', '.join(parameters)} do not share one unit: {', '.join(units)}")
    unit = units.pop()
    values = {name: p.value for name, p in found.items()}
    fig = Figure(f"{model}: IVIG fractions of the anti-idiotype mechanism", "", f"default value [{unit}]",
                 (Curve(list(values), list(values.values()), kind="bar"),), range_on="largest")
    return CheckResult({"largest": max(values.values()), **values},
                       {"largest": unit, **{n: unit for n in values}}, fig)


@register("nk_cytotoxicity_course")
def nk_cytotoxicity_course(ctx, *, model, regimen, body_weight_kg, t_end_day, read_day=None):
    """Peripheral NK cytotoxicity after a course (RPL-01, RPL-02).

    Values: ``baseline`` (%), ``fall`` (largest fall from baseline, % of
    baseline) and, with ``read_day``, ``at_read_day`` (%).
    """
    res = ctx.simulate(model, regimen=regimen, t_end=t_end_day, body_weight_kg=body_weight_kg)
    nk = res["nk_cytotoxicity"]
    k = int(np.argmin(nk))
    values = {"baseline": float(nk[0]), "fall": 100.0 * (1.0 - nk[k] / nk[0])}
    marker, vlines = (float(res.t[k]), float(nk[k])), ()
    if read_day is not None:
        values["at_read_day"] = res.at("nk_cytotoxicity", read_day)
        marker, vlines = (read_day, values["at_read_day"]), ((read_day, f"day {read_day:g}"),)
    fig = Figure(f"{model}: NK cytotoxicity", "time [day]", "NK cytotoxicity [%]",
                 (Curve(res.t, nk, "simulated"),), range_on="at_read_day", marker=marker, vlines=vlines)
    return CheckResult(values, {name: "%" for name in values}, fig,
                       (f"lowest {nk[k]:.1f} % on day {res.t[k]:g}",))


@register("antiphospholipid_cycles")
def antiphospholipid_cycles(ctx, *, model, regimen, body_weight_kg, cycles, every_days):
    """Antiphospholipid titre (free autoantibody) over repeated monthly infusions (RPL-07, RPL-08).

    Values: ``falls_while_igg_rises`` (during every infusion the titre falls at
    every output, 15 min apart, while total IgG rises), ``progressive`` (the titre just
    before each next infusion falls cycle after cycle) and
    ``last_trough_over_baseline``.
    """
    from ivigsim.analysis.validation.registry import build_regimen
    t_end = cycles * every_days
    grid = np.linspace(0.0, t_end, int(round(t_end * _OUTPUTS_PER_DAY)) + 1)
    res = ctx.simulate(model, regimen=regimen, t_end=t_end, body_weight_kg=body_weight_kg, t_eval=grid)
    apl, igg = res["autoantibody_free"], res["igg_total"]
    falls = True
    for dose in build_regimen(regimen).doses(body_weight_kg):
        during = (res.t > dose.time_day) & (res.t <= dose.end_day)
        falls &= bool(during.sum() >= 2 and np.all(np.diff(apl[during]) < 0)
                      and np.all(np.diff(igg[during]) > 0))
    troughs = np.array([res.at("autoantibody_free", every_days * k - 1e-6) for k in range(1, cycles + 1)])
    values = {"falls_while_igg_rises": falls, "progressive": bool(np.all(np.diff(troughs) < 0)),
              "last_trough_over_baseline": float(troughs[-1] / apl[0])}
    fig = Figure(f"{model}: antiphospholipid titre over {cycles} monthly cycles", "time [day]",
                 "free autoantibody [mg/L]",
                 (Curve(res.t, apl, "titre (free autoantibody)"),
                  Curve(every_days * np.arange(1, cycles + 1), troughs, "before the next infusion", "points")))
    return CheckResult(values, {"last_trough_over_baseline": "1"}, fig,
                       ("pre-infusion titres: " + ", ".join(f"{x:.2f}" for x in troughs) + " mg/L",))


# ---------------------------------------------------------------------------
# Immune thrombocytopenia (ITP-01, ITP-02)
# ---------------------------------------------------------------------------

def _first_day(t, mask):
    """First time at which ``mask`` holds (nan if never)."""
    hits = np.nonzero(mask)[0]
    return float(t[hits[0]]) if hits.size else float("nan")


@register("itp_platelet_response")
def itp_platelet_response(ctx, *, model, regimen, body_weight_kg, t_end_day, threshold, outputs_per_day):
    """Platelet count of the default ITP patient after a course (ITP-01).

    Values: ``first_day_above`` (first day above ``threshold``, 10^9/L),
    ``doubling_day`` (first day at twice the starting count), ``peak_day``,
    ``peak`` (10^9/L), and ``return_after_peak`` (days from the maximum until
    the count is back below ``threshold``).
    """
    grid = np.linspace(0.0, t_end_day, int(round(t_end_day * outputs_per_day)) + 1)
    res = ctx.simulate(model, regimen=regimen, t_end=t_end_day, body_weight_kg=body_weight_kg, t_eval=grid)
    t, plt = res.t, res["platelets"]
    k = int(np.argmax(plt))
    back = _first_day(t, (t > t[k]) & (plt < threshold))
    values = {"first_day_above": _first_day(t, plt > threshold), "doubling_day": _first_day(t, plt >= 2 * plt[0]),
              "peak_day": float(t[k]), "peak": float(plt[k]), "return_after_peak": back - float(t[k])}
    units = {"first_day_above": "day", "doubling_day": "day", "peak_day": "day", "peak": "10^9/L",
             "return_after_peak": "day"}
    fig = Figure(f"{model}: platelets after the course", "time [day]", "platelets [10^9/L]",
                 (Curve(t, plt, "platelets"),), marker=(float(t[k]), float(plt[k])),
                 hlines=((threshold, f"{threshold:g} x 10^9/L"),), vlines=((back, "back below"),))
    return CheckResult(values, units, fig, (f"start {plt[0]:.1f}, maximum {plt[k]:.1f} x 10^9/L on day "
                                            f"{t[k]:.2f}, back below {threshold:g} on day {back:.2f}",))


def _deficit_auc(t0, t1):
    """Metric: area of the platelet deficit (below the normal count) over days [t0, t1]."""
    def metric(res):
        inside = (res.t >= t0) & (res.t <= t1)
        return float(np.trapezoid(res["platelet_deficit"][inside], res.t[inside]))
    metric.__name__ = f"platelet_deficit_auc_day_{t0:g}_{t1:g}"
    return metric


@register("itp_mechanism_attribution")
def itp_mechanism_attribution(ctx, *, model, regimen, body_weight_kg, mechanisms, early_days, late_days):
    """Which mechanism carries the platelet response early and late: a mechanism factorial (ITP-02).

    The metric is the area of the platelet deficit (normal count minus
    platelets) over a window; a mechanism's effect is its fractional reduction.
    Values: ``early_leader`` and ``late_leader`` (the mechanism with the
    largest single effect over ``early_days`` and ``late_days``), each
    mechanism's single effects (``early_<m>``, ``late_<m>``), the joint effects,
    ``blockade_leads_early`` and ``blockade_not_late`` (directions).
    """
    from ivigsim.analysis.factorial import mechanism_factorial
    from ivigsim.analysis.validation.registry import build_regimen
    found = {}
    for label, (t0, t1) in (("early", early_days), ("late", late_days)):
        found[label] = ctx.memo(("itp_factorial", model, regimen, body_weight_kg, tuple(mechanisms), t0, t1),
                                lambda t0=t0, t1=t1: mechanism_factorial(
                                    model, build_regimen(regimen), t1, _deficit_auc(t0, t1),
                                    mechanisms=tuple(mechanisms), body_weight_kg=body_weight_kg,
                                    t_eval=np.linspace(0.0, t1, int(round(t1 * 24)) + 1)))
    values, units = {}, {}
    for label, f in found.items():
        values[f"{label}_leader"] = max(f.single, key=f.single.get)
        values[f"{label}_joint"] = 100.0 * f.joint
        values[f"{label}_bliss_excess"] = 100.0 * f.bliss_excess
        units[f"{label}_joint"] = units[f"{label}_bliss_excess"] = "%"
        for m, e in f.single.items():
            values[f"{label}_{m}"] = 100.0 * e
            units[f"{label}_{m}"] = "%"
    values["blockade_leads_early"] = values["early_leader"] == "fcgr_blockade"
    values["blockade_not_late"] = values["late_leader"] != "fcgr_blockade"
    names = list(mechanisms)
    fig = Figure(f"{model}: single-mechanism effect on the platelet deficit", "",
                 "reduction of the deficit area [%]",
                 (Curve([f"{m}, days {early_days[0]:g}-{early_days[1]:g}" for m in names],
                        [values[f"early_{m}"] for m in names], kind="bar"),
                  Curve([f"{m}, days {late_days[0]:g}-{late_days[1]:g}" for m in names],
                        [values[f"late_{m}"] for m in names], kind="bar")))
    notes = tuple(f"days {w[0]:g}-{w[1]:g}: " + ", ".join(f"{m} {values[f'{label}_{m}']:.1f} %" for m in names)
                  + f"; all together {values[f'{label}_joint']:.1f} % (Bliss excess "
                  f"{values[f'{label}_bliss_excess']:+.1f} points)"
                  for label, w in (("early", early_days), ("late", late_days)))
    return CheckResult(values, units, fig, notes)


@register("in_vitro_nk_assay")
def in_vitro_nk_assay(ctx, *, model, ivig_mg_per_ml, read_at_mg_per_ml):
    """Suppression of NK cytotoxicity by IVIG in the in-vitro assay mode (RPL-03).

    Values: ``suppression`` (%, at ``read_at_mg_per_ml``), ``suppression_<c>``
    (%, at each concentration listed) and ``dose_dependent`` (suppression rises
    with IVIG over the concentrations listed).
    """
    from ivigsim.core.in_vitro_nk import in_vitro_nk_suppression
    res = in_vitro_nk_suppression(model, ivig_mg_per_ml=ivig_mg_per_ml)
    curve = in_vitro_nk_suppression(model, ivig_mg_per_ml=np.geomspace(0.1, 40.0, 60))
    values = {"suppression": 100.0 * res.at(read_at_mg_per_ml),
              "dose_dependent": bool(np.all(np.diff(res.suppression) > 0))}
    units = {"suppression": "%"}
    for c, s in zip(res.ivig_mg_per_ml, res.suppression):
        values[f"suppression_{c:g}"] = 100.0 * float(s)
        units[f"suppression_{c:g}"] = "%"
    fig = Figure(f"{model}: in-vitro NK assay (K562 targets)", "IVIG in the well [mg/mL]",
                 "suppression of NK cytotoxicity [%]",
                 (Curve(curve.ivig_mg_per_ml, 100.0 * curve.suppression, "set-point law (nk_imax, nk_ic50)"),
                  Curve(res.ivig_mg_per_ml, 100.0 * res.suppression, "assay concentrations", "points")),
                 log_x=True, range_on="suppression", marker=(read_at_mg_per_ml, values["suppression"]))
    return CheckResult(values, units, fig, (
        ", ".join(f"{c:g} mg/mL: {100 * s:.1f} %" for c, s in zip(res.ivig_mg_per_ml, res.suppression)),
        f"nk_imax {res.parameters['nk_imax']:g}, nk_ic50 {res.parameters['nk_ic50']:g} mg/L (in-vivo calibration)"))
