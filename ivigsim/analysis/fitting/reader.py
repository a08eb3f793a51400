"""Read a fit-problem directory into a :class:`~ivigsim.analysis.fitting.problem.FitProblem`.

:func:`load_problem` reads ``problem.yaml``, the PEtab tables it names and
``ivigsim.toml``, and checks everything that can be checked before a single
simulation runs. Each error names the file, the row and the column (or the
TOML key) and what was expected.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np

from ivigsim.paths import PACKAGE_DIR
from ivigsim.core.catalogue import load_model
from ivigsim.errors import IvigsimError
from ivigsim.core.expressions import ExpressionError, parse_expression, symbols
from ivigsim.sweep.experiment import REGIMEN_KINDS, RegimenSpec
from ivigsim.analysis.fitting.problem import (DISTRIBUTIONS, NOISE_PLACEHOLDER, PRIOR_TYPES, SCALES, TRANSFORMATIONS,
                                     FitCondition, FitObservable, FitParameter, FitProblem, Measurements)
from ivigsim.analysis.fitting.tables import FitProblemError, read_problem_yaml, read_table
from ivigsim.core.regimen import RegimenError


def load_problem(directory):
    """Read and check a fit-problem directory.

    Parameters
    ----------
    directory : str or path
        Holds ``problem.yaml``, the PEtab tables it names and ``ivigsim.toml``.

    Returns
    -------
    FitProblem

    Raises
    ------
    FitProblemError
        On any malformed entry, naming file, row and column (or key).
    """
    directory = resolve_problem_directory(directory)
    files = read_problem_yaml(directory / "problem.yaml")
    settings, regimens = _read_settings(directory / "ivigsim.toml", directory)
    spec = settings["spec"]
    observables = _read_observables(read_table(directory / files["observable_files"]), spec)
    conditions = _read_conditions(read_table(directory / files["condition_files"]), spec, regimens,
                                  directory / "ivigsim.toml")
    measurements = _read_measurements(read_table(directory / files["measurement_files"]), observables,
                                      conditions)
    parameters = _read_parameters(read_table(directory / files["parameter_file"]), spec, observables,
                                  measurements, conditions)
    t_end = settings["t_end_days"] or float(measurements.time.max())
    if t_end < measurements.time.max():
        raise FitProblemError(directory / "ivigsim.toml", "[fit].t_end_days",
                              f"{t_end:g} days ends before the last measurement ({measurements.time.max():g} days)")
    readme = directory / "README.md"
    return FitProblem(
        name=directory.resolve().name, directory=str(directory), model=settings["model"], spec=spec,
        seed=settings["seed"], n_starts=settings["n_starts"], t_end_days=max(t_end, 1e-9),
        rtol=settings["rtol"], parameters=parameters, observables=observables, conditions=conditions,
        measurements=measurements, readme=readme.read_text(encoding="utf-8") if readme.is_file() else "")


def shipped_problems():
    """Name -> directory of the fit problems shipped in ``fits/``."""
    here = PACKAGE_DIR
    found = {}
    for root in (here.parent / "fits", here / "_fits"):
        if root.is_dir():
            for d in sorted(root.iterdir()):
                if (d / "problem.yaml").is_file():
                    found.setdefault(d.name, d)
    return found


def resolve_problem_directory(directory):
    """A problem directory, or the name of a shipped one (``"igg_course_didactic"``)."""
    path = Path(directory)
    if path.is_dir():
        return path
    shipped = shipped_problems()
    if str(directory) in shipped:
        return shipped[str(directory)]
    raise FitProblemError(path, "", "not a directory (a fit problem is a directory with problem.yaml) nor the "
                                    f"name of a shipped problem ({', '.join(shipped) or 'none'})")


# --------------------------------------------------------------------------- ivigsim.toml
def _read_settings(path, directory):
    if not path.is_file():
        raise FitProblemError(path, "", "file not found (it names the model and each condition's regimen)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise FitProblemError(path, "", f"not valid TOML: {exc}") from None
    unknown = set(data) - {"fit", "conditions"}
    if unknown:
        raise FitProblemError(path, f"[{sorted(unknown)[0]}]", "unknown table; expected [fit] and [conditions.ID]")
    fit = data.get("fit")
    if not isinstance(fit, dict):
        raise FitProblemError(path, "[fit]", "this table is required (model, seed, n_starts)")
    extra = set(fit) - {"model", "seed", "n_starts", "t_end_days", "rtol"}
    if extra:
        raise FitProblemError(path, f"[fit].{sorted(extra)[0]}",
                              "unknown key; expected model, seed, n_starts, t_end_days, rtol")
    model = fit.get("model")
    if not isinstance(model, str):
        raise FitProblemError(path, "[fit].model", "expected a shipped model name or a path to a model file")
    target = directory / model
    try:
        spec = load_model(target if model.endswith(".toml") else model)
    except IvigsimError as exc:
        raise FitProblemError(path, "[fit].model", str(exc)) from None
    if spec.events:
        # the fit's batched finite-difference integrations do not run model events
        raise FitProblemError(path, "[fit].model", f"model '{spec.name}' has events "
                                                   f"({', '.join(e.name for e in spec.events)}); fitting a "
                                                   f"model with events is not supported")
    settings = {"model": model, "spec": spec}
    for key, default, kind in (("seed", None, int), ("n_starts", None, int), ("t_end_days", 0.0, float),
                               ("rtol", 1e-8, float)):
        value = fit.get(key, default)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if value is None or not ok or (kind is int and not isinstance(value, int)):
            raise FitProblemError(path, f"[fit].{key}", f"expected {'an integer' if kind is int else 'a number'}, "
                                                        f"got {value!r}")
        settings[key] = kind(value)
    if settings["n_starts"] < 1:
        raise FitProblemError(path, "[fit].n_starts", f"expected at least 1, got {settings['n_starts']}")
    if settings["seed"] < 0:
        raise FitProblemError(path, "[fit].seed", f"expected a non-negative integer, got {settings['seed']}")
    if not 0 < settings["rtol"] < 1e-3:
        raise FitProblemError(path, "[fit].rtol", f"expected a number in (0, 1e-3), got {settings['rtol']!r}")
    if settings["t_end_days"] < 0:
        raise FitProblemError(path, "[fit].t_end_days", "expected a positive number of days")
    regimens = {}
    for cid, entry in (data.get("conditions") or {}).items():
        regimens[cid] = _read_condition_entry(path, cid, entry)
    return settings, regimens


def _read_condition_entry(path, cid, entry):
    key = f"[conditions.{cid}]"
    if not isinstance(entry, dict):
        raise FitProblemError(path, key, "expected a table with a regimen and optional body_weight_kg")
    entry = dict(entry)
    weight = entry.pop("body_weight_kg", None)
    if weight is not None and (isinstance(weight, bool) or not isinstance(weight, (int, float))
                               or not 0 < weight <= 300):
        raise FitProblemError(path, f"{key}.body_weight_kg", f"expected a body weight in (0, 300] kg, got {weight!r}")
    regimen = entry.pop("regimen", None)
    if regimen is None:
        regimen, entry = entry, {}
    if entry:
        raise FitProblemError(path, f"{key}.{sorted(entry)[0]}",
                              "unknown key next to a regimen sub-table; expected regimen and body_weight_kg")
    if not isinstance(regimen, dict) or "kind" not in regimen:
        raise FitProblemError(path, f"{key}.kind", f"a regimen needs kind = one of {', '.join(REGIMEN_KINDS)}")
    arguments = {k: v for k, v in regimen.items() if k != "kind"}
    try:
        spec = RegimenSpec(cid, regimen["kind"], arguments)
        spec.build()
    except (RegimenError, TypeError, ValueError) as exc:
        raise FitProblemError(path, key, str(exc)) from None
    return spec, None if weight is None else float(weight)


# --------------------------------------------------------------------------- tables
def _read_observables(table, spec):
    table.require("observableId", "observableFormula", "noiseFormula")
    known = set(spec.species_names) | set(spec.observable_names) | set(spec.parameter_names)
    observables = []
    for i, row in enumerate(table.rows):
        name = table.text(i, "observableId")
        if not name.isidentifier():
            table.fail(i, "observableId", f"{name!r} is not a valid identifier")
        if name in {o.name for o in observables}:
            table.fail(i, "observableId", f"observable '{name}' is defined twice")
        formula = table.text(i, "observableFormula")
        try:
            node = parse_expression(formula)
        except ExpressionError as exc:
            table.fail(i, "observableFormula", str(exc))
        unknown = sorted(symbols(node) - known)
        if unknown:
            table.fail(i, "observableFormula", f"'{unknown[0]}' is not a species, observable or parameter of "
                                               f"model '{spec.name}'")
        transformation = table.text(i, "observableTransformation", "lin") if \
            "observableTransformation" in table.columns else "lin"
        if transformation not in TRANSFORMATIONS:
            table.fail(i, "observableTransformation", f"expected one of {', '.join(TRANSFORMATIONS)}, "
                                                      f"got {transformation!r}")
        distribution = table.text(i, "noiseDistribution", "normal") if \
            "noiseDistribution" in table.columns else "normal"
        if distribution not in DISTRIBUTIONS:
            table.fail(i, "noiseDistribution", f"expected one of {', '.join(DISTRIBUTIONS)}, got {distribution!r}")
        noise = table.text(i, "noiseFormula")
        try:
            sigma = float(noise)
        except ValueError:
            if not noise.isidentifier():
                table.fail(i, "noiseFormula", f"expected a number, a parameter id or "
                                              f"{NOISE_PLACEHOLDER}{name}, got {noise!r}")
        else:
            if not (math.isfinite(sigma) and sigma > 0):
                table.fail(i, "noiseFormula", f"sigma must be a positive number, got {noise!r}")
        if noise.startswith(NOISE_PLACEHOLDER) and noise != NOISE_PLACEHOLDER + name:
            table.fail(i, "noiseFormula", f"expected {NOISE_PLACEHOLDER}{name}, got {noise!r}")
        observables.append(FitObservable(name, formula, node, transformation, noise, distribution))
    if not observables:
        table.fail(None, "observableId", "define at least one observable")
    return tuple(observables)


def _read_conditions(table, spec, regimens, toml_path):
    table.require("conditionId")
    clamp_columns = [c for c in table.columns if c not in ("conditionId", "conditionName")]
    for column in clamp_columns:
        if column not in spec.parameter_names:
            raise FitProblemError(table.path, f"row 1, column '{column}'",
                                  f"model '{spec.name}' has no parameter '{column}' for a condition to set")
    conditions = []
    for i, row in enumerate(table.rows):
        cid = table.text(i, "conditionId")
        if cid in {c.name for c in conditions}:
            table.fail(i, "conditionId", f"condition '{cid}' is defined twice")
        if cid not in regimens:
            raise FitProblemError(toml_path, f"[conditions.{cid}]",
                                  f"condition '{cid}' of {table.path.name} needs its regimen here "
                                  f'(kind = "none" for untreated)')
        clamps = []
        for column in clamp_columns:
            text = (row.get(column) or "").strip()
            if text == "":
                continue
            if text.isidentifier():         # a condition-specific parameter of parameters.tsv
                clamps.append((column, text))
                continue
            value = table.number(i, column)
            low, high = spec.parameters[spec.parameter_index(column)].bounds
            if not low <= value <= high:
                table.fail(i, column, f"{value:g} is outside the model's range [{low:g}, {high:g}]")
            clamps.append((column, value))
        regimen, weight = regimens[cid]
        label = (row.get("conditionName") or "").strip() or cid
        conditions.append(FitCondition(cid, label, regimen, weight, tuple(clamps)))
    extra = sorted(set(regimens) - {c.name for c in conditions})
    if extra:
        raise FitProblemError(toml_path, f"[conditions.{extra[0]}]", f"no condition '{extra[0]}' in {table.path.name}")
    return tuple(conditions)


def _read_measurements(table, observables, conditions):
    table.require("observableId", "simulationConditionId", "time", "measurement")
    obs = {o.name: o for o in observables}
    cond_names = {c.name for c in conditions}
    rows = {k: [] for k in ("observable", "condition", "time", "value", "noise", "dataset", "replicate")}
    for i in range(len(table.rows)):
        oid = table.text(i, "observableId")
        if oid not in obs:
            table.fail(i, "observableId", f"unknown observable '{oid}' (observables.tsv defines "
                                          f"{', '.join(obs)})")
        cid = table.text(i, "simulationConditionId")
        if cid not in cond_names:
            table.fail(i, "simulationConditionId", f"unknown condition '{cid}' (conditions.tsv defines "
                                                   f"{', '.join(sorted(cond_names))})")
        if "preequilibrationConditionId" in table.columns and (table.rows[i].get("preequilibrationConditionId")
                                                                or "").strip():
            table.fail(i, "preequilibrationConditionId", "not supported: a model with initial_state = "
                                                         "\"steady_state\" starts at its untreated steady state")
        time = table.number(i, "time", allow_nan=True)
        if not (math.isfinite(time) and time >= 0):
            table.fail(i, "time", f"expected a finite, non-negative time in days, got {time!r}")
        value = table.number(i, "measurement", allow_nan=True)
        if not math.isfinite(value):
            table.fail(i, "measurement", f"expected a finite number, got {value!r}")
        if value < 0 or (value == 0 and obs[oid].transformation != "lin"):
            table.fail(i, "measurement", f"expected a {'non-negative' if value < 0 else 'positive'} "
                                         f"concentration, got {value:g}")
        noise = obs[oid].noise_formula
        if noise.startswith(NOISE_PLACEHOLDER):
            text = table.text(i, "noiseParameters", "") if "noiseParameters" in table.columns else ""
            if not text:
                table.fail(i, "noiseParameters", f"observable '{oid}' takes its sigma from this column ({noise})")
            try:
                noise = float(text)
                if not (math.isfinite(noise) and noise > 0):
                    table.fail(i, "noiseParameters", f"sigma must be a positive number, got {text!r}")
            except ValueError:
                noise = text
        else:
            try:
                noise = float(noise)
            except ValueError:
                pass
        rows["observable"].append(oid)
        rows["condition"].append(cid)
        rows["time"].append(time)
        rows["value"].append(value)
        rows["noise"].append(noise)
        rows["dataset"].append((table.rows[i].get("datasetId") or "").strip())
        rows["replicate"].append((table.rows[i].get("replicateId") or "").strip())
    if not rows["time"]:
        table.fail(None, "measurement", "the table has no data rows")
    return Measurements(tuple(rows["observable"]), tuple(rows["condition"]), np.array(rows["time"]),
                        np.array(rows["value"]), tuple(rows["noise"]), tuple(rows["dataset"]),
                        tuple(rows["replicate"]))


def _read_parameters(table, spec, observables, measurements, conditions):
    table.require("parameterId", "parameterScale", "lowerBound", "upperBound", "nominalValue", "estimate")
    noise_ids = {n for n in measurements.noise if isinstance(n, str)}
    # Condition-specific parameters: id -> the model parameter (column of conditions.tsv) it sets.
    mapped = {value: column for c in conditions for column, value in c.clamps if isinstance(value, str)}
    parameters = []
    for i in range(len(table.rows)):
        name = table.text(i, "parameterId")
        is_noise = name in noise_ids
        if name in mapped and name in spec.parameter_names:
            table.fail(i, "parameterId", f"'{name}' is both a model parameter and a value in conditions.tsv")
        if not is_noise and name not in spec.parameter_names and name not in mapped:
            table.fail(i, "parameterId", f"unknown parameter '{name}': neither a parameter of model "
                                         f"'{spec.name}', a value in conditions.tsv, nor a sigma named in "
                                         f"observables.tsv/measurements.tsv")
        if name in {p.name for p in parameters}:
            table.fail(i, "parameterId", f"parameter '{name}' is listed twice")
        scale = table.text(i, "parameterScale")
        if scale not in SCALES:
            table.fail(i, "parameterScale", f"expected one of {', '.join(SCALES)}, got {scale!r}")
        lower, upper = table.number(i, "lowerBound"), table.number(i, "upperBound")
        nominal = table.number(i, "nominalValue")
        estimate = table.text(i, "estimate")
        if estimate not in ("0", "1"):
            table.fail(i, "estimate", f"expected 0 or 1, got {estimate!r}")
        if not lower < upper:
            table.fail(i, "upperBound", f"expected upperBound > lowerBound ({lower:g}), got {upper:g}")
        if not lower <= nominal <= upper:
            table.fail(i, "nominalValue", f"the bounds [{lower:g}, {upper:g}] exclude the nominal value {nominal:g}")
        if scale != "lin" and lower <= 0:
            table.fail(i, "lowerBound", f"a {scale} scale needs a positive lower bound, got {lower:g}")
        if is_noise and (lower <= 0 if estimate == "1" else nominal <= 0):
            column = "lowerBound" if estimate == "1" else "nominalValue"
            table.fail(i, column, f"sigma must be positive, got {lower if estimate == '1' else nominal:g}")
        unit = "same unit as its observable (transformed)"
        if not is_noise:
            par = spec.parameters[spec.parameter_index(mapped.get(name, name))]
            unit = str(par.unit)
            low, high = par.bounds
            if lower < low or upper > high:
                table.fail(i, "lowerBound" if lower < low else "upperBound",
                           f"[{lower:g}, {upper:g}] reaches outside the range of '{par.name}' in model "
                           f"'{spec.name}' [{low:g}, {high:g}] {unit}")
        prior_type, prior_parameters = _read_prior(table, i)
        parameters.append(FitParameter(name, scale, lower, upper, nominal, estimate == "1", is_noise, unit,
                                       (table.rows[i].get("parameterName") or "").strip(), prior_type,
                                       prior_parameters))
    missing = sorted(noise_ids - {p.name for p in parameters})
    if missing:
        table.fail(None, "parameterId", f"sigma parameter '{missing[0]}' is used in the noise model but "
                                        f"has no row here")
    missing = sorted(set(mapped) - {p.name for p in parameters})
    if missing:
        table.fail(None, "parameterId", f"parameter '{missing[0]}' is named in conditions.tsv (column "
                                        f"'{mapped[missing[0]]}') but has no row here")
    if not any(p.estimate for p in parameters):
        table.fail(None, "estimate", "no parameter is estimated (set estimate = 1 on at least one row)")
    return tuple(parameters)


def _read_prior(table, i):
    if "objectivePriorType" not in table.columns or not (table.rows[i].get("objectivePriorType") or "").strip():
        return "", ()
    kind = table.text(i, "objectivePriorType")
    if kind not in PRIOR_TYPES:
        table.fail(i, "objectivePriorType", f"expected one of {', '.join(PRIOR_TYPES)}, got {kind!r}")
    text = table.text(i, "objectivePriorParameters")
    try:
        values = tuple(float(v) for v in text.split(";"))
    except ValueError:
        table.fail(i, "objectivePriorParameters", f"expected two numbers separated by ';', got {text!r}")
    if len(values) != 2 or not all(math.isfinite(v) for v in values):
        table.fail(i, "objectivePriorParameters", f"expected two finite numbers separated by ';', got {text!r}")
    if "Uniform" not in kind and kind != "uniform" and values[1] <= 0:
        table.fail(i, "objectivePriorParameters", f"the prior's scale must be positive, got {values[1]:g}")
    return kind, values
