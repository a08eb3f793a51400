"""Text helpers shared by the comparison and its report: percentages, tolerances, tables.

Internal to :mod:`ivigsim.analysis.comparison`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

#: Default absolute tolerance of the verdict, in each metric's unit: the sweep
#: solver's absolute tolerance (1e-9 in declared units), below which
#: trajectories are not resolved.
DEFAULT_ATOL = 1e-9


def percent(value: float) -> str:
    """A relative difference as a percentage with 3 significant digits; ``inf`` as is."""
    return "inf" if not math.isfinite(value) else f"{100.0 * value:.3g} %"


def atol_text(atol) -> str:
    """The absolute tolerance as text, one number or per metric."""
    if isinstance(atol, Mapping):
        return "atol (" + ", ".join(f"{k}: {v:g}" for k, v in atol.items()) + f"; else {DEFAULT_ATOL:g})"
    return f"{atol:g}"


def text_table(headers, rows, markdown=False) -> str:
    """Rows of cells as aligned plain text, or as a Markdown table."""
    cells = [headers] + [[str(c) for c in row] for row in rows]
    if markdown:
        out = ["| " + " | ".join(cells[0]) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        return "\n".join(out + ["| " + " | ".join(row) + " |" for row in cells[1:]])
    widths = [max(len(row[k]) for row in cells) for k in range(len(headers))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells)
