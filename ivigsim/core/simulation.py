"""``simulate``: one model, one regimen, one patient, deterministic or stochastic.

This is the Python edge of the numerics: it resolves names to arrays, checks
every input a user can get wrong, runs the compiled solver and turns a failed
status into a clear :class:`~ivigsim.errors.SolverError`.

One run goes through one seam, whoever asks for it (``simulate``, a sweep,
the demo, the validation checks, the SBML export)::

    problem = prepare(model, regimen, t_end, body_weight_kg, params, ...)  # Problem
    solution = solve(problem, SolverOptions(rtol=1e-8))                    # Solution
    result = solution.result()                                            # SimulationResult
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ivigsim.core import steady_state
from ivigsim.core.cache import BoundedCache
from ivigsim.core.catalogue import load_model
from ivigsim.errors import IvigsimError, ParameterError, SolverError
from ivigsim.core.expressions import ExpressionError, Num, Sym, evaluate, symbols, to_text
from ivigsim.core.kernel import delays, history
from ivigsim.core.kernel.compiled import evaluate_observables, load_kernel
from ivigsim.core.kernel.events import load_events
from ivigsim.core.limits import check_output_times, count_output_times
from ivigsim.core.regimen import Regimen
from ivigsim.core.schedule import build_schedule, no_dosing
from ivigsim.core.solvers import events as solver_events
from ivigsim.core.solvers import rodas
from ivigsim.core.spec import BODY_WEIGHT
from ivigsim.core.triggered import realised_regimen, with_triggered_doses
from ivigsim.core.units import UnitError, parse_unit
from ivigsim.core.result import SimulationResult

DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 1e-9          # in each species' declared unit
DEFAULT_OUTPUT_STEP_DAY = 0.25
STEADY_STATE_HORIZON_DAY = 4000.0
MAX_STEPS = 500_000
EVENT_LOG_SIZE = 100_000     # executed model events listed in the stats (all are counted)
MODEL_EVENTS = "model"       # run_solver's default: the events of the model given as ``spec``


def resolve_parameters(spec, params=None, body_weight_kg=None):
    """Parameter vector of ``spec`` with overrides by name, each checked.

    An override is a number in the parameter's declared unit, or a
    ``(value, "unit")`` pair converted to it.
    """
    values = spec.default_parameters()
    overrides = dict(params or {})
    if body_weight_kg is not None:
        if BODY_WEIGHT not in spec.parameter_names:
            raise ParameterError(f"model '{spec.name}' has no body weight; leave body_weight_kg out")
        if BODY_WEIGHT in overrides and overrides[BODY_WEIGHT] != body_weight_kg:
            raise ParameterError("body weight given twice, with different values")
        overrides[BODY_WEIGHT] = body_weight_kg
    for name, raw in overrides.items():
        if name not in spec.parameter_names:
            raise ParameterError.unknown("parameter", name, spec.parameter_names, spec.name)
        par = spec.parameters[spec.parameter_index(name)]
        value = raw
        if isinstance(raw, (tuple, list)):
            if len(raw) != 2 or not isinstance(raw[1], str):
                raise ParameterError(f"parameter '{name}': give a number or (value, \"unit\"), got {raw!r}")
            value, unit_text = raw
            try:
                value = float(value) * parse_unit(unit_text).factor_to(par.unit)
            except UnitError as exc:
                raise ParameterError(f"parameter '{name}' is in {par.unit}; cannot use "
                                     f"{unit_text!r}: {exc}") from None
            except (TypeError, ValueError):
                raise ParameterError(f"parameter '{name}' must be a number, got {raw[0]!r}") from None
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ParameterError(f"parameter '{name}' must be a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ParameterError(f"parameter '{name}' must be a finite number, got {value}")
        low, high = par.bounds
        if not low <= value <= high:
            raise ParameterError(
                f"parameter '{name}' = {value:g} {par.unit} is outside its plausible range "
                f"[{low:g}, {high:g}] (bounds in {spec.path})")
        values[spec.parameter_index(name)] = value
    return values


def resolve_mechanisms(spec, mechanisms=None):
    """0/1 switch per mechanism, in declaration order (all on by default)."""
    switches = np.ones(len(spec.mechanisms))
    for name, on in dict(mechanisms or {}).items():
        if name not in spec.mechanisms:
            raise ParameterError.unknown("mechanism", name, spec.mechanism_names, spec.name)
        if not isinstance(on, (bool, np.bool_)):
            raise ParameterError(f"mechanism '{name}': expected True or False, got {on!r}")
        switches[spec.mechanism_names.index(name)] = 1.0 if on else 0.0
    return switches


def _atol_vector(spec, atol):
    if atol is None:
        return np.full(spec.n_species, DEFAULT_ATOL)
    if isinstance(atol, dict):
        vec = np.full(spec.n_species, DEFAULT_ATOL)
        for name, value in atol.items():
            vec[spec.species_index(name)] = value
    else:
        vec = np.broadcast_to(np.asarray(atol, dtype=np.float64), (spec.n_species,)).copy()
    # A zero or negative tolerance divides the error norm by zero (or flips its
    # sign); refuse it here, whichever form it came in.
    if not np.all(vec > 0):
        bad = [spec.species[i].name for i in np.flatnonzero(~(vec > 0))]
        raise ParameterError(f"atol must be positive: {', '.join(bad[:5])} "
                             f"{'is' if len(bad) == 1 else 'are'} not")
    return vec


def run_solver(kernel, y0, p, schedule, t_out, rtol, atol, max_steps=MAX_STEPS, model_name="", spec=None,
               events=MODEL_EVENTS):
    """Integrate; return (states at t_out, stats dict) or raise SolverError.

    With ``spec``, a failure names the reactions whose rate is not a number at
    the start (a division by zero in a rate law, say), and the model's events
    run (``events=None`` leaves them out, as the search for the untreated
    steady state does); the stats dict then lists the executed events under
    ``"model_events"`` as (time, name) pairs.
    """
    if events is MODEL_EVENTS:
        events = load_events(spec) if spec is not None and spec.events else None
    if spec is not None and spec.uses_delay:
        p = with_history(spec, p, max_steps, schedule)
    y_out = np.zeros((len(t_out), len(y0)))
    stats = np.zeros(rodas.N_STATS, dtype=np.int64)
    fn = kernel.typed
    args = (fn.rhs, fn.jac_nonzeros, fn.factor, fn.solve, kernel.lu_size,
            np.ascontiguousarray(y0, dtype=np.float64), p,
            schedule.t_breaks, schedule.inputs, schedule.input_target, schedule.jumps,
            np.ascontiguousarray(schedule.control_index, dtype=np.int64),
            np.ascontiguousarray(schedule.control_values, dtype=np.float64),
            np.ascontiguousarray(t_out, dtype=np.float64),
            float(rtol), atol, 0.0, np.inf, int(max_steps), y_out, stats)
    if spec is not None and spec.uses_delay:
        status = _integrate_delays(kernel, spec, args, max_steps)
    elif events is None:
        status = rodas.integrate_controlled(*args)
    else:
        log_t, log_e, info = np.zeros(EVENT_LOG_SIZE), np.zeros(EVENT_LOG_SIZE, dtype=np.int64), \
            np.zeros(solver_events.N_INFO, dtype=np.int64)
        status = rodas.integrate_events(*args, events.triggers, events.values, events.timing, events.persistent,
                                        events.initial_value, events.use_trigger_values, events.has_delay,
                                        events.offsets, events.targets, log_t, log_e, info)
    stats_dict = dict(zip(rodas.STAT_NAMES, (int(s) for s in stats)))
    if events is not None:
        n = min(int(info[solver_events.INFO_EXECUTED]), EVENT_LOG_SIZE)
        stats_dict["model_events"] = [(float(t), spec.events[int(e)].name)
                                      for t, e in zip(log_t[:n], log_e[:n])]
        stats_dict["model_events_executed"] = int(info[solver_events.INFO_EXECUTED])
        if status in solver_events.STATUS_MESSAGES:
            event = spec.events[int(info[solver_events.INFO_FAILED])]
            raise SolverError(f"model '{model_name}': event '{event.name}' (trigger {event.trigger_text!r}): "
                              f"{solver_events.STATUS_MESSAGES[status]}"
                              + (f"; more than {solver_events.MAX_EXECUTIONS_AT_ONE_TIME} executions at one "
                                 f"time" if status == solver_events.EVENT_LOOP else ""), status, stats_dict)
    if status != rodas.SUCCESS:
        culprit = _non_finite_rates(spec, kernel, y0, p) if spec is not None else ""
        raise SolverError(f"model '{model_name}': integration failed: {rodas.STATUS_MESSAGES[status]} "
                          f"(after {stats_dict['steps']} steps, {stats_dict['rejected']} rejected; "
                          f"rtol={rtol:g}){culprit}. Check the parameters, or loosen rtol.", status, stats_dict)
    return y_out, stats_dict


def _integrate_delays(kernel, spec, args, max_steps):
    """Integrate a model that reads ``delay(x, tau)`` (see :mod:`ivigsim.core.kernel.delays`).

    ``args`` are :func:`run_solver`'s; its ``p`` must already carry the history
    buffer (:func:`with_history`), which the run fills in place. Steps are no
    longer than the shortest delay, and land on ``k tau`` after the start.
    """
    args = list(args)
    p, t_breaks, inputs, jumps, control_values = args[6], args[7], args[8], args[10], args[12]
    at = delays.kernel_parameters(spec)
    history.start(p, at, t_breaks[0], args[5])          # before the start: the initial state
    taus = delays.delay_times(spec, p)
    shortest = min(taus)
    if not (math.isfinite(shortest) and shortest > 0):
        raise ParameterError(f"model '{spec.name}': a delay() has delay {shortest:g} days; delays must be "
                             "positive numbers")
    args[7], args[8], args[10], args[12] = delays.split_schedule(
        t_breaks, inputs, jumps, control_values, delays.breakpoints(taus, t_breaks[0], t_breaks[-1]))
    args[17] = min(args[17], shortest)                     # h_max
    return rodas.integrate_delays(*args, at)


def with_history(spec, p, max_steps, schedule):
    """``p`` with a history buffer when ``spec`` reads ``delay()``, else ``p`` itself."""
    if not spec.uses_delay:
        return p
    return delays.with_history(spec, p, max_steps, len(schedule.t_breaks) + 4 * len(delays.delay_times(spec, p)))


def _non_finite_rates(spec, kernel, y, p):
    """'; reaction 'x' (rate law ...) is nan at the start' for each rate that is not finite at ``y``."""
    rates = np.empty(kernel.n_reactions)
    with np.errstate(all="ignore"):
        kernel.rates(np.ascontiguousarray(y, dtype=np.float64), p, rates)
    bad = [(r, v) for r, v in zip(spec.reactions, rates) if not np.isfinite(v)]
    if not bad:
        return ""
    shown = "; ".join(f"reaction '{r.name}' (rate law {to_text(r.rate)[:80]!r}) is {v} at the start"
                      for r, v in bad[:3])
    return f"; {shown} (a division by zero, or a log of 0, in the rate law?)"


# Untreated steady states, by kernel, initial values, parameters and tolerances.
_STEADY_STATE_CACHE_SIZE = 256
_STEADY_STATES = BoundedCache(_STEADY_STATE_CACHE_SIZE, "steady states")
# Nominal steady states (the warm starts), by kernel, initial values, default parameters,
# switches and tolerances; None where the defaults reach none.
_NOMINAL_STATES = BoundedCache(64, "nominal steady states")


def initial_state(spec, kernel, values, p, rtol, atol):
    """State at t = 0: the file's initial values, or the untreated steady state.

    The steady state is Newton's method from the nominal steady state
    (:func:`nominal_state`) when its result passes the checks of
    :func:`ivigsim.core.steady_state.warm_start`, else the integration of
    :func:`cold_initial_state`; a sweep point does the same, bit for bit.
    Steady states are remembered per model, parameter vector and tolerances,
    so comparing regimens in one patient computes it once.
    """
    # Initial values are not part of the kernel: two files that differ only in
    # them share a kernel but not a starting state.
    initial = (spec.initial_state,) + tuple(to_text(s.initial) for s in spec.species)
    key = (kernel.fingerprint, initial, p.tobytes(), rtol, atol.tobytes())
    return _STEADY_STATES.get_or_compute(
        key, lambda: _initial_state(spec, kernel, values, p, rtol, atol, initial[1:])).copy()


def _initial_state(spec, kernel, values, p, rtol, atol, initial):
    env = spec.environment(values)
    y0 = np.array([evaluate(s.initial, env) for s in spec.species], dtype=np.float64)
    if spec.initial_state != "steady_state":
        return y0
    free, conserved, cumulative = steady_state.structure(spec, env, p)
    nominal = nominal_state(spec, kernel, p, rtol, atol, initial)
    y = None if nominal is None else steady_state.warm_start(kernel, nominal, y0, p, atol, free, conserved,
                                                             nominal_parameters(spec, p))
    return _cold_state(spec, kernel, y0, p, rtol, atol, free, conserved, cumulative) if y is None else y


def nominal_state(spec, kernel, p, rtol, atol, initial=None):
    """The warm start of runs of ``spec`` with the mechanism switches of ``p``, or None.

    The untreated steady state at the model's default parameter values (the
    switches and tolerances of the run), found by the integration of
    :func:`cold_initial_state` and computed once. It depends on nothing a
    run or a sweep point changes, so every run that starts from it does the
    same arithmetic. None when the defaults reach no steady state. ``initial``:
    the species' initial values as text, when the caller has them.
    """
    n_par = len(spec.parameters)
    p_nominal = nominal_parameters(spec, p)
    initial = tuple(to_text(s.initial) for s in spec.species) if initial is None else initial
    key = (kernel.fingerprint, initial, p_nominal.tobytes(), rtol, atol.tobytes())

    def compute():
        try:
            return cold_initial_state(spec, kernel, p_nominal[:n_par], p_nominal, rtol, atol)
        except IvigsimError:
            return None
    return _NOMINAL_STATES.get_or_compute(key, compute)


def nominal_parameters(spec, p):
    """The kernel parameter vector of :func:`nominal_state`: the model's defaults with the switches of ``p``."""
    return np.concatenate([spec.default_parameters(), p[len(spec.parameters):]])


