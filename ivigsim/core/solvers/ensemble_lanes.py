"""The points of a sweep chunk in one compiled call, their courses integrated 8 at a time.

:func:`run_points_lanes` does what :func:`ivigsim.core.solvers.ensemble.run_points`
does, with the same arguments and outputs, except that the one-year courses
run in lanes (:mod:`ivigsim.core.solvers.rodas_lanes`):

1. every point's state at t = 0, point by point
   (:func:`ivigsim.core.solvers.ensemble.start_point`: the untreated steady
   state as ``run_points`` finds it);
2. the courses of the lane groups ``lanes[g]`` (up to ``WIDTH`` chunk rows
   that share their dosing segments, inputs' targets and controls; -1 marks
   an empty lane), each group in one lockstep integration;
3. the courses of the rows in no group, point by point, as ``run_points``;
4. clocks and observables per point
   (:func:`ivigsim.core.solvers.ensemble.observe_point`).

Each lane's arithmetic is the scalar solver's (see ``rodas_lanes``), so every
output and statistic equals ``run_points``' bit for bit, whichever rows share
a group: the grouping cannot change a point's numbers. A row whose start or
course fails keeps the scalar code, and the caller re-runs it per point.
"""

import numba as nb
import numpy as np
from numba import types

from ivigsim.core.kernel.lanes import LaneFactorFunction, LaneJacFunction, LaneRhsFunction, LaneSolveFunction
from ivigsim.core.kernel.lazy import LazyJit
from ivigsim.core.solvers import ensemble, rodas, rodas_lanes

_SIGNATURE = types.void(
    LaneRhsFunction, LaneJacFunction, LaneFactorFunction, LaneSolveFunction,
    types.int64,                  # scratch: rows of the lane kernels' scratch array
    types.int64[:, ::1],          # lanes (n_groups, width): chunk rows integrated together, -1 for none
    *ensemble.RUN_POINTS_SIGNATURE.args,
)

_LAZY = LazyJit(globals())
__getattr__ = _LAZY.module_getattr()


@nb.njit(cache=True, nogil=True)
def _course_lanes(lane_rhs, lane_jac, lane_factor, lane_solve, scratch, rows, lu_size, ps, y0_out, t_breaks, n_seg,
                  inputs, input_target, n_inputs, jumps, control_index, control_values, n_controls, t_out, rtol, atol,
                  max_steps, y_lanes, stats, status):
    """The courses of the chunk rows ``rows`` (-1: an empty lane) in one lockstep integration.

    ``y_lanes`` (width, n_out, n) receives the states; ``stats`` and ``status``
    of each row are written as the scalar course writes them.
    """
    width = rows.shape[0]
    n = y0_out.shape[1]
    n_p = ps.shape[1]
    first = -1
    for lane in range(width):
        if rows[lane] >= 0 and status[rows[lane]] == rodas.SUCCESS:
            first = rows[lane]
            break
    if first < 0:
        return
    s = n_seg[first]
    ni = n_inputs[first]
    nc = n_controls[first]
    y0 = np.empty((n, width))
    p = np.empty((n_p, width))
    inp = np.zeros((s, ni, width))
    jmp = np.zeros((s, n, width))
    lane_status = np.empty(width, dtype=np.int64)
    lane_stats = np.zeros((width, rodas.N_STATS), dtype=np.int64)
    for lane in range(width):
        k = rows[lane]
        live = k >= 0 and status[k] == rodas.SUCCESS
        # an empty lane computes on a copy of the first row's data (finite numbers) and is ignored
        src = k if live else first
        lane_status[lane] = rodas.SUCCESS if live else -1
        for i in range(n):
            y0[i, lane] = y0_out[src, i]
        for j in range(n_p):
            p[j, lane] = ps[src, j]
        for seg in range(s):
            for q in range(ni):
                inp[seg, q, lane] = inputs[src, seg, q]
            for i in range(n):
                jmp[seg, i, lane] = jumps[src, seg, i]
    tb = np.ascontiguousarray(t_breaks[first, :s + 1])
    target = np.ascontiguousarray(input_target[first, :ni])
    cidx = np.ascontiguousarray(control_index[first, :nc])
    cval = np.ascontiguousarray(control_values[first, :s, :nc])
    rodas_lanes.integrate_lanes(lane_rhs, lane_jac, lane_factor, lane_solve, lu_size, scratch, y0, p, tb, inp,
                                target, jmp, cidx, cval, t_out, rtol, atol, np.inf, max_steps, y_lanes, lane_stats,
                                lane_status)
    for lane in range(width):
        k = rows[lane]
        if k >= 0 and status[k] == rodas.SUCCESS:
            status[k] = lane_status[lane]
            for q in range(rodas.N_STATS):
                stats[k, q] = lane_stats[lane, q]


