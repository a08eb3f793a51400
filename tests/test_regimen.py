"""Tests for ivigsim.core.regimen: dosing schedules in clinical units."""

import math

import numpy as np
import pytest

from ivigsim.core.regimen import Administration, Dose, Regimen, RegimenError

WEIGHT = 70.0


def write(tmp_path, text, name="events.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


# ---------------------------------------------------------------------------
# Standard IVIG course
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("cycles", [1, 3, 13])
def test_standard_course_doses_times_and_amounts(cycles):
    regimen = Regimen.ivig(cycles=cycles, start_day=2.0)
    doses = regimen.doses(WEIGHT)
    assert len(doses) == 5 * cycles
    expected_times = [2.0 + k * 28.0 + d for k in range(cycles) for d in range(5)]
    assert [dose.time_day for dose in doses] == pytest.approx(expected_times)
    for dose in doses:
        assert dose.amount_g == pytest.approx(0.4 * 70.0)
        assert dose.duration_day == pytest.approx(8.0 / 24.0)
        assert dose.route == "iv"
        assert dose.product == "ivig"
        assert dose.end_day == pytest.approx(dose.time_day + 8.0 / 24.0)
        assert dose.rate_g_per_day == pytest.approx(28.0 / (8.0 / 24.0))


def test_standard_course_totals_and_rate():
    regimen = Regimen.ivig()
    assert regimen.total_g_per_kg() == pytest.approx(2.0)
    assert Regimen.ivig(cycles=13).total_g_per_kg() == pytest.approx(26.0)
    # 0.4 g/kg = 400 mg/kg over 480 min
    assert regimen.max_rate_mg_per_kg_per_min(WEIGHT) == pytest.approx(400.0 / 480.0)
    assert regimen.max_rate_mg_per_kg_per_min(WEIGHT) == pytest.approx(0.8333, abs=1e-4)
    assert regimen.max_daily_g(WEIGHT) == pytest.approx(28.0)
    assert regimen.safety_flags(WEIGHT) == []


def test_doses_are_sorted_and_administrations_sorted():
    late = Administration(10.0, 0.4, True, 0.0, "iv")
    early = Administration(1.0, 0.4, True, 0.0, "iv")
    regimen = Regimen((late, early))
    assert regimen.administrations == (early, late)
    assert [dose.time_day for dose in regimen.doses(WEIGHT)] == [1.0, 10.0]


def test_infusion_hours_sets_duration():
    doses = Regimen.ivig(infusion_hours=4.0).doses(WEIGHT)
    assert all(dose.duration_day == pytest.approx(4.0 / 24.0) for dose in doses)


def test_rate_based_duration():
    # 0.02 mL/kg/min of a 10 % product is 2 mg/kg/min, so 400 mg/kg takes 200 min.
    regimen = Regimen.ivig(rate_ml_per_kg_per_min=0.02, product_concentration=0.10)
    for dose in regimen.doses(WEIGHT):
        assert dose.duration_day * 24.0 * 60.0 == pytest.approx(200.0)
    assert regimen.max_rate_mg_per_kg_per_min(WEIGHT) == pytest.approx(2.0)
    # Exactly at the thrombosis-risk limit is not above it.
    assert regimen.safety_flags(WEIGHT) == []
    # The same mL rate of a 5 % product delivers half the grams: twice as long.
    half = Regimen.ivig(rate_ml_per_kg_per_min=0.02, product_concentration=0.05)
    assert half.doses(WEIGHT)[0].duration_day * 1440.0 == pytest.approx(400.0)


def test_infusion_volume():
    # 28 g/day of a 10 % (100 g/L) product = 280 mL/day, 5 days.
    assert Regimen.ivig().infusion_volume_ml(WEIGHT) == pytest.approx(1400.0)
    assert Regimen.ivig(product_concentration=0.05).infusion_volume_ml(WEIGHT) == pytest.approx(
        2800.0
    )
    # Entries without a concentration do not count.
    assert Regimen.bolus(0.4).infusion_volume_ml(WEIGHT) == 0.0


def test_switch_times():
    regimen = Regimen.ivig(days=2, infusion_hours=6.0) + Regimen.bolus(0.1, at_day=5.0)
    times = regimen.switch_times(WEIGHT)
    assert isinstance(times, np.ndarray)
    np.testing.assert_allclose(times, [0.0, 0.25, 1.0, 1.25, 5.0])
    # touching infusions share one switch time
    touching = Regimen.infusion(0.2, 0.0, 12.0) + Regimen.infusion(0.2, 0.5, 12.0)
    np.testing.assert_allclose(touching.switch_times(WEIGHT), [0.0, 0.5, 1.0])


def test_describe():
    standard = "0.4 g/kg/day × 5 d, 8 h infusions, every 28 d × 13"
    assert Regimen.ivig(cycles=13).describe() == standard
    assert Regimen.ivig().describe() == "0.4 g/kg/day × 5 d, 8 h infusions"
    assert "200 min infusions" in Regimen.ivig(rate_ml_per_kg_per_min=0.02).describe()
    assert Regimen.scig().describe() == "0.1 g/kg, SC depot doses, every 7 d × 4"
    assert Regimen.bolus(1.0, at_day=3.0).describe() == "1 g/kg, IV bolus, from day 3"
    combined = (Regimen.ivig() + Regimen.scig(start_day=28.0)).describe()
    assert combined.count(" + ") == 1
    assert "\n" not in combined


# ---------------------------------------------------------------------------
# Other constructors and combination
# ---------------------------------------------------------------------------


def test_scig_weekly_sc_boluses():
    regimen = Regimen.scig(dose_g_per_kg=0.1, every_days=7.0, doses=4, start_day=1.0)
    doses = regimen.doses(WEIGHT)
    assert [dose.time_day for dose in doses] == pytest.approx([1.0, 8.0, 15.0, 22.0])
    for dose in doses:
        assert dose.route == "sc"
        assert dose.duration_day == 0.0
        assert math.isinf(dose.rate_g_per_day)
        assert dose.amount_g == pytest.approx(7.0)
    assert regimen.max_rate_mg_per_kg_per_min(WEIGHT) == 0.0
    assert regimen.total_g_per_kg() == pytest.approx(0.4)


def test_bolus_and_infusion():
    bolus = Regimen.bolus(1.0, at_day=2.0, product="anti_d", route="sc")
    (dose,) = bolus.doses(WEIGHT)
    assert dose == Dose(2.0, 70.0, 0.0, "sc", "anti_d")
    (dose,) = Regimen.infusion(0.5, at_day=3.0, hours=6.0).doses(WEIGHT)
    assert dose == Dose(3.0, 35.0, 0.25, "iv", "ivig")
    assert dose.rate_g_per_day == pytest.approx(140.0)


def test_combination_with_plus():
    ivig = Regimen.ivig()
    scig = Regimen.scig(start_day=28.0)
    combined = ivig + scig
    assert isinstance(combined, Regimen)
    assert len(combined.doses(WEIGHT)) == 9
    times = [dose.time_day for dose in combined.doses(WEIGHT)]
    assert times == sorted(times)
    assert combined.total_g_per_kg() == pytest.approx(2.4)
    assert combined.name == "IVIG + SCIG"
    # the operands are unchanged
    assert len(ivig.administrations) == 5


def test_combination_is_revalidated():
    with pytest.raises(RegimenError, match=r"administration \d+ \(day 0\.1\).*overlap"):
        Regimen.ivig() + Regimen.infusion(0.1, at_day=0.1, hours=2.0)
    # a different product may run at the same time
    both = Regimen.ivig() + Regimen.infusion(0.1, at_day=0.1, hours=2.0, product="albumin")
    assert len(both.doses(WEIGHT)) == 6


def test_combination_with_non_regimen_is_a_type_error():
    with pytest.raises(TypeError):
        Regimen.ivig() + 1


def test_empty_regimen():
    empty = Regimen.none()
    assert empty.administrations == ()
    assert empty.doses(WEIGHT) == ()
    assert empty.total_g_per_kg() == 0.0
    assert empty.switch_times(WEIGHT).shape == (0,)
    assert empty.max_rate_mg_per_kg_per_min(WEIGHT) == 0.0
    assert empty.max_daily_g(WEIGHT) == 0.0
    assert empty.infusion_volume_ml(WEIGHT) == 0.0
    assert empty.safety_flags(WEIGHT) == []
    assert empty.describe() == "no treatment"
    assert (empty + Regimen.bolus(0.4)).doses(WEIGHT) == Regimen.bolus(0.4).doses(WEIGHT)


def test_absolute_grams_need_body_weight_for_per_kg_total():
    regimen = Regimen((Administration(0.0, 35.0, False, 0.25, "iv"),))
    assert regimen.doses(WEIGHT)[0].amount_g == 35.0
    assert regimen.total_g_per_kg(WEIGHT) == pytest.approx(0.5)
    with pytest.raises(RegimenError, match=r"administration 1 \(day 0\.0\).*body weight"):
        regimen.total_g_per_kg()


# ---------------------------------------------------------------------------
# Safety flags
# ---------------------------------------------------------------------------


def test_flag_35_g_in_one_day():
    flags = Regimen.bolus(2.0).safety_flags(WEIGHT)  # 140 g on day 0
    assert len(flags) == 1
    assert "35 g" in flags[0] and "140 g" in flags[0]
    assert Regimen.bolus(2.0).max_daily_g(WEIGHT) == pytest.approx(140.0)


def test_flag_35_g_depends_on_body_weight():
    regimen = Regimen.ivig()
    assert regimen.safety_flags(70.0) == []  # 28 g/day
    flags = regimen.safety_flags(90.0)  # 36 g/day on 5 days
    assert len(flags) == 1 and "5 day(s)" in flags[0] and ">= 35 g" in flags[0]


def test_max_daily_g_sums_doses_in_same_calendar_day():
    regimen = Regimen.bolus(0.2, at_day=3.1) + Regimen.bolus(0.3, at_day=3.9, route="sc")
    assert regimen.max_daily_g(WEIGHT) == pytest.approx(35.0)
    assert any(">= 35 g" in flag for flag in regimen.safety_flags(WEIGHT))
    exactly_35 = Regimen((Administration(1.5, 35.0, False, 0.0, "iv"),))
    assert len(exactly_35.safety_flags(WEIGHT)) == 1
    just_below = Regimen((Administration(1.5, 34.9, False, 0.0, "iv"),))
    assert just_below.safety_flags(WEIGHT) == []


def test_flag_fast_infusion_above_labelled_maximum():
    # 0.4 g/kg in 1 h = 6.67 mg/kg/min
    regimen = Regimen.infusion(0.4, at_day=0.0, hours=1.0)
    assert regimen.max_rate_mg_per_kg_per_min(WEIGHT) == pytest.approx(400.0 / 60.0)
    flags = regimen.safety_flags(WEIGHT)
    assert any("above 6 mg/kg/min" in flag and "labelled maximum" in flag for flag in flags)
    assert any("above 2 mg/kg/min" in flag and "thrombosis" in flag for flag in flags)


def test_flag_thrombosis_risk_rate_only():
    # 0.4 g/kg in 2 h = 3.33 mg/kg/min: above 2, below 6
    flags = Regimen.infusion(0.4, at_day=0.0, hours=2.0).safety_flags(WEIGHT)
    assert len(flags) == 1
    assert "above 2 mg/kg/min" in flags[0] and "administration 1 (day 0.0)" in flags[0]


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"amount": -0.4}, r"administration 2 \(day 28\.0\): dose must be > 0 g/kg, got -0\.4"),
        ({"amount": 0.0}, r"administration 2 \(day 28\.0\): dose must be > 0 g/kg, got 0\.0"),
        ({"amount": math.nan}, r"administration 2 \(day 28\.0\): dose must be > 0 g/kg, got nan"),
        ({"amount": math.inf}, r"dose must be > 0 g/kg, got inf"),
        ({"amount": -5.0, "per_kg": False}, r"administration 2 \(day 28\.0\): dose must be > 0 g,"),
        ({"time_day": -1.0}, r"administration 2.*start time.*>= 0.*got -1\.0"),
        ({"time_day": math.inf}, r"administration 2.*start time must be a finite"),
        ({"duration_day": -0.1}, r"administration 2 \(day 28\.0\): infusion duration.*got -0\.1"),
        ({"duration_day": math.nan}, r"administration 2 \(day 28\.0\): infusion duration.*nan"),
        ({"route": "im"}, r"administration 2 \(day 28\.0\): route must be 'iv' or 'sc', got 'im'"),
        ({"route": "sc", "duration_day": 0.1}, r"administration 2 \(day 28\.0\): a subcutaneous"),
        ({"product": ""}, r"administration 2 \(day 28\.0\): product"),
        ({"concentration_g_per_l": 0.0}, r"administration 2 \(day 28\.0\): concentration"),
        ({"concentration_g_per_l": 500.0}, r"concentration must be > 0 and <= 300 g/L.*got 500\.0"),
        # bad types give RegimenError, not TypeError
        ({"amount": "0.4"}, r"administration 2 \(day 28\.0\): dose in g/kg must be a number"),
        ({"amount": None}, r"administration 2 \(day 28\.0\): dose in g/kg must be a number"),
        ({"time_day": "28"}, r"administration 2: start time must be a number, got '28'"),
        ({"duration_day": "8h"}, r"administration 2 \(day 28\.0\): infusion duration must be"),
        ({"per_kg": "yes"}, r"administration 2 \(day 28\.0\): per_kg must be True or False"),
        ({"route": None}, r"route must be 'iv' or 'sc', got None"),
        ({"amount": True}, r"dose in g/kg must be a number, got True"),
    ],
)
def test_administration_validation(kwargs, pattern):
    fields = dict(time_day=28.0, amount=0.4, per_kg=True, duration_day=1 / 3, route="iv")
    fields.update(kwargs)
    good = Administration(0.0, 0.4, True, 1 / 3, "iv")
    with pytest.raises(RegimenError, match=pattern):
        Regimen((good, Administration(**fields)))


