"""SBML Level 3 interchange, checked against libRoadRunner as an independent simulator.

Agreement is measured per output (species or observable) as
max_t |ivigsim - libRoadRunner| / max_t |libRoadRunner|, and must stay below 1e-5
for every output; both integrators run at rtol = 1e-10.
"""

import argparse

import numpy as np
import pytest

libsbml = pytest.importorskip("libsbml")
roadrunner = pytest.importorskip("roadrunner")

import ivigsim as iv  # noqa: E402
from ivigsim.errors import IvigsimError  # noqa: E402
from ivigsim.io.sbml import export_sbml, import_sbml  # noqa: E402
from ivigsim.io.sbml.cli import add_sbml_parsers  # noqa: E402
from ivigsim.core.spec import load_model_file  # noqa: E402

from conftest import DATA  # noqa: E402

SBML_DATA = DATA / "sbml"
AGREE = 1e-5
RTOL = 1e-10
WEIGHT_KG = 70.0


def standard_regimen(cycles=2):
    return iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8, every_days=28, cycles=cycles)


def output_times(t_end, extra=()):
    """A grid every 0.25 day plus times inside infusions and just after doses."""
    return np.union1d(np.linspace(0.0, t_end, int(4 * t_end) + 1), [t for t in extra if t <= t_end])


def roadrunner_trajectories(xml, columns, times, atol_amounts):
    """libRoadRunner (CVODE) on an SBML text: rows = times, one column per name in ``columns``.

    ``columns`` are species ids (read as concentrations) or parameter ids (observables).
    """
    rr = roadrunner.RoadRunner(xml)
    floating = list(rr.model.getFloatingSpeciesIds())
    integrator = rr.integrator
    integrator.relative_tolerance = RTOL
    integrator.absolute_tolerance = [atol_amounts] * len(floating)
    integrator.maximum_num_steps = 500_000
    rr.timeCourseSelections = ["time"] + [f"[{c}]" if c in floating else c for c in columns]
    out = np.asarray(rr.simulate(times=list(times)))
    assert np.allclose(out[:, 0], times, rtol=0, atol=1e-12)
    return out[:, 1:]


def worst_relative_error(result, reference, names):
    """(largest error over outputs, its name): max_t |a - b| / max_t |b| per output."""
    worst = (0.0, "")
    for k, name in enumerate(names):
        # an output that stays zero (an antagonist not given) may carry round-off of the linear
        # solves (1e-18 of ivig_autoimmune's fcrn_deficit_h), so scales are floored at 1e-9 of
        # the run's largest output
        scale = max(float(np.max(np.abs(reference[:, k]))), 1e-9 * float(np.max(np.abs(reference)))) or 1.0
        err = float(np.max(np.abs(result[:, k] - reference[:, k])) / scale)
        assert np.isfinite(err), name
        worst = max(worst, (err, name))
    return worst


def compare_export(model, regimen, times, mechanisms=None):
    spec = iv.load_model(model)
    xml = export_sbml(model, regimen=regimen, body_weight_kg=WEIGHT_KG, mechanisms=mechanisms)
    res = iv.simulate(model, regimen=regimen, t_end=float(times[-1]), body_weight_kg=WEIGHT_KG,
                      mechanisms=mechanisms, t_eval=times, rtol=RTOL)
    names = list(spec.species_names) + list(spec.observable_names)
    ours = np.column_stack([res[n] for n in names])
    theirs = roadrunner_trajectories(xml, names, times, 1e-14)
    return worst_relative_error(ours, theirs, names), ours, theirs, names


def consistency_messages(xml):
    """(error messages, set of warning ids) from libSBML's consistency checks, units included."""
    doc = libsbml.readSBMLFromString(xml)
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
    doc.checkConsistency()
    errors, warnings = [], set()
    for i in range(doc.getNumErrors()):
        err = doc.getError(i)
        if err.getSeverity() >= libsbml.LIBSBML_SEV_ERROR:
            errors.append(err.getMessage())
        else:
            warnings.add(err.getErrorId())
    return errors, warnings


# --------------------------------------------------------------------------- export

def test_export_fcrn_pk_with_ivig_course_agrees_with_roadrunner():
    times = output_times(60.0, [0.1, 0.2, 1.1, 1.3, 4.2, 28.05, 28.3, 32.2])
    (err, name), ours, _, names = compare_export("fcrn_pk", standard_regimen(), times)
    assert err < AGREE, f"{name}: {err:.2e}"
    ivig = ours[:, names.index("ivig")]
    assert ivig[times == 0.25][0] > 5.0 and ivig[times == 28.0][0] < ivig[times == 28.25][0]


