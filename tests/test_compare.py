"""Model comparisons: variants, shared outputs, differences, verdicts, files and the CLI."""

import argparse

import numpy as np
import pandas as pd
import pytest

from ivigsim.analysis.comparison.core import Variant, compare, parse_variant, relative_difference
from ivigsim.analysis.comparison.cli import add_compare_parser
from ivigsim.errors import IvigsimError

# Three doses of one course, eight weeks: small enough to run in a second or two per variant.
SMALL = """
[experiment]
name = "compare_small"
model = "fcrn_pk"
seed = 1
t_end_days = 56.0
output_step_days = 0.5

[regimens.standard]
kind = "ivig"
days = 5
infusion_hours = 8

[sweep]
method = "grid"

[sweep.variables.dose_g_per_kg]
values = [0.1, 0.4, 1.0]

[metrics.nadir_pct]
kind = "percent_change_min"
output = "autoantibody"

[metrics.igg_peak]
kind = "max"
output = "igg_total"

[metrics.aab_auc]
kind = "auc"
output = "autoantibody"

[metrics.grams]
kind = "grams_given"
"""

# FcRn occupancy exists in fcrn_pk but not in igg_linear (no FcRn at all).
WITH_FCRN_METRIC = SMALL.replace("[metrics.grams]", """[metrics.occupancy_peak]
kind = "max"
output = "fcrn_occupancy"

[plots.occupancy]
kind = "dose_response"
x = "dose_g_per_kg"
metric = "occupancy_peak"

[plots.occupancy_fan]
kind = "fan"
output = "fcrn_occupancy"

[metrics.grams]""")

# Sweeps a parameter that igg_linear does not have.
SWEEPS_FCRN = SMALL.replace('[sweep.variables.dose_g_per_kg]\nvalues = [0.1, 0.4, 1.0]',
                            '[sweep.variables.fcrn_total]\nvalues = [30.0, 60.0]').replace(
    'days = 5\n', 'days = 5\ndose_g_per_kg = 0.4\n', 1)

# nk_cytotoxicity is in % in ivig_autoimmune and dimensionless (1) in ivig_antitumour_human.
UNITS = """
[experiment]
name = "compare_units"
model = "ivig_autoimmune"
seed = 1
t_end_days = 28.0
output_step_days = 0.5

[regimens.standard]
kind = "ivig"
dose_g_per_kg = 0.4
days = 5
infusion_hours = 8

[metrics.nk_lowest]
kind = "min"
output = "nk_cytotoxicity"

[metrics.nk_days_below]
kind = "time_below"
output = "nk_cytotoxicity"
threshold = 50.0

[metrics.grams]
kind = "grams_given"
"""


# Four virtual patients around each variant's own parameter values.
POPULATION = """
[experiment]
name = "compare_population"
model = "fcrn_pk"
seed = 3
t_end_days = 28.0

[regimens.standard]
kind = "ivig"
dose_g_per_kg = 0.4
days = 5
infusion_hours = 8

[sweep]
method = "virtual_population"
n = 4

[sweep.variability.fcrn_total]
cv = 0.25

[metrics.igg_peak]
kind = "max"
output = "igg_total"
"""