def cold_initial_state(spec, kernel, values, p, rtol, atol):
    """The untreated steady state by integration, then Newton's method, without a warm start (not cached).

    Integrate into the basin of the state the untreated patient relaxes to,
    then let Newton's method finish: longer horizons only if it does not converge.
    """
    env = spec.environment(values)
    y0 = np.array([evaluate(s.initial, env) for s in spec.species], dtype=np.float64)
    free, conserved, cumulative = steady_state.structure(spec, env, p)
    return _cold_state(spec, kernel, y0, p, rtol, atol, free, conserved, cumulative)


def _cold_state(spec, kernel, y0, p, rtol, atol, free, conserved, cumulative):
    initial = y0.copy()
    horizon, integrated = STEADY_STATE_HORIZON_DAY, 0.0
    for _ in range(4):
        # the untreated steady state of the model's equations: its events are not part of it
        ys, _ = run_solver(kernel, y0, p, no_dosing(spec, 0.0, horizon), np.array([horizon]),
                           min(rtol, 1e-8), atol * 1e-2, model_name=spec.name, spec=spec, events=None)
        integrated += horizon
        outcome = steady_state.newton(kernel.rhs, kernel.jac, ys[0], p, atol, free, conserved)
        if outcome.converged:
            y0 = outcome.y
            break
        y0 = ys[0]
        horizon *= 4
    else:
        raise SolverError(f"model '{spec.name}': no untreated steady state found: after integrating "
                          f"{integrated:g} days, Newton's method ({outcome.iterations} iterations) "
                          f"still moved the state by {outcome.scaled_step:.2g} of its magnitude "
                          f"(scaled residual {outcome.scaled_residual:.2g} per day)", -1)
    y0[cumulative] = initial[cumulative]
    return y0