def test_numpy_numbers_are_accepted():
    regimen = Regimen((Administration(np.float64(1.0), np.float32(0.5), True, np.int64(0), "iv"),))
    assert regimen.doses(np.float64(70.0))[0].amount_g == pytest.approx(35.0)


def test_regimen_error_is_a_value_error():
    assert issubclass(RegimenError, ValueError)


def test_non_administration_entries_refused():
    with pytest.raises(RegimenError, match=r"administration 1: expected an Administration"):
        Regimen(((0.0, 0.4),))
    with pytest.raises(RegimenError, match="sequence of Administration"):
        Regimen(5)


def test_overlapping_infusions_refused():
    first = Administration(0.0, 0.4, True, 0.5, "iv")
    second = Administration(0.25, 0.4, True, 0.5, "iv")
    with pytest.raises(
        RegimenError,
        match=r"administration 2 \(day 0\.25\).*administration 1 \(day 0\.0\).*overlap",
    ):
        Regimen((first, second))


def test_overlap_numbers_entries_in_the_order_given():
    late = Administration(0.5, 0.1, True, 0.1, "iv")
    long = Administration(0.0, 0.4, True, 0.9, "iv")
    with pytest.raises(
        RegimenError, match=r"administration 1 \(day 0\.5\).*administration 2 \(day 0\.0\)"
    ):
        Regimen((late, long))


