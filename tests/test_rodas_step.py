"""One step of the compiled Rodas4 driver against the textbook formulas in NumPy.

The driver's stage loops are written for speed (state index innermost, the
model's generated sparse LU); these tests hold them to the plain definition
of a Rosenbrock step (Hairer & Wanner II, IV.7, the transformed form)::

    (I / (h gamma) - J) k_i = f(y + sum_j a_ij k_j) + sum_j (c_ij / h) k_j
    y_new = y + sum_j a_6j k_j + k_6

with dense NumPy solves, on a small stiff problem and on a shipped model.
"""

import numpy as np
import pytest

from ivigsim.core.catalogue import load_model
from ivigsim.core.kernel.compiled import load_kernel
from ivigsim.core.simulation import resolve_mechanisms, resolve_parameters
from ivigsim.core.solvers import rodas
from ivigsim.core.solvers.linalg import dense_only_factor, dense_only_solve
from test_rodas import robertson_jac, robertson_rhs


def textbook_step(rhs, jac, y, p, h, u=None, target=None):
    """One Rodas4 step of size h from y, by the formulas, with dense NumPy solves."""
    a, c = rodas.tableau()
    n = len(y)

    def f(x):
        out = np.empty(n)
        rhs(np.ascontiguousarray(x), p, out)
        if u is not None:
            out[target] += u
        return out

    J = np.zeros((n, n))
    jac(np.ascontiguousarray(y), p, J)
    W = np.eye(n) / (h * rodas.GAMMA) - J
    k = np.zeros((6, n))
    k[0] = np.linalg.solve(W, f(y))
    for i in range(1, 6):
        stage = y + a[i, :i] @ k[:i]
        k[i] = np.linalg.solve(W, f(stage) + (c[i, :i] @ k[:i]) / h)
    return y + a[5, :5] @ k[:5] + k[5]


def one_step(rhs, jac, factor, solve, lu_size, y, p, h, u=None, target=None):
    """The driver over [0, h] with h_init = h and a loose tolerance: exactly one step."""
    n = len(y)
    inputs = np.zeros((1, 0)) if u is None else np.ascontiguousarray([u], dtype=float)
    target = np.zeros(0, dtype=np.int64) if target is None else np.asarray(target, dtype=np.int64)
    y_out = np.zeros((1, n))
    stats = np.zeros(rodas.N_STATS, dtype=np.int64)
    status = rodas.integrate(rhs, jac, factor, solve, lu_size, np.ascontiguousarray(y, dtype=float), p,
                             np.array([0.0, h]), inputs, target, np.zeros((1, n)), np.array([h]), 1e3,
                             np.full(n, 1e3), h, np.inf, 10, y_out, stats)
    assert status == rodas.SUCCESS
    assert stats[rodas.STAT_ACCEPTED] == 1 and stats[rodas.STAT_REJECTED] == 0
    return y_out[0], stats


def test_step_equals_the_formulas_on_robertson():
    p = np.array([0.04, 1e4, 3e7])
    y = np.array([0.9, 2e-5, 0.1 - 2e-5])
    for h in (1e-3, 0.1, 10.0):
        got, _ = one_step(robertson_rhs, robertson_jac, dense_only_factor, dense_only_solve, 0, y, p, h)
        want = textbook_step(robertson_rhs, robertson_jac, y, p, h)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-18)
        # and the step did something: a wrong stage formula would not stay this close
        assert np.max(np.abs(got - y)) > 1e-8


@pytest.mark.parametrize("name", ["fcrn_pk", "fcrn_pk_qss"])
def test_step_with_the_generated_sparse_lu_equals_the_formulas(name):
    spec = load_model(name)
    kernel = load_kernel(spec)
    values = resolve_parameters(spec, None, 70.0)
    p = kernel.parameter_vector(values, resolve_mechanisms(spec))
    y = np.linspace(0.5, 3.0, spec.n_species)         # every species present, away from equilibrium
    target = np.array([spec.species_index("ivig_p")], dtype=np.int64)
    u = np.array([190.0])                             # an IVIG infusion into plasma, g/L per day
    fn = kernel.typed
    for h in (1e-3, 0.05):
        got, stats = one_step(fn.rhs, fn.jac, fn.factor, fn.solve, kernel.lu_size, y, p, h, u, target)
        assert stats[rodas.STAT_DENSE_LU] == 0        # the generated LU did the work
        want = textbook_step(kernel.rhs, kernel.jac, y, p, h, u, target)
        scale = np.maximum(np.abs(want), 1.0)
        assert np.max(np.abs(got - want) / scale) < 1e-11
        assert np.max(np.abs(got - y)) > 1e-6
