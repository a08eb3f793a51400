"""Results made for notebooks: short reprs, valid escaped HTML, tidy tables with units, plots, res.at."""

import numpy as np
import pytest

import ivigsim as iv
from conftest import ROOT
from test_equations import _assert_well_formed

REGIMEN = iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8, every_days=28, cycles=2)


@pytest.fixture(autouse=True)
def _close_figures():
    """Leave no pyplot figure open for the next test module."""
    yield
    import matplotlib.pyplot as plt
    plt.close("all")


@pytest.fixture(scope="module")
def result():
    return iv.simulate("igg_linear", regimen=REGIMEN, t_end=60, body_weight_kg=70)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    return iv.run_experiment("fcrn_dose_response", out=tmp_path_factory.mktemp("sweep") / "run", progress=False)


@pytest.fixture(scope="module")
def population(tmp_path_factory):
    return iv.run_experiment("virtual_population", out=tmp_path_factory.mktemp("vp") / "run", progress=False)


def test_simulation_repr_is_short_and_says_what_was_run(result):
    text = repr(result)
    assert len(text) < 1000
    assert "igg_linear" in text and "0.4 g/kg/day × 5 d, 8 h infusions, every 28 d × 2" in text
    assert "t=0–60 day" in text and "igg_total [g/L]" in text and "autoantibody [mg/L]" in text


@pytest.mark.parametrize("name", sorted(iv.model_paths()))
def test_model_repr_is_short(name):
    assert len(repr(iv.load_model(name))) < 1000


def test_regimen_repr_in_clinical_words_and_its_plot():
    assert repr(REGIMEN) == ("Regimen('IVIG': '0.4 g/kg/day × 5 d, 8 h infusions, every 28 d × 2'; "
                             "4 g/kg in total, 10 administrations)")
    assert repr(iv.Regimen.none()) == "Regimen(no treatment)"
    ax = REGIMEN.plot(body_weight_kg=70)
    rate = max(patch.get_paths()[0].vertices[:, 1].max() for patch in ax.collections)
    assert rate == pytest.approx(400.0 / (8 * 60), rel=1e-12)        # 0.4 g/kg over 8 h, in mg/kg/min
    assert ax.get_ylabel() == "infusion rate [mg/kg/min]" and ax.get_xlabel() == "time [day]"
    _assert_well_formed(REGIMEN._repr_html_())


def test_simulation_html_is_valid_with_a_table_and_an_inline_figure(result):
    page = result._repr_html_()
    _assert_well_formed(page)
    assert "<table" in page and "<svg" in page and "igg_total" in page
    assert "<script" not in page


def test_to_dataframe_round_trips_values_and_units(result):
    frame = result.to_dataframe()
    assert list(frame.columns) == ["time_day", "output", "value", "unit"]
    assert set(frame["output"]) == set(result.names)
    for name in result.names:
        rows = frame[frame["output"] == name]
        np.testing.assert_array_equal(rows["time_day"].to_numpy(), result.t)
        np.testing.assert_array_equal(rows["value"].to_numpy(), result[name])
        assert set(rows["unit"]) == {result.units[name]}
    wide = frame.pivot(index="time_day", columns="output", values="value")
    np.testing.assert_array_equal(wide["autoantibody"].to_numpy(), result["autoantibody"])


def test_to_xarray_keeps_units_as_attributes(result):
    ds = result.to_xarray()
    assert ds["time"].attrs["units"] == "day"
    for name in result.names:
        assert ds[name].attrs["units"] == result.units[name]
        np.testing.assert_array_equal(ds[name].to_numpy(), result[name])
    assert ds.attrs["model"] == "igg_linear"


def test_plot_draws_on_the_given_axes_and_returns_it(result):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    assert result.plot(["igg_total", "ivig"], ax=ax) is ax
    assert len(ax.lines) == 2 and ax.get_ylabel() == "value [g/L]"
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), result["igg_total"])
    with pytest.raises(ValueError, match="different units"):
        result.plot(["igg_total", "autoantibody"])
    plt.close("all")


def test_at_refuses_times_outside_the_run(result):
    for t in (-5.0, 60.0001, 1000.0):
        with pytest.raises(iv.ParameterError, match=r"outside the simulated span \[0, 60\] days"):
            result.at("igg_total", t)
    assert result.at("igg_total", 60.0) == result["igg_total"][-1]


