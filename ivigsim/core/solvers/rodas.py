"""Rodas4: a stiffly accurate, L-stable Rosenbrock method of order 4(3), in Numba.

This module holds the one time loop of the deterministic solver. It integrates
a compiled model across a piecewise-constant dosing schedule: the time axis is
cut into segments at every infusion start/stop and bolus, each segment has a
constant infusion input and an instantaneous jump (bolus) applied at its start.
Segment boundaries are step boundaries, never stepped over, and the step size
is carried across them, so a switch costs a step or two rather than a restart.
Near a switch the error grows as h^2 (the transient a switch excites), not
h^4: the first step of a segment is capped by that rule, fitted on the previous
segment's first step, and a rejected first attempt is cut by it.

Method
------
Rosenbrock methods solve one linear system per stage with the same matrix
``W = I / (h gamma) - J``, so a step costs one Jacobian, one LU and six
triangular solves. The LU is the model's generated sparse factorisation
(:mod:`ivigsim.core.kernel.sparse_lu`); when one of its unpivoted pivots is too
small, that step falls back to a dense LU with partial pivoting. The coefficients are Hairer & Wanner's RODAS in the
"transformed" form (stage increments ``k_i`` rather than slopes)::

    W k_i = f(y + sum_j a_ij k_j) + sum_j (c_ij / h) k_j
    y_new = y + sum_j a_6j k_j + k_6        (stiffly accurate)
    error = k_6                               (embedded order-3 solution)

The Jacobian matrix is zeroed once per integration, so ``jac`` may be the
kernel's ``jac_nonzeros``, which writes only the structural non-zeros (zeroing
a dense 42 x 42 matrix at every step costs as much as the non-zeros); the
kernel's full ``jac`` works too.

Outputs between step ends come from the cubic Hermite interpolant through
``(y, f(y))`` at both ends; ``f(y_new)`` is the first stage of the next step,
so dense output costs nothing extra.

References
----------
Hairer E, Wanner G. Solving Ordinary Differential Equations II: Stiff and
Differential-Algebraic Problems, 2nd ed. Springer, 1996, section IV.7.
"""

import numba as nb
import numpy as np
from numba import types

from ivigsim.core.kernel import history as _history
from ivigsim.core.kernel.events import TimingFunction, TriggersFunction, ValuesFunction
from ivigsim.core.kernel.lazy import LazyJit
from ivigsim.core.kernel.signatures import FactorFunction, JacFunction, RhsFunction, SolveFunction
from ivigsim.core.solvers import events as ev
from ivigsim.core.solvers.linalg import lu_factor, lu_solve

# Status codes returned by the compiled driver (see STATUS_MESSAGES).
SUCCESS = 0
MAX_STEPS = 1
STEP_TOO_SMALL = 2
NOT_FINITE = 3
SINGULAR = 4

STATUS_MESSAGES = {
    SUCCESS: "success",
    MAX_STEPS: "the solver took more steps than allowed (max_steps)",
    STEP_TOO_SMALL: "the step size fell below the resolution of the time axis",
    NOT_FINITE: "the solution became NaN or infinite",
    SINGULAR: "the iteration matrix I/(h*gamma) - J is singular",
    _history.HISTORY_FULL: "the history that delay() reads is full (more steps than it holds)",
    **ev.STATUS_MESSAGES,
}

# Indices into the statistics array.
STAT_ACCEPTED, STAT_REJECTED, STAT_RHS, STAT_JAC, STAT_LU, STAT_DENSE_LU = 0, 1, 2, 3, 4, 5
N_STATS = 6
STAT_NAMES = ("steps", "rejected", "rhs_evaluations", "jacobian_evaluations", "lu_decompositions",
              "dense_lu_fallbacks")

GAMMA = 0.25
ORDER_EMBEDDED = 3


