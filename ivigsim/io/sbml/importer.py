"""Read an SBML model into an ivigsim model file.

What maps onto the model format is read; the rest is refused with an
:class:`~ivigsim.errors.IvigsimError` naming the file, the SBML element and
what it uses. Accepted:

* compartments of any dimension (constant size, an initial assignment, or a
  size that assignment rules, rate rules or events change: then the species in
  it are held as amounts, :mod:`ivigsim.io.sbml.quantities`), species
  (concentrations or, with ``hasOnlySubstanceUnits``, amounts), global and
  local parameters, function definitions (inlined);
* reactions with any kinetic law in the whitelist of
  :mod:`ivigsim.io.sbml.mathml`; a reversible reaction whose law is a difference
  ``forward - reverse`` becomes two reactions, any other reversible law is kept
  as one net rate; stoichiometries that rules or events change, and conversion
  factors, make one signed term per species (:mod:`ivigsim.io.sbml.reactions`);
* assignment rules, which become observables (and are substituted where
  kinetic laws use them); initial assignments (evaluated where the model
  format needs a number);
* rate rules of species, parameters, compartments and stoichiometries, which
  become reactions ``-> x``, and the simulation time (csymbol time), which
  becomes a clock species (:mod:`ivigsim.io.sbml.rate_rules`);
* reaction ids used as values, and ``rateOf`` (:mod:`ivigsim.io.sbml.rates`);
* events, as the model file's ``[[events]]`` (:mod:`ivigsim.io.sbml.events`);
* algebraic rules, solved for the quantity they determine into assignment
  rules (:mod:`ivigsim.io.sbml.algebraic`), and fast reactions, taken at
  equilibrium with their conserved pools as states
  (:mod:`ivigsim.io.sbml.fast_reactions`), where the reduction to an index-1
  system has an explicit solution.

Boundary and constant species, and species no reaction changes, become
parameters. Refused, each with the element named: algebraic rules and fast
reactions that do not reduce (each module says which), constraints, ``delay``, ``rateOf`` of a quantity an assignment
rule sets, step functions of the time, events whose random SBML order decides
their outcome, and required SBML packages. ivigsim dosing that
:func:`~ivigsim.io.sbml.export_sbml` wrote (marked by its annotation) is
dropped, since the model's ``[doses]`` table, rebuilt from the annotation,
regenerates it.

Units: every rate in an ivigsim model is an amount per day. When the SBML
time unit is another one, each kinetic law is multiplied by a constant
parameter such as ``s_per_day = 86400 s/day`` (one day in model time units),
which keeps the SBML's parameters in their own units. Undeclared model-level
units come from ``default_units``; undeclared parameter units are inferred from
the equations where they are determined (:mod:`ivigsim.io.sbml.infer`) or taken
from ``units``. Where units cannot be worked out or do not fit together (a
kinetic law that is not an amount per time, say), the model is imported again
with ``units = "unchecked"`` and a warning that names what did not fit: SBML
simulators give units no part in the numbers.
"""

from __future__ import annotations

import keyword
import re
import tempfile
import warnings
from pathlib import Path

from ivigsim.io.atomic import atomic_path
from ivigsim.io.sbml import annotation as ann
from ivigsim.errors import IvigsimError
from ivigsim.core.expressions import (FUNCTIONS, BinOp, Call, ExpressionError, Num, Sym, evaluate, infer_unit,
                                 parse_expression, symbols)
from ivigsim.io.sbml.algebraic import reduce_algebraic_rules
from ivigsim.io.sbml.events import event_states, finish_events, read_events
from ivigsim.io.sbml.fast_reactions import reduce_fast_reactions
from ivigsim.io.sbml.export import require_libsbml
from ivigsim.io.sbml.infer import infer_units
from ivigsim.io.sbml.quantities import QuantityReading
from ivigsim.io.sbml.rates import RateReading, rate_observables
from ivigsim.io.sbml.rate_rules import RateRuleReader, clock_reactions, model_clock
from ivigsim.io.sbml.mathml import MathReader, normalised
from ivigsim.io.sbml.model_file import DoseRecord, ModelRecord, ParameterRecord, model_file_text
from ivigsim.io.sbml.units import read_sbml_unit, unit_text
from ivigsim.core.spec import TIME_UNIT, load_model_file
from ivigsim.core.units import DIMENSIONLESS, UnitError, parse_unit

