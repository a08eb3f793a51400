"""Checks of the IL-12 / NK / tumour models and the agent-based NK model (CA-*, TU-*, IL-*, NK-*).

Where the literature gives a direction only, a check returns a boolean: the
effect must go the published way by more than ``min_effect`` (a fraction
given in the targets file), so that a numerically zero effect does not count.

References
----------
Shoenfeld Y, Fishman P. Gamma-globulin inhibits tumor spread in mice. Int Immunol 1999.
Zhang Y, et al. In vivo kinetics of human natural killer cells. Immunology 2007.
Vanherberghen B, et al. Blood 2013; Guldevall K, et al. Front Immunol 2016;
Prager I, et al. J Exp Med 2019 (NK killing heterogeneity and exhaustion).
"""

from __future__ import annotations

import math

import numpy as np

from ivigsim.analysis.validation.registry import CheckResult, Curve, Figure, register

_SAME = 1e-8            # relative difference below which two trajectories count as identical


def _log_slope(t, y, t0, t1):
    m = (t >= t0) & (t <= t1)
    return float(np.polyfit(t[m], np.log(y[m]), 1)[0])


@register("metastasis_foci")
def metastasis_foci(ctx, *, model, body_weight_kg, regimen, t_end_day, min_effect):
    """Lung foci at ``t_end_day``: untreated, IVIG, IVIG with apoptosis off, and NK killing off (CA-01, TU-02).

    Values: ``fewer_with_ivig``, ``fewer_with_nk_alone`` (IVIG with its apoptosis
    mechanism off, as in SCID mice where NK cells carry the effect),
    ``nk_dependent`` (more foci without NK killing), and the counts.
    """
    runs = {"untreated": ctx.simulate(model, t_end=t_end_day, body_weight_kg=body_weight_kg),
            "IVIG": ctx.simulate(model, regimen=regimen, t_end=t_end_day, body_weight_kg=body_weight_kg),
            "IVIG, apoptosis off (NK alone)": ctx.simulate(model, regimen=regimen, t_end=t_end_day,
                                                           body_weight_kg=body_weight_kg,
                                                           mechanisms={"ivig_apoptosis": False}),
            "untreated, NK killing off": ctx.simulate(model, t_end=t_end_day, body_weight_kg=body_weight_kg,
                                                      mechanisms={"nk_killing": False})}
    foci = {label: res.at("foci", t_end_day) for label, res in runs.items()}
    untreated = foci["untreated"]
    values = {"fewer_with_ivig": foci["IVIG"] < (1.0 - min_effect) * untreated,
              "fewer_with_nk_alone": foci["IVIG, apoptosis off (NK alone)"] < (1.0 - min_effect) * untreated,
              "nk_dependent": foci["untreated, NK killing off"] > (1.0 + min_effect) * untreated,
              "untreated_foci": untreated, "ivig_over_untreated": foci["IVIG"] / untreated,
              "no_nk_over_untreated": foci["untreated, NK killing off"] / untreated}
    units = {"untreated_foci": "cell", "ivig_over_untreated": "1", "no_nk_over_untreated": "1"}
    fig = Figure(f"{model}: lung foci seeded after 2×10^5 cells i.v.", "time [day]", "lung foci [foci]",
                 tuple(Curve(res.t, res["foci"], label) for label, res in runs.items()))
    notes = tuple(f"{label}: {n:.1f} foci at day {t_end_day:g}" for label, n in foci.items())
    return CheckResult(values, units, fig, notes)


@register("il12_nk_response")
def il12_nk_response(ctx, *, model, body_weight_kg, regimen, t_end_day, read_day, min_effect):
    """IL-12 and activated NK cells after IVIG, and without IL-12 induction (CA-02).

    Values: ``il12_and_nk_rise`` (both above baseline by more than
    ``min_effect`` at ``read_day``), ``through_il12`` (with ``il12_induction``
    off, IL-12 and activated NK cells do not move) and the two folds.
    """
    res = ctx.simulate(model, regimen=regimen, t_end=t_end_day, body_weight_kg=body_weight_kg)
    blocked = ctx.simulate(model, regimen=regimen, t_end=t_end_day, body_weight_kg=body_weight_kg,
                           mechanisms={"il12_induction": False})
    il12 = res.at("il12", read_day) / res["il12"][0]
    nk = res.at("nk_activated", read_day) / res["nk_activated"][0]
    still = all(np.max(np.abs(blocked[n] / blocked[n][0] - 1.0)) < 1e-6 for n in ("il12", "nk_activated"))
    values = {"il12_and_nk_rise": bool(il12 > 1 + min_effect and nk > 1 + min_effect), "through_il12": still,
              "il12_fold": il12, "nk_activated_fold": nk}
    fig = Figure(f"{model}: IL-12 and activated NK cells after IVIG (fold over baseline)", "time [day]",
                 "fold over baseline",
                 (Curve(res.t, res["il12"] / res["il12"][0], "IL-12"),
                  Curve(res.t, res["nk_activated"] / res["nk_activated"][0], "activated NK cells"),
                  Curve(blocked.t, blocked["nk_activated"] / blocked["nk_activated"][0],
                        "activated NK, IL-12 induction off")),
                 vlines=((read_day, f"day {read_day:g}"),))
    return CheckResult(values, {"il12_fold": "1", "nk_activated_fold": "1"}, fig)


