"""``ivigsim regress``: the command line of :func:`ivigsim.analysis.regression.core.regress`."""

from __future__ import annotations

from ivigsim.analysis.regression.core import RTOL, STOCHASTIC, regress

__all__ = ["add_regress_parser", "cmd_regress"]


def add_regress_parser(sub):
    """Add ``ivigsim regress`` to the subcommands ``sub`` of the ``ivigsim`` parser."""
    p = sub.add_parser("regress", help="run the shipped experiments against their stored references",
                       description="Run every shipped experiment (and the stochastic references) and "
                                   f"compare the results with references/ (relative {RTOL:g}); exit "
                                   "status 1 when anything ran and regressed. An experiment whose "
                                   "optional extra is missing is skipped (and named), unless --strict.")
    p.add_argument("--update", action="store_true",
                   help="rewrite the references from this run (review the diff, then commit)")
    p.add_argument("--only", nargs="+", metavar="NAME",
                   help=f"only these experiments (names, '{STOCHASTIC}', or experiment files)")
    p.add_argument("--workers", type=int, help="threads per sweep (default: all cores)")
    p.add_argument("--out", help="keep the runs in this folder (default: a temporary folder)")
    p.add_argument("--references", help="the references folder (default: references/ of ivigsim)")
    strict = p.add_mutually_exclusive_group()
    strict.add_argument("--strict", dest="strict", action="store_const", const=True, default=None,
                        help="require bit-identical stochastic samples on any machine, and fail "
                             "an experiment skipped for a missing optional extra")
    strict.add_argument("--statistical", dest="strict", action="store_const", const=False,
                        help="judge stochastic samples by the statistical tests only")
    p.set_defaults(func=cmd_regress)
    return p


def cmd_regress(args) -> int:
    """``ivigsim regress``: print each check; exit status 1 when anything regressed or failed."""
    report = regress(args.only, update=args.update, workers=args.workers, out=args.out,
                     references=args.references, strict=args.strict)
    print(report.summary())
    if args.update and report.passed:
        print("review the changes in references/ (git diff) before committing them")
    return 0 if report.passed else 1
