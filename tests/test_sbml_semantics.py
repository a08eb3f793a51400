"""SBML constructs that the model format has no word for, imported and checked against libRoadRunner.

Each model is written in Antimony (and edited with libSBML where Antimony has
no syntax for the construct), imported, simulated with ivigsim, and compared
with libRoadRunner on the same SBML at tight tolerances.
"""

import numpy as np
import pytest

libsbml = pytest.importorskip("libsbml")
antimony = pytest.importorskip("antimony")
roadrunner = pytest.importorskip("roadrunner")

import ivigsim as iv  # noqa: E402
from ivigsim.errors import IvigsimError  # noqa: E402
from ivigsim.io.sbml.importer import import_sbml_names  # noqa: E402
from ivigsim.core.spec import load_model_file  # noqa: E402

SUITE_UNITS = {"time": "s", "substance": "mol", "volume": "L"}
SECONDS = np.linspace(0.0, 10.0, 21)


def _sbml(text, edit=None):
    antimony.clearPreviousLoads()
    assert antimony.loadAntimonyString(text) >= 0, antimony.getLastError()
    doc = libsbml.readSBMLFromString(antimony.getSBMLString(antimony.getMainModuleName()))
    if edit is not None:
        edit(doc.getModel())
    return libsbml.writeSBMLToString(doc)


def _compare(tmp_path, xml, selections, rtol=1e-7, atol=1e-10):
    """Import and simulate ``xml``; return the ivigsim and libRoadRunner trajectories of ``selections``
    (``[S]`` a concentration, ``S`` an amount or any other value) after asserting they agree."""
    path = tmp_path / "model.xml"
    path.write_text(xml)
    with _quiet():
        text, names = import_sbml_names(path, tmp_path / "m.toml", default_units=SUITE_UNITS,
                                        reaction_rates=True)
    spec = load_model_file(tmp_path / "m.toml")
    res = iv.simulate(spec, t_end=SECONDS[-1] / 86400, t_eval=SECONDS / 86400, rtol=1e-11, atol=1e-14)
    rr = roadrunner.RoadRunner(xml)
    rr.integrator.relative_tolerance = 1e-11
    rr.integrator.absolute_tolerance = 1e-14
    rr.timeCourseSelections = ["time"] + selections
    ref = np.asarray(rr.simulate(times=list(SECONDS)))
    env = spec.environment(spec.default_parameters())
    out = {}
    for k, sel in enumerate(selections, start=1):
        concentration = sel.startswith("[")
        sid = sel.strip("[]")
        name = names.get(sid, sid)
        values = np.asarray(res[name], dtype=float) if name in res else np.full(len(SECONDS), env[name])
        species = libsbml.readSBMLFromString(xml).getModel().getSpecies(sid)
        if species is not None:
            comp = names[species.getCompartment()]
            size = np.asarray(res[comp]) if comp in res else env[comp]
            if name in spec.species_names:
                # a state is a concentration in its own compartment (size 1 for amounts)
                amount = values * env[spec.species[spec.species_index(name)].compartment]
                values = amount / size if concentration else amount
            elif concentration and species.getHasOnlySubstanceUnits():
                values = values / size
            elif not concentration and not species.getHasOnlySubstanceUnits():
                values = values * size
        assert np.allclose(values, ref[:, k], rtol=rtol, atol=atol), (sel, values, ref[:, k])
        out[sel] = values
    return text, spec, out


class _quiet:
    def __enter__(self):
        import warnings
        self._catch = warnings.catch_warnings()
        self._catch.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc):
        self._catch.__exit__(*exc)


def test_stoichiometry_that_rules_change_in_time(tmp_path):
    # S1 -> n S2 with n = 1 + time/5 (an assignment rule), and m (a rate rule) for S3
    def edit(model):
        r = model.getReaction("R")
        ref = r.getProduct("S2")
        ref.setId("n")
        ref.setConstant(False)
        rule = model.createAssignmentRule()
        rule.setVariable("n")
        rule.setMath(libsbml.parseL3Formula("1 + time / 5"))
        ref3 = r.getProduct("S3")
        ref3.setId("m")
        ref3.setConstant(False)
        ref3.setStoichiometry(1.0)
        rate = model.createRateRule()
        rate.setVariable("m")
        rate.setMath(libsbml.parseL3Formula("0.5"))

    xml = _sbml("""
model varstoich()
  compartment C = 2;
  species S1 in C = 3; species S2 in C = 0; species S3 in C = 0;
  k = 0.2;
  R: S1 => S2 + S3; k * S1 * C;
end
""", edit)
    text, spec, out = _compare(tmp_path, xml, ["[S1]", "[S2]", "[S3]", "n", "m"])
    assert all(r.reactants == () or not r.reactants for r in spec.reactions if r.name.startswith("R_"))
    assert out["m"][-1] == pytest.approx(6.0, rel=1e-9)