def output_times(t_end, t_eval, schedule, step=DEFAULT_OUTPUT_STEP_DAY):
    if t_eval is not None:
        t = np.asarray(t_eval, dtype=np.float64)
        if t.ndim != 1 or not np.all(np.isfinite(t)) or np.any(np.diff(t) < 0):
            raise ParameterError("t_eval must be a sorted one-dimensional array of finite times (days)")
        if t.size and (t[0] < 0 or t[-1] > t_end):
            raise ParameterError(f"t_eval must lie within [0, t_end = {t_end:g}] days")
        return t
    check_output_times(count_output_times(t_end, step), f"t_end = {t_end:g} days at one output every "
                       f"{step:g} days", "shorten t_end, or pass t_eval with the times you need")
    grid = np.linspace(0.0, t_end, int(round(t_end / step)) + 1)
    return np.union1d(grid, schedule.switch_times)


def _with_drug_parameters(spec, regimen, params):
    """The regimen's FcRn-antagonist parameter set, under the caller's own overrides."""
    drug = regimen.model_parameters()
    if not drug:
        return params
    missing = [name for name in drug if name not in spec.parameter_names]
    if missing:
        raise ParameterError(f"model '{spec.name}' cannot receive the FcRn antagonist "
                             f"'{regimen.antagonist}': it lacks the parameter(s) {', '.join(missing)} "
                             "(models fcrn_pk and ivig_autoimmune have them)")
    return {**drug, **dict(params or {})}


