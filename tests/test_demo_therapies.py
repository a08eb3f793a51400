"""The demo's therapy selector: its simulations, its words, its window and its part of the web page."""

import argparse
import math

import numpy as np
import pytest

import ivigsim as iv
from ivigsim.interfaces.demo.therapies import THERAPIES, compare_therapies, lesson_facts
from ivigsim.core.prices import price


@pytest.fixture(scope="module")
def comparison():
    return compare_therapies()


@pytest.fixture()
def agg():
    import matplotlib
    import matplotlib.pyplot as plt
    previous = matplotlib.get_backend()
    plt.switch_backend("Agg")
    yield
    plt.close("all")
    plt.switch_backend(previous)


def test_every_therapy_is_simulated_against_the_same_untreated_patient(comparison):
    assert list(comparison.outcomes) == [t.key for t in THERAPIES] == [
        "ivig", "efgartigimod", "rozanolixizumab", "plex", "immunoadsorption", "ivig_then_plex"]
    untreated = iv.simulate("ivig_autoimmune", t_end=84.0, t_eval=comparison.t)
    for key, outcome in comparison.outcomes.items():
        res = iv.simulate("ivig_autoimmune", regimen=outcome.therapy.regimen(), t_end=84.0, t_eval=comparison.t)
        np.testing.assert_allclose(outcome.autoantibody_pct,
                                   100.0 * res["autoantibody_free"] / untreated["autoantibody_free"], rtol=1e-12)
        np.testing.assert_allclose(outcome.igg_total, res["igg_total"], rtol=1e-12)
        k = int(np.argmin(outcome.autoantibody_pct))
        assert outcome.nadir_day == comparison.t[k]
        assert outcome.nadir_pct == pytest.approx(100.0 - outcome.autoantibody_pct[k])
        assert 0.0 < outcome.nadir_pct < 100.0, key


def test_what_is_given_and_what_it_costs_come_from_the_regimen_and_the_price_registry(comparison):
    o = comparison.outcomes
    assert o["ivig"].given == "140 g IVIG" and o["ivig"].cost_usd == pytest.approx(140 * price("ivig").value)
    assert o["efgartigimod"].given == "2,800 mg efgartigimod"
    assert o["efgartigimod"].cost_usd == pytest.approx(2800 * price("efgartigimod").value)
    assert o["rozanolixizumab"].given == "3,360 mg rozanolixizumab" and math.isnan(o["rozanolixizumab"].cost_usd)
    session = price("plasma_exchange_session").value
    assert o["plex"].sessions == 5 and o["plex"].cost_usd == pytest.approx(5 * session)
    assert o["ivig_then_plex"].given == "140 g IVIG + 5 sessions"
    assert o["ivig_then_plex"].cost_usd == pytest.approx(140 * price("ivig").value + 5 * session)


def test_ivig_adds_igg_while_blockers_and_exchanges_take_it_away(comparison):
    o, base = comparison.outcomes, comparison.untreated_igg[0]
    assert o["ivig"].igg_max > 2.5 * base and o["ivig"].igg_min == pytest.approx(base, rel=1e-3)
    for key in ("efgartigimod", "rozanolixizumab", "plex", "immunoadsorption"):
        assert o[key].igg_max <= base * (1 + 1e-6) and o[key].igg_min < base, key
    # only a blocker occupies FcRn itself; IVIG crowds it with IgG; exchanges empty it
    # (IVIG's drug occupancy is round-off of the linear solves, about 1e-30 %)
    assert o["efgartigimod"].fcrn_by_drug_pct.max() > 1.0 and o["ivig"].fcrn_by_drug_pct.max() < 1e-20
    # (99.7 % of all FcRn is the endothelial pool, barely occupied at K_D 0.63 uM: IVIG doubles the IgG on
    # all FcRn, 0.37 % to 0.76 %, while it fills the small haematopoietic pool from 69 % to 93 %)
    assert o["ivig"].fcrn_by_igg_pct.max() > 1.8 * o["ivig"].fcrn_by_igg_pct[0]
    assert o["plex"].fcrn_by_igg_pct.min() < 0.5 * o["plex"].fcrn_by_igg_pct[0]


def test_plasma_exchange_rebounds_between_sessions_and_after_the_course(comparison):
    f, plex = comparison.facts, comparison.outcomes["plex"]
    assert f["plex_first_end_pct"] > f["plex_before_second_pct"] + 15.0     # flows back within two days
    assert plex.rebound_pct < 0.5 * plex.nadir_pct                           # four weeks later
    assert 30.0 < f["intravascular_pct"] < 60.0                              # only plasma is exchanged
    ia = comparison.outcomes["immunoadsorption"]
    assert ia.nadir_pct > plex.nadir_pct            # 2 plasma volumes per session at 80 % per pass


def test_ivig_then_plasma_exchange_washes_the_ivig_out(comparison):
    f = comparison.facts
    assert f["washout_igg_day14"] < 0.4 * f["ivig_igg_day14"]
    both, ivig = comparison.outcomes["ivig_then_plex"], comparison.outcomes["ivig"]
    before = comparison.t <= 5.0       # identical until the first exchange, within the solver tolerance
    np.testing.assert_allclose(both.igg_total[before], ivig.igg_total[before], rtol=1e-6)


