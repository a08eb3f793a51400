"""Every shipped figure: units on every numeric axis label, and no legend over the data.

Figures are caught as they are saved (``Figure.savefig`` is wrapped), so the
test sees exactly what a user gets from a sweep, a comparison, a simulation
or a notebook plot.
"""

import re

import matplotlib
import numpy as np
import pytest

import ivigsim as iv
from ivigsim.interfaces.plotting import plot_trajectories
from ivigsim.interfaces.style import PALETTE, money

matplotlib.use("Agg")

UNIT = re.compile(r"\[[^\]]+\]")
# Okabe & Ito's eight colours: the colour-blind-safe palette every figure draws from.
OKABE_ITO = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"}


@pytest.fixture(autouse=True)
def _close_figures():
    """Leave no pyplot figure open for the next test module."""
    yield
    import matplotlib.pyplot as plt
    plt.close("all")


def _numeric(axis):
    labels = [t.get_text() for t in axis.get_ticklabels() if t.get_text()]
    return not labels or all(re.fullmatch(r"[−\-+0-9.,eE%$ ]+|10\^?.*|\$.*\$", s) for s in labels)


def _data_points(ax):
    """Display coordinates of every line vertex and scatter point of ``ax``."""
    points = []
    for line in ax.get_lines():
        if line.get_label() == "identity" or not line.get_visible():
            continue
        xy = np.column_stack([line.get_xdata(), line.get_ydata()]).astype(float)
        points.append(ax.transData.transform(xy[np.all(np.isfinite(xy), axis=1)]))
    for coll in ax.collections:
        offsets = np.asarray(coll.get_offsets(), dtype=float)
        if offsets.size and offsets.shape[0] > 1:
            points.append(ax.transData.transform(offsets))
    return np.concatenate(points) if points else np.empty((0, 2))


