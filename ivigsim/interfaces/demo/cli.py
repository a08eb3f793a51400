"""``ivigsim demo``: the teaching demo from the command line.

``ivigsim demo`` opens the interactive window; ``ivigsim demo --html FILE``
writes the lesson as one self-contained web page.
"""

from __future__ import annotations

import sys

_MODEL = "ivig_autoimmune"      # the lesson's model (ivigsim.interfaces.demo.lesson.MODEL), named here to stay light


def add_demo_parser(sub):
    """Add the ``demo`` command to the subparsers ``sub`` of the ``ivigsim`` parser."""
    p = sub.add_parser("demo", help="the teaching demo: an interactive window, or a web page with --html",
                       description="Why a 2 g/kg IVIG course lowers an autoantibody, why slow infusion "
                                   "matters, and what IVIG costs: sliders, mechanism switches and three "
                                   "linked panels.")
    p.add_argument("--html", metavar="FILE",
                   help="write the lesson as one self-contained HTML file (works offline) instead "
                        "of opening a window")
    p.add_argument("--model", default=_MODEL, help=f"model name or path (default {_MODEL})")
    p.add_argument("--weight", type=float, help="body weight in kg (default: the model's)")
    p.add_argument("--workers", type=int, help="--html: threads simulating the grid (default: all cores)")
    p.set_defaults(func=cmd_demo)
    return p


def cmd_demo(args):
    """Run ``ivigsim demo``; returns the exit status."""
    if args.html:
        import time

        from ivigsim.interfaces.demo.html import demo_html
        if args.weight is not None:
            print("ivigsim demo: --weight applies to the window only; the web page uses the "
                  "model's body weight", file=sys.stderr)
        started = time.perf_counter()
        path = demo_html(args.html, model=args.model, workers=args.workers)
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB in "
              f"{time.perf_counter() - started:.0f} s); open it in any web browser, no network needed")
        return 0
    from ivigsim.interfaces.demo.widgets import NoDisplayError, demo
    try:
        demo(model=args.model, body_weight_kg=args.weight)
    except NoDisplayError as exc:
        print(f"ivigsim demo: {exc}", file=sys.stderr)
        return 2
    return 0
