"""Lanes: 8 points in lockstep give each point the scalar solver's numbers, bit for bit.

The lane kernels (:mod:`ivigsim.core.kernel.lanes`) are the scalar kernels'
statements with a lane index, and each lane of the lockstep Rodas4
(:mod:`ivigsim.core.solvers.rodas_lanes`) runs the scalar driver's step
control, so a lane's result must equal ``integrate_controlled``'s exactly:
no tolerance below is looser than bit equality.
"""

import numba as nb
import numpy as np
import pytest

import ivigsim as iv
from ivigsim.core.catalogue import load_model
from ivigsim.core.kernel import lanes
from ivigsim.core.kernel.compiled import load_kernel
from ivigsim.core.kernel.signatures import FACTOR_SIG
from ivigsim.core.simulation import prepare
from ivigsim.core.solvers import rodas, rodas_lanes
from ivigsim.sweep import ensemble, ensemble_compiled
from ivigsim.sweep.experiment import load_experiment
from ivigsim.sweep.run import DEFAULT_CHUNK_SIZE, run_experiment
from ivigsim.sweep.samplers import sample_points
from sweep_helpers import metrics, write_sweep

MODELS = ("fcrn_pk_qss", "fcrn_pk")
WIDTH = lanes.WIDTH
compiled_only = pytest.mark.skipif(nb.config.DISABLE_JIT, reason="sweeps use lanes only when compiled")


def _lane_points(model, seed=0):
    """(spec, kernel, problem, parameter vectors (WIDTH, n_p), start states (WIDTH, n)) around the defaults."""
    spec = load_model(model)
    problem = prepare(spec, iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8, every_days=28,
                                            cycles=2), 60.0)
    rng = np.random.default_rng(seed)
    ps = np.repeat(problem.p[None], WIDTH, axis=0)
    swept = [spec.parameter_index(name) for name in ("fcrn_total", "cl_uptake", "cl_linear")
             if name in spec.parameter_names]
    ps[:, swept] *= np.exp(rng.uniform(np.log(0.5), np.log(2.0), (WIDTH, len(swept))))
    # start states: the untreated steady state, each species moved by up to 30 % either way
    y0 = problem.initial_state()[None] * rng.uniform(0.7, 1.3, (WIDTH, spec.n_species))
    return spec, load_kernel(spec), problem, np.ascontiguousarray(ps), np.ascontiguousarray(y0)


@pytest.mark.parametrize("model", MODELS + ("ivig_antitumour", pytest.param("ivig_autoimmune", marks=pytest.mark.slow)))
def test_lane_kernels_equal_the_scalar_kernels_bit_for_bit(model):
    """The antitumour model's rate laws call pow and log: scalar libm calls inside the vector loop."""
    spec, kernel, _, ps, ys = _lane_points(model)
    lane = lanes.load_lanes(spec)
    n = spec.n_species
    Y, P = np.ascontiguousarray(ys.T), np.ascontiguousarray(ps.T)
    T = np.zeros((lane.scratch, WIDTH))
    F = np.empty((n, WIDTH))
    # the lane functions take their arrays flat (views of the same memory)
    lane.rhs(Y.reshape(-1), P.reshape(-1), F.reshape(-1), T.reshape(-1))
    J = np.zeros((n, n, WIDTH))
    lane.jac_nonzeros(Y.reshape(-1), P.reshape(-1), J.reshape(-1), T.reshape(-1))
    # 1 / (h gamma) from a tiny step to a huge one; 0 makes W = -J, whose pivots fail the threshold
    c = np.array([4e6, 4e3, 40.0, 4.0, 0.4, 4e-3, 1e-9, 0.0])
    LU = np.empty((kernel.lu_size, WIDTH))
    bad = np.full(WIDTH, -1, dtype=np.int64)
    lane.factor(J.reshape(-1), c, LU.reshape(-1), bad, T.reshape(-1))
    B = np.ascontiguousarray(F.copy())
    lane.solve(LU.reshape(-1), B.reshape(-1), T.reshape(-1))
    flags = []
    for l in range(WIDTH):
        f = np.empty(n)
        kernel.rhs(ys[l], ps[l], f)
        np.testing.assert_array_equal(F[:, l], f)
        jac = np.zeros((n, n))
        kernel.jac_nonzeros(ys[l], ps[l], jac)
        np.testing.assert_array_equal(J[:, :, l], jac)
        lu = np.empty(kernel.lu_size)
        flags.append(kernel.factor(jac, c[l], lu) != 0)
        assert bad[l] == flags[-1]
        if not flags[-1]:                  # a failed scalar factor stops early: only whole ones compare
            np.testing.assert_array_equal(LU[:, l], lu)
            b = f.copy()
            kernel.solve(lu, b)
            np.testing.assert_array_equal(B[:, l], b)
    assert not flags[0]
    if model in MODELS:
        assert flags[-1]                   # both outcomes are exercised
    assert lane.exact and (("log" in lane.library_calls) == (model == "ivig_antitumour"))