def test_at_uses_the_solvers_dense_output_between_output_times(result):
    t = 2.37                                       # between output times, during an infusion's decay
    exact = iv.simulate("igg_linear", regimen=REGIMEN, t_end=60, body_weight_kg=70, t_eval=[t])
    assert result.at("igg_total", t) == pytest.approx(exact["igg_total"][0], rel=1e-12)
    assert result.at("ivig_p", t) == pytest.approx(exact["ivig_p"][0], rel=1e-12)
    linear = float(np.interp(t, result.t, result["igg_total"]))
    assert abs(linear - exact["igg_total"][0]) > 1e-3      # the old answer was off by more than this


def test_stochastic_results_interpolate_their_grid():
    res = iv.simulate(ROOT / "tests" / "data" / "birth_death.toml", t_end=2.0, method="ssa", seed=1)
    name = res.names[0]
    assert res.dense is None
    assert res.at(name, 0.3) == pytest.approx(np.interp(0.3, res.t, res[name]))
    with pytest.raises(iv.ParameterError):
        res.at(name, 2.5)


def test_experiment_results_notebook_interface(sweep):
    text = repr(sweep)
    assert len(text) < 1000 and "fcrn_dose_response" in text and "12 points (grid)" in text
    page = sweep._repr_html_()
    _assert_well_formed(page)
    assert "per grid value" in page and "$31,710" in page and "<svg" in page
    tidy = sweep.to_dataframe()
    assert {"metric", "value", "unit", "dose_g_per_kg"} <= set(tidy.columns)
    units = sweep.metrics.attrs["units"]
    assert dict(zip(tidy["metric"], tidy["unit"])) == units
    ds = sweep.to_xarray()
    assert ds["igg_peak"].attrs["units"] == "g/L"
    np.testing.assert_array_equal(ds["igg_peak"].to_numpy(), sweep.metrics["igg_peak"].to_numpy())
    ax = sweep.plot("igg_peak")
    assert ax.get_xlabel() == "dose_g_per_kg [g/kg/day]"
    assert ax.get_ylabel() == "igg_peak [g/L]"


def test_designed_grid_prints_per_grid_value_and_money_with_separators(sweep):
    text = sweep.summary()
    assert text.startswith("per grid value:") and "median" not in text
    assert len(text.splitlines()) == 2 + 12                     # caption, header, one row per dose
    assert "$31,710" in text and "e+0" not in text


def test_sampled_population_prints_median_and_iqr(population):
    text = population.summary()
    assert text.startswith("median [interquartile range] over the sampled points:")
    nadir = population.metrics["autoantibody_nadir_pct"]
    assert f"{nadir.median():.4g} [{nadir.quantile(0.25):.4g} to {nadir.quantile(0.75):.4g}]" in text
    assert len(repr(population)) < 1000


def test_comparison_and_validation_results_notebook_interface(tmp_path):
    comparison = iv.compare(["fcrn_pk", "fcrn_pk_qss"], "regimen_comparison", out=tmp_path / "cmp")
    assert len(repr(comparison)) < 1000 and "reference='fcrn_pk'" in repr(comparison)
    _assert_well_formed(comparison._repr_html_())
    tidy = comparison.to_dataframe()
    assert set(tidy["variant"]) == {"fcrn_pk", "fcrn_pk_qss"}
    assert dict(zip(tidy["metric"], tidy["unit"]))["igg_peak"] == "g/L"
    assert comparison.to_xarray()["igg_peak"].attrs["units"] == "g/L"
    assert comparison.plot("igg_peak").get_ylabel() == "igg_peak, variant [g/L]"
    report = iv.validate(ids=["PK-02", "PK-03"], progress=False)
    assert repr(report) == f"ValidationReport(2 targets: 2 pass; 0 unexpected; {report.seconds:.1f} s)"
    _assert_well_formed(report._repr_html_())
    frame = report.to_dataframe()
    assert list(frame["id"]) == ["PK-02", "PK-03"] and list(frame["unit"]) == ["mg/kg/day", "%"]
    assert report.to_xarray()["unit"].values.tolist() == ["mg/kg/day", "%"]
    assert report.plot().get_ylabel() == "targets [count]"


def test_dir_and_all_list_the_public_api():
    for name in ("run_experiment", "compare", "validate", "load_results", "simulate", "Regimen",
                 "ExperimentResults", "model_card", "experiment_paths", "set_quiet"):
        assert name in iv.__all__ and name in dir(iv)
    for name in iv.__all__:
        assert getattr(iv, name) is not None
