"""Model specification: species, parameters, reactions and observables from TOML.

A model file is data a biologist can read. Loading it parses every rate law
from a whitelist (nothing is evaluated), checks every symbol, and checks the
units of every rate law; errors name the file and the key.

File layout (see ``models/fcrn_pk.toml`` for a worked example)::

    [model]            name, description, references, mechanisms, initial_state, units
    [compartments.X]   volume (an expression), unit, description
    [species.X]        compartment, unit, initial (expression), description
    [parameters.X]     value, unit, bounds = [low, high], source, description;
                       a fitted one may add ci95 = [low, high] and fitted_in (the fit problem)
    [reactions.X]      equation ("a + b -> c"), rate (expression), mechanism
    [observables.X]    expression, unit, description
    [doses.PRODUCT]    iv = species, sc = species, mass_per_amount (expression)
    [rules.X]          assignment = expression, or rate = expression with initial; unit, description
                       (see ivigsim.core.rules); ``time`` is the simulation time in days
    [[events]]         name, trigger (a condition), assignments.X, delay, priority, persistent,
                       initial_value, use_values_from_trigger_time (see ivigsim.core.events)
    [parameter_sets.S] description, references, parameters.X (value, unit, bounds, source):
                       the same equations with other values (see ivigsim.core.parameter_sets)

Species are concentrations in their compartment; a reaction rate is an amount
per day (concentration x volume / day), so transport between compartments of
different volume conserves mass. Time is in days.

``units = "unchecked"`` in ``[model]`` (for a model imported from a file that
leaves units out) skips the dimension checks, with one warning; symbols are
still checked, and every value is still read in its declared unit. Shipped
models are fully checked.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
import tomllib
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

import numpy as np

from ivigsim.errors import ModelFileError
from ivigsim.core.expressions import (BinOp, ExpressionError, Num, evaluate, infer_unit, parse_expression,
                                 symbols, to_text)
from ivigsim.core.units import DIMENSIONLESS, Unit, UnitError, parse_unit
from ivigsim.core.views import view
from ivigsim.core import rules as rule_lang

TIME_UNIT = parse_unit("day")
BODY_WEIGHT = "body_weight"
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_INITIAL_STATES = ("steady_state", "initial")
_UNIT_CHECKS = ("checked", "unchecked")


@dataclass(frozen=True)
class Compartment:
    name: str
    volume: object           # expression node
    unit: Unit
    description: str = ""


@dataclass(frozen=True)
class Species:
    name: str
    compartment: str
    unit: Unit
    initial: object          # expression node, in ``unit``
    description: str = ""
    cumulative: bool = False  # a running total (e.g. amount catabolised): reset at t = 0


@dataclass(frozen=True)
class Parameter:
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
    name: str
    expression: object
    unit: Unit
    factor: float            # converts the expression's natural unit to ``unit``
    description: str = ""


@dataclass(frozen=True)
class DoseTarget:
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
        """Name -> value for parameters and compartment volumes, from a parameter array."""
        env = dict(zip(self.parameter_names, (float(v) for v in values)))
        for c in self.compartments:
            env[c.name] = evaluate(c.volume, env)
        return env

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


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------

class TableReader:
    """Reads typed values out of the TOML tables, failing with file and key."""

    error = ModelFileError       # subclasses reading other files raise their own kind

    def __init__(self, path):
        self.path = path

    def fail(self, key, message):
        raise self.error(self.path, key, message)

    def table(self, data, key, required=True):
        value = data.get(key.split(".")[-1])
        if value is None:
            if required:
                self.fail(key, "this table is required")
            return {}
        if not isinstance(value, dict):
            self.fail(key, f"expected a table, got {type(value).__name__}")
        return value

    def check_keys(self, entry, key, allowed, required=()):
        if not isinstance(entry, dict):
            self.fail(key, f"expected a table of fields, got {entry!r}")
        for k in required:
            if k not in entry:
                self.fail(f"{key}.{k}", "this field is required")
        for k in entry:
            if k not in allowed:
                hint = difflib.get_close_matches(k, allowed, n=1)
                more = f" (did you mean '{hint[0]}'?)" if hint else ""
                self.fail(f"{key}.{k}", f"unknown field{more}; allowed: {', '.join(allowed)}")

    def text(self, entry, key, field_name, default=None):
        value = entry.get(field_name, default)
        if not isinstance(value, str):
            self.fail(f"{key}.{field_name}", f"expected text, got {value!r}")
        return value

    def bounded_value(self, entry, key):
        """``(value, low, high)`` of a parameter table with value, unit, bounds and source."""
        self.check_keys(entry, key, ("value", "unit", "bounds", "source", "description", "ci95", "fitted_in"),
                        required=("value", "unit", "bounds", "source"))
        value = self.number(entry["value"], f"{key}.value")
        bounds = entry["bounds"]
        if not (isinstance(bounds, list) and len(bounds) == 2):
            self.fail(f"{key}.bounds", f"expected [low, high], got {bounds!r}")
        low, high = (self.number(b, f"{key}.bounds") for b in bounds)
        if low > high:
            self.fail(f"{key}.bounds", f"low bound {low} is above high bound {high}")
        if not low <= value <= high:
            self.fail(f"{key}.value", f"{value} lies outside its bounds [{low}, {high}]")
        return value, low, high

    def fit_record(self, entry, key, value):
        """``(ci95, fitted_in)`` of a fitted parameter: its 95 % interval (or None) and its fit problem."""
        ci95 = entry.get("ci95")
        if ci95 is not None:
            if not (isinstance(ci95, list) and len(ci95) == 2):
                self.fail(f"{key}.ci95", f"expected [low, high], got {ci95!r}")
            ci95 = tuple(self.number(b, f"{key}.ci95") for b in ci95)
            if not ci95[0] <= value <= ci95[1]:
                self.fail(f"{key}.ci95", f"the interval [{ci95[0]}, {ci95[1]}] excludes the value {value}")
        fitted_in = self.text(entry, key, "fitted_in", "")
        if ci95 is not None and not fitted_in.strip():
            self.fail(f"{key}.fitted_in", "a parameter with a ci95 needs the fit problem it came from")
        return ci95, fitted_in

    def number(self, value, key):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(key, f"expected a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            self.fail(key, f"expected a finite number, got {value!r}")
        return value

    def unit(self, entry, key):
        text = entry.get("unit")
        if not isinstance(text, str):
            self.fail(f"{key}.unit", f"expected a unit such as 'g/L' or '1/day', got {text!r}")
        try:
            return parse_unit(text)
        except UnitError as exc:
            self.fail(f"{key}.unit", str(exc))

    def expression(self, value, key):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if not math.isfinite(value):
                self.fail(key, f"expected a finite number, got {value!r}")
            value = repr(float(value))
        if not isinstance(value, str):
            self.fail(key, f"expected an expression (text) or a number, got {value!r}")
        try:
            return parse_expression(value)
        except ExpressionError as exc:
            self.fail(key, str(exc))

    def name(self, name, key):
        if not _NAME_RE.match(name):
            self.fail(key, f"'{name}' is not a valid name (letters, digits and _, starting with a letter)")
        return name


def _parse_equation(reader, text, key, species_names):
    if not isinstance(text, str) or text.count("->") != 1 or "<->" in text:
        reader.fail(key, f"expected one irreversible equation 'a + b -> c' (write a reverse "
                         f"reaction separately), got {text!r}")
    left, right = text.split("->")
    sides = []
    for side in (left, right):
        terms = []
        for term in filter(None, (t.strip() for t in side.split("+"))):
            parts = term.split()
            coeff, name = (1.0, parts[0]) if len(parts) == 1 else (parts[0], parts[-1])
            if len(parts) > 2:
                reader.fail(key, f"cannot read the term {term!r}")
            try:
                coeff = float(coeff)
            except ValueError:
                reader.fail(key, f"stoichiometric coefficient {coeff!r} in {term!r} is not a number")
            if not (coeff > 0 and math.isfinite(coeff)):
                reader.fail(key, f"stoichiometric coefficient in {term!r} must be positive")
            if name not in species_names:
                reader.fail(key, f"unknown species '{name}' in equation {text!r}")
            terms.append((name, coeff))
        sides.append(tuple(terms))
    if not sides[0] and not sides[1]:
        reader.fail(key, "an equation needs at least one species")
    return sides


def read_toml(path, error=ModelFileError):
    """The tables of a TOML data file; a missing or malformed file raises ``error(path, "", why)``."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(path, "", "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(path, "", f"not valid TOML: {exc}") from None


