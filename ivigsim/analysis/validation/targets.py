"""The published targets as data: ``validation/targets.toml``, read strictly.

One ``[[target]]`` table per published target: what the quantity is, its
published value and accepted range (or a direction), the conditions it is
computed under, the models it concerns, its source, the named check that
computes it and whether the current models are expected to reach it. Every
defect (an unknown or missing key, a range that is not ``[low, high]``, a
check that does not exist, a condition the check does not take, an unknown
model, an expected failure without a reason) raises
:class:`TargetFileError`, which names the file and the key.

The file is found like the model files: ``validation/`` beside the package
in a source checkout, ``ivigsim/_validation/`` inside an installed wheel.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ivigsim.core.catalogue import shipped_dir
from ivigsim.core.spec import read_toml
from ivigsim.errors import ModelFileError
from ivigsim.analysis.validation.registry import build_regimen, check_parameters, checks

__all__ = ["Criterion", "Target", "TargetFileError", "default_targets_path", "load_targets",
           "targets_for_model", "ModelTarget"]

TARGETS_FILE = "targets.toml"
OUTCOMES = ("pass", "fail")
_ID_RE = re.compile(r"^[A-Z]{2,3}-\d{2}$")
_TARGET_KEYS = ("id", "group", "quantity", "published", "value", "range", "unit", "direction",
                "range_basis", "output", "models", "source", "check", "conditions", "expected",
                "reason", "calibrated", "note", "also")
_TARGET_REQUIRED = ("id", "group", "quantity", "published", "output", "models", "source", "check",
                    "expected")
_CRITERION_KEYS = ("quantity", "output", "range", "unit", "direction", "range_basis")
_CRITERION_REQUIRED = ("quantity", "output")
_REGIMEN_CONDITIONS = ("regimen", "regimens")


class TargetFileError(ModelFileError):
    """The targets file is malformed: names the file, the key and what was expected."""


@dataclass(frozen=True)
class Criterion:
    """One condition a simulated value must meet.

    Either ``low <= value <= high`` in ``unit`` (``range`` given) or, for a
    qualitative target, a boolean value that must be true (``direction``).
    """

    quantity: str
    output: str
    low: float | None = None
    high: float | None = None
    unit: str = ""
    direction: str = ""
    range_basis: str = ""

    @property
    def is_direction(self):
        return self.low is None

    def describe_range(self):
        """The accepted range as text: ``"25–35 g/L"``, ``"≥ 0.343"``, or the direction."""
        if self.is_direction:
            return self.direction
        unit = f" {self.unit}" if self.unit not in ("", "1") else ""
        if math.isinf(self.high):
            return f"≥ {self.low:g}{unit}"
        if math.isinf(self.low):
            return f"≤ {self.high:g}{unit}"
        return f"{self.low:g}–{self.high:g}{unit}"


@dataclass(frozen=True)
class Target:
    """A published target: the primary criterion, further criteria, and how to compute them."""

    id: str
    group: str
    quantity: str
    published: str
    criterion: Criterion
    models: tuple
    source: str
    check: str
    conditions: dict
    expected: str
    reason: str = ""
    value: float | None = None
    calibrated: bool = False
    note: str = ""
    also: tuple = ()

    @property
    def criteria(self):
        """The primary criterion first, then the others."""
        return (self.criterion,) + self.also

    @property
    def unit(self):
        return self.criterion.unit


@dataclass(frozen=True)
class TargetSet:
    """Every target of a file, and the mechanism groups in report order."""

    path: str
    groups: dict                 # name -> description, in order
    targets: tuple

    def __iter__(self):
        return iter(self.targets)

    def __len__(self):
        return len(self.targets)

    def ids(self):
        return [t.id for t in self.targets]


class ModelTarget(NamedTuple):
    """``(id, quantity, expected, reason)`` of a target concerning one model."""

    id: str
    quantity: str
    expected: str
    reason: str


def default_targets_path():
    """``validation/targets.toml`` of the checkout, or of the installed package."""
    folder = shipped_dir("validation")
    if folder is None:
        raise TargetFileError("validation/" + TARGETS_FILE, "", "the targets file is not installed "
                              "(expected validation/ in a checkout or ivigsim/_validation/ in a wheel)")
    return folder / TARGETS_FILE


class _TargetReader:
    """Typed fields out of the targets file, failing with the file and the key."""

    def __init__(self, path):
        self.path = path

    def fail(self, key, message):
        raise TargetFileError(self.path, key, message)

    def keys(self, entry, key, allowed, required):
        if not isinstance(entry, dict):
            self.fail(key, f"expected a table, got {entry!r}")
        for k in required:
            if k not in entry:
                self.fail(f"{key}.{k}" if key else k, "this field is required")
        for k in entry:
            if k not in allowed:
                hint = difflib.get_close_matches(k, allowed, n=1)
                more = f" (did you mean '{hint[0]}'?)" if hint else ""
                self.fail(f"{key}.{k}" if key else k, f"unknown field{more}; allowed: {', '.join(allowed)}")

    def text(self, entry, key, name, default=None, empty=False):
        value = entry.get(name, default)
        if not isinstance(value, str) or (not empty and not value.strip()):
            self.fail(f"{key}.{name}", f"expected non-empty text, got {value!r}")
        return value.strip()

    def number(self, value, key, allow_inf=False):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(key, f"expected a number, got {value!r}")
        value = float(value)
        if math.isnan(value) or (math.isinf(value) and not allow_inf):
            self.fail(key, f"expected a finite number, got {value!r}")
        return value

    def criterion(self, entry, key):
        """A :class:`Criterion` from a target (primary) or one of its ``also`` tables."""
        has_range, has_direction = "range" in entry, "direction" in entry
        if has_range == has_direction:
            self.fail(f"{key}.range", "give either range = [low, high] with a unit, or direction = "
                                      "\"...\" for a qualitative target")
        output = self.text(entry, key, "output")
        quantity = self.text(entry, key, "quantity")
        basis = self.text(entry, key, "range_basis", "", empty=True)
        if has_direction:
            if "unit" in entry:
                self.fail(f"{key}.unit", "a direction has no unit")
            return Criterion(quantity, output, direction=self.text(entry, key, "direction"),
                             range_basis=basis)
        bounds = entry["range"]
        if not (isinstance(bounds, list) and len(bounds) == 2):
            self.fail(f"{key}.range", f"expected [low, high], got {bounds!r}")
        low, high = (self.number(b, f"{key}.range", allow_inf=True) for b in bounds)
        if not low <= high or low == math.inf or high == -math.inf:
            self.fail(f"{key}.range", f"expected low <= high, got [{low:g}, {high:g}]")
        if "unit" not in entry:
            self.fail(f"{key}.unit", "a range needs its unit ('1' for a pure number)")
        unit = self.text(entry, key, "unit")
        return Criterion(quantity, output, low, high, unit, range_basis=basis)


def _read_conditions(reader, entry, key, check_name, registry):
    conditions = entry.get("conditions", {})
    if not isinstance(conditions, dict):
        reader.fail(f"{key}.conditions", f"expected a table of conditions, got {conditions!r}")
    if check_name not in registry:
        known = ", ".join(sorted(registry))
        reader.fail(f"{key}.check", f"no validation check named '{check_name}'; known: {known}")
    accepted, required = check_parameters(registry[check_name])
    for name in required:
        if name not in conditions:
            reader.fail(f"{key}.conditions.{name}", f"check '{check_name}' needs this condition")
    if accepted is not None:
        for name in conditions:
            if name not in accepted:
                reader.fail(f"{key}.conditions.{name}", f"check '{check_name}' takes no condition "
                                                        f"'{name}'; it takes: {', '.join(accepted)}")
    for name in _REGIMEN_CONDITIONS:
        if name in conditions:
            specs = conditions[name] if name == "regimens" else [conditions[name]]
            for spec in specs if isinstance(specs, list) else [specs]:
                try:
                    build_regimen(spec)
                except ValueError as exc:
                    reader.fail(f"{key}.conditions.{name}", str(exc))
    return dict(conditions)


def _known_models():
    from ivigsim.core.catalogue import model_dirs, model_paths
    names = set(model_paths())
    for d in model_dirs():
        names |= {p.stem for p in (d / "agents").glob("*.toml")}
    return names


def _read_target(reader, entry, index, groups, registry, models):
    key = f"target[{index}]"
    if isinstance(entry, dict) and isinstance(entry.get("id"), str):
        key = entry["id"]
    reader.keys(entry, key, _TARGET_KEYS, _TARGET_REQUIRED)
    target_id = reader.text(entry, key, "id")
    if not _ID_RE.match(target_id):
        reader.fail(f"{key}.id", f"expected an ID such as 'PK-07', got {target_id!r}")
    group = reader.text(entry, key, "group")
    if group not in groups:
        reader.fail(f"{key}.group", f"unknown mechanism group {group!r}; groups: {', '.join(groups)}")
    criterion = reader.criterion(entry, key)
    also = entry.get("also", [])
    if not isinstance(also, list):
        reader.fail(f"{key}.also", f"expected a list of criteria tables, got {also!r}")
    extra = []
    for k, sub in enumerate(also):
        sub_key = f"{key}.also[{k}]"
        reader.keys(sub, sub_key, _CRITERION_KEYS, _CRITERION_REQUIRED)
        extra.append(reader.criterion(sub, sub_key))
    names = entry["models"]
    if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
        reader.fail(f"{key}.models", f"expected a list of model names ([] for the regimen's own rules), "
                                     f"got {names!r}")
    for name in names:
        if name not in models:
            reader.fail(f"{key}.models", f"no model named '{name}'; known: {', '.join(sorted(models))}")
    expected = entry["expected"]
    if expected not in OUTCOMES:
        reader.fail(f"{key}.expected", f"expected \"pass\" or \"fail\", got {expected!r}")
    reason = reader.text(entry, key, "reason", "", empty=True)
    if expected == "fail" and not reason:
        reader.fail(f"{key}.reason", "an expected failure needs the reason the models cannot reach it")
    value = entry.get("value")
    if value is not None:
        value = reader.number(value, f"{key}.value")
    calibrated = entry.get("calibrated", False)
    if not isinstance(calibrated, bool):
        reader.fail(f"{key}.calibrated", f"expected true or false, got {calibrated!r}")
    check_name = reader.text(entry, key, "check")
    conditions = _read_conditions(reader, entry, key, check_name, registry)
    return Target(target_id, group, reader.text(entry, key, "quantity"), reader.text(entry, key, "published"),
                  criterion, tuple(names), reader.text(entry, key, "source"), check_name, conditions,
                  expected, reason, value, calibrated, reader.text(entry, key, "note", "", empty=True),
                  tuple(extra))


def load_targets(path=None):
    """Read and check a targets file (default: the shipped ``validation/targets.toml``).

    Returns
    -------
    TargetSet

    Raises
    ------
    TargetFileError
        Naming the file and the key of the first defect found.
    """
    path = Path(path) if path is not None else default_targets_path()
    reader = _TargetReader(path)
    data = read_toml(path, TargetFileError)
    reader.keys(data, "", ("groups", "target"), ("groups", "target"))
    groups = data["groups"]
    if not isinstance(groups, dict) or not groups:
        reader.fail("groups", "expected a table: mechanism group name = \"description\"")
    for name, text in groups.items():
        if not isinstance(text, str):
            reader.fail(f"groups.{name}", f"expected a description (text), got {text!r}")
    entries = data["target"]
    if not isinstance(entries, list) or not entries:
        reader.fail("target", "expected one or more [[target]] tables")
    registry, models = checks(), _known_models()
    targets, seen = [], set()
    for index, entry in enumerate(entries):
        target = _read_target(reader, entry, index, groups, registry, models)
        if target.id in seen:
            reader.fail(f"{target.id}.id", "this target ID appears twice")
        seen.add(target.id)
        targets.append(target)
    return TargetSet(str(path), dict(groups), tuple(targets))


def targets_for_model(model_name, path=None):
    """The targets that concern one model, for its model card.

    Returns
    -------
    list of ModelTarget
        ``(id, quantity, expected, reason)`` tuples in file order.
    """
    return [ModelTarget(t.id, t.quantity, t.expected, t.reason)
            for t in load_targets(path) if model_name in t.models]
