"""The shipped FcRn recalibration (fits/fcrn_human): its data, its optimum, and the model files that carry it."""

import csv
import tomllib

import numpy as np
import pytest

import ivigsim as iv
from conftest import ROOT, load_script

PROBLEM = ROOT / "fits" / "fcrn_human"
FITTED = ("cl_uptake", "k_deg", "cl_uptake_h", "fcrn_total_h")
MODELS = ("fcrn_pk", "fcrn_pk_qss", "ivig_autoimmune")


def read_tsv(name):
    with open(PROBLEM / name, newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


@pytest.fixture(scope="module")
def calibrate():
    return load_script(PROBLEM / "calibrate.py", "calibrate")


@pytest.fixture(scope="module")
def fitted():
    return tomllib.loads((PROBLEM / "fitted.toml").read_text())


def test_tables_hold_the_data_of_data_folder():
    kim = read_csv(ROOT / "data" / "igg_concentration_catabolism.csv")
    conditions = {r["conditionId"]: r for r in read_tsv("conditions.tsv")}
    measured = {r["simulationConditionId"]: float(r["measurement"]) for r in read_tsv("measurements.tsv")
                if r["observableId"] == "igg_total_serum"}
    for row in kim:
        cid = "kim_c" + row["igg_g_per_l"].replace(".", "p")
        assert float(conditions[cid]["igg_production"]) == pytest.approx(float(row["synthesis_mg_per_kg_per_day"]))
        assert measured[cid] == pytest.approx(float(row["igg_g_per_l"]))
        # the synthesis holds that level under Kim et al.'s law: S = FCR x C x V1
        assert float(row["synthesis_mg_per_kg_per_day"]) == pytest.approx(
            float(row["fcr_per_day"]) * float(row["igg_g_per_l"]) * 42.0, rel=1e-5)
    bleeker = read_csv(ROOT / "data" / "autoantibody_fcrn_human.csv")
    aab = sorted((float(r["time"]), float(r["measurement"])) for r in read_tsv("measurements.tsv")
                 if r["observableId"] == "autoantibody_serum")
    assert [(t, v / aab[0][1]) for t, v in aab] == [(float(r["day"]), float(r["ratio"])) for r in bleeker]


def test_petab_tables_pass_the_linter():
    petab = pytest.importorskip("petab.v1")
    from petab.v1 import lint
    assert lint.lint_problem(petab.Problem.from_yaml(str(PROBLEM / "problem.yaml"))) is False


def test_model_files_carry_the_fitted_values(fitted):
    for name in MODELS:
        spec = iv.load_model(name)
        for pname in FITTED:
            par = spec.parameters[spec.parameter_index(pname)]
            assert par.value == pytest.approx(fitted[pname]["value"], rel=1e-5), (name, pname)
            assert par.ci95 == pytest.approx(tuple(fitted[pname]["ci95"]), rel=1e-3), (name, pname)
            assert par.fitted_in == "fits/fcrn_human" and "fits/fcrn_human" in par.source


def test_shipped_values_are_the_optimum(calibrate, fitted):
    objective = calibrate.Objective(*calibrate.load_problem())
    best = np.log10([fitted[name]["value"] for name in objective.names])

    def cost(x):
        return float(np.sum(objective.residuals(x) ** 2))

    at_best = cost(best)
    for k in range(len(best)):
        for step in (-0.02, 0.02):                    # +/- 4.7 % in the parameter
            moved = best.copy()
            moved[k] += step
            assert cost(moved) > at_best, objective.names[k]
    # the 95 % interval holds the value and is narrower than a factor 4 either way (identified)
    for name in objective.names:
        low, high = fitted[name]["ci95"]
        assert low < fitted[name]["value"] < high and high / low < 16.0, name


def test_kim_law_in_the_same_distribution_gives_the_numbers_the_targets_quote():
    """The reasons of PK-16 and PK-40 compare with Kim et al.'s own law; check what it gives."""
    from conftest import DATA
    kim = iv.load_model(DATA / "kim2007_law.toml")
    course = iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8)
    treated = iv.simulate(kim, regimen=course, t_end=180, body_weight_kg=70)
    untreated = iv.simulate(kim, t_end=180, body_weight_kg=70, t_eval=treated.t)
    ratio = treated["autoantibody"] / untreated["autoantibody"]
    assert untreated["igg_total"][0] == pytest.approx(11.31, abs=0.01)
    assert 100 * (1 - ratio.min()) == pytest.approx(16.7, abs=0.05)          # PK-16: 16.7 %
    assert treated.t[np.argmin(ratio)] == pytest.approx(26.5, abs=0.25)
    troughs = []
    for dose in (0.4, 0.6):
        regimen = iv.Regimen.ivig(dose_g_per_kg=dose, days=1, infusion_hours=4, every_days=28, cycles=13)
        res = iv.simulate(kim, regimen=regimen, t_end=13 * 28, body_weight_kg=70,
                          params={"igg_production": 0.0, "aab_production": 0.0})
        troughs.append(res.at("igg_total", 13 * 28 - 1e-9))
    assert troughs[0] == pytest.approx(4.6, abs=0.05)                        # PK-40: 4.6 g/L
    assert (troughs[1] - troughs[0]) / 2 == pytest.approx(0.53, abs=0.01)    # and 0.53 g/L per 100 mg/kg


def test_fitting_engine_finds_the_same_optimum_and_intervals(fitted):
    """iv.fit on the same tables reproduces calibrate.py's optimum and Wald intervals (fitted.toml)."""
    result = iv.fit(PROBLEM, n_starts=2, workers=1, profiles=False, progress=False)
    names = ("cl_uptake", "k_deg", "aab_production", "cl_uptake_h", "fcrn_total_h")
    for k, name in enumerate(names):
        # cl_uptake_h and fcrn_total_h lie on a ridge (correlation 0.97): the two optimisers stop
        # about 1e-4 apart along it, at the same objective
        assert result.best_parameters[name] == pytest.approx(fitted[name]["value"], rel=5e-4), name
        half = 1.959964 * result.wald.se[k]                       # log10 scale
        low, high = fitted[name]["ci95"]
        assert 10 ** (np.log10(result.best_parameters[name]) - half) == pytest.approx(low, rel=1e-2), name
        assert 10 ** (np.log10(result.best_parameters[name]) + half) == pytest.approx(high, rel=1e-2), name
