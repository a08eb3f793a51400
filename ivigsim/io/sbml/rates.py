"""Rates as values: reaction rates, ``rateOf`` and stoichiometries that change in time.

Part of the SBML importer (:mod:`ivigsim.io.sbml.importer`). SBML lets math use
the id of a reaction (its rate), ``rateOf(x)`` (the rate of change of ``x``)
and the id of a species reference (its stoichiometry, which rules may change
in time). The model format has none of these as symbols, so each is
substituted by the expression it stands for:

* a reaction id: its kinetic law, in amount per model time unit;
* ``rateOf(x)``: the math of ``x``'s rate rule; for a species that reactions
  change, the sum of stoichiometry x rate over its reactions (times its
  conversion factor, divided by its compartment's size unless the species is
  counted in amounts); 0 for a quantity that nothing changes in time;
* a species reference id: its assignment rule, the state its rate rule
  integrates, or its value.

``rateOf`` of a quantity set by an assignment rule is refused (its rate is the
time derivative of an expression, which the model format does not take).
"""

from __future__ import annotations

import math

from ivigsim.errors import IvigsimError
from ivigsim.core.expressions import BinOp, Neg, Num, Sym
from ivigsim.io.sbml.model_file import ObservableRecord
from ivigsim.io.sbml.units import unit_text
from ivigsim.core.units import DIMENSIONLESS