def test_touching_infusions_and_non_infusions_allowed():
    Regimen((Administration(0.0, 0.4, True, 0.5, "iv"), Administration(0.5, 0.4, True, 0.5, "iv")))
    # a bolus during an infusion, or an SC dose, is not an overlapping infusion
    Regimen((Administration(0.0, 0.4, True, 0.5, "iv"), Administration(0.2, 0.1, True, 0.0, "iv")))
    Regimen((Administration(0.0, 0.4, True, 0.5, "iv"), Administration(0.2, 0.1, True, 0.0, "sc")))


def test_hard_rate_bound_per_kg():
    # 2 g/kg over 1 h = 33 mg/kg/min
    with pytest.raises(RegimenError, match=r"administration 1 \(day 0\.0\): infusion rate 33\.3"):
        Regimen.infusion(2.0, at_day=0.0, hours=1.0)
    # 1 g/kg over 1 h = 16.7 mg/kg/min is allowed (flagged, not refused)
    assert Regimen.infusion(1.0, at_day=0.0, hours=1.0).safety_flags(WEIGHT)


def test_hard_rate_bound_absolute_grams_checked_with_body_weight():
    # 100 g over 1 h: 23.8 mg/kg/min at 70 kg, 16.7 mg/kg/min at 100 kg
    regimen = Regimen((Administration(3.0, 100.0, False, 1 / 24, "iv"),))
    assert regimen.max_rate_mg_per_kg_per_min(100.0) == pytest.approx(100e3 / 100.0 / 60.0)
    with pytest.raises(RegimenError, match=r"administration 1 \(day 3\.0\).*70 kg.*23\.8.*20"):
        regimen.doses(70.0)
    with pytest.raises(RegimenError, match="hard limit"):
        regimen.safety_flags(70.0)


