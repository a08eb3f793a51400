"""Run SBML Test Suite semantic cases through ivigsim's importer and solver.

A case is a directory ``NNNNN/`` of the suite's ``cases/semantic/`` tree with
``NNNNN-settings.txt`` (start, duration, steps, variables, absolute and
relative tolerance, which variables are amounts and which concentrations),
``NNNNN-results.csv`` (the expected values) and the model as
``NNNNN-sbml-lXvY.xml`` in one or more SBML levels; the newest level is used.

Each case ends in one of four outcomes:

``pass``
    every expected value is matched to the suite's rule
    ``|sim - expected| <= atol + rtol * |expected|``;
``wrong``
    the model imported and ran, but a value misses the rule, or the solver
    stopped (an ivigsim error while simulating an imported model);
``refused``
    the importer refused the model with an :class:`~ivigsim.errors.IvigsimError`
    naming the construct it cannot simulate;
``crash``
    anything else (an exception that is not an IvigsimError).

Run it on a full checkout of the suite from the command line::

    python tests/sbml_suite/sbml_suite_harness.py /path/to/sbml-test-suite/cases/semantic \\
        [--first 1521] [--every 5] [--cases 966,1466] [--engine ivigsim|roadrunner]
        [--kernel auto|tape|straight] [--numba-opt 0] [--results FILE.md] [--json FILE [--resume]]

``--engine roadrunner`` runs the same cases with libRoadRunner, to compare the
rate on the same cases with the same rule.

``--kernel tape`` gives every case's model the tape kernel
(:mod:`ivigsim.core.kernel.tape`) that ivigsim otherwise keeps for large
models: its compiled part is a few thin wrappers around one interpreter, so a
case pays about half the compile time of straight-line code, which is what
makes all 1,521 cases fit a shared machine. Both styles compute the same
mathematics; ``auto`` picks by model size as :func:`ivigsim.simulate` does.
``--numba-opt 0`` compiles what is not in Numba's disk cache yet (each case's
kernel) without LLVM optimisation, which halves a case's time again: the
suite's models are a few species, so compiling, not running, is what costs.

``--json FILE --resume`` appends each case's outcome to FILE as it finishes
and, started again, skips the cases FILE already holds; a case that was
started but never finished is run again, and one the process died in twice
(e.g. a segmentation fault in a native library) is recorded as a crash.
``--report FILE.json ...`` writes the Markdown table from such files without
running anything.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import tempfile
import time
import warnings
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

OUTCOMES = ("pass", "wrong", "refused", "crash")
LEVELS = ("l3v2", "l3v1", "l2v5", "l2v4", "l2v3", "l2v2", "l2v1", "l1v2")
# Model-level units a suite model leaves undeclared: the suite's own (SBML Level 2 defaults).
DEFAULT_UNITS = {"time": "s", "substance": "mol", "volume": "L"}
CASE_TIMEOUT_S = 300


@dataclass
class Settings:
    start: float
    duration: float
    steps: int
    variables: list
    atol: float
    rtol: float
    amount: set
    concentration: set


@dataclass
class Outcome:
    case: str
    outcome: str
    reason: str = ""
    tags: str = ""
    seconds: float = 0.0


class CaseTimeout(Exception):
    pass


def read_settings(path):
    """The suite's ``NNNNN-settings.txt`` as :class:`Settings` (None if it is not a time course)."""
    fields = {}
    for line in Path(path).read_text().splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            fields[key.strip()] = value.strip()

    def names(key):
        return [v.strip() for v in fields.get(key, "").split(",") if v.strip()]

    if not fields.get("start") or not fields.get("duration"):
        return None
    return Settings(start=float(fields["start"]), duration=float(fields["duration"]),
                    steps=int(float(fields["steps"])), variables=names("variables"),
                    atol=float(fields["absolute"]), rtol=float(fields["relative"]),
                    amount=set(names("amount")), concentration=set(names("concentration")))


