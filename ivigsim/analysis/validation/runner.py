"""Run the validation suite: every target's check, judged against its published range.

>>> from ivigsim.analysis.validation import validate, format_summary
>>> report = validate(out="results/validation")          # doctest: +SKIP
>>> print(format_summary(report))                        # doctest: +SKIP
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass, field

import numpy as np

from ivigsim.errors import IvigsimError
from ivigsim.core.units import UnitError, parse_unit
from ivigsim.analysis.validation.registry import Context, NotModelled, checks
from ivigsim.analysis.validation.targets import load_targets

__all__ = ["CriterionResult", "GroupSummary", "Row", "ValidationReport", "validate"]

OUTCOMES = ("pass", "fail", "error")
# Relative slack at the ends of a range: rounding of the last bits only, not a tolerance.
_RANGE_RTOL = 1e-9


@dataclass(frozen=True)
class CriterionResult:
    """One criterion of a target with the simulated value it was judged on."""

    criterion: object               # Criterion
    simulated: object               # float, bool, or None when not computed
    passed: bool

    def describe_simulated(self):
        return _format_value(self.simulated, self.criterion.unit)


@dataclass(frozen=True)
class Row:
    """The outcome of one target.

    ``outcome`` is ``"pass"`` (every criterion met), ``"fail"`` (one or more
    not met, or the quantity is not modelled) or ``"error"`` (the check
    raised; ``reason`` says what). ``simulated`` is the primary value as text.
    """

    id: str
    group: str
    quantity: str
    published: str
    simulated: str
    unit: str
    outcome: str
    expected: str
    reason: str
    source: str
    accepted: str = ""
    value: object = None
    criteria: tuple = ()
    models: tuple = ()
    calibrated: bool = False
    note: str = ""
    notes: tuple = ()
    seconds: float = 0.0
    figure: object = field(default=None, repr=False, compare=False)
    units: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def as_expected(self):
        return self.outcome == self.expected


@dataclass(frozen=True)
class GroupSummary:
    """Counts of one mechanism group (or of all targets, group ``"all"``)."""

    group: str
    total: int
    passed: int
    failed: int
    errors: int
    expected_failures: int
    unexpected: int


@dataclass(frozen=True)
class ValidationReport:
    """Every target's outcome, with a summary per mechanism group.

    Attributes
    ----------
    rows : tuple of Row
    groups : dict of str -> str
        Mechanism group -> description, in report order.
    targets_path : str
    seconds : float
        Wall time of the run.
    """

    rows: tuple
    groups: dict
    targets_path: str
    seconds: float = 0.0
    simulations: int = 0

    def __iter__(self):
        return iter(self.rows)

    def __repr__(self):
        from ivigsim.interfaces.result_views import validation_repr
        return validation_repr(self)

    def _repr_html_(self):
        from ivigsim.interfaces.result_views import validation_html
        return validation_html(self)

    def to_dataframe(self):
        """One row per target: id, group, quantity, published, simulated, value, unit, outcome, expected."""
        from ivigsim.interfaces.result_views import validation_dataframe
        return validation_dataframe(self)

    def to_xarray(self):
        """Simulated values over ``target`` with unit and outcome coordinates."""
        from ivigsim.interfaces.result_views import validation_xarray
        return validation_xarray(self)

    def plot(self, ax=None):
        """Targets per mechanism group stacked by outcome; returns the axes."""
        from ivigsim.interfaces.result_views import plot_validation
        return plot_validation(self, ax=ax)

    def __len__(self):
        return len(self.rows)

    def row(self, target_id):
        """The row of one target ID."""
        for r in self.rows:
            if r.id == target_id:
                return r
        raise KeyError(f"no target '{target_id}' in this report")

    @property
    def unexpected(self):
        """Rows whose outcome differs from what the targets file expects."""
        return tuple(r for r in self.rows if not r.as_expected)

    def summary(self):
        """One :class:`GroupSummary` per group with targets, then one for ``"all"``."""
        out = []
        for group in list(self.groups) + ["all"]:
            rows = [r for r in self.rows if group in ("all", r.group)]
            if not rows:
                continue
            out.append(GroupSummary(
                group, len(rows), sum(r.outcome == "pass" for r in rows), sum(r.outcome == "fail" for r in rows),
                sum(r.outcome == "error" for r in rows), sum(r.expected == "fail" for r in rows),
                sum(not r.as_expected for r in rows)))
        return out

    def write(self, out):
        """Write ``summary.csv``, ``report.md``, ``report.html`` and ``figures/<ID>.png`` under ``out``.

        Returns
        -------
        dict of str -> pathlib.Path
        """
        from ivigsim.analysis.validation.report import write_report
        return write_report(self, out)


def _format_value(value, unit=""):
    if value is None:
        return "not computed"
    if isinstance(value, bool):
        return "holds" if value else "does not hold"
    unit = f" {unit}" if unit not in ("", "1") else ""
    return f"{value:.4g}{unit}"


def _convert(value, from_unit, to_unit, where):
    """``value`` from the check's unit into the target's."""
    if from_unit == to_unit:
        return value
    try:
        return value * parse_unit(from_unit).factor_to(parse_unit(to_unit))
    except UnitError as exc:
        raise ValueError(f"{where}: the check gives {from_unit!r}, the target wants {to_unit!r}: {exc}") from None


def _judge(criterion, result, target_id):
    """A CriterionResult: the check's value for ``criterion.output``, converted and compared."""
    name = criterion.output
    if name not in result.values:
        known = ", ".join(result.values)
        raise ValueError(f"{target_id}: the check gives no value '{name}'; it gives: {known}")
    value = result.values[name]
    is_bool = isinstance(value, (bool, np.bool_))
    if criterion.is_direction:
        if not is_bool:
            raise ValueError(f"{target_id}: '{name}' is a direction and needs a true/false value, got {value!r}")
        return CriterionResult(criterion, bool(value), bool(value))
    if is_bool or not isinstance(value, numbers.Real):
        raise ValueError(f"{target_id}: '{name}' needs a number in {criterion.unit}, got {value!r}")
    value = _convert(float(value), result.units.get(name, "1"), criterion.unit, f"{target_id} '{name}'")
    low, high = criterion.low, criterion.high
    passed = (math.isfinite(value) and low - _RANGE_RTOL * abs(low) <= value <= high + _RANGE_RTOL * abs(high))
    return CriterionResult(criterion, value, bool(passed))


