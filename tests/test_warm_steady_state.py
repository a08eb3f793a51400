"""The warm start of the untreated steady state: Newton from the nominal steady state, checked, else the integration.

Every run (``simulate`` and every sweep point) first tries Newton's method from
the nominal steady state (the model's defaults) with its own conserved totals,
and integrates only when that result fails a check. These tests hold it to the
integration: equal to round-off where it is kept, the integration itself where
it is not. The tests on the one-species logistic model also run with the JIT
off (``-m jit_off``), where the same iteration runs as Python.
"""

import numpy as np
import pytest
from scipy.stats import qmc

import ivigsim as iv
from ivigsim.core import simulation, steady_state
from ivigsim.core.expressions import evaluate
from ivigsim.core.solvers import newton
from ivigsim.core.solvers.batch import entry

LOGISTIC = """
[model]
name = "logistic"
description = "Logistic growth: an unstable steady state at 0, a stable one at the capacity."
mechanisms.growth = "growth and crowding"
initial_state = "steady_state"

[compartments.well]
volume = "1"
unit = "1"
description = "dimensionless"

[species.x]
compartment = "well"
unit = "cell"
initial = "x0"

[parameters.r]
value = 0.5
unit = "1/day"
bounds = [0.01, 10.0]
source = "test value"

[parameters.cap]
value = 1000.0
unit = "cell"
bounds = [1.0, 1.0e6]
source = "test value"

[parameters.x0]
value = 1.0
unit = "cell"
bounds = [0.0, 1.0e6]
source = "test value"

[reactions.growth]
equation = "x -> 2 x"
rate = "r * x * well"
mechanism = "growth"

[reactions.crowding]
equation = "2 x -> x"
rate = "r / cap * x * x * well"
mechanism = "growth"
"""


def _run(spec, params):
    weight = 70.0 if "body_weight" in spec.parameter_names else None
    return simulation.prepare(spec, None, 10.0, weight, params)


def _pieces(spec, run):
    env = spec.environment(run.values)
    y_init = np.array([evaluate(s.initial, env) for s in spec.species])
    free, conserved, _ = steady_state.structure(spec, env, run.p)
    nominal = simulation.nominal_state(spec, run.kernel, run.p, run.rtol, run.atol)
    return y_init, free, conserved, nominal


def _scaled_difference(a, b, atol):
    return float(np.max(np.abs(a - b) / (np.abs(b) + atol)))


def _benchmark_points(spec, n, seed):
    """The sweep benchmark's hypercube: three parameters log-uniform from half to twice their defaults."""
    names = [n for n in ("fcrn_total", "cl_uptake", "aab_production") if n in spec.parameter_names]
    u = qmc.LatinHypercube(d=len(names), seed=seed).random(n)
    for row in u:
        yield {name: spec.parameters[spec.parameter_index(name)].value * 2.0 ** (2 * v - 1)
               for name, v in zip(names, row)}


def _full_bounds_points(spec, n, seed):
    params = [p for p in spec.parameters if p.name != "body_weight" and p.bounds[0] < p.bounds[1]]
    lo = np.array([p.bounds[0] for p in params])
    hi = np.array([p.bounds[1] for p in params])
    for row in qmc.LatinHypercube(d=len(params), seed=seed).random(n):
        yield {p.name: float(v) for p, v in zip(params, lo + row * (hi - lo))}


