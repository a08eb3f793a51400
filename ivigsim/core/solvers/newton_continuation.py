"""The warm start continued along a path of parameters, for points far from the nominal ones.

:func:`ivigsim.core.solvers.newton.warm_steady_state` starts Newton's method
at the nominal steady state (the model's default parameters). Across a
model's declared bounds a point's parameters can be 10^4-10^5 times the
defaults (``k_deg``, ``k_off`` of ``fcrn_pk``); from so far away Newton
converges to a root with a negative species, which the warm start refuses,
and the point then integrates its steady state for up to a million days.

:func:`continued_steady_state` first makes that same attempt, so a point it
keeps has the same numbers as before, bit for bit. When the attempt is
refused it walks from the nominal parameters to the point's along the path

    p(s) = p_nominal^(1 - s) p^s        (per parameter; linear where either is not positive)

with the conserved totals moved linearly from the nominal state's to the
point's, solving each stage by the same warm start from the root of the
stage before. A stage that is refused halves the step in ``s`` and is tried
again from the last root kept; one kept doubles it (up to the whole path).
The last stage is the point itself: its parameters, totals and initial
values exactly, started from the previous stage's root, and its result
stands only when it passes every check of the warm start (the scaled step
converged, every species finite and not below ``-atol``, the state stable on
the conserved manifold). The path adds no new way to accept a root, only a
better start. When the path does not reach ``s = 1`` within ``max_solves``
stages the first attempt's outcome and record are returned, and the caller
integrates as before.

Compiled on first use (:class:`ivigsim.core.kernel.lazy.LazyJit`).
"""

import numpy as np
from numba import types

from ivigsim.core.kernel.lazy import LazyJit
from ivigsim.core.kernel.signatures import JacFunction, RhsFunction
from ivigsim.core.solvers import newton

_LAZY = LazyJit(globals())
__getattr__ = _LAZY.module_getattr()

#: ``info[STAGES]``: the continuation stages solved after the first attempt (0: kept at once, or not tried).
STAGES = newton.N_WARM_INFO
N_INFO = newton.N_WARM_INFO + 1
#: The first step along the path (a quarter of the way) and the smallest step tried.
FIRST_STEP = 0.25
MIN_STEP = 1.0 / 1024.0
#: Stages solved at most after the first attempt: the 16 full-bounds points of the tests need 7-9.
MAX_SOLVES = 40

_SIGNATURE = types.int64(
    RhsFunction, JacFunction,
    types.float64[::1],        # nominal (n,): the nominal steady state
    types.float64[::1],        # p_nominal (n_p,): its parameter vector
    types.float64[::1],        # y_init (n,): the point's initial values (its totals, the other species)
    types.float64[::1],        # p (n_p,): the point's parameter vector
    types.float64[::1],        # atol (n,)
    types.int64[::1],          # idx (n_free,): species in the system
    types.float64[:, ::1],     # conserved (n_laws, n_free)
    types.int64,               # max_iterations (per stage)
    types.float64,             # step_tolerance
    types.float64,             # round_off_step
    types.float64,             # stability_tolerance
    types.int64,               # max_solves
    types.float64[::1],        # y (n,): the result
    types.float64[::1],        # info (N_INFO,)
)


@_LAZY.define("continued_steady_state", _SIGNATURE, cache=True, nogil=True)
def _continued_steady_state(rhs, jac, nominal, p_nominal, y_init, p, atol, idx, conserved, max_iterations,
                            step_tolerance, round_off_step, stability_tolerance, max_solves, y, info):
    """The point's steady state from ``nominal``, continued from ``p_nominal`` when needed (module docstring).

    Returns ``newton.WARM_OK`` with the state in ``y``, or the first attempt's
    ``newton.WARM_*`` outcome (its record in ``info``) when neither it nor the
    path gives a state that passes the checks.
    """
    n = y.shape[0]
    n_p = p.shape[0]
    record = np.zeros(newton.N_WARM_INFO)
    first = newton.warm_steady_state(rhs, jac, nominal, y_init, p, atol, idx, conserved, max_iterations,
                                     step_tolerance, round_off_step, stability_tolerance, y, record)
    for q in range(newton.N_WARM_INFO):
        info[q] = record[q]
    info[STAGES] = 0.0
    if first == newton.WARM_OK:
        return first
    # the path in log space where both ends are positive (parameters span decades), else linear
    logs = np.zeros(n_p, dtype=np.bool_)
    for j in range(n_p):
        logs[j] = p_nominal[j] > 0.0 and p[j] > 0.0 and p_nominal[j] != p[j]
    root = nominal.copy()
    trial = np.empty(n)
    p_s = np.empty(n_p)
    y_s = np.empty(n)
    stage_info = np.zeros(newton.N_WARM_INFO)
    s = 0.0
    step = FIRST_STEP
    solves = 0
    while solves < max_solves and step >= MIN_STEP:
        s_next = min(1.0, s + step)
        final = s_next >= 1.0
        if final:
            # the point itself: its own numbers, not an interpolation that rounds to them
            for j in range(n_p):
                p_s[j] = p[j]
            for i in range(n):
                y_s[i] = y_init[i]
        else:
            for j in range(n_p):
                if logs[j]:
                    p_s[j] = np.exp((1.0 - s_next) * np.log(p_nominal[j]) + s_next * np.log(p[j]))
                else:
                    p_s[j] = (1.0 - s_next) * p_nominal[j] + s_next * p[j]
            for i in range(n):
                y_s[i] = (1.0 - s_next) * nominal[i] + s_next * y_init[i]
        outcome = newton.warm_steady_state(rhs, jac, root, y_s, p_s, atol, idx, conserved, max_iterations,
                                           step_tolerance, round_off_step, stability_tolerance, trial, stage_info)
        solves += 1
        if outcome == newton.WARM_OK:
            if final:
                for i in range(n):
                    y[i] = trial[i]
                for q in range(newton.N_WARM_INFO):
                    info[q] = stage_info[q]
                info[STAGES] = solves
                return newton.WARM_OK
            s = s_next
            for i in range(n):
                root[i] = trial[i]
            step = min(2.0 * step, 1.0)
        else:
            step *= 0.5
    info[STAGES] = solves
    return first
