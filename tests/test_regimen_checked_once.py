"""A regimen built from data is checked once: naming it does not check its entries again,
and the entries' labels are written out only when a message needs one."""

import dataclasses

import pytest

import ivigsim.core.regimen as regimen_module
from ivigsim.core._regimen_checks import EntryLabel, label
from ivigsim.core.regimen import Administration, Regimen, RegimenError
from ivigsim.core.regimen_data import regimen_from_data

TABLES = [
    {"kind": "ivig", "dose_g_per_kg": 0.37, "days": 5, "infusion_hours": 8, "cycles": 13},
    {"kind": "scig", "dose_g_per_kg": 0.1, "every_days": 7, "doses": 4},
    {"kind": "combine", "parts": [{"kind": "ivig", "days": 5, "infusion_hours": 8},
                                  {"kind": "plasma_exchange", "plasma_volumes": 1.0, "sessions": 5,
                                   "every_days": 2}]},
]


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t["kind"])
def test_a_named_regimen_equals_the_replaced_one(table):
    unnamed = regimen_from_data(table)
    named = regimen_from_data(table, name="course")
    assert named == dataclasses.replace(unnamed, name="course")
    assert repr(named) == repr(dataclasses.replace(unnamed, name="course"))
    assert named.name == "course" and unnamed.name != "course"
    assert unnamed.renamed("x").administrations is unnamed.administrations


def test_naming_a_regimen_does_not_check_its_entries_again(monkeypatch):
    calls = []
    original = regimen_module.validate
    monkeypatch.setattr(regimen_module, "validate", lambda adms, labels: calls.append(len(adms)) or
                        original(adms, labels))
    regimen_from_data(TABLES[0], name="course", overrides={"dose_g_per_kg": 0.5})
    assert calls == [65]                # once, for the 13 five-day courses


def test_a_name_must_be_text():
    with pytest.raises(RegimenError, match="regimen name must be text, got 3"):
        Regimen.ivig().renamed(3)


def test_an_entry_label_reads_as_the_label_in_messages():
    adm = Administration(time_day=28.0, amount=0.4, per_kg=True, duration_day=1 / 3, route="iv")
    lazy = EntryLabel(1, adm)
    assert str(lazy) == label(1, adm) == "administration 2 (day 28.0)"
    assert f"{lazy}: dose" == "administration 2 (day 28.0): dose"
    bad = Administration(time_day=28.0, amount=-0.4, per_kg=True, duration_day=1 / 3, route="iv")
    with pytest.raises(RegimenError, match=r"^administration 2 \(day 28\.0\): dose must be > 0 g/kg, got -0\.4$"):
        Regimen([adm, bad])