def read_expected(path):
    """Header names and the value table of ``NNNNN-results.csv``."""
    lines = Path(path).read_text().strip().splitlines()
    header = [h.strip() for h in lines[0].split(",")]
    rows = [[float(x) for x in line.split(",")] for line in lines[1:] if line.strip()]
    return header, np.array(rows, dtype=np.float64)


def model_file(case_dir):
    """The case's SBML file at the newest level it has."""
    case_dir = Path(case_dir)
    for level in LEVELS:
        path = case_dir / f"{case_dir.name}-sbml-{level}.xml"
        if path.exists():
            return path
    return None


def case_tags(case_dir):
    """The component and test tags of the case's description (``NNNNN-model.m``)."""
    path = Path(case_dir) / f"{Path(case_dir).name}-model.m"
    if not path.exists():
        return ""
    tags = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith(("componentTags:", "testTags:")):
            tags += [t.strip() for t in line.split(":", 1)[1].split(",") if t.strip()]
    return ", ".join(tags)


def within_rule(sim, expected, settings):
    """Whether every value meets ``|sim - expected| <= atol + rtol * |expected|``."""
    sim = np.asarray(sim, dtype=np.float64)
    if sim.shape != expected.shape or not np.all(np.isfinite(sim) == np.isfinite(expected)):
        return False
    finite = np.isfinite(expected)
    return bool(np.all(np.abs(sim[finite] - expected[finite])
                       <= settings.atol + settings.rtol * np.abs(expected[finite])))


def reason_class(message):
    """A refusal message reduced to its construct: the file and element ids left out."""
    text = str(message).splitlines()[0]
    text = re.sub(r"^\S+\.(xml|toml): ", "", text)
    text = re.sub(r"^the model imported from it does not validate: \S+: ", "validation: ", text)
    text = re.sub(r" \(in '.*'\); ivigsim accepts .*$", "", text)   # the formula and the list of what works
    text = re.sub(r"(?<!function )'[^']*'", "'…'", text)        # ids out, function names kept
    text = re.sub(r"\b\d+(\.\d+)?(e[-+]?\d+)?\b", "N", text)
    return text[:140]


# --- ivigsim -------------------------------------------------------------------
def _time_scale_days(sbml_path):
    """Days per unit of the SBML model's time (its declared unit, or the default second)."""
    import libsbml

    from ivigsim.io.sbml.units import read_sbml_unit
    from ivigsim.core.units import parse_unit
    document = libsbml.readSBMLFromFile(str(sbml_path))
    if document.getLevel() < 3:
        document.setLevelAndVersion(3, 2, False)
    model = document.getModel()
    day = parse_unit("day")
    if model.isSetTimeUnits():
        unit, _ = read_sbml_unit(model, model.getTimeUnits(), "time")
    else:
        unit = parse_unit(DEFAULT_UNITS["time"])
    return unit.factor_to(day), document


def _values(res, spec, env, names, document, variable, settings):
    """The simulated trajectory of one suite variable, as amount or concentration."""
    model = document.getModel()
    name = names.get(variable, variable)
    if name in res:
        values = np.asarray(res[name], dtype=np.float64)
    elif name in env:
        values = np.full(len(res.t), env[name])
    else:
        raise KeyError(f"variable '{variable}' has no value in the imported model")
    species = model.getSpecies(variable)
    if species is None:
        return values
    compartment = names[species.getCompartment()]
    # a compartment whose size changes is an observable or a state of the imported model
    volume = np.asarray(res[compartment], dtype=np.float64) if compartment in res else env[compartment]
    want_amount = variable in settings.amount
    want_conc = variable in settings.concentration
    if name in spec.species_names:
        # a state of ivigsim is a concentration in its own compartment: its amount is the value
        # times that compartment's size (1 for the compartment of states, which holds amounts)
        amount = values * env[spec.species[spec.species_index(name)].compartment]
        return amount if want_amount else amount / volume if want_conc else values
    # a parameter: an amount if the SBML counts it so, or if it is held as a constant amount in a
    # compartment whose size changes (then its concentration is not constant, declared constant or not)
    has_amount = species.getHasOnlySubstanceUnits() or (compartment in res and name not in res)
    if want_amount and not has_amount:
        return values * volume
    if want_conc and has_amount:
        return values / volume
    return values


