"""Fit problems: PEtab round trip, the petab linter, and a clear error for every bad input."""

import numpy as np
import pytest

from ivigsim.analysis.fitting import FitProblemError, load_problem
from ivigsim.analysis.fitting.objective import Objective

from fit_helpers import DIDACTIC, copy_problem, edit, multi_condition


def test_written_problem_reads_back_with_the_same_objective(tmp_path):
    source = multi_condition(tmp_path, sigma="sigma_igg",
                             extra_parameters="sigma_igg\tsigma\tlog10\t0.01\t1\t0.1\t1\n")
    problem = load_problem(source)
    written = problem.to_petab(tmp_path / "copy")
    again = load_problem(written)
    x = np.array([np.log10(0.004), np.log10(0.05), np.log10(25.0), np.log10(0.1)])
    assert Objective(again).nll(x) == Objective(problem).nll(x)
    assert again.conditions == problem.conditions
    assert again.parameters == problem.parameters
    assert (written / "model.xml").read_text().startswith("<?xml")
    with pytest.raises(FitProblemError, match="already holds a fit problem"):
        problem.to_petab(written)


def test_exported_tables_pass_the_petab_linter(tmp_path):
    petab = pytest.importorskip("petab.v1")
    from petab.v1 import lint
    for name, source in (("didactic", DIDACTIC), ("multi", multi_condition(tmp_path))):
        written = load_problem(source).to_petab(tmp_path / f"out_{name}")
        problem = petab.Problem.from_yaml(str(written / "problem.yaml"))
        assert lint.lint_problem(problem) is False          # False: no errors found
    shipped = petab.Problem.from_yaml(str(DIDACTIC / "problem.yaml"))
    assert lint.lint_problem(shipped) is False


# (file, text to replace, replacement, expected words in the message)
BAD = [
    ("measurements.tsv", "igg_total_serum\tcourse_2g_per_kg\t1\t", "igg_serum\tcourse_2g_per_kg\t1\t",
     r"measurements.tsv: row 3, column 'observableId': unknown observable 'igg_serum'"),
    ("measurements.tsv", "course_2g_per_kg\t2\t", "course_1g\t2\t",
     r"measurements.tsv: row 4, column 'simulationConditionId': unknown condition 'course_1g'"),
    ("measurements.tsv", "\t3\t21.098", "\t3\t-21.098",
     r"measurements.tsv: row 5, column 'measurement': expected a non-negative"),
    ("measurements.tsv", "\t3\t21.098", "\t3\tnan", r"row 5, column 'measurement': expected a finite number"),
    ("measurements.tsv", "\t3\t21.098", "\t3\t0", r"row 5, column 'measurement': expected a positive"),
    ("measurements.tsv", "\t3\t21.098", "\t-3\t21.098", r"row 5, column 'time'"),
    ("observables.tsv", "\t0.08\t", "\t0\t", r"observables.tsv: row 2, column 'noiseFormula': sigma must be a positive"),
    ("observables.tsv", "\t0.08\t", "\t-0.1\t", r"column 'noiseFormula': sigma must be a positive"),
    ("observables.tsv", "\tigg_total\t", "\tigg_totl\t",
     r"row 2, column 'observableFormula': 'igg_totl' is not a species, observable or parameter"),
    ("observables.tsv", "\tigg_total\t", "\t__import__('os')\t", r"row 2, column 'observableFormula'"),
    ("observables.tsv", "\tlog\t", "\tlog2\t", r"column 'observableTransformation'"),
    ("parameters.tsv", "v_plasma\t", "v_plasm\t", r"parameters.tsv: row 3, column 'parameterId': unknown parameter 'v_plasm'"),
    ("parameters.tsv", "0.001\t0.02\t0.0031244", "0.001\t0.002\t0.0031244",
     r"row 2, column 'nominalValue': the bounds \[0.001, 0.002\] exclude the nominal value 0.0031244"),
    ("parameters.tsv", "0.001\t0.02\t0.0031244", "0.00001\t0.02\t0.0031244",
     r"row 2, column 'lowerBound': .* reaches outside the range of 'cl_linear'"),
    ("parameters.tsv", "0.001\t0.02\t0.0031244", "0.02\t0.001\t0.0031244", r"row 2, column 'upperBound'"),
    ("parameters.tsv", "log10\t0.03", "log2\t0.03", r"row 3, column 'parameterScale'"),
    ("parameters.tsv", "34\t1", "34\tyes", r"row 4, column 'estimate': expected 0 or 1"),
    ("conditions.tsv", "conditionName\n", "conditionName\tcl_linearr\n", r"conditions.tsv: row 1, column 'cl_linearr': model 'igg_linear' has no parameter"),
    ("ivigsim.toml", 'model = "igg_linear"', 'model = "igg_lin"', r"ivigsim.toml: \[fit\].model"),
    ("ivigsim.toml", "n_starts = 8", "n_starts = 0", r"\[fit\].n_starts: expected at least 1"),
    ("ivigsim.toml", "dose_g_per_kg = 0.4", "dose_g_per_kg = -0.4", r"\[conditions.course_2g_per_kg\]"),
    ("ivigsim.toml", "[conditions.course_2g_per_kg]", "[conditions.other]",
     r"ivigsim.toml: \[conditions.course_2g_per_kg\]: condition 'course_2g_per_kg' of conditions.tsv needs"),
]


