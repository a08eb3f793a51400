"""``delay(x, tau)`` in a straight-line kernel: ``x`` with every state read from the past.

``delay(x, tau)`` (tau in days, the model's time unit) is ``x`` evaluated at
``t - tau``. The expression ``x`` may read states, parameters, compartments
and rules (already expanded by the spec), so the kernel rewrites it with each
state ``y_i`` replaced by its value at ``t - tau``:

* a **clock** (a state that only counts time: ``time`` of a model file, the
  simulation time of an imported SBML model) is linear in ``t``, so its past
  is exact, ``y_c - rate * tau``, also before the start (SBML's test suite
  reads ``delay(sin(time), tau)`` as ``sin(time - tau)`` from ``t = 0``);
* every other state is read from the run's history buffer
  (:mod:`ivigsim.core.kernel.history`) at ``t - tau``, where ``t`` is a
  clock over its rate; before the start that is the initial value.

The Jacobian sees the past as a function of the clock only: a state's
past value does not depend on its present one, and d y_i(t - tau) / d t is
the slope of the history's interpolant, which the generated code reads too.
``tau`` must be fixed for the run (numbers and parameters): a delay that
changes with the state or the time is refused by the model reader.
"""

from __future__ import annotations

import functools

import numpy as np

from ivigsim.core.expressions import ExpressionError, Num, Sym, evaluate
from ivigsim.core.kernel import history
from ivigsim.core.rules import delays

#: Name of the clock mechanism: the model reader's ``model_time``, which the SBML importer also uses.
CLOCK_MECHANISM = "model_time"


def clock_states(spec):
    """Indices of the clocks of ``spec``: states that start at 0 in a compartment of size 1,
    changed by one reaction of the clock mechanism, a source at a constant rate (a number or a
    parameter), and by no event or dose."""
    touched = {}
    for r in spec.reactions:
        for name, _ in r.reactants + r.products:
            touched[name] = touched.get(name, 0) + 1
    fixed = {n for e in spec.events for n, _ in e.assignments}
    fixed |= {n for d in spec.doses.values() for targets in d.routes.values() for n, _ in targets}
    sizes = {c.name: c.volume for c in spec.compartments}
    clocks = []
    for r in spec.reactions:
        if (r.reactants or len(r.products) != 1 or r.products[0][1] != 1.0
                or not r.mechanism.startswith(CLOCK_MECHANISM)
                or not isinstance(r.rate, (Num, Sym)) or isinstance(r.rate, Sym)
                and r.rate.name not in spec.parameter_names):
            continue
        name = r.products[0][0]
        species = spec.species[spec.species_index(name)]
        size = sizes.get(species.compartment)
        if (touched[name] == 1 and name not in fixed
                and isinstance(species.initial, Num) and species.initial.value == 0.0
                and isinstance(size, Num) and size.value == 1.0):
            clocks.append(spec.species_index(name))
    return sorted(clocks)


@functools.lru_cache(maxsize=1)
def _functions():
    """The sympy functions ``Lag(i, tq)`` (state i at time tq, days) and its slope ``LagRate``."""
    import sympy

    class LagRate(sympy.Function):
        nargs = 2

        def _pythoncode(self, printer):
            return f"history_rate(p, HISTORY_AT, {int(self.args[0])}, {printer._print(self.args[1])})"

    class Lag(sympy.Function):
        nargs = 2

        def fdiff(self, argindex=2):
            if argindex != 2:           # the state index: not a variable
                return sympy.S.Zero
            return LagRate(*self.args)

        def _pythoncode(self, printer):
            return f"history_value(p, HISTORY_AT, {int(self.args[0])}, {printer._print(self.args[1])})"

    return Lag, LagRate


def _applied():
    import sympy
    return sympy.core.function.AppliedUndef


def expander(spec, y, rhs):
    """A function that rewrites each ``delay(x, tau)`` in a sympy expression (see the module).

    ``y`` are the state symbols and ``rhs`` the right-hand sides (a clock's rate
    is its right-hand side). The model reader gives every model that reads
    ``delay`` a clock; without one the model is refused.
    """
    clocks = clock_states(spec)
    if not clocks:
        raise ExpressionError(f"model '{spec.name}': delay() needs a clock of the simulation time (a state "
                              "that starts at 0 and grows at a constant rate), and the model has none")
    Lag, _ = _functions()
    now = y[clocks[0]] / rhs[clocks[0]]           # the time in days

    def expand(expr):
        calls = [d for d in expr.atoms(_applied()) if d.func.__name__ == "delay"]
        if not calls:
            return expr
        done = {}
        for d in sorted(calls, key=lambda e: e.count_ops()):        # inner delays first
            x, tau = (expand(a) for a in d.args)
            past = {s: (s - rhs[i] * tau if i in clocks else Lag(i, now - tau))
                    for i, s in enumerate(y) if s in x.free_symbols}
            done[d] = x.xreplace(past)
        return expr.xreplace(done)

    return expand


# ------------------------------------------------------------------ a run's setup

#: Most entries a run's history holds (about one per accepted step): 100,000 steps of a
#: 10-state model are 17 MB.
MAX_HISTORY = 100_000


def kernel_parameters(spec):
    """Length of the kernel's own parameter vector (parameters, mechanism switches): where the
    history starts."""
    return len(spec.parameters) + len(spec.mechanisms)


def with_history(spec, p, max_steps, n_segments):
    """``p`` followed by an empty history buffer (``p`` itself, emptied, if it has one)."""
    at = kernel_parameters(spec)
    if len(p) > at:
        return p
    capacity = min(int(max_steps), MAX_HISTORY) + 2 * n_segments + 8
    return history.allocate(spec.n_species, capacity, p)


def delay_times(spec, p):
    """The value of every ``tau`` of the model's delays (days), with the parameters of ``p``."""
    env = spec.environment(p[:len(spec.parameters)])
    nodes = [r.rate for r in spec.reactions] + [o.expression for o in spec.observables]
    return [evaluate(call.args[1], env) for node in nodes for call in delays(node)]


def breakpoints(taus, t_start, t_end, order=4):
    """Where the solution's derivatives jump: ``t_start + k tau`` for k = 1..order.

    The history before the start is constant, so the state's slope jumps at the
    start; a delay carries that jump to ``t_start + tau`` one derivative up, and
    so on. Steps that land on these times keep the method's order; after
    ``order`` delays the jump is in a derivative the method does not see.
    """
    times = {t_start + k * tau for tau in set(taus) for k in range(1, order + 1)}
    return np.array(sorted(t for t in times if t_start < t < t_end))


def split_schedule(t_breaks, inputs, jumps, control_values, times):
    """The schedule's arrays with extra segment boundaries at ``times`` (no jump there)."""
    times = [t for t in times if t not in set(t_breaks.tolist())]
    if not times:
        return t_breaks, inputs, jumps, control_values
    new_breaks = np.union1d(t_breaks, times)
    segment = np.searchsorted(t_breaks, new_breaks[:-1], side="right") - 1    # the old segment of each new one
    first = np.isin(new_breaks[:-1], t_breaks)
    new_jumps = np.where(first[:, None], jumps[segment], 0.0)
    return (new_breaks, np.ascontiguousarray(inputs[segment]), np.ascontiguousarray(new_jumps),
            np.ascontiguousarray(control_values[segment]))
