"""Rodas4 over L points in lockstep: one compiled time loop, each lane with its own step control.

The points of a sweep chunk that share a regimen shape share their dosing
segments. :func:`integrate_lanes` integrates L of them together: the state,
the stage increments, the Jacobian and the sparse LU carry a trailing lane
axis, and the model's lane kernels (:mod:`ivigsim.core.kernel.lanes`)
evaluate all lanes in one vectorised loop.

Every lane keeps its own time, step size, error estimate, accept/reject
decision and segment-start rule, with exactly the arithmetic of
:func:`ivigsim.core.solvers.rodas.integrate_controlled` (this module mirrors
its ``_drive`` without events or history, line by line), so a lane's result
is that of the scalar solver, bit for bit, whatever the other lanes do; a
point's numbers therefore do not depend on which points share its lanes.
In each pass of the loop every lane still running the segment attempts one
step; a lane that has reached the segment's end idles (its arithmetic is
done and thrown away) until all lanes have, and then all enter the next
segment together. A lane whose sparse pivots fail factors densely, as the
scalar solver does; a lane that fails stops with the scalar solver's status
code while the others go on.

Array layout: ``y0 (n, L)``, ``p (n_p, L)``, ``inputs (n_seg, n_inputs, L)``,
``jumps (n_seg, n, L)``; the segment boundaries, input targets, controlled
parameters and their values and the output times are shared.
"""

import numba as nb
import numpy as np
from numba import types

from ivigsim.core.kernel.lanes import LaneFactorFunction, LaneJacFunction, LaneRhsFunction, LaneSolveFunction
from ivigsim.core.kernel.lazy import LazyJit
from ivigsim.core.solvers import rodas
from ivigsim.core.solvers.linalg import lu_factor, lu_solve

_SIGNATURE = types.void(
    LaneRhsFunction, LaneJacFunction, LaneFactorFunction, LaneSolveFunction,
    types.int64,               # lu_size
    types.int64,               # scratch: rows of the lane kernels' scratch array
    types.float64[:, ::1],     # y0 (n, L)
    types.float64[:, ::1],     # p (n_p, L)
    types.float64[::1],        # t_breaks (n_seg + 1,), shared
    types.float64[:, :, ::1],  # inputs (n_seg, n_inputs, L)
    types.int64[::1],          # input_target (n_inputs,), shared
    types.float64[:, :, ::1],  # jumps (n_seg, n, L)
    types.int64[::1],          # control_index (n_controls,), shared
    types.float64[:, ::1],     # control_values (n_seg, n_controls), shared
    types.float64[::1],        # t_out (n_out,), shared
    types.float64,             # rtol
    types.float64[::1],        # atol (n,)
    types.float64,             # h_max
    types.int64,               # max_steps (per lane)
    types.float64[:, :, ::1],  # y_out (L, n_out, n)
    types.int64[:, ::1],       # stats (L, N_STATS)
    types.int64[::1],          # status (L,): rodas status codes
)

_TABLEAU_A, _TABLEAU_C = rodas.tableau()     # the same numbers as rodas' own

_LAZY = LazyJit(globals())
__getattr__ = _LAZY.module_getattr()


@nb.njit(cache=True)
def _hermite_lane(t0, Y, F0, h, YN, F1, lane, tq, out):
    """rodas._hermite for lane ``lane`` of (n, L) arrays (the same arithmetic)."""
    th = (tq - t0) / h
    th2 = th * th
    th3 = th2 * th
    h00 = 2.0 * th3 - 3.0 * th2 + 1.0
    h10 = th3 - 2.0 * th2 + th
    h01 = -2.0 * th3 + 3.0 * th2
    h11 = th3 - th2
    if th <= 0.5:
        for i in range(Y.shape[0]):
            out[i] = Y[i, lane] + h01 * (YN[i, lane] - Y[i, lane]) + h * (h10 * F0[i, lane] + h11 * F1[i, lane])
    else:
        for i in range(Y.shape[0]):
            out[i] = YN[i, lane] - h00 * (YN[i, lane] - Y[i, lane]) + h * (h10 * F0[i, lane] + h11 * F1[i, lane])


@nb.njit(cache=True)
def _add_inputs(F, u, target):
    for k in range(target.shape[0]):
        row = target[k]
        for lane in range(F.shape[1]):
            F[row, lane] += u[k, lane]


