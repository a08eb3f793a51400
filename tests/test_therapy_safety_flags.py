"""A dose given during an apheresis session is flagged: the session removes it as it is given.
Allowed (the model computes what is left), never refused; sessions after the infusions are silent."""

import numpy as np
import pytest

import ivigsim as iv
from ivigsim.core.regimen import Regimen as R


def test_ivig_during_plasma_exchange_is_flagged_once_with_the_first_clash():
    flags = (R.ivig(dose_g_per_kg=0.4, days=5) + R.plasma_exchange(sessions=3, every_days=1, start_day=3)).safety_flags(70.0)
    assert flags == ["2 IV dose(s) given during a plasma exchange session, which removes the product as it is "
                     "given (first: ivig on day 3, session from day 3 to 3.083); give it after the session "
                     "(a safety flag, not a refusal)"]


@pytest.mark.parametrize("regimen", [
    R.ivig(dose_g_per_kg=0.4, days=5) + R.plasma_exchange(start_day=5.0),          # the shipped arm: after
    R.ivig(dose_g_per_kg=0.4, days=1, infusion_hours=8) + R.plasma_exchange(sessions=1, start_day=8 / 24),
    R.fcrn_antagonist("rozanolixizumab", dose_mg=560.0) + R.plasma_exchange(sessions=1),   # SC depot
    R.plasma_exchange(),
])
def test_no_flag_when_nothing_is_infused_during_a_session(regimen):
    assert regimen.safety_flags(70.0) == []


def test_an_antagonist_infusion_inside_an_immunoadsorption_session_is_flagged():
    reg = (R.fcrn_antagonist("efgartigimod", dose_mg_per_kg=10.0, doses=1, start_day=1.0)
           + R.immunoadsorption(sessions=1, start_day=0.99))
    flags = reg.safety_flags(70.0)
    assert len(flags) == 1
    assert "1 IV dose(s) given during an immunoadsorption session" in flags[0]
    assert "first: efgartigimod on day 1, session from day 0.99" in flags[0]


def test_the_flagged_regimen_is_still_simulated():
    during = R.ivig(dose_g_per_kg=0.4, days=1, infusion_hours=2) + R.plasma_exchange(sessions=1)
    assert during.safety_flags(70.0)
    res = iv.simulate("fcrn_pk", regimen=during, t_end=1.0)
    assert np.all(np.isfinite(res["ivig"])) and res["ivig"][-1] > 0.0