def _file(tmp_path, text, name="experiment.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return _file(tmp_path_factory.mktemp("exp"), SMALL)


@pytest.fixture(scope="module")
def full_vs_qss(small, tmp_path_factory):
    return compare(["fcrn_pk", "fcrn_pk_qss"], small, out=tmp_path_factory.mktemp("qss"), workers=1,
                   plots=False)


# --------------------------------------------------------------------------
# variants
# --------------------------------------------------------------------------


def test_variant_text_is_read_into_model_and_parameters():
    v = parse_variant(" fcrn_pk[fcrn_total = 24.9, k_deg=4432] ")
    assert v.model == "fcrn_pk"
    assert dict(v.parameters) == {"fcrn_total": 24.9, "k_deg": 4432.0}
    assert v.label == "fcrn_pk[fcrn_total=24.9,k_deg=4432]"
    assert parse_variant("models/fcrn_pk_qss.toml").label == "fcrn_pk_qss"
    assert parse_variant("fcrn_pk[aab_production=1e-2]").parameters["aab_production"] == 0.01


@pytest.mark.parametrize("text, words", [
    ("", "expected MODEL"),
    ("fcrn_pk[", "not closed"),
    ("fcrn_pk]", "without an opening"),
    ("fcrn_pk[]", "empty brackets"),
    ("[fcrn_total=1]", "no model name"),
    ("fcrn_pk[fcrn_total]", "'fcrn_total' is not name=value"),
    ("fcrn_pk[fcrn_total=abc]", "not a number"),
    ("fcrn_pk[fcrn_total=nan]", "must be finite"),
    ("fcrn_pk[fcrn_total=1,,k_deg=2]", "stray comma"),
    ("fcrn_pk[fcrn_total=1,fcrn_total=2]", "given twice"),
    ("fcrn_pk[fcrn_total=1][k_deg=2]", "nested or repeated"),
    ("fcrn_pk[2x=1]", "not a parameter name"),
    ("fcrn pk", "not a model name"),
])
def test_malformed_variant_text_is_refused_clearly(text, words):
    with pytest.raises(IvigsimError, match="variant") as info:
        parse_variant(text)
    assert words in str(info.value)


def test_relative_difference_handles_zero_and_nan():
    rel = relative_difference([1.0, 0.0, 0.5, np.nan, np.nan, 2.0], [1.0, 0.0, 0.0, np.nan, 1.0, 1.0])
    assert list(rel) == [0.0, 0.0, np.inf, 0.0, np.inf, 1.0]


# --------------------------------------------------------------------------
# comparisons
# --------------------------------------------------------------------------


def test_full_and_quasi_steady_state_fcrn_agree_within_half_a_percent(full_vs_qss):
    c = full_vs_qss
    assert c.verdict == "agree"
    assert set(c.metric_verdicts.values()) == {"agree"}
    # measured (two FcRn pools fitted in fits/fcrn_human, K = (k_off + k_recycle) / k_on in the
    # QSS): nadir 1.4e-6, AUC 5.5e-7, peak 1.3e-7 (2.5e-5, 8.9e-6 and 2.2e-6 with Shah & Betts' 43 nM
    # and k_recycle 30 /day: faster unbinding brings binding nearer equilibrium); the QSS is an
    # approximation, not a copy
    assert 1e-6 < c.worst_relative_difference("nadir_pct") < 1e-5
    assert 3e-7 < c.worst_relative_difference("aab_auc") < 3e-6
    assert 5e-8 < c.worst_relative_difference("igg_peak") < 1e-6
    assert c.worst_relative_difference("grams") == 0.0
    # the same files at a tolerance tighter than the measured difference would differ
    assert (c.metrics["worst_rel_diff"] > 1e-6).any()
    row = c.table[(c.table["metric"] == "igg_peak") & (c.table["point_id"] == 1)].iloc[0]
    ref = c.results["fcrn_pk"].metrics.loc[1, "igg_peak"]
    qss = c.results["fcrn_pk_qss"].metrics.loc[1, "igg_peak"]
    assert row["fcrn_pk"] == ref and row["fcrn_pk_qss"] == qss
    assert row["abs_diff:fcrn_pk_qss"] == pytest.approx(abs(qss - ref), rel=1e-12)
    assert row["rel_diff:fcrn_pk_qss"] == pytest.approx(abs(qss - ref) / abs(ref), rel=1e-12)
    # fcrn_pk's therapy outputs (plasma exchange, FcRn antagonist, viscosity) have no QSS counterpart
    assert {d[1] for d in c.dropped} == {"igg_removed_by_apheresis", "antagonist_concentration",
                                         "fcrn_occupancy_antagonist", "fcrn_occupancy_antagonist_h",
                                         "fcrn_deficit_fraction", "serum_viscosity_cp",
                                         "fcrn_occupancy_surface", "fcrn_occupancy_endothelial",
                                         "antagonist_bound_surface"}
    assert all(d[0] == "output" for d in c.dropped)
    traj = c.trajectories.set_index("output")
    assert traj.loc["autoantibody", "max_diff_rel_to_peak"] < 5e-3


def test_fcrn_saturation_against_linear_clearance_differs(small, tmp_path):
    c = compare(["fcrn_pk", "igg_linear"], small, out=tmp_path, workers=1, plots=False)
    assert c.verdict == "differ"
    verdicts = c.metric_verdicts
    # no FcRn to saturate: the autoantibody never falls (0 %) while fcrn_pk lowers it
    assert verdicts["nadir_pct"] == "differ"
    assert c.worst_relative_difference("nadir_pct") == pytest.approx(1.0)
    assert verdicts["grams"] == "agree"
    assert "differ" in c.summary().splitlines()[-1]
    assert ("output", "fcrn_occupancy", "not an output of igg_linear") in c.dropped


def test_a_model_against_itself_differs_by_exactly_nothing(small, tmp_path):
    c = compare(["fcrn_pk", "fcrn_pk"], small, out=tmp_path, workers=1, plots=False)
    assert [v.label for v in c.variants] == ["fcrn_pk", "fcrn_pk#2"]
    assert (tmp_path / "fcrn_pk").is_dir() and (tmp_path / "fcrn_pk_2").is_dir()
    assert c.verdict == "agree"
    assert (c.table["abs_diff:fcrn_pk#2"] == 0.0).all()
    assert (c.metrics["worst_rel_diff"] == 0.0).all()
    assert (c.trajectories["max_abs_diff"] == 0.0).all()


def test_a_parameter_set_changes_what_it_should_and_nothing_else(small, tmp_path):
    double_aab = Variant("double_aab", "fcrn_pk", {"aab_production": 0.06})     # default 0.03
    c = compare(["fcrn_pk", double_aab, "fcrn_pk[fcrn_total=24.9,fcrn_total_h=0.06825]"], small, out=tmp_path,
                workers=1, plots=False)
    # twice the synthesis, twice the autoantibody exposure (it is too scarce to load FcRn)
    rel = c.table.loc[c.table["metric"] == "aab_auc", "rel_diff:double_aab"]
    assert np.all(np.abs(rel - 1.0) < 1e-3)
    assert c.worst_relative_difference("nadir_pct", "double_aab") < 1e-3
    assert c.worst_relative_difference("igg_peak", "double_aab") < 1e-3
    # half the FcRn of both pools: less recycling, so a lower IgG before treatment (0.67 of it) and
    # a lower peak at every dose
    half = "fcrn_pk[fcrn_total=24.9,fcrn_total_h=0.06825]"
    baseline = {label: c.results[label].trajectories["igg_total"].values[:, 0] for label in ("fcrn_pk", half)}
    assert np.all((baseline[half] / baseline["fcrn_pk"] > 0.65) & (baseline[half] / baseline["fcrn_pk"] < 0.75))
    peak = c.table[c.table["metric"] == "igg_peak"]
    assert np.all(peak[half] < peak["fcrn_pk"])
    assert c.metric_verdicts["igg_peak"] == "differ"
    # the regimen is the same: the grams given do not move at all
    assert c.worst_relative_difference("grams") == 0.0
    assert c.results["double_aab"].provenance["model"] == "fcrn_pk"
    assert c.notes == ()


def test_sampled_values_that_differ_between_variants_are_noted(tmp_path):
    path = _file(tmp_path, POPULATION)
    c = compare(["fcrn_pk", "fcrn_pk[fcrn_total=30]"], path, out=tmp_path / "out", workers=1, plots=False)
    assert c.notes == ("the sampled values of fcrn_total differ between fcrn_pk and fcrn_pk[fcrn_total=30] "
                       "(the sampler draws around each variant's own parameter values); points are matched "
                       "by id",)
    same = compare(["fcrn_pk", "fcrn_pk_qss"], path, out=tmp_path / "out2", workers=1, plots=False)
    assert same.notes == ()


def test_variants_of_different_species_are_compared_on_shared_outputs(tmp_path):
    path = _file(tmp_path, WITH_FCRN_METRIC)
    c = compare(["fcrn_pk", "igg_linear"], path, out=tmp_path / "out", workers=1, plots=False)
    dropped = {(what, name): why for what, name, why in c.dropped}
    assert dropped[("metric", "occupancy_peak")] == "reads 'fcrn_occupancy', which igg_linear lacks"
    assert dropped[("plot", "occupancy")] == "shows metric 'occupancy_peak', which was left out"
    assert dropped[("plot", "occupancy_fan")] == "shows 'fcrn_occupancy', which igg_linear lacks"
    assert dropped[("output", "fcrn_occupancy")] == "not an output of igg_linear"
    assert set(c.metric_verdicts) == {"nadir_pct", "igg_peak", "aab_auc", "grams"}
    assert "occupancy_peak" not in c.results["fcrn_pk"].metrics.columns
    shared = (tmp_path / "out" / "experiment_shared.toml").read_text()
    assert "occupancy" not in shared and "[metrics.aab_auc]" in shared
    assert set(c.trajectories["output"]) == {"igg_total", "igg_endogenous", "ivig", "autoantibody",
                                             "igg_body", "total_catabolised", "intravascular_fraction"}
    assert "fcrn_occupancy" in (tmp_path / "out" / "comparison.md").read_text()


def test_shared_outputs_in_other_units_are_converted_and_thresholds_dropped(tmp_path):
    path = _file(tmp_path, UNITS)
    c = compare(["ivig_autoimmune", "ivig_antitumour_human"], path, out=tmp_path / "out", workers=1,
                plots=False)
    raw = c.results["ivig_antitumour_human"].metrics.loc[0, "nk_lowest"]          # unit 1
    row = c.table[c.table["metric"] == "nk_lowest"].iloc[0]
    assert row["unit"] == "%"
    assert row["ivig_antitumour_human"] == pytest.approx(100.0 * raw, rel=1e-12)
    why = dict(((w, n), r) for w, n, r in c.dropped)[("metric", "nk_days_below")]
    assert "threshold" in why and "% in ivig_autoimmune" in why


def test_an_experiment_that_cannot_run_on_a_variant_names_it_before_anything_runs(tmp_path):
    path = _file(tmp_path, SWEEPS_FCRN)
    with pytest.raises(IvigsimError) as info:
        compare(["fcrn_pk", "igg_linear"], path, out=tmp_path / "out", workers=1)
    message = str(info.value)
    assert "variant 'igg_linear'" in message and "fcrn_total" in message
    assert not (tmp_path / "out" / "fcrn_pk").exists()
    with pytest.raises(IvigsimError, match=r"variant 'fcrn_pk\[no_such=1\]'.*no_such"):
        compare(["fcrn_pk", "fcrn_pk[no_such=1]"], path, out=tmp_path / "out2")
    with pytest.raises(IvigsimError, match="'fcrn_total' is both fixed"):
        compare(["fcrn_pk", "fcrn_pk[fcrn_total=40]"], path, out=tmp_path / "out3")
    with pytest.raises(IvigsimError, match="at least two variants"):
        compare(["fcrn_pk"], path, out=tmp_path / "out4")
    with pytest.raises(IvigsimError, match="variant 'nonexistent'.*does not load"):
        compare(["fcrn_pk", "nonexistent"], path, out=tmp_path / "out5")


# --------------------------------------------------------------------------
# files and command line
# --------------------------------------------------------------------------


def _cli(*argv):
    parser = argparse.ArgumentParser(prog="ivigsim")
    add_compare_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["compare", *map(str, argv)])
    return args.func(args)


