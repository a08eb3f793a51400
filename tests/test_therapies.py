"""Plasma exchange, immunoadsorption, FcRn antagonists and combined regimens."""

import math

import numpy as np
import pytest

import ivigsim as iv
from ivigsim.errors import IvigsimError, ParameterError
from ivigsim.core.regimen import RegimenError, hyperviscosity_flags
from ivigsim.core.simulation import prepare
from ivigsim.core.solvers.scipy_reference import integrate_scipy

R = iv.Regimen
PLASMA_ONLY = {"distribution": False, "pinocytosis": False, "production": False,
               "fcrn_recycling": False, "catabolism": False}


def _amount_umol(res, species, compartment_litres):
    return res[species] * compartment_litres


# -- plasma exchange kinetics ------------------------------------------------------

@pytest.mark.parametrize("volumes", [0.5, 1.0, 1.5])
def test_one_session_removes_one_minus_exp_of_the_exchanged_volume(volumes):
    """With nothing but the exchange acting, plasma IgG falls by exp(-V_ex/V_plasma) per session."""
    reg = R.bolus(0.1) + R.plasma_exchange(plasma_volumes=volumes, sessions=1, session_hours=2.0,
                                            start_day=1.0)
    res = iv.simulate("fcrn_pk", regimen=reg, t_end=3.0, mechanisms=PLASMA_ONLY,
                      t_eval=[0.0, 1.0, 1.0 + 2.0 / 24.0, 3.0], rtol=1e-9)
    before, after, later = res["ivig_p"][1], res["ivig_p"][2], res["ivig_p"][3]
    assert after / before == pytest.approx(math.exp(-volumes), rel=1e-6)
    assert later == pytest.approx(after, rel=1e-9)        # no removal between sessions


def test_mass_balance_under_plasma_exchange():
    """What the exchange removed is what left the body beyond synthesis and catabolism."""
    reg = R.ivig() + R.plasma_exchange(sessions=5, every_days=2.0, start_day=5.0)
    res = iv.simulate("fcrn_pk", regimen=reg, t_end=40.0, body_weight_kg=70.0, rtol=1e-9)
    p = res.parameters
    synthesised = (p["igg_production"] + p["aab_production"]) * 70.0 * res.t / 1000.0   # g
    given = np.array([sum(d.amount_g for d in reg.doses(70.0) if d.time_day < t) for t in res.t])
    given[-1] = 140.0
    removed = res["igg_removed_by_apheresis"]
    balance = res["igg_body"] + res["total_catabolised"] + removed - synthesised - given
    assert removed[-1] > 50.0                               # tens of grams were exchanged
    np.testing.assert_allclose(balance[res.t > 5.0], balance[0], atol=2e-5 * res["igg_body"][0])


def test_fresh_frozen_plasma_returns_normal_igg():
    albumin = iv.simulate("fcrn_pk", regimen=R.plasma_exchange(sessions=1), t_end=5.0)
    ffp = iv.simulate("fcrn_pk", regimen=R.plasma_exchange(sessions=1, replacement="fresh_frozen_plasma"),
                      t_end=5.0)
    assert ffp["igg_total"].min() > albumin["igg_total"].min() + 3.0
    # the autoantibody is removed the same way whatever replaces the plasma; the donor IgG returned
    # competes with it for the saturable haematopoietic FcRn, so it ends 0.14 % lower
    assert ffp["autoantibody"].min() == pytest.approx(albumin["autoantibody"].min(), rel=3e-3)
    assert ffp["autoantibody"].min() < albumin["autoantibody"].min()
    # the donor IgG given is the plasma volume returned times its IgG concentration
    given_g = ffp["ffp_igg_given"][-1] * ffp.parameters["mw_igg"] / 1000.0
    plasma_l = ffp.parameters["v_plasma"] * 70.0
    assert given_g == pytest.approx(plasma_l * ffp.parameters["ffp_igg"] / 1000.0, rel=1e-6)


def test_negligible_exchange_equals_untreated():
    untreated = iv.simulate("fcrn_pk", t_end=30.0, rtol=1e-10)
    tiny = iv.simulate("fcrn_pk", regimen=R.plasma_exchange(plasma_volumes=1e-12, sessions=3),
                       t_end=30.0, t_eval=untreated.t, rtol=1e-10)
    # (the removal sinks hold the 1e-12 plasma volumes' worth, about 1e-9 umol)
    np.testing.assert_allclose(tiny.states, untreated.states, rtol=1e-8, atol=2e-9)
    zero_column = R.immunoadsorption(column_efficiency={"igg": 0.0, "autoantibody": 0.0, "iga": 0.0})
    adsorbed = iv.simulate("fcrn_pk", regimen=zero_column, t_end=30.0, t_eval=untreated.t, rtol=1e-10)
    np.testing.assert_allclose(adsorbed.states, untreated.states, rtol=1e-8, atol=1e-12)
    assert adsorbed["igg_removed"][-1] == 0.0