def _integrate_both(model, factor_lane=None, factor_scalar=None, poison=None):
    """Lanes and the scalar driver on the same 8 points with their own doses: (lane results, scalar results)."""
    spec, kernel, problem, ps, y0 = _lane_points(model, seed=1)
    sched = problem.schedule
    n, n_seg = spec.n_species, len(sched.t_breaks) - 1
    rng = np.random.default_rng(2)
    scale = rng.uniform(0.5, 2.0, WIDTH)             # each point its own dose
    inputs = np.ascontiguousarray(sched.inputs[None] * scale[:, None, None])
    assert inputs.shape[2] > 0 and n_seg > 10
    jumps = np.ascontiguousarray(np.repeat(sched.jumps[None], WIDTH, axis=0))
    if poison is not None:
        ps[poison, spec.parameter_index("v_plasma")] = np.nan
    t_out = np.linspace(0.0, 60.0, 61)
    rtol, atol = problem.rtol, np.ascontiguousarray(problem.atol)
    fn = kernel.typed
    factor = fn.factor if factor_scalar is None else factor_scalar
    lane = lanes.load_lanes(spec)
    typed = lane.typed if factor_lane is None else (lane.typed[0], lane.typed[1], factor_lane, lane.typed[3])
    y_lanes = np.zeros((WIDTH, t_out.size, n))
    stats_lanes = np.zeros((WIDTH, rodas.N_STATS), dtype=np.int64)
    status = np.zeros(WIDTH, dtype=np.int64)
    status[WIDTH - 1] = -1                          # an empty lane: skipped, left as it was
    rodas_lanes.integrate_lanes(*typed, kernel.lu_size, lane.scratch, np.ascontiguousarray(y0.T),
                                np.ascontiguousarray(ps.T), sched.t_breaks,
                                np.ascontiguousarray(inputs.transpose(1, 2, 0)), sched.input_target,
                                np.ascontiguousarray(jumps.transpose(1, 2, 0)), sched.control_index,
                                sched.control_values, t_out, rtol, atol, np.inf, 100_000, y_lanes, stats_lanes, status)
    scalar = []
    for l in range(WIDTH - 1):
        y_out = np.zeros((t_out.size, n))
        stats = np.zeros(rodas.N_STATS, dtype=np.int64)
        code = rodas.integrate_controlled(fn.rhs, fn.jac_nonzeros, factor, fn.solve, kernel.lu_size, y0[l].copy(),
                                          ps[l], sched.t_breaks, np.ascontiguousarray(inputs[l]), sched.input_target,
                                          jumps[l], sched.control_index, sched.control_values, t_out, rtol, atol,
                                          0.0, np.inf, 100_000, y_out, stats)
        scalar.append((code, y_out, stats))
    return (status, y_lanes, stats_lanes), scalar


@pytest.mark.parametrize("model", MODELS + (pytest.param("igg_linear", marks=pytest.mark.jit_off),))
def test_lockstep_lanes_equal_the_scalar_solver_and_a_failed_lane_stops_alone(model):
    """CI also runs the small model with NUMBA_DISABLE_JIT=1: the same algorithm as plain Python."""
    (status, y_lanes, stats_lanes), scalar = _integrate_both(model, poison=2)
    assert status[WIDTH - 1] == -1 and not y_lanes[WIDTH - 1].any()
    for l, (code, y_out, stats) in enumerate(scalar):
        assert status[l] == code
        np.testing.assert_array_equal(stats_lanes[l], stats)
        if code == rodas.SUCCESS:
            np.testing.assert_array_equal(y_lanes[l], y_out)
    assert scalar[2][0] == rodas.NOT_FINITE and sum(c == rodas.SUCCESS for c, _, _ in scalar) == WIDTH - 2