@pytest.mark.parametrize("mechanisms", [None, {"fcrn_saturation": False, "complex_clearance": False}],
                         ids=["all_on", "two_off"])
def test_export_ivig_autoimmune_split_dose_and_switches_agree_with_roadrunner(mechanisms):
    times = output_times(45.0, [0.1, 1.2, 4.3, 28.1])
    (err, name), ours, _, names = compare_export("ivig_autoimmune", standard_regimen(), times, mechanisms)
    assert err < AGREE, f"{name}: {err:.2e}"
    assert np.max(ours[:, names.index("anti_idiotype_free")]) > 0.0     # the split dose reached aid_p


def test_export_boluses_at_zero_and_later_agree_with_roadrunner():
    regimen = (iv.Regimen.bolus(1.0, at_day=0.0) + iv.Regimen.bolus(0.5, at_day=3.5)
               + iv.Regimen.scig(0.1, every_days=7.0, doses=3, start_day=1.0))
    times = output_times(30.0, [1.0001, 3.5001, 8.0001])
    (err, name), ours, theirs, names = compare_export("fcrn_pk", regimen, times)
    assert err < AGREE, f"{name}: {err:.2e}"
    # the bolus at t = 0 is in the state reported at t = 0, in both simulators
    dose_um = 1.0 * WEIGHT_KG / 0.15 / (0.042 * WEIGHT_KG)      # g -> umol (150 g/mmol) / plasma volume
    k = names.index("ivig_p")
    assert ours[0, k] == pytest.approx(dose_um, rel=1e-9)
    assert theirs[0, k] == pytest.approx(dose_um, rel=1e-9)


def test_export_is_consistent_sbml():
    errors, warnings = consistency_messages(export_sbml("fcrn_pk", regimen=standard_regimen(1),
                                                       body_weight_kg=WEIGHT_KG, initial="file"))
    assert errors == [] and warnings == set()
    # a model whose reactions count different things (umol of IgG, 10^9 platelets, % lysis) cannot
    # share one SBML extent unit: libSBML warns (10503: kinetic laws in different units, 99507: no
    # model extent unit), and that is all it says
    errors, warnings = consistency_messages(export_sbml("ivig_autoimmune", body_weight_kg=WEIGHT_KG,
                                                        initial="file"))
    assert errors == [] and warnings == {10503, 99507}


@pytest.mark.parametrize("name", sorted(iv.model_paths()))
def test_every_shipped_model_exports_without_sbml_errors(name):
    spec = iv.load_model(name)
    xml = export_sbml(name, initial="file")
    errors, _ = consistency_messages(xml)
    assert errors == []
    model = libsbml.readSBMLFromString(xml).getModel()
    assert model.getNumReactions() == len(spec.reactions) and model.getNumSpecies() == spec.n_species


def test_export_writes_units_sources_and_events(tmp_path):
    path = tmp_path / "fcrn.xml"
    text = export_sbml("fcrn_pk", path, regimen=standard_regimen(1), body_weight_kg=80.0)
    assert path.read_text() == text
    model = libsbml.readSBMLFromString(text).getModel()
    assert model.getTimeUnits() == "day"
    assert model.getUnitDefinition("day").getUnit(0).getMultiplier() == 86400
    k_on = model.getParameter("k_on")
    assert model.getUnitDefinition(k_on.getUnits()).getName() == "1/(uM*day)"
    assert "Source: Shah &amp; Betts 2012" in k_on.getNotesString()
    assert model.getParameter("body_weight").getValue() == 80.0
    assert model.getCompartment("plasma").getSize() == pytest.approx(0.042 * 80.0)
    assert model.getInitialAssignmentBySymbol("plasma") is not None
    assert model.getParameter("fcrn_recycling").getValue() == 1.0
    # 5 daily 8 h infusions: on at t = 0 (the initial rate), then 9 switches
    assert model.getNumEvents() == 9
    assert model.getParameter("infusion_rate_ivig_iv").getValue() == pytest.approx(0.4 * 80 * 3)


def test_export_refuses_a_bad_initial_choice():
    with pytest.raises(IvigsimError, match="initial must be one of"):
        export_sbml("fcrn_pk", initial="zero")