@register("apoptosis_selectivity")
def apoptosis_selectivity(ctx, *, model, body_weight_kg, regimen, t_end_day, min_effect):
    """IVIG-induced apoptosis in cancer and normal cells (CA-03).

    Values: ``cancer_only`` (normal cells follow the untreated trajectory to
    1e-8 while the cancer-cell apoptosis rate rises by more than
    ``min_effect``), and the largest selectivity.
    """
    untreated = ctx.simulate(model, t_end=t_end_day, body_weight_kg=body_weight_kg)
    treated = ctx.simulate(model, regimen=regimen, t_end=t_end_day, body_weight_kg=body_weight_kg,
                           t_eval=untreated.t)
    normal_same = bool(np.max(np.abs(treated["normal_cells"] / untreated["normal_cells"] - 1.0)) < _SAME)
    basal = untreated["apoptosis_rate_cancer"][0]
    rise = treated["apoptosis_rate_cancer"].max() / basal
    fig = Figure(f"{model}: per-cell apoptosis rate, IVIG against untreated", "time [day]",
                 "apoptosis rate [1/day]",
                 (Curve(treated.t, treated["apoptosis_rate_cancer"], "cancer cells, IVIG"),
                  Curve(treated.t, treated["apoptosis_rate_normal"], "normal cells, IVIG"),
                  Curve(untreated.t, untreated["apoptosis_rate_normal"], "normal cells, untreated")))
    values = {"cancer_only": bool(normal_same and rise > 1 + min_effect), "cancer_apoptosis_fold": rise,
              "max_selectivity": float(treated["selectivity"].max())}
    return CheckResult(values, {"cancer_apoptosis_fold": "1", "max_selectivity": "1"}, fig)


@register("tumour_response")
def tumour_response(ctx, *, model, body_weight_kg, regimen, t_end_day):
    """An established tumour under repeated IVIG (CA-04).

    Values: ``smallest_over_start`` (the smallest tumour over the course,
    relative to the start), ``end_over_start``, and ``untreated_end_over_start``.
    """
    treated = ctx.simulate(model, regimen=regimen, t_end=t_end_day, body_weight_kg=body_weight_kg)
    untreated = ctx.simulate(model, t_end=t_end_day, body_weight_kg=body_weight_kg, t_eval=treated.t)
    start = treated["tumour"][0]
    values = {"smallest_over_start": float(treated["tumour"].min() / start),
              "end_over_start": float(treated["tumour"][-1] / start),
              "untreated_end_over_start": float(untreated["tumour"][-1] / start)}
    fig = Figure(f"{model}: tumour relative to the start", "time [day]", "tumour / tumour at start",
                 (Curve(treated.t, treated["tumour"] / start, "IVIG"),
                  Curve(untreated.t, untreated["tumour"] / start, "untreated")),
                 range_on="smallest_over_start",
                 marker=(float(treated.t[int(np.argmin(treated["tumour"]))]), values["smallest_over_start"]))
    return CheckResult(values, {k: "1" for k in values}, fig)


@register("tumour_doubling")
def tumour_doubling(ctx, *, model, body_weight_kg, tumour_initial, t_end_day, mechanisms_off):
    """Doubling time (``doubling_time``, days) of a small tumour from its log-linear growth (TU-01)."""
    res = ctx.simulate(model, t_end=t_end_day, body_weight_kg=body_weight_kg,
                       params={"tumour_initial": tumour_initial},
                       mechanisms={m: False for m in mechanisms_off})
    slope = _log_slope(res.t, res["tumour"], 0.0, t_end_day)
    doubling = math.log(2.0) / slope
    fig = Figure(f"{model}: tumour growth with {', '.join(mechanisms_off)} off", "time [day]", "tumour cells",
                 (Curve(res.t, res["tumour"], f"simulated: doubling {doubling:.3f} d"),), log_y=True)
    return CheckResult({"doubling_time": doubling}, {"doubling_time": "day"}, fig)


