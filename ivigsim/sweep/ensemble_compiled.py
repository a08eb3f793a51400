"""The compiled path of a sweep chunk: Python prepares a chunk, one compiled call runs its points.

:func:`run_compiled` groups the points of a chunk by what makes their runs
differ in more than the kernel parameter vector: the regimen (and its swept
arguments), the body weight, and any swept parameter that a compartment
volume, an initial value or a dose target reads. Each group is prepared once
through :func:`ivigsim.core.simulation.prepare` (all input checks included);
every other point of the group is that problem with its own swept parameter
values, set and bounds-checked column by column in NumPy. The points then go
through :func:`ivigsim.core.solvers.ensemble.run_points` in one call: steady
state, course and observables, point by point without the GIL. A point the
compiled call could not finish is run again through the per-point path, which
raises the same :class:`~ivigsim.errors.IvigsimError` as a single simulation
would, so its recorded reason is the one ``simulate`` gives.

Initial values may read swept parameters without splitting a group: one
that is a parameter's name (``initial = "fcrn_total"``) is that parameter's
column; any other is evaluated per point.

What the compiled call cannot express (model events, state-triggered doses)
goes through the per-point path; :func:`compiled_engine` says which, and why.
"""

from __future__ import annotations

import numpy as np

from ivigsim.core import steady_state
from ivigsim.core.expressions import Sym, evaluate, symbols
from ivigsim.core.regimen import Regimen
from ivigsim.core.simulation import MAX_STEPS, STEADY_STATE_HORIZON_DAY, prepare
from ivigsim.core.solvers import rodas
from ivigsim.core.solvers.batch import entry
from ivigsim.errors import IvigsimError

#: Provenance word for chunks run by :func:`run_compiled`.
COMPILED = "compiled per chunk"
STEADY_ROUNDS = 4      # horizons tried, each 4 times longer: those of core.simulation.initial_state


def compiled_engine(experiment, spec):
    """(True, COMPILED) when the experiment's points can run compiled, else (False, the reason)."""
    if spec.events:
        return False, (f"per point: model '{spec.name}' has events "
                       f"({', '.join(e.name for e in spec.events)}), located by the per-point event solver")
    triggered = [r.name for r in experiment.regimens if r.kind == "when_below"]
    if triggered:
        return False, f"per point: regimen(s) {', '.join(triggered)} dose on a state trigger"
    return True, COMPILED


def env_symbols(spec):
    """Parameters that compartment volumes or dose targets read: they shape the schedule and the volumes."""
    used = set()
    for target in spec.doses.values():
        used |= symbols(target.mass_per_amount)
        for _, fraction in (f for route in target.routes.values() for f in route):
            used |= symbols(fraction)
    volumes = {c.name: symbols(c.volume) for c in spec.compartments}
    used |= set().union(*volumes.values()) if volumes else set()
    return used & set(spec.parameter_names)


def _swept_parameters(experiment):
    names = [v.name for v in experiment.sweep.variables if v.target == "parameter"]
    names += [v.parameter for v in experiment.sweep.variability]
    return list(dict.fromkeys(names))


def _group_keys(experiment, spec, points, ids, reads_env):
    """One row of numbers per point; equal rows share a prepared problem."""
    columns = [points.regimen[ids].astype(np.float64)]
    for var in experiment.sweep.variables:
        if var.target == "regimen" or (var.target == "parameter" and var.name in reads_env):
            columns.append(points.values[var.name][ids])
    for var in experiment.sweep.variability:
        if var.parameter in reads_env:
            columns.append(points.values[var.parameter][ids])
    if "body_weight" in spec.parameter_names:
        columns.append(points.values["body_weight_kg"][ids])
    keys = np.stack(columns, axis=1)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)


class _Group:
    """One prepared problem and the chunk rows that share it."""

    def __init__(self, problem, untreated, members):
        self.problem, self.untreated, self.members = problem, untreated, members


