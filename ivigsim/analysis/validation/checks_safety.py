"""Checks of safety flags, viscosity and cost (targets PK-14, PK-31, PK-32, PK-33, PK-35), and the check of what is not modelled.

The safety thresholds live in :mod:`ivigsim.core.regimen`; these checks do not
read the constants but probe :meth:`~ivigsim.core.regimen.Regimen.safety_flags`
with regimens just below and above, locating each threshold by bisection,
so a flag that fires at the wrong rate or dose is caught.
"""

from __future__ import annotations

import numpy as np

from ivigsim.analysis.validation.registry import CheckResult, Curve, Figure, NotModelled, register

_LABEL_FLAG = "the labelled maximum"
_THROMBOSIS_RATE_FLAG = "at risk of thrombosis"
_DAILY_DOSE_FLAG = "day(s) with >="
_BISECTION_STEPS = 60


def _bisect(flagged, low, high):
    """Smallest x in [low, high] with flagged(x) true, for a flag that switches on once."""
    if flagged(low) or not flagged(high):
        raise ValueError(f"the flag does not switch on between {low:g} and {high:g}")
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (low + high)
        low, high = (low, mid) if flagged(mid) else (mid, high)
    return high


def _rate_flags(dose_g_per_kg, rate_mg_per_kg_per_min, body_weight_kg):
    """Safety flags of one daily infusion of ``dose_g_per_kg`` at a given rate."""
    from ivigsim.core.regimen import Regimen
    hours = dose_g_per_kg * 1000.0 / rate_mg_per_kg_per_min / 60.0
    return Regimen.ivig(dose_g_per_kg=dose_g_per_kg, days=1, infusion_hours=hours).safety_flags(body_weight_kg)


def _has(flags, words):
    return any(words in flag for flag in flags)


@register("infusion_rate_flags")
def infusion_rate_flags(ctx, *, body_weight_kg, dose_g_per_kg, start_rate_mg_per_kg_per_min,
                        ramp_mg_per_kg_per_h, ramp_product_concentration):
    """Where the regimen's infusion-rate flags switch on (PK-14).

    Values: ``label_threshold`` and ``thrombosis_threshold`` (mg/kg/min, the
    slowest flagged rates), ``start_rate_unflagged`` (the labelled starting
    rate raises no flag) and ``ramp_as_labelled`` (the steps of the 5 %
    product's ramp, given as mL/kg/min, come out at their mg/kg/min rates;
    none is above the label and only those above the thrombosis-risk limit
    are flagged for it).
    """
    from ivigsim.core.regimen import Regimen

    def label(rate):
        return _has(_rate_flags(dose_g_per_kg, rate, body_weight_kg), _LABEL_FLAG)

    def thrombosis(rate):
        return _has(_rate_flags(dose_g_per_kg, rate, body_weight_kg), _THROMBOSIS_RATE_FLAG)

    label_at = _bisect(label, start_rate_mg_per_kg_per_min, 19.0)
    thrombosis_at = _bisect(thrombosis, start_rate_mg_per_kg_per_min, 19.0)
    start_unflagged = not _rate_flags(dose_g_per_kg, start_rate_mg_per_kg_per_min, body_weight_kg)
    ramp_ok, ramp_rates = True, []
    for step in ramp_mg_per_kg_per_h:
        ml_per_kg_per_min = step / 60.0 / (ramp_product_concentration * 1000.0)
        reg = Regimen.ivig(dose_g_per_kg=dose_g_per_kg, days=1, rate_ml_per_kg_per_min=ml_per_kg_per_min,
                           product_concentration=ramp_product_concentration)
        rate = reg.max_rate_mg_per_kg_per_min(body_weight_kg)
        flags = reg.safety_flags(body_weight_kg)
        ramp_rates.append(rate)
        ramp_ok &= bool(np.isclose(rate, step / 60.0, rtol=1e-9) and not _has(flags, _LABEL_FLAG)
                        and _has(flags, _THROMBOSIS_RATE_FLAG) == (rate > thrombosis_at))
    grid = np.geomspace(0.3, 12.0, 200)
    counts = [len(_rate_flags(dose_g_per_kg, r, body_weight_kg)) for r in grid]
    fig = Figure("Regimen.safety_flags against the infusion rate", "infusion rate [mg/kg/min]", "flags raised",
                 (Curve(grid, counts, "rate flags", "step"),
                  Curve(ramp_rates, [len(_rate_flags(dose_g_per_kg, r, body_weight_kg)) for r in ramp_rates],
                        "5 % product ramp steps", "points")),
                 log_x=True, vlines=((start_rate_mg_per_kg_per_min, "labelled start"),
                                     (2.0, "2 (thrombosis risk)"), (6.0, "6 (label maximum)")))
    values = {"label_threshold": label_at, "thrombosis_threshold": thrombosis_at,
              "start_rate_unflagged": start_unflagged, "ramp_as_labelled": ramp_ok}
    units = {"label_threshold": "mg/kg/min", "thrombosis_threshold": "mg/kg/min"}
    notes = ("ramp steps as simulated: " + ", ".join(f"{r:.3g}" for r in ramp_rates) + " mg/kg/min",)
    return CheckResult(values, units, fig, notes)


