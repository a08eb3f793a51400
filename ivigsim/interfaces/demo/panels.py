"""The demo's three linked panels, drawn from a :class:`~ivigsim.interfaces.demo.lesson.LessonResult`.

(a) total, endogenous and infused IgG; (b) free autoantibody with the selected
mechanisms, with each mechanism alone and untreated; (c) the running cost, with
the safety readouts beside it (peak infusion rate against the labelled limits,
the largest amount in one day against the thrombosis flag, the regimen's
safety flags). The time panels share their x axis, the infusion days are
shaded in all three, and a cursor reads all three at one day.

Axis limits are rounded up to round numbers and kept while the curves still
fill at least 40 % of them, so that the axes stay put while a slider is
dragged (curves can be compared by eye) and most moves redraw only curves and
numbers (:mod:`ivigsim.interfaces.demo.redraw`).
"""

from __future__ import annotations

import math
import textwrap

import numpy as np

from ivigsim.interfaces.demo.lesson import MECHANISMS
from ivigsim.interfaces.demo.redraw import Region
from ivigsim.interfaces.plotting import PALETTE
from ivigsim.core.regimen import (
    LABELLED_MAX_RATE_MG_PER_KG_PER_MIN,
    THROMBOSIS_RISK_DAILY_G,
    THROMBOSIS_RISK_RATE_MG_PER_KG_PER_MIN,
)

CURVE_STYLE = {
    "selected": dict(color=PALETTE[0], lw=2.4, label="selected mechanisms together"),
    "fcrn_saturation": dict(color=PALETTE[2], lw=1.6, label="FcRn saturation alone"),
    "anti_idiotype": dict(color=PALETTE[3], lw=1.6, label="anti-idiotypes alone"),
    "untreated": dict(color="0.35", lw=1.4, ls="--", label="untreated"),
}
IGG_STYLE = {
    "igg_total": dict(color=PALETTE[0], lw=2.0, label="total IgG"),
    "igg_endogenous": dict(color=PALETTE[5], lw=1.4, ls="--", label="endogenous IgG"),
    "ivig": dict(color=PALETTE[4], lw=1.6, label="infused IgG (IVIG)"),
}
COST_COLOUR = PALETTE[1]
SHADE = dict(color=PALETTE[4], alpha=0.13, lw=0)
WARN, OK = PALETTE[1], PALETTE[2]
_NICE = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
_KEEP_FILL = 0.4


