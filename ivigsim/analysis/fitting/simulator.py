"""Simulations of a fit problem's conditions at many nearby parameter vectors.

A fit evaluates the model at a few dozen parameter vectors per start, each
near the previous one, and its finite-difference Jacobian at vectors nearer
still. Three things make that cheap without moving the numbers beyond
round-off:

* each condition's run is prepared (every parameter checked, the dosing
  schedule built) once; a new parameter vector replaces values only, unless it
  changes something the schedule depends on (body weight, volumes, dose
  targets) or leaves a parameter's declared range (then the full
  :func:`ivigsim.core.simulation.prepare` runs, and refuses it as it would anyway);
* untreated steady states are warm-started (:mod:`ivigsim.core.steady_state`):
  Newton's method from the same condition's previous steady state, accepted
  when it converges to a stable state, otherwise the cold route of
  :func:`ivigsim.core.simulation.initial_state` (integrate, then Newton); each
  finite-difference row starts from the base row's steady state by the chord
  method. Both iterate in compiled code (:mod:`ivigsim.core.solvers.newton`). A
  warm state equals the cold one to round-off (about 1e-12 of each species);
* all rows of a condition (base and perturbed) go through one call to the
  compiled batch driver, entered without Numba's per-call argument typing.

The warm-start memory belongs to one :class:`Simulator` and the order of its
calls, and each fit start works on its own copy (:meth:`Simulator.fork`), so
results do not depend on how starts are spread over threads.
"""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np

from ivigsim.core import steady_state
from ivigsim.errors import IvigsimError, SolverError
from ivigsim.core.expressions import evaluate, symbols
from ivigsim.core.simulation import MAX_STEPS, initial_state, prepare
# The compiled drivers are read from their modules when first called: importing them by name
# would compile them when this module is imported (see ivigsim.core.kernel.lazy).
from ivigsim.core.solvers import batch, newton, rodas
from ivigsim.core.solvers.batch import entry
from ivigsim.core.spec import BODY_WEIGHT

#: Newton iterations a warm start may take before the cold route takes over.
WARM_NEWTON_ITERATIONS = 15
#: Steady states remembered per simulator (a fit start): those of the latest parameter vectors.
MEMORY = 256


