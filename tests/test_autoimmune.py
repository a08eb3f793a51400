"""ivig_autoimmune: anti-idiotypes, FcRn competition, switches, synergy, disease readouts.

Target IDs refer to the shared reference targets (sections B and C).
"""

import math

import numpy as np
import pytest

import ivigsim as iv
from conftest import DATA
from ivigsim.errors import ParameterError

MODEL = "ivig_autoimmune"
COURSE = iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8, every_days=28, cycles=1)


@pytest.fixture(scope="module")
def course():
    return iv.simulate(MODEL, regimen=COURSE, t_end=120, body_weight_kg=70, rtol=1e-8)


def test_untreated_steady_state_matches_fcrn_pk(course):
    full = iv.simulate("fcrn_pk", t_end=1, body_weight_kg=70)
    assert course["igg_total"][0] == pytest.approx(full["igg_total"][0], rel=1e-6)
    assert course["autoantibody_free"][0] == pytest.approx(full["autoantibody"][0], rel=1e-6)
    assert course["platelets"][0] == pytest.approx(20.0, abs=0.5)          # an ITP patient
    assert course["nk_cytotoxicity"][0] == pytest.approx(22.0, rel=1e-9)


def test_autoantibody_is_conserved(course):
    """Produced = in the body (free + complexed) + catabolised + cleared in complexes."""
    produced = 0.03 * 70 * course.t                                         # mg
    balance = course["autoantibody_body"] - course["autoantibody_body"][0] + course["autoantibody_removed"]
    np.testing.assert_allclose(balance, produced, rtol=1e-6, atol=1e-6 * produced[-1])
    assert np.all(course.states >= -1e-9)


def test_anti_idiotypes_neutralise_and_complexes_are_cleared(course):
    assert course["neutralised_fraction"].max() > 0.5
    free, total = course["autoantibody_free"], course["autoantibody_total"]
    assert np.all(free <= total + 1e-12)
    # complex removal also lowers the total autoantibody, beyond FcRn saturation alone
    fcrn_only = iv.simulate(MODEL, regimen=COURSE, t_end=120, body_weight_kg=70,
                            mechanisms={"anti_idiotype": False}, t_eval=course.t)
    # about half (0.50 with the fitted FcRn values, which make FcRn competition alone stronger)
    assert total.min() < 0.55 * fcrn_only["autoantibody_total"].min()


def test_switching_anti_idiotype_off_removes_complexes():
    res = iv.simulate(MODEL, regimen=COURSE, t_end=60, mechanisms={"anti_idiotype": False})
    assert np.all(res["complex_p"] == 0.0)
    np.testing.assert_allclose(res["autoantibody_free"], res["autoantibody_total"], rtol=1e-12)


def test_switching_fcrn_saturation_off_leaves_endogenous_igg_alone():
    res = iv.simulate(MODEL, regimen=COURSE, t_end=60, mechanisms={"fcrn_saturation": False,
                                                                  "anti_idiotype": False}, rtol=1e-9)
    np.testing.assert_allclose(res["igg_endogenous"], res["igg_endogenous"][0], rtol=1e-7)
    np.testing.assert_allclose(res["autoantibody_free"], res["autoantibody_free"][0], rtol=1e-7)
    on = iv.simulate(MODEL, regimen=COURSE, t_end=60, mechanisms={"anti_idiotype": False})
    # same IVIG exposure either way (its own pool is the same size) ...
    assert on["ivig"].max() == pytest.approx(res["ivig"].max(), rel=0.05)
    # ... but only the shared pool lowers the autoantibody (PK-16 direction)
    assert on["autoantibody_free"].min() < 0.92 * on["autoantibody_free"][0]


def test_factorial_arithmetic_on_a_known_case():
    model = iv.load_model(DATA / "two_mechanisms.toml")
    T = 10.0
    f = iv.mechanism_factorial(model, iv.Regimen.none(), T, "x_end", mechanisms=("route_a", "route_b"),
                               rtol=1e-11)
    ea, eb = 1 - math.exp(-0.2 * T), 1 - math.exp(-0.05 * T)
    assert f.single["route_a"] == pytest.approx(ea, rel=1e-7)
    assert f.single["route_b"] == pytest.approx(eb, rel=1e-7)
    assert f.joint == pytest.approx(1 - math.exp(-0.25 * T), rel=1e-7)
    assert f.bliss_excess == pytest.approx(0.0, abs=1e-7)            # independent by construction
    assert f.hsa_excess == pytest.approx(f.joint - ea, rel=1e-7)
    assert f.marginal["route_b"] == pytest.approx(f.joint - ea, rel=1e-7)
    assert len(f.table) == 4 and f.table["effect"].iloc[0] == 0.0


