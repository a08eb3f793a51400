"""State-triggered dosing (Regimen.when_below), built on model events."""

import math

import numpy as np
import pytest

import ivigsim as iv
from conftest import DATA
from ivigsim.errors import ParameterError
from ivigsim.core.regimen import RegimenError

MODEL = str(DATA / "one_compartment.toml")
# one_compartment: concentration = drug * mw starts at 300 mg/L and decays at k = 0.1/day; 0.01 g/kg of
# product in 70 kg (3.5 L, 0.15 g/umol) raises it by 200 mg/L.
K, START, STEP = 0.1, 300.0, 200.0
TIGHT = {"rtol": 1e-10, "atol": 1e-14}


def dose_times(result):
    return [t for t, name in result.stats["model_events"] if name == "when_below_1"]


def test_doses_when_the_level_crosses_the_threshold():
    regimen = iv.Regimen.when_below("concentration", 150.0, 0.01)
    result = iv.simulate(MODEL, regimen=regimen, t_end=40.0, **TIGHT)
    first = math.log(START / 150.0) / K
    period = math.log((150.0 + STEP) / 150.0) / K
    expected = first + period * np.arange(4)
    np.testing.assert_allclose(dose_times(result), expected, rtol=0, atol=1e-8)
    # the level never falls below the threshold by more than the solver's error
    assert result["concentration"].min() > 150.0 - 1e-6
    # the realised regimen holds the doses given: grams and schedule as for a fixed regimen
    assert [a.time_day for a in result.regimen.administrations] == pytest.approx(expected, abs=1e-8)
    assert result.regimen.grams_by_product(70.0) == {"ivig": pytest.approx(4 * 0.01 * 70.0)}
    assert result.regimen.triggered == ()


def test_at_most_every_min_interval_days():
    regimen = iv.Regimen.when_below("concentration", 150.0, 0.01, min_interval_days=10.0)
    result = iv.simulate(MODEL, regimen=regimen, t_end=40.0, **TIGHT)
    first = math.log(START / 150.0) / K
    np.testing.assert_allclose(dose_times(result), first + 10.0 * np.arange(4), rtol=0, atol=1e-8)
    # between doses the level falls below the threshold: the interval holds the next dose back
    level_before_second = 350.0 * math.exp(-K * 10.0)
    assert result.at("concentration", first + 10.0 - 1e-9) == pytest.approx(level_before_second, rel=1e-7)


def test_threshold_in_another_unit_and_a_start_day():
    in_g = iv.Regimen.when_below("concentration", 0.15, 0.01, unit="g/L", start_day=10.0)
    result = iv.simulate(MODEL, regimen=in_g, t_end=20.0, **TIGHT)
    # below the threshold from day 6.93, but no dose before day 10: the first one is on day 10
    assert dose_times(result)[0] == pytest.approx(10.0, abs=1e-9)


def test_a_patient_below_the_threshold_at_the_start_is_dosed_at_once():
    regimen = iv.Regimen.when_below("concentration", 400.0, 0.01, min_interval_days=5.0)
    result = iv.simulate(MODEL, regimen=regimen, t_end=6.0, **TIGHT)
    assert dose_times(result)[:2] == [0.0, pytest.approx(5.0, abs=1e-9)]


def test_combined_with_a_fixed_loading_dose():
    regimen = iv.Regimen.bolus(0.02, at_day=0.0) + iv.Regimen.when_below("concentration", 150.0, 0.01)
    result = iv.simulate(MODEL, regimen=regimen, t_end=30.0, **TIGHT)
    first = math.log((START + 2 * STEP) / 150.0) / K
    assert dose_times(result)[0] == pytest.approx(first, abs=1e-8)
    assert "0.01 g/kg ivig (iv) when concentration < 150" in regimen.describe()
    assert len(result.regimen.administrations) == 1 + len(dose_times(result))


@pytest.mark.parametrize("kwargs,words", [
    ({"dose_g_per_kg": -1.0}, "dose_g_per_kg must be positive"),
    ({"min_interval_days": -1.0}, "min_interval_days must be at least 0"),
    ({"threshold": float("nan")}, "threshold must be a finite number"),
    ({"route": "oral"}, "route must be 'iv' or 'sc'"),
])
def test_invalid_arguments_are_refused(kwargs, words):
    arguments = {"observable": "concentration", "threshold": 150.0, "dose_g_per_kg": 0.01, **kwargs}
    with pytest.raises(RegimenError, match=words):
        iv.Regimen.when_below(**arguments)


@pytest.mark.parametrize("kwargs,words", [
    ({"observable": "nothing"}, "has no observable 'nothing'"),
    ({"unit": "day"}, "does not fit observable 'concentration'"),
    ({"product": "scig_product"}, "no dose target for product 'scig_product'"),
])
def test_what_the_model_cannot_do_is_refused_naming_it(kwargs, words):
    arguments = {"observable": "concentration", "threshold": 150.0, "dose_g_per_kg": 0.01, **kwargs}
    with pytest.raises(ParameterError, match=words):
        iv.simulate(MODEL, regimen=iv.Regimen.when_below(**arguments), t_end=1.0)