def tableau():
    """Return ``(A, C)``, the 6x5 stage matrices of RODAS (row i = stage i+1).

    Row 5 of ``A`` (stage 6) is row 4 plus a unit weight on ``k_5``: the
    method is stiffly accurate, ``y_new = Y_6 + k_6``.
    """
    a = np.zeros((6, 5))
    c = np.zeros((6, 5))
    a[1, 0] = 1.544
    a[2, :2] = (0.9466785280815826, 0.2557011698983284)
    a[3, :3] = (3.314825187068521, 2.896124015972201, 0.9986419139977817)
    a[4, :4] = (1.221224509226641, 6.019134481288629, 12.53708332932087, -0.6878860361058950)
    a[5, :4] = a[4, :4]
    a[5, 4] = 1.0
    c[1, 0] = -5.6688
    c[2, :2] = (-2.430093356833875, -0.2063599157091915)
    c[3, :3] = (-0.1073529058151375, -9.594562251023355, -20.47028614809616)
    c[4, :4] = (7.496443313967647, -10.24680431464352, -33.99990352819905, 11.70890893206160)
    c[5, :] = (8.083246795921522, -7.981132988064893, -31.52159432874371,
               16.31930543123136, -6.058818238834054)
    return a, c


_TABLEAU_A, _TABLEAU_C = tableau()


@nb.njit(cache=True)
def _add_inputs(f, u, target):
    for k in range(u.shape[0]):
        f[target[k]] += u[k]


@nb.njit(cache=True)
def _hermite(t0, y0, f0, h, y1, f1, tq, out):
    """Dense output at ``tq``: the cubic Hermite interpolant through (y0, f0) at t0 and (y1, f1) at t0 + h.

    Written as ``y0 + h01 (y1 - y0)`` in the first half of the step and
    ``y1 - h00 (y1 - y0)`` in the second (plus ``h (h10 f0 + h11 f1)``), rather
    than as ``h00 y0 + h01 y1``: the same polynomial, but a state that does not
    move (an assigned parameter, a switched-off pool) comes out exactly, not an
    ulp off depending on where the output falls in the step, and the step's
    ends come out as y0 and y1 exactly.
    """
    th = (tq - t0) / h
    th2 = th * th
    th3 = th2 * th
    h00 = 2.0 * th3 - 3.0 * th2 + 1.0
    h10 = th3 - 2.0 * th2 + th
    h01 = -2.0 * th3 + 3.0 * th2
    h11 = th3 - th2
    if th <= 0.5:
        for i in range(y0.shape[0]):
            out[i] = y0[i] + h01 * (y1[i] - y0[i]) + h * (h10 * f0[i] + h11 * f1[i])
    else:
        for i in range(y0.shape[0]):
            out[i] = y1[i] - h00 * (y1[i] - y0[i]) + h * (h10 * f0[i] + h11 * f1[i])


@nb.njit(cache=True)
def _error_norm(y, ynew, err_vec, rtol, atol):
    n = y.shape[0]
    acc = 0.0
    for i in range(n):
        sc = atol[i] + rtol * max(abs(y[i]), abs(ynew[i]))
        e = err_vec[i] / sc
        acc += e * e
    return np.sqrt(acc / n)


@nb.njit(cache=True, inline="always")
def _attempt(rhs, factor, solve, p, y, f0, u, target, h, J, W, piv, lu, A, C, K, ys, fs, cs, ynew, stats):
    """One Rodas4 step of size h from (y, f0=f(y)). Fills ynew and K.

    Returns False if the iteration matrix is singular.
    """
    n = y.shape[0]
    inv_h = 1.0 / h
    inv_hg = inv_h / GAMMA
    stats[STAT_LU] += 1
    dense = factor(J, inv_hg, lu) != 0
    if dense:
        stats[STAT_DENSE_LU] += 1
        for i in range(n):
            for j in range(n):
                W[i, j] = -J[i, j]
            W[i, i] += inv_hg
        if lu_factor(W, piv) != 0:
            return False
    for i in range(n):
        K[0, i] = f0[i]
    if dense:
        lu_solve(W, piv, K[0])
    else:
        solve(lu, K[0])
    for s in range(1, 6):
        # Stage sums with the state index innermost: contiguous rows of K, so the
        # compiler vectorises them; each entry still adds its terms in the order
        # j = 0, 1, ..., as the textbook loop does, so the results are unchanged.
        for i in range(n):
            ys[i] = y[i]
            cs[i] = 0.0
        for j in range(s):
            a_sj = A[s, j]
            c_sj = C[s, j]
            for i in range(n):
                ys[i] += a_sj * K[j, i]
                cs[i] += c_sj * K[j, i]
        rhs(ys, p, fs)
        _add_inputs(fs, u, target)
        stats[STAT_RHS] += 1
        for i in range(n):
            K[s, i] = fs[i] + cs[i] * inv_h
        if dense:
            lu_solve(W, piv, K[s])
        else:
            solve(lu, K[s])
    for i in range(n):
        ynew[i] = ys[i] + K[5, i]
    return True


