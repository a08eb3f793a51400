"""The ``ivigsim export-sbml`` and ``ivigsim import-sbml`` commands.

``add_sbml_parsers(sub)`` adds both to the ``ivigsim`` argument parser; the
handlers import the SBML machinery (and python-libsbml) only when they run, so
the command line starts as fast as before.
"""

from __future__ import annotations

from ivigsim.errors import IvigsimError


def _pairs(items, option):
    """``["a=b", ...]`` -> ``{"a": "b"}``, refusing items without ``=``."""
    out = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise IvigsimError(f"{option} expects NAME=VALUE, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def _regimen(args):
    from ivigsim.interfaces.cli import course_regimen
    from ivigsim.core.regimen import Regimen

    if args.regimen_table and args.dose is not None:
        raise IvigsimError("give either --dose (a standard IVIG course) or --regimen-table, not both")
    if args.regimen_table:
        return Regimen.from_event_table(args.regimen_table)
    return course_regimen(args)


def cmd_export_sbml(args):
    """``ivigsim export-sbml MODEL OUT.xml [regimen options]``."""
    from ivigsim.interfaces.cli import parameter_overrides
    from ivigsim.io.sbml.export import export_sbml

    params = parameter_overrides(args)
    mechanisms = {name: False for name in args.off or ()}
    regimen = _regimen(args)
    text = export_sbml(args.model, args.out, regimen=regimen, body_weight_kg=args.weight, params=params,
                       mechanisms=mechanisms, initial=args.initial)
    events = text.count("<event ")
    print(f"wrote {args.out}: SBML Level 3 Version 2 of '{args.model}'"
          + (f", {regimen.describe()} as {events} dosing events" if regimen is not None else ", untreated"))
    return 0


def cmd_import_sbml(args):
    """``ivigsim import-sbml IN.xml OUT.toml``."""
    from ivigsim.io.sbml.importer import import_sbml
    from ivigsim.core.spec import load_model_file

    import_sbml(args.sbml, args.out, name=args.name,
                default_units=_pairs(args.default_unit, "--default-unit"),
                units=_pairs(args.unit, "--unit"))
    spec = load_model_file(args.out)
    print(f"wrote {args.out}: model '{spec.name}' with {spec.n_species} species, "
          f"{len(spec.reactions)} reactions, {len(spec.observables)} observables")
    return 0


def add_sbml_parsers(sub):
    """Add the ``export-sbml`` and ``import-sbml`` commands to an argparse subparsers object."""
    from ivigsim.interfaces.cli import add_course_arguments

    p = sub.add_parser("export-sbml", help="write a model (one patient, optionally a regimen) as SBML L3V2",
                       description="Write a model as SBML Level 3 Version 2 for other tools (COPASI, "
                                   "libRoadRunner, pyPESTO): one patient's parameters, units, and a regimen "
                                   "as events when --dose or --regimen-table is given.")
    add_course_arguments(p)
    p.add_argument("out", help="SBML file to write, e.g. model.xml")
    p.add_argument("--regimen-table", metavar="CSV", help="dosing from an event table instead of --dose")
    p.add_argument("--off", action="append", metavar="MECHANISM", help="switch a mechanism off (repeatable)")
    p.add_argument("--initial", choices=("steady_state", "file"), default="steady_state",
                   help="initial values: where ivigsim starts (default) or the model file's")
    p.set_defaults(func=cmd_export_sbml)

    p = sub.add_parser("import-sbml", help="convert an SBML model into an ivigsim model file",
                       description="Convert an SBML model into an ivigsim model file (TOML): species, "
                                   "parameters with units, reactions with rate laws, checked as any model "
                                   "file is.")
    p.add_argument("sbml", help="SBML file to read")
    p.add_argument("out", help="model file to write, e.g. model.toml")
    p.add_argument("--name", help="model name (default: the SBML model id)")
    p.add_argument("--default-unit", action="append", metavar="ROLE=UNIT",
                   help="unit for an undeclared model-level unit: time, substance or volume (repeatable)")
    p.add_argument("--unit", action="append", metavar="ID=UNIT",
                   help="unit of a parameter the SBML does not declare (repeatable)")
    p.set_defaults(func=cmd_import_sbml)
