"""Model comparisons: one experiment file run on several model variants, side by side.

A *variant* is a model (a name in ``models/`` or a path to a model file),
optionally with fixed parameter overrides, written as on the command line::

    fcrn_pk
    fcrn_pk[fcrn_total=24.9,k_deg=4432]
    path/to/my_model.toml[aab_production=0.06]

:func:`compare` runs the same experiment file on every variant (each into
``out/<label>/``, through :func:`ivigsim.sweep.run.run_experiment`) and compares
every metric, point by point, with the first variant, the *reference*:

* ``comparison.csv``: one row per metric and point, the value of each variant
  and its absolute and relative difference from the reference;
* ``comparison_metrics.csv``: one row per metric and variant, the worst
  difference, where it occurs, and the verdict;
* ``comparison_trajectories.csv``: per shared output, regimen and variant,
  the largest difference of the trajectories relative to the reference's peak;
* ``figures/``: overlaid trajectories of the shared outputs (one figure per
  regimen) and variant-against-reference scatter plots of the metrics;
* ``comparison.md``: all of the above in words.

Verdict
-------
A metric *agrees* when, at every point, ``|variant - reference| <= atol +
rtol * |reference|`` (NaN matches NaN: a point that failed in both); it
*differs* otherwise, including when a point failed in one variant only.  The
comparison agrees when every metric of every variant agrees.  Trajectories
are reported but do not enter the verdict: the metrics are what the
experiment file declares it is about.

Variants with different species
-------------------------------
Variants are compared on the outputs they share by name.  A metric whose
output is missing from some variant is left out of every run (the experiment
is then run from a copy without it, ``out/experiment_shared.toml``), and so is
a threshold metric whose output has different units in different variants (the
threshold would mean different things); values in convertible units (``%``
and ``1``, ``g/L`` and ``mg/L``) are converted to the reference's unit.  What
was left out, and why, is listed in :attr:`Comparison.dropped` and in
``comparison.md`` (see :mod:`ivigsim.analysis.comparison.plan`).

The files are written by :mod:`ivigsim.analysis.comparison.report`, the figures drawn by
:mod:`ivigsim.analysis.comparison.plots`; ``ivigsim compare`` is :mod:`ivigsim.analysis.comparison.cli`.
"""

from __future__ import annotations

import math
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np

from ivigsim.analysis.comparison.plan import (SHARED_FILE, load_variant_spec, looks_like_path, plan_comparison,
                                  resolved_model, shared_outputs)
from ivigsim.errors import IvigsimError

__all__ = ["Variant", "Comparison", "parse_variant", "as_variant", "compare", "relative_difference",
           "within", "DEFAULT_RTOL", "DEFAULT_ATOL"]

#: Default relative tolerance of the verdict.
DEFAULT_RTOL = 0.05
#: Default absolute tolerance of the verdict, in each metric's unit: the sweep
#: solver's absolute tolerance (1e-9 in declared units), below which
#: trajectories are not resolved.
DEFAULT_ATOL = 1e-9

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


# ---------------------------------------------------------------------------
# Variants
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """A model with fixed parameter overrides, under a label.

    Parameters
    ----------
    label : str
        Name of the variant in tables, figures and the output folder.
    model : str
        A model name in ``models/`` or a path to a model file.
    parameters : Mapping of str to float, optional
        Fixed parameter values, in the model's declared units, added to the
        experiment's ``[parameters]``.
    """

    label: str
    model: str
    parameters: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.label, str) or not self.label.strip():
            raise IvigsimError(f"a variant needs a non-empty label, got {self.label!r}")
        object.__setattr__(self, "model", str(self.model))
        object.__setattr__(self, "parameters", MappingProxyType(dict(self.parameters)))

    @property
    def directory(self) -> str:
        """The label made safe as a folder name."""
        return re.sub(r"[^A-Za-z0-9_.=+-]+", "_", self.label).strip("_") or "variant"

    def describe(self) -> str:
        """``model`` or ``model with a = 1, b = 2``."""
        if not self.parameters:
            return self.model
        return f"{self.model} with " + ", ".join(f"{k} = {v:.12g}" for k, v in self.parameters.items())


