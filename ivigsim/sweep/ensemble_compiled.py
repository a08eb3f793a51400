"""The compiled path of a sweep chunk: Python prepares a chunk, one compiled call runs its points.

:func:`run_compiled` groups the points of a chunk by the shape of their
regimen: the times, durations, routes and products of its doses and its
apheresis sessions, which fix the schedule's segments. Each group is
prepared once through :func:`ivigsim.core.simulation.prepare` (all input
checks included), on its first point. Everything else that differs between
points is computed for the whole group at once, with the operations one run
uses, so each point is bit-identical to ``simulate``:

* parameter values: each swept parameter and the body weight is a column,
  set and bounds-checked in NumPy;
* compartment volumes and initial values that read them
  (:func:`ivigsim.core.columns.environment_columns`);
* dose rates and bolus jumps: grams per kg x body weight (or the point's own
  dose) / molar mass / volume (:func:`ivigsim.core.schedule.build_schedules`);
* conservation rows of the steady state: the group's null space times each
  point's volumes;
* clocks: each point's rate, so the compiled call sets them to ``rate * t``
  exactly, as ``simulate`` does.

The points then go through :func:`ivigsim.core.solvers.ensemble.run_points`
in one call: steady state, course and observables, point by point without
the GIL. A point that one run would refuse (a volume or body weight out of
range) or that the compiled call could not finish is run again through the
per-point path, which raises the same :class:`~ivigsim.errors.IvigsimError`
as a single simulation would, so its recorded reason is the one
``simulate`` gives.

What the compiled call cannot express (model events, state-triggered doses)
goes through the per-point path; :func:`compiled_engine` says which, and why.
"""

from __future__ import annotations

import functools

import numpy as np

from ivigsim.core import steady_state
from ivigsim.core.cache import BoundedCache
from ivigsim.core.kernel import lanes as kernel_lanes
from ivigsim.core.columns import environment_columns, evaluate_columns
from ivigsim.core.expressions import evaluate, symbols
from ivigsim.core.regimen import MAX_BODY_WEIGHT_KG, Regimen
from ivigsim.core.schedule import ScheduleBatch, build_schedules
from ivigsim.core.simulation import MAX_STEPS, STEADY_STATE_HORIZON_DAY, clock_species, prepare
from ivigsim.core.spec import BODY_WEIGHT
from ivigsim.core.solvers import rodas
from ivigsim.core.solvers.batch import entry
from ivigsim.errors import IvigsimError

#: Provenance word for chunks run by :func:`run_compiled`.
COMPILED = "compiled per chunk"
#: Courses in lanes (:mod:`ivigsim.core.solvers.ensemble_lanes`) where the model has lane kernels;
#: False keeps every course on the scalar path (same numbers, for comparisons).
USE_LANES = True
LANE_WIDTH = 8
#: A partial set of rows of one group goes to lanes when it fills at least this many: a pass of
#: 8 lanes costs about 3.2 (fcrn_pk_qss) to 3.8 (fcrn_pk) scalar courses
#: (benchmarks/results_sweep_lanes.md: course per point at L = 8 against the scalar driver).
MIN_LANES_FILLED = 4
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


def _swept_parameters(experiment):
    names = [v.name for v in experiment.sweep.variables if v.target == "parameter"]
    names += [v.parameter for v in experiment.sweep.variability]
    return list(dict.fromkeys(names))


def _group_keys(experiment, spec, points, ids):
    """Each point's regimen, as (first row of each distinct regimen, regimen number per row).

    Only the regimen and its swept arguments make regimens differ; body
    weights and swept parameters are columns of the points (see :func:`_shape`).
    """
    columns = [points.regimen[ids].astype(np.float64)]
    columns += [points.values[var.name][ids] for var in experiment.sweep.variables if var.target == "regimen"]
    keys = np.stack(columns, axis=1)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)


def _shape(regimen):
    """What a regimen's schedule segments and parameter set depend on; the dose sizes are left out.

    Regimens of one shape (a dose swept, say) share a prepared problem: their
    points differ only in the grams of each dose.
    """
    return (tuple((a.time_day, a.duration_day, a.per_kg, a.route, a.product, a.concentration_g_per_l)
                  for a in regimen.administrations), regimen.sessions, regimen.antagonist)


