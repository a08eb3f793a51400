"""Model files with ``units = "unchecked"``: dimension checks off, everything else on."""

import pytest

import ivigsim as iv
from ivigsim.errors import IvigsimError
from ivigsim.core.spec import load_model_file

_MODEL = """
[model]
name = "unchecked_decay"
mechanisms.decay = "first-order loss"
{units}

[compartments.c]
volume = "1"
unit = "1"

[species.A]
compartment = "c"
unit = "mg/L"
initial = "2"

[parameters.k]
value = 0.5
unit = "{k_unit}"
bounds = [0.01, 10]
source = "a test value"

[reactions.loss]
equation = "A ->"
rate = "{rate}"
mechanism = "decay"
"""


def _write(tmp_path, units='units = "unchecked"', k_unit="1", rate="k * A"):
    path = tmp_path / "m.toml"
    path.write_text(_MODEL.format(units=units, k_unit=k_unit, rate=rate))
    return path


def test_checked_model_refuses_what_unchecked_accepts(tmp_path):
    # k is dimensionless, so k*A is mg/L, not mg/L per day: a units error, unless unchecked
    with pytest.raises(IvigsimError, match=r"reactions.loss.rate"):
        load_model_file(_write(tmp_path, units=""))
    with pytest.warns(UserWarning, match=r'units = "unchecked": the dimensions .* not checked'):
        spec = load_model_file(_write(tmp_path))
    assert spec.units == "unchecked"
    res = iv.simulate(spec, t_end=2.0, t_eval=[0.0, 1.0, 2.0], rtol=1e-10, atol=1e-12)
    # numbers are used as written: A = 2 exp(-0.5 t), t in days
    assert res["A"] == pytest.approx([2.0, 2.0 * 0.6065306597126334, 2.0 * 0.36787944117144233], rel=1e-8)


def test_unchecked_still_checks_symbols_and_the_key(tmp_path):
    with pytest.warns(UserWarning), pytest.raises(IvigsimError, match=r"undefined symbol 'kk'"):
        load_model_file(_write(tmp_path, rate="kk * A"))
    with pytest.raises(IvigsimError, match=r"\[model.units\]: expected one of \('checked', 'unchecked'\)"):
        load_model_file(_write(tmp_path, units='units = "loose"'))


def test_shipped_models_are_checked():
    for name in ("fcrn_pk", "ivig_autoimmune"):
        assert iv.load_model(name).units == "checked"