_SIGNATURE = types.int64(
    RhsFunction, JacFunction, FactorFunction, SolveFunction,
    types.int64,               # lu_size: length of the sparse factor array
    types.float64[::1],        # y0 (n,)
    types.float64[::1],        # p
    types.float64[::1],        # t_breaks (n_seg + 1,)
    types.float64[:, ::1],     # inputs (n_seg, n_inputs), species unit per day
    types.int64[::1],          # input_target (n_inputs,)
    types.float64[:, ::1],     # jumps (n_seg, n), added to y at each segment start
    types.float64[::1],        # t_out (n_out,), sorted, within [t_breaks[0], t_breaks[-1]]
    types.float64,             # rtol
    types.float64[::1],        # atol (n,)
    types.float64,             # h_init (<= 0: automatic)
    types.float64,             # h_max
    types.int64,               # max_steps
    types.float64[:, ::1],     # y_out (n_out, n)
    types.int64[::1],          # stats (N_STATS,)
)

_SIGNATURE_CONTROLLED = types.int64(
    RhsFunction, JacFunction, FactorFunction, SolveFunction,
    types.int64,               # lu_size
    types.float64[::1],        # y0 (n,)
    types.float64[::1],        # p
    types.float64[::1],        # t_breaks (n_seg + 1,)
    types.float64[:, ::1],     # inputs (n_seg, n_inputs)
    types.int64[::1],          # input_target (n_inputs,)
    types.float64[:, ::1],     # jumps (n_seg, n)
    types.int64[::1],          # control_index (n_controls,): entries of p set per segment
    types.float64[:, ::1],     # control_values (n_seg, n_controls)
    types.float64[::1],        # t_out (n_out,)
    types.float64,             # rtol
    types.float64[::1],        # atol (n,)
    types.float64,             # h_init
    types.float64,             # h_max
    types.int64,               # max_steps
    types.float64[:, ::1],     # y_out (n_out, n)
    types.int64[::1],          # stats (N_STATS,)
)


_SIGNATURE_EVENTS = types.int64(
    RhsFunction, JacFunction, FactorFunction, SolveFunction,
    types.int64,               # lu_size
    types.float64[::1],        # y0 (n,)
    types.float64[::1],        # p
    types.float64[::1],        # t_breaks (n_seg + 1,)
    types.float64[:, ::1],     # inputs (n_seg, n_inputs)
    types.int64[::1],          # input_target (n_inputs,)
    types.float64[:, ::1],     # jumps (n_seg, n)
    types.int64[::1],          # control_index (n_controls,)
    types.float64[:, ::1],     # control_values (n_seg, n_controls)
    types.float64[::1],        # t_out (n_out,)
    types.float64,             # rtol
    types.float64[::1],        # atol (n,)
    types.float64,             # h_init
    types.float64,             # h_max
    types.int64,               # max_steps
    types.float64[:, ::1],     # y_out (n_out, n)
    types.int64[::1],          # stats (N_STATS,)
    TriggersFunction, ValuesFunction, TimingFunction,
    types.int64[::1],          # persistent (n_events,)
    types.float64[::1],        # initial_value (n_events,)
    types.int64[::1],          # use_trigger_values (n_events,)
    types.int64[::1],          # has_delay (n_events,)
    types.int64[::1],          # offsets (n_events + 1,)
    types.int64[::1],          # targets (n_assignments,)
    types.float64[::1],        # log_t (capacity,): times of executed events
    types.int64[::1],          # log_e (capacity,): which event
    types.int64[::1],          # info (events.N_INFO,)
)

