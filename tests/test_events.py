"""Model events: located by root finding on the dense output, with SBML semantics."""

import math

import numpy as np
import pytest

from conftest import DATA, one_compartment_toml
from ivigsim.errors import SolverError
from ivigsim.core.simulation import simulate

RESET = DATA / "language" / "threshold_reset.toml"
TIGHT = {"rtol": 1e-10, "atol": 1e-14}

# A decays at rate k from A0 = 1; x (a number) and z (a time) change only through events.
BASE = one_compartment_toml("event_case", k=0.5, counters=True)


def case(tmp_path, events, name="case.toml"):
    path = tmp_path / name
    path.write_text(BASE + events)
    return str(path)


def crossing(level, k=0.5):
    """The time at which A = exp(-k t) falls to ``level``."""
    return math.log(1.0 / level) / k


def test_threshold_reset_matches_the_analytic_event_times():
    result = simulate(str(RESET), t_end=10.0, **TIGHT)
    times = np.array([t for t, name in result.stats["model_events"]])
    assert [name for _, name in result.stats["model_events"]] == ["reset"] * 4
    exact = np.arange(1, 5) * math.log(2.0) / 0.3
    np.testing.assert_allclose(times, exact, rtol=0, atol=1e-9)
    # after the last reset A decays from A0 again; four resets were counted
    a_end = math.exp(-0.3 * (10.0 - times[-1]))
    np.testing.assert_allclose(result.states[-1], [a_end, 4.0], rtol=1e-8)


def test_event_location_does_not_depend_on_the_output_grid():
    coarse = simulate(str(RESET), t_end=10.0, t_eval=[0.0, 10.0], **TIGHT).stats["model_events"]
    fine = simulate(str(RESET), t_end=10.0, **TIGHT).stats["model_events"]
    np.testing.assert_allclose([t for t, _ in coarse], [t for t, _ in fine], rtol=0, atol=1e-9)


def test_outputs_at_an_event_time_show_the_state_after_it():
    t_event = math.log(2.0) / 0.3
    result = simulate(str(RESET), t_end=3.0, t_eval=[t_event - 1e-6, t_event + 1e-6, 3.0], **TIGHT)
    assert result.states[0, 0] == pytest.approx(0.5, abs=1e-6)
    assert result.states[1, 0] == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("from_trigger_time", [True, False])
def test_delay_and_values_from_trigger_time(tmp_path, from_trigger_time):
    model = case(tmp_path, f"""
[[events]]
name = "double"
trigger = "lt(A, 0.5)"
delay = "1"
use_values_from_trigger_time = {str(from_trigger_time).lower()}
[events.assignments]
A = "2 * A"
z = "time"
""")
    t_cross = crossing(0.5)
    after = t_cross + 1.0 + 1e-3
    result = simulate(model, t_end=3.0, t_eval=[after, 3.0], **TIGHT)
    assert result.stats["model_events"] == [(pytest.approx(t_cross + 1.0, abs=1e-9), "double")]
    a_before = math.exp(-0.5 * (t_cross + 1.0))
    a_after = 1.0 if from_trigger_time else 2.0 * a_before
    assert result.states[0, 0] == pytest.approx(a_after * math.exp(-0.5e-3), rel=1e-8)
    # z = time, evaluated at the trigger or at the execution
    assert result.states[0, 2] == pytest.approx(t_cross if from_trigger_time else t_cross + 1.0, abs=1e-9)
    assert result.states[1, 0] == pytest.approx(a_after * math.exp(-0.5 * (3.0 - t_cross - 1.0)), rel=1e-8)


@pytest.mark.parametrize("first,second,expected", [(2, 1, 11.0), (1, 2, 10.0)])
def test_priority_orders_simultaneous_events(tmp_path, first, second, expected):
    model = case(tmp_path, f"""
[[events]]
name = "set_ten"
trigger = "gt(time, 1)"
priority = "{first}"
[events.assignments]
x = "10"

[[events]]
name = "add_one"
trigger = "gt(time, 1)"
priority = "{second}"
use_values_from_trigger_time = false
[events.assignments]
x = "x + 1"
""")
    result = simulate(model, t_end=2.0, t_eval=[2.0], **TIGHT)
    assert result.states[0, 1] == expected
    order = [name for _, name in result.stats["model_events"]]
    assert order == (["set_ten", "add_one"] if first > second else ["add_one", "set_ten"])


@pytest.mark.parametrize("persistent,executed", [(True, True), (False, False)])
def test_a_non_persistent_event_is_cancelled_when_its_trigger_turns_false(tmp_path, persistent, executed):
    model = case(tmp_path, f"""
[[events]]
name = "window"
trigger = "all_of(gt(time, 1), lt(time, 1.5))"
delay = "1"
persistent = {str(persistent).lower()}
[events.assignments]
x = "1"
""")
    result = simulate(model, t_end=3.0, t_eval=[3.0], **TIGHT)
    assert result.states[0, 1] == (1.0 if executed else 0.0)
    assert len(result.stats["model_events"]) == (1 if executed else 0)