@pytest.mark.parametrize("filename, old, new, message", BAD, ids=[f"{b[0]}:{b[3][:40]}" for b in BAD])
def test_bad_input_is_refused_naming_file_row_and_column(tmp_path, filename, old, new, message):
    d = copy_problem(tmp_path)
    if filename == "ivigsim.toml" and "[conditions.other]" in new:
        edit(d / filename, "[conditions.course_2g_per_kg.regimen]", "[conditions.other.regimen]")
    edit(d / filename, old, new)
    with pytest.raises(FitProblemError, match=message) as info:
        load_problem(d)
    assert "\n" not in str(info.value)


def test_a_clamp_outside_the_model_range_is_refused(tmp_path):
    d = multi_condition(tmp_path)
    edit(d / "conditions.tsv", "\t8\n", "\t-8\n")
    with pytest.raises(FitProblemError, match=r"conditions.tsv: row 3, column 'igg_production': -8 is outside"):
        load_problem(d)


def test_a_sigma_parameter_must_be_positive_and_present(tmp_path):
    d = multi_condition(tmp_path, sigma="sigma_igg", extra_parameters="sigma_igg\tsigma\tlin\t0\t1\t0.1\t1\n")
    with pytest.raises(FitProblemError, match=r"row 5, column 'lowerBound': sigma must be positive"):
        load_problem(d)
    d = multi_condition(tmp_path / "b", sigma="sigma_igg")
    with pytest.raises(FitProblemError, match=r"sigma parameter 'sigma_igg' is used in the noise model"):
        load_problem(d)


def test_a_failing_start_is_recorded_and_the_others_go_on(tmp_path, monkeypatch):
    import ivigsim as iv
    from ivigsim.errors import SolverError
    from ivigsim.analysis.fitting import objective as module
    original = module.Objective.residuals

    def flaky(self, x, sim=None):
        if x[0] > np.log10(0.01):                  # high clearances "fail" to integrate
            raise SolverError("integration failed: test", 2)
        return original(self, x, sim)

    monkeypatch.setattr(module.Objective, "residuals", flaky)
    result = iv.fit(DIDACTIC, n_starts=8, profiles=False, progress=False)
    failed = [s for s in result.starts if not s.ok]
    assert failed and all("SolverError: integration failed: test" in s.reason for s in failed)
    assert all(np.isinf(s.objective) for s in failed)
    assert any(s.ok for s in result.starts)