def test_conversion_factors_and_a_negative_stoichiometry(tmp_path):
    def edit(model):
        model.setConversionFactor("f")
        model.getSpecies("S2").setConversionFactor("g")
        model.getReaction("R2").getReactant("S2").setStoichiometry(-1.0)   # a reactant that is produced

    xml = _sbml("""
model converted()
  compartment C = 1;
  species S1 in C = 5; species S2 in C = 0;
  f = 2; g = 0.5;
  k = 0.3; k2 = 0.1;
  R: S1 => S2; k * S1;
  R2: S2 => ; k2;
end
""", edit)
    _compare(tmp_path, xml, ["S1", "S2"])


def test_rate_of_and_reaction_rates_as_values(tmp_path):
    def edit(model):
        for variable, formula in (("dS", "rateOf(S)"), ("dk", "rateOf(k)"), ("flux", "R * 2")):
            model.getAssignmentRuleByVariable(variable).setMath(libsbml.parseL3Formula(formula))

    xml = _sbml("""
model rates()
  compartment C = 2;
  species S in C = 4; species P in C = 0;
  k = 0.5;
  k' = -0.1 * k;
  R: S => P; k * S * C;
  dS := 0; dk := 0; flux := 0;
end
""", edit)
    _, _, out = _compare(tmp_path, xml, ["[S]", "[P]", "dS", "dk", "flux", "R"])
    # rateOf(S) of a concentration is -k S (the reaction's amount rate over C)
    assert np.allclose(out["dS"], -out["R"] / 2.0, rtol=1e-12)


def test_compartments_sized_by_a_rate_rule_and_by_an_assignment_rule(tmp_path):
    xml = _sbml("""
model growing()
  compartment V = 1; compartment W = 2;
  V' = 0.1 * V;
  W := 2 + time / 10;
  species A in V = 3; species B in V = 0; species X in W = 1; species Y in W = 0;
  substanceOnly species Z in W = 2;
  k = 0.4;
  R1: A => B; k * A * V;
  R2: X => Y; k * X * W;
  R3: Z => ; 0.05 * Z;
end
""")
    _compare(tmp_path, xml, ["V", "W", "[A]", "[B]", "A", "[X]", "[Y]", "Z"])


def test_two_dimensional_compartment_and_step_functions(tmp_path):
    def edit(model):
        model.getCompartment("M").setSpatialDimensions(2)
        law = model.getReaction("R").getKineticLaw()
        law.setMath(libsbml.parseL3Formula("k * S * M * floor(2.5) / ceil(1.5) * rem(7, 3) * "
                                           "factorial(3) / 6 * quotient(7, 2) / 3"))

    xml = _sbml("""
model steps()
  compartment M = 3;
  species S in M = 2;
  k = 0.1;
  R: S => ; k * S * M;
end
""", edit)
    _, _, out = _compare(tmp_path, xml, ["[S]"])
    # floor(2.5)/ceil(1.5) * rem(7,3) * 3!/6 * quotient(7,2)/3 = 1: first-order decay at k
    assert np.allclose(out["[S]"], 2.0 * np.exp(-0.1 * SECONDS), rtol=1e-8)


def test_piecewise_without_otherwise_takes_its_last_piece(tmp_path):
    def edit(model):
        model.getReaction("R").getKineticLaw().setMath(
            libsbml.parseL3Formula("piecewise(k * S * C, S > 1, k * S^2 * C, S <= 1)"))   # continuous at 1

    xml = _sbml("""
model pieces()
  compartment C = 1;
  species S in C = 3;
  k = 0.4;
  R: S => ; k * S * C;
end
""", edit)
    _compare(tmp_path, xml, ["[S]"], rtol=1e-6, atol=1e-9)


def test_rate_of_a_rule_and_floor_of_the_time_are_refused_naming_them(tmp_path):
    xml = _sbml("""
model refused()
  compartment C = 1;
  species S in C = 1;
  k = 0.1;
  x := S;
  y = 0;
  y' = 0;
  R: S => ; k * S;
end
""", lambda model: model.getRateRuleByVariable("y").setMath(libsbml.parseL3Formula("rateOf(x)")))
    path = tmp_path / "refused.xml"
    path.write_text(xml)
    with pytest.raises(IvigsimError, match=r"refused.xml: rate rule 'y': rateOf\('x'\) is not supported"):
        import_sbml_names(path, default_units=SUITE_UNITS)
    xml = _sbml("""
model stepped()
  compartment C = 1;
  species S in C = 1;
  k = 0.1;
  R: S => ; k * S * floor(time);
end
""")
    path.write_text(xml)
    with pytest.raises(IvigsimError, match=r"floor\(\) of the simulation time"):
        import_sbml_names(path, default_units=SUITE_UNITS)