def parse_variant(text: str) -> Variant:
    """Read a variant written ``MODEL`` or ``MODEL[name=value,name=value]``.

    Parameters
    ----------
    text : str
        A model name or path, optionally followed by parameter overrides in
        square brackets: names of parameters, ``=``, numbers, separated by
        commas (spaces around them are allowed).

    Returns
    -------
    Variant
        Labelled with the model's name (a path's file stem) and the
        overrides, e.g. ``fcrn_pk[fcrn_total=24.9]``.

    Raises
    ------
    IvigsimError
        Naming the text and what is wrong with it: no model, unbalanced or
        nested brackets, empty brackets, an item that is not ``name=value``, a
        name that is not a parameter name, a value that is not a finite
        number, or a parameter given twice.
    """
    if not isinstance(text, str) or not text.strip():
        raise IvigsimError(f"variant {text!r}: expected MODEL or MODEL[name=value,...]")
    original, text = text, text.strip()

    def fail(why):
        raise IvigsimError(f"variant {original!r}: {why}; write MODEL or MODEL[name=value,...], "
                           "e.g. fcrn_pk[fcrn_total=24.9,k_deg=4432]")

    model, bracket, rest = text.partition("[")
    if not bracket and "]" in text:
        fail("']' without an opening '['")
    if bracket and not rest.endswith("]"):
        fail("the '[' is not closed by a final ']'")
    body = rest[:-1] if bracket else ""
    if "[" in body or "]" in body:
        fail("brackets cannot be nested or repeated")
    model = model.strip()
    if not model:
        fail("no model name before '['")
    if re.search(r"[\s,=]", model):
        fail(f"{model!r} is not a model name or path (it contains a space, ',' or '=')")
    if bracket and not body.strip():
        fail("empty brackets; leave them out to use the model's own parameters")
    parameters = _parse_overrides(body, fail) if bracket else {}
    stem = Path(model).stem if looks_like_path(model) else model
    label = stem + ("[" + ",".join(f"{k}={v:.12g}" for k, v in parameters.items()) + "]"
                    if parameters else "")
    return Variant(label, model, parameters)


def _parse_overrides(body: str, fail) -> dict:
    parameters = {}
    for item in body.split(","):
        if not item.strip():
            fail("an empty item (a stray comma?)")
        name, equals, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not equals:
            fail(f"{item.strip()!r} is not name=value")
        if not _NAME_RE.match(name):
            fail(f"{name!r} is not a parameter name (letters, digits and _, starting with a letter)")
        try:
            number = float(value)
        except ValueError:
            fail(f"the value of {name} is {value!r}, not a number")
        if not math.isfinite(number):
            fail(f"the value of {name} must be finite, got {value!r}")
        if name in parameters:
            fail(f"{name} is given twice")
        parameters[name] = number
    return parameters


def as_variant(value) -> Variant:
    """A :class:`Variant` from itself or from its text (see :func:`parse_variant`)."""
    if isinstance(value, Variant):
        return value
    if isinstance(value, str):
        return parse_variant(value)
    raise IvigsimError(f"a variant is a Variant or text such as 'fcrn_pk[fcrn_total=24.9]', "
                       f"got {value!r}")


def _unique(variants: list[Variant]) -> list[Variant]:
    """Variants with distinct labels and folders: repeats get ``#2``, ``#3``, ..."""
    seen, out = set(), []
    for v in variants:
        label, k = v.label, 1
        while label in seen or Variant(label, v.model).directory in {x.directory for x in out}:
            k += 1
            label = f"{v.label}#{k}"
        seen.add(label)
        out.append(Variant(label, v.model, v.parameters))
    return out


# ---------------------------------------------------------------------------
# Differences
# ---------------------------------------------------------------------------