def _environment(spec, values):
    """Parameter values and compartment volumes; a volume that is not positive is refused."""
    try:
        env = spec.environment(values)
    except ExpressionError as exc:
        raise ParameterError(f"model '{spec.name}': a compartment volume cannot be computed: {exc}") from None
    for c in spec.compartments:
        volume = env[c.name]
        if not (math.isfinite(volume) and volume > 0):
            used = ", ".join(f"{n} = {env[n]:g}" for n in sorted(symbols(c.volume)) if n in env)
            raise ParameterError(f"model '{spec.name}': compartment '{c.name}' has volume {volume:g} "
                                 f"{c.unit} (volume = {to_text(c.volume)}{'; ' + used if used else ''}); "
                                 f"a volume must be a positive number")
    return env


@dataclass(frozen=True)
class SolverOptions:
    """How to integrate a :class:`Problem`: tolerances and the step budget.

    Parameters
    ----------
    rtol : float
        Relative error tolerance, in (0, 1).
    atol : float, dict, array or None
        Absolute tolerance in each species' declared unit: one number, a
        ``{species: value}`` dict (others get ``DEFAULT_ATOL``), an array with
        one value per species, or None for ``DEFAULT_ATOL`` everywhere.
    max_steps : int
        Most solver steps before the integration is reported as failed.
    """

    rtol: float = DEFAULT_RTOL
    atol: object = None
    max_steps: int = MAX_STEPS

    def __post_init__(self):
        if isinstance(self.rtol, bool) or not isinstance(self.rtol, (int, float)) or not 0 < self.rtol < 1:
            raise ParameterError(f"rtol must lie in (0, 1), got {self.rtol!r}")
        if isinstance(self.max_steps, bool) or not isinstance(self.max_steps, (int, np.integer)) \
                or self.max_steps < 1:
            raise ParameterError(f"max_steps must be a whole number >= 1, got {self.max_steps!r}")

    def atol_vector(self, spec):
        """Absolute tolerance per species of ``spec``, shape (n_species,)."""
        return _atol_vector(spec, self.atol)


