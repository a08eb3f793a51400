"""The ``ivigsim`` command line: a thin shell over the Python API."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

from ivigsim.errors import IvigsimError
from ivigsim.analysis.fitting.cli import positive_int
from ivigsim.interfaces.cli_args import add_course_arguments, course_regimen, parameter_overrides
from ivigsim.sweep.interrupts import RunInterrupted, interrupts_kept, raise_lost_interrupt, signal_number
from ivigsim.sweep.store import staged_outputs

# The first four of these a model has are plotted by default.
DEFAULT_PLOTS = ("igg_total", "autoantibody", "autoantibody_free", "platelets", "tumour", "foci", "il12",
                 "nk_activated", "igg_endogenous", "ivig", "ivig_plasma")


def _is_agent_model(name):
    from ivigsim.core.agents.model import agent_model_path
    try:
        agent_model_path(name)
    except IvigsimError:
        return False
    return True


def _cmd_simulate_agents(args):
    """Agent replicates treated vs untreated, against the ODE model's foci."""
    from ivigsim.core.agents import simulate_agents
    from ivigsim.core.regimen import Regimen
    from ivigsim.core.simulation import simulate

    t_end = args.t_end if args.t_end is not None else 14.0
    regimen = course_regimen(args) or Regimen.none()
    seed = args.seed if args.seed is not None else 7
    runs = {"treated": simulate_agents(args.model, regimen=regimen, t_end=t_end, seed=seed,
                                       replicates=args.replicates),
            "untreated": simulate_agents(args.model, regimen=Regimen.none(), t_end=t_end, seed=seed,
                                         replicates=args.replicates)}
    ode = {label: simulate("ivig_antitumour", regimen=reg, t_end=t_end)
           for label, reg in (("treated", regimen), ("untreated", Regimen.none()))}
    print(f"{args.model}: {regimen.describe()}, {t_end:g} days, {args.replicates} replicates, seed {seed}")
    for label, res in runs.items():
        print(f"--- {label} (ODE ivig_antitumour foci: {ode[label]['foci'][-1]:.1f})")
        print(res.summary())
    if args.out:
        out = output_directory(args)
        with staged_outputs(out) as staging:
            written = _write_agent_outputs(staging, runs, ode, t_end)
        print(f"wrote {out}/: {', '.join(written)}")
    return 0


def _write_agent_outputs(out, runs, ode, t_end):
    """Per-replicate foci, the agents' figures and the foci distribution against the ODE."""
    import numpy as np

    from ivigsim.interfaces.plotting import PALETTE
    from ivigsim.interfaces.style import pyplot as _pyplot
    for label, res in runs.items():
        res.plot(out / f"agents_{label}.png")
        np.savetxt(out / f"foci_{label}.csv", res.foci_counts, fmt="%d", header="lung foci per replicate")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    for colour, (label, res) in zip(PALETTE, runs.items()):
        ax.hist(res.foci_counts, bins=30, alpha=0.55, color=colour, label=f"agents, {label}")
        ax.axvline(ode[label]["foci"][-1], color=colour, ls="--", label=f"ODE, {label}")
    ax.set_xlabel(f"lung foci at day {t_end:g} [foci]")
    ax.set_ylabel("replicates [count]")
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))    # off the bars
    fig.savefig(out / "foci_distribution.png", dpi=130)
    plt.close(fig)
    labels = list(runs)
    return ["foci_distribution.png"] + [f"agents_{x}.png" for x in labels] + [f"foci_{x}.csv" for x in labels]


