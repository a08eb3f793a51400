"""The points of a sweep chunk in one compiled call: steady state, course, observables.

One call of :func:`run_points` does, for every point ``k`` of a chunk, what
:func:`ivigsim.core.simulation.solve` does for one problem, with no Python in
between and without the GIL (worker threads run chunks in parallel):

1. the untreated steady state (when ``steady[k]``), as
   :func:`ivigsim.core.simulation.initial_state` finds it: first the warm
   start (when ``warm[k]``), :func:`ivigsim.core.solvers.newton.warm_steady_state`
   from the nominal steady state ``nominal[k]`` with the point's own
   conserved totals, continued from the nominal parameters ``p_nominal[k]``
   when that is refused
   (:func:`ivigsim.core.solvers.newton_continuation.continued_steady_state`),
   kept when it converged, stays non-negative and is stable; otherwise the same horizon integration
   (:func:`ivigsim.core.solvers.rodas.integrate_controlled`, no dosing,
   tighter tolerances) followed by the same Newton iteration as
   :func:`ivigsim.core.steady_state.newton` on the compiled Jacobian, with
   the same convergence test on the scaled step and on the sign of the state,
   up to four horizons, each four times longer;
2. the course, across the point's own dosing segments;
3. the clocks (states that only count time) set to ``rate * t`` exactly, as
   :func:`ivigsim.core.simulation.solve` sets them;
4. the observables at every output time.

Ragged per-point inputs (each point has its own number of dosing segments,
infusion targets and controlled parameters) arrive padded, with their counts;
each point's rows are copied into arrays of exactly its own shape before the
solver sees them, so the solver does the same arithmetic as for one run.

Per-point status codes: ``rodas.SUCCESS``; a course failure keeps the solver's
code; a failed steady-state integration is ``STEADY_FAILED_OFFSET`` plus the
solver's code; ``STEADY_NOT_FOUND`` when Newton's method did not converge
after every horizon. The caller turns a code into its message.
"""

import numba as nb
import numpy as np
from numba import types

from ivigsim.core.kernel.lazy import LazyJit
from ivigsim.core.kernel.signatures import FactorFunction, JacFunction, RhsFunction, SolveFunction
from ivigsim.core.solvers import newton, newton_continuation, rodas

STEADY_FAILED_OFFSET = 100
STEADY_NOT_FOUND = 200
#: Indices into each point's steady-state record ``steady_info[k]``: Newton's iterations, its
#: last scaled step and scaled residual, the days integrated (0 for a warm start) and the
#: outcome of the warm start (``newton.WARM_OK``, another ``newton.WARM_*`` code, or -1: not tried).
INFO_ITERATIONS, INFO_STEP, INFO_RESIDUAL, INFO_INTEGRATED, INFO_WARM = 0, 1, 2, 3, 4
N_INFO = 5