def test_factorial_on_the_autoimmune_model(tmp_path):
    f = iv.mechanism_factorial(MODEL, COURSE, 180, "autoantibody_free_auc", body_weight_kg=70)
    untreated = iv.simulate(MODEL, t_end=180, body_weight_kg=70, rtol=1e-8)
    auc = np.trapezoid(untreated["autoantibody_free"], untreated.t)
    assert f.table["metric"].iloc[0] == pytest.approx(auc, rel=1e-4)     # both off = no IVIG effect
    assert 0.02 < f.single["fcrn_saturation"] < 0.2
    assert f.single["anti_idiotype"] > f.single["fcrn_saturation"]
    assert f.joint >= max(f.single.values()) - 1e-9
    assert f.bliss_expected == pytest.approx(
        1 - (1 - f.single["fcrn_saturation"]) * (1 - f.single["anti_idiotype"]), rel=1e-12)
    paths = f.plot(tmp_path / "synergy")
    assert all(p.stat().st_size > 0 for p in paths)
    with pytest.raises(ParameterError, match="no mechanism 'fcrn'"):
        iv.mechanism_factorial(MODEL, COURSE, 30, "autoantibody_free_auc", mechanisms=("fcrn",))
    with pytest.raises(ParameterError, match="cannot read metric"):
        iv.mechanism_factorial(MODEL, COURSE, 30, "autoantibody_free_area")


def test_itp_platelet_response_to_2_g_per_kg(course):
    platelets, t = course["platelets"], course.t
    assert platelets[t <= 3.0].max() > 50.0          # above 50 x 10^9/L within 3 days (ITP-01)
    assert platelets.max() > 100.0
    assert 7.0 <= t[np.argmax(platelets)] <= 10.0    # the maximum in the second week
    assert course.at("platelets", 120.0) < 50.0      # the response wanes over weeks
    # no IVIG mechanism on: no response
    off = iv.simulate(MODEL, regimen=COURSE, t_end=60, body_weight_kg=70,
                      mechanisms={"anti_idiotype": False, "fcrn_saturation": False, "fcgr_blockade": False})
    np.testing.assert_allclose(off["platelets"], off["platelets"][0], rtol=1e-6)


# -- FcgR blockade (ITP-01, ITP-02) ---------------------------------------------------------------

IGG_OUTPUTS = ("igg_total", "igg_endogenous", "ivig", "autoantibody_free", "autoantibody_total",
               "anti_idiotype_free", "fcrn_occupancy", "nk_cytotoxicity")


def test_blockade_off_changes_only_the_platelets(course):
    off = iv.simulate(MODEL, regimen=COURSE, t_end=120, body_weight_kg=70, rtol=1e-8,
                      mechanisms={"fcgr_blockade": False})
    for name in IGG_OUTPUTS + ("dimer_p",):        # the same equations; steps differ through the platelets
        np.testing.assert_allclose(off[name], course[name], rtol=1e-6, atol=1e-12, err_msg=name)
    assert np.all(off["fcgr_occupancy"] == 0.0)
    # off is the same as a receptor that cannot be blocked ...
    unblockable = iv.simulate(MODEL, regimen=COURSE, t_end=120, body_weight_kg=70, rtol=1e-8,
                              params={"fcgr_imax": 0.0})
    np.testing.assert_allclose(off["platelets"], unblockable["platelets"], rtol=1e-12)
    # ... and on, the blockade raises the count from the first day
    assert course.at("platelets", 1.0) > off.at("platelets", 1.0) + 5.0