_SIGNATURE_DELAYS = types.int64(*_SIGNATURE_CONTROLLED.args, types.int64)   # + history_at: p[history_at:] is the buffer


@nb.njit(cache=True, nogil=True)
def _drive(rhs, jac, factor, solve, lu_size, y0, p0, t_breaks, inputs, input_target, jumps,
           control_index, control_values, t_out, rtol, atol, h_init, h_max, max_steps, y_out, stats,
           triggers, values, timing, persistent, initial_value, use_trigger_values, has_delay,
           offsets, targets, log_t, log_e, info, history_at):
    """The one time loop shared by :func:`integrate`, :func:`integrate_controlled`,
    :func:`integrate_events` and :func:`integrate_delays`. Without events (``persistent`` empty)
    it runs exactly as before them, and without a history (``history_at < 0``) as before that."""
    n = y0.shape[0]
    n_seg = t_breaks.shape[0] - 1
    n_out = t_out.shape[0]
    n_controls = control_index.shape[0]
    A, C = _TABLEAU_A, _TABLEAU_C
    p = p0.copy() if history_at < 0 else p0      # a history is written into the caller's vector
    y = y0.copy()
    ynew = np.empty(n)
    f0 = np.empty(n)
    f1 = np.empty(n)
    ys = np.empty(n)
    fs = np.empty(n)
    cs = np.empty(n)
    K = np.empty((6, n))
    J = np.zeros((n, n))     # zeroed once: ``jac`` may write only the structural non-zeros
    W = np.empty((n, n))
    piv = np.empty(n, dtype=np.int64)
    lu = np.empty(max(lu_size, 1))
    safety = 0.9
    fac_min = 0.2
    fac_max = 6.0
    expo = 1.0 / (ORDER_EMBEDDED + 1.0)
    # At a switch the carried step over-shoots the transient the switch starts
    # (in the IVIG models, the minutes-long relaxation of the endosomal pools),
    # where the error estimate grows as h^2 to h^3, not h^4. So a segment's
    # first step is at most the one that err ~ c h^2, with c measured on the
    # previous segment's first accepted step, puts at err_start; and a rejected
    # first attempt is cut by the h^2 rule. See benchmarks/results_solver.md.
    safety_start = 0.7
    fac_min_start = 0.01
    expo_start = 0.5
    err_start = 0.7
    c_start = -1.0            # err / h^2 of the last segment's first accepted step
    h = h_init
    t = t_breaks[0]
    i_out = 0
    n_attempts = 0
    # model events: trigger values, the queue of pending executions, work arrays
    n_ev = persistent.shape[0]
    state = initial_value.copy()
    q_time = np.zeros(ev.QUEUE_SIZE)
    q_event = np.zeros(ev.QUEUE_SIZE, dtype=np.int64)
    q_seq = np.zeros(ev.QUEUE_SIZE, dtype=np.int64)
    q_active = np.zeros(ev.QUEUE_SIZE, dtype=np.bool_)
    m_max = 1
    for e in range(n_ev):
        m_max = max(m_max, offsets[e + 1] - offsets[e])
    q_vals = np.zeros((ev.QUEUE_SIZE, m_max))
    g = np.zeros(max(n_ev, 1))
    delay = np.zeros(max(n_ev, 1))
    priority = np.zeros(max(n_ev, 1))
    vbuf = np.zeros(m_max)
    ybuf = np.empty(n)
    for s in range(n_seg):
        t1 = t_breaks[s + 1]
        last = s == n_seg - 1
        for i in range(n):
            y[i] += jumps[s, i]
        for k in range(n_controls):
            p[control_index[k]] = control_values[s, k]
        if n_ev:     # a dose (or t = 0) may trigger events; run those due now
            status = ev.update(triggers, values, timing, t, y, p, state, persistent, use_trigger_values,
                               has_delay, offsets, q_time, q_event, q_seq, q_active, q_vals, g, delay,
                               priority, vbuf, info)
            if status != 0:
                return status
            status, _ = ev.execute_due(triggers, values, timing, t, y, p, state, persistent,
                                       use_trigger_values, has_delay, offsets, targets, q_time, q_event,
                                       q_seq, q_active, q_vals, g, delay, priority, vbuf, log_t, log_e, info)
            if status != 0:
                return status
        while i_out < n_out and t_out[i_out] <= t:
            for i in range(n):
                y_out[i_out, i] = y[i]
            i_out += 1
        if t1 <= t:
            continue
        u = inputs[s]
        rhs(y, p, f0)
        _add_inputs(f0, u, input_target)
        stats[STAT_RHS] += 1
        for i in range(n):
            if not np.isfinite(f0[i]):
                return NOT_FINITE
        if h <= 0.0:
            d0 = 0.0
            d1 = 0.0
            for i in range(n):
                sc = atol[i] + rtol * abs(y[i])
                d0 += (y[i] / sc) ** 2
                d1 += (f0[i] / sc) ** 2
            d0 = np.sqrt(d0 / n)
            d1 = np.sqrt(d1 / n)
            h = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
        elif c_start > 0.0:
            h = min(h, np.sqrt(err_start / c_start))
        need_jac = True
        seg_start = True      # no step of this segment accepted yet
        while t < t1:
            if history_at >= 0:
                # delay(): keep (t, y, f) of every step's start for the kernel to read at t - tau
                # (steps are no longer than the shortest delay, h_max, so a step reads only the
                # past); a start that a dose or an event changed is kept beside the end before it
                status = _history.record(p, history_at, t, y, f0)
                if status != 0:
                    return status
            n_attempts += 1
            if n_attempts > max_steps:
                return MAX_STEPS
            h = min(h, h_max)
            # The next stop: the segment's end, or an earlier queued model event.
            stop = t1
            if n_ev:
                stop = min(t1, ev.next_time(q_time, q_active))
            # Land exactly on the boundary; absorb a sliver rather than leave one.
            clamped = t + h >= stop - 1e-12 * max(1.0, abs(stop))
            h_step = stop - t if clamped else h
            if h_step <= 1e-14 * max(1.0, abs(t)):
                return STEP_TOO_SMALL
            if need_jac:
                jac(y, p, J)
                stats[STAT_JAC] += 1
                need_jac = False
            ok = _attempt(rhs, factor, solve, p, y, f0, u, input_target, h_step, J, W, piv, lu,
                          A, C, K, ys, fs, cs, ynew, stats)
            if not ok:
                return SINGULAR
            err = _error_norm(y, ynew, K[5], rtol, atol)
            if not np.isfinite(err):
                stats[STAT_REJECTED] += 1
                h = 0.25 * h_step
                continue
            if err > 1.0:
                stats[STAT_REJECTED] += 1
                if seg_start:
                    h = h_step * max(fac_min_start, safety_start * err ** (-expo_start))
                else:
                    h = h_step * max(fac_min, safety * err ** (-expo))
                continue
            if seg_start:
                c_start = max(err, 1e-3) / (h_step * h_step)
                seg_start = False
            t_new = stop if clamped else t + h_step
            rhs(ynew, p, f1)
            _add_inputs(f1, u, input_target)
            stats[STAT_RHS] += 1
            stats[STAT_ACCEPTED] += 1
            if n_ev:
                triggers(t_new, ynew, p, g)
                c = ev._changed(g, state, info)
                if c < 0:
                    return ev.EVENT_NAN
                t_star = -2.0
                if c == 1:
                    # A trigger changed within the step: cut the step at the crossing,
                    # located on the dense output, and run the events there (-2: only
                    # relations of compound triggers changed, and the step stands).
                    t_star = ev.crossing_of_events(triggers, p, t, y, f0, h_step, ynew, f1, state, has_delay,
                                                   g, ybuf, info)
                    if t_star == -1.0:
                        return ev.EVENT_NAN
                else:
                    # No change at the end: a trigger may still have changed and changed back
                    # inside the step; sampled on the dense output (see events.crossing_inside).
                    t_star = ev.crossing_inside(triggers, p, t, y, f0, h_step, ynew, f1, state, has_delay,
                                                g, ybuf, info)
                    if t_star == -1.0:
                        return ev.EVENT_NAN
                if t_star >= 0.0:
                    while i_out < n_out and t_out[i_out] < t_star:
                        _hermite(t, y, f0, h_step, ynew, f1, t_out[i_out], y_out[i_out])
                        i_out += 1
                    for i in range(n):
                        y[i] = ybuf[i]
                    t = t_star
                    status = ev.update(triggers, values, timing, t, y, p, state, persistent,
                                       use_trigger_values, has_delay, offsets, q_time, q_event, q_seq,
                                       q_active, q_vals, g, delay, priority, vbuf, info)
                    if status != 0:
                        return status
                    status, _ = ev.execute_due(triggers, values, timing, t, y, p, state, persistent,
                                               use_trigger_values, has_delay, offsets, targets, q_time,
                                               q_event, q_seq, q_active, q_vals, g, delay, priority, vbuf,
                                               log_t, log_e, info)
                    if status != 0:
                        return status
                    rhs(y, p, f0)
                    _add_inputs(f0, u, input_target)
                    stats[STAT_RHS] += 1
                    need_jac = True
                    continue
            while i_out < n_out and (t_out[i_out] < t_new or
                                     (last and t_out[i_out] <= t_new and (n_ev == 0 or t_new == t1))):
                _hermite(t, y, f0, h_step, ynew, f1, t_out[i_out], y_out[i_out])
                i_out += 1
            for i in range(n):
                y[i] = ynew[i]
                f0[i] = f1[i]
            t = t_new
            need_jac = True
            if history_at >= 0:      # delay(): the end too, before a dose or event at t changes it
                status = _history.record(p, history_at, t, y, f0)
                if status != 0:
                    return status
            fac = fac_max if err == 0.0 else min(fac_max, max(fac_min, safety * err ** (-expo)))
            h_next = h_step * fac
            # A step shortened to hit a switch says little about the scale of
            # the dynamics: keep the longer of the two proposals.
            h = max(h_next, h) if clamped else h_next
            if n_ev and clamped and stop < t1:
                # a delayed model event is due now
                status, moved = ev.execute_due(triggers, values, timing, t, y, p, state, persistent,
                                               use_trigger_values, has_delay, offsets, targets, q_time,
                                               q_event, q_seq, q_active, q_vals, g, delay, priority, vbuf,
                                               log_t, log_e, info)
                if status != 0:
                    return status
                if moved:
                    rhs(y, p, f0)
                    _add_inputs(f0, u, input_target)
                    stats[STAT_RHS] += 1
    # outputs at the very end when an event stopped the last step there
    while i_out < n_out and t_out[i_out] <= t:
        for i in range(n):
            y_out[i_out, i] = y[i]
        i_out += 1
    return SUCCESS


