"""The FcRn-blind tracer of fcrn_pk and named parameter sets (the mouse set, PK-15 and PK-22)."""

import math

import numpy as np
import pytest

import ivigsim as iv
from ivigsim.errors import ModelFileError, ParameterError

COURSE = iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8)


# -- the FcRn-blind tracer -----------------------------------------------------------------------

def test_tracer_with_fcrn_capacity_zero_is_the_igg_knockout():
    """Without FcRn, an IgG and the tracer are the same molecule to the model."""
    same = {"fcrn_total": 0.0, "fcrn_total_h": 0.0, "tracer_production": 0.03, "aab_production": 0.03, "mw_tracer": 150.0}
    res = iv.simulate("fcrn_pk", regimen=COURSE, t_end=60, body_weight_kg=70, params=same, rtol=1e-10)
    np.testing.assert_allclose(res["tracer"], res["autoantibody"], rtol=1e-8)


def test_tracer_ignores_ivig_and_is_conserved():
    treated = iv.simulate("fcrn_pk", regimen=COURSE, t_end=60, body_weight_kg=70, rtol=1e-10)
    untreated = iv.simulate("fcrn_pk", t_end=60, body_weight_kg=70, t_eval=treated.t, rtol=1e-10)
    np.testing.assert_allclose(treated["tracer"], untreated["tracer"], rtol=1e-8)
    assert treated["autoantibody"].min() < 0.95 * untreated["autoantibody"][0]      # the IgG does respond
    # infused = in the body + catabolised (umol)
    p = treated.parameters
    vp, vi, ve, ve_h = (70 * p[k] for k in ("v_plasma", "v_interstitial", "v_endosome", "v_endosome_h"))
    body = (treated["tracer_p"] * vp + treated["tracer_i"] * vi + treated["tracer_e"] * ve
            + treated["tracer_e_h"] * ve_h)
    infused = p["tracer_production"] * 70 / p["mw_tracer"] * treated.t
    np.testing.assert_allclose(body - body[0] + treated["tracer_catabolised"], infused, rtol=1e-7,
                               atol=1e-9 * infused[-1])


def test_tracer_steady_state_is_the_analytic_one():
    """Linear kinetics: plasma level = infusion / clearance, clearance = uptake x degraded fraction."""
    res = iv.simulate("fcrn_pk", t_end=1, body_weight_kg=70)
    p = res.parameters
    rate = p["tracer_production"] * 70 / p["mw_tracer"]                       # umol/day
    clearance = (p["cl_uptake"] + p["cl_uptake_h"]) * 70                        # every pinocytosed molecule is degraded
    assert res["tracer_p"][0] == pytest.approx(rate / clearance, rel=1e-9)


# -- named parameter sets ------------------------------------------------------------------------

def test_mouse_set_replaces_values_bounds_and_sources():
    human, mouse = iv.load_model("fcrn_pk"), iv.load_model("fcrn_pk@mouse")
    assert mouse.label == "fcrn_pk@mouse" and mouse.parameter_set == "mouse" and human.parameter_set == ""
    assert mouse.fingerprint() == human.fingerprint()                          # one compiled kernel
    vp = mouse.parameters[mouse.parameter_index("v_plasma")]
    assert vp.value == 0.05 and vp.bounds == (0.035, 0.07) and "Davies" in vp.source
    assert mouse.parameters[mouse.parameter_index("k_on")] == human.parameters[human.parameter_index("k_on")]
    assert human.with_parameter_set("mouse").default_parameters().tolist() == \
        mouse.default_parameters().tolist()
    res = iv.simulate("fcrn_pk@mouse", t_end=1)
    assert res.parameters["body_weight"] == 0.025
    assert 2.5 < res["igg_total"][0] < 3.5                                      # a few g/L in mice


def test_mouse_set_refuses_a_human_body_weight():
    with pytest.raises(ParameterError, match="body_weight"):
        iv.simulate("fcrn_pk@mouse", t_end=1, body_weight_kg=70)


