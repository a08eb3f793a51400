"""Sweep experiment files for tests and benchmarks: one builder of their TOML text.

The tests of the compiled ensemble, the lanes and the chunk schedules, and
``benchmarks/bench_chunk_python.py``, each need small sweep experiments that
differ in a few tables. :func:`sweep_toml` writes the ``[experiment]``,
``[regimens.*]``, ``[sweep]``, ``[sweep.variables.*]`` and ``[metrics.*]``
tables from dictionaries, in the order given (the order of the variables is
the order of the sampler's columns). :data:`AUTOANTIBODY_NADIR` and the other
metric tables are the ones several sweeps share.
"""

from __future__ import annotations

import numbers

#: Metric tables several sweeps share: the autoantibody's nadir, alone and
#: against the untreated patient (so every point also runs untreated), peak
#: total IgG and the grams given.
METRICS = {
    "nadir_pct": {"kind": "percent_change_min", "output": "autoantibody"},
    "nadir_vs_untreated_pct": {"kind": "percent_change_min", "output": "autoantibody", "baseline": "untreated"},
    "peak": {"kind": "max", "output": "igg_total"},
    "grams": {"kind": "grams_given"},
}


def metrics(*names):
    """The :data:`METRICS` tables of ``names``, in that order."""
    return {name: METRICS[name] for name in names}


def toml_value(value) -> str:
    """TOML text of a string, boolean, number, list or inline table."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, numbers.Real):
        return str(value)                                # a Python or NumPy float's shortest round trip
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key} = {toml_value(v)}" for key, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML text for {value!r}")


def _table(header: str, fields: dict) -> str:
    return f"\n[{header}]\n" + "".join(f"{key} = {toml_value(value)}\n" for key, value in fields.items())


def sweep_toml(name, model, *, seed, t_end_days, regimens, variables, metrics, n,
               method="latin_hypercube", output_step_days=1.0, **experiment) -> str:
    """TOML text of a sweep experiment.

    Parameters
    ----------
    name, model : str
        ``[experiment]`` name and model (a catalogue name or a path).
    seed : int
    t_end_days, output_step_days : float, days
    regimens, variables, metrics : dict of {name: dict of fields}
        The ``[regimens.<name>]``, ``[sweep.variables.<name>]`` and
        ``[metrics.<name>]`` tables, in this order.
    n : int
        Points of the sweep; ``method`` its sampler.
    **experiment
        Further ``[experiment]`` fields (``rtol``, ...).
    """
    text = _table("experiment", {"name": name, "model": str(model), "seed": seed, "t_end_days": t_end_days,
                                 "output_step_days": output_step_days, **experiment})
    text += "".join(_table(f"regimens.{key}", fields) for key, fields in regimens.items())
    text += _table("sweep", {"method": method, "n": n})
    text += "".join(_table(f"sweep.variables.{key}", fields) for key, fields in variables.items())
    return text + "".join(_table(f"metrics.{key}", fields) for key, fields in metrics.items())


def write_sweep(path, **kwargs):
    """Write :func:`sweep_toml` of ``kwargs`` to ``path``; returns the path."""
    path.write_text(sweep_toml(**kwargs), encoding="utf-8")
    return path