def _asks_for_reaction_rates(sbml_path, header):
    """Whether the expected results hold a reaction's rate (a reaction id as a variable)."""
    import libsbml

    doc = libsbml.readSBMLFromFile(str(sbml_path))
    if doc.isPackageEnabled("comp"):
        # a reaction of a submodel is named by its flattened id (e.g. A__J2), as the importer
        # flattens the model; the unflattened top model would not list it
        props = libsbml.ConversionProperties()
        props.addOption("flatten comp", True)
        doc.convert(props)
    model = doc.getModel()
    return model is not None and any(model.getReaction(v) is not None for v in header[1:])


def _simulate(iv, spec, times, settings):
    """The case's simulation; a model whose functions the tape kernel has no form for (floor,
    ceil, rem, factorial) is compiled as straight-line code instead, as ``auto`` would for a
    model of its size."""
    from ivigsim.core.kernel import codegen
    from ivigsim.errors import IvigsimError

    def once():
        return iv.simulate(spec, t_end=float(times[-1]) if times[-1] > 0 else 1.0, t_eval=times,
                           rtol=1e-10, atol=max(settings.atol * 1e-4, 1e-300))
    try:
        return once()
    except IvigsimError as exc:
        if codegen.TAPE_ABOVE >= 0 or "has no kernel form" not in str(exc):
            raise
    set_kernel_style("straight")
    try:
        return once()
    finally:
        set_kernel_style("tape")


def run_ivigsim(case_dir, settings, header, expected):
    """Import, simulate and compare one case; return (outcome, reason)."""
    import ivigsim as iv
    from ivigsim.errors import IvigsimError
    from ivigsim.io.sbml.importer import import_sbml_names

    sbml = model_file(case_dir)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            text, names = import_sbml_names(sbml, default_units=DEFAULT_UNITS,
                                            reaction_rates=_asks_for_reaction_rates(sbml, header))
            scale, document = _time_scale_days(sbml)
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "model.toml"
                path.write_text(text, encoding="utf-8")
                spec = iv.load_model(path)
    except IvigsimError as exc:
        return "refused", reason_class(exc)
    times = expected[:, 0] * scale
    t0 = settings.start * scale
    if t0 != 0.0:
        return "refused", "the harness simulates from time 0 only"
    try:
        res = _simulate(iv, spec, times, settings)
    except IvigsimError as exc:
        return "wrong", f"no result: {reason_class(exc)}"
    env = dict(res.parameters)
    env.update(spec.environment(np.array([res.parameters[p] for p in spec.parameter_names])))
    columns = []
    for variable in header[1:]:
        columns.append(_values(res, spec, env, names, document, variable, settings))
    sim = np.column_stack(columns) if columns else np.zeros((len(times), 0))
    if within_rule(sim, expected[:, 1:], settings):
        return "pass", ""
    err = np.abs(sim - expected[:, 1:]) - (settings.atol + settings.rtol * np.abs(expected[:, 1:]))
    worst = np.unravel_index(np.nanargmax(np.where(np.isfinite(err), err, np.inf)), err.shape)
    return "wrong", (f"{header[1 + worst[1]]} at t = {expected[worst[0], 0]:g}: "
                     f"{sim[worst]:.6g} vs {expected[:, 1:][worst]:.6g}")


# --- libRoadRunner -----------------------------------------------------------------
def run_roadrunner(case_dir, settings, header, expected):
    """The same case with libRoadRunner, under the same rule."""
    import roadrunner

    sbml = model_file(case_dir)
    try:
        rr = roadrunner.RoadRunner(str(sbml))
    except Exception as exc:                                        # noqa: BLE001 (a refusal by roadrunner)
        return "refused", reason_class(exc)
    rr.integrator.absolute_tolerance = settings.atol * 1e-4
    rr.integrator.relative_tolerance = 1e-10
    selections = ["time"]
    model = rr.model
    species = set(model.getFloatingSpeciesIds()) | set(model.getBoundarySpeciesIds())
    for v in header[1:]:
        selections.append(f"[{v}]" if v in species and v in settings.concentration else v)
    rr.timeCourseSelections = selections
    sim = rr.simulate(settings.start, settings.start + settings.duration, settings.steps + 1)
    sim = np.asarray(sim)[:, 1:]
    return ("pass", "") if within_rule(sim, expected[:, 1:], settings) else ("wrong", "values differ")