@pytest.mark.parametrize("weight", [0.0, -70.0, 501.0, math.nan, math.inf, "70", None])
def test_body_weight_validated(weight):
    with pytest.raises(RegimenError, match="body weight"):
        Regimen.ivig().doses(weight)
    with pytest.raises(RegimenError, match="body weight"):
        Regimen.ivig().switch_times(weight)


def test_body_weight_limits_inclusive():
    assert len(Regimen.ivig().doses(500.0)) == 5
    assert len(Regimen.ivig().doses(0.5)) == 5


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"dose_g_per_kg": -0.4}, r"IVIG regimen: dose must be > 0 g/kg, got -0\.4"),
        ({"dose_g_per_kg": "0.4"}, r"IVIG regimen: dose in g/kg must be a number, got '0\.4'"),
        ({"cycles": 0}, r"cycles must be a whole number >= 1, got 0"),
        ({"cycles": 2.5}, r"cycles must be a whole number >= 1, got 2\.5"),
        ({"cycles": "3"}, r"cycles must be a number"),
        ({"days": 0}, r"days must be a whole number >= 1, got 0"),
        ({"days": 1.5}, r"days must be a whole number >= 1, got 1\.5"),
        ({"every_days": 3.0}, r"every_days must be at least the 5 infusion days.*got 3\.0"),
        ({"product_concentration": 0.0}, r"product_concentration.*\(0, 0\.3\].*got 0\.0"),
        ({"product_concentration": 10}, r"product_concentration.*got 10"),
        ({"product_concentration": 0.35}, r"product_concentration.*got 0\.35"),
        ({"infusion_hours": 8.0, "rate_ml_per_kg_per_min": 0.02}, r"either infusion_hours or rate"),
        ({"infusion_hours": 0.0}, r"infusion_hours must be > 0 and <= 24, got 0\.0"),
        ({"infusion_hours": -2.0}, r"infusion_hours must be > 0 and <= 24, got -2\.0"),
        ({"infusion_hours": 25.0}, r"infusion_hours must be > 0 and <= 24, got 25\.0"),
        ({"infusion_hours": "8"}, r"infusion_hours must be a number"),
        ({"rate_ml_per_kg_per_min": 0.0}, r"infusion rate must be > 0 mL/kg/min"),
        ({"rate_ml_per_kg_per_min": 0.001}, r"takes 66\.7 h, longer than one day"),
        ({"start_day": -1.0}, r"IVIG regimen: start time.*got -1\.0"),
        # 0.08 mL/kg/min of a 10 % product = 8 mg/kg/min is allowed; 0.25 = 25 is not
        ({"rate_ml_per_kg_per_min": 0.25}, r"administration 1 \(day 0\.0\): infusion rate 25"),
    ],
)
def test_ivig_validation(kwargs, pattern):
    with pytest.raises(RegimenError, match=pattern):
        Regimen.ivig(**kwargs)


