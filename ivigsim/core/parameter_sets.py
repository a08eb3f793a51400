"""Named parameter sets: the same equations with another species' (or population's) values.

A model file may carry, beside its own parameters, tables such as::

    [parameter_sets.mouse]
    description = "laboratory mouse (25 g)"
    references = ["..."]

    [parameter_sets.mouse.parameters.v_plasma]
    value = 0.05
    unit = "L/kg"
    bounds = [0.03, 0.08]
    source = "..."

Every entry replaces one declared parameter's value, bounds and source; its
unit may differ from the declared one if the dimension is the same (it is
converted). Parameters a set does not name keep the model's values. A set is
applied by name, ``load_model("fcrn_pk@mouse")`` or
``spec.with_parameter_set("mouse")``, everywhere a model name is accepted
(``simulate``, the CLI, experiment files and validation conditions). The
compiled kernel is shared: parameter values travel at run time.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass
from types import MappingProxyType

from ivigsim.errors import ModelFileError
from ivigsim.core.units import UnitError

__all__ = ["ParameterSet", "apply_parameter_set", "read_parameter_sets"]

SEPARATOR = "@"


@dataclass(frozen=True)
class ParameterSet:
    """One named set: its description, references and replacement parameters (declared units)."""

    name: str
    description: str
    references: tuple
    parameters: tuple        # of spec.Parameter, values and bounds in the model's declared units


def read_parameter_sets(reader, data, parameters):
    """Parse the ``[parameter_sets]`` tables of a model file (``reader`` fails with file and key)."""
    declared = {p.name: p for p in parameters}
    sets = {}
    for set_name, entry in reader.table(data, "parameter_sets", required=False).items():
        key = f"parameter_sets.{set_name}"
        reader.name(set_name, key)
        reader.check_keys(entry, key, ("description", "references", "parameters"),
                          required=("description", "parameters"))
        references = entry.get("references", [])
        if not (isinstance(references, list) and all(isinstance(r, str) for r in references)):
            reader.fail(f"{key}.references", "expected a list of citations (text)")
        table = entry["parameters"]
        if not isinstance(table, dict) or not table:
            reader.fail(f"{key}.parameters", "expected a table of parameter tables")
        replaced = []
        for pname, pentry in table.items():
            pkey = f"{key}.parameters.{pname}"
            if pname not in declared:
                hint = difflib.get_close_matches(pname, list(declared), n=1)
                more = f" (did you mean '{hint[0]}'?)" if hint else ""
                reader.fail(pkey, f"the model has no parameter '{pname}'{more}")
            value, low, high = reader.bounded_value(pentry, pkey)
            source = reader.text(pentry, pkey, "source")
            if not source.strip():
                reader.fail(f"{pkey}.source", "every parameter needs a source (a citation, or how it was derived)")
            unit, target = reader.unit(pentry, pkey), declared[pname].unit
            try:
                factor = unit.factor_to(target)
            except UnitError:
                reader.fail(f"{pkey}.unit", f"{unit} cannot be converted to the declared unit {target}")
            replaced.append(dataclasses.replace(declared[pname], value=value * factor,
                                                bounds=(low * factor, high * factor), source=source,
                                                description=pentry.get("description",
                                                                       declared[pname].description)))
        sets[set_name] = ParameterSet(set_name, reader.text(entry, key, "description"), tuple(references),
                                      tuple(replaced))
    return MappingProxyType(sets)


def apply_parameter_set(spec, name):
    """``spec`` with the values, bounds and sources of its parameter set ``name``.

    Raises
    ------
    ModelFileError
        If the model has no set of that name (the known sets are listed).
    """
    if spec.parameter_set:
        raise ModelFileError(spec.path, f"parameter_sets.{name}",
                             f"model '{spec.name}' already has parameter set '{spec.parameter_set}' applied")
    sets = spec.parameter_sets
    if name not in sets:
        hint = difflib.get_close_matches(name, list(sets), n=1)
        more = f" (did you mean '{hint[0]}'?)" if hint else ""
        known = ", ".join(sets) or "none"
        raise ModelFileError(spec.path, f"parameter_sets.{name}",
                             f"model '{spec.name}' has no parameter set '{name}'{more}; known: {known}")
    chosen = {p.name: p for p in sets[name].parameters}
    parameters = tuple(chosen.get(p.name, p) for p in spec.parameters)
    return dataclasses.replace(spec, parameters=parameters, parameter_set=name)