def load_model_file(path):
    """Parse and validate one model file into a :class:`ModelSpec`."""
    path = Path(path)
    reader = TableReader(path)
    data = read_toml(path)
    for k in data:
        if k not in ("model", "compartments", "species", "parameters", "reactions",
                     "observables", "doses", "parameter_sets", "rules", "events"):
            reader.fail(k, "unknown top-level table")

    header = reader.table(data, "model")
    reader.check_keys(header, "model", ("name", "description", "references", "mechanisms",
                                        "initial_state", "units"), required=("name", "mechanisms"))
    name = reader.name(reader.text(header, "model", "name"), "model.name")
    description = reader.text(header, "model", "description", "")
    references = header.get("references", [])
    if not (isinstance(references, list) and all(isinstance(r, str) for r in references)):
        reader.fail("model.references", "expected a list of citations (text)")
    mechanisms = header["mechanisms"]
    if not isinstance(mechanisms, dict) or not mechanisms:
        reader.fail("model.mechanisms", "expected a table: mechanism name = \"what it does\"")
    for m in mechanisms:
        reader.name(m, f"model.mechanisms.{m}")
    initial_state = header.get("initial_state", "initial")
    if initial_state not in _INITIAL_STATES:
        reader.fail("model.initial_state", f"expected one of {_INITIAL_STATES}, got {initial_state!r}")
    unit_checks = header.get("units", "checked")
    if unit_checks not in _UNIT_CHECKS:
        reader.fail("model.units", f"expected one of {_UNIT_CHECKS}, got {unit_checks!r}")
    checked = unit_checks == "checked"
    if not checked:
        warnings.warn(f"{path}: units = \"unchecked\": the dimensions of rate laws, volumes, initial values and "
                      f"observables are not checked, so a wrong unit is not caught; values are used as "
                      f"written in the declared units", UserWarning, stacklevel=2)

    seen = {rule_lang.TIME: "the simulation time, a reserved name"}

    def claim(entry_name, key):
        reader.name(entry_name, key)
        if entry_name in seen:
            reader.fail(key, f"the name '{entry_name}' is already used by [{seen[entry_name]}]")
        seen[entry_name] = key

    # Parameters first: everything else refers to them.
    parameters = []
    for pname, entry in reader.table(data, "parameters").items():
        key = f"parameters.{pname}"
        claim(pname, key)
        value, low, high = reader.bounded_value(entry, key)
        source = reader.text(entry, key, "source")
        if not source.strip():
            reader.fail(f"{key}.source", "every parameter needs a source (a citation, or how it was derived)")
        parameters.append(Parameter(pname, value, reader.unit(entry, key), (low, high), source,
                                    entry.get("description", ""), *reader.fit_record(entry, key, value)))
    units = {p.name: p.unit for p in parameters}
    rules = rule_lang.read_rules(reader, data, claim, reader.unit)
    expanded = rule_lang.expansions(reader, rules)
    from ivigsim.core.parameter_sets import read_parameter_sets
    parameter_sets = read_parameter_sets(reader, data, parameters)

    def checked_unit(node, key, table=None):
        """Unit of an expression whose symbols must all be in ``table`` (default: all so far)."""
        table = units if table is None else table

        def lookup(symbol):
            if symbol not in table:
                hint = difflib.get_close_matches(symbol, list(table), n=1)
                more = f" (did you mean '{hint[0]}'?)" if hint else ""
                reader.fail(key, f"undefined symbol '{symbol}'{more}")
            return table[symbol]
        try:
            return infer_unit(node, lookup)
        except UnitError as exc:
            if not checked:
                for sym in symbols(node):
                    lookup(sym)                  # an undefined symbol is an error all the same
                return None
            reader.fail(key, f"inconsistent units: {exc}")

    compartments = []
    for cname, entry in reader.table(data, "compartments").items():
        key = f"compartments.{cname}"
        claim(cname, key)
        reader.check_keys(entry, key, ("volume", "unit", "description"), required=("volume", "unit"))
        volume = rule_lang.substitute(reader.expression(entry["volume"], f"{key}.volume"), expanded)
        declared = reader.unit(entry, key)
        for sym in symbols(volume):
            if sym not in {p.name for p in parameters}:
                reader.fail(f"{key}.volume", f"a volume may use parameters (and assignment rules of "
                                             f"parameters) only; '{sym}' is not a parameter")
        actual = checked_unit(volume, f"{key}.volume")
        if checked and actual != declared:
            reader.fail(f"{key}.volume", f"the expression has unit {actual}, but unit = {declared}")
        try:
            size = evaluate(volume, {p.name: p.value for p in parameters})
        except ExpressionError as exc:
            reader.fail(f"{key}.volume", f"cannot be computed from the parameter values: {exc}")
        if not size > 0:
            reader.fail(f"{key}.volume", f"the volume is {size:g} {declared} with the parameter values "
                                         f"of this file; a compartment volume must be positive")
        compartments.append(Compartment(cname, volume, declared, entry.get("description", "")))
    units.update({c.name: c.unit for c in compartments})
    static_units = dict(units)
    for m in mechanisms:                 # a mechanism's name in a rate law is its 0/1 switch
        claim(m, f"model.mechanisms.{m}")
        units[m] = DIMENSIONLESS

    species = []
    for sname, entry in reader.table(data, "species").items():
        key = f"species.{sname}"
        claim(sname, key)
        reader.check_keys(entry, key, ("compartment", "unit", "initial", "cumulative", "description"),
                          required=("compartment", "unit"))
        comp = reader.text(entry, key, "compartment")
        if comp not in {c.name for c in compartments}:
            reader.fail(f"{key}.compartment", f"unknown compartment '{comp}'")
        sunit = reader.unit(entry, key)
        initial = reader.expression(entry.get("initial", 0.0), f"{key}.initial")
        iu = checked_unit(initial, f"{key}.initial", static_units)   # parameters only
        if checked and not (iu == sunit or (iu.is_dimensionless and not symbols(initial))):
            reader.fail(f"{key}.initial", f"the expression has unit {iu}, but the species is in {sunit}")
        cumulative = entry.get("cumulative", False)
        if not isinstance(cumulative, bool):
            reader.fail(f"{key}.cumulative", f"expected true or false, got {cumulative!r}")
        species.append(Species(sname, comp, sunit, initial, entry.get("description", ""), cumulative))
    if not species:
        reader.fail("species", "a model needs at least one species")
    rule_states = [r for r in rules if r.kind == "rate"]
    if rule_states:
        compartments.append(_rule_compartment(claim))
        for r in rule_states:
            iu = checked_unit(r.initial, f"rules.{r.name}.initial", static_units)
            if checked and not (iu == r.unit or (iu.is_dimensionless and not symbols(r.initial))):
                reader.fail(f"rules.{r.name}.initial", f"the expression has unit {iu}, but the rule is in {r.unit}")
            species.append(Species(r.name, rule_lang.RULE_COMPARTMENT, r.unit, r.initial,
                                   r.description or f"rate rule: d {r.name}/dt = {to_text(r.expression)}"))
    units.update({s.name: s.unit for s in species})
    units.update({r.name: r.unit for r in rules})
    units[rule_lang.TIME] = TIME_UNIT
    for r in rules:
        want = r.unit if r.kind == "assignment" else r.unit / TIME_UNIT
        got = checked_unit(r.expression, f"rules.{r.name}.{r.kind}")
        if checked and got != want and not (got.is_dimensionless and not symbols(r.expression)):
            reader.fail(f"rules.{r.name}.{r.kind}", f"the expression has unit {got}, but the rule needs {want}"
                                                    + (" (its unit per day)" if r.kind == "rate" else ""))
    species_names = {s.name for s in species}
    comp_units = {c.name: c.unit for c in compartments}

    reactions = []
    used_species = set()
    for rname, entry in reader.table(data, "reactions").items():
        key = f"reactions.{rname}"
        reader.name(rname, key)          # reactions are not symbols: their own namespace
        reader.check_keys(entry, key, ("equation", "rate", "mechanism", "description"),
                          required=("equation", "rate", "mechanism"))
        reactants, products = _parse_equation(reader, entry["equation"], f"{key}.equation", species_names)
        rate = reader.expression(entry["rate"], f"{key}.rate")
        mechanism = reader.text(entry, key, "mechanism")
        if mechanism not in mechanisms:
            reader.fail(f"{key}.mechanism", f"'{mechanism}' is not declared in [model.mechanisms] "
                                            f"({', '.join(mechanisms)})")
        involved = [n for n, _ in reactants + products]
        used_species.update(involved)
        amount_units = {n: next(s.unit for s in species if s.name == n)
                        * comp_units[next(s.compartment for s in species if s.name == n)]
                        for n in involved}
        first = amount_units[involved[0]]
        for n, u in amount_units.items():
            if checked and u != first:
                reader.fail(f"{key}.equation", f"species '{involved[0]}' and '{n}' have different amount "
                                               f"units ({first} and {u}); a reaction must conserve amount")
        expected = first / TIME_UNIT
        actual = checked_unit(rate, f"{key}.rate")
        if checked and actual != expected:
            if actual.same_dimension(expected):
                reader.fail(f"{key}.rate", f"the rate law is in {actual}, which is {actual.factor_to(expected):g} "
                                           f"x the expected {expected} (amount of species per day); "
                                           f"convert a parameter's unit")
            reader.fail(f"{key}.rate", f"the rate law has dimension {actual.dimension_text()}, but a rate of "
                                       f"this reaction must be an amount per day ({expected})")
        reactions.append(Reaction(rname, reactants, products, rule_lang.substitute(rate, expanded), mechanism,
                                  entry.get("description", "")))
    mechanisms = dict(mechanisms)
    reactions += _rule_reactions(reader, rule_states, expanded, mechanisms, claim, {r.name for r in reactions})
    used_species.update(r.name for r in rule_states)

    doses = {}
    for product, entry in reader.table(data, "doses", required=False).items():
        key = f"doses.{product}"
        reader.name(product, key)
        reader.check_keys(entry, key, ("iv", "sc", "mass_per_amount", "description"),
                          required=("mass_per_amount",))
        routes = {}
        for route in ("iv", "sc"):
            if route not in entry:
                continue
            spec_route = entry[route]
            if isinstance(spec_route, str):          # one species takes the whole dose
                spec_route = {spec_route: 1.0}
            if not isinstance(spec_route, dict) or not spec_route:
                reader.fail(f"{key}.{route}", "expected a species name, or a table species = fraction")
            targets = []
            for target, fraction in spec_route.items():
                if target not in species_names:
                    reader.fail(f"{key}.{route}", f"unknown species '{target}'")
                node = reader.expression(fraction, f"{key}.{route}.{target}")
                fraction_unit = checked_unit(node, f"{key}.{route}.{target}", static_units)
                if checked and not fraction_unit.is_dimensionless:
                    reader.fail(f"{key}.{route}.{target}", "a dose fraction must be dimensionless")
                targets.append((target, node))
                used_species.add(target)
            routes[route] = tuple(targets)
        if not routes:
            reader.fail(key, "name at least one route: iv = \"species\" or sc = \"species\"")
        mpa = reader.expression(entry["mass_per_amount"], f"{key}.mass_per_amount")
        mpa_unit = checked_unit(mpa, f"{key}.mass_per_amount", static_units)
        for route, targets in routes.items():
            for target, _ in targets:
                sp = next(s for s in species if s.name == target)
                want = parse_unit("g") / (sp.unit * comp_units[sp.compartment])
                if checked and not mpa_unit.same_dimension(want):
                    reader.fail(f"{key}.mass_per_amount", f"expected a mass per amount of '{target}' "
                                                          f"(like {want}), got {mpa_unit}")
        doses[product] = DoseTarget(product, MappingProxyType(routes), mpa, mpa_unit)

    dangling = [s.name for s in species if s.name not in used_species]
    if dangling:
        reader.fail(f"species.{dangling[0]}", "this species takes part in no reaction and receives no dose")

    observables = []
    for oname, entry in reader.table(data, "observables", required=False).items():
        key = f"observables.{oname}"
        claim(oname, key)
        reader.check_keys(entry, key, ("expression", "unit", "description"), required=("expression", "unit"))
        expr = reader.expression(entry["expression"], f"{key}.expression")
        declared = reader.unit(entry, key)
        actual = checked_unit(expr, f"{key}.expression")
        try:
            factor = actual.factor_to(declared) if checked else 1.0
        except UnitError:
            reader.fail(f"{key}.expression", f"the expression has dimension {actual.dimension_text()}, "
                                             f"which cannot be shown in {declared}")
        observables.append(Observable(oname, rule_lang.substitute(expr, expanded), declared, factor,
                                      entry.get("description", "")))
    if rule_lang.uses_time([r.rate for r in reactions] + [o.expression for o in observables]):
        if initial_state == "steady_state":
            reader.fail("model.initial_state", "this model reads `time`, so it has no steady state; "
                                               "use initial_state = \"initial\"")
        if not rule_states:
            compartments.append(_rule_compartment(claim))
        species.append(Species(rule_lang.TIME, rule_lang.RULE_COMPARTMENT, TIME_UNIT, parse_expression("0"),
                               "the simulation time (days since the start), a clock"))
        claim(rule_lang.CLOCK_MECHANISM, f"model.mechanisms.{rule_lang.CLOCK_MECHANISM}")
        mechanisms[rule_lang.CLOCK_MECHANISM] = "the simulation time advances (d time/dt = 1)"
        reactions.append(Reaction(f"{rule_lang.CLOCK_MECHANISM}_clock", (), ((rule_lang.TIME, 1.0),),
                                  parse_expression("1"), rule_lang.CLOCK_MECHANISM,
                                  "the clock of `time`: one day per day"))

    from ivigsim.core.events import read_events
    observable_units = {**units, **{o.name: o.unit for o in observables}}
    observable_map = {**expanded, **{o.name: o.expression if o.factor == 1.0 else
                                     BinOp("*", Num(o.factor), o.expression) for o in observables}}
    events = read_events(
        # unchecked units: symbols are still looked up, but no unit is compared
        reader, data, lambda node, key: checked_unit(node, key, observable_units) if checked else
        (checked_unit(node, key, observable_units) and None),
        lambda node: rule_lang.substitute(node, observable_map),
        {s.name: s.unit for s in species if s.name != rule_lang.TIME},
        {p.name for p in parameters}, {c.name for c in compartments})

    index = MappingProxyType({
        "species": {s.name: i for i, s in enumerate(species)},
        "parameters": {p.name: i for i, p in enumerate(parameters)},
        "observables": {o.name: i for i, o in enumerate(observables)},
        "compartments": {c.name: c for c in compartments},
    })
    return ModelSpec(
        name=name, description=description, references=tuple(references),
        mechanisms=MappingProxyType(dict(mechanisms)), initial_state=initial_state,
        compartments=tuple(compartments), species=tuple(species), parameters=tuple(parameters),
        reactions=tuple(reactions), observables=tuple(observables), doses=MappingProxyType(doses),
        path=str(path), units=unit_checks, _index=index, parameter_sets=parameter_sets,
        rules=rules, events=events,
    )