def _reason(target, outcome, judged):
    failed = [c for c in judged if not c.passed]
    if outcome == "pass" and target.expected == "fail":
        return f"unexpected pass; the file expects a failure because: {target.reason}"
    if outcome == "fail" and target.expected == "pass":
        return "unexpected failure: " + "; ".join(
            f"{c.criterion.quantity}: {c.describe_simulated()}, accepted {c.criterion.describe_range()}"
            for c in failed)
    return target.reason


def _row(target, outcome, reason, judged=(), result=None, seconds=0.0, simulated=None):
    primary = judged[0] if judged else None
    if simulated is None:
        simulated = primary.describe_simulated() if primary else "—"
    return Row(target.id, target.group, target.quantity, target.published, simulated, target.unit, outcome,
               target.expected, reason, target.source, target.criterion.describe_range(),
               primary.simulated if primary else None, tuple(judged), target.models, target.calibrated,
               target.note, result.notes if result else (), seconds, result.figure if result else None,
               dict(result.units) if result else {})


def run_target(target, context, registry):
    """Run one target's check and judge it; an exception becomes an ``"error"`` row."""
    start = time.perf_counter()
    try:
        result = context.run_check(target.check, registry[target.check], target.conditions)
        judged = [_judge(c, result, target.id) for c in target.criteria]
    except NotModelled as exc:
        reason = target.reason or f"not modelled: {exc}"
        judged = [CriterionResult(c, None, False) for c in target.criteria]
        return _row(target, "fail", reason, judged, seconds=time.perf_counter() - start, simulated="not modelled")
    except Exception as exc:                         # noqa: BLE001 - one broken check must not stop the suite
        return _row(target, "error", f"{type(exc).__name__}: {exc}", seconds=time.perf_counter() - start)
    outcome = "pass" if all(c.passed for c in judged) else "fail"
    return _row(target, outcome, _reason(target, outcome, judged), judged, result, time.perf_counter() - start)


def _select(targets, ids, models):
    chosen = list(targets)
    if ids:
        known = {t.id for t in chosen}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise IvigsimError(f"no target {', '.join(unknown)} in {targets.path}; known: {', '.join(sorted(known))}")
        chosen = [t for t in chosen if t.id in set(ids)]
    if models:
        chosen = [t for t in chosen if set(t.models) & set(models)]
    return chosen


def validate(out=None, ids=None, models=None, path=None, progress=True):
    """Run the literature validation suite.

    Parameters
    ----------
    out : str or Path, optional
        Directory for ``summary.csv``, ``report.md``, ``report.html`` and
        ``figures/``; nothing is written when None.
    ids : sequence of str, optional
        Only these target IDs (``["PK-07", "AI-03"]``).
    models : sequence of str, optional
        Only targets concerning one of these models.
    path : str or Path, optional
        A targets file other than the shipped ``validation/targets.toml``.
    progress : bool
        Show a progress bar over the targets (see :mod:`ivigsim.interfaces.progress`).

    Returns
    -------
    ValidationReport
    """
    from ivigsim.interfaces.progress import bar as progress_bar
    start = time.perf_counter()
    targets = load_targets(path)
    context, registry = Context(), checks()
    selected = list(_select(targets, ids, models))
    rows = []
    with progress_bar(len(selected), "validation", "target", progress) as bar:
        for target in selected:
            rows.append(run_target(target, context, registry))
            bar.update()
    rows = tuple(rows)
    report = ValidationReport(rows, targets.groups, targets.path, time.perf_counter() - start,
                              context.simulations_run)
    if out is not None:
        report.write(out)
    return report
