"""``fit``: the entry point that ties the problem, the starts and the uncertainty together."""

from __future__ import annotations

import sys
import time

import numpy as np

from ivigsim.errors import ParameterError
from ivigsim.analysis.fitting.objective import Objective
from ivigsim.analysis.fitting.multistart import run_starts
from ivigsim.analysis.fitting.problem import FitProblem
from ivigsim.analysis.fitting.reader import load_problem
from ivigsim.analysis.fitting.result import FitResult
from ivigsim.analysis.fitting.uncertainty import profiles as compute_profiles
from ivigsim.analysis.fitting.uncertainty import wald


def fit(problem, n_starts=None, workers=None, profiles=True, progress=True, out=None):
    """Fit a problem's estimated parameters to its data by multi-start optimisation.

    Parameters
    ----------
    problem : str, path or FitProblem
        A fit-problem directory (PEtab tables and ``ivigsim.toml``, see
        :mod:`ivigsim.analysis.fitting`), the name of a shipped one in ``fits/``
        (``"igg_course_didactic"``) or a loaded problem.
    n_starts : int, optional
        Number of starts (default: ``[fit].n_starts`` of the problem). Start 0
        is the nominal values; the others a Latin hypercube from the problem's seed.
    workers : int, optional
        Workers that run starts (and profiles) side by side: forked processes
        where the platform can fork and no other thread runs, threads
        otherwise (default: all cores); the results do not depend on it.
    profiles : bool
        Compute the profile likelihood of every estimated parameter (95 % CIs).
    progress : bool
        Print a line per finished start and profile to stderr.
    out : str or path, optional
        Also write every output into this new directory (see :meth:`FitResult.save`).

    Returns
    -------
    FitResult

    Raises
    ------
    FitProblemError
        When the problem is malformed (file, row and column named).
    SolverError
        When every start failed (each start's reason is in the message).
    """
    if not isinstance(problem, FitProblem):
        problem = load_problem(problem)
    n_starts = problem.n_starts if n_starts is None else n_starts
    if isinstance(n_starts, bool) or not isinstance(n_starts, (int, np.integer)) or n_starts < 1:
        raise ParameterError(f"n_starts must be a positive integer, got {n_starts!r}")
    if workers is None:
        from ivigsim.sweep.ensemble import default_workers
        workers = default_workers()
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ParameterError(f"workers must be a positive integer, got {workers!r}")
    objective = Objective(problem)
    if progress:
        print(f"fit: {problem.name}: {len(objective.names)} parameters, {objective.n_data} data, "
              f"{len(problem.conditions)} conditions, {n_starts} starts on {workers} worker(s)",
              file=sys.stderr, flush=True)
    started = time.perf_counter()
    starts = tuple(run_starts(objective, int(n_starts), problem.seed, int(workers), progress))
    seconds = {"starts": time.perf_counter() - started}
    good = [s for s in starts if s.ok]
    if not good:
        from ivigsim.errors import SolverError
        reasons = "; ".join(f"start {s.index}: {s.reason}" for s in starts[:5])
        raise SolverError(f"fit of '{problem.name}': every start failed ({reasons})", -1)
    best = min(good, key=lambda s: (s.objective, s.index))
    uncertainty = wald(objective, best.x)
    found = ()
    if profiles:
        started = time.perf_counter()
        found = tuple(compute_profiles(objective, best.x, best.objective, uncertainty, int(workers), progress))
        seconds["profiles"] = time.perf_counter() - started
    result = FitResult(problem, objective, starts, best, uncertainty, found, seconds, int(workers))
    if out is not None:
        result.save(out)
    return result