def test_without_dimers_the_platelets_follow_the_previous_law():
    """f_dimer = 0: dP/dt = production - (k_death + k_itp aab_p) P, integrated independently (SciPy)."""
    from scipy.integrate import solve_ivp
    grid = np.linspace(0.0, 40.0, 4001)
    res = iv.simulate(MODEL, regimen=COURSE, t_end=40, body_weight_kg=70, params={"f_dimer": 0.0},
                      t_eval=grid, rtol=1e-10)
    assert np.all(res["dimer_p"] == 0.0) and np.all(res["fcgr_occupancy"] == 0.0)
    p = res.parameters
    aab = res["aab_p"]

    def rhs(t, y):
        return [p["platelet_production"] - (p["k_platelet_death"] + p["k_itp"] * np.interp(t, grid, aab)) * y[0]]
    ref = solve_ivp(rhs, (0.0, 40.0), [res["platelets"][0]], t_eval=grid, method="Radau", rtol=1e-10,
                    atol=1e-10, max_step=0.01)
    np.testing.assert_allclose(res["platelets"], ref.y[0], rtol=2e-5)


def test_without_dimers_the_previous_model_is_recovered():
    """f_dimer = 0, the former complex clearance (2 /day) and FcRn values: the factorial of the model before the
    blockade (free-autoantibody AUC over 180 days: -4.9 %, -27.6 %, both -28.0 %, Bliss -31.1 %)."""
    # the FcRn values of that model, before the human recalibration (fits/fcrn_human)
    # (one FcRn pool: no uptake into the haematopoietic pool)
    # (and Shah & Betts' K_D of 43 nM, k_off 573.6 /day, before IgG1's 0.63 uM)
    before_refit = {"cl_uptake": 0.00756, "k_recycle": 4.0515, "k_deg": 2216.0, "cl_uptake_h": 0.0, "k_off": 573.6}
    f = iv.mechanism_factorial(MODEL, COURSE, 180, "autoantibody_free_auc", body_weight_kg=70,
                               params={"f_dimer": 0.0, "k_complex_clearance": 2.0, **before_refit})
    assert f.single["fcrn_saturation"] == pytest.approx(0.049, abs=5e-4)
    assert f.single["anti_idiotype"] == pytest.approx(0.276, abs=5e-4)
    assert f.joint == pytest.approx(0.280, abs=5e-4)
    assert f.bliss_expected == pytest.approx(0.311, abs=5e-4)


def test_dimers_keep_the_ivig_budget_and_dissociate():
    """Every infused IgG molecule is in the body (dimers count twice) or catabolised."""
    res = iv.simulate(MODEL, regimen=COURSE, t_end=60, body_weight_kg=70, rtol=1e-10,
                      mechanisms={"anti_idiotype": False})
    p = res.parameters
    vp, vi, ve = (70 * p["v_plasma"], 70 * p["v_interstitial"], 70 * p["v_endosome"])
    ve_h = 70 * p["v_endosome_h"]
    present = ((res["ivig_p"] + res["aid_p"] + 2 * res["dimer_p"]) * vp + (res["ivig_i"] + res["aid_i"]) * vi
               + (res["ivig_e"] + res["ivig_fcrn"] + res["aid_e"] + res["aid_fcrn"]) * ve
               + (res["ivig_e_h"] + res["ivig_fcrn_h"] + res["aid_e_h"] + res["aid_fcrn_h"]) * ve_h)
    gone = res["ivig_catabolised"] + res["aid_catabolised"]
    dosed = 2.0 * 70 * 1000.0 / p["mw_igg"]                                   # umol of IgG in 2 g/kg
    k = res.t >= 5.0
    np.testing.assert_allclose((present + gone)[k], dosed, rtol=1e-6)
    assert res.at("dimer_p", 21.0) < 1e-3 * res["dimer_p"].max()              # dimers dissociate


def test_fcgr_occupancy_stays_in_its_limits(course):
    occ = course["fcgr_occupancy"]
    imax = course.parameters["fcgr_imax"]
    assert occ[0] == 0.0 and np.all(occ >= 0.0) and np.all(occ < 1.0)
    assert 0.8 < course.at("fcgr_occupancy", 3.0) < 1.0                       # during the course
    assert course.at("fcgr_occupancy", 28.0) < 1e-3                           # gone within weeks
    assert 0.0 < imax <= 1.0


def test_three_mechanism_factorial_attributes_the_first_week_to_the_blockade():
    three = ("fcgr_blockade", "anti_idiotype", "fcrn_saturation")
    early = iv.mechanism_factorial(MODEL, COURSE, 7, "platelet_deficit_auc", mechanisms=three, body_weight_kg=70)
    assert max(early.single, key=early.single.get) == "fcgr_blockade"
    assert len(early.table) == 8
    aab = iv.mechanism_factorial(MODEL, COURSE, 60, "autoantibody_free_auc", mechanisms=three, body_weight_kg=70)
    assert aab.single["fcgr_blockade"] == pytest.approx(0.0, abs=1e-9)       # it acts on platelets only


