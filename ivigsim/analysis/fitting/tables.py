"""PEtab v1 tables: reading tab-separated files with row and column named in every error.

PEtab tables are plain TSV with a header row. They are read here with the
standard library (no pandas at import time), each cell kept as text until the
problem reader decides what it must be; rows are numbered as a spreadsheet
shows them (the header is row 1, the first data row is row 2).
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

from ivigsim.errors import IvigsimError


class FitProblemError(IvigsimError, ValueError):
    """A fit problem is malformed: names the file, the row and column (or key) and what was expected."""

    def __init__(self, path, where, message):
        self.path = str(path)
        self.where = where
        self.reason = message
        super().__init__(f"{self.path}: {where}: {message}" if where else f"{self.path}: {message}")


class Table:
    """One TSV table: ``rows`` of ``{column: text}``, with the file for error messages."""

    def __init__(self, path, columns, rows):
        self.path = Path(path)
        self.columns = tuple(columns)
        self.rows = rows

    def fail(self, row, column, message):
        """Raise a :class:`FitProblemError` for 0-based data row ``row`` (None: the whole table)."""
        where = f"column '{column}'" if row is None else f"row {row + 2}, column '{column}'"
        raise FitProblemError(self.path, where, message)

    def require(self, *columns):
        for column in columns:
            if column not in self.columns:
                raise FitProblemError(self.path, "header",
                                      f"missing required column '{column}' (columns: {', '.join(self.columns)})")

    def text(self, row, column, default=None):
        value = self.rows[row].get(column)
        if value is None or value.strip() == "":
            if default is None:
                self.fail(row, column, "this cell must not be empty")
            return default
        return value.strip()

    def number(self, row, column, default=None, allow_nan=False):
        text = self.text(row, column, None if default is None else "")
        if text == "":
            return default
        try:
            value = float(text)
        except ValueError:
            self.fail(row, column, f"expected a number, got {text!r}")
        if not allow_nan and not math.isfinite(value):
            self.fail(row, column, f"expected a finite number, got {text!r}")
        return value


def read_table(path):
    """Read a PEtab TSV file into a :class:`Table`."""
    path = Path(path)
    if not path.is_file():
        raise FitProblemError(path, "", "file not found")
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter="\t")
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise FitProblemError(path, "", "the table is empty (expected a header row)") from None
        if len(set(header)) != len(header):
            raise FitProblemError(path, "header", "a column name appears twice")
        rows = []
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header):
                raise FitProblemError(path, f"row {number}", f"{len(cells)} cells for {len(header)} columns")
            rows.append(dict(zip(header, cells)))
    return Table(path, header, rows)


def format_number(value):
    """Shortest text that reads back as the same float."""
    return repr(float(value)) if not float(value).is_integer() or abs(value) >= 1e16 else str(int(value))


def write_table(path, columns, rows):
    """Write ``rows`` (sequences in ``columns`` order) as TSV, atomically."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([format_number(v) if isinstance(v, float) else v for v in row])
    os.replace(tmp, path)


def write_text(path, text):
    """Write a text file atomically (temporary name, then rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def read_problem_yaml(path):
    """The file names a PEtab v1 ``problem.yaml`` points to, checked."""
    try:
        import yaml
    except ImportError:   # pragma: no cover - PyYAML comes with the 'fit' extra
        raise FitProblemError(path, "", "reading problem.yaml needs PyYAML: pip install 'ivigsim[fit]'") from None
    path = Path(path)
    if not path.is_file():
        raise FitProblemError(path, "", "file not found (a fit problem directory holds problem.yaml)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise FitProblemError(path, "", f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise FitProblemError(path, "", "expected a mapping with format_version, parameter_file and problems")
    if str(data.get("format_version")) != "1":
        raise FitProblemError(path, "format_version", f"expected 1 (PEtab v1), got {data.get('format_version')!r}")
    problems = data.get("problems")
    if not isinstance(problems, list) or len(problems) != 1 or not isinstance(problems[0], dict):
        raise FitProblemError(path, "problems", "expected a list with exactly one problem")
    files = {"parameter_file": data.get("parameter_file")}
    for key in ("sbml_files", "condition_files", "measurement_files", "observable_files"):
        value = problems[0].get(key)
        if not isinstance(value, list) or len(value) != 1 or not isinstance(value[0], str):
            raise FitProblemError(path, f"problems[0].{key}", "expected a list of exactly one file name")
        files[key] = value[0]
    if not isinstance(files["parameter_file"], str):
        raise FitProblemError(path, "parameter_file", "expected a file name")
    return files


PROBLEM_YAML = """format_version: 1
parameter_file: parameters.tsv
problems:
- sbml_files:
  - model.xml
  condition_files:
  - conditions.tsv
  measurement_files:
  - measurements.tsv
  observable_files:
  - observables.tsv
"""
