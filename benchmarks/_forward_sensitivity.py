"""Forward sensitivities through ivigsim's Rodas4 driver, for the fit benchmark's gradient comparison.

Only the benchmark uses this: it measures whether forward sensitivities would
beat the batched finite differences that ivigsim's fitter uses. The state is
augmented with ``S_k = dy/dp_k`` for the estimated parameters, and

    dS_k/dt = J(y) S_k + df/dp_k,

with ``J`` from the model's compiled Jacobian and ``df/dp_k`` from a compiled
one-sided difference of the right-hand side in ``p_k`` (exact for parameters
the rates are linear in). The augmented system goes through the same compiled
Rodas4 driver. Its Jacobian is the full augmented one (Rosenbrock methods
lose their order with an inexact Jacobian: leaving out the lower blocks cost
100,000 steps per patient): the diagonal blocks ``J``, and below them
``d(J S_k + df/dp_k)/dy``, from differences of the compiled Jacobian along
``S_k`` and in ``p_k``. The LU is the driver's dense one, since the model's
generated sparse LU is for ``n`` states only.

Limits, stated because the benchmark problem meets them: dosing does not
depend on the estimated parameters (no sensitivity jumps), and the initial
state does not either (here the untreated state is zero for every parameter:
``S(0) = 0``).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from ivigsim.core.kernel.compiled import _typed
from ivigsim.core.kernel.signatures import FACTOR_SIG, JAC_SIG, RHS_SIG, SOLVE_SIG
from ivigsim.core.solvers import rodas


def augmented_functions(kernel, indices):
    """Typed (rhs, jac, factor, solve) of the system augmented with sensitivities to ``p[indices]``."""
    rhs, jac = kernel.rhs, kernel.jac
    n = kernel.n_species
    idx = np.asarray(indices, dtype=np.int64)
    m = len(idx)

    @nb.njit(RHS_SIG)
    def rhs_aug(z, p, out):
        y = z[:n].copy()
        f = np.empty(n)
        rhs(y, p, f)
        J = np.empty((n, n))
        jac(y, p, J)
        pp = p.copy()
        fp = np.empty(n)
        for i in range(n):
            out[i] = f[i]
        for k in range(m):
            j = idx[k]
            h = 1e-7 * max(abs(p[j]), 1e-12)
            pp[j] = p[j] + h
            rhs(y, pp, fp)
            pp[j] = p[j]
            base = n * (k + 1)
            for r in range(n):
                acc = (fp[r] - f[r]) / h
                for c in range(n):
                    acc += J[r, c] * z[base + c]
                out[base + r] = acc

    @nb.njit(JAC_SIG)
    def jac_aug(z, p, out):
        y = z[:n].copy()
        J = np.empty((n, n))
        jac(y, p, J)
        Jp = np.empty((n, n))
        Jy = np.empty((n, n))
        pp = p.copy()
        yy = np.empty(n)
        out[:, :] = 0.0
        for k in range(m + 1):
            base = n * k
            for r in range(n):
                for c in range(n):
                    out[base + r, base + c] = J[r, c]
        for k in range(m):
            j = idx[k]
            base = n * (k + 1)
            # d(J S_k + df/dp_k)/dy = (directional derivative of J along S_k) + dJ/dp_k, by differences.
            h = 1e-7 * max(abs(p[j]), 1e-12)
            pp[j] = p[j] + h
            jac(y, pp, Jp)
            pp[j] = p[j]
            norm = 0.0
            for c in range(n):
                norm = max(norm, abs(z[base + c]))
            eps = 1e-7 * max(1.0, np.max(np.abs(y))) / norm if norm > 0 else 0.0
            if eps > 0:
                for c in range(n):
                    yy[c] = y[c] + eps * z[base + c]
                jac(yy, p, Jy)
            for r in range(n):
                for c in range(n):
                    value = (Jp[r, c] - J[r, c]) / h
                    if eps > 0:
                        value += (Jy[r, c] - J[r, c]) / eps
                    out[base + r, c] = value

    @nb.njit(FACTOR_SIG)
    def factor_dense(J, c, lu):
        return 1                     # always the driver's dense LU with partial pivoting

    @nb.njit(SOLVE_SIG)
    def solve_unused(lu, b):
        pass

    return (_typed(rhs_aug, RHS_SIG), _typed(jac_aug, JAC_SIG), _typed(factor_dense, FACTOR_SIG),
            _typed(solve_unused, SOLVE_SIG))


def integrate_sensitivities(functions, run, y0, indices):
    """States (n_out, n) and sensitivities (n_out, n, m) of a prepared run (``S(0) = 0``)."""
    n = len(y0)
    m = len(indices)
    size = n * (m + 1)
    z0 = np.zeros(size)
    z0[:n] = y0
    schedule = run.schedule
    jumps = np.zeros((schedule.jumps.shape[0], size))
    jumps[:, :n] = schedule.jumps
    atol = np.concatenate([run.atol] * (m + 1))
    out = np.zeros((len(run.t_out), size))
    stats = np.zeros(rodas.N_STATS, dtype=np.int64)
    rhs, jac, factor, solve = functions
    status = rodas.integrate(rhs, jac, factor, solve, 1, z0, run.p, schedule.t_breaks, schedule.inputs,
                             schedule.input_target, jumps, np.ascontiguousarray(run.t_out), run.rtol, atol,
                             0.0, np.inf, 500_000, out, stats)
    if status != rodas.SUCCESS:
        raise RuntimeError(rodas.STATUS_MESSAGES[status])
    return out[:, :n], out[:, n:].reshape(len(run.t_out), m, n).transpose(0, 2, 1)
