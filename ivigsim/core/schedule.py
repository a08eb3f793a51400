"""Turn a regimen into what the solver understands: segments, inputs and jumps.

A :class:`~ivigsim.core.regimen.Regimen` speaks in grams of product over hours; a
model speaks in concentrations of species. Here each dose is mapped to its
target species (by product and route, as the model's ``[doses]`` table says),
converted from grams to the species' amount unit and divided by the
compartment volume. Time is cut at every infusion start and stop and at every
bolus; within a segment the infusion input is constant.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from ivigsim.core.apheresis import CONTROL_PARAMETERS
from ivigsim.errors import ParameterError
from ivigsim.core.columns import evaluate_columns
from ivigsim.core.expressions import evaluate, symbols, to_text
from ivigsim.core.units import parse_unit

_GRAM = parse_unit("g")


@dataclass(frozen=True)
class DosingSchedule:
    """Piecewise-constant inputs on ``[t_breaks[s], t_breaks[s+1]]``.

    inputs : (n_segments, n_inputs) species unit per day, into ``input_target``
    jumps  : (n_segments, n_species) added to the state at each segment start
    control_index  : (n_controls,) parameter indices that the regimen sets per segment
    control_values : (n_segments, n_controls) their values, in the parameters' units
    """

    t_breaks: np.ndarray
    inputs: np.ndarray
    input_target: np.ndarray
    jumps: np.ndarray
    control_index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    control_values: np.ndarray | None = None

    def __post_init__(self):
        if self.control_values is None:
            object.__setattr__(self, "control_values", np.zeros((len(self.t_breaks) - 1, 0)))

    @property
    def has_controls(self):
        """Whether some parameter changes between segments (plasma exchange, ...)."""
        return self.control_index.size > 0

    @property
    def switch_times(self):
        return self.t_breaks[1:-1]


@functools.lru_cache(maxsize=256)
def _grams_to_amount(mass_per_amount_unit, amount_unit):
    """grams / (mass_per_amount [its unit]) -> amount in the species' amount unit."""
    return (_GRAM / mass_per_amount_unit).factor_to(amount_unit)


def _dose_targets(spec, env, product, route, m=1):
    """[(species index, concentration per gram of product), ...] for one product and route.

    ``env`` holds floats (one run) or arrays of ``m`` points (a batch); the
    concentration per gram is then an array too, computed with the same
    operations (see :mod:`ivigsim.core.columns`).
    """
    if product not in spec.doses:
        offered = ", ".join(spec.doses) or "none"
        raise ParameterError(f"model '{spec.name}' has no dose target for product '{product}' "
                             f"(it accepts: {offered})")
    target = spec.doses[product]
    if route not in target.routes:
        raise ParameterError(f"model '{spec.name}' cannot give '{product}' by the {route} route "
                             f"(routes: {', '.join(target.routes)})")
    mass_per_amount = _value(target.mass_per_amount, env, m)
    resolved = []
    for name, fraction_node in target.routes[route]:
        fraction = _value(fraction_node, env, m)
        outside = np.flatnonzero(~((0.0 <= np.asarray(fraction)) & (np.asarray(fraction) <= 1.0)).reshape(-1))
        if outside.size:
            shown = float(np.asarray(fraction).reshape(-1)[outside[0]])
            raise ParameterError(f"model '{spec.name}': the fraction of '{product}' going to '{name}' "
                                 f"must lie in [0, 1], got {shown:g}")
        species = spec.species[spec.species_index(name)]
        factor = _grams_to_amount(target.mass_per_amount_unit, spec.amount_unit(name))
        resolved.append((spec.species_index(name),
                         fraction * factor / (mass_per_amount * env[species.compartment])))
    total = sum(_value(f, env, m) for _, f in target.routes[route])
    if np.any(np.asarray(total) > 1.0 + 1e-12):
        raise ParameterError(f"model '{spec.name}': the fractions of '{product}' sum to more than 1")
    return resolved


def _value(node, env, m):
    """``evaluate(node, env)`` for one run (floats); for a batch, an array where ``node`` reads one."""
    used = symbols(node)
    if all(np.ndim(env[name]) == 0 for name in used if name in env):
        return evaluate(node, env)
    values, valid = evaluate_columns(node, env, m)
    if not valid.all():
        raise ParameterError(f"{to_text(node)!r} cannot be evaluated at every point of the batch "
                             "(a division by zero, or a value that is not finite)")
    return values


def _session_controls(spec, sessions, seg_start):
    """(parameter indices, values per segment) for plasma exchange / immunoadsorption sessions."""
    if not sessions:
        return np.zeros(0, dtype=np.int64), np.zeros((len(seg_start), 0))
    if CONTROL_PARAMETERS["igg"] not in spec.parameter_names:
        raise ParameterError(f"model '{spec.name}' cannot receive plasma exchange or immunoadsorption: "
                             f"it declares no removal parameter '{CONTROL_PARAMETERS['igg']}' "
                             "(models fcrn_pk and ivig_autoimmune do)")
    names = [n for n in CONTROL_PARAMETERS.values() if n in spec.parameter_names]
    index = np.array([spec.parameter_index(n) for n in names], dtype=np.int64)
    values = np.zeros((len(seg_start), len(names)))
    for session in sessions:
        rates = session.removal_rates()
        active = (seg_start >= session.time_day) & (seg_start < session.end_day)
        for k, name in enumerate(names):
            values[active, k] += rates[name]
    return index, values