def test_unknown_parameter_set_names_the_model_and_suggests():
    with pytest.raises(ModelFileError, match=r"no parameter set 'mose' \(did you mean 'mouse'\?\); known: mouse"):
        iv.load_model("fcrn_pk@mose")
    with pytest.raises(ModelFileError, match="no parameter set 'rat'"):
        iv.load_model("ivig_autoimmune@rat")
    with pytest.raises(ModelFileError, match="already has parameter set"):
        iv.load_model("fcrn_pk@mouse").with_parameter_set("mouse")


MODEL = """
[model]
name = "decay"
mechanisms.loss = "first-order loss"
[compartments.c]
volume = "v"
unit = "L"
[species.x]
compartment = "c"
unit = "mg/L"
initial = "x0"
[parameters.v]
value = 1.0
unit = "L"
bounds = [0.1, 10.0]
source = "test"
[parameters.x0]
value = 1.0
unit = "mg/L"
bounds = [0.0, 10.0]
source = "test"
[parameters.k]
value = 0.5
unit = "1/day"
bounds = [0.0, 10.0]
source = "test"
[reactions.loss]
equation = "x ->"
rate = "k * x * c"
mechanism = "loss"
[parameter_sets.fast]
description = "a faster loss, given per hour"
[parameter_sets.fast.parameters.k]
value = 0.1
unit = "1/h"
bounds = [0.0, 1.0]
source = "test set"
"""


def test_a_set_in_another_unit_is_converted_and_simulates(tmp_path):
    path = tmp_path / "decay.toml"
    path.write_text(MODEL)
    fast = iv.load_model(f"{path}@fast")
    k = fast.parameters[fast.parameter_index("k")]
    assert k.value == pytest.approx(2.4) and k.bounds == pytest.approx((0.0, 24.0))
    res = iv.simulate(fast, t_end=2, t_eval=[0.0, 1.0, 2.0], rtol=1e-10)
    np.testing.assert_allclose(res["x"], np.exp(-2.4 * np.array([0.0, 1.0, 2.0])), rtol=1e-7)
    base = iv.load_model(path)
    assert base.parameters[base.parameter_index("k")].value == 0.5               # the file is unchanged


@pytest.mark.parametrize("entry, key, why", [
    ('[parameter_sets.fast.parameters.kk]\nvalue = 1.0\nunit = "1/day"\nbounds = [0, 2]\nsource = "x"',
     "parameter_sets.fast.parameters.kk", "no parameter 'kk' (did you mean 'k'?)"),
    ('[parameter_sets.fast.parameters.x0]\nvalue = 1.0\nunit = "1/day"\nbounds = [0, 2]\nsource = "x"',
     "parameter_sets.fast.parameters.x0.unit", "cannot be converted to the declared unit mg/L"),
    ('[parameter_sets.fast.parameters.x0]\nvalue = 5.0\nunit = "mg/L"\nbounds = [0, 2]\nsource = "x"',
     "parameter_sets.fast.parameters.x0.value", "outside its bounds"),
    ('[parameter_sets.fast.parameters.x0]\nvalue = 1.0\nunit = "mg/L"\nbounds = [0, 2]\nsource = " "',
     "parameter_sets.fast.parameters.x0.source", "needs a source"),
])
def test_a_malformed_set_is_refused_with_file_and_key(tmp_path, entry, key, why):
    path = tmp_path / "bad.toml"
    path.write_text(MODEL + entry + "\n")
    with pytest.raises(ModelFileError) as err:
        iv.load_model(path)
    assert err.value.key == key and why in err.value.reason


# -- the mouse targets -------------------------------------------------------------------------

def _half_life(model, params=None, window=(2.0, 8.0)):
    res = iv.simulate(model, regimen=iv.Regimen.bolus(dose_g_per_kg=0.0005), t_end=window[1], params=params,
                      rtol=1e-9)
    k = (res.t >= window[0]) & (res.t <= window[1])
    return math.log(2) / -np.polyfit(res.t[k], np.log(res["ivig"][k]), 1)[0]


