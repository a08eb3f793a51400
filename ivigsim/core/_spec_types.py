"""The parts of a model and :class:`ModelSpec`, the validated model.

Internal to :mod:`ivigsim.core.spec`, which re-exports the public names; the
readers that build these objects from a model file are in the other
``_spec_*`` modules.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

import numpy as np

from ivigsim.core.expressions import Sym, evaluate, to_text
from ivigsim.core.units import Unit, parse_unit
from ivigsim.core.views import view

TIME_UNIT = parse_unit("day")
BODY_WEIGHT = "body_weight"


@dataclass(frozen=True)
class Compartment:
    """A compartment: its volume (an expression of parameters) in ``unit``."""
    name: str
    volume: object           # expression node
    unit: Unit
    description: str = ""


@dataclass(frozen=True)
class Species:
    """A species: a concentration in its compartment, with its initial value (an expression)."""
    name: str
    compartment: str
    unit: Unit
    initial: object          # expression node, in ``unit``
    description: str = ""
    cumulative: bool = False  # a running total (e.g. amount catabolised): reset at t = 0


@dataclass(frozen=True)
class Parameter:
    """A named parameter: default value, unit, bounds and source (and a fit record if fitted)."""
    name: str
    value: float
    unit: Unit
    bounds: tuple[float, float]
    source: str
    description: str = ""
    ci95: tuple[float, float] | None = None   # 95 % confidence interval of a fitted value
    fitted_in: str = ""                       # the fit problem it came from (e.g. "fits/fcrn_human")


@dataclass(frozen=True)
class Reaction:
    """A reaction: reactants -> products with coefficients, and its rate (amount per day)."""
    name: str
    reactants: tuple[tuple[str, float], ...]
    products: tuple[tuple[str, float], ...]
    rate: object             # expression node, species amount per day
    mechanism: str
    description: str = ""

    @property
    def equation(self):
        def side(terms):
            return " + ".join(n if c == 1 else f"{c:g} {n}" for n, c in terms) or "∅"
        return f"{side(self.reactants)} -> {side(self.products)}"


@dataclass(frozen=True)
class Observable:
    """A named output: an expression of the state, shown in ``unit`` (times ``factor``)."""
    name: str
    expression: object
    unit: Unit
    factor: float            # converts the expression's natural unit to ``unit``
    description: str = ""


@dataclass(frozen=True)
class DoseTarget:
    """Where a product's dose goes, by route, and its grams per amount of the receiving species."""
    product: str
    routes: MappingProxyType     # route ("iv", "sc") -> ((species, fraction expression), ...)
    mass_per_amount: object      # expression: grams of product per species amount unit
    mass_per_amount_unit: Unit