class RateReading:
    """Methods of the importer that read rates and stoichiometries as values."""

    def local_parameters(self, reaction):
        """Local parameter id -> its symbol, the parameters created once per reaction."""
        memo = self.__dict__.setdefault("_locals", {})
        rid = reaction.getId()
        if rid not in memo:
            local = {}
            law = reaction.getKineticLaw()
            for lp in (law.getListOfLocalParameters() if law is not None else []):
                name = self.claim(None, f"{rid}_{lp.getId()}")
                self.add_parameter(name, lp, lp.getValue() if lp.isSetValue() else None, "local parameter",
                                   f"{rid}.{lp.getId()}")
                local[lp.getId()] = Sym(name)
            memo[rid] = local
        return memo[rid]

    def reaction_rate(self, rid, where):
        """The kinetic law of reaction ``rid`` as a node (amount per model time unit)."""
        memo = self.__dict__.setdefault("_reaction_rates", {})
        if rid in memo:
            return memo[rid]
        reaction = self.model.getReaction(rid)
        law = reaction.getKineticLaw()
        if law is None or not law.isSetMath():
            raise IvigsimError(f"{where}: reaction '{rid}' has no kinetic law, so its rate has no value")
        key = f"rate of reaction {rid}"      # not an SBML id: ids have no spaces
        if key in self.expanding:
            raise IvigsimError(f"{where}: the rate of reaction '{rid}' depends on itself")
        self.expanding.append(key)
        context = getattr(self, "context", None)
        try:
            memo[rid] = self.read_math(law.getMath(), "kinetic law of reaction", rid,
                                       self.local_parameters(reaction))
        finally:
            self.expanding.pop()
            self.context = context
        return memo[rid]

    def rate_of(self, sbml_id, where):
        """The node of ``rateOf(sbml_id)``, in the value's unit per model time unit."""
        m = self.model
        if sbml_id in self.rate_rules:
            memo = self.__dict__.setdefault("_rate_rule_nodes", {})
            if sbml_id not in memo:
                key = f"rateOf({sbml_id})"
                if key in self.expanding:
                    raise IvigsimError(f"{where}: the rate rule of '{sbml_id}' uses its own rateOf()")
                self.expanding.append(key)
                context = getattr(self, "context", None)
                try:
                    memo[sbml_id] = self.read_math(self.rate_rules[sbml_id], "rate rule", sbml_id)
                finally:
                    self.expanding.pop()
                    self.context = context
            return memo[sbml_id]
        if sbml_id in self.rules:
            raise IvigsimError(f"{where}: rateOf('{sbml_id}') is not supported: an assignment rule sets "
                               f"'{sbml_id}', and the model format does not take the time derivative of a rule")
        element = m.getElementBySId(sbml_id)
        if element is None:
            raise IvigsimError(f"{where}: rateOf() of unknown symbol '{sbml_id}'")
        species = m.getSpecies(sbml_id)
        if species is not None and sbml_id in self.dynamic:
            total = None
            for r in m.getListOfReactions():
                net = self.net_stoichiometry(r, sbml_id)
                if net is None:
                    continue
                term = BinOp("*", net, self.reaction_rate(r.getId(), where))
                total = term if total is None else BinOp("+", total, term)
            if total is None:
                return Num(0.0)
            factor = self.conversion_factor(species)
            if factor is not None:
                total = BinOp("*", total, factor)
            if not species.getHasOnlySubstanceUnits():
                total = BinOp("/", total, self.resolve(species.getCompartment(), where))
            return total
        if element.getTypeCode() == self.sb.SBML_REACTION:
            raise IvigsimError(f"{where}: rateOf() of reaction '{sbml_id}' is not supported (a reaction's rate "
                               f"has no rate of change in SBML)")
        return Num(0.0)                                   # nothing changes it in time

    def net_stoichiometry(self, reaction, species_id):
        """Products minus reactants of ``species_id`` in ``reaction``, as a node (None if absent)."""
        from ivigsim.io.sbml import annotation as ann
        if ann.is_dosing(reaction):
            return None
        net = None
        for sign, refs in ((-1.0, reaction.getListOfReactants()), (1.0, reaction.getListOfProducts())):
            for ref in refs:
                if ref.getSpecies() != species_id:
                    continue
                coef = self.stoichiometry(ref)
                term = coef if sign > 0 else Neg(coef)
                net = term if net is None else BinOp("+", net, term)
        return net

    def stoichiometry(self, ref):
        """A species reference's stoichiometry as a node: a number, or what a rule makes of it."""
        rid = ref.getId() if ref.isSetId() else None
        if rid and rid in self.rate_rules:
            return self.resolve(rid, self.where("species reference", rid))      # a state (rate rule, events)
        if rid and self.constant_math(rid) is not None:
            return Num(float(ref.getStoichiometry()))      # worked out at import (_fixed_stoichiometries)
        if rid and rid in self.rules:
            return self.resolve(rid, self.where("species reference", rid))
        if rid and rid in self.names and self.values.get(self.names[rid]) is not None:
            return Num(float(self.values[self.names[rid]]))
        value = ref.getStoichiometry() if ref.isSetStoichiometry() else math.nan
        if not math.isfinite(value):
            raise IvigsimError(f"{self.file}: species reference '{rid or ref.getSpecies()}': its stoichiometry "
                               f"is not set")
        return Num(float(value))

    def conversion_factor(self, species):
        """The node of a species' conversion factor (its own, else the model's), or None."""
        cf = species.getConversionFactor() if species.isSetConversionFactor() else (
            self.model.getConversionFactor() if self.model.isSetConversionFactor() else "")
        if not cf:
            return None
        return self.resolve(cf, self.where("species", species.getId()))


def rate_observables(imp, every):
    """An observable for the rate of each reaction whose rate is used as a value (every one if
    ``every``), named after the reaction's id where that name is free; in amount per model time."""
    from ivigsim.io.sbml import annotation as ann
    used = set(imp.__dict__.get("_reaction_rates", {}))
    chosen = [r.getId() for r in imp.model.getListOfReactions()
              if not ann.is_dosing(r) and (every or r.getId() in used) and r.getKineticLaw() is not None]
    nodes = {rid: imp.reaction_rate(rid, imp.where("reaction", rid)) for rid in chosen}   # before any is named
    records = []
    for rid in chosen:
        node = nodes[rid]
        name = imp.claim(rid) if rid not in imp.names else imp.names[rid]
        unit = imp.unit_check(node)
        if unit is None and not imp.unchecked:
            imp.unit_fail("reaction", rid, "the units of its rate cannot be worked out")
        records.append(ObservableRecord(name, node, unit_text(unit or DIMENSIONLESS),
                                        f"the rate of SBML reaction '{rid}', in amount per model time unit"))
    return records
