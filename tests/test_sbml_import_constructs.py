"""SBML constructs the importer reads beyond reactions: what it does with each, end to end.

The time courses are checked against the SBML Test Suite's expected values in
tests/sbml_suite; here each construct's import is checked on its own.
"""

from pathlib import Path

import pytest

libsbml = pytest.importorskip("libsbml")

from ivigsim.errors import IvigsimError  # noqa: E402
from ivigsim.io.sbml.importer import import_sbml_names  # noqa: E402
from ivigsim.core.spec import load_model_file  # noqa: E402

CASES = Path(__file__).parent / "sbml_suite" / "cases"
SUITE_UNITS = {"time": "s", "substance": "mol", "volume": "L"}


def _import(path, tmp_path):
    text, names = import_sbml_names(path, tmp_path / "m.toml", default_units=SUITE_UNITS)
    return text, names, load_model_file(tmp_path / "m.toml")


def test_level2_file_imports_without_a_spurious_layout_requirement(tmp_path):
    # libSBML adds the layout package when it converts Level 2 to Level 3
    text, _, _ = _import(CASES / "00068" / "00068-sbml-l2v5.xml", tmp_path)
    assert "The SBML package 'layout' (a drawing of the network) was ignored." in text


def test_stoichiometry_math_of_constants_becomes_a_number(tmp_path):
    # 00068: S1 -> (2*p1) S2 with p1 = 1, written as stoichiometryMath
    _, _, spec = _import(CASES / "00068" / "00068-sbml-l2v5.xml", tmp_path)
    (reaction,) = spec.reactions
    assert dict(reaction.products) == {"S2": 2.0}


def test_stoichiometry_that_may_change_in_time_makes_one_term_per_species(tmp_path):
    doc = libsbml.readSBMLFromFile(str(CASES / "00068" / "00068-sbml-l2v5.xml"))
    doc.setLevelAndVersion(3, 2, False)
    model = doc.getModel()
    p1 = model.getParameter("p1")
    p1.setConstant(False)                         # now a rule could change it: not a number any more
    path = tmp_path / "varying.xml"
    libsbml.writeSBMLToFile(doc, str(path))
    text, names, spec = _import(path, tmp_path)
    # S1 -> (2 p1) S2 becomes -> S1 at -rate and -> S2 at (2 p1) rate
    assert sorted(r.name for r in spec.reactions) == ["reaction1_S1", "reaction1_S2"]
    assert all(not r.reactants and len(r.products) == 1 for r in spec.reactions)
    s2 = next(r for r in spec.reactions if r.name == "reaction1_S2")
    assert "p1" in str(s2.rate)


def test_a_point_compartment_without_size_holds_amounts(tmp_path):
    text, names, spec = _import(CASES / "00048" / "00048-sbml-l3v2.xml", tmp_path)
    assert "has 0 dimensions and no size; it counts as size 1" in text
    assert spec.environment(spec.default_parameters())[names["compartment"]] == 1.0


_RATE_RULES = """
model rates()
  unit time_unit = second
  unit substance = mole
  unit volume = litre
  compartment cell = 2 litre;
  species S in cell = 1;
  species T in cell = 0.5;
  k = 0.3;
  k' = -0.1 * k;
  T' = 0.2 * S - 0.05 * T;
  R: S => ; k * S * cell;
end
"""


def test_rate_rules_of_parameters_and_species_match_roadrunner(tmp_path):
    import numpy as np

    import ivigsim as iv

    antimony = pytest.importorskip("antimony")
    roadrunner = pytest.importorskip("roadrunner")
    antimony.clearPreviousLoads()
    assert antimony.loadAntimonyString(_RATE_RULES) >= 0, antimony.getLastError()
    xml = antimony.getSBMLString(antimony.getMainModuleName())
    path = tmp_path / "rates.xml"
    path.write_text(xml)
    with pytest.warns(UserWarning, match='units = "unchecked"'):        # k and the numbers have no units
        text, names, spec = _import(path, tmp_path)
    assert "rate_rule_k" in {r.name for r in spec.reactions} and spec.units == "unchecked"
    seconds = np.linspace(0.0, 20.0, 41)
    res = iv.simulate(spec, t_end=seconds[-1] / 86400, t_eval=seconds / 86400, rtol=1e-10, atol=1e-14)
    rr = roadrunner.RoadRunner(xml)
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-14
    rr.timeCourseSelections = ["time", "[S]", "[T]", "k"]
    ref = np.asarray(rr.simulate(times=list(seconds)))
    for k, name in enumerate(("S", "T", "k"), start=1):
        assert np.allclose(res[names[name]], ref[:, k], rtol=1e-7, atol=1e-12), name
    # k decays as k0 exp(-0.1 t): the rule runs in the model's own time unit
    assert res["k"][-1] == pytest.approx(0.3 * np.exp(-0.1 * 20.0), rel=1e-8)


