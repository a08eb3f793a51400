"""A chunk's schedules, volumes and clocks built for all its points at once, bit-identical to one run each.

The compiled chunk path prepares one problem per regimen shape and computes
the rest of each point (its dose rates, compartment volumes, initial values,
conservation rows, clocks) in NumPy over the points. Every number must be the
one ``simulate`` computes for that point alone.
"""

import dataclasses

import numpy as np
import pytest

import ivigsim as iv
from conftest import DATA
from ivigsim.core.catalogue import load_model
from ivigsim.core.regimen import Administration
from ivigsim.core.columns import environment_columns, evaluate_columns, is_arithmetic
from ivigsim.core.expressions import parse_expression
from ivigsim.core.schedule import build_schedule, build_schedules
from ivigsim.core.simulation import resolve_parameters
from ivigsim.errors import ParameterError
from ivigsim.sweep import ensemble, ensemble_compiled
from ivigsim.sweep.experiment import load_experiment
from ivigsim.sweep.run import run_experiment
from ivigsim.sweep.samplers import sample_points
from sweep_helpers import metrics, write_sweep

REGIMENS = {
    "ivig": lambda: iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8, every_days=28, cycles=3),
    "scig": lambda: iv.Regimen.scig(dose_g_per_kg=0.11, every_days=7, doses=6),
    "plex": lambda: iv.Regimen.plasma_exchange(plasma_volumes=1.0, sessions=5, every_days=2),
    "efgartigimod": lambda: iv.Regimen.fcrn_antagonist(drug="efgartigimod", dose_mg_per_kg=10, every_days=7,
                                                       doses=4),
    "combined": lambda: iv.Regimen.ivig(dose_g_per_kg=1.0, days=2, infusion_hours=6)
    + iv.Regimen.scig(dose_g_per_kg=0.1, every_days=7, doses=3, start_day=14.0),
}


@pytest.mark.parametrize("name", sorted(REGIMENS))
def test_a_batch_of_schedules_equals_each_points_own_schedule(name):
    """Body weights from 40 to 140 kg: rates, jumps, segments and controls equal ``build_schedule`` per point."""
    spec = load_model("fcrn_pk")
    regimen = REGIMENS[name]()
    weights = np.random.default_rng(5).uniform(40.0, 140.0, 17)
    values = np.stack([resolve_parameters(spec, regimen.model_parameters(), w) for w in weights])
    env, valid = environment_columns(spec, values)
    assert valid.all()
    doses = regimen.doses(70.0)
    amounts = np.array([[d.amount_g for d in regimen.doses(w)] for w in weights]).reshape(len(weights), -1)
    batch = build_schedules(spec, env, doses, amounts, 0.0, 150.0, regimen.sessions)
    for k, w in enumerate(weights):
        single = build_schedule(spec, spec.environment(values[k]), regimen.doses(w), 0.0, 150.0,
                                regimen.sessions)
        point = batch.point(k)
        for field in ("t_breaks", "inputs", "input_target", "jumps", "control_index", "control_values"):
            assert np.array_equal(getattr(point, field), getattr(single, field)), field


def test_columns_evaluate_arithmetic_as_python_does_and_flag_what_one_run_refuses():
    """+ - * / on columns round as Python floats do; a division by zero or a non-finite step is invalid."""
    node = parse_expression("(a - b) / (c * a + 0.1) - -a / 3")
    assert is_arithmetic(node) and not is_arithmetic(parse_expression("a ^ 2"))
    rng = np.random.default_rng(2)
    env = {"a": rng.uniform(-5, 5, 200), "b": rng.uniform(-5, 5, 200), "c": 0.7}
    values, valid = evaluate_columns(node, env, 200)
    expected = [(a - b) / (0.7 * a + 0.1) - -a / 3 for a, b in zip(env["a"].tolist(), env["b"].tolist())]
    assert valid.all() and values.tolist() == expected
    values, valid = evaluate_columns(parse_expression("1 / (a - 1)"), {"a": np.array([2.0, 1.0, 3.0])}, 3)
    assert valid.tolist() == [True, False, True] and values[0] == 1.0
    values, valid = evaluate_columns(parse_expression("exp(a)"), {"a": np.array([0.0, 1000.0])}, 2)
    assert valid.tolist() == [True, False] and values[0] == 1.0       # evaluated point by point


def test_a_batch_refuses_a_dose_conversion_it_cannot_compute_at_some_point():
    """A molar mass that is not a number at one point: the batch says so (that point then runs alone)."""
    spec = load_model("fcrn_pk")
    env, _ = environment_columns(spec, np.stack([spec.default_parameters()] * 2))
    env["mw_igg"] = np.array([150.0, np.nan])
    doses = iv.Regimen.ivig(dose_g_per_kg=0.4, days=1).doses(70.0)
    with pytest.raises(ParameterError, match="cannot be evaluated at every point"):
        build_schedules(spec, env, doses, np.array([[28.0], [28.0]]), 0.0, 10.0)


