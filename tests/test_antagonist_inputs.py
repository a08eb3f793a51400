"""FcRn-antagonist regimens speak the caller's words: a bad dose is refused naming the argument
and its unit (mg/kg or mg, where the message said g/kg before), and a route the drug has no
label for is a safety flag, never silently on label."""

import math

import pytest

import ivigsim as iv
from ivigsim.core.regimen import Regimen as R
from ivigsim.core.regimen import RegimenError


@pytest.mark.parametrize("kwargs, message", [
    ({"dose_mg_per_kg": -1.0}, "FcRn antagonist regimen: dose must be > 0 mg/kg (dose_mg_per_kg), got -1.0"),
    ({"dose_mg_per_kg": 0.0}, "FcRn antagonist regimen: dose must be > 0 mg/kg (dose_mg_per_kg), got 0.0"),
    ({"dose_mg_per_kg": math.nan}, "FcRn antagonist regimen: dose must be > 0 mg/kg (dose_mg_per_kg), got nan"),
    ({"dose_mg": -560.0}, "FcRn antagonist regimen: dose must be > 0 mg (dose_mg), got -560.0"),
    ({"dose_mg_per_kg": "10"}, "FcRn antagonist regimen: dose_mg_per_kg must be a number, got '10'"),
])
def test_a_bad_dose_names_the_argument_and_its_unit(kwargs, message):
    with pytest.raises(RegimenError) as err:
        R.fcrn_antagonist("efgartigimod", **kwargs)
    assert str(err.value) == message
    assert isinstance(err.value, iv.IvigsimError)


def test_a_route_without_a_label_is_flagged():
    """Rozanolixizumab has IV PK data (so the route is allowed) but is labelled SC only."""
    iv_route = R.fcrn_antagonist("rozanolixizumab", dose_mg_per_kg=10.0, route="iv")
    assert iv_route.safety_flags(70.0) == [
        "rozanolixizumab has no labelled IV dose (labelled route: SC); 700 mg IV is off label "
        "(a safety flag, not a refusal)"]
    # on label by its own route: no flag
    assert R.fcrn_antagonist("rozanolixizumab", dose_mg_per_kg=7.0).safety_flags(70.0) == []
    assert R.fcrn_antagonist("efgartigimod", dose_mg=1000.0, route="sc").safety_flags(70.0) == []


def test_every_catalogue_drug_is_on_label_at_its_labelled_dose_by_each_labelled_route():
    from ivigsim.core import antagonists
    for name, drug in antagonists.catalogue().items():
        for key, value in drug.label.items():
            route, what = key.split("_", 1)
            if what == "mg_per_kg":
                reg = R.fcrn_antagonist(name, dose_mg_per_kg=value[0], route=route)
            elif what == "mg":
                reg = R.fcrn_antagonist(name, dose_mg=value[0], route=route)
            else:
                continue
            assert reg.safety_flags(70.0) == [], (name, key)
