"""Tape kernels and the sparse Jacobian: against sympy, the straight-line kernels,
finite differences and SciPy Radau, on the shipped models and random networks."""

import sys

import numpy as np
import pytest
import sympy

import ivigsim as iv
from conftest import ROOT
from ivigsim.core.expressions import parse_expression, to_sympy
from ivigsim.core.kernel import codegen, tape
from ivigsim.core.kernel.compiled import load_kernel
from ivigsim.core.kernel.graph import Converter, Graph
from ivigsim.core.kernel.structure import jacobian_pattern

sys.path.insert(0, str(ROOT / "benchmarks"))
from _networks import write_network  # noqa: E402

MODELS = sorted(iv.model_paths())

# Every function of the whitelist, and the operators, in rate laws of x, z (species) and k.
EXPRESSIONS = [
    "k * x * z - x / z + 3 * x^2 - x^z", "-x * k", "exp(k * x) * log(z)", "sqrt(x * z)",
    "abs(x - z)", "abs(z - x)", "min(x, z)", "max(x, z^2)", "pow(x, 2.5)", "pow(x, z)",
    "hill(x, k, 3)", "hill(x, z, k)", "mm(x, k)", "mm(x, z)", "sin(x) * cos(z) + tan(x)",
    "asin(x / 4) + acos(z / 4) + atan(x * z)", "sinh(x) - cosh(z) + tanh(x * z)",
    "piecewise(x^2, lt(x, z), z^3)", "piecewise(x^2, gt(x, z), z^3)",
    "piecewise(x, all_of(gt(x, 0.5), lt(z, 3)), 2 * z)", "piecewise(x, any_of(gt(x, 9), none_of(z)), z)",
    "x * ge(z, x) + z * le(x, 1) + eq(x, z) + neq(x, z)", "1 / (1 + (x / k)^4)", "5",
]
POINTS = [(0.7, 1.9, 1.3), (2.2, 0.4, 0.6)]


def _tape_values(graph, nodes, y, p):
    code, values, registers = tape.build(graph, nodes)
    reg = np.empty(code.shape[0])
    tape.run(code, values, 0, np.asarray(y, float), np.asarray(p, float), reg)
    return reg[registers]


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_graph_derivatives_of_every_function_match_sympy(text):
    node = parse_expression(text)
    g = Graph()
    f = Converter(g, {"x": g.y(0), "z": g.y(1), "k": g.p(0)})(node)
    outputs = [f, g.derivative(f, 0), g.derivative(f, 1)]
    x, z, k = sympy.symbols("x z k", real=True)
    expr = to_sympy(node, {"x": x, "z": z, "k": k})
    for xv, zv, kv in POINTS:
        got = _tape_values(g, outputs, [xv, zv], [kv])
        at = {x: xv, z: zv, k: kv}
        want = [float(e.subs(at).evalf(30)) for e in (expr, sympy.diff(expr, x), sympy.diff(expr, z))]
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13, err_msg=text)


def test_graph_shares_common_subexpressions_and_skips_zeros():
    g = Graph()
    names = {"x": g.y(0), "z": g.y(1), "k": g.p(0)}
    a = Converter(g, names)(parse_expression("k * x * z"))
    b = Converter(g, names)(parse_expression("k * x * z"))
    assert a == b                                   # one node, however often it is written
    assert g.derivative(a, 2) == g.zero             # a species it does not read: no work, no node
    size = len(g.nodes)
    g.derivative(a, 0)
    assert g.derivative(a, 0) == g.derivative(a, 0) and len(g.nodes) - size <= 2


def _random_point(spec, kernel, seed):
    rng = np.random.default_rng(seed)
    y = rng.uniform(0.1, 2.0, spec.n_species)
    values = spec.default_parameters() * rng.uniform(0.8, 1.25, len(spec.parameters))
    switches = np.ones(len(spec.mechanisms)) if seed == 0 else rng.integers(0, 2, len(spec.mechanisms))
    p = kernel.parameter_vector(values, switches)      # mechanisms switched off too, from seed 1 on
    return y, p


def _evaluate(kernel, spec, y, p):
    n = spec.n_species
    out = {"rhs": np.empty(n), "rates": np.empty(len(spec.reactions)),
           "observables": np.empty(len(spec.observables)), "jac": np.empty((n, n))}
    kernel.rhs(y, p, out["rhs"])
    kernel.rates(y, p, out["rates"])
    kernel.observables(y, p, out["observables"])
    kernel.jac(y, p, out["jac"])
    return out


@pytest.mark.parametrize("name", MODELS)
def test_tape_kernel_equals_straight_kernel_on_shipped_models(name):
    spec = iv.load_model(name)
    assert codegen.kernel_style(spec) == "straight"       # shipped models keep their generated code
    straight, taped = load_kernel(spec), load_kernel(spec, style="tape")
    assert taped.fingerprint != straight.fingerprint
    for seed in range(3):
        y, p = _random_point(spec, straight, seed)
        want, got = _evaluate(straight, spec, y, p), _evaluate(taped, spec, y, p)
        for key in want:
            scale = np.max(np.abs(want[key]), initial=1e-300)
            np.testing.assert_allclose(got[key], want[key], rtol=1e-12, atol=1e-13 * scale,
                                       err_msg=f"{name} {key}")
        nonzero = set(zip(*np.nonzero(want["jac"])))
        assert nonzero <= jacobian_pattern(spec)