ENGINES = {"ivigsim": run_ivigsim, "roadrunner": run_roadrunner}


def run_case(case_dir, engine="ivigsim", timeout_s=CASE_TIMEOUT_S):
    """Run one case directory; return an :class:`Outcome`."""
    case_dir = Path(case_dir)
    tags = case_tags(case_dir)
    start = time.perf_counter()

    def on_alarm(signum, frame):
        raise CaseTimeout(f"no result within {timeout_s} s")

    previous = signal.signal(signal.SIGALRM, on_alarm) if timeout_s else None
    if timeout_s:
        signal.alarm(timeout_s)
    try:
        settings = read_settings(case_dir / f"{case_dir.name}-settings.txt")
        if model_file(case_dir) is None:
            outcome, reason = "refused", "no SBML file at a level the harness reads"
        elif settings is None:
            outcome, reason = "refused", "not a time course (a flux balance case: no start, duration, steps)"
        else:
            header, expected = read_expected(case_dir / f"{case_dir.name}-results.csv")
            outcome, reason = ENGINES[engine](case_dir, settings, header, expected)
    except CaseTimeout as exc:
        outcome, reason = "crash", f"timeout: {exc}"
    except Exception as exc:                                        # noqa: BLE001 (a crash is an outcome)
        outcome, reason = "crash", f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]
    finally:
        if timeout_s:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
    return Outcome(case_dir.name, outcome, reason, tags, round(time.perf_counter() - start, 2))


def results_markdown(outcomes, title, note=""):
    """The pass rate, the counts by outcome and the refusals by reason, as Markdown."""
    counts = Counter(o.outcome for o in outcomes)
    n = len(outcomes)
    lines = [f"# {title}", ""]
    if note:
        lines += [note, ""]
    rate = 100.0 * counts["pass"] / n if n else 0.0
    lines += [f"**{counts['pass']} of {n} cases pass ({rate:.1f} %).**", "",
              "| outcome | cases |", "|---|---:|"]
    lines += [f"| {k} | {counts[k]} |" for k in OUTCOMES]
    for kind, heading in (("refused", "Refusals by reason"), ("crash", "Crashes"),
                          ("wrong", "Wrong results")):
        group = [o for o in outcomes if o.outcome == kind]
        if not group:
            continue
        lines += ["", f"## {heading}", "", "| cases | reason | examples |", "|---:|---|---|"]
        by_reason = Counter(o.reason if kind != "wrong" else o.reason.split(":")[0] for o in group)
        for reason, k in by_reason.most_common():
            examples = [o.case for o in group
                        if (o.reason if kind != "wrong" else o.reason.split(":")[0]) == reason][:4]
            lines.append(f"| {k} | {reason.replace('|', '/')} | {', '.join(examples)} |")
    return "\n".join(lines) + "\n"


def _counts_row(label, outcomes):
    counts = Counter(o.outcome for o in outcomes)
    n = len(outcomes)
    rate = 100.0 * counts["pass"] / n if n else 0.0
    return (f"| {label} | {n} | {counts['pass']} ({rate:.1f} %) | {counts['wrong']} | "
            f"{counts['refused']} | {counts['crash']} |")


