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
different local optima from row to row. Run from the repository root::

    python fits/fcrn_joint/kd_scan.py 49.8:630 12:630 > rows.jsonl
    python fits/fcrn_joint/pool_table.py --roza-starts 12 < rows.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

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


def table_row(row, roza_starts=0):
    """One markdown row of the pool table."""
    igg_fail = {tid for tid, t in row["targets"].items() if t["outcome"] != "pass"}
    igg = "all as expected" if igg_fail == IGG_TARGETS_EXPECTED_FAIL else "changed: " + ", ".join(sorted(igg_fail))
    roza_obj, roza, th04 = row["objective_rozanolixizumab"], row["drugs"]["rozanolixizumab"], \
        row["lowering_refitted"]["TH-04"]
    if roza_starts:
        roza_obj, roza, th04 = refit_rozanolixizumab(row, roza_starts)
    cells = []
    objs = {"nipocalimab": row["objective_nipocalimab"], "efgartigimod": row["objective_efgartigimod"],
            "rozanolixizumab": roza_obj}
    values = {**row["drugs"], "rozanolixizumab": roza}
    for drug in ("nipocalimab", "efgartigimod", "rozanolixizumab"):
        bound = on_bounds(drug, values[drug])
        cells.append(f"{objs[drug]:.2f}" + (f" ({', '.join(bound)})" if bound else ""))
    total = sum(objs.values())
    low = row["lowering_refitted"]
    return (f"| {row['fcrn_total_uM']:g} µM | {row['fcrn']['k_recycle']:.0f} | {row['objective_igg']:.4f} | {igg} | "
            + " | ".join(cells)
            + f" | {total:.1f} | {objs['nipocalimab'] + objs['efgartigimod']:.1f} | {low['TH-02']} % | "
              f"{low['TH-03']} % | {th04} % | {low['TH-05']} % |")


if __name__ == "__main__":
    starts = int(sys.argv[sys.argv.index("--roza-starts") + 1]) if "--roza-starts" in sys.argv else 0
    rows = sorted((json.loads(line) for line in sys.stdin if line.strip()), key=lambda r: -r["fcrn_total_uM"])
    for r in rows:
        print(table_row(r, starts), flush=True)
