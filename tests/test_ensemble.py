"""The compiled per-chunk ensemble: the same numbers as one simulation, failures, fallbacks, full bounds."""

import numpy as np
import pytest

import ivigsim as iv
from conftest import ROOT
from ivigsim.core.catalogue import load_model
from ivigsim.core.solvers import ensemble as compiled
from ivigsim.errors import SolverError
from ivigsim.sweep import ensemble, ensemble_compiled
from ivigsim.sweep.experiment import load_experiment
from ivigsim.sweep.samplers import Points, sample_points
from sweep_helpers import metrics, write_sweep

def _experiment(tmp_path, model="fcrn_pk_qss", n=4, t_end=60.0, hours=8):
    spec = load_model(model)
    default = spec.default_parameters()[spec.parameter_index("fcrn_total")]
    path = write_sweep(
        tmp_path / f"{model}.toml", name="compiled_chunk", model=model, seed=3, t_end_days=t_end, rtol=1e-6, n=n,
        regimens={"five_day": {"kind": "ivig", "days": 5, "infusion_hours": hours, "every_days": 21, "cycles": 2},
                  "two_day": {"kind": "ivig", "days": 2, "infusion_hours": 8}},
        variables={"dose_g_per_kg": {"low": 0.2, "high": 1.0},
                   "fcrn_total": {"low": default / 2, "high": default * 2, "scale": "log"},
                   "body_weight_kg": {"low": 40.0, "high": 120.0}},
        metrics=metrics("nadir_pct", "nadir_vs_untreated_pct", "peak", "grams"))
    experiment = load_experiment(path)
    return experiment, sample_points(experiment)


def _per_point(monkeypatch):
    monkeypatch.setattr(ensemble, "compiled_engine", lambda experiment, spec: (False, "per point: test"))


def _groups(experiment, points):
    """The prepared groups of a chunk of every point of ``points``."""
    spec = load_model(experiment.model)
    groups, retry = ensemble_compiled._groups(
        experiment, spec, points, np.arange(len(points)), experiment.output_times(),
        lambda i: ensemble.point_setup(experiment, spec, points, i), needs_untreated=False)
    assert retry == []
    return groups


def _chunk(experiment, points, start=0, stop=None):
    return ensemble.run_chunk(experiment, points, 0, start, len(points) if stop is None else stop)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    experiment, points = _experiment(tmp_path_factory.mktemp("sweep"))
    return experiment, points, _chunk(experiment, points)


