"""Events that assign parameters: the parameter becomes a state, constant between events."""

import math

import numpy as np
import pytest

from conftest import one_compartment_toml
from ivigsim.core.simulation import simulate
from ivigsim.core.spec import load_model_file
from ivigsim.errors import IvigsimError, ModelFileError

K0 = 0.3                      # 1/day, the declared value of k
T_EVENT = math.log(2.0) / K0  # A = exp(-k0 t) falls to 0.5 here

EVENT = """
[[events]]
name = "speed_up"
trigger = "lt(A, 0.5)"
[events.assignments]
k = "{new_k}"
"""


def write(tmp_path, new_k="2 * k", extra=""):
    path = tmp_path / "parameter_event.toml"
    path.write_text(one_compartment_toml("parameter_event", k=K0,
                                         k_lines='description = "elimination rate constant"\n',
                                         extra=EVENT.format(new_k=new_k) + extra))
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
rule_states = "2"
""", "events.grow.assignments.rule_states", "its size is fixed at 1"),
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


# --- events that resize a compartment ----------------------------------------------------------------

# A is converted to B, which is also produced at r0; an event doubles the compartment.
RESIZE = """
[species.B]
compartment = "body"
unit = "mg/L"
initial = "0"

[parameters.r0]
value = 0.2
unit = "mg/day"
bounds = [0.0, 10.0]
source = "test value"

[reactions.production]
equation = "-> B"
rate = "r0"
mechanism = "production"

[[events]]
name = "grow"
trigger = "lt(A, 0.5)"
{fields}
[events.assignments]
body = "2 * body"
{extra}
"""


def write_resize(tmp_path, fields="", extra=""):
    path = tmp_path / "resize_event.toml"
    path.write_text(one_compartment_toml(
        "resize_event", k=K0, reaction="conversion", equation="A -> B",
        mechanisms={"elimination": "first-order conversion of A to B",
                    "production": "zero-order production of B"},
        extra=RESIZE.format(fields=fields, extra=extra)))
    return path


def test_resizing_a_compartment_keeps_amounts_so_concentrations_jump(tmp_path):
    path = write_resize(tmp_path)
    spec = load_model_file(path)
    assert "body_size" in spec.species_names and spec.parameter_names == ("volume_body", "k", "r0")
    t = np.linspace(0.0, 8.0, 33)
    res = simulate(str(path), t_end=8.0, t_eval=t, rtol=1e-10, atol=1e-14)
    # A: first order, its rate per volume does not depend on the volume; halved by the doubling
    expected_a = np.where(t < T_EVENT, np.exp(-K0 * t), 0.25 * np.exp(-K0 * (t - T_EVENT)))
    np.testing.assert_allclose(res["A"], expected_a, rtol=1e-7)
    np.testing.assert_array_equal(res["body_size"], np.where(t < T_EVENT, 1.0, 2.0))
    # the amount (A + B) x size grows only by production, through the jump
    amount = (res["A"] + res["B"]) * res["body_size"]
    np.testing.assert_allclose(amount, 1.0 + 0.2 * t, rtol=1e-8)


def test_the_starting_size_follows_the_parameters_of_its_volume(tmp_path):
    res = simulate(str(write_resize(tmp_path)), t_end=1.0, params={"volume_body": 2.5}, rtol=1e-10, atol=1e-14)
    assert res["body_size"][0] == 2.5


def test_an_assigned_species_takes_its_value_in_the_new_size(tmp_path):
    res = simulate(str(write_resize(tmp_path, extra='A = "0.9"')), t_end=3.0, t_eval=np.array([T_EVENT + 1e-9]),
                   rtol=1e-10, atol=1e-14)
    assert res["A"][0] == pytest.approx(0.9, rel=1e-7)


def test_a_delayed_resize_must_use_values_at_execution(tmp_path):
    with pytest.raises(ModelFileError, match=r"events\.grow\.use_values_from_trigger_time.*resizes compartment"):
        load_model_file(write_resize(tmp_path, fields='delay = "1"'))
    spec = load_model_file(write_resize(tmp_path, fields='delay = "1"\nuse_values_from_trigger_time = false'))
    assert spec.events[0].delay is not None


def test_a_compartment_that_events_resize_cannot_take_doses(tmp_path):
    path = write_resize(tmp_path)
    path.write_text(path.read_text() + """
[doses.drug]
iv = "A"
mass_per_amount = "g_per_mg"

[parameters.g_per_mg]
value = 0.001
unit = "g/mg"
bounds = [0.001, 0.001]
source = "definition"
""")
    with pytest.raises(ModelFileError, match=r"doses\.drug\.iv.*which events resize"):
        load_model_file(path)


def test_resizing_agrees_with_libroadrunner(tmp_path):
    roadrunner = pytest.importorskip("roadrunner")
    antimony = pytest.importorskip("antimony")
    pytest.importorskip("libsbml")
    from ivigsim.io.sbml.export import export_sbml

    path = write_resize(tmp_path)
    t = np.linspace(0.0, 8.0, 33) + 0.01          # off the event time: no ambiguity at a jump
    t[0] = 0.0
    ours = simulate(str(path), t_end=8.01, t_eval=t, rtol=1e-10, atol=1e-14)

    antimony.clearPreviousLoads()
    assert antimony.loadAntimonyString("""model case
    compartment body = 1; species A in body = 1; species B in body = 0; k = 0.3; r0 = 0.2
    conversion: A -> B; k * A * body
    production: -> B; r0
    grow: at (A < 0.5): body = 2 * body
    end""") >= 0, antimony.getLastError()
    for sbml in (antimony.getSBMLString("case"), export_sbml(str(path))):   # written by hand, and exported
        rr = roadrunner.RoadRunner(sbml)
        rr.integrator.relative_tolerance = 1e-10
        rr.integrator.absolute_tolerance = 1e-14
        theirs = np.asarray(rr.simulate(times=list(t), selections=["[A]", "[B]", "body"]))
        np.testing.assert_allclose(ours["A"], theirs[:, 0], rtol=1e-7, atol=1e-12)
        np.testing.assert_allclose(ours["B"], theirs[:, 1], rtol=1e-7, atol=1e-12)
        np.testing.assert_allclose(ours["body_size"], theirs[:, 2], rtol=1e-12)
