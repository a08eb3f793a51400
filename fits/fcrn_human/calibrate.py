"""Calibrate the human FcRn parameters of ``fcrn_pk`` on the tables of this directory.

Reads the PEtab tables (conditions, measurements, observables, parameters) and
``ivigsim.toml`` next to this file, simulates every condition with
:func:`ivigsim.simulate`, and minimises the weighted residuals on the estimation
scale with :func:`scipy.optimize.least_squares` (trust-region reflective), from
``n_starts`` Latin-hypercube starting points drawn from the problem's seed.

95 % confidence intervals are Wald intervals from the Jacobian at the optimum,
on the log10 scale (covariance ``(J^T J)^-1``, the sigmas being absolute), mapped
back to the parameter's unit. The result is written to ``fitted.toml``.

Only the subset of PEtab this problem uses is read (numeric noiseParameters,
one regimen per condition, log/lin transformations); ``ivigsim fit`` reads the
whole format. Run from the repository root::

    python fits/fcrn_human/calibrate.py
"""

from __future__ import annotations

import csv
import math
import os
import sys
import tomllib
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares
from scipy.stats import norm, qmc

import ivigsim as iv
from ivigsim.core.expressions import evaluate, parse_expression, symbols
from ivigsim.analysis.validation.registry import build_regimen

HERE = Path(__file__).resolve().parent


def read_tsv(name):
    """Rows of a PEtab table as dicts of stripped strings."""
    with open(HERE / name, newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle, delimiter="\t")]


def load_problem():
    """The problem as plain data: model, seed, conditions, measurements, observables, parameters."""
    settings = tomllib.loads((HERE / "ivigsim.toml").read_text())
    conditions = {}
    for row in read_tsv("conditions.tsv"):
        cid = row.pop("conditionId")
        row.pop("conditionName", None)
        spec = settings["conditions"][cid]
        conditions[cid] = {"params": {k: float(v) for k, v in row.items() if v},
                           "regimen": build_regimen(dict(spec.get("regimen", {"kind": "none"}))),
                           "body_weight_kg": float(spec.get("body_weight_kg", 70.0))}
    observables = {row["observableId"]: row for row in read_tsv("observables.tsv")}
    measurements = read_tsv("measurements.tsv")
    parameters = read_tsv("parameters.tsv")
    return settings["fit"], conditions, measurements, observables, parameters


def observe(res, formula, t_day):
    """An observable formula (whitelist expression of species, observables, parameters) at t_day."""
    node = parse_expression(formula)
    env = {name: (res.parameters[name] if name in res.parameters else float(res.at(name, t_day)))
           for name in symbols(node)}
    return float(evaluate(node, env))


class Objective:
    """Weighted residuals (model - data) / sigma on each observable's transformed scale."""

    def __init__(self, fit, conditions, measurements, observables, parameters):
        self.model = iv.load_model(fit["model"])
        self.t_end = float(fit.get("t_end_days", 28.0))
        self.conditions, self.measurements, self.observables = conditions, measurements, observables
        self.estimated = [p for p in parameters if p["estimate"] == "1"]
        self.fixed = {p["parameterId"]: float(p["nominalValue"]) for p in parameters if p["estimate"] == "0"}
        self.lower = np.log10([float(p["lowerBound"]) for p in self.estimated])
        self.upper = np.log10([float(p["upperBound"]) for p in self.estimated])
        self.names = [p["parameterId"] for p in self.estimated]

    def values(self, x):
        """Parameter overrides (declared units) for a point x on the log10 estimation scale."""
        return {**self.fixed, **dict(zip(self.names, (10.0 ** np.asarray(x)).tolist()))}

    def simulate(self, x):
        """Model predictions for every measurement row, in the observable's unit."""
        base = self.values(x)
        out, cache = [], {}
        for row in self.measurements:
            cid = row["simulationConditionId"]
            if cid not in cache:
                cond = self.conditions[cid]
                times = sorted({float(r["time"]) for r in self.measurements if r["simulationConditionId"] == cid})
                t_end = max(max(times), 1e-3)
                cache[cid] = iv.simulate(self.model, regimen=cond["regimen"], t_end=t_end,
                                         body_weight_kg=cond["body_weight_kg"],
                                         params={**base, **cond["params"]}, t_eval=np.array(times),
                                         rtol=1e-8)
            out.append(observe(cache[cid], self.observables[row["observableId"]]["observableFormula"],
                               float(row["time"])))
        return np.array(out)

    def residuals(self, x):
        predicted = self.simulate(x)
        res = np.empty(len(self.measurements))
        for i, (row, value) in enumerate(zip(self.measurements, predicted)):
            transform = self.observables[row["observableId"]]["observableTransformation"]
            measured, sigma = float(row["measurement"]), float(row["noiseParameters"])
            if transform == "log":
                res[i] = (math.log(value) - math.log(measured)) / sigma
            elif transform == "log10":
                res[i] = (math.log10(value) - math.log10(measured)) / sigma
            else:
                res[i] = (value - measured) / sigma
        return res


