"""SBML algebraic rules and fast reactions: reduced to assignment rules, checked against closed forms."""

import numpy as np
import pytest

libsbml = pytest.importorskip("libsbml")

from ivigsim.core.simulation import simulate  # noqa: E402
from ivigsim.errors import IvigsimError  # noqa: E402
from ivigsim.io.sbml.importer import import_sbml  # noqa: E402

UNITS = {"time": "day", "substance": "mmol", "volume": "L"}


def _model(species, parameters, reactions, rules=(), events=(), volume=2.0, level=(3, 1)):
    """An SBML document: species (id, initial concentration), parameters (id, value, constant),
    reactions (id, reactants, products, formula, fast), algebraic rules (formulas) and
    events (trigger formula, variable, value formula)."""
    doc = libsbml.SBMLDocument(*level)
    m = doc.createModel()
    m.setId("dae_test")
    c = m.createCompartment()
    c.setId("C"), c.setSize(volume), c.setConstant(True), c.setSpatialDimensions(3)
    for sid, value in species:
        s = m.createSpecies()
        s.setId(sid), s.setCompartment("C"), s.setInitialConcentration(value)
        s.setHasOnlySubstanceUnits(False), s.setBoundaryCondition(False), s.setConstant(False)
    for pid, value, constant in parameters:
        p = m.createParameter()
        p.setId(pid), p.setValue(value), p.setConstant(constant)
    for rid, reactants, products, formula, fast in reactions:
        r = m.createReaction()
        r.setId(rid), r.setReversible(False), r.setFast(fast)
        for sid in reactants:
            ref = r.createReactant()
            ref.setSpecies(sid), ref.setStoichiometry(1.0), ref.setConstant(True)
        for sid in products:
            ref = r.createProduct()
            ref.setSpecies(sid), ref.setStoichiometry(1.0), ref.setConstant(True)
        r.createKineticLaw().setMath(libsbml.parseL3Formula(formula))
    for formula in rules:
        m.createAlgebraicRule().setMath(libsbml.parseL3Formula(formula))
    for trigger, variable, value in events:
        e = m.createEvent()
        e.setUseValuesFromTriggerTime(True)
        t = e.createTrigger()
        t.setMath(libsbml.parseL3Formula(trigger)), t.setPersistent(True), t.setInitialValue(False)
        a = e.createEventAssignment()
        a.setVariable(variable), a.setMath(libsbml.parseL3Formula(value))
    return doc


def _import(doc, tmp_path):
    path = tmp_path / "model.xml"
    libsbml.writeSBMLToFile(doc, str(path))
    text = import_sbml(path, tmp_path / "model.toml", default_units=UNITS)
    return text, tmp_path / "model.toml"


# A <-> B fast (kf*A - kr*B), B -> outflow slow (k*B), in a volume V, concentrations:
#   the pool P = (A + B) V starts at (A0 + B0) V, A = kr/(kf+kr) P/V, B = kf/(kf+kr) P/V
#   dP/dt = -k B V  =>  P(t) = P0 exp(-k kf/(kf+kr) t)
FAST = dict(species=[("A", 3.0), ("B", 1.0)],
            parameters=[("kf", 2.0, True), ("kr", 0.5, True), ("k", 0.4, True)],
            reactions=[("binding", ["A"], ["B"], "(kf * A - kr * B) * C", True),
                       ("outflow", ["B"], [], "k * B * C", False)])


def test_a_fast_reaction_is_at_equilibrium_from_the_start_and_matches_the_closed_form(tmp_path):
    text, path = _import(_model(**FAST), tmp_path)
    assert "fast reaction(s) binding are taken at equilibrium" in text
    t = np.linspace(0.0, 5.0, 11)
    result = simulate(str(path), t_end=5.0, t_eval=t, rtol=1e-10, atol=1e-13)
    kf, kr, k = 2.0, 0.5, 0.4
    total = 4.0 * np.exp(-k * kf / (kf + kr) * t)          # (A + B) as a concentration
    np.testing.assert_allclose(result["A"], kr / (kf + kr) * total, rtol=1e-8)
    np.testing.assert_allclose(result["B"], kf / (kf + kr) * total, rtol=1e-8)
    assert result["A"][0] == pytest.approx(0.8, rel=1e-12)   # equilibrated at t = 0, not the initial 3


def test_a_level2_fast_reaction_is_not_read_as_a_slow_one(tmp_path):
    # Level 3 Version 2 has no fast attribute; a conversion to it must not lose it
    doc = _model(**FAST, level=(2, 4))
    _, path = _import(doc, tmp_path)
    result = simulate(str(path), t_end=1.0, t_eval=[0.0, 1.0], rtol=1e-10, atol=1e-13)
    assert result["A"][0] == pytest.approx(0.8, rel=1e-12)


