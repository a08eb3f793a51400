"""Conditions and piecewise rate laws: the whitelist functions, the kernel, the solver and SBML.

A drug is eliminated at first order only while it is above a threshold:
``rate = piecewise(k * V * A, gt(A, A_low), 0)``. Until the threshold
``A(t) = A0 exp(-k t)``; it is reached at ``t* = ln(A0 / A_low) / k`` and
``A`` stays there.
"""

import math

import numpy as np
import pytest

import ivigsim as iv
from ivigsim.errors import IvigsimError
from ivigsim.core.expressions import ExpressionError, evaluate, infer_unit, parse_expression
from ivigsim.core.spec import load_model_file
from ivigsim.core.units import parse_unit

_MODEL = """
[model]
name = "threshold_elimination"
mechanisms.elimination = "first-order elimination above a threshold"

[compartments.central]
volume = "V"
unit = "L"

[species.A]
compartment = "central"
unit = "mg/L"
initial = "A0"

[parameters.V]
value = 3.0
unit = "L"
bounds = [1, 10]
source = "a test value"

[parameters.A0]
value = 10.0
unit = "mg/L"
bounds = [1, 100]
source = "a test value"

[parameters.A_low]
value = 2.5
unit = "mg/L"
bounds = [0.1, 10]
source = "a test value"

[parameters.k]
value = 0.3
unit = "1/day"
bounds = [0.01, 1]
source = "a test value"

[reactions.elimination]
equation = "A ->"
rate = "{rate}"
mechanism = "elimination"
"""

RATE = "piecewise(k * V * A, gt(A, A_low), 0)"


def _model(tmp_path, rate=RATE):
    path = tmp_path / "m.toml"
    path.write_text(_MODEL.format(rate=rate))
    return load_model_file(path)


def _exact(t):
    t_star = math.log(10.0 / 2.5) / 0.3
    return np.where(t < t_star, 10.0 * np.exp(-0.3 * t), 2.5)


def test_piecewise_elimination_stops_at_the_threshold(tmp_path):
    spec = _model(tmp_path)
    t = np.linspace(0.0, 10.0, 41)
    res = iv.simulate(spec, t_end=10.0, t_eval=t, rtol=1e-10, atol=1e-12)
    assert np.allclose(res["A"], _exact(t), rtol=1e-6, atol=0)


def test_conditions_as_numbers_and_logic(tmp_path):
    # the same law written with a condition used as a 0/1 factor and redundant logic
    spec = _model(tmp_path, "k * V * A * all_of(gt(A, A_low), none_of(lt(A, 0)), any_of(ge(V, 0), 0))")
    t = np.linspace(0.0, 10.0, 21)
    res = iv.simulate(spec, t_end=10.0, t_eval=t, rtol=1e-10, atol=1e-12)
    assert np.allclose(res["A"], _exact(t), rtol=1e-6, atol=0)


def test_evaluation_takes_only_the_branch_chosen():
    node = parse_expression("piecewise(log(x), gt(x, 0), -1)")
    assert evaluate(node, {"x": 0.0}) == -1.0 and evaluate(node, {"x": math.e}) == pytest.approx(1.0)
    for text, value in [("lt(1, 2)", 1.0), ("le(2, 2)", 1.0), ("gt(1, 2)", 0.0), ("ge(1, 2)", 0.0),
                        ("eq(2, 2)", 1.0), ("neq(2, 2)", 0.0), ("all_of(1, 2, 0)", 0.0),
                        ("any_of(0, 0, 3)", 1.0), ("none_of(0)", 1.0), ("sin(0) + cos(0)", 1.0)]:
        assert evaluate(parse_expression(text), {}) == value, text


def test_units_of_conditions_and_branches():
    units = {"A": parse_unit("mg/L"), "B": parse_unit("g/L"), "k": parse_unit("1/day")}
    assert infer_unit(parse_expression("piecewise(A, gt(A, 1), 0)"), units.__getitem__) == units["A"]
    assert infer_unit(parse_expression("gt(A, A)"), units.__getitem__).is_dimensionless
    with pytest.raises(iv.core.units.UnitError, match="compare"):
        infer_unit(parse_expression("gt(A, k)"), units.__getitem__)
    with pytest.raises(iv.core.units.UnitError, match="choose between"):
        infer_unit(parse_expression("piecewise(A, gt(A, 1), B)"), units.__getitem__)
    with pytest.raises(iv.core.units.UnitError, match="sin"):
        infer_unit(parse_expression("sin(A)"), units.__getitem__)


def test_piecewise_needs_an_otherwise_value():
    with pytest.raises(ExpressionError, match=r"piecewise\(\) takes value, condition pairs and a last"):
        parse_expression("piecewise(a, gt(a, 1))")
    with pytest.raises(ExpressionError, match=r"all_of\(\) takes at least 2 arguments"):
        parse_expression("all_of(a)")


def test_a_unit_mismatch_in_a_condition_is_named_at_load(tmp_path):
    with pytest.raises(IvigsimError, match=r"reactions.elimination.rate.*compare"):
        _model(tmp_path, "piecewise(k * V * A, gt(A, k), 0)")


def test_export_to_sbml_and_libroadrunner_agree(tmp_path):
    roadrunner = pytest.importorskip("roadrunner")
    pytest.importorskip("libsbml")
    from ivigsim.io.sbml import export_sbml, import_sbml

    spec = _model(tmp_path, "k * V * A * all_of(gt(A, A_low), none_of(lt(A, 0)))")
    xml = export_sbml(spec, tmp_path / "m.xml", initial="file")
    rr = roadrunner.RoadRunner(xml)
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-12
    rr.timeCourseSelections = ["time", "[A]"]
    t = np.linspace(0.0, 10.0, 21)
    ref = np.asarray(rr.simulate(times=list(t)))
    assert np.allclose(ref[:, 1], _exact(t), rtol=1e-6)
    # and back: the import reads the piecewise and the logic again
    import_sbml(tmp_path / "m.xml", tmp_path / "back.toml")
    back = iv.simulate(load_model_file(tmp_path / "back.toml"), t_end=10.0, t_eval=t, rtol=1e-10, atol=1e-12)
    assert np.allclose(back["A"], _exact(t), rtol=1e-6)
