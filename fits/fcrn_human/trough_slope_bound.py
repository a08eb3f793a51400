"""The largest PK-40 trough slope fcrn_pk can reach inside the bands of the other FcRn targets.

PK-40 asks the steady trough of a patient without IgG synthesis, on IVIG every
4 weeks, to rise 0.73-1.21 g/L per 100 mg/kg (Lee et al. 2020; Orange et al.
2010). This script maximises that slope over fcrn_pk's FcRn and distribution
parameters, with every criterion of the listed targets held inside its band,
the targets judged exactly as ``ivigsim validate`` judges them
(``trough_harness.py``). Two constraint sets:

* ``kim``: PK-03, PK-04, PK-06, PK-07, PK-16 (the concentration-catabolism law,
  its level at normal IgG, the intravascular fraction, Bleeker's fall);
* ``all``: the same plus PK-01 (normal IgG 10-12 g/L), PK-05 and TH-01
  (Waldmann & Terry's five-fold catabolism without FcRn).

Further targets could only lower the bound, so each result is an upper bound on
what that set of targets allows.

The optimiser is SLSQP on the log10 scale from several starts (the shipped
values and Latin-hypercube points inside the bounds), each constraint written as
(value - low) and (high - value) over the band's half-width; the best point is
judged again in full (directions included). A short arithmetic part states the
same limit as an equivalent marginal half-life. Run from the repository root
(a few minutes per start on two cores)::

    python fits/fcrn_human/trough_slope_bound.py [--starts N] [--set kim|all]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.stats import qmc

sys.path.insert(0, str(Path(__file__).resolve().parent))
from trough_harness import judge, targets_by_id  # noqa: E402

import ivigsim as iv  # noqa: E402

# What may move, with the search bounds (the model file's own bounds where they are
# narrower; k_on, k_off, v_endosome_h and v_plasma stay: binding is near equilibrium,
# so only the products listed here matter, and v_plasma is the patient's, Kim's V1).
FREE = {
    "cl_uptake": (0.001, 0.05),
    "cl_uptake_h": (1e-4, 0.05),
    "k_deg": (10.0, 1e5),
    "fcrn_total": (1.0, 500.0),
    "fcrn_total_h": (0.05, 500.0),
    "k_recycle": (1.0, 100.0),
    "lymph_flow": (0.005, 0.5),
    "cl_extravasation": (0.001, 0.5),
}
# Transcapillary exchange: cl_extravasation is Rossing's measured escape rate (about
# 3 %/h) and lymph_flow follows from PK-03; --fixed-distribution keeps both shipped.
DISTRIBUTION = ("lymph_flow", "cl_extravasation")
SETS = {"kim": ["PK-03", "PK-04", "PK-06", "PK-07", "PK-16"],
        "all": ["PK-01", "PK-03", "PK-04", "PK-05", "PK-06", "PK-07", "PK-16", "TH-01"]}


def band_sides(row):
    """(value - low)/half and (high - value)/half for each numeric criterion of a row."""
    out = []
    for c in row.criteria:
        crit, value = c.criterion, c.simulated
        if crit.is_direction:
            continue
        if value is None or not math.isfinite(value):
            out += [-10.0, -10.0]
            continue
        half = 0.5 * (crit.high - crit.low)
        out += [(value - crit.low) / half, (crit.high - value) / half]
    return out


class Problem:
    """Slope and constraint sides as functions of log10 parameters, memoised."""

    def __init__(self, ids, free, margin=0.0):
        self.names = list(free)
        self.margin = margin
        self.lower = np.log10([FREE[n][0] for n in self.names])
        self.upper = np.log10([FREE[n][1] for n in self.names])
        self.targets = targets_by_id(ids + ["PK-40"])
        self.cache = {}

    def params(self, x):
        return {n: float(10.0 ** v) for n, v in zip(self.names, x)}

    def rows(self, x):
        key = tuple(np.round(x, 12))
        if key not in self.cache:
            try:
                rows = judge(self.targets, self.params(x))
            except Exception as exc:                 # noqa: BLE001 - a failed point is infeasible
                rows = exc
            self.cache[key] = rows
        return self.cache[key]

    def slope(self, x):
        rows = self.rows(x)
        if isinstance(rows, Exception) or rows["PK-40"].outcome == "error":
            return float("nan")
        return float(rows["PK-40"].criteria[0].simulated)

    def sides(self, x):
        rows = self.rows(x)
        n = sum(2 for t in self.targets[:-1] for c in t.criteria if not c.is_direction)
        if isinstance(rows, Exception):
            return np.full(n, -10.0)
        out = []
        for t in self.targets[:-1]:
            row = rows[t.id]
            out += band_sides(row) if row.outcome != "error" else [-10.0] * (
                2 * sum(1 for c in t.criteria if not c.is_direction))
        return np.array(out) - self.margin


def run_start(problem, x0, max_iter):
    res = minimize(lambda x: -problem.slope(x), x0, method="SLSQP",
                   bounds=list(zip(problem.lower, problem.upper)),
                   constraints=[{"type": "ineq", "fun": problem.sides}],
                   options={"maxiter": max_iter, "eps": 1e-4, "ftol": 1e-6})
    return res.x


def summarise(problem, x):
    rows = problem.rows(x)
    feasible = all(r.outcome == "pass" for i, r in rows.items() if i != "PK-40")
    values = {i: [c.simulated for c in r.criteria] for i, r in rows.items()}
    return {"slope": problem.slope(x), "feasible": feasible, "params": problem.params(x),
            "values": {i: [bool(v) if isinstance(v, (bool, np.bool_)) else v for v in vals]
                       for i, vals in values.items()}}


def equivalent_half_life(slope, v_ss_l_per_kg, interval_days=28.0):
    """Half-life (days) of a linear one-compartment body of volume v_ss whose trough rises ``slope``.

    A dose D every tau into volume V with first-order loss k leaves the steady
    trough (D/V) x/(1 - x), x = exp(-k tau); per 100 mg/kg that is ``slope``.
    """
    r = slope / (0.1 / v_ss_l_per_kg)
    x = r / (1.0 + r)
    return math.log(2.0) / (-math.log(x) / interval_days)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=4, help="starts (the first is the shipped values)")
    parser.add_argument("--set", choices=sorted(SETS), default="all")
    parser.add_argument("--max-iter", type=int, default=40)
    parser.add_argument("--seed", type=int, default=40)
    parser.add_argument("--spread", type=float, default=0.3,
                        help="Latin-hypercube starts within this many decades of the shipped values")
    parser.add_argument("--fixed-distribution", action="store_true",
                        help="keep lymph_flow and cl_extravasation at their shipped values")
    parser.add_argument("--out", default=None, help="write the result as JSON here")
    parser.add_argument("--margin", type=float, default=0.01,
                        help="keep each criterion this fraction of its half-width inside its band, so that "
                             "SLSQP's last iterate passes (it converges onto the active edges)")
    parser.add_argument("--from", dest="previous", default=None,
                        help="a previous result (JSON): start from its highest-slope end point instead")
    args = parser.parse_args(argv)

    free = [n for n in FREE if not (args.fixed_distribution and n in DISTRIBUTION)]
    problem = Problem(SETS[args.set], free, args.margin)
    model = iv.load_model("fcrn_pk")
    values = {q.name: q.value for q in model.parameters}
    shipped = np.log10([values[n] for n in problem.names])
    lhs = qmc.LatinHypercube(d=len(shipped), seed=args.seed).random(max(args.starts - 1, 0))
    # Latin-hypercube starts within +/- spread decades of the shipped values (inside the bounds)
    lo = np.maximum(problem.lower, shipped - args.spread)
    hi = np.minimum(problem.upper, shipped + args.spread)
    starts = [shipped] + [lo + u * (hi - lo) for u in lhs]
    if args.previous:
        ends = json.loads(Path(args.previous).read_text())["starts"]
        end = max(ends, key=lambda r: r["slope"])["params"]
        starts[0] = np.log10([end[n] for n in problem.names])

    results = []
    for k, x0 in enumerate(starts):
        t0 = time.perf_counter()
        x = run_start(problem, x0, args.max_iter)
        out = summarise(problem, x)
        out["start"] = k
        out["seconds"] = time.perf_counter() - t0
        results.append(out)
        print(f"start {k}: slope {out['slope']:.4f} g/L per 100 mg/kg, feasible {out['feasible']}, "
              f"{out['seconds']:.0f} s", flush=True)
    # SLSQP may end a hair outside a band: the bound is the best point it visited
    # at which every target passes, judged in full (directions included).
    best = None
    for key, rows in problem.cache.items():
        if isinstance(rows, Exception) or rows["PK-40"].outcome == "error":
            continue
        if all(r.outcome == "pass" for i, r in rows.items() if i != "PK-40"):
            if best is None or problem.slope(np.array(key)) > best["slope"]:
                best = summarise(problem, np.array(key))
    report_visited = len(problem.cache)
    shipped_out = summarise(problem, shipped)

    v_ss = values["v_plasma"] / 0.44
    arithmetic = {"v_ss_l_per_kg": v_ss,
                  "half_life_for_slope": {str(s): equivalent_half_life(s, v_ss)
                                          for s in (shipped_out["slope"], 0.73, 1.21)
                                          + ((best["slope"],) if best else ())}}
    report = {"set": args.set, "targets": SETS[args.set], "free": free, "points_judged": report_visited,
              "shipped": shipped_out, "best": best,
              "starts": results, "arithmetic": arithmetic}
    print(json.dumps({"set": args.set, "shipped_slope": shipped_out["slope"],
                      "best_slope": best and best["slope"], "best_params": best and best["params"],
                      "arithmetic": arithmetic}, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