def test_safety_flags_include_labels_hyperviscosity_and_albumin(comparison):
    assert all(o.flags == () for o in comparison.outcomes.values())      # labelled doses, normal albumin
    np.testing.assert_allclose(comparison.outcomes["plex"].albumin_g_per_l[0], 42.0)
    high = iv.Regimen.fcrn_antagonist(drug="efgartigimod", dose_mg_per_kg=20.0)
    assert any("outside the labelled" in flag for flag in high.safety_flags(70.0))


# -- the words ----------------------------------------------------------------------------

def test_text_quotes_the_simulations(comparison):
    from ivigsim.interfaces.demo.text import therapy_sections
    f = comparison.facts
    (k1, _, blocker), (k2, _, plex) = therapy_sections(f)
    assert (k1, k2) == ("therapy_blocker", "therapy_plex")
    assert f"by {f['saturation_day7_pct']:.0f} % in the first week" in blocker
    assert f"occupies at most {f['efgartigimod_fcrn_peak_pct']:.0f} %" in blocker
    assert "TH-02" in blocker
    assert f"only {f['intravascular_pct']:.0f} % of the body's autoantibody" in plex
    assert f"before the second, it is only {f['plex_before_second_pct']:.0f} %" in plex
    assert f"{f['washout_igg_day14']:.0f} g/L, against {f['ivig_igg_day14']:.0f} g/L" in plex


def test_text_says_plainly_whether_the_model_blocker_beats_saturation(comparison):
    from ivigsim.interfaces.demo.text import therapy_sections
    f = dict(comparison.facts)
    strong = {**f, "efgartigimod_day7_pct": 60.0, "efgartigimod_nadir_pct": 75.0, "efgartigimod_igg_fall_pct": 75.0}
    weak = {**f, "efgartigimod_day7_pct": 3.0, "efgartigimod_nadir_pct": 9.0, "efgartigimod_igg_fall_pct": 9.0}
    assert "both faster and deeper" in therapy_sections(strong)[0][2]
    assert "falls short" in therapy_sections(weak)[0][2] and "faster and deeper" not in therapy_sections(weak)[0][2]
    current = therapy_sections(f)[0][2]
    beats = f["efgartigimod_nadir_pct"] > f["saturation_nadir_pct"] and f["efgartigimod_igg_fall_pct"] >= 67.5
    assert ("both faster and deeper" in current) == beats


def test_facts_need_only_the_therapies_they_quote():
    spec = iv.load_model("ivig_autoimmune")
    t = np.arange(0.0, 28.25, 0.25)
    untreated = iv.simulate(spec, t_end=28.0, t_eval=t)
    facts = lesson_facts(spec, {}, untreated, t, 70.0)
    assert set(facts) == {"saturation_day7_pct", "saturation_nadir_pct", "saturation_nadir_day",
                          "saturation_fcrn_peak_pct", "igg_peak_ivig"}


# -- the web page --------------------------------------------------------------------------

def test_page_data_table_and_sources(comparison):
    from ivigsim.interfaces.demo.html import therapy_data, therapy_table_html
    from ivigsim.interfaces.demo.text import therapy_sources
    data = therapy_data(comparison)
    assert [a["key"] for a in data["arms"]] == list(comparison.outcomes) and data["default"] == "ivig"
    plex = next(a for a in data["arms"] if a["key"] == "plex")
    assert len(plex["aab"]) == len(data["t"]) == len(comparison.t)
    assert len(plex["shade"]) == 5 and plex["shade"][1][0] == pytest.approx(2.0)
    efg = next(a for a in data["arms"] if a["key"] == "efgartigimod")
    assert len(efg["shade"]) == 4
    table = therapy_table_html(comparison)
    assert table.count("<tr data-therapy=") == 6 and "not priced" in table and "$21,140" in table
    sources = therapy_sources()
    assert "Ulrichts P" in sources and "Kaplan AA" in sources and "Winters JL" in sources


# -- the window ----------------------------------------------------------------------------

def test_window_selects_each_therapy(agg, comparison):
    from ivigsim.interfaces.demo.therapy_window import TherapyWindow, readout_text
    window = TherapyWindow(comparison)
    assert window.selected == "ivig"
    for i, (key, outcome) in enumerate(comparison.outcomes.items()):
        window.radio.set_active(i)
        assert window.selected == key
        np.testing.assert_array_equal(window.lines["aab"].get_ydata(), outcome.autoantibody_pct)
        np.testing.assert_array_equal(window.lines["fcrn_drug"].get_ydata(), outcome.fcrn_by_drug_pct)
        assert window.readout.get_text() == readout_text(outcome)
        assert f"{outcome.nadir_pct:.0f} % below untreated" in window.readout.get_text()
    assert len(window._shades) == 3 * 10          # 5 infusions + 5 sessions on each of 3 panels
    with pytest.raises(iv.IvigsimError, match="unknown therapy 'ivg'"):
        TherapyWindow(comparison, therapy="ivg")


def test_cli_therapies_without_display_suggests_html(agg, capsys):
    from ivigsim.interfaces.demo.cli import add_demo_parser
    parser = argparse.ArgumentParser(prog="ivigsim")
    add_demo_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["demo", "--therapies"])
    assert args.therapies and args.func(args) == 2
    assert "--html" in capsys.readouterr().err