def test_an_algebraic_rule_of_a_conserved_total_matches_the_closed_form(tmp_path):
    # S1 -> (k S1); 0 = S1 + S2 - total determines S2 (no reaction changes it)
    doc = _model([("S1", 2.0), ("S2", 0.0)], [("k", 0.3, True), ("total", 5.0, True)],
                 [("decay", ["S1"], [], "k * S1 * C", False)], rules=["S1 + S2 - total"])
    text, path = _import(doc, tmp_path)
    assert "was solved for S2" in text
    t = np.linspace(0.0, 4.0, 9)
    result = simulate(str(path), t_end=4.0, t_eval=t, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(result["S1"], 2.0 * np.exp(-0.3 * t), rtol=1e-8)
    np.testing.assert_allclose(result["S2"], 5.0 - 2.0 * np.exp(-0.3 * t), rtol=1e-8)


def test_an_algebraic_rule_of_a_parameter_feeds_the_kinetic_law(tmp_path):
    # 0 = (1 + a) * kk - k: kk = k / (1 + a) is the rate constant of the decay
    doc = _model([("S1", 2.0)], [("k", 0.6, True), ("a", 2.0, True), ("kk", 99.0, False)],
                 [("decay", ["S1"], [], "kk * S1 * C", False)], rules=["(1 + a) * kk - k"])
    _, path = _import(doc, tmp_path)
    t = np.linspace(0.0, 4.0, 9)
    result = simulate(str(path), t_end=4.0, t_eval=t, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(result["S1"], 2.0 * np.exp(-0.2 * t), rtol=1e-8)


def test_the_time_and_rateof_in_an_algebraic_rule_stay_what_they_are(tmp_path):
    # 0 = 2 p - time sets the loss rate p = time/2; 0 = q - rateOf(S1) reads it back
    doc = _model([("S1", 3.0)], [("p", 0.0, False), ("q", 0.0, False)],
                 [("loss", ["S1"], [], "p * C", False)], rules=["2 * p - time", "q - rateOf(S1)"],
                 level=(3, 2))
    _, path = _import(doc, tmp_path)
    t = np.linspace(0.0, 2.0, 5)
    result = simulate(str(path), t_end=2.0, t_eval=t, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(result["S1"], 3.0 - t ** 2 / 4, rtol=1e-9)
    np.testing.assert_allclose(result["p"], t / 2, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(result["q"], -t / 2, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("change, message", [
    # the rule is about species that reactions determine: overdetermined, or index 2
    (dict(rules=["S1 - 1"]), r"algebraic rule .*determines none"),
    # two free quantities for one rule: which one it sets is not said
    (dict(parameters=[("k", 0.3, True), ("p", 1.0, False), ("q", 1.0, False)], rules=["p + q - 1"]),
     r"leave 2 quantities free \(p, q\)"),
    # an event also sets the quantity that the rule determines
    (dict(parameters=[("k", 0.3, True), ("p", 1.0, False)], rules=["p - 2 * S1"],
          events=[("time > 1", "p", "3")]), r"event .*assigns 'p', which an algebraic rule determines"),
    # nonlinear with two roots
    (dict(parameters=[("k", 0.3, True), ("p", 1.0, False)], rules=["p^2 - S1"]), r"2 solutions"),
    # the solution divides by a species that reactions change (it may reach 0)
    (dict(parameters=[("k", 0.3, True), ("p", 1.0, False)], rules=["S1 * p - 1"]),
     r"divides by S1, and 'S1' in it may change"),
])
def test_algebraic_rules_that_do_not_reduce_are_refused_with_the_reason(tmp_path, change, message):
    spec = dict(species=[("S1", 2.0)], parameters=[("k", 0.3, True)],
                reactions=[("decay", ["S1"], [], "k * S1 * C", False)])
    spec.update(change)
    with pytest.raises(IvigsimError, match=message):
        _import(_model(**spec), tmp_path)


def test_a_fast_reaction_of_boundary_species_only_is_left_out(tmp_path):
    doc = _model(**FAST)
    for sid in ("A", "B"):
        doc.getModel().getSpecies(sid).setBoundaryCondition(True)
    doc.getModel().getReaction("outflow").getReactant(0).setSpecies("A")
    doc.getModel().getSpecies("A").setBoundaryCondition(False)
    doc.getModel().getReaction("outflow").getKineticLaw().setMath(libsbml.parseL3Formula("k * A * C"))
    doc.getModel().getReaction("binding").removeReactant(0)
    text, path = _import(doc, tmp_path)
    assert "change only boundary species and were left out" in text
    result = simulate(str(path), t_end=1.0, t_eval=[0.0, 1.0], rtol=1e-10, atol=1e-13)
    assert result["A"][-1] == pytest.approx(3.0 * np.exp(-0.4), rel=1e-8)


@pytest.mark.parametrize("change, message", [
    # mass-action A + B <-> AB: the equilibrium is quadratic in the species
    (dict(species=[("A", 1.0), ("B", 1.0), ("AB", 0.0)],
          reactions=[("bind", ["A", "B"], ["AB"], "(kf * A * B - kr * AB) * C", True),
                     ("outflow", ["AB"], [], "k * AB * C", False)]), r"2 solutions"),
    # the equilibrium k*A = 0 says nothing about A while an event holds kf at 0
    (dict(parameters=[("kf", 0.0, False), ("kr", 0.5, True), ("k", 0.4, True)],
          reactions=[("binding", ["A"], ["B"], "kf * A * C", True),
                     ("outflow", ["B"], [], "k * B * C", False)],
          events=[("time > 1", "kf", "1")]), r"divides by .*kf.*may change"),
    # A -> B and B -> A both fast: two conditions for one degree of freedom
    (dict(reactions=[("forward", ["A"], ["B"], "kf * A * C", True),
                     ("back", ["B"], ["A"], "kr * B * C", True),
                     ("outflow", ["B"], [], "k * B * C", False)]), r"linearly dependent"),
    # an event changes a fast species
    (dict(events=[("time > 1", "A", "3")]), r"changes 'A', which a rule or an event also sets"),
])
def test_fast_reactions_that_do_not_reduce_are_refused_with_the_reason(tmp_path, change, message):
    spec = dict(FAST)
    spec.update(change)
    with pytest.raises(IvigsimError, match=message):
        _import(_model(**spec), tmp_path)
