"""The one seam for one run: prepare -> Problem, solve(problem, SolverOptions) -> Solution."""

import numpy as np
import pytest

import ivigsim as iv
from ivigsim.core.simulation import (MAX_STEPS, SolverOptions, prepare, resolve_mechanisms,
                                     resolve_parameters, solve, start_state, vary)
from ivigsim.errors import ParameterError, SolverError

COURSE = iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8, every_days=28, cycles=2)


def test_solve_is_what_simulate_returns_bit_for_bit():
    result = iv.simulate("fcrn_pk", COURSE, t_end=60, body_weight_kg=70, params={"fcrn_total": 40.0})
    solution = solve(prepare("fcrn_pk", COURSE, 60, 70, {"fcrn_total": 40.0}))
    np.testing.assert_array_equal(solution.states, result.states)
    np.testing.assert_array_equal(solution.observables, result.observables)
    np.testing.assert_array_equal(solution.t, result.t)
    assert solution.stats == result.stats
    again = solution.result()
    np.testing.assert_array_equal(again["igg_total"], result["igg_total"])
    assert again.parameters == result.parameters and again.regimen is not None
    # the dense output integrates the same problem again
    states, observables = again.dense(result.t[[10, 40]])
    np.testing.assert_array_equal(states, result.states[[10, 40]])


def test_options_change_the_tolerances_and_match_simulate():
    problem = prepare("fcrn_pk", COURSE, 60, 70)
    tight = solve(problem, SolverOptions(rtol=1e-9))
    assert tight.stats["steps"] > solve(problem).stats["steps"]
    assert tight.problem.rtol == 1e-9 and problem.rtol == 1e-6          # the problem itself is unchanged
    reference = iv.simulate("fcrn_pk", COURSE, t_end=60, body_weight_kg=70, rtol=1e-9)
    np.testing.assert_array_equal(tight.states, reference.states)
    assert solve(problem, problem.options).problem is problem


def test_a_step_budget_too_small_is_a_solver_error():
    with pytest.raises(SolverError, match="integration failed"):
        solve(prepare("fcrn_pk", COURSE, 60, 70), SolverOptions(max_steps=5))


@pytest.mark.parametrize("kwargs, match", [({"rtol": 0.0}, "rtol"), ({"rtol": 1.5}, "rtol"),
                                           ({"rtol": True}, "rtol"), ({"max_steps": 0}, "max_steps"),
                                           ({"max_steps": 2.5}, "max_steps")])
def test_options_refuse_bad_values(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        SolverOptions(**kwargs)


def test_atol_forms():
    spec = iv.load_model("fcrn_pk")
    assert np.all(SolverOptions().atol_vector(spec) == 1e-9)
    one = SolverOptions(atol={spec.species_names[0]: 1e-3}).atol_vector(spec)
    assert one[0] == 1e-3 and np.all(one[1:] == 1e-9)
    with pytest.raises(ParameterError, match="atol"):
        SolverOptions(atol=-1.0).atol_vector(spec)
    assert SolverOptions().max_steps == MAX_STEPS


def test_start_state_and_an_explicit_start():
    problem = prepare("fcrn_pk", COURSE, 30, 70)
    y0 = start_state(problem)
    solution = solve(problem)
    np.testing.assert_array_equal(solution.y0, y0)
    np.testing.assert_array_equal(solve(problem, start=y0).states, solution.states)
    doubled = solve(problem, start=2 * y0)
    assert doubled.states[0, 0] == pytest.approx(2 * y0[0])


def test_vary_equals_a_fresh_prepare():
    spec = iv.load_model("ivig_autoimmune")
    base = prepare(spec, COURSE, 60, 70)
    other = iv.Regimen.ivig(dose_g_per_kg=1.0, days=2, infusion_hours=8)
    values = resolve_parameters(spec, {"fcrn_total": 45.0}, 70)
    switches = resolve_mechanisms(spec, {"anti_idiotype": False})
    varied = vary(base, values, switches, other, 90.0)
    fresh = prepare(spec, other, 90.0, 70, {"fcrn_total": 45.0}, {"anti_idiotype": False})
    np.testing.assert_array_equal(varied.p, fresh.p)
    np.testing.assert_array_equal(varied.t_out, fresh.t_out)
    np.testing.assert_array_equal(solve(varied).states, solve(fresh).states)


def test_vary_keeps_the_course_end_and_body_weight():
    spec = iv.load_model("fcrn_pk")
    base = prepare(spec, COURSE, 60, 80, t_eval=[0.0, 10.0, 20.0])
    values = resolve_parameters(spec, {"fcrn_total": 45.0}, 80)
    varied = vary(base, values)
    assert varied.schedule.t_breaks[-1] == 60.0 and varied.body_weight_kg == 80.0
    np.testing.assert_array_equal(varied.schedule.inputs, prepare(spec, COURSE, 60, 80, {"fcrn_total": 45.0},
                                                                  t_eval=[0.0, 10.0, 20.0]).schedule.inputs)
