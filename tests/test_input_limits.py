"""Hostile inputs: huge powers, huge grids and horizons, non-finite literals, unclear messages
(issue 14, probes 6, 7, 12 and 13)."""

import time
import tracemalloc

import pytest

import ivigsim as iv
from hardening_helpers import MODEL, ivigsim, no_traceback, tiny_experiment
from ivigsim.errors import IvigsimError, ModelFileError, SolverError
from ivigsim.sweep.experiment import load_experiment
from ivigsim.core.expressions import ExpressionError, evaluate, parse_expression
from ivigsim.core.spec import load_model_file


def model_with(tmp_path, old, new, name="variant"):
    text = MODEL.read_text()
    assert old in text
    path = tmp_path / f"{name}.toml"
    path.write_text(text.replace(old, new))
    return path


# --- probe 6: powers that would hang the symbolic algebra --------------------------------
@pytest.mark.parametrize("rate", ["10^10^10", "9^9^9", "2^(2^(2^5))", "10^400", "exp(exp(1000))"])
def test_huge_constant_powers_are_refused_at_load_naming_the_key(tmp_path, rate):
    path = model_with(tmp_path, 'rate = "k_el * drug * central"', f'rate = "k_el * drug * central * {rate}"')
    started = time.perf_counter()
    with pytest.raises(ModelFileError, match=r"\[reactions.elimination.rate\].*too large to be a number"):
        load_model_file(path)
    assert time.perf_counter() - started < 2.0


def test_small_integer_powers_stay_exact_and_large_ones_are_evaluated_in_floating_point():
    import sympy
    from ivigsim.core.expressions import to_sympy
    assert to_sympy(parse_expression("2^10"), {}) == sympy.Integer(1024)
    started = time.perf_counter()
    value = to_sympy(parse_expression("(1/3)^(10^10)"), {})       # finite (0.0), must not hang
    assert time.perf_counter() - started < 2.0 and float(value) == 0.0


def test_huge_powers_are_refused_through_import_sbml(tmp_path):
    pytest.importorskip("libsbml")
    from ivigsim.io.sbml import export_sbml, import_sbml
    text = export_sbml(MODEL)
    marker = "<ci> k_el </ci>"
    assert marker in text
    bomb = ("<apply><power/><cn type=\"integer\"> 10 </cn><apply><power/><cn type=\"integer\"> 10 </cn>"
            "<cn type=\"integer\"> 10 </cn></apply></apply>")
    source = tmp_path / "bomb.xml"
    source.write_text(text.replace(marker, f"<apply><times/>{marker}{bomb}</apply>", 1))
    started = time.perf_counter()
    with pytest.raises(IvigsimError, match="too large to be a number"):
        import_sbml(source, tmp_path / "out.toml")
    assert time.perf_counter() - started < 10.0
    assert not (tmp_path / "out.toml").exists()


