"""Calibrate efgartigimod's disposition in ``fcrn_pk`` on its own steady-state PK (Jing et al. 2024).

Jing S, Zhang Y, Lin Y, et al. Pharmacokinetics, pharmacodynamics, and safety of
intravenous efgartigimod and subcutaneous efgartigimod PH20 in healthy Chinese
participants. Drugs R D 2024;24:505-515 (doi:10.1007/s40268-024-00490-6):
after the 4th of four weekly doses, 10 mg/kg IV over 1 h gave a mean Cmax of
194 ug/mL (end of infusion) and AUC0-168h of 5300 ug*h/mL; 1000 mg SC PH20
gave 42.1 ug/mL (median Tmax 47.74 h) and 4790 ug*h/mL. The label's terminal
half-life, 80-120 h (VYVGART prescribing information), is a fifth datum: 100 h
with sigma 0.1 on the log scale, read as the log-linear slope of the serum drug
on days 7-14 after one 10 mg/kg IV dose. Cmax, AUC over a dosing interval and a
half-life are not PEtab observables, so this problem is this script and
``measurements.tsv`` (one row per summary statistic, its window and sigma).
Estimated: ``fcra_capture`` and ``fcra_capture_h`` (capture of plasma
drug by free endothelial and haematopoietic FcRn at pH 7.4, K_D 320 nM),
``fcra_release`` and ``fcra_ka`` (log10); fixed: ``fcra_uptake`` 1 (fluid-phase
pinocytosis only, the receptor-mediated uptake being the capture),
``fcra_f_sc`` at the label's 77 %, ``fcra_kd`` and ``fcra_kd_surface`` at
Ulrichts et al.'s 14.2 and 320 nM. Multi-start trust-region least squares, Wald intervals, ``fitted.toml``.
The IgG lowering is never fitted. Run from the repository root::

    python fits/efgartigimod/calibrate.py

``--free-extravasation`` also estimates ``fcra_extravasation`` (the drug's
transcapillary escape relative to IgG's, 0.05-3) and only prints the result:
these five summaries do not identify it (see README.md), so the shipped fit
keeps IgG's value, 1.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares
from scipy.stats import norm, qmc

import ivigsim as iv

HERE = Path(__file__).resolve().parent
SEED, N_STARTS = 20261206, 6
BODY_WEIGHT_KG = 70.0                      # the abstract gives no mean weight; the reference adult
NAMES = ("fcra_capture", "fcra_capture_h", "fcra_release", "fcra_ka")
LOWER = np.log10([1e-4, 1e-4, 0.001, 0.05])
UPPER = np.log10([1000.0, 1000.0, 1.0, 10.0])
FIXED = {"fcra_uptake": 1.0}
R = iv.Regimen
CONDITIONS = {
    "iv_10_mg_per_kg_weekly_x4": R.fcrn_antagonist("efgartigimod", dose_mg_per_kg=10.0, every_days=7.0, doses=4),
    "sc_1000_mg_weekly_x4": R.fcrn_antagonist("efgartigimod", dose_mg=1000.0, every_days=7.0, doses=4, route="sc"),
    "iv_10_mg_per_kg_single": R.fcrn_antagonist("efgartigimod", dose_mg_per_kg=10.0, doses=1),
}


def read_measurements():
    with open(HERE / "measurements.tsv", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


class Objective:
    """Log-scale residuals of Cmax, AUC and the terminal half-life over each row's window."""

    def __init__(self, rows):
        self.rows = rows
        self.model = iv.load_model("fcrn_pk")

    def summaries(self, x):
        params = {**FIXED, **dict(zip(NAMES, (10.0 ** np.asarray(x)).tolist()))}
        out, cache = [], {}
        for row in self.rows:
            cid, start, end = row["simulationConditionId"], float(row["windowStartDay"]), float(row["windowEndDay"])
            if cid not in cache:
                grid = np.linspace(start, end, int(round((end - start) * 24 * 4)) + 1)   # every 15 min
                res = iv.simulate(self.model, regimen=CONDITIONS[cid], t_end=end, body_weight_kg=BODY_WEIGHT_KG,
                                  params=params, t_eval=grid, rtol=1e-8)
                cache[cid] = (grid, res["antagonist_concentration"])
            grid, conc = cache[cid]
            if row["observableId"] == "cmax":
                out.append(float(np.max(conc)))
            elif row["observableId"] == "half_life":               # h, from the log-linear slope
                slope = np.polyfit(grid, np.log(conc), 1)[0]
                out.append(float(-np.log(2.0) / slope * 24.0))
            else:
                out.append(float(np.trapezoid(conc, grid * 24.0)))              # ug*h/mL
        return np.array(out)

    def residuals(self, x):
        measured = np.array([float(r["measurement"]) for r in self.rows])
        sigma = np.array([float(r["sigmaLog"]) for r in self.rows])
        return (np.log(self.summaries(x)) - np.log(measured)) / sigma


def free_extravasation():
    """Estimate fcra_extravasation too (bounds 0.05-3); the result is printed, not written."""
    global NAMES, LOWER, UPPER
    NAMES = NAMES + ("fcra_extravasation",)
    LOWER, UPPER = np.append(LOWER, np.log10(0.05)), np.append(UPPER, np.log10(3.0))


def main(write=True):
    objective = Objective(read_measurements())
    unit = qmc.LatinHypercube(d=len(NAMES), seed=np.random.default_rng(SEED)).random(N_STARTS)
    results = []
    for x0 in LOWER + unit * (UPPER - LOWER):
        try:
            results.append(least_squares(objective.residuals, x0, bounds=(LOWER, UPPER), method="trf",
                                         diff_step=1e-4, xtol=1e-10, ftol=1e-10))
        except Exception as exc:        # a start whose simulation fails is recorded and the others go on
            print(f"start {x0} failed: {exc}", file=sys.stderr)
    results.sort(key=lambda r: r.cost)
    best = results[0]
    n_converged = sum(abs(r.cost - best.cost) <= 1e-6 * max(best.cost, 1e-12) for r in results)
    cov = np.linalg.pinv(best.jac.T @ best.jac)
    half = norm.ppf(0.975) * np.sqrt(np.diag(cov))
    lines = ["# Written by fits/efgartigimod/calibrate.py; do not edit by hand.",
             f"# Best of the starts: objective (sum of squared weighted residuals) {2 * best.cost:.6g};",
             f"# {n_converged} of {len(results)} starts reached it within 1e-6 relative.",
             "# ci95: Wald intervals from the Jacobian at the optimum on the log10 scale.", ""]
    for k, name in enumerate(NAMES):
        low, high = 10 ** (best.x[k] - half[k]), 10 ** (best.x[k] + half[k])
        print(f"{name:14s} {10 ** best.x[k]:10.5g}  95% CI [{low:.5g}, {high:.5g}]")
        lines += [f"[{name}]", f"value = {10 ** best.x[k]:.6g}", f"ci95 = [{low:.6g}, {high:.6g}]", ""]
    print("objective", 2 * best.cost, "starts at the best:", n_converged, "of", len(results))
    for row, value in zip(objective.rows, objective.summaries(best.x)):
        print(f"{row['observableId']:5s} {row['simulationConditionId']:28s} data {row['measurement']:>6s} model {value:9.4g}")
    if not write:
        return
    tmp = HERE / "fitted.toml.tmp"
    tmp.write_text("\n".join(lines))
    os.replace(tmp, HERE / "fitted.toml")


if __name__ == "__main__":
    if "--free-extravasation" in sys.argv[1:]:
        free_extravasation()
        main(write=False)
    else:
        main()