class Simulator:
    """Prepared runs, steady states and batched integrations of one fit problem's conditions.

    Parameters
    ----------
    problem : FitProblem
    warm_start : bool
        Warm-start steady states (see the module docstring); ``False`` always
        takes the cold route.
    """

    def __init__(self, problem, warm_start=True):
        self.problem = problem
        self.spec = spec = problem.spec
        self.warm_start = warm_start
        self.regimens = {c.name: c.regimen.build() for c in problem.conditions}
        self.parameter_index = {name: i for i, name in enumerate(spec.parameter_names)}
        self.low = np.array([p.bounds[0] for p in spec.parameters], dtype=float)
        self.high = np.array([p.bounds[1] for p in spec.parameters], dtype=float)
        self.schedule_symbols = _schedule_symbols(spec)
        self.steady = spec.initial_state == "steady_state"
        self.cumulative = np.array([s.cumulative for s in spec.species], dtype=bool)
        self.stoichiometry = spec.stoichiometry()
        self.reaction_mechanism = np.array([spec.mechanism_names.index(r.mechanism) for r in spec.reactions],
                                           dtype=np.int64)
        self.start_key = _start_parameters(spec)
        # Shared by every fork: runs prepared at some parameter vector (immutable), the
        # free species and conservation laws per mechanism switch setting.
        self._templates = {}
        self._laws = {}
        self._forget()

    def _forget(self):
        self._states = {}          # kernel p (bytes) -> untreated steady state
        self._previous = {}        # condition name -> its latest steady state
        self._starts = {}          # parameters of the initial values (bytes) -> what the steady state keeps
        self._trajectories = {}    # condition name -> (kernel p, states) of its latest single run

    def fork(self):
        """A simulator sharing this one's prepared runs, with its own (empty) warm-start memory."""
        new = copy.copy(self)
        new._forget()
        return new

    # ------------------------------------------------------------------ runs
    def prepare(self, condition, params, times):
        """The run of ``condition`` with parameter overrides ``params`` (a PreparedRun)."""
        template = self._templates.get(condition.name)
        if template is not None and np.array_equal(template.t_out, np.asarray(times, dtype=float)):
            run = self._nearby(template, params)
            if run is not None:
                return run
        run = self.full_prepare(condition, params, times)
        self._templates.setdefault(condition.name, run)
        return run

    def full_prepare(self, condition, params, times):
        """:func:`ivigsim.core.simulation.prepare` of one condition (every input checked).

        With output ``times`` the run ends at the last of them (nothing later
        changes the outputs); without, at the problem's ``t_end_days``.
        """
        t_end = self.problem.t_end_days
        if times is not None and len(times) and 0 < times[-1] < t_end:
            t_end = float(times[-1])
        return prepare(self.spec, self.regimens[condition.name], t_end,
                       condition.body_weight_kg if BODY_WEIGHT in self.spec.parameter_names else None,
                       params, None, times, self.problem.rtol)

    def _nearby(self, template, params):
        """``template`` with other parameter values; None when the full preparation must run."""
        values = template.values.copy()
        changed = False
        for name, value in params.items():
            index = self.parameter_index[name]
            if value != values[index]:
                if name in self.schedule_symbols or not self.low[index] <= value <= self.high[index]:
                    return None
                values[index] = value
                changed = True
        if not changed:
            return template
        return replace(template, values=values, p=template.kernel.parameter_vector(values, template.switches))

    # ------------------------------------------------------------------ initial states
    def _system(self, run):
        """(free species, conservation-law basis before volumes) for the run's mechanism switches."""
        key = run.switches.tobytes()
        if key not in self._laws:
            active = run.switches[self.reaction_mechanism] != 0
            free = ~self.cumulative & np.any(self.stoichiometry[:, active] != 0, axis=1)
            ones = np.ones(self.spec.n_species)
            basis = steady_state.conservation_rows(self.stoichiometry, ones, active, free)
            self._laws[key] = (free, basis, np.flatnonzero(free))
        return self._laws[key]

    def _free_index(self, run):
        return self._system(run)[2]

    def _start(self, run):
        """What the run's steady state must keep: ``(initial values, free species, conserved rows,
        conserved totals, basis of the conserved manifold)`` at the run's parameters."""
        key = self._start_of(run)
        found = self._starts.get(key)
        if found is None:
            env = self.spec.environment(run.values)
            initial = np.array([evaluate(s.initial, env) for s in self.spec.species], dtype=np.float64)
            volumes = np.array([env[s.compartment] for s in self.spec.species], dtype=np.float64)
            free, basis, _ = self._system(run)
            # C-ordered: the compiled iterations read it through their untyped entry point
            conserved = np.ascontiguousarray(basis * volumes[free][None, :])
            found = (initial, free, conserved, conserved @ initial[free], None)
            if len(self._starts) >= MEMORY:
                self._starts.clear()
            self._starts[key] = found
        return found

    def _targets(self, run):
        """(free, conserved rows, conserved totals, initial values) of the run's steady state."""
        initial, free, conserved, totals, _ = self._start(run)
        return free, conserved, totals, initial

    def _manifold(self, run):
        """Basis of the run's conserved manifold (computed once per initial-value parameters)."""
        found = self._start(run)
        if found[4] is None and found[2].shape[0]:
            found = found[:4] + (steady_state.manifold(found[2]),)
            self._starts[self._start_of(run)] = found
        return found[4]

    def _start_of(self, run):
        values = run.values if self.start_key is None else run.values[self.start_key]
        return values.tobytes(), run.switches.tobytes()

    def initial_state(self, run, condition):
        """The run's state at t = 0: warm-started steady state when possible (see the module)."""
        key = run.p.tobytes()
        if key in self._states:
            return self._states[key]
        y = None
        previous = self._previous.get(condition.name)
        if self.steady and self.warm_start and previous is not None:
            y = self._newton(run, previous, stable=True)
        if y is None:
            y = shared_cache_retry(initial_state, self.spec, run.kernel, run.values, run.p, run.rtol, run.atol)
        self._remember(key, y)
        self._previous[condition.name] = y
        return y

    def nearby_initial_states(self, base, y_base, runs):
        """Initial states of ``runs`` (small perturbations of ``base``, whose state is ``y_base``)."""
        out = np.empty((len(runs), y_base.size))
        linear = None
        for k, run in enumerate(runs):
            key = run.p.tobytes()
            if key in self._states:
                out[k] = self._states[key]
                continue
            y = None
            if not self.steady:
                y = self._start(run)[0].copy()
            elif self.warm_start:
                free, conserved, totals, initial = self._targets(run)
                if linear is None:
                    base_free, base_conserved, _, _ = self._targets(base)
                    linear = steady_state.linearise(base.kernel.jac, y_base, base.p, base.atol, base_free,
                                                    base_conserved)
                y = np.where(free, y_base, initial)
                info = np.zeros(1)
                iterations = entry(newton.chord_iterate)(
                    run.kernel.typed.rhs, linear.inverse, linear.row, linear.scale, y, run.p, self._free_index(run),
                    conserved, totals, steady_state.MAX_NEWTON_ITERATIONS, steady_state.STEP_TOLERANCE,
                    steady_state.ROUND_OFF_STEP, info)
                outcome = steady_state.assess(run.kernel.rhs, y, run.p, run.atol, free, iterations, info[0],
                                              self._free_index(run))
                y = outcome.y if outcome.converged else self._newton(run, y_base, stable=False)
            if y is None:
                y = shared_cache_retry(initial_state, self.spec, run.kernel, run.values, run.p, run.rtol,
                                        run.atol)
            self._remember(key, y)
            out[k] = y
        return out

    def _newton(self, run, guess, stable):
        """Newton's method from ``guess`` at the run's parameters; None when it does not hold."""
        free, conserved, totals, initial = self._targets(run)
        kernel = run.kernel
        y = np.where(free, guess, initial)
        info = np.zeros(1)
        iterations = entry(newton.newton_iterate)(
            kernel.typed.rhs, kernel.typed.jac, y, run.p, run.atol, self._free_index(run), conserved, totals,
            WARM_NEWTON_ITERATIONS, steady_state.STEP_TOLERANCE, steady_state.ROUND_OFF_STEP, info)
        outcome = steady_state.assess(kernel.rhs, y, run.p, run.atol, free, iterations, info[0],
                                      self._free_index(run))
        if not outcome.converged:
            return None
        if stable and not steady_state.is_stable(kernel.jac, outcome.y, run.p, free, conserved,
                                                 self._manifold(run)):
            return None
        return outcome.y

    def _remember(self, key, y):
        if len(self._states) >= MEMORY:
            self._states.clear()
        self._states[key] = y

    # ------------------------------------------------------------------ integration
    def trajectory(self, run, condition):
        """States (n_out, n_species) of one run, or the ones the same parameters gave last time.

        A least-squares step evaluates the residuals at a point, then (when it
        accepts the point) the Jacobian there, whose base row is the same run.
        """
        found = self._trajectories.get(condition.name)
        if found is not None and np.array_equal(found[0], run.p):
            return found[1]
        y0 = self.initial_state(run, condition)
        states = self.integrate([run], y0[None, :], condition)[0]
        self._trajectories[condition.name] = (run.p, states)
        return states

    def batch(self, runs, condition):
        """States (m, n_out, n_species) of a base run and its finite-difference neighbours."""
        base = runs[0]
        y_base = self.initial_state(base, condition)
        y0s = self.nearby_initial_states(base, y_base, runs[1:])
        found = self._trajectories.get(condition.name)
        if found is not None and np.array_equal(found[0], base.p):
            states = np.empty((len(runs),) + found[1].shape)
            states[0] = found[1]
            if len(runs) > 1:
                states[1:] = self.integrate(runs[1:], y0s, condition)
            return states
        return self.integrate(runs, np.concatenate([y_base[None, :], y0s]), condition)

    @staticmethod
    def observables(run, states):
        """Observables (n_out, n_observables) along ``states`` (n_out, n_species) of ``run``."""
        kernel = run.kernel
        out = np.empty((states.shape[0], kernel.n_observables))
        if kernel.n_observables:
            for k in range(states.shape[0]):
                kernel.observables(states[k], run.p, out[k])
        return out

    def integrate(self, runs, y0s, condition):
        """States (m, n_out, n_species) of ``runs`` (one condition, one schedule) from ``y0s``."""
        base = runs[0]
        schedule = base.schedule
        for r in runs[1:]:
            if r.schedule is not schedule and not (
                    np.array_equal(r.schedule.t_breaks, schedule.t_breaks)
                    and np.array_equal(r.schedule.control_values, schedule.control_values)):
                raise SolverError(f"condition '{condition.name}': dosing times depend on an estimated "
                                  "parameter; finite differences need a fixed schedule", -1)
        kernel = base.kernel
        fn = kernel.typed
        m = len(runs)
        n = self.spec.n_species
        inputs = np.ascontiguousarray(np.stack([r.schedule.inputs for r in runs]))
        jumps = np.ascontiguousarray(np.stack([r.schedule.jumps for r in runs]))
        if len(base.t_out) == 0 or base.t_out[-1] <= schedule.t_breaks[0]:
            # Every output is at the start: the state after the first segment's doses, exactly
            # what the driver would return (an untreated steady state observed at t = 0).
            start = np.asarray(y0s, dtype=np.float64) + jumps[:, 0, :]
            return np.repeat(start[:, None, :], len(base.t_out), axis=1)
        ps = np.ascontiguousarray(np.stack([r.p for r in runs]))
        out = np.zeros((m, len(base.t_out), n))
        stats = np.zeros((m, rodas.N_STATS), dtype=np.int64)
        status = np.zeros(m, dtype=np.int64)
        entry(batch.integrate_batch)(
            fn.rhs, fn.jac_nonzeros, fn.factor, fn.solve, kernel.lu_size, np.ascontiguousarray(y0s, dtype=np.float64),
            ps, schedule.t_breaks, inputs, schedule.input_target, jumps,
            np.ascontiguousarray(schedule.control_index, dtype=np.int64),
            np.ascontiguousarray(schedule.control_values, dtype=np.float64), base.t_out, base.rtol, base.atol,
            MAX_STEPS, out, stats, status)
        bad = np.flatnonzero(status != rodas.SUCCESS)
        if bad.size:
            raise SolverError(f"model '{self.spec.name}', condition '{condition.name}': an integration failed: "
                              f"{rodas.STATUS_MESSAGES[int(status[bad[0]])]}", int(status[bad[0]]))
        return out


