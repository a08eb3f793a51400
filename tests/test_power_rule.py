"""The Jacobian of u^v with an exponent free of the states: the power rule, finite at u = 0.

Differentiating u^v through ln u (u^v (v' ln u + v u'/u)), as sympy and the
general chain rule do, gives 0 * NaN at u = 0, where a Hill term (x/K)^n
starts. A NaN Jacobian made every step fail (SBML Test Suite case 01395).
"""

import math

import numpy as np
import pytest
import sympy

from ivigsim.core.expressions import parse_expression, to_sympy
from ivigsim.core.kernel import tape
from ivigsim.core.kernel.graph import Converter, Graph, power_rule_diff
from ivigsim.core.simulation import simulate

# X rises from 0 at k0; Y is made by a Hill term of X with a parameter exponent n = 2.
HILL = """
[model]
name = "hill_from_zero"
mechanisms.kinetics = "a zero-order source and a Hill-driven production"

[compartments.body]
volume = "volume_body"
unit = "L"

[species.X]
compartment = "body"
unit = "mg/L"
initial = "0"

[species.Y]
compartment = "body"
unit = "mg/L"
initial = "0"

[parameters.volume_body]
value = 1.0
unit = "L"
bounds = [0.1, 10.0]
source = "test value"

[parameters.k0]
value = 1.0
unit = "mg/L/day"
bounds = [0.0, 10.0]
source = "test value"

[parameters.K]
value = 2.0
unit = "mg/L"
bounds = [0.1, 10.0]
source = "test value"

[parameters.n]
value = 2.0
unit = "1"
bounds = [0.5, 8.0]
source = "test value"

[parameters.vmax]
value = 3.0
unit = "mg/L/day"
bounds = [0.0, 10.0]
source = "test value"

[reactions.source]
equation = "-> X"
rate = "k0 * body"
mechanism = "kinetics"

[reactions.production]
equation = "-> Y"
rate = "vmax * (X / K)^n / (1 + (X / K)^n) * body"
mechanism = "kinetics"
"""


def test_graph_derivative_of_a_parameter_power_is_finite_at_zero():
    g = Graph()
    names = {"x": g.y(0), "K": g.p(0), "n": g.p(1)}
    f = Converter(g, names)(parse_expression("(x / K)^n / (1 + (x / K)^n)"))
    code, values, registers = tape.build(g, [g.derivative(f, 0)])
    reg = np.empty(code.shape[0])
    for x, n, want in [(0.0, 2.0, 0.0), (0.0, 1.0, 0.5), (1.0, 2.5, None)]:
        tape.run(code, values, 0, np.array([x]), np.array([2.0, n]), reg)
        if want is None:        # away from 0: the chain rule's value
            u = x / 2.0
            want = n * u ** (n - 1) / 2.0 / (1 + u ** n) ** 2
        assert reg[registers[0]] == pytest.approx(want, rel=1e-14, abs=0.0)


def test_a_state_dependent_exponent_keeps_the_full_rule():
    g = Graph()
    f = Converter(g, {"x": g.y(0), "z": g.y(1)})(parse_expression("x^z"))
    code, values, registers = tape.build(g, [g.derivative(f, 1)])
    reg = np.empty(code.shape[0])
    tape.run(code, values, 0, np.array([1.5, 2.0]), np.zeros(0), reg)
    assert reg[registers[0]] == pytest.approx(1.5 ** 2 * math.log(1.5), rel=1e-14)


@pytest.mark.parametrize("text", ["(x / K)^n / (1 + (x / K)^n)", "x^n * (x^n + 1)^n", "1 / x^n",
                                  "x^x", "k * x^2.5"])
def test_sympy_power_rule_equals_sympy_away_from_zero_and_is_finite_at_zero(text):
    x, K, n, k = sympy.symbols("x K n k", real=True)
    expr = to_sympy(parse_expression(text), {"x": x, "K": K, "n": n, "k": k})
    got = power_rule_diff(expr, x)
    at = {x: 0.7, K: 2.0, n: 2.3, k: 1.1}
    assert float(got.subs(at)) == pytest.approx(float(sympy.diff(expr, x).subs(at)), rel=1e-13)
    if "x^x" not in text and "1 /" not in text:
        # in float arithmetic, as the generated kernel evaluates it (sympy's own subs hides the 0/0)
        with np.errstate(all="ignore"):
            at_zero = sympy.lambdify([x, K, n, k], got, "numpy")(np.float64(0.0), 2.0, 2.3, 1.1)
        assert np.isfinite(at_zero)


@pytest.mark.parametrize("style", ["straight", "tape"])
def test_hill_production_from_zero_matches_the_analytic_solution(tmp_path, style, monkeypatch):
    from ivigsim.core.kernel import codegen
    monkeypatch.setattr(codegen, "TAPE_ABOVE", -1 if style == "tape" else codegen.TAPE_ABOVE)
    monkeypatch.setattr(codegen, "_STYLES_CHOSEN", {})
    path = tmp_path / "hill.toml"
    path.write_text(HILL)
    t = np.linspace(0.0, 5.0, 11)
    result = simulate(str(path), t_end=5.0, t_eval=t, rtol=1e-10, atol=1e-12)
    # X = k0 t; Y' = vmax (X/K)^2 / (1 + (X/K)^2), so Y = vmax (t - (K/k0) atan(k0 t / K))
    np.testing.assert_allclose(result.states[:, 0], t, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(result.states[:, 1], 3.0 * (t - 2.0 * np.arctan(t / 2.0)), rtol=1e-7, atol=1e-10)
