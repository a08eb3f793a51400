"""An independent reference: the same model and schedule integrated by SciPy.

Used by the tests (agreement with ``solve_ivp(method="Radau")`` at tight
tolerance) and by the benchmarks. It integrates piecewise between dose switch
times, as a careful SciPy user would, calling the compiled right-hand side and
Jacobian from Python.
"""

from __future__ import annotations

import numpy as np


def integrate_scipy(kernel, y0, p, schedule, t_out, method="Radau", rtol=1e-10, atol=1e-14,
                    use_jacobian=True):
    """States at ``t_out`` (n_out, n), integrating each schedule segment with ``solve_ivp``.

    Returns ``(states, stats)`` where stats counts RHS and Jacobian evaluations.
    """
    from scipy.integrate import solve_ivp

    n = len(y0)
    y = np.array(y0, dtype=np.float64)
    out = np.full((len(t_out), n), np.nan)
    stats = {"rhs_evaluations": 0, "jacobian_evaluations": 0, "steps": 0}
    breaks = schedule.t_breaks
    n_seg = len(breaks) - 1
    t_out = np.asarray(t_out, dtype=np.float64)
    dydt = np.empty(n)
    J = np.empty((n, n))
    p = np.array(p, dtype=np.float64)
    control_index = getattr(schedule, "control_index", np.zeros(0, dtype=np.int64))
    for s in range(n_seg):
        t0, t1 = breaks[s], breaks[s + 1]
        y = y + schedule.jumps[s]
        if control_index.size:
            p = p.copy()
            p[control_index] = schedule.control_values[s]
        u = schedule.inputs[s]
        target = schedule.input_target

        def fun(t, x):
            kernel.rhs(np.ascontiguousarray(x), p, dydt)
            dydt[target] += u
            return dydt.copy()

        def jac(t, x):
            kernel.jac(np.ascontiguousarray(x), p, J)
            return J.copy()

        last = s == n_seg - 1
        mask = (t_out >= t0) & ((t_out <= t1) if last else (t_out < t1))
        at_start = mask & (t_out == t0)
        out[at_start] = y
        inner = mask & ~at_start
        if t1 <= t0:
            continue
        kwargs = {"jac": jac} if (use_jacobian and method in ("Radau", "BDF", "LSODA")) else {}
        wanted = t_out[inner]
        t_eval = np.append(wanted[wanted < t1], t1)     # always end on the boundary
        sol = solve_ivp(fun, (t0, t1), y, method=method, rtol=rtol, atol=atol, t_eval=t_eval, **kwargs)
        if not sol.success:
            raise RuntimeError(f"solve_ivp({method}) failed on segment {s}: {sol.message}")
        n_inner = int((wanted < t1).sum())
        out[np.flatnonzero(inner)[:n_inner]] = sol.y[:, :n_inner].T
        if n_inner < wanted.size:                      # outputs at t1 itself (the final time)
            out[np.flatnonzero(inner)[n_inner:]] = sol.y[:, -1]
        stats["rhs_evaluations"] += sol.nfev
        stats["jacobian_evaluations"] += sol.njev
        y = sol.y[:, -1].copy()
    return out, stats

