"""Figures of a fit: readable axes with units, legends off the data, a waterfall that tells
starts apart (its log axis of objective - best + 1 labelled every tick 10^0 when the starts
agreed to round-off)."""

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import ivigsim as iv  # noqa: E402
from ivigsim.analysis.fitting.figures import plot_waterfall  # noqa: E402

from fit_helpers import DIDACTIC  # noqa: E402
from test_figure_style import check_figure  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _result(objectives, failed=0):
    starts = [SimpleNamespace(ok=True, objective=v) for v in objectives]
    starts += [SimpleNamespace(ok=False, objective=np.inf)] * failed
    return SimpleNamespace(starts=starts)


def _tick_texts(ax):
    ax.figure.canvas.draw()
    return [t.get_text() for t in ax.get_yticklabels() if t.get_text()]


def test_starts_that_agree_to_round_off_sit_on_zero_with_distinct_ticks():
    ax = plot_waterfall(_result([28.81363729801, 28.81363730091, 28.8136373763]))
    drawn = ax.get_lines()[0].get_ydata()
    np.testing.assert_allclose(drawn, [0.0, 2.9e-9, 7.829e-8], atol=1e-12)
    ticks = _tick_texts(ax)
    assert len(ticks) == len(set(ticks)) >= 2                     # no axis of identical labels
    assert "3 of 3 starts finished, 3 reached the best 28.8136" in ax.get_title()


def test_local_optima_far_above_stay_on_the_axes_and_failed_starts_are_counted():
    ax = plot_waterfall(_result([10.0, 10.05, 14.0, 250.0], failed=2))
    drawn = ax.get_lines()[0].get_ydata()
    np.testing.assert_allclose(drawn, [0.0, 0.05, 4.0, 240.0])
    low, high = ax.get_ylim()
    assert low <= 0.0 and high >= 240.0
    assert "4 of 6 starts finished, 2 reached the best 10" in ax.get_title()
    assert ax.get_yscale() == "symlog"


@pytest.fixture(scope="module")
def didactic():
    return iv.fit(DIDACTIC, workers=1, n_starts=4, progress=False)


@pytest.mark.parametrize("kind", ["fit", "residuals", "waterfall", "profiles"])
def test_every_fit_figure_has_units_and_clear_legends(didactic, kind):
    axes = np.atleast_1d(didactic.plot(kind))
    assert check_figure(axes[0].figure) == []
    for ax in axes:
        assert "[" in ax.get_xlabel() and "[" in ax.get_ylabel()


def test_long_condition_labels_wrap_and_ticks_stay_plain(tmp_path):
    """fits/fcrn_human's labels are 60-100 characters: the residual legend collapsed its axes
    ("constrained_layout not applied") and a log axis within one decade read '1.218 x 10^1'."""
    import warnings

    from fit_helpers import copy_problem, edit
    d = copy_problem(tmp_path)
    long = ("untreated, synthesis held at 37.74 mg/kg/day (steady IgG 12.1 g/L in Kim et al. 2007), "
            "a label as long as the shipped ones")
    edit(d / "conditions.tsv", "2 g/kg IVIG course (0.4 g/kg/day x 5 days), 70 kg", long)
    result = iv.fit(d, workers=1, n_starts=1, profiles=False, progress=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        residuals = result.plot("residuals")
        panel = result.plot("fit")[0]
        for fig in (residuals.figure, panel.figure):
            fig.canvas.draw()
    assert not [w for w in caught if "constrained_layout" in str(w.message)]
    assert check_figure(residuals.figure) == [] and check_figure(panel.figure) == []
    assert "\n" in residuals.get_legend().get_texts()[0].get_text()
    assert "\n" in panel.get_title()
    ticks = [t.get_text() for t in panel.get_yticklabels(minor=True) + panel.get_yticklabels()]
    assert ticks and not any("times" in t or "×" in t for t in ticks), ticks
    assert residuals.get_position().width > 0.3                     # the axes kept their room


def test_the_profile_figure_says_what_its_lines_are(didactic):
    from ivigsim.analysis.fitting.uncertainty import chi2_threshold
    axes = didactic.plot("profiles")
    legend = axes[0].figure.legends[0]
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts[0] == "profile" and texts[2] == "best estimate"
    assert texts[1].startswith(f"95 % threshold ({chi2_threshold():.3g})") and "1.92" in texts[1]
    assert check_figure(axes[0].figure) == []