def test_the_shipped_experiment_reads_the_regimen_kind():
    from ivigsim.sweep.experiment import load_experiment
    experiment = load_experiment("pid_trough_guided")
    kinds = {r.name: r.kind for r in experiment.regimens}
    assert kinds["trough_guided_6"] == "when_below"
    built = next(r for r in experiment.regimens if r.name == "trough_guided_6").build({})
    assert built.triggered[0].threshold == 6.0 and built.triggered[0].unit == "g/L"


def test_the_dose_clock_starts_at_the_interval_after_a_steady_state_start():
    # fcrn_pk starts from its untreated steady state: the clock is not integrated through it
    regimen = iv.Regimen.when_below("igg_total", 6.0, 0.4, min_interval_days=14.0, unit="g/L")
    result = iv.simulate("fcrn_pk", regimen=regimen, t_end=1.0, t_eval=[0.0, 1.0], body_weight_kg=70.0)
    since = result.model.species_index("when_below_1_since")
    assert result.states[:, since].tolist() == pytest.approx([14.0, 15.0], abs=1e-9)
    assert result.stats["model_events"] == []        # an untreated patient's IgG is above 6 g/L


# --- triggered doses given as infusions ------------------------------------------------------------

def _infused(hours, t_end=20.0, t_eval=None):
    regimen = iv.Regimen.when_below("concentration", 150.0, 0.01, min_interval_days=7.0, infusion_hours=hours)
    return iv.simulate(MODEL, regimen=regimen, t_end=t_end, t_eval=t_eval, **TIGHT)


def test_a_triggered_infusion_follows_the_analytic_solution():
    hours = 8.0
    tau = hours / 24.0
    first = math.log(START / 150.0) / K
    t = np.array([first + 0.1 * tau, first + 0.5 * tau, first + tau, first + tau + 1.0])
    result = _infused(hours, t_end=first + tau + 1.0, t_eval=t)
    rate = STEP / tau                                            # mg/L per day while infusing
    during = 150.0 * np.exp(-K * (t[:3] - first)) + rate / K * (1.0 - np.exp(-K * (t[:3] - first)))
    after = during[2] * math.exp(-K * 1.0)
    np.testing.assert_allclose(result["concentration"], [*during, after], rtol=1e-8)
    events = result.stats["model_events"]
    assert [name for _, name in events] == ["when_below_1", "when_below_1_end"]
    np.testing.assert_allclose([t for t, _ in events], [first, first + tau], rtol=0, atol=1e-8)
    given = result.regimen.administrations
    assert len(given) == 1 and given[0].duration_day == pytest.approx(tau)
    assert result.regimen.grams_by_product(70.0) == {"ivig": pytest.approx(0.01 * 70.0)}


def test_the_grams_infused_equal_the_dose():
    result = _infused(12.0, t_end=30.0)
    doses = [t for t, name in result.stats["model_events"] if name == "when_below_1"]
    ends = [t for t, name in result.stats["model_events"] if name == "when_below_1_end"]
    assert len(doses) == len(ends) >= 2
    # drug + eliminated changes only by dosing: each infusion adds exactly 0.01 g/kg (200 mg/L)
    total = (result["drug"] + result["eliminated"]) * 150.0
    assert total[-1] - total[0] == pytest.approx(STEP * len(doses), rel=1e-8)


def test_a_short_infusion_tends_to_the_bolus():
    t = np.linspace(0.0, 20.0, 81)
    bolus = iv.simulate(MODEL, regimen=iv.Regimen.when_below("concentration", 150.0, 0.01, min_interval_days=7.0),
                        t_end=20.0, t_eval=t, **TIGHT)["concentration"]
    gaps = []
    for hours in (2.0, 0.2, 0.02):
        infused = _infused(hours, t_eval=t)["concentration"]
        between = (t > 8.0) & (t < 15.0)          # past the first dose (day 6.93), before the second (15.4)
        gaps.append(np.max(np.abs(infused - bolus)[between]))
    # the difference after a dose shrinks in proportion to the infusion time (k tau / 2 of the dose)
    assert gaps[0] > gaps[1] > gaps[2]
    np.testing.assert_allclose(np.array(gaps[:2]) / np.array(gaps[1:]), 10.0, rtol=0.05)
    assert gaps[2] < 1e-3 * STEP


@pytest.mark.parametrize("kwargs, message", [
    ({"infusion_hours": 200.0, "min_interval_days": 7.0}, "outlasts min_interval_days"),
    ({"infusion_hours": 4.0, "min_interval_days": 7.0, "route": "sc"}, "iv route"),
    ({"infusion_hours": -1.0, "min_interval_days": 7.0}, "infusion_hours must be at least 0"),
])
def test_bad_triggered_infusions_are_refused(kwargs, message):
    with pytest.raises(RegimenError, match=message):
        iv.Regimen.when_below("concentration", 150.0, 0.01, **kwargs)