def fit(objective, seed, n_starts):
    """Multi-start trust-region reflective least squares; returns (best result, all results)."""
    unit = qmc.LatinHypercube(d=len(objective.names), seed=np.random.default_rng(seed)).random(n_starts)
    starts = objective.lower + unit * (objective.upper - objective.lower)
    results = []
    for x0 in starts:
        try:
            results.append(least_squares(objective.residuals, x0, bounds=(objective.lower, objective.upper),
                                         method="trf", x_scale=1.0, diff_step=1e-4, xtol=1e-10, ftol=1e-10))
        except Exception as exc:        # a start whose simulation fails is recorded and the others go on
            print(f"start {x0} failed: {exc}", file=sys.stderr)
    results.sort(key=lambda r: r.cost)
    return results[0], results


def wald_intervals(result, level=0.95):
    """Wald intervals on the log10 scale from the Jacobian at the optimum: (low, high) per parameter."""
    jac = result.jac
    cov = np.linalg.pinv(jac.T @ jac)
    half = norm.ppf(0.5 + level / 2.0) * np.sqrt(np.diag(cov))
    corr = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
    return result.x - half, result.x + half, corr


def write_result(path, objective, best, low, high, corr, n_converged):
    """fitted.toml: best values, 95 % Wald intervals, objective and correlations (atomic write)."""
    lines = [f"# Written by fits/{HERE.name}/calibrate.py; do not edit by hand.",
             f"# Best of the starts: objective (sum of squared weighted residuals) {2 * best.cost:.6g};",
             f"# {n_converged} starts reached it within 1e-6 relative.",
             "# ci95: Wald intervals from the Jacobian at the optimum on the log10 scale.", ""]
    for k, name in enumerate(objective.names):
        lines += [f"[{name}]", f"value = {10 ** best.x[k]:.6g}",
                  f"ci95 = [{10 ** low[k]:.6g}, {10 ** high[k]:.6g}]", ""]
    lines += ["[correlation]", "names = [" + ", ".join(f'"{n}"' for n in objective.names) + "]",
              "matrix = [" + ", ".join("[" + ", ".join(f"{v:.4f}" for v in row) + "]" for row in corr) + "]", ""]
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text("\n".join(lines))
    os.replace(tmp, path)


def main():
    fit_settings, conditions, measurements, observables, parameters = load_problem()
    objective = Objective(fit_settings, conditions, measurements, observables, parameters)
    best, results = fit(objective, int(fit_settings["seed"]), int(fit_settings["n_starts"]))
    n_converged = sum(abs(r.cost - best.cost) <= 1e-6 * max(best.cost, 1e-12) for r in results)
    low, high, corr = wald_intervals(best)
    for k, name in enumerate(objective.names):
        print(f"{name:16s} {10 ** best.x[k]:12.6g}  95% CI [{10 ** low[k]:.6g}, {10 ** high[k]:.6g}]")
    print("objective", 2 * best.cost, "starts at the best:", n_converged, "of", len(results))
    predicted = objective.simulate(best.x)
    for row, value, res in zip(measurements, predicted, best.fun):
        print(f"{row['observableId']:24s} {row['simulationConditionId']:16s} day {row['time']:>4s} "
              f"data {float(row['measurement']):9.4g} model {value:9.4g} weighted residual {res:7.2f}")
    write_result(HERE / "fitted.toml", objective, best, low, high, corr, n_converged)


if __name__ == "__main__":
    main()