def build_schedule(spec, env, doses, t_start, t_end, sessions=()):
    """Segments over ``[t_start, t_end]`` for absolute-gram doses (from ``Regimen.doses``).

    ``sessions`` (from ``Regimen.sessions``) become per-segment values of the
    model's removal parameters (:data:`ivigsim.core.apheresis.CONTROL_PARAMETERS`).
    One run's schedule is the batch of :func:`build_schedules` with one point,
    so a sweep's points get the very numbers of a single run.
    """
    amounts_g = np.array([[dose.amount_g for dose in doses]], dtype=np.float64).reshape(1, len(doses))
    return build_schedules(spec, env, doses, amounts_g, t_start, t_end, sessions).point(0)


@dataclass(frozen=True)
class ScheduleBatch:
    """The schedules of ``m`` points whose doses share times, durations, routes and products.

    The segments do not depend on the dose sizes or on the body weight; the
    infusion rates and bolus jumps do (grams per kg x body weight / molar
    mass / volume), so they are per point.

    t_breaks : (n_segments + 1,) days
    inputs : (m, n_segments, n_inputs) species unit per day, into ``input_target``
    jumps : (m, n_segments, n_species)
    control_index, control_values : as in :class:`DosingSchedule` (the same for every point)
    """

    t_breaks: np.ndarray
    inputs: np.ndarray
    input_target: np.ndarray
    jumps: np.ndarray
    control_index: np.ndarray
    control_values: np.ndarray

    def point(self, k):
        """The :class:`DosingSchedule` of point ``k``."""
        return DosingSchedule(self.t_breaks, self.inputs[k], self.input_target, self.jumps[k],
                              self.control_index, self.control_values)


def build_schedules(spec, env, doses, amounts_g, t_start, t_end, sessions=()):
    """The schedules of many points at once: one segment structure, per-point rates.

    Parameters
    ----------
    spec : ModelSpec
    env : mapping of str to float or ndarray of shape (m,)
        Parameters and compartment volumes, the same for every point (floats)
        or per point (see :func:`ivigsim.core.columns.environment_columns`).
    doses : sequence of Dose
        The doses of one point: their times, durations, routes and products
        are those of every point; their amounts are not read.
    amounts_g : ndarray, shape (m, n_doses)
        Grams of each dose for each point.
    t_start, t_end : float, days
    sessions : sequence of apheresis sessions, optional

    Returns
    -------
    ScheduleBatch

    Each rate is computed with the operations of one run, in its order
    (``amount_g / duration_day * per_gram``, summed over the doses in their
    order), so point ``k`` equals ``build_schedule`` for that point bit for bit.
    """
    m = amounts_g.shape[0]
    cuts = {float(t_start), float(t_end)}
    for session in sessions:
        for t in (session.time_day, session.end_day):
            if t_start < t < t_end:
                cuts.add(float(t))
    resolved = []
    scales = {}
    for d, dose in enumerate(doses):
        key = (dose.product, dose.route)
        if key not in scales:
            scales[key] = _dose_targets(spec, env, dose.product, dose.route, m)
        resolved += [(d, dose, index, per_gram) for index, per_gram in scales[key]]
        for t in (dose.time_day, dose.end_day):
            if t_start < t < t_end:
                cuts.add(float(t))
    t_breaks = np.array(sorted(cuts))
    n_seg = len(t_breaks) - 1
    infusion_targets = sorted({i for _, dose, i, _ in resolved if dose.duration_day > 0})
    column = {species: k for k, species in enumerate(infusion_targets)}
    inputs = np.zeros((m, n_seg, len(infusion_targets)))
    jumps = np.zeros((m, n_seg, spec.n_species))
    seg_start = t_breaks[:-1]
    for d, dose, index, per_gram in resolved:
        amount_g = amounts_g[:, d]
        if dose.duration_day > 0:
            active = (seg_start >= dose.time_day) & (seg_start < dose.end_day)
            rate = amount_g / dose.duration_day * per_gram
            inputs[:, active, column[index]] += rate[:, None]
        elif t_start <= dose.time_day < t_end or (dose.time_day == t_start):
            seg = int(np.searchsorted(seg_start, dose.time_day, side="right")) - 1
            jumps[:, seg, index] += amount_g * per_gram
    control_index, control_values = _session_controls(spec, sessions, seg_start)
    return ScheduleBatch(t_breaks, inputs, np.array(infusion_targets, dtype=np.int64), jumps,
                         control_index, control_values)


def no_dosing(spec, t_start, t_end):
    """A schedule with no doses at all (one segment)."""
    return DosingSchedule(np.array([float(t_start), float(t_end)]), np.zeros((1, 0)),
                          np.zeros(0, dtype=np.int64), np.zeros((1, spec.n_species)))