@register("il12_half_life")
def il12_half_life(ctx, *, models, body_weights_kg, il12_dose_g_per_kg, window_days, t_end_day):
    """Terminal half-life of a recombinant IL-12 bolus above baseline, in each model (IL-01).

    Values: ``half_life`` for the first model, ``half_life_<model>`` for each (hours).
    """
    values, units, curves = {}, {}, []
    t_eval = np.linspace(0.0, t_end_day, 301)
    for model, weight in zip(models, body_weights_kg):
        res = ctx.simulate(model, regimen={"kind": "bolus", "dose_g_per_kg": il12_dose_g_per_kg, "product": "il12"},
                           t_end=t_end_day, body_weight_kg=weight, t_eval=t_eval)
        excess = res["il12"] - res.parameters["il12_baseline"]
        half_life_h = 24.0 * math.log(2.0) / -_log_slope(res.t, excess, *window_days)
        values[f"half_life_{model}"] = half_life_h
        units[f"half_life_{model}"] = "h"
        curves.append(Curve(24.0 * res.t, excess, f"{model}: t½ = {half_life_h:.1f} h"))
    values["half_life"], units["half_life"] = values[f"half_life_{models[0]}"], "h"
    fig = Figure("IL-12 above baseline after a recombinant IL-12 bolus", "time [h]", "IL-12 excess [pg/mL]",
                 tuple(curves), log_y=True, shade_x=(24 * window_days[0], 24 * window_days[1], "fitting window"))
    return CheckResult(values, units, fig)


@register("il12_sc_ifn_gamma_timing")
def il12_sc_ifn_gamma_timing(ctx, *, models, body_weights_kg, il12_dose_g_per_kg, t_end_day, outputs_per_day):
    """Times of the IL-12 and IFN-gamma peaks after subcutaneous recombinant IL-12, in each model (IL-02).

    Values: ``il12_peak_time`` and ``ifn_gamma_peak_time`` (hours) for the first
    model, ``..._<model>`` for each, and ``ifn_gamma_fold`` (peak over baseline).
    """
    values, units, curves = {}, {}, []
    t_eval = np.linspace(0.0, t_end_day, int(round(t_end_day * outputs_per_day)) + 1)
    regimen = {"kind": "bolus", "dose_g_per_kg": il12_dose_g_per_kg, "product": "il12", "route": "sc"}
    for model, weight in zip(models, body_weights_kg):
        res = ctx.simulate(model, regimen=regimen, t_end=t_end_day, body_weight_kg=weight, t_eval=t_eval)
        hours = 24.0 * res.t
        il12, ifng = res["il12"], res["ifn_gamma"]
        for name, y in (("il12_peak_time", il12), ("ifn_gamma_peak_time", ifng)):
            values[f"{name}_{model}"], units[f"{name}_{model}"] = float(hours[int(np.argmax(y))]), "h"
        values[f"ifn_gamma_fold_{model}"], units[f"ifn_gamma_fold_{model}"] = float(ifng.max() / ifng[0]), "1"
        curves += [Curve(hours, il12 / il12.max(), f"{model}: IL-12"),
                   Curve(hours, ifng / ifng.max(), f"{model}: IFN-gamma")]
    for name in ("il12_peak_time", "ifn_gamma_peak_time", "ifn_gamma_fold"):
        values[name], units[name] = values[f"{name}_{models[0]}"], units[f"{name}_{models[0]}"]
    fig = Figure(f"IL-12 and IFN-gamma after s.c. IL-12 ({1e6 * il12_dose_g_per_kg:g} ug/kg)", "time [h]",
                 "concentration / its peak", tuple(curves), range_on=None,
                 marker=(values["il12_peak_time"], 1.0))
    notes = tuple(f"{m}: IL-12 peak at {values[f'il12_peak_time_{m}']:.2f} h, IFN-gamma peak at "
                  f"{values[f'ifn_gamma_peak_time_{m}']:.2f} h ({values[f'ifn_gamma_fold_{m}']:.1f} x baseline)"
                  for m in models)
    return CheckResult(values, units, fig, notes)


@register("nk_turnover")
def nk_turnover(ctx, *, model, body_weight_kg):
    """NK proliferation and loss per NK cell at the untreated steady state, from the reaction fluxes (NK-01)."""
    res = ctx.simulate(model, t_end=1.0, body_weight_kg=body_weight_kg)
    rates = ctx.reaction_rates(res)
    pool = float(res["nk_total"][0])
    proliferation = rates["nk_proliferation"] / pool
    loss = (rates["nk_rest_loss"] + rates["nk_act_loss"]) / pool
    fig = Figure(f"{model}: NK turnover at baseline", "", "rate per NK cell [%/day]",
                 (Curve(["proliferation", "loss", "recruitment"],
                        [100 * proliferation, 100 * loss, 100 * rates["nk_recruitment"] / pool], kind="bar"),))
    return CheckResult({"proliferation": proliferation, "loss": loss},
                       {"proliferation": "1/day", "loss": "1/day"}, fig,
                       (f"NK half-life from loss alone: {math.log(2.0) / loss:.1f} days",))


