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

from ivigsim.core._spec_reader import TableReader, read_toml
from ivigsim.core._spec_tables import load_model_file
from ivigsim.core._spec_types import (
    BODY_WEIGHT,
    TIME_UNIT,
    Compartment,
    DoseTarget,
    ModelSpec,
    Observable,
    Parameter,
    Reaction,
    Species,
)

__all__ = [
    "BODY_WEIGHT",
    "TIME_UNIT",
    "Compartment",
    "DoseTarget",
    "ModelSpec",
    "Observable",
    "Parameter",
    "Reaction",
    "Species",
    "TableReader",
    "load_model_file",
    "read_toml",
]