@dataclass(frozen=True)
class Problem:
    """Everything the solver needs for one simulation, resolved and checked.

    Built by :func:`prepare`, integrated by :func:`solve`. ``rtol`` and ``atol``
    are the tolerances it was prepared with: the default of :func:`solve`.
    """

    spec: object
    kernel: object
    values: np.ndarray            # parameter values, declaration order
    switches: np.ndarray          # 0/1 per mechanism
    p: np.ndarray                 # kernel parameter vector
    schedule: object              # DosingSchedule
    t_out: np.ndarray
    rtol: float
    atol: np.ndarray
    regimen: object
    body_weight_kg: float | None

    def initial_state(self) -> np.ndarray:
        """State at t = 0 of this run (see :func:`initial_state`)."""
        return initial_state(self.spec, self.kernel, self.values, self.p, self.rtol, self.atol)

    @property
    def options(self):
        """The :class:`SolverOptions` this problem was prepared with."""
        return SolverOptions(self.rtol, self.atol)


#: The former name of :class:`Problem`.
PreparedRun = Problem


@dataclass(frozen=True)
class Solution:
    """A solved :class:`Problem`: states and observables on its output grid.

    ``result()`` wraps it as the user-facing :class:`SimulationResult`.
    """

    problem: Problem
    options: SolverOptions
    y0: np.ndarray                # (n_species,) the state at t = 0 (before the doses at 0)
    states: np.ndarray            # (n_times, n_species)
    observables: np.ndarray       # (n_times, n_observables)
    stats: dict                   # solver statistics (steps, rejected, ...)

    @property
    def t(self):
        """Output times, days, shape (n_times,)."""
        return self.problem.t_out

    def dense(self, times):
        """The solver's own solution at ``times`` (days): the same integration, output there."""
        run = self.problem
        p = with_history(run.spec, run.p, self.options.max_steps, run.schedule)
        ys, _ = run_solver(run.kernel, self.y0, p, run.schedule, np.asarray(times, dtype=np.float64),
                           run.rtol, run.atol, self.options.max_steps, run.spec.name, spec=run.spec)
        ys = _exact_clocks(run, self.y0, times, ys)
        return ys, evaluate_observables(run.kernel, ys, p)

    def result(self):
        """This solution as a :class:`~ivigsim.core.result.SimulationResult`."""
        run, spec = self.problem, self.problem.spec
        return SimulationResult(
            model=spec, t=run.t_out, states=self.states, observables=self.observables,
            parameters=dict(zip(spec.parameter_names, run.values.tolist())),
            mechanisms={m: bool(s) for m, s in zip(spec.mechanism_names, run.switches)},
            regimen=realised_regimen(run.regimen, self.stats.get("model_events", ())),
            body_weight_kg=run.body_weight_kg, stats=self.stats, dense=self.dense,
        )