_CLOCK = """
model clock()
  unit time_unit = 60 second
  unit substance = 1e-6 mole
  unit volume = litre
  unit per_min2 = 1e-6 mole / (60 second * 60 second)
  compartment cell = 1 litre;
  species S in cell = 0;
  k = 0.5 per_min2;
  R: => S; k * time;
  S0 := 2 * time;
end
"""


def test_the_time_symbol_is_a_clock_in_the_models_time_unit(tmp_path):
    import numpy as np

    import ivigsim as iv

    antimony = pytest.importorskip("antimony")
    antimony.clearPreviousLoads()
    assert antimony.loadAntimonyString(_CLOCK) >= 0, antimony.getLastError()
    path = tmp_path / "clock.xml"
    path.write_text(antimony.getSBMLString(antimony.getMainModuleName()))
    text, names, spec = _import(path, tmp_path)
    assert spec.units == "checked" and spec.unit_of("sbml_time") == iv.core.units.parse_unit("min")
    minutes = np.linspace(0.0, 30.0, 7)
    res = iv.simulate(spec, t_end=30 / 1440, t_eval=minutes / 1440, rtol=1e-10, atol=1e-14)
    # dS/dt = k t with t in minutes: S = k t^2 / 2; the assignment rule reads the same clock
    assert np.allclose(res["S"], 0.5 * minutes**2 / 2, rtol=1e-9, atol=1e-12)
    assert np.allclose(res["S0"], 2 * minutes, rtol=1e-12, atol=1e-12)


def test_a_cycle_of_assignment_rules_is_refused_with_the_cycle_named(tmp_path):
    antimony = pytest.importorskip("antimony")
    antimony.clearPreviousLoads()
    assert antimony.loadAntimonyString("""
model cyclic()
  compartment cell = 1;
  species S in cell = 1;
  k = 0.1;
  a := b + 1;
  b := 2 * c;
  c := 3;
  R: S => ; k * a * S;
end
""") >= 0, antimony.getLastError()
    doc = libsbml.readSBMLFromString(antimony.getSBMLString(antimony.getMainModuleName()))
    doc.getModel().getAssignmentRuleByVariable("c").setMath(libsbml.parseL3Formula("a / 3"))  # closes the loop
    path = tmp_path / "cyclic.xml"
    libsbml.writeSBMLToFile(doc, str(path))
    with pytest.raises(IvigsimError, match=r"cyclic.xml: assignment rule 'a': the assignment rules form a "
                                           r"cycle, a -> b -> c -> a"):
        import_sbml_names(path, default_units=SUITE_UNITS)


def test_a_model_of_parameters_and_rules_only_runs_on_the_clock(tmp_path):
    import numpy as np

    import ivigsim as iv

    antimony = pytest.importorskip("antimony")
    antimony.clearPreviousLoads()
    assert antimony.loadAntimonyString("""
model rules_only()
  a = 3;
  b := a * time + avo;
  avo := 0;
end
""") >= 0, antimony.getLastError()
    doc = libsbml.readSBMLFromString(antimony.getSBMLString(antimony.getMainModuleName()))
    rule = doc.getModel().getAssignmentRuleByVariable("avo")
    rule.setMath(libsbml.parseL3Formula("avogadro / 1e23"))            # the csymbol avogadro
    path = tmp_path / "rules.xml"
    libsbml.writeSBMLToFile(doc, str(path))
    with pytest.warns(UserWarning, match='units = "unchecked"'):
        text, names, spec = _import(path, tmp_path)
    assert spec.species_names == ("sbml_time",)
    seconds = np.array([0.0, 1.0, 10.0])
    res = iv.simulate(spec, t_end=10 / 86400, t_eval=seconds / 86400, rtol=1e-10, atol=1e-14)
    # the SBML Level 3 value of the Avogadro constant, 6.02214179e23
    assert np.allclose(res["b"], 3 * seconds + 6.02214179, rtol=1e-12)