# --- probe 7: sizes computed before anything is allocated -----------------------------------
def test_a_billion_point_grid_is_refused_without_allocating(tmp_path):
    path = tiny_experiment(tmp_path)
    path.write_text(path.read_text().replace("values = [0.5, 1.0, 2.0]", "low = 0.5\nhigh = 2.0\ncount = 1000000000"))
    tracemalloc.start()
    try:
        with pytest.raises(IvigsimError, match=r"count.*1000000000 grid values"):
            load_experiment(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50e6


def test_a_grid_product_past_the_limit_is_refused_by_arithmetic(tmp_path):
    path = tiny_experiment(tmp_path)
    path.write_text(path.read_text()
                    .replace("values = [0.5, 1.0, 2.0]", "low = 0.5\nhigh = 2.0\ncount = 100000")
                    .replace("values = [0.1, 0.2]", "low = 0.1\nhigh = 0.2\ncount = 100000"))
    with pytest.raises(IvigsimError, match="more than the 1000000 allowed"):
        load_experiment(path)


@pytest.mark.parametrize("old, new, key", [
    ("output_step_days = 0.5", "output_step_days = 1e-7", "experiment.output_step_days"),
    ("t_end_days = 20.0", "t_end_days = 1e300", "experiment.t_end_days"),
])
def test_output_grids_past_the_limit_are_refused_naming_the_key_and_the_limit(tmp_path, old, new, key):
    path = tiny_experiment(tmp_path)
    path.write_text(path.read_text().replace(old, new))
    with pytest.raises(IvigsimError, match=rf"\[{key}\].*output times, more than the limit .*IVIGSIM_MAX_OUTPUT_TIMES"):
        load_experiment(path)


def test_the_stored_result_size_is_checked_before_the_sweep(tmp_path, monkeypatch):
    from ivigsim.sweep.run import run_experiment
    monkeypatch.setenv("IVIGSIM_MAX_RESULT_GB", "1e-6")
    with pytest.raises(IvigsimError, match=r"GB of trajectories, more than the limit .*IVIGSIM_MAX_RESULT_GB="):
        run_experiment(tiny_experiment(tmp_path), out=tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("t_end", ["1e8", "1e12", "1e300"])
def test_simulate_refuses_a_horizon_past_the_output_limit(t_end):
    proc = ivigsim("simulate", MODEL, "--t-end", t_end)
    assert proc.returncode == 2
    assert "output times, more than the limit" in no_traceback(proc)


def test_the_limit_can_be_raised_by_its_environment_variable(monkeypatch):
    with pytest.raises(IvigsimError, match="IVIGSIM_MAX_OUTPUT_TIMES"):
        iv.simulate(MODEL, t_end=3e5)          # 1.2 million output times at the default 0.25 days
    monkeypatch.setenv("IVIGSIM_MAX_OUTPUT_TIMES", "100")
    with pytest.raises(IvigsimError, match="limit of 100"):
        iv.simulate(MODEL, t_end=30.0)
    monkeypatch.setenv("IVIGSIM_MAX_OUTPUT_TIMES", "1000")
    assert len(iv.simulate(MODEL, t_end=30.0).t) == 121


def test_model_size_is_bounded_with_a_clear_message(monkeypatch):
    from ivigsim.core.kernel import compiled
    monkeypatch.setenv("IVIGSIM_MAX_SPECIES", "1")
    monkeypatch.setattr(compiled, "_LOADED", {})
    with pytest.raises(IvigsimError, match=r"has 2 species, more than the 1 .*IVIGSIM_MAX_SPECIES=2"):
        iv.simulate(MODEL, t_end=5.0)


# --- probe 12: tracebacks -------------------------------------------------------------------
@pytest.mark.parametrize("extra, match", [
    ('[metrics.bad]\nkind = "max"\noutput = "concentration"\nthreshold = 1.0',
     r"\[metrics.bad\].*threshold is only used by kinds 'time_above' and 'time_below'"),
    ('[metrics.bad]\nkind = "half_life"\noutput = "concentration"',
     r"\[metrics.bad\].*half_life' needs window_days"),
])
def test_metric_fields_the_kind_does_not_take_are_refused_at_load(tmp_path, extra, match):
    path = tiny_experiment(tmp_path, extra=extra)
    with pytest.raises(IvigsimError, match=match):
        load_experiment(path, metric_kinds=iv.sweep.experiment.METRIC_KINDS)
    proc = ivigsim("run", path, "--out", tmp_path / "run", "--quiet")
    assert proc.returncode == 2 and "metrics.bad" in no_traceback(proc)


def test_a_zero_compartment_volume_is_refused_at_load_and_at_simulate(tmp_path):
    path = model_with(tmp_path, 'volume = "v_per_kg * body_weight"', 'volume = "0 * v_per_kg * body_weight"')
    with pytest.raises(ModelFileError, match=r"\[compartments.central.volume\].*volume is 0 L.*positive"):
        load_model_file(path)
    zero_ok = model_with(tmp_path, "bounds = [0.01, 1.0]", "bounds = [0.0, 1.0]", name="zero_ok")
    with pytest.raises(IvigsimError, match=r"compartment 'central' has volume 0 L .*v_per_kg = 0"):
        iv.simulate(zero_ok, regimen=iv.Regimen.ivig(dose_g_per_kg=1.0, days=1), params={"v_per_kg": 0.0})


def test_a_literal_past_the_float_range_is_refused_at_load_and_nothing_is_cached(tmp_path):
    path = model_with(tmp_path, 'expression = "drug * mw"', 'expression = "drug * mw * 10^400"')
    with pytest.raises(ModelFileError, match=r"\[observables.concentration.expression\].*too large"):
        load_model_file(path)


def test_simulate_plot_unknown_output(tmp_path):
    proc = ivigsim("simulate", MODEL, "--plot", "concentraton", "--t-end", "5")
    assert proc.returncode == 2
    assert "no output 'concentraton' (did you mean 'concentration'?)" in no_traceback(proc)


def test_models_into_a_closed_pipe_ends_quietly():
    import subprocess
    import sys
    from conftest import ROOT
    proc = subprocess.run(f"{sys.executable} -m ivigsim.interfaces.cli models | head -c 10", shell=True,
                          capture_output=True, text=True, cwd=ROOT)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
    assert len(proc.stdout) == 10


def test_an_unreachable_scheduler_is_one_line_and_quick(tmp_path, monkeypatch):
    pytest.importorskip("dask.distributed")
    import os
    proc = ivigsim("run", tiny_experiment(tmp_path), "--out", tmp_path / "run", "--quiet",
                   "--scheduler", "tcp://127.0.0.1:9", env={**os.environ, "IVIGSIM_DASK_TIMEOUT_S": "2"})
    assert proc.returncode == 2
    assert "cannot reach a Dask scheduler there within 2 s" in no_traceback(proc)


def test_the_dask_client_an_executor_opens_is_closed(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    from ivigsim.sweep.run import run_experiment
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        run_experiment(tiny_experiment(tmp_path), out=tmp_path / "run", scheduler=cluster.scheduler_address,
                       progress=False)
        assert not [c for c in distributed.client._global_clients.values() if c.status == "running"]


# --- probe 13: unclear messages -------------------------------------------------------------
def test_a_negative_volume_is_refused_at_load(tmp_path):
    path = model_with(tmp_path, 'volume = "v_per_kg * body_weight"', 'volume = "-v_per_kg * body_weight"')
    with pytest.raises(ModelFileError, match=r"\[compartments.central.volume\].*-3.5 L.*must be positive"):
        load_model_file(path)


def test_a_division_by_zero_in_a_rate_law_names_the_reaction(tmp_path):
    path = model_with(tmp_path, 'rate = "k_el * drug * central"', 'rate = "k_el * drug * central * k_el / k_zero"')
    path.write_text(path.read_text() + '\n[parameters.k_zero]\nvalue = 0.0\nunit = "1/day"\n'
                                       'bounds = [0.0, 1.0]\nsource = "test value"\n')
    with pytest.raises(SolverError, match=r"reaction 'elimination' \(rate law '.*k_zero'\) is (nan|inf) at the start"):
        iv.simulate(path, t_end=5.0)


def test_an_expression_error_does_not_repeat_a_megabyte_of_input():
    text = "a + " * 250_000 + "$"
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert len(str(info.value)) < 500


def test_a_flat_sum_of_many_terms_is_accepted():
    names = [f"x{i}" for i in range(1000)]
    node = parse_expression(" + ".join(names) + " - y")
    env = {n: float(i) for i, n in enumerate(names)}
    env["y"] = 1.0
    assert evaluate(node, env) == sum(range(1000)) - 1.0
    assert evaluate(parse_expression(" * ".join(["a"] * 300) + " / b"), {"a": 1.0, "b": 4.0}) == 0.25


@pytest.mark.parametrize("initial, match", [
    ("nan", r"\[species.drug.initial\].*expected a finite number, got nan"),
    ('"nan"', r"\[species.drug.initial\].*'nan' is not a finite number"),
    ("inf", r"\[species.drug.initial\].*expected a finite number, got inf"),
])
def test_a_non_finite_initial_value_is_named_as_such(tmp_path, initial, match):
    path = model_with(tmp_path, 'initial = "c0"', f"initial = {initial}")
    with pytest.raises(ModelFileError, match=match):
        load_model_file(path)


def test_an_sbml_entity_bomb_is_refused_clearly(tmp_path):
    pytest.importorskip("libsbml")
    from ivigsim.io.sbml import import_sbml
    lol = "".join(f'<!ENTITY e{i} "{"&e%d;" % (i - 1) * 10 if i else "x" * 100}">' for i in range(8))
    source = tmp_path / "bomb.xml"
    source.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE sbml [{lol}]>\n'
                      '<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">'
                      '<model id="m" name="&e7;"/></sbml>')
    with pytest.raises(IvigsimError, match=r"line 2: the file declares XML entities"):
        import_sbml(source, tmp_path / "out.toml")


def test_an_unresolved_entity_is_reported(tmp_path):
    pytest.importorskip("libsbml")
    from ivigsim.io.sbml import export_sbml, import_sbml
    text = export_sbml(MODEL)
    source = tmp_path / "entity.xml"
    source.write_text(text.replace('<model ', '<model name="IVIG &mystery; model" ', 1)
                      if '<model name=' not in text else text.replace('<model name="', '<model name="&mystery; ', 1))
    with pytest.warns(UserWarning, match=r"&mystery; is not resolved"), \
            pytest.raises(IvigsimError, match=r"entity.xml: not a readable SBML file: line \d+: Undefined XML entity"):
        import_sbml(source, tmp_path / "out.toml")


def test_a_failed_import_keeps_the_existing_output_file(tmp_path):
    pytest.importorskip("libsbml")
    from ivigsim.io.sbml import export_sbml
    out = tmp_path / "model.toml"
    out.write_text("my precious model")
    bad = tmp_path / "bad.xml"           # reads as SBML; the model file made from it does not validate
    text = export_sbml(MODEL)
    assert '<parameter id="k_el" value="0.1"' in text
    bad.write_text(text.replace('<parameter id="k_el" value="0.1"', '<parameter id="k_el" value="INF"'))
    proc = ivigsim("import-sbml", bad, out)
    assert "does not validate" in proc.stderr and "expected a finite number" in proc.stderr
    assert proc.returncode == 2, proc.stdout
    no_traceback(proc)
    assert out.read_text() == "my precious model"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_export_sbml_into_a_directory_is_refused(tmp_path):
    proc = ivigsim("export-sbml", MODEL, tmp_path)
    assert proc.returncode == 2 and "is a directory" in no_traceback(proc)


def test_simulate_out_follows_the_run_rule(tmp_path):
    (tmp_path / "summary.csv").write_text("mine")
    proc = ivigsim("simulate", MODEL, "--t-end", "5", "--out", tmp_path)
    assert proc.returncode == 2 and "is not empty" in no_traceback(proc)
    assert (tmp_path / "summary.csv").read_text() == "mine"
    proc = ivigsim("simulate", MODEL, "--t-end", "5", "--out", tmp_path, "--overwrite")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "summary.csv").read_text() != "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figure.png", "summary.csv", "trajectory.csv",
                                                         "trajectory_untreated.csv"]