def test_a_lane_whose_sparse_pivots_fail_factors_densely_as_the_scalar_solver():
    """Lanes 1 and 4 are told their sparse pivots failed at every step; the scalar solver, told the same, agrees."""
    from ivigsim.core.kernel.lanes import LANE_FACTOR_SIG
    spec = load_model("fcrn_pk_qss")
    lane, kernel = lanes.load_lanes(spec), load_kernel(spec)
    lane_factor, scalar_factor = lane.factor, kernel.factor

    @nb.njit(LANE_FACTOR_SIG)
    def failing_lanes(J, c, LU, bad, T):
        lane_factor(J, c, LU, bad, T)
        bad[1] = 1
        bad[4] = 1

    @nb.njit(FACTOR_SIG)
    def failing(J, c, lu):
        scalar_factor(J, c, lu)
        return 1

    (status, y_lanes, stats_lanes), _ = _integrate_both("fcrn_pk_qss", factor_lane=failing_lanes)
    _, dense = _integrate_both("fcrn_pk_qss", factor_scalar=failing)
    (_, _, _), sparse = _integrate_both("fcrn_pk_qss")
    for l in (1, 4):
        code, y_out, stats = dense[l]
        assert status[l] == code == rodas.SUCCESS and stats[rodas.STAT_DENSE_LU] == stats[rodas.STAT_LU] > 0
        np.testing.assert_array_equal(stats_lanes[l], stats)
        np.testing.assert_array_equal(y_lanes[l], y_out)
    for l in (0, 2, 3, 5, 6):
        np.testing.assert_array_equal(y_lanes[l], sparse[l][1])
        assert stats_lanes[l, rodas.STAT_DENSE_LU] == 0


def _sweep_file(tmp_path, model, n):
    spec = load_model(model)
    default = spec.default_parameters()[spec.parameter_index("fcrn_total")]
    return write_sweep(tmp_path / f"lanes_{model}.toml", name="lane_sweep", model=model, seed=11,
                       t_end_days=90.0, rtol=1e-6, n=n,
                       regimens={"standard": {"kind": "ivig", "dose_g_per_kg": 0.4, "days": 5, "infusion_hours": 8,
                                              "every_days": 28, "cycles": 4}},
                       variables={"fcrn_total": {"low": default / 2, "high": default * 2, "scale": "log"},
                                  "body_weight_kg": {"low": 50.0, "high": 100.0}},
                       metrics=metrics("nadir_pct", "nadir_vs_untreated_pct"))


@compiled_only
@pytest.mark.parametrize("model", MODELS)
def test_lane_chunks_equal_scalar_chunks_and_simulate(tmp_path, model, monkeypatch):
    """19 points: two full lane passes and a partial one of 3 (below the threshold, then above it)."""
    experiment = load_experiment(_sweep_file(tmp_path, model, 19))
    points = sample_points(experiment)
    groups = []
    real = ensemble_compiled.lane_groups
    monkeypatch.setattr(ensemble_compiled, "lane_groups", lambda *a: groups.append(real(*a)) or groups[-1])
    with_lanes = ensemble.run_chunk(experiment, points, 0, 0, len(points))
    assert [g.shape[0] for g in groups] == [2, 2]          # treated and untreated: 16 rows in lanes, 3 alone
    monkeypatch.setattr(ensemble_compiled, "MIN_LANES_FILLED", 1)
    partial = ensemble.run_chunk(experiment, points, 0, 0, len(points))
    assert (groups[-1][-1] == -1).sum() == WIDTH - 3        # the last pass has 5 empty lanes
    monkeypatch.setattr(ensemble_compiled, "USE_LANES", False)
    scalar = ensemble.run_chunk(experiment, points, 0, 0, len(points))
    for chunk in (with_lanes, partial):
        assert chunk.engine == ensemble_compiled.COMPILED and (chunk.status == ensemble.OK).all()
        np.testing.assert_array_equal(chunk.outputs, scalar.outputs)
        np.testing.assert_array_equal(chunk.metrics, scalar.metrics)
        np.testing.assert_array_equal(chunk.steps, scalar.steps)
    spec = load_model(model)
    names = ensemble.output_names(spec)
    for k in (0, 9, 18):
        regimen, params, weight = ensemble.point_setup(experiment, spec, points, k)
        single = iv.simulate(model, regimen=regimen, t_end=experiment.t_end_days, body_weight_kg=weight,
                             params=params, t_eval=experiment.output_times(), rtol=experiment.rtol)
        np.testing.assert_array_equal(with_lanes.outputs[k, :, names.index("autoantibody")], single["autoantibody"])
        np.testing.assert_array_equal(with_lanes.outputs[k, :, len(spec.observable_names):], single.states)