@register("daily_dose_flag")
def daily_dose_flag(ctx, *, dose_g_per_kg, standard_course, heavy_course, body_weight_kg):
    """Where the thrombosis flag on the daily amount switches on (PK-33).

    The daily amount is varied through the body weight at ``dose_g_per_kg``.
    Values: ``threshold`` (g/day, the smallest flagged daily amount) and
    ``courses_flagged_as_expected`` (the standard course unflagged, the
    heavy one flagged, for ``body_weight_kg``).
    """
    from ivigsim.core.regimen import Regimen
    from ivigsim.analysis.validation.registry import build_regimen

    def flagged(grams):
        reg = Regimen.ivig(dose_g_per_kg=dose_g_per_kg, days=1, infusion_hours=8.0)
        return _has(reg.safety_flags(grams / dose_g_per_kg), _DAILY_DOSE_FLAG)

    threshold = _bisect(flagged, 5.0, 100.0)
    standard = build_regimen(standard_course).safety_flags(body_weight_kg)
    heavy = build_regimen(heavy_course).safety_flags(body_weight_kg)
    as_expected = not _has(standard, _DAILY_DOSE_FLAG) and _has(heavy, _DAILY_DOSE_FLAG)
    grid = np.linspace(10.0, 60.0, 501)
    fig = Figure("Regimen.safety_flags against the amount given in one day", "amount in one day [g]",
                 "daily-amount flag (1 = raised)",
                 (Curve(grid, [float(flagged(g)) for g in grid], "flag", "step"),),
                 vlines=((35.0, "35 g (published)"),))
    return CheckResult({"threshold": threshold, "courses_flagged_as_expected": as_expected},
                       {"threshold": "g"}, fig,
                       (f"{body_weight_kg:g} kg: standard course flags {standard or 'none'}; "
                        f"heavy course flags {heavy or 'none'}",))


@register("cost_per_gram")
def cost_per_gram(ctx, *, regimen, body_weight_kg, price_range_usd_per_g):
    """The price per gram behind the cost of a course, in the CLI summary and in sweep metrics (PK-35).

    Values: ``price`` (US$/g, cost over grams in
    :func:`ivigsim.core.summary.regimen_rows`) and ``metrics_price`` (the same
    through the ``cost_usd`` metric with its default price).
    """
    from types import SimpleNamespace

    from ivigsim.analysis.metrics import compute_metric, dose_context
    from ivigsim.core.summary import regimen_rows
    from ivigsim.analysis.validation.registry import build_regimen
    reg = build_regimen(regimen)
    row = regimen_rows(reg, body_weight_kg)
    spec = SimpleNamespace(name="cost", kind="cost_usd", output=None, at_day=None, window_days=None,
                           threshold=None, price_usd_per_g=None, baseline="start")
    context = dose_context([reg], body_weight_kg)
    metric_cost = float(compute_metric(spec, None, None, context)[0])
    grams = row["grams_given"]
    low, high = price_range_usd_per_g
    fig = Figure(f"cost of {reg.describe()} for {body_weight_kg:g} kg ({grams:.0f} g)", "", "cost [US$]",
                 (Curve([f"${low:g}/g", f"default ${row['price_usd_per_g']:g}/g", f"${high:g}/g"],
                        [grams * low, row["cost_usd"], grams * high], kind="bar"),))
    values = {"price": row["cost_usd"] / grams, "metrics_price": metric_cost / grams, "course_cost": row["cost_usd"]}
    return CheckResult(values, {"price": "USD/g", "metrics_price": "USD/g", "course_cost": "USD"}, fig)


