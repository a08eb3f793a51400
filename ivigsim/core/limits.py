"""Documented size limits, checked by arithmetic before anything is allocated.

A typo (``output_step_days = 1e-7``, ``t_end_days = 1e300``, ``count = 1e9``)
must end in a one-line refusal, not in minutes of swapping or a NumPy
traceback. Each limit can be raised for a machine that has the room, by an
environment variable:

======================  ==============================  =========================================
limit                   default                         raise with
======================  ==============================  =========================================
output times per run    1,000,000                       ``IVIGSIM_MAX_OUTPUT_TIMES``
stored sweep results    4 GB (points x times x outputs) ``IVIGSIM_MAX_RESULT_GB``
species in a model      1,000                           ``IVIGSIM_MAX_SPECIES``
reactions in a model    20,000                          ``IVIGSIM_MAX_REACTIONS``
======================  ==============================  =========================================

The number of sweep points has its own limit (``MAX_POINTS`` in
:mod:`ivigsim.sweep.experiment`), and the solver its step budget (``max_steps``).
"""

from __future__ import annotations

import math
import os

from ivigsim.errors import IvigsimError

DEFAULTS = {
    "IVIGSIM_MAX_OUTPUT_TIMES": 1_000_000,
    "IVIGSIM_MAX_RESULT_GB": 4.0,
    "IVIGSIM_MAX_SPECIES": 1_000,
    "IVIGSIM_MAX_REACTIONS": 20_000,
}


class LimitError(IvigsimError, ValueError):
    """A request is larger than a documented limit; the message says how to raise it."""


def limit(name):
    """The current value of limit ``name`` (an environment variable in :data:`DEFAULTS`)."""
    default = DEFAULTS[name]
    text = os.environ.get(name)
    if not text:
        return default
    try:
        value = type(default)(float(text))
    except ValueError:
        raise LimitError(f"environment variable {name}={text!r} is not a number") from None
    if not value > 0:
        raise LimitError(f"environment variable {name}={text!r} must be positive")
    return value


def count_output_times(t_end, step):
    """How many output times ``0, step, 2 step, ... t_end`` makes, without making them."""
    if not (math.isfinite(t_end) and math.isfinite(step) and step > 0):
        return math.inf
    return math.floor(t_end / step + 1e-9) + 2


def check_output_times(n_times, what, how_to_shorten):
    """Refuse more than ``IVIGSIM_MAX_OUTPUT_TIMES`` output times."""
    cap = limit("IVIGSIM_MAX_OUTPUT_TIMES")
    if not n_times <= cap:
        raise LimitError(f"{what} asks for {n_times:.4g} output times, more than the limit of {cap:,}; "
                         f"{how_to_shorten} (or raise the limit: IVIGSIM_MAX_OUTPUT_TIMES={cap * 10})")


def check_result_size(n_points, n_times, n_outputs, what):
    """Refuse a sweep whose stored trajectories (float64) would pass ``IVIGSIM_MAX_RESULT_GB``."""
    cap_gb = limit("IVIGSIM_MAX_RESULT_GB")
    size_gb = n_points * n_times * n_outputs * 8 / 1e9
    if size_gb > cap_gb:
        raise LimitError(f"{what}: {n_points:,} points x {n_times:,} output times x {n_outputs} outputs "
                         f"is {size_gb:.3g} GB of trajectories, more than the limit of {cap_gb:g} GB; "
                         f"use fewer points or a longer output_step_days (or raise the limit: "
                         f"IVIGSIM_MAX_RESULT_GB={max(cap_gb * 2, math.ceil(size_gb))})")


def check_model_size(name, n_species, n_reactions):
    """Refuse a model too large to compile in reasonable time (Jacobian: n_species squared)."""
    for count, key, what in ((n_species, "IVIGSIM_MAX_SPECIES", "species"),
                             (n_reactions, "IVIGSIM_MAX_REACTIONS", "reactions")):
        cap = limit(key)
        if count > cap:
            raise LimitError(f"model '{name}' has {count:,} {what}, more than the {cap:,} the kernel "
                             f"generator accepts (its symbolic Jacobian grows with species squared); "
                             f"raise the limit with {key}={count} if you can wait for the compilation")
