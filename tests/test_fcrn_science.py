"""fcrn_pk against the published targets (shared reference, section A; IDs in test names)."""

import numpy as np
import pytest

import ivigsim as iv
from ivigsim.core.kernel.compiled import load_kernel

STANDARD_COURSE = iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8, every_days=28, cycles=1)


@pytest.fixture(scope="module")
def model():
    return iv.load_model("fcrn_pk")


@pytest.fixture(scope="module")
def baseline(model):
    return iv.simulate(model, t_end=10, body_weight_kg=70)


def tracer_half_life(model, **kwargs):
    """Half-life (days) of a trace IVIG bolus, from the log-linear slope over days 14-60."""
    res = iv.simulate(model, regimen=iv.Regimen.bolus(0.0005, at_day=0.0), t_end=60,
                      body_weight_kg=70, rtol=1e-8, **kwargs)
    window = (res.t >= 14) & (res.t <= 60)
    slope = np.polyfit(res.t[window], np.log(res["ivig"][window]), 1)[0]
    return np.log(2) / -slope


def fluxes(model, res, k=0):
    """Reaction rates (umol/day) at output k, by reaction name."""
    kernel = load_kernel(model)
    p = kernel.parameter_vector(list(res.parameters.values()), list(res.mechanisms.values()))
    rates = np.empty(len(model.reactions))
    kernel.rates(np.ascontiguousarray(res.states[k]), p, rates)
    return dict(zip((r.name for r in model.reactions), rates))


def test_PK01_untreated_steady_state_igg(baseline):
    assert 10.0 <= baseline["igg_total"][0] <= 12.0
    np.testing.assert_allclose(baseline["igg_total"], baseline["igg_total"][0], rtol=1e-9)


def test_PK02_PK04_synthesis_balances_catabolism_and_fcr(model, baseline):
    flux = fluxes(model, baseline)
    mw_mg_per_umol, weight = 150.0, 70.0
    catabolic = sum(v for n, v in flux.items() if n.endswith("_degradation"))     # umol/day
    synthesis = sum(v for n, v in flux.items() if n.endswith("_synthesis"))
    assert catabolic == pytest.approx(synthesis, rel=1e-7)
    assert flux["igg_synthesis"] * mw_mg_per_umol / weight == pytest.approx(34.0, rel=1e-12)
    plasma_umol = baseline["igg_total"][0] / 0.150 * 0.042 * weight          # g/L -> uM x L
    fcr = catabolic / plasma_umol
    assert fcr == pytest.approx(0.074, rel=0.05)                              # PK-04


def test_PK03_intravascular_fraction(baseline):
    assert baseline["intravascular_fraction"][0] == pytest.approx(0.44, abs=0.01)


def test_PK05_recycling_is_142_percent_of_catabolism(model, baseline):
    flux = fluxes(model, baseline)
    recycled = sum(v for n, v in flux.items() if n.endswith("_recycling"))
    catabolic = sum(v for n, v in flux.items() if n.endswith("_degradation"))
    # A datum of the fit (fits/fcrn_human, 10 % sigma), not an exact calibration any more.
    assert recycled / catabolic == pytest.approx(1.42, rel=0.10)


def test_PK07_tracer_half_life_at_normal_igg(model):
    assert 21.0 <= tracer_half_life(model) <= 23.0


def kim_half_life(igg_g_per_l, intravascular_fraction=0.44):
    """Half-life from Kim et al. 2007's FCR = k_int - J_max / (V1 (K_m + C)) (target PK-06)."""
    fcr = 0.18 - 147.0 / (42.0 * (21.0 + igg_g_per_l))
    return np.log(2) / (fcr * intravascular_fraction)


