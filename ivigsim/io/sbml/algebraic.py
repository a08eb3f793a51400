"""SBML algebraic rules, solved into assignment rules before the model is read.

An algebraic rule ``0 = g`` names no variable: it determines the one quantity
in it that nothing else determines. Following the SBML Level 3 specification
(section 4.11.4 and the overdetermination check of appendix B), a candidate
is a quantity in ``g`` that

* is not constant,
* is not set by an assignment or rate rule, and
* is not a species that reactions change (a non-boundary reactant or product).

The candidates of all algebraic rules together must be exactly as many as the
rules, so that each rule determines one of them; then the rules are solved for
them (:mod:`ivigsim.core.algebraic`; rules sharing candidates together), and
each rule is replaced in the SBML document by the assignment rule of its
solution, which the importer reads like any other. The result is the index-1
reduction of the differential-algebraic system: the rule holds at every
instant, from the start.

Refused, with the rule named: a rule with no candidate (it constrains
quantities that something else determines: an overdetermined model, or a DAE
of index above 1), rules with more candidates than rules (the file does not
say which one is solved for), a candidate that an event or an initial
assignment also sets, a rule with no unique explicit solution, and a solution
that divides by a quantity that changes during the run or is zero (where it is
zero the rule no longer determines its variable; such a model needs a DAE
solver, not a reduction). A rule without math (SBML Level 3 Version 2) sets
nothing and is left out with a note.
"""

from __future__ import annotations

import math

from ivigsim.core import algebraic as solver
from ivigsim.core.expressions import Sym, evaluate, symbols, to_text
from ivigsim.errors import IvigsimError
from ivigsim.io.sbml.mathml import MathReader, to_ast

#: Placeholders for the csymbols, names that no SBML id can have.
TIME = "time()"
RATE_OF = "rateOf("


def reduce_algebraic_rules(imp):
    """Replace every algebraic rule of ``imp.model`` by the assignment rule that solves it.

    Parameters
    ----------
    imp : the importer
        Its ``model`` (a libSBML Model, Level 3) is changed in place; notes say
        what each rule became.

    Raises
    ------
    IvigsimError
        When a rule cannot be reduced; the message names the file, the rule and why.
    """
    model = imp.model
    rules = [r for r in model.getListOfRules() if r.isAlgebraic()]
    if not rules:
        return
    if any(not r.isSetMath() for r in rules):
        imp.notes.append("An algebraic rule without math (it constrains nothing) was left out.")
        _remove_algebraic(model, with_math=False)
    rules = [r for r in model.getListOfRules() if r.isAlgebraic()]
    if not rules:
        return
    reading = RawMath(imp)
    residuals = [reading.read(r.getMath(), _where(imp, r)) for r in rules]
    fixed = determined_otherwise(imp)
    candidates = [sorted(n for n in symbols(g) if n not in fixed and is_variable(imp, n)) for g in residuals]
    for r, c in zip(rules, candidates):
        if not c:
            imp.fail("algebraic rule", _label(r), "every quantity in it is constant or determined otherwise "
                                                  "(by reactions or rules), so it determines none: the model is "
                                                  "overdetermined, or a differential-algebraic system of index "
                                                  "above 1, which ivigsim does not reduce")
    chosen = sorted(set().union(*map(set, candidates)))
    if len(chosen) != len(rules):
        imp.fail("algebraic rule", _label(rules[0]),
                 f"the {len(rules)} algebraic rule(s) leave {len(chosen)} quantities free "
                 f"({', '.join(chosen)}), so which one each rule determines is not defined")
    _refuse_other_setters(imp, chosen)
    for group in _groups(candidates):
        names = sorted(set().union(*(candidates[k] for k in group)))
        where = ", ".join(_label(rules[k]) for k in group)
        try:
            solution = solver.solve([residuals[k] for k in group], names)
        except solver.Unsolvable as exc:
            imp.fail("algebraic rule", where, f"it cannot be solved for {', '.join(names)}: {exc}")
        check_divisor(imp, "algebraic rule", where, names, solution.determinant, fixed)
        for k in group:
            imp.notes.append(f"The algebraic rule 0 = {libsbml_formula(rules[k])} was solved for "
                             f"{' and '.join(candidates[k])} (an index-1 reduction).")
        for name in names:
            reading.write_assignment(name, solution.values[name])
    _remove_algebraic(model, with_math=True)


def libsbml_formula(rule):
    import libsbml

    return libsbml.formulaToL3String(rule.getMath())


def _label(rule):
    return rule.getMetaId() or rule.getId() or f"0 = {libsbml_formula(rule)}"


def _where(imp, rule):
    return imp.where("algebraic rule", _label(rule))


def _remove_algebraic(model, with_math):
    """Remove the algebraic rules with (or without) math from ``model``."""
    for k in reversed(range(model.getNumRules())):
        rule = model.getRule(k)
        if rule.isAlgebraic() and rule.isSetMath() == with_math:
            model.removeRule(k)


def is_variable(imp, sbml_id):
    """Whether ``sbml_id`` is a non-constant species, parameter, compartment or stoichiometry."""
    element = imp.model.getElementBySId(sbml_id)
    if element is None:
        return False
    kinds = (imp.sb.SBML_SPECIES, imp.sb.SBML_PARAMETER, imp.sb.SBML_COMPARTMENT, imp.sb.SBML_SPECIES_REFERENCE)
    return element.getTypeCode() in kinds and not element.getConstant()


def determined_otherwise(imp):
    """Ids that a reaction, an assignment rule or a rate rule determines."""
    m = imp.model
    fixed = {r.getVariable() for r in m.getListOfRules() if not r.isAlgebraic()}
    for r in m.getListOfReactions():
        for ref in list(r.getListOfReactants()) + list(r.getListOfProducts()):
            species = m.getSpecies(ref.getSpecies())
            if species is not None and not species.getBoundaryCondition():
                fixed.add(species.getId())
    return fixed


