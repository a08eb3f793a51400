"""Agent-based NK–tumour model: its parameter file and the Python edge ``simulate_agents``.

The model is the experimental lung-metastasis assay (TU-02: B16F10 cells
i.v., lung foci counted at day 14) under NK surveillance, well mixed:
individual NK cells that IL-12 activates, with a heterogeneous killing
capacity (many non-killers, a few serial killers, NK-02/NK-03), granule
depletion and exhaustion (NK-04), turnover (NK-01); tumour cells that are
cleared, killed by NK cells, made apoptotic by IVIG, or found lung foci that
grow (TU-01) or die out. The rules and the time stepping are documented in
:mod:`ivigsim.core.solvers.agents`, the compiled core; the parameters (value,
unit, bounds, source) are in ``models/agents/nk_tumour_abm.toml``.

The drivers, IVIG (g/L) and IL-12 (pg/mL), come from the ODE model
``ivig_antitumour`` (observables ``ivig_plasma`` and ``il12``) simulated for a
20 g mouse under the regimen, or are given as arrays (``drivers=``).

A spatial version
-----------------
Well mixed means every NK cell meets every tumour cell at the same rate. A
spatial version would give each cell a position: on a lattice of lung
alveolar sites (one site per cell, neighbours by adjacency) or off-lattice
(continuous coordinates, neighbours found through a cell list). Encounters
would then be local: an NK cell kills only targets within its contact
radius and moves by a random walk (or chemotaxis) between attempts, so
killing would depend on NK infiltration of each focus rather than on the
global NK count, and a focus's own cells would shield its interior. IL-12
would become a field solved on the same grid (secretion by IVIG-stimulated
myeloid cells, diffusion, first-order decay, explicit finite differences
sub-stepped within dt), with each NK cell activated by the concentration at
its own site. The per-cell rules of this module (capacity, depletion,
exhaustion, turnover, birth–death of tumour cells) would carry over
unchanged; only the encounter rule and the driver lookup become local.
"""

from __future__ import annotations

import difflib
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ivigsim.core.agents.result import AgentResult
from ivigsim.core.catalogue import model_dirs, model_paths
from ivigsim.errors import ModelFileError, ParameterError, SolverError
from ivigsim.core.simulation import resolve_parameters, simulate
from ivigsim.core.solvers import agents as core
from ivigsim.core.spec import Parameter, _Reader, read_toml
from ivigsim.core.units import UnitError, parse_unit

AGENT_DIR = "agents"                   # models/agents/: agent models, unseen by the reaction catalogue
DRIVER_MODEL = "ivig_antitumour"
DRIVER_OBSERVABLES = {"ivig_g_per_l": ("ivig_plasma", "g/L"), "il12_pg_per_ml": ("il12", "ng/L")}
MOUSE_BODY_WEIGHT_KG = 0.02
MAX_NK_SLOTS = 50_000_000

# Every parameter the agent model needs, with the unit the core works in.
PARAMETER_UNITS = {
    "time_step": "day", "output_interval": "day", "inoculum_scale": "1",
    "inoculum_cells": "cell", "doubling_time": "day", "tumour_cell_death_rate": "1/day",
    "clearance_rate": "1/day", "seeding_rate": "1/day", "focus_nk_accessibility": "1",
    "ivig_apoptosis_max_rate": "1/day", "ivig_apoptosis_ec50": "g/L",
    "nk_cells": "cell", "nk_proliferation_rate": "1/day", "nk_loss_rate": "1/day",
    "nk_activation_max_rate": "1/day", "il12_ec50": "ng/L", "il12_hill": "1",
    "nk_deactivation_rate": "1/day", "nk_encounter_rate": "1/(cell*day)",
    "nk_nonkiller_fraction": "1", "nk_kill_probability_mean": "1", "nk_resting_kill_factor": "1",
    "nk_granule_depletion": "1", "nk_exhaustion_kills": "1",
}
WHOLE_NUMBER_PARAMETERS = ("nk_exhaustion_kills",)