@pytest.mark.parametrize("initial_value,fires_at_zero", [(False, True), (True, False)])
def test_initial_value_decides_whether_a_true_trigger_fires_at_the_start(tmp_path, initial_value, fires_at_zero):
    model = case(tmp_path, f"""
[[events]]
name = "at_start"
trigger = "gt(A, 0.9)"
initial_value = {str(initial_value).lower()}
[events.assignments]
x = "x + 1"
""")
    result = simulate(model, t_end=1.0, t_eval=[0.0, 1.0], **TIGHT)
    assert result.states[0, 1] == (1.0 if fires_at_zero else 0.0)
    assert result.states[1, 1] == (1.0 if fires_at_zero else 0.0)


def test_an_event_loop_is_stopped_naming_the_event(tmp_path):
    model = case(tmp_path, """
[[events]]
name = "up"
trigger = "lt(A, 0.5)"
[events.assignments]
A = "0.6"

[[events]]
name = "down"
trigger = "gt(A, 0.55)"
[events.assignments]
A = "0.4"
""")
    with pytest.raises(SolverError, match=r"event '(up|down)' .*event loop.*more than 1000 executions"):
        simulate(model, t_end=3.0)


def test_a_nan_trigger_is_refused_naming_the_event(tmp_path):
    model = case(tmp_path, """
[[events]]
name = "undefined"
trigger = "lt(sqrt(x - 1), 1)"
[events.assignments]
x = "1"
""")
    with pytest.raises(SolverError, match=r"event 'undefined' \(trigger 'lt\(sqrt\(x - 1\), 1\)'\).*NaN"):
        simulate(model, t_end=1.0)


def test_a_negative_delay_is_refused_naming_the_event(tmp_path):
    model = case(tmp_path, """
[[events]]
name = "backwards"
trigger = "lt(A, 0.5)"
delay = "z - 1 / k"
[events.assignments]
x = "1"
""")
    with pytest.raises(SolverError, match=r"event 'backwards'.*negative"):
        simulate(model, t_end=3.0)


def test_a_dose_can_trigger_an_event_at_the_time_it_is_given(tmp_path):
    import ivigsim as iv
    model = case(tmp_path, """
[doses.drug]
iv = "A"
mass_per_amount = "g_per_mg"

[parameters.g_per_mg]
value = 0.001
unit = "g/mg"
bounds = [0.001, 0.001]
source = "1 g = 1000 mg"

[parameters.body_weight]
value = 1.0
unit = "kg"
bounds = [0.5, 2.0]
source = "test value"

[[events]]
name = "high"
trigger = "gt(A, 2)"
[events.assignments]
z = "time"
""")
    regimen = iv.Regimen.bolus(dose_g_per_kg=0.002, at_day=2.0, product="drug")
    result = simulate(model, regimen=regimen, t_end=3.0, t_eval=[3.0], **TIGHT)
    assert result.stats["model_events"] == [(2.0, "high")]
    assert result.states[0, 2] == 2.0


def test_models_without_events_have_no_event_statistics():
    result = simulate(str(DATA / "one_compartment.toml"), t_end=1.0)
    assert "model_events" not in result.stats


def test_stochastic_methods_refuse_a_model_with_events():
    from ivigsim.errors import ParameterError
    with pytest.raises(ParameterError, match=r"'threshold_reset' has events \(reset\).*method='ode' only"):
        simulate(str(RESET), t_end=1.0, method="ssa", seed=1)


def test_a_sweep_point_runs_the_model_events():
    from ivigsim.core.simulation import initial_state, prepare, run_solver
    run = prepare(str(RESET), t_end=10.0, t_eval=[10.0], rtol=1e-10, atol=1e-14)
    y0 = initial_state(run.spec, run.kernel, run.values, run.p, run.rtol, run.atol)
    states, stats = run_solver(run.kernel, y0, run.p, run.schedule, run.t_out, run.rtol, run.atol, spec=run.spec)
    assert states[0, 1] == 4.0 and stats["model_events_executed"] == 4


def test_a_fit_problem_refuses_a_model_with_events(tmp_path):
    from fit_helpers import copy_problem, edit
    from ivigsim.analysis.fitting import FitProblemError, load_problem
    d = copy_problem(tmp_path)
    (d / "reset.toml").write_text(RESET.read_text())
    edit(d / "ivigsim.toml", 'model = "igg_linear"', 'model = "reset.toml"')
    with pytest.raises(FitProblemError, match=r"\[fit\].model.*has events \(reset\); fitting a model with events"):
        load_problem(d)
