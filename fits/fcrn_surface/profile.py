"""Profile-likelihood intervals of the surface fraction and cycling on rozanolixizumab's PK.

Each parameter is held at points on a log10 grid around its best value
(``rozanolixizumab/fitted.toml``), the other estimated parameters refitted from
the best point (trust-region least squares, their bounds), and the objective
recorded. The 95 % interval is where the profile stays within 3.84 (chi-square,
1 degree of freedom) of the best objective, linearly interpolated between grid
points; an end that the grid does not close is reported as open. Writes
``rozanolixizumab/profiles.toml``. Run from the repository root after
calibrate.py::

    python fits/fcrn_surface/profile.py
"""

from __future__ import annotations

import importlib.util
import os
import tomllib
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

HERE = Path(__file__).resolve().parent
PROFILED = ("fcrn_surface_fraction", "fcrn_surface_cycling")
# log10 steps around the best value: 0.005 near it (the profile is steep), 0.1 further out.
OFFSETS = np.unique(np.round(np.r_[np.arange(-0.06, 0.0601, 0.005), np.arange(-1.0, 1.0001, 0.1)], 4))
THRESHOLD = 3.841458820694124                                   # chi2(1) 95 %


def _calibrate():
    spec = importlib.util.spec_from_file_location("fcrn_surface_calibrate", HERE / "calibrate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def profile(problem, best_x, k):
    """(log10 value, objective) along parameter k, refitting the others from the best point."""
    others = [j for j in range(len(best_x)) if j != k]
    lower, upper = problem.lower[others], problem.upper[others]
    points = []
    for direction in (OFFSETS[OFFSETS <= 0][::-1], OFFSETS[OFFSETS >= 0]):
        x_start = best_x[others].copy()
        for off in direction:
            value = best_x[k] + off
            if not problem.lower[k] <= value <= problem.upper[k]:
                break

            def residuals(y, value=value):
                x = np.empty_like(best_x)
                x[k], x[others] = value, y
                return problem.residuals(x)
            fit = least_squares(residuals, np.clip(x_start, lower, upper), bounds=(lower, upper), method="trf",
                                diff_step=1e-4, xtol=1e-10, ftol=1e-10)
            x_start = fit.x                                     # continue from the neighbour
            points.append((float(value), float(2 * fit.cost)))
    return sorted(set(points))


def interval(points, best):
    """The 95 % interval on the parameter's scale from the profile points (None where open)."""
    xs, ys = np.array([p[0] for p in points]), np.array([p[1] for p in points])
    i = int(np.argmin(ys))
    ends = []
    for step in (-1, 1):
        j, end = i, None
        while 0 <= j + step < len(xs):
            if ys[j + step] - best > THRESHOLD:
                a, b = ys[j] - best, ys[j + step] - best
                end = xs[j] + (THRESHOLD - a) / (b - a) * (xs[j + step] - xs[j])
                break
            j += step
        ends.append(None if end is None else float(10 ** end))
    return ends


def main():
    cal = _calibrate()
    problem = cal.PetabProblem("rozanolixizumab")
    fitted = tomllib.loads((HERE / "rozanolixizumab" / "fitted.toml").read_text())
    best_x = np.log10([fitted[name]["value"] for name in problem.names])
    r = problem.residuals(best_x)
    best = float(r @ r)
    lines = ["# Written by fits/fcrn_surface/profile.py; do not edit by hand.",
             f"# Profiles on rozanolixizumab's PK; best objective {best:.6g}; 95 %: objective within {THRESHOLD:.3f}.", ""]
    for name in PROFILED:
        k = problem.names.index(name)
        points = profile(problem, best_x, k)
        low, high = interval(points, min(best, min(p[1] for p in points)))
        text = f"{'open' if low is None else f'{low:.4g}'} to {'open' if high is None else f'{high:.4g}'}"
        print(f"{name}: best {10 ** best_x[k]:.4g}, 95 % profile interval {text}")
        for value, obj in points:
            print(f"   {10 ** value:11.4g}  objective {obj:10.4f}")
        lines += [f"[{name}]", f"best = {10 ** best_x[k]:.6g}",
                  f"ci95_low = {'nan' if low is None else f'{low:.6g}'}",
                  f"ci95_high = {'nan' if high is None else f'{high:.6g}'}",
                  "values = [" + ", ".join(f"{10 ** v:.6g}" for v, _ in points) + "]",
                  "objective = [" + ", ".join(f"{o:.6g}" for _, o in points) + "]", ""]
    out = HERE / "rozanolixizumab" / "profiles.toml"
    tmp = out.with_suffix(".toml.tmp")
    tmp.write_text("\n".join(lines))
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