class _Group:
    """One prepared problem and the chunk rows that share it, each with its own regimen and columns."""

    def __init__(self, problem, untreated, blocks):
        self.problem, self.untreated, self.blocks = problem, untreated, blocks   # blocks: [(rows, regimen)]
        self.members = np.sort(np.concatenate([rows for rows, _ in blocks]))
        self.batch = {}          # treated / untreated -> the group's points' schedules, states and volumes


# Steady-state structures by model and mechanism switches: they read nothing else.
_STRUCTURES = BoundedCache(64, "steady-state structures")


def _steady_structure(spec, problem):
    """(free index, conservation rows per unit volume, cumulative index) of the untreated steady state.

    The rows are :func:`steady_state.conservation_rows` with every volume 1:
    each point multiplies them by its own volumes (the same product as there).
    They depend on the model and its mechanism switches only, so they are
    computed once per process.
    """
    n_par = len(spec.parameters)
    switches = problem.p[n_par:]
    key = (spec.fingerprint(), tuple(s.cumulative for s in spec.species), switches.tobytes())
    return _STRUCTURES.get_or_compute(key, lambda: _structure(spec, switches))


def _structure(spec, switches):
    mechanisms = spec.mechanism_names
    active = np.array([switches[mechanisms.index(r.mechanism)] != 0 for r in spec.reactions], dtype=bool)
    stoichiometry = spec.stoichiometry()
    cumulative = np.array([s.cumulative for s in spec.species], dtype=bool)
    free = ~cumulative & np.any(stoichiometry[:, active] != 0, axis=1)
    conserved = steady_state.conservation_rows(stoichiometry, np.ones(spec.n_species), active, free)
    return np.flatnonzero(free).astype(np.int64), conserved, np.flatnonzero(cumulative).astype(np.int64)


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
    groups, retry = _groups(experiment, spec, points, ids, t_out, setup, needs_untreated)
    swept = _swept_parameters(experiment)
    values, ok = _values(spec, points, ids, groups, swept, weights, m)
    ok &= _in_groups(groups, m)
    variants = [False, True] if needs_untreated else [False]
    base_values = _values(spec, points, ids, groups, swept, weights, m, untreated=True)[0] \
        if needs_untreated else None
    for group in groups:
        rows = group.members[ok[group.members]]
        for variant in variants:
            if rows.size:
                rows = _prepare_rows(spec, group, rows, base_values if variant else values, weights, swept, variant,
                                     experiment.t_end_days)
        ok[group.members] = False
        ok[rows] = True
        for block, regimen in group.blocks:
            for k in block[ok[block]]:
                regimens[k] = regimen
    retry += np.flatnonzero(~ok & _in_groups(groups, m)).tolist()
    rows = np.flatnonzero(ok)
    if rows.size:
        done, y0 = _solve(spec, groups, values, rows, t_out, outputs, steps, untreated=False)
        if needs_untreated:
            done_base, _ = _solve(spec, groups, base_values, rows, t_out, untreated, steps, untreated=True,
                                  start=(values, y0))
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


def _groups(experiment, spec, points, ids, t_out, setup, needs_untreated):
    """The chunk's groups (one ``prepare`` each, on the group's first row), and the rows to run per point.

    A group holds the rows whose regimens have one :func:`_shape`. A body
    weight set as a model parameter as well is left to ``prepare``, which
    checks that the two agree: it stays in the key.
    """
    has_weight = BODY_WEIGHT in spec.parameter_names
    first, inverse = _group_keys(experiment, spec, points, ids)
    by_shape, retry = {}, []
    for g, k0 in enumerate(first):
        rows = np.flatnonzero(inverse == g)
        try:
            regimen, params, _ = setup(int(ids[k0]))
        except IvigsimError:
            retry += rows.tolist()             # the per-point path gives each its reason
            continue
        if BODY_WEIGHT in params:          # a model parameter too: prepare checks they agree, weight by weight
            column = points.values["body_weight_kg"][ids[rows]]
            for weight in np.unique(column):
                by_shape.setdefault((_shape(regimen), weight), []).append((rows[column == weight], regimen))
        else:
            by_shape.setdefault((_shape(regimen), None), []).append((rows, regimen))
    groups = []
    for members in by_shape.values():
        rows = np.concatenate([r for r, _ in members])
        k0 = int(rows.min())
        try:
            regimen, params, weight = setup(int(ids[k0]))
            problem = prepare(spec, regimen, experiment.t_end_days, weight if has_weight else None, params,
                              dict(experiment.mechanisms), t_out, experiment.rtol)
            base = prepare(spec, Regimen.none(), experiment.t_end_days, weight if has_weight else None,
                           params, dict(experiment.mechanisms), t_out, experiment.rtol) \
                if needs_untreated else None
        except IvigsimError:
            retry += rows.tolist()
            continue
        groups.append(_Group(problem, base, members))
    return groups, retry


