"""The FcRn-blind (IgA-like) tracer of fcrn_pk under plasma exchange and immunoadsorption.

With every mechanism but the tracer infusion and the apheresis switched off,
plasma tracer x (uM) obeys dx/dt = a - r x during a session, with a the
infusion per plasma volume and r = V_exchanged / (V_plasma T) x efficiency, so
after a session of length T the tracer present at its start is down to
exp(-r T), and the infusion adds (a / r)(1 - exp(-r T)) on top.
"""

import math

import numpy as np
import pytest

import ivigsim as iv
from ivigsim.core import apheresis

R = iv.Regimen
PLASMA_ONLY = {"distribution": False, "pinocytosis": False, "production": False,
               "fcrn_recycling": False, "catabolism": False}
START, HOURS = 1.0, 2.0
END = START + HOURS / 24.0
ONE_EXCHANGE = {"plasma_volumes": 1.0, "sessions": 1, "session_hours": HOURS, "start_day": START}


def _session_run(regimen):
    return iv.simulate("fcrn_pk", regimen=regimen, t_end=3.0, mechanisms=PLASMA_ONLY,
                       t_eval=[0.0, START, END, 3.0], rtol=1e-10)


def _left_of_start(res, removal_per_day):
    """Fraction of the session-start plasma tracer still there at its end (infusion taken off)."""
    x0, x_start, x_end = res["tracer_p"][0], res["tracer_p"][1], res["tracer_p"][2]
    infusion = (x_start - x0) / START               # uM/day: nothing else acts before the session
    added = infusion / removal_per_day * (1.0 - math.exp(-removal_per_day * (END - START)))
    return (x_end - added) / x_start


def test_one_plasma_volume_exchange_removes_one_minus_exp_minus_one_of_plasma_tracer():
    res = _session_run(R.plasma_exchange(**ONE_EXCHANGE))
    assert res["tracer_p"][1] > 1.0                          # there is tracer to remove
    left = _left_of_start(res, 1.0 / (END - START))
    assert 1.0 - left == pytest.approx(1.0 - math.exp(-1.0), rel=1e-7)


def test_no_tracer_is_removed_outside_sessions():
    """Before and after the session plasma tracer grows by the infusion alone, at the same rate."""
    res = _session_run(R.plasma_exchange(**ONE_EXCHANGE))
    before = (res["tracer_p"][1] - res["tracer_p"][0]) / START
    after = (res["tracer_p"][3] - res["tracer_p"][2]) / (3.0 - END)
    assert before > 0.0
    assert after == pytest.approx(before, rel=1e-6)


@pytest.mark.parametrize("column, fraction", [({}, apheresis.DEFAULT_COLUMN_EFFICIENCY_IGA),
                                              ({"iga": 0.6}, 0.6), ({"iga": 0.0}, 0.0)])
def test_immunoadsorption_removes_tracer_with_the_column_iga_efficiency(column, fraction):
    volumes = 2.0
    res = _session_run(R.immunoadsorption(plasma_volumes=volumes, sessions=1, session_hours=HOURS,
                                          start_day=START, column_efficiency=column))
    rate = volumes * fraction / (END - START)
    if fraction == 0.0:       # the tracer only grows by its infusion, as without a session
        untreated = iv.simulate("fcrn_pk", t_end=3.0, mechanisms=PLASMA_ONLY, t_eval=res.t, rtol=1e-10)
        np.testing.assert_allclose(res["tracer_p"], untreated["tracer_p"], rtol=1e-9)
        return
    left = _left_of_start(res, rate)
    assert left == pytest.approx(math.exp(-volumes * fraction), rel=1e-7)


def test_protein_a_takes_far_less_iga_than_igg():
    """The default column: IgA per pass 0.25 against IgG's 0.8 (protein A binds IgA weakly)."""
    assert apheresis.DEFAULT_COLUMN_EFFICIENCY_IGA == 0.25
    assert apheresis.DEFAULT_COLUMN_EFFICIENCY_IGA < 0.4 * apheresis.DEFAULT_COLUMN_EFFICIENCY
    session = R.immunoadsorption(sessions=1).sessions[0]
    rates = session.removal_rates()
    assert rates["apheresis_iga"] == pytest.approx(0.25 / 0.8 * rates["apheresis_igg"], rel=1e-15)
    exchange = R.plasma_exchange(sessions=1).sessions[0].removal_rates()
    assert exchange["apheresis_iga"] == exchange["apheresis_igg"]        # an exchange takes all plasma


def test_full_model_tracer_falls_under_plasma_exchange_and_recovers():
    """In the whole model the tracer falls by about the exchanged fraction and the infusion refills it."""
    t = [0.0, START, END, 20.0]
    untreated = iv.simulate("fcrn_pk", t_end=20.0, t_eval=t)
    plex = iv.simulate("fcrn_pk", regimen=R.plasma_exchange(sessions=1, start_day=START, session_hours=HOURS),
                       t_end=20.0, t_eval=t)
    drop = plex["tracer"][2] / plex["tracer"][1]
    # interstitial tracer flows back during the 2 h, so a bit more than exp(-1) stays
    assert math.exp(-1.0) < drop < math.exp(-1.0) + 0.05
    assert plex["tracer"][1] == untreated["tracer"][1]               # the same until the session
    assert plex["tracer"][2] < plex["tracer"][3] < untreated["tracer"][3]


def test_fresh_frozen_plasma_returns_no_tracer():
    albumin = _session_run(R.plasma_exchange(**ONE_EXCHANGE))
    ffp = _session_run(R.plasma_exchange(replacement="fresh_frozen_plasma", **ONE_EXCHANGE))
    np.testing.assert_allclose(ffp["tracer_p"], albumin["tracer_p"], rtol=1e-9)   # solver tolerance 1e-10