# The entry points are compiled on first use, not at import (see ivigsim.core.kernel.lazy).
_LAZY = LazyJit(globals())
__getattr__ = _LAZY.module_getattr()


@_LAZY.define("integrate", _SIGNATURE, cache=True, nogil=True)
def _integrate(rhs, jac, factor, solve, lu_size, y0, p, t_breaks, inputs, input_target, jumps, t_out,
              rtol, atol, h_init, h_max, max_steps, y_out, stats):
    """Integrate across the segments ``[t_breaks[s], t_breaks[s+1]]``.

    Outputs at a segment boundary are taken after that segment's jump (the
    state is right-continuous in time), except at the very end.

    Returns a status code (``SUCCESS`` or a failure listed in STATUS_MESSAGES);
    on failure the outputs not reached are left untouched.
    """
    no_index = np.zeros(0, dtype=np.int64)
    no_values = np.zeros((t_breaks.shape[0] - 1, 0))
    none_i, none_f = np.zeros(0, dtype=np.int64), np.zeros(0)
    return _drive(rhs, jac, factor, solve, lu_size, y0, p, t_breaks, inputs, input_target, jumps,
                  no_index, no_values, t_out, rtol, atol, h_init, h_max, max_steps, y_out, stats,
                  ev.no_triggers, ev.no_values, ev.no_timing, none_i, none_f, none_i, none_i,
                  np.zeros(1, dtype=np.int64), none_i, none_f, none_i, np.zeros(ev.N_INFO, dtype=np.int64), -1)


