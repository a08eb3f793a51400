"""Multi-start optimisation: Latin-hypercube starts, one well-kept optimiser per start, in parallel.

Starting points are a Latin hypercube (:class:`scipy.stats.qmc.LatinHypercube`)
over the estimation-scale box, drawn from ``numpy.random.SeedSequence(seed)``.
Start 0 is the nominal values of ``parameters.tsv``. Each start is independent
and deterministic (it works on its own :meth:`~ivigsim.analysis.fitting.objective.Objective.fork`
of the objective, whose warm-started steady states follow that start's own
evaluations), so results are placed by start id and are the same for one
worker or many. A start whose simulation fails is recorded with its reason;
the others go on.

Optimisers (none written here):

* least squares (normal noise with fixed sigma, no priors):
  :func:`scipy.optimize.least_squares`, trust-region reflective, with the
  residual Jacobian from the compiled finite-difference batch;
* otherwise the negative log-likelihood with :func:`scipy.optimize.minimize`
  (L-BFGS-B), with its gradient from the same sensitivities.
"""

from __future__ import annotations

import concurrent.futures as cf
import sys
import threading
import time
from dataclasses import dataclass

import numpy as np

from ivigsim.errors import IvigsimError
from ivigsim.core.regimen import RegimenError

MAX_NFEV = 200


@dataclass(frozen=True)
class StartResult:
    """The outcome of one start (``x`` on the estimation scale)."""

    index: int
    x0: np.ndarray
    x: np.ndarray
    objective: float            # negative log-likelihood; inf when failed
    ok: bool
    reason: str                 # "" when ok; else why the start failed
    n_evaluations: int
    message: str
    seconds: float


def start_points(objective, n_starts, seed):
    """(n_starts, n_estimated) starting points on the estimation scale; row 0 is the nominal point."""
    from scipy.stats import qmc
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    d = len(objective.lower)
    points = np.empty((n_starts, d))
    points[0] = [float(p.to_scale(p.nominal)) for p in objective.estimated]
    if n_starts > 1:
        unit = qmc.LatinHypercube(d=d, seed=rng).random(n_starts - 1)
        points[1:] = qmc.scale(unit, objective.lower, objective.upper)
    return points


def optimise(objective, x0, index=0, fixed=None):
    """Run one local optimisation from ``x0``; never raises for a failed simulation.

    ``fixed`` = ``(k, value)`` holds estimated parameter ``k`` at ``value``
    (used by the profiles).
    """
    from scipy.optimize import least_squares, minimize
    started = time.perf_counter()
    free = np.ones(len(x0), dtype=bool)
    if fixed is not None:
        free[fixed[0]] = False
    full = np.array(x0, dtype=float)
    if fixed is not None:
        full[fixed[0]] = fixed[1]
    lower, upper = objective.lower[free], objective.upper[free]

    def expand(z):
        x = full.copy()
        x[free] = z
        return x

    z0 = np.clip(full[free], lower, upper)
    counter = [0]
    try:
        if objective.least_squares:
            def fun(z):
                counter[0] += 1
                return objective.residuals(expand(z))

            def jac(z):
                return objective.residual_jacobian(expand(z))[:, free]

            sol = least_squares(fun, z0, jac=jac, bounds=(lower, upper), method="trf",
                                x_scale="jac", max_nfev=MAX_NFEV)
            x = expand(sol.x)
            value = float(0.5 * np.sum(sol.fun ** 2) + objective.constant(x))
            message = sol.message
        else:
            def fun(z):
                counter[0] += 1
                value, grad = objective.nll_and_gradient(expand(z))
                return value, grad[free]

            sol = minimize(fun, z0, jac=True, method="L-BFGS-B", bounds=list(zip(lower, upper)),
                           options={"maxfun": MAX_NFEV * 5, "ftol": 1e-12, "gtol": 1e-8})
            x = expand(sol.x)
            value = float(sol.fun)
            message = str(sol.message)
        if not np.isfinite(value):
            raise ArithmeticError(f"the objective is not finite at the optimum ({value})")
        return StartResult(index, np.asarray(x0, float), x, value, True, "", counter[0], message,
                           time.perf_counter() - started)
    except (IvigsimError, RegimenError, ValueError, ArithmeticError) as exc:
        return StartResult(index, np.asarray(x0, float), np.full(len(x0), np.nan), float("inf"), False,
                           f"{type(exc).__name__}: {exc}", counter[0], "", time.perf_counter() - started)


def map_ordered(function, items, workers):
    """``[function(item) for item in items]`` on ``workers`` workers, results in item order.

    Where the operating system can fork and the calling process runs no other
    thread, the first item runs here (compiling whatever it needs once) and
    the rest in ``workers`` forked processes, which inherit ``function`` and
    everything it holds (prepared runs, compiled kernels): a fit start spends
    most of its time in Python, which threads of one process cannot run
    side by side. Otherwise threads run them (the compiled solver releases
    the GIL). Either way results are placed by position, never by completion
    order, and each item's computation is the same, so the numbers do not
    depend on ``workers`` or on how the items are spread.
    """
    items = list(items)
    if workers <= 1 or len(items) <= 1:
        return [function(item) for item in items]
    if _can_fork():
        return _map_forked(function, items, workers)
    with cf.ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, items))


def _can_fork():
    import multiprocessing
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


#: (function, items) of the map being run by forked workers, inherited by them at the fork.
_FORKED = None


def _forked_item(k):
    function, items = _FORKED
    return function(items[k])


def _map_forked(function, items, workers):
    import multiprocessing
    global _FORKED
    first = function(items[0])
    _FORKED = (function, items)
    sys.stdout.flush()             # or the children would print what is buffered again
    sys.stderr.flush()
    try:
        with cf.ProcessPoolExecutor(max_workers=min(workers, len(items) - 1),
                                    mp_context=multiprocessing.get_context("fork")) as pool:
            rest = list(pool.map(_forked_item, range(1, len(items))))
    finally:
        _FORKED = None
    return [first] + rest


def run_starts(objective, n_starts, seed, workers=1, progress=True):
    """All starts, by start index (see :class:`StartResult`)."""
    points = start_points(objective, n_starts, seed)

    def one(k):
        result = optimise(objective.fork(), points[k], k)
        if progress:
            status = f"objective {result.objective:.6g}" if result.ok else f"failed: {result.reason[:120]}"
            print(f"fit: start {k + 1}/{n_starts} done: {status} [{result.seconds:.2f} s]", file=sys.stderr,
                  flush=True)
        return result

    return map_ordered(one, range(n_starts), workers)
