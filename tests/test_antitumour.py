"""ivig_antitumour (mouse) and ivig_antitumour_human: IL-12, NK cells, tumour, metastasis.

Target IDs refer to the shared reference targets (section D; PK-07 from section A).
CA-01, CA-02 and CA-03 give directions only, so their tests check directions.
"""

import math

import numpy as np
import pytest

import ivigsim as iv

MOUSE, HUMAN = "ivig_antitumour", "ivig_antitumour_human"
MOUSE_KG, HUMAN_KG = 0.02, 70.0
WEIGHT = {MOUSE: MOUSE_KG, HUMAN: HUMAN_KG}

# CA-01 protocol: the cells go in at t = 0 (TU-02) and IVIG 1 g/kg i.v. with them and
# again a week later. The colonies are seeded within about two days, so the day-7 dose
# acts on the tumour, not on the colony count; the count is read at day 14 (TU-02).
IVIG_DAY_0_AND_7 = iv.Regimen.bolus(1.0, at_day=0.0) + iv.Regimen.bolus(1.0, at_day=7.0)

MECHANISMS = ("ivig_pk", "il12_induction", "il12_clearance", "il12_sc_absorption", "ifng_secretion", "nk_dynamics",
              "nk_activation", "nk_killing", "tumour_growth", "ivig_apoptosis", "normal_turnover", "metastasis")
OBSERVABLES = ("ivig_plasma", "il12", "ifn_gamma", "nk_activated", "tumour", "foci", "apoptosis_rate_cancer",
               "apoptosis_rate_normal", "selectivity", "nk_cytotoxicity")


def _log_slope(t, y, t0, t1):
    """Least-squares slope of log(y) over t0 <= t <= t1 (per day)."""
    m = (t >= t0) & (t <= t1)
    return np.polyfit(t[m], np.log(y[m]), 1)[0]


@pytest.fixture(scope="module")
def metastasis():
    """Foci at day 14: untreated, IVIG, and IVIG with the apoptosis mechanism off."""
    runs = {
        "untreated": iv.simulate(MOUSE, t_end=14, body_weight_kg=MOUSE_KG, rtol=1e-8),
        "ivig": iv.simulate(MOUSE, regimen=IVIG_DAY_0_AND_7, t_end=14, body_weight_kg=MOUSE_KG, rtol=1e-8),
        "ivig_nk_only": iv.simulate(MOUSE, regimen=IVIG_DAY_0_AND_7, t_end=14, body_weight_kg=MOUSE_KG,
                                    mechanisms={"ivig_apoptosis": False}, rtol=1e-8),
    }
    return {k: r.at("foci", 14.0) for k, r in runs.items()} | {"runs": runs}


def test_mouse_and_human_files_share_one_structure():
    mouse, human = iv.load_model(MOUSE), iv.load_model(HUMAN)
    assert mouse.mechanism_names == human.mechanism_names == MECHANISMS
    assert mouse.species_names == human.species_names
    assert mouse.parameter_names == human.parameter_names
    assert mouse.observable_names == human.observable_names
    assert set(OBSERVABLES) <= set(mouse.observable_names)
    assert [(r.name, r.equation, r.mechanism) for r in mouse.reactions] == \
           [(r.name, r.equation, r.mechanism) for r in human.reactions]
    for spec in (mouse, human):
        assert spec.initial_state == "initial"
        assert str(spec.unit_of("ivig_plasma")) == "g/L"
        assert str(spec.unit_of("il12")) == "ng/L"                 # = pg/mL


@pytest.mark.parametrize("name", [MOUSE, HUMAN])
def test_untreated_immune_state_is_a_steady_state(name):
    """IL-12, NK pools and normal cells start at their untreated steady state (t = 0 is inoculation)."""
    res = iv.simulate(name, t_end=60, body_weight_kg=WEIGHT[name], rtol=1e-9)
    for out in ("il12", "nk_activated", "nk_total", "normal_cells"):
        np.testing.assert_allclose(res[out], res[out][0], rtol=1e-8)
    assert res["il12"][0] == pytest.approx(res.parameters["il12_baseline"])
    assert res["nk_activated_fraction"][0] == pytest.approx(res.parameters["nk_baseline_activated_fraction"])
    assert np.all(res.states >= -1e-9)


