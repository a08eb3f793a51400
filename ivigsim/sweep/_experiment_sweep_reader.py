"""The reader of an experiment file's ``[sweep]`` table: variables, variability,
body weight and correlations.

Internal to :mod:`ivigsim.sweep.experiment`.
"""

from __future__ import annotations

import math

import numpy as np

from ivigsim.sweep._experiment_fields import did_you_mean
from ivigsim.sweep._experiment_types import (
    BODY_WEIGHT_VARIABLE,
    MAX_POINTS,
    SAMPLED_METHODS,
    SCALES,
    SWEEP_FIELDS,
    SWEEP_METHODS,
    BodyWeightDistribution,
    Correlation,
    Sweep,
    SweepVariable,
    Variability,
    is_whole_keyword,
)
from ivigsim.sweep.sensitivity import INSTALL_HINT, SENSITIVITY_METHODS, salib_available

def variable_target(reader, name, key, model, regimens, fixed) -> str:
    if name == BODY_WEIGHT_VARIABLE:
        return "body_weight"
    if name in model.parameter_names:
        reader.parameter(name, key, model)
        if name in fixed:
            reader.fail(key, f"'{name}' is both fixed in [parameters] and swept; remove one")
        return "parameter"
    if any(spec.accepts(name) for spec in regimens):
        return "regimen"
    keywords = sorted({k for spec in regimens for k in spec.keywords})
    candidates = list(model.parameter_names) + keywords + [BODY_WEIGHT_VARIABLE]
    reader.fail(key, f"'{name}' is not a parameter of model '{model.name}', "
                     f"'{BODY_WEIGHT_VARIABLE}' or a keyword of any regimen"
                     f"{did_you_mean(name, candidates)}; regimen keywords: "
                     f"{', '.join(keywords) or 'none'}")


def read_variable(reader, name, entry, method, model, regimens, fixed) -> SweepVariable:
    key = f"sweep.variables.{name}"
    reader.identifier(name, key)
    target = variable_target(reader, name, key, model, regimens, fixed)
    if method == "grid":
        reader.fields(entry, key, ("values", "low", "high", "count", "scale"))
        if "values" in entry:
            for other in ("low", "high", "count", "scale"):
                if other in entry:
                    reader.fail(f"{key}.{other}", "give either values = [...] (used as written) "
                                                  "or low / high / count / scale, not both")
        elif not {"low", "high", "count"} <= set(entry):
            missing = next(k for k in ("low", "high", "count") if k not in entry)
            reader.fail(f"{key}.{missing}", "a grid variable needs values = [...] or "
                                            "low, high and count")
    else:
        reader.fields(entry, key, ("low", "high", "scale"), required=("low", "high"),
                      context=f" for a {method} sweep (which samples between low and high)")

    values = low = high = count = None
    scale = reader.choice(entry.get("scale", "linear"), f"{key}.scale", SCALES)
    if "values" in entry:
        raw = entry["values"]
        if not isinstance(raw, list) or not raw:
            reader.fail(f"{key}.values", f"expected a non-empty list of numbers, got {raw!r}")
        values = tuple(reader.number(v, f"{key}.values") for v in raw)
        if len(set(values)) != len(values):
            reader.fail(f"{key}.values", "values repeat; each grid value must appear once")
    else:
        low = reader.number(entry["low"], f"{key}.low")
        high = reader.number(entry["high"], f"{key}.high")
        if scale == "log" and low <= 0.0:
            reader.fail(f"{key}.low", "expected a positive number for a log scale, "
                                      f"got {entry['low']!r}")
        if not low < high:
            reader.fail(f"{key}.high", f"expected a number above low = {low:g}, "
                                       f"got {entry['high']!r}")
        if "count" in entry:
            count = reader.integer(entry["count"], f"{key}.count", 2)
            if count > MAX_POINTS:
                reader.fail(f"{key}.count", f"{count} grid values is more than the {MAX_POINTS} "
                                            "simulations a sweep may hold; make the grid coarser")
    variable = SweepVariable(name, target, values, low, high, count, scale)

    extremes_key = f"{key}.values" if values is not None else None
    for label, value in zip(("low", "high"), (min(variable.extremes()), max(variable.extremes()))):
        where = extremes_key or f"{key}.{label}"
        if target == "parameter":
            reader.in_bounds(value, where, model, name)
        elif target == "body_weight":
            reader.body_weight(value, where, model)
    if target == "regimen" and any(is_whole_keyword(s.kind, name) for s in regimens
                                   if s.accepts(name)):
        if method != "grid":
            reader.fail(key, f"'{name}' is a whole number; sweep it on a grid, not by {method}")
        grid = variable.grid_values()
        if not np.all(grid == np.round(grid)):
            reader.fail(extremes_key or key, f"'{name}' is a whole number, but the grid holds "
                                             f"{', '.join(f'{v:g}' for v in grid)}")
    return variable


def read_variability(reader, data, model, fixed) -> tuple[Variability, ...]:
    result = []
    for name, entry in data.items():
        key = f"sweep.variability.{name}"
        reader.parameter(name, key, model)
        reader.fields(entry, key, ("cv",), required=("cv",))
        cv = reader.positive(entry["cv"], f"{key}.cv")
        typical = fixed.get(name, model.parameters[model.parameter_index(name)].value)
        if typical <= 0.0:
            reader.fail(key, f"the typical value of '{name}' is {typical:g}; log-normal "
                             "variability needs a typical value > 0")
        result.append(Variability(name, cv))
    return tuple(result)


