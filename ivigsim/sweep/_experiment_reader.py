"""The experiment-file reader: header, parameters, regimens, metrics and plots.

Internal to :mod:`ivigsim.sweep.experiment`; the ``[sweep]`` table is read by
:mod:`ivigsim.sweep._experiment_sweep_reader`.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Collection, Mapping
from pathlib import Path
from types import MappingProxyType

from ivigsim.analysis.metrics import METRIC_KINDS, validate_metric
from ivigsim.core.catalogue import experiment_path, load_model
from ivigsim.core.limits import LimitError, check_output_times, count_output_times, limit
from ivigsim.core.regimen import RegimenError
from ivigsim.core.spec import ModelSpec
from ivigsim.errors import ModelFileError
from ivigsim.core.regimen_data import constructor_keywords
from ivigsim.sweep._experiment_fields import Reader, did_you_mean
from ivigsim.sweep._experiment_sweep_reader import read_sweep
from ivigsim.sweep._experiment_types import (
    BASELINES,
    DOSING_METRIC_KINDS,
    EXPERIMENT_FIELDS,
    GROUP_BY,
    MAX_POINTS,
    METRIC_FIELDS,
    METRIC_NEEDS,
    PLOT_FIELDS,
    PLOT_KINDS,
    REGIMEN_KINDS,
    TOP_LEVEL,
    Experiment,
    MetricSpec,
    PlotSpec,
    RegimenSpec,
)
from ivigsim.sweep.sensitivity import SENSITIVITY_METHODS

# ---------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------


def read_header(reader: Reader, data: dict, path: Path) -> tuple[dict, ModelSpec]:
    entry = reader.table(data, "experiment", required=True)
    reader.fields(entry, "experiment", EXPERIMENT_FIELDS,
                  required=("name", "model", "seed", "t_end_days"))
    head = {"name": reader.identifier(entry["name"], "experiment.name"),
            "description": reader.text(entry.get("description", ""), "experiment.description")}

    model_name = reader.text(entry["model"], "experiment.model")
    if model_name.endswith(".toml"):
        model_path = Path(model_name).expanduser()
        if not model_path.is_absolute():
            model_path = path.parent / model_path
        model_name = str(model_path.resolve())
    try:
        model = load_model(model_name)
    except ModelFileError as exc:
        reader.fail("experiment.model", f"the model does not load: {exc}")
    head["model"] = model_name

    head["seed"] = reader.integer(entry["seed"], "experiment.seed", 0)
    head["t_end_days"] = reader.positive(entry["t_end_days"], "experiment.t_end_days")
    step = reader.positive(entry.get("output_step_days", 1.0), "experiment.output_step_days")
    if step > head["t_end_days"]:
        reader.fail("experiment.output_step_days",
                    f"{step:g} is longer than t_end_days = {head['t_end_days']:g}")
    head["output_step_days"] = step
    try:
        check_output_times(count_output_times(head["t_end_days"], step),
                           f"t_end_days = {head['t_end_days']:g} at output_step_days = {step:g}",
                           "shorten t_end_days or lengthen output_step_days")
    except LimitError as exc:       # blame the step only when a one-day grid would have fitted
        fits_daily = count_output_times(head["t_end_days"], 1.0) <= limit("IVIGSIM_MAX_OUTPUT_TIMES")
        reader.fail("experiment.output_step_days" if "output_step_days" in entry and fits_daily
                    else "experiment.t_end_days", str(exc))
    rtol = reader.number(entry.get("rtol", 1e-6), "experiment.rtol")
    if not 0.0 < rtol < 1.0:
        reader.fail("experiment.rtol", f"expected a relative tolerance in (0, 1), got {rtol!r}")
    head["rtol"] = rtol
    weight = reader.number(entry.get("body_weight_kg", 70.0), "experiment.body_weight_kg")
    reader.body_weight(weight, "experiment.body_weight_kg", model)
    head["body_weight_kg"] = weight
    head["replicates"] = reader.integer(entry.get("replicates", 1), "experiment.replicates", 1)
    if head["replicates"] > MAX_POINTS:
        reader.fail("experiment.replicates", f"more than the {MAX_POINTS} simulations a sweep may hold")

    mechanisms = entry.get("mechanisms", {})
    if not isinstance(mechanisms, dict):
        reader.fail("experiment.mechanisms",
                    f"expected a table of mechanism = true/false, got {mechanisms!r}")
    for name, on in mechanisms.items():
        key = f"experiment.mechanisms.{name}"
        if name not in model.mechanisms:
            reader.fail(key, f"model '{model.name}' has no mechanism '{name}'"
                             f"{did_you_mean(name, model.mechanism_names)}; mechanisms: "
                             f"{', '.join(model.mechanism_names)}")
        if not isinstance(on, bool):
            reader.fail(key, f"expected true or false, got {on!r}")
    head["mechanisms"] = MappingProxyType(dict(mechanisms))
    return head, model


def read_parameters(reader: Reader, data: dict, model: ModelSpec) -> MappingProxyType:
    values = {}
    for name, raw in reader.table(data, "parameters").items():
        key = f"parameters.{name}"
        reader.parameter(name, key, model)
        values[name] = reader.number(raw, key)
        reader.in_bounds(values[name], key, model, name)
    return MappingProxyType(values)


def read_regimens(reader: Reader, data: dict) -> tuple[RegimenSpec, ...]:
    table = reader.table(data, "regimens", required=True)
    if not table:
        reader.fail("regimens", "define at least one regimen, e.g. "
                                '[regimens.standard] kind = "ivig"')
    specs = []
    for name, entry in table.items():
        key = f"regimens.{name}"
        reader.identifier(name, key)
        if not isinstance(entry, dict):
            reader.fail(key, f"expected a table with kind = ... and the regimen's keywords, "
                             f"got {entry!r}")
        if "kind" not in entry:
            reader.fail(f"{key}.kind", f"this field is required: one of {', '.join(REGIMEN_KINDS)}")
        specs.append(read_regimen(reader, name, key, entry))
    return tuple(specs)


def read_regimen(reader: Reader, name: str, key: str, entry: dict) -> RegimenSpec:
    """One regimen table; ``kind = "combine"`` holds ``parts``, a list of regimen tables."""
    kind = reader.choice(entry["kind"], f"{key}.kind", REGIMEN_KINDS)
    if kind == "combine":
        reader.fields(entry, key, ("kind", "parts"), required=("parts",))
        parts = entry["parts"]
        if not isinstance(parts, list) or not parts or not all(isinstance(p, dict) for p in parts):
            reader.fail(f"{key}.parts", "expected a list of regimen tables, e.g. "
                                        '[{kind = "ivig"}, {kind = "plasma_exchange", start_day = 7}]')
        built = []
        for i, part in enumerate(parts):
            part_key = f"{key}.parts[{i}]"
            if "kind" not in part:
                reader.fail(f"{part_key}.kind", "this field is required")
            if part["kind"] == "combine":
                reader.fail(f"{part_key}.kind", "a part of a combined regimen cannot itself be 'combine'")
            built.append(read_regimen(reader, f"{name}_part{i + 1}", part_key, part))
        return RegimenSpec(name, kind, MappingProxyType({"parts": tuple(built)}))
    keywords = constructor_keywords(kind)
    arguments = {}
    for arg, value in entry.items():
        if arg == "kind":
            continue
        arg_key = f"{key}.{arg}"
        if arg not in keywords:
            reader.fail(arg_key, f"Regimen.{kind}() has no keyword '{arg}'"
                                 f"{did_you_mean(arg, keywords)}; accepted keywords: "
                                 f"{', '.join(keywords) or 'none'}")
        if isinstance(value, str):
            arguments[arg] = value
        elif isinstance(value, dict):           # e.g. column_efficiency = {igg = 0.8}
            arguments[arg] = tuple(sorted((k, reader.number(v, f"{arg_key}.{k}"))
                                          for k, v in value.items()))
        else:
            number = reader.number(value, arg_key)
            arguments[arg] = value if isinstance(value, int) else number
    return RegimenSpec(name, kind, MappingProxyType(arguments))


def read_metric(reader, name, entry, model, t_end, metric_kinds) -> MetricSpec:
    key = f"metrics.{name}"
    reader.identifier(name, key)
    reader.fields(entry, key, METRIC_FIELDS, required=("kind",))
    kind = reader.text(entry["kind"], f"{key}.kind")
    if metric_kinds is not None and kind not in metric_kinds:
        reader.fail(f"{key}.kind", f"unknown metric kind '{kind}'{did_you_mean(kind, metric_kinds)}; "
                                   f"known: {', '.join(sorted(metric_kinds))}")
    output = None
    if kind in DOSING_METRIC_KINDS:
        if "output" in entry:
            reader.fail(f"{key}.output", f"a {kind} metric comes from the regimen, not from a "
                                         "model output; leave output out")
    elif "output" in entry:
        output = reader.output(entry["output"], f"{key}.output", model)
    elif kind in METRIC_KINDS:
        reader.fail(f"{key}.output", f"a {kind} metric needs an output: an observable or "
                                     f"species of model '{model.name}'")
    for needed in METRIC_NEEDS.get(kind, ()):
        if needed not in entry:
            reader.fail(f"{key}.{needed}", f"a {kind} metric needs this field")

    at_day = window = threshold = price = None
    if "at_day" in entry:
        at_day = reader.number(entry["at_day"], f"{key}.at_day")
        if not 0.0 <= at_day <= t_end:
            reader.fail(f"{key}.at_day", f"expected a day within [0, {t_end:g}], got {at_day:g}")
    if "window_days" in entry:
        raw = entry["window_days"]
        if not isinstance(raw, list) or len(raw) != 2:
            reader.fail(f"{key}.window_days", f"expected [first day, last day], got {raw!r}")
        window = tuple(reader.number(v, f"{key}.window_days") for v in raw)
        if not 0.0 <= window[0] < window[1] <= t_end:
            reader.fail(f"{key}.window_days", f"expected 0 <= first < last <= {t_end:g}, "
                                              f"got {list(window)}")
    if "threshold" in entry:
        threshold = reader.number(entry["threshold"], f"{key}.threshold")
    if "price_usd_per_g" in entry:
        price = reader.positive(entry["price_usd_per_g"], f"{key}.price_usd_per_g")
    extra = {}
    for field_name in ("price_usd_per_mg", "price_usd_per_session"):
        if field_name in entry:
            if kind != "therapy_cost_usd":
                reader.fail(f"{key}.{field_name}", "only a therapy_cost_usd metric takes this price")
            extra[field_name] = reader.positive(entry[field_name], f"{key}.{field_name}")
    baseline = reader.choice(entry.get("baseline", "start"), f"{key}.baseline", BASELINES)
    metric = MetricSpec(name, kind, output, at_day, window, threshold, price, baseline, **extra)
    if kind in METRIC_KINDS:
        # Fields the kind does not use, or needs (half_life's window): refused
        # now, not by a traceback once the sweep has run.
        try:
            validate_metric(metric)
        except ValueError as exc:
            reader.fail(key, str(exc))
    return metric


def read_plot(reader, name, entry, model, sweep, metric_names) -> PlotSpec:
    key = f"plots.{name}"
    reader.identifier(name, key)
    reader.fields(entry, key, ("kind", "x", "y", "metric", "output", "group_by"),
                  required=("kind",))
    kind = reader.choice(entry["kind"], f"{key}.kind", PLOT_KINDS)
    required, optional = PLOT_FIELDS[kind]
    reader.fields(entry, key, ("kind",) + required + optional, required=required,
                  context=f" for a {kind} plot")
    sampled = sweep.names
    for axis in ("x", "y"):
        if axis in entry:
            value = reader.text(entry[axis], f"{key}.{axis}")
            if value not in sampled:
                reader.fail(f"{key}.{axis}", f"'{value}' is not varied by the sweep"
                                             f"{did_you_mean(value, sampled)}; varied: "
                                             f"{', '.join(sampled) or 'nothing'}")
    if kind == "heatmap" and entry["x"] == entry["y"]:
        reader.fail(f"{key}.y", "a heatmap needs two different variables, "
                                f"got '{entry['y']}' twice")
    if kind == "tornado" and not sampled:
        reader.fail(key, "a tornado plot needs a sweep that varies something")
    if kind == "sensitivity" and sweep.method not in SENSITIVITY_METHODS:
        reader.fail(f"{key}.kind", "a sensitivity plot needs a sweep with method = "
                                   f"{' or '.join(repr(m) for m in SENSITIVITY_METHODS)}, "
                                   f"not {sweep.method!r}")
    if "metric" in entry:
        metric = reader.text(entry["metric"], f"{key}.metric")
        if metric not in metric_names:
            reader.fail(f"{key}.metric", f"no metric '{metric}'{did_you_mean(metric, metric_names)}; "
                                         f"metrics: {', '.join(metric_names)}")
    if "output" in entry:
        reader.output(entry["output"], f"{key}.output", model)
    if "group_by" in entry:
        reader.choice(entry["group_by"], f"{key}.group_by", GROUP_BY)
    return PlotSpec(name, kind, entry.get("x"), entry.get("y"), entry.get("metric"),
                    entry.get("output"), entry.get("group_by"))


def check_regimens_build(reader, regimens, sweep) -> None:
    """Build every regimen as written, then once per extreme value of each swept keyword.

    A swept keyword the file leaves out (a required dose, say) takes its
    first swept value when building the regimen as written.
    """
    swept = [v for v in sweep.variables if v.target == "regimen"]
    for spec in regimens:
        mine = [v for v in swept if spec.accepts(v.name)]
        supplied = {v.name: v.extremes()[0] for v in mine if v.name not in spec.arguments}
        try:
            spec.build(supplied)
        except RegimenError as exc:
            using = "".join(f"; with {k} = {v:g} from [sweep.variables.{k}]"
                            for k, v in supplied.items())
            reader.fail(f"regimens.{spec.name}", f"{exc}{using}")
        for variable in mine:
            for value in variable.extremes():
                try:
                    spec.build({**supplied, variable.name: value})
                except RegimenError as exc:
                    reader.fail(f"sweep.variables.{variable.name}",
                                f"regimen '{spec.name}' with {variable.name} = {value:g}: {exc}")


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def load_experiment(path, metric_kinds: Collection[str] | None = None, model: str | None = None,
                    parameters: Mapping[str, float] | None = None) -> Experiment:
    """Read and validate an experiment file.

    Parameters
    ----------
    path : str or path-like
        The ``.toml`` file.
    metric_kinds : collection of str, optional
        Metric kinds to accept; by default any kind is accepted (the metric
        computations check them).  Pass :data:`METRIC_KINDS` to check now.
    model : str, optional
        Run the same experiment on another model (a name or a path) instead of
        the file's ``experiment.model``; everything else is checked against it.
    parameters : mapping of str to float, optional
        Fixed parameter values added to (and overriding) the file's
        ``[parameters]`` table.

    Returns
    -------
    Experiment

    Raises
    ------
    ExperimentFileError
        For anything wrong in the file, naming the file and the key; the
        model must load, and every regimen must build.
    """
    path = experiment_path(path)        # a shipped experiment's name, or a path
    reader = Reader(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        reader.fail("", "file not found")
    except OSError as exc:
        reader.fail("", f"cannot read the file: {exc.strerror or exc}")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        reader.fail("", f"not a UTF-8 text file ({exc.reason})")
    except tomllib.TOMLDecodeError as exc:
        reader.fail("", f"not valid TOML: {exc}")
    for k in data:
        if k not in TOP_LEVEL:
            reader.fail(k, f"unknown top-level table{did_you_mean(k, TOP_LEVEL)}; "
                           f"allowed: {', '.join(TOP_LEVEL)}")

    if model is not None and isinstance(data.get("experiment"), dict):
        data["experiment"]["model"] = str(model)
    if parameters:
        data["parameters"] = {**(data.get("parameters") or {}), **dict(parameters)}
    head, model = read_header(reader, data, path)
    fixed = read_parameters(reader, data, model)
    regimens = read_regimens(reader, data)
    sweep = read_sweep(reader, data, model, regimens, fixed)

    raw_metrics = reader.table(data, "metrics", required=True)
    if not raw_metrics:
        reader.fail("metrics", "define at least one metric, e.g. [metrics.nadir] "
                               'kind = "percent_change_min", output = "autoantibody"')
    kinds = None if metric_kinds is None else frozenset(metric_kinds)
    metrics = tuple(read_metric(reader, name, entry, model, head["t_end_days"], kinds)
                    for name, entry in raw_metrics.items())
    metric_names = [m.name for m in metrics]
    plots = tuple(read_plot(reader, name, entry, model, sweep, metric_names)
                  for name, entry in reader.table(data, "plots").items())

    check_regimens_build(reader, regimens, sweep)
    experiment = Experiment(
        **head, path=str(path), parameters=fixed, regimens=regimens, sweep=sweep,
        metrics=metrics, plots=plots, file_hash=hashlib.sha256(raw).hexdigest())
    if experiment.n_points > MAX_POINTS:
        reader.fail("sweep", f"{experiment.n_points} simulations (regimens x points x replicates) "
                             f"is more than the {MAX_POINTS} allowed; make the sweep smaller")
    return experiment