@nb.njit(cache=True)
def _stage_sums(st, y, K, A, C, ys, cs):
    """``ys = y + sum_j A[st, j] K[j]`` and ``cs = sum_j C[st, j] K[j]`` over flat (n * L) rows.

    Each entry adds its terms in the order j = 0, 1, ..., starting from ``y``
    and from 0.0, as rodas._attempt does, so the sums are the same bits; one
    pass over the entries per stage (the terms written out per stage, which
    LLVM vectorises) instead of one per term.
    """
    nl = y.shape[0]
    if st == 1:
        a0, c0 = A[1, 0], C[1, 0]
        for q in range(nl):
            ys[q] = y[q] + a0 * K[0, q]
            cs[q] = 0.0 + c0 * K[0, q]
    elif st == 2:
        a0, a1, c0, c1 = A[2, 0], A[2, 1], C[2, 0], C[2, 1]
        for q in range(nl):
            ys[q] = y[q] + a0 * K[0, q] + a1 * K[1, q]
            cs[q] = 0.0 + c0 * K[0, q] + c1 * K[1, q]
    elif st == 3:
        a0, a1, a2, c0, c1, c2 = A[3, 0], A[3, 1], A[3, 2], C[3, 0], C[3, 1], C[3, 2]
        for q in range(nl):
            ys[q] = y[q] + a0 * K[0, q] + a1 * K[1, q] + a2 * K[2, q]
            cs[q] = 0.0 + c0 * K[0, q] + c1 * K[1, q] + c2 * K[2, q]
    elif st == 4:
        a0, a1, a2, a3 = A[4, 0], A[4, 1], A[4, 2], A[4, 3]
        c0, c1, c2, c3 = C[4, 0], C[4, 1], C[4, 2], C[4, 3]
        for q in range(nl):
            ys[q] = y[q] + a0 * K[0, q] + a1 * K[1, q] + a2 * K[2, q] + a3 * K[3, q]
            cs[q] = 0.0 + c0 * K[0, q] + c1 * K[1, q] + c2 * K[2, q] + c3 * K[3, q]
    else:
        a0, a1, a2, a3, a4 = A[5, 0], A[5, 1], A[5, 2], A[5, 3], A[5, 4]
        c0, c1, c2, c3, c4 = C[5, 0], C[5, 1], C[5, 2], C[5, 3], C[5, 4]
        for q in range(nl):
            ys[q] = y[q] + a0 * K[0, q] + a1 * K[1, q] + a2 * K[2, q] + a3 * K[3, q] + a4 * K[4, q]
            cs[q] = 0.0 + c0 * K[0, q] + c1 * K[1, q] + c2 * K[2, q] + c3 * K[3, q] + c4 * K[4, q]


@nb.njit(cache=True)
def _dense_solve(Wd, pivd, dense, running, B, column):
    """Solve the lanes that factor densely; ``B[:, l]`` holds their right-hand sides."""
    n = B.shape[0]
    for lane in range(B.shape[1]):
        if dense[lane] and running[lane]:
            for i in range(n):
                column[i] = B[i, lane]
            lu_solve(Wd[lane], pivd[lane], column)
            for i in range(n):
                B[i, lane] = column[i]


