"""The fit objective: PEtab likelihood by hand, gradients against central differences."""

import math

import numpy as np
import pytest

import ivigsim as iv
from ivigsim.analysis.fitting import load_problem
from ivigsim.analysis.fitting.objective import Objective

from fit_helpers import DIDACTIC, TRUE, edit, multi_condition


def _central(f, x, h=1e-5):
    cols = []
    for k in range(len(x)):
        e = np.zeros(len(x))
        e[k] = h
        cols.append((f(x + e) - f(x - e)) / (2 * h))
    return np.stack(cols, axis=-1)


def test_negative_log_likelihood_matches_a_hand_computation_from_simulate():
    problem = load_problem(DIDACTIC)
    objective = Objective(problem)
    x = np.log10([TRUE[n] for n in objective.names])
    m = problem.measurements
    course = iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8.0)
    res = iv.simulate("igg_linear", regimen=course, t_end=56.0, body_weight_kg=70.0, params=TRUE,
                      t_eval=m.time, rtol=1e-8)
    sigma = 0.08
    d = np.log(res["igg_total"]) - np.log(m.value)
    expected = np.sum(0.5 * np.log(2 * math.pi * sigma ** 2) + 0.5 * (d / sigma) ** 2 + np.log(m.value))
    assert objective.nll(x) == pytest.approx(expected, rel=1e-9)
    assert 0.5 * np.sum(objective.residuals(x) ** 2) + objective.constant(x) == pytest.approx(expected, rel=1e-9)


def test_residual_jacobian_agrees_with_central_differences(tmp_path):
    objective = Objective(load_problem(multi_condition(tmp_path)))
    x = np.log10([0.004, 0.05, 25.0])
    jac = objective.residual_jacobian(x)
    reference = _central(objective.residuals, x)
    assert np.abs(reference).max() > 1.0                      # the data do depend on every parameter
    np.testing.assert_allclose(jac, reference, rtol=2e-3, atol=2e-3 * np.abs(reference).max())


def test_likelihood_gradient_with_estimated_sigma_prior_and_laplace_noise(tmp_path):
    d = multi_condition(tmp_path, sigma="sigma_igg",
                        extra_parameters="sigma_igg\tsigma\tlog10\t0.01\t1\t0.1\t1\tnormal\t0.1;0.05\n")
    edit(d / "parameters.tsv", "estimate\n", "estimate\tobjectivePriorType\tobjectivePriorParameters\n")
    edit(d / "parameters.tsv", "34\t1\n", "34\t1\tparameterScaleNormal\t1.5;0.2\n")
    for line in ("0.0031244\t1\n", "0.042\t1\n"):
        edit(d / "parameters.tsv", line, line[:-1] + "\t\t\n")
    edit(d / "observables.tsv", "\tnormal\n", "\tlaplace\n")
    objective = Objective(load_problem(d))
    assert not objective.least_squares and objective.has_prior and objective.laplace.all()
    x = np.array([np.log10(0.004), np.log10(0.05), np.log10(25.0), np.log10(0.12)])
    value, grad = objective.nll_and_gradient(x)
    assert value == pytest.approx(objective.nll(x), rel=1e-12)
    reference = _central(objective.nll, x)
    np.testing.assert_allclose(grad, reference, rtol=2e-3, atol=1e-3 * np.abs(reference).max())


def test_a_clamp_wins_over_an_estimate_and_has_zero_sensitivity(tmp_path):
    objective = Objective(load_problem(multi_condition(tmp_path)))
    x = np.log10([0.004, 0.05, 25.0])
    _, sens = objective.sensitivities(x)
    rows = np.array(objective.problem.measurements.condition) == "hypo_replacement"
    assert np.all(sens[rows, 2] == 0.0)                       # igg_production is clamped there
    assert np.all(np.abs(sens[~rows, 2]) > 0)


def test_sensitivities_are_one_batched_pass_per_condition(tmp_path, monkeypatch):
    import ivigsim.analysis.fitting.simulator as module
    calls = []
    original = module.entry

    def counting_entry(driver):
        compiled = original(driver)
        if driver is not module.batch.integrate_batch:
            return compiled

        def counting(*args):
            calls.append(args[5].shape[0])                     # rows of the batch
            return compiled(*args)
        return counting

    monkeypatch.setattr(module, "entry", counting_entry)
    objective = Objective(load_problem(multi_condition(tmp_path)))
    objective.sensitivities(np.log10([0.004, 0.05, 25.0]))
    # One compiled call per condition (steady states come from Newton's method, not from
    # integration): 1 + 3 rows for the first patient and 1 + 2 for the second, whose
    # synthesis is clamped (no row for igg_production_a).
    assert calls == [4, 3]