@dataclass(frozen=True)
class AgentModel:
    """The parameters of an agent model, as read from its file (declared units)."""

    name: str
    path: str
    description: str
    references: tuple[str, ...]
    parameters: tuple[Parameter, ...]

    def __repr__(self):
        return f"AgentModel(name={self.name!r}, {len(self.parameters)} parameters, file {self.path!r})"

    def _repr_html_(self):
        from ivigsim.interfaces.cards import model_card_html
        return model_card_html(self, collapsed=True)

    @property
    def parameter_names(self):
        return [p.name for p in self.parameters]

    def parameter_index(self, name):
        return self.parameter_names.index(name)

    def default_parameters(self):
        return np.array([p.value for p in self.parameters])


def _agent_model_path(name):
    for d in model_dirs():
        path = d / AGENT_DIR / f"{name}.toml"
        if path.is_file():
            return path
    known = sorted({p.stem for d in model_dirs() for p in (d / AGENT_DIR).glob("*.toml")})
    raise ModelFileError(name, "", f"no agent model named '{name}' in models/{AGENT_DIR}/; "
                                   f"known agent models: {', '.join(known) or 'none'}")


def load_agent_model(name_or_path):
    """Load and check an agent model by name (``"nk_tumour_abm"``) or by path to its ``.toml``."""
    if isinstance(name_or_path, AgentModel):
        return name_or_path
    text = str(name_or_path)
    path = Path(text) if text.endswith(".toml") or os.sep in text or "/" in text \
        else _agent_model_path(text)
    reader = _Reader(path)
    data = read_toml(path)
    for k in data:
        if k not in ("model", "parameters"):
            reader.fail(k, "unknown top-level table; an agent model has [model] and [parameters.*]")
    header = reader.table(data, "model")
    reader.check_keys(header, "model", ("name", "kind", "description", "references"),
                      required=("name", "kind"))
    if header["kind"] != "agent":
        reader.fail("model.kind", f"expected \"agent\", got {header['kind']!r}")
    name = reader.name(reader.text(header, "model", "name"), "model.name")
    references = header.get("references", [])
    if not (isinstance(references, list) and all(isinstance(r, str) for r in references)):
        reader.fail("model.references", "expected a list of citations (text)")

    table = reader.table(data, "parameters")
    parameters = []
    for pname, entry in table.items():
        key = f"parameters.{pname}"
        if pname not in PARAMETER_UNITS:
            hint = difflib.get_close_matches(pname, list(PARAMETER_UNITS), n=1)
            reader.fail(key, "not a parameter of the agent model"
                             + (f" (did you mean '{hint[0]}'?)" if hint else ""))
        value, low, high = reader.bounded_value(entry, key)
        if pname in WHOLE_NUMBER_PARAMETERS and value != round(value):
            reader.fail(f"{key}.value", f"expected a whole number, got {value}")
        unit = reader.unit(entry, key)
        try:
            unit.factor_to(parse_unit(PARAMETER_UNITS[pname]))
        except UnitError:
            reader.fail(f"{key}.unit", f"{unit} does not convert to {PARAMETER_UNITS[pname]}")
        source = reader.text(entry, key, "source")
        if not source.strip():
            reader.fail(f"{key}.source", "every parameter needs a source (a citation, or how it was derived)")
        parameters.append(Parameter(pname, value, unit, (low, high), source,
                                    entry.get("description", "")))
    for pname in PARAMETER_UNITS:
        if pname not in table:
            reader.fail(f"parameters.{pname}", "this parameter is required by the agent model")
    return AgentModel(name, str(path), reader.text(header, "model", "description", ""),
                      tuple(references), tuple(parameters))


def _canonical(model, values):
    """Name -> value in the core's unit (PARAMETER_UNITS)."""
    return {p.name: float(v) * p.unit.factor_to(parse_unit(PARAMETER_UNITS[p.name]))
            for p, v in zip(model.parameters, values)}