_SIGNATURE = types.void(
    RhsFunction, JacFunction, FactorFunction, SolveFunction,
    RhsFunction,                  # observables(y, p, out)
    types.int64,                  # lu_size
    types.int64,                  # n_observables
    types.float64[:, ::1],        # ps (m, n_p): kernel parameter vectors
    types.float64[:, ::1],        # y_init (m, n): initial values (or the start, without steady state)
    types.int64[::1],             # steady (m,): 1 to find the untreated steady state first
    types.int64[::1],             # warm (m,): 1 to try Newton from nominal[k] first
    types.float64[:, ::1],        # nominal (m, n): the warm start of each point
    types.float64[:, ::1],        # p_nominal (m, n_p): the parameter vector of nominal[k]
    types.int64,                  # max_warm: Newton iterations of a warm start
    types.float64,                # stability_tolerance
    types.int64[::1],             # idx (n_free,): species in the Newton system
    types.float64[:, :, ::1],     # conserved (m, n_laws, n_free): conservation rows per point
    types.int64[::1],             # cumulative (n_cum,): running totals, reset after the steady state
    types.float64,                # horizon: first steady-state horizon, days
    types.int64,                  # rounds: horizons tried, each 4 times longer
    types.float64,                # ss_rtol
    types.float64[::1],           # ss_atol (n,)
    types.int64,                  # max_newton
    types.float64,                # step_tolerance
    types.float64,                # round_off_step
    types.float64[:, ::1],        # t_breaks (m, max_seg + 1), padded
    types.int64[::1],             # n_seg (m,)
    types.float64[:, :, ::1],     # inputs (m, max_seg, max_inputs), padded
    types.int64[:, ::1],          # input_target (m, max_inputs), padded
    types.int64[::1],             # n_inputs (m,)
    types.float64[:, :, ::1],     # jumps (m, max_seg, n)
    types.int64[:, ::1],          # control_index (m, max_controls), padded
    types.float64[:, :, ::1],     # control_values (m, max_seg, max_controls), padded
    types.int64[::1],             # n_controls (m,)
    types.int64[::1],             # clock_index (n_clocks,): states that only count time
    types.float64[:, ::1],        # clock_rate (m, n_clocks): their rates per point
    types.float64[::1],           # t_out (n_out,)
    types.float64,                # rtol
    types.float64[::1],           # atol (n,)
    types.int64,                  # max_steps
    types.float64[:, :, ::1],     # out (m, n_out, n_observables + n): observables, then states
    types.float64[:, ::1],        # y0_out (m, n): each point's state at t = 0
    types.int64[:, ::1],          # stats (m, N_STATS) of the course
    types.float64[:, ::1],        # steady_info (m, N_INFO)
    types.int64[::1],             # status (m,)
)

#: The argument types of :func:`run_points` (the lane ensemble takes the same after its own).
RUN_POINTS_SIGNATURE = _SIGNATURE

_LAZY = LazyJit(globals())
__getattr__ = _LAZY.module_getattr()


@nb.njit(cache=True, nogil=True)
def _newton(rhs, jac, y, p, atol, idx, conserved, max_iterations, step_tolerance, round_off_step, info):
    """:func:`ivigsim.core.steady_state.newton` (totals kept) and its assessment, compiled.

    Refines ``y`` in place; returns 1 when converged. ``info`` receives the
    iterations, the last scaled step and the scaled residual.
    """
    n = y.shape[0]
    m = idx.shape[0]
    k = conserved.shape[0]
    f = np.empty(n)
    jacobian = np.zeros((n, n))     # zeroed once: ``jac`` may be the kernel's jac_nonzeros
    a = np.empty((m + k, m))
    b = np.empty(m + k)
    scale = np.empty(m)
    step = np.inf
    previous = np.inf
    iteration = 0
    # numpy.linalg.lstsq's default cut-off for small singular values
    rcond = np.finfo(np.float64).eps * max(m + k, m)
    for iteration in range(1, max_iterations + 1):
        rhs(y, p, f)
        jac(y, p, jacobian)
        for j in range(m):
            scale[j] = abs(y[idx[j]]) + atol[idx[j]]
        for i in range(m):
            for j in range(m):
                a[i, j] = jacobian[idx[i], idx[j]] * scale[j]
            b[i] = -f[idx[i]]
        for law in range(k):
            for j in range(m):
                a[m + law, j] = conserved[law, j] * scale[j]
            b[m + law] = 0.0
        for i in range(m + k):
            largest = 0.0
            for j in range(m):
                largest = max(largest, abs(a[i, j]))
            if largest == 0.0:
                largest = 1.0
            for j in range(m):
                a[i, j] = a[i, j] / largest
            b[i] = b[i] / largest
        if m == 0:
            step = 0.0
            break
        delta = np.linalg.lstsq(a, b, rcond)[0]
        finite = True
        for j in range(m):
            if not np.isfinite(delta[j]):
                finite = False
        if not finite:
            break
        largest = 0.0
        for j in range(m):
            largest = max(largest, abs(delta[j]))
        previous = step
        step = largest
        for j in range(m):
            y[idx[j]] += delta[j] * scale[j]
        if step < round_off_step or (step < step_tolerance and step > 0.5 * previous):
            break
    # the assessment of steady_state.assess
    for j in range(m):
        i = idx[j]
        if abs(y[i]) < round_off_step * atol[i]:
            y[i] = 0.0
    rhs(y, p, f)
    residual = 0.0
    ok = step < step_tolerance
    for j in range(m):
        i = idx[j]
        residual = max(residual, abs(f[i]) / (abs(y[i]) + atol[i]))
        if y[i] < -atol[i]:
            ok = False
    for i in range(n):
        if not np.isfinite(y[i]):
            ok = False
    info[INFO_ITERATIONS] = iteration
    info[INFO_STEP] = step
    info[INFO_RESIDUAL] = residual
    return 1 if ok else 0