def test_fcrn_model_gradient_through_the_steady_state_agrees_with_central_differences(tmp_path):
    """Nonlinear model, steady-state start: the batch relaxes each perturbed patient to its own steady state."""
    from fit_helpers import copy_problem
    d = copy_problem(tmp_path)
    edit(d / "ivigsim.toml", 'model = "igg_linear"', 'model = "fcrn_pk"')
    # Bounds from the model's own values (a third to three times each), so the test follows the model file.
    spec = iv.load_model("fcrn_pk")
    rows, x = [], []
    for name in ("fcrn_total", "cl_uptake", "igg_production"):
        par = spec.parameters[spec.parameter_index(name)]
        low, high = max(par.value / 3, par.bounds[0]), min(par.value * 3, par.bounds[1])
        rows.append(f"{name}\tlog10\t{low!r}\t{high!r}\t{par.value!r}\t1\n")
        x.append(np.log10(par.value) + 0.05)
    (d / "parameters.tsv").write_text(
        "parameterId\tparameterScale\tlowerBound\tupperBound\tnominalValue\testimate\n" + "".join(rows))
    objective = Objective(load_problem(d))
    x = np.array(x)
    jac = objective.residual_jacobian(x)
    reference = _central(objective.residuals, x, h=1e-4)
    np.testing.assert_allclose(jac, reference, rtol=5e-3, atol=5e-3 * np.abs(reference).max())
    # The baseline (day 0) depends on every parameter through the steady state.
    assert np.all(np.abs(jac[0]) > 1e-3)


def test_conditions_of_the_same_simulation_are_integrated_once(tmp_path, monkeypatch):
    """Two conditions that differ only in their measurement times share one integration, and each
    reads the trajectory at its own times as a simulation of its own would."""
    import ivigsim as iv
    import ivigsim.analysis.fitting.simulator as module
    d = multi_condition(tmp_path)
    with open(d / "conditions.tsv", "a") as handle:
        handle.write("hypo_replacement_b\tsame patient and dose, other visits\t8\n")
    with open(d / "ivigsim.toml", "a") as handle:
        handle.write("\n[conditions.hypo_replacement_b]\nbody_weight_kg = 60.0\nkind = \"ivig\"\n"
                     "dose_g_per_kg = 0.4\ndays = 1\ninfusion_hours = 4.0\n")
    with open(d / "measurements.tsv", "a") as handle:
        handle.write("igg_total_serum\thypo_replacement_b\t7\t7.0\tb\nigg_total_serum\thypo_replacement_b\t21\t5.0\tb\n")
    calls = []
    original = module.entry

    def counting_entry(driver):
        compiled = original(driver)
        if driver is not module.batch.integrate_batch:
            return compiled

        def counting(*args):
            calls.append(args[5].shape[0])
            return compiled(*args)
        return counting

    monkeypatch.setattr(module, "entry", counting_entry)
    objective = Objective(load_problem(d))
    assert [c.name for c, *_ in objective.by_condition] == ["course_2g_per_kg", "hypo_replacement"]
    x = np.log10([0.004, 0.05, 25.0])
    objective.sensitivities(x)
    assert calls == [4, 3]                       # as without the extra condition
    sim = objective.simulate(x)
    rows = np.array(objective.problem.measurements.condition) == "hypo_replacement_b"
    alone = iv.simulate("igg_linear", regimen=iv.Regimen.ivig(dose_g_per_kg=0.4, days=1, infusion_hours=4.0),
                        t_end=21.0, body_weight_kg=60.0, t_eval=np.array([7.0, 21.0]), rtol=1e-8,
                        params={"cl_linear": 0.004, "v_plasma": 0.05, "igg_production": 8.0})
    np.testing.assert_allclose(sim[rows], alone["igg_total"], rtol=1e-6)
    assert not np.allclose(sim[rows], sim[rows][::-1])        # the two visits are told apart
