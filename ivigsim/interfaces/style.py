"""One look for every figure: a colour-blind-safe palette, units on every axis, legends off the data.

Every plotting function in ivigsim takes its colours, axis labels and legend
placement from here, so figures in a report, a notebook and a talk agree.
matplotlib is imported inside functions only.
"""

from __future__ import annotations

# Okabe & Ito (2008), "Color universal design": distinguishable with every common colour-vision deficiency.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
LINESTYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D", "v", "P")


def pyplot():
    """``matplotlib.pyplot``, on a non-interactive backend unless a notebook's inline one is active."""
    import matplotlib
    if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    return plt


def axis_label(name, unit):
    """``name [unit]``; a pure number is labelled ``[1]`` so no axis is left without a unit."""
    unit = str(unit).strip() if unit is not None else "1"
    return f"{name} [{unit or '1'}]"


def money(value, currency="USD"):
    """``$84,560`` style: thousands separators and the currency, never ``8.456e+04``."""
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency)
    text = f"{abs(value):,.0f}"
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


def money_formatter(currency="USD"):
    """A matplotlib tick formatter for money axes."""
    from matplotlib.ticker import FuncFormatter
    return FuncFormatter(lambda v, _pos: money(v, currency))


def outside_legend(ax, **kwargs):
    """A legend to the right of the axes, where it can never cover data; returns it."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    options = dict(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, frameon=False, fontsize=8)
    options.update(kwargs)
    return ax.legend(handles, labels, **options)


def figure_legend(fig, axes, **kwargs):
    """One legend for a grid of panels, below them, never over a panel's data."""
    handles, labels = [], []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels and not lab.startswith("_"):
                handles.append(h)
                labels.append(lab)
    if not handles:
        return None
    options = dict(loc="outside lower center", ncols=min(len(labels), 4), frameon=False, fontsize=8)
    options.update(kwargs)
    return fig.legend(handles, labels, **options)


def svg_inline(fig):
    """The figure as an inline ``<svg>`` string (for HTML reprs: no files, no network)."""
    import io
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    pyplot().close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]
