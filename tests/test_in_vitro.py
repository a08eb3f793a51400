"""In-vitro mixing mode: inhibition of an autoantibody by IVIG anti-idiotypes (targets AI-01..AI-06).

Targets are those of ``shared/reference/targets.md`` section B; the calibrated
defaults live in ``models/ivig_autoimmune.toml`` (patient IgG 1 mg/mL in the well).
"""

import csv
import math

import numpy as np
import pytest

import ivigsim as iv
from ivigsim.errors import ParameterError
from ivigsim.core.expressions import symbols
from ivigsim.core.in_vitro import PARAMETERS, InVitroInhibition, equilibrium, in_vitro_inhibition

IN_VITRO_ONLY = ("aab_fraction_in_patient_igg", "f_antiidiotype_in_vitro", "f_idiotype_ivig",
                 "k_d_idiotype", "antigen_reactivity_ivig")


@pytest.fixture(scope="module")
def default():
    return in_vitro_inhibition()


def _closed_form_free(a_tot, d_tot, kd):
    """Free A of A + D <-> AD (1:1), the stable root of the quadratic."""
    b = a_tot - d_tot - kd
    root = math.sqrt(b * b + 4.0 * kd * a_tot)
    return (b + root) / 2.0 if b >= 0 else 2.0 * kd * a_tot / (root - b)


# --- published targets -----------------------------------------------------

def test_AI03_max_inhibition_and_its_ratio(default):
    assert isinstance(default, InVitroInhibition)
    assert 0.43 <= default.max_inhibition <= 0.55
    assert 1 / 50 <= default.ratio_at_max <= 1 / 15
    assert default.ratio_at_max == pytest.approx(default.patient_igg_mg_per_ml / default.ivig_at_max_mg_per_ml)


def test_AI05_bell_shape_rises_then_falls(default):
    inh = default.inhibition
    k = int(np.argmax(inh))
    assert 0 < k < len(inh) - 1, "maximum must be strictly inside the IVIG range"
    assert np.all(np.diff(inh[:k + 1]) > 0), "inhibition must rise up to its maximum"
    assert np.all(np.diff(inh[k:]) < 0), "inhibition must fall after its maximum (prozone)"
    assert inh[-1] <= default.max_inhibition - 0.05, "40 mg/mL must be clearly below the maximum"
    assert inh[0] < 0.05


def test_AI02_range_for_ivig_up_to_39_mg_per_ml():
    res = in_vitro_inhibition(ivig_mg_per_ml=np.geomspace(0.1, 39.0, 80))
    assert res.ivig_mg_per_ml[-1] == 39.0
    assert 0.14 <= res.max_inhibition <= 0.53
    assert 0.14 <= res.inhibition[-1] <= 0.53


def test_AI01_patient_variants_span_reported_range():
    variants = [
        {},                                                               # default serum
        {"k_d_idiotype": 0.5},                                            # strong competition
        {"aab_fraction_in_patient_igg": 0.005, "k_d_idiotype": 20.0},     # little autoantibody
        {"aab_fraction_in_patient_igg": 0.02, "k_d_idiotype": 2.0},
        {"aab_fraction_in_patient_igg": 0.02, "k_d_idiotype": 10.0},      # high-titre serum
    ]
    maxima = np.array([in_vitro_inhibition(params=p).max_inhibition for p in variants])
    assert maxima.min() < 0.45
    assert maxima.max() > 0.55
    assert np.all((maxima >= 0.30) & (maxima <= 0.70)), maxima


def test_AI06_some_sera_near_complete_inhibition():
    res = in_vitro_inhibition(params={"f_idiotype_ivig": 0.0, "f_antiidiotype_in_vitro": 0.05})
    assert res.max_inhibition > 0.95
    # without idiotype-bearing IgG there is no prozone: inhibition only rises
    assert np.all(np.diff(res.inhibition) > 0)


def test_AI05_prozone_can_turn_negative_at_extreme_excess():
    """Beyond 1:100, IVIG's own idiotype-bearing IgG binds more antigen than its
    anti-idiotypes remove: the mixture binds more than the serum alone."""
    res = in_vitro_inhibition(ivig_mg_per_ml=[10.0, 20.0, 40.0, 200.0])
    assert res.inhibition[-1] < 0 < res.inhibition[-2] < res.max_inhibition


# --- numerics --------------------------------------------------------------

@pytest.mark.parametrize("patient, aab", [(1.0, 0.01), (0.2, 0.001), (5.0, 0.2), (1.0, 1e-5)])
def test_exact_quadratic_solution_without_idiotype_bearing_igg(patient, aab):
    params = {"f_idiotype_ivig": 0.0, "aab_fraction_in_patient_igg": aab}
    res = in_vitro_inhibition(patient_igg_mg_per_ml=patient, params=params)
    p = res.parameters
    um = 1000.0 / p["mw_igg"]
    a_tot = aab * patient * um
    kd = p["k_off_aid"] / p["k_on_aid"]
    for c, fraction, inh in zip(res.ivig_mg_per_ml, res.free_autoantibody_fraction, res.inhibition):
        exact = _closed_form_free(a_tot, p["f_antiidiotype_in_vitro"] * c * um, kd) / a_tot
        assert fraction == pytest.approx(exact, rel=1e-10, abs=0)
        assert inh == pytest.approx(1.0 - exact, rel=1e-10, abs=1e-14)