@dataclass(frozen=True)
class ModelSpec:
    """A validated model. Immutable; parameter values are only defaults."""

    name: str
    description: str
    references: tuple[str, ...]
    mechanisms: MappingProxyType          # name -> description
    initial_state: str
    compartments: tuple[Compartment, ...]
    species: tuple[Species, ...]
    parameters: tuple[Parameter, ...]
    reactions: tuple[Reaction, ...]
    observables: tuple[Observable, ...]
    doses: MappingProxyType               # product -> DoseTarget
    path: str = ""
    units: str = "checked"                # or "unchecked": dimensions were not checked at load
    _index: MappingProxyType = field(default=None, repr=False, compare=False)
    parameter_sets: MappingProxyType = field(default_factory=lambda: MappingProxyType({}), repr=False)
    parameter_set: str = ""               # the name of the set applied, "" for the file's own values
    rules: tuple = ()                     # Rule objects as written (rates below have them substituted)
    events: tuple = ()                    # Event objects

    def __repr__(self):
        return view("model.repr")(self)

    def _repr_html_(self):
        """The model card, equations included, with long sections folded (for notebooks)."""
        return view("model.html")(self)

    # --- lookups ---------------------------------------------------------
    @property
    def n_species(self):
        return len(self.species)

    @property
    def species_names(self):
        return tuple(s.name for s in self.species)

    @property
    def parameter_names(self):
        return tuple(p.name for p in self.parameters)

    @property
    def observable_names(self):
        return tuple(o.name for o in self.observables)

    @property
    def mechanism_names(self):
        return tuple(self.mechanisms)

    def species_index(self, name):
        return self._index["species"][name]

    def parameter_index(self, name):
        return self._index["parameters"][name]

    def compartment(self, name):
        return self._index["compartments"][name]

    def default_parameters(self):
        """The parameter values of the file, as a float64 array in declaration order."""
        return np.array([p.value for p in self.parameters], dtype=np.float64)

    @property
    def label(self):
        """The model's name, with ``@set`` when a named parameter set is applied."""
        return f"{self.name}@{self.parameter_set}" if self.parameter_set else self.name

    def with_parameter_set(self, name):
        """This model with the values, bounds and sources of its parameter set ``name``."""
        from ivigsim.core.parameter_sets import apply_parameter_set
        return apply_parameter_set(self, name)

    def stoichiometry(self):
        """Net stoichiometry matrix, shape (n_species, n_reactions)."""
        s = np.zeros((self.n_species, len(self.reactions)))
        for k, r in enumerate(self.reactions):
            for name, c in r.reactants:
                s[self.species_index(name), k] -= c
            for name, c in r.products:
                s[self.species_index(name), k] += c
        return s

    def amount_unit(self, species_name):
        """The unit of an amount of a species (its unit times its compartment's volume unit)."""
        sp = self.species[self.species_index(species_name)]
        return sp.unit * self.compartment(sp.compartment).unit

    def unit_of(self, name):
        """Unit of any species, observable, parameter or compartment, by name."""
        for table in ("species", "observables", "parameters", "compartments"):
            if name in self._index[table]:
                obj = self._index[table][name]
                obj = getattr(self, table)[obj] if isinstance(obj, int) else obj
                return obj.unit
        raise KeyError(name)

    def environment(self, values):
        """Name -> value for parameters and compartment volumes (at t = 0), from a parameter array.

        A compartment that events resize is sized by a state; its volume here
        is that state's initial value.
        """
        env = dict(zip(self.parameter_names, (float(v) for v in values)))
        for c in self.compartments:
            if isinstance(c.volume, Sym) and c.volume.name in self._index["species"]:
                env[c.name] = evaluate(self.species[self._index["species"][c.volume.name]].initial, env)
            else:
                env[c.name] = evaluate(c.volume, env)
        return env

    @cached_property
    def uses_delay(self):
        """Whether a rate law or observable reads ``delay(x, tau)`` (the solver then keeps a history)."""
        from ivigsim.core.rules import uses_delay
        return uses_delay([r.rate for r in self.reactions] + [o.expression for o in self.observables])

    def fingerprint(self):
        """Hash of the model's mathematics (not of parameter values or prose)."""
        return self._fingerprint

    @cached_property
    def _fingerprint(self):
        canon = {
            "species": [(s.name, s.compartment, s.unit.scale, [str(d) for d in s.unit.dims])
                        for s in self.species],
            "parameters": list(self.parameter_names),
            "compartments": [(c.name, to_text(c.volume)) for c in self.compartments],
            "reactions": [(r.name, r.reactants, r.products, to_text(r.rate), r.mechanism)
                          for r in self.reactions],
            "observables": [(o.name, to_text(o.expression), o.factor) for o in self.observables],
            "mechanisms": list(self.mechanisms),
        }
        if self.events:          # only when present: models without events keep their fingerprints
            canon["events"] = [(e.name, to_text(e.trigger), [(t, to_text(v)) for t, v in e.assignments],
                                None if e.delay is None else to_text(e.delay),
                                None if e.priority is None else to_text(e.priority), e.persistent,
                                e.initial_value, e.use_values_from_trigger_time) for e in self.events]
        return hashlib.sha256(json.dumps(canon, sort_keys=True).encode()).hexdigest()[:20]
