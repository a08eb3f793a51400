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

from ivigsim.validation.registry import CheckResult, Curve, Figure, register

_OUTPUTS_PER_DAY = 96          # every 15 min: a 6 h infusion has 24 outputs to judge a fall by


def _inhibition(ctx, model, ivig_low, ivig_high, points, patient_igg, params=None):
    from ivigsim.in_vitro import in_vitro_inhibition
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
    from ivigsim.catalogue import load_model
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
    from ivigsim.validation.registry import build_regimen
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