def read_body_weight(reader, entry, model) -> BodyWeightDistribution:
    key = "sweep.body_weight"
    fields = ("mean", "sd", "low", "high")
    reader.fields(entry, key, fields, required=fields)
    mean, sd, low, high = (reader.number(entry[k], f"{key}.{k}") for k in fields)
    if sd <= 0.0:
        reader.fail(f"{key}.sd", f"expected a number > 0, got {entry['sd']!r}")
    reader.body_weight(low, f"{key}.low", model)
    reader.body_weight(high, f"{key}.high", model)
    if not low <= mean <= high:
        reader.fail(f"{key}.mean", f"expected a mean within [low, high] = [{low:g}, {high:g}], "
                                   f"got {mean:g}")
    if not low < high:
        reader.fail(f"{key}.high", f"expected a number above low = {low:g}, got {high:g}")
    return BodyWeightDistribution(mean, sd, low, high)


def read_correlations(reader, raw, variability) -> tuple[Correlation, ...]:
    if not isinstance(raw, list):
        reader.fail("sweep.correlations", "expected a list of tables: [[sweep.correlations]] "
                                          "a = ..., b = ..., r = ...")
    names = [v.parameter for v in variability]
    result, seen = [], set()
    for i, entry in enumerate(raw, start=1):
        key = f"sweep.correlations[{i}]"
        reader.fields(entry, key, ("a", "b", "r"), required=("a", "b", "r"))
        pair = []
        for side in ("a", "b"):
            name = reader.text(entry[side], f"{key}.{side}")
            if name not in names:
                reader.fail(f"{key}.{side}", f"'{name}' has no [sweep.variability.{name}]"
                                             f"{did_you_mean(name, names)}; correlations join two "
                                             f"variabilities: {', '.join(names) or 'none'}")
            pair.append(name)
        if pair[0] == pair[1]:
            reader.fail(f"{key}.b", "a correlation joins two different parameters, "
                                    f"got '{pair[0]}' twice")
        if frozenset(pair) in seen:
            reader.fail(key, f"the correlation of '{pair[0]}' and '{pair[1]}' is given twice")
        seen.add(frozenset(pair))
        r = reader.number(entry["r"], f"{key}.r")
        if not -1.0 < r < 1.0:
            reader.fail(f"{key}.r", f"expected a correlation strictly between -1 and 1, got {r:g}")
        result.append(Correlation(pair[0], pair[1], r))
    return tuple(result)


def read_sweep(reader, data, model, regimens, fixed) -> Sweep:
    entry = data.get("sweep")
    if entry is None:
        return Sweep()
    reader.fields(entry, "sweep", SWEEP_FIELDS, required=("method",))
    method = reader.choice(entry["method"], "sweep.method", SWEEP_METHODS)
    if method in SENSITIVITY_METHODS and not salib_available():
        reader.fail("sweep.method", INSTALL_HINT)
    n = None
    if method in SAMPLED_METHODS + ("virtual_population",):
        if "n" not in entry:
            reader.fail("sweep.n", f"a {method} sweep needs the number of points n")
        n = reader.integer(entry["n"], "sweep.n", 2 if method in SAMPLED_METHODS else 1)
        if n > MAX_POINTS:
            reader.fail("sweep.n", f"{n} points is more than the {MAX_POINTS} simulations a sweep "
                                   "may hold; make the sweep smaller")
        if method == "sobol" and n & (n - 1):
            reader.fail("sweep.n", f"a Sobol sequence needs a power of 2 points (keeps it "
                                   f"balanced), got {n}; nearest: {2 ** round(math.log2(n))}")
    elif "n" in entry:
        reader.fail("sweep.n", f"a {method} sweep takes no n (only latin_hypercube, sobol, "
                               "sobol_indices, morris and virtual_population do)")

    raw_variables = reader.table(entry, "sweep.variables")
    if method in ("grid",) + SAMPLED_METHODS and not raw_variables:
        reader.fail("sweep.variables", f"a {method} sweep needs at least one "
                                       "[sweep.variables.NAME]")
    if method in ("none", "virtual_population") and raw_variables:
        reader.fail("sweep.variables", f"a {method} sweep takes no variables; use method = "
                                       "\"grid\", \"latin_hypercube\" or \"sobol\"")
    variables = tuple(read_variable(reader, name, raw, method, model, regimens, fixed)
                      for name, raw in raw_variables.items())

    if method != "virtual_population":
        for other in ("variability", "body_weight", "correlations"):
            if other in entry:
                reader.fail(f"sweep.{other}", "only a virtual_population sweep takes this")
        return Sweep(method, n, variables)
    variability = read_variability(reader, reader.table(entry, "sweep.variability"), model, fixed)
    body_weight = None
    if "body_weight" in entry:
        body_weight = read_body_weight(reader, reader.table(entry, "sweep.body_weight"), model)
    if not variability and body_weight is None:
        reader.fail("sweep.variability", "a virtual population needs at least one "
                                         "[sweep.variability.PARAMETER] or a [sweep.body_weight]")
    correlations = read_correlations(reader, entry.get("correlations", []), variability)
    sweep = Sweep(method, n, variables, variability, correlations, body_weight)
    try:
        np.linalg.cholesky(sweep.correlation_matrix())
    except np.linalg.LinAlgError:
        reader.fail("sweep.correlations", "these correlations cannot hold together (the "
                                          "correlation matrix is not positive definite); "
                                          "weaken some of them")
    return sweep
