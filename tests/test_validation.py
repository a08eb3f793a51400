"""The literature validation suite: every published target, its outcome, the report and the reader.

The whole suite runs once (module fixture); each target's outcome must equal
the ``expected`` of ``validation/targets.toml``, both ways, like
``xfail(strict=True)``: a target that stops passing fails here, and so does
an expected failure that starts passing.
"""

import argparse
import base64
import csv
import time

import pytest

from conftest import ROOT
from ivigsim.errors import IvigsimError, ModelFileError
from ivigsim.analysis.validation import (TargetFileError, format_summary, load_targets, registry, targets_for_model,
                                validate)
from ivigsim.analysis.validation.cli import add_validate_parser

TARGETS = ROOT / "validation" / "targets.toml"
# Every ID of the reference list of published targets (sections A to E).
PUBLISHED_IDS = {
    "PK-01", "PK-02", "PK-03", "PK-04", "PK-05", "PK-06", "PK-07", "PK-09", "PK-10", "PK-14", "PK-15",
    "PK-16", "PK-22", "PK-31", "PK-32", "PK-33", "PK-35",
    "AI-01", "AI-02", "AI-03", "AI-05", "AI-06", "AI-14",
    "RPL-01", "RPL-02", "RPL-03", "RPL-07", "RPL-08",
    "ITP-01", "ITP-02",
    "CA-01", "CA-02", "CA-03", "CA-04", "TU-01", "TU-02",
    "NK-01", "NK-02", "NK-03", "NK-04", "IL-01", "IL-02",
}
# Targets beyond the reference list (PK-40: replacement troughs in primary immunodeficiency).
PUBLISHED_IDS |= {"PK-40"}
# The therapies beside IVIG: human FcRn deficiency, the FcRn antagonists' IgG lowering, plasma exchange.
PUBLISHED_IDS |= {"TH-01", "TH-02", "TH-03", "TH-04", "TH-05", "TH-06"}
EXPECTED = {t.id: t.expected for t in load_targets(TARGETS)}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("validation")
    start = time.perf_counter()
    report = validate(out=out)
    wall = time.perf_counter() - start
    print(f"\nvalidation suite: {len(report)} targets, {report.simulations} simulations, checks "
          f"{report.seconds:.1f} s, with the report {wall:.1f} s")
    return report, out


# --------------------------------------------------------------------------
# the targets
# --------------------------------------------------------------------------

@pytest.mark.parametrize("target_id", sorted(EXPECTED))
def test_outcome_is_as_expected(run, target_id):
    row = run[0].row(target_id)
    assert row.outcome != "error", row.reason
    assert row.outcome == row.expected, f"{target_id}: {row.outcome}, expected {row.expected}: {row.reason}"


def test_every_published_target_is_in_the_file():
    assert set(EXPECTED) == PUBLISHED_IDS


def test_expected_failures_say_why_and_unmodelled_ones_say_so():
    for target in load_targets(TARGETS):
        if target.expected == "fail":
            assert len(target.reason) > 40, target.id
        if target.check == "not_modelled":
            assert target.expected == "fail" and target.reason.startswith("not modelled:"), target.id


def test_every_criterion_must_hold(run):
    """PK-16: timing and recovery hold, the magnitude (primary) does not, so the target fails."""
    row = run[0].row("PK-16")
    passed = {c.criterion.output: c.passed for c in row.criteria}
    assert passed == {"reduction": False, "nadir_day": True, "recovering": True}
    assert row.outcome == "fail"
    pk06 = run[0].row("PK-06")
    assert {c.criterion.output: c.passed for c in pk06.criteria} == {"direction": True, "hyper_over_kim": True,
                                                                     "hypo_over_kim": True}
    assert pk06.outcome == "pass"
    # a target no model represents shows "not modelled" and no value (whichever are left)
    for target in load_targets(TARGETS):
        if target.check == "not_modelled":
            unmodelled = run[0].row(target.id)
            assert unmodelled.simulated == "not modelled" and unmodelled.value is None


# --------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------

