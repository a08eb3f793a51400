"""Uncertainty at the optimum: Wald (Jacobian) intervals, correlations and profile likelihoods.

* **Wald**: the Fisher information is ``J^T J`` of the weighted residuals in
  least-squares mode, the finite-difference Hessian of the negative
  log-likelihood otherwise; its inverse is the asymptotic covariance on the
  estimation scale, and ``x +/- 1.96 se`` its 95 % interval.
* **Profiles**: each estimated parameter is stepped away from the optimum in
  both directions, the others re-optimised at every step (warm-started from
  the previous step), until the negative log-likelihood rises by
  ``chi2.ppf(0.95, 1) / 2 = 1.92`` (the 95 % likelihood-ratio threshold) or the
  bound is reached. The interval is where the profile crosses the threshold,
  located by up to two regula-falsi re-optimisations between the last two
  steps, then linear interpolation. A side that reaches its bound below
  the threshold leaves the interval open there: the parameter is not (fully)
  identifiable from these data.

References
----------
Raue A, Kreutz C, Maiwald T, et al. Structural and practical identifiability
analysis of partially observed dynamical models by exploiting the profile
likelihood. Bioinformatics 2009;25:1923-1929.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from ivigsim.analysis.fitting.multistart import map_ordered, optimise

CONFIDENCE = 0.95
MAX_PROFILE_STEPS = 25
#: Re-optimisations spent locating each end of an interval between two profile steps.
REFINE_ROUNDS = 2
#: Correlations above this (absolute) flag a pair of parameters the data cannot tell apart.
HIGH_CORRELATION = 0.95


def chi2_threshold(confidence=CONFIDENCE):
    """Rise of the negative log-likelihood that bounds a 1-parameter likelihood-ratio interval."""
    from scipy.stats import chi2
    return 0.5 * float(chi2.ppf(confidence, 1))


@dataclass(frozen=True)
class Wald:
    """Jacobian-based uncertainty on the estimation scale."""

    se: np.ndarray              # (n,) standard errors on the estimation scale (inf: not identifiable)
    correlation: np.ndarray     # (n, n)
    condition_number: float


def wald(objective, x):
    """Standard errors and correlations at ``x`` (see the module docstring)."""
    x = np.asarray(x, dtype=float)
    if objective.least_squares:
        jac = objective.residual_jacobian(x)
        fim = jac.T @ jac
    else:
        n = len(x)
        fim = np.empty((n, n))
        for k in range(n):
            h = 1e-4 * max(1.0, abs(x[k]))
            e = np.zeros(n)
            e[k] = h
            fim[:, k] = (objective.nll_and_gradient(x + e)[1] - objective.nll_and_gradient(x - e)[1]) / (2 * h)
        fim = 0.5 * (fim + fim.T)
    eigenvalues = np.linalg.eigvalsh(fim)
    condition = float(eigenvalues.max() / eigenvalues.min()) if eigenvalues.min() > 0 else float("inf")
    cov = np.linalg.pinv(fim, rcond=1e-12, hermitian=True)
    var = np.diag(cov).copy()
    singular = not eigenvalues.min() > 0 or condition > 1e12
    se = np.where((var > 0) & ~singular, np.sqrt(np.abs(var)), np.inf)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(np.abs(var))
        corr = cov / np.outer(sd, sd)
    return Wald(se, np.clip(np.nan_to_num(corr, nan=0.0), -1.0, 1.0), condition)


@dataclass(frozen=True)
class Profile:
    """The profile likelihood of one estimated parameter."""

    name: str
    x: np.ndarray               # profiled values on the estimation scale, ascending
    objective: np.ndarray       # re-optimised negative log-likelihood at each
    lower: float                # 95 % interval on the estimation scale (nan: open at that side)
    upper: float
    identifiable: bool          # both ends crossed the threshold
    note: str


def profile_one(objective, best, best_value, k, step0, threshold):
    """Profile estimated parameter ``k`` from the optimum ``best`` in both directions."""
    xs, values = [best[k]], [best_value]
    ends = {}
    for direction in (-1.0, 1.0):
        bound = objective.lower[k] if direction < 0 else objective.upper[k]
        step = step0
        x_prev, v_prev, value_prev = best.copy(), best[k], best_value
        crossed = False
        for _ in range(MAX_PROFILE_STEPS):
            v = v_prev + direction * step
            at_bound = (v - bound) * direction >= 0
            v = bound if at_bound else v
            res = optimise(objective, x_prev, fixed=(k, v))
            if not res.ok:
                break
            xs.append(v)
            values.append(res.objective)
            if res.objective - best_value >= threshold:
                ends[direction] = _refine_crossing(objective, k, best_value + threshold, (v_prev, value_prev, x_prev),
                                                   (v, res.objective, res.x), xs, values)
                crossed = True
                break
            if at_bound:
                break
            rise = res.objective - value_prev
            step = step * (2.0 if rise < 0.1 * threshold else 0.5 if rise > 0.5 * threshold else 1.0)
            x_prev, v_prev, value_prev = res.x, v, res.objective
        if not crossed:
            ends[direction] = np.nan
    order = np.argsort(xs)
    lower, upper = ends[-1.0], ends[1.0]
    open_sides = [side for side, end in (("lower", lower), ("upper", upper)) if np.isnan(end)]
    note = ("identifiable" if not open_sides else
            "not identifiable: flat profile" if len(open_sides) == 2 else
            f"practically not identifiable: no {open_sides[0]} confidence limit within the bounds")
    return Profile(objective.names[k], np.asarray(xs)[order], np.asarray(values)[order], lower, upper,
                   not open_sides, note)


def _refine_crossing(objective, k, level, inside, outside, xs, values, rounds=REFINE_ROUNDS):
    """Where the profile crosses ``level`` between two profiled points (``(v, objective, x)``).

    A few regula-falsi steps, each a re-optimisation, then linear interpolation;
    the points computed are added to ``xs``/``values``.
    """
    (v_in, f_in, x_in), (v_out, f_out, _) = inside, outside
    for _ in range(rounds):
        v = v_in + (level - f_in) / (f_out - f_in) * (v_out - v_in)
        res = optimise(objective, x_in, fixed=(k, v))
        if not res.ok or not f_in < res.objective < f_out:
            break
        xs.append(v)
        values.append(res.objective)
        if abs(res.objective - level) < 1e-3:
            return v
        if res.objective < level:
            v_in, f_in, x_in = v, res.objective, res.x
        else:
            v_out, f_out = v, res.objective
    return v_in + (level - f_in) / (f_out - f_in) * (v_out - v_in)


def profiles(objective, best, best_value, wald_result, workers=1, progress=True):
    """Profiles of every estimated parameter (in parallel over parameters)."""
    threshold = chi2_threshold()
    width = objective.upper - objective.lower

    def one(k):
        se = wald_result.se[k]
        step = float(np.clip(0.5 * se if np.isfinite(se) else 0.05 * width[k], 1e-4 * width[k], 0.1 * width[k]))
        prof = profile_one(objective, np.asarray(best, dtype=float), best_value, k, step, threshold)
        if progress:
            print(f"fit: profile of {prof.name} done ({len(prof.x)} points): {prof.note}",
                  file=sys.stderr, flush=True)
        return prof

    return map_ordered(one, range(len(best)), workers)
