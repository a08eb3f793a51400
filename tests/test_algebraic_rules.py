"""Algebraic rules in the model language, and the solver that reduces them (index 1)."""

import numpy as np
import pytest

from conftest import DATA
from ivigsim.core import algebraic
from ivigsim.core.expressions import evaluate, parse_expression, to_text
from ivigsim.core.simulation import simulate
from ivigsim.core.spec import load_model_file
from ivigsim.errors import ModelFileError

BINDING = DATA / "language" / "algebraic_binding.toml"


def load_with(tmp_path, old, new, *more):
    """The binding model with ``old`` replaced by ``new`` (and further old, new pairs)."""
    text = BINDING.read_text()
    for a, b in [(old, new), *zip(more[::2], more[1::2])]:
        assert a in text, a
        text = text.replace(a, b, 1)
    target = tmp_path / "model.toml"
    target.write_text(text)
    return load_model_file(target)


# ------------------------------------------------------------------ the solver
def _solve(equations, unknowns):
    return algebraic.solve([parse_expression(e) for e in equations], unknowns)


def test_a_linear_rule_is_solved_with_its_divisor():
    s = _solve(["(1 + k3) * S1 - T"], ["S1"])
    assert s.linear
    values = {"k3": 0.7, "T": 2.3}
    assert evaluate(s.values["S1"], values) == pytest.approx(2.3 / 1.7, rel=1e-15)
    assert evaluate(s.determinant, values) == pytest.approx(1.7, rel=1e-15)


def test_a_linear_system_is_solved_together():
    # an equilibrium A4 <-> A2 inside a conserved pool P
    s = _solve(["kf * A4 - kr * A2", "A4 + A2 - P"], ["A4", "A2"])
    values = {"kf": 2.0, "kr": 0.5, "P": 10.0}
    a4, a2 = (evaluate(s.values[n], values) for n in ("A4", "A2"))
    assert a4 == pytest.approx(2.0, rel=1e-14) and a2 == pytest.approx(8.0, rel=1e-14)
    assert evaluate(s.determinant, values) == pytest.approx(2.5, rel=1e-14)      # kf + kr


def test_a_nonlinear_equation_with_one_solution_is_solved():
    s = _solve(["exp(x) - k"], ["x"])
    assert not s.linear
    assert evaluate(s.values["x"], {"k": 5.0}) == pytest.approx(np.log(5.0), rel=1e-14)


@pytest.mark.parametrize("equation, reason", [
    ("x^2 - c", "2 solutions"),                   # two roots: which one is not said
    ("tan(x) - c", "inside tan"),                 # periodic: SymPy would report one of infinitely many
    ("a * x - floor(x)", "inside floor"),
    ("y - c", "none of the equations"),           # x is not in it
])
def test_equations_without_a_unique_explicit_solution_are_refused(equation, reason):
    with pytest.raises(algebraic.Unsolvable, match=reason):
        _solve([equation], ["x"])


def test_a_singular_system_is_refused_as_index_above_one():
    with pytest.raises(algebraic.Unsolvable, match="singular"):
        _solve(["x + y - 1", "2 * x + 2 * y - c"], ["x", "y"])


def test_independent_equations_are_solved_block_by_block():
    # 60 unknowns in 30 independent equilibria: each 2 x 2 block alone, not one 60 x 60 system
    equations = [e for k in range(30) for e in (f"kf * a{k} - kr * b{k}", f"a{k} + b{k} - p{k}")]
    unknowns = [u for k in range(30) for u in (f"a{k}", f"b{k}")]
    s = algebraic.solve([parse_expression(e) for e in equations], unknowns)
    values = {"kf": 3.0, "kr": 1.0, **{f"p{k}": float(k) for k in range(30)}}
    assert evaluate(s.values["a29"], values) == pytest.approx(29 * 0.25, rel=1e-14)
    assert evaluate(s.values["b7"], values) == pytest.approx(7 * 0.75, rel=1e-14)
    assert abs(evaluate(s.determinant, values)) == pytest.approx(4.0 ** 30, rel=1e-12)


def test_a_large_coupled_nonlinear_block_is_refused_quickly():
    chain = [f"x{k} * x{k + 1} - c" for k in range(4)] + ["x4 - 1"]
    with pytest.raises(algebraic.Unsolvable, match="more than the 3 solved symbolically"):
        _solve(chain, [f"x{k}" for k in range(5)])


