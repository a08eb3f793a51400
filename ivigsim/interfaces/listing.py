"""``ivigsim models`` and ``ivigsim experiments``: what ships, by name, with a card for each model."""

from __future__ import annotations

import json
import textwrap

from ivigsim.errors import IvigsimError

RUNTIMES_FILE = "runtimes.json"      # measured run times of the shipped experiments, beside them


def agent_model_paths():
    """Name -> path of every agent model (``models/agents/*.toml``)."""
    from ivigsim.core.agents.model import AGENT_DIR
    from ivigsim.core.catalogue import model_dirs
    found = {}
    for d in model_dirs():
        for path in sorted((d / AGENT_DIR).glob("*.toml")):
            found.setdefault(path.stem, path)
    return found


def load_any_model(name):
    """A reaction model or an agent model, by name or path."""
    from ivigsim.core.catalogue import did_you_mean, load_model, model_paths
    agents = agent_model_paths()
    if str(name) in agents:
        from ivigsim.core.agents.model import load_agent_model
        return load_agent_model(agents[str(name)])
    known = list(model_paths()) + list(agents)
    if str(name) not in known and not str(name).endswith(".toml"):
        raise IvigsimError(f"no model named '{name}'{did_you_mean(name, known)}; "
                           f"known models: {', '.join(sorted(known))}")
    return load_model(name)


def add_models_parser(sub):
    p = sub.add_parser("models", help="list models and their mechanisms; print one model's card",
                       description="List the shipped reaction and agent models, or print one model's card: "
                                   "its mechanisms, species, parameters with sources, equations (ODEs, "
                                   "rate laws, observables, generated from the parsed model) and "
                                   "validation targets.")
    p.add_argument("--card", metavar="NAME", help="print one model's card")
    p.add_argument("--format", choices=("text", "md", "html", "tex"), default="text",
                   help="with --card: plain text (default), Markdown, HTML (MathML equations) or LaTeX")
    p.add_argument("--check", action="store_true",
                   help="with --card: also simulate the model's validation targets now")
    p.set_defaults(func=cmd_models)
    return p


def cmd_models(args):
    from ivigsim.interfaces.cards import model_card
    from ivigsim.core.catalogue import load_model, model_paths
    if args.card:
        print(model_card(load_any_model(args.card), check=args.check, format=args.format))
        return 0
    for name, path in sorted(model_paths().items()):
        spec = load_model(path)
        print(f"{name:22s} {spec.n_species:3d} species {len(spec.reactions):3d} reactions  "
              f"mechanisms: {', '.join(spec.mechanism_names)}")
    from ivigsim.core.agents.model import load_agent_model
    for name, path in agent_model_paths().items():
        model = load_agent_model(path)
        print(f"{name:22s} agent-based model, {len(model.parameters)} parameters "
              "(ivigsim simulate runs it; drivers from ivig_antitumour)")
    return 0


def measured_runtimes():
    """Experiment name -> seconds, as measured and stored in ``experiments/runtimes.json``."""
    from ivigsim.core.catalogue import experiments_dir
    folder = experiments_dir()
    path = folder / RUNTIMES_FILE if folder else None
    if path is None or not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))["seconds"]


def experiment_rows():
    """One dict per shipped experiment: name, description, model, points, expected seconds."""
    from ivigsim.core.catalogue import experiment_paths, load_model
    from ivigsim.sweep.experiment import load_experiment
    from ivigsim.sweep.samplers import sample_points
    from ivigsim.analysis.regression.core import missing_extra
    runtimes = measured_runtimes()
    rows = []
    for name, path in experiment_paths().items():
        lacking = missing_extra(path)
        if lacking is not None:             # cannot be read without its extra: say so, from the raw file
            import tomllib
            header = tomllib.loads(path.read_text(encoding="utf-8")).get("experiment", {})
            rows.append({"name": name, "description": " ".join(str(header.get("description", "")).split()),
                         "model": header.get("model", "?"), "points": None, "expected_seconds": runtimes.get(name),
                         "needs": f"needs the '{lacking[0]}' extra: pip install 'ivigsim[{lacking[0]}]'"})
            continue
        experiment = load_experiment(path)
        points = sample_points(experiment, load_model(experiment.model))
        rows.append({"name": name, "description": " ".join(experiment.description.split()),
                     "model": experiment.model, "points": len(points),
                     "expected_seconds": runtimes.get(name), "needs": ""})
    return rows


def add_experiments_parser(sub):
    p = sub.add_parser("experiments", help="list the shipped experiments, runnable by name",
                       description="List the shipped experiments with a one-line description, the model, "
                                   "the number of points and the expected run time (measured on two cores). "
                                   "Run one with 'ivigsim run NAME'.")
    p.set_defaults(func=cmd_experiments)
    return p


def cmd_experiments(args):
    rows = experiment_rows()
    for row in rows:
        seconds = row["expected_seconds"]
        when = "unmeasured" if seconds is None else "< 1 s" if seconds < 1 else f"~{seconds:.0f} s"
        points = f"{row['points']:6d}" if row["points"] is not None else "     ?"
        print(f"{row['name']:24s} {points} points  {when:>8s}  model {row['model']}"
              + (f"  ({row['needs']})" if row["needs"] else ""))
        print(textwrap.indent(textwrap.fill(row["description"], 84), " " * 4))
    print("run one with: ivigsim run NAME [--out DIR]")
    return 0
