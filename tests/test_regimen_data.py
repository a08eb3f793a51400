"""One way to build a regimen from data: every file format's regimen tables go through
``regimen_from_data`` and give the regimens their old call sites built."""

import tomllib
from pathlib import Path

import numpy as np
import pytest

import ivigsim as iv
from conftest import ROOT
from ivigsim.analysis.fitting import reader as fit_reader
from ivigsim.analysis.fitting.reader import shipped_problems
from ivigsim.analysis.regression import stochastic
from ivigsim.analysis.validation.registry import build_regimen
from ivigsim.core.regimen import Regimen, RegimenError
from ivigsim.core.regimen_data import REGIMEN_KINDS, regimen_from_data
from ivigsim.sweep.experiment import RegimenSpec, load_experiment


def direct(entry):
    """What the call sites did before: the constructor named by ``kind``, called with the other keys."""
    if isinstance(entry, list):
        return Regimen.combine(*[direct(e) for e in entry])
    arguments = {k: v for k, v in entry.items() if k != "kind"}
    if entry["kind"] == "combine":
        return Regimen.combine(*[direct(part) for part in arguments["parts"]])
    return getattr(Regimen, entry["kind"])(**arguments)


def _experiment_tables():
    for path in sorted((ROOT / "experiments").glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for name, table in (data.get("regimens") or {}).items():
            yield path, name, table


def _target_tables():
    """Regimen tables in validation/targets.toml: ``regimen`` (one, or a list summed) and ``regimens`` (each)."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "regimen":
                    found.append(value)
                elif key == "regimens" and isinstance(value, list):
                    found.extend(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(tomllib.loads((ROOT / "validation" / "targets.toml").read_text(encoding="utf-8")))
    return found


EXPERIMENT_TABLES = list(_experiment_tables())
TARGET_TABLES = _target_tables()


def test_the_files_hold_regimen_tables_of_many_kinds():
    kinds = {t["kind"] for _, _, t in EXPERIMENT_TABLES} | {t["kind"] for t in TARGET_TABLES if isinstance(t, dict)}
    assert len(EXPERIMENT_TABLES) >= 10 and len(TARGET_TABLES) >= 10
    assert {"ivig", "bolus", "fcrn_antagonist", "plasma_exchange", "combine"} <= kinds


@pytest.mark.parametrize("path,name,table", EXPERIMENT_TABLES, ids=lambda v: getattr(v, "stem", v)
                         if not isinstance(v, dict) else "")
def test_experiment_file_regimens_are_the_old_ones(path, name, table):
    experiment = load_experiment(path)
    spec = next(r for r in experiment.regimens if r.name == name)
    built = spec.build()
    old = direct(table)
    assert built == type(old)(old.administrations, name=name, sessions=old.sessions, triggered=old.triggered)
    assert regimen_from_data(table, name=name) == built


def test_validation_target_regimens_are_the_old_ones():
    for table in TARGET_TABLES:
        assert build_regimen(table) == direct(table), table
        assert regimen_from_data(table) == direct(table), table


def test_fit_conditions_and_stochastic_cases_are_the_old_ones():
    checked = 0
    for directory in shipped_problems():
        path = ROOT / "fits" / Path(directory).name / "ivigsim.toml"
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        for cid, entry in (raw.get("conditions") or {}).items():
            spec, _ = fit_reader._read_condition_entry(path, cid, entry)     # what a fit builds
            table = entry.get("regimen", {k: v for k, v in entry.items() if k != "body_weight_kg"})
            old = direct(table)
            assert spec.build() == type(old)(old.administrations, name=cid, sessions=old.sessions,
                                             triggered=old.triggered)
            checked += 1
    for case in stochastic.CASES.values():
        if "regimen" in case:
            assert stochastic._regimen(case["regimen"]) == direct(case["regimen"])
            checked += 1
    assert checked >= 3


def test_sampled_overrides_become_whole_numbers_where_the_constructor_counts():
    table = {"kind": "ivig", "dose_g_per_kg": 0.4, "days": 5, "infusion_hours": 8.0}
    reg = regimen_from_data(table, name="course", overrides={"days": np.float64(2.0), "cycles": 3.0,
                                                             "not_a_keyword": 1.0})
    assert reg == Regimen.ivig(dose_g_per_kg=0.4, days=2, infusion_hours=8.0, cycles=3).__class__(
        Regimen.ivig(dose_g_per_kg=0.4, days=2, infusion_hours=8.0, cycles=3).administrations, name="course")
    assert len(reg.administrations) == 2 * 3


def test_a_list_is_the_combination_and_combine_takes_parts():
    a = {"kind": "ivig", "dose_g_per_kg": 0.4, "days": 5, "infusion_hours": 8.0}
    b = {"kind": "plasma_exchange", "plasma_volumes": 1.0, "sessions": 5, "every_days": 2.0, "start_day": 30.0}
    combined = regimen_from_data({"kind": "combine", "parts": [a, b]}, name="both")
    assert combined.administrations == direct(a).administrations and combined.sessions == direct(b).sessions
    assert combined.name == "both"
    assert regimen_from_data([a, b]) == direct(a) + direct(b)


@pytest.mark.parametrize("entry,message", [
    ({"kind": "ivg", "dose_g_per_kg": 0.4}, "unknown regimen kind 'ivg'"),
    ({"dose_g_per_kg": 0.4}, "a regimen is a table with a 'kind'"),
    ({"kind": "ivig", "dose_g_per_kg": 0.4, "dayz": 5}, r"Regimen.ivig\(\) has no keyword 'dayz'"),
    ({"kind": "bolus"}, r"Regimen.bolus\(\) needs 'dose_g_per_kg'"),
    ({"kind": "combine", "parts": []}, "needs parts = a non-empty list"),
    ({"kind": "combine", "parts": [{"kind": "none"}], "days": 2}, "takes only 'parts'"),
    ({"kind": "ivig", "dose_g_per_kg": -1.0}, "dose"),
])
def test_bad_tables_are_refused_naming_the_key(entry, message):
    with pytest.raises(RegimenError, match=message):
        regimen_from_data(entry, name="x")
    assert issubclass(RegimenError, iv.IvigsimError)


def test_every_kind_is_a_constructor():
    assert all(hasattr(Regimen, kind) for kind in REGIMEN_KINDS)
    assert RegimenSpec("r", "none").build() == Regimen.none().__class__((), name="r")