def test_immunoadsorption_removes_by_class_efficiency():
    reg = R.immunoadsorption(plasma_volumes=2.0, sessions=1, start_day=1.0,
                             column_efficiency={"igg": 0.9, "autoantibody": 0.0})
    res = iv.simulate("fcrn_pk", regimen=R.bolus(0.1) + reg, t_end=2.0, mechanisms=PLASMA_ONLY,
                      t_eval=[1.0, 1.0 + 2.0 / 24.0], rtol=1e-9)
    assert res["ivig_p"][1] / res["ivig_p"][0] == pytest.approx(math.exp(-1.8), rel=1e-6)
    column = R.immunoadsorption(plasma_volumes=2.0, sessions=1, column_efficiency={"igg": 0.0})
    aab = iv.simulate("fcrn_pk", regimen=column, t_end=1.0)
    assert aab["autoantibody"].min() < 0.5 * aab["autoantibody"][0]        # default 0.8 per pass
    assert aab["igg_removed"][-1] == 0.0                                      # IgG column efficiency 0


def test_plasma_exchange_agrees_with_radau():
    reg = R.ivig() + R.plasma_exchange(start_day=5.0)
    run = prepare("fcrn_pk", reg, t_end=30.0)
    res = iv.simulate("fcrn_pk", regimen=reg, t_end=30.0, rtol=1e-9)
    from ivigsim.core.simulation import initial_state
    y0 = initial_state(run.spec, run.kernel, run.values, run.p, 1e-9, run.atol)
    ref, _ = integrate_scipy(run.kernel, y0, run.p, run.schedule, res.t, rtol=1e-10, atol=1e-13)
    scale = np.abs(ref).max(axis=0) + 1e-12
    assert np.max(np.abs(res.states - ref) / scale) < 1e-6


def test_plex_after_ivig_washes_ivig_out():
    ivig = iv.simulate("fcrn_pk", regimen=R.ivig(), t_end=30.0)
    both = iv.simulate("fcrn_pk", regimen=R.ivig() + R.plasma_exchange(start_day=5.0), t_end=30.0,
                       t_eval=ivig.t)
    at = np.searchsorted(ivig.t, 14.0)
    assert both["ivig"][at] < 0.4 * ivig["ivig"][at]
    assert both["ivig_removed"][-1] * both.parameters["mw_igg"] / 1000.0 > 50.0   # grams of IVIG


# -- FcRn antagonists ---------------------------------------------------------------

def test_zero_antagonist_dose_leaves_the_model_unchanged():
    """The drug's parameter set with no drug given changes nothing, to the last digit."""
    untreated = iv.simulate("fcrn_pk", t_end=60.0)
    drug_params = iv.Regimen.fcrn_antagonist("nipocalimab", dose_mg_per_kg=30).model_parameters()
    with_params = iv.simulate("fcrn_pk", t_end=60.0, params=drug_params)
    np.testing.assert_array_equal(with_params.observables, untreated.observables)
    assert np.all(with_params["fcra_p"] == 0.0)


def test_saturating_antagonist_gives_full_occupancy_and_knockout_half_life():
    """At a saturating dose FcRn occupancy -> 1 and IgG half-life -> the FcRn-knockout value."""
    t = np.linspace(0.0, 20.0, 81)
    tracer = R.bolus(1e-4, at_day=2.0)
    keep = {"fcra_complex_deg": 0.0, "fcra_release": 0.0, "fcra_kd": 1e-6, "fcra_uptake": 1.0}
    drug = R.fcrn_antagonist("nipocalimab", dose_mg_per_kg=2000.0, doses=1, infusion_hours=24) + tracer
    blocked = iv.simulate("fcrn_pk", regimen=drug, t_end=20.0, t_eval=t, params=keep)
    knockout = iv.simulate("fcrn_pk", regimen=tracer, t_end=20.0, t_eval=t,
                           mechanisms={"fcrn_recycling": False})
    window = (t >= 8.0) & (t <= 20.0)
    assert blocked["fcrn_occupancy_antagonist"][window].min() > 0.999

    def half_life(y):
        slope = np.polyfit(t[window], np.log(y[window]), 1)[0]
        return -math.log(2.0) / slope

    assert half_life(blocked["ivig_p"]) == pytest.approx(half_life(knockout["ivig_p"]), rel=0.01)