def comparison_markdown(outcomes, against, labels=("ivigsim", "libRoadRunner"), every=5, note="",
                        history=()):
    """RESULTS.md: both engines on all their common cases and on every ``every``-th of them,
    ivigsim's refusals by reason, and the cases where the two engines differ.

    ``history`` holds earlier table rows (Markdown lines) kept above the new ones.
    """
    mine = {o.case: o for o in outcomes}
    theirs = {o.case: o for o in against}
    common = sorted(set(mine) & set(theirs))
    # the sample by case number (1, 1 + every, ...), as --every selects it from a whole range
    sample = [c for c in common if (int(c) - 1) % every == 0]
    first, last = (int(common[0]), int(common[-1])) if common else (0, 0)
    span = f"cases {first}–{last}" if len(common) == last - first + 1 else \
        f"{len(common)} of cases {first}–{last}"
    lines = ["# SBML Test Suite: results", ""]
    if note:
        lines += [note, ""]
    lines += ["| run | cases | pass | wrong | refused | crash |", "|---|---:|---:|---:|---:|---:|"]
    lines += list(history)
    lines += [_counts_row(f"**{labels[0]}, {span}**", [mine[c] for c in common]),
              _counts_row(f"{labels[1]}, {span}", [theirs[c] for c in common]),
              _counts_row(f"{labels[0]}, every {every}th case", [mine[c] for c in sample]),
              _counts_row(f"{labels[1]}, every {every}th case", [theirs[c] for c in sample])]
    if len(theirs) > len(common):
        cases = sorted(theirs)
        lines.append(_counts_row(f"{labels[1]}, cases {int(cases[0])}–{int(cases[-1])}",
                                 [theirs[c] for c in cases]))
    seconds = sorted(mine[c].seconds for c in common)
    if seconds:
        lines += ["", f"{labels[0]} took {sum(seconds) / 60:.0f} min for the {len(common)} cases "
                      f"(median {seconds[len(seconds) // 2]:.2f} s a case, the slowest {seconds[-1]:.0f} s)."]
    only_mine = [c for c in common if mine[c].outcome == "pass" and theirs[c].outcome != "pass"]
    only_theirs = [c for c in common if theirs[c].outcome == "pass" and mine[c].outcome != "pass"]
    lines += ["", "## Where the two differ", "",
              f"{len(only_mine)} cases pass in {labels[0]} only, {len(only_theirs)} in {labels[1]} only.", "",
              f"{labels[0]} only: {', '.join(only_mine) or 'none'}.", "",
              f"{labels[1]} only: {', '.join(only_theirs) or 'none'}."]
    body = results_markdown([mine[c] for c in common], f"{labels[0]}, {span}")
    lines += [""] + ["#" + line if line.startswith("#") else line for line in body.splitlines()]
    for kind in ("wrong", "crash"):
        bad = [theirs[c] for c in common if theirs[c].outcome == kind]
        if bad:
            lines += ["", f"## {labels[1]}: {kind}", "",
                      ", ".join(f"{o.case} ({o.reason})" if o.reason else o.case for o in bad)]
    return "\n".join(lines) + "\n"


def select_cases(root, first=None, every=1, numbers=None):
    """Case directories under ``root`` in number order: the first ``first``, every ``every``-th,
    or only those numbered in ``numbers``."""
    cases = sorted(p for p in Path(root).iterdir() if p.is_dir() and p.name.isdigit())
    if first:
        cases = [c for c in cases if int(c.name) <= first]
    if numbers:
        cases = [c for c in cases if int(c.name) in set(numbers)]
    return cases[::every]


def set_kernel_style(style):
    """Give every model the ``"tape"`` or ``"straight"`` kernel, or (``"auto"``) pick by size."""
    from ivigsim.core.kernel import codegen
    default = getattr(set_kernel_style, "default", None)
    if default is None:
        default = set_kernel_style.default = codegen.TAPE_ABOVE
    codegen.TAPE_ABOVE = {"tape": -1, "straight": 1 << 62, "auto": default}[style]


STARTED = "started"