@_LAZY.define("integrate_controlled", _SIGNATURE_CONTROLLED, cache=True, nogil=True)
def _integrate_controlled(rhs, jac, factor, solve, lu_size, y0, p, t_breaks, inputs, input_target,
                         jumps, control_index, control_values, t_out, rtol, atol, h_init, h_max,
                         max_steps, y_out, stats):
    """:func:`integrate` with parameters that are constant within each segment.

    On segment ``s`` the entries ``p[control_index[k]]`` take the values
    ``control_values[s, k]``; ``p`` itself is not changed. This is how a
    regimen switches a first-order process on and off (plasma exchange
    removes plasma species at a rate set per session): the model's own
    reactions carry the process, so its Jacobian, sparsity and mass balance
    are exact, and the step lands on every switch as it does for infusions.
    """
    none_i, none_f = np.zeros(0, dtype=np.int64), np.zeros(0)
    return _drive(rhs, jac, factor, solve, lu_size, y0, p, t_breaks, inputs, input_target, jumps,
                  control_index, control_values, t_out, rtol, atol, h_init, h_max, max_steps,
                  y_out, stats, ev.no_triggers, ev.no_values, ev.no_timing, none_i, none_f, none_i, none_i,
                  np.zeros(1, dtype=np.int64), none_i, none_f, none_i, np.zeros(ev.N_INFO, dtype=np.int64), -1)


