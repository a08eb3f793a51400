"""Sampled points: order, stratification, distributions, reproducibility and bounds."""

import dataclasses
import itertools
import math

import numpy as np
import pytest
from scipy import stats

from ivigsim.core.catalogue import load_model
from ivigsim.errors import ParameterError
from ivigsim.sweep.experiment import Correlation, SweepVariable, load_experiment
from ivigsim.sweep.samplers import Points, sample_points

HEADER = '''
[experiment]
name = "sampling"
model = "fcrn_pk"
seed = {seed}
t_end_days = 30.0
replicates = {replicates}
'''

ONE_REGIMEN = '''
[regimens.standard]
kind = "ivig"
'''

TWO_REGIMENS = '''
[regimens.five_day]
kind = "ivig"
days = 5

[regimens.weekly_sc]
kind = "scig"
'''

METRIC = '''
[metrics.nadir]
kind = "percent_change_min"
output = "autoantibody"
'''


def experiment(tmp_path, sweep, regimens=ONE_REGIMEN, seed=1, replicates=1, extra="",
               name="experiment.toml"):
    text = HEADER.format(seed=seed, replicates=replicates) + extra + regimens + sweep + METRIC
    path = tmp_path / name
    path.write_text(text)
    return load_experiment(path)


@pytest.fixture(scope="module")
def model():
    return load_model("fcrn_pk")


def quasi_random(method, n, scale="linear"):
    return f'''
[sweep]
method = "{method}"
n = {n}
[sweep.variables.cl_uptake]
low = 0.004
high = 0.016
scale = "{scale}"
[sweep.variables.k_deg]
low = 1000.0
high = 5000.0
scale = "{scale}"
[sweep.variables.dose_g_per_kg]
low = 0.1
high = 0.6
scale = "{scale}"
'''


POPULATION = '''
[sweep]
method = "virtual_population"
n = {n}
[sweep.variability.cl_uptake]
cv = 0.3
[sweep.variability.fcrn_total]
cv = 0.25
[sweep.variability.aab_production]
cv = 0.5
[[sweep.correlations]]
a = "cl_uptake"
b = "fcrn_total"
r = 0.4
[sweep.body_weight]
mean = 70.0
sd = 15.0
low = 40.0
high = 140.0
'''


def unit_interval(points, variable):
    """Points of one sampled variable mapped back onto [0, 1] (log-uniformly if log)."""
    values = points.values[variable.name]
    if variable.scale == "log":
        return np.log(values / variable.low) / math.log(variable.high / variable.low)
    return (values - variable.low) / (variable.high - variable.low)


# ---------------------------------------------------------------------------
# Order and size
# ---------------------------------------------------------------------------


def test_grid_is_the_cartesian_product_regimens_outermost_replicates_innermost(tmp_path, model):
    sweep = '''
[sweep]
method = "grid"
[sweep.variables.dose_g_per_kg]
values = [0.1, 0.2, 0.4]
[sweep.variables.cl_uptake]
values = [0.005, 0.01]
'''
    exp = experiment(tmp_path, sweep, regimens=TWO_REGIMENS, replicates=2)
    points = sample_points(exp, model)
    assert len(points) == exp.n_points == 2 * 6 * 2
    assert points.point_id.tolist() == list(range(24))
    assert points.regimen.tolist() == [0] * 12 + [1] * 12
    assert points.replicate.tolist() == [0, 1] * 12
    grid = list(itertools.product([0.1, 0.2, 0.4], [0.005, 0.01]))   # last varies fastest
    expected = [pair for pair in grid for _ in range(2)] * 2
    assert list(zip(points.values["dose_g_per_kg"], points.values["cl_uptake"])) == expected
    assert points.values["body_weight_kg"].tolist() == [70.0] * 24
    assert points.row(3) == {"point_id": 3, "regimen": 0, "replicate": 1, "dose_g_per_kg": 0.1,
                             "cl_uptake": 0.01, "body_weight_kg": 70.0}
    # Each row builds its regimen; the SC regimen takes the dose too.
    assert exp.regimens[1].build(points.row(23)).administrations[0].amount == 0.4


def test_grid_from_a_log_range_and_a_body_weight_variable(tmp_path, model):
    sweep = '''
[sweep]
method = "grid"
[sweep.variables.body_weight_kg]
values = [50.0, 90.0]
[sweep.variables.k_deg]
low = 100.0
high = 10000.0
count = 3
scale = "log"
'''
    points = sample_points(experiment(tmp_path, sweep), model)
    assert points.values["k_deg"] == pytest.approx([100.0, 1000.0, 10000.0] * 2)
    assert points.values["body_weight_kg"].tolist() == [50.0] * 3 + [90.0] * 3


