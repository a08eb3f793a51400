"""The ivigsim command line, as a user types it."""

import re
import subprocess
import sys

import pytest

from conftest import DATA, ROOT


def ivigsim(*args):
    return subprocess.run([sys.executable, "-m", "ivigsim.interfaces.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT)


def test_models_lists_every_model_with_mechanisms():
    out = ivigsim("models")
    assert out.returncode == 0, out.stderr
    for name in ("fcrn_pk", "fcrn_pk_qss", "igg_linear", "ivig_autoimmune", "ivig_antitumour"):
        assert name in out.stdout
    assert "fcrn_recycling" in out.stdout


def test_model_card_is_generated_from_the_file():
    out = ivigsim("models", "--card", "fcrn_pk")
    assert out.returncode == 0
    assert "# fcrn_pk" in out.stdout
    assert "k_on = 13416 1/(uM*day)" in out.stdout and "Shah & Betts 2012" in out.stdout
    # a fitted parameter shows its 95 % interval and the fit problem it came from
    assert re.search(r"- k_recycle = [0-9.]+ 1/day \[fitted: 95 % CI [0-9.]+ to [0-9.]+, from fits/fcrn_human\]",
                     out.stdout), out.stdout
    # the validation targets concerning the model, from validation/targets.toml
    assert "- PK-07 IgG half-life at normal IgG" in out.stdout and "— passes" in out.stdout
    assert "- PK-16 " in out.stdout and "expected failure: PK-16's ~25 %" in out.stdout
    assert "- AI-03" not in out.stdout                     # an in-vitro target of another model


def test_model_card_check_simulates_its_targets():
    out = ivigsim("models", "--card", "ivig_antitumour", "--check")
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if "[checked now:" in line]
    assert len(lines) == 7
    assert all(line.endswith("[checked now: pass]") for line in lines if "— passes" in line)
    assert any("IL-02" in line and "— passes" in line and line.endswith("[checked now: pass]") for line in lines)


def test_simulate_writes_table_and_figure(tmp_path):
    out = ivigsim("simulate", "fcrn_pk", "--dose", 0.4, "--days", 5, "--every", 28, "--cycles", 3,
                  "--out", tmp_path)
    assert out.returncode == 0, out.stderr
    assert "IgG given: 420.0 g" in out.stdout and "$63,420" in out.stdout
    for name in ("trajectory.csv", "trajectory_untreated.csv", "summary.csv", "regimen.csv", "figure.png"):
        assert (tmp_path / name).stat().st_size > 0
    header = (tmp_path / "trajectory.csv").read_text().splitlines()[0]
    assert header.startswith("t [day],igg_total [g/L]")


def test_simulate_stochastic_model_by_path(tmp_path):
    out = ivigsim("simulate", DATA / "birth_death.toml", "--method", "ssa", "--seed", 3, "--t-end", 5)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("args,words", [
    (("simulate", "fcrn_pk", "--dose", -0.4), "dose must be > 0"),
    (("simulate", "fcrn_pk", "--dose", 0.4, "--param", "k_deg=-1"), "outside its plausible range"),
    (("simulate", "fcrn_pk", "--param", "kdeg=1"), "Did you mean 'k_deg'"),
    (("simulate", "nonexistent_model"), "no model named"),
    (("run", DATA / "missing.toml"), "file not found"),
])
def test_errors_are_clear_and_exit_2(args, words):
    out = ivigsim(*args)
    assert out.returncode == 2
    assert "ivigsim: error:" in out.stderr and words in out.stderr
    assert "Traceback" not in out.stderr


def test_simulate_agent_model_against_the_ode(tmp_path):
    out = ivigsim("simulate", "nk_tumour_abm", "--dose", 1.0, "--days", 1, "--replicates", 8,
                  "--out", tmp_path)
    assert out.returncode == 0, out.stderr
    assert "ODE ivig_antitumour foci" in out.stdout and "extinction probability" in out.stdout
    assert (tmp_path / "foci_distribution.png").stat().st_size > 0
    assert len((tmp_path / "foci_treated.csv").read_text().splitlines()) == 1 + 8
