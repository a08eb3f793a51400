"""Reactions and assignment rules of an SBML model, read for the ivigsim model file.

Each reader works in two steps. On construction it converts the MathML and
registers the unit its expression must have (a kinetic law: the amount of its
species per model time unit), so that undeclared parameter units can be
inferred from all equations together. :meth:`finish` then checks the units and
writes the records: kinetic laws are multiplied by the time conversion when
the SBML time unit is not the day, and a reversible law ``forward - reverse``
is split into two reactions.
"""

from __future__ import annotations

import math

from ivigsim.io.sbml import annotation as ann
from ivigsim.core.expressions import BinOp, Neg, Num, Sym, infer_unit
from ivigsim.io.sbml.model_file import ObservableRecord, ParameterRecord, ReactionRecord
from ivigsim.io.sbml.mathml import apply_ast
from ivigsim.io.sbml.units import read_sbml_unit, unit_id, unit_text
from ivigsim.core.spec import TIME_UNIT
from ivigsim.core.units import DIMENSIONLESS, UnitError


def _factors(libsbml, ast):
    """The factors of a product, however libSBML nested it (a non-product is one factor)."""
    if ast.getType() != libsbml.AST_TIMES:
        return [ast]
    out = []
    for i in range(ast.getNumChildren()):
        out += _factors(libsbml, ast.getChild(i))
    return out


def split_factor(libsbml, ast, test):
    """``(factor, rest)``: the first factor of a product for which ``test`` holds, and the
    product of the others (copies); None if there is no such factor."""
    if ast is None:
        return None
    factors = _factors(libsbml, ast)
    if len(factors) < 2:
        return None
    index = next((i for i, f in enumerate(factors) if test(f)), None)
    if index is None:
        return None
    rest = [f.deepCopy() for i, f in enumerate(factors) if i != index]
    product = rest[0]
    for factor in rest[1:]:
        product = apply_ast(libsbml.AST_TIMES, product, factor)
    return factors[index].deepCopy(), product


def _unit_problem(node, unit_of):
    try:
        infer_unit(node, unit_of.__getitem__)
    except (UnitError, KeyError) as exc:
        return str(exc).strip("'\"")
    return "unknown"