def _in_groups(groups, m):
    mask = np.zeros(m, dtype=bool)
    for group in groups:
        mask[group.members] = True
    return mask


def _values(spec, points, ids, groups, swept, weights, m, untreated=False):
    """Parameter values per chunk row, and whether each is a row of a group with values in bounds.

    The group's prepared values, with each row's swept parameters and body
    weight (as ``resolve_parameters`` sets them), each checked against its bounds.
    """
    values = np.zeros((m, len(spec.parameters)))
    ok = np.zeros(m, dtype=bool)
    for group in groups:
        problem = group.untreated if untreated else group.problem
        values[group.members] = problem.values
        ok[group.members] = True
    columns = [(name, points.values[name][ids]) for name in swept]
    if BODY_WEIGHT in spec.parameter_names:
        columns.append((BODY_WEIGHT, weights))
    for name, column in columns:
        j = spec.parameter_index(name)
        low, high = spec.parameters[j].bounds
        ok &= np.isfinite(column) & (column >= low) & (column <= high)
        if name == BODY_WEIGHT and name in swept:     # swept as a parameter too: the two must agree
            ok &= values[:, j] == column
        values[:, j] = column
    return values, ok


def _prepare_rows(spec, group, rows, values, weights, swept, untreated, t_end):
    """The schedules, initial values and volumes of ``rows`` of ``group``; returns the rows that have them.

    What ``prepare`` and ``initial_state`` compute per run, computed for the
    rows at once (:mod:`ivigsim.core.columns`, :func:`build_schedules`) with
    the same operations. A row that one run would refuse (a volume that is
    not positive, a body weight or infusion rate out of range) is dropped:
    the per-point path reports it.
    """
    problem = group.untreated if untreated else group.problem
    env, ok = environment_columns(spec, values[rows])
    regimen = Regimen.none() if untreated else problem.regimen
    has_weight = BODY_WEIGHT in spec.parameter_names
    point_weights = weights[rows] if has_weight else np.full(rows.size, np.nan)
    administrations = regimen.administrations
    amounts = np.zeros((rows.size, len(administrations)))
    if administrations:
        if has_weight:
            ok &= np.isfinite(point_weights) & (point_weights > 0.0) & (point_weights <= MAX_BODY_WEIGHT_KG)
        position = np.full(int(rows.max()) + 1, -1)
        position[rows] = np.arange(rows.size)
        for block, own in group.blocks:          # each regimen's doses (a swept dose differs between them)
            at = position[block[block <= rows.max()]]
            at = at[at >= 0]
            amounts[at] = [float(a.amount) for a in own.administrations]
            for r in at if any(not a.per_kg and a.duration_day > 0.0 for a in own.administrations) else ():
                try:                             # a rate in grams per day: checked per patient
                    own.doses(float(point_weights[r]) if has_weight else problem.body_weight_kg)
                except IvigsimError:
                    ok[r] = False
        for d, a in enumerate(administrations):
            if a.per_kg:
                amounts[:, d] *= point_weights if has_weight else problem.body_weight_kg
    initial = np.empty((rows.size, spec.n_species))
    constant = spec.environment(problem.values)
    varying = set(swept) | ({BODY_WEIGHT} if has_weight else set())
    varying |= {c.name for c in spec.compartments if symbols(c.volume) & varying}
    for i, s in enumerate(spec.species):
        if symbols(s.initial) & varying:
            initial[:, i], valid = evaluate_columns(s.initial, env, rows.size)
            ok &= valid
        else:
            initial[:, i] = evaluate(s.initial, constant)
    keep = np.flatnonzero(ok)
    env = {name: column[keep] for name, column in env.items()}
    doses = regimen.doses(problem.body_weight_kg) if administrations else ()
    try:
        batch = build_schedules(spec, env, doses, amounts[keep], 0.0, float(t_end), regimen.sessions)
    except IvigsimError:
        return rows[:0]
    compartments = [c.name for c in spec.compartments]
    volumes = np.stack([env[name] for name in compartments], axis=1).reshape(keep.size, len(compartments))
    volumes = volumes[:, [compartments.index(s.compartment) for s in spec.species]]
    group.batch[untreated] = (rows[keep], batch, initial[keep], volumes)
    if untreated and False in group.batch:     # the treated rows must keep theirs too
        treated_rows, *rest = group.batch[False]
        sel = np.isin(treated_rows, rows[keep])
        group.batch[False] = (treated_rows[sel], _rows_of(rest[0], sel), rest[1][sel], rest[2][sel])
    return rows[keep]