def test_events_with_delays_priorities_and_assignments_to_parameters_and_sizes(tmp_path):
    # E1: when S falls below 1, refill S and double k after a delay (values from the trigger time);
    # E2 and E3 fire together at time 4, E3 (higher priority) first; E4 resizes compartment C
    xml = _sbml("""
model evented()
  compartment C = 1;
  species S in C = 3; species P in C = 0;
  k = 0.5;
  R: S => P; k * S * C;
  E1: at 0.5 after (S < 1): S = 3, k = 2 * k;
  E2: at (time > 4), priority = 1: P = P / 2;
  E3: at (time > 4), priority = 2: P = P + 1;
  E4: at (time > 6): C = 2;
end
""")
    path = tmp_path / "evented.xml"
    path.write_text(xml)
    # E1 sets a concentration from values of its trigger time; its compartment may resize before
    with pytest.raises(IvigsimError, match=r"event 'E1': it assigns the concentration of 'S' with values from "
                                           r"the trigger time, while the size of its compartment 'C' may change"):
        import_sbml_names(path, default_units=SUITE_UNITS)
    xml = xml.replace('<event id="E1" useValuesFromTriggerTime="true">', '<event id="E1" '
                      'useValuesFromTriggerTime="false">')
    _, spec, out = _compare(tmp_path, xml, ["[S]", "[P]", "k", "C", "S", "P"], rtol=1e-6, atol=1e-9)
    assert len(spec.events) == 4
    assert out["C"][0] == 1.0 and out["C"][-1] == 2.0


def test_a_delayed_constant_concentration_in_a_growing_compartment_is_set_at_the_execution(tmp_path):
    # E1 sets S's concentration to a number after a delay while C grows: a value that does not change
    # between trigger and execution is the same computed at either, so the concentration is turned into
    # an amount with C's size at the execution (the trigger-time size would give 3 * 1.3 / 1.5 = 2.6)
    xml = _sbml("""
model growing()
  compartment C = 1;
  species S in C = 3;
  k = 0.5;
  R: S => ; k * S * C;
  C' = 0.2;
  E1: at 0.5 after (S < 2): S = 3;
end
""")
    _, spec, out = _compare(tmp_path, xml, ["[S]", "S", "C"], rtol=1e-6, atol=1e-9)
    assert len(spec.events) == 1
    jump = int(np.argmax(np.diff(out["[S]"]) > 0)) + 1      # the first output after the refill
    assert out["[S]"][jump] > 2.0 and out["C"][-1] > 2.0


@pytest.mark.parametrize("model", ["threshold_reset", "rules_decay"])
def test_export_writes_rules_and_events_and_the_round_trip_reproduces_the_trajectory(tmp_path, model):
    from pathlib import Path

    from ivigsim.io.sbml import export_sbml
    path = Path(__file__).parent / "data" / "language" / f"{model}.toml"
    spec = iv.load_model(path)
    xml = export_sbml(spec, tmp_path / "out.xml")
    document = libsbml.readSBMLFromString(xml)
    assert document.getModel().getNumEvents() == len(spec.events)
    with _quiet():
        _, names = import_sbml_names(tmp_path / "out.xml", tmp_path / "back.toml")
        back = load_model_file(tmp_path / "back.toml")
    assert len(back.events) == len(spec.events)
    days = np.linspace(0.0, 10.0, 41)
    a = iv.simulate(spec, t_end=10.0, t_eval=days, rtol=1e-10, atol=1e-12)
    b = iv.simulate(back, t_end=10.0, t_eval=days, rtol=1e-10, atol=1e-12)
    for name in spec.species_names + spec.observable_names:
        assert np.allclose(b[names.get(name, name)], a[name], rtol=1e-9, atol=1e-12), name
    if model == "threshold_reset":
        # the exported events run in libRoadRunner too: resets at t_n = n ln(A0/A_low)/k
        rr = roadrunner.RoadRunner(xml)
        rr.integrator.relative_tolerance = 1e-10
        rr.integrator.absolute_tolerance = 1e-12
        rr.timeCourseSelections = ["time", "resets"]
        ref = np.asarray(rr.simulate(times=list(days)))
        assert np.allclose(a["resets"], ref[:, 1]) and a["resets"][-1] == np.floor(10 * 0.3 / np.log(2))