def test_a_step_function_of_other_quantities_is_kept():
    s = _solve(["x - piecewise(1, gt(t, 2), 0) * c"], ["x"])
    assert evaluate(s.values["x"], {"t": 3.0, "c": 4.0}) == 4.0
    assert evaluate(s.values["x"], {"t": 1.0, "c": 4.0}) == 0.0


# ------------------------------------------------------------- the model file
def test_an_algebraic_rule_becomes_the_assignment_of_its_solution():
    spec = load_model_file(BINDING)
    rule = next(r for r in spec.rules if r.name == "free_receptor")
    assert rule.kind == "assignment"
    assert to_text(rule.algebraic) == "free_receptor*(1 + L/kd) - receptor_total"
    values = {"L": 1.2, "kd": 0.5, "receptor_total": 0.8}
    assert evaluate(rule.expression, values) == pytest.approx(0.8 / (1 + 1.2 / 0.5), rel=1e-15)


def test_the_reduced_model_matches_the_analytic_solution():
    t = np.linspace(0.0, 4.0, 21)
    result = simulate(str(BINDING), t_end=4.0, t_eval=t, rtol=1e-10, atol=1e-13)
    L0, kd, rt, k_int = 3.0, 0.5, 0.8, 1.5
    conc = result["L"]
    # the implicit solution ln(L/L0) + (L - L0)/kd = -k_int * R_total * t / kd
    residual = np.log(conc / L0) + (conc - L0) / kd + k_int * rt * t / kd
    assert np.max(np.abs(residual)) < 1e-8
    assert conc[-1] < 0.5 * L0                      # it did clear
    # the rule holds at every output, the start included
    np.testing.assert_allclose(result["free"], rt * kd / (kd + conc), rtol=1e-12)
    np.testing.assert_allclose(result["free"] + result["bound"], rt, rtol=1e-12)


def test_coupled_algebraic_rules_are_solved_together(tmp_path):
    # free and bound receptor, each fixed by one rule that uses the other
    spec = load_with(tmp_path,
                     'algebraic = "free_receptor * (1 + L / kd) - receptor_total"',
                     'algebraic = "free_receptor + complex - receptor_total"',
                     'assignment = "receptor_total - free_receptor"',
                     'algebraic = "complex * kd - free_receptor * L"')
    rules = {r.name: r for r in spec.rules}
    values = {"L": 1.2, "kd": 0.5, "receptor_total": 0.8}
    assert evaluate(rules["free_receptor"].expression, values) == pytest.approx(0.8 * 0.5 / 1.7, rel=1e-14)
    assert evaluate(rules["complex"].expression, values) == pytest.approx(0.8 * 1.2 / 1.7, rel=1e-14)


@pytest.mark.parametrize("old, new, message", [
    ('algebraic = "free_receptor * (1 + L / kd) - receptor_total"', 'algebraic = "L - receptor_total"',
     r"\[rules\.free_receptor\.algebraic\]: .*cannot be solved for free_receptor: .*none of the equations"),
    ('algebraic = "free_receptor * (1 + L / kd) - receptor_total"',
     'algebraic = "free_receptor^2 - receptor_total^2"', r"free_receptor.*2 solutions"),
    ('algebraic = "free_receptor * (1 + L / kd) - receptor_total"',
     'algebraic = "free_receptor * (1 + L / kd) - receptor_total"\ninitial = "0"',
     r"\[rules\.free_receptor\.initial\]: an algebraic rule has no initial value"),
    ('algebraic = "free_receptor * (1 + L / kd) - receptor_total"',
     'algebraic = "free_receptor - receptor_total"\nassignment = "receptor_total"',
     r"\[rules\.free_receptor\]: give exactly one of .*algebraic"),
    ('algebraic = "free_receptor * (1 + L / kd) - receptor_total"',
     'algebraic = "free_receptor * (1 + L / kd) - receptor_total - undefined_thing"',
     r"undefined symbol 'undefined_thing'"),
])
def test_a_rule_that_cannot_be_reduced_is_refused_with_the_reason(tmp_path, old, new, message):
    with pytest.raises(ModelFileError, match=message):
        load_with(tmp_path, old, new)


def test_a_rule_whose_solution_has_the_wrong_unit_is_refused(tmp_path):
    with pytest.raises(ModelFileError, match=r"rules\.free_receptor.*unit"):
        load_with(tmp_path, 'algebraic = "free_receptor * (1 + L / kd) - receptor_total"',
                  'algebraic = "free_receptor * (1 + L / kd) - k_int"')
