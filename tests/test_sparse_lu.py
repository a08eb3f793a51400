"""The generated sparse LU of W = c I - J against a dense solve, and its fallback."""

import numpy as np
import pytest

import ivigsim as iv
from ivigsim.core.kernel import sparse_lu
from ivigsim.core.kernel.compiled import load_kernel

MODELS = sorted(iv.model_paths())


def _jacobian_like(spec, kernel, rng):
    """Random values on the model's Jacobian pattern (from the compiled Jacobian)."""
    y = rng.uniform(0.5, 2.0, spec.n_species)
    p = kernel.parameter_vector(spec.default_parameters(), np.ones(len(spec.mechanisms)))
    J = np.empty((spec.n_species, spec.n_species))
    kernel.jac(y, p, J)
    R = np.where(J != 0, rng.normal(size=J.shape), 0.0)
    has_diagonal = np.diag(J) != 0
    np.fill_diagonal(R, 0.0)
    # A strongly negative diagonal where the model has one, as in these compartmental
    # models: W is then diagonally dominant and needs no pivoting. (Species with no
    # diagonal, such as running totals, feed nothing back: their columns are empty.)
    dominance = np.abs(R).sum(axis=0) + np.abs(R).sum(axis=1) + 1.0
    return R - np.diag(np.where(has_diagonal, dominance, 0.0))


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("c", [1e-3, 1.0, 1e6])
def test_generated_factor_solves_like_numpy(name, c):
    spec = iv.load_model(name)
    kernel = load_kernel(spec)
    rng = np.random.default_rng(11)
    J = _jacobian_like(spec, kernel, rng)
    lu = np.empty(kernel.lu_size)
    W = c * np.eye(spec.n_species) - J
    assert kernel.factor(J, c, lu) == 0
    b = rng.normal(size=spec.n_species)
    x = b.copy()
    kernel.solve(lu, x)
    np.testing.assert_allclose(W @ x, b, rtol=1e-9, atol=1e-9 * np.abs(b).max())


# ivig_autoimmune: its FcRn antagonist's bound state enters every IgG class's binding rate
# (free FcRn = total less every bound form), which ties igg_fcrn with ivig_e in the
# minimum-degree order; ties go by index, so igg_fcrn is eliminated first and, during an
# IVIG course, the entry k_on * ivig_e below its pivot exceeds ten times the pivot. The
# solver then takes a dense LU for that step (56 of 364 factorisations over this run;
# results unchanged). Other tie-breaks (reverse index, column count, least fill) fix
# this model but break ivig_antitumour, so the order is left as it is.
_DENSE_FALLBACK = {"ivig_autoimmune": "igg_fcrn is eliminated before ivig_e (tie broken by index) "
                                      "since the antagonist couples every IgG class"}


@pytest.mark.parametrize("name", [pytest.param(m, marks=pytest.mark.xfail(
    strict=True, reason=_DENSE_FALLBACK[m])) if m in _DENSE_FALLBACK else m for m in MODELS])
def test_factor_accepts_the_real_iteration_matrix(name):
    """On the model's own Jacobian, with a stiff step size, no fallback is needed."""
    spec = iv.load_model(name)
    kernel = load_kernel(spec)
    res = iv.simulate(spec, regimen=iv.Regimen.ivig(cycles=1), t_end=30)
    assert res.stats["dense_lu_fallbacks"] == 0


def test_zero_pivot_declines():
    # J = [[1, 0], [0, 0]] with c = 1: the first pivot of c I - J is exactly zero.
    namespace = {}
    source, size = sparse_lu.generate(2, {(0, 0), (1, 1)})
    import numba as nb
    from ivigsim.core.kernel.signatures import FACTOR_SIG, SOLVE_SIG
    source = source.replace("cache=True", "cache=False")
    exec(compile(source, "generated", "exec"),
         {"nb": nb, "FACTOR_SIG": FACTOR_SIG, "SOLVE_SIG": SOLVE_SIG}, namespace)
    lu = np.empty(size)
    assert namespace["factor"](np.array([[1.0, 0.0], [0.0, 0.0]]), 1.0, lu) == 1
    assert namespace["factor"](np.array([[0.5, 0.0], [0.0, 0.0]]), 1.0, lu) == 0


def test_minimum_degree_order_eliminates_leaves_first():
    # An arrow matrix: eliminating the hub first fills everything; leaves first fills nothing.
    n = 6
    pattern = {(0, j) for j in range(n)} | {(j, 0) for j in range(n)}
    order = sparse_lu.minimum_degree_order(n, pattern)
    assert order[-1] == 0 or order.index(0) >= n - 2
    position = {o: k for k, o in enumerate(order)}
    permuted = {(position[i], position[j]) for i, j in pattern}
    assert len(sparse_lu.symbolic_factor(n, permuted)) == len(permuted | {(i, i) for i in range(n)})