@pytest.mark.parametrize("model", ["fcrn_pk", "ivig_autoimmune"])
def test_warm_steady_states_equal_the_integrated_ones_over_the_benchmark_hypercube(model):
    """Every point is found warm (no fallback), and equals the integration to 1e-12 of each species.

    Measured: at most 2.9e-12 (fcrn_pk) and 9.8e-15 (ivig_autoimmune) over these 12 points (1.0e-13 for
    fcrn_pk before the FcRn recalibration on human IgG1's K_D and fast recycling).
    """
    spec = iv.load_model(model)
    worst = 0.0
    for params in _benchmark_points(spec, 12, seed=4):
        run = _run(spec, params)
        y_init, free, conserved, nominal = _pieces(spec, run)
        warm = steady_state.warm_start(run.kernel, nominal, y_init, run.p, run.atol, free, conserved)
        assert warm is not None, params
        cold = simulation.cold_initial_state(spec, run.kernel, run.values, run.p, run.rtol, run.atol)
        worst = max(worst, _scaled_difference(warm, cold, run.atol))
        # what a run starts from is the warm state
        np.testing.assert_array_equal(simulation.initial_state(spec, run.kernel, run.values, run.p, run.rtol,
                                                               run.atol), warm)
    assert worst < 1e-11


def test_warm_steady_states_across_the_declared_bounds_equal_the_integrated_ones():
    """Far from the defaults: every point is kept warm, and equals the integration to 1e-10 of each species.

    Newton from the nominal state keeps 2 of these 16 points. At the other 14
    (``k_deg`` and ``k_off`` drawn 10^4-10^5 times their defaults) it converges
    to a root with negative haematopoietic FcRn (e.g. fcrn_h -1.4 uM where the
    integration gives +164 uM), which the warm start refuses; the parameters
    are then continued from the nominal vector to the point's
    (:mod:`ivigsim.core.solvers.newton_continuation`), 7-9 Newton solves, and
    the point's own solve from the last stage's root passes every check.
    Measured: at most 8.5e-11 from the integration over these 16 points (8.3e-13
    before the cell-surface FcRn pool, whose cycling up to 10,000 /day stiffens the
    integration); the warm state keeps the file's totals to round-off (3e-16).
    """
    spec = iv.load_model("fcrn_pk")
    worst, kept, continued = 0.0, 0, 0
    for params in _full_bounds_points(spec, 16, seed=20261206):
        run = _run(spec, params)
        y_init, free, conserved, nominal = _pieces(spec, run)
        direct = steady_state.warm_start(run.kernel, nominal, y_init, run.p, run.atol, free, conserved)
        warm = steady_state.warm_start(run.kernel, nominal, y_init, run.p, run.atol, free, conserved,
                                       simulation.nominal_parameters(spec, run.p))
        if warm is None:
            continue
        kept += 1
        if direct is None:
            continued += 1
        else:
            np.testing.assert_array_equal(warm, direct)     # a point kept directly is not continued
        assert np.all(warm[free] >= 0.0)
        totals = conserved @ y_init[free]
        assert np.max(np.abs(conserved @ warm[free] - totals)) < 1e-14 * np.max(np.abs(totals))
        cold = simulation.cold_initial_state(spec, run.kernel, run.values, run.p, run.rtol, run.atol)
        worst = max(worst, _scaled_difference(warm, cold, run.atol))
        # what a run starts from is the warm state
        np.testing.assert_array_equal(simulation.initial_state(spec, run.kernel, run.values, run.p, run.rtol,
                                                               run.atol), warm)
    assert kept == 16 and continued == 14
    assert worst < 1e-10


