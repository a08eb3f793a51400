"""The precomputed grid behind the web-page lesson.

The page cannot simulate, so every setting its sliders can reach is simulated
here, as ordinary sweeps run by the ensemble engine
(:func:`~ivigsim.sweep.ensemble.run_chunk` on threads): a grid over dose, infusion
hours, cycle length, FcRn capacity (both pools scaled together) and
anti-idiotype fraction, once per
mechanism combination the page shows. Curves are kept at whole days and, on
infusion days, at the end of each infusion (where IgG peaks) and at midday,
then stored as 16-bit integers.

Two shortcuts keep the page small, each checked here and recorded with the
data: total and infused IgG are stored at one anti-idiotype fraction per
FcRn-saturation setting (anti-idiotypes bind a few mg/L of autoantibody, which
barely changes grams per litre of IgG), and "FcRn saturation alone" does not
depend on the anti-idiotype fraction (with binding off, anti-idiotypes are
just IVIG).
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ivigsim.core.catalogue import load_model
from ivigsim.interfaces.demo.lesson import MODEL, cumulative_grams, fcrn_parameters
from ivigsim.core.regimen import Regimen

#: Grid levels of the web page's sliders; FcRn capacity is added as
#: :data:`FCRN_MULTIPLES` of the model's value.
DEFAULT_LEVELS = {
    "dose_g_per_kg": (0.2, 0.4, 0.6, 0.8, 1.0),
    "infusion_hours": (1.0, 2.0, 4.0, 8.0),
    "every_days": (21.0, 28.0, 42.0),
    "f_antiidiotype": (0.0, 0.0005, 0.001, 0.002),
}
FCRN_MULTIPLES = (0.5, 1.0, 2.0)
GRID_NAMES = ("dose_g_per_kg", "infusion_hours", "every_days", "fcrn_total", "f_antiidiotype")
DAYS_PER_COURSE = 5
T_END_DAYS = 168.0
_STEP_DAY = 1.0 / 24.0
_CHUNK_POINTS = 10          # points per chunk of the ensemble engine (~13 MB of full trajectories each)
_COMBOS = {  # name -> (mechanism switches, anti-idiotype fraction swept)
    "selected": ({"fcrn_saturation": True, "anti_idiotype": True}, True),
    "anti_idiotype": ({"fcrn_saturation": False, "anti_idiotype": True}, True),
    "fcrn_saturation": ({"fcrn_saturation": True, "anti_idiotype": False}, False),
}


@dataclass(frozen=True)
class LessonGrid:
    """Simulated curves over the grid.

    Attributes
    ----------
    levels : dict of str to tuple
        Slider levels in declaration order (FcRn capacity in µM).
    t : dict of (every_days, infusion_hours) to (n,) days
        The stored times, one set per cycle length and infusion length.
    autoantibody : dict of str to ndarray, mg/L
        ``"selected"`` (both mechanisms) and ``"anti_idiotype"``: shape
        (dose, hours, every, fcrn, f_aid, time); ``"fcrn_saturation"``:
        (dose, hours, every, fcrn, time); ``"untreated"``: (fcrn, time) on
        each cycle length's daily grid.
    igg_total, ivig : dict of bool to ndarray, g/L
        By FcRn saturation on/off: (dose, hours, every, fcrn, time).
    peak_igg : dict of bool to ndarray, g/L
        Peak total IgG on an hourly grid: (dose, hours, every, fcrn).
    checks : dict of str to float
        Largest errors of the shortcuts (g/L, mg/L).
    defaults : dict
        The model's ``fcrn_total`` and the grid's anti-idiotype fraction nearest the model's.
    body_weight_kg, days, t_end_days, cycles : the fixed settings
    """

    levels: dict
    t: dict
    autoantibody: dict
    igg_total: dict
    ivig: dict
    peak_igg: dict
    checks: dict
    defaults: dict
    body_weight_kg: float
    days: int
    t_end_days: float
    cycles: dict


def courses_within(every_days, t_end_days=T_END_DAYS):
    """Number of courses that start before the end of the horizon."""
    return int(math.ceil(t_end_days / every_days - 1e-9))


def stored_times(every_days, infusion_hours, days=DAYS_PER_COURSE, t_end_days=T_END_DAYS):
    """Whole days, and on infusion days the end of the infusion and midday (days)."""
    times = set(np.arange(0.0, t_end_days + 0.5).tolist())
    for k in range(courses_within(every_days, t_end_days)):
        for d in range(days):
            start = k * every_days + d
            times.update((start + infusion_hours / 24.0, start + 0.5))
    return np.array(sorted(t for t in times if t <= t_end_days))


def _experiment_text(name, model, levels, mechanisms, sweep_f, fixed_f, weight, cycles, fixed=None):
    fixed = dict(fixed or {})
    variables = {k: v for k, v in levels.items() if k not in fixed}
    if not sweep_f:
        del variables["f_antiidiotype"]
        fixed["f_antiidiotype"] = fixed_f
    lines = [
        "[experiment]", f'name = "{name}"', f'model = "{model}"', "seed = 1",
        f"t_end_days = {T_END_DAYS!r}", f"output_step_days = {_STEP_DAY!r}",
        f"body_weight_kg = {weight!r}",
        "mechanisms = { " + ", ".join(f"{k} = {str(v).lower()}" for k, v in mechanisms.items()) + " }",
        "", "[regimens.course]", 'kind = "ivig"', f"days = {DAYS_PER_COURSE}", f"cycles = {cycles}",
    ]
    if fixed:
        lines += ["", "[parameters]"] + [f"{k} = {float(v)!r}" for k, v in fixed.items()]
    lines += ["", "[sweep]", 'method = "grid"']
    for name_, values in variables.items():
        lines += ["", f"[sweep.variables.{name_}]", f"values = {[float(v) for v in values]!r}"]
    lines += ["", "[metrics.igg_peak]", 'kind = "max"', 'output = "igg_total"']
    return "\n".join(lines) + "\n"


def _run_sweep(text, workers, levels, names, bar):
    """The grid of outputs [igg_total, ivig, autoantibody_free]: (grid shape..., times, 3), and the times.

    Chunks are streamed a few at a time and written straight into the grid,
    keeping three outputs: holding every chunk's full trajectories (every
    species and observable) at once took over a gigabyte.
    """
    from ivigsim.sweep.ensemble import FAILED, chunk_bounds, chunk_task, output_names
    from ivigsim.sweep.executors import ThreadExecutor, default_workers
    from ivigsim.sweep.experiment import load_experiment
    from ivigsim.sweep.samplers import sample_points
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lesson_grid.toml"
        path.write_text(text)
        experiment = load_experiment(path)
    points = sample_points(experiment)
    all_names = output_names(load_model(experiment.model))
    columns = [all_names.index(n) for n in ("igg_total", "ivig", "autoantibody_free")]
    t = experiment.output_times()
    grid = np.empty(tuple(len(levels[n]) for n in names) + (len(t), 3))
    index = _index(points, levels, names)
    bounds = [(i, a, b) for i, (a, b) in enumerate(chunk_bounds(len(points), _CHUNK_POINTS))]
    # a generic executor keeps two chunks per thread in flight: a new one starts as each finishes
    for chunk in ThreadExecutor(workers or default_workers()).map(chunk_task, bounds, experiment, points):
        if np.any(chunk.status == FAILED):
            raise RuntimeError(f"lesson grid: {chunk.reasons[int(np.argmax(chunk.status))]}")
        grid[tuple(i[chunk.point_ids] for i in index)] = chunk.outputs[:, :, columns]
        bar.update(len(chunk.point_ids))
    return grid, t


def _index(points, levels, names):
    """Grid index tuple of every point."""
    return tuple(np.searchsorted(np.asarray(levels[n]), np.asarray(points.values[n]))
                 for n in names)


def compute_grid(model=MODEL, levels=None, workers=None, progress=True):
    """Simulate the web page's grid.

    Parameters
    ----------
    model : str or ModelSpec
        Default ``"ivig_autoimmune"``.
    levels : dict, optional
        Slider levels of :data:`GRID_NAMES` (FcRn capacity in µM); default
        :data:`DEFAULT_LEVELS` and :data:`FCRN_MULTIPLES` of the model's FcRn capacity.
    workers : int, optional
        Threads of the ensemble engine (default: all cores).
    progress : bool
        Show a progress bar (see :mod:`ivigsim.interfaces.progress`).

    Returns
    -------
    LessonGrid
    """
    spec = load_model(model)
    defaults = dict(zip(spec.parameter_names, spec.default_parameters().tolist()))
    if levels is None:
        levels = {**DEFAULT_LEVELS,
                  "fcrn_total": tuple(m * defaults["fcrn_total"] for m in FCRN_MULTIPLES)}
    levels = {name: tuple(float(v) for v in levels[name]) for name in GRID_NAMES}
    weight = defaults["body_weight"]
    f_default = min(levels["f_antiidiotype"], key=lambda f: abs(f - defaults["f_antiidiotype"]))
    cycles = courses_within(min(levels["every_days"]))
    t_fine = None
    names = GRID_NAMES
    shape = tuple(len(levels[n]) for n in names)
    raw = {}
    from ivigsim.interfaces.progress import bar as progress_bar
    total = sum(math.prod(shape if sweep_f else shape[:-1]) for _, sweep_f in _COMBOS.values())
    axis = names.index("fcrn_total")
    with progress_bar(total, "lesson grid", "simulation", progress) as bar:
        for combo, (mechanisms, sweep_f) in _COMBOS.items():
            n = len(names) if sweep_f else len(names) - 1
            swept = tuple(name for name in names[:n] if name != "fcrn_total")
            # one sweep per FcRn level: the slider scales both FcRn pools together, which a grid
            # over independent variables cannot express
            parts = []
            for level in levels["fcrn_total"]:
                text = _experiment_text(f"lesson_{combo}", spec.path, levels, mechanisms, sweep_f, f_default,
                                        weight, cycles, fixed=fcrn_parameters(spec, level))
                part, t_fine = _run_sweep(text, workers, levels, swept, bar)
                parts.append(part)
            raw[combo] = np.stack(parts, axis=axis)
    k_default = levels["f_antiidiotype"].index(f_default)
    fine = {"autoantibody": {"selected": raw["selected"][..., 2],
                             "anti_idiotype": raw["anti_idiotype"][..., 2],
                             "fcrn_saturation": raw["fcrn_saturation"][..., 2]},
            "igg_total": {True: raw["selected"][:, :, :, :, k_default, :, 0],
                          False: raw["anti_idiotype"][:, :, :, :, k_default, :, 0]},
            "ivig": {True: raw["selected"][:, :, :, :, k_default, :, 1],
                     False: raw["anti_idiotype"][:, :, :, :, k_default, :, 1]}}
    checks = {
        "igg_total_vs_anti_idiotype_fraction_g_per_l": float(np.max(np.abs(
            raw["selected"][..., 0] - raw["selected"][:, :, :, :, k_default:k_default + 1, :, 0]))),
        "fcrn_alone_vs_both_without_anti_idiotypes_mg_per_l": float(np.max(np.abs(
            raw["fcrn_saturation"][..., 2] - raw["selected"][:, :, :, :, levels["f_antiidiotype"].index(0.0), :, 2])))
        if 0.0 in levels["f_antiidiotype"] else float("nan"),
    }
    untreated = _untreated(spec, levels["fcrn_total"], weight, t_fine)
    return _subsample(levels, t_fine, fine, untreated, checks, weight,
                      {"fcrn_total": defaults["fcrn_total"], "f_antiidiotype": f_default})


def _untreated(spec, fcrn_levels, weight, t):
    from ivigsim.core.simulation import simulate
    return np.array([simulate(spec, Regimen.none(), t_end=T_END_DAYS, body_weight_kg=weight,
                              params=fcrn_parameters(spec, f), t_eval=t)["autoantibody_free"]
                     for f in fcrn_levels])


def _subsample(levels, t_fine, fine, untreated, checks, weight, defaults):
    hours, every = levels["infusion_hours"], levels["every_days"]
    t, index = {}, {}
    for i_h, h in enumerate(hours):
        for i_e, e in enumerate(every):
            t[(e, h)] = stored_times(e, h)
            index[(i_h, i_e)] = np.clip(np.searchsorted(t_fine, t[(e, h)] - 1e-9), 0, len(t_fine) - 1)

    def pick(array):
        """array (dose, hours, every, ..., time) -> object array of per-(hours, every) curves."""
        out = np.empty(array.shape[:-1], dtype=object)
        for idx in np.ndindex(array.shape[:-1]):
            out[idx] = array[idx][index[(idx[1], idx[2])]]
        return out
    peak = {on: fine["igg_total"][on].max(axis=-1) for on in (True, False)}
    return LessonGrid(
        levels=levels, t=t,
        autoantibody={**{k: pick(v) for k, v in fine["autoantibody"].items()},
                      "untreated": untreated[:, np.rint(np.arange(0.0, T_END_DAYS + 0.5) / _STEP_DAY).astype(int)]},
        igg_total={on: pick(v) for on, v in fine["igg_total"].items()},
        ivig={on: pick(v) for on, v in fine["ivig"].items()},
        peak_igg=peak, checks=checks, defaults=defaults, body_weight_kg=weight, days=DAYS_PER_COURSE,
        t_end_days=T_END_DAYS, cycles={e: courses_within(e) for e in every})


def safety_table(levels, weight, days=DAYS_PER_COURSE):
    """Regimen safety readouts per (dose, hours, every), from :class:`~ivigsim.core.regimen.Regimen`.

    Returns
    -------
    dict of "i,j,k" to dict with ``rate`` (mg/kg/min), ``daily_g`` and ``flags``
    """
    table = {}
    for i, dose in enumerate(levels["dose_g_per_kg"]):
        for j, hours in enumerate(levels["infusion_hours"]):
            for k, every in enumerate(levels["every_days"]):
                regimen = Regimen.ivig(dose_g_per_kg=dose, days=days, infusion_hours=hours,
                                       every_days=every, cycles=courses_within(every))
                table[f"{i},{j},{k}"] = {
                    "rate": regimen.max_rate_mg_per_kg_per_min(weight),
                    "daily_g": regimen.max_daily_g(weight),
                    "flags": regimen.safety_flags(weight),
                    "grams": float(cumulative_grams(regimen.doses(weight), [T_END_DAYS])[0]),
                }
    return table