def _rule_compartment(claim):
    """The size-1 compartment that holds the states of rate rules and the clock."""
    claim(rule_lang.RULE_COMPARTMENT, f"compartments.{rule_lang.RULE_COMPARTMENT}")
    return Compartment(rule_lang.RULE_COMPARTMENT, parse_expression("1"), DIMENSIONLESS,
                       "holds the states of rate rules and the clock (dimensionless, size 1)")


def _rule_reactions(reader, rule_states, expanded, mechanisms, claim, taken):
    """One reaction ``-> X`` per rate rule (its rate may be negative), of mechanism ``rate_rules``."""
    if not rule_states:
        return []
    claim(rule_lang.RATE_RULE_MECHANISM, f"model.mechanisms.{rule_lang.RATE_RULE_MECHANISM}")
    mechanisms[rule_lang.RATE_RULE_MECHANISM] = "the rate rules of [rules] (d X/dt = expression)"
    out = []
    for r in rule_states:
        rname = f"rate_rule_{r.name}"
        if rname in taken:
            reader.fail(f"reactions.{rname}", f"this name is reserved for the rate rule of '{r.name}'")
        out.append(Reaction(rname, (), ((r.name, 1.0),), rule_lang.substitute(r.expression, expanded),
                            rule_lang.RATE_RULE_MECHANISM, f"rate rule: d {r.name}/dt"))
    return out
