"""Serum albumin through apheresis (ivigsim.core.albumin), the price registry (ivigsim.core.prices),
and the therapy comparison's albumin and cost readouts."""

import math

import numpy as np
import pytest

import ivigsim as iv
from ivigsim.core import albumin, antagonists, prices
from ivigsim.analysis.metrics import DoseContext, compute_metric, dose_context

R = iv.Regimen


# -- albumin --------------------------------------------------------------------------

def test_without_sessions_albumin_stays_at_the_patients_level():
    t = np.linspace(0.0, 60.0, 61)
    for base in (42.0, 28.0):
        course = albumin.albumin_course((), t, base)
        np.testing.assert_allclose(course.plasma_g_per_l, base, rtol=1e-12)
    assert albumin.albumin_course((), t, 28.0).hypoalbuminaemia
    assert not albumin.albumin_course((), t).hypoalbuminaemia


def test_steady_state_puts_the_sourced_share_in_plasma_and_the_sourced_half_life():
    k_esc, k_ret, k_cat, s = albumin.rate_constants()
    extra = k_esc / k_ret                         # E/P at steady state
    assert 1.0 / (1.0 + extra) == pytest.approx(albumin.INTRAVASCULAR_FRACTION, rel=1e-12)
    # a tracer in the two pools at equilibrium leaves the body at k_cat P / (P + E)
    assert math.log(2.0) / (k_cat / (1.0 + extra)) == pytest.approx(albumin.HALF_LIFE_DAY, rel=1e-12)
    assert s == pytest.approx(k_cat * albumin.NORMAL_G_PER_L)


def test_a_fast_exchange_without_albumin_leaves_exp_minus_the_volume():
    """A session much shorter than the escape time is the one-pool exchange of Kaplan 1990."""
    reg = R.plasma_exchange(plasma_volumes=1.0, sessions=1, session_hours=0.01, start_day=1.0)
    end = reg.sessions[0].end_day
    course = albumin.albumin_course(reg.sessions, [1.0, end], replacement_g_per_l={"albumin": 0.0})
    ratio = course.plasma_g_per_l[1] / course.plasma_g_per_l[0]
    assert ratio == pytest.approx(math.exp(-1.0), rel=2e-3)


def test_replacement_at_the_patients_own_level_changes_nothing():
    reg = R.plasma_exchange(plasma_volumes=1.5, sessions=5, every_days=2.0, replacement="fresh_frozen_plasma")
    course = albumin.albumin_course(reg.sessions, np.linspace(0.0, 30.0, 121))
    np.testing.assert_allclose(course.plasma_g_per_l, albumin.NORMAL_G_PER_L, rtol=1e-10)


def test_albumin_course_agrees_with_radau():
    from scipy.integrate import solve_ivp
    reg = R.plasma_exchange(plasma_volumes=1.0, sessions=3, every_days=2.0, session_hours=3.0)
    k_esc, k_ret, k_cat, s = albumin.rate_constants()
    rep = {"albumin": 20.0}
    t = np.linspace(0.0, 10.0, 41)

    def rhs(time, y):
        r = sum(ses.plasma_volumes / ses.duration_day for ses in reg.sessions
                if ses.time_day <= time < ses.end_day)
        return [s - (k_esc + k_cat + r) * y[0] + k_ret * y[1] + r * rep["albumin"],
                k_esc * y[0] - k_ret * y[1]]
    y0 = [albumin.NORMAL_G_PER_L, albumin.NORMAL_G_PER_L * k_esc / k_ret]
    ref = solve_ivp(rhs, (0.0, 10.0), y0, method="Radau", t_eval=t, rtol=1e-11, atol=1e-11,
                    max_step=0.01).y[0]
    course = albumin.albumin_course(reg.sessions, t, replacement_g_per_l=rep)
    np.testing.assert_allclose(course.plasma_g_per_l, ref, rtol=2e-6)
    assert course.hypoalbuminaemia and course.minimum_g_per_l < 35.0


def test_albumin_replacement_keeps_albumin_and_immunoadsorption_removes_none():
    plex = R.plasma_exchange(plasma_volumes=1.0, sessions=5, every_days=2.0)
    course = albumin.albumin_course(plex.sessions, np.linspace(0.0, 30.0, 61))
    assert course.minimum_g_per_l == pytest.approx(albumin.NORMAL_G_PER_L)
    assert albumin.NORMAL_G_PER_L < course.plasma_g_per_l.max() < 50.0    # 5 % albumin is 50 g/L
    ia = R.immunoadsorption(plasma_volumes=2.0, sessions=5)
    assert albumin.minimum_g_per_l(ia.sessions, 30.0) == albumin.NORMAL_G_PER_L


def test_a_hypoalbuminaemic_patient_is_flagged_and_fresh_frozen_plasma_lifts_albumin():
    ffp = R.plasma_exchange(plasma_volumes=1.0, sessions=5, every_days=2.0, replacement="fresh_frozen_plasma")
    course = albumin.albumin_course(ffp.sessions, np.linspace(0.0, 12.0, 49), baseline_g_per_l=30.0)
    assert course.hypoalbuminaemia
    assert course.plasma_g_per_l[-1] > 34.0           # towards the donor plasma's 42 g/L
    with pytest.raises(ValueError, match="baseline_g_per_l"):
        albumin.albumin_course((), [0.0], baseline_g_per_l=-1.0)


