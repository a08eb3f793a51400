"""Judge fcrn_pk's validation targets under parameter overrides (shared by the PK-40 scripts).

The validation checks simulate the shipped model; :class:`OverrideContext`
adds a fixed set of parameter overrides under every simulation a check runs
(a check's own overrides, such as the knockout's ``fcrn_total = 0``, win), so
the targets of ``validation/targets.toml`` are judged exactly as
``ivigsim validate`` judges them, for any candidate parameter set.
"""

from __future__ import annotations

import math

from ivigsim.analysis.validation import checks as registered_checks
from ivigsim.analysis.validation.registry import Context
from ivigsim.analysis.validation.runner import run_target
from ivigsim.analysis.validation.targets import load_targets


class OverrideContext(Context):
    """A validation context whose every simulation carries ``base`` parameter overrides."""

    def __init__(self, base):
        super().__init__()
        self.base = dict(base)

    def simulate(self, model, regimen=None, t_end=365.0, body_weight_kg=None, params=None, **kwargs):
        merged = {**self.base, **(params or {})}
        return super().simulate(model, regimen=regimen, t_end=t_end, body_weight_kg=body_weight_kg,
                                params=merged, **kwargs)


def targets_by_id(ids):
    """The targets of ``validation/targets.toml`` with these ids, in that order."""
    every = {t.id: t for t in load_targets()}
    return [every[i] for i in ids]


def judge(targets, params, extra_conditions=None):
    """Rows of ``targets`` under ``params``; ``extra_conditions`` maps an id to condition overrides."""
    ctx = OverrideContext(params)
    registry = registered_checks()
    rows = {}
    for target in targets:
        if extra_conditions and target.id in extra_conditions:
            from dataclasses import replace
            target = replace(target, conditions={**target.conditions, **extra_conditions[target.id]})
        rows[target.id] = run_target(target, ctx, registry)
    return rows


def margins(row):
    """Signed distances inside each numeric criterion's band, relative to the band's half-width.

    Positive inside, negative outside; a direction criterion gives +1 or -1.
    """
    out = []
    for c in row.criteria:
        crit, value = c.criterion, c.simulated
        if crit.is_direction:
            out.append(1.0 if value else -1.0)
            continue
        if value is None or not math.isfinite(value):
            out.append(-10.0)
            continue
        low, high = crit.low, crit.high
        if math.isinf(high):
            scale = abs(low) or 1.0
            out.append((value - low) / scale)
        elif math.isinf(low):
            scale = abs(high) or 1.0
            out.append((high - value) / scale)
        else:
            half = 0.5 * (high - low)
            out.append(min(value - low, high - value) / half)
    return out
