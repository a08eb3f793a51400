"""Events that assign parameters: the parameter becomes a state, constant between events."""

import math

import numpy as np
import pytest

from ivigsim.core.simulation import simulate
from ivigsim.core.spec import load_model_file
from ivigsim.errors import IvigsimError, ModelFileError

K0 = 0.3                      # 1/day, the declared value of k
T_EVENT = math.log(2.0) / K0  # A = exp(-k0 t) falls to 0.5 here

MODEL = """
[model]
name = "parameter_event"
mechanisms.elimination = "first-order elimination of A"

[compartments.body]
volume = "volume_body"
unit = "L"

[species.A]
compartment = "body"
unit = "mg/L"
initial = "1"

[parameters.volume_body]
value = 1.0
unit = "L"
bounds = [0.1, 10.0]
source = "test value"

[parameters.k]
value = 0.3
unit = "1/day"
bounds = [0.0, 10.0]
source = "test value"
description = "elimination rate constant"

[reactions.elimination]
equation = "A ->"
rate = "k * A * body"
mechanism = "elimination"

[[events]]
name = "speed_up"
trigger = "lt(A, 0.5)"
[events.assignments]
k = "{new_k}"
"""


def write(tmp_path, new_k="2 * k", extra=""):
    path = tmp_path / "parameter_event.toml"
    path.write_text(MODEL.format(new_k=new_k) + extra)
    return path


def analytic(t):
    """A(t): exp(-k0 t) until A = 0.5, then 0.5 exp(-2 k0 (t - t_event))."""
    return np.where(t < T_EVENT, np.exp(-K0 * t), 0.5 * np.exp(-2.0 * K0 * (t - T_EVENT)))


def test_an_assigned_parameter_is_a_state_that_keeps_its_unit_value_and_source(tmp_path):
    spec = load_model_file(write(tmp_path))
    assert "k" not in spec.parameter_names
    assert "k" in spec.species_names
    state = spec.species[spec.species_index("k")]
    assert str(state.unit) == "1/day"
    assert float(state.initial.value) == K0
    assert "test value" in state.description and "elimination rate constant" in state.description
    assert spec.events[0].assignments[0][0] == "k"


def test_assigning_a_parameter_matches_the_analytic_solution(tmp_path):
    t = np.array([0.0, 0.5, 1.0, 2.0, T_EVENT - 1e-3, T_EVENT + 1e-3, 3.0, 5.0, 8.0])
    res = simulate(str(write(tmp_path)), t_end=8.0, t_eval=t, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(res["A"], analytic(t), rtol=1e-7)
    np.testing.assert_array_equal(res["k"], np.where(t < T_EVENT, K0, 2.0 * K0))


def test_the_parameter_keeps_its_assigned_value_until_the_next_event(tmp_path):
    extra = """
[[events]]
name = "slow_down"
trigger = "lt(A, 0.1)"
[events.assignments]
k = "k / 4"
"""
    t = np.linspace(0.0, 12.0, 49)
    res = simulate(str(write(tmp_path, extra=extra)), t_end=12.0, t_eval=t, rtol=1e-10, atol=1e-14)
    t2 = T_EVENT + math.log(5.0) / (2.0 * K0)                  # A falls from 0.5 to 0.1
    expected = np.where(t < T_EVENT, np.exp(-K0 * t),
                        np.where(t < t2, 0.5 * np.exp(-2 * K0 * (t - T_EVENT)), 0.1 * np.exp(-0.5 * K0 * (t - t2))))
    np.testing.assert_allclose(res["A"], expected, rtol=1e-7)
    np.testing.assert_allclose(res["k"][t > t2], 0.5 * K0, rtol=1e-15)


def test_assigned_parameter_is_no_longer_a_parameter_to_override(tmp_path):
    with pytest.raises(IvigsimError, match="k"):
        simulate(str(write(tmp_path)), t_end=1.0, params={"k": 0.2})


@pytest.mark.parametrize("new_k, extra, key, message", [
    ("2 * A", "", "events.speed_up.assignments.k", "unit"),
    ("2 * k", """
[parameter_sets.fast]
description = "a faster elimination"
parameters.k = { value = 0.6, unit = "1/day", bounds = [0.0, 10.0], source = "test value" }
""", "parameter_sets.fast.parameters.k", "assigned by an event"),
    ("2 * k", """
[[events]]
name = "grow"
trigger = "lt(A, 0.2)"
[events.assignments]
body = "2 * body"
""", "events.grow.assignments.body", "compartment"),
])
def test_bad_parameter_assignments_are_refused_naming_the_key(tmp_path, new_k, extra, key, message):
    with pytest.raises(ModelFileError) as info:
        load_model_file(write(tmp_path, new_k=new_k, extra=extra))
    assert f"[{key}]" in str(info.value) and message in str(info.value)


def test_a_volume_cannot_read_a_parameter_that_events_assign(tmp_path):
    path = write(tmp_path)
    path.write_text(path.read_text().replace('k = "2 * k"', 'volume_body = "2 * volume_body"'))
    with pytest.raises(ModelFileError, match=r"compartments\.body\.volume.*'volume_body' is not a parameter"):
        load_model_file(path)


def test_parameter_events_agree_with_libroadrunner_through_the_sbml_round_trip(tmp_path):
    roadrunner = pytest.importorskip("roadrunner")
    pytest.importorskip("libsbml")
    from ivigsim.io.sbml.export import export_sbml
    from ivigsim.io.sbml.importer import import_sbml

    path = write(tmp_path)
    sbml = export_sbml(str(path), tmp_path / "model.xml")
    rr = roadrunner.RoadRunner(sbml)
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-14
    t = np.linspace(0.0, 8.0, 33) + 0.01          # off the event time: no ambiguity at a jump
    t[0] = 0.0
    theirs = np.asarray(rr.simulate(times=list(t), selections=["A", "k"]))
    ours = simulate(str(path), t_end=8.01, t_eval=t, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(ours["A"], theirs[:, 0], rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(ours["k"], theirs[:, 1], rtol=1e-12)
    np.testing.assert_allclose(ours["A"], analytic(t), rtol=1e-7)

    back = tmp_path / "back.toml"
    back.write_text(import_sbml(tmp_path / "model.xml"))
    again = simulate(str(back), t_end=8.01, t_eval=t, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(again["A"], ours["A"], rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(again["k"], ours["k"], rtol=1e-12)