def shared_cache_retry(function, *args, attempts=3):
    """Call ``function``, retrying when two threads evicted the same steady-state cache entry.

    :func:`ivigsim.core.simulation.initial_state` keeps a bounded cache of steady
    states shared by all threads; when it is full, two threads can both pick
    the oldest entry to evict and the second gets a KeyError (or the dict
    changes size under an iterator). The value computed does not depend on
    the cache, so calling again gives the same result.
    """
    for attempt in range(attempts):
        try:
            return function(*args)
        except IvigsimError:
            raise
        except (KeyError, RuntimeError):
            if attempt == attempts - 1:
                raise


def _schedule_symbols(spec):
    """Parameters a dosing schedule depends on: body weight, compartment volumes, dose targets."""
    names = {BODY_WEIGHT}
    for c in spec.compartments:
        names |= symbols(c.volume)
    for target in spec.doses.values():
        names |= symbols(target.mass_per_amount)
        for route in target.routes.values():
            for _, fraction in route:
                names |= symbols(fraction)
    return names & set(spec.parameter_names)


def _start_parameters(spec):
    """Indices of the parameters that the initial values and volumes depend on (None: all of them).

    Initial values may name parameters and compartments, volumes parameters;
    anything else (a name defined some other way) makes every parameter count.
    """
    parameters = set(spec.parameter_names)
    compartments = {c.name for c in spec.compartments}
    names = set()
    for s in spec.species:
        names |= symbols(s.initial)
    for c in spec.compartments:
        names |= symbols(c.volume)
    if not names <= parameters | compartments:
        return None
    return np.array(sorted(spec.parameter_index(n) for n in names & parameters), dtype=np.int64)