def _time_grid(v, t_end):
    """(n_steps, record_every, dt): output_interval is a whole number of steps, t_end of outputs."""
    if v["output_interval"] < v["time_step"]:
        raise ParameterError(f"output_interval ({v['output_interval']:g} day) must be at least "
                             f"time_step ({v['time_step']:g} day)")
    n_out = max(1, math.ceil(t_end / v["output_interval"] - 1e-9))
    record_every = max(1, math.ceil((t_end / n_out) / v["time_step"] - 1e-9))
    n_steps = n_out * record_every
    return n_steps, record_every, t_end / n_steps


def _pack(v, dt, t_end):
    """The core's parameter vector: simulated cells (the inoculum scale applied), rates per day."""
    scale = v["inoculum_scale"]
    n_nk = round(v["nk_cells"] * scale)
    if v["nk_exhaustion_kills"] != round(v["nk_exhaustion_kills"]):
        raise ParameterError(f"nk_exhaustion_kills must be a whole number, got {v['nk_exhaustion_kills']}")
    p = np.zeros(core.N_PARAMS)
    mean = v["nk_kill_probability_mean"]
    p[core.P_DT] = dt
    p[core.P_TUMOUR0] = round(v["inoculum_cells"] * scale)
    p[core.P_NK0] = n_nk
    p[core.P_CLEARANCE] = v["clearance_rate"]
    p[core.P_SEEDING] = v["seeding_rate"]
    p[core.P_DEATH] = v["tumour_cell_death_rate"]
    p[core.P_BIRTH] = math.log(2.0) / v["doubling_time"] + v["tumour_cell_death_rate"]
    p[core.P_APO_MAX] = v["ivig_apoptosis_max_rate"]
    p[core.P_APO_EC50] = v["ivig_apoptosis_ec50"]
    p[core.P_FOCUS_ACCESS] = v["focus_nk_accessibility"]
    p[core.P_ENCOUNTER] = v["nk_encounter_rate"] / scale
    p[core.P_ACT_MAX] = v["nk_activation_max_rate"]
    p[core.P_IL12_EC50] = v["il12_ec50"]
    p[core.P_IL12_HILL] = v["il12_hill"]
    p[core.P_DEACT] = v["nk_deactivation_rate"]
    p[core.P_PROLIF] = v["nk_proliferation_rate"]
    p[core.P_LOSS] = v["nk_loss_rate"]
    # Homeostatic source: makes up loss minus proliferation at the initial NK count.
    p[core.P_SOURCE] = max(0.0, v["nk_loss_rate"] - v["nk_proliferation_rate"]) * n_nk
    p[core.P_REST_FACTOR] = v["nk_resting_kill_factor"]
    p[core.P_NONKILLER] = v["nk_nonkiller_fraction"]
    p[core.P_CAPACITY_SHAPE] = mean / (1.0 - mean)
    p[core.P_DEPLETION] = v["nk_granule_depletion"]
    p[core.P_EXHAUST_KILLS] = v["nk_exhaustion_kills"]
    p[core.P_NK_SLOTS] = _nk_slots(p, t_end)
    return p


def _nk_slots(p, t_end):
    """NK slots to reserve: the largest mean NK count over [0, t_end] plus a wide margin."""
    net = p[core.P_PROLIF] - p[core.P_LOSS]
    n0, source = p[core.P_NK0], p[core.P_SOURCE]
    if abs(net) * t_end < 1e-9:
        peak = n0 + source * t_end
    else:   # dN/dt = net N + source, monotone in t
        peak = max(n0, (n0 + source / net) * math.exp(net * t_end) - source / net)
    slots = int(1.2 * peak + 10.0 * math.sqrt(peak) + 64)
    if slots > MAX_NK_SLOTS:
        raise ParameterError(f"the NK population could reach {peak:.3g} simulated cells; "
                             f"lower nk_cells, inoculum_scale or nk_proliferation_rate")
    return slots