def test_ivig_accepts_whole_float_counts_and_fast_labelled_rate():
    assert len(Regimen.ivig(days=5.0, cycles=2.0).doses(WEIGHT)) == 10
    fast = Regimen.ivig(rate_ml_per_kg_per_min=0.08)  # 8 mg/kg/min
    assert fast.max_rate_mg_per_kg_per_min(WEIGHT) == pytest.approx(8.0)
    assert any("above 6 mg/kg/min" in flag for flag in fast.safety_flags(WEIGHT))


def test_other_constructor_validation():
    with pytest.raises(RegimenError, match=r"infusion: hours must be > 0 and <= 24, got 0"):
        Regimen.infusion(0.4, at_day=0.0, hours=0)
    with pytest.raises(RegimenError, match=r"route must be 'iv' or 'sc', got 'oral'"):
        Regimen.bolus(0.4, route="oral")
    with pytest.raises(RegimenError, match=r"SCIG regimen: doses must be a whole number"):
        Regimen.scig(doses=0)
    with pytest.raises(RegimenError, match=r"SCIG regimen: every_days must be > 0"):
        Regimen.scig(every_days=0.0)
    with pytest.raises(RegimenError, match=r"administration 1 \(day 0\.0\): dose must be > 0"):
        Regimen.scig(dose_g_per_kg=-0.1)