@pytest.mark.parametrize("name", ["fcrn_pk", "ivig_autoimmune"])
def test_jacobian_pattern_is_the_dense_symbolic_pattern(name):
    """The dependency-graph pattern equals the non-zeros of the old dense n x n sympy Jacobian."""
    spec = iv.load_model(name)
    n_par = len(spec.parameters)
    y = [sympy.Symbol(f"y{i}", real=True) for i in range(spec.n_species)]
    table = {s.name: y[i] for i, s in enumerate(spec.species)}
    table.update({q.name: sympy.Symbol(f"p{j}", real=True) for j, q in enumerate(spec.parameters)})
    for c in spec.compartments:
        table[c.name] = to_sympy(c.volume, table)
    table.update({m: sympy.Symbol(f"p{n_par + k}") for k, m in enumerate(spec.mechanisms)})
    rates = [table[r.mechanism] * to_sympy(r.rate, table) for r in spec.reactions]
    stoich = spec.stoichiometry()
    dense = set()
    for i, s in enumerate(spec.species):
        f = sum((sympy.nsimplify(stoich[i, k]) * rates[k] for k in range(len(rates)) if stoich[i, k]),
                sympy.Integer(0)) / table[s.compartment]
        dense |= {(i, j) for j in range(spec.n_species) if sympy.diff(f, y[j]) != 0}
    assert jacobian_pattern(spec) == dense


@pytest.fixture(scope="module")
def network_60(tmp_path_factory):
    return iv.load_model(str(write_network(tmp_path_factory.mktemp("net"), 60, seed=3)))


def test_large_network_gets_a_tape_kernel_whose_jacobian_matches_finite_differences(network_60):
    spec = network_60
    assert codegen.kernel_style(spec) == "tape"
    kernel = load_kernel(spec)
    assert kernel.lu_size > 2 * spec.n_species
    n = spec.n_species
    for seed in range(2):
        y, p = _random_point(spec, kernel, seed)
        p[len(spec.parameters):] = 1.0                  # the network's one mechanism on
        J = np.empty((n, n))
        kernel.jac(y, p, J)
        fd = np.empty((n, n))
        f_plus, f_minus = np.empty(n), np.empty(n)
        for j in range(n):
            h = 1e-6 * y[j]
            yp, ym = y.copy(), y.copy()
            yp[j] += h
            ym[j] -= h
            kernel.rhs(yp, p, f_plus)
            kernel.rhs(ym, p, f_minus)
            fd[:, j] = (f_plus - f_minus) / (2 * h)
        assert np.max(np.abs(J - fd)) <= 1e-7 * np.max(np.abs(J))
        assert set(zip(*np.nonzero(J))) <= jacobian_pattern(spec)
        # mass action: each rate is k * (species it reads), so J's non-zeros are exactly the pattern
        assert set(zip(*np.nonzero(J))) == jacobian_pattern(spec)


def test_random_network_tape_equals_straight_line_kernel(tmp_path):
    spec = iv.load_model(str(write_network(tmp_path, 12, seed=5)))
    straight, taped = load_kernel(spec, style="straight"), load_kernel(spec, style="tape")
    y, p = _random_point(spec, straight, 0)
    want, got = _evaluate(straight, spec, y, p), _evaluate(taped, spec, y, p)
    for key in ("rhs", "rates", "jac"):
        np.testing.assert_allclose(got[key], want[key], rtol=1e-12, atol=1e-14, err_msg=key)


def test_large_network_simulates_like_scipy_radau(network_60):
    from scipy.integrate import solve_ivp
    spec = network_60
    res = iv.simulate(spec, t_end=5.0)
    kernel = load_kernel(spec)
    p = kernel.parameter_vector(spec.default_parameters(), np.ones(len(spec.mechanisms)))
    y0 = np.array([s.initial.value for s in spec.species])

    def fun(t, x):
        out = np.empty(spec.n_species)
        kernel.rhs(np.ascontiguousarray(x), p, out)
        return out

    ref = solve_ivp(fun, (0.0, 5.0), y0, method="Radau", t_eval=res.t, rtol=1e-10, atol=1e-12)
    got = np.column_stack([res[s.name] for s in spec.species])
    assert np.max(np.abs(got - ref.y.T)) <= 1e-4 * np.max(np.abs(ref.y))


def test_large_network_sparse_lu_solves_like_a_dense_solve(network_60):
    spec = network_60
    kernel = load_kernel(spec)
    n = spec.n_species
    y, p = _random_point(spec, kernel, 1)
    p[len(spec.parameters):] = 1.0
    J = np.empty((n, n))
    kernel.jac(y, p, J)
    rng = np.random.default_rng(2)
    for c in (1e3, 10.0):
        lu = np.empty(kernel.lu_size)
        assert kernel.factor(J, c, lu) == 0
        b = rng.normal(size=n)
        x = b.copy()
        kernel.solve(lu, x)
        np.testing.assert_allclose(x, np.linalg.solve(c * np.eye(n) - J, b), rtol=1e-10, atol=1e-12)


def test_table_lu_declines_an_unsafe_pivot():
    from ivigsim.core.kernel import lu_tables
    pattern = {(0, 1), (1, 0)}
    tables, size = lu_tables.analyse(2, pattern)
    J = np.array([[0.0, -1.0], [-1.0, 0.0]])
    lu = np.empty(size)
    args = [tables[k] for k in ("perm", "row_ptr", "col", "diag", "src_row", "src_col")]
    assert lu_tables.factor(J, 1e-3, lu, *args) != 0     # multiplier 1000: the solver pivots densely
    assert lu_tables.factor(J, 10.0, lu, *args) == 0