# error_model="numpy": no zero-division check on the divisions (their divisors, atol + rtol |y| and h, are
# positive), which lets LLVM vectorise the error norm across lanes; the quotients are the same bits.
@_LAZY.define("integrate_lanes", _SIGNATURE, cache=True, nogil=True, error_model="numpy")
def _integrate_lanes(rhs, jac, factor, solve, lu_size, scratch, y0, p0, t_breaks, inputs, input_target, jumps,
                     control_index, control_values, t_out, rtol, atol, h_max, max_steps, y_out, stats, status):
    """Integrate L lanes across the shared segments; each lane as ``rodas.integrate_controlled`` would.

    ``h_init`` is automatic (as in a sweep's course). Lanes whose ``status``
    is not ``rodas.SUCCESS`` on entry are skipped; on return ``status[l]`` is
    the scalar solver's code for lane l.
    """
    n, L = y0.shape
    n_seg = t_breaks.shape[0] - 1
    n_out = t_out.shape[0]
    n_controls = control_index.shape[0]
    A, C = _TABLEAU_A, _TABLEAU_C
    gamma = rodas.GAMMA
    P = p0.copy()
    Y = y0.copy()
    YN = np.empty((n, L))
    F0 = np.empty((n, L))
    F1 = np.empty((n, L))
    YS = np.empty((n, L))
    FS = np.empty((n, L))
    CS = np.empty((n, L))
    K = np.empty((6, n, L))
    J = np.zeros((n, n, L))        # zeroed once: ``jac`` writes only the structural non-zeros
    LU = np.empty((max(lu_size, 1), L))
    T = np.empty((max(scratch, 1), L))
    inv_h = np.ones(L)
    acc = np.zeros(L)
    nl = n * L
    inv_h_flat = np.ones(nl)
    K2 = K.reshape(6, n * L)
    y = Y.reshape(-1)        # flat views of the (n, L) arrays for the element-wise stage arithmetic
    yn = YN.reshape(-1)
    ys = YS.reshape(-1)
    fs = FS.reshape(-1)
    cs = CS.reshape(-1)
    f0 = F0.reshape(-1)
    inv_hg = np.ones(L)
    # the lane kernels take flat arrays (see ivigsim.core.kernel.lanes): views made once, here
    pf = P.reshape(-1)
    f1 = F1.reshape(-1)
    jf = J.reshape(-1)
    luf = LU.reshape(-1)
    tf = T.reshape(-1)
    bad = np.zeros(L, dtype=np.int64)
    dense = np.zeros(L, dtype=np.bool_)
    Wd = np.empty((L, n, n))
    pivd = np.empty((L, n), dtype=np.int64)
    column = np.empty(n)
    # the step-size controller of rodas._drive, constant for constant
    safety = 0.9
    fac_min = 0.2
    fac_max = 6.0
    expo = 1.0 / (rodas.ORDER_EMBEDDED + 1.0)
    safety_start = 0.7
    fac_min_start = 0.01
    expo_start = 0.5
    err_start = 0.7
    c_start = np.full(L, -1.0)
    h = np.zeros(L)                # h_init 0: automatic, per lane
    h_step = np.ones(L)
    t = np.full(L, t_breaks[0])
    i_out = np.zeros(L, dtype=np.int64)
    n_attempts = np.zeros(L, dtype=np.int64)
    running = np.zeros(L, dtype=np.bool_)
    clamped = np.zeros(L, dtype=np.bool_)
    seg_start = np.zeros(L, dtype=np.bool_)
    need_jac = np.zeros(L, dtype=np.bool_)
    for s in range(n_seg):
        t1 = t_breaks[s + 1]
        last = s == n_seg - 1
        for lane in range(L):
            if status[lane] != rodas.SUCCESS:
                continue
            for i in range(n):
                Y[i, lane] += jumps[s, i, lane]
            for k in range(n_controls):
                P[control_index[k], lane] = control_values[s, k]
            while i_out[lane] < n_out and t_out[i_out[lane]] <= t[lane]:
                for i in range(n):
                    y_out[lane, i_out[lane], i] = Y[i, lane]
                i_out[lane] += 1
        any_running = False
        for lane in range(L):
            running[lane] = status[lane] == rodas.SUCCESS and t1 > t[lane]
            any_running = any_running or running[lane]
        if not any_running:
            continue
        u = inputs[s]
        rhs(y, pf, f0, tf)
        _add_inputs(F0, u, input_target)
        for lane in range(L):
            if not running[lane]:
                continue
            stats[lane, rodas.STAT_RHS] += 1
            finite = True
            for i in range(n):
                if not np.isfinite(F0[i, lane]):
                    finite = False
            if not finite:
                status[lane] = rodas.NOT_FINITE
                running[lane] = False
                continue
            if h[lane] <= 0.0:
                d0 = 0.0
                d1 = 0.0
                for i in range(n):
                    sc = atol[i] + rtol * abs(Y[i, lane])
                    d0 += (Y[i, lane] / sc) ** 2
                    d1 += (F0[i, lane] / sc) ** 2
                d0 = np.sqrt(d0 / n)
                d1 = np.sqrt(d1 / n)
                h[lane] = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
            elif c_start[lane] > 0.0:
                h[lane] = min(h[lane], np.sqrt(err_start / c_start[lane]))
            need_jac[lane] = True
            seg_start[lane] = True
        while True:
            any_running = False
            for lane in range(L):
                if not running[lane]:
                    continue
                n_attempts[lane] += 1
                if n_attempts[lane] > max_steps:
                    status[lane] = rodas.MAX_STEPS
                    running[lane] = False
                    continue
                h[lane] = min(h[lane], h_max)
                stop = t1
                clamped[lane] = t[lane] + h[lane] >= stop - 1e-12 * max(1.0, abs(stop))
                hs = stop - t[lane] if clamped[lane] else h[lane]
                if hs <= 1e-14 * max(1.0, abs(t[lane])):
                    status[lane] = rodas.STEP_TOO_SMALL
                    running[lane] = False
                    continue
                h_step[lane] = hs
                any_running = True
            if not any_running:
                break
            # One attempt for every lane; the lanes not running compute with their last h and are ignored.
            for lane in range(L):
                inv_h[lane] = 1.0 / h_step[lane]
                inv_hg[lane] = inv_h[lane] / gamma
            for i in range(n):
                for lane in range(L):
                    inv_h_flat[i * L + lane] = inv_h[lane]
            jac(y, pf, jf, tf)    # a rejected lane gets the same J again (same y): no change in its numbers
            factor(jf, inv_hg, luf, bad, tf)
            any_dense = False
            for lane in range(L):
                dense[lane] = False
                if not running[lane]:
                    continue
                if need_jac[lane]:
                    stats[lane, rodas.STAT_JAC] += 1
                    need_jac[lane] = False
                stats[lane, rodas.STAT_LU] += 1
                if bad[lane] != 0:
                    stats[lane, rodas.STAT_DENSE_LU] += 1
                    dense[lane] = True
                    W = Wd[lane]
                    for i in range(n):
                        for j in range(n):
                            W[i, j] = -J[i, j, lane]
                        W[i, i] += inv_hg[lane]
                    if lu_factor(W, pivd[lane]) != 0:
                        status[lane] = rodas.SINGULAR
                        running[lane] = False
                        dense[lane] = False
                any_dense = any_dense or dense[lane]
            # Stage sums over the flat (n * L) arrays: lanes are independent, element by element,
            # and each entry adds its terms in the order j = 0, 1, ... as rodas._attempt does.
            k0 = K2[0]
            for q in range(nl):
                k0[q] = f0[q]
            solve(luf, k0, tf)
            if any_dense:
                # the sparse solve overwrote the dense lanes' right-hand sides: put them back
                for lane in range(L):
                    if dense[lane]:
                        for i in range(n):
                            K[0, i, lane] = F0[i, lane]
                _dense_solve(Wd, pivd, dense, running, K[0], column)
            for st in range(1, 6):
                _stage_sums(st, y, K2, A, C, ys, cs)
                rhs(ys, pf, fs, tf)
                _add_inputs(FS, u, input_target)
                ks = K2[st]
                for q in range(nl):
                    ks[q] = fs[q] + cs[q] * inv_h_flat[q]
                solve(luf, ks, tf)
                if any_dense:
                    # the sparse solve overwrote the dense lanes' right-hand sides: rebuild them
                    for lane in range(L):
                        if dense[lane] and running[lane]:
                            for i in range(n):
                                K[st, i, lane] = FS[i, lane] + CS[i, lane] * inv_h[lane]
                    _dense_solve(Wd, pivd, dense, running, K[st], column)
            k5 = K2[5]
            for q in range(nl):
                yn[q] = ys[q] + k5[q]
            rhs(yn, pf, f1, tf)
            _add_inputs(F1, u, input_target)
            # rodas._error_norm for every lane at once: each lane sums over i in the same order
            for lane in range(L):
                acc[lane] = 0.0
            for i in range(n):
                a_i = atol[i]
                row = i * L
                for lane in range(L):
                    q = row + lane
                    sc = a_i + rtol * max(abs(y[q]), abs(yn[q]))
                    e = k5[q] / sc
                    acc[lane] += e * e
            for lane in range(L):
                if not running[lane]:
                    continue
                stats[lane, rodas.STAT_RHS] += 5
                hs = h_step[lane]
                err = np.sqrt(acc[lane] / n)
                if not np.isfinite(err):
                    stats[lane, rodas.STAT_REJECTED] += 1
                    h[lane] = 0.25 * hs
                    continue
                if err > 1.0:
                    stats[lane, rodas.STAT_REJECTED] += 1
                    if seg_start[lane]:
                        h[lane] = hs * max(fac_min_start, safety_start * err ** (-expo_start))
                    else:
                        h[lane] = hs * max(fac_min, safety * err ** (-expo))
                    continue
                if seg_start[lane]:
                    c_start[lane] = max(err, 1e-3) / (hs * hs)
                    seg_start[lane] = False
                t_new = t1 if clamped[lane] else t[lane] + hs
                stats[lane, rodas.STAT_RHS] += 1
                stats[lane, rodas.STAT_ACCEPTED] += 1
                while i_out[lane] < n_out and (t_out[i_out[lane]] < t_new or
                                               (last and t_out[i_out[lane]] <= t_new)):
                    _hermite_lane(t[lane], Y, F0, hs, YN, F1, lane, t_out[i_out[lane]], y_out[lane, i_out[lane]])
                    i_out[lane] += 1
                for i in range(n):
                    Y[i, lane] = YN[i, lane]
                    F0[i, lane] = F1[i, lane]
                t[lane] = t_new
                need_jac[lane] = True
                fac = fac_max if err == 0.0 else min(fac_max, max(fac_min, safety * err ** (-expo)))
                h_next = hs * fac
                h[lane] = max(h_next, h[lane]) if clamped[lane] else h_next
                if t[lane] >= t1:
                    running[lane] = False
    for lane in range(L):
        if status[lane] != rodas.SUCCESS:
            continue
        while i_out[lane] < n_out and t_out[i_out[lane]] <= t[lane]:
            for i in range(n):
                y_out[lane, i_out[lane], i] = Y[i, lane]
            i_out[lane] += 1