# ---------------------------------------------------------------------------
# Event table
# ---------------------------------------------------------------------------


def test_event_table_per_kg_matches_constructor(tmp_path):
    expected = Regimen.ivig(cycles=2)
    lines = ["time_day,amount_g_per_kg,duration_h"]
    for adm in expected.administrations:
        lines.append(f"{adm.time_day!r},{adm.amount!r},8")
    path = write(tmp_path, "\n".join(lines) + "\n")
    read = Regimen.from_event_table(path)
    assert read.name == "events.csv"
    got = read.doses(WEIGHT)
    want = expected.doses(WEIGHT)
    assert len(got) == len(want) == 10
    for g, w in zip(got, want):
        assert g.time_day == pytest.approx(w.time_day)
        assert g.amount_g == pytest.approx(w.amount_g)
        assert g.duration_day == pytest.approx(w.duration_day)
        assert (g.route, g.product) == (w.route, w.product)
    assert read.total_g_per_kg() == pytest.approx(4.0)


def test_event_table_absolute_with_rate_route_product(tmp_path):
    text = (
        "time_day,amount_g,rate_g_per_h,route,product\n"
        "0,28,7,iv,ivig\n"
        "\n"
        "7, 7 ,,SC,scig_20\n"
        "14,7,,sc,\n"
        "2,10,,,\n"
    )
    regimen = Regimen.from_event_table(write(tmp_path, text))
    doses = regimen.doses(WEIGHT)
    assert [d.time_day for d in doses] == [0.0, 2.0, 7.0, 14.0]
    assert doses[0] == Dose(0.0, 28.0, pytest.approx(4.0 / 24.0), "iv", "ivig")
    assert doses[1] == Dose(2.0, 10.0, 0.0, "iv", "ivig")
    assert doses[2] == Dose(7.0, 7.0, 0.0, "sc", "scig_20")
    assert doses[3] == Dose(14.0, 7.0, 0.0, "sc", "ivig")
    assert regimen.total_g_per_kg(WEIGHT) == pytest.approx(52.0 / 70.0)


def test_event_table_minimal_bolus_and_header_only(tmp_path):
    regimen = Regimen.from_event_table(write(tmp_path, "amount_g_per_kg,time_day\n1.0,3\n"))
    assert regimen.doses(WEIGHT) == (Dose(3.0, 70.0, 0.0, "iv", "ivig"),)
    empty = Regimen.from_event_table(write(tmp_path, "time_day,amount_g\n", name="empty.csv"))
    assert empty.doses(WEIGHT) == ()


