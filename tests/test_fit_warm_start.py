"""The fit's fast paths: warm-started steady states, chord rows, prepared runs and the batch driver.

Each fast path must give the numbers of the slow one: a warm-started steady
state equals the cold one (integration, then Newton) to 1e-10 of each species,
and the objective with warm starts equals the one without.
"""

import numpy as np
import pytest

import ivigsim as iv
from ivigsim.core import simulation, steady_state
from ivigsim.errors import ParameterError
from ivigsim.analysis.fitting import load_problem
from ivigsim.analysis.fitting.objective import Objective
from ivigsim.core.solvers import rodas
from ivigsim.core.solvers.batch import entry, integrate_batch

from fit_helpers import copy_problem, edit

FCRN_ESTIMATED = ("fcrn_total", "cl_uptake", "igg_production")


@pytest.fixture(scope="module")
def fcrn_problem(tmp_path_factory):
    """The didactic data on fcrn_pk (a steady-state start with a conserved FcRn pool)."""
    d = copy_problem(tmp_path_factory.mktemp("fcrn"))
    edit(d / "ivigsim.toml", 'model = "igg_linear"', 'model = "fcrn_pk"')
    spec = iv.load_model("fcrn_pk")
    rows = []
    for name in FCRN_ESTIMATED:
        par = spec.parameters[spec.parameter_index(name)]
        low, high = max(par.value / 3, par.bounds[0]), min(par.value * 3, par.bounds[1])
        rows.append(f"{name}\tlog10\t{low!r}\t{high!r}\t{par.value!r}\t1\n")
    (d / "parameters.tsv").write_text(
        "parameterId\tparameterScale\tlowerBound\tupperBound\tnominalValue\testimate\n" + "".join(rows))
    return load_problem(d)


def _cold(run):
    return simulation.initial_state(run.spec, run.kernel, run.values, run.p, run.rtol, run.atol)


def _scaled_difference(a, b, atol):
    return float(np.max(np.abs(a - b) / (np.abs(b) + atol)))


def _parameters(problem, factors):
    spec = problem.spec
    return {name: spec.parameters[spec.parameter_index(name)].value * f for name, f in factors.items()}


def test_warm_started_steady_state_equals_the_cold_one(fcrn_problem, monkeypatch):
    import ivigsim.analysis.fitting.simulator as module
    simulator = Objective(fcrn_problem).simulator.fork()
    condition = fcrn_problem.conditions[0]
    times = np.array([0.0, 7.0])
    first = simulator.prepare(condition, _parameters(fcrn_problem, {"cl_uptake": 1.0}), times)
    simulator.initial_state(first, condition)                   # cold: nothing to start from
    cold_calls = []
    monkeypatch.setattr(module, "initial_state", lambda *a: cold_calls.append(1) or _cold(first))
    # A new FcRn pool (a new conserved total), a faster uptake and a higher synthesis at once.
    moved = simulator.prepare(condition, _parameters(fcrn_problem, {"cl_uptake": 1.3, "fcrn_total": 0.7,
                                                                    "igg_production": 1.5}), times)
    warm = simulator.initial_state(moved, condition)
    assert cold_calls == []                                     # Newton from the previous state sufficed
    monkeypatch.undo()
    cold = _cold(moved)
    assert _scaled_difference(warm, cold, moved.atol) < 1e-10
    spec = fcrn_problem.spec
    pool = [spec.species_index(n) for n in spec.species_names if n == "fcrn" or n.endswith("_fcrn")]
    assert warm[pool].sum() == pytest.approx(moved.values[spec.parameter_index("fcrn_total")], rel=1e-12)


def test_chord_rows_equal_cold_steady_states(fcrn_problem):
    simulator = Objective(fcrn_problem).simulator.fork()
    condition = fcrn_problem.conditions[0]
    times = np.array([0.0, 7.0])
    base = simulator.prepare(condition, _parameters(fcrn_problem, {"cl_uptake": 1.0}), times)
    y_base = simulator.initial_state(base, condition)
    rows = [simulator.prepare(condition, _parameters(fcrn_problem, {name: 1.0 + 2.3e-4}), times)
            for name in ("fcrn_total", "cl_uptake", "igg_production", "v_endosome", "k_on")]
    warm = simulator.nearby_initial_states(base, y_base, rows)
    for run, y in zip(rows, warm):
        assert _scaled_difference(y, _cold(run), run.atol) < 1e-10


