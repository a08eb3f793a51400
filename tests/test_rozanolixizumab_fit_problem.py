"""The rozanolixizumab fit problem (fits/rozanolixizumab): its data, and the optimum that rejects the fcra structure."""

import csv
import importlib.util
import re
import tomllib

import numpy as np
import pytest

import ivigsim as iv
from conftest import ROOT

PROBLEM = ROOT / "fits" / "rozanolixizumab"


def _module(name):
    spec = importlib.util.spec_from_file_location(f"rozanolixizumab_{name}", PROBLEM / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_tsv(name):
    with open(PROBLEM / name, newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.fixture(scope="module")
def derive():
    return _module("derive_data")


def test_measurements_are_the_published_models_typical_curves(derive):
    rows = read_tsv("measurements.tsv")
    for dose in derive.DOSES_MG_PER_KG:
        cid = f"iv_{dose:g}_mg_per_kg"
        table = {float(r["time"]): float(r["measurement"]) for r in rows if r["simulationConditionId"] == cid}
        for t, c in zip(derive.TIMES_DAYS, derive.typical_profile(dose, derive.TIMES_DAYS)):
            if c >= derive.FLOOR_UG_PER_ML:
                assert table[t] == pytest.approx(c, rel=1e-3)
            else:
                assert t not in table


def test_typical_curves_are_target_mediated(derive):
    """Free drug far under dose-proportional at 1 mg/kg, where FcRn takes most of the dose."""
    c1, c7 = (derive.typical_profile(d, (0.25,))[0] for d in (1.0, 7.0))
    assert c1 * 7.0 < 0.15 * c7
    # the binding capacity of the central volume, 147 nM, is about 22 mg/L
    assert derive.RTOT == pytest.approx(21.76, rel=1e-3)


def test_tables_are_consistent_and_pass_the_linter():
    observables = {r["observableId"] for r in read_tsv("observables.tsv")}
    conditions = {r["conditionId"] for r in read_tsv("conditions.tsv")}
    assert set(tomllib.loads((PROBLEM / "ivigsim.toml").read_text())["conditions"]) == conditions
    for row in read_tsv("measurements.tsv"):
        assert row["observableId"] in observables and row["simulationConditionId"] in conditions
    petab = pytest.importorskip("petab.v1")
    from petab.v1 import lint
    assert lint.lint_problem(petab.Problem.from_yaml(str(PROBLEM / "problem.yaml"))) is False


def test_iv_route_is_the_first_in_human_infusion_and_not_labelled():
    regimen = iv.Regimen.fcrn_antagonist("rozanolixizumab", dose_mg_per_kg=7.0, doses=1, route="iv")
    (adm,) = regimen.administrations
    assert adm.route == "iv" and adm.duration_day == pytest.approx(1.0 / 24.0)
    assert iv.Regimen.fcrn_antagonist("rozanolixizumab", dose_mg_per_kg=7.0).administrations[0].route == "sc"


def test_fitted_optimum_reproduces_and_is_the_structural_misfit_the_readme_reports():
    ref = _module("calibrate")._reference_fit()
    objective = ref.Objective(*ref.load_problem())
    fitted = tomllib.loads((PROBLEM / "fitted.toml").read_text())
    best = np.log10([fitted[name]["value"] for name in objective.names])
    residuals = objective.residuals(best)
    recorded = float(re.search(r"objective \(sum of squared weighted residuals\) ([0-9.e+-]+)",
                               (PROBLEM / "fitted.toml").read_text()).group(1))
    assert float(np.sum(residuals ** 2)) == pytest.approx(recorded, rel=1e-3)
    # the drug's own distribution and FcRn-independent clearance estimated too: 1046.7 -> 598.0,
    # still one residual of 24 sigma (1 mg/kg at 6 h) and values on their bounds or unbounded
    assert len(residuals) == 9 and 550 < recorded < 650 and np.max(np.abs(residuals)) > 20
    assert np.sum(residuals ** 2) - np.max(residuals ** 2) < 20.0                 # the other 8 within 2.9 sigma
    assert fitted["fcra_capture_h"]["value"] == pytest.approx(1000.0, rel=1e-3)     # on its upper bound
    low, high = fitted["fcra_complex_deg"]["ci95"]
    assert high / low > 1e6                                                        # not identified
    # no dose dependence: at 1 mg/kg the model's free drug at 6 h is several times the data's
    predicted = objective.simulate(best)
    first = [(float(r["measurement"]), p) for r, p in zip(objective.measurements, predicted)
             if r["simulationConditionId"] == "iv_1_mg_per_kg" and float(r["time"]) == 0.25]
    assert first[0][1] > 5 * first[0][0]