def prepare(model, regimen=None, t_end=365.0, body_weight_kg=None, params=None, mechanisms=None,
            t_eval=None, rtol=DEFAULT_RTOL, atol=None):
    """Resolve and check every input of a simulation; no integration yet.

    The arguments are those of :func:`simulate`; ``rtol`` and ``atol`` become
    the problem's own tolerances (the untreated steady state is found with
    them, and :func:`solve` uses them unless given other options).

    Returns
    -------
    Problem
    """
    spec = load_model(model)
    if isinstance(t_end, bool) or not (isinstance(t_end, (int, float)) and math.isfinite(t_end) and t_end > 0):
        raise ParameterError(f"t_end must be a positive number of days, got {t_end!r}")
    if not (0 < rtol < 1):
        raise ParameterError(f"rtol must lie in (0, 1), got {rtol!r}")
    regimen = Regimen.none() if regimen is None else regimen
    spec = with_triggered_doses(spec, getattr(regimen, "triggered", ()))
    values = resolve_parameters(spec, _with_drug_parameters(spec, regimen, params), body_weight_kg)
    switches = resolve_mechanisms(spec, mechanisms)
    kernel = load_kernel(spec)
    p = kernel.parameter_vector(values, switches)
    env = _environment(spec, values)
    weight = env.get(BODY_WEIGHT, body_weight_kg)
    doses = regimen.doses(weight) if regimen.administrations else ()
    schedule = build_schedule(spec, env, doses, 0.0, float(t_end), regimen.sessions)
    t_out = output_times(float(t_end), t_eval, schedule)
    return Problem(spec, kernel, values, switches, p, schedule, t_out, float(rtol),
                       _atol_vector(spec, atol), regimen, weight)


