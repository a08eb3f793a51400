"""The therapy selector as a matplotlib window (a desktop window, or ipympl widgets in a notebook).

:func:`therapy_demo` opens one figure: on the left (d) total IgG, (e) the free
autoantibody as a share of untreated and (f) endosomal FcRn occupancy, the
selected therapy in colour over the others in grey; on the right a radio
button per therapy of :data:`~ivigsim.interfaces.demo.therapies.THERAPIES` and the
selected therapy's readouts (nadir, rebound, area under the curve, what was
given, cost, safety). Everything is simulated once, when the window opens
(:func:`~ivigsim.interfaces.demo.therapies.compare_therapies`); a click only redraws.
Headless (Agg) the window can be driven with ``window.radio.set_active(i)``
or :meth:`TherapyWindow.select`.
"""

from __future__ import annotations

import textwrap

import numpy as np

from ivigsim.interfaces.demo.lesson import MODEL
from ivigsim.interfaces.demo.therapies import THERAPIES, compare_therapies
from ivigsim.interfaces.plotting import PALETTE

FIGSIZE = (13.5, 8.8)
SELECTED, OTHER, UNTREATED = PALETTE[0], "0.78", "0.35"
_SHADE = dict(color=PALETTE[4], alpha=0.16, lw=0)
_MIN_SHADE_DAY = 0.35


def _spans(regimen, body_weight_kg):
    spans = [(d.time_day, d.time_day + max(d.duration_day, _MIN_SHADE_DAY))
             for d in (regimen.doses(body_weight_kg) if regimen.administrations else ())]
    spans += [(s.time_day, s.time_day + max(s.duration_day, _MIN_SHADE_DAY)) for s in regimen.sessions]
    return sorted(spans)


def readout_text(outcome, width=46):
    """The selected therapy's readouts, as the window prints them."""
    cost = "not priced" if not np.isfinite(outcome.cost_usd) else f"${outcome.cost_usd:,.0f}"
    lines = [
        f"{outcome.therapy.label}",
        *textwrap.wrap(outcome.therapy.what, width),
        "",
        f"autoantibody nadir: {outcome.nadir_pct:.0f} % below untreated, day {outcome.nadir_day:.0f}",
        f"4 weeks after the nadir: {outcome.rebound_pct:.0f} % below",
        f"area under the curve, 8 weeks: {outcome.auc_change_pct:+.0f} %",
        f"total IgG: {outcome.igg_min:.1f}-{outcome.igg_max:.1f} g/L",
        f"given: {outcome.given}",
        f"cost: {cost}",
        "safety: " + ("none flagged" if not outcome.flags else ""),
    ]
    for flag in outcome.flags:
        lines += textwrap.wrap("- " + flag, width)
    return "\n".join(lines)


