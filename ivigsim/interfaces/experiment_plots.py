"""The figures an experiment file asks for, drawn from its finished results."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ivigsim.interfaces import sweep_plots


def _label(name, unit):
    return f"{name} [{unit}]" if unit else name


def _variable_unit(experiment, name):
    from ivigsim.core.catalogue import load_model
    if name == "body_weight_kg":
        return "kg"
    spec = load_model(experiment.model)
    if name in spec.parameter_names:
        return str(spec.unit_of(name))
    return {"dose_g_per_kg": "g/kg/day", "infusion_hours": "h", "every_days": "day", "days": "day",
            "rate_ml_per_kg_per_min": "mL/kg/min"}.get(name, "")


variable_unit = _variable_unit          # public name: the unit of a swept input


def draw_experiment_plots(experiment, results, directory):
    """Draw every ``[plots.*]`` of the experiment into ``directory``; returns the written paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    frame = results.metrics
    ok = frame["status"] == "ok"
    units = frame.attrs.get("units", {})
    written = []
    for plot in experiment.plots:
        path = directory / plot.name
        metric_label = _label(plot.metric, units.get(plot.metric, "")) if plot.metric else ""
        if plot.kind == "dose_response":
            groups = frame.loc[ok, "regimen"].astype("category")
            written += sweep_plots.dose_response(
                frame.loc[ok, plot.x].to_numpy(), frame.loc[ok, plot.metric].to_numpy(), path,
                x_label=_label(plot.x, _variable_unit(experiment, plot.x)), y_label=metric_label,
                groups=groups.cat.codes.to_numpy() if len(groups.cat.categories) > 1 else None,
                group_labels=list(groups.cat.categories) if len(groups.cat.categories) > 1 else None,
                log_x=_is_log(experiment, plot.x))
        elif plot.kind == "heatmap":
            written += sweep_plots.heatmap(
                frame.loc[ok, plot.x].to_numpy(), frame.loc[ok, plot.y].to_numpy(),
                frame.loc[ok, plot.metric].to_numpy(), path,
                x_label=_label(plot.x, _variable_unit(experiment, plot.x)),
                y_label=_label(plot.y, _variable_unit(experiment, plot.y)), z_label=metric_label)
        elif plot.kind == "fan":
            data = results.trajectories[plot.output]
            traj = data.values[np.asarray(ok)]
            written += sweep_plots.fan(results.trajectories["time"].values, traj, path,
                                       y_label=_label(plot.output, data.attrs.get("units", "")))
        elif plot.kind == "bars" and (frame[ok].groupby("regimen").size() > 1).any():
            # several points per regimen: show their distribution and median, as the CLI reports
            from ivigsim.interfaces.distribution_plots import distribution
            grouped = frame[ok].groupby("regimen", sort=False)[plot.metric]
            written += distribution(list(grouped.groups), [g.to_numpy() for _, g in grouped], path,
                                    y_label=metric_label)
        elif plot.kind == "bars":
            grouped = frame[ok].groupby("regimen", sort=False)[plot.metric]
            means, sds = grouped.mean(), grouped.std().fillna(0.0)
            written += sweep_plots.bars(list(means.index), means.to_numpy(), path, y_label=metric_label,
                                        errors=sds.to_numpy() if (grouped.size() > 1).any() else None)
        elif plot.kind == "tornado":
            written += _tornado(experiment, frame[ok], plot, path, metric_label)
        elif plot.kind == "sensitivity":
            written += _sensitivity(experiment, getattr(results, "sensitivity", None), plot, path,
                                    metric_label)
    return written


def _is_log(experiment, name):
    for var in experiment.sweep.variables:
        if var.name == name:
            return var.scale == "log"
    return False


def _tornado(experiment, frame, plot, path, metric_label):
    """Mean metric in the lowest vs the highest quartile of each swept variable."""
    names, lows, highs = [], [], []
    y = frame[plot.metric].to_numpy()
    for var in experiment.sweep.variables:
        x = frame[var.name].to_numpy()
        q1, q3 = np.quantile(x, [0.25, 0.75])
        names.append(var.name)
        lows.append(float(np.mean(y[x <= q1])))
        highs.append(float(np.mean(y[x >= q3])))
    return sweep_plots.tornado(names, np.array(lows), np.array(highs), float(np.mean(y)), path,
                               x_label=metric_label + " (lowest vs highest quartile)")


def _sensitivity(experiment, table, plot, path, metric_label):
    """Bars of the indices of one metric (one figure per regimen when there are several)."""
    if table is None or len(table) == 0:
        return []
    rows = table[table["metric"] == plot.metric]
    several = len(experiment.regimens) > 1
    written = []
    for regimen in experiment.regimens:
        mine = rows[rows["regimen"] == regimen.name]
        if mine.empty:          # the analysis was invalid (see provenance sensitivity_notes)
            continue
        where = path.with_name(f"{path.name}_{regimen.name}") if several else path
        title = metric_label + (f" ({regimen.name})" if several else "")
        names = list(mine["variable"])
        if experiment.sweep.method == "morris":
            written += sweep_plots.sensitivity_bars(
                names, mine["mu_star"], mine["mu_star_conf"], mine["sigma"], None, where,
                title=title, first_label="mu* (mean |elementary effect|)",
                total_label="sigma (interactions, non-linearity)",
                y_label=f"Morris index of {metric_label}")
        else:
            written += sweep_plots.sensitivity_bars(
                names, mine["S1"], mine["S1_conf"], mine["ST"], mine["ST_conf"], where,
                title=title, first_label="S1 (first order)", total_label="ST (total order)",
                y_label="Sobol index [1]")
    return written
