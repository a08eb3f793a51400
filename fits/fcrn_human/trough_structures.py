"""PK-40 under the published cohorts' conditions: residual synthesis, dosing interval, plasma volume.

Each scenario changes what the simulated patients are, not the model's FcRn
parameters, and reports the steady-trough slope per 100 mg/kg every 4 weeks the
way PK-40 computes it (the last of 13 troughs, IVIG over 4 h). Scenarios:

``synthesis``
    Residual IgG synthesis, as most of the meta-analysed patients had (common
    variable immunodeficiency rather than agammaglobulinaemia): the slope at
    synthesis rates whose untreated steady IgG spans 0-4.5 g/L.
``interval``
    The meta-regressions pool studies dosing every 3 and every 4 weeks; the
    slope per 100 mg/kg every 4 weeks at each interval, and the between-study
    regression of a virtual set of study means (28 studies as in Lee et al.
    2020: per-infusion dose 387-560 mg/kg, a share of them every 3 weeks,
    residual synthesis drawn from the scan above), regressed as the papers did
    (trough on dose per 4 weeks, ordinary least squares).
``plasma_volume``
    The patient's plasma volume at the model's bounds (30-60 mL/kg).

Run from the repository root (a few minutes on two cores)::

    python fits/fcrn_human/trough_structures.py [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from trough_harness import judge, targets_by_id  # noqa: E402

import ivigsim as iv  # noqa: E402

SYNTHESIS_MG_PER_KG_PER_DAY = (0.0, 1.5, 3.0, 4.5, 7.0)
SEED = 40


def slope(params, doses=(0.4, 0.6), every_days=28.0):
    """PK-40's slope, troughs and plateau flag for one patient (parameter overrides)."""
    target = targets_by_id(["PK-40"])[0]
    extra = {"PK-40": {"doses_g_per_kg": list(doses), "every_days": every_days,
                       "params": {**target.conditions["params"], **params},
                       "cycles": int(round(364.0 / every_days))}}
    row = judge([target], {}, extra)["PK-40"]
    values = [c.simulated for c in row.criteria]
    notes = row.notes
    return {"slope": values[0], "plateau": bool(values[1]), "notes": list(notes)}


def troughs(doses, every_days, synthesis):
    """Steady troughs (g/L) for per-infusion doses at one interval and synthesis rate."""
    out = []
    cycles = int(round(364.0 / every_days))
    for d in doses:
        res = iv.simulate("fcrn_pk", regimen=iv.Regimen.ivig(dose_g_per_kg=d, days=1, infusion_hours=4.0,
                                                             every_days=every_days, cycles=cycles),
                          t_end=every_days * cycles, body_weight_kg=70.0,
                          params={"igg_production": synthesis, "aab_production": 0.0})
        out.append(float(res.at("igg_total", every_days * cycles - 1e-9)))
    return np.array(out)


def untreated_igg(synthesis):
    if synthesis == 0.0:
        return 0.0
    res = iv.simulate("fcrn_pk", t_end=1.0, body_weight_kg=70.0, params={"igg_production": synthesis})
    return float(res["igg_total"][0])


def virtual_meta_regression(table, share_3_weekly, synthesis, n_studies=28, seed=SEED):
    """OLS slope of study-mean trough on dose per 4 weeks over a virtual set of studies.

    ``table[(interval, synthesis)]`` = (dose grid, troughs); each study draws a
    per-infusion dose uniformly in 387-560 mg/kg (Lee et al. 2020's range of
    study means), an interval (21 days with probability ``share_3_weekly``) and
    a residual synthesis rate from ``synthesis``; its mean trough is interpolated.
    """
    rng = np.random.default_rng(seed)
    x, y = [], []
    synth = list(synthesis)
    for _ in range(n_studies):
        dose = rng.uniform(0.387, 0.560)
        interval = 21.0 if rng.random() < share_3_weekly else 28.0
        s = synth[rng.integers(len(synth))]
        grid, tr = table[(interval, s)]
        x.append(dose * 28.0 / interval / 0.1)          # in units of 100 mg/kg every 4 weeks
        y.append(float(np.interp(dose, grid, tr)))
    return float(np.polyfit(x, y, 1)[0])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    report = {}

    report["synthesis"] = [{"igg_production": s, "untreated_igg_g_per_l": untreated_igg(s),
                            **slope({"igg_production": s})} for s in SYNTHESIS_MG_PER_KG_PER_DAY]
    for r in report["synthesis"]:
        print(f"synthesis {r['igg_production']:4.1f} mg/kg/day (untreated {r['untreated_igg_g_per_l']:.2f} g/L):"
              f" slope {r['slope']:.3f}", flush=True)

    report["interval"] = {str(int(e)): slope({}, every_days=e) for e in (21.0, 28.0)}
    for e, r in report["interval"].items():
        print(f"every {e} days, agammaglobulinaemia: slope {r['slope']:.3f} per 100 mg/kg/4 weeks", flush=True)

    grid = np.array([0.35, 0.45, 0.6])
    table = {(e, s): (grid, troughs(grid, e, s)) for e in (21.0, 28.0) for s in SYNTHESIS_MG_PER_KG_PER_DAY}
    report["meta_regression"] = {}
    for label, synthesis in (("agammaglobulinaemia", (0.0,)), ("synthesis 0-7 mg/kg/day", SYNTHESIS_MG_PER_KG_PER_DAY)):
        for share in (0.0, 0.25, 0.5, 0.75, 1.0):
            sets = [virtual_meta_regression(table, share, synthesis, seed=SEED + k) for k in range(50)]
            many = virtual_meta_regression(table, share, synthesis, n_studies=20000, seed=SEED)
            report["meta_regression"][f"{label}, share every 3 weeks {share}"] = {
                "slope_many_studies": many, "slope_28_studies_median": float(np.median(sets)),
                "slope_28_studies_5_95": [float(np.percentile(sets, 5)), float(np.percentile(sets, 95))]}
            print(f"virtual meta-regression, {label}, share every 3 weeks {share}: slope {many:.3f} over "
                  f"20,000 studies; sets of 28: median {np.median(sets):.3f}, 5-95 % "
                  f"{np.percentile(sets, 5):.3f}-{np.percentile(sets, 95):.3f}", flush=True)

    report["plasma_volume"] = {str(v): slope({"v_plasma": v}) for v in (0.03, 0.042, 0.06)}
    for v, r in report["plasma_volume"].items():
        print(f"v_plasma {v} L/kg: slope {r['slope']:.3f}", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