def nice_ceiling(value):
    """The smallest round number (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k) >= value."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    scale = 10.0 ** math.floor(math.log10(value))
    return next(step * scale for step in _NICE if step * scale >= value * (1 - 1e-12))


def steady_top(current, needed):
    """An axis top for data up to ``needed``: ``current`` while it fits well, else a new round one."""
    if current is not None and _KEEP_FILL * current <= needed <= current:
        return current
    return nice_ceiling(needed)


def usd(value):
    """Dollars for a label: $950, $63k, $1.2M."""
    if abs(value) >= 1e6:
        return f"${value / 1e6:.1f}M"
    if abs(value) >= 1e3:
        return f"${value / 1e3:.0f}k"
    return f"${value:.0f}"


def _escape(text):
    return text.replace("$", r"\$")


class LessonPanels:
    """The panels in a figure, with the artists that :meth:`update` changes.

    Parameters
    ----------
    fig : matplotlib Figure
    left : (x0, x1) figure fraction of the time panels
    right : (x0, x1) figure fraction of the safety readouts
    """

    def __init__(self, fig, left=(0.07, 0.56), right=(0.68, 0.97)):
        self.fig = fig
        x0, x1 = left
        r0, r1 = right
        self.ax_igg = fig.add_axes((x0, 0.685, x1 - x0, 0.235))
        self.ax_aab = fig.add_axes((x0, 0.39, x1 - x0, 0.235), sharex=self.ax_igg)
        self.ax_cost = fig.add_axes((x0, 0.095, x1 - x0, 0.235), sharex=self.ax_igg)
        self.time_axes = (self.ax_igg, self.ax_aab, self.ax_cost)
        self.ax_rate = fig.add_axes((r0, 0.86, r1 - r0, 0.036))
        self.ax_daily = fig.add_axes((r0, 0.765, r1 - r0, 0.036))
        self.lines = {}
        for name, style in IGG_STYLE.items():
            self.lines[name], = self.ax_igg.plot([], [], **style)
        for name, style in CURVE_STYLE.items():
            self.lines[f"aab_{name}"], = self.ax_aab.plot([], [], **style)
        self.lines["cost"], = self.ax_cost.plot([], [], color=COST_COLOUR, lw=2.0,
                                                label="cumulative cost (grams × price)")
        self.peak_marker, = self.ax_igg.plot([], [], "v", color=PALETTE[0], ms=7)
        self.peak_text = self.ax_igg.annotate("", (0, 0), xytext=(6, 2), textcoords="offset points",
                                              fontsize=8.5, color=PALETTE[0])
        self.cost_text = self.ax_cost.text(0.02, 0.93, "", transform=self.ax_cost.transAxes,
                                           va="top", fontsize=9)
        self.cursors = [ax.axvline(0.0, color="0.2", lw=0.8, visible=False) for ax in self.time_axes]
        self.cursor_text = fig.text(x0, 0.947, "", fontsize=8.5, color="0.15")
        self._decorate()
        fig.text(r0, 0.945, "(c) safety", fontsize=10.5)
        self.flag_text = fig.text(r0, 0.725, "", va="top", fontsize=8, linespacing=1.3)
        self.bars = {
            "rate": self._bar_axes(self.ax_rate, {"at-risk max": THROMBOSIS_RISK_RATE_MG_PER_KG_PER_MIN,
                                                  "label max": LABELLED_MAX_RATE_MG_PER_KG_PER_MIN}),
            "daily": self._bar_axes(self.ax_daily, {"thrombosis flag": THROMBOSIS_RISK_DAILY_G})}
        self._shades = {ax: [] for ax in self.time_axes}
        self._courses = None
        self._legend_label = None
        self.revision = 0
        self.result = None
        self._rects = {"igg": (0.0, 0.67, x1 + 0.012, 0.962),
                       "aab": (0.0, 0.365, x1 + 0.012, 0.655),
                       "cost": (0.0, 0.036, x1 + 0.012, 0.36),
                       "rate": (r0 - 0.02, 0.838, r1 + 0.025, 0.938),
                       "daily": (r0 - 0.02, 0.742, r1 + 0.025, 0.836),
                       "flags": (r0 - 0.02, 0.545, r1 + 0.025, 0.735)}
        for artist in self._animated():
            artist.set_animated(True)

    def _decorate(self):
        from matplotlib.ticker import FuncFormatter
        self.ax_igg.set_title("(a) IgG in plasma", loc="left", fontsize=10.5)
        self.ax_aab.set_title("(b) free autoantibody: what each mechanism contributes",
                              loc="left", fontsize=10.5)
        self.ax_cost.set_title("(c) running cost", loc="left", fontsize=10.5)
        self.ax_igg.set_ylabel("IgG [g/L]")
        self.ax_aab.set_ylabel("free autoantibody [mg/L]")
        self.ax_cost.set_ylabel("cost [USD]")
        self.ax_cost.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: usd(v)))
        self.ax_cost.set_xlabel("time [day]   (shaded: infusion days)")
        for ax in (self.ax_igg, self.ax_aab):
            ax.tick_params(labelbottom=False)
        for ax in self.time_axes:
            ax.grid(alpha=0.3)
        self.ax_igg.legend(loc="upper right", fontsize=8, frameon=False)
        self.ax_cost.legend(loc="lower right", fontsize=8, frameon=False)

    @staticmethod
    def _bar_axes(ax, limits):
        ax.set_ylim(-0.5, 0.5)
        ax.set_yticks([])
        ax.tick_params(labelsize=8)
        bar = ax.barh([0], [0.0], height=0.7, color=OK)[0]
        title = ax.text(0.0, 1.5, "", fontsize=9, va="bottom", transform=ax.transAxes)
        lines = []
        for name, limit in limits.items():
            lines.append(ax.axvline(limit, color="black", lw=1.4, ls=":"))
            ax.text(limit, 1.04, f"{name} {limit:g}", fontsize=7.5, ha="center", va="bottom",
                    transform=ax.get_xaxis_transform())
        return (bar, title, *lines)

    # -- what changes ------------------------------------------------------------

    def _animated(self):
        return [*self.lines.values(), self.peak_marker, self.peak_text, self.cost_text,
                *self.cursors, self.cursor_text, self.flag_text, *self.bars["rate"],
                *self.bars["daily"]]

    def regions(self):
        """The parts of the figure that an update or the cursor changes, ``{name: Region}``."""
        cursor = (self.cursors[0].get_visible(), tuple(self.cursors[0].get_xdata()))
        xlim = self.ax_igg.get_xlim()
        safety = self.result.safety if self.result is not None else None
        in_axes = {ax: [a for a in self._animated() if getattr(a, "axes", None) is ax] + self._shades[ax]
                   for ax in self.time_axes}
        return {
            "igg": Region(self._rects["igg"], in_axes[self.ax_igg] + [self.cursor_text],
                          (self.revision, cursor), (self.ax_igg,), (xlim, self.ax_igg.get_ylim())),
            "aab": Region(self._rects["aab"], in_axes[self.ax_aab], (self.revision, cursor),
                          (self.ax_aab,), (xlim, self.ax_aab.get_ylim(), self._legend_label)),
            "cost": Region(self._rects["cost"], in_axes[self.ax_cost], (self.revision, cursor),
                           (self.ax_cost,), (xlim, self.ax_cost.get_ylim())),
            "rate": Region(self._rects["rate"], list(self.bars["rate"]),
                           safety and safety.peak_rate_mg_per_kg_per_min, (self.ax_rate,),
                           self.ax_rate.get_xlim()),
            "daily": Region(self._rects["daily"], list(self.bars["daily"]),
                            safety and safety.max_daily_g, (self.ax_daily,), self.ax_daily.get_xlim()),
            "flags": Region(self._rects["flags"], [self.flag_text],
                            (self.flag_text.get_text(), self.flag_text.get_color())),
        }

    # -- updates ------------------------------------------------------------------

    def update(self, result, keep_limits=True):
        """Show ``result`` (a LessonResult); ``keep_limits=False`` fits the axes afresh."""
        self.result = result
        self.revision += 1
        t, s = result.t, result.settings
        for name in IGG_STYLE:
            self.lines[name].set_data(t, getattr(result, name))
        for name in CURVE_STYLE:
            self.lines[f"aab_{name}"].set_data(t, result.autoantibody[name])
        self.lines["cost"].set_data(t, result.cost_usd)
        k = int(np.argmax(result.igg_total))
        self.peak_marker.set_data([t[k]], [result.igg_total[k]])
        self.peak_text.xy = (t[k], result.igg_total[k])
        right = t[k] > 0.75 * t[-1]
        self.peak_text.set_position((-6, 2) if right else (6, 2))
        self.peak_text.set_horizontalalignment("right" if right else "left")
        self.peak_text.set_text(f"peak {result.igg_total[k]:.1f} g/L")
        on = [label for name, label in MECHANISMS if getattr(s, name)]
        label = ("together: " + " + ".join(on)) if on else "no mechanism: IVIG without effect"
        self.lines["aab_selected"].set_label(label)
        if label != self._legend_label:
            self.ax_aab.legend(loc="upper right", fontsize=8, frameon=False)
            self._legend_label = label
        course_g_per_kg = s.dose_g_per_kg * s.days
        self.cost_text.set_text(_escape(
            f"{course_g_per_kg:.3g} g/kg per course; {result.grams[-1]:,.0f} g by day {t[-1]:g} "
            f"× ${s.price_usd_per_g:,.0f}/g = ${result.cost_usd[-1]:,.0f}"))
        self._shade_courses(s)
        self._set_limits(result, keep_limits)
        self._update_safety(result)
        if self.cursors[0].get_visible():
            self.show_cursor(self.cursors[0].get_xdata()[0])

    def _set_limits(self, result, keep):
        def top(ax, needed):
            return steady_top(ax.get_ylim()[1] if keep else None, needed)
        if self.ax_igg.get_xlim() != (0.0, float(result.t[-1])):
            self.ax_igg.set_xlim(0.0, float(result.t[-1]))
        self.ax_igg.set_ylim(0.0, top(self.ax_igg, 1.12 * float(np.max(result.igg_total))))
        highest = max(float(np.max(curve)) for curve in result.autoantibody.values())
        self.ax_aab.set_ylim(0.0, top(self.ax_aab, 1.45 * highest))
        self.ax_cost.set_ylim(0.0, top(self.ax_cost, 1.1 * max(float(result.cost_usd[-1]), 1.0)))

    def show_cursor(self, t_day):
        """Mark day ``t_day`` in all three panels and print their values there; None hides it."""
        result = self.result
        if t_day is None or result is None:
            for line in self.cursors:
                line.set_visible(False)
            self.cursor_text.set_text("")
            return
        t_day = float(np.clip(t_day, result.t[0], result.t[-1]))
        for line in self.cursors:
            line.set_xdata([t_day, t_day])
            line.set_visible(True)

        def at(y):
            return float(np.interp(t_day, result.t, y))
        self.cursor_text.set_text(_escape(
            f"day {t_day:.1f}: total IgG {at(result.igg_total):.1f} g/L, free autoantibody "
            f"{at(result.autoantibody['selected']):.2f} mg/L (untreated "
            f"{at(result.autoantibody['untreated']):.2f}), cost so far {usd(at(result.cost_usd))}"))

    def _shade_courses(self, settings):
        courses = (int(settings.cycles), float(settings.every_days), int(settings.days),
                   float(settings.t_end_days))
        if self._courses == courses:
            return
        self._courses = courses
        for ax, patches in self._shades.items():
            for patch in patches:
                patch.remove()
            patches.clear()
            for k in range(int(settings.cycles)):
                start = k * settings.every_days
                if start >= settings.t_end_days:
                    break
                shade = ax.axvspan(start, start + settings.days, **SHADE)
                shade.set_animated(True)
                patches.append(shade)

    def _update_safety(self, result):
        safety = result.safety
        rate = safety.peak_rate_mg_per_kg_per_min
        self._show_bar(self.ax_rate, self.bars["rate"], rate, safety.rate_limit_thrombosis,
                       max(8.0, nice_ceiling(rate * 1.15)), f"peak infusion rate {rate:.2f} mg/kg/min")
        daily = safety.max_daily_g
        self._show_bar(self.ax_daily, self.bars["daily"], daily, safety.daily_limit_g,
                       max(50.0, nice_ceiling(daily * 1.15)), f"largest amount in one day {daily:.1f} g")
        if safety.flags:
            lines = ["Safety flags (Regimen.safety_flags):"] + [
                textwrap.fill("• " + flag, 70, subsequent_indent="   ") for flag in safety.flags]
        else:
            lines = ["No safety flags: infusion rate and daily amount are within the limits."]
        self.flag_text.set_text(_escape("\n".join(lines)))
        self.flag_text.set_color(WARN if safety.flags else "black")

    @staticmethod
    def _show_bar(ax, artists, value, first_limit, x_max, title):
        bar, text = artists[:2]
        bar.set_width(value)
        bar.set_color(WARN if value > first_limit * (1 + 1e-9) else OK)
        text.set_text(title)
        if ax.get_xlim() != (0.0, x_max):
            ax.set_xlim(0.0, x_max)