def test_compiled_chunk_equals_simulate_point_by_point(sweep):
    """Every point (its own regimen, dose, FcRn capacity and body weight) is bit-identical to ``simulate``."""
    experiment, points, chunk = sweep
    assert chunk.engine == ensemble_compiled.COMPILED
    assert (chunk.status == ensemble.OK).all()
    spec = load_model(experiment.model)
    names = ensemble.output_names(spec)
    t_out = experiment.output_times()
    weights = set()
    for k in range(len(points)):
        regimen, params, weight = ensemble.point_setup(experiment, spec, points, k)
        weights.add(weight)
        single = iv.simulate(experiment.model, regimen=regimen, t_end=experiment.t_end_days,
                             body_weight_kg=weight, params=params, t_eval=t_out, rtol=experiment.rtol)
        for name in ("autoantibody", "igg_total"):
            np.testing.assert_array_equal(chunk.outputs[k, :, names.index(name)], single[name])
        np.testing.assert_array_equal(chunk.outputs[k, :, len(spec.observable_names):], single.states)
        assert chunk.steps[k] == single.stats["steps"]
    assert len(weights) == len(points) // 2
    # each point its own dose and body weight, yet one prepared problem per regimen shape
    assert sorted(len(g.members) for g in _groups(experiment, points)) == [len(points) // 2] * 2


def test_compiled_chunk_equals_the_per_point_path(sweep, monkeypatch):
    """Outputs, metrics (the untreated baseline included), statuses and steps: identical."""
    experiment, points, chunk = sweep
    _per_point(monkeypatch)
    reference = _chunk(experiment, points)
    assert reference.engine == "per point: test"
    np.testing.assert_array_equal(chunk.outputs, reference.outputs)
    np.testing.assert_array_equal(chunk.metrics, reference.metrics)
    np.testing.assert_array_equal(chunk.status, reference.status)
    np.testing.assert_array_equal(chunk.steps, reference.steps)
    assert chunk.reasons == reference.reasons
    # the baselines differ from the start (the untreated twin is computed, not assumed)
    assert np.isfinite(chunk.metrics).all()


def test_points_sharing_a_group_differ_only_in_their_parameters(tmp_path, monkeypatch):
    """Only fcrn_total varies: the points of a regimen share one prepared problem; still identical."""
    experiment, points = _experiment(tmp_path, n=6)
    text = experiment.path and open(experiment.path).read()
    start = text.index("[sweep.variables.body_weight_kg]")
    path = tmp_path / "one_weight.toml"
    dose = text.index("[sweep.variables.dose_g_per_kg]")
    text = text[:dose] + text[text.index("[sweep.variables.fcrn_total]"):start] + \
        text[text.index("[metrics.nadir_pct]"):]
    path.write_text(text)
    experiment = load_experiment(path)
    points = sample_points(experiment)
    spec = load_model(experiment.model)
    first, inverse = ensemble_compiled._group_keys(experiment, spec, points, np.arange(len(points)))
    assert len(first) == 2                      # one group per regimen: fcrn_total is not in the key
    assert len(_groups(experiment, points)) == 2
    chunk = _chunk(experiment, points)
    _per_point(monkeypatch)
    reference = _chunk(experiment, points)
    np.testing.assert_array_equal(chunk.outputs, reference.outputs)
    np.testing.assert_array_equal(chunk.metrics, reference.metrics)


def test_a_refused_point_is_recorded_with_its_reason_and_the_others_survive(sweep, monkeypatch):
    """A point whose FcRn capacity lies outside its bounds fails with the one-run error; the rest run."""
    experiment, points, chunk = sweep
    spec = load_model(experiment.model)
    high = spec.parameters[spec.parameter_index("fcrn_total")].bounds[1]
    values = dict(points.values)
    values["fcrn_total"] = values["fcrn_total"].copy()
    values["fcrn_total"][[2, 5]] = 2 * high
    bad = Points(points.point_id, points.regimen, points.replicate, values)
    again = _chunk(experiment, bad)
    assert list(np.flatnonzero(again.status == ensemble.FAILED)) == [2, 5]
    for k in (2, 5):
        assert again.reasons[k].startswith("ParameterError: parameter 'fcrn_total'")
        assert "outside its plausible range" in again.reasons[k]
        assert np.isnan(again.metrics[k]).all() and np.isnan(again.outputs[k]).all()
    ok = again.status == ensemble.OK
    np.testing.assert_array_equal(again.outputs[ok], chunk.outputs[ok])
    np.testing.assert_array_equal(again.metrics[ok], chunk.metrics[ok])
    _per_point(monkeypatch)
    reference = _chunk(experiment, bad)
    assert again.reasons == reference.reasons


def test_a_point_the_compiled_call_cannot_finish_is_rerun_for_its_reason(sweep, monkeypatch):
    """A compiled failure code sends the point through the per-point path, which names the error."""
    experiment, points, chunk = sweep
    real_entry = ensemble_compiled.entry

    def failing_entry(dispatcher):
        run = real_entry(dispatcher)

        def wrapped(*args):
            run(*args)
            args[-1][1] = compiled.STEADY_NOT_FOUND      # status of chunk row 1
        return wrapped

    real_point = ensemble.run_point
    calls = []

    def flaky(experiment, spec, points, i, t_out, untreated=False):
        calls.append(i)
        if i == 1:
            raise SolverError("model 'x': no untreated steady state found", -1)
        return real_point(experiment, spec, points, i, t_out, untreated)

    monkeypatch.setattr(ensemble_compiled, "entry", failing_entry)
    monkeypatch.setattr(ensemble, "run_point", flaky)
    again = _chunk(experiment, points)
    assert calls == [1]                          # only the failed point goes through Python
    assert list(again.status) == [0, 1] + [0] * (len(points) - 2)
    assert again.reasons[1] == "SolverError: model 'x': no untreated steady state found"
    ok = again.status == ensemble.OK
    np.testing.assert_array_equal(again.metrics[ok], chunk.metrics[ok])
    assert np.isnan(again.metrics[1]).all()


def test_a_bug_in_the_compiled_path_is_not_a_failed_point(sweep, monkeypatch):
    experiment, points, _ = sweep

    def buggy(*args, **kwargs):
        raise ZeroDivisionError("a bug in the pipeline")

    monkeypatch.setattr(ensemble_compiled, "prepare", buggy)
    with pytest.raises(ZeroDivisionError, match="a bug in the pipeline"):
        _chunk(experiment, points)


def test_models_without_a_steady_start_run_compiled(tmp_path, monkeypatch):
    """ivig_antitumour starts from its file's initial values (no steady state): same numbers per point.

    Two swept parameters set initial values: ``tumour_initial`` is one,
    ``nk_baseline_total`` enters expressions; both are evaluated column-wise,
    and the points (each its own dose) share one prepared problem.
    """
    spec = load_model("ivig_antitumour")
    tumour, nk = (float(spec.default_parameters()[spec.parameter_index(name)])
                  for name in ("tumour_initial", "nk_baseline_total"))
    path = write_sweep(tmp_path / "antitumour.toml", name="antitumour_chunk", model="ivig_antitumour", seed=1,
                       t_end_days=20.0, n=3,
                       regimens={"ivig": {"kind": "ivig", "dose_g_per_kg": 1.0, "days": 1, "infusion_hours": 4}},
                       variables={"dose_g_per_kg": {"low": 0.5, "high": 2.0},
                                  "tumour_initial": {"low": 0.9 * tumour, "high": 1.1 * tumour},
                                  "nk_baseline_total": {"low": 0.9 * nk, "high": 1.1 * nk}},
                       metrics={"peak": {"kind": "max", "output": "tumour"}})
    experiment = load_experiment(path)
    points = sample_points(experiment)
    assert len(_groups(experiment, points)) == 1
    chunk = _chunk(experiment, points)
    assert chunk.engine == ensemble_compiled.COMPILED and (chunk.status == 0).all()
    _per_point(monkeypatch)
    reference = _chunk(experiment, points)
    np.testing.assert_array_equal(chunk.outputs, reference.outputs)


def test_state_triggered_regimens_fall_back_to_the_per_point_path_with_the_reason():
    experiment = load_experiment(ROOT / "experiments" / "pid_trough_guided.toml")
    ok, reason = ensemble_compiled.compiled_engine(experiment, load_model(experiment.model))
    assert not ok
    assert reason.startswith("per point:") and "trough_guided_6" in reason and "state trigger" in reason


def full_bounds_experiment(tmp_path, model, n, t_end=365.0):
    """A Latin hypercube over every parameter of ``model`` across its declared bounds (body weight aside)."""
    spec = load_model(model)
    variables = {}
    for par in spec.parameters:
        low, high = par.bounds
        if par.name == "body_weight" or not low < high:
            continue
        variables[par.name] = {"low": low, "high": high,
                               "scale": "log" if low > 0 and high / low >= 10 else "linear"}
    path = write_sweep(tmp_path / f"full_bounds_{model}.toml", name=f"full_bounds_{model}", model=model, seed=11,
                       t_end_days=t_end, n=n, variables=variables, metrics=metrics("peak"),
                       regimens={"standard": {"kind": "ivig", "dose_g_per_kg": 0.4, "days": 5, "infusion_hours": 8,
                                              "every_days": 28, "cycles": int(t_end // 28) + 1}})
    experiment = load_experiment(path)
    return experiment, sample_points(experiment)


def _no_failures(chunk):
    failed = {int(i): r for i, r, s in zip(chunk.point_ids, chunk.reasons, chunk.status) if s == ensemble.FAILED}
    assert not failed, failed


def test_full_bounds_hypercube_small_has_no_failed_point(tmp_path):
    experiment, points = full_bounds_experiment(tmp_path, "fcrn_pk", 8)
    chunk = _chunk(experiment, points)
    assert chunk.engine == ensemble_compiled.COMPILED
    _no_failures(chunk)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["fcrn_pk", "ivig_autoimmune"])
def test_full_bounds_hypercube_300_points_has_no_failed_point(tmp_path, model):
    experiment, points = full_bounds_experiment(tmp_path, model, 300)
    for start in range(0, 300, 50):
        _no_failures(_chunk(experiment, points, start, start + 50))


def test_provenance_names_the_ensemble_path(sweep, tmp_path):
    from ivigsim.sweep.run import run_experiment
    experiment, _, chunk = sweep
    res = run_experiment(experiment.path, out=tmp_path / "run", workers=2, progress=False, chunk_size=3)
    assert res.provenance["ensemble"] == ensemble_compiled.COMPILED
    np.testing.assert_array_equal(res.metrics["peak"].to_numpy(), chunk.metrics[:, 2])




@pytest.mark.jit_off
def test_the_chunk_driver_is_the_same_algorithm_without_the_jit(tmp_path, monkeypatch):
    """Small enough for plain Python: CI runs it with NUMBA_DISABLE_JIT=1 too."""
    spec = load_model("igg_linear")
    value = spec.default_parameters()[spec.parameter_index("cl_linear")]
    path = write_sweep(tmp_path / "linear.toml", name="linear_chunk", model="igg_linear", seed=5, t_end_days=20.0,
                       output_step_days=2.0, n=3,
                       regimens={"ivig": {"kind": "ivig", "dose_g_per_kg": 0.4, "days": 2, "infusion_hours": 8}},
                       variables={"cl_linear": {"low": float(value) / 2, "high": float(value) * 2},
                                  "body_weight_kg": {"low": 50.0, "high": 90.0}},
                       metrics=metrics("peak"))
    experiment = load_experiment(path)
    points = sample_points(experiment)
    chunk = _chunk(experiment, points)
    assert chunk.engine == ensemble_compiled.COMPILED and (chunk.status == ensemble.OK).all()
    _per_point(monkeypatch)
    reference = _chunk(experiment, points)
    np.testing.assert_array_equal(chunk.outputs, reference.outputs)
    np.testing.assert_array_equal(chunk.metrics, reference.metrics)
