"""Global sensitivity analysis of a sweep with SALib: Sobol indices and Morris screening.

Two sweep methods use it (``[sweep] method = "sobol_indices" | "morris"``):

``sobol_indices``
    Saltelli's sampling for first- and total-order Sobol indices
    (``SALib.sample.sobol.sample`` with ``calc_second_order = False``): the
    file's ``n`` is SALib's base sample size N and the sweep runs
    ``N * (d + 2)`` points for ``d`` variables.  Analysis gives ``S1``,
    ``S1_conf``, ``ST`` and ``ST_conf`` per variable and metric.
``morris``
    Morris elementary effects (``SALib.sample.morris.sample`` on a
    ``num_levels = 4`` grid): ``n`` is the number of trajectories N, and the
    sweep runs ``N * (d + 1)`` points.  Analysis gives ``mu_star``,
    ``mu_star_conf`` and ``sigma``.

A log-scale variable is sampled uniformly in log space (the SALib problem's
bounds are the logs of low and high) and exponentiated; the analysis uses the
same log-space problem.  The order of the points is SALib's, which its
analysis relies on.  SALib's seed is derived from the experiment's seed
(:func:`salib_seed`).  SALib is an optional dependency (the ``sensitivity``
extra) and is imported only inside functions.
"""

from __future__ import annotations

import importlib.util
import math

import numpy as np

__all__ = ["SENSITIVITY_METHODS", "MORRIS_LEVELS", "INSTALL_HINT", "INDEX_COLUMNS",
           "salib_available", "salib_seed", "runs_per_base_sample", "problem", "sample_matrix",
           "sample_columns", "to_problem_space", "indices", "compute_sensitivity"]

#: Sweep methods that run a global sensitivity analysis.
SENSITIVITY_METHODS = ("sobol_indices", "morris")
#: Levels of the Morris grid.
MORRIS_LEVELS = 4
#: Message when SALib is missing.
INSTALL_HINT = ("sensitivity methods need the 'sensitivity' extra: "
                "pip install 'ivigsim[sensitivity]'")
#: Index columns written per method.
INDEX_COLUMNS = {"sobol_indices": ("S1", "S1_conf", "ST", "ST_conf"),
                 "morris": ("mu_star", "mu_star_conf", "sigma")}


def salib_available() -> bool:
    """Whether SALib can be imported."""
    return importlib.util.find_spec("SALib") is not None


def salib_seed(seed: int) -> int:
    """The integer seed handed to SALib, derived from the experiment's seed."""
    return int(np.random.SeedSequence(seed).generate_state(1)[0])


def runs_per_base_sample(method: str, d: int) -> int:
    """Points per unit of N: ``d + 2`` (Sobol, first and total order) or ``d + 1`` (Morris)."""
    if method == "sobol_indices":
        return d + 2
    if method == "morris":
        return d + 1
    raise ValueError(f"not a sensitivity method: {method!r}")


def problem(variables) -> dict:
    """SALib problem of sweep variables; log-scale variables get log bounds."""
    bounds = [[math.log(v.low), math.log(v.high)] if v.scale == "log" else [v.low, v.high]
              for v in variables]
    return {"num_vars": len(bounds), "names": [v.name for v in variables], "bounds": bounds}


def sample_matrix(method: str, prob: dict, n: int, seed: int) -> np.ndarray:
    """SALib's sample, shape ``(n * runs_per_base_sample, d)``, in problem space."""
    if method == "sobol_indices":
        from SALib.sample import sobol
        return np.asarray(sobol.sample(prob, n, calc_second_order=False, seed=seed), dtype=float)
    if method == "morris":
        from SALib.sample import morris
        return np.asarray(morris.sample(prob, n, num_levels=MORRIS_LEVELS, seed=seed), dtype=float)
    raise ValueError(f"not a sensitivity method: {method!r}")


def sample_columns(sweep, seed: int) -> dict[str, np.ndarray]:
    """The values of each sweep variable, in SALib's order (log variables exponentiated)."""
    x = sample_matrix(sweep.method, problem(sweep.variables), int(sweep.n), salib_seed(seed))
    columns = {}
    for j, v in enumerate(sweep.variables):
        column = np.exp(x[:, j]) if v.scale == "log" else x[:, j]
        columns[v.name] = np.clip(column, v.low, v.high)   # no rounding past the bounds
    return columns


def to_problem_space(variables, columns) -> np.ndarray:
    """Matrix ``(n, d)`` of the sampled values in the problem's space (logs for log variables)."""
    return np.column_stack([np.log(np.asarray(columns[v.name], dtype=float)) if v.scale == "log"
                            else np.asarray(columns[v.name], dtype=float) for v in variables])


def indices(method: str, prob: dict, x: np.ndarray, y: np.ndarray, seed: int) -> dict:
    """SALib's indices of output ``y``: :data:`INDEX_COLUMNS` -> array, one value per variable."""
    y = np.asarray(y, dtype=float)
    if method == "sobol_indices":
        from SALib.analyze import sobol
        result = sobol.analyze(prob, y, calc_second_order=False, seed=seed)
    elif method == "morris":
        from SALib.analyze import morris
        result = morris.analyze(prob, np.asarray(x, dtype=float), y, num_levels=MORRIS_LEVELS,
                                seed=seed)
    else:
        raise ValueError(f"not a sensitivity method: {method!r}")
    return {name: np.asarray(result[name], dtype=float) for name in INDEX_COLUMNS[method]}


def compute_sensitivity(experiment, frame):
    """Indices of every metric of a finished sensitivity sweep.

    Parameters
    ----------
    experiment : Experiment
        With a ``sobol_indices`` or ``morris`` sweep.
    frame : pandas.DataFrame
        The metrics table (one row per point, in point order).

    Returns
    -------
    (pandas.DataFrame, list of str)
        One row per metric, regimen and variable with the columns ``metric``,
        ``regimen``, ``variable`` and :data:`INDEX_COLUMNS`; and notes on the
        metrics left out (a failed point or a non-finite value makes the
        analysis of that metric and regimen invalid).  With replicates, the
        metric is averaged over the replicates of each point.
    """
    import pandas as pd

    sweep = experiment.sweep
    method = sweep.method
    prob = problem(sweep.variables)
    seed = salib_seed(experiment.seed)
    size, replicates = sweep.size, experiment.replicates
    rows, notes = [], []
    for r, regimen in enumerate(experiment.regimens):
        block = frame.iloc[r * size * replicates:(r + 1) * size * replicates]
        firsts = block.iloc[::replicates]
        x = to_problem_space(sweep.variables, firsts)
        failed = (block["status"] != "ok").to_numpy().reshape(size, replicates).any(axis=1)
        for metric in experiment.metrics:
            y = block[metric.name].to_numpy(dtype=float).reshape(size, replicates).mean(axis=1)
            bad = failed | ~np.isfinite(y)
            if bad.any():
                notes.append(f"{metric.name} ({regimen.name}): {int(bad.sum())} of {size} points "
                             f"failed or gave no finite value; no {method} indices")
                continue
            if np.ptp(y) == 0.0:
                notes.append(f"{metric.name} ({regimen.name}): the metric does not vary; "
                             f"no {method} indices")
                continue
            result = indices(method, prob, x, y, seed)
            for j, name in enumerate(prob["names"]):
                rows.append({"metric": metric.name, "regimen": regimen.name, "variable": name,
                             **{k: float(v[j]) for k, v in result.items()}})
    columns = ["metric", "regimen", "variable", *INDEX_COLUMNS[method]]
    return pd.DataFrame(rows, columns=columns), notes