def _constant_drivers(il12_pg_per_ml):
    t = np.array([0.0, 100.0])
    return {"t": t, "ivig_g_per_l": np.zeros(2), "il12_pg_per_ml": np.full(2, float(il12_pg_per_ml))}


def _agents(ctx, params, il12_pg_per_ml, t_end_day, replicates, seed):
    from ivigsim.core.agents import simulate_agents
    key = ("agents", params, il12_pg_per_ml, t_end_day, replicates, seed)
    return ctx.memo(key, lambda: simulate_agents(t_end=t_end_day, seed=seed, replicates=replicates,
                                                 params=params, drivers=_constant_drivers(il12_pg_per_ml)))


@register("nk_killing_assay")
def nk_killing_assay(ctx, *, assay_params, activating_il12_pg_per_ml, t_end_day, replicates, seed):
    """Kills per NK cell in an in-vitro killing assay of the agent model (NK-02, NK-03).

    IL-12 at ``activating_il12_pg_per_ml`` activates every NK cell; none
    activates them none. Values: ``zero_kill_activated`` and
    ``zero_kill_resting`` (fractions killing nothing),
    ``serial_minority_does_most`` (cells with >= 3 kills are under half of the
    activated cells and make over half of the kills), ``some_resting_kill_3``.
    """
    activated = _agents(ctx, assay_params, activating_il12_pg_per_ml, t_end_day, replicates, seed)
    resting = _agents(ctx, assay_params, 0.0, t_end_day, replicates, seed)
    act_hist = activated.kills_by_nk[:, 1].sum(axis=0)
    rest_hist = resting.kills_by_nk[:, 0].sum(axis=0)
    kills = np.arange(act_hist.size) * act_hist
    serial_cells = act_hist[3:].sum() / act_hist.sum()
    serial_kills = kills[3:].sum() / kills.sum()
    values = {"zero_kill_activated": activated.zero_kill_fraction(activated=True),
              "zero_kill_resting": resting.zero_kill_fraction(activated=False),
              "serial_minority_does_most": bool(serial_cells < 0.5 and serial_kills > 0.5),
              "some_resting_kill_3": bool(rest_hist[3:].sum() > 0),
              "serial_cell_share": serial_cells, "serial_kill_share": serial_kills}
    units = {"zero_kill_activated": "1", "zero_kill_resting": "1", "serial_cell_share": "1",
             "serial_kill_share": "1"}
    labels = [str(k) for k in range(act_hist.size)]
    fig = Figure(f"nk_tumour_abm: kills per NK cell in {24 * t_end_day:g} h, {replicates} replicates",
                 "kills per NK cell", "share of NK cells",
                 (Curve(labels, act_hist / act_hist.sum(), "activated (IL-12)", "bar"),
                  Curve(labels, rest_hist / rest_hist.sum(), "resting", "bar")))
    notes = (f"{act_hist.sum():,} activated and {rest_hist.sum():,} resting NK cells; cells with >= 3 kills: "
             f"{100 * serial_cells:.0f} % of activated cells, {100 * serial_kills:.0f} % of kills",)
    return CheckResult(values, units, fig, notes)


@register("nk_exhaustion")
def nk_exhaustion(ctx, *, assay_params, activating_il12_pg_per_ml, durations_day, replicates, seed):
    """Kills per activated NK cell over longer and longer assays (NK-04).

    Values: ``later_kills_slower`` (kills per cell per day fall from each
    interval to the next), ``targets_plentiful`` (over half of the targets
    are left at the end, so the slowing is not target depletion) and
    ``last_over_first_rate``.
    """
    means, left = [], []
    for t_end in durations_day:
        res = _agents(ctx, assay_params, activating_il12_pg_per_ml, t_end, replicates, seed)
        means.append(res.mean_kills_per_nk(activated=True))
        left.append(res.tumour_cells[:, -1].mean() / res.tumour_cells[:, 0].mean())
    edges = np.concatenate([[0.0], durations_day])
    rates = np.diff(np.concatenate([[0.0], means])) / np.diff(edges)
    values = {"later_kills_slower": bool(np.all(np.diff(rates) < 0)), "targets_plentiful": bool(left[-1] > 0.5),
              "last_over_first_rate": float(rates[-1] / rates[0])}
    fig = Figure("nk_tumour_abm: killing rate per activated NK cell", "assay interval end [day]",
                 "kills per cell per day",
                 (Curve(list(durations_day), rates, "kill rate in each interval", "points"),
                  Curve(list(durations_day), rates, "", "line")))
    notes = ("mean kills per activated cell: " + ", ".join(f"{m:.2f}" for m in means)
             + f"; targets left at the end: {100 * left[-1]:.0f} %",)
    return CheckResult(values, {"last_over_first_rate": "1"}, fig, notes)