@pytest.mark.parametrize("params", [
    {},
    {"k_d_idiotype": 0.001, "f_idiotype_ivig": 0.05},                  # I soaks up D
    {"aab_fraction_in_patient_igg": 0.2, "f_antiidiotype_in_vitro": 0.05},
    {"aab_fraction_in_patient_igg": 1e-5, "k_d_idiotype": 1000.0},
    {"k_on_aid": 1.0e7, "k_off_aid": 0.01},                           # very tight binding
    {"f_antiidiotype_in_vitro": 0.0},
])
def test_mass_conservation_of_A_D_and_I(params):
    res = in_vitro_inhibition(ivig_mg_per_ml=np.geomspace(0.01, 100, 41), params=params)
    s = res.species_um
    for total, parts in [("a_total", ("a_free", "ad_complex")),
                         ("i_total", ("i_free", "di_complex")),
                         ("d_total", ("d_free", "ad_complex", "di_complex"))]:
        recon = sum(s[name] for name in parts)
        scale = np.where(s[total] > 0, s[total], 1.0)
        assert np.all(np.abs(recon - s[total]) / scale <= 1e-12), (total, params)
        assert all(np.all(s[name] >= 0) for name in parts)
    assert np.allclose(s["a_free"] / s["a_total"], res.free_autoantibody_fraction, rtol=1e-15)


def test_equilibrium_edge_cases():
    out = equilibrium([0.0, 1.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 3.0], 0.1, 1.0)
    assert out["d_free"].tolist() == [2.0, 0.0, 0.0]
    assert out["a_free"].tolist() == [0.0, 1.0, 0.0]
    assert out["i_free"].tolist() == [0.0, 0.0, 3.0]
    with pytest.raises(ParameterError):
        equilibrium(1.0, -1.0, 0.0, 0.1, 1.0)
    with pytest.raises(ParameterError):
        equilibrium(1.0, 1.0, 0.0, 0.0, 1.0)


# --- API -------------------------------------------------------------------

def test_unsorted_input_is_sorted_and_ratio_follows():
    res = in_vitro_inhibition(ivig_mg_per_ml=[20.0, 1.0, 5.0], patient_igg_mg_per_ml=2.0)
    assert res.ivig_mg_per_ml.tolist() == [1.0, 5.0, 20.0]
    assert res.ratio_patient_to_ivig.tolist() == [2.0, 0.4, 0.1]
    assert np.all(np.diff(res.inhibition) > 0)   # below the maximum


def test_parameters_round_trip_and_units(default):
    assert set(default.parameters) == set(PARAMETERS)
    again = in_vitro_inhibition(params=default.parameters)
    np.testing.assert_array_equal(again.inhibition, default.inhibition)
    model = iv.load_model("ivig_autoimmune")
    kd = model.parameters[model.parameter_index("k_d_idiotype")].value
    nanomolar = in_vitro_inhibition(params={"k_d_idiotype": (kd * 1000.0, "nM")})
    np.testing.assert_allclose(nanomolar.inhibition, default.inhibition, rtol=1e-12)


@pytest.mark.parametrize("kwargs, words", [
    ({"ivig_mg_per_ml": [1.0, -2.0]}, "positive"),
    ({"ivig_mg_per_ml": [1.0, float("nan")]}, "positive, finite"),
    ({"ivig_mg_per_ml": [0.0, 1.0]}, "positive"),
    ({"ivig_mg_per_ml": [float("inf")]}, "finite"),
    ({"ivig_mg_per_ml": []}, "at least one"),
    ({"ivig_mg_per_ml": "lots"}, "mg/mL"),
    ({"ivig_mg_per_ml": [[1.0, 2.0]]}, "single list"),
    ({"patient_igg_mg_per_ml": -1.0}, "patient IgG"),
    ({"patient_igg_mg_per_ml": float("nan")}, "patient IgG"),
    ({"patient_igg_mg_per_ml": [1.0, 2.0]}, "one concentration"),
    ({"params": {"k_d_idiotipe": 1.0}}, "Did you mean 'k_d_idiotype'"),
    ({"params": {"f_idiotype_ivig": float("nan")}}, "finite"),
    ({"params": {"antigen_reactivity_ivig": 5.0}}, "plausible range"),
    ({"params": {"k_d_idiotype": (1.0, "mg/mL")}}, "cannot use"),
    ({"model": "fcrn_pk"}, "lacks the parameters"),
])
def test_bad_inputs_are_refused(kwargs, words):
    with pytest.raises(ParameterError, match=words.replace("(", r"\(")):
        in_vitro_inhibition(**kwargs)


def test_in_vitro_parameters_are_used_by_no_reaction_or_observable():
    """They cannot change an in-vivo result."""
    model = iv.load_model("ivig_autoimmune")
    for name in IN_VITRO_ONLY:
        par = model.parameters[model.parameter_index(name)]
        assert par.source and par.bounds[0] <= par.value <= par.bounds[1]
    used = set()
    for r in model.reactions:
        used |= set(symbols(r.rate))
    for o in model.observables:
        used |= set(symbols(o.expression))
    for s in model.species:
        used |= set(symbols(s.initial))
    for c in model.compartments:
        used |= set(symbols(c.volume))
    assert not used & set(IN_VITRO_ONLY)


def test_csv_and_plot(default, tmp_path):
    path = default.to_csv(tmp_path / "sub" / "inhibition.csv")
    with open(path) as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(default.ivig_mg_per_ml)
    assert float(rows[5]["inhibition"]) == default.inhibition[5]
    assert "d_free_uM" in rows[0]
    written = default.plot(tmp_path / "inhibition.png")
    assert [p.suffix for p in written] == [".png", ".svg"]
    assert all(p.stat().st_size > 0 for p in written)
