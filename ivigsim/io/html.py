"""A small HTML toolkit for self-contained report pages: escaping, numbers, tables,
sections and embedded figures.

Shared by ``report.html`` of a sweep and the validation report.  Markup built
here is an :class:`Html` string, which :func:`escape` passes through; everything
else is escaped, so text from a file cannot inject markup into a page.
"""

from __future__ import annotations

import base64
import html
import math

import numpy as np

__all__ = ["Html", "CSS", "escape", "fmt_number", "td", "html_table", "pairs_table", "section",
           "plural", "paragraph", "embed_png"]

#: The page style: one inline style sheet, no external requests.
CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       max-width: 1100px; margin: 2em auto; padding: 0 1.2em; color: #1d1d1f; line-height: 1.45; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #0072b2; padding-bottom: 0.2em; margin-top: 2em; }
h3 { margin-top: 1.6em; color: #0b4f7c; }
.lead { font-size: 1.15em; } .muted { color: #666; font-size: 0.92em; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 0.9em; }
th, td { border: 1px solid #d0d0d5; padding: 0.25em 0.55em; vertical-align: top; text-align: left; }
th { background: #eef3f8; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.flagged td { background: #fdecea; } .off { color: #b00020; font-weight: bold; } .on { color: #1b7f3b; }
.flag { color: #b00020; } code, pre { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.92em; }
pre { background: #f6f8fa; padding: 0.8em; overflow-x: auto; white-space: pre-wrap; }
figure { margin: 1.2em 0; } figure img { max-width: min(100%, 760px); border: 1px solid #e0e0e0; }
.scroll { overflow-x: auto; }
figcaption { font-size: 0.92em; color: #333; margin-top: 0.3em; }
nav ul { columns: 2; } details summary { cursor: pointer; color: #0b4f7c; }
"""



class Html(str):
    """Markup built here from escaped parts: not escaped again."""


def escape(value) -> str:
    """Escaped text (markup built here passes through)."""
    if isinstance(value, Html):
        return value
    return html.escape(str(value), quote=True)


def fmt_number(value) -> str:
    """A number for a table: whole numbers as they are, others to 4 significant digits
    (thousands separated), NaN as a dash."""
    if value is None:
        return "—"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    if not math.isfinite(value):
        return "—"
    if value == int(value) and abs(value) < 1e9:
        return f"{int(value):,}"
    if 1e3 <= abs(value) < 1e9:
        return f"{value:,.0f}"
    if abs(value) < 1e-3:
        return f"{value:.3e}"
    return f"{value:.4g}"


def td(value) -> str:
    """A table cell: numbers right-aligned and formatted, anything else escaped."""
    if value is None or (isinstance(value, (float, int, np.floating, np.integer))
                         and not isinstance(value, bool)):
        return f'<td class="num">{fmt_number(value)}</td>'
    return f"<td>{escape(value)}</td>"


def html_table(header, rows, row_classes=None) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    for k, row in enumerate(rows):
        css = f' class="{row_classes[k]}"' if row_classes and row_classes[k] else ""
        body.append(f"<tr{css}>" + "".join(td(v) for v in row) + "</tr>")
    return (f'<div class="scroll"><table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n' + "\n".join(body)
            + "\n</tbody>\n</table></div>")


def pairs_table(rows) -> str:
    """A two-column table of label and value."""
    return "<table>\n<tbody>\n" + "\n".join(
        f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>" for label, value in rows) + "\n</tbody>\n</table>"


def section(anchor, heading, parts) -> str:
    return f'<section id="{anchor}">\n<h2>{escape(heading)}</h2>\n' + "\n".join(p for p in parts if p) + "\n</section>"


def plural(n, noun) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def paragraph(text, css=None) -> str:
    return f'<p class="{css}">{escape(text)}</p>' if css else f"<p>{escape(text)}</p>"




def embed_png(png, caption) -> str:
    data = base64.b64encode(png.read_bytes()).decode("ascii")
    return (f'<figure>\n<img alt="{escape(caption)}" src="data:image/png;base64,{data}">\n'
            f"<figcaption>{escape(caption)}</figcaption>\n</figure>")