def relative_difference(value, reference):
    """``|value - reference| / |reference|``, elementwise.

    0 where both are equal (zero included) or both NaN; infinity where the
    reference is 0 and the value is not, or where exactly one is NaN.
    """
    value, reference = np.asarray(value, dtype=float), np.asarray(reference, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.abs(value - reference) / np.abs(reference)
    rel = np.where(value == reference, 0.0, rel)
    both_nan = np.isnan(value) & np.isnan(reference)
    one_nan = np.isnan(value) ^ np.isnan(reference)
    rel = np.where(both_nan, 0.0, np.where(one_nan, np.inf, rel))
    return np.where(np.isnan(rel), np.inf, rel)


def within(value, reference, rtol, atol):
    """``|value - reference| <= atol + rtol * |reference|``, NaN matching NaN."""
    value, reference = np.asarray(value, dtype=float), np.asarray(reference, dtype=float)
    close = np.abs(value - reference) <= atol + rtol * np.abs(reference)
    return close | (np.isnan(value) & np.isnan(reference))


def _atol_of(atol, metric):
    if isinstance(atol, Mapping):
        return float(atol.get(metric, DEFAULT_ATOL))
    return float(atol)


def _metric_table(plan, variants, runs, rtol, atol):
    """One row per metric and point; and one row per metric and non-reference variant."""
    import pandas as pd

    ref = variants[0].label
    frame = runs[ref].metrics
    units = frame.attrs.get("units", {})
    inputs = [c for c in frame.columns if c not in units and c not in ("status", "reason", "solver_steps")]
    failed = {v.label: runs[v.label].metrics["status"].to_numpy() != "ok" for v in variants}
    failed_in = [",".join(v.label for v in variants if failed[v.label][i]) for i in range(len(frame))]
    rows, summary = [], []
    for metric in plan.metrics:
        values = {v.label: runs[v.label].metrics[metric.name].to_numpy(dtype=float)
                  * plan.factors.get((v.label, metric.name), 1.0) for v in variants}
        block = frame[inputs].copy()
        block.insert(0, "unit", units.get(metric.name, ""))
        block.insert(0, "metric", metric.name)
        for v in variants:
            block[v.label] = values[v.label]
        for v in variants[1:]:
            block[f"abs_diff:{v.label}"] = np.abs(values[v.label] - values[ref])
            block[f"rel_diff:{v.label}"] = relative_difference(values[v.label], values[ref])
        block["failed_in"] = failed_in
        rows.append(block)
        for v in variants[1:]:
            summary.append(_metric_verdict(metric.name, units.get(metric.name, ""), v.label, frame,
                                           values[v.label], values[ref],
                                           failed[v.label] != failed[ref], rtol,
                                           _atol_of(atol, metric.name)))
    return pd.concat(rows, ignore_index=True), pd.DataFrame(summary)


def _input_notes(variants, runs):
    """A note for each sampled column whose values differ from the reference's."""
    ref = variants[0].label
    frame = runs[ref].metrics
    units = frame.attrs.get("units", {})
    inputs = [c for c in frame.columns if c not in units and c not in ("point_id", "regimen", "replicate",
                                                                      "status", "reason", "solver_steps")]
    notes = []
    for v in variants[1:]:
        other = runs[v.label].metrics
        for column in inputs:
            a, b = frame[column].to_numpy(dtype=float), other[column].to_numpy(dtype=float)
            if not np.array_equal(a, b, equal_nan=True):
                notes.append(f"the sampled values of {column} differ between {ref} and {v.label} (the "
                             "sampler draws around each variant's own parameter values); points are "
                             "matched by id")
    return tuple(notes)


def _metric_verdict(metric, unit, label, frame, value, reference, status_differs, rtol, atol):
    rel = relative_difference(value, reference)
    ok = within(value, reference, rtol, atol) & ~status_differs
    worst = int(np.argmax(rel)) if rel.size else 0
    return {"metric": metric, "unit": unit, "variant": label,
            "worst_rel_diff": float(rel[worst]) if rel.size else 0.0,
            "worst_abs_diff": float(np.nanmax(np.abs(value - reference))) if np.any(
                np.isfinite(value - reference)) else 0.0,
            "at_point": int(frame["point_id"].iloc[worst]), "regimen": str(frame["regimen"].iloc[worst]),
            "reference_value": float(reference[worst]), "variant_value": float(value[worst]),
            "n_points": int(rel.size), "n_differ": int((~ok).sum()),
            "verdict": "agree" if bool(np.all(ok)) else "differ"}


def _trajectory_table(variants, runs, shared, specs):
    """Per output, regimen and variant: max |variant - reference| / max |reference| over points."""
    import pandas as pd

    ref = variants[0].label
    ds_ref = runs[ref].trajectories
    regimens = ds_ref["regimen"].values
    rows = []
    for name, factors in shared.items():
        y_ref = ds_ref[name].values * factors[ref]
        for v in variants[1:]:
            y = runs[v.label].trajectories[name].values * factors[v.label]
            for regimen in dict.fromkeys(regimens):
                mask = regimens == regimen
                scale = np.nanmax(np.abs(y_ref[mask]), axis=1)
                diff = np.nanmax(np.abs(y[mask] - y_ref[mask]), axis=1)
                with np.errstate(divide="ignore", invalid="ignore"):
                    scaled = np.where(diff == 0.0, 0.0, diff / scale)
                rows.append({"output": name, "unit": str(specs[ref].unit_of(name)), "regimen": regimen,
                             "variant": v.label, "max_abs_diff": float(np.nanmax(diff)),
                             "max_diff_rel_to_peak": float(np.nanmax(scaled))})
    return pd.DataFrame(rows, columns=["output", "unit", "regimen", "variant", "max_abs_diff",
                                       "max_diff_rel_to_peak"])


# ---------------------------------------------------------------------------
# The comparison
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """The outcome of :func:`compare`.

    Attributes
    ----------
    experiment : str
        Name of the experiment compared.
    variants : tuple of Variant
        The first is the reference.
    table : pandas.DataFrame
        One row per metric and point: ``metric``, ``unit``, ``point_id``,
        ``regimen``, the swept values, one column of values per variant
        (named by its label), ``abs_diff:<label>`` and ``rel_diff:<label>``
        for each variant after the first, and ``failed_in`` (the variants in
        which the point failed).
    metrics : pandas.DataFrame
        One row per metric and non-reference variant: worst relative and
        absolute difference, the point where the relative one occurs, the
        two values there, how many points differ, and the verdict.
    trajectories : pandas.DataFrame
        Per shared output, regimen and non-reference variant: the largest
        absolute difference and that difference over the reference's peak.
    dropped : tuple of (str, str, str)
        ``(what, name, reason)`` for each metric, plot or output left out.
    notes : tuple of str
        Warnings about what is compared, e.g. sampled values that differ
        between variants (points are matched by id).
    rtol : float
    atol : float or Mapping of str to float
    path : Path or None
        The output folder.
    results : Mapping of str to ExperimentResults
        Each variant's run, by label.
    """

    experiment: str
    variants: tuple
    table: object
    metrics: object
    trajectories: object
    dropped: tuple
    notes: tuple
    rtol: float
    atol: object
    path: Path | None = None
    results: Mapping = field(default_factory=dict, repr=False)

    @property
    def reference(self) -> Variant:
        return self.variants[0]

    def __repr__(self):
        from ivigsim.interfaces.result_views import comparison_repr
        return comparison_repr(self)

    def _repr_html_(self):
        from ivigsim.interfaces.result_views import comparison_html
        return comparison_html(self)

    def to_dataframe(self):
        """Tidy metric values: metric, unit, point_id, regimen, variant, value."""
        from ivigsim.interfaces.result_views import comparison_dataframe
        return comparison_dataframe(self)

    def to_xarray(self):
        """Metric values over (variant, point), units in attrs."""
        from ivigsim.interfaces.result_views import comparison_xarray
        return comparison_xarray(self)

    def plot(self, metric=None, ax=None):
        """One metric, each variant against the reference (identity line); returns the axes."""
        from ivigsim.interfaces.result_views import plot_comparison
        return plot_comparison(self, metric, ax=ax)

    @property
    def metric_verdicts(self) -> dict:
        """Metric name -> ``"agree"`` or ``"differ"`` (over every variant)."""
        out = {}
        for row in self.metrics.itertuples():
            if out.get(row.metric) != "differ":
                out[row.metric] = row.verdict
        return out

    @property
    def verdict(self) -> str:
        """``"agree"`` when every metric of every variant agrees, else ``"differ"``."""
        return "agree" if all(v == "agree" for v in self.metric_verdicts.values()) else "differ"

    def dropped_by_reason(self) -> list:
        """``(what, [names], reason)``: the left-out items grouped by kind and reason."""
        groups = {}
        for what, name, why in self.dropped:
            groups.setdefault((what, why), []).append(name)
        return [(what + ("s" if len(names) > 1 else ""), names, why) for (what, why), names in groups.items()]

    def worst_relative_difference(self, metric=None, variant=None) -> float:
        """Largest relative difference from the reference, over one or all metrics and variants."""
        rows = self.metrics
        if metric is not None:
            rows = rows[rows["metric"] == metric]
        if variant is not None:
            rows = rows[rows["variant"] == variant]
        if rows.empty:
            raise IvigsimError(f"no compared metric {metric!r} for variant {variant!r}; metrics: "
                               f"{', '.join(dict.fromkeys(self.metrics['metric']))}")
        return float(rows["worst_rel_diff"].max())

    def summary(self) -> str:
        """The verdict per metric and overall, as text."""
        lines = [f"{self.experiment}: {len(self.variants) - 1} variant(s) against the reference "
                 f"{self.reference.label} ({self.reference.describe()})",
                 f"agree: |variant - reference| <= {atol_text(self.atol)} + {self.rtol:g} x "
                 "|reference| at every point", ""]
        lines.append(text_table(*self.summary_rows()))
        for what, names, why in self.dropped_by_reason():
            lines.append(f"left out: {what} {', '.join(names)}: {why}")
        lines += [f"note: {note}" for note in self.notes]
        worst = self.metrics.loc[self.metrics["worst_rel_diff"].idxmax()]
        lines.append(f"verdict: {self.verdict} (worst relative difference {percent(worst['worst_rel_diff'])}: "
                     f"{worst['metric']}, {worst['variant']}, point {worst['at_point']})")
        return "\n".join(lines)

    def summary_rows(self):
        """(headers, rows) of the per-metric verdict table, as text cells."""
        headers = ["metric", "unit", "variant", "worst rel diff", "at point", "reference", "variant value",
                   "points differing", "verdict"]
        rows = [[r.metric, r.unit, r.variant, percent(r.worst_rel_diff), f"{r.at_point} ({r.regimen})",
                 f"{r.reference_value:.6g}", f"{r.variant_value:.6g}", f"{r.n_differ}/{r.n_points}",
                 r.verdict] for r in self.metrics.itertuples()]
        return headers, rows


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


def _check_tolerances(rtol, atol):
    values = list(atol.values()) if isinstance(atol, Mapping) else [atol]
    for name, value in [("rtol", rtol)] + [("atol", v) for v in values]:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < math.inf:
            raise IvigsimError(f"{name} must be a finite number >= 0, got {value!r}")


def _prepare_out(out: Path, variants, overwrite: bool) -> None:
    for v in variants:
        folder = out / v.directory
        if (folder / "chunks").is_dir() and any((folder / "chunks").iterdir()):
            if not (overwrite and (folder / "provenance.json").exists()):
                raise IvigsimError(f"{folder} already holds the results of an earlier run; choose "
                                   "another output folder or replace them (overwrite=True, --overwrite)")
            shutil.rmtree(folder)
    (out / SHARED_FILE).unlink(missing_ok=True)


def compare(variants, experiment, out=None, rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL, workers=None,
            overwrite=False, plots=True) -> Comparison:
    """Run one experiment file on several model variants and compare them with the first.

    Parameters
    ----------
    variants : sequence of str or Variant
        Two or more; text as ``fcrn_pk`` or ``fcrn_pk[fcrn_total=24.9]`` (see
        :func:`parse_variant`).  The first is the reference.  Repeated labels
        get ``#2``, ``#3``, ...
    experiment : str or Path
        The experiment file.
    out : str or Path, optional
        Output folder (default ``results/compare_<file stem>``); each variant
        runs into ``out/<label>/``.
    rtol : float
        Relative tolerance of the verdict (default 0.05).
    atol : float or Mapping of str to float
        Absolute tolerance, in each metric's unit; a mapping gives it per
        metric name (default :data:`DEFAULT_ATOL` for the others).
    workers : int, optional
        Threads per run (default: all cores).
    overwrite : bool
        Replace the results of an earlier comparison in ``out``.
    plots : bool
        Draw the comparison figures (the slowest part of a small comparison).

    Returns
    -------
    Comparison

    Raises
    ------
    IvigsimError
        For fewer than two variants, malformed variant text, a model that
        does not load, no metric that every variant can compute, or an
        experiment that cannot run on a variant (naming the variant and
        what it lacks, e.g. a swept parameter).
    """
    variants = _unique([as_variant(v) for v in variants])
    if len(variants) < 2:
        raise IvigsimError(f"a comparison needs at least two variants, got {len(variants)}")
    _check_tolerances(rtol, atol)
    from ivigsim.core.catalogue import experiment_path
    path = experiment_path(experiment)       # a shipped experiment's name, or a path
    out = Path(out) if out is not None else Path("results") / f"compare_{path.stem}"
    _prepare_out(out, variants, overwrite)
    plan = plan_comparison(variants, path, out)
    from ivigsim.sweep.run import run_experiment
    runs = {v.label: run_experiment(plan.path, out=out / v.directory, workers=workers, progress=False,
                                    model=resolved_model(v.model), parameters=dict(v.parameters) or None)
            for v in variants}
    specs = {v.label: load_variant_spec(v) for v in variants}
    table, metric_rows = _metric_table(plan, variants, runs, rtol, atol)
    shared, dropped_outputs = shared_outputs(variants, runs, specs)
    comparison = Comparison(
        experiment=runs[variants[0].label].provenance["experiment"], variants=tuple(variants),
        table=table, metrics=metric_rows, trajectories=_trajectory_table(variants, runs, shared, specs),
        dropped=tuple(plan.dropped + dropped_outputs), notes=_input_notes(variants, runs),
        rtol=float(rtol), atol=atol, path=out, results=MappingProxyType(runs))
    from ivigsim.analysis.comparison.report import write_comparison
    write_comparison(comparison, out, shared, specs, plots)
    return comparison
