"""The teaching demo: its computation, the matplotlib window driven headless, the grid, the CLI."""

import argparse
import re

import numpy as np
import pytest

import ivigsim as iv


@pytest.fixture(scope="module")
def agg():
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    yield plt
    plt.close("all")


@pytest.fixture(scope="module")
def lesson():
    from ivigsim.interfaces.demo import Lesson
    return Lesson()


@pytest.fixture(scope="module")
def shared_window(agg, lesson):
    from ivigsim.interfaces.demo import LessonWindow
    win = LessonWindow(lesson)
    yield win
    agg.close(win.fig)


@pytest.fixture()
def window(shared_window):
    """The demo window, back at its starting settings."""
    shared_window.reset()
    return shared_window


def _line(win, name):
    return np.asarray(win.panels.lines[name].get_ydata(), dtype=float)


# -- the computation ----------------------------------------------------------------------------

def test_lesson_defaults_come_from_the_model(lesson):
    spec = iv.load_model("ivig_autoimmune")
    value = dict(zip(spec.parameter_names, spec.default_parameters().tolist()))
    assert lesson.defaults.fcrn_total == value["fcrn_total"]
    assert lesson.defaults.f_antiidiotype == value["f_antiidiotype"]
    assert lesson.body_weight_kg == value["body_weight"]


def test_fcrn_slider_scales_both_fcrn_pools(lesson):
    """Twice the slider's FcRn is twice each pool: the lesson equals a simulation with both doubled."""
    from ivigsim.interfaces.demo.lesson import fcrn_parameters
    spec = iv.load_model("ivig_autoimmune")
    value = dict(zip(spec.parameter_names, spec.default_parameters().tolist()))
    doubled = fcrn_parameters(spec, 2.0 * value["fcrn_total"])
    assert doubled["fcrn_total_h"] == pytest.approx(2.0 * value["fcrn_total_h"], rel=1e-12)
    assert fcrn_parameters(spec, value["fcrn_total"])["fcrn_total_h"] == pytest.approx(value["fcrn_total_h"])
    settings = lesson.defaults.replace(fcrn_total=2.0 * value["fcrn_total"], cycles=1)
    result = lesson.compute(settings)
    reference = iv.simulate("ivig_autoimmune", settings.regimen(), t_end=settings.t_end_days,
                            body_weight_kg=lesson.body_weight_kg, t_eval=result.t, params=doubled)
    np.testing.assert_allclose(result.igg_total, reference["igg_total"], rtol=1e-5, atol=1e-6)
    only_endothelial = iv.simulate("ivig_autoimmune", settings.regimen(), t_end=settings.t_end_days,
                                   body_weight_kg=lesson.body_weight_kg, t_eval=result.t,
                                   params={"fcrn_total": 2.0 * value["fcrn_total"]})
    assert np.max(np.abs(only_endothelial["igg_total"] - result.igg_total)) > 0.1     # g/L: the pool matters