def test_antagonist_lowers_igg_and_autoantibody_alike():
    res = iv.simulate("fcrn_pk", regimen=R.fcrn_antagonist("efgartigimod", dose_mg_per_kg=10),
                      t_end=56.0)
    untreated = iv.simulate("fcrn_pk", t_end=56.0, t_eval=res.t)
    igg = res["igg_total"] / untreated["igg_total"]
    aab = res["autoantibody"] / untreated["autoantibody"]
    assert igg.min() < 0.99
    np.testing.assert_allclose(igg, aab, rtol=1e-6)
    assert res["fcrn_occupancy_antagonist"].max() > 0.05


@pytest.mark.parametrize("model", ["fcrn_pk", "ivig_autoimmune"])
def test_efgartigimod_terminal_half_life_is_the_labelled_80_to_120_hours(model):
    """Not a calibration target (fits/efgartigimod fits exposure): the label's terminal half-life."""
    t = np.linspace(0.0, 14.0, 281)
    res = iv.simulate(model, regimen=R.fcrn_antagonist("efgartigimod", dose_mg_per_kg=10, doses=1),
                      t_end=14.0, t_eval=t)
    window = (t >= 7.0) & (t <= 14.0)
    slope = np.polyfit(t[window], np.log(res["antagonist_concentration"][window]), 1)[0]
    assert 80.0 <= -math.log(2.0) / slope * 24.0 <= 120.0


def test_subcutaneous_antagonist_reaches_plasma_with_its_bioavailability():
    res = iv.simulate("fcrn_pk", regimen=R.fcrn_antagonist("efgartigimod", dose_mg=1000, route="sc",
                                                             doses=1), t_end=60.0)
    p = res.parameters
    absorbed = (1000.0 / p["fcra_mw"]) * p["fcra_f_sc"]          # umol
    lost = (1000.0 / p["fcra_mw"]) * (1.0 - p["fcra_f_sc"])
    body = (res["fcra_p"] * p["v_plasma"] * 70 + res["fcra_i"] * p["v_interstitial"] * 70
            + (res["fcra_e"] + res["fcra_fcrn"] + res["fcra_fcrn_s"]) * p["v_endosome"] * 70
            + (res["fcra_e_h"] + res["fcra_fcrn_h"]) * p["v_endosome_h"] * 70 + res["fcra_sc"])
    total = body + res["fcra_catabolised"]
    np.testing.assert_allclose(total, absorbed + lost, rtol=1e-6)
    assert 1.0 <= res.t[np.argmax(res["fcra_p"])] <= 4.0


# -- regimen API, descriptions, flags -------------------------------------------------

def test_combine_and_plus_are_the_same_regimen():
    a, b = R.ivig(), R.plasma_exchange(start_day=7.0)
    assert R.combine(a, b) == a + b
    assert (a + b).sessions == b.sessions
    text = (a + b).describe()
    assert "0.4 g/kg/day × 5 d" in text and "5 × plasma exchange of 1 plasma volume" in text


def test_antagonist_description_and_model_parameters():
    reg = R.fcrn_antagonist("rozanolixizumab", dose_mg=560, doses=6)
    assert reg.describe() == "rozanolixizumab: 560 mg, SC depot doses, every 7 d × 6"
    assert reg.model_parameters()["fcra_mw"] == 148.0
    assert R.ivig().model_parameters() == {}


def test_dose_outside_the_label_is_flagged_not_refused():
    high = R.fcrn_antagonist("efgartigimod", dose_mg_per_kg=25)
    flags = high.safety_flags(70.0)
    assert any("outside the labelled 10 mg/kg" in f for f in flags)
    assert R.fcrn_antagonist("efgartigimod", dose_mg_per_kg=10).safety_flags(70.0) == []
    iv.simulate("fcrn_pk", regimen=high, t_end=10.0)             # still simulated


def test_hyperviscosity_bands():
    assert hyperviscosity_flags(2.99) == []
    assert "no hyperviscosity symptoms" in hyperviscosity_flags(3.2)[0]
    assert "subtle" in hyperviscosity_flags(4.1)[0]
    assert "classic" in hyperviscosity_flags(5.0)[0]
    assert R.ivig().safety_flags(70.0, peak_viscosity_cp=4.5)[-1].startswith("predicted serum viscosity")


