"""Write a :class:`~ivigsim.analysis.fitting.problem.FitProblem` back out as a problem directory.

The directory holds the PEtab v1 tables, ``problem.yaml``, ``model.xml`` (the
SBML that ``ivigsim export-sbml`` writes, for the first condition's patient
and regimen) and ``ivigsim.toml``. Reading it back with
:func:`~ivigsim.analysis.fitting.problem.load_problem` gives the same objective at the
same parameters. A model given as a file travels with it as ``model.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ivigsim.analysis.fitting.tables import PROBLEM_YAML, FitProblemError, format_number, write_table, write_text


def write_problem(problem, directory, sbml=True):
    """Write ``problem`` into ``directory`` (created; must not hold a problem already).

    Parameters
    ----------
    problem : FitProblem
    directory : str or path
    sbml : bool
        Also write ``model.xml`` (needs python-libsbml, the ``sbml`` extra).

    Returns
    -------
    Path
        The directory.
    """
    directory = Path(directory)
    if (directory / "problem.yaml").exists():
        raise FitProblemError(directory, "", "already holds a fit problem (problem.yaml); choose a new directory")
    directory.mkdir(parents=True, exist_ok=True)
    model = problem.model
    if model.endswith(".toml"):
        shutil.copyfile(problem.spec.path, directory / "model.toml")
        model = "model.toml"
    write_text(directory / "problem.yaml", PROBLEM_YAML)
    write_text(directory / "ivigsim.toml", _settings_toml(problem, model))
    _write_tables(problem, directory)
    if sbml:
        from ivigsim.io.sbml import export_sbml
        first = problem.conditions[0]
        fixed = {p.name: p.nominal for p in problem.parameters if not p.is_noise}
        fixed.update((k, fixed.get(v, problem.parameter(v).nominal) if isinstance(v, str) else v)
                     for k, v in first.clamps)
        fixed = {k: v for k, v in fixed.items() if k in problem.spec.parameter_names}
        text = export_sbml(problem.spec, regimen=first.regimen.build(), params=fixed,
                           body_weight_kg=first.body_weight_kg if "body_weight" in problem.spec.parameter_names
                           else None)
        write_text(directory / "model.xml", text)
    if problem.readme:
        write_text(directory / "README.md", problem.readme)
    return directory


def _toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return format_number(value) if isinstance(value, float) else str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _settings_toml(problem, model):
    lines = ["# ivigsim's side of a fit problem: the model and each condition's regimen.", "",
             "[fit]", f"model = {_toml_value(model)}", f"seed = {problem.seed}",
             f"n_starts = {problem.n_starts}", f"t_end_days = {_toml_value(float(problem.t_end_days))}",
             f"rtol = {_toml_value(float(problem.rtol))}"]
    for c in problem.conditions:
        lines += ["", f"[conditions.{c.name}]"]
        if c.body_weight_kg is not None:
            lines.append(f"body_weight_kg = {_toml_value(float(c.body_weight_kg))}")
        lines += ["", f"[conditions.{c.name}.regimen]", f"kind = {_toml_value(c.regimen.kind)}"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in c.regimen.arguments.items()]
    return "\n".join(lines) + "\n"


def _write_tables(problem, directory):
    clamp_columns = sorted({name for c in problem.conditions for name, _ in c.clamps})
    write_table(directory / "conditions.tsv", ["conditionId", "conditionName", *clamp_columns],
                [[c.name, c.label, *(dict(c.clamps).get(n, "") for n in clamp_columns)]
                 for c in problem.conditions])
    write_table(directory / "observables.tsv",
                ["observableId", "observableFormula", "observableTransformation", "noiseFormula",
                 "noiseDistribution"],
                [[o.name, o.formula, o.transformation, o.noise_formula, o.noise_distribution]
                 for o in problem.observables])
    m = problem.measurements
    has_noise = any(o.noise_formula.startswith("noiseParameter1_") for o in problem.observables)
    observables = {o.name: o for o in problem.observables}
    columns = ["observableId", "simulationConditionId", "time", "measurement"]
    columns += ["noiseParameters"] if has_noise else []
    columns += ["datasetId", "replicateId"]
    rows = []
    for i in range(len(m)):
        row = [m.observable[i], m.condition[i], float(m.time[i]), float(m.value[i])]
        if has_noise:
            placeholder = observables[m.observable[i]].noise_formula.startswith("noiseParameter1_")
            row.append((m.noise[i] if isinstance(m.noise[i], str) else float(m.noise[i])) if placeholder else "")
        rows.append(row + [m.dataset[i], m.replicate[i]])
    write_table(directory / "measurements.tsv", columns, rows)
    has_prior = any(p.prior_type for p in problem.parameters)
    columns = ["parameterId", "parameterName", "parameterScale", "lowerBound", "upperBound", "nominalValue",
               "estimate"] + (["objectivePriorType", "objectivePriorParameters"] if has_prior else [])
    rows = []
    for p in problem.parameters:
        row = [p.name, p.label, p.scale, float(p.lower), float(p.upper), float(p.nominal), int(p.estimate)]
        if has_prior:
            row += [p.prior_type, ";".join(format_number(v) for v in p.prior_parameters)]
        rows.append(row)
    write_table(directory / "parameters.tsv", columns, rows)