def check_figure(fig):
    """Units on numeric axis labels; legends clear of every plotted point."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    canvas = FigureCanvasAgg(fig)              # a saved figure is closed: give it a canvas again
    canvas.draw()
    renderer = canvas.get_renderer()
    problems = []
    for ax in fig.axes:
        if not ax.get_visible() or not (ax.get_lines() or ax.collections or ax.patches or ax.images):
            continue
        if ax.get_label() == "<colorbar>":
            if not UNIT.search(ax.get_ylabel() + ax.get_xlabel()):
                problems.append(f"colour bar without a unit: {ax.get_ylabel()!r}")
            continue
        for which, axis, label in (("x", ax.xaxis, ax.get_xlabel()), ("y", ax.yaxis, ax.get_ylabel())):
            if _numeric(axis) and axis.get_visible() and not UNIT.search(label):
                shared = [a for a in fig.axes if a is not ax and a.get_visible()]
                if which == "x" and any(UNIT.search(a.get_xlabel()) for a in shared):
                    continue                      # a shared time axis labelled on the bottom row
                if which == "y" and any(UNIT.search(a.get_ylabel()) for a in shared) and not label:
                    continue
                problems.append(f"{which} axis without a unit: {label!r} (title {ax.get_title()!r})")
        legend = ax.get_legend()
        if legend is not None:
            box = legend.get_window_extent(renderer)
            inside = [p for p in _data_points(ax) if box.contains(*p)]
            if inside:
                problems.append(f"legend covers {len(inside)} data points in {ax.get_title()!r}")
    for legend in fig.legends:
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            if any(box.contains(*p) for p in _data_points(ax)):
                problems.append("figure legend covers data")
    return problems


@pytest.mark.parametrize("experiment", sorted(iv.experiment_paths()))
def test_every_experiment_figure_has_units_and_clear_legends(experiment, saved, tmp_path):
    iv.run_experiment(experiment, out=tmp_path / "run", progress=False)
    assert saved, f"{experiment} drew no figure"
    problems = [f"{fig.get_suptitle() or i}: {p}" for i, fig in enumerate(saved) for p in check_figure(fig)]
    assert not problems, problems


def test_trajectory_figure_legend_does_not_cover_the_igg_peaks(saved, tmp_path):
    reg = iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8, every_days=28, cycles=3)
    treated = iv.simulate("fcrn_pk", regimen=reg, t_end=90)
    untreated = iv.simulate("fcrn_pk", t_end=90, t_eval=treated.t)
    plot_trajectories({reg.describe(): treated, "untreated": untreated},
                      ["igg_total", "autoantibody", "ivig", "igg_endogenous"], tmp_path / "figure.png")
    assert check_figure(saved[-1]) == []
    assert saved[-1].legends, "the legend is drawn once, below the panels"


def test_comparison_figures(saved, tmp_path):
    iv.compare(["fcrn_pk", "igg_linear"], "fcrn_dose_response", out=tmp_path / "cmp")
    assert len(saved) >= 2
    for fig in saved:
        assert check_figure(fig) == []
    overlay = [f for f in saved if f.get_suptitle().startswith("fcrn_dose_response")][0]
    styles = {line.get_linestyle() for ax in overlay.axes for line in ax.get_lines()}
    assert len(styles) >= 2                                   # variants differ in line style, not only colour


def test_notebook_plots_use_the_palette_and_units():
    import matplotlib.pyplot as plt
    res = iv.simulate("igg_linear", regimen=iv.Regimen.ivig(dose_g_per_kg=0.4, days=5), t_end=40)
    for ax in (res.plot(["igg_total", "ivig", "igg_endogenous"]),
               iv.Regimen.ivig(dose_g_per_kg=0.4, days=5).plot(),
               iv.Regimen.scig(dose_g_per_kg=0.1, every_days=7, doses=4).plot()):
        assert check_figure(ax.figure) == []
        colours = {matplotlib.colors.to_hex(line.get_color()).upper() for line in ax.get_lines()}
        assert colours <= {c.upper() for c in OKABE_ITO}
    assert set(PALETTE) == OKABE_ITO
    plt.close("all")


def test_money_has_separators_and_currency():
    assert money(84560.0) == "$84,560"
    assert money(1234567.4, "EUR") == "€1,234,567"
    assert money(-1500, "CHF") == "-1,500 CHF"


def test_distribution_plot_marks_the_median_the_cli_prints(saved, tmp_path):
    res = iv.run_experiment("virtual_population", out=tmp_path / "vp", progress=False)
    fig = [f for f in saved if any("median" in t.get_text() for ax in f.axes for t in ax.texts)][0]
    ax = fig.axes[0]
    bar = [c for c in ax.collections if type(c).__name__ == "LineCollection"][0]
    median_drawn = bar.get_segments()[0][0][1]
    median = res.metrics["autoantibody_nadir_pct"].median()
    assert median_drawn == pytest.approx(median, rel=1e-12)
    assert f"{median:.4g}" in res.summary()
    from matplotlib.collections import PolyCollection
    assert any(isinstance(c, PolyCollection) for c in ax.collections)              # the violin


def test_the_checks_catch_a_legend_over_data_and_a_label_without_unit():
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    t = np.linspace(0, 10, 200)
    ax.plot(t, np.ones_like(t), label="flat line through the middle")
    ax.set_ylim(0, 2)
    ax.set_xlabel("time [day]")
    ax.set_ylabel("IgG")
    ax.legend(loc="center")
    problems = check_figure(fig)
    assert any("legend covers" in p for p in problems)
    assert any("y axis without a unit" in p for p in problems)
    plt.close(fig)


def test_other_figures_validation_factorial_in_vitro_agents_and_demo(saved, tmp_path):
    iv.validate(out=tmp_path / "validation", ids=["PK-07", "AI-03", "TU-02"], progress=False)
    reg = iv.Regimen.ivig(dose_g_per_kg=0.4, days=5)
    iv.mechanism_factorial("ivig_autoimmune", reg, 60.0, "autoantibody_free_auc").plot(tmp_path / "f.png")
    iv.in_vitro_inhibition().plot(tmp_path / "v.png")
    iv.simulate_agents(regimen=reg, t_end=14.0, seed=3, replicates=20).plot(tmp_path / "a.png")
    from ivigsim.interfaces.demo import figures
    for draw in (figures.fcrn_figure, figures.anti_idiotype_figure, figures.safety_figure):
        draw()
    problems = [f"{fig.get_suptitle() or i}: {p}" for i, fig in enumerate(saved) for p in check_figure(fig)]
    assert len(saved) >= 7
    assert not problems, problems
