"""Reading the values of an experiment file, failing with the file and the key.

Internal to :mod:`ivigsim.sweep.experiment`.
"""

from __future__ import annotations

import difflib
import math

from ivigsim.core.regimen import MAX_BODY_WEIGHT_KG
from ivigsim.core.spec import BODY_WEIGHT, ModelSpec
from ivigsim.core.spec import _Reader as _ModelReader
from ivigsim.sweep._experiment_types import BODY_WEIGHT_VARIABLE, NAME_RE, ExperimentFileError

# ---------------------------------------------------------------------------
# Reading values, failing with file and key
# ---------------------------------------------------------------------------


def did_you_mean(name: str, candidates) -> str:
    match = difflib.get_close_matches(name, list(candidates), n=1)
    return f" (did you mean '{match[0]}'?)" if match else ""


class Reader(_ModelReader):
    """The model-file reader, raising ExperimentFileError; tables are optional by default."""

    error = ExperimentFileError

    def table(self, data: dict, key: str, required: bool = False) -> dict:
        return super().table(data, key, required)

    def fields(self, entry, key: str, allowed, required=(), context: str = "") -> None:
        if not isinstance(entry, dict):
            self.fail(key, f"expected a table of fields, got {entry!r}")
        # Unknown fields first: a misspelt required field gets a "did you mean".
        for k in entry:
            if k not in allowed:
                where = f"{key}.{k}" if key else k
                self.fail(where, f"unknown field{did_you_mean(k, allowed)}{context}; "
                                 f"allowed: {', '.join(allowed)}")
        for k in required:
            if k not in entry:
                self.fail(f"{key}.{k}" if key else k, "this field is required")

    def text(self, value, key: str) -> str:
        if not isinstance(value, str):
            self.fail(key, f"expected text, got {value!r}")
        return value

    def identifier(self, name, key: str) -> str:
        if not isinstance(name, str) or not NAME_RE.match(name):
            self.fail(key, f"{name!r} is not a valid name (letters, digits and _, "
                           "starting with a letter)")
        return name

    def choice(self, value, key: str, options) -> str:
        if value not in options:
            hint = did_you_mean(value, options) if isinstance(value, str) else ""
            self.fail(key, f"unknown value {value!r}{hint}; expected one of {', '.join(options)}")
        return value

    def number(self, value, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(key, f"expected a number, got {value!r}")
        if not math.isfinite(value):
            self.fail(key, f"expected a finite number, got {value!r}")
        return float(value)

    def positive(self, value, key: str) -> float:
        number = self.number(value, key)
        if number <= 0.0:
            self.fail(key, f"expected a number > 0, got {value!r}")
        return number

    def integer(self, value, key: str, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"expected a whole number >= {minimum}, got {value!r}")
        if value < minimum:
            self.fail(key, f"expected a whole number >= {minimum}, got {value!r}")
        return value

    def parameter(self, name: str, key: str, model: ModelSpec) -> str:
        if name == BODY_WEIGHT and BODY_WEIGHT in model.parameter_names:
            self.fail(key, f"set the body weight with '{BODY_WEIGHT_VARIABLE}' ([experiment] "
                           "or a sweep variable): it also converts per-kg doses to grams")
        if name not in model.parameter_names:
            self.fail(key, f"model '{model.name}' has no parameter '{name}'"
                           f"{did_you_mean(name, model.parameter_names)}")
        return name

    def in_bounds(self, value: float, key: str, model: ModelSpec, name: str) -> None:
        low, high = model.parameters[model.parameter_index(name)].bounds
        if value < low:
            self.fail(key, f"{value:g} is below the lower bound {low:g} of parameter '{name}' "
                           f"in model '{model.name}'")
        if value > high:
            self.fail(key, f"{value:g} is above the upper bound {high:g} of parameter '{name}' "
                           f"in model '{model.name}'")

    def body_weight(self, value: float, key: str, model: ModelSpec) -> None:
        if not 0.0 < value <= MAX_BODY_WEIGHT_KG:
            self.fail(key, f"a body weight must be > 0 and <= {MAX_BODY_WEIGHT_KG:g} kg, "
                           f"got {value:g}")
        if BODY_WEIGHT in model.parameter_names:
            self.in_bounds(value, key, model, BODY_WEIGHT)

    def output(self, value, key: str, model: ModelSpec) -> str:
        name = self.text(value, key)
        known = model.observable_names + model.species_names
        if name not in known:
            self.fail(key, f"model '{model.name}' has no observable or species '{name}'"
                           f"{did_you_mean(name, known)}; observables: "
                           f"{', '.join(model.observable_names) or 'none'}")
        return name