@_LAZY.define("run_points_lanes", _SIGNATURE, cache=True, nogil=True)
def _run_points_lanes(lane_rhs, lane_jac, lane_factor, lane_solve, scratch, lanes, rhs, jac, factor, solve,
                      observables, lu_size, n_observables, ps, y_init, steady, warm, nominal, p_nominal, max_warm,
                      stability_tolerance, idx, conserved, cumulative, horizon, rounds, ss_rtol, ss_atol, max_newton,
                      step_tolerance, round_off_step, t_breaks, n_seg, inputs, input_target, n_inputs, jumps,
                      control_index, control_values, n_controls, clock_index, clock_rate, t_out, rtol, atol,
                      max_steps, out, y0_out, stats, steady_info, status):
    """``ensemble.run_points`` with the courses of the groups ``lanes`` integrated in lanes."""
    m, n = y_init.shape
    n_out = t_out.shape[0]
    width = lanes.shape[1]
    for k in range(m):
        status[k] = ensemble.start_point(k, rhs, jac, factor, solve, lu_size, ps, y_init, steady, warm, nominal,
                                         p_nominal, max_warm, stability_tolerance, idx, conserved, cumulative,
                                         horizon, rounds, ss_rtol, ss_atol, max_newton, step_tolerance,
                                         round_off_step, atol, max_steps, y0_out, steady_info)
    y_lanes = np.zeros((width, n_out, n))
    y_course = np.zeros((n_out, n))
    obs = np.zeros(max(n_observables, 1))
    in_lanes = np.zeros(m, dtype=np.bool_)
    for g in range(lanes.shape[0]):
        rows = lanes[g]
        _course_lanes(lane_rhs, lane_jac, lane_factor, lane_solve, scratch, rows, lu_size, ps, y0_out, t_breaks,
                      n_seg, inputs, input_target, n_inputs, jumps, control_index, control_values, n_controls,
                      t_out, rtol, atol, max_steps, y_lanes, stats, status)
        for lane in range(width):
            k = rows[lane]
            if k < 0:
                continue
            in_lanes[k] = True
            if status[k] != rodas.SUCCESS:
                continue
            for r in range(n_out):
                for i in range(n):
                    y_course[r, i] = y_lanes[lane, r, i]
            ensemble.observe_point(k, observables, n_observables, ps[k].copy(), y_course, clock_index, clock_rate,
                                   t_out, y0_out, obs, out)
    for k in range(m):
        if in_lanes[k] or status[k] != rodas.SUCCESS:
            continue
        code, p = ensemble.course_point(k, rhs, jac, factor, solve, lu_size, ps, y0_out, t_breaks, n_seg, inputs,
                                        input_target, n_inputs, jumps, control_index, control_values, n_controls,
                                        t_out, rtol, atol, max_steps, y_course, stats[k])
        status[k] = code
        if code == rodas.SUCCESS:
            ensemble.observe_point(k, observables, n_observables, p, y_course, clock_index, clock_rate,
                                   t_out, y0_out, obs, out)
