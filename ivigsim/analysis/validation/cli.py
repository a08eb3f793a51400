"""``ivigsim validate``: the literature validation suite from the command line."""

from __future__ import annotations

from pathlib import Path

DEFAULT_OUT = Path("results") / "validation"


def add_validate_parser(sub):
    """Add the ``validate`` sub-command to the ``ivigsim`` parser's sub-parsers."""
    p = sub.add_parser("validate", help="the literature validation suite, as a report",
                       description="Simulate every published target in validation/targets.toml and write "
                                   "a report (Markdown and HTML) of which pass, which fail and which are "
                                   "recorded expected failures; exit status 1 when an outcome differs "
                                   "from the recorded one.")
    p.add_argument("--out", default=str(DEFAULT_OUT),
                   help=f"directory for report.md, report.html, summary.csv and figures/ (default {DEFAULT_OUT})")
    p.add_argument("--only", nargs="+", metavar="ID", help="only these target IDs, e.g. --only PK-07 AI-03")
    p.add_argument("--model", action="append", metavar="NAME", help="only targets concerning this model (repeatable)")
    p.set_defaults(func=cmd_validate)
    return p


def cmd_validate(args):
    """Run the suite, print the summary table, write the report; exit status 1 if an outcome is unexpected."""
    from ivigsim.analysis.validation import format_summary, validate
    report = validate(out=args.out, ids=args.only, models=args.model)
    print(format_summary(report))
    for row in report.unexpected:
        print(f"unexpected: {row.id} {row.outcome} (the targets file expects {row.expected}): {row.reason}")
    from ivigsim.interfaces.run_summary import written_files
    print(f"{len(report)} targets in {report.seconds:.1f} s; wrote {written_files(args.out)}")
    return 1 if report.unexpected else 0