@_LAZY.define("integrate_events", _SIGNATURE_EVENTS, cache=True, nogil=True)
def _integrate_events(rhs, jac, factor, solve, lu_size, y0, p, t_breaks, inputs, input_target, jumps,
                      control_index, control_values, t_out, rtol, atol, h_init, h_max, max_steps, y_out,
                      stats, triggers, values, timing, persistent, initial_value, use_trigger_values,
                      has_delay, offsets, targets, log_t, log_e, info):
    """:func:`integrate_controlled` with model events (see :mod:`ivigsim.core.solvers.events`).

    The functions and arrays after ``stats`` are those of
    :class:`ivigsim.core.kernel.events.EventFunctions`; executed events are logged
    in ``log_t``/``log_e`` (up to their length) and counted in ``info[0]``;
    on an event failure ``info[1]`` is the event.
    """
    return _drive(rhs, jac, factor, solve, lu_size, y0, p, t_breaks, inputs, input_target, jumps,
                  control_index, control_values, t_out, rtol, atol, h_init, h_max, max_steps,
                  y_out, stats, triggers, values, timing, persistent, initial_value, use_trigger_values,
                  has_delay, offsets, targets, log_t, log_e, info, -1)


@_LAZY.define("integrate_delays", _SIGNATURE_DELAYS, cache=True, nogil=True)
def _integrate_delays(rhs, jac, factor, solve, lu_size, y0, p, t_breaks, inputs, input_target, jumps,
                      control_index, control_values, t_out, rtol, atol, h_init, h_max, max_steps, y_out,
                      stats, history_at):
    """:func:`integrate_controlled` for a model that reads ``delay(x, tau)`` (and has no events).

    ``p[history_at:]`` is a buffer of :mod:`ivigsim.core.kernel.history` that
    holds the start state (``history.start``); the run writes its history
    there, in place (so that the caller can evaluate the observables with it),
    and the kernel reads it. ``h_max`` must not
    exceed the shortest delay.
    """
    none_i, none_f = np.zeros(0, dtype=np.int64), np.zeros(0)
    return _drive(rhs, jac, factor, solve, lu_size, y0, p, t_breaks, inputs, input_target, jumps,
                  control_index, control_values, t_out, rtol, atol, h_init, h_max, max_steps,
                  y_out, stats, ev.no_triggers, ev.no_values, ev.no_timing, none_i, none_f, none_i, none_i,
                  np.zeros(1, dtype=np.int64), none_i, none_f, none_i, np.zeros(ev.N_INFO, dtype=np.int64),
                  history_at)