def test_PK06_half_life_depends_on_igg_level(model):
    normal = tracer_half_life(model)
    hypo_res = iv.simulate(model, t_end=1, params={"igg_production": 4.5})
    hypo = tracer_half_life(model, params={"igg_production": 4.5})      # IgG about 3 g/L
    hyper_res = iv.simulate(model, t_end=1, params={"igg_production": 130.0})
    hyper = tracer_half_life(model, params={"igg_production": 130.0})   # IgG about 25 g/L
    assert 2.5 < hypo_res["igg_total"][0] < 3.5 and 23.0 < hyper_res["igg_total"][0] < 27.0
    # Direction (Waldmann & Strober): longer in hypo-, shorter in hypergammaglobulinaemia.
    assert hypo > 1.5 * normal
    assert hyper < normal / 1.4
    # Magnitude across the range: Kim's saturable-recycling formula, to which the FcRn
    # parameters are fitted (fits/fcrn_human).
    assert hypo == pytest.approx(kim_half_life(hypo_res["igg_total"][0]), rel=0.15)
    assert hyper == pytest.approx(kim_half_life(hyper_res["igg_total"][0]), rel=0.15)


def test_PK09_PK10_peak_igg_after_a_2_g_per_kg_course(model):
    res = iv.simulate(model, regimen=STANDARD_COURSE, t_end=28, body_weight_kg=70)
    peak = res["igg_total"].max()
    assert 25.0 <= peak <= 35.0
    assert peak < 60.0
    assert res.t[np.argmax(res["igg_total"])] == pytest.approx(4 + 8 / 24, abs=1e-9)   # end of day-5 infusion


def _autoantibody_ratio(model, **kwargs):
    treated = iv.simulate(model, regimen=STANDARD_COURSE, t_end=180, body_weight_kg=70, **kwargs)
    untreated = iv.simulate(model, t_end=180, body_weight_kg=70, t_eval=treated.t, **kwargs)
    return treated.t, treated["autoantibody"] / untreated["autoantibody"]


def test_PK16_fcrn_saturation_lowers_autoantibody_weeks_after_course(model):
    t, ratio = _autoantibody_ratio(model)
    nadir_day = t[np.argmin(ratio)]
    assert 21.0 <= nadir_day <= 30.0                       # nadir 3-4 weeks after the course
    assert ratio.min() < 0.92                              # a real, not marginal, fall
    assert ratio[t == 120][0] > 1 - (1 - ratio.min()) / 2  # recovering over months
    assert np.all(ratio <= 1.0 + 1e-9)


def test_PK16_fall_is_a_fifth_after_recalibration(model):
    # Fitted to Kim et al.'s law and Bleeker et al.'s ~25 % together: about 22 % (12 % before).
    t, ratio = _autoantibody_ratio(model)
    assert 0.76 <= ratio.min() <= 0.80


@pytest.mark.xfail(strict=True, reason=(
    "PK-16's ~25 % (22.5-27.5 %) is Bleeker et al.'s model prediction. Fitted together with Kim et "
    "al.'s concentration-catabolism law (fits/fcrn_human) the fall is 22.0 %; Kim et al.'s own law "
    "in this distribution model gives 16.7 %. See validation/targets.toml, PK-16."))
def test_PK16_magnitude_about_25_percent(model):
    t, ratio = _autoantibody_ratio(model)
    assert 0.725 <= ratio.min() <= 0.775


def test_PK22_fcrn_knockout_short_half_life_and_no_ivig_effect(model):
    knockout = {"fcrn_recycling": False}
    knockout_half_life = tracer_half_life(model, mechanisms=knockout)
    # Mouse: 29.5 h vs 66.1 h (ratio 0.45). Here the plasma pool alone is catabolised and
    # the interstitial pool returns slowly, so the terminal half-life is about 9 days.
    assert knockout_half_life < 10.0
    assert knockout_half_life / tracer_half_life(model) == pytest.approx(29.5 / 66.1, rel=0.1)
    t, ratio = _autoantibody_ratio(model, mechanisms=knockout)
    np.testing.assert_allclose(ratio, 1.0, atol=1e-6)