def test_warm_and_cold_objectives_agree_along_a_path(fcrn_problem):
    """The same sequence of evaluations with and without warm starts: equal to round-off."""
    warm, cold = Objective(fcrn_problem).fork(), Objective(fcrn_problem, warm_start=False).fork()
    x0 = np.array([float(p.to_scale(p.nominal)) for p in warm.estimated])
    for step in (0.0, 0.08, -0.15, 0.2):
        x = x0 + step * np.array([1.0, -0.5, 0.7])
        np.testing.assert_allclose(warm.residuals(x), cold.residuals(x), rtol=1e-9, atol=1e-9)
        jw, jc = warm.residual_jacobian(x), cold.residual_jacobian(x)
        np.testing.assert_allclose(jw, jc, rtol=1e-5, atol=1e-6 * np.abs(jc).max())


def test_newton_reaches_the_conserved_totals_it_is_given(fcrn_problem):
    simulator = Objective(fcrn_problem).simulator.fork()
    condition = fcrn_problem.conditions[0]
    times = np.array([0.0])
    base = simulator.prepare(condition, {}, times)
    y = _cold(base)
    free, conserved, totals, _ = simulator._targets(base)
    out = steady_state.newton(base.kernel.rhs, base.kernel.jac, y, base.p, base.atol, free, conserved,
                              1.5 * totals)
    assert out.converged
    np.testing.assert_allclose(conserved @ out.y[free], 1.5 * totals, rtol=1e-12)
    f = np.empty(y.size)
    base.kernel.rhs(out.y, base.p, f)
    assert np.max(np.abs(f[free]) / (np.abs(out.y[free]) + base.atol[free])) < 1e-8


def _python_jacobian(matrix):
    def jac(y, p, out):
        out[:] = matrix
    return jac


def test_stability_on_the_conserved_manifold():
    # Exchange between two pools keeps their sum: the zero eigenvalue of that law is not instability.
    exchange = np.array([[-1.0, 1.0], [1.0, -1.0]])
    free = np.ones(2, dtype=bool)
    assert steady_state.is_stable(_python_jacobian(exchange), np.ones(2), None, free, np.array([[1.0, 1.0]]))
    # A slow growing mode beside a fast decaying one (stiffness 1e7): found.
    stiff = np.diag([-1e7, 1e-2])
    assert not steady_state.is_stable(_python_jacobian(stiff), np.ones(2), None, free, np.zeros((0, 2)))
    assert steady_state.is_stable(_python_jacobian(np.diag([-1e7, -1e-3])), np.ones(2), None, free,
                                  np.zeros((0, 2)))


def test_a_prepared_run_still_refuses_a_value_outside_the_declared_range(fcrn_problem):
    simulator = Objective(fcrn_problem).simulator.fork()
    condition = fcrn_problem.conditions[0]
    times = np.array([0.0])
    simulator.prepare(condition, {}, times)
    high = fcrn_problem.spec.parameters[fcrn_problem.spec.parameter_index("k_on")].bounds[1]
    with pytest.raises(ParameterError, match="k_on.*outside its plausible range"):
        simulator.prepare(condition, {"k_on": high * 2}, times)


def test_batch_driver_with_session_controls_equals_the_single_run():
    """Plasma exchange sets a removal parameter per segment: the batch carries it for every row."""
    regimen = iv.Regimen.plasma_exchange(plasma_volumes=1.0, sessions=3, every_days=2.0)
    run = simulation.prepare("fcrn_pk", regimen, 10.0, 70.0, None, None, np.linspace(0.0, 10.0, 21))
    assert run.schedule.has_controls
    y0 = _cold(run)
    single, _ = simulation.run_solver(run.kernel, y0, run.p, run.schedule, run.t_out, run.rtol, run.atol)
    fn, s = run.kernel.typed, run.schedule
    out = np.zeros((2, len(run.t_out), y0.size))
    status = np.zeros(2, dtype=np.int64)
    entry(integrate_batch)(
        fn.rhs, fn.jac, fn.factor, fn.solve, run.kernel.lu_size, np.ascontiguousarray([y0, y0]),
        np.ascontiguousarray([run.p, run.p]), s.t_breaks, np.ascontiguousarray([s.inputs, s.inputs]),
        s.input_target, np.ascontiguousarray([s.jumps, s.jumps]), np.ascontiguousarray(s.control_index),
        np.ascontiguousarray(s.control_values), run.t_out, run.rtol, run.atol, 100_000, out,
        np.zeros((2, rodas.N_STATS), dtype=np.int64), status)
    assert np.all(status == rodas.SUCCESS)
    np.testing.assert_array_equal(out[0], single)
    np.testing.assert_array_equal(out[1], single)
    # and the controls act: the sessions remove plasma IgG
    removed = run.spec.species_index("igg_removed")
    assert out[0, -1, removed] > 0.3 * y0[run.spec.species_index("igg_p")]


