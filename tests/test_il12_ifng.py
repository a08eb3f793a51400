"""Subcutaneous IL-12 and IFN-gamma as an NK output in the antitumour models (target IL-02)."""

import numpy as np
import pytest

import ivigsim as iv

SETS = [("ivig_antitumour_human", 70.0), ("ivig_antitumour", 0.02)]
DOSE = 1.5e-6                                   # g/kg, the high s.c. dose of the IL-02 study


def _run(model, weight, route, t_end=6.0, mechanisms=None, regimen=None):
    regimen = regimen or iv.Regimen.bolus(dose_g_per_kg=DOSE, product="il12", route=route)
    return iv.simulate(model, regimen=regimen, t_end=t_end, body_weight_kg=weight, mechanisms=mechanisms,
                       t_eval=np.linspace(0.0, t_end, int(t_end * 288) + 1), rtol=1e-10)


@pytest.mark.parametrize("model, weight", SETS)
def test_sc_bioavailability_is_f_il12_sc(model, weight):
    """IL-12 kinetics are linear: AUC of the excess over baseline, s.c. over i.v., is the bioavailability."""
    sc, iv_ = _run(model, weight, "sc", t_end=12.0), _run(model, weight, "iv", t_end=12.0)
    base = sc.parameters["il12_baseline"]
    auc_sc = np.trapezoid(sc["il12"] - base, sc.t)
    auc_iv = np.trapezoid(iv_["il12"] - base, iv_.t)
    assert auc_sc / auc_iv == pytest.approx(sc.parameters["f_il12_sc"], rel=2e-3)
    assert sc["il12_sc"][-1] < 1e-12 * sc["il12_sc"].max() + 1e-30                       # the depot empties
    # the depot starts with the whole dose (ng), held over the plasma volume
    plasma_l = sc.parameters["v_plasma"] * weight
    assert sc["il12_sc"].max() == pytest.approx(DOSE * weight * 1e9 / plasma_l, rel=1e-9)


@pytest.mark.parametrize("model, weight", SETS)
def test_il12_then_ifn_gamma(model, weight):
    res = _run(model, weight, "sc")
    hours = 24 * res.t
    assert 4.0 <= hours[np.argmax(res["il12"])] <= 8.0
    assert 24.0 <= hours[np.argmax(res["ifn_gamma"])] <= 72.0
    assert res["ifn_gamma"].max() > 3.0 * res["ifn_gamma"][0]


@pytest.mark.parametrize("model, weight", SETS)
def test_untreated_ifn_gamma_is_steady_and_the_switch_freezes_it(model, weight):
    res = iv.simulate(model, t_end=10, body_weight_kg=weight, rtol=1e-10)
    np.testing.assert_allclose(res["ifn_gamma"], res.parameters["ifng_baseline"], rtol=1e-8)
    off = _run(model, weight, "sc", mechanisms={"ifng_secretion": False})
    np.testing.assert_allclose(off["ifn_gamma"], off.parameters["ifng_baseline"], rtol=1e-12)
    on = _run(model, weight, "sc")
    np.testing.assert_allclose(off["il12"], on["il12"], rtol=1e-6)                # IFN-gamma feeds nothing back
    np.testing.assert_allclose(off["nk_activated"], on["nk_activated"], rtol=1e-6)


def test_ifn_gamma_is_the_secretion_over_clearance_of_activated_nk_cells():
    """The quasi-steady state: baseline x (activated NK / baseline) x induced, not exhausted share."""
    res = _run("ivig_antitumour_human", 70.0, "sc")
    p = res.parameters
    h0 = p["il12_baseline"] ** p["nk_il12_hill"] / (p["il12_baseline"] ** p["nk_il12_hill"]
                                                    + p["nk_il12_ec50"] ** p["nk_il12_hill"])
    nk0 = p["nk_baseline_activated_fraction"] * p["nk_baseline_total"]
    expected = (p["ifng_baseline"] * res["nk_activated"] / nk0 * res["ifng_induction"]
                * (1 - res["ifng_exhaustion"]) / (h0 * (1 - h0)))
    np.testing.assert_allclose(res["ifn_gamma"], expected, rtol=1e-12)


def test_sustained_il12_exhausts_the_ifn_gamma_response():
    """Daily s.c. IL-12 for two weeks: IFN-gamma falls back although IL-12 stays high (Pharmacology 2010)."""
    daily = iv.Regimen.none()
    for day in range(14):
        daily = daily + iv.Regimen.bolus(dose_g_per_kg=DOSE, at_day=float(day), product="il12", route="sc")
    res = _run("ivig_antitumour_human", 70.0, "sc", t_end=14.0, regimen=daily)
    first_peak = res["ifn_gamma"][res.t <= 3.0].max()
    assert res.at("ifn_gamma", 13.5) < 0.5 * first_peak
    assert res.at("il12", 13.5) > 0.5 * res["il12"].max()