def _cmd_simulate(args):
    if args.out:        # refused before the simulation, not after it
        from ivigsim.sweep.store import check_output_directory
        check_output_directory(args.out, args.overwrite)
    if _is_agent_model(args.model):
        return _cmd_simulate_agents(args)
    from ivigsim.core.catalogue import load_model
    from ivigsim.interfaces.plotting import plot_trajectories
    from ivigsim.core.regimen import Regimen
    from ivigsim.core.simulation import simulate
    from ivigsim.core.summary import compare_to_untreated, format_table, regimen_rows, write_rows

    spec = load_model(args.model)
    regimen = course_regimen(args) or Regimen.none()
    t_end = args.t_end if args.t_end is not None else max(args.every * args.cycles, 90.0)
    params = parameter_overrides(args)
    weight = None
    if "body_weight" in spec.parameter_names:
        weight = args.weight if args.weight is not None else \
            spec.parameters[spec.parameter_index("body_weight")].value
    kwargs = dict(t_end=t_end, body_weight_kg=weight, params=params, rtol=args.rtol, method=args.method,
                  seed=args.seed)
    if args.method != "ode":
        kwargs["ssa_scale"] = args.ssa_scale
    treated = simulate(spec, regimen=regimen, **kwargs)
    untreated = simulate(spec, t_eval=treated.t, **kwargs)
    if args.plot:
        names = plot_names(args.plot, treated)
    else:
        names = [n for n in DEFAULT_PLOTS if n in treated][:4] or list(spec.observable_names[:4])
    rows = compare_to_untreated(treated, untreated)
    viscosity = float(treated["serum_viscosity_cp"].max()) if "serum_viscosity_cp" in treated else None
    reg = regimen_rows(regimen, weight or 1.0, peak_viscosity_cp=viscosity) if regimen.administrations else None
    print(f"{spec.name}: {regimen.describe()}, {t_end:g} days"
          + (f", {weight:g} kg" if weight else ""))
    if reg:
        print(f"IgG given: {reg['grams_given']:.1f} g; cost at ${reg['price_usd_per_g']:.0f}/g: "
              f"${reg['cost_usd']:,.0f}; max infusion rate {reg['max_rate_mg_per_kg_per_min']:.2f} mg/kg/min")
        if reg["safety_flags"]:
            print(f"safety: {reg['safety_flags']}")
    print(format_table(rows, ["output", "unit", "baseline", "peak", "peak_day", "nadir", "nadir_day",
                              "largest_change_vs_untreated_pct", "largest_change_day"]))
    if any(r["largest_change_vs_untreated_pct"] != r["largest_change_vs_untreated_pct"] for r in rows):
        print("n/a: the output is zero without treatment, so a change against untreated is undefined")
    if args.out:
        out = output_directory(args)
        with staged_outputs(out) as staging:
            treated.to_csv(staging / "trajectory.csv")
            untreated.to_csv(staging / "trajectory_untreated.csv")
            write_rows(rows, staging / "summary.csv")
            if reg:
                write_rows([reg], staging / "regimen.csv")
            plot_trajectories({regimen.describe() if reg else "simulated": treated, "untreated": untreated},
                              names, staging / "figure.png", title=f"{spec.name}")
        written = ["trajectory.csv", "trajectory_untreated.csv", "summary.csv"] + (["regimen.csv"] if reg else []) \
            + ["figure.png"]
        print(f"wrote {out}/: {', '.join(written)}")
    return 0


def output_directory(args):
    """``--out`` checked (a new or empty directory, unless --overwrite) and created."""
    from ivigsim.sweep.store import check_output_directory, make_directory
    out = check_output_directory(args.out, getattr(args, "overwrite", False))
    return make_directory(out)


def plot_names(text, result):
    """The outputs named in ``--plot``; an unknown name is refused with the known ones."""
    import difflib
    names = [n.strip() for n in text.split(",") if n.strip()]
    known = list(result.model.observable_names) + list(result.model.species_names)
    for name in names:
        if name not in result:
            hint = difflib.get_close_matches(name, known, n=1)
            more = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise IvigsimError(f"--plot: model '{result.model.name}' has no output '{name}'{more}; "
                               f"outputs: {', '.join(known)}")
    if not names:
        raise IvigsimError("--plot expects comma-separated output names, e.g. --plot igg_total,ivig")
    return names


def _cmd_run(args):
    from ivigsim.interfaces.runs import run_experiment
    if args.resume and args.out and Path(args.out) != Path(args.resume):
        raise IvigsimError("give either --out or --resume DIR (the directory to finish), not both")
    out = args.resume or args.out
    if args.resume and args.overwrite:
        raise IvigsimError("give either --resume (finish the run there) or --overwrite (start it again), "
                           "not both")
    res = run_experiment(args.experiment, out=out, workers=args.workers, scheduler=args.scheduler,
                         resume=bool(args.resume), progress=not args.quiet, overwrite=args.overwrite)
    prov = res.provenance
    frame = res.metrics
    metric_names = [c for c in frame.attrs.get("units", {})]
    undefined = f", {prov['n_undefined']} with undefined metrics" if prov.get("n_undefined") else ""
    print(f"{prov['experiment']}: {prov['n_points']} points on model {prov['model']}, "
          f"{prov['n_failed']} failed{undefined}, {prov['wall_seconds']:.1f} s "
          f"({prov['simulations_per_second']} simulations/s, {prov['executor']})")
    if metric_names:
        print(res.summary())
        ok = frame[frame["status"] != "failed"]
        missing = {c: int(ok[c].isna().sum()) for c in metric_names if ok[c].isna().any()}
        if missing:
            print("undefined (left out of the summary): "
                  + ", ".join(f"{c} at {n} point{'s' * (n != 1)}" for c, n in missing.items()))
    for row in prov.get("failures", [])[:5]:
        reason = str(row["reason"])
        verb = "undefined" if reason.startswith("undefined: ") else "failed"
        print(f"  point {row['point_id']} {verb}: {reason.removeprefix('undefined: ')}")
    from ivigsim.interfaces.run_summary import written_files
    print(f"wrote {written_files(res.path)}")
    print(f"report: {res.path / 'report.html'}")
    return 0


