"""The figures an experiment file asks for, drawn from its finished results."""

from __future__ import annotations

import warnings
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
    # Points whose simulation ran: "undefined" means one metric has no value there (an arm without
    # a price, say), not that its trajectory or its other metrics are missing.
    ran = frame["status"] != "failed"
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
            y_label = _label(plot.output, data.attrs.get("units", ""))
            t = results.trajectories["time"].values
            if plot.group_by == "regimen" and frame.loc[ran, "regimen"].nunique() > 1:
                written += _fan_by_regimen(t, data.values, frame, ran, path, y_label)
            else:
                written += sweep_plots.fan(t, data.values[np.asarray(ran)], path, y_label=y_label)
        elif plot.kind == "bars" and (frame[ran].groupby("regimen").size() > 1).any():
            # several points per regimen: show their distribution and median, as the CLI reports
            from ivigsim.interfaces.distribution_plots import distribution
            grouped = frame[ran].groupby("regimen", sort=False)[plot.metric]
            written += distribution(list(grouped.groups), [g.dropna().to_numpy() for _, g in grouped],
                                    path, y_label=metric_label)
        elif plot.kind == "bars":
            # every arm that ran gets its bar; a metric without a value there shows as "n/a"
            grouped = frame[ran].groupby("regimen", sort=False)[plot.metric]
            means, sds = grouped.mean(), grouped.std().fillna(0.0)
            written += sweep_plots.bars(list(means.index), means.to_numpy(), path, y_label=metric_label,
                                        errors=sds.to_numpy() if (grouped.size() > 1).any() else None)
        elif plot.kind == "tornado":
            written += _tornado(experiment, frame[ok], plot, path, metric_label)
        elif plot.kind == "sensitivity":
            written += _sensitivity(experiment, getattr(results, "sensitivity", None), plot, path,
                                    metric_label)
    return written


def _fan_by_regimen(t, values, frame, ran, path, y_label):
    """One curve per regimen over time: the trajectory of a single point, or the median of several
    with its 25–75 % band, so that arms are compared rather than pooled into one spread."""
    from ivigsim.interfaces.style import LINESTYLES, PALETTE, axis_label, outside_legend
    regimens = frame["regimen"].to_numpy()
    mask = np.asarray(ran)
    with sweep_plots.new_figure(7.2, 3.8) as (fig, ax):
        for k, name in enumerate(dict.fromkeys(regimens[mask])):
            rows = values[mask & (regimens == name)]
            colour, style = PALETTE[k % len(PALETTE)], LINESTYLES[(k // len(PALETTE)) % len(LINESTYLES)]
            if rows.shape[0] == 1:
                ax.plot(t, rows[0], color=colour, ls=style, lw=1.6, label=str(name))
                continue
            with warnings.catch_warnings():          # a time where every point is NaN gives NaN
                warnings.simplefilter("ignore", RuntimeWarning)
                low, mid, high = np.nanquantile(rows, (0.25, 0.5, 0.75), axis=0)
            ax.fill_between(t, low, high, color=colour, alpha=0.2, lw=0)
            ax.plot(t, mid, color=colour, ls=style, lw=1.6, label=f"{name} (median, 25–75 %, n = {rows.shape[0]})")
        ax.set_xlabel(axis_label("time", "day"))
        ax.set_ylabel(y_label)
        ax.grid(alpha=0.3)
        outside_legend(ax)
        return sweep_plots.save_figure(fig, path)


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