def test_missing_libsbml_names_the_extra(monkeypatch):
    import sys

    from ivigsim.io.sbml.export import require_libsbml
    monkeypatch.setitem(sys.modules, "libsbml", None)
    with pytest.raises(IvigsimError, match=r'pip install "ivigsim\[sbml\]"'):
        require_libsbml()


# --------------------------------------------------------------------------- round trip

@pytest.mark.parametrize("model", ["fcrn_pk", "ivig_autoimmune"])
def test_round_trip_keeps_the_mathematics_and_the_dose_table(model, tmp_path):
    original = iv.load_model(model)
    xml = tmp_path / "model.xml"
    export_sbml(model, xml, regimen=standard_regimen(1), body_weight_kg=WEIGHT_KG)
    import_sbml(xml, tmp_path / "model.toml")
    back = load_model_file(tmp_path / "model.toml")
    assert back.fingerprint() == original.fingerprint()
    assert [(p.name, p.value, p.unit, p.bounds, p.source) for p in back.parameters] == \
        [(p.name, p.value, p.unit, p.bounds, p.source) for p in original.parameters]
    assert [(o.name, o.unit, o.factor) for o in back.observables] == \
        [(o.name, o.unit, o.factor) for o in original.observables]
    assert back.initial_state == original.initial_state
    assert {k: {r: tuple(t) for r, t in d.routes.items()} for k, d in back.doses.items()} == \
        {k: {r: tuple(t) for r, t in d.routes.items()} for k, d in original.doses.items()}

    # The imported model finds its own steady state, from the initial values the SBML carried.
    times = output_times(40.0, [0.1, 28.1])
    run = dict(t_end=40.0, body_weight_kg=WEIGHT_KG, t_eval=times, rtol=RTOL)
    a = iv.simulate(original, **run)
    b = iv.simulate(back, **run)
    err, name = worst_relative_error(b.states, a.states, original.species_names)
    assert err < 1e-8, f"untreated, {name}: {err:.2e}"
    # the regimen reaches the imported model through its rebuilt [doses] table
    a = iv.simulate(original, regimen=standard_regimen(2), **run)
    b = iv.simulate(back, regimen=standard_regimen(2), **run)
    err, name = worst_relative_error(b.states, a.states, original.species_names)
    assert err < 1e-9, f"treated, {name}: {err:.2e}"


def test_round_trip_from_file_initial_values_keeps_initial_expressions(tmp_path):
    export_sbml("fcrn_pk", tmp_path / "m.xml", initial="file")
    import_sbml(tmp_path / "m.xml", tmp_path / "m.toml")
    back = load_model_file(tmp_path / "m.toml")
    assert [s.initial for s in back.species] == [s.initial for s in iv.load_model("fcrn_pk").species]
    assert [s.cumulative for s in back.species] == [s.cumulative for s in iv.load_model("fcrn_pk").species]


# --------------------------------------------------------------------------- import of models written elsewhere

def compare_import(sbml_path, t_end_day, time_unit_per_day, tmp_path):
    """Import, simulate with ivigsim, and compare with libRoadRunner on the same SBML."""
    toml = tmp_path / "imported.toml"
    import_sbml(sbml_path, toml)
    spec = load_model_file(toml)
    times = output_times(t_end_day)
    res = iv.simulate(spec, t_end=t_end_day, t_eval=times, rtol=RTOL)
    names = list(spec.species_names) + list(spec.observable_names)
    ours = np.column_stack([res[n] for n in names])
    theirs = roadrunner_trajectories(sbml_path.read_text(), names, times * time_unit_per_day, 1e-12)
    return spec, worst_relative_error(ours, theirs, names), ours, names


def test_import_kuznetsov_effector_tumour_model_agrees_with_roadrunner(tmp_path):
    spec, (err, name), ours, names = compare_import(SBML_DATA / "kuznetsov1994.xml", 150.0, 1.0, tmp_path)
    assert err < AGREE, f"{name}: {err:.2e}"
    assert spec.species_names == ("E", "T")
    assert str(spec.unit_of("m")) == "1/(cell*day)" and str(spec.unit_of("T")) == "cell"
    assert len(spec.mechanisms) == 7                              # one switch per SBML reaction
    effectors, tumour = ours[:, names.index("E")], ours[:, names.index("T")]
    assert effectors.max() > 3.0 * effectors[0]                   # tumour-driven recruitment
    assert tumour[np.argmax(tumour):].min() < tumour.max() / 10   # and the tumour cut back from its peak


