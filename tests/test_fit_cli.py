"""``ivigsim fit`` end to end on the didactic problem, and the FitResult notebook surface."""

import csv
import json
import tomllib

import numpy as np
import pytest

import ivigsim as iv
from ivigsim.interfaces.cli import main

from fit_helpers import DIDACTIC, TRUE


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    out = tmp_path_factory.mktemp("fit") / "didactic"
    code = main(["fit", str(DIDACTIC), "--out", str(out), "--workers", "2", "--quiet"])
    assert code == 0
    return out


def test_cli_writes_every_output(fitted):
    for name in ("best_parameters.toml", "best_parameters.csv", "parameters.csv", "starts.csv", "correlation.csv",
                 "profiles.csv", "fit.png", "residuals.png", "waterfall.png", "profiles.png", "report.html",
                 "provenance.json", "problem/problem.yaml", "problem/model.xml"):
        assert (fitted / name).is_file(), name
    assert not list(fitted.parent.glob(".*partial"))
    page = (fitted / "report.html").read_text()
    assert "data:image/png;base64," in page and "http://" not in page.replace("http://www.w3.org", "")
    prov = json.loads((fitted / "provenance.json").read_text())
    assert prov["seed"] == 20261206 and prov["n_starts"] == 8 and len(prov["problem_sha256"]) == 64


def test_best_parameters_are_an_override_table_simulate_accepts(fitted):
    table = tomllib.loads((fitted / "best_parameters.toml").read_text())["parameters"]
    assert set(table) == set(TRUE)
    with open(fitted / "best_parameters.csv") as handle:
        rows = {r["parameter"]: float(r["value"]) for r in csv.DictReader(handle)}
    assert rows == pytest.approx(table, rel=1e-12)
    res = iv.simulate("igg_linear", t_end=1.0, body_weight_kg=70.0, params=table)
    # Untreated steady state = (IgG + autoantibody synthesis) / clearance in the linear model.
    aab_production = iv.load_model("igg_linear").parameters[iv.load_model("igg_linear").parameter_names.index(
        "aab_production")].value
    expected = (table["igg_production"] + aab_production) / table["cl_linear"] / 1000.0
    assert res["igg_total"][0] == pytest.approx(expected, rel=1e-6)


def test_starts_are_sorted_by_objective(fitted):
    with open(fitted / "starts.csv") as handle:
        rows = list(csv.DictReader(handle))
    values = [float(r["objective"]) for r in rows]
    assert values == sorted(values) and len(rows) == 8 and [int(r["rank"]) for r in rows] == list(range(1, 9))


def test_cli_refuses_a_non_empty_out(fitted, capsys):
    assert main(["fit", str(DIDACTIC), "--out", str(fitted), "--quiet"]) == 2
    assert "exists and is not empty" in capsys.readouterr().err


def test_cli_reports_a_bad_problem_in_one_line(tmp_path, capsys):
    assert main(["fit", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "not a directory" in err or "problem.yaml: file not found" in err and err.count("\n") == 1


def test_fit_result_notebook_surface():
    result = iv.fit(DIDACTIC, n_starts=3, progress=False)
    text = repr(result)
    assert len(text) < 1000 and "cl_linear=" in text and "igg_course_didactic" in text
    page = result._repr_html_()
    assert "<table>" in page and "<svg" in page                      # the table and a thumbnail of the fit
    frame = result.to_dataframe()
    assert list(frame.index) == ["cl_linear", "v_plasma", "igg_production"]
    assert np.all(frame.ci_lower < frame.estimate) and np.all(frame.estimate < frame.ci_upper)
    ds = result.to_xarray()
    assert list(ds["parameter"].values) == list(frame.index)
    np.testing.assert_array_equal(ds["estimate"].values, frame.estimate.to_numpy())
    assert ds.attrs["units"] == dict(zip(frame.index, frame.unit))
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    for kind in ("fit", "residuals", "waterfall", "profiles"):
        axes = np.atleast_1d(result.plot(kind))
        assert axes[0].get_xlabel().endswith("]")                # a unit on the axis
        plt.close(axes[0].figure)
    assert plt.get_fignums() == []
    with pytest.raises(iv.ParameterError, match="unknown plot kind"):
        result.plot("violin")


def test_best_parameters_toml_is_an_experiment_files_parameters_table(fitted, tmp_path):
    """Appended as it is to an experiment file, the table sets the run's parameters."""
    table = tomllib.loads((fitted / "best_parameters.toml").read_text())["parameters"]
    experiment = tmp_path / "refit.toml"
    experiment.write_text(
        '[experiment]\nname = "refit"\nmodel = "igg_linear"\nseed = 1\nt_end_days = 30.0\n'
        'output_step_days = 1.0\nbody_weight_kg = 70.0\n\n'
        '[regimens.course]\nkind = "ivig"\ndose_g_per_kg = 0.4\ndays = 5\ninfusion_hours = 8.0\n\n'
        '[sweep]\nmethod = "none"\n\n[metrics.peak]\nkind = "max"\noutput = "igg_total"\n\n'
        + (fitted / "best_parameters.toml").read_text())
    res = iv.run_experiment(experiment, out=tmp_path / "run", progress=False)
    assert res.provenance["experiment_parameters"] == pytest.approx(table, rel=1e-15)
    reg = iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8.0)
    direct = iv.simulate("igg_linear", regimen=reg, t_end=30.0, body_weight_kg=70.0, params=table,
                         t_eval=np.arange(0.0, 31.0))                 # the experiment's daily grid
    assert res.metrics["peak"].iloc[0] == pytest.approx(direct["igg_total"].max(), rel=1e-12)
    default = iv.simulate("igg_linear", regimen=reg, t_end=30.0, body_weight_kg=70.0, t_eval=np.arange(0.0, 31.0))
    assert abs(res.metrics["peak"].iloc[0] / default["igg_total"].max() - 1.0) > 0.01   # the table mattered


@pytest.mark.parametrize("flag, value", [("--starts", "0"), ("--starts", "-1"), ("--workers", "0"),
                                         ("--workers", "two")])
def test_cli_refuses_a_bad_count_naming_the_flag(tmp_path, capsys, flag, value):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", str(DIDACTIC), "--out", str(tmp_path / "o"), flag, value])
    assert exit_info.value.code == 2
    assert f"argument {flag}: expected a whole number >= 1, got" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
