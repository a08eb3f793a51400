"""Experiment files: the shipped ones load; a malformed one is refused naming the file and key."""

import math
import shutil
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pytest

from conftest import DATA, ROOT
from ivigsim.errors import ModelFileError
from ivigsim.sweep.experiment import (METRIC_KINDS, Experiment, ExperimentFileError, RegimenSpec,
                                load_experiment)
from ivigsim.core.regimen import Regimen, RegimenError

EXPERIMENT_FILES = sorted((ROOT / "experiments").glob("*.toml"))

GRID = '''
[experiment]
name = "test_grid"
model = "fcrn_pk"
seed = 7
t_end_days = 60.0
output_step_days = 0.5

[parameters]
aab_production = 0.05

[regimens.standard]
kind = "ivig"
dose_g_per_kg = 0.4
days = 5
infusion_hours = 8
every_days = 28
cycles = 1

[sweep]
method = "grid"

[sweep.variables.dose_g_per_kg]
low = 0.1
high = 0.6
count = 4
scale = "log"

[sweep.variables.cl_uptake]
values = [0.005, 0.01]

[metrics.nadir]
kind = "percent_change_min"
output = "autoantibody"

[metrics.cost]
kind = "cost_usd"
price_usd_per_g = 151.0

[plots.response]
kind = "dose_response"
x = "dose_g_per_kg"
metric = "nadir"
'''

POPULATION = '''
[experiment]
name = "test_population"
model = "fcrn_pk"
seed = 11
t_end_days = 30.0

[regimens.standard]
kind = "ivig"

[sweep]
method = "virtual_population"
n = 100

[sweep.variability.cl_uptake]
cv = 0.3

[sweep.variability.fcrn_total]
cv = 0.25

[[sweep.correlations]]
a = "cl_uptake"
b = "fcrn_total"
r = 0.4

[sweep.body_weight]
mean = 70.0
sd = 15.0
low = 40.0
high = 140.0

[metrics.nadir]
kind = "percent_change_min"
output = "autoantibody"

[plots.fan]
kind = "fan"
output = "autoantibody"
'''