def read_outcomes(path):
    """Outcomes recorded in a JSON-lines file, the last record per case. A case started twice
    without an outcome is a crash (the process died in it both times, e.g. a segmentation fault in
    a native library); a case started once without one is left out, to be run again."""
    last, starts = {}, {}
    for line in Path(path).read_text().splitlines():
        if line.strip():
            record = json.loads(line)
            case = record["case"]
            if record["outcome"] == STARTED:
                starts[case] = starts.get(case, 0) + 1
                if starts[case] >= 2:
                    last[case] = dict(record, outcome="crash", reason="the process died while running it")
            else:
                starts[case] = 0
                last[case] = record
    return [Outcome(**last[case]) for case in sorted(last)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", help="a cases/semantic directory of the SBML Test Suite")
    parser.add_argument("--first", type=int, default=None, help="only cases numbered up to this")
    parser.add_argument("--every", type=int, default=1, help="every n-th case (a systematic sample)")
    parser.add_argument("--cases", default=None,
                        help="only these case numbers, comma-separated (e.g. 966,1466)")
    parser.add_argument("--engine", choices=sorted(ENGINES), default="ivigsim")
    parser.add_argument("--kernel", choices=("auto", "tape", "straight"), default="auto",
                        help="ivigsim's kernel style for every case (tape: the least compiling)")
    parser.add_argument("--numba-opt", choices=("0", "1", "2", "3"), default=None,
                        help="LLVM optimisation level of the kernels compiled here (NUMBA_OPT)")
    parser.add_argument("--results", default=None, help="write the Markdown table here")
    parser.add_argument("--json", default=None, help="write every case's outcome here (JSON lines)")
    parser.add_argument("--resume", action="store_true",
                        help="append to --json and skip the cases it already holds")
    parser.add_argument("--report", nargs="*", default=None, metavar="JSON",
                        help="only write the table from these JSON-lines files (later files win)")
    parser.add_argument("--against", default=None, metavar="JSON",
                        help="with --report: another engine's run of the same cases, for RESULTS.md "
                             "(--every is then the sample's step)")
    parser.add_argument("--note", default=None, metavar="FILE", help="with --against: text to open with")
    parser.add_argument("--history", default=None, metavar="FILE",
                        help="with --against: earlier table rows to keep above the new ones")
    args = parser.parse_args(argv)
    if args.report is not None:
        merged = {}
        for path in args.report:
            merged.update({o.case: o for o in read_outcomes(path)})
        outcomes = [merged[k] for k in sorted(merged)]
        if args.first:
            outcomes = [o for o in outcomes if int(o.case) <= args.first]
        if args.against:
            note = Path(args.note).read_text().strip() if args.note else ""
            history = Path(args.history).read_text().strip().splitlines() if args.history else ()
            text = comparison_markdown(outcomes, read_outcomes(args.against), note=note, history=history,
                                       every=args.every)
            if args.results:
                tmp = Path(args.results).with_suffix(".tmp")
                tmp.write_text(text)
                tmp.replace(args.results)
            print(text)
            return 0
        outcomes = outcomes[::args.every] if args.every > 1 else outcomes
        text = results_markdown(outcomes, f"SBML Test Suite: {args.engine}")
        if args.results:
            Path(args.results).write_text(text)
        print(text)
        return 0
    if args.resume and not args.json:
        parser.error("--resume needs --json FILE")
    if args.numba_opt is not None:
        if "numba" in sys.modules:
            parser.error("--numba-opt must be set before Numba is imported")
        os.environ["NUMBA_OPT"] = args.numba_opt
    numbers = [int(n) for n in args.cases.split(",")] if args.cases else None
    cases = select_cases(args.root, args.first, args.every, numbers)
    if args.engine == "ivigsim":
        set_kernel_style(args.kernel)
    outcomes = []
    done = {}
    if args.resume and Path(args.json).exists():
        done = {o.case: o for o in read_outcomes(args.json)}
    out = open(args.json, "a" if args.resume else "w") if args.json else None
    for case in cases:
        if case.name in done:
            outcomes.append(done[case.name])
            continue
        if out:
            out.write(json.dumps({"case": case.name, "outcome": STARTED}) + "\n")
            out.flush()
        o = run_case(case, args.engine)
        outcomes.append(o)
        print(f"{o.case} {o.outcome:8s} {o.seconds:7.2f}s {o.reason}", flush=True)
        if out:
            out.write(json.dumps(asdict(o)) + "\n")
            out.flush()
    text = results_markdown(outcomes, f"SBML Test Suite: {args.engine}")
    if args.results:
        Path(args.results).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