def test_import_two_compartment_pk_in_hours_agrees_with_roadrunner(tmp_path):
    spec, (err, name), ours, names = compare_import(SBML_DATA / "mab_two_compartment.xml", 28.0, 24.0, tmp_path)
    assert err < AGREE, f"{name}: {err:.2e}"
    conversion = spec.parameters[spec.parameter_index("h_per_day")]
    assert conversion.value == 24.0 and str(conversion.unit) == "h/day"
    vmax = spec.parameters[spec.parameter_index("Vmax")]
    assert str(vmax.unit) == "mg/h" and "inferred" in vmax.source
    assert {r.name for r in spec.reactions} == {"distribution", "distribution_reverse", "clearance",
                                                "target_mediated"}
    assert ours[0, names.index("total_antibody")] == pytest.approx(700.0, rel=1e-12)


def test_import_boundary_species_amounts_and_local_parameters_agree_with_roadrunner(tmp_path):
    path = antimony_sbml(tmp_path, """
model mixed()
  unit time_unit = 60 second
  unit substance = 1e-9 mole
  unit volume = 1e-3 litre
  unit per_min = 1 / time_unit
  compartment blood = 5;
  compartment tissue = 20;
  species $X in blood = 2;
  substanceOnly species A in tissue = 30;
  species B in blood = 0;
  kin = 0.1 per_min;
  kf = 0.05 per_min;
  kr = 0.02 per_min;
  kdeg = 0.01 per_min;
  R1: $X => B; kin * X * blood;
  R2: B -> A; kf * B * blood - kr * A;
  R3: A => ; kdeg * A;
  free := A / tissue + B;
end
""", name="mixed")
    doc = libsbml.readSBMLFromFile(str(path))        # make kdeg local to R3, as many SBML files have it
    model = doc.getModel()
    local = model.getReaction("R3").getKineticLaw().createLocalParameter()
    local.setId("kdeg")
    local.setValue(0.01)
    local.setUnits("per_min")
    model.removeParameter("kdeg")
    path.write_text(libsbml.writeSBMLToString(doc))

    toml = tmp_path / "mixed.toml"
    import_sbml(path, toml)
    spec = load_model_file(toml)
    assert spec.species_names == ("A", "B")                      # the boundary species is a parameter
    assert str(spec.unit_of("X")) == "uM" and str(spec.unit_of("R3_kdeg")) == "1/min"
    times = output_times(0.5)
    res = iv.simulate(spec, t_end=0.5, t_eval=times, rtol=RTOL)
    names = ["A", "B", "free"]
    ours = np.column_stack([res[n] for n in names])
    theirs = roadrunner_trajectories(path.read_text(), names, times * 1440.0, 1e-12)
    err, name = worst_relative_error(ours, theirs, names)
    assert err < AGREE, f"{name}: {err:.2e}"
    off = iv.simulate(spec, t_end=0.5, t_eval=times, rtol=RTOL, mechanisms={"R1": False})
    assert off["B"][-1] < res["B"][-1]                           # each SBML reaction can be switched off


def test_import_reports_unknown_unit_overrides_and_missing_files(tmp_path):
    with pytest.raises(IvigsimError, match="units: 'nonexistent' is not a parameter of kuznetsov1994.xml"):
        import_sbml(SBML_DATA / "kuznetsov1994.xml", units={"nonexistent": "1/day"})
    with pytest.raises(IvigsimError, match="not a readable SBML file"):
        import_sbml(tmp_path / "missing.xml")


def antimony_sbml(tmp_path, text, name="refused"):
    antimony = pytest.importorskip("antimony")
    antimony.clearPreviousLoads()
    assert antimony.loadAntimonyString(text) >= 0, antimony.getLastError()
    path = tmp_path / f"{name}.xml"
    path.write_text(antimony.getSBMLString(antimony.getMainModuleName()))
    return path


_BASE = """
model refused()
  unit time_unit = 60 second
  unit substance = 1e-6 mole
  unit volume = litre
  unit per_min = 1 / time_unit
  compartment cell = 1 litre;
  species S in cell = 10;
  k = 0.1 per_min;
  {extra}
end
"""