def _steady_structure(spec, problem):
    """(free index, conservation rows, cumulative index) of the untreated steady state of ``problem``."""
    env = spec.environment(problem.values)
    n_par = len(spec.parameters)
    active = np.array([problem.p[n_par + spec.mechanism_names.index(r.mechanism)] != 0 for r in spec.reactions],
                      dtype=bool)
    stoichiometry = spec.stoichiometry()
    cumulative = np.array([s.cumulative for s in spec.species], dtype=bool)
    free = ~cumulative & np.any(stoichiometry[:, active] != 0, axis=1)
    volumes = np.array([env[s.compartment] for s in spec.species], dtype=np.float64)
    conserved = steady_state.conservation_rows(stoichiometry, volumes, active, free)
    return np.flatnonzero(free).astype(np.int64), conserved, np.flatnonzero(cumulative).astype(np.int64)


def _initial_values(spec, problem):
    env = spec.environment(problem.values)
    return np.array([evaluate(s.initial, env) for s in spec.species], dtype=np.float64)


def run_compiled(experiment, spec, points, ids, t_out, setup, per_point, needs_untreated):
    """Outputs of the points ``ids`` of a chunk, compiled.

    Parameters
    ----------
    setup : callable
        ``setup(i) -> (regimen, params, body weight)`` of sweep point ``i``.
    per_point : callable
        ``per_point(i, untreated) -> (outputs, regimen, weight, steps)``, the
        per-point path; raises an IvigsimError for a point that fails.

    Returns
    -------
    (outputs, untreated outputs or None, regimens, weights, steps, reasons)
        ``reasons[k]`` is "" for a point that ran, else its error; its
        regimen is then None.
    """
    m = len(ids)
    n = spec.n_species
    n_obs = len(spec.observable_names)
    outputs = np.full((m, len(t_out), n_obs + n), np.nan)
    untreated = np.full_like(outputs, np.nan) if needs_untreated else None
    regimens = [None] * m
    weights = np.array(points.values["body_weight_kg"][ids], dtype=np.float64)
    steps = np.zeros(m, dtype=np.int64)
    reasons = [""] * m
    has_weight = "body_weight" in spec.parameter_names
    reads_env = env_symbols(spec)
    swept = [name for name in _swept_parameters(experiment) if name not in reads_env]
    first, inverse = _group_keys(experiment, spec, points, ids, reads_env)
    groups, retry = [], []
    for g, k0 in enumerate(first):
        members = np.flatnonzero(inverse == g)
        try:
            regimen, params, weight = setup(int(ids[k0]))
            problem = prepare(spec, regimen, experiment.t_end_days, weight if has_weight else None, params,
                              dict(experiment.mechanisms), t_out, experiment.rtol)
            base = prepare(spec, Regimen.none(), experiment.t_end_days, weight if has_weight else None,
                           params, dict(experiment.mechanisms), t_out, experiment.rtol) \
                if needs_untreated else None
        except IvigsimError:
            retry += members.tolist()          # the per-point path gives each its reason
            continue
        groups.append(_Group(problem, base, members))
        for k in members:
            regimens[k] = regimen
    values, ok = _values(spec, points, ids, groups, swept, m)
    initial = _initial_reading(spec, swept)
    retry += np.flatnonzero(~ok & _in_groups(groups, m)).tolist()
    for k in retry:
        regimens[k] = None
    rows = np.flatnonzero(ok)
    if rows.size:
        done, y0 = _solve(spec, groups, values, rows, t_out, outputs, steps, initial, untreated=False)
        if needs_untreated:
            base_values, _ = _values(spec, points, ids, groups, swept, m, untreated=True)
            done_base, _ = _solve(spec, groups, base_values, rows, t_out, untreated, steps, initial,
                                  untreated=True, start=(values, y0))
            done &= done_base
        retry += rows[~done].tolist()
    for k in sorted(set(retry)):
        try:
            outputs[k], regimens[k], weights[k], steps[k] = per_point(int(ids[k]), False)
            if needs_untreated:
                untreated[k] = per_point(int(ids[k]), True)[0]
        except IvigsimError as exc:
            reasons[k] = f"{type(exc).__name__}: {exc}"
            regimens[k] = None
            outputs[k] = np.nan
    return outputs, untreated, regimens, weights, steps, reasons


