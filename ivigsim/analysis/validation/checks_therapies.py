"""Checks of the therapies beside IVIG: FcRn antagonists and plasma exchange (targets TH-01 to TH-06).

Every function is registered under its name and takes its conditions from
``validation/targets.toml``; see :mod:`ivigsim.analysis.validation.registry`.

The antagonists' lowering of IgG is a prediction: each drug is calibrated on
its own PK and FcRn binding only (``ivigsim/core/data/fcrn_antagonists.toml``).
How deep any FcRn blocker can lower IgG is bounded by the catabolism of IgG
with no FcRn at all, which TH-01 compares with the human FcRn-deficiency data.

References
----------
Waldmann TA, Terry WD. Familial hypercatabolic hypoproteinemia: a disorder of
endogenous catabolism of albumin and immunoglobulin. J Clin Invest
1990;86:2093-2098.
Ulrichts P, et al. J Clin Invest 2018;128:4372-4386 (efgartigimod).
Kiessling P, et al. Sci Transl Med 2017;9:eaan1208 (rozanolixizumab).
Ling LE, et al. Clin Pharmacol Ther 2019;105:1031-1039 (nipocalimab).
"""

from __future__ import annotations

import numpy as np

from ivigsim.analysis.validation.registry import CheckResult, Curve, Figure, register

__all__ = []


@register("fcrn_deficiency_catabolism")
def fcrn_deficiency_catabolism(ctx, *, model, body_weight_kg, knockout_params):
    """IgG with no FcRn against the wild type, both at their untreated steady states.

    Values: ``fcr_ratio`` (fractional catabolic rate of plasma IgG, knockout over
    wild type; at a steady state with the same synthesis it is the inverse of the
    plasma-pool ratio), ``body_pool_ratio`` (whole-body IgG, knockout over wild
    type) and the two plasma IgG concentrations (g/L).
    """
    wild = ctx.simulate(model, t_end=10.0, body_weight_kg=body_weight_kg)
    ko = ctx.simulate(model, t_end=10.0, body_weight_kg=body_weight_kg, params=knockout_params)
    drift = float(np.max(np.abs(ko["igg_total"] / ko["igg_total"][0] - 1.0)))
    fcr_ratio = float(wild["igg_total"][0] / ko["igg_total"][0])
    pool_ratio = float(ko["igg_body"][0] / wild["igg_body"][0])
    values = {"fcr_ratio": fcr_ratio, "body_pool_ratio": pool_ratio,
              "wild_type_igg": float(wild["igg_total"][0]), "knockout_igg": float(ko["igg_total"][0])}
    units = {"fcr_ratio": "1", "body_pool_ratio": "1", "wild_type_igg": "g/L", "knockout_igg": "g/L"}
    fig = Figure(f"{model}: IgG at steady state, wild type and no FcRn", "", "plasma IgG [g/L]",
                 (Curve(["wild type", "no FcRn"], [values["wild_type_igg"], values["knockout_igg"]],
                        kind="bar"),))
    return CheckResult(values, units, fig,
                       (f"plasma IgG {values['wild_type_igg']:.2f} g/L (wild type), "
                        f"{values['knockout_igg']:.2f} g/L (no FcRn); largest drift of the knockout "
                        f"steady state over 10 days {drift:.1e}",))


@register("total_igg_lowering")
def total_igg_lowering(ctx, *, model, body_weight_kg, regimen, t_end_day, read_day=None):
    """Deepest fall of total plasma IgG against the untreated patient.

    Values: ``lowering`` (%, 100 x (1 - IgG/IgG_untreated) at its deepest),
    ``nadir_day``, ``lowering_at_read_day`` (% at ``read_day``, when given) and
    ``max_occupancy_by_drug`` (largest fraction of FcRn held by an FcRn
    antagonist; 0 without one).
    """
    grid = np.linspace(0.0, t_end_day, int(round(t_end_day * 10)) + 1)
    res = ctx.simulate(model, regimen=regimen, t_end=t_end_day, body_weight_kg=body_weight_kg, t_eval=grid)
    untreated = ctx.simulate(model, t_end=t_end_day, body_weight_kg=body_weight_kg, t_eval=grid)
    fall = 100.0 * (1.0 - res["igg_total"] / untreated["igg_total"])
    k = int(np.argmax(fall))
    occupancy = float(np.max(res["fcrn_occupancy_antagonist"])) if np.any(res["fcra_p"]) else 0.0
    values = {"lowering": float(fall[k]), "nadir_day": float(grid[k]), "max_occupancy_by_drug": occupancy}
    units = {"lowering": "%", "nadir_day": "day", "max_occupancy_by_drug": "1"}
    if read_day is not None:
        values["lowering_at_read_day"] = float(np.interp(read_day, grid, fall))
        units["lowering_at_read_day"] = "%"
    fig = Figure(f"{model}: fall of total IgG against the untreated patient", "time [day]",
                 "IgG lowering [%]", (Curve(grid, fall, "simulated"),), range_on="lowering",
                 marker=(float(grid[k]), float(fall[k])))
    return CheckResult(values, units, fig,
                       (f"deepest fall {fall[k]:.1f} % on day {grid[k]:.1f}; largest FcRn occupancy by "
                        f"the drug {occupancy:.2f}",))