def test_cli_writes_the_comparison_and_prints_the_verdict(small, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert _cli("fcrn_pk", "fcrn_pk_qss", "--experiment", small, "--out", out, "--workers", 1) == 0
    printed = capsys.readouterr().out
    assert "verdict: agree" in printed and "nadir_pct" in printed
    for name in ("comparison.csv", "comparison_metrics.csv", "comparison_trajectories.csv", "comparison.md",
                 "figures/metrics.png", "figures/metrics.svg", "figures/trajectories_standard.png",
                 "fcrn_pk/metrics.csv", "fcrn_pk_qss/trajectories.nc"):
        assert (out / name).stat().st_size > 0, name
    table = pd.read_csv(out / "comparison.csv")
    assert len(table) == 4 * 3                                   # metrics x points
    assert {"fcrn_pk", "fcrn_pk_qss", "abs_diff:fcrn_pk_qss", "rel_diff:fcrn_pk_qss"} <= set(table.columns)
    assert "**Verdict: agree**" in (out / "comparison.md").read_text()
    # an earlier comparison is not overwritten by accident
    with pytest.raises(IvigsimError, match="already holds"):
        _cli("fcrn_pk", "fcrn_pk_qss", "--experiment", small, "--out", out)
    # a verdict of differ is still exit status 0, unless asked otherwise
    assert _cli("fcrn_pk", "igg_linear", "--experiment", small, "--out", out, "--overwrite",
                "--workers", 1, "--no-plots") == 0
    assert _cli("fcrn_pk", "igg_linear", "--experiment", small, "--out", out, "--overwrite",
                "--workers", 1, "--no-plots", "--fail-on-differ") == 1
    assert "verdict: differ" in capsys.readouterr().out

