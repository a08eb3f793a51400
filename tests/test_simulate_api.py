"""simulate(): analytic cases through the whole stack, and refusals of bad input."""

import math

import numpy as np
import pytest

import ivigsim as iv
from ivigsim.errors import ParameterError, SolverError


def test_linear_decay_is_exact(one_compartment):
    res = iv.simulate(one_compartment, t_end=20, rtol=1e-9)
    k, c0 = 0.1, 2.0
    np.testing.assert_allclose(res["drug"], c0 * np.exp(-k * res.t), rtol=1e-7)
    assert res.units["concentration"] == "mg/L"
    np.testing.assert_allclose(res["concentration"], res["drug"] * 150.0, rtol=1e-14)


def test_files_differing_only_in_initial_values_start_from_their_own(tmp_path):
    from conftest import DATA
    text = (DATA / "one_compartment.toml").read_text()
    assert 'initial = "c0"' in text
    (tmp_path / "a.toml").write_text(text)
    (tmp_path / "b.toml").write_text(text.replace('initial = "c0"', 'initial = "2 * c0"'))
    a = iv.simulate(iv.load_model(tmp_path / "a.toml"), t_end=1)
    b = iv.simulate(iv.load_model(tmp_path / "b.toml"), t_end=1)    # same kernel, other start
    assert b["drug"][0] == pytest.approx(2 * a["drug"][0], rel=1e-12)


def test_constant_infusion_approaches_analytic_steady_state(one_compartment):
    # Twenty back-to-back 24 h infusions of 0.05 g/kg into V = 0.05 L/kg: a constant
    # input of 1 g/L/day; C(t) = u/k (1 - exp(-k t)) exactly.
    params = {"c0": 0.0}
    reg = sum((iv.Regimen.infusion(0.05, at_day=d, hours=24) for d in range(1, 20)),
              iv.Regimen.infusion(0.05, at_day=0, hours=24))
    res = iv.simulate(one_compartment, regimen=reg, t_end=20, params=params, rtol=1e-9)
    u_uM_per_day = 0.05 / 0.05 * 1000 / 150.0          # g/L/day -> mg/L/day -> uM/day
    k = 0.1
    np.testing.assert_allclose(res["drug"], u_uM_per_day / k * (1 - np.exp(-k * res.t)), rtol=1e-7,
                               atol=1e-12)


def test_bolus_is_converted_with_body_weight(one_compartment):
    res = iv.simulate(one_compartment, regimen=iv.Regimen.bolus(0.3, at_day=2.0), t_end=5,
                      body_weight_kg=50, params={"c0": 0.0}, rtol=1e-10)
    # 0.3 g/kg into 0.05 L/kg -> 6 g/L = 6000 mg/L whatever the weight
    assert res.at("concentration", 2.0) == pytest.approx(6000.0, rel=1e-9)
    assert res.at("concentration", 5.0) == pytest.approx(6000.0 * math.exp(-0.3), rel=1e-7)
    assert res.at("concentration", 1.75) == 0.0          # the last output before the bolus


def test_parameter_overrides_with_units(one_compartment):
    a = iv.simulate(one_compartment, t_end=5, params={"k_el": (0.1 / 24, "1/h")})
    b = iv.simulate(one_compartment, t_end=5, params={"k_el": 1.0 / 24 / 10 * 24})
    np.testing.assert_allclose(a["drug"], b["drug"], rtol=1e-12)
    assert a.parameters["k_el"] == pytest.approx(0.1)


@pytest.mark.parametrize("params,words", [
    ({"k_elim": 1.0}, "no parameter 'k_elim'. Did you mean 'k_el'?"),
    ({"k_el": float("nan")}, "finite"),
    ({"k_el": -1.0}, "outside its plausible range"),
    ({"k_el": "fast"}, "must be a number"),
    ({"k_el": (1.0, "mg/L")}, "cannot use 'mg/L'"),
])
def test_bad_parameters_are_refused(one_compartment, params, words):
    with pytest.raises(ParameterError) as info:
        iv.simulate(one_compartment, t_end=5, params=params)
    assert words in str(info.value)


def test_bad_inputs_are_refused(one_compartment):
    with pytest.raises(ParameterError, match="no mechanism 'elimnation'"):
        iv.simulate(one_compartment, t_end=5, mechanisms={"elimnation": False})
    with pytest.raises(ParameterError, match="t_end"):
        iv.simulate(one_compartment, t_end=-1)
    with pytest.raises(ParameterError, match="t_eval"):
        iv.simulate(one_compartment, t_end=5, t_eval=[0, 7])
    with pytest.raises(iv.RegimenError, match="dose"):
        iv.Regimen.ivig(dose_g_per_kg=-0.4)
    with pytest.raises(ParameterError, match="no dose target for product 'albumin'"):
        iv.simulate(one_compartment, t_end=5, regimen=iv.Regimen.bolus(0.1, product="albumin"))
    with pytest.raises(ParameterError, match="sc route"):
        iv.simulate(one_compartment, t_end=30, regimen=iv.Regimen.scig(0.1))
    with pytest.raises(iv.ModelFileError, match="no model named 'fcrn'"):
        iv.load_model("fcrn")


@pytest.mark.parametrize("atol", [0.0, -1e-9, {"drug": 0.0}])
def test_non_positive_atol_is_refused_in_every_form(one_compartment, atol):
    # A dict used to pass unchecked and divide the error norm by zero.
    with pytest.raises(ParameterError, match="atol must be positive"):
        iv.simulate(one_compartment, t_end=5, atol=atol)


def test_solver_failure_is_a_clear_exception(one_compartment):
    with pytest.raises(SolverError, match="more steps than allowed") as info:
        iv.simulate(one_compartment, t_end=20, rtol=1e-12, max_steps=3)
    assert info.value.stats["steps"] <= 3


def test_mechanism_switch_changes_dynamics(one_compartment):
    res = iv.simulate(one_compartment, t_end=5, mechanisms={"elimination": False})
    np.testing.assert_allclose(res["drug"], 2.0, rtol=1e-12)


def test_result_table(one_compartment, tmp_path):
    res = iv.simulate(one_compartment, t_end=2)
    path = res.to_csv(tmp_path / "out.csv")
    header = path.read_text().splitlines()[0]
    assert header == "t [day],concentration [mg/L]"
    with pytest.raises(KeyError, match="available: concentration, drug, eliminated"):
        res["nothing"]
