"""The reader of NONMEM-style CSV event tables (``Regimen.from_event_table``).

Internal to :mod:`ivigsim.core.regimen`.
"""

from __future__ import annotations

import csv
import math
from os import PathLike
from pathlib import Path

from ivigsim.core._regimen_checks import (
    check_dose,
    check_route,
    check_start,
    validate,
)
from ivigsim.core._regimen_types import HOURS_PER_DAY, Administration, RegimenError

EVENT_COLUMNS = (
    "time_day",
    "amount_g",
    "amount_g_per_kg",
    "duration_h",
    "rate_g_per_h",
    "route",
    "product",
)



def cell_number(cells: dict[str, str], col: str, required: bool, where: str) -> float | None:
    """Parse the number in column ``col`` of an event-table row (None if empty and optional)."""
    text = cells.get(col, "")
    if not text:
        if required:
            raise RegimenError(f"{where}, column '{col}': missing value")
        return None
    try:
        return float(text)
    except ValueError:
        raise RegimenError(f"{where}, column '{col}': expected a number, got {text!r}") from None


def check_event_header(header: list[str], fname: str) -> None:
    """Check the column names of an event table."""
    allowed = ", ".join(EVENT_COLUMNS)
    for col_num, col in enumerate(header, start=1):
        if not col:
            raise RegimenError(
                f"{fname} line 1, column {col_num}: empty column name; allowed columns: {allowed}"
            )
        if col not in EVENT_COLUMNS:
            hint = ""
            try:
                float(col)
                hint = " (line 1 must be a header row naming the columns)"
            except ValueError:
                pass
            raise RegimenError(
                f"{fname} line 1: unknown column {col!r}{hint}; allowed columns: {allowed}"
            )
    for col in set(header):
        if header.count(col) > 1:
            raise RegimenError(f"{fname} line 1: column {col!r} appears more than once")
    if "time_day" not in header:
        raise RegimenError(f"{fname} line 1: required column 'time_day' is missing")
    has_abs, has_kg = "amount_g" in header, "amount_g_per_kg" in header
    if has_abs == has_kg:
        raise RegimenError(
            f"{fname} line 1: give exactly one of the columns 'amount_g' (g) or "
            f"'amount_g_per_kg' (g/kg), found {'both' if has_abs else 'neither'}"
        )
    if "duration_h" in header and "rate_g_per_h" in header:
        raise RegimenError(
            f"{fname} line 1: give at most one of the columns 'duration_h' or 'rate_g_per_h', "
            "not both"
        )
    if "rate_g_per_h" in header and has_kg:
        raise RegimenError(
            f"{fname} line 1: column 'rate_g_per_h' needs doses in grams ('amount_g'); "
            "with 'amount_g_per_kg' give the infusion length in 'duration_h'"
        )


def read_event_table(path: str | PathLike) -> tuple[tuple[Administration, ...], str]:
    """Read and check the entries of a CSV event table.

    The columns are documented in
    :meth:`ivigsim.core.regimen.Regimen.from_event_table`.

    Returns
    -------
    tuple
        ``(administrations, file name)``.

    Raises
    ------
    RegimenError
        If the file cannot be read or a value is invalid; the message names
        the file, the line and the column.
    """
    path = Path(path)
    fname = path.name
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            try:
                lines = [(reader.line_num, row) for row in reader]
            except csv.Error as exc:
                raise RegimenError(
                    f"{fname} line {reader.line_num}: not valid CSV ({exc})"
                ) from exc
    except OSError as exc:
        raise RegimenError(
            f"cannot read event table {str(path)!r}: {exc.strerror or exc}"
        ) from exc
    except UnicodeDecodeError as exc:
        raise RegimenError(f"{fname}: not a text file ({exc.reason})") from exc

    if not lines or not any(cell.strip() for cell in lines[0][1]):
        raise RegimenError(
            f"{fname}: line 1 must be a header row naming the columns "
            f"({', '.join(EVENT_COLUMNS)})"
        )
    header = [cell.strip().lower() for cell in lines[0][1]]
    check_event_header(header, fname)
    amount_col = "amount_g" if "amount_g" in header else "amount_g_per_kg"
    per_kg = amount_col == "amount_g_per_kg"

    adms: list[Administration] = []
    labels: list[str] = []
    for line_num, row in lines[1:]:
        if not any(cell.strip() for cell in row):
            continue
        where = f"{fname} line {line_num}"
        if len(row) != len(header):
            raise RegimenError(
                f"{where}: expected {len(header)} values ({', '.join(header)}), got {len(row)}"
            )
        cells = {col: cell.strip() for col, cell in zip(header, row)}

        time = check_start(
            cell_number(cells, "time_day", True, where), f"{where}, column 'time_day'"
        )
        amount = check_dose(
            cell_number(cells, amount_col, True, where),
            per_kg,
            f"{where}, column '{amount_col}'",
        )
        duration = 0.0
        hours = cell_number(cells, "duration_h", False, where)
        if hours is not None:
            if not math.isfinite(hours) or hours < 0.0:
                raise RegimenError(
                    f"{where}, column 'duration_h': infusion duration must be a finite "
                    f"number of hours >= 0 (0 means a bolus), got {hours!r}"
                )
            duration = hours / HOURS_PER_DAY
        rate = cell_number(cells, "rate_g_per_h", False, where)
        if rate is not None:
            if not math.isfinite(rate) or rate <= 0.0:
                raise RegimenError(
                    f"{where}, column 'rate_g_per_h': infusion rate must be > 0 g/h, "
                    f"got {rate!r}"
                )
            duration = amount / rate / HOURS_PER_DAY
        route = check_route(cells.get("route", "").lower() or "iv", f"{where}, column 'route'")
        product = cells.get("product", "") or "ivig"
        adms.append(Administration(time, amount, per_kg, duration, route, product))
        labels.append(f"{where} (day {round(time, 4)})")
    validate(adms, labels)
    return tuple(adms), fname