def _in_groups(groups, m):
    mask = np.zeros(m, dtype=bool)
    for group in groups:
        mask[group.members] = True
    return mask


def _values(spec, points, ids, groups, swept, m, untreated=False):
    """Parameter values per chunk row, and whether each is a row of a group with values in bounds."""
    values = np.zeros((m, len(spec.parameters)))
    ok = np.zeros(m, dtype=bool)
    for group in groups:
        problem = group.untreated if untreated else group.problem
        values[group.members] = problem.values
        ok[group.members] = True
    for name in swept:
        j = spec.parameter_index(name)
        column = points.values[name][ids]
        low, high = spec.parameters[j].bounds
        ok &= np.isfinite(column) & (column >= low) & (column <= high)
        values[:, j] = column
    return values, ok


def _initial_reading(spec, swept):
    """[(species index, parameter index or None)] for initial values that read a swept parameter.

    A parameter index: the initial value is that parameter (copied column-wise);
    None: another expression, evaluated per point.
    """
    swept = set(swept)
    found = []
    for i, s in enumerate(spec.species):
        if symbols(s.initial) & swept:
            simple = isinstance(s.initial, Sym) and s.initial.name in swept
            found.append((i, spec.parameter_index(s.initial.name) if simple else None))
    return found


def _solve(spec, groups, values, rows, t_out, out, steps, initial, untreated, start=None):
    """Fill ``out[rows]`` through one compiled call; returns (rows finished, states at t = 0)."""
    kernel = groups[0].problem.kernel
    m_all, n = values.shape[0], spec.n_species
    member_of = np.full(m_all, -1)
    for g, group in enumerate(groups):
        member_of[group.members] = g
    problems = [(group.untreated if untreated else group.problem) for group in groups]
    schedules = [p.schedule for p in problems]
    mr = rows.size
    gid = member_of[rows]
    switches = np.stack([problems[g].switches for g in gid])
    ps = np.ascontiguousarray(np.hstack([values[rows], switches]))
    max_seg = max(len(s.t_breaks) - 1 for s in schedules)
    max_in = max(1, max(s.inputs.shape[1] for s in schedules))
    max_c = max(1, max(s.control_index.shape[0] for s in schedules))
    t_breaks = np.zeros((mr, max_seg + 1))
    n_seg = np.zeros(mr, dtype=np.int64)
    inputs = np.zeros((mr, max_seg, max_in))
    input_target = np.zeros((mr, max_in), dtype=np.int64)
    n_inputs = np.zeros(mr, dtype=np.int64)
    jumps = np.zeros((mr, max_seg, n))
    control_index = np.zeros((mr, max_c), dtype=np.int64)
    control_values = np.zeros((mr, max_seg, max_c))
    n_controls = np.zeros(mr, dtype=np.int64)
    y_init = np.zeros((mr, n))
    conserved_rows = []
    structure = None
    for g, problem in enumerate(problems):
        sel = gid == g
        if not sel.any():
            conserved_rows.append(None)
            continue
        s = problem.schedule
        ns, ni, nc = len(s.t_breaks) - 1, s.inputs.shape[1], s.control_index.shape[0]
        t_breaks[sel, :ns + 1] = s.t_breaks
        n_seg[sel] = ns
        inputs[sel, :ns, :ni] = s.inputs
        input_target[sel, :ni] = s.input_target
        n_inputs[sel] = ni
        jumps[sel, :ns] = s.jumps
        control_index[sel, :nc] = s.control_index
        control_values[sel, :ns, :nc] = s.control_values
        n_controls[sel] = nc
        y_init[sel] = _initial_values(spec, problem)
        idx, conserved, cumulative = _steady_structure(spec, problem)
        structure = (idx, cumulative)
        conserved_rows.append(conserved)
    idx, cumulative = structure
    per_point = [i for i, j in initial if j is None]
    for i, j in initial:
        if j is not None:
            y_init[:, i] = values[rows, j]
    for r, row in enumerate(rows if per_point else ()):   # other expressions of a swept parameter
        env = spec.environment(values[row])
        for i in per_point:
            y_init[r, i] = evaluate(spec.species[i].initial, env)
    n_laws = max(c.shape[0] for c in conserved_rows if c is not None)
    conserved = np.zeros((mr, n_laws, idx.size))
    for g, rows_g in enumerate(conserved_rows):
        if rows_g is not None:
            conserved[gid == g, :rows_g.shape[0]] = rows_g
    steady = np.full(mr, 1 if spec.initial_state == "steady_state" else 0, dtype=np.int64)
    if start is not None:
        # the untreated twin starts from the treated point's state when its parameters are the same
        treated_values, y0_treated = start
        y0_rows = y0_treated[rows]
        same = np.all(values[rows] == treated_values[rows], axis=1) & np.isfinite(y0_rows).all(axis=1)
        y_init[same] = y0_rows[same]
        steady[same] = 0
    problem0 = problems[gid[0]]
    rtol, atol = problem0.rtol, problem0.atol
    result = np.zeros((mr, len(t_out), out.shape[2]))
    y0 = np.full((mr, n), np.nan)
    stats = np.zeros((mr, rodas.N_STATS), dtype=np.int64)
    warm, nominal = _warm_starts(spec, problems, gid, steady, n)
    from ivigsim.core.solvers import ensemble as compiled
    info = np.zeros((mr, compiled.N_INFO))
    status = np.zeros(mr, dtype=np.int64)
    fn = kernel.typed
    run = entry(compiled.run_points)
    run(fn.rhs, fn.jac_nonzeros, fn.factor, fn.solve, fn.observables, kernel.lu_size, kernel.n_observables, ps,
        y_init, steady, warm, nominal, steady_state.WARM_NEWTON_ITERATIONS, steady_state.STABILITY_TOLERANCE,
        idx, conserved, cumulative, STEADY_STATE_HORIZON_DAY, STEADY_ROUNDS, min(rtol, 1e-8),
        np.ascontiguousarray(atol * 1e-2), steady_state.MAX_NEWTON_ITERATIONS, steady_state.STEP_TOLERANCE,
        steady_state.ROUND_OFF_STEP, t_breaks, n_seg, inputs, input_target, n_inputs, jumps, control_index,
        control_values, n_controls, np.ascontiguousarray(t_out, dtype=np.float64), float(rtol),
        np.ascontiguousarray(atol), MAX_STEPS, result, y0, stats, info, status)
    done = status == rodas.SUCCESS
    out[rows[done]] = result[done]
    del result
    if not untreated:
        steps[rows[done]] = stats[done, rodas.STAT_ACCEPTED]
    y0_all = np.full((m_all, n), np.nan)
    y0_all[rows] = y0
    return done, y0_all


def _warm_starts(spec, problems, gid, steady, n):
    """(warm (mr,), nominal (mr, n)): whether each row starts Newton from its group's nominal steady state.

    The nominal steady state is that of ``simulate`` (:func:`ivigsim.core.simulation.nominal_state`),
    one per mechanism switches and tolerances, so a point's arithmetic is that of its single run.
    """
    warm = np.zeros(gid.size, dtype=np.int64)
    nominal = np.zeros((gid.size, n))
    if spec.initial_state != "steady_state":
        return warm, nominal
    from ivigsim.core.expressions import to_text
    from ivigsim.core.simulation import nominal_state
    initial = tuple(to_text(s.initial) for s in spec.species)
    found = {}                         # groups differ in their switches rarely: one look-up per setting
    for g, problem in enumerate(problems):
        sel = (gid == g) & (steady != 0)
        if sel.any():
            key = problem.switches.tobytes()
            if key not in found:
                found[key] = nominal_state(spec, problem.kernel, problem.p, problem.rtol, problem.atol, initial)
            if found[key] is not None:
                warm[sel] = 1
                nominal[sel] = found[key]
    return warm, nominal
