"""``ivigsim compare``: the command line of :func:`ivigsim.analysis.comparison.core.compare`."""

from __future__ import annotations

from ivigsim.analysis.comparison.core import DEFAULT_ATOL, DEFAULT_RTOL, compare

__all__ = ["add_compare_parser", "cmd_compare"]


def add_compare_parser(sub):
    """Add ``ivigsim compare`` to the subcommands ``sub`` of the ``ivigsim`` parser."""
    p = sub.add_parser("compare", help="run one experiment on several model variants and compare them",
                       description="Run an experiment file on two or more model variants and compare "
                                   "every metric with the first variant. A variant is a model name or "
                                   "path, optionally with parameter overrides: fcrn_pk[fcrn_total=24.9].")
    p.add_argument("variants", nargs="+", metavar="VARIANT",
                   help="MODEL or MODEL[name=value,...]; the first is the reference")
    p.add_argument("--experiment", required=True, 
                   help="a shipped experiment's name (see 'ivigsim experiments') or an experiment file")
    p.add_argument("--out", help="output folder (default results/compare_<experiment>)")
    p.add_argument("--rtol", type=float, default=DEFAULT_RTOL,
                   help=f"relative tolerance of the verdict (default {DEFAULT_RTOL:g})")
    p.add_argument("--atol", type=float, default=DEFAULT_ATOL,
                   help=f"absolute tolerance, in each metric's unit (default {DEFAULT_ATOL:g})")
    p.add_argument("--workers", type=int, help="threads per run (default: all cores)")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier comparison in --out")
    p.add_argument("--no-plots", dest="plots", action="store_false", help="write the tables only, no figures")
    p.add_argument("--fail-on-differ", action="store_true", help="exit with status 1 when the variants differ")
    p.set_defaults(func=cmd_compare)
    return p


def cmd_compare(args) -> int:
    """``ivigsim compare``: print the verdict table; exit 1 on differ only with ``--fail-on-differ``."""
    result = compare(args.variants, args.experiment, out=args.out, rtol=args.rtol, atol=args.atol,
                     workers=args.workers, overwrite=args.overwrite, plots=args.plots)
    print(result.summary())
    from ivigsim.interfaces.run_summary import written_files
    print(f"wrote {written_files(result.path)}")
    return 1 if args.fail_on_differ and result.verdict == "differ" else 0