@pytest.mark.parametrize("name", [MOUSE, HUMAN])
def test_il01_il12_half_life_from_a_simulated_decay(name):
    """A recombinant IL-12 bolus decays with a terminal half-life of 13-19 h (16 h used)."""
    res = iv.simulate(name, regimen=iv.Regimen.bolus(2e-6, product="il12"), t_end=3,
                      body_weight_kg=WEIGHT[name], t_eval=np.linspace(0, 3, 301), rtol=1e-9)
    excess = res["il12"] - res.parameters["il12_baseline"]
    assert excess[0] > 100 * res.parameters["il12_baseline"]        # a real bolus, well above baseline
    half_life_h = 24 * math.log(2) / -_log_slope(res.t, excess, 0.25, 2.5)
    assert 13.0 <= half_life_h <= 19.0
    assert half_life_h == pytest.approx(16.0, rel=1e-3)


def test_tu01_b16_doubling_time_at_low_density():
    """With NK killing and IVIG off, a small B16 tumour doubles every 2.8 days."""
    res = iv.simulate(MOUSE, t_end=10, body_weight_kg=MOUSE_KG, params={"tumour_initial": 1e3},
                      mechanisms={"nk_killing": False, "ivig_apoptosis": False}, rtol=1e-9)
    doubling = math.log(2) / _log_slope(res.t, res["tumour"], 0.0, 10.0)
    assert doubling == pytest.approx(2.8, rel=1e-3)
    # NK killing on: the same tumour grows more slowly
    killed = iv.simulate(MOUSE, t_end=10, body_weight_kg=MOUSE_KG, params={"tumour_initial": 1e3},
                         mechanisms={"ivig_apoptosis": False}, rtol=1e-9)
    assert killed.at("tumour", 10) < 0.9 * res.at("tumour", 10)


def test_ca03_ivig_apoptosis_is_selective_for_cancer_cells():
    """Normal cells are untouched by IVIG (identical trajectory) while cancer apoptosis rises."""
    untreated = iv.simulate(MOUSE, t_end=14, body_weight_kg=MOUSE_KG, rtol=1e-8)
    treated = iv.simulate(MOUSE, regimen=IVIG_DAY_0_AND_7, t_end=14, body_weight_kg=MOUSE_KG, rtol=1e-8,
                          t_eval=untreated.t)
    np.testing.assert_allclose(treated["normal_cells"], untreated["normal_cells"], rtol=1e-10)
    np.testing.assert_array_equal(treated["apoptosis_rate_normal"], untreated["apoptosis_rate_normal"])
    basal = untreated.parameters["k_tumour_apoptosis"]
    np.testing.assert_allclose(untreated["apoptosis_rate_cancer"], basal, rtol=1e-12)
    assert treated["apoptosis_rate_cancer"].max() > 2 * basal
    assert treated["selectivity"].max() > 2
    np.testing.assert_allclose(untreated["selectivity"], 1.0, rtol=1e-12)
    assert treated.at("tumour", 14) < untreated.at("tumour", 14)


def test_ca01_ivig_lowers_lung_foci_also_through_nk_alone(metastasis):
    """TU-02 calibration and CA-01 direction, with NK cells alone carrying part of it (SCID mice)."""
    untreated, ivig, nk_only = metastasis["untreated"], metastasis["ivig"], metastasis["ivig_nk_only"]
    assert 100 <= untreated <= 300                 # calibration: a typical B16F10 count
    assert ivig < 0.95 * untreated                 # CA-01: IVIG lowers the count
    assert nk_only < 0.95 * untreated              # NK cells alone carry part of the effect ...
    assert ivig < nk_only                          # ... and apoptosis adds to it
    assert metastasis["runs"]["ivig"].at("foci", 3.0) == pytest.approx(ivig, rel=0.01)   # seeded early


def test_tu02_lung_colonies_are_nk_dependent():
    intact = iv.simulate(MOUSE, t_end=14, body_weight_kg=MOUSE_KG)
    depleted = iv.simulate(MOUSE, t_end=14, body_weight_kg=MOUSE_KG, mechanisms={"nk_killing": False})
    assert depleted.at("foci", 14) > 2 * intact.at("foci", 14)