def test_lesson_matches_simulate_and_the_regimen(lesson):
    settings = lesson.defaults.replace(dose_g_per_kg=0.6, infusion_hours=2.0, cycles=2)
    result = lesson.compute(settings)
    regimen = settings.regimen()
    reference = iv.simulate("ivig_autoimmune", regimen, t_end=settings.t_end_days,
                            body_weight_kg=lesson.body_weight_kg, t_eval=result.t)
    np.testing.assert_allclose(result.igg_total, reference["igg_total"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(result.autoantibody["selected"], reference["autoantibody_free"],
                               rtol=1e-5, atol=1e-6)
    # the cost is the grams infused so far times the price, and all 2 x 5 x 0.6 g/kg are given
    assert result.grams[-1] == pytest.approx(0.6 * 5 * 2 * lesson.body_weight_kg)
    np.testing.assert_allclose(result.cost_usd, result.grams * settings.price_usd_per_g)
    assert np.all(np.diff(result.grams) >= 0)
    # safety readouts are the regimen's own
    assert result.safety.peak_rate_mg_per_kg_per_min == pytest.approx(600 / 120)
    assert result.safety.max_daily_g == pytest.approx(0.6 * lesson.body_weight_kg)
    assert result.safety.flags == tuple(regimen.safety_flags(lesson.body_weight_kg))
    assert any("2 mg/kg/min" in flag for flag in result.safety.flags)
    assert any(">= 35 g" in flag for flag in result.safety.flags)


def test_each_mechanism_lowers_the_autoantibody_and_untreated_stays_put(lesson):
    result = lesson.compute()
    aab = result.autoantibody
    untreated = aab["untreated"]
    assert np.ptp(untreated) < 1e-6 * untreated[0]
    for name in ("selected", "fcrn_saturation", "anti_idiotype"):
        assert aab[name].min() < 0.95 * untreated[0], name
    assert aab["selected"].min() < aab["fcrn_saturation"].min()


def test_switching_anti_idiotypes_off_gives_the_fcrn_curve_exactly(lesson):
    result = lesson.compute(lesson.defaults.replace(anti_idiotype=False))
    np.testing.assert_array_equal(result.autoantibody["selected"], result.autoantibody["fcrn_saturation"])


def test_cumulative_grams_of_an_infusion_and_a_bolus():
    from ivigsim.interfaces.demo.lesson import cumulative_grams
    from ivigsim.core.regimen import Dose
    doses = [Dose(1.0, 10.0, 0.5, "iv", "ivig"), Dose(3.0, 5.0, 0.0, "iv", "ivig")]
    np.testing.assert_allclose(cumulative_grams(doses, [0.0, 1.25, 1.5, 2.9, 3.0, 4.0]),
                               [0.0, 5.0, 10.0, 10.0, 15.0, 15.0])


def test_nice_ceiling_and_steady_axis_top():
    from ivigsim.interfaces.demo.panels import nice_ceiling, steady_top
    assert [nice_ceiling(v) for v in (0.93, 44.5, 69_800, 101)] == [1.0, 50.0, 80_000.0, 125.0]
    assert steady_top(50.0, 44.5) == 50.0          # still fills the axis well: kept
    assert steady_top(50.0, 52.0) == 60.0          # above it: grows
    assert steady_top(50.0, 12.0) == 12.5          # far below it: shrinks


# -- the window, driven as a student would --------------------------------------------------------

def test_window_has_every_control_and_starts_at_the_defaults(window, lesson):
    from ivigsim.interfaces.demo import CONTROLS, MECHANISMS
    assert list(window.sliders) == [c.name for c in CONTROLS]
    assert window.checks.get_status() == [True] * len(MECHANISMS)
    assert window.settings() == lesson.defaults
    np.testing.assert_allclose(_line(window, "igg_total"), lesson.compute().igg_total)


def test_higher_dose_raises_peak_igg_and_lowers_the_autoantibody_nadir(window):
    peak, nadir = _line(window, "igg_total").max(), _line(window, "aab_selected").min()
    window.sliders["dose_g_per_kg"].set_val(0.8)
    assert _line(window, "igg_total").max() > peak * 1.3
    assert _line(window, "aab_selected").min() < nadir * 0.9
    assert "peak" in window.panels.peak_text.get_text()
    assert f"{_line(window, 'igg_total').max():.1f}" in window.panels.peak_text.get_text()


def test_anti_idiotype_box_off_makes_the_together_curve_the_fcrn_curve(window):
    assert not np.array_equal(_line(window, "aab_selected"), _line(window, "aab_fcrn_saturation"))
    window.checks.set_active(1)                      # anti-idiotypes off
    assert window.checks.get_status() == [True, False]
    np.testing.assert_array_equal(_line(window, "aab_selected"), _line(window, "aab_fcrn_saturation"))
    assert "anti-idiotypes" not in window.panels.lines["aab_selected"].get_label()


def test_doubling_the_price_doubles_the_cost_line(window):
    cost = _line(window, "cost")
    price = window.sliders["price_usd_per_g"].val
    window.sliders["price_usd_per_g"].set_val(2 * price)
    np.testing.assert_allclose(_line(window, "cost"), 2 * cost)
    assert cost[-1] > 0


def test_fast_infusion_raises_the_rate_and_the_safety_flags(window):
    assert "No safety flags" in window.panels.flag_text.get_text()
    window.sliders["infusion_hours"].set_val(1.0)
    bar = window.panels.bars["rate"][0]
    assert bar.get_width() == pytest.approx(400 / 60)
    text = " ".join(window.panels.flag_text.get_text().split())
    assert "above 6 mg/kg/min, the labelled maximum" in text
    assert "above 2 mg/kg/min, the limit for patients at risk of thrombosis" in text


def test_reset_button_restores_the_defaults(window, lesson):
    from matplotlib.backend_bases import MouseEvent
    initial = {name: _line(window, name).copy() for name in ("igg_total", "aab_selected", "cost")}
    window.sliders["dose_g_per_kg"].set_val(1.0)
    window.sliders["fcrn_total"].set_val(100.0)
    window.sliders["every_days"].set_val(14)
    window.checks.set_active(0)
    assert window.settings() != lesson.defaults
    canvas = window.fig.canvas
    canvas.draw()
    x, y = window.reset_button.ax.transAxes.transform((0.5, 0.5))
    MouseEvent("button_press_event", canvas, x, y, button=1)._process()
    MouseEvent("button_release_event", canvas, x, y, button=1)._process()
    assert window.settings() == lesson.defaults
    for name, y_data in initial.items():
        np.testing.assert_array_equal(_line(window, name), y_data)


def test_partial_redraws_match_a_full_redraw_pixel_for_pixel(window):
    canvas = window.fig.canvas
    for name, value in (("dose_g_per_kg", 0.55), ("infusion_hours", 3.0), ("price_usd_per_g", 300),
                        ("cycles", 5)):
        window.sliders[name].set_val(value)
        assert window.blitted
    window.panels.show_cursor(33.0)
    window._fast.redraw()
    partial = np.asarray(canvas.buffer_rgba()).copy()
    canvas.draw()
    assert np.array_equal(partial, np.asarray(canvas.buffer_rgba()))
    assert "day 33.0" in window.panels.cursor_text.get_text()


def test_saved_figure_shows_the_curves(window, tmp_path):
    from PIL import Image
    path = tmp_path / "demo.png"
    window.fig.savefig(path, dpi=60)
    pixels = np.asarray(Image.open(path).convert("RGB"))
    # the total-IgG blue is drawn (an animated artist must still reach the file)
    blue = np.all(np.abs(pixels.astype(int) - [0, 114, 178]) < 30, axis=2)
    assert blue.sum() > 200


def test_demo_refuses_to_show_without_a_display(agg):
    from ivigsim.interfaces.demo import NoDisplayError, demo
    with pytest.raises(NoDisplayError, match="--html"):
        demo(show=True)


# -- the grid of the web page and the CLI ----------------------------------------------------------

SMALL = {"dose_g_per_kg": (0.4, 1.0), "infusion_hours": (2.0, 8.0), "every_days": (28.0,),
         "fcrn_total": (49.8,), "f_antiidiotype": (0.0, 0.001)}


def test_grid_stores_infusion_ends_and_its_shortcuts_hold():
    from ivigsim.interfaces.demo.grid import compute_grid, stored_times
    grid = compute_grid(levels=SMALL, workers=1)
    t = stored_times(28.0, 8.0)
    expected = np.round([0.0, 1.0, 8.0 / 24.0, 28.0 + 4 + 8.0 / 24.0, 168.0], 9)
    assert set(expected) <= set(np.round(t, 9))
    assert grid.autoantibody["selected"].shape == (2, 2, 1, 1, 2)
    assert grid.autoantibody["fcrn_saturation"].shape == (2, 2, 1, 1)
    assert grid.checks["fcrn_alone_vs_both_without_anti_idiotypes_mg_per_l"] < 1e-3
    assert grid.checks["igg_total_vs_anti_idiotype_fraction_g_per_l"] < 0.1
    # the grid's standard course agrees with a direct simulation at the stored times
    res = iv.simulate("ivig_autoimmune", iv.Regimen.ivig(0.4, 5, 8, every_days=28, cycles=6),
                      t_end=168, body_weight_kg=70, t_eval=t)
    np.testing.assert_allclose(grid.autoantibody["selected"][0, 1, 0, 0, 1], res["autoantibody_free"],
                               rtol=1e-4, atol=1e-5)
    assert grid.peak_igg[True][0, 1, 0, 0] == pytest.approx(res["igg_total"].max(), rel=1e-3)


def test_cli_demo_without_display_suggests_html(agg, capsys):
    from ivigsim.interfaces.demo.cli import add_demo_parser, cmd_demo
    parser = argparse.ArgumentParser(prog="ivigsim")
    add_demo_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["demo"])
    assert args.func is cmd_demo
    from ivigsim.interfaces.demo.lesson import MODEL
    assert args.model == MODEL and args.html is None
    assert cmd_demo(args) == 2
    assert "--html" in capsys.readouterr().err


def test_cli_demo_html_writes_a_self_contained_page(tmp_path, capsys, monkeypatch):
    import ivigsim.interfaces.demo.grid as grid_module
    from ivigsim.interfaces.demo.cli import add_demo_parser
    monkeypatch.setattr(grid_module, "DEFAULT_LEVELS", {k: v for k, v in SMALL.items() if k != "fcrn_total"})
    monkeypatch.setattr(grid_module, "FCRN_MULTIPLES", (1.0,))
    parser = argparse.ArgumentParser(prog="ivigsim")
    add_demo_parser(parser.add_subparsers(dest="command"))
    out = tmp_path / "lesson.html"
    args = parser.parse_args(["demo", "--html", str(out), "--workers", "1"])
    assert args.func(args) == 0
    assert str(out) in capsys.readouterr().out
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and "IVIGSIM:" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert not re.search(r"url\(\s*['\"]?https?:", html)
    assert html.count("data:image/png;base64,") == 3
    assert "Kim J, et al." in html and "<code>f_antiidiotype</code>" in html
    # the therapy selector: its data, table, text and sources
    assert '"therapies":' in html and html.count("<tr data-therapy=") == 6
    assert "Why plasma exchange rebounds" in html and "Ulrichts P" in html
