"""Global sensitivity sweeps (SALib): sampling, indices, files, plots."""

import math

import numpy as np
import pytest

pytest.importorskip("SALib")

from conftest import ROOT  # noqa: E402
from ivigsim.sweep import sensitivity  # noqa: E402
from ivigsim.sweep.experiment import ExperimentFileError, SweepVariable, load_experiment  # noqa: E402
from ivigsim.sweep.samplers import sample_points  # noqa: E402
from ivigsim.interfaces.runs import run_experiment  # noqa: E402
from ivigsim.sweep.run import load_results  # noqa: E402

SOBOL = ROOT / "experiments" / "sensitivity_sobol.toml"
VARIABLES = ["fcrn_total", "cl_uptake", "k_deg", "igg_production", "k_recycle"]


def _ishigami(x, a=7.0, b=0.1):
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_ishigami_indices_through_the_wrapper():
    variables = [SweepVariable(f"x{i}", "parameter", low=-math.pi, high=math.pi) for i in range(3)]
    prob = sensitivity.problem(variables)
    x = sensitivity.sample_matrix("sobol_indices", prob, 1024, seed=3)
    assert x.shape == (1024 * 5, 3)
    result = sensitivity.indices("sobol_indices", prob, x, _ishigami(x), seed=3)
    expected_s1, expected_st = np.array([0.3139, 0.4424, 0.0]), np.array([0.5576, 0.4424, 0.2437])
    assert np.all(np.abs(result["S1"] - expected_s1) <= result["S1_conf"] + 0.02)
    assert np.all(np.abs(result["ST"] - expected_st) <= result["ST_conf"] + 0.02)
    morris = sensitivity.sample_matrix("morris", prob, 50, seed=3)
    assert morris.shape == (50 * 4, 3)
    mu = sensitivity.indices("morris", prob, morris, _ishigami(morris), seed=3)
    assert set(mu) == {"mu_star", "mu_star_conf", "sigma"} and np.all(mu["mu_star"] > 0)


def test_log_variables_are_sampled_in_log_space_and_stay_in_bounds():
    experiment = load_experiment(SOBOL)
    prob = sensitivity.problem(experiment.sweep.variables)
    assert prob["bounds"][0] == pytest.approx([math.log(24.9), math.log(99.6)])
    points = sample_points(experiment)
    x = sensitivity.to_problem_space(experiment.sweep.variables, points.values)
    again = sensitivity.sample_matrix("sobol_indices", prob, 64,
                                      sensitivity.salib_seed(experiment.seed))
    np.testing.assert_allclose(x, again, rtol=1e-12)      # SALib's order, point by point
    for v in experiment.sweep.variables:
        assert v.low <= points.values[v.name].min() and points.values[v.name].max() <= v.high


def test_a_sensitivity_file_loads_with_n_times_d_plus_2_points():
    experiment = load_experiment(SOBOL)
    d, n = len(experiment.sweep.variables), experiment.sweep.n
    assert experiment.sweep.method == "sobol_indices" and (d, n) == (5, 64)
    assert experiment.sweep.size == experiment.n_points == n * (d + 2) == 448
    assert len(sample_points(experiment)) == 448


def _variant(tmp_path, old, new, name="variant.toml"):
    text = SOBOL.read_text()
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new))
    return path


def test_morris_file_loads_with_n_times_d_plus_1_points(tmp_path):
    experiment = load_experiment(_variant(tmp_path, 'method = "sobol_indices"\nn = 64',
                                          'method = "morris"\nn = 10'))
    assert experiment.n_points == 10 * 6


@pytest.mark.parametrize("old, new, key, words", [
    ("n = 64", "n = 1", "sweep.n", "whole number >= 2"),
    ("n = 64\n", "", "sweep.n", "needs the number of points"),
    ('low = 24.9\nhigh = 99.6\nscale = "log"', 'values = [30.0, 60.0]',
     "sweep.variables.fcrn_total.values", "unknown field"),
    ('metric = "igg_peak"', 'metric = "nope"', "plots.igg_peak_sobol.metric", "no metric"),
])
def test_sensitivity_files_are_validated(tmp_path, old, new, key, words):
    with pytest.raises(ExperimentFileError) as info:
        load_experiment(_variant(tmp_path, old, new))
    assert key in str(info.value) and words in str(info.value)


def test_sensitivity_plot_needs_a_sensitivity_sweep(tmp_path):
    path = _variant(tmp_path, 'method = "sobol_indices"\nn = 64', 'method = "latin_hypercube"\nn = 8')
    with pytest.raises(ExperimentFileError, match="sensitivity plot needs a sweep"):
        load_experiment(path)