def _refuse_other_setters(imp, chosen):
    m = imp.model
    for a in m.getListOfInitialAssignments():
        if a.getSymbol() in chosen:
            imp.fail("initial assignment", a.getSymbol(), "it sets a quantity that an algebraic rule determines "
                                                           "at every instant, the start included")
    for ev in m.getListOfEvents():
        for ea in ev.getListOfEventAssignments():
            if ea.getVariable() in chosen:
                imp.fail("event", ev.getId() or "(no id)", f"it assigns '{ea.getVariable()}', which an algebraic "
                                                           f"rule determines at every instant")


def _groups(candidates):
    """Indices of the rules in groups that share candidates (solved together)."""
    groups = []
    for k, c in enumerate(candidates):
        joined = [g for g in groups if any(set(c) & set(candidates[j]) for j in g)]
        merged = [k] + [j for g in joined for j in g]
        groups = [g for g in groups if g not in joined] + [sorted(merged)]
    return groups


def check_divisor(imp, kind, where, names, determinant, fixed):
    """Refuse a solution whose divisor (the Jacobian's determinant) can be zero during the run.

    ``kind`` and ``where`` name the SBML element for the message; ``fixed``
    holds the ids that reactions and rules determine (they change in time).
    """
    values = {}
    for name in symbols(determinant):
        value = _constant_value(imp, name, fixed)
        if value is None:
            imp.fail(kind, where, f"its solution for {', '.join(names)} divides by "
                                  f"{to_text(determinant)}, and '{name}' in it may change during "
                                  f"the run (where that is zero the equations do not determine "
                                              f"{', '.join(names)})")
        values[name] = value
    try:
        number = evaluate(determinant, values)
    except (IvigsimError, ArithmeticError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and number != 0):
        imp.fail(kind, where, f"its solution for {', '.join(names)} divides by "
                              f"{to_text(determinant)}, which is {number:g} with the model's values")


def _constant_value(imp, sbml_id, fixed):
    """The value of a quantity that stays constant during the run, or None."""
    m = imp.model
    if sbml_id in fixed or sbml_id in {a.getSymbol() for a in m.getListOfInitialAssignments()}:
        return None
    if any(ea.getVariable() == sbml_id for ev in m.getListOfEvents() for ea in ev.getListOfEventAssignments()):
        return None
    if any(r.isAlgebraic() and sbml_id in names_in(r.getMath()) for r in m.getListOfRules()) and \
            is_variable(imp, sbml_id):
        return None
    p = m.getParameter(sbml_id)
    if p is not None:
        return p.getValue() if p.isSetValue() else None
    c = m.getCompartment(sbml_id)
    if c is not None:
        return c.getSize() if c.isSetSize() else None
    return None


def names_in(ast):
    import libsbml

    found, stack = set(), [ast]
    while stack:
        node = stack.pop()
        if node is None:
            continue
        if node.getType() == libsbml.AST_NAME:
            found.add(node.getName())
        stack += [node.getChild(i) for i in range(node.getNumChildren())]
    return found


class RawMath:
    """Reads SBML math with every id as itself, and writes solved expressions back as MathML.

    In SBML math a species id stands for its concentration (its amount with
    ``hasOnlySubstanceUnits``) wherever it appears, so a rule solved in these
    terms assigns what the SBML's own assignment rule would. The time and
    ``rateOf`` are kept as placeholders and become csymbols again.
    """

    def __init__(self, imp):
        self.imp = imp
        self.functions = {f.getId(): f.getMath() for f in imp.model.getListOfFunctionDefinitions()}

    def read(self, ast, where, local=None):
        """The expression tree of ``ast``; ``local`` maps ids (local parameters) to nodes."""
        local = local or {}
        reader = MathReader(self.functions, lambda sbml_id, at: local.get(sbml_id, Sym(sbml_id)),
                            lambda value, units, at: _number(value),
                            lambda at: Sym(TIME),
                            lambda sbml_id, at: Sym(f"{RATE_OF}{sbml_id})"))
        return reader.read(ast, where)

    @staticmethod
    def ast(node):
        """The MathML of an expression tree read by :meth:`read` (or solved from one)."""
        return _restore_csymbols(to_ast(node, None))

    def write_assignment(self, variable, node):
        """Add the assignment rule ``variable = node`` to the model."""
        ast = self.ast(node)
        rule = self.imp.model.createAssignmentRule()
        rule.setVariable(variable)
        rule.setMath(ast)


def _number(value):
    from ivigsim.core.expressions import Num

    return Num(float(value))


def _restore_csymbols(ast):
    """``ast`` with the placeholders of the time and ``rateOf`` made csymbols again."""
    import libsbml

    def replacement(node):
        if node.getType() != libsbml.AST_NAME:
            return None
        name = node.getName()
        if name == TIME:
            new = libsbml.ASTNode(libsbml.AST_NAME_TIME)
            new.setName("time")
            return new
        if name.startswith(RATE_OF):
            new = libsbml.ASTNode(libsbml.AST_FUNCTION_RATE_OF)
            new.setName("rateOf")
            arg = libsbml.ASTNode(libsbml.AST_NAME)
            arg.setName(name[len(RATE_OF):-1])
            new.addChild(arg)
            return new
        return None

    root = replacement(ast)
    if root is not None:
        return root
    stack = [ast]
    while stack:
        node = stack.pop()
        for i in range(node.getNumChildren()):
            new = replacement(node.getChild(i))
            if new is not None:
                node.replaceChild(i, new, True)
            else:
                stack.append(node.getChild(i))
    return ast