def test_no_sweep_is_one_point_per_regimen_and_replicate(tmp_path, model):
    exp = experiment(tmp_path, '[sweep]\nmethod = "none"\n', regimens=TWO_REGIMENS,
                     replicates=3, extra="body_weight_kg = 82.5\n")
    points = sample_points(exp, model)
    assert points.regimen.tolist() == [0, 0, 0, 1, 1, 1]
    assert points.replicate.tolist() == [0, 1, 2, 0, 1, 2]
    assert dict(points.values) == {"body_weight_kg": pytest.approx([82.5] * 6)}
    assert points.notes == ()


def test_points_are_read_only(tmp_path, model):
    points = sample_points(experiment(tmp_path, quasi_random("latin_hypercube", 8)), model)
    with pytest.raises(ValueError):
        points.values["k_deg"][0] = 1.0
    with pytest.raises(TypeError):
        points.values["k_deg"] = np.zeros(8)
    with pytest.raises(dataclasses.FrozenInstanceError):
        points.notes = ("edited",)
    with pytest.raises(ValueError, match="shape"):
        Points([0, 1], [0, 0], [0, 0], {"body_weight_kg": [70.0]})


# ---------------------------------------------------------------------------
# Latin hypercube and Sobol
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("scale", ["linear", "log"])
def test_latin_hypercube_puts_one_point_in_each_stratum(tmp_path, model, scale):
    n = 50
    exp = experiment(tmp_path, quasi_random("latin_hypercube", n, scale))
    points = sample_points(exp, model)
    assert len(points) == n
    for variable in exp.sweep.variables:
        u = unit_interval(points, variable)
        assert np.all((u >= 0.0) & (u <= 1.0))
        strata = np.floor(u * n).astype(int)
        assert sorted(strata.tolist()) == list(range(n)), variable.name


def test_log_scale_is_log_uniform_not_linear(tmp_path, model):
    n = 64
    points = sample_points(experiment(tmp_path, quasi_random("latin_hypercube", n, "log")), model)
    k_deg = points.values["k_deg"]
    # Log-uniform on [1000, 5000]: half the points below the geometric mean
    # sqrt(5e6) = 2236, against a quarter more than that for linear spacing.
    assert np.count_nonzero(k_deg < math.sqrt(1000.0 * 5000.0)) == n // 2
    assert np.count_nonzero(k_deg < 3000.0) > 0.6 * n


def test_sobol_is_balanced(tmp_path, model):
    n = 64
    exp = experiment(tmp_path, quasi_random("sobol", n))
    points = sample_points(exp, model)
    units = [unit_interval(points, v) for v in exp.sweep.variables]
    for u in units:                        # each of n equal strata holds one point
        assert sorted(np.floor(u * n).astype(int).tolist()) == list(range(n))
    # The first two dimensions form a (0, 6, 2)-net: one point in each 8 x 8 cell.
    cells = set(zip(np.floor(units[0] * 8).astype(int), np.floor(units[1] * 8).astype(int)))
    assert len(cells) == n
    for u in units:
        assert abs(u.mean() - 0.5) < 0.02


# ---------------------------------------------------------------------------
# Virtual population
# ---------------------------------------------------------------------------


def test_virtual_population_distribution(tmp_path, model):
    n = 20000
    extra = "[parameters]\naab_production = 0.04\n"
    exp = experiment(tmp_path, POPULATION.format(n=n), extra=extra)
    points = sample_points(exp, model)
    assert len(points) == n
    typical = {"cl_uptake": 0.00756, "fcrn_total": 49.8, "aab_production": 0.04}
    cv = {"cl_uptake": 0.3, "fcrn_total": 0.25, "aab_production": 0.5}
    eta = {}
    for name in typical:
        eta[name] = np.log(points.values[name] / typical[name])
        omega = math.sqrt(math.log(1.0 + cv[name] ** 2))
        # Four standard errors of the sample mean and of the sample SD.
        assert abs(eta[name].mean()) < 4 * omega / math.sqrt(n), name
        assert abs(eta[name].std(ddof=1) - omega) < 4 * omega / math.sqrt(2 * n), name
    r = np.corrcoef(eta["cl_uptake"], eta["fcrn_total"])[0, 1]
    assert abs(r - 0.4) < 4 * (1 - 0.4 ** 2) / math.sqrt(n)
    r0 = np.corrcoef(eta["cl_uptake"], eta["aab_production"])[0, 1]
    assert abs(r0) < 4 / math.sqrt(n)

    weight = points.values["body_weight_kg"]
    assert weight.min() >= 40.0 and weight.max() <= 140.0
    truncated = stats.truncnorm((40 - 70) / 15, (140 - 70) / 15, loc=70, scale=15)
    assert abs(weight.mean() - truncated.mean()) < 4 * truncated.std() / math.sqrt(n)
    assert points.notes == ()


def test_virtual_population_without_body_weight_uses_the_experiment_weight(tmp_path, model):
    sweep = '[sweep]\nmethod = "virtual_population"\nn = 10\n[sweep.variability.k_deg]\ncv = 0.2\n'
    exp = experiment(tmp_path, sweep, extra="body_weight_kg = 55.0\n")
    points = sample_points(exp, model)
    assert points.values["body_weight_kg"].tolist() == [55.0] * 10
    assert set(points.values) == {"k_deg", "body_weight_kg"}