def _driver_arrays(drivers, regimen, t_end, t_mid, body_weight_kg):
    """IVIG (g/L) and IL-12 (pg/mL = ng/L) at the middle of every step."""
    if drivers is not None:
        if regimen is not None:
            raise ParameterError("give a regimen (drivers then come from the ODE model "
                                 f"'{DRIVER_MODEL}') or drivers, not both")
        if not isinstance(drivers, dict):
            raise ParameterError("drivers must be a dict with keys 't', 'ivig_g_per_l', 'il12_pg_per_ml'")
        expected = {"t", *DRIVER_OBSERVABLES}
        if set(drivers) != expected:
            raise ParameterError(f"drivers must have exactly the keys {sorted(expected)}, "
                                 f"got {sorted(drivers)}")
        t = np.asarray(drivers["t"], dtype=np.float64)
        if t.ndim != 1 or t.size < 2 or not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
            raise ParameterError("drivers['t'] must be an increasing 1-D array of at least 2 finite times (days)")
        if t[0] > 0.0 or t[-1] < t_end:
            raise ParameterError(f"drivers['t'] spans [{t[0]:g}, {t[-1]:g}] days; it must cover "
                                 f"[0, t_end = {t_end:g}]")
        out = []
        for key in DRIVER_OBSERVABLES:
            values = np.asarray(drivers[key], dtype=np.float64)
            if values.shape != t.shape or not np.all(np.isfinite(values)) or np.any(values < 0):
                raise ParameterError(f"drivers['{key}'] must be finite, non-negative and "
                                     f"shaped like drivers['t'] {t.shape}")
            out.append(np.interp(t_mid, t, values))
        return out
    if DRIVER_MODEL not in model_paths():
        raise ParameterError(f"the ODE model '{DRIVER_MODEL}' that supplies the IVIG and IL-12 "
                             "drivers is not installed; pass drivers={'t': ..., 'ivig_g_per_l': ..., "
                             "'il12_pg_per_ml': ...}")
    res = simulate(DRIVER_MODEL, regimen=regimen, t_end=t_end, body_weight_kg=body_weight_kg,
                   t_eval=t_mid)
    return [res[name] * res.model.unit_of(name).factor_to(parse_unit(unit))
            for name, unit in DRIVER_OBSERVABLES.values()]