def test_albumin_metrics_from_the_dose_context():
    arms = [None, R.ivig(), R.plasma_exchange(sessions=5)]
    context = dose_context(arms, 70.0)
    np.testing.assert_allclose(context.albumin_min_g_per_l, albumin.NORMAL_G_PER_L)

    class Spec:
        name, output, at_day, window_days, threshold, price_usd_per_g, baseline = ("m", None, None,
                                                                                   None, None, None, None)
    spec = Spec()
    spec.kind = "hypoalbuminaemia_flag"
    low = DoseContext(np.zeros(2), np.zeros(2), albumin_min_g_per_l=np.array([42.0, 31.0]))
    np.testing.assert_array_equal(compute_metric(spec, np.array([0.0, 1.0]), np.zeros((2, 2)), context=low),
                                  [0.0, 1.0])
    spec.kind = "albumin_min"
    np.testing.assert_array_equal(compute_metric(spec, np.array([0.0, 1.0]), np.zeros((2, 2)), context=low),
                                  [42.0, 31.0])


# -- prices ---------------------------------------------------------------------------

def test_every_registry_price_has_a_unit_and_a_source_and_the_defaults_read_it():
    from ivigsim.core.apheresis import DEFAULT_PRICE_USD_PER_SESSION
    from ivigsim.analysis.metrics import DEFAULT_PRICE_USD_PER_G
    from ivigsim.core.summary import PRICE_USD_PER_G
    reg = prices.registry()
    for name, entry in reg.items():
        assert entry.unit in prices.UNITS and len(entry.source) > 20, name
    assert DEFAULT_PRICE_USD_PER_G == PRICE_USD_PER_G == reg["ivig"].value == 151.0
    assert reg["ivig"].range == (73.0, 350.0)
    assert DEFAULT_PRICE_USD_PER_SESSION == pytest.approx(4638.16 / 5)
    assert antagonists.price_usd_per_mg("efgartigimod") == 14.875
    for drug in antagonists.catalogue():
        assert drug in reg, f"{drug} has no entry (priced or NaN) in the price registry"
    assert not reg["rozanolixizumab"].priced and math.isnan(antagonists.price_usd_per_mg("rozanolixizumab"))


def test_an_unknown_price_gets_a_did_you_mean():
    with pytest.raises(prices.PriceError, match="Did you mean 'ivig'"):
        prices.price("ivg")


# -- the head-to-head experiment ---------------------------------------------------------

@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    from conftest import ROOT
    out = tmp_path_factory.mktemp("therapy") / "out"
    return iv.run_experiment(ROOT / "experiments" / "therapy_comparison.toml", out=out, progress=False), out


def test_therapy_comparison_reports_every_arm_with_cost_and_safety(comparison):
    res, out = comparison
    m = res.metrics.set_index("regimen")
    assert set(m.index) == {"ivig", "efgartigimod", "rozanolixizumab", "plex", "plex_ffp", "ivig_then_plex"}
    for column in ("autoantibody_nadir_pct", "autoantibody_nadir_day", "autoantibody_auc_change_8wk_pct",
                   "ivig_grams", "antagonist_mg", "sessions", "cost_usd", "viscosity_peak_cp",
                   "thrombosis_flag", "albumin_min", "hypoalbuminaemia_flag"):
        assert column in m.columns, column
    assert m.loc["ivig", "ivig_grams"] == pytest.approx(140.0)
    assert m.loc["efgartigimod", "antagonist_mg"] == pytest.approx(2800.0)
    assert m.loc["rozanolixizumab", "antagonist_mg"] == pytest.approx(3360.0)
    assert m.loc["plex", "sessions"] == 5 and m.loc["ivig_then_plex", "sessions"] == 5
    # costs from the registry: grams x 151, mg x 14.875, sessions x 927.63; no price, no cost
    assert m.loc["ivig", "cost_usd"] == pytest.approx(140.0 * 151.0)
    assert m.loc["efgartigimod", "cost_usd"] == pytest.approx(2800.0 * 14.875)
    assert m.loc["ivig_then_plex", "cost_usd"] == pytest.approx(140.0 * 151.0 + 5 * 4638.16 / 5)
    assert math.isnan(m.loc["rozanolixizumab", "cost_usd"])
    # neither replacement fluid makes the patient hypoalbuminaemic; albumin never falls
    assert (m["hypoalbuminaemia_flag"] == 0).all()
    np.testing.assert_allclose(m["albumin_min"], 42.0)
    assert (out / "report.html").exists()


def test_ivig_then_plex_washes_the_ivig_out(comparison):
    m = comparison[0].metrics.set_index("regimen")
    assert m.loc["ivig_then_plex", "igg_peak"] == pytest.approx(m.loc["ivig", "igg_peak"], rel=1e-6)
    assert m.loc["ivig_then_plex", "igg_day_14"] < 0.4 * m.loc["ivig", "igg_day_14"]
    # fresh-frozen plasma returns normal IgG: total IgG barely falls, the autoantibody as much
    assert m.loc["plex_ffp", "igg_nadir_pct"] > 0.3 * m.loc["plex", "igg_nadir_pct"]
    assert m.loc["plex_ffp", "autoantibody_nadir_pct"] == pytest.approx(m.loc["plex", "autoantibody_nadir_pct"],
                                                                        abs=3.0)