class ReactionReader:
    """One SBML reaction: species, kinetic law and mechanism."""

    def __init__(self, importer, reaction):
        imp = self.imp = importer
        sb = imp.sb
        self.id = reaction.getId()
        self.name = imp.reaction_names[self.id]
        note = ann.read(reaction)
        note = note if note is not None and note.kind == "reaction" else None
        self.description = note.get("description", "") if note else reaction.getName()
        self.reactants, self.products, self.terms = [], [], []
        self._sides(reaction)
        self.reversible = reaction.getReversible()
        law = reaction.getKineticLaw()
        if law is None or not law.isSetMath():
            imp.fail("reaction", self.id, "it has no kinetic law")
        local = imp.local_parameters(reaction)
        ast = law.getMath()
        self.mechanism = None
        switch = note.get("mechanism") if note else None
        if switch and imp.names.get(switch) in imp.mechanism_text and switch not in local:
            found = split_factor(sb, ast, lambda a: a.getType() == sb.AST_NAME and a.getName() == switch)
            if found is not None:
                self.mechanism = imp.names[switch]
                ast = found[1]
        self.rate = imp.read_math(ast, "kinetic law of reaction", self.id, local)
        if self.mechanism is not None:
            self.rate = imp.as_written(note, "rate", self.rate)
        self.amount = self._amount_unit()
        if self.amount is not None:
            self.expected = self.amount / imp.time_unit
            imp.equations.append((self.rate, self.expected, f"reaction '{self.id}'"))

    def _sides(self, reaction):
        """Reactants and products with fixed stoichiometries, or else one signed term per species.

        A stoichiometry that rules change in time, or a conversion factor, makes
        the reaction one term per species, ``-> S`` at ``±stoichiometry x
        factor x rate`` (a rate that may be negative). A negative fixed
        stoichiometry makes a reactant a product, as its sign says.
        """
        imp = self.imp
        fixed = True
        for sign, refs in ((-1.0, reaction.getListOfReactants()), (1.0, reaction.getListOfProducts())):
            for ref in refs:
                species = ref.getSpecies()
                if species not in imp.dynamic or species in imp.rate_rules:
                    continue
                coef = imp.stoichiometry(ref)
                factor = imp.conversion_factor(imp.model.getSpecies(species))
                name = imp.names[species]
                self.terms.append((name, sign, coef, factor))
                if factor is not None or not isinstance(coef, Num) or (coef.value == 0 and ref.isSetId()):
                    # (a stoichiometry that a rule or assignment makes 0 still leaves its species a state)
                    fixed = False
        if not fixed:
            return
        for name, sign, coef, _ in self.terms:
            value = coef.value
            if value == 0:
                continue
            if not math.isfinite(value):
                imp.fail("reaction", self.id, f"the stoichiometry of '{name}' is {value:g}; it must be finite")
            side = self.products if (sign > 0) == (value > 0) else self.reactants
            side.append((name, abs(value)))
        self.terms = []

    def _amount_unit(self):
        """The amount unit shared by the reaction's species (None if no species changes)."""
        imp = self.imp
        units = {}
        for name, _ in self.reactants + self.products + [(t[0], None) for t in self.terms]:
            species = next(s for s in imp.species if s.name == name)
            units[name] = imp.unit_of[name] * imp.unit_of[species.compartment]
        if not units:
            imp.notes.append(f"SBML reaction '{self.id}' changes no species that ivigsim keeps "
                             f"(only boundary or constant ones) and was left out.")
            return None
        first = next(iter(units.values()))
        for name, unit in units.items():
            if unit != first:
                imp.unit_fail("reaction", self.id, f"its species are in different amount units ({first} and "
                                              f"{unit} for '{name}'); a reaction must conserve amount")
        return first

    def finish(self, imp):
        """The ReactionRecords of this reaction (none, one, or two for a split reversible one)."""
        if self.amount is None:
            return []
        actual = imp.unit_check(self.rate)
        if actual != self.expected and not imp.unchecked:
            what = unit_text(actual) if actual is not None else _unit_problem(self.rate, imp.unit_of)
            imp.unit_fail("reaction", self.id, f"its kinetic law is in {what}, but a reaction rate must be an "
                                          f"amount of its species per model time unit "
                                          f"({unit_text(self.expected)}); "
                                          f"correct a parameter's unit with import_sbml(..., units={{...}})",
                          self.rate)
        mechanism = self.mechanism or imp.claim(None, self.name)
        description = self.description
        parts = [(self.name, self.reactants, self.products, self.rate)]
        if self.terms:
            # one signed term per species: stoichiometries that change in time, or conversion factors
            parts = []
            for name, sign, coef, factor in self.terms:
                rate = BinOp("*", coef, self.rate) if coef != Num(1.0) else self.rate
                rate = BinOp("*", rate, factor) if factor is not None else rate
                species = next(s for s in imp.species if s.name == name)
                want = imp.unit_of[name] * imp.unit_of[species.compartment] / imp.time_unit
                if imp.unit_check(rate) != want:
                    imp.unit_fail("reaction", self.id, f"its term for '{name}' (stoichiometry x conversion "
                                                       f"factor x rate) is not in {unit_text(want)}", rate)
                parts.append((imp.reaction_name(f"{self.name}_{name}"), [], [(name, 1.0)],
                              rate if sign > 0 else Neg(rate)))
            description += " (one term per species: its stoichiometry or conversion factor is not a fixed number)"
        elif self.reversible and isinstance(self.rate, BinOp) and self.rate.op == "-":
            parts = [(self.name, self.reactants, self.products, self.rate.left),
                     (imp.reaction_name(f"{self.name}_reverse"), self.products, self.reactants, self.rate.right)]
        elif self.reversible:
            description += " (net rate of a reversible reaction; it may be negative)"
        conversion = imp.time_conversion()
        return [ReactionRecord(name, reactants, products,
                               rate if conversion is None else BinOp("*", rate, Sym(conversion)),
                               mechanism, description)
                for name, reactants, products, rate in parts]


