"""Scan the endothelial FcRn pool (``fcrn_total``) through the data the antagonist predictions may use.

For each endothelial pool size given on the command line, in uM:

1. the IgG problem (fits/fcrn_human) is refitted with ``fcrn_total`` fixed there
   (its five other estimates free), the profile likelihood of ``fcrn_total`` in
   the IgG data;
2. nipocalimab (fits/nipocalimab, serum drug and monocyte occupancy) and
   efgartigimod (fits/efgartigimod, exposure after the 4th dose) are refitted
   on their own data with those FcRn values;
3. the IgG lowering of targets TH-02, TH-03 and TH-05 is predicted with the
   refitted drugs (never fitted), and TH-04 with the catalogue's provisional
   rozanolixizumab set.

Each line printed is one pool size: the objectives (sums of squared weighted
residuals) of the three data sets, the predicted lowerings and the fitted FcRn
values. The numbers are those of README.md's pool table. Nothing is written.
Run from the repository root (about 3 minutes per pool size on a quiet
machine)::

    python fits/fcrn_joint/pool_scan.py 49.8 3.5 1.22
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

import ivigsim as iv
from ivigsim.analysis.fitting.objective import Objective
from ivigsim.analysis.fitting.reader import load_problem

FITS = Path(__file__).resolve().parent.parent
IGG_ESTIMATED = ("cl_uptake", "k_deg", "cl_uptake_h", "fcrn_total_h")
R = iv.Regimen
# target -> (regimen, day read or None for the deepest fall, drug); 70 kg, 56 days, as validation/targets.toml
TARGETS = {
    "TH-02": (R.fcrn_antagonist("efgartigimod", dose_mg_per_kg=10.0, every_days=7.0, doses=4), None, "efgartigimod"),
    "TH-03": (R.fcrn_antagonist("efgartigimod", dose_mg=1000.0, route="sc", every_days=7.0, doses=4), None,
              "efgartigimod"),
    "TH-04": (R.fcrn_antagonist("rozanolixizumab", dose_mg_per_kg=7.0, doses=1), 10.0, "rozanolixizumab"),
    "TH-05": (R.fcrn_antagonist("nipocalimab", dose_mg_per_kg=60.0, doses=1), None, "nipocalimab"),
}


def _with_fixed(directory, fixed):
    """A temporary copy of a PEtab fit problem whose parameter table fixes ``fixed`` (name -> value)."""
    copy = Path(tempfile.mkdtemp()) / directory.name
    shutil.copytree(directory, copy)
    table = copy / "parameters.tsv"
    lines = table.read_text().splitlines()
    header, rows = lines[0], [line.split("\t") for line in lines[1:]]
    named = {row[0] for row in rows}
    for row in rows:
        if row[0] in fixed:
            row[3], row[4] = str(min(float(row[3]), fixed[row[0]])), str(max(float(row[4]), fixed[row[0]]))
            row[5], row[6] = repr(fixed[row[0]]), "0"
    rows += [[name, name, "log10", repr(v / 2), repr(v * 2), repr(v), "0"] for name, v in fixed.items()
             if name not in named]
    table.write_text("\n".join([header] + ["\t".join(row) for row in rows]) + "\n")
    return copy


def _least_squares(objective, n_starts, seed):
    """Best of the nominal start and uniform random starts (trust-region reflective)."""
    nominal = np.array([float(p.to_scale(p.nominal)) for p in objective.estimated])
    nominal = np.clip(nominal, objective.lower, objective.upper)
    rng = np.random.default_rng(seed)
    starts = [nominal] + [objective.lower + rng.random(len(nominal)) * (objective.upper - objective.lower)
                          for _ in range(n_starts - 1)]
    return _best_of(objective, starts)


def _best_of(objective, starts):
    """Best trust-region-reflective fit over ``starts``: (objective, fitted values)."""
    best = None
    for k, x0 in enumerate(starts):
        try:
            res = least_squares(objective.residuals, x0, jac=objective.residual_jacobian,
                                bounds=(objective.lower, objective.upper), method="trf",
                                xtol=1e-10, ftol=1e-10, max_nfev=300)
        except iv.IvigsimError as exc:          # a start whose simulation fails; the others go on
            print(f"  start {k} failed: {exc}", file=sys.stderr)
            continue
        if best is None or res.cost < best.cost:
            best = res
    return 2 * best.cost, dict(zip(objective.names, (10.0 ** best.x).tolist()))


def _efgartigimod(fcrn):
    """fits/efgartigimod refitted with the FcRn values ``fcrn``: (objective, drug values)."""
    spec = importlib.util.spec_from_file_location("efgartigimod_calibrate", FITS / "efgartigimod" / "calibrate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.FIXED.update(fcrn)
    objective = module.Objective(module.read_measurements())
    best = None
    for k in range(3):
        x0 = module.LOWER + np.random.default_rng(k).random(len(module.NAMES)) * (module.UPPER - module.LOWER)
        res = least_squares(objective.residuals, x0, bounds=(module.LOWER, module.UPPER), method="trf",
                            diff_step=1e-4, xtol=1e-10, ftol=1e-10)
        if best is None or res.cost < best.cost:
            best = res
    return 2 * best.cost, dict(zip(module.NAMES, (10.0 ** best.x).tolist()))


def lowerings(fcrn, drugs):
    """Predicted lowering of total IgG (%) for TH-02..TH-05 with FcRn values and drug values."""
    model = iv.load_model("fcrn_pk")
    grid = np.linspace(0.0, 56.0, 561)
    untreated = iv.simulate(model, t_end=56.0, body_weight_kg=70.0, t_eval=grid, params=fcrn)["igg_total"]
    out = {}
    for target, (regimen, read_day, drug) in TARGETS.items():
        res = iv.simulate(model, regimen=regimen, t_end=56.0, body_weight_kg=70.0, t_eval=grid,
                          params={**fcrn, **drugs.get(drug, {})})
        fall = 100.0 * (1.0 - res["igg_total"] / untreated)
        out[target] = round(float(np.interp(read_day, grid, fall) if read_day else fall.max()), 1)
    return out


def scan(fcrn_total):
    """One pool size: objectives, predictions and fitted values (a dict)."""
    igg_obj, igg = _least_squares(Objective(load_problem(_with_fixed(FITS / "fcrn_human",
                                                                     {"fcrn_total": fcrn_total}))), 6, 1)
    fcrn = {"fcrn_total": fcrn_total, **{name: igg[name] for name in IGG_ESTIMATED}}
    nipo_obj, nipo = _least_squares(Objective(load_problem(_with_fixed(FITS / "nipocalimab", fcrn))), 4, 2)
    efg_obj, efg = _efgartigimod(fcrn)
    predicted = lowerings(fcrn, {"nipocalimab": nipo, "efgartigimod": {**efg, "fcra_uptake": 1.0}})
    return {"fcrn_total_uM": fcrn_total, "objective_igg": round(igg_obj, 3), "objective_nipocalimab": round(nipo_obj, 1),
            "objective_efgartigimod": round(efg_obj, 3), "lowering_percent": predicted,
            "fcrn": {k: round(v, 6) for k, v in fcrn.items()}, "nipocalimab": {k: round(v, 6) for k, v in nipo.items()},
            "efgartigimod": {k: round(v, 6) for k, v in efg.items()}}


if __name__ == "__main__":
    for value in sys.argv[1:] or ["49.8", "3.5", "1.22"]:
        print(json.dumps(scan(float(value))), flush=True)