def write(tmp_path, text, name="experiment.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def load_variant(tmp_path, base, old, new):
    assert old in base, old
    return load_experiment(write(tmp_path, base.replace(old, new, 1)), METRIC_KINDS)


# ---------------------------------------------------------------------------
# Files that load
# ---------------------------------------------------------------------------


def test_there_are_example_experiments():
    names = {path.stem for path in EXPERIMENT_FILES}
    assert {"fcrn_dose_response", "regimen_comparison", "infusion_rate",
            "virtual_population", "sensitivity_lhs"} <= names


@pytest.mark.parametrize("path", EXPERIMENT_FILES, ids=lambda p: p.stem)
def test_every_shipped_experiment_loads(path):
    experiment = load_experiment(path, METRIC_KINDS)
    assert experiment.name == path.stem
    assert experiment.regimens and experiment.metrics
    times = experiment.output_times()
    assert times[0] == 0.0 and times[-1] == experiment.t_end_days
    for spec in experiment.regimens:
        assert isinstance(spec.build(), Regimen)


def test_dose_response_spans_course_totals_of_0_1_to_3_g_per_kg():
    experiment = load_experiment(ROOT / "experiments" / "fcrn_dose_response.toml", METRIC_KINDS)
    (variable,) = experiment.sweep.variables
    (regimen,) = experiment.regimens
    per_day = variable.grid_values()
    assert len(per_day) == 12
    totals = [regimen.build({"dose_g_per_kg": d}).total_g_per_kg() for d in per_day]
    assert totals[0] == pytest.approx(0.1) and totals[-1] == pytest.approx(3.0)
    assert np.allclose(np.diff(np.log(per_day)), math.log(30.0) / 11)


def test_valid_file_parses_into_frozen_values(tmp_path):
    path = write(tmp_path, GRID)
    experiment = load_experiment(path, METRIC_KINDS)
    assert experiment.path == str(path)
    assert experiment.model == "fcrn_pk"
    assert experiment.seed == 7 and experiment.replicates == 1 and experiment.rtol == 1e-6
    assert experiment.body_weight_kg == 70.0
    assert experiment.parameters == {"aab_production": 0.05}
    assert isinstance(experiment.parameters, MappingProxyType)
    dose, cl = experiment.sweep.variables
    assert (dose.target, dose.scale, dose.count) == ("regimen", "log", 4)
    assert (cl.target, cl.values) == ("parameter", (0.005, 0.01))
    assert np.allclose(dose.grid_values(), np.geomspace(0.1, 0.6, 4))
    assert experiment.n_points == 8
    assert experiment.metrics[1].output is None and experiment.metrics[1].price_usd_per_g == 151.0
    assert len(experiment.output_times()) == 121
    assert len(experiment.file_hash) == 64
    with pytest.raises(AttributeError):
        experiment.seed = 8
    with pytest.raises(TypeError):
        experiment.parameters["k_deg"] = 1.0


def test_same_bytes_same_hash_and_an_edit_changes_it(tmp_path):
    first = load_experiment(write(tmp_path, GRID, "a.toml"))
    second = load_experiment(write(tmp_path, GRID, "b.toml"))
    edited = load_experiment(write(tmp_path, GRID.replace("seed = 7", "seed = 8"), "c.toml"))
    assert first.file_hash == second.file_hash != edited.file_hash


def test_output_times_end_exactly_at_t_end_off_the_step_grid(tmp_path):
    text = GRID.replace("t_end_days = 60.0\noutput_step_days = 0.5",
                        "t_end_days = 10.0\noutput_step_days = 3.0")
    experiment = load_experiment(write(tmp_path, text))
    assert experiment.output_times().tolist() == [0.0, 3.0, 6.0, 9.0, 10.0]


def test_relative_model_path_resolves_against_the_experiment_folder(tmp_path, monkeypatch):
    (tmp_path / "models").mkdir()
    shutil.copy(DATA / "one_compartment.toml", tmp_path / "models" / "one.toml")
    text = '''
[experiment]
name = "relative"
model = "models/one.toml"
seed = 0
t_end_days = 5.0
mechanisms = { elimination = false }

[regimens.dose]
kind = "bolus"
dose_g_per_kg = 0.001

[metrics.peak]
kind = "max"
output = "concentration"
'''
    path = write(tmp_path, text)
    monkeypatch.chdir(ROOT)            # somewhere else than the experiment's folder
    experiment = load_experiment(path, METRIC_KINDS)
    assert Path(experiment.model) == (tmp_path / "models" / "one.toml").resolve()
    assert experiment.load_model().name == "one_compartment"
    assert experiment.mechanisms == {"elimination": False}
    assert experiment.sweep.method == "none"


def test_metric_kinds_are_free_text_unless_a_set_is_given(tmp_path):
    path = write(tmp_path, GRID.replace('kind = "percent_change_min"', 'kind = "my_metric"'))
    assert load_experiment(path).metrics[0].kind == "my_metric"
    assert load_experiment(path, {"my_metric", "cost_usd"}).metrics[0].kind == "my_metric"
    with pytest.raises(ExperimentFileError, match=r"\[metrics\.nadir\.kind\]"):
        load_experiment(path, METRIC_KINDS)


# ---------------------------------------------------------------------------
# Regimen specifications
# ---------------------------------------------------------------------------


def test_regimen_spec_builds_with_the_overrides_it_accepts():
    spec = RegimenSpec("course", "ivig", {"dose_g_per_kg": 0.4, "days": 5})
    assert spec.accepts("infusion_hours") and not spec.accepts("cl_uptake")
    regimen = spec.build({"dose_g_per_kg": 1.0, "days": 2.0, "cl_uptake": 0.01})
    assert regimen.name == "course"
    assert regimen.total_g_per_kg() == pytest.approx(2.0)
    assert len(regimen.administrations) == 2
    assert spec.arguments["dose_g_per_kg"] == 0.4          # the specification is unchanged
    assert RegimenSpec("nothing", "none").build({"dose_g_per_kg": 1.0}).administrations == ()


def test_regimen_spec_refuses_missing_and_invalid_arguments():
    with pytest.raises(RegimenError, match="needs 'dose_g_per_kg'"):
        RegimenSpec("b", "bolus").build()
    with pytest.raises(RegimenError, match="every_days"):
        RegimenSpec("c", "ivig", {"every_days": 2}).build()


# ---------------------------------------------------------------------------
# Malformed files
# ---------------------------------------------------------------------------

# (base file, what to replace, with what, the key the message must name, words it must contain)
CASES = [
    (GRID, "seed = 7\n", "", "experiment.seed", "this field is required"),
    (GRID, "seed = 7", "seed = -3", "experiment.seed", "whole number >= 0"),
    (GRID, "seed = 7", "seed = 7.5", "experiment.seed", "whole number"),
    (GRID, "seed = 7", "sed = 7", "experiment.sed", "did you mean 'seed'?"),
    (GRID, 'name = "test_grid"', 'name = "test grid"', "experiment.name", "not a valid name"),
    (GRID, "t_end_days = 60.0", "t_end_days = 0.0", "experiment.t_end_days", "> 0"),
    (GRID, "t_end_days = 60.0", "t_end_days = nan", "experiment.t_end_days", "finite"),
    (GRID, "output_step_days = 0.5", "output_step_days = 90.0",
     "experiment.output_step_days", "longer than t_end_days"),
    (GRID, "seed = 7", "seed = 7\nrtol = 1.5", "experiment.rtol", "(0, 1)"),
    (GRID, "seed = 7", "seed = 7\nbody_weight_kg = 900", "experiment.body_weight_kg", "<= 500"),
    (GRID, "seed = 7", "seed = 7\nreplicates = 0", "experiment.replicates", ">= 1"),
    (GRID, "seed = 7", "seed = 7\nmechanisms = { fcrn_recycle = false }",
     "experiment.mechanisms.fcrn_recycle", "did you mean 'fcrn_recycling'?"),
    (GRID, "seed = 7", "seed = 7\nmechanisms = { fcrn_recycling = 0 }",
     "experiment.mechanisms.fcrn_recycling", "true or false"),
    (GRID, 'model = "fcrn_pk"', 'model = "fcrn_pkk"', "experiment.model",
     "no model named 'fcrn_pkk'"),
    (GRID, 'model = "fcrn_pk"', 'model = "missing/model.toml"', "experiment.model",
     "file not found"),
    (GRID, "[parameters]", "[parameter]", "parameter", "did you mean 'parameters'?"),
    (GRID, "aab_production = 0.05", "aab_prod = 0.05", "parameters.aab_prod",
     "did you mean 'aab_production'?"),
    (GRID, "aab_production = 0.05", "aab_production = 99.0", "parameters.aab_production",
     "above the upper bound 50"),
    (GRID, "aab_production = 0.05", 'aab_production = "high"', "parameters.aab_production",
     "expected a number"),
    (GRID, "aab_production = 0.05", "body_weight = 80.0", "parameters.body_weight",
     "body_weight_kg"),
    (GRID, 'kind = "ivig"', 'kind = "ivg"', "regimens.standard.kind", "did you mean 'ivig'?"),
    (GRID, "dose_g_per_kg = 0.4", "dose = 0.4", "regimens.standard.dose",
     "accepted keywords: dose_g_per_kg, days, infusion_hours"),
    (GRID, "dose_g_per_kg = 0.4", "dose_g_per_kg = [0.4]", "regimens.standard.dose_g_per_kg",
     "expected a number"),
    (GRID, "every_days = 28", "every_days = 3", "regimens.standard",
     "every_days must be at least the 5 infusion days"),
    (GRID, "infusion_hours = 8", "infusion_hours = 30", "regimens.standard",
     "infusion_hours must be > 0 and <= 24"),
    (GRID, 'method = "grid"', 'method = "gird"', "sweep.method", "did you mean 'grid'?"),
    (GRID, "low = 0.1\nhigh = 0.6", "low = -1\nhigh = 0.6", "sweep.variables.dose_g_per_kg.low",
     "expected a positive number for a log scale, got -1"),
    (GRID, "low = 0.1\nhigh = 0.6", "low = 0.7\nhigh = 0.6", "sweep.variables.dose_g_per_kg.high",
     "above low"),
    (GRID, "count = 4\n", "", "sweep.variables.dose_g_per_kg.count", "low, high and count"),
    (GRID, "count = 4", "count = 4\nvalues = [1.0]", "sweep.variables.dose_g_per_kg.low",
     "not both"),
    (GRID, 'scale = "log"', 'scale = "logarithmic"', "sweep.variables.dose_g_per_kg.scale",
     "linear, log"),
    (GRID, "high = 0.6", "high = 30.0", "sweep.variables.dose_g_per_kg",
     "regimen 'standard' with dose_g_per_kg = 30: administration 1 (day 0.0): infusion rate"),
    (GRID, "[sweep.variables.cl_uptake]", "[sweep.variables.cl_uptak]",
     "sweep.variables.cl_uptak", "did you mean 'cl_uptake'?"),
    (GRID, "values = [0.005, 0.01]", "values = [0.005, 0.5]", "sweep.variables.cl_uptake.values",
     "above the upper bound 0.05 of parameter 'cl_uptake'"),
    (GRID, "values = [0.005, 0.01]", "values = [0.005, 0.005]", "sweep.variables.cl_uptake.values",
     "repeat"),
    (GRID, "values = [0.005, 0.01]", "values = []", "sweep.variables.cl_uptake.values",
     "non-empty list"),
    (GRID, "[sweep.variables.cl_uptake]", "[sweep.variables.aab_production]",
     "sweep.variables.aab_production", "both fixed in [parameters] and swept"),
    (GRID, "[sweep.variables.cl_uptake]\nvalues = [0.005, 0.01]",
     "[sweep.variables.days]\nvalues = [1, 2.5]", "sweep.variables.days.values",
     "whole number"),
    (GRID, 'method = "grid"', 'method = "grid"\nn = 10', "sweep.n", "takes no n"),
    (GRID, 'method = "grid"', 'method = "latin_hypercube"\nn = 100',
     "sweep.variables.dose_g_per_kg.count", "for a latin_hypercube sweep"),
    (GRID, 'method = "grid"', 'method = "latin_hypercube"', "sweep.n",
     "needs the number of points"),
    (GRID, 'method = "grid"', 'method = "grid"\n[sweep.variability.k_deg]\ncv = 0.2',
     "sweep.variability", "only a virtual_population"),
    (GRID, 'kind = "percent_change_min"', 'kind = "percent_change_minimum"', "metrics.nadir.kind",
     "did you mean 'percent_change_min'?"),
    (GRID, 'output = "autoantibody"', 'output = "autoantibodies"', "metrics.nadir.output",
     "did you mean 'autoantibody'?"),
    (GRID, 'output = "autoantibody"\n', "", "metrics.nadir.output", "needs an output"),
    (GRID, "price_usd_per_g = 151.0", "price_usd_per_gram = 151.0",
     "metrics.cost.price_usd_per_gram", "did you mean 'price_usd_per_g'?"),
    (GRID, "price_usd_per_g = 151.0", 'output = "igg_total"', "metrics.cost.output",
     "comes from the regimen"),
    (GRID, 'output = "autoantibody"', 'output = "autoantibody"\nwindow_days = [10, 5]',
     "metrics.nadir.window_days", "first < last"),
    (GRID, 'output = "autoantibody"', 'output = "autoantibody"\nbaseline = "end"',
     "metrics.nadir.baseline", "start, untreated"),
    (GRID, 'metric = "nadir"', 'metric = "nadri"', "plots.response.metric",
     "did you mean 'nadir'?"),
    (GRID, 'x = "dose_g_per_kg"', 'x = "k_deg"', "plots.response.x", "not varied by the sweep"),
    (GRID, 'kind = "dose_response"', 'kind = "scatter"', "plots.response.kind",
     "dose_response, heatmap, fan, bars, tornado"),
    (GRID, 'kind = "dose_response"', 'kind = "dose_response"\ny = "cl_uptake"', "plots.response.y",
     "for a dose_response plot"),
    (GRID, "[metrics.nadir]", "[metric.nadir]", "metric", "did you mean 'metrics'?"),
    (GRID, "[experiment]", "[experiments]", "experiments", "did you mean 'experiment'?"),
    (POPULATION, "n = 100", "n = 0", "sweep.n", ">= 1"),
    (POPULATION, "cv = 0.3", "cv = 0.0", "sweep.variability.cl_uptake.cv", "> 0"),
    (POPULATION, "[sweep.variability.cl_uptake]", "[sweep.variability.cl_uptak]",
     "sweep.variability.cl_uptak", "did you mean 'cl_uptake'?"),
    (POPULATION, "r = 0.4", "r = 1.0", "sweep.correlations[1].r", "strictly between -1 and 1"),
    (POPULATION, 'b = "fcrn_total"', 'b = "k_deg"', "sweep.correlations[1].b",
     "has no [sweep.variability.k_deg]"),
    (POPULATION, 'b = "fcrn_total"', 'b = "cl_uptake"', "sweep.correlations[1].b",
     "two different parameters"),
    (POPULATION, "r = 0.4", "r = 0.95\n[[sweep.correlations]]\na = \"cl_uptake\"\n"
     "b = \"k_deg\"\nr = 0.95\n[[sweep.correlations]]\na = \"fcrn_total\"\nb = \"k_deg\"\n"
     "r = -0.95\n[sweep.variability.k_deg]\ncv = 0.2", "sweep.correlations",
     "not positive definite"),
    (POPULATION, "sd = 15.0", "sd = -15.0", "sweep.body_weight.sd", "> 0"),
    (POPULATION, "high = 140.0", "high = 400.0", "sweep.body_weight.high",
     "above the upper bound 300 of parameter 'body_weight'"),
    (POPULATION, "mean = 70.0", "mean = 20.0", "sweep.body_weight.mean", "within [low, high]"),
    (POPULATION, "n = 100", "n = 100\n[sweep.variables.k_deg]\nlow = 1.0\nhigh = 2.0",
     "sweep.variables", "takes no variables"),
    (POPULATION, "[plots.fan]\nkind = \"fan\"\noutput = \"autoantibody\"",
     "[plots.fan]\nkind = \"fan\"", "plots.fan.output", "this field is required"),
]


@pytest.mark.parametrize("base,old,new,key,words", CASES,
                         ids=[f"{i}-{case[3]}" for i, case in enumerate(CASES)])
def test_each_defect_names_file_and_key(tmp_path, base, old, new, key, words):
    with pytest.raises(ExperimentFileError) as info:
        load_variant(tmp_path, base, old, new)
    message = str(info.value)
    assert str(tmp_path / "experiment.toml") in message
    assert f"[{key}]" in message, message
    assert words in message, message
    assert info.value.key == key
    assert isinstance(info.value, ModelFileError)


def test_sobol_needs_a_power_of_two(tmp_path):
    text = GRID.replace('method = "grid"', 'method = "sobol"\nn = 100').replace(
        "count = 4\n", "").replace("values = [0.005, 0.01]", "low = 0.005\nhigh = 0.01")
    with pytest.raises(ExperimentFileError, match=r"\[sweep\.n\]: .*power of 2.*nearest: 128"):
        load_experiment(write(tmp_path, text))


def test_a_whole_number_keyword_cannot_be_sampled_continuously(tmp_path):
    text = GRID.replace('method = "grid"', 'method = "latin_hypercube"\nn = 8').replace(
        "count = 4\n", "").replace("[sweep.variables.cl_uptake]\nvalues = [0.005, 0.01]",
                                   "[sweep.variables.cycles]\nlow = 1\nhigh = 3")
    with pytest.raises(ExperimentFileError, match=r"\[sweep\.variables\.cycles\]: .*grid"):
        load_experiment(write(tmp_path, text))


def test_missing_required_regimen_keyword_names_the_regimen(tmp_path):
    text = GRID.replace('kind = "ivig"\ndose_g_per_kg = 0.4\ndays = 5\ninfusion_hours = 8\n'
                        'every_days = 28\ncycles = 1',
                        'kind = "infusion"\nat_day = 0.0')
    with pytest.raises(ExperimentFileError) as info:
        load_experiment(write(tmp_path, text))
    assert info.value.key == "regimens.standard"
    assert "needs 'hours'" in str(info.value)


def test_a_swept_keyword_supplies_a_required_argument(tmp_path):
    text = GRID.replace('kind = "ivig"\ndose_g_per_kg = 0.4\ndays = 5\ninfusion_hours = 8\n'
                        'every_days = 28\ncycles = 1', 'kind = "bolus"')
    experiment = load_experiment(write(tmp_path, text))
    assert experiment.regimens[0].build({"dose_g_per_kg": 0.2}).total_g_per_kg() == 0.2


def test_a_variable_no_regimen_takes_is_refused(tmp_path):
    text = GRID.replace("[sweep.variables.cl_uptake]", "[sweep.variables.doses]")
    with pytest.raises(ExperimentFileError) as info:
        load_experiment(write(tmp_path, text))
    assert info.value.key == "sweep.variables.doses"
    assert "regimen keywords: " in str(info.value) and "not a parameter of model" in str(info.value)


def test_model_that_does_not_load_is_reported_on_the_model_key(tmp_path):
    (tmp_path / "broken.toml").write_text("[model]\nname = 'x'\n")
    text = GRID.replace('model = "fcrn_pk"', 'model = "broken.toml"')
    with pytest.raises(ExperimentFileError) as info:
        load_experiment(write(tmp_path, text))
    message = str(info.value)
    assert info.value.key == "experiment.model"
    assert "the model does not load" in message and "broken.toml" in message


def test_not_toml_and_missing_file(tmp_path):
    path = write(tmp_path, "[experiment\nname = 1")
    with pytest.raises(ExperimentFileError, match="not valid TOML") as info:
        load_experiment(path)
    assert str(path) in str(info.value)
    with pytest.raises(ExperimentFileError, match="file not found"):
        load_experiment(tmp_path / "nowhere.toml")


def test_too_many_simulations_are_refused(tmp_path):
    text = GRID.replace("count = 4", "count = 2000").replace(
        "seed = 7", "seed = 7\nreplicates = 300")
    with pytest.raises(ExperimentFileError, match=r"\[sweep\]: 1200000 simulations"):
        load_experiment(write(tmp_path, text))


def test_experiment_is_a_plain_frozen_dataclass():
    assert Experiment.__dataclass_params__.frozen
