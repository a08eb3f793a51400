"""Every shipped model: independent reference integrator, mass balance, positivity."""

import numpy as np
import pytest

import ivigsim as iv
from ivigsim.core.kernel.compiled import evaluate_observables
from ivigsim.core.simulation import SolverOptions, prepare, solve, start_state
from ivigsim.core.solvers.scipy_reference import integrate_scipy

MODELS = sorted(iv.model_paths())
COURSE = iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8, every_days=28, cycles=2)


def _setup(name, regimen, t_end, weight=70.0):
    """The model's problem and its untreated steady state found at rtol 1e-10."""
    spec = iv.load_model(name)
    problem = prepare(spec, regimen if spec.doses else None, t_end,
                      weight if "body_weight" in spec.parameter_names else None, rtol=1e-10, atol=1e-9)
    return problem, start_state(problem)


def _states(problem, y0, rtol, atol):
    solution = solve(problem, SolverOptions(rtol, atol), start=y0)
    return solution.states, solution.stats


@pytest.mark.parametrize("name", MODELS)
def test_agrees_with_scipy_radau_on_observables(name):
    problem, y0 = _setup(name, COURSE, 56.0)
    kernel, p, schedule, t_out = problem.kernel, problem.p, problem.schedule, problem.t_out
    reference, _ = integrate_scipy(kernel, y0, p, schedule, t_out, "Radau", rtol=1e-10, atol=1e-14)
    states, _ = _states(problem, y0, 1e-8, problem.atol * 1e-2)
    ours = evaluate_observables(kernel, states, p)
    ref = evaluate_observables(kernel, reference, p)
    # an observable that stays zero (an antagonist not given) may carry round-off of the linear
    # solves, e.g. 1e-20 of FcRn lost with a drug complex in ivig_autoimmune, where its states
    # enter the algebraic free FcRn of every IgG
    scale = np.maximum(np.abs(ref).max(axis=0), 1e-12)
    assert np.max(np.abs(ours - ref) / scale) < 1e-5


@pytest.mark.parametrize("name", MODELS)
def test_error_falls_as_tolerance_falls(name):
    problem, y0 = _setup(name, COURSE, 56.0)
    reference, _ = integrate_scipy(problem.kernel, y0, problem.p, problem.schedule, problem.t_out, "Radau",
                                   rtol=1e-11, atol=1e-15)
    errors, steps = [], []
    for rtol in (1e-4, 1e-6, 1e-8):
        states, stats = _states(problem, y0, rtol, problem.atol * rtol / 1e-6)
        # a state that stays zero in the reference (an antagonist's FcRn complex, never dosed) carries
        # round-off of the linear solves: 2.8e-18 in ivig_autoimmune at rtol 1e-8, whose 1e-12 floor
        # would make it the worst; the tolerance is judged on the states that move
        scale = np.abs(reference).max(axis=0)
        moving = scale > 1e-12
        errors.append(np.max(np.abs(states - reference)[:, moving] / scale[moving]))
        steps.append(stats["steps"])
    assert errors[1] < errors[0] / 10 and errors[2] < errors[1] / 10, errors
    assert steps[0] < steps[1] < steps[2]


@pytest.mark.parametrize("name", [m for m in MODELS if m.startswith(("fcrn", "igg"))])
def test_igg_mass_balance_closes(name):
    """Dosed + synthesised = in the body + catabolised (IVIG and SCIG, grams)."""
    regimen = COURSE + iv.Regimen.scig(0.1, every_days=7, doses=4, start_day=60)
    res = iv.simulate(name, regimen=regimen, t_end=100, body_weight_kg=70, rtol=1e-8)
    doses = regimen.doses(70.0)
    dosed = sum(d.amount_g for d in doses)
    synthesised = (res.parameters["igg_production"] + res.parameters["aab_production"]) * 70.0 * res.t / 1000
    depot = res["ivig_sc"] * res.parameters["mw_igg"] / 1000        # umol x mg/umol -> g

    def given_by(t):
        return sum(d.amount_g * (1.0 if d.duration_day == 0 and t >= d.time_day else
                                 np.clip((t - d.time_day) / d.duration_day, 0, 1) if d.duration_day else 0.0)
                   for d in doses)

    dosed_by_t = np.array([given_by(t) for t in res.t])
    present = res["igg_body"] + depot + res["total_catabolised"]
    expected = res["igg_body"][0] + synthesised + dosed_by_t
    np.testing.assert_allclose(present, expected, rtol=1e-6, atol=1e-6 * dosed)


@pytest.mark.parametrize("name", MODELS)
def test_states_stay_non_negative(name):
    res = iv.simulate(name, regimen=COURSE, t_end=56, body_weight_kg=70)
    assert np.all(res.states >= -1e-9)
