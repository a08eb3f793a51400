"""What ``ivigsim run`` prints about a finished sweep, and what an ExperimentResults shows in a notebook.

A designed grid (``grid``, or ``none``: one point per regimen) is summarised
per grid value, row by row: a median over chosen doses means nothing.  A
sampled population (Latin hypercube, Sobol, virtual patients, ...) is
summarised by its median and interquartile range, per regimen.  Money is
written with thousands separators and its currency.
"""

from __future__ import annotations

from ivigsim.interfaces.notebook import clip, html_block, html_table, short_list, small_figure
from ivigsim.interfaces.style import money

DESIGNED = ("grid", "none")
_MAX_ROWS = 30


def is_designed(results):
    """Whether the sweep was a designed grid (else a sampled population)."""
    method = results.provenance.get("sweep_method")
    if method is None:                      # runs written before the method was recorded
        return len(results.metrics) <= _MAX_ROWS
    return method in DESIGNED


def metric_names(results):
    return list(results.metrics.attrs.get("units", {}))


def format_value(value, unit):
    """A metric value for people: ``$84,560`` for money, 4 significant digits otherwise, ``n/a``
    for no value."""
    if value != value:                      # NaN: a metric with no value there (an arm without a price)
        return "n/a"
    if unit == "USD":
        return money(value, "USD")
    return f"{value:,.4g}" if abs(value) >= 1e4 else f"{value:.4g}"


def _varied_columns(results):
    frame = results.metrics
    fixed = {"point_id", "regimen", "replicate", "status", "reason", "solver_steps", *metric_names(results)}
    return [c for c in frame.columns if c not in fixed and frame[c].nunique() > 1]


def summary_table(results):
    """(header, rows, caption): per grid value for designed sweeps, median [IQR] per regimen for sampled ones."""
    frame = results.metrics
    units = frame.attrs.get("units", {})
    names = metric_names(results)
    ok = frame[frame["status"] != "failed"]      # undefined metrics are NaN in their own column only
    header_metrics = [f"{m} [{units[m]}]" if units[m] else m for m in names]
    if is_designed(results):
        varied = _varied_columns(results)
        show_regimen = ok["regimen"].nunique() > 1
        header = (["regimen"] if show_regimen else []) + varied + header_metrics
        rows = []
        for _, row in ok.head(_MAX_ROWS).iterrows():
            rows.append(([row["regimen"]] if show_regimen else []) + [f"{row[c]:.4g}" for c in varied]
                        + [format_value(row[m], units[m]) for m in names])
        caption = "per grid value" if varied else "per regimen"
        if len(ok) > _MAX_ROWS:
            caption += f" (first {_MAX_ROWS} of {len(ok)})"
        return header, rows, caption
    header = ["regimen", "points"] + header_metrics
    rows = []
    for regimen, group in ok.groupby("regimen", sort=False):
        cells = []
        for m in names:
            q1, q2, q3 = group[m].quantile([0.25, 0.5, 0.75])
            cells.append(f"{format_value(q2, units[m])} [{format_value(q1, units[m])} to "
                         f"{format_value(q3, units[m])}]")
        rows.append([regimen, len(group)] + cells)
    return header, rows, "median [interquartile range] over the sampled points"


def summary_text(results):
    """The table as aligned text lines for the terminal."""
    header, rows, caption = summary_table(results)
    if not rows:
        return "no successful points"
    cells = [header] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[k]) for r in cells) for k in range(len(header))]
    lines = [f"{caption}:"]
    for r in cells:
        lines.append("  ".join(c.rjust(w) if k else c.ljust(w) for k, (c, w) in enumerate(zip(r, widths))))
    return "\n".join(lines)


def results_repr(results):
    prov = results.provenance
    return clip(f"ExperimentResults(experiment={prov.get('experiment')!r}, model={prov.get('model')!r}, "
                f"{prov.get('n_points')} points ({prov.get('sweep_method', 'sweep')}), "
                f"{prov.get('n_failed', 0)} failed, metrics: {short_list(metric_names(results))}, "
                f"path={str(results.path)!r})")


def results_html(results):
    header, rows, caption = summary_table(results)
    names = metric_names(results)
    svg = ""
    if names:
        svg = small_figure(lambda ax: results.plot(names[0], ax=ax))
    prov = results.provenance
    title = (f"{prov.get('experiment')} on {prov.get('model')}: {prov.get('n_points')} points, "
             f"{prov.get('n_failed', 0)} failed")
    return html_block(title, html_table(header, rows, caption), svg)