@pytest.mark.parametrize("extra, element, what", [
    ("species T in cell = 1; R2: T => ; k * T; R: S => ; k * delay(rateOf(T), 1);",
     "kinetic law of reaction 'R'", "delay() of a rateOf()"),
], ids=["delay_of_rate_of"])
def test_import_refuses_what_ivigsim_cannot_represent(tmp_path, extra, element, what):
    path = antimony_sbml(tmp_path, _BASE.format(extra=extra))
    with pytest.raises(IvigsimError) as info:
        import_sbml(path)
    message = str(info.value)
    assert "refused.xml" in message and element in message and what in message


def test_import_of_a_kinetic_law_in_the_wrong_units_is_unchecked_and_says_why(tmp_path):
    # k * S is a concentration per minute; an SBML rate must be an amount per minute. SBML
    # simulators give units no part in the numbers, so the model imports unchecked, with the reason.
    path = antimony_sbml(tmp_path, _BASE.format(extra="R: S => ; k * S;"), name="units")
    with pytest.warns(UserWarning, match=r"units = \"unchecked\".*units.xml: reaction 'R': its kinetic law is in "
                                         r"uM/min, but .* \(umol/min\)"):
        text = import_sbml(path)
    assert 'units = "unchecked"' in text
    import_sbml(path, tmp_path / "u.toml", units={"k": "L/min"})
    assert str(load_model_file(tmp_path / "u.toml").unit_of("k")) == "L/min"


def test_import_without_units_needs_defaults_then_matches_first_order_decay(tmp_path):
    path = antimony_sbml(tmp_path, """
model bare()
  compartment cell = 2;
  species S in cell = 5;
  k = 0.01;
  R: S => ; k * S * cell;
end
""", name="bare")
    with pytest.raises(IvigsimError, match=r"bare.xml: model 'bare': no time unit is declared.*default_units"):
        import_sbml(path)
    import_sbml(path, tmp_path / "bare.toml", default_units={"time": "min", "substance": "umol", "volume": "L"})
    spec = load_model_file(tmp_path / "bare.toml")
    assert str(spec.unit_of("k")) == "1/min"
    times = np.linspace(0.0, 0.5, 11)
    res = iv.simulate(spec, t_end=0.5, t_eval=times, rtol=RTOL)
    exact = 5.0 * np.exp(-0.01 * 1440.0 * times)                 # k per minute, 1440 minutes a day
    assert np.max(np.abs(res["S"] - exact) / exact) < 1e-7


def test_import_asks_for_units_it_cannot_infer(tmp_path):
    path = antimony_sbml(tmp_path, _BASE.format(extra="k2 = 3;\n  k3 = 0.5;\n  R: S => ; k2 * k3 * S * cell;"),
                         name="ambiguous")
    # without them the model imports with its units unchecked, and one warning says what is missing
    with pytest.warns(UserWarning, match=r'units = "unchecked".*k2, k3 are not declared.*units=\{\'k2\''):
        text = import_sbml(path, tmp_path / "u.toml")
    assert 'units = "unchecked"' in text
    with pytest.warns(UserWarning, match=r'units = "unchecked": the dimensions .* are not checked'):
        assert load_model_file(tmp_path / "u.toml").units == "unchecked"
    import_sbml(path, tmp_path / "a.toml", units={"k2": "1/min"})
    spec = load_model_file(tmp_path / "a.toml")
    assert spec.units == "checked"
    assert str(spec.unit_of("k2")) == "1/min" and spec.unit_of("k3").is_dimensionless


# --------------------------------------------------------------------------- command line

def test_cli_handlers_export_and_import(tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="ivigsim")
    add_sbml_parsers(parser.add_subparsers(dest="command", required=True))
    xml, toml = tmp_path / "m.xml", tmp_path / "m.toml"
    args = parser.parse_args(["export-sbml", "fcrn_pk", str(xml), "--dose", "0.4", "--cycles", "1",
                              "--weight", "70", "--off", "sc_absorption", "--initial", "file"])
    assert args.func(args) == 0
    assert libsbml.readSBMLFromFile(str(xml)).getModel().getParameter("sc_absorption").getValue() == 0.0
    args = parser.parse_args(["import-sbml", str(xml), str(toml), "--name", "fcrn_copy"])
    assert args.func(args) == 0
    assert load_model_file(toml).name == "fcrn_copy"
    out = capsys.readouterr().out
    n_species = iv.load_model("fcrn_pk").n_species
    assert "9 dosing events" in out and f"{n_species} species" in out