def test_mouse_half_lives_are_those_of_sarav_2009():
    """PK-22 (calibrated): 66.1 h wild type, 29.5 h FcRn knockout."""
    assert _half_life("fcrn_pk@mouse") * 24 == pytest.approx(66.1, rel=0.01)
    assert _half_life("fcrn_pk@mouse", {"fcrn_total": 0.0}) * 24 == pytest.approx(29.5, rel=0.01)


def test_mouse_ivig_lowers_the_igg_mab_but_not_the_fcrn_blind_tracer():
    """PK-15's direction: the IgG mAb falls, the IgA-like tracer does not (magnitude: see targets.toml)."""
    dose = iv.Regimen.bolus(dose_g_per_kg=1.0)
    treated = iv.simulate("fcrn_pk@mouse", regimen=dose, t_end=10)
    untreated = iv.simulate("fcrn_pk@mouse", t_end=10, t_eval=treated.t)
    ratio = treated.at("autoantibody", 3.0) / untreated.at("autoantibody", 3.0)
    assert 0.7 < ratio < 0.85
    np.testing.assert_allclose(treated["tracer"], untreated["tracer"], rtol=1e-8)


def _day3_ratio(params, dose_g_per_kg):
    t = np.linspace(0.0, 3.0, 61)
    kw = dict(t_end=3.0, body_weight_kg=0.025, params=params, t_eval=t)
    treated = iv.simulate("fcrn_pk@mouse", regimen=iv.Regimen.bolus(dose_g_per_kg), **kw)
    untreated = iv.simulate("fcrn_pk@mouse", **kw)
    return treated["autoantibody"][-1] / untreated["autoantibody"][-1]


def _rederived(igg_g_per_l, fcrn_multiple):
    """The mouse set with k_recycle and igg_production re-solved for Sarav's 66.1 h and an IgG level."""
    from scipy.optimize import brentq
    base = dict(zip(iv.load_model("fcrn_pk@mouse").parameter_names,
                    iv.load_model("fcrn_pk@mouse").default_parameters().tolist()))
    fcrn = base["fcrn_total"] * fcrn_multiple
    production, recycle = base["igg_production"] * igg_g_per_l / 3.0, base["k_recycle"]
    for _ in range(4):
        recycle = brentq(lambda k: _half_life("fcrn_pk@mouse", {"k_recycle": k, "igg_production": production,
                                                                "fcrn_total": fcrn}) * 24 - 66.1, 0.2, 99.0,
                         xtol=1e-4)
        production = brentq(lambda p: iv.simulate("fcrn_pk@mouse", t_end=1.0, params={
            "k_recycle": recycle, "igg_production": p, "fcrn_total": fcrn})["igg_total"][0] - igg_g_per_l,
            10.5, 1999.0, xtol=1e-3)
    return {"k_recycle": recycle, "igg_production": production, "fcrn_total": fcrn}


@pytest.mark.slow
def test_pk15_reason_numbers():
    """The numbers PK-15's expected-failure reason quotes: with Sarav's half-lives kept, FcRn capacity
    does not move the day-3 ratio, IgG level and dose do, and even 2 g/kg on IgG of 1 g/L stays above 0.66."""
    shipped = _day3_ratio({}, 1.0)
    assert shipped == pytest.approx(0.78, abs=0.006)
    quarter = _rederived(3.0, 0.25)
    assert _day3_ratio(quarter, 1.0) == pytest.approx(shipped, abs=0.004)
    low = _rederived(1.0, 1.0)
    assert _day3_ratio(low, 1.0) == pytest.approx(0.74, abs=0.006)
    assert 0.66 < _day3_ratio(low, 2.0) < 0.675
    assert _day3_ratio({}, 2.0) == pytest.approx(0.71, abs=0.006)
