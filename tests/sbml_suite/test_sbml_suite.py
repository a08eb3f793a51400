"""SBML Test Suite semantic cases through the importer and the solver.

The default run takes the cases vendored in ``cases/`` (a subset across the
suite's feature tags; see README.md) and checks each against the outcome
recorded in ``expected_outcomes.txt``: a case recorded as passing must match
the suite's expected values within its own tolerances, and a refused one must
be refused with an IvigsimError. No case may crash or give a wrong result.

``pytest -m slow`` with ``SBML_TEST_SUITE`` set to a checkout's
``cases/semantic`` directory runs every case there and rewrites RESULTS.md
(``SBML_TEST_SUITE_FIRST`` and ``SBML_TEST_SUITE_EVERY`` narrow the run to the
first N cases, or every n-th).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import sbml_suite_harness as harness

HERE = Path(__file__).parent
CASES = HERE / "cases"


def _expected_outcomes():
    table = {}
    for line in (HERE / "expected_outcomes.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            case, outcome = line.split()[:2]
            table[case] = outcome
    return table


EXPECTED = _expected_outcomes()


def test_every_vendored_case_has_an_expected_outcome():
    vendored = sorted(p.name for p in CASES.iterdir() if p.is_dir())
    assert vendored == sorted(EXPECTED)
    assert set(EXPECTED.values()) <= {"pass", "refused"}
    assert (CASES / "LICENSE.txt").exists()


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_vendored_case(case):
    outcome = harness.run_case(CASES / case)
    assert outcome.outcome == EXPECTED[case], f"{case}: {outcome.outcome}: {outcome.reason}"
    if outcome.outcome == "refused":
        # a refusal names what is refused, never an internal error
        assert outcome.reason and "Error" not in outcome.reason.split(":")[0]


def test_pass_rule_is_the_suites():
    settings = harness.Settings(0, 1, 1, ["S"], atol=1e-6, rtol=1e-3, amount={"S"}, concentration=set())
    expected = np.array([[1.0], [0.0]])
    assert harness.within_rule(expected + [[1e-3 + 0.9e-6], [0.9e-6]], expected, settings)
    assert not harness.within_rule(expected + [[1e-3 + 1.1e-6], [0.0]], expected, settings)
    assert not harness.within_rule(expected + [[0.0], [1.1e-6]], expected, settings)
    assert not harness.within_rule(np.array([[np.nan], [0.0]]), expected, settings)
    assert not harness.within_rule(np.array([[1.0]]), expected, settings)


def test_settings_are_read_from_the_suites_file():
    s = harness.read_settings(CASES / "00001" / "00001-settings.txt")
    assert (s.start, s.duration, s.steps) == (0.0, 5.0, 50)
    assert s.variables == ["S1", "S2"] and s.amount == {"S1", "S2"} and not s.concentration
    assert (s.atol, s.rtol) == (1e-7, 1e-4)


def test_a_wrong_value_is_reported_as_wrong(tmp_path):
    import shutil
    case = tmp_path / "00001"
    shutil.copytree(CASES / "00001", case)
    lines = (case / "00001-results.csv").read_text().splitlines()
    t, s1, s2 = lines[5].split(",")
    lines[5] = f"{t},{float(s1) * 1.01!r},{s2}"
    (case / "00001-results.csv").write_text("\n".join(lines) + "\n")
    outcome = harness.run_case(case)
    assert outcome.outcome == "wrong" and outcome.reason.startswith("S1 at t = ")


def test_results_table_counts_and_groups_refusals():
    outcomes = [harness.Outcome("1", "pass"), harness.Outcome("2", "refused", "events"),
                harness.Outcome("3", "refused", "events"), harness.Outcome("4", "crash", "KeyError: 'x'")]
    text = harness.results_markdown(outcomes, "t")
    assert "**1 of 4 cases pass (25.0 %).**" in text
    assert "| 2 | events | 2, 3 |" in text and "| 1 | KeyError: 'x' | 4 |" in text


@pytest.mark.slow
def test_whole_suite():
    root = os.environ.get("SBML_TEST_SUITE")
    if not root:
        pytest.skip("set SBML_TEST_SUITE to a checkout's cases/semantic directory")
    first = int(os.environ.get("SBML_TEST_SUITE_FIRST", "0")) or None
    every = int(os.environ.get("SBML_TEST_SUITE_EVERY", "1"))
    outcomes = [harness.run_case(case) for case in harness.select_cases(root, first, every)]
    note = (f"Cases: {len(outcomes)} of {root}" + (f", numbered up to {first}" if first else "")
            + (f", every {every}th" if every > 1 else "") + ".")
    text = harness.results_markdown(outcomes, "SBML Test Suite: ivigsim", note)
    tmp = HERE / "RESULTS.md.tmp"
    tmp.write_text(text)
    tmp.replace(HERE / "RESULTS.md")
    bad = [o for o in outcomes if o.outcome in ("crash", "wrong")]
    assert not bad, "; ".join(f"{o.case} {o.outcome}: {o.reason}" for o in bad[:10])


@pytest.mark.parametrize("case", ["00001", "00028", "00039", "01511"])
def test_tape_kernel_gives_the_vendored_outcome(case):
    # the whole-suite run compiles every case as a tape kernel (--kernel tape); a function the tape has
    # no form for (00028: ceiling) falls back to straight-line code, and the outcome is the same
    harness.set_kernel_style("tape")
    try:
        outcome = harness.run_case(CASES / case)
    finally:
        harness.set_kernel_style("auto")
    assert outcome.outcome == EXPECTED[case], f"{case}: {outcome.outcome}: {outcome.reason}"


def test_resume_skips_recorded_cases_and_a_case_the_process_died_in_twice_is_a_crash(tmp_path):
    record = tmp_path / "run.json"
    record.write_text('{"case": "00001", "outcome": "started"}\n'
                      '{"case": "00001", "outcome": "pass", "reason": "", "tags": "", "seconds": 1.0}\n'
                      '{"case": "00003", "outcome": "started"}\n'
                      '{"case": "00003", "outcome": "started"}\n'
                      '{"case": "00007", "outcome": "started"}\n')
    outcomes = {o.case: o for o in harness.read_outcomes(record)}
    assert outcomes["00001"].outcome == "pass"
    assert outcomes["00003"].outcome == "crash" and "died" in outcomes["00003"].reason
    assert "00007" not in outcomes                # died once: run again on resume
    harness.main([str(CASES), "--cases", "1,3,7", "--json", str(record), "--resume",
                  "--results", str(tmp_path / "out.md")])
    again = {o.case: o for o in harness.read_outcomes(record)}
    assert again["00001"].seconds == 1.0          # recorded: not run again
    assert again["00003"].outcome == "crash"      # a crash on record: not run again either
    assert again["00007"].outcome == "pass"
    assert "**2 of 3 cases pass (66.7 %).**" in (tmp_path / "out.md").read_text()


def test_results_compare_both_engines_on_their_common_cases():
    mine = [harness.Outcome("00001", "pass"), harness.Outcome("00002", "refused", "events"),
            harness.Outcome("00003", "pass"), harness.Outcome("00004", "pass")]
    theirs = [harness.Outcome("00001", "pass"), harness.Outcome("00002", "pass"),
              harness.Outcome("00003", "wrong", "values differ")]
    text = harness.comparison_markdown(mine, theirs, every=2, history=["| earlier | 1 | 0 (0.0 %) | 0 | 1 | 0 |"])
    assert "| earlier | 1 |" in text
    assert "| **ivigsim, cases 1–3** | 3 | 2 (66.7 %) | 0 | 1 | 0 |" in text      # case 4: not in both
    assert "| libRoadRunner, cases 1–3 | 3 | 2 (66.7 %) | 1 | 0 | 0 |" in text
    assert "| ivigsim, every 2th case | 2 | 2 (100.0 %) | 0 | 0 | 0 |" in text   # cases 1 and 3
    assert "ivigsim only: 00003." in text and "libRoadRunner only: 00002." in text
    assert "00003 (values differ)" in text
    # a case missing from one run: the rows say how many of the range, and the other engine's whole run
    text = harness.comparison_markdown(mine, theirs + [harness.Outcome("00004", "pass"), harness.Outcome("00005", "pass")],
                                       every=2)
    assert "| **ivigsim, cases 1–4** | 4 |" in text
    assert "| libRoadRunner, cases 1–5 | 5 | 4 (80.0 %) | 1 | 0 | 0 |" in text
    text = harness.comparison_markdown(mine[:2] + mine[3:], theirs + [harness.Outcome("00004", "pass")], every=2)
    assert "| **ivigsim, 3 of cases 1–4** | 3 |" in text
    assert "| ivigsim, every 2th case | 1 | 1 (100.0 %) |" in text              # case 1 (case 3 not run)