def _per_patient_sweep(path, n):
    """Two regimens, each point its own dose and body weight (fcrn_pk_qss, 60 days)."""
    return write_sweep(path, name="per_patient", model="fcrn_pk_qss", seed=7, t_end_days=60.0, output_step_days=0.5,
                       n=n, regimens={"five_day": {"kind": "ivig", "days": 5, "infusion_hours": 8},
                                      "weekly_scig": {"kind": "scig", "every_days": 7, "doses": 6}},
                       variables={"dose_g_per_kg": {"low": 0.1, "high": 0.6},
                                  "body_weight_kg": {"low": 40.0, "high": 140.0}},
                       metrics=metrics("nadir_vs_untreated_pct", "grams"))


@pytest.fixture(scope="module")
def per_patient(tmp_path_factory):
    path = _per_patient_sweep(tmp_path_factory.mktemp("per_patient") / "sweep.toml", 5)
    experiment = load_experiment(path)
    points = sample_points(experiment)
    return experiment, points, ensemble.run_chunk(experiment, points, 0, 0, len(points))


def test_points_with_their_own_dose_and_body_weight_equal_simulate(per_patient):
    """Each point: its own grams and volumes, one prepared problem per regimen shape; equal to simulate."""
    experiment, points, chunk = per_patient
    spec = load_model(experiment.model)
    assert chunk.engine == ensemble_compiled.COMPILED and (chunk.status == ensemble.OK).all()
    t_out = experiment.output_times()
    for k in range(len(points)):
        regimen, params, weight = ensemble.point_setup(experiment, spec, points, k)
        single = iv.simulate(spec, regimen=regimen, t_end=experiment.t_end_days, body_weight_kg=weight,
                             params=params, t_eval=t_out, rtol=experiment.rtol)
        np.testing.assert_array_equal(chunk.outputs[k, :, len(spec.observable_names):], single.states)
        np.testing.assert_array_equal(chunk.outputs[k, :, :len(spec.observable_names)], single.observables)
        assert chunk.steps[k] == single.stats["steps"]
    groups, _ = ensemble_compiled._groups(experiment, spec, points, np.arange(len(points)), t_out,
                                          lambda i: ensemble.point_setup(experiment, spec, points, i), False)
    assert len(groups) == 2 and len(np.unique(points.values["body_weight_kg"])) == len(points) // 2


def test_a_point_one_run_refuses_fails_alone_with_the_one_run_reason(per_patient, monkeypatch):
    """A body weight above the regimen's limit: that point fails with simulate's message, the others run."""
    experiment, points, chunk = per_patient
    weights = np.array(points.values["body_weight_kg"])
    weights[1] = 600.0
    values = dict(points.values)
    values["body_weight_kg"] = weights
    bad = dataclasses.replace(points, values=values)
    result = ensemble.run_chunk(experiment, bad, 0, 0, len(points))
    assert result.status.tolist() == [0, 1] + [0] * (len(points) - 2)
    spec = load_model(experiment.model)
    regimen, params, _ = ensemble.point_setup(experiment, spec, bad, 1)
    with pytest.raises(iv.IvigsimError) as single:
        iv.simulate(spec, regimen=regimen, t_end=experiment.t_end_days, body_weight_kg=600.0, params=params)
    assert result.reasons[1] == f"{type(single.value).__name__}: {single.value}"
    keep = [k for k in range(len(points)) if k != 1]
    np.testing.assert_array_equal(result.outputs[keep], chunk.outputs[keep])


def test_one_and_two_workers_give_the_same_bits(tmp_path):
    path = _per_patient_sweep(tmp_path / "sweep.toml", 6)
    one = run_experiment(path, out=tmp_path / "one", workers=1, chunk_size=4, progress=False)
    two = run_experiment(path, out=tmp_path / "two", workers=2, chunk_size=3, progress=False)
    a, b = one.metrics, two.metrics
    assert a.equals(b) and np.isfinite(a["nadir_vs_untreated_pct"]).all()
    np.testing.assert_array_equal(one.trajectories["igg_total"].values, two.trajectories["igg_total"].values)
    assert one.provenance["ensemble"] == ensemble_compiled.COMPILED


