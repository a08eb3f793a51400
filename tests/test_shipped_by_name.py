"""Shipped experiments by name, the command line's polish, regress skipping a missing extra, progress."""

import io
import subprocess
import sys

import pytest

import ivigsim as iv
from conftest import ROOT

EXPERIMENTS = sorted(p.stem for p in (ROOT / "experiments").glob("*.toml"))


def ivigsim(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "ivigsim.interfaces.cli", *map(str, args)], capture_output=True,
                          text=True, **{"cwd": ROOT, **kwargs})


def test_experiments_by_name_from_any_folder(tmp_path):
    assert sorted(iv.experiment_paths()) == EXPERIMENTS
    out = ivigsim("run", "rpl_conception", "--out", tmp_path / "run", "--quiet", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "rpl_conception: 2 points" in out.stdout and "per regimen:" in out.stdout
    res = iv.run_experiment("rpl_conception", out=tmp_path / "api", progress=False)
    assert res.provenance["experiment"] == "rpl_conception"


def test_an_unknown_experiment_name_gets_a_suggestion():
    out = ivigsim("run", "fcrn_dose_respons")
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert "no shipped experiment named 'fcrn_dose_respons' (did you mean 'fcrn_dose_response'?)" in out.stderr


def test_experiments_lists_each_with_description_points_and_time():
    out = ivigsim("experiments")
    assert out.returncode == 0, out.stderr
    from ivigsim.interfaces.listing import experiment_rows
    rows = {r["name"]: r for r in experiment_rows()}
    assert sorted(rows) == EXPERIMENTS
    assert rows["virtual_population"]["points"] == 1000 and rows["fcrn_dose_response"]["points"] == 12
    for name, row in rows.items():
        assert row["expected_seconds"] is not None, f"{name}: no measured run time in experiments/runtimes.json"
        assert f"{name:24s} {row['points']:6d} points" in out.stdout
        assert row["description"][:40] in out.stdout.replace("\n    ", " ")


def test_experiments_readme_catalogues_every_experiment():
    text = (ROOT / "experiments" / "README.md").read_text()
    for name in EXPERIMENTS:
        assert f"`{name}`" in text, name


def test_version_and_a_description_on_every_subcommand():
    out = ivigsim("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"ivigsim {iv.__version__}"
    from ivigsim.interfaces.cli import build_parser
    sub = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, parser in sub.choices.items():
        assert parser.description and len(parser.description) > 20, name
    help_text = ivigsim("simulate", "--help").stdout
    assert "Simulate one patient on a model" in help_text


def test_simulate_lists_every_file_it_wrote_and_explains_na(tmp_path):
    out = ivigsim("simulate", "igg_linear", "--dose", "0.4", "--out", tmp_path / "sim")
    assert out.returncode == 0, out.stderr
    line = next(x for x in out.stdout.splitlines() if x.startswith("wrote "))
    written = sorted(p.name for p in (tmp_path / "sim").iterdir())
    assert written == sorted(line.split(": ", 1)[1].split(", "))
    assert " nan " not in out.stdout
    assert "n/a: the output is zero without treatment" in out.stdout


def test_run_lists_every_file_it_wrote(tmp_path):
    out = ivigsim("run", "fcrn_dose_response", "--out", tmp_path / "r", "--quiet")
    line = next(x for x in out.stdout.splitlines() if x.startswith("wrote "))
    from ivigsim.sweep.locking import LOCK_NAME
    for path in (tmp_path / "r").rglob("*"):
        if path.is_file() and path.name != LOCK_NAME:     # the run's lock is bookkeeping, not listed
            assert path.relative_to(tmp_path / "r").as_posix() in line
    assert LOCK_NAME not in line


def test_regress_skips_an_experiment_whose_extra_is_missing(monkeypatch):
    import ivigsim.sweep.sensitivity as sensitivity
    from ivigsim.analysis.regression import regress
    monkeypatch.setattr(sensitivity, "salib_available", lambda: False)
    report = regress(["sensitivity_sobol"])
    check = report["sensitivity_sobol"]
    assert check.status == "skipped" and report.passed
    assert "needs the optional extra 'sensitivity' (SALib is not installed)" in check.message
    strict = regress(["sensitivity_sobol"], strict=True)
    assert not strict.passed and "--strict makes a skip fail" in strict["sensitivity_sobol"].message


def test_progress_lines_when_not_a_terminal_and_silence_on_request(monkeypatch):
    from ivigsim.interfaces import progress
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(progress, "LINE_EVERY_S", 0.0)
    with progress.bar(3, "sweep", "point") as bar:
        for _ in range(3):
            bar.update()
    assert err.getvalue().splitlines()[-1].startswith("sweep: 3/3 points")
    assert len(err.getvalue().splitlines()) == 3
    err.truncate(0)
    err.seek(0)
    with progress.bar(3, "sweep", progress=False) as bar:
        bar.update(3)
    with progress.quiet():
        progress.note("compiling x (first use, ~10 s)…")
        with progress.bar(3, "sweep") as bar:
            bar.update(3)
    assert err.getvalue() == ""
    progress.note("compiling x (first use, ~10 s)…")
    assert err.getvalue() == "compiling x (first use, ~10 s)…\n"


@pytest.mark.slow
def test_first_compilation_is_announced_and_quiet_silences_it(tmp_path):
    env = {**__import__("os").environ, "IVIGSIM_CACHE_DIR": str(tmp_path / "kernels")}
    out = ivigsim("simulate", "igg_linear", "--t-end", "10", env=env)
    assert out.returncode == 0, out.stderr
    assert "compiling igg_linear (first use, ~10 s)…" in out.stderr
    again = ivigsim("simulate", "igg_linear", "--t-end", "10", env=env)
    assert "compiling" not in again.stderr                        # compiled once, cached on disk
    env["IVIGSIM_CACHE_DIR"] = str(tmp_path / "other")
    quiet = ivigsim("--quiet", "simulate", "igg_linear", "--t-end", "10", env=env)
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_experiments_listing_survives_a_missing_extra(monkeypatch, capsys):
    import ivigsim.sweep.sensitivity as sensitivity
    from ivigsim.interfaces.listing import cmd_experiments
    monkeypatch.setattr(sensitivity, "salib_available", lambda: False)
    assert cmd_experiments(None) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("sensitivity_sobol"))
    assert "needs the 'sensitivity' extra: pip install 'ivigsim[sensitivity]'" in line