@nb.njit(cache=True, nogil=True)
def start_point(k, rhs, jac, factor, solve, lu_size, ps, y_init, steady, warm, nominal, p_nominal, max_warm,
                stability_tolerance, idx, conserved, cumulative, horizon, rounds, ss_rtol, ss_atol, max_newton,
                step_tolerance, round_off_step, atol, max_steps, y0_out, steady_info):
    """Point ``k``'s state at t = 0 into ``y0_out[k]`` (its untreated steady state when ``steady[k]``).

    Returns ``rodas.SUCCESS`` or the point's failure code (see the module docstring).
    """
    integrate = rodas.integrate_controlled
    n = y_init.shape[1]
    p = ps[k].copy()
    y0 = y_init[k].copy()
    code = rodas.SUCCESS
    if steady[k]:
        no_index = np.zeros(0, dtype=np.int64)
        no_inputs = np.zeros((1, 0))
        no_jumps = np.zeros((1, n))
        no_controls = np.zeros((1, 0))
        ss_out = np.zeros((1, n))
        ss_t = np.zeros(1)
        ss_stats = np.zeros(rodas.N_STATS, dtype=np.int64)
        info = np.zeros(N_INFO)
        warm_info = np.zeros(newton_continuation.N_INFO)
        y_warm = np.zeros(n)
        h = horizon
        integrated = 0.0
        found = False
        law_rows = np.ascontiguousarray(conserved[k])
        info[INFO_WARM] = -1.0
        if warm[k]:
            outcome = newton_continuation.continued_steady_state(
                rhs, jac, nominal[k], p_nominal[k], y0, p, atol, idx, law_rows, max_warm, step_tolerance,
                round_off_step, stability_tolerance, newton_continuation.MAX_SOLVES, y_warm, warm_info)
            info[INFO_WARM] = outcome
            info[INFO_ITERATIONS] = warm_info[newton.WARM_ITERATIONS]
            info[INFO_STEP] = warm_info[newton.WARM_STEP]
            info[INFO_RESIDUAL] = warm_info[newton.WARM_RESIDUAL]
            if outcome == newton.WARM_OK:
                found = True
                y0 = y_warm.copy()      # the running totals are already the point's initial values
        for _ in range(rounds if not found else 0):
            span = np.array([0.0, h])
            ss_t[0] = h
            ss_stats[:] = 0
            code = integrate(rhs, jac, factor, solve, lu_size, y0, p, span, no_inputs, no_index,
                             no_jumps, no_index, no_controls, ss_t, ss_rtol, ss_atol, 0.0, np.inf,
                             max_steps, ss_out, ss_stats)
            if code != rodas.SUCCESS:
                code += STEADY_FAILED_OFFSET
                break
            integrated += h
            y = ss_out[0].copy()
            if _newton(rhs, jac, y, p, atol, idx, law_rows, max_newton, step_tolerance,
                       round_off_step, info):
                y0 = y
                found = True
                break
            y0 = ss_out[0].copy()
            h *= 4.0
        for q in range(N_INFO):
            steady_info[k, q] = info[q]
        steady_info[k, INFO_INTEGRATED] = integrated
        if code == rodas.SUCCESS and not found:
            code = STEADY_NOT_FOUND
        if code != rodas.SUCCESS:
            return code
        for j in range(cumulative.shape[0]):
            y0[cumulative[j]] = y_init[k, cumulative[j]]
    for i in range(n):
        y0_out[k, i] = y0[i]
    return code