def vary(problem, values=None, switches=None, regimen=None, t_end=None, t_eval=None):
    """``problem`` with other parameter values, mechanism switches or course; the model is not re-read.

    For callers that ask many nearby questions of one model (the demo's
    sliders): ``values`` must come from :func:`resolve_parameters` (checked
    there), ``switches`` from :func:`resolve_mechanisms`. The dosing schedule is
    rebuilt; the body weight stays the problem's, ``t_end`` defaults to the
    problem's, and the output grid is ``t_eval`` or, without it, the default
    grid of :func:`prepare` (not the problem's own ``t_eval``).
    """
    values = problem.values if values is None else np.asarray(values, dtype=np.float64)
    switches = problem.switches if switches is None else np.asarray(switches, dtype=np.float64)
    regimen = problem.regimen if regimen is None else regimen
    t_end = float(problem.schedule.t_breaks[-1]) if t_end is None else float(t_end)   # the course's end
    env = problem.spec.environment(values)
    doses = regimen.doses(problem.body_weight_kg) if regimen.administrations else ()
    schedule = build_schedule(problem.spec, env, doses, 0.0, t_end, regimen.sessions)
    return replace(problem, values=values, switches=switches,
                   p=problem.kernel.parameter_vector(values, switches), schedule=schedule,
                   t_out=output_times(t_end, t_eval, schedule), regimen=regimen)


def with_options(problem, options):
    """``problem`` with the tolerances of ``options`` (the same object when they agree)."""
    atol = options.atol_vector(problem.spec)
    if options.rtol == problem.rtol and np.array_equal(atol, problem.atol):
        return problem
    return replace(problem, rtol=float(options.rtol), atol=atol)


def start_state(problem):
    """State of ``problem`` at t = 0, before any dose: the file's initial values or the untreated steady state.

    Found with the problem's own tolerances (and remembered, see :func:`initial_state`).
    """
    return initial_state(problem.spec, problem.kernel, problem.values, problem.p, problem.rtol, problem.atol)


def clock_species(spec, switches):
    """The clocks of a model: ``(species index, rate)`` of each state that only counts time.

    A clock (``time`` of a model file, or the simulation time of an imported
    SBML model) starts at 0 in a compartment of size 1, and one reaction with
    no reactants adds to it at a constant rate (a number or a parameter); no
    other reaction, event or dose touches it. Its value at ``t`` is exactly
    ``rate * t``, but the integrated value can sit a rounding error away, and a
    rule that switches at an output time (``piecewise(f, time < 1, g)``
    sampled at ``t = 1``) would then take the wrong branch.

    Parameters
    ----------
    spec : ModelSpec
    switches : ndarray, shape (n_mechanisms,)
        0/1 per mechanism; a clock whose reaction is switched off is none.

    Returns
    -------
    list of (int, float or str)
        The rate is a number, or the name of the parameter that holds it.
    """
    touched = {}
    for r in spec.reactions:
        for name, _ in r.reactants + r.products:
            touched[name] = touched.get(name, 0) + 1
    fixed = {n for e in spec.events for n, _ in e.assignments}
    fixed |= {n for d in spec.doses.values() for targets in d.routes.values() for n, _ in targets}
    sizes = {c.name: c.volume for c in spec.compartments}
    parameters = set(spec.parameter_names)
    clocks = []
    for r in spec.reactions:
        if r.reactants or len(r.products) != 1 or r.products[0][1] != 1.0:
            continue
        name = r.products[0][0]
        i = spec.species_index(name)
        species = spec.species[i]
        rate = (r.rate.value if isinstance(r.rate, Num) else
                r.rate.name if isinstance(r.rate, Sym) and r.rate.name in parameters else None)
        size = sizes.get(species.compartment)
        if (rate is None or touched[name] != 1 or name in fixed
                or not (isinstance(species.initial, Num) and species.initial.value == 0.0)
                or not (isinstance(size, Num) and size.value == 1.0)
                or switches[spec.mechanism_names.index(r.mechanism)] == 0):
            continue
        clocks.append((i, rate))
    return clocks


def _clocks(run):
    """``(species index, rate)`` of each clock of ``run`` (see :func:`clock_species`)."""
    spec = run.spec
    return [(i, float(run.values[spec.parameter_index(rate)]) if isinstance(rate, str) else float(rate))
            for i, rate in clock_species(spec, run.switches)]


def _exact_clocks(run, y0, t, states):
    """``states`` with each clock at its exact value ``rate * t`` (where it started from 0)."""
    for i, rate in _clocks(run):
        if y0[i] == 0.0:
            states[:, i] = rate * np.asarray(t, dtype=np.float64)
    return states