def test_report_files_name_every_target(run):
    report, out = run
    with open(out / "summary.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["id"] for r in rows} == PUBLISHED_IDS
    assert all(r["outcome"] == r["expected"] for r in rows)
    markdown = (out / "report.md").read_text(encoding="utf-8")
    html = (out / "report.html").read_text(encoding="utf-8")
    for target_id in PUBLISHED_IDS:
        assert f"### {target_id}\n" in markdown
        assert f"figures/{target_id}.png" in markdown
        assert f"id='{target_id}'" in html
        png = out / "figures" / f"{target_id}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    images = html.count("src='data:image/png;base64,")
    assert images == len(PUBLISHED_IDS)
    first = html.split("src='data:image/png;base64,")[1].split("'")[0]
    assert base64.b64decode(first)[:4] == b"\x89PNG"
    assert "src='figures/" not in html                                # self-contained: no file links


def test_summary_counts_add_up(run):
    report = run[0]
    groups = report.summary()
    total = groups[-1]
    assert total.group == "all" and total.total == len(PUBLISHED_IDS)
    assert sum(g.total for g in groups[:-1]) == total.total
    for g in groups:
        assert g.passed + g.failed + g.errors == g.total
    assert total.passed == sum(r.outcome == "pass" for r in report)
    assert total.expected_failures == sum(v == "fail" for v in EXPECTED.values())
    assert total.unexpected == 0
    text = format_summary(report)
    assert f"| **all** | {total.passed} / {total.total} | {total.expected_failures} | 0 |" in text
    assert [line.split(" | ")[0].lstrip("| ") for line in text.splitlines()[2:-1]] == list(report.groups)


# --------------------------------------------------------------------------
# running parts of the suite, failures of checks
# --------------------------------------------------------------------------

def test_a_check_that_raises_becomes_an_error_row(monkeypatch, tmp_path):
    def broken(ctx, **conditions):
        raise RuntimeError("integration blew up")

    monkeypatch.setitem(registry.REGISTRY, "tracer_half_life", broken)
    report = validate(out=tmp_path, ids=["PK-07", "PK-01", "TU-01"])
    assert [r.id for r in report] == ["PK-01", "PK-07", "TU-01"]
    broken_row = report.row("PK-07")
    assert broken_row.outcome == "error" and "integration blew up" in broken_row.reason
    assert report.row("PK-01").outcome == "pass" and report.row("TU-01").outcome == "pass"
    assert report.summary()[-1].errors == 1 and report.unexpected == (broken_row,)
    assert (tmp_path / "figures" / "PK-07.png").stat().st_size > 0
    assert "integration blew up" in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_units_convert_and_incompatible_units_are_an_error(tmp_path):
    text = TARGETS.read_text(encoding="utf-8")
    in_hours = text.replace('range = [21.0, 23.0]\nunit = "day"', 'range = [504.0, 552.0]\nunit = "h"')
    assert in_hours != text
    path = tmp_path / "hours.toml"
    path.write_text(in_hours, encoding="utf-8")
    row = validate(ids=["PK-07"], path=path).row("PK-07")
    assert row.outcome == "pass" and 504.0 <= row.value <= 552.0            # 21.75 days in hours
    path.write_text(text.replace('range = [21.0, 23.0]\nunit = "day"', 'range = [21.0, 23.0]\nunit = "g/L"'))
    row = validate(ids=["PK-07"], path=path).row("PK-07")
    assert row.outcome == "error" and "'day'" in row.reason and "'g/L'" in row.reason


def test_selection_by_id_and_by_model():
    assert [r.id for r in validate(models=["nk_tumour_abm"])] == ["NK-02", "NK-03", "NK-04"]
    with pytest.raises(IvigsimError, match="no target PK-99"):
        validate(ids=["PK-99"])


def test_targets_for_model_lists_its_targets():
    fcrn = targets_for_model("fcrn_pk")
    ids = [t.id for t in fcrn]
    assert {"PK-01", "PK-07", "PK-16", "PK-22"} <= set(ids)
    assert all(i.startswith(("PK-", "TH-")) for i in ids)
    pk16 = fcrn[ids.index("PK-16")]
    assert pk16 == (pk16.id, pk16.quantity, "fail", pk16.reason) and "Bleeker" in pk16.reason
    assert [t.id for t in targets_for_model("nk_tumour_abm")] == ["NK-02", "NK-03", "NK-04"]
    assert targets_for_model("no_such_model") == []


def test_cli_writes_the_report(tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="ivigsim")
    add_validate_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["validate", "--out", str(tmp_path), "--only", "AI-03", "PK-16"])
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    assert "| **all** | 1 / 2 | 1 | 0 | 2 / 2 |" in printed
    assert (tmp_path / "figures" / "AI-03.png").is_file() and (tmp_path / "report.html").is_file()


# --------------------------------------------------------------------------
# the reader refuses malformed files, naming the file and the key
# --------------------------------------------------------------------------

PK07 = 'id = "PK-07"\n'
PK07_SOURCE = 'source = "standard physiology (e.g. Qi & Cao, Int J Mol Sci 2021: about 21 days)"\n'