@nb.njit(cache=True, nogil=True)
def course_point(k, rhs, jac, factor, solve, lu_size, ps, y0_out, t_breaks, n_seg, inputs, input_target, n_inputs,
                 jumps, control_index, control_values, n_controls, t_out, rtol, atol, max_steps, y_course, stats):
    """Point ``k``'s course from its start ``y0_out[k]`` across its own dosing segments, into ``y_course``.

    The point's padded rows are first copied into arrays of exactly its own
    shape (see the module docstring). ``stats`` is the point's row of solver
    statistics. Returns the solver's status code and the point's parameter
    vector as the course left it (its controlled parameters set), which the
    observables read.
    """
    p = ps[k].copy()
    y0 = y0_out[k].copy()
    s = n_seg[k]
    ni = n_inputs[k]
    nc = n_controls[k]
    tb = np.ascontiguousarray(t_breaks[k, :s + 1])
    inp = np.ascontiguousarray(inputs[k, :s, :ni])
    target = np.ascontiguousarray(input_target[k, :ni])
    jmp = np.ascontiguousarray(jumps[k, :s])
    cidx = np.ascontiguousarray(control_index[k, :nc])
    cval = np.ascontiguousarray(control_values[k, :s, :nc])
    code = rodas.integrate_controlled(rhs, jac, factor, solve, lu_size, y0, p, tb, inp, target, jmp, cidx, cval,
                                      t_out, rtol, atol, 0.0, np.inf, max_steps, y_course, stats)
    return code, p


@nb.njit(cache=True, nogil=True)
def observe_point(k, observables, n_observables, p, y_course, clock_index, clock_rate, t_out, y0_out, obs, out):
    """Point ``k``'s clocks and observables on the output grid, from its course ``y_course``, into ``out[k]``."""
    n = y_course.shape[1]
    n_out = t_out.shape[0]
    for j in range(clock_index.shape[0]):      # simulation._exact_clocks: a clock is rate * t exactly
        c = clock_index[j]
        if y0_out[k, c] == 0.0:
            for r in range(n_out):
                y_course[r, c] = clock_rate[k, j] * t_out[r]
    for r in range(n_out):
        if n_observables:
            observables(y_course[r], p, obs)
        for q in range(n_observables):
            out[k, r, q] = obs[q]
        for i in range(n):
            out[k, r, n_observables + i] = y_course[r, i]


@_LAZY.define("run_points", _SIGNATURE, cache=True, nogil=True)
def _run_points(rhs, jac, factor, solve, observables, lu_size, n_observables, ps, y_init, steady, warm, nominal,
                p_nominal, max_warm, stability_tolerance, idx, conserved, cumulative, horizon, rounds, ss_rtol, ss_atol,
                max_newton, step_tolerance, round_off_step, t_breaks, n_seg, inputs, input_target, n_inputs, jumps,
                control_index, control_values, n_controls, clock_index, clock_rate, t_out, rtol, atol, max_steps,
                out, y0_out, stats, steady_info, status):
    """Every point of a chunk; a failed point keeps its status code and the others go on."""
    m, n = y_init.shape
    n_out = t_out.shape[0]
    y_course = np.zeros((n_out, n))
    obs = np.zeros(max(n_observables, 1))
    for k in range(m):
        code = start_point(k, rhs, jac, factor, solve, lu_size, ps, y_init, steady, warm, nominal, p_nominal,
                           max_warm, stability_tolerance, idx, conserved, cumulative, horizon, rounds, ss_rtol,
                           ss_atol, max_newton, step_tolerance, round_off_step, atol, max_steps, y0_out, steady_info)
        if code != rodas.SUCCESS:
            status[k] = code
            continue
        code, p = course_point(k, rhs, jac, factor, solve, lu_size, ps, y0_out, t_breaks, n_seg, inputs, input_target,
                               n_inputs, jumps, control_index, control_values, n_controls, t_out, rtol, atol,
                               max_steps, y_course, stats[k])
        status[k] = code
        if code != rodas.SUCCESS:
            continue
        observe_point(k, observables, n_observables, p, y_course, clock_index, clock_rate, t_out, y0_out, obs, out)