def _rows_of(batch, sel):
    """``batch`` for the points ``sel`` of it."""
    return ScheduleBatch(batch.t_breaks, batch.inputs[sel], batch.input_target, batch.jumps[sel],
                         batch.control_index, batch.control_values)


def _solve(spec, groups, values, rows, t_out, out, steps, untreated, start=None):
    """Fill ``out[rows]`` through one compiled call; returns (rows finished, states at t = 0)."""
    kernel = groups[0].problem.kernel
    m_all, n = values.shape[0], spec.n_species
    problems = [(group.untreated if untreated else group.problem) for group in groups]
    batches = [group.batch.get(untreated) for group in groups]
    in_rows = np.zeros(m_all, dtype=bool)
    in_rows[rows] = True
    used = [g for g, b in enumerate(batches) if b is not None and in_rows[b[0]].any()]
    mr = rows.size
    switches = problems[used[0]].switches
    ps = np.ascontiguousarray(np.hstack([values[rows], np.broadcast_to(switches, (mr, switches.size))]))
    max_seg = max(len(batches[g][1].t_breaks) - 1 for g in used)
    max_in = max(1, max(batches[g][1].input_target.shape[0] for g in used))
    max_c = max(1, max(batches[g][1].control_index.shape[0] for g in used))
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
    structure = [_steady_structure(spec, problems[g]) for g in used]
    idx, _, cumulative = structure[0]
    n_laws = max(c.shape[0] for _, c, _ in structure)
    conserved = np.zeros((mr, n_laws, idx.size))
    gid = np.full(mr, -1)                                   # each row's group
    for g, (_, unit_rows, _) in zip(used, structure):
        group_rows, batch, initial, volumes = batches[g]
        take = in_rows[group_rows]
        sel = np.searchsorted(rows, group_rows[take])      # positions in ``rows`` (both sorted)
        gid[sel] = g
        ns, ni, nc = len(batch.t_breaks) - 1, batch.input_target.shape[0], batch.control_index.shape[0]
        t_breaks[sel, :ns + 1] = batch.t_breaks
        n_seg[sel] = ns
        inputs[sel, :ns, :ni] = batch.inputs[take]
        input_target[sel, :ni] = batch.input_target
        n_inputs[sel] = ni
        jumps[sel, :ns] = batch.jumps[take]
        control_index[sel, :nc] = batch.control_index
        control_values[sel, :ns, :nc] = batch.control_values
        n_controls[sel] = nc
        y_init[sel] = initial[take]
        # conservation_rows' ``(left * volumes[free][:, None]).T``, point by point
        conserved[sel, :unit_rows.shape[0]] = unit_rows[None, :, :] * volumes[take][:, None, idx]
    clock_index, clock_rate = _clock_columns(spec, switches, values[rows])
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
    # every row of the chunk: the compiled call writes straight into ``out`` (a failed point stays NaN)
    whole = mr == m_all and out.flags.c_contiguous
    result = out if whole else np.zeros((mr, len(t_out), out.shape[2]))
    y0 = np.full((mr, n), np.nan)
    stats = np.zeros((mr, rodas.N_STATS), dtype=np.int64)
    warm, nominal, p_nominal = _warm_starts(spec, problems, gid, steady, n, ps.shape[1])
    from ivigsim.core.solvers import ensemble as compiled
    info = np.zeros((mr, compiled.N_INFO))
    status = np.zeros(mr, dtype=np.int64)
    fn = kernel.typed
    lanes = lane_groups(gid, LANE_WIDTH, MIN_LANES_FILLED) if USE_LANES and kernel_lanes.available(spec) else None
    lane_kernel = kernel_lanes.load_lanes(spec, LANE_WIDTH) if lanes is not None and lanes.size else None
    if lane_kernel is not None and lane_kernel.exact:
        from ivigsim.core.solvers import ensemble_lanes
        run = functools.partial(entry(ensemble_lanes.run_points_lanes), *lane_kernel.typed, lane_kernel.scratch,
                                lanes)
    else:
        run = entry(compiled.run_points)
    run(fn.rhs, fn.jac_nonzeros, fn.factor, fn.solve, fn.observables, kernel.lu_size, kernel.n_observables, ps,
        y_init, steady, warm, nominal, p_nominal, steady_state.WARM_NEWTON_ITERATIONS, steady_state.STABILITY_TOLERANCE,
        idx, conserved, cumulative, STEADY_STATE_HORIZON_DAY, STEADY_ROUNDS, min(rtol, 1e-8),
        np.ascontiguousarray(atol * 1e-2), steady_state.MAX_NEWTON_ITERATIONS, steady_state.STEP_TOLERANCE,
        steady_state.ROUND_OFF_STEP, t_breaks, n_seg, inputs, input_target, n_inputs, jumps, control_index,
        control_values, n_controls, clock_index, clock_rate, np.ascontiguousarray(t_out, dtype=np.float64),
        float(rtol),
        np.ascontiguousarray(atol), MAX_STEPS, result, y0, stats, info, status)
    done = status == rodas.SUCCESS
    if not whole:
        out[rows[done]] = result[done]
    del result
    if not untreated:
        steps[rows[done]] = stats[done, rodas.STAT_ACCEPTED]
    y0_all = np.full((m_all, n), np.nan)
    y0_all[rows] = y0
    return done, y0_all


