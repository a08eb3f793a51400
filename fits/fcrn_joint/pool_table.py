"""Tabulate kd_scan.py's rows for the pool scan; optionally refit rozanolixizumab from more starts.

Reads the JSON lines that ``kd_scan.py`` prints (standard input), and prints one
markdown row per line: the IgG objective and targets, each drug's objective
(a sum of squared weighted residuals) with the names of its values that sit on
a bound, the summed drug objective (the joint misfit of the three drugs' own
data) and the predicted TH-02 to TH-05 (never fitted).

``--roza-starts N`` refits rozanolixizumab on its own data at each row's FcRn
values from N starts (its nominal start and N - 1 uniform random ones, seed 3
as kd_scan.py) and uses the best of that and the row's own fit: its objective
is set mostly by one point (1 mg/kg, 6 h) and its four-start fits land in
different local optima from row to row. ``--efg-starts N`` does the same for
efgartigimod (its random starts 3 to N - 1 beside the row's three). Run from
the repository root::

    python fits/fcrn_joint/kd_scan.py 49.8:630 12:630 > rows.jsonl
    python fits/fcrn_joint/pool_table.py --roza-starts 12 < rows.jsonl
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ivigsim.analysis.fitting.objective import Objective  # noqa: E402
from ivigsim.analysis.fitting.reader import load_problem  # noqa: E402
from pool_scan import FITS, _least_squares, _with_fixed, lowerings  # noqa: E402

# efgartigimod's bounds (fits/efgartigimod/calibrate.py: LOWER, UPPER); the others come from parameters.tsv
EFGARTIGIMOD_BOUNDS = {"fcra_capture": (1e-4, 1000.0), "fcra_capture_h": (1e-4, 1000.0),
                       "fcra_release": (0.001, 1.0), "fcra_ka": (0.05, 10.0)}
IGG_TARGETS_EXPECTED_FAIL = {"PK-40"}


def _bounds(drug):
    """name -> (lower, upper) of the estimated values of a drug's own fit problem."""
    if drug == "efgartigimod":
        return EFGARTIGIMOD_BOUNDS
    lines = (FITS / drug / "parameters.tsv").read_text().splitlines()[1:]
    rows = [line.split("\t") for line in lines]
    return {row[0]: (float(row[3]), float(row[4])) for row in rows if row[6] == "1"}


def on_bounds(drug, values, rel=0.01):
    """Names of ``values`` within ``rel`` (on the log10 scale, as a fraction of the range) of a bound."""
    out = []
    for name, (lo, hi) in _bounds(drug).items():
        if name not in values:
            continue
        span = np.log10(hi) - np.log10(lo)
        x = np.log10(values[name])
        if x - np.log10(lo) < rel * span or np.log10(hi) - x < rel * span:
            out.append(name.removeprefix("fcra_"))
    return out


def refit_rozanolixizumab(row, n_starts):
    """Best of kd_scan's fit and an ``n_starts`` refit at the row's FcRn values (objective, values)."""
    fcrn = row["fcrn"]
    obj, values = _least_squares(Objective(load_problem(_with_fixed(FITS / "rozanolixizumab", fcrn))), n_starts, 3)
    if obj < row["objective_rozanolixizumab"]:
        drugs = {**row["drugs"], "rozanolixizumab": {"fcra_uptake": 1.0, "fcra_extravasation": 1.0,
                                                      "fcra_capture": 0.0, **values}}
        predicted = lowerings(fcrn, drugs)
        return round(obj, 2), values, predicted["TH-04"]
    return row["objective_rozanolixizumab"], row["drugs"]["rozanolixizumab"], row["lowering_refitted"]["TH-04"]


def refit_efgartigimod(row, n_starts):
    """Best of kd_scan's fit (seeds 0-2) and random starts 3 to ``n_starts`` - 1: objective, values, TH-02, TH-03."""
    spec = importlib.util.spec_from_file_location("efgartigimod_calibrate", FITS / "efgartigimod" / "calibrate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.FIXED.update(row["fcrn"])
    objective = module.Objective(module.read_measurements())
    best = None
    for k in range(3, n_starts):            # seeds 0-2 are the row's own fit
        x0 = module.LOWER + np.random.default_rng(k).random(len(module.NAMES)) * (module.UPPER - module.LOWER)
        res = least_squares(objective.residuals, x0, bounds=(module.LOWER, module.UPPER), method="trf",
                            diff_step=1e-4, xtol=1e-10, ftol=1e-10)
        if best is None or res.cost < best.cost:
            best = res
    if best is not None and 2 * best.cost < row["objective_efgartigimod"]:
        values = {"fcra_uptake": 1.0, "fcra_extravasation": 1.0, **dict(zip(module.NAMES, (10.0 ** best.x).tolist()))}
        predicted = lowerings(row["fcrn"], {**row["drugs"], "efgartigimod": values})
        return round(2 * best.cost, 4), values, predicted["TH-02"], predicted["TH-03"]
    low = row["lowering_refitted"]
    return row["objective_efgartigimod"], row["drugs"]["efgartigimod"], low["TH-02"], low["TH-03"]


def table_row(row, roza_starts=0, efg_starts=0):
    """One markdown row of the pool table."""
    igg_fail = {tid for tid, t in row["targets"].items() if t["outcome"] != "pass"}
    igg = "all as expected" if igg_fail == IGG_TARGETS_EXPECTED_FAIL else "changed: " + ", ".join(sorted(igg_fail))
    roza_obj, roza, th04 = row["objective_rozanolixizumab"], row["drugs"]["rozanolixizumab"], \
        row["lowering_refitted"]["TH-04"]
    if roza_starts:
        roza_obj, roza, th04 = refit_rozanolixizumab(row, roza_starts)
    efg_obj, efg, th02, th03 = (row["objective_efgartigimod"], row["drugs"]["efgartigimod"],
                                row["lowering_refitted"]["TH-02"], row["lowering_refitted"]["TH-03"])
    if efg_starts > 3:
        efg_obj, efg, th02, th03 = refit_efgartigimod(row, efg_starts)
    cells = []
    objs = {"nipocalimab": row["objective_nipocalimab"], "efgartigimod": efg_obj, "rozanolixizumab": roza_obj}
    values = {**row["drugs"], "rozanolixizumab": roza, "efgartigimod": efg}
    for drug in ("nipocalimab", "efgartigimod", "rozanolixizumab"):
        bound = on_bounds(drug, values[drug])
        cells.append(f"{objs[drug]:.2f}" + (f" ({', '.join(bound)})" if bound else ""))
    total = sum(objs.values())
    low = row["lowering_refitted"]
    return (f"| {row['fcrn_total_uM']:g} µM | {row['fcrn']['k_recycle']:.0f} | {row['objective_igg']:.4f} | {igg} | "
            + " | ".join(cells)
            + f" | {total:.1f} | {objs['nipocalimab'] + objs['efgartigimod']:.1f} | {th02} % | "
              f"{th03} % | {th04} % | {low['TH-05']} % |")


if __name__ == "__main__":
    def option(name):
        return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else 0
    rows = sorted((json.loads(line) for line in sys.stdin if line.strip()), key=lambda r: -r["fcrn_total_uM"])
    for r in rows:
        print(table_row(r, option("--roza-starts"), option("--efg-starts")), flush=True)