def test_clocks_are_exact_in_the_compiled_chunk_as_in_simulate(tmp_path):
    """A model whose rule reads ``time``: the chunk's clock is t bit for bit, and so are the rules reading it."""
    path = write_sweep(tmp_path / "clock.toml", name="clock_sweep", model=DATA / "language" / "rules_decay.toml",
                       seed=3, t_end_days=4.0, output_step_days=0.1, n=4, regimens={"untreated": {"kind": "none"}},
                       variables={"k0": {"low": 0.1, "high": 0.4}, "growth": {"low": 0.2, "high": 0.8}},
                       metrics={"k_gap": {"kind": "max", "output": "k_difference"}})
    experiment = load_experiment(path)
    points = sample_points(experiment)
    chunk = ensemble.run_chunk(experiment, points, 0, 0, len(points))
    assert chunk.engine == ensemble_compiled.COMPILED and (chunk.status == ensemble.OK).all()
    spec = load_model(experiment.model)
    t_out = experiment.output_times()
    clock = len(spec.observable_names) + spec.species_index("time")
    for k in range(len(points)):
        _, params, _ = ensemble.point_setup(experiment, spec, points, k)
        single = iv.simulate(spec, t_end=experiment.t_end_days, params=params, t_eval=t_out, rtol=experiment.rtol)
        assert np.array_equal(chunk.outputs[k, :, clock], t_out)
        np.testing.assert_array_equal(chunk.outputs[k, :, len(spec.observable_names):], single.states)
        np.testing.assert_array_equal(chunk.outputs[k, :, :len(spec.observable_names)], single.observables)


def test_the_dose_context_of_many_patients_equals_each_patients_own():
    """Grams, fastest rate, drug mg and largest daily grams, filled per regimen: equal to the one-patient facts."""
    from ivigsim.analysis import _metric_context as context
    from ivigsim.core import antagonists
    regimens = [REGIMENS[name]() for name in sorted(REGIMENS)]
    regimens.append(iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8, every_days=28, cycles=13))
    grams_infused = iv.Regimen([Administration(0.0, 30.0, False, 0.25, "iv"),
                                Administration(1.0, 0.5, True, 0.0, "iv")])
    regimens.append(grams_infused)                # its rate is checked per patient: the per-weight path
    rng = np.random.default_rng(8)
    points = [(regimens[k], w) for k, w in zip(rng.integers(0, len(regimens), 60), rng.uniform(40, 140, 60))]
    points.append((None, 70.0))
    got = context.dose_context([r for r, _ in points], [w for _, w in points])
    known = antagonists.catalogue()
    for i, (regimen, weight) in enumerate(points):
        if regimen is None or not regimen.administrations:
            assert got.grams_given[i] == 0.0 and got.max_infusion_rate_mg_per_kg_per_min[i] == 0.0
            continue
        grams, rate, drug_mg, daily = context._dose_facts(regimen, float(weight), known)
        assert (got.grams_given[i], got.max_infusion_rate_mg_per_kg_per_min[i], got.antagonist_mg[i],
                got.max_daily_g[i]) == (grams, rate, drug_mg, daily)
        assert rate == regimen.max_rate_mg_per_kg_per_min(weight)
        assert got.sessions[i] == len(regimen.sessions)
    few_regimens, few_weights = [grams_infused] * 3 + [regimens[0]] * 2, [60.0, 80.0, 60.0, 70.0, 90.0]
    few = context.dose_context(few_regimens, few_weights)
    for i, (regimen, weight) in enumerate(zip(few_regimens, few_weights)):
        assert (few.grams_given[i], few.max_infusion_rate_mg_per_kg_per_min[i]) == \
            context._dose_facts(regimen, weight, known)[:2]
    with pytest.raises(iv.RegimenError, match="body weight"):
        context.dose_context([regimens[0], regimens[0]], [70.0, 600.0])


def test_sessions_and_antagonists_per_patient_equal_the_per_point_path(tmp_path, monkeypatch):
    """Plasma exchange (per-segment controls), a drug's parameter set and a combination, each patient its own
    weight: one prepared problem per regimen, the same bits as one run per point."""
    plex = {"kind": "plasma_exchange", "plasma_volumes": 1.0, "sessions": 3, "every_days": 2.0}
    path = write_sweep(
        tmp_path / "therapies.toml", name="therapies_per_patient", model="fcrn_pk", seed=5, t_end_days=40.0, n=3,
        regimens={"plex": plex,
                  "efgartigimod": {"kind": "fcrn_antagonist", "drug": "efgartigimod", "dose_mg_per_kg": 10.0,
                                   "every_days": 7.0, "doses": 2},
                  "ivig_then_plex": {"kind": "combine", "parts": [
                      {"kind": "ivig", "dose_g_per_kg": 0.4, "days": 2, "infusion_hours": 8},
                      {**plex, "sessions": 2, "start_day": 5.0}]}},
        variables={"body_weight_kg": {"low": 45.0, "high": 130.0}},
        metrics=metrics("nadir_vs_untreated_pct", "grams"))
    experiment = load_experiment(path)
    points = sample_points(experiment)
    chunk = ensemble.run_chunk(experiment, points, 0, 0, len(points))
    assert chunk.engine == ensemble_compiled.COMPILED and (chunk.status == ensemble.OK).all()
    monkeypatch.setattr(ensemble, "compiled_engine", lambda experiment, spec: (False, "per point: test"))
    reference = ensemble.run_chunk(experiment, points, 0, 0, len(points))
    np.testing.assert_array_equal(chunk.outputs, reference.outputs)
    np.testing.assert_array_equal(chunk.metrics, reference.metrics)
    np.testing.assert_array_equal(chunk.steps, reference.steps)