DEFAULT_UNIT_ROLES = ("time", "substance", "volume")
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Packages that only describe how a network is drawn (libSBML also adds 'layout'
# when it converts a Level 2 file to Level 3).
_DRAWING_PACKAGES = ("layout", "render")


def import_sbml(path_in, path_out=None, name=None, default_units=None, units=None, reaction_rates=False):
    """Convert an SBML model into the text of an ivigsim model file.

    Parameters
    ----------
    path_in : str or path
        The SBML file (any level and version libSBML reads).
    path_out : str or path, optional
        Where to write the model file; the text is returned either way.
    name : str, optional
        The model's name (default: from the SBML).
    default_units : dict, optional
        Unit strings for model-level units the SBML leaves undeclared:
        ``{"time": "min", "substance": "nmol", "volume": "L"}``. Declared
        units always win. (The size of a 1- or 2-dimensional compartment
        without declared units makes the import unchecked.)
    units : dict, optional
        Unit strings for parameters, by SBML id (``"reaction_id.local_id"`` for
        a local parameter): for those the SBML does not declare, or declares
        wrongly.
    reaction_rates : bool, optional
        Give every reaction's rate an observable named after the reaction
        (in amount per model time unit). Without it, only reactions whose rate
        the model's math uses as a value get one.

    Returns
    -------
    str
        The model file; it has been loaded and validated by ivigsim.

    Raises
    ------
    IvigsimError
        If the SBML uses something ivigsim cannot represent, or its units do
        not fit together; the message names the file and the element.
    """
    return import_sbml_names(path_in, path_out, name, default_units, units, reaction_rates)[0]


def import_sbml_names(path_in, path_out=None, name=None, default_units=None, units=None, reaction_rates=False):
    """:func:`import_sbml`, also returning where each SBML id went.

    Returns
    -------
    text : str
        The model file, as :func:`import_sbml` returns it.
    names : dict
        SBML id -> the ivigsim name of the species, parameter or compartment
        (most keep their id; ids that are not valid names are renamed).
    """
    libsbml = require_libsbml()
    path_in = Path(path_in)
    if path_out is not None:
        check_output_file(path_out)
    _check_entities(path_in)
    try:
        reader = _Importer(libsbml, path_in, libsbml.readSBMLFromFile(str(path_in)), default_units or {},
                           units or {}, reaction_rates=reaction_rates)
        record = reader.run(name)
    except UnitsRefusal as exc:
        # Most published SBML declares few units: import the numbers as written, unchecked.
        warnings.warn(f"{path_in}: imported with units = \"unchecked\" (dimension checks skipped, so a wrong "
                      f"unit is not caught): {exc}", UserWarning, stacklevel=3)
        reader = _Importer(libsbml, path_in, libsbml.readSBMLFromFile(str(path_in)), default_units or {},
                           units or {}, unchecked=True, reaction_rates=reaction_rates)
        record = reader.run(name)
        record.units = "unchecked"
        record.notes.insert(1, f"Units are unchecked: {str(exc).removeprefix(f'{path_in.name}: ')}")
    text = model_file_text(record)
    _validate(text, path_in, path_out)
    return text, dict(reader.names)


def _validate(text, path_in, path_out):
    """Load the model file with the model-file checks, then (only if it passes) write it.

    The text goes to a temporary file beside ``path_out`` and is renamed over
    it once it validates, so a failed import leaves an existing file as it was.
    """
    def check(target):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")          # an unchecked import has warned already
                load_model_file(target)
        except IvigsimError as exc:
            raise IvigsimError(f"{path_in}: the model imported from it does not validate: {exc}") from None

    if path_out is not None:
        try:
            with atomic_path(path_out) as tmp:
                tmp.write_text(text, encoding="utf-8")
                check(tmp)
        except OSError as exc:
            raise IvigsimError(f"cannot write {path_out}: {exc.strerror or exc}") from None
        return
    handle = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False, encoding="utf-8")
    with handle:
        handle.write(text)
    try:
        check(Path(handle.name))
    finally:
        Path(handle.name).unlink()


_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}
_ENTITY_REF = re.compile(rb"&([A-Za-z_][A-Za-z0-9_.-]*);")


def _check_entities(path):
    """Refuse entity declarations (expansion bombs); warn about entities that are not resolved.

    ivigsim reads no document type definition, so an entity other than the
    five of XML itself (``&amp;`` ...) has no text; libsbml drops it.
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise IvigsimError(f"{path}: not a readable SBML file: file not found") from None
    except OSError as exc:
        raise IvigsimError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    at = data.find(b"<!ENTITY")
    if at >= 0:
        line = data.count(b"\n", 0, at) + 1
        raise IvigsimError(f"{path}: line {line}: the file declares XML entities (<!ENTITY ...>); ivigsim "
                           f"does not expand them (an entity can expand to gigabytes); write their "
                           f"text into the file instead")
    unknown = sorted({m.group(1).decode("ascii") for m in _ENTITY_REF.finditer(data)} - _XML_ENTITIES)
    if unknown:
        warnings.warn(f"{path}: the XML entit{'y' if len(unknown) == 1 else 'ies'} "
                      f"{', '.join('&' + u + ';' for u in unknown[:5])} "
                      f"{'is' if len(unknown) == 1 else 'are'} not resolved (no DTD is read) and "
                      f"{'is' if len(unknown) == 1 else 'are'} refused or left out of the text", UserWarning,
                      stacklevel=3)


def check_output_file(path, option="OUT"):
    """Refuse an output path that is a directory or lies in a missing directory."""
    path = Path(path)
    if path.is_dir():
        raise IvigsimError(f"{option} {path} is a directory; give a file name, e.g. {path / 'model.toml'}")
    if not path.parent.is_dir():
        raise IvigsimError(f"{option} {path}: the directory {path.parent} does not exist")
    return path


class UnitsRefusal(IvigsimError):
    """The SBML's units do not fit together or cannot be worked out (the model may import unchecked)."""