def test_virtual_population_is_truncated_into_bounds_and_says_so(tmp_path, model):
    sweep = ('[sweep]\nmethod = "virtual_population"\nn = 2000\n'
             '[sweep.variability.cl_uptake]\ncv = 3.0\n')
    points = sample_points(experiment(tmp_path, sweep), model)
    values = points.values["cl_uptake"]
    assert values.min() >= 0.001 and values.max() <= 0.05
    outside = np.count_nonzero((values == 0.001) | (values == 0.05))
    assert outside > 0
    (note,) = points.notes
    assert note.startswith(f"cl_uptake: {outside} of 2000 values truncated into the bounds")


def test_inconsistent_correlations_are_refused_by_the_sampler(tmp_path, model):
    exp = experiment(tmp_path, POPULATION.format(n=10))
    bad = dataclasses.replace(exp.sweep, correlations=(
        Correlation("cl_uptake", "fcrn_total", 0.9),
        Correlation("cl_uptake", "aab_production", 0.9),
        Correlation("fcrn_total", "aab_production", -0.9)))
    with pytest.raises(ParameterError, match="not positive definite"):
        sample_points(dataclasses.replace(exp, sweep=bad), model)


# ---------------------------------------------------------------------------
# Reproducibility
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("sweep", [quasi_random("latin_hypercube", 16),
                                   quasi_random("sobol", 16),
                                   POPULATION.format(n=50)],
                         ids=["latin_hypercube", "sobol", "virtual_population"])
def test_same_seed_same_points_and_another_seed_other_points(tmp_path, model, sweep):
    def draw(seed, name, extra=""):
        exp = experiment(tmp_path, sweep, seed=seed, name=name, extra=extra)
        return sample_points(exp, model)

    np.random.seed(1)
    first = draw(5, "a.toml")
    np.random.seed(2)                       # the global state plays no part
    again = draw(5, "b.toml", extra='description = "same seed, other words"\n')
    other = draw(6, "c.toml")
    assert set(first.values) == set(again.values) == set(other.values)
    for name in first.values:
        assert np.array_equal(first.values[name], again.values[name]), name
        if name != "body_weight_kg" or "virtual_population" in sweep:
            assert not np.array_equal(first.values[name], other.values[name]), name


# ---------------------------------------------------------------------------
# Bounds
# ---------------------------------------------------------------------------


def test_sweeps_outside_parameter_bounds_are_refused(tmp_path, model):
    exp = experiment(tmp_path, quasi_random("latin_hypercube", 20))
    wide = SweepVariable("cl_uptake", "parameter", low=0.004, high=0.104)   # bound: 0.05
    variables = (wide,) + exp.sweep.variables[1:]
    bad = dataclasses.replace(exp, sweep=dataclasses.replace(exp.sweep, variables=variables))
    with pytest.raises(ParameterError) as info:
        sample_points(bad, model)
    message = str(info.value)
    assert "'cl_uptake'" in message and "upper bound 0.05" in message
    # 54 % of [0.004, 0.104] lies above 0.05: with one point per stratum of 5 %,
    # the 10 strata above u = 0.5 and perhaps the point in [0.45, 0.5).
    count = int(message.split("puts ")[1].split(" of 20 points outside the bounds")[0])
    assert count in (10, 11)
    assert f"{count} above the upper bound" in message


def test_grid_body_weight_outside_the_model_bounds_is_refused(tmp_path, model):
    sweep = '[sweep]\nmethod = "grid"\n[sweep.variables.body_weight_kg]\nvalues = [50.0, 90.0]\n'
    exp = experiment(tmp_path, sweep)
    heavy = SweepVariable("body_weight_kg", "body_weight", values=(50.0, 310.0, 320.0))
    bad = dataclasses.replace(exp, sweep=dataclasses.replace(exp.sweep, variables=(heavy,)))
    pattern = r"2 of 3 points .*'body_weight'.*2 above the upper bound 300"
    with pytest.raises(ParameterError, match=pattern):
        sample_points(bad, model)


def test_sobol_needs_a_power_of_two_in_the_sampler_too(tmp_path, model):
    exp = experiment(tmp_path, quasi_random("sobol", 16))
    with pytest.raises(ParameterError, match="power of 2"):
        sample_points(dataclasses.replace(exp, sweep=dataclasses.replace(exp.sweep, n=12)), model)


def test_model_defaults_to_the_experiments_model(tmp_path):
    exp = experiment(tmp_path, quasi_random("latin_hypercube", 4))
    points = sample_points(exp)
    given = sample_points(exp, load_model("fcrn_pk"))
    assert np.array_equal(points.values["k_deg"], given.values["k_deg"])