def test_ca02_il12_and_activated_nk_rise_after_ivig():
    res = iv.simulate(MOUSE, regimen=IVIG_DAY_0_AND_7, t_end=14, body_weight_kg=MOUSE_KG)
    assert res.at("il12", 1.0) > 2 * res["il12"][0]
    assert res.at("nk_activated", 1.0) > 1.5 * res["nk_activated"][0]
    assert res.at("nk_activated_fraction", 1.0) > res["nk_activated_fraction"][0]
    # the chain runs through IL-12: without its induction, NK cells do not move
    blocked = iv.simulate(MOUSE, regimen=IVIG_DAY_0_AND_7, t_end=14, body_weight_kg=MOUSE_KG,
                          mechanisms={"il12_induction": False}, rtol=1e-9)
    np.testing.assert_allclose(blocked["il12"], blocked["il12"][0], rtol=1e-9)
    np.testing.assert_allclose(blocked["nk_activated"], blocked["nk_activated"][0], rtol=1e-8)


def test_ca04_human_ivig_every_3_weeks_gives_no_complete_response():
    """Ceiling check: 1 g/kg every 3 weeks leaves an established tumour above 10 % at 12 weeks."""
    q3w = iv.Regimen.ivig(dose_g_per_kg=1.0, days=1, infusion_hours=4, every_days=21, cycles=4)
    treated = iv.simulate(HUMAN, regimen=q3w, t_end=84, body_weight_kg=HUMAN_KG)
    untreated = iv.simulate(HUMAN, t_end=84, body_weight_kg=HUMAN_KG)
    assert treated.at("tumour", 84) > 0.1 * treated["tumour"][0]
    assert treated["tumour"].min() > 0.1 * treated["tumour"][0]
    assert treated.at("tumour", 84) < untreated.at("tumour", 84)        # IVIG still acts


def test_per_cell_cytotoxicity_is_a_separate_channel():
    """Raising IVIG's suppression of per-cell cytotoxicity raises foci; NK numbers do not move."""
    runs = [iv.simulate(MOUSE, regimen=IVIG_DAY_0_AND_7, t_end=14, body_weight_kg=MOUSE_KG, rtol=1e-9,
                        t_eval=np.linspace(0, 14, 57), params={"nk_cytotoxicity_suppression": s})
            for s in (0.0, 0.65)]
    plain, suppressed = runs
    assert np.all(plain["nk_cytotoxicity"] == 1.0)
    assert suppressed["nk_cytotoxicity"].min() < 0.6
    for out in ("nk_activated", "nk_total", "il12"):
        np.testing.assert_allclose(suppressed[out], plain[out], rtol=1e-7)
    assert suppressed.at("foci", 14) > 1.05 * plain.at("foci", 14)


def test_nk01_human_nk_turnover_at_baseline():
    res = iv.simulate(HUMAN, t_end=1, body_weight_kg=HUMAN_KG)
    assert res["nk_proliferation_rate"][0] == pytest.approx(0.043, rel=1e-9)
    assert res.parameters["k_nk_loss"] == pytest.approx(0.069)
    # the mouse set keeps the human ratio of proliferation to loss
    mouse = iv.simulate(MOUSE, t_end=1, body_weight_kg=MOUSE_KG)
    assert mouse["nk_proliferation_rate"][0] / mouse.parameters["k_nk_loss"] == pytest.approx(4.3 / 6.9, rel=1e-3)


@pytest.mark.parametrize("name, half_life_day", [(HUMAN, 22.0), (MOUSE, 7.0)])
def test_pk07_terminal_half_life_of_ivig(name, half_life_day):
    """Human: 21-23 days (PK-07); human IgG in mice: about a week."""
    res = iv.simulate(name, regimen=iv.Regimen.bolus(1.0), t_end=6 * half_life_day,
                      body_weight_kg=WEIGHT[name], rtol=1e-9)
    t_half = math.log(2) / -_log_slope(res.t, res["ivig_plasma"], 3 * half_life_day, 6 * half_life_day)
    assert t_half == pytest.approx(half_life_day, rel=0.01)