def test_compiled_newton_and_chord_iterations_equal_the_python_ones(fcrn_problem):
    from ivigsim.core.solvers.newton import chord_iterate, newton_iterate
    simulator = Objective(fcrn_problem).simulator.fork()
    condition = fcrn_problem.conditions[0]
    base = simulator.prepare(condition, {}, np.array([0.0]))
    y_base = _cold(base)
    run = simulator.prepare(condition, _parameters(fcrn_problem, {"cl_uptake": 1.2, "fcrn_total": 0.9}),
                            np.array([0.0]))
    free, conserved, totals, initial = simulator._targets(run)
    # two FcRn pools, two laws: the rows must be C-ordered, as the compiled iterations are typed
    assert conserved.shape[0] == 2 and conserved.flags.c_contiguous
    idx = np.flatnonzero(free)
    fn = run.kernel.typed
    python = steady_state.newton(run.kernel.rhs, run.kernel.jac, np.where(free, y_base, initial), run.p,
                                 run.atol, free, conserved, totals)
    y, info = np.where(free, y_base, initial), np.zeros(1)
    iterations = entry(newton_iterate)(fn.rhs, fn.jac, y, run.p, run.atol, idx, conserved, totals, 30,
                                       steady_state.STEP_TOLERANCE, steady_state.ROUND_OFF_STEP, info)
    compiled = steady_state.assess(run.kernel.rhs, y, run.p, run.atol, free, iterations, info[0])
    assert python.converged and compiled.converged and 2 <= compiled.iterations <= 8
    assert _scaled_difference(compiled.y, python.y, run.atol) < 1e-12
    # chord from the base state with the base matrix, for a finite-difference-sized step
    near = simulator.prepare(condition, _parameters(fcrn_problem, {"k_recycle": 1.0 + 1e-4}), np.array([0.0]))
    free, conserved, totals, initial = simulator._targets(near)
    linear = steady_state.linearise(base.kernel.jac, y_base, base.p, base.atol, free, conserved)
    python = steady_state.chord(near.kernel.rhs, linear, np.where(free, y_base, initial), near.p, near.atol,
                                free, conserved, totals)
    y = np.where(free, y_base, initial)
    iterations = entry(chord_iterate)(fn.rhs, linear.inverse, linear.row, linear.scale, y, near.p, idx, conserved,
                                      totals, 30, steady_state.STEP_TOLERANCE, steady_state.ROUND_OFF_STEP, info)
    compiled = steady_state.assess(near.kernel.rhs, y, near.p, near.atol, free, iterations, info[0])
    assert python.converged and compiled.converged
    assert _scaled_difference(compiled.y, python.y, near.atol) < 1e-12
    assert _scaled_difference(compiled.y, _cold(near), near.atol) < 1e-10


def test_jacobian_after_residuals_reuses_the_base_run_and_gives_the_same_numbers(fcrn_problem, monkeypatch):
    import ivigsim.analysis.fitting.simulator as module
    x = np.array([float(p.to_scale(p.nominal)) for p in Objective(fcrn_problem).estimated]) + 0.03
    fresh = Objective(fcrn_problem).fork().sensitivities(x)
    objective = Objective(fcrn_problem).fork()
    objective.residuals(x)
    rows = []
    original = module.Simulator.integrate
    monkeypatch.setattr(module.Simulator, "integrate",
                        lambda self, runs, y0s, condition: rows.append(len(runs)) or original(self, runs, y0s, condition))
    after = objective.sensitivities(x)
    assert rows == [len(objective.estimated)]          # the perturbed rows only: the base run was kept
    np.testing.assert_array_equal(after[0], fresh[0])
    np.testing.assert_array_equal(after[1], fresh[1])


def test_outputs_at_the_start_only_equal_the_driver_s(fcrn_problem):
    """A condition observed at t = 0 only needs no integration; the shortcut gives the driver's numbers."""
    simulator = Objective(fcrn_problem).simulator.fork()
    condition = fcrn_problem.conditions[0]
    run = simulator.prepare(condition, {}, np.array([0.0, 0.0]))
    y0 = simulator.initial_state(run, condition)
    short = simulator.integrate([run, run], np.array([y0, 1.1 * y0]), condition)
    full, _ = simulation.run_solver(run.kernel, 1.1 * y0, run.p, run.schedule, run.t_out, run.rtol, run.atol)
    assert short.shape == (2, 2, y0.size)
    np.testing.assert_array_equal(short[1], full)
    np.testing.assert_array_equal(short[0, 0], y0 + run.schedule.jumps[0])