def build_parser():
    from ivigsim.version import __version__
    parser = argparse.ArgumentParser(prog="ivigsim", description="In-silico mechanism simulator for IVIG therapy.")
    parser.add_argument("--version", action="version", version=f"ivigsim {__version__}")
    parser.add_argument("--quiet", dest="global_quiet", action="store_true",
                        help="no progress bars or compilation notes (also IVIGSIM_QUIET=1)")
    sub = parser.add_subparsers(dest="command", required=True)

    from ivigsim.interfaces.listing import add_experiments_parser, add_models_parser
    add_models_parser(sub)
    add_experiments_parser(sub)

    p = sub.add_parser("simulate", help="simulate a model under an IVIG regimen",
                       description="Simulate one patient on a model, treated with a standard IVIG course "
                                   "and untreated; print peak, nadir and change against untreated per "
                                   "output, and with --out write trajectories, a summary and a figure.")
    add_course_arguments(p)
    p.add_argument("--t-end", type=float, help="days to simulate (default: cycles x every, at least 90)")
    p.add_argument("--plot", help="comma-separated outputs to plot")
    p.add_argument("--rtol", type=float, default=1e-6, help="relative tolerance (default 1e-6)")
    p.add_argument("--method", choices=("ode", "ssa", "tau_leaping"), default="ode",
                   help="deterministic ODE (default), exact stochastic simulation, or tau-leaping")
    p.add_argument("--seed", type=int, help="random seed for stochastic methods")
    p.add_argument("--ssa-scale", type=float, help="counts per amount unit for molar species (stochastic)")
    p.add_argument("--replicates", type=int, default=200, help="agent-based models: replicates (default 200)")
    p.add_argument("--out", help="directory for trajectory.csv, summary.csv and figure.png "
                                 "(new or empty, unless --overwrite)")
    p.add_argument("--overwrite", action="store_true", help="write into a non-empty --out, replacing files")
    p.set_defaults(func=_cmd_simulate)

    p = sub.add_parser("run", help="run a parameter sweep declared in an experiment file",
                       description="Run every point of an experiment (a shipped one by name, see "
                                   "'ivigsim experiments', or a file) and write metrics, trajectories, "
                                   "figures, provenance and report.html.")
    p.add_argument("experiment", help="a shipped experiment's name (e.g. fcrn_dose_response) or a file")
    p.add_argument("--out", help="output directory, new or empty (default results/<experiment name>)")
    p.add_argument("--overwrite", action="store_true",
                   help="write into a non-empty --out, replacing an earlier run's results")
    p.add_argument("--workers", type=positive_int, help="threads on this machine (default: all cores)")
    p.add_argument("--scheduler", help="dask.distributed scheduler address, e.g. tcp://host:8786")
    p.add_argument("--resume", metavar="DIR", help="finish an interrupted run in DIR")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_run)

    from ivigsim.analysis.validation.cli import add_validate_parser
    add_validate_parser(sub)
    from ivigsim.io.sbml.cli import add_sbml_parsers
    add_sbml_parsers(sub)
    from ivigsim.analysis.comparison.cli import add_compare_parser
    add_compare_parser(sub)
    from ivigsim.analysis.regression.cli import add_regress_parser
    add_regress_parser(sub)
    from ivigsim.interfaces.demo.cli import add_demo_parser
    add_demo_parser(sub)
    from ivigsim.analysis.fitting.cli import add_fit_parser
    add_fit_parser(sub)
    _describe_every_subcommand(sub)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"ivigsim: warning: {message}", file=sys.stderr)


def _describe_every_subcommand(sub):
    """A subcommand without a description of its own shows its one-line help atop ``--help``."""
    for action in sub._choices_actions:
        parser = sub.choices[action.dest]
        if not parser.description and action.help:
            parser.description = action.help[0].upper() + action.help[1:] + "."


def main(argv=None):
    args = build_parser().parse_args(argv)
    import contextlib

    from ivigsim.interfaces.progress import quiet
    # --quiet silences this command only: a caller of main() in the same process keeps its progress.
    silence = quiet() if args.global_quiet or getattr(args, "quiet", False) else contextlib.nullcontext()
    try:
        with warnings.catch_warnings(), silence, interrupts_kept():
            warnings.showwarning = _show_warning
            # Numba's notice that the solver passes compiled functions as arguments, printed with
            # terminal colour codes on a cold cache: about Numba's internals, nothing a user can act on.
            warnings.filterwarnings("ignore", message=".*First-class function type feature is experimental")
            code = args.func(args)
            raise_lost_interrupt()      # a Ctrl-C that landed in a finalizer still stops with 130
            return code
    except RunInterrupted as exc:
        print(f"ivigsim: {exc}", file=sys.stderr)
        return exc.exit_code
    except IvigsimError as exc:  # RegimenError and every other refusal
        print(f"ivigsim: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        print("ivigsim: interrupted", file=sys.stderr)
        return 128 + int(signal_number(exc))
    except BrokenPipeError:
        # The reader went away (`ivigsim models | head -1`): stop quietly, and keep
        # Python from complaining again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:
        # A full disk or a permission refused while writing: no traceback.
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"ivigsim: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