# -- bad input ------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, words", [
    ({"plasma_volumes": 0.0}, "plasma_volumes must lie in (0, 2]"),
    ({"plasma_volumes": -1.0}, "plasma_volumes must lie in (0, 2]"),
    ({"plasma_volumes": 2.5}, "plasma_volumes must lie in (0, 2]"),
    ({"every_days": 0.01}, "sessions overlap"),
    ({"replacement": "saline"}, "replacement must be one of albumin, fresh_frozen_plasma"),
    ({"session_hours": 0.0}, "session_hours must lie in (0, 12]"),
    ({"sessions": 0}, "sessions must be a whole number >= 1"),
])
def test_plasma_exchange_refuses_bad_arguments(kwargs, words):
    with pytest.raises(RegimenError) as err:
        R.plasma_exchange(**kwargs)
    assert words in str(err.value)
    assert str(err.value).startswith("plasma exchange:")


def test_overlapping_sessions_from_two_regimens_are_refused():
    with pytest.raises(RegimenError, match="sessions overlap"):
        R.plasma_exchange(sessions=2) + R.plasma_exchange(sessions=1, start_day=2.05)


def test_unknown_drug_gets_a_did_you_mean():
    with pytest.raises(RegimenError, match="Did you mean 'efgartigimod'"):
        R.fcrn_antagonist("efgartigimd", dose_mg_per_kg=10)
    with pytest.raises(RegimenError, match="exactly one of dose_mg_per_kg or dose_mg"):
        R.fcrn_antagonist("efgartigimod")
    with pytest.raises(RegimenError, match="route"):
        R.fcrn_antagonist("nipocalimab", dose_mg_per_kg=30, route="sc")


def test_two_antagonists_in_one_regimen_are_refused():
    with pytest.raises(RegimenError, match="one FcRn antagonist per regimen"):
        R.fcrn_antagonist("efgartigimod", dose_mg_per_kg=10) + R.fcrn_antagonist(
            "nipocalimab", dose_mg_per_kg=30)


def test_models_without_apheresis_refuse_sessions_and_stochastic_methods_refuse_them():
    with pytest.raises(ParameterError, match="cannot receive plasma exchange"):
        iv.simulate("igg_linear", regimen=R.plasma_exchange(), t_end=10.0)
    with pytest.raises(ParameterError, match="use method='ode'"):
        iv.simulate("fcrn_pk", regimen=R.plasma_exchange(), t_end=10.0, method="ssa", seed=1,
                    ssa_scale=1.0)
    with pytest.raises(IvigsimError):
        iv.simulate("igg_linear", regimen=R.fcrn_antagonist("efgartigimod", dose_mg_per_kg=10),
                    t_end=10.0)


# -- experiment files -------------------------------------------------------------------

def test_therapy_comparison_file_builds_every_arm():
    from conftest import ROOT
    from ivigsim.sweep.experiment import load_experiment
    exp = load_experiment(ROOT / "experiments" / "therapy_comparison.toml")
    arms = {spec.name: spec.build() for spec in exp.regimens}
    assert set(arms) == {"ivig", "efgartigimod", "rozanolixizumab", "plex", "plex_ffp", "ivig_then_plex"}
    assert arms["efgartigimod"].antagonist == "efgartigimod"
    assert len(arms["plex"].sessions) == 5 and not arms["plex"].administrations
    assert {s.replacement for s in arms["plex"].sessions} == {"albumin"}
    assert {s.replacement for s in arms["plex_ffp"].sessions} == {"fresh_frozen_plasma"}
    both = arms["ivig_then_plex"]
    assert len(both.administrations) == 5 and [s.time_day for s in both.sessions] == [5, 7, 9, 11, 13]
    assert both.name == "ivig_then_plex"


def _experiment(tmp_path, regimen_text):
    path = tmp_path / "x.toml"
    path.write_text(f"""
[experiment]
name = "x"
model = "fcrn_pk"
seed = 1
t_end_days = 20.0

{regimen_text}

[sweep]
method = "none"

[metrics.cost]
kind = "therapy_cost_usd"
""")
    return path


def test_file_regimens_of_the_new_kinds_run_and_cost(tmp_path):
    from ivigsim.sweep.experiment import load_experiment
    path = _experiment(tmp_path, """
[regimens.ia]
kind = "immunoadsorption"
plasma_volumes = 2.0
sessions = 2
column_efficiency = {igg = 0.5, autoantibody = 0.9}
""")
    res = iv.run_experiment(path, out=tmp_path / "out", progress=False)
    assert res.metrics["status"].tolist() == ["ok"]
    assert res.metrics["cost"].iloc[0] == pytest.approx(2 * 4638.16 / 5)