@pytest.mark.parametrize("old, new, key, words", [
    (PK07, PK07 + 'units = "day"\n', "PK-07.units", "unknown field"),
    (PK07_SOURCE, "", "PK-07.source", "required"),
    ("range = [21.0, 23.0]", "range = [23.0, 21.0]", "PK-07.range", "low <= high"),
    ("range = [21.0, 23.0]", "range = [21.0]", "PK-07.range", r"\[low, high\]"),
    ("range = [21.0, 23.0]", 'range = [21.0, "23"]', "PK-07.range", "a number"),
    ("range = [21.0, 23.0]", "range = [nan, 23.0]", "PK-07.range", "finite"),
    ('range = [21.0, 23.0]\nunit = "day"\n', "range = [21.0, 23.0]\n", "PK-07.unit", "unit"),
    ('check = "tracer_half_life"', 'check = "tracer_halflife"', "PK-07.check", "no validation check"),
    ("tracer_dose_g_per_kg = 0.0005\nwindow_days = [14.0, 60.0]\n\n[[target]]\nid = \"PK-09\"",
     "tracer_dose = 0.0005\nwindow_days = [14.0, 60.0]\n\n[[target]]\nid = \"PK-09\"",
     "PK-07.conditions.tracer_dose_g_per_kg", "needs this condition"),
    ('body_weight_kg = 70.0\nregimen = { kind = "ivig", dose_g_per_kg = 0.4, days = 5, infusion_hours = 8.0 }\n'
     't_end_day = 28.0\n',
     'body_weight_kg = 70.0\nregimen = { kind = "ivig", dose_g_per_kg = 0.4, days = 5, infusion_hours = 8.0 }\n'
     't_end_day = 28.0\nrtol = 1e-9\n', "PK-09.conditions.rtol", "takes no condition"),
    ('regimen = { kind = "ivig", dose_g_per_kg = 0.4, days = 5, infusion_hours = 8.0 }\nt_end_day = 28.0',
     'regimen = { kind = "ivg", dose_g_per_kg = 0.4, days = 5, infusion_hours = 8.0 }\nt_end_day = 28.0',
     "PK-09.conditions.regimen", "unknown regimen kind"),
    ('output = "half_life"\nmodels = ["fcrn_pk"]', 'output = "half_life"\nmodels = ["fcrn_pkk"]',
     "PK-07.models", "no model named 'fcrn_pkk'"),
    ('check = "tracer_half_life"\nexpected = "pass"', 'check = "tracer_half_life"\nexpected = "fail"',
     "PK-07.reason", "needs the reason"),
    ('check = "tracer_half_life"\nexpected = "pass"', 'check = "tracer_half_life"\nexpected = "passes"',
     "PK-07.expected", "pass"),
    ('id = "PK-09"', 'id = "PK-07"', "PK-07.id", "appears twice"),
    ('id = "PK-09"', 'id = "PK9"', "PK9.id", "an ID such as"),
    (PK07 + 'group = "FcRn PK"', PK07 + 'group = "FcRn"', "PK-07.group", "unknown mechanism group"),
    ('range_basis = "published range"\noutput = "half_life"',
     'range_basis = "published range"\ndirection = "down"\noutput = "half_life"', "PK-07.range", "either"),
    ('unit = "day"\nrange_basis = "3-4 weeks after the course"',
     'unit = "day"\nrange_basis = "3-4 weeks after the course"\nlimit = 2', "PK-16.also[0].limit", "unknown field"),
])
def test_reader_names_file_and_key(tmp_path, old, new, key, words):
    text = TARGETS.read_text(encoding="utf-8")
    assert old in text, old
    bad = tmp_path / "bad_targets.toml"
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(TargetFileError, match=words) as err:
        load_targets(bad)
    assert err.value.key == key
    assert str(bad) in str(err.value)
    assert isinstance(err.value, ModelFileError)


def test_reader_refuses_broken_toml_and_missing_files(tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text("[groups\n", encoding="utf-8")
    with pytest.raises(TargetFileError, match="not valid TOML") as err:
        load_targets(bad)
    assert str(bad) in str(err.value)
    with pytest.raises(TargetFileError, match="file not found"):
        load_targets(tmp_path / "missing.toml")
    empty = tmp_path / "empty.toml"
    empty.write_text('[groups]\nA = "a"\n', encoding="utf-8")
    with pytest.raises(TargetFileError, match="required") as err:
        load_targets(empty)
    assert err.value.key == "target"