@register("viscosity_after_ivig")
def viscosity_after_ivig(ctx, *, model, body_weight_kg, regimen, t_end_day, back_day):
    """Rise of the serum-viscosity proxy over a course and its return (PK-31).

    Values: ``viscosity_rise`` (cP, peak less the day-0 value), ``peak_viscosity``
    (cP), ``returns_within_a_month`` (at ``back_day`` less than half the rise
    is left) and ``tracks_igg`` (viscosity rises and falls with total IgG:
    their correlation over the course is above 0.99).
    """
    res = ctx.simulate(model, regimen=regimen, t_end=t_end_day, body_weight_kg=body_weight_kg)
    eta, igg = res["serum_viscosity_cp"], res["igg_total"]
    k = int(np.argmax(eta))
    rise = float(eta[k] - eta[0])
    left = float(np.interp(back_day, res.t, eta) - eta[0])
    corr = float(np.corrcoef(eta, igg)[0, 1])
    fig = Figure(f"{model}: serum viscosity proxy over a course", "time [day]", "serum viscosity [cP]",
                 (Curve(res.t, eta, "serum_viscosity_cp"),), range_on="viscosity_rise",
                 marker=(float(res.t[k]), float(eta[k])),
                 hlines=((3.0, "3 cP: no symptoms below (PK-32)"),))
    values = {"viscosity_rise": rise, "peak_viscosity": float(eta[k]),
              "returns_within_a_month": left < 0.5 * rise, "tracks_igg": corr > 0.99}
    return CheckResult(values, {"viscosity_rise": "cP", "peak_viscosity": "cP"}, fig,
                       (f"day 0 {eta[0]:.2f} cP at {igg[0]:.1f} g/L IgG; peak {eta[k]:.2f} cP at "
                        f"{igg[k]:.1f} g/L on day {res.t[k]:.2f}; {left:.3f} cP above day 0 on day {back_day:g}",))


def _band(flags):
    """0 without a flag; 1, 2, 3 for the words of the 3, 4 and 5 cP bands."""
    if not flags:
        return 0.0
    return 3.0 if _has(flags, "classic") else 2.0 if _has(flags, "subtle") else 1.0


@register("hyperviscosity_flags")
def hyperviscosity_flag_bands(ctx, *, model, body_weight_kg, regimen, params, t_end_day):
    """Where the hyperviscosity flags switch on, and a course that crosses them (PK-32).

    Values: ``threshold_3``, ``threshold_4``, ``threshold_5`` (cP, the lowest
    peak viscosity given each band's words, by bisection) and
    ``hyperviscosity_flagged`` (a course in a patient whose predicted peak
    passes 4 cP is flagged by ``Regimen.safety_flags``).
    """
    from ivigsim.core.regimen import hyperviscosity_flags
    from ivigsim.analysis.validation.registry import build_regimen

    # each band's words, and those of the bands above it (a flag names the highest band reached)
    bands = {"threshold_3": ("cP",), "threshold_4": ("subtle", "classic"), "threshold_5": ("classic",)}
    values = {}
    for name, words in bands.items():
        values[name] = _bisect(lambda cp, w=words: any(_has(hyperviscosity_flags(cp), x) for x in w),
                               1.0, 10.0)
    res = ctx.simulate(model, regimen=regimen, t_end=t_end_day, body_weight_kg=body_weight_kg,
                       params=params)
    peak = float(res["serum_viscosity_cp"].max())
    flags = build_regimen(regimen).safety_flags(body_weight_kg, peak_viscosity_cp=peak)
    values["hyperviscosity_flagged"] = peak >= 4.0 and _has(flags, "predicted serum viscosity")
    grid = np.linspace(1.0, 7.0, 601)
    fig = Figure("hyperviscosity band of a predicted peak viscosity", "peak serum viscosity [cP]",
                 "band (0-3)", (Curve(grid, [_band(hyperviscosity_flags(c)) for c in grid],
                                      "band", "step"),),
                 vlines=((3.0, "3"), (4.0, "4"), (5.0, "5 cP (published)")))
    return CheckResult(values, {k: "cP" for k in bands}, fig,
                       (f"high-IgG patient: predicted peak {peak:.2f} cP; flags: {flags or 'none'}",))


@register("not_modelled")
def not_modelled(ctx, *, what):
    """A target whose quantity no shipped model represents: always raises :class:`NotModelled`."""
    raise NotModelled(what)