def test_RPL01_nk_cytotoxicity_one_week_after_20_g_daily_for_3_days():
    reg = iv.Regimen.ivig(dose_g_per_kg=20 / 65, days=3, infusion_hours=4, cycles=1)
    res = iv.simulate(MODEL, regimen=reg, t_end=30, body_weight_kg=65)
    assert res.at("nk_cytotoxicity", 2 + 7) == pytest.approx(12.0, abs=1.0)     # 22 % -> 12 %


def test_RPL02_high_dose_nk_fall_and_separate_channel():
    res = iv.simulate(MODEL, regimen=COURSE, t_end=30, body_weight_kg=65)
    fall = 1 - res["nk_cytotoxicity"].min() / 22.0
    assert 0.45 <= fall <= 0.70                      # 40.9 % -> 15.0 % is a 63 % fall
    off = iv.simulate(MODEL, regimen=COURSE, t_end=30, body_weight_kg=65,
                      mechanisms={"nk_suppression": False})
    np.testing.assert_allclose(off["nk_cytotoxicity"], 22.0, rtol=1e-9)
    np.testing.assert_allclose(off["autoantibody_free"], res["autoantibody_free"], rtol=1e-5)  # solver tol


def test_RPL07_RPL08_antiphospholipid_titre_over_monthly_cycles():
    reg = iv.Regimen.ivig(dose_g_per_kg=1.0, days=1, infusion_hours=6, every_days=28, cycles=6)
    quarter_hours = np.linspace(0.0, 168.0, 168 * 96 + 1)      # resolves each 6 h infusion
    res = iv.simulate(MODEL, regimen=reg, t_end=168, body_weight_kg=65, t_eval=quarter_hours)
    aPL = res["autoantibody_free"]
    # RPL-07: the titre falls while total IgG rises during each infusion
    during = (res.t > 0) & (res.t <= 0.25)
    assert during.sum() == 24
    assert np.all(np.diff(aPL[during]) < 0) and np.all(np.diff(res["igg_total"][during]) > 0)
    # RPL-08: progressive fall of the pre-infusion titre over cycles
    troughs = np.array([res.at("autoantibody_free", 28.0 * k - 1e-6) for k in range(1, 7)])
    assert np.all(np.diff(troughs) < 0), troughs
    assert troughs[-1] < 0.9 * aPL[0]


def test_primary_immunodeficiency_replacement_troughs():
    pid = {"igg_production": 0.0, "aab_production": 0.0}

    def steady_trough(dose, every):
        n = int(round(364 / every))
        reg = iv.Regimen.ivig(dose_g_per_kg=dose, days=1, infusion_hours=4, every_days=every, cycles=n)
        res = iv.simulate("fcrn_pk", regimen=reg, t_end=n * every, body_weight_kg=70, params=pid)
        troughs = [res.at("igg_total", k * every - 1e-9) for k in range(1, n + 1)]
        assert abs(troughs[-1] - troughs[-2]) < 0.01 * troughs[-1]       # plateau reached
        return troughs[-1]

    low, high, frequent = steady_trough(0.4, 28), steady_trough(0.6, 28), steady_trough(0.4, 21)
    assert 4.5 < low < high and low < frequent          # 3.3 g/L before the FcRn recalibration
    slope = (high - low) / 2                             # g/L per 100 mg/kg every 4 weeks
    assert 0.3 < slope < 0.73
    pytest.xfail("trough rise per 100 mg/kg/4 weeks is %.2f g/L here against 0.73 (Lee et al., "
                 "J Clin Immunol 2020) to 1.21 g/L (Orange et al., Clin Immunol 2010), "
                 "between-study meta-regressions; Kim et al.'s own concentration-catabolism law "
                 "gives 0.53 g/L in this distribution model (target PK-40)" % slope)


def test_bad_parameters_are_refused():
    with pytest.raises(ParameterError, match="outside its plausible range"):
        iv.simulate(MODEL, t_end=5, params={"f_antiidiotype": 1.5})
    with pytest.raises(ParameterError, match="outside its plausible range"):
        iv.simulate(MODEL, t_end=5, params={"k_complex_clearance": -1.0})
