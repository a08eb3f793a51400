"""Stochastic simulation of any model: the Python edge of :mod:`ivigsim.core.solvers.ssa`.

``simulate(model, ..., method="ssa")`` (Gillespie's exact direct method) or
``method="tau_leaping"`` (Gillespie's explicit tau-leaping) lands here with a
:class:`~ivigsim.core.simulation.PreparedRun`. This module turns concentrations
into counts, checks that the model's reactions can be simulated one molecule
at a time, runs the compiled loop and turns counts back into concentrations.

Counts and ``ssa_scale``
------------------------
A species' count (molecules or cells) is its amount (concentration x
compartment volume, in the species' amount unit) times its scale, in counts
per amount unit:

* species whose amount is in cells (``cell``, ``10^9*cell``, ...) count one
  per cell by default;
* for molar (or any other) amounts there is no sensible default at body scale
  (1 umol is 6.0e17 molecules), so ``ssa_scale`` must be given: a number
  applied to every such species, or a dict ``species -> scale`` (which may
  also override the scale of a cell species). It is a system-size parameter:
  ``ssa_scale=100`` simulates a scaled-down system with 100 particles per
  umol, in which the intrinsic noise is that of a system of that size; the
  relative fluctuations shrink like ``1/sqrt(ssa_scale)`` and the mean tends to
  the ODE solution as it grows.

Each reaction's propensity is its rate (amount per day) times the scale of its
species (all species of a reaction share one amount unit, which the model
loader enforces, and must here share one scale too, so an event conserves
amount). Initial states and boluses are rounded to whole counts; infusions
are zero-order events adding one count at a time. A reaction cannot fire
without a count of each reactant; a rate law that turns negative because a
pool that is not a species (free FcRn = total - bound) was overdrawn by
whole-count events is read as an exhausted pool (propensity 0; counted in
``stats["clamped_rates"]``).
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np

from ivigsim.errors import ParameterError, SolverError
from ivigsim.core.kernel.compiled import evaluate_observables
from ivigsim.core.result import SimulationResult
from ivigsim.core.simulation import _unknown, initial_state
from ivigsim.core.solvers import ssa
from ivigsim.core.units import parse_unit

METHODS = {"ssa": ssa.DIRECT, "tau_leaping": ssa.TAU_LEAPING}
DEFAULT_TAU_DAY = 0.01
DEFAULT_MAX_EVENTS = 100_000_000
MAX_COUNT = 2 ** 53            # counts above this lose integer precision as float64 amounts

_CELL = parse_unit("cell")
_MOL = parse_unit("mol")
_AVOGADRO = 6.02214076e23
_STRUCTURE = {}


def _amount_text(unit):
    """'umol' rather than '1e-06·mol' where a plain name fits."""
    for name in ("mol", "mmol", "umol", "nmol", "pmol", "g", "mg", "ug", "ng", "cell"):
        named = parse_unit(name)
        if unit.same_dimension(named) and math.isclose(unit.factor_to(named), 1.0, rel_tol=1e-12):
            return name
    return f"dimensionless units ({unit})" if unit.is_dimensionless else str(unit)


def _is_cell_amount(spec, name):
    return spec.amount_unit(name).same_dimension(_CELL)


def _check_scale(value, where):
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value <= 0:
        raise ParameterError(f"{where} must be a positive finite number of counts per amount unit, "
                             f"got {value!r}")
    return float(value)


def species_scales(spec, ssa_scale=None):
    """Counts per amount unit of each species (declaration order), from ``ssa_scale``.

    Cell species count one per cell unless ``ssa_scale`` (a dict) says
    otherwise; every other species takes ``ssa_scale`` (a number), or its
    entry in ``ssa_scale`` (a dict); a species left without a scale is an
    error that explains why.
    """
    scales = np.full(spec.n_species, np.nan)
    for i, s in enumerate(spec.species):
        if _is_cell_amount(spec, s.name):
            scales[i] = spec.amount_unit(s.name).factor_to(_CELL)    # cells per amount unit
    if isinstance(ssa_scale, dict):
        for name, value in ssa_scale.items():
            if name not in spec.species_names:
                raise _unknown("species", name, spec.species_names, spec.name)
            scales[spec.species_index(name)] = _check_scale(value, f"ssa_scale['{name}']")
    elif ssa_scale is not None:
        value = _check_scale(ssa_scale, "ssa_scale")
        for i, s in enumerate(spec.species):
            if not _is_cell_amount(spec, s.name):
                scales[i] = value
    missing = [s.name for i, s in enumerate(spec.species) if np.isnan(scales[i])]
    if missing:
        units = sorted({_amount_text(spec.amount_unit(n)) for n in missing})
        example = ""
        molar = [n for n in missing if spec.amount_unit(n).same_dimension(_MOL)]
        if molar:
            unit = spec.amount_unit(molar[0])
            example = (f" (1 {_amount_text(unit)} is {_AVOGADRO * unit.factor_to(_MOL):.2g} molecules: "
                       f"there is no sensible count at body scale)")
        names = ", ".join(repr(n) for n in missing[:4]) + (f" and {len(missing) - 4} more"
                                                           if len(missing) > 4 else "")
        raise ParameterError(
            f"model '{spec.name}': stochastic simulation counts particles one by one, and species "
            f"{names} {'is an amount' if len(missing) == 1 else 'are amounts'} in "
            f"{', '.join(units)}{example}. Give ssa_scale, the number of simulated particles per "
            f"amount unit: a system-size parameter that simulates a scaled-down system in which to "
            f"explore intrinsic noise (relative fluctuations shrink like 1/sqrt(ssa_scale) and the mean "
            f"tends to the ODE as it grows), e.g. ssa_scale=100, or a dict species -> scale. "
            f"Cell species count 1 per cell by default.")
    return scales


def _structure(spec):
    """Reactant and net-change lists of the reactions (CSR arrays), checked for SSA."""
    key = spec.fingerprint()
    if key in _STRUCTURE:
        return _STRUCTURE[key]
    reactant_ptr, reactant_species = [0], []
    change_ptr, change_species, change_delta = [0], [], []
    stoich = spec.stoichiometry()
    for k, reaction in enumerate(spec.reactions):
        names = [name for name, _ in reaction.reactants]
        for name, coeff in reaction.reactants:
            if coeff != 1.0 or names.count(name) > 1:
                raise ParameterError(
                    f"model '{spec.name}': reaction '{reaction.name}' ({reaction.equation}) consumes "
                    f"more than one '{name}' per event; its stochastic propensity would need the "
                    f"combinatorial factor n(n-1)/2 (a homo-reaction), which ivigsim's stochastic "
                    f"solvers do not implement. Write reactants with coefficient 1 and distinct species.")
        for name, coeff in reaction.products:
            if coeff != round(coeff):
                raise ParameterError(
                    f"model '{spec.name}': reaction '{reaction.name}' ({reaction.equation}) makes a "
                    f"non-integer {coeff:g} '{name}' per event, which cannot be counted")
        reactant_species += [spec.species_index(n) for n in names]
        reactant_ptr.append(len(reactant_species))
        for i in np.nonzero(stoich[:, k])[0]:
            change_species.append(int(i))
            change_delta.append(int(round(stoich[i, k])))
        change_ptr.append(len(change_species))
    as_int = lambda v: np.array(v, dtype=np.int64)      # noqa: E731
    result = (as_int(reactant_ptr), as_int(reactant_species), as_int(change_ptr),
              as_int(change_species), as_int(change_delta))
    _STRUCTURE[key] = result
    return result


def _reaction_scales(spec, scales):
    out = np.empty(len(spec.reactions))
    for k, reaction in enumerate(spec.reactions):
        involved = [n for n, _ in reaction.reactants + reaction.products]
        values = {n: scales[spec.species_index(n)] for n in involved}
        first = values[involved[0]]
        for name, value in values.items():
            if not math.isclose(value, first, rel_tol=1e-12):
                raise ParameterError(
                    f"model '{spec.name}': reaction '{reaction.name}' ({reaction.equation}) joins "
                    f"'{involved[0]}' (ssa_scale {first:g}) and '{name}' (ssa_scale {value:g}); species "
                    f"of one reaction must share one scale, or an event would not conserve amount")
        out[k] = first
    return out


def _to_counts(amounts, what):
    counts = np.rint(np.maximum(amounts, 0.0))
    if not np.all(np.isfinite(counts)) or np.any(counts > MAX_COUNT):
        raise ParameterError(f"{what} is more than {MAX_COUNT:.2g} particles (or not finite): "
                             f"lower ssa_scale")
    return counts.astype(np.int64)


def _check_event_budget(spec, kernel, run, y0, reaction_scale, input_rates, max_events):
    """Refuse up front a direct-method run whose initial event rate alone exceeds max_events."""
    r = np.empty(len(spec.reactions))
    kernel.rates(np.ascontiguousarray(y0, dtype=np.float64), run.p, r)
    rate = float(np.sum(np.abs(r) * reaction_scale))
    durations = np.diff(run.schedule.t_breaks)
    expected = rate * float(run.schedule.t_breaks[-1] - run.schedule.t_breaks[0]) \
        + float(np.sum(input_rates.sum(axis=1) * durations))
    if math.isfinite(expected) and expected > max_events:
        raise ParameterError(
            f"model '{spec.name}': the exact stochastic simulation would take about {expected:.2g} "
            f"events (more than max_events = {max_events:.3g}) at this ssa_scale; lower ssa_scale, "
            f"shorten t_end, use method='tau_leaping', or raise max_events")


def derive_seed(seed):
    """(entropy, 32-bit seed for the compiled generator) from ``numpy.random.SeedSequence(seed)``."""
    try:
        seq = np.random.SeedSequence(seed)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"seed must be None or a non-negative integer, got {seed!r} ({exc})") from None
    return seq.entropy, int(seq.generate_state(1, dtype=np.uint32)[0])


def simulate_stochastic(run, method="ssa", seed=None, ssa_scale=None, tau_day=None,
                        max_events=DEFAULT_MAX_EVENTS):
    """One stochastic trajectory of a prepared run (see :func:`ivigsim.core.simulation.prepare`).

    Parameters
    ----------
    run : PreparedRun
    method : "ssa" or "tau_leaping"
        ``"ssa"``: Gillespie's direct method, exact. ``"tau_leaping"``:
        Gillespie's (2001) explicit tau-leaping with a fixed leap ``tau_day``
        (Poisson firings; a leap that would make a count negative is halved and
        retried, falling back to exact steps), approximate.
    seed : int or None
        Seeds ``numpy.random.SeedSequence``; the same seed gives the same
        trajectory. ``None`` draws fresh entropy (recorded in ``stats["seed"]``).
    ssa_scale : float or dict, optional
        Counts per amount unit (see the module docstring); required for molar species.
    tau_day : float, optional
        Leap length in days for tau-leaping (default 0.01 day). It should be well
        below the fastest relaxation time of the model.
    max_events : int
        Cap on events (direct method) or leaps (tau-leaping); beyond it a
        :class:`SolverError` is raised.

    Returns
    -------
    SimulationResult
        States in the declared concentration units (counts / (scale x volume)),
        observables from them, and ``stats`` with ``events`` (reaction and
        infusion firings) and ``method``.
    """
    if method not in METHODS:
        raise ParameterError(f"unknown stochastic method {method!r}; available: {', '.join(METHODS)}")
    if method == "ssa" and tau_day is not None:
        raise ParameterError("tau_day applies to method='tau_leaping' only")
    tau_day = DEFAULT_TAU_DAY if tau_day is None else tau_day
    if isinstance(tau_day, bool) or not isinstance(tau_day, Real) or not 0 < tau_day < math.inf:
        raise ParameterError(f"tau_day must be a positive number of days, got {tau_day!r}")
    tau_day = float(tau_day)
    if isinstance(max_events, bool) or not isinstance(max_events, (int, np.integer)) or max_events < 1:
        raise ParameterError(f"max_events must be a positive integer, got {max_events!r}")
    spec, kernel = run.spec, run.kernel
    if run.schedule.has_controls:
        raise ParameterError(f"method={method!r} cannot run plasma exchange or immunoadsorption "
                             "sessions (their removal rates change between segments); use method='ode'")
    scales = species_scales(spec, ssa_scale)
    reaction_scale = _reaction_scales(spec, scales)
    reactant_ptr, reactant_species, change_ptr, change_species, change_delta = _structure(spec)
    env = spec.environment(run.values)
    volumes = np.array([env[s.compartment] for s in spec.species], dtype=np.float64)
    if not np.all(np.isfinite(volumes) & (volumes > 0)):
        bad = spec.species[int(np.argmin(np.where(np.isfinite(volumes), volumes, -np.inf)))]
        raise ParameterError(f"model '{spec.name}': compartment '{bad.compartment}' has no positive volume")
    counts_per_conc = scales * volumes

    y0 = initial_state(spec, kernel, run.values, run.p, run.rtol, run.atol)
    n0 = _to_counts(y0 * counts_per_conc, "the initial state")
    schedule = run.schedule
    jump_counts = np.ascontiguousarray(_to_counts(schedule.jumps * counts_per_conc, "a bolus"))
    target = np.ascontiguousarray(schedule.input_target, dtype=np.int64)
    input_rates = np.ascontiguousarray(schedule.inputs * counts_per_conc[target], dtype=np.float64)

    if method == "ssa":
        _check_event_budget(spec, kernel, run, n0 / counts_per_conc, reaction_scale, input_rates,
                            max_events)
    entropy, seed32 = derive_seed(seed)
    n_out = np.zeros((len(run.t_out), spec.n_species), dtype=np.int64)
    stats = np.zeros(ssa.N_STATS, dtype=np.int64)
    status = ssa.simulate(kernel.typed.rates, METHODS[method], run.p, n0, 1.0 / counts_per_conc, reaction_scale,
                          reactant_ptr, reactant_species, change_ptr, change_species, change_delta,
                          schedule.t_breaks, input_rates, target, jump_counts,
                          np.ascontiguousarray(run.t_out, dtype=np.float64), float(tau_day), seed32,
                          int(max_events), n_out, stats)
    raw = dict(zip(ssa.STAT_NAMES, (int(s) for s in stats)))
    stats_dict = {"events": raw["reaction_events"] + raw["input_events"], "method": method,
                  "seed": entropy, "reaction_events": raw["reaction_events"],
                  "input_events": raw["input_events"], "clamped_rates": raw["clamped_rates"]}
    if method == "tau_leaping":
        stats_dict.update(tau_day=tau_day, leaps=raw["leaps"], rejected_leaps=raw["rejected_leaps"],
                          exact_steps=raw["exact_steps"])
    if status != ssa.SUCCESS:
        where = ""
        if raw["bad_reaction"] >= 0:
            r = spec.reactions[raw["bad_reaction"]]
            where = f" (reaction '{r.name}': {r.equation})"
        hint = (" Lower ssa_scale, shorten t_end, use method='tau_leaping', or raise max_events."
                if status == ssa.MAX_EVENTS else " Check the rate law and the parameters.")
        raise SolverError(f"model '{spec.name}': stochastic simulation ({method}) failed: "
                          f"{ssa.STATUS_MESSAGES[status]}{where}.{hint}", status, stats_dict)
    states = n_out / counts_per_conc
    return SimulationResult(
        model=spec, t=run.t_out, states=states,
        observables=evaluate_observables(kernel, states, run.p),
        parameters=dict(zip(spec.parameter_names, run.values.tolist())),
        mechanisms={m: bool(s) for m, s in zip(spec.mechanism_names, run.switches)},
        regimen=run.regimen, body_weight_kg=run.body_weight_kg, stats=stats_dict,
    )
