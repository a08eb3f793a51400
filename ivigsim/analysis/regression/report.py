"""What :func:`ivigsim.analysis.regression.core.regress` reports: each reference's check and its worst differences."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["Difference", "ExperimentCheck", "RegressionReport"]


@dataclass(frozen=True)
class Difference:
    """One stored value against the value now.

    ``what`` is ``"metric"``, ``"trajectory"``, ``"input"`` (a sampled value)
    or ``"status"``; ``name`` the metric, output or column; ``time`` the day
    of a trajectory value (None otherwise); ``excess`` the difference over
    what the tolerance allows (> 1 fails).
    """

    what: str
    name: str
    point_id: int
    regimen: str
    reference: object
    now: object
    relative: float
    excess: float
    time: float | None = None

    def describe(self) -> str:
        at = f" at day {self.time:g}" if self.time is not None else ""
        if self.what == "status":
            return f"status of point {self.point_id} ({self.regimen}): reference {self.reference}, now {self.now}"
        rel = "inf" if not math.isfinite(self.relative) else f"{self.relative:.3g}"
        return (f"{self.what} {self.name}, point {self.point_id} ({self.regimen}){at}: reference "
                f"{self.reference!r}, now {self.now!r} (relative difference {rel})")


@dataclass(frozen=True)
class ExperimentCheck:
    """The outcome for one reference.

    ``status`` is ``"pass"``, ``"fail"`` (results differ), ``"error"`` (no
    reference, a changed experiment file, a run that failed), ``"updated"``
    or ``"unchanged"`` (with ``update=True``), or ``"skipped"`` (an optional
    extra the experiment needs is not installed; this passes).  ``differences`` are the
    failing values, worst first; ``worst`` the value closest to (or
    furthest beyond) its tolerance, whether it passed or not; ``tolerance``
    the ``(rtol, atol)`` of the comparison of numbers, if there was one.
    """

    name: str
    status: str
    message: str = ""
    differences: tuple = ()
    worst: Difference | None = None
    n_compared: int = 0
    n_failed: int = 0
    notes: tuple = ()
    tolerance: tuple | None = None

    @property
    def passed(self) -> bool:
        """Whether the reference matched (or was written)."""
        return self.status in ("pass", "updated", "unchanged", "skipped")

    def describe(self) -> str:
        """A few lines: the status, the message, the worst differences, notes."""
        head = f"{self.name}: {self.status.upper()}"
        if self.tolerance is not None and self.worst is not None:
            rule = f"|diff| <= {self.tolerance[1]:g} + {self.tolerance[0]:g} x |ref|"
            if self.status == "pass":
                head += (f" ({self.n_compared} values within {rule}; the largest difference is "
                         f"{self.worst.excess:.3g} of that)")
            else:
                head += f" ({self.n_failed} of {self.n_compared} values beyond {rule})"
        lines = [head] + ([f"  {self.message}"] if self.message else [])
        lines += [f"  {d.describe()}" for d in self.differences]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass(frozen=True)
class RegressionReport:
    """Every check of one :func:`regress` call, in the order run."""

    checks: tuple = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        """Whether every check passed (or was updated)."""
        return all(c.passed for c in self.checks)

    @property
    def failed(self) -> list:
        """The checks that did not pass."""
        return [c for c in self.checks if not c.passed]

    def __getitem__(self, name) -> ExperimentCheck:
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(name)

    def summary(self) -> str:
        """Each check's description and a tally of the statuses."""
        counts = {}
        for c in self.checks:
            counts[c.status] = counts.get(c.status, 0) + 1
        tally = ", ".join(f"{n} {status}" for status, n in counts.items())
        return "\n".join([c.describe() for c in self.checks] + [f"regress: {tally}"])