def test_a_bound_corner_the_warm_start_refuses_is_integrated():
    """At corners of the bounds Newton diverges, reaches a root with a negative species or leaves round-off
    dust in a species: the run integrates."""
    spec = iv.load_model("fcrn_pk")
    names = [p.name for p in spec.parameters if p.name != "body_weight" and p.bounds[0] < p.bounds[1]]
    rng = np.random.default_rng(5)
    refused = integrated = 0
    for _ in range(12):
        bits = rng.integers(0, 2, len(names))
        params = {n: spec.parameters[spec.parameter_index(n)].bounds[b] for n, b in zip(names, bits)}
        run = _run(spec, params)
        y_init, free, conserved, nominal = _pieces(spec, run)
        y = np.empty(y_init.size)
        info = np.zeros(newton.N_WARM_INFO)
        code = entry(newton.warm_steady_state)(
            run.kernel.typed.rhs, run.kernel.typed.jac_nonzeros, nominal, y_init, run.p, run.atol,
            np.flatnonzero(free).astype(np.int64), conserved, steady_state.WARM_NEWTON_ITERATIONS,
            steady_state.STEP_TOLERANCE, steady_state.ROUND_OFF_STEP, steady_state.STABILITY_TOLERANCE, y, info)
        if code == newton.WARM_OK:
            continue
        refused += 1
        assert code in (newton.WARM_NOT_CONVERGED, newton.WARM_NEGATIVE)
        if code == newton.WARM_NEGATIVE:
            assert np.min(y[free] + run.atol[free]) < 0
        else:                       # not converged, or converged with round-off dust in a species
            dust = (y[free] != 0) & (np.abs(y[free]) < newton.DUST * run.atol[free])
            assert not info[newton.WARM_STEP] < steady_state.STEP_TOLERANCE or dust.any()
        assert steady_state.warm_start(run.kernel, nominal, y_init, run.p, run.atol, free, conserved) is None
        continued = steady_state.warm_start(run.kernel, nominal, y_init, run.p, run.atol, free, conserved,
                                            simulation.nominal_parameters(spec, run.p))
        start = simulation.initial_state(spec, run.kernel, run.values, run.p, run.rtol, run.atol)
        cold = simulation.cold_initial_state(spec, run.kernel, run.values, run.p, run.rtol, run.atol)
        if continued is None:
            np.testing.assert_array_equal(start, cold)         # the fallback is the integration itself
            integrated += 1
        else:
            # kept by continuing the parameters from the nominal ones: the integration's state
            np.testing.assert_array_equal(start, continued)
            assert _scaled_difference(continued, cold, run.atol) < 1e-10
        # non-negative up to round-off: at the k_recycle = 5000 /day corner one species ends at -1.7e-20
        assert np.all(start >= -1e-18 * np.abs(start).max())
        result = iv.simulate(spec, t_end=30.0, body_weight_kg=70.0, params=params)
        np.testing.assert_array_equal(result.states[0], start)
    assert refused >= 1
    print(f"refused directly {refused}, integrated {integrated}")


@pytest.fixture
def logistic(tmp_path):
    path = tmp_path / "logistic.toml"
    path.write_text(LOGISTIC)
    return iv.load_model(path)


@pytest.mark.jit_off
def test_an_unstable_steady_state_is_refused(logistic):
    """From x = 0 Newton stays at the unstable state; the stability check refuses it."""
    run = _run(logistic, None)
    y_init, free, conserved, nominal = _pieces(logistic, run)
    assert nominal[0] == pytest.approx(1000.0, rel=1e-10)
    stable = steady_state.warm_start(run.kernel, nominal, y_init, run.p, run.atol, free, conserved)
    assert stable[0] == pytest.approx(1000.0, rel=1e-12)
    y = np.empty(1)
    info = np.zeros(newton.N_WARM_INFO)
    code = entry(newton.warm_steady_state)(
        run.kernel.typed.rhs, run.kernel.typed.jac_nonzeros, np.zeros(1), y_init, run.p, run.atol,
        np.flatnonzero(free).astype(np.int64), conserved, 15, 1e-8, 1e-13, 1e-10, y, info)
    assert code == newton.WARM_UNSTABLE and y[0] == 0.0
    assert info[newton.WARM_GROWTH] == pytest.approx(1.0)     # the eigenvalue +r over its radius r


