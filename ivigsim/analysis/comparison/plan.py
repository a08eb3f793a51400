"""What variants of different models can be compared on, and the experiment file they all run.

Variants are compared on the outputs they share by name.  A metric whose
output some variant lacks is left out of every run, and so is a threshold
metric whose output has different units in different variants (its threshold
would mean different things), together with the plots that show what was
left out; the experiment then runs from a copy of the file without them
(:data:`SHARED_FILE` in the output folder).  Values of shared outputs in
convertible units (``%`` and ``1``, ``g/L`` and ``mg/L``) are converted to
the reference's unit.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ivigsim.errors import IvigsimError

__all__ = ["Plan", "SHARED_FILE", "plan_comparison", "shared_outputs", "load_variant_spec", "resolved_model",
           "looks_like_path", "toml_text"]

#: The copy of the experiment file without what some variant cannot compute.
SHARED_FILE = "experiment_shared.toml"
# Metric kinds whose values are in the unit of their output (or that unit times or per day).
_OUTPUT_UNIT_KINDS = frozenset({"value_at", "max", "min", "auc", "max_rate_of_rise"})
_THRESHOLD_KINDS = frozenset({"time_above", "time_below"})


def looks_like_path(model: str) -> bool:
    """Whether a model is given by a path (rather than by a name in ``models/``)."""
    return model.endswith(".toml") or "/" in model or "\\" in model


def resolved_model(model: str) -> str:
    """A model path made absolute against the working directory (names are kept)."""
    return str(Path(model).expanduser().resolve()) if looks_like_path(model) else model


@dataclass(frozen=True)
class Plan:
    """The experiment file to run, the metrics kept, unit factors and what was dropped."""

    path: Path
    metrics: tuple                 # MetricSpec kept, from the reference's experiment
    factors: dict                  # (label, metric name) -> factor to the reference's unit
    dropped: list                  # (what, name, reason)


def load_variant_spec(variant):
    """The model of a variant, or an error naming the variant."""
    from ivigsim.core.catalogue import load_model
    try:
        return load_model(resolved_model(variant.model))
    except IvigsimError as exc:
        raise IvigsimError(f"variant '{variant.label}': the model does not load: {exc}") from None


def _missing_from(name, specs):
    return [label for label, spec in specs.items()
            if name not in spec.observable_names and name not in spec.species_names]


def _lacking(labels) -> str:
    return f"which {' and '.join(labels)} lack{'s' if len(labels) == 1 else ''}"


def _metric_drop_reason(metric, specs, reference):
    """Why ``metric`` cannot be compared across the variants, or None."""
    missing = _missing_from(metric.output, specs)
    if missing:
        return f"reads '{metric.output}', {_lacking(missing)}"
    ref_unit = specs[reference].unit_of(metric.output)
    for label, spec in specs.items():
        unit = spec.unit_of(metric.output)
        if not unit.same_dimension(ref_unit):
            return (f"'{metric.output}' is in {unit} in {label} but in {ref_unit} in {reference}, "
                    "which do not convert")
        if metric.kind in _THRESHOLD_KINDS and not math.isclose(unit.factor_to(ref_unit), 1.0):
            return (f"its threshold is in the unit of '{metric.output}', which is {unit} in {label} "
                    f"but {ref_unit} in {reference}")
    return None


def plan_comparison(variants, path, out) -> Plan:
    """Check the experiment file against every variant before anything runs.

    Parameters
    ----------
    variants : list of Variant
        The first is the reference.
    path : Path
        The experiment file.
    out : Path
        Where a copy without what cannot be compared is written, if needed.

    Returns
    -------
    Plan

    Raises
    ------
    IvigsimError
        When no metric can be compared, or when the experiment cannot run on
        a variant (naming the variant and what it lacks).
    """
    from ivigsim.sweep.experiment import load_experiment
    from ivigsim.analysis.metrics import METRIC_KINDS

    base = load_experiment(path, metric_kinds=METRIC_KINDS)
    specs = {v.label: load_variant_spec(v) for v in variants}
    reference = variants[0].label
    dropped, kept = [], []
    for metric in base.metrics:
        reason = _metric_drop_reason(metric, specs, reference) if metric.output else None
        if reason:
            dropped.append(("metric", metric.name, reason))
        else:
            kept.append(metric)
    if not kept:
        raise IvigsimError(f"{path}: no metric can be compared across the variants: "
                           + "; ".join(f"{name} {why}" for _, name, why in dropped))
    dropped += _plot_drops(base.plots, {m.name for m in kept}, specs)
    run_path = Path(path)
    if dropped:
        run_path = _write_shared_copy(path, base.file_hash, {m.name for m in kept},
                                      {name for what, name, _ in dropped if what == "plot"}, out)
    factors = {}
    for metric in kept:
        if metric.output and metric.kind in _OUTPUT_UNIT_KINDS:
            ref_unit = specs[reference].unit_of(metric.output)
            for label, spec in specs.items():
                factors[(label, metric.name)] = spec.unit_of(metric.output).factor_to(ref_unit)
    for v in variants:
        try:
            load_experiment(run_path, metric_kinds=METRIC_KINDS, model=resolved_model(v.model),
                            parameters=v.parameters)
        except IvigsimError as exc:
            raise IvigsimError(f"variant '{v.label}' cannot run {path}: {exc}") from None
    return Plan(run_path, tuple(kept), factors, dropped)


def _plot_drops(plots, kept, specs):
    """(what, name, reason) for each plot of a left-out metric or of an output some variant lacks."""
    dropped = []
    for plot in plots:
        if plot.metric is not None and plot.metric not in kept:
            dropped.append(("plot", plot.name, f"shows metric '{plot.metric}', which was left out"))
        elif plot.output is not None and _missing_from(plot.output, specs):
            dropped.append(("plot", plot.name, f"shows '{plot.output}', "
                                               f"{_lacking(_missing_from(plot.output, specs))}"))
    return dropped


def _write_shared_copy(path, file_hash, metrics, left_out_plots, out):
    """The experiment file with only ``metrics`` and without ``left_out_plots``, in ``out``."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    data["metrics"] = {k: v for k, v in data["metrics"].items() if k in metrics}
    plots = {k: v for k, v in data.get("plots", {}).items() if k not in left_out_plots}
    data.pop("plots", None)
    if plots:
        data["plots"] = plots
    experiment = data.get("experiment", {})
    model = experiment.get("model", "")
    if isinstance(model, str) and model.endswith(".toml") and not Path(model).is_absolute():
        experiment["model"] = str((Path(path).parent / model).resolve())
    target = Path(out) / SHARED_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    text = (f"# {Path(path).name} ({file_hash[:12]}) without what some variants cannot "
            "compute; written by ivigsim compare\n" + toml_text(data))
    if tomllib.loads(text) != data:
        raise IvigsimError(f"{path}: could not write an equivalent copy of the file to {target}")
    target.write_text(text, encoding="utf-8")
    return target