class RuleReader:
    """One SBML assignment rule, as an observable."""

    def __init__(self, importer, variable):
        imp = self.imp = importer
        sb = imp.sb
        self.variable = variable
        self.name = imp.names[variable]
        element = imp.model.getElementBySId(variable)
        note = ann.read(element)
        note = note if note is not None and note.kind == "observable" else None
        self.description = (note.get("description") if note else None) or element.getName()
        self.declared, self.hint = self._declared_unit(element, note)
        ast = imp.rules[variable]
        self.factor = None
        found = split_factor(sb, ast, self._is_unit_conversion) if self.declared is not None else None
        if found is not None:
            self.factor = found[0].getValue()
            self.reduced = imp.as_written(note, "expression",
                                          imp.read_math(found[1], "assignment rule", variable))
        self.node = None
        if self.factor is None:
            self.node = imp.as_written(note, "expression",
                                       imp.resolve(variable, imp.where("assignment rule", variable)))
        if self.factor is None:
            imp.equations.append((self.node, self.declared, f"assignment rule '{variable}'"))
        else:
            imp.equations.append((self.reduced, None, f"assignment rule '{variable}'"))

    def _declared_unit(self, element, note):
        imp = self.imp
        where = imp.where("assignment rule", self.variable)
        if element.getTypeCode() == imp.sb.SBML_SPECIES:
            substance, _ = imp._substance(element)
            if element.getHasOnlySubstanceUnits():
                return substance, None
            return substance / imp.unit_of[imp.names[element.getCompartment()]], None
        if element.getTypeCode() == imp.sb.SBML_SPECIES_REFERENCE:
            return DIMENSIONLESS, None
        if element.getTypeCode() == imp.sb.SBML_COMPARTMENT:
            return imp.unit_of[self.name], imp.unit_hint.get(self.name)
        if element.isSetUnits():
            unit, hint = read_sbml_unit(imp.model, element.getUnits(), where)
            return unit, (note.get("unit") if note else None) or hint
        return None, None

    def _is_unit_conversion(self, ast):
        """A number whose own units make it exactly 1, e.g. 0.001 in units of 1000."""
        if not ast.isNumber() or not ast.isSetUnits():
            return False
        unit, _ = read_sbml_unit(self.imp.model, ast.getUnits(), self.imp.where("assignment rule", self.variable))
        return unit.is_dimensionless and math.isclose(ast.getValue() * unit.scale, 1.0, rel_tol=1e-9)

    def finish(self, imp):
        if self.factor is not None:
            natural = imp.unit_check(self.reduced)
            if natural is not None and natural.same_dimension(self.declared) and \
                    math.isclose(natural.factor_to(self.declared), self.factor, rel_tol=1e-9):
                return ObservableRecord(self.name, self.reduced, unit_text(self.declared, self.hint),
                                        self.description)
            self.node = imp.resolve(self.variable, imp.where("assignment rule", self.variable))
        actual = imp.unit_check(self.node)
        if actual is None and imp.unchecked:
            return ObservableRecord(self.name, self.node, unit_text(self.declared or DIMENSIONLESS, self.hint),
                                    self.description)
        if actual is None:
            imp.unit_fail("assignment rule", self.variable,
                          f"its units cannot be worked out: {_unit_problem(self.node, imp.unit_of)}")
        if self.declared is not None and actual == self.declared:
            return ObservableRecord(self.name, self.node, unit_text(actual, self.hint), self.description)
        if self.declared is not None:
            imp.notes.append(f"The SBML declares {self.declared} for '{self.variable}', but its rule "
                             f"computes {actual}; the observable is in {actual}.")
        return ObservableRecord(self.name, self.node, unit_text(actual), self.description)


def time_conversion_parameter(imp):
    """Name of the constant that turns per-model-time rates into per-day ones (created once)."""
    if imp.time_unit == TIME_UNIT:
        return None
    text = unit_text(imp.time_unit, imp.time_hint)
    name = imp.claim(None, unit_id(f"{text}/day"))
    value = float(f"{TIME_UNIT.factor_to(imp.time_unit):.12g}")      # 1440.0, not 1440.0000000000002
    imp.params[name] = ParameterRecord(
        name, value, f"{text}/day",
        f"unit conversion: the SBML model's time unit is {text}, ivigsim rates are per day", (value, value),
        "model time units per day; multiplies every kinetic law of the SBML model")
    imp.unit_of[name] = imp.time_unit / TIME_UNIT
    return name
