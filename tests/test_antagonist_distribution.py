"""The FcRn antagonist's own distribution and FcRn-independent clearance.

``fcra_extravasation`` multiplies IgG's transcapillary escape for the drug
(lymph return unchanged) and ``fcra_uptake`` its pinocytic uptake into
endosomes, in ``fcrn_pk`` and ``ivig_autoimmune`` alike. Both are 1 for a drug
that moves like IgG; neither touches IgG.
"""

import numpy as np
import pytest

import ivigsim as iv

R = iv.Regimen
BW = 70.0


def test_the_drugs_distribution_never_touches_untreated_igg():
    """With no drug, any fcra_extravasation and fcra_uptake give bit-identical IgG and FcRn states.

    In ivig_autoimmune free FcRn is algebraic in every bound form, the drug's and the
    surface's included, so the linear solves carry round-off into species that are
    exactly zero without drug: the drug's own (about 1e-46 uM) and the FcRn deficits
    (about 1e-31 uM). Those are held to 1e-25 uM; every other state must be bit-identical.
    """
    t = np.linspace(0.0, 30.0, 31)
    for model in ("fcrn_pk", "ivig_autoimmune"):
        untreated = iv.simulate(model, t_end=30.0, t_eval=t)
        other = iv.simulate(model, t_end=30.0, t_eval=t, params={"fcra_extravasation": 0.2, "fcra_uptake": 0.3})
        zero = np.array([n.startswith(("fcra_", "fcrn_deficit")) for n in untreated.model.species_names])
        np.testing.assert_array_equal(other.states[:, ~zero], untreated.states[:, ~zero])
        assert np.max(np.abs(other.states[:, zero])) < 1e-25 and np.max(np.abs(untreated.states[:, zero])) < 1e-25


@pytest.mark.parametrize("factor", [0.245, 1.0, 2.0])
def test_interstitial_drug_follows_its_own_escape_and_igg_lymph_return(factor):
    """V_i dC_i/dt = cl_extravasation * fcra_extravasation * BW * C_p - lymph_flow * BW * C_i."""
    t = np.linspace(1.0, 5.0, 4001)
    reg = R.fcrn_antagonist("nipocalimab", dose_mg_per_kg=30.0, doses=1)
    res = iv.simulate("fcrn_pk", regimen=reg, t_end=5.0, t_eval=t, body_weight_kg=BW, rtol=1e-10,
                      params={"fcra_extravasation": factor})
    p = res.parameters
    assert p["fcra_extravasation"] == factor
    slope = np.gradient(res["fcra_i"], t)[1:-1] * p["v_interstitial"] * BW
    expected = (p["cl_extravasation"] * factor * BW * res["fcra_p"]
                - p["lymph_flow"] * BW * res["fcra_i"])[1:-1]
    scale = p["cl_extravasation"] * factor * BW * res["fcra_p"][1:-1]
    assert np.max(np.abs(slope - expected) / scale) < 1e-4


def test_smaller_escape_keeps_the_drug_in_plasma_and_matches_ivig_autoimmune():
    """Less escape: more drug in plasma on day 1, less in the interstitium; both models agree."""
    t = np.array([1.0, 4.0, 7.0])
    reg = R.fcrn_antagonist("nipocalimab", dose_mg_per_kg=30.0, doses=1)
    low = iv.simulate("fcrn_pk", regimen=reg, t_end=7.0, t_eval=t, params={"fcra_extravasation": 0.245})
    igg_like = iv.simulate("fcrn_pk", regimen=reg, t_end=7.0, t_eval=t, params={"fcra_extravasation": 1.0})
    assert low["antagonist_concentration"][0] > 1.3 * igg_like["antagonist_concentration"][0]
    assert low["fcra_i"][0] < 0.5 * igg_like["fcra_i"][0]
    # ivig_autoimmune carries the same parameter and reactions: the drug's course agrees with fcrn_pk's
    # (its free FcRn is algebraic, as tests/test_antagonist_binding.py checks with the IgG-like drug)
    auto = iv.simulate("ivig_autoimmune", regimen=reg, t_end=7.0, t_eval=t, params={"fcra_extravasation": 0.245})
    np.testing.assert_allclose(auto["antagonist_concentration"], low["antagonist_concentration"], rtol=0.02)


def test_fcra_uptake_below_one_is_a_smaller_fcrn_independent_clearance():
    """With FcRn out of reach (no pools), the drug's plasma clearance is fcra_uptake x IgG's pinocytosis."""
    t = np.linspace(0.05, 3.0, 591)               # from after the 36 s infusion, so the integral is smooth
    reg = R.fcrn_antagonist("nipocalimab", dose_mg_per_kg=1.0, doses=1, infusion_hours=0.01)
    no_fcrn = {"fcrn_total": 0.0, "fcrn_total_h": 0.0, "fcra_extravasation": 0.05}
    rates = []
    for uptake in (0.6, 1.0):
        res = iv.simulate("fcrn_pk", regimen=reg, t_end=3.0, t_eval=t, body_weight_kg=BW, rtol=1e-10,
                          params={**no_fcrn, "fcra_uptake": uptake})
        p = res.parameters
        # drug that left plasma for the endosomes (degraded there, or still in them) over the window,
        # over the integral of the plasma concentration: the clearance, uptake x IgG's pinocytosis
        taken = res["fcra_catabolised"] + (res["fcra_e"] * p["v_endosome"] + res["fcra_e_h"] * p["v_endosome_h"]) * BW
        rates.append((taken[-1] - taken[0]) / (np.trapezoid(res["fcra_p"], t) * BW))
        assert rates[-1] == pytest.approx(uptake * (p["cl_uptake"] + p["cl_uptake_h"]), rel=1e-4)
    assert rates[0] / rates[1] == pytest.approx(0.6, rel=1e-4)


@pytest.mark.parametrize("model", ["fcrn_pk", "ivig_autoimmune"])
def test_model_defaults_are_the_catalogues_efgartigimod(model):
    """The fcra_* defaults of each model file are efgartigimod's catalogue values, as their sources say."""
    from ivigsim.core.antagonists import drug
    spec = iv.load_model(model)
    defaults = dict(zip(spec.parameter_names, spec.default_parameters().tolist()))
    for name, value in drug("efgartigimod").parameters.items():
        assert defaults[name] == pytest.approx(value, rel=1e-9), name