def results_dataframe(results):
    """Tidy metrics: point_id, regimen, the varied inputs, metric, value, unit (successful points)."""
    frame = results.metrics
    units = frame.attrs.get("units", {})
    ids = ["point_id", "regimen", "replicate"] + _varied_columns(results)
    ok = frame[frame["status"] != "failed"]      # undefined metrics are NaN in their own column only
    tidy = ok.melt(id_vars=ids, value_vars=metric_names(results), var_name="metric", value_name="value")
    tidy["unit"] = tidy["metric"].map(units)
    tidy.attrs["units"] = dict(units)
    return tidy


def results_xarray(results):
    """The metrics as an ``xarray.Dataset`` over ``point`` (units in attrs); trajectories are ``.trajectories``."""
    import xarray as xr
    frame = results.metrics.set_index("point_id")
    units = results.metrics.attrs.get("units", {})
    data = {m: ("point", frame[m].to_numpy(), {"units": units[m]}) for m in metric_names(results)}
    coords = {"point": frame.index.to_numpy(), "regimen": ("point", frame["regimen"].to_numpy()),
              "status": ("point", frame["status"].to_numpy())}
    for c in _varied_columns(results):
        coords[c] = ("point", frame[c].to_numpy())
    return xr.Dataset(data, coords=coords, attrs={"experiment": results.provenance.get("experiment", "")})


def plot_results(results, metric=None, ax=None, x=None):
    """A metric against the first varied input (designed) or its distribution per regimen (sampled)."""
    from ivigsim.interfaces.style import PALETTE, axis_label, pyplot
    frame = results.metrics
    units = frame.attrs.get("units", {})
    metric = metric or metric_names(results)[0]
    ok = frame[frame["status"] != "failed"]      # undefined metrics are NaN in their own column only
    if ax is None:
        _, ax = pyplot().subplots(figsize=(6, 3.6), layout="constrained")
    varied = [c for c in _varied_columns(results) if c in ok]
    if is_designed(results) and (x or varied):
        x = x or varied[0]
        for k, (regimen, group) in enumerate(ok.groupby("regimen", sort=False)):
            group = group.sort_values(x)
            ax.plot(group[x], group[metric], marker="o", ms=3, color=PALETTE[k % len(PALETTE)], label=regimen)
        ax.set_xlabel(axis_label(x, _input_unit(results, x)))
        if ok["regimen"].nunique() > 1:
            from ivigsim.interfaces.style import outside_legend
            outside_legend(ax)
    else:
        from ivigsim.interfaces.distribution_plots import draw_distribution
        groups = {regimen: group[metric].to_numpy() for regimen, group in ok.groupby("regimen", sort=False)}
        draw_distribution(ax, groups)
        ax.set_xlabel("regimen")
    ax.set_ylabel(axis_label(metric, units.get(metric, "")))
    return ax


def _input_unit(results, name):
    """Unit of a swept input, from the experiment file kept in the run directory ("" if unknown)."""
    from ivigsim.errors import IvigsimError
    from ivigsim.sweep.experiment import load_experiment
    from ivigsim.interfaces.experiment_plots import variable_unit
    copy = results.path / "experiment.toml" if results.path else None
    if copy is None or not copy.exists():
        return ""
    try:
        return variable_unit(load_experiment(copy, model=results.provenance.get("model_file") or None), name)
    except IvigsimError:
        return ""


def written_files(directory):
    """``DIR/: a.csv, b.nc, figures/x.png, … chunks/ (40 files)``: every file a run wrote, folders counted.

    The run directory's lock file is not listed: it is the run's bookkeeping,
    not a result (it stays so that the lock is always taken on the same file).
    """
    from pathlib import Path
    from ivigsim.sweep.locking import LOCK_NAME
    directory = Path(directory)
    top, folders = [], []
    for entry in sorted(directory.iterdir()):
        if entry.name == LOCK_NAME:
            continue
        if entry.is_file():
            top.append(entry.name)
        elif entry.is_dir():
            files = sorted(p.relative_to(directory).as_posix() for p in entry.rglob("*") if p.is_file())
            if len(files) > 12:
                folders.append(f"{entry.name}/ ({len(files)} files)")
            else:
                folders.extend(files)
    return f"{directory}/: " + ", ".join(top + folders)