def solve(problem, options=None, start=None):
    """Integrate a prepared :class:`Problem` from its initial state.

    The one place a deterministic run is integrated: the untreated steady state
    (or the file's initial values), the course, the observables.

    Parameters
    ----------
    problem : Problem
        From :func:`prepare`.
    options : SolverOptions, optional
        Tolerances and step budget; default the problem's own tolerances and
        ``MAX_STEPS``.
    start : ndarray, shape (n_species,), optional
        State at t = 0 to start from; default :func:`start_state` under ``options``.

    Returns
    -------
    Solution

    Raises
    ------
    SolverError
        When the steady state or the integration fails.
    """
    options = problem.options if options is None else options
    run = with_options(problem, options)
    spec, kernel = run.spec, run.kernel
    y0 = start_state(run) if start is None else np.array(start, dtype=np.float64)
    p = with_history(spec, run.p, options.max_steps, run.schedule)     # delay(): the run's past, filled in
    states, stats = run_solver(kernel, y0, p, run.schedule, run.t_out, run.rtol, run.atol,
                               options.max_steps, spec.name, spec=spec)
    states = _exact_clocks(run, y0, run.t_out, states)
    return Solution(run, options, y0, states, evaluate_observables(kernel, states, p), stats)


def execute(run, max_steps=MAX_STEPS):
    """``solve(run).result()`` with a step budget: the integrated run as a SimulationResult."""
    return solve(run, SolverOptions(run.rtol, run.atol, max_steps)).result()


def simulate(model, regimen=None, t_end=365.0, body_weight_kg=None, params=None,
             mechanisms=None, t_eval=None, rtol=DEFAULT_RTOL, atol=None, method="ode",
             seed=None, max_steps=MAX_STEPS, ssa_scale=None, tau_day=None):
    """Simulate one patient under one regimen.

    Parameters
    ----------
    model : str, path or ModelSpec
        A model name from ``models/`` (``"fcrn_pk"``), a path to a model file, or a loaded model.
    regimen : Regimen, optional
        Dosing schedule in clinical units; default untreated.
    t_end : float, days
    body_weight_kg : float, kg, optional
        Converts per-kg doses to grams and sets the model's ``body_weight``.
    params : dict, optional
        Parameter overrides by name, in the declared unit or as ``(value, "unit")``.
    mechanisms : dict, optional
        ``{"mechanism": False}`` switches a mechanism's reactions off.
    t_eval : array of days, optional
        Output times; default every 0.25 day plus every dose switch time.
    rtol, atol : float
        Relative and absolute (declared species units) error tolerances.
    method : "ode", "ssa" or "tau_leaping"
        ``"ode"``: deterministic integration with the Rodas4 stiff solver.
        ``"ssa"``: Gillespie's exact direct method; ``"tau_leaping"``: explicit
        tau-leaping (see :mod:`ivigsim.core.stochastic`).
    seed : int, optional
        Stochastic methods: seeds ``numpy.random.SeedSequence`` (same seed, same trajectory).
    ssa_scale : float or dict, optional
        Stochastic methods: counts per amount unit (a system size); required for
        molar species, cells count 1 per cell by default.
    tau_day : float, optional
        Tau-leaping: the leap length in days (default 0.01).

    Returns
    -------
    SimulationResult
    """
    if method in ("ssa", "tau_leaping"):
        from ivigsim.core.stochastic import simulate_stochastic
        run = prepare(model, regimen, t_end, body_weight_kg, params, mechanisms, t_eval, rtol, atol)
        if run.spec.events:
            raise ParameterError(f"model '{run.spec.name}' has events "
                                 f"({', '.join(e.name for e in run.spec.events)}); they are simulated by "
                                 f"method='ode' only")
        return simulate_stochastic(run, method, seed, ssa_scale=ssa_scale, tau_day=tau_day)
    if method != "ode":
        raise ParameterError(f"unknown method {method!r}; available: 'ode', 'ssa', 'tau_leaping'")
    if ssa_scale is not None or tau_day is not None:
        raise ParameterError("ssa_scale and tau_day apply to method='ssa' or 'tau_leaping' only")
    problem = prepare(model, regimen, t_end, body_weight_kg, params, mechanisms, t_eval, rtol, atol)
    return solve(problem, SolverOptions(problem.rtol, problem.atol, max_steps)).result()