def replicate_seeds(seed, replicates):
    """One 32-bit seed per replicate from ``SeedSequence(seed).spawn(replicates)``; and the entropy."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ParameterError(f"seed must be a non-negative integer or None, got {seed!r}")
    root = np.random.SeedSequence(seed)
    seeds = np.array([int(c.generate_state(1, dtype=np.uint32)[0]) for c in root.spawn(replicates)],
                     dtype=np.int64)
    return seeds, root.entropy


@dataclass(frozen=True)
class PreparedAgents:
    """Everything the compiled core needs for a set of replicates, resolved and checked."""

    model: AgentModel
    values: dict                  # parameter values in the core's units
    p: np.ndarray                 # packed parameters (ivigsim.core.solvers.agents.P_*)
    ivig: np.ndarray              # (n_steps,) g/L, per step
    il12: np.ndarray              # (n_steps,) pg/mL, per step
    record_every: int             # steps per recorded row
    dt: float                     # days
    t_end: float                  # days

    @property
    def t_mid(self):
        return (np.arange(self.ivig.size) + 0.5) * self.dt


def prepare_agents(model="nk_tumour_abm", regimen=None, t_end=14.0, params=None, drivers=None,
                   body_weight_kg=MOUSE_BODY_WEIGHT_KG):
    """Resolve and check the inputs of :func:`simulate_agents` (no replicate is run)."""
    spec = load_agent_model(model)
    if isinstance(t_end, bool) or not (isinstance(t_end, (int, float)) and math.isfinite(t_end) and t_end > 0):
        raise ParameterError(f"t_end must be a positive number of days, got {t_end!r}")
    t_end = float(t_end)
    values = _canonical(spec, resolve_parameters(spec, params))
    n_steps, record_every, dt = _time_grid(values, t_end)
    p = _pack(values, dt, t_end)
    t_mid = (np.arange(n_steps) + 0.5) * dt
    ivig, il12 = (np.ascontiguousarray(a, dtype=np.float64)
                  for a in _driver_arrays(drivers, regimen, t_end, t_mid, body_weight_kg))
    return PreparedAgents(spec, values, p, ivig, il12, record_every, dt, t_end)


def run_prepared(run, seeds, entropy=None):
    """Run one replicate per seed (int64 array) in parallel; returns an AgentResult."""
    replicates = seeds.size
    n_rec = run.ivig.size // run.record_every + 1
    tumour, nk_act, nk_all, foci = (np.zeros((replicates, n_rec), dtype=np.int64) for _ in range(4))
    hist = np.zeros((replicates, 2, int(run.values["nk_exhaustion_kills"]) + 1), dtype=np.int64)
    counters = np.zeros((replicates, core.N_COUNTERS), dtype=np.int64)
    start = time.perf_counter()
    core.run_replicates(seeds, run.p, run.ivig, run.il12, run.record_every, tumour, nk_act, nk_all,
                        foci, hist, counters)
    wall = time.perf_counter() - start
    status = counters[:, core.C_STATUS]
    if np.any(status != core.SUCCESS):
        bad = int(np.flatnonzero(status != core.SUCCESS)[0])
        code = int(status[bad])
        raise SolverError(f"agent model '{run.model.name}', replicate {bad} (seed {seeds[bad]}): "
                          f"{core.STATUS_MESSAGES.get(code, 'unknown status')}", code)
    scale = run.values["inoculum_scale"]
    step = counters[:, core.C_EXTINCT_STEP]
    return AgentResult(
        model=run.model.name, t=np.linspace(0.0, run.t_end, n_rec), inoculum_scale=scale,
        tumour_cells=tumour / scale, nk_activated=nk_act / scale, nk_cells=nk_all / scale,
        foci=foci / scale,
        foci_counts=np.rint(counters[:, core.C_FOCI_ALIVE] / scale).astype(np.int64),
        foci_seeded=np.rint(counters[:, core.C_FOCI_SEEDED] / scale).astype(np.int64),
        time_to_extinction=np.where(step >= 0, step * run.dt, np.nan),
        kills_by_nk=hist, nk_kills=counters[:, core.C_KILLS], events=counters[:, core.C_EVENTS],
        drivers={"t": run.t_mid, "ivig_g_per_l": run.ivig, "il12_pg_per_ml": run.il12},
        parameters=run.values, seed=entropy, replicate_seeds=seeds, time_step=run.dt, wall_s=wall,
    )


def simulate_agents(model="nk_tumour_abm", regimen=None, t_end=14.0, seed=None, replicates=200,
                    params=None, drivers=None, body_weight_kg=MOUSE_BODY_WEIGHT_KG):
    """Run independent replicates of the agent-based NK–tumour model.

    Parameters
    ----------
    model : str, path or AgentModel
        An agent model name in ``models/agents/`` or a path to its file.
    regimen : Regimen, optional
        IVIG dosing; the drivers then come from the ODE model ``ivig_antitumour``
        (untreated when None and no drivers are given).
    t_end : float, days
    seed : int, optional
        Root of ``numpy.random.SeedSequence(seed).spawn(replicates)``; same seed, same numbers,
        whatever the thread count. None draws fresh entropy (kept in ``result.seed``).
    replicates : int
    params : dict, optional
        Overrides by name, in the declared unit or as ``(value, "unit")``, checked against bounds.
    drivers : dict, optional
        ``{"t": days, "ivig_g_per_l": ..., "il12_pg_per_ml": ...}`` arrays covering [0, t_end],
        linearly interpolated; instead of a regimen.
    body_weight_kg : float
        Body weight for the ODE drivers (a 20 g mouse by default).

    Returns
    -------
    AgentResult
    """
    if isinstance(replicates, bool) or not isinstance(replicates, (int, np.integer)) or replicates < 1:
        raise ParameterError(f"replicates must be a positive integer, got {replicates!r}")
    run = prepare_agents(model, regimen, t_end, params, drivers, body_weight_kg)
    seeds, entropy = replicate_seeds(seed, int(replicates))
    return run_prepared(run, seeds, entropy)
