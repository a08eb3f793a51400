"""``ivigsim fit PROBLEM_DIR --out DIR``: the command-line face of :func:`ivigsim.fit`."""

from __future__ import annotations


def _cmd_fit(args):
    from ivigsim.analysis.fitting.api import fit
    from ivigsim.analysis.fitting.outputs import OutputDirectoryError
    from pathlib import Path
    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):   # refuse before the work, not after
        raise OutputDirectoryError(f"--out {out}: exists and is not empty; choose a new directory")
    result = fit(args.problem, n_starts=args.starts, workers=args.workers, profiles=not args.no_profiles,
                 progress=not args.quiet, out=out)
    print(repr(result))
    print(f"report: {out / 'report.html'}")
    return 0


def positive_int(text):
    """argparse type: a whole number >= 1 (the flag is named in argparse's message).

    The one definition: ``ivigsim run``'s ``--workers`` uses it too.
    """
    import argparse
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def add_fit_parser(sub):
    """Register the ``fit`` subcommand on an argparse subparsers object."""
    p = sub.add_parser("fit", help="fit model parameters to data (a PEtab problem directory)")
    p.add_argument("problem", help="fit-problem directory, e.g. fits/igg_course_didactic")
    p.add_argument("--out", required=True, help="new output directory (refused if it exists and is not empty)")
    p.add_argument("--workers", type=positive_int, help="workers running starts side by side: forked processes where "
                   "possible, else threads (default: all cores)")
    p.add_argument("--starts", type=positive_int, help="number of starts (default: the problem's n_starts)")
    p.add_argument("--no-profiles", action="store_true", help="skip the profile likelihoods")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=_cmd_fit)