@pytest.mark.parametrize(
    "text, pattern",
    [
        (
            "time_day,amount_g\n0,28\n0,abc\n",
            r"events\.csv line 3, column 'amount_g': expected a number, got 'abc'",
        ),
        (
            "time_day,amount_g\n0,28\n\nx,28\n",
            r"events\.csv line 4, column 'time_day': expected a number, got 'x'",
        ),
        ("time_day,amount_g\n0,\n", r"events\.csv line 2, column 'amount_g': missing value"),
        (
            "time_day,amount_g\n0,-5\n",
            r"events\.csv line 2, column 'amount_g': dose must be > 0 g, got -5\.0",
        ),
        (
            "time_day,amount_g_per_kg\n0,0\n",
            r"line 2, column 'amount_g_per_kg': dose must be > 0 g/kg",
        ),
        ("time_day,amount_g\n-1,5\n", r"events\.csv line 2, column 'time_day': start time"),
        ("time_day,amount_g\nnan,5\n", r"line 2, column 'time_day': start time must be a finite"),
        ("time_day,amount_g,duration_h\n0,5,-2\n", r"line 2, column 'duration_h': .*got -2\.0"),
        ("time_day,amount_g,rate_g_per_h\n0,5,0\n", r"line 2, column 'rate_g_per_h': .*> 0 g/h"),
        (
            "time_day,amount_g,route\n0,5,im\n",
            r"line 2, column 'route': route must be 'iv' or 'sc', got 'im'",
        ),
        ("time_day,amount_g\n0,5,3\n", r"events\.csv line 2: expected 2 values"),
        (
            "time_day,amount_g,dv\n0,5,1\n",
            r"events\.csv line 1: unknown column 'dv'; allowed columns: time_day, amount_g, "
            r"amount_g_per_kg, duration_h, rate_g_per_h, route, product",
        ),
        ("0,28\n1,28\n", r"unknown column '0' \(line 1 must be a header row"),
        ("", r"events\.csv: line 1 must be a header row"),
        ("amount_g\n5\n", r"required column 'time_day' is missing"),
        (
            "time_day,amount_g,amount_g_per_kg\n0,5,1\n",
            r"exactly one of the columns 'amount_g'.*both",
        ),
        ("time_day,duration_h\n0,5\n", r"exactly one of the columns 'amount_g'.*neither"),
        (
            "time_day,amount_g,duration_h,rate_g_per_h\n0,5,1,1\n",
            r"at most one of the columns 'duration_h' or 'rate_g_per_h'",
        ),
        (
            "time_day,amount_g_per_kg,rate_g_per_h\n0,0.4,1\n",
            r"'rate_g_per_h' needs doses in grams",
        ),
        ("time_day,time_day,amount_g\n0,0,5\n", r"column 'time_day' appears more than once"),
        (
            "time_day,amount_g,duration_h,route\n0,5,2,sc\n",
            r"events\.csv line 2 \(day 0\.0\): a subcutaneous dose",
        ),
        (
            "time_day,amount_g_per_kg,duration_h\n0,0.4,8\n0.25,0.4,8\n",
            r"events\.csv line 3 \(day 0\.25\).*events\.csv line 2 \(day 0\.0\).*"
            r"overlap",
        ),
        (
            "time_day,amount_g_per_kg,duration_h\n0,2,1\n",
            r"events\.csv line 2 \(day 0\.0\): infusion rate 33\.3",
        ),
    ],
)
def test_event_table_errors(tmp_path, text, pattern):
    with pytest.raises(RegimenError, match=pattern):
        Regimen.from_event_table(write(tmp_path, text))


def test_event_table_missing_file(tmp_path):
    with pytest.raises(RegimenError, match="cannot read event table.*nope.csv"):
        Regimen.from_event_table(tmp_path / "nope.csv")