def shared_outputs(variants, runs, specs):
    """Outputs stored by every run, with factors to the reference's unit; and what was dropped."""
    ref = variants[0].label
    stored = {v.label: list(runs[v.label].trajectories.data_vars) for v in variants}
    shared, dropped = {}, []
    for name in stored[ref] + [n for v in variants[1:] for n in stored[v.label]]:
        if name in shared or any(d[1] == name for d in dropped):
            continue
        lacking = [v.label for v in variants if name not in stored[v.label]]
        if lacking:
            dropped.append(("output", name, f"not an output of {', '.join(lacking)}"))
            continue
        ref_unit = specs[ref].unit_of(name)
        units = {v.label: specs[v.label].unit_of(name) for v in variants}
        bad = [label for label, unit in units.items() if not unit.same_dimension(ref_unit)]
        if bad:
            dropped.append(("output", name, f"in {units[bad[0]]} in {bad[0]} but {ref_unit} in {ref}, "
                                            "which do not convert"))
            continue
        shared[name] = {label: unit.factor_to(ref_unit) for label, unit in units.items()}
    return shared, dropped


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise IvigsimError(f"cannot write {value!r} to an experiment file")


def _toml_key(key: str) -> str:
    return key if re.match(r"^[A-Za-z0-9_-]+$", key) else json.dumps(key)


def toml_text(data: dict, prefix: str = "") -> str:
    """TOML for the tables, arrays of tables, numbers, text and lists of an experiment file."""
    lines, tables = [], []
    for key, value in data.items():
        if isinstance(value, dict) or (isinstance(value, list) and value
                                       and all(isinstance(v, dict) for v in value)):
            tables.append((key, value))
        else:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    text = "\n".join(lines) + ("\n" if lines else "")
    for key, value in tables:
        name = f"{prefix}{_toml_key(key)}"
        if isinstance(value, list):
            for entry in value:
                text += f"\n[[{name}]]\n" + toml_text(entry, name + ".")
            continue
        body = toml_text(value, name + ".")
        has_values = any(not isinstance(v, (dict, list)) or (isinstance(v, list) and not all(
            isinstance(x, dict) for x in v)) for v in value.values())
        text += (f"\n[{name}]\n" + body) if has_values or not value else body
    return text