def test_missing_salib_is_a_clear_error(monkeypatch):
    monkeypatch.setattr("ivigsim.sweep._experiment_sweep_reader.salib_available", lambda: False)
    with pytest.raises(ExperimentFileError, match=r"pip install 'ivigsim\[sensitivity\]'"):
        load_experiment(SOBOL)


@pytest.fixture(scope="module")
def sobol_run(tmp_path_factory):
    return run_experiment(SOBOL, out=tmp_path_factory.mktemp("sobol") / "run", progress=False)


def test_shipped_sobol_experiment_gives_finite_indices(sobol_run):
    table = sobol_run.sensitivity
    assert sobol_run.provenance["n_failed"] == 0 and sobol_run.provenance["sensitivity_notes"] == []
    assert list(table.columns) == ["metric", "regimen", "variable", "S1", "S1_conf", "ST", "ST_conf"]
    assert len(table) == 2 * len(VARIABLES)
    values = table[["S1", "S1_conf", "ST", "ST_conf"]].to_numpy()
    assert np.all(np.isfinite(values))
    assert np.all(table["ST"] >= table["S1"] - table["S1_conf"] - table["ST_conf"])
    nadir = table[table["metric"] == "autoantibody_nadir_pct"].set_index("variable")
    assert list(nadir.index) == VARIABLES
    # the nadir follows the saturable haematopoietic pool, loaded by the patient's own IgG: measured ST
    # igg_production 0.74, k_deg 0.24, k_recycle 0.057; the barely occupied endothelial pool's fcrn_total
    # and cl_uptake under 1e-6 (with Shah & Betts' 43 nM and k_recycle 30 /day an FcRn parameter led)
    assert nadir["ST"].idxmax() == "igg_production"
    assert nadir.loc["k_deg", "ST"] > 10 * max(nadir.loc["fcrn_total", "ST"], nadir.loc["cl_uptake", "ST"])
    for name in ("sensitivity.csv", "figures/autoantibody_sobol.png",
                 "figures/autoantibody_sobol.svg", "figures/igg_peak_sobol.png"):
        assert (sobol_run.path / name).exists(), name
    again = load_results(sobol_run.path)
    np.testing.assert_allclose(again.sensitivity[["S1", "ST"]].to_numpy(),
                               table[["S1", "ST"]].to_numpy(), rtol=1e-12)


def test_failed_points_invalidate_the_analysis_with_a_note(sobol_run):
    experiment = load_experiment(SOBOL)
    frame = sobol_run.metrics.copy()
    frame.loc[5, "igg_peak"] = np.nan
    frame.loc[5, "status"] = "failed"
    table, notes = sensitivity.compute_sensitivity(experiment, frame)
    assert set(table["metric"]) == set()          # point 5 failed: both metrics invalid
    assert len(notes) == 2 and "1 of 448 points failed" in notes[0]


def test_morris_on_the_same_experiment(tmp_path):
    path = _variant(tmp_path, 'method = "sobol_indices"\nn = 64', 'method = "morris"\nn = 20',
                    name="sensitivity_morris.toml")
    res = run_experiment(path, out=tmp_path / "morris", progress=False)
    assert res.provenance["n_points"] == 20 * 6 and res.provenance["n_failed"] == 0
    table = res.sensitivity
    assert list(table.columns) == ["metric", "regimen", "variable", "mu_star", "mu_star_conf", "sigma"]
    for metric in ("autoantibody_nadir_pct", "igg_peak"):
        rows = table[table["metric"] == metric]
        assert list(rows["variable"]) == VARIABLES
        assert np.all(np.isfinite(rows["mu_star"])) and np.all(rows["mu_star"] >= 0)
    assert (tmp_path / "morris" / "figures" / "autoantibody_sobol.png").exists()


def test_sensitivity_bars_saves_png_and_svg(tmp_path):
    from ivigsim.interfaces import sweep_plots
    written = sweep_plots.sensitivity_bars(["a", "b"], [0.2, np.nan], [0.05, 0.1], [0.3, 0.6], None,
                                           tmp_path / "s.png", title="t", first_label="S1",
                                           total_label="ST")
    assert [p.name for p in written] == ["s.png", "s.svg"] and all(p.exists() for p in written)
    with pytest.raises(ValueError):
        sweep_plots.sensitivity_bars(["a"], [0.1, 0.2], None, [0.1], None, tmp_path / "x",
                                     title="", first_label="", total_label="")
