"""Shared helpers of the fitting tests: copies of the didactic problem to edit."""

import shutil

from conftest import ROOT

DIDACTIC = ROOT / "fits" / "igg_course_didactic"
TRUE = {"cl_linear": 0.0036, "v_plasma": 0.045, "igg_production": 30.0}


def copy_problem(tmp_path, name="problem"):
    target = tmp_path / name
    shutil.copytree(DIDACTIC, target)
    return target


def edit(path, old, new):
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def multi_condition(tmp_path, sigma="0.08", extra_parameters="", prior=""):
    """The didactic problem plus a second condition: a 60 kg hypogammaglobulinaemic patient (synthesis
    clamped to 8 mg/kg/day in conditions.tsv) given one 0.4 g/kg infusion, with four made-up test data.
    The first patient's synthesis becomes the condition-specific parameter igg_production_a (PEtab style)."""
    d = copy_problem(tmp_path)
    (d / "conditions.tsv").write_text("conditionId\tconditionName\tigg_production\n"
                                      "course_2g_per_kg\t2 g/kg course\tigg_production_a\n"
                                      "hypo_replacement\t0.4 g/kg, synthesis 8 mg/kg/day\t8\n")
    edit(d / "parameters.tsv", "igg_production\t", "igg_production_a\t")
    with open(d / "ivigsim.toml", "a") as handle:
        handle.write("\n[conditions.hypo_replacement]\nbody_weight_kg = 60.0\nkind = \"ivig\"\n"
                     "dose_g_per_kg = 0.4\ndays = 1\ninfusion_hours = 4.0\n")
    rows = ["igg_total_serum\thypo_replacement\t0\t2.9\tb",
            "igg_total_serum\thypo_replacement\t2\t9.6\tb",
            "igg_total_serum\thypo_replacement\t14\t6.1\tb",
            "igg_total_serum\thypo_replacement\t28\t4.3\tb"]
    with open(d / "measurements.tsv", "a") as handle:
        handle.write("\n".join(rows) + "\n")
    if sigma != "0.08":
        edit(d / "observables.tsv", "\t0.08\t", f"\t{sigma}\t")
    if extra_parameters:
        with open(d / "parameters.tsv", "a") as handle:
            handle.write(extra_parameters)
    return d