@pytest.mark.jit_off
def test_a_refused_warm_start_falls_back_to_the_integration(logistic, monkeypatch):
    run = _run(logistic, {"r": 0.7})
    monkeypatch.setattr(simulation, "nominal_state", lambda *args: np.zeros(1))   # the unstable state
    simulation._STEADY_STATES.clear()
    try:
        start = simulation.initial_state(logistic, run.kernel, run.values, run.p, run.rtol, run.atol)
    finally:
        simulation._STEADY_STATES.clear()
    cold = simulation.cold_initial_state(logistic, run.kernel, run.values, run.p, run.rtol, run.atol)
    np.testing.assert_array_equal(start, cold)
    assert start[0] == pytest.approx(1000.0, rel=1e-10)


@pytest.mark.jit_off
@pytest.mark.parametrize("seed", range(4))
def test_the_compiled_growth_rate_equals_numpy(seed):
    """LAPACK's eigenvalues through Numba: real and complex spectra, stable and unstable."""
    from numba import njit

    rng = np.random.default_rng(seed)
    a = rng.normal(size=(9, 9)) - (5.0 if seed % 2 else 0.0) * np.eye(9)
    w = np.linalg.eigvals(a)
    expected = np.max(w.real) / np.max(np.abs(w))
    assert np.any(w.imag != 0)
    compiled = njit(lambda m: newton.largest_growth_rate(m))
    assert compiled(a) == pytest.approx(expected, rel=1e-12, abs=1e-14)
    assert newton.largest_growth_rate(a) == pytest.approx(expected, rel=1e-12, abs=1e-14)
    assert (expected > 0) == (seed % 2 == 0)


def test_a_sweep_across_the_declared_bounds_starts_where_simulate_does(tmp_path):
    """The compiled chunk continues the parameters as ``simulate`` does: each point's start, bit for bit.

    7 of these 8 points (every parameter of ``fcrn_pk`` drawn across its declared
    bounds) are refused by Newton from the nominal state and kept by the continuation;
    each start equals the integrated steady state to 1e-9 of each species (both end
    in Newton's method within its step tolerance; measured 3.5e-10 at most, 1.5e-11
    before the cell-surface FcRn pool added a stiff, weakly damped direction).
    """
    from ivigsim.sweep import ensemble
    from ivigsim.sweep.experiment import load_experiment
    from ivigsim.sweep.samplers import sample_points
    from sweep_helpers import metrics, write_sweep

    spec = iv.load_model("fcrn_pk")
    # uniform on the linear scale, as _full_bounds_points: most draws lie decades above the defaults
    variables = {p.name: {"low": p.bounds[0], "high": p.bounds[1], "scale": "linear"}
                 for p in spec.parameters if p.name != "body_weight" and p.bounds[0] < p.bounds[1]}
    path = write_sweep(tmp_path / "far.toml", name="far", model="fcrn_pk", seed=11, t_end_days=28.0, n=8,
                       variables=variables, metrics=metrics("peak"),
                       regimens={"standard": {"kind": "ivig", "dose_g_per_kg": 0.4, "days": 5, "infusion_hours": 8}})
    experiment = load_experiment(path)
    points = sample_points(experiment)
    chunk = ensemble.run_chunk(experiment, points, 0, 0, len(points))
    assert (chunk.status == ensemble.OK).all()
    n_obs = len(spec.observable_names)
    refused = 0
    for k in range(len(points)):
        regimen, params, weight = ensemble.point_setup(experiment, spec, points, k)
        single = iv.simulate(spec, regimen=regimen, t_end=experiment.t_end_days, body_weight_kg=weight,
                             params=params, t_eval=experiment.output_times(), rtol=experiment.rtol)
        np.testing.assert_array_equal(chunk.outputs[k, :, n_obs:], single.states)
        run = _run(spec, params)
        y_init, free, conserved, nominal = _pieces(spec, run)
        if steady_state.warm_start(run.kernel, nominal, y_init, run.p, run.atol, free, conserved) is None:
            refused += 1
        cold = simulation.cold_initial_state(spec, run.kernel, run.values, run.p, run.rtol, run.atol)
        assert _scaled_difference(single.states[0], cold, run.atol) < 1e-9
    assert refused >= len(points) // 2, refused