class _Importer(QuantityReading, RateReading):
    """Reads one SBML document into a :class:`~ivigsim.io.sbml.model_file.ModelRecord`."""

    def __init__(self, libsbml, path, document, default_units, units, unchecked=False, reaction_rates=False):
        self.sb = libsbml
        self.reaction_rates = reaction_rates
        self.unchecked = unchecked
        self.undeclared = set()        # ivigsim names of parameters whose units the SBML leaves out
        self.path = path
        self.file = path.name
        self.document = document
        self.default_units = default_units
        self.unit_overrides = dict(units)
        self.names = {}                # SBML id -> ivigsim name
        self.taken = set()
        self.unit_of = {}              # ivigsim name -> Unit
        self.unit_hint = {}            # ivigsim name -> preferred unit text
        self.values = {}               # ivigsim name -> number (parameters, sizes, initial values)
        self.params = {}               # ivigsim name -> ParameterRecord (unit filled in later)
        self.notes = []
        self.equations = []            # (node, unit it must have, element)
        self.rules = {}                # SBML id -> assignment rule math
        self.expanded = {}             # SBML id -> inlined node of its assignment rule
        self.expanding = []            # assignment rules being inlined, outermost first
        self.time_names = set()        # the clock that stands for the simulation time, once read
        self.delay_read = None         # where the first delay() was read
        self.timed_initial = []        # SBML ids whose initial assignment reads the time

    # --- messages and names ----------------------------------------------
    def where(self, kind, sbml_id):
        return f"{self.file}: {kind} '{sbml_id}'"

    def fail(self, kind, sbml_id, message):
        raise IvigsimError(f"{self.where(kind, sbml_id)}: {message}")

    def unit_fail(self, kind, sbml_id, message, node=None):
        """A units problem: the model is imported again with units unchecked, and a warning says why.

        SBML simulators give units no part in the numbers, and most published
        files declare units that do not fit together; the warning (and a note
        in the model file) keeps what was found. ``node`` is the expression at
        fault, kept for the message's caller.
        """
        if not self.unchecked:
            raise UnitsRefusal(f"{self.where(kind, sbml_id)}: {message}")

    def claim(self, sbml_id, wanted=None):
        """A valid, unused ivigsim name for an SBML id (its own id when it can be)."""
        base = wanted or sbml_id
        base = re.sub(r"[^A-Za-z0-9_]", "_", base)
        if not _NAME_RE.match(base):
            base = f"x{base.lstrip('_')}" if base.lstrip("_") else "x"
            base = base if _NAME_RE.match(base) else f"x_{base}"
        if keyword.iskeyword(base) or base in FUNCTIONS or base in ("True", "False", "None", "time"):
            base = f"{base}_"
        name, n = base, 2
        while name in self.taken:
            name, n = f"{base}_{n}", n + 1
        self.taken.add(name)
        if sbml_id is not None:
            self.names[sbml_id] = name
            if name != sbml_id:
                self.notes.append(f"SBML id '{sbml_id}' is named '{name}' here.")
        return name

    # --- entry point -------------------------------------------------------
    def run(self, name):
        self.model = self._open()
        reduce_fast_reactions(self)
        reduce_algebraic_rules(self)
        self._refuse_unsupported()
        self.annotation = ann.read(self.model)
        self._model_units()
        self.functions = {f.getId(): f.getMath() for f in self.model.getListOfFunctionDefinitions()}
        self.rules = {r.getVariable(): r.getMath() for r in self.model.getListOfRules()
                      if r.isAssignment() and r.isSetMath()}
        self.rate_rules = {r.getVariable(): r.getMath() for r in self.model.getListOfRules()
                           if r.isRate() and r.isSetMath()}
        for r in self.model.getListOfRules():
            if not r.isSetMath() and not r.isAlgebraic():
                # SBML Level 3 Version 2: a rule without math sets nothing
                self.notes.append(f"The rule for '{r.getVariable()}' has no math and was left out.")
        self.event_assigned = set()
        event_states(self)
        self.varying = {c.getId() for c in self.model.getListOfCompartments()
                        if c.getId() in self.rules or c.getId() in self.rate_rules}
        self._classify_species()
        self._claim_names()
        self._read_compartments()
        self._read_parameters()
        self._read_species()
        self._initial_assignments()
        self._fixed_stoichiometries()
        reactions = [self._read_reaction(r) for r in self.model.getListOfReactions() if not ann.is_dosing(r)]
        reactions += [RateRuleReader(self, var) for var in self.rate_rules]
        if not self.species:
            model_clock(self)          # nothing else changes in time: the clock is the one state
        observables = [self._read_rule(var) for var in self.rules]
        events = read_events(self)
        self._settle_units()
        finish_events(self, events)         # after the units: values checked against their targets
        rates = rate_observables(self, self.reaction_rates)
        record = ModelRecord(name=self._model_name(name), description=self._description(),
                             references=self._references(),
                             initial_state=(self.annotation.get("initial_state", "initial")
                                            if self.annotation and self.annotation.kind == "model" else "initial"))
        record.compartments = self.compartments
        record.species = self.species
        record.reactions = [rx for group in reactions for rx in group.finish(self)] + clock_reactions(self)
        record.observables = [o.finish(self) for o in observables] + rates
        record.mechanisms = dict(self.mechanism_text)
        for rx in record.reactions:
            record.mechanisms.setdefault(rx.mechanism, f"SBML reaction '{rx.name}' (switch it off to remove it)")
        if not record.reactions:
            self.fail("model", self.model.getId(), "it has no reactions; an ivigsim model needs at least one")
        record.parameters = list(self.params.values())
        record.doses = self._doses(record)
        record.events = events
        record.notes = [f"Imported from the SBML file {self.file} by ivigsim.import_sbml.",
                        "Parameter bounds not given in the file are value/100 to value*100 ([0, 1] for zero)."
                        ] + self.notes
        return record

    def _open(self):
        doc = self.document
        for i in range(doc.getNumErrors()):
            err = doc.getError(i)
            if err.getSeverity() >= self.sb.LIBSBML_SEV_ERROR:
                raise IvigsimError(f"{self.path}: not a readable SBML file: line {err.getLine()}: "
                                   f"{err.getMessage().strip()}")
        if doc.getModel() is None:
            raise IvigsimError(f"{self.path}: the SBML document has no model")
        if doc.isPackageEnabled("comp"):
            # hierarchical submodels: libSBML's flattening gives the one model they describe
            props = self.sb.ConversionProperties()
            props.addOption("flatten comp", True)
            if doc.convert(props) != self.sb.LIBSBML_OPERATION_SUCCESS:
                errors = "; ".join(doc.getError(i).getMessage().strip() for i in range(doc.getNumErrors())
                                   if doc.getError(i).getSeverity() >= self.sb.LIBSBML_SEV_ERROR)
                raise IvigsimError(f"{self.path}: its submodels (SBML package comp) cannot be flattened into "
                                   f"one model: {errors or 'libSBML gives no reason'}")
            self.notes.append("The submodels of this hierarchical model (SBML package comp) were flattened "
                              "into one model.")
            if doc.getModel() is None:
                raise IvigsimError(f"{self.path}: the SBML document has no model once its submodels are flattened")
        # Level 3 Version 2 has no fast attribute, and the conversion drops it
        self.fast_reactions = {r.getId() for r in doc.getModel().getListOfReactions() if r.getFast()}
        if doc.getLevel() < 3 and not doc.setLevelAndVersion(3, 2, False):
            raise IvigsimError(f"{self.path}: this SBML Level {doc.getLevel()} model cannot be converted "
                               f"to Level 3, which the importer reads")
        return doc.getModel()

    # --- what is refused ----------------------------------------------------
    def _refuse_unsupported(self):
        m, doc = self.model, self.document
        namespaces = doc.getNamespaces()
        for i in range(namespaces.getNumNamespaces()):
            uri, package = namespaces.getURI(i), namespaces.getPrefix(i)
            if package in _DRAWING_PACKAGES:
                # how the network is drawn; nothing in them changes the simulation
                self.notes.append(f"The SBML package '{package}' (a drawing of the network) was ignored.")
                continue
            if package and uri != doc.getSBMLNamespaces().getURI() and doc.getPackageRequired(package):
                self.fail("model", m.getId(), f"it requires the SBML package '{package}', which ivigsim "
                                              f"does not support")
        for c in m.getListOfConstraints():
            self.fail("constraint", c.getMetaId() or "(no id)", "constraints are not supported")
        for r in m.getListOfReactions():
            refs = list(r.getListOfReactants()) + list(r.getListOfProducts())
            for ref in refs:
                if not ref.isSetStoichiometry() and not (ref.isSetId() and ref.getId() in self.rules_or_assigned()):
                    self.fail("reaction", r.getId(), f"the stoichiometry of '{ref.getSpecies()}' is not set")

    def _is_reference(self, sbml_id):
        element = self.model.getElementBySId(sbml_id)
        return element is not None and element.getTypeCode() == self.sb.SBML_SPECIES_REFERENCE

    def constant_math(self, ref_id):
        """The math that sets a stoichiometry once and for all, or None.

        Level 2 ``stoichiometryMath`` becomes an assignment rule when libSBML
        converts the file to Level 3, and Level 3 may set a stoichiometry by an
        initial assignment. When that math uses only constant parameters and
        compartments, the stoichiometry is a number, worked out at import.
        """
        m = self.model
        found = [r.getMath() for r in m.getListOfRules() if r.isAssignment() and r.getVariable() == ref_id]
        found += [a.getMath() for a in m.getListOfInitialAssignments() if a.getSymbol() == ref_id]
        if len(found) != 1 or found[0] is None or any(r.isRate() and r.getVariable() == ref_id
                                                      for r in m.getListOfRules()):
            return None
        math = found[0]
        stack = [math]
        while stack:
            node = stack.pop()
            if node.getType() in (self.sb.AST_NAME_TIME, self.sb.AST_FUNCTION_DELAY) or \
                    node.getType() == getattr(self.sb, "AST_FUNCTION_RATE_OF", -1):
                return None
            if node.getType() == self.sb.AST_NAME:
                element = m.getElementBySId(node.getName())
                if element is None or element.getTypeCode() not in (self.sb.SBML_PARAMETER,
                                                                     self.sb.SBML_COMPARTMENT) \
                        or not element.getConstant() or node.getName() in self.rules_or_assigned():
                    return None
            if node.getType() == self.sb.AST_FUNCTION:
                return None                      # a call of a function definition: not worth proving
            stack += [node.getChild(i) for i in range(node.getNumChildren())]
        return math

    def _fixed_stoichiometries(self):
        """Set each stoichiometry that :meth:`constant_math` fixes to its value."""
        for r in self.model.getListOfReactions():
            for ref in list(r.getListOfReactants()) + list(r.getListOfProducts()):
                math = self.constant_math(ref.getId()) if ref.isSetId() else None
                if math is None:
                    continue
                node = self.read_math(math, "stoichiometry in reaction", r.getId())
                try:
                    value = evaluate(node, self.values)
                except (ExpressionError, KeyError) as exc:
                    self.fail("reaction", r.getId(), f"the stoichiometry of '{ref.getSpecies()}' cannot be "
                                                     f"worked out: {exc}")
                ref.setStoichiometry(value)
                self.notes.append(f"The stoichiometry of '{ref.getSpecies()}' in reaction '{r.getId()}' is "
                                  f"{value:g}, worked out at import from constant values.")

    def rules_or_assigned(self):
        return {r.getVariable() for r in self.model.getListOfRules()} | \
            {a.getSymbol() for a in self.model.getListOfInitialAssignments()}

    # --- units ----------------------------------------------------------------
    def _role_unit(self, role, attribute, kind, sbml_id):
        """Unit of a model-level role (time, substance, volume), declared or from default_units."""
        if attribute:
            unit, hint = read_sbml_unit(self.model, attribute, self.where(kind, sbml_id))
            return unit, hint
        if role in self.default_units:
            try:
                return parse_unit(self.default_units[role]), self.default_units[role]
            except UnitError as exc:
                raise IvigsimError(f"default_units['{role}']: {exc}") from None
        self.fail(kind, sbml_id, f"no {role} unit is declared; give one, e.g. "
                                 f"import_sbml(..., default_units={{'{role}': '{_EXAMPLE[role]}'}})")

    def _model_units(self):
        m = self.model
        unknown = set(self.default_units) - set(DEFAULT_UNIT_ROLES)
        if unknown:
            raise IvigsimError(f"default_units: unknown role(s) {sorted(unknown)}; "
                               f"known: {', '.join(DEFAULT_UNIT_ROLES)}")
        self.time_unit, self.time_hint = self._role_unit("time", m.getTimeUnits(), "model", m.getId())
        if not self.time_unit.same_dimension(TIME_UNIT):
            self.fail("model", m.getId(), f"the time unit {self.time_unit} is not a time")

    def _substance(self, s):
        ref = s.getSubstanceUnits() or self.model.getSubstanceUnits()
        return self._role_unit("substance", ref, "species", s.getId())

    def _compartment_unit(self, c):
        dims = c.getSpatialDimensionsAsDouble() if c.isSetSpatialDimensions() else 3.0
        if c.isSetUnits():
            return read_sbml_unit(self.model, c.getUnits(), self.where("compartment", c.getId()))
        if dims == 0:
            return DIMENSIONLESS, "1"
        if dims == 3:
            return self._role_unit("volume", self.model.getVolumeUnits(), "compartment", c.getId())
        role = {1.0: "length", 2.0: "area"}.get(dims)
        declared = {"length": self.model.getLengthUnits(), "area": self.model.getAreaUnits()}.get(role)
        if declared:
            return read_sbml_unit(self.model, declared, self.where("compartment", c.getId()))
        # a size with no unit to check it by: its species' values are taken as written
        self.unit_fail("compartment", c.getId(), f"its size ({dims:g} dimensions) has no declared unit")
        return DIMENSIONLESS, "1"

    # --- classification and names ------------------------------------------
    def dynamic_by_reactions(self):
        """The species that reactions change (not boundary, constant or set by an assignment rule)."""
        changed = set()
        for r in self.model.getListOfReactions():
            if ann.is_dosing(r):
                continue
            for ref in list(r.getListOfReactants()) + list(r.getListOfProducts()):
                # a stoichiometry of 0 that a rule, an event or an initial assignment may change
                # (SBML Test Suite 01563: rate rules from 0) still makes its species a state
                settable = ref.isSetId() and (not ref.getConstant()
                                              or self.model.getInitialAssignmentBySymbol(ref.getId()) is not None)
                if ref.getStoichiometry() != 0 or settable:
                    changed.add(ref.getSpecies())
        return {s.getId() for s in self.model.getListOfSpecies()
                if s.getId() in changed and not s.getBoundaryCondition() and not s.getConstant()
                and s.getId() not in self.rules}

    def _classify_species(self):
        self.dynamic = self.dynamic_by_reactions()
        self.dynamic |= {s.getId() for s in self.model.getListOfSpecies() if s.getId() in self.rate_rules}

    def _claim_names(self):
        m = self.model
        for group in (m.getListOfCompartments(), m.getListOfSpecies(), m.getListOfParameters()):
            for element in group:
                if not ann.is_dosing(element):
                    self.claim(element.getId())
        for r in m.getListOfReactions():
            if not ann.is_dosing(r):
                for ref in list(r.getListOfReactants()) + list(r.getListOfProducts()):
                    if ref.isSetId() and ref.getId() not in self.names:
                        self.claim(ref.getId())
        self.reaction_taken = set()
        self.reaction_names = {}
        for r in m.getListOfReactions():
            if not ann.is_dosing(r):
                note = ann.read(r)
                wanted = note.get("name") if note is not None and note.kind == "reaction" else None
                self.reaction_names[r.getId()] = self.reaction_name(wanted or r.getId())

    def reaction_name(self, wanted):
        """A valid reaction name not used by another reaction (reactions have their own namespace)."""
        base = re.sub(r"[^A-Za-z0-9_]", "_", wanted).lstrip("_") or "reaction"
        base = base if _NAME_RE.match(base) else f"r_{base}"
        name, n = base, 2
        while name in self.reaction_taken:
            name, n = f"{base}_{n}", n + 1
        self.reaction_taken.add(name)
        return name

    def time_conversion(self):
        """The time conversion parameter's name, or None when the SBML time unit is the day."""
        if not hasattr(self, "_time_conversion"):
            from ivigsim.io.sbml.reactions import time_conversion_parameter
            self._time_conversion = time_conversion_parameter(self)
        return self._time_conversion

    # --- reading math ---------------------------------------------------------
    def reader(self, local=None):
        local = local or {}

        def resolve(sbml_id, where):
            if sbml_id in local:
                return local[sbml_id]
            return self.resolve(sbml_id, where)

        def rate_of(sbml_id, where):
            # a local parameter is constant by definition (and hides a global of the same id)
            return Num(0.0) if sbml_id in local else self.rate_of(sbml_id, where)

        reader = MathReader(self.functions, resolve, self.literal, lambda where: Sym(model_clock(self)),
                            rate_of, self.delay)
        reader.time_names = self.time_names        # shared, so a rule of the time counts as the time too
        return reader

    def delay(self, x, tau, where, x_math=None):
        """``delay(x, tau)`` with ``tau`` in days (SBML's is in model time units).

        The kernel reads the past at the time a clock holds, so the model gets
        its clock here (see :mod:`ivigsim.core.kernel.delays`). Before the
        start the kernel's past is the initial state; three SBML readings of the
        past before the start differ from that and are refused: the rate of a
        quantity (``rateOf``, which SBML takes as 0 there), an initial
        assignment that reads the time (which SBML evaluates at ``t - tau``) and
        a model with fast reactions (whose past is before their equilibrium).
        """
        if self.fast_reactions:
            raise IvigsimError(f"{where}: delay() in a model with fast reactions is not supported (SBML's "
                               "past before the start is the state before the fast reactions reach their "
                               "equilibrium, while ivigsim's is the equilibrated initial state)")
        if x_math is not None and self._reads_rate_of(x_math):
            raise IvigsimError(f"{where}: delay() of a rateOf() is not supported (SBML takes the rate "
                               "before the start as 0, while ivigsim's past there is the initial state)")
        self.delay_read = self.delay_read or where
        self.check_delay_history()
        model_clock(self)
        conversion = self.time_conversion()
        if conversion is None:
            return Call("delay", (x, tau))
        if isinstance(tau, Num):        # a bare number is in model time units: a number of days too
            return Call("delay", (x, Num(tau.value / self.params[conversion].value)))
        return Call("delay", (x, BinOp("/", tau, Sym(conversion))))

    def check_delay_history(self):
        """Refuse a delay() in a model whose initial assignments read the time (see :meth:`delay`)."""
        if self.delay_read and self.timed_initial:
            self.fail("initial assignment", self.timed_initial[0],
                      f"it reads the time, and {self.delay_read} reads delay(): SBML takes the past "
                      "before the start from this assignment, at t - tau, which ivigsim does not support "
                      "(its past before the start is the initial state)")

    def _reads_rate_of(self, ast, seen=()):
        """Whether MathML ``ast`` reads ``rateOf``, directly or through assignment rules."""
        if ast is None:
            return False
        if ast.getType() == self.sb.AST_FUNCTION_RATE_OF:
            return True
        name = ast.getName() if ast.getType() == self.sb.AST_NAME else None
        if name in self.rules and name not in seen and self._reads_rate_of(self.rules[name], (*seen, name)):
            return True
        return any(self._reads_rate_of(ast.getChild(i), seen) for i in range(ast.getNumChildren()))

    def read_math(self, ast, kind, sbml_id, local=None):
        self.context = sbml_id
        return self.reader(local).read(ast, self.where(kind, sbml_id))

    def resolve(self, sbml_id, where):
        """The node an SBML id stands for in math."""
        m = self.model
        if sbml_id in self.rules:
            if sbml_id in self.expanding:
                cycle = self.expanding[self.expanding.index(sbml_id):] + [sbml_id]
                raise IvigsimError(f"{self.where('assignment rule', sbml_id)}: the assignment rules form a cycle, "
                                   f"{' -> '.join(cycle)}; each must be computable from the others")
            if sbml_id not in self.expanded:
                self.expanding.append(sbml_id)
                context = getattr(self, "context", None)
                try:
                    self.expanded[sbml_id] = self.read_math(self.rules[sbml_id], "assignment rule", sbml_id)
                finally:
                    self.expanding.pop()
                    self.context = context
            return self.expanded[sbml_id]
        if self._is_reference(sbml_id) and sbml_id not in self.rate_rules:
            return self.stoichiometry(m.getElementBySId(sbml_id))
        species = m.getSpecies(sbml_id)
        if species is not None and self.amount_held(species):
            return BinOp("/", Sym(self.names[sbml_id]), self.resolve(species.getCompartment(), where))
        if species is not None and sbml_id in self.dynamic and species.getCompartment() in self.varying:
            # held as an amount: its concentration is the amount over the size of the moment
            amount = Sym(self.names[sbml_id])
            return amount if species.getHasOnlySubstanceUnits() else \
                BinOp("/", amount, self.resolve(species.getCompartment(), where))
        if species is not None and sbml_id in self.dynamic and self.amount_differs(species):
            return BinOp("*", Sym(self.names[sbml_id]), Sym(self.names[species.getCompartment()]))
        if sbml_id in self.names:
            return Sym(self.names[sbml_id])
        if m.getReaction(sbml_id) is not None:
            return self.reaction_rate(sbml_id, where)
        raise IvigsimError(f"{where}: unknown symbol '{sbml_id}'")

    def as_written(self, note, key, node):
        """The expression an ivigsim annotation records, if it is the same MathML as ``node``.

        Exports expand ``hill`` and ``mm`` and libSBML regroups products; the
        recorded text keeps the model's own form. Anything edited since the
        export no longer matches, and then the MathML is what counts.
        """
        text = note.get(key) if note is not None else None
        if not text:
            return node
        try:
            written = parse_expression(text)
        except ExpressionError:
            return node
        return written if normalised(written) == node else node

    def amount_differs(self, species):
        """Whether a species the SBML counts in amounts is not also its concentration.

        In a compartment of dimensionless size 1 (one that only holds amounts)
        the two are the same number in the same unit.
        """
        if not species.getHasOnlySubstanceUnits() or species.getCompartment() in self.varying:
            return False
        comp = self.model.getCompartment(species.getCompartment())
        fixed = comp.getId() not in self.rules_or_assigned()
        return not (fixed and comp.isSetSize() and comp.getSize() == 1.0
                    and self.unit_of.get(self.names[comp.getId()]) == DIMENSIONLESS)

    def literal(self, value, units, where):
        if not units or units == "dimensionless":
            return Num(float(value))
        unit, hint = read_sbml_unit(self.model, units, where)
        if unit == DIMENSIONLESS:
            return Num(float(value))
        name = self.claim(None, f"{self.context}_constant")
        self.params[name] = ParameterRecord(name, float(value), unit_text(unit, hint),
                                            f"a number with units in {where}")
        self.unit_of[name] = unit
        self.values[name] = float(value)
        return Sym(name)

    def _read_reaction(self, r):
        from ivigsim.io.sbml.reactions import ReactionReader
        return ReactionReader(self, r)

    def _read_rule(self, var):
        from ivigsim.io.sbml.reactions import RuleReader
        return RuleReader(self, var)

    # --- units: inference and the finished tables ---------------------------------
    def _settle_units(self):
        for key in self.unit_overrides:
            raise IvigsimError(f"units: '{key}' is not a parameter of {self.file}")
        known = dict(self.unit_of)
        origin = infer_units(self.equations, known)
        for name, element in origin.items():
            self.unit_of[name] = known[name]
            if name in self.params:
                self.params[name].source += f"; unit inferred from {element}"
        missing = [p.name for p in self.params.values() if p.name not in self.unit_of
                   and p.name in self.used_symbols()]
        if missing and not self.unchecked:
            example = ", ".join(f"'{n}': '...'" for n in missing[:3])
            raise UnitsRefusal(f"{self.file}: the units of parameter(s) {', '.join(missing)} are not declared "
                               f"and cannot be inferred from the equations; give them: "
                               f"import_sbml(..., units={{{example}}})")
        for p in self.params.values():
            unit = self.unit_of.setdefault(p.name, DIMENSIONLESS)
            p.unit = unit_text(unit, self.unit_hint.get(p.name))
        for c in self.compartments:
            c.volume = self._volume(c)
        for s in self.species:
            s.initial = self._initial(s)

    def used_symbols(self):
        """Every symbol of a kinetic law, assignment rule or initial assignment."""
        used = set()
        for node, _, _ in self.equations:
            used |= symbols(node)
        return used

    def unit_check(self, node):
        try:
            return infer_unit(node, self.unit_of.__getitem__)
        except (UnitError, KeyError):
            return None

    # --- header ---------------------------------------------------------------
    def _model_name(self, name):
        if name is not None:
            if not _NAME_RE.match(name):
                raise IvigsimError(f"name '{name}' is not valid (letters, digits and _, starting with a letter)")
            return name
        if self.annotation is not None and self.annotation.kind == "model" and self.annotation.get("name"):
            return self.annotation.get("name")
        candidate = re.sub(r"[^A-Za-z0-9_]", "_", self.model.getId() or self.path.stem).strip("_")
        return candidate if _NAME_RE.match(candidate) else f"sbml_{candidate or 'model'}"

    def _description(self):
        text = self.model.getName() or self.model.getId()
        return f"{text} (imported from SBML)" if text else "imported from SBML"

    def _references(self):
        if self.annotation is not None and self.annotation.kind == "model":
            refs = [c.get("text") for c in self.annotation.children if c.kind == "reference"]
            if refs:
                return refs
        refs = []
        for i in range(self.model.getNumCVTerms()):
            term = self.model.getCVTerm(i)
            if term.getModelQualifierType() == self.sb.BQM_IS_DESCRIBED_BY or \
                    term.getBiologicalQualifierType() == self.sb.BQB_IS_DESCRIBED_BY:
                refs += [term.getResourceURI(k) for k in range(term.getNumResources())]
        return refs

    def _doses(self, record):
        """The [doses] table an ivigsim export carries in its annotation, if it still fits."""
        if self.annotation is None or self.annotation.kind != "model":
            return []
        species = {s.name for s in record.species}
        known = set(self.params) | {c.name for c in self.compartments}
        doses = []
        for d in self.annotation.children:
            if d.kind != "dose":
                continue
            try:
                routes = {}
                for route in d.children:
                    targets = routes.setdefault(route.get("name"), {})
                    targets[route.get("species")] = parse_expression(route.get("fraction"))
                mpa = parse_expression(d.get("mass_per_amount"))
            except ExpressionError:
                routes, mpa = {}, None
            nodes = [mpa] + [f for t in routes.values() for f in t.values()]
            if routes and all(s in species for t in routes.values() for s in t) and \
                    all(symbols(n) <= known for n in nodes):
                doses.append(DoseRecord(d.get("product"), routes, mpa))
            else:
                self.notes.append(f"The dose table for '{d.get('product')}' was dropped: its species or "
                                  f"parameters did not survive the import.")
        return doses


_EXAMPLE = {"time": "day", "substance": "umol", "volume": "L"}