def test_a_bad_combined_regimen_names_the_key(tmp_path):
    from ivigsim.sweep.experiment import ExperimentFileError, load_experiment
    path = _experiment(tmp_path, """
[regimens.both]
kind = "combine"
parts = [{kind = "ivig"}, {kind = "combine", parts = []}]
""")
    with pytest.raises(ExperimentFileError, match=r"regimens\.both\.parts\[1\]\.kind"):
        load_experiment(path)
    path = _experiment(tmp_path, """
[regimens.both]
kind = "combine"
parts = "ivig"
""")
    with pytest.raises(ExperimentFileError, match=r"regimens\.both\.parts"):
        load_experiment(path)


def test_sbml_export_refuses_sessions(tmp_path):
    from ivigsim.io.sbml.export import export_sbml
    with pytest.raises(IvigsimError, match="plasma exchange or immunoadsorption"):
        export_sbml("fcrn_pk", tmp_path / "m.xml", regimen=R.plasma_exchange())


# -- the bad-input list, from experiment files and for every label kind -------------

@pytest.mark.parametrize("regimen, words", [
    ('kind = "plasma_exchange"\nplasma_volumes = 2.5', "plasma_volumes must lie in (0, 2] plasma volumes"),
    ('kind = "plasma_exchange"\nplasma_volumes = 0.0', "plasma_volumes must lie in (0, 2] plasma volumes"),
    ('kind = "plasma_exchange"\nevery_days = 0.02', "sessions overlap"),
    ('kind = "immunoadsorption"\nplasma_volumes = 3.5', "plasma_volumes must lie in (0, 3]"),
    ('kind = "immunoadsorption"\ncolumn_efficiency = {igg = 1.2}', "column_efficiency['igg'] must lie in [0, 1]"),
    ('kind = "fcrn_antagonist"\ndrug = "efgartigimd"\ndose_mg_per_kg = 10.0', "Did you mean 'efgartigimod'?"),
    ('kind = "fcrn_antagonist"\ndrug = "nipocalimab"\ndose_mg = 560.0\nroute = "sc"', "route"),
])
def test_bad_therapy_regimens_in_a_file_are_refused_naming_the_key(tmp_path, regimen, words):
    from ivigsim.sweep.experiment import ExperimentFileError, load_experiment
    path = _experiment(tmp_path, f"[regimens.arm]\n{regimen}\n")
    with pytest.raises(ExperimentFileError) as err:
        load_experiment(path)
    message = str(err.value)
    assert "[regimens.arm]" in message and words in message and "\n" not in message


@pytest.mark.parametrize("build, words", [
    (lambda: R.fcrn_antagonist("rozanolixizumab", dose_mg_per_kg=20.0, route="sc"),
     "rozanolixizumab SC dose 20 mg/kg is outside the labelled 5-10 mg/kg"),
    (lambda: R.fcrn_antagonist("efgartigimod", dose_mg=500.0, route="sc"),
     "efgartigimod SC dose 500 mg is outside the labelled 1000-1008 mg"),
    (lambda: R.fcrn_antagonist("nipocalimab", dose_mg_per_kg=60.0),
     "nipocalimab IV dose 60 mg/kg is outside the labelled 15-30 mg/kg"),
])
def test_every_kind_of_label_range_is_a_flag_not_a_refusal(build, words):
    regimen = build()
    flags = regimen.safety_flags(70.0)
    assert len(flags) == 1 and words in flags[0] and "not a refusal" in flags[0]
    res = iv.simulate("fcrn_pk", regimen=regimen, t_end=14.0)
    assert res["fcra_p"].max() > 0.0                    # still given and simulated
    # at the labelled maximum per dose: 10 mg/kg for a 150 kg patient is 1500 mg > 1200 mg
    heavy = R.fcrn_antagonist("efgartigimod", dose_mg_per_kg=10.0).safety_flags(150.0)
    assert heavy == ["efgartigimod IV dose 1500 mg is above the labelled maximum of 1200 mg per dose "
                     "(a safety flag, not a refusal)"]


def test_zero_dose_is_refused_but_the_drug_without_a_dose_changes_nothing():
    """A dose of 0 mg is refused as a typo; the model with the drug's values and no dose is untreated."""
    with pytest.raises(RegimenError, match="dose must be > 0"):
        R.fcrn_antagonist("efgartigimod", dose_mg_per_kg=0.0)
    untreated = iv.simulate("ivig_autoimmune", t_end=30.0)
    params = R.fcrn_antagonist("efgartigimod", dose_mg_per_kg=10.0).model_parameters()
    same = iv.simulate("ivig_autoimmune", t_end=30.0, params=params, t_eval=untreated.t)
    np.testing.assert_array_equal(same.states, untreated.states)