def test_lanes_give_the_same_bits_for_one_and_two_workers_and_any_chunk_size(tmp_path):
    """40 points cut four ways: the default size (32: four full lane passes, then one), 10 (a pass and two
    points alone per chunk), 13 (a full and a partial pass) and 24 (three passes, then two)."""
    assert DEFAULT_CHUNK_SIZE % ensemble_compiled.LANE_WIDTH == 0
    path = _sweep_file(tmp_path, "fcrn_pk_qss", 40)
    one = run_experiment(path, out=tmp_path / "one", workers=1, progress=False)
    assert one.provenance["chunk_size"] == DEFAULT_CHUNK_SIZE
    assert np.isfinite(one.metrics["nadir_vs_untreated_pct"]).all()
    for workers, size in ((2, 10), (1, 13), (2, 24)):
        other = run_experiment(path, out=tmp_path / f"w{workers}_c{size}", workers=workers, chunk_size=size,
                               progress=False)
        assert one.metrics.equals(other.metrics), (workers, size)
        np.testing.assert_array_equal(one.trajectories["igg_total"].values, other.trajectories["igg_total"].values)


def test_a_lane_that_fails_is_rerun_per_point_and_the_others_keep_their_lanes(tmp_path, monkeypatch):
    """A lane's failure code sends that point alone through the per-point path, which names the error."""
    from ivigsim.errors import SolverError
    experiment = load_experiment(_sweep_file(tmp_path, "fcrn_pk_qss", 8))
    points = sample_points(experiment)
    reference = ensemble.run_chunk(experiment, points, 0, 0, len(points))
    real_entry = ensemble_compiled.entry

    def failing_entry(dispatcher):
        run = real_entry(dispatcher)

        def wrapped(*args):
            run(*args)
            args[-1][3] = rodas.MAX_STEPS               # status of chunk row 3, as a lane would set it
        return wrapped

    real_point = ensemble.run_point
    calls = []

    def flaky(experiment, spec, points, i, t_out, untreated=False):
        calls.append(i)
        if i == 3:
            raise SolverError("model 'x': the solver took more steps than allowed", -1)
        return real_point(experiment, spec, points, i, t_out, untreated)

    monkeypatch.setattr(ensemble_compiled, "entry", failing_entry)
    monkeypatch.setattr(ensemble, "run_point", flaky)
    again = ensemble.run_chunk(experiment, points, 0, 0, len(points))
    assert calls == [3]
    assert again.reasons[3].startswith("SolverError") and list(again.status[:3]) == [0, 0, 0]
    ok = again.status == ensemble.OK
    np.testing.assert_array_equal(again.metrics[ok], reference.metrics[ok])


def test_lane_source_is_the_scalar_source_with_lane_subscripts():
    """Every arithmetic line of the scalar rhs appears, subscripts aside, in the lane rhs."""
    import re
    from ivigsim.core.kernel.codegen import generate_source
    spec = load_model("fcrn_pk_qss")
    scalar = generate_source(spec, "straight")
    lane = lanes.generate_lane_source(spec)
    body = scalar[scalar.index("def rhs("):scalar.index("def jac_nonzeros(")]
    expressions = [line.split(" = ", 1)[1] for line in body.splitlines()
                   if " = " in line and "[" not in line.split(" = ", 1)[1]]
    lane_body = lane[lane.index("def rhs("):lane.index("def jac_nonzeros(")]
    lane_expressions = {line.split(" = ", 1)[1] for line in lane_body.splitlines() if " = " in line}
    assert expressions and all(e in lane_expressions for e in expressions)
    assert f"for l in range(Y_.shape[0] // {spec.n_species}):" in lane_body and not re.search(r"\by\[", lane_body)
    assert all(lanes.supports_lanes(load_model(model)) for model in MODELS)
