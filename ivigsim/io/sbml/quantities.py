"""The quantities of an SBML model: compartments, parameters, species and their values.

Part of the SBML importer (:mod:`ivigsim.io.sbml.importer`), kept apart because it
is where SBML's many ways of giving a value meet the model format's few: sizes
and initial values come as attributes, amounts or initial assignments;
constant and boundary species become parameters; expressions the model format
cannot hold (an initial value in the wrong units, a volume depending on a
species) are evaluated to numbers.
"""

from __future__ import annotations

from ivigsim.io.sbml import annotation as ann
from ivigsim.errors import IvigsimError
from ivigsim.core.expressions import BinOp, ExpressionError, Num, Sym, evaluate, symbols
from ivigsim.io.sbml.model_file import CompartmentRecord, ParameterRecord, SpeciesRecord
from ivigsim.io.sbml.rate_rules import parameter_states
from ivigsim.io.sbml.units import read_sbml_unit, unit_text
from ivigsim.core.units import DIMENSIONLESS, UnitError, parse_unit


class QuantityReading:
    """Methods of the importer that read compartments, parameters and species."""

    def _read_compartments(self):
        """Compartments with their units and sizes (volumes are settled once all units are known)."""
        self.compartments = []
        for c in self.model.getListOfCompartments():
            name = self.names[c.getId()]
            unit, hint = self._compartment_unit(c)
            self.unit_of[name] = unit
            self.unit_hint[name] = hint
            if c.isSetSize():
                self.values[name] = c.getSize()
            elif c.isSetSpatialDimensions() and c.getSpatialDimensionsAsDouble() == 0 \
                    and c.getId() not in self.rules_or_assigned():
                # A point has no size: what it holds is counted in amounts, so its
                # species' values are amounts whatever hasOnlySubstanceUnits says.
                self.values[name] = 1.0
                self.notes.append(f"Compartment '{c.getId()}' has 0 dimensions and no size; it counts as "
                                  f"size 1, so its species' values are amounts.")
            if c.getId() in self.varying:
                # its size is an observable (assignment rule) or a state (rate rule); the species in it
                # are held as amounts in the size-1 compartment of states
                self.notes.append(f"Compartment '{c.getId()}' changes size in time: its species are held as "
                                  f"amounts, and their concentrations are the amounts over its size.")
                continue
            self.compartments.append(CompartmentRecord(name, None, unit_text(unit, hint), c.getName()))
        # no compartments: a model of parameters and rules; its states get a compartment of their own

    def _read_parameters(self):
        """Global parameters; the 0/1 switches of an ivigsim export become mechanisms again."""
        self.mechanism_text = {}
        for p in self.model.getListOfParameters():
            if ann.is_dosing(p) or p.getId() in self.rules or p.getId() in self.rate_rules:
                continue                                         # an observable, or a species
            name = self.names[p.getId()]
            note = ann.read(p)
            value = p.getValue() if p.isSetValue() else None
            if note is not None and note.kind == "mechanism" and value == 1.0:
                self.mechanism_text[name] = note.get("description", name)
                self.unit_of[name] = DIMENSIONLESS
                self.values[name] = 1.0
                continue
            self.add_parameter(name, p, value, "parameter", p.getId(), note)

    def add_parameter(self, name, element, value, kind, key, note=None):
        """A ParameterRecord for a (global or local) SBML parameter; its unit may come later."""
        source = f"imported from {self.file} (SBML id '{key}')"
        bounds = None
        description = element.getName()
        if note is not None and note.kind == "parameter":
            source = note.get("source", source)
            description = note.get("description", description)
            bounds = (float(note.get("low")), float(note.get("high"))) if note.get("low") else None
        self.params[name] = ParameterRecord(name, value, "", source, bounds, description)
        if value is not None:
            self.values[name] = value
        ref = self.unit_overrides.pop(key, None) or self.unit_overrides.pop(name, None)
        if ref is not None:
            try:
                self.unit_of[name] = parse_unit(ref)
            except UnitError as exc:
                raise IvigsimError(f"units['{key}']: {exc}") from None
            self.unit_hint[name] = ref
            self.params[name].source += f"; unit {ref} given at import"
        elif element.isSetUnits():
            unit, hint = read_sbml_unit(self.model, element.getUnits(), self.where(kind, key))
            self.unit_of[name] = unit
            self.unit_hint[name] = note.get("unit") if note is not None and note.get("unit") else hint
        else:
            self.undeclared.add(name)

    def _read_species(self):
        """Species that reactions change; the others become parameters, or observables if a rule sets them."""
        self.species = []
        self.initial_amounts = {}
        self.varying_conc = {}         # species held as amounts -> their initial concentration
        for s in self.model.getListOfSpecies():
            name = self.names[s.getId()]
            comp = self.names[s.getCompartment()]
            substance, hint = self._substance(s)
            conc = substance / self.unit_of[comp]
            if s.getCompartment() in self.varying and s.getId() in self.dynamic:
                self._amount_species(s, name, substance, hint)
                continue
            if s.getCompartment() in self.varying and self.amount_held(s):
                # no reaction or rule changes its amount, but its concentration follows the size
                value = s.getInitialAmount() if s.isSetInitialAmount() else None
                if value is None and s.isSetInitialConcentration():
                    self.varying_conc[name] = (s.getInitialConcentration(), s.getCompartment())
                self.params[name] = ParameterRecord(name, value, "", f"imported from {self.file} (SBML species "
                                                    f"'{s.getId()}', its amount held constant)", None, s.getName())
                self.unit_of[name], self.unit_hint[name] = substance, hint
                if value is not None:
                    self.values[name] = value
                continue
            note = ann.read(s)
            conc_hint = note.get("unit") if note is not None and note.kind == "species" else None
            size = self.values.get(comp)
            value = None
            if s.isSetInitialConcentration():
                value = s.getInitialConcentration()
            elif s.isSetInitialAmount():
                self.initial_amounts[name] = s.getInitialAmount()
            if s.getId() in self.rules:
                continue                                         # an observable
            if s.getId() not in self.dynamic:
                self._fixed_species(s, name, value, substance, hint, conc, conc_hint, size)
                continue
            self.unit_of[name] = conc
            if value is not None:
                self.values[name] = value
            cumulative = note is not None and note.kind == "species" and note.get("cumulative") == "true"
            description = (note.get("description") if note is not None else None) or s.getName()
            self.species.append(SpeciesRecord(name, comp, unit_text(conc, conc_hint), None, cumulative,
                                              description))
        parameter_states(self)

    def amount_held(self, s):
        """Whether a species no reaction changes is a constant amount (in a compartment whose size
        changes, a concentration that no rule sets). A species declared constant is one too: SBML
        keeps its amount, and its concentration follows the size (SBML Test Suite 01117, 01118)."""
        return s.getCompartment() in self.varying and s.getId() not in self.dynamic \
            and s.getId() not in self.rules and not s.getHasOnlySubstanceUnits()

    def _amount_species(self, s, name, substance, hint):
        """A species of a compartment whose size changes, held as an amount in the compartment of states."""
        from ivigsim.io.sbml.rate_rules import state_compartment
        self.unit_of[name] = substance
        self.unit_hint[name] = hint
        if s.isSetInitialAmount():
            self.values[name] = s.getInitialAmount()
        elif s.isSetInitialConcentration():
            self.varying_conc[name] = (s.getInitialConcentration(), s.getCompartment())
        note = ann.read(s)
        description = (note.get("description") if note is not None else None) or s.getName()
        self.species.append(SpeciesRecord(name, state_compartment(self), unit_text(substance, hint), None,
                                          False, description))

    def _fixed_species(self, s, name, value, substance, hint, conc, conc_hint, size):
        """A species no reaction changes, as a parameter (an amount if the SBML uses amounts)."""
        amount = s.getHasOnlySubstanceUnits()
        if amount and s.isSetInitialAmount():
            value = self.initial_amounts.pop(name)
        elif amount and s.getCompartment() in self.varying and value is not None:
            # the size comes from a rule: the amount is worked out once the size is known
            self.varying_conc[name] = (value, s.getCompartment())
            value = None
        elif amount:
            value = value * size if value is not None and size is not None else None
        elif value is None and name in self.initial_amounts and size:
            value = self.initial_amounts.pop(name) / size
        self.params[name] = ParameterRecord(name, value, "", f"imported from {self.file} (SBML species "
                                            f"'{s.getId()}', held constant: no reaction changes it)",
                                            None, s.getName())
        self.unit_of[name] = substance if amount else conc
        self.unit_hint[name] = hint if amount else conc_hint
        if value is not None:
            self.values[name] = value

    def _initial_assignments(self):
        """Initial assignments: volumes and species initial values as expressions, the rest as numbers."""
        pending = {}
        for ia in self.model.getListOfInitialAssignments():
            target = ia.getSymbol()
            if target not in self.names or ann.is_dosing(self.model.getElementBySId(target)):
                continue
            node = self.read_math(ia.getMath(), "initial assignment", target)
            if symbols(node) & self.time_names:
                self.timed_initial.append(target)
                self.check_delay_history()
            species = self.model.getSpecies(target)
            if species is not None and target in self.dynamic and self.amount_differs(species):
                node = BinOp("/", node, Sym(self.names[species.getCompartment()]))
            elif species is not None and target in self.dynamic and species.getCompartment() in self.varying \
                    and not species.getHasOnlySubstanceUnits():
                node = BinOp("*", node, self.resolve(species.getCompartment(), "initial assignment"))
                self.varying_conc.pop(self.names[target], None)
            pending[self.names[target]] = (target, node, self.sb.formulaToL3String(ia.getMath()))
            self.equations.append((node, self.unit_of.get(self.names[target]), f"initial assignment '{target}'"))
        self.assigned = {n: node for n, (_, node, _) in pending.items()}
        for name, amount in self.initial_amounts.items():
            # an initial amount is a concentration as soon as its compartment's size is known
            species = next((s for s in self.species if s.name == name), None)
            if species is not None and name not in pending and name not in self.values and \
                    species.compartment in self.values and species.compartment not in pending:
                self.values[name] = amount / self.values[species.compartment]
        while pending:
            ready = [n for n, (_, node, _) in pending.items()
                     if all(s in self.values and s not in pending for s in symbols(node))]
            if not ready:
                target = next(iter(pending.values()))[0]
                self.fail("initial assignment", target, "it depends on values that are never set "
                                                        "(or on itself)")
            for n in ready:
                target, node, formula = pending.pop(n)
                try:
                    self.values[n] = evaluate(node, self.values)
                except ExpressionError as exc:
                    self.fail("initial assignment", target, f"cannot be evaluated: {exc}")
                if n in self.params:
                    self.params[n].value = self.values[n]
                    self.params[n].source += f"; initial assignment '{formula}' evaluated at import"
        for name, amount in self.initial_amounts.items():
            species = next((s for s in self.species if s.name == name), None)
            if species is not None and name not in self.values:
                self.values[name] = amount / self.values[species.compartment]
        for name, (conc, comp) in self.varying_conc.items():
            try:
                size = evaluate(self.resolve(comp, "compartment"), self.values)
            except (ExpressionError, KeyError) as exc:
                self.fail("compartment", comp, f"its initial size cannot be worked out: {exc}")
            self.values[name] = conc * size
            if name in self.params:
                self.params[name].value = self.values[name]
        for c in self.compartments:
            if c.name not in self.values:
                self.fail("compartment", c.name, "its size is not set")
        for s in self.species:
            if self.values.get(s.name) is None:
                self.fail("species", s.name, "its initial value is not set")
        for p in self.params.values():
            if p.value is None:
                self.fail("parameter", p.name, "its value is not set")

    def _volume(self, c):
        """A compartment's volume: its initial assignment if the model format can hold it, else a number."""
        node = self.assigned.get(c.name)
        unit = self.unit_of[c.name]
        if node is not None and symbols(node) <= set(self.params) and self.unit_check(node) == unit:
            return node
        if unit == DIMENSIONLESS:
            return Num(self.values[c.name])
        name = self.claim(None, f"{c.name}_volume")
        self.params[name] = ParameterRecord(name, self.values[c.name], c.unit,
                                            f"imported from {self.file} (size of SBML compartment '{c.name}')")
        self.unit_of[name] = unit
        return Sym(name)

    def _initial(self, s):
        """A species' initial value: its initial assignment if the model format can hold it, else a number."""
        node = self.assigned.get(s.name)
        allowed = set(self.params) | {c.name for c in self.compartments}
        if node is not None and symbols(node) <= allowed and self.unit_check(node) == self.unit_of.get(s.name):
            return node
        return Num(self.values[s.name])