class TherapyWindow:
    """The therapy selector figure; :func:`therapy_demo` builds it.

    Attributes
    ----------
    fig : matplotlib Figure
    axes : dict of "igg", "aab", "fcrn" to Axes
    radio : matplotlib.widgets.RadioButtons
        One button per therapy, in :data:`THERAPIES` order.
    comparison : TherapyComparison
    selected : str
        The key of the therapy shown in colour.
    lines : dict of str to Line2D
        ``"igg"``, ``"aab"``, ``"fcrn_igg"``, ``"fcrn_drug"``: the selected therapy's curves.
    """

    def __init__(self, comparison, therapy=None, figsize=FIGSIZE):
        import matplotlib.pyplot as plt
        from matplotlib.widgets import RadioButtons

        self.comparison = comparison
        keys = list(comparison.outcomes)
        self.selected = keys[0] if therapy is None else therapy
        if self.selected not in comparison.outcomes:
            from ivigsim.errors import IvigsimError
            raise IvigsimError(f"therapy: unknown therapy {therapy!r}; expected one of {', '.join(keys)}")
        self.fig = plt.figure(figsize=figsize)
        self.fig._ivigsim_demo = self          # the widgets live as long as the figure
        self.fig.text(0.06, 0.965, f"Beside IVIG: FcRn blockers and plasma exchange (model {comparison.model}, "
                      f"{comparison.body_weight_kg:g} kg patient)", fontsize=11.5, weight="bold")
        t = comparison.t
        heights = (0.66, 0.37, 0.08)
        self.axes = {name: self.fig.add_axes((0.06, y, 0.58, 0.24)) for name, y in zip(("igg", "aab", "fcrn"), heights)}
        ax = self.axes
        ax["igg"].plot(t, comparison.untreated_igg, color=UNTREATED, ls="--", lw=1.2, label="untreated")
        ax["aab"].axhline(100.0, color=UNTREATED, ls="--", lw=1.2)
        for key, o in comparison.outcomes.items():
            ax["igg"].plot(t, o.igg_total, color=OTHER, lw=1.0, zorder=1)
            ax["aab"].plot(t, o.autoantibody_pct, color=OTHER, lw=1.0, zorder=1)
        first = comparison.outcomes[self.selected]
        self.lines = {
            "igg": ax["igg"].plot(t, first.igg_total, color=SELECTED, lw=2.4, zorder=3, label="selected therapy")[0],
            "aab": ax["aab"].plot(t, first.autoantibody_pct, color=SELECTED, lw=2.4, zorder=3)[0],
            "fcrn_igg": ax["fcrn"].plot(t, first.fcrn_by_igg_pct, color=PALETTE[2], lw=2.0, label="by IgG")[0],
            "fcrn_drug": ax["fcrn"].plot(t, first.fcrn_by_drug_pct, color=PALETTE[3], lw=2.0, ls="--",
                                         label="by the FcRn blocker")[0],
        }
        top_igg = max(max(o.igg_total.max() for o in comparison.outcomes.values()), comparison.untreated_igg.max())
        ax["igg"].set_ylim(0, 1.1 * top_igg)
        ax["aab"].set_ylim(0, 1.05 * max(100.0, max(o.autoantibody_pct.max() for o in comparison.outcomes.values())))
        ax["fcrn"].set_ylim(0, 100)
        labels = {"igg": "(d) total IgG [g/L]", "aab": "(e) free autoantibody\n[% of untreated]",
                  "fcrn": "(f) endosomal FcRn\noccupied [%]"}
        for name, axis in ax.items():
            axis.set_xlim(0, t[-1])
            axis.set_ylabel(labels[name])
            axis.grid(alpha=0.3)
        ax["fcrn"].set_xlabel("time [day]   (shaded: the selected therapy's doses and sessions)")
        ax["igg"].legend(loc="upper right", fontsize=8.5, frameon=False)
        ax["fcrn"].legend(loc="lower right", fontsize=8.5, frameon=False)
        self._marker = ax["aab"].plot([], [], "o", color=SELECTED, zorder=4)[0]
        self._shades = []
        self.fig.text(0.70, 0.935, "therapy", fontsize=10.5, weight="bold")
        radio_ax = self.fig.add_axes((0.69, 0.62, 0.29, 0.31))
        radio_ax.set_frame_on(False)
        self.radio = RadioButtons(radio_ax, [o.therapy.label for o in comparison.outcomes.values()],
                                  active=keys.index(self.selected))
        for text in self.radio.labels:
            text.set_fontsize(9.5)
        self.radio.on_clicked(self._clicked)
        self.readout = self.fig.text(0.70, 0.58, "", fontsize=8.8, va="top", family="monospace")
        self.select(self.selected)

    def _clicked(self, label):
        for key, o in self.comparison.outcomes.items():
            if o.therapy.label == label:
                self.select(key)
                return

    def select(self, key):
        """Show therapy ``key`` in colour, with its readouts."""
        o = self.comparison.outcomes[key]
        self.selected = key
        self.lines["igg"].set_ydata(o.igg_total)
        self.lines["aab"].set_ydata(o.autoantibody_pct)
        self.lines["fcrn_igg"].set_ydata(o.fcrn_by_igg_pct)
        self.lines["fcrn_drug"].set_ydata(o.fcrn_by_drug_pct)
        self._marker.set_data([o.nadir_day], [100.0 - o.nadir_pct])
        for shade in self._shades:
            shade.remove()
        self._shades = [axis.axvspan(a, b, **_SHADE) for axis in self.axes.values()
                        for a, b in _spans(o.therapy.regimen(), self.comparison.body_weight_kg)]
        self.readout.set_text(readout_text(o))
        self.fig.canvas.draw_idle()
        return o


def therapy_demo(model=MODEL, body_weight_kg=None, therapy="ivig", show=True):
    """Open the therapy selector: IVIG, efgartigimod, rozanolixizumab, plasma exchange,
    immunoadsorption, and IVIG then plasma exchange, in one patient.

    Parameters
    ----------
    model : str or ModelSpec
        Default ``"ivig_autoimmune"``.
    body_weight_kg : float, kg, optional
    therapy : str
        The therapy selected first (a key of :data:`~ivigsim.interfaces.demo.therapies.THERAPIES`).
    show : bool
        Open the window and block until it is closed; ``False`` only builds it.

    Returns
    -------
    TherapyWindow

    Raises
    ------
    NoDisplayError
        With ``show=True`` where matplotlib cannot open a window.
    """
    from ivigsim.interfaces.demo.widgets import NoDisplayError, interactive_backend
    if show and not interactive_backend():
        import matplotlib
        raise NoDisplayError(
            f"matplotlib cannot open a window here (backend '{matplotlib.get_backend()}', no display?); "
            "the web page has the same therapy selector: ivigsim demo --html lesson.html")
    window = TherapyWindow(compare_therapies(model, body_weight_kg=body_weight_kg, therapies=THERAPIES), therapy)
    if show:
        import matplotlib.pyplot as plt
        plt.show()
    return window
