"""Command-line options shared by ``ivigsim simulate`` and the SBML commands: one patient and one course."""

from __future__ import annotations

from ivigsim.errors import IvigsimError

__all__ = ["add_course_arguments", "course_regimen", "parameter_overrides"]


def add_course_arguments(p):
    """The options that describe one patient and a standard IVIG course (simulate, export-sbml)."""
    p.add_argument("model", help="model name (see 'ivigsim models') or path to a .toml file")
    p.add_argument("--dose", type=float, help="g/kg per infusion day (omit for untreated)")
    p.add_argument("--days", type=int, default=5, help="infusion days per course (default 5)")
    p.add_argument("--infusion-hours", type=float, default=8.0, help="hours per daily infusion (default 8)")
    p.add_argument("--every", type=float, default=28.0, help="days between course starts (default 28)")
    p.add_argument("--cycles", type=int, default=1, help="number of courses (default 1)")
    p.add_argument("--start", type=float, default=0.0, help="day of the first infusion (default 0)")
    p.add_argument("--weight", type=float, help="body weight in kg (default: the model's)")
    p.add_argument("--param", action="append", metavar="NAME=VALUE", help="override a parameter (repeatable)")


def course_regimen(args):
    """The IVIG course the options describe, or None when no --dose was given."""
    from ivigsim.core.regimen import Regimen
    if args.dose is None:
        return None
    return Regimen.ivig(dose_g_per_kg=args.dose, days=args.days, infusion_hours=args.infusion_hours,
                        every_days=args.every, cycles=args.cycles, start_day=args.start)


def parameter_overrides(args):
    """``--param NAME=VALUE`` options as a dict of floats."""
    params = {}
    for item in args.param or ():
        name, _, value = item.partition("=")
        try:
            params[name.strip()] = float(value)
        except ValueError:
            raise IvigsimError(f"--param expects NAME=NUMBER, got {item!r}") from None
    return params