def lane_groups(gid, width, min_filled):
    """Rows integrated together: (n_groups, width) positions in the call, -1 for an empty lane.

    The rows of one prepared group (``gid``) share their dosing segments, so
    they can share lanes; ``width`` of them at a time in row order, and a
    last, partial set when it fills at least ``min_filled`` lanes (fewer run
    point by point: a lane pass costs about as much as that many scalar
    courses). Which rows share a pass changes no point's numbers (each lane is
    the scalar solver, bit for bit), so the grouping is free to follow the chunk.
    """
    groups = []
    for g in np.unique(gid[gid >= 0]):
        rows = np.flatnonzero(gid == g)
        for start in range(0, rows.size, width):
            part = rows[start:start + width]
            if part.size == width or part.size >= min_filled:
                groups.append(np.concatenate([part, np.full(width - part.size, -1)]))
    return np.array(groups, dtype=np.int64).reshape(len(groups), width)


def _clock_columns(spec, switches, values):
    """(species index of each clock, its rate at each point): see :func:`simulation.clock_species`."""
    clocks = clock_species(spec, switches)
    index = np.array([i for i, _ in clocks], dtype=np.int64)
    rate = np.empty((values.shape[0], len(clocks)))
    for j, (_, r) in enumerate(clocks):
        rate[:, j] = values[:, spec.parameter_index(r)] if isinstance(r, str) else float(r)
    return index, rate


def _warm_starts(spec, problems, gid, steady, n, n_p):
    """(warm (mr,), nominal (mr, n), p_nominal (mr, n_p)): each row's warm start and its parameters.

    ``warm``: whether the row starts Newton from its group's nominal steady state. The nominal
    steady state is that of ``simulate`` (:func:`ivigsim.core.simulation.nominal_state`), one per
    mechanism switches and tolerances, so a point's arithmetic is that of its single run;
    ``p_nominal`` is its parameter vector, where a refused warm start continues from.
    """
    warm = np.zeros(gid.size, dtype=np.int64)
    nominal = np.zeros((gid.size, n))
    p_nominal = np.zeros((gid.size, n_p))
    if spec.initial_state != "steady_state":
        return warm, nominal, p_nominal
    from ivigsim.core.expressions import to_text
    from ivigsim.core.simulation import nominal_parameters, nominal_state
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
                p_nominal[sel] = nominal_parameters(spec, problem.p)
    return warm, nominal, p_nominal
