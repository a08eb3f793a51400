"""``report.html``: one finished sweep as a page a reader can follow without the files.

:func:`write_report` writes a single self-contained HTML file into a sweep's
run directory: styles inline, figures embedded as base64 PNG, no external
requests, so it can be mailed or archived on its own.  Everything on the page
is generated from the experiment file, the model file and the results, so it
cannot drift from what was run.  The sections:

1. the question: the experiment's name and description, and how many
   simulations were run;
2. what was run: the notes at the top of the experiment file, the model (mechanisms on or off as used, species,
   parameters with units and sources, observables, the equations, references), the
   simulation settings, the regimens in words with grams, cost and safety
   flags, the sweep and the metrics with their definitions and units;
3. the figures the experiment asks for, with captions;
4. the results: the metrics per regimen (median and 5-95 % range) or, for a
   small sweep, every point; the failed points with their reasons; Sobol or
   Morris indices for a sensitivity sweep;
5. provenance: versions, git commit, file hash, model fingerprint, solver
   settings, executor, timing and platform.

Every piece of text that comes from a file is escaped, so a description
cannot inject markup into the page.
"""

from __future__ import annotations

import re
from pathlib import Path

from ivigsim.io.html import CSS, escape, paragraph, plural
from ivigsim.interfaces._report_setup import what_was_run
from ivigsim.interfaces._report_results import figures, provenance, results_section
from ivigsim.interfaces._report_text import FEW_POINTS, MAX_LISTED_FAILURES


__all__ = ["write_report", "REPORT_NAME", "FEW_POINTS", "MAX_LISTED_FAILURES"]

#: File name of the report inside a run directory.
REPORT_NAME = "report.html"


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def write_report(experiment, spec, results, path) -> Path:
    """Write ``report.html`` for a finished sweep.

    Parameters
    ----------
    experiment : ivigsim.sweep.experiment.Experiment
        The experiment that was run.
    spec : ivigsim.core.spec.ModelSpec
        The model it was run on.
    results : ivigsim.sweep.run.ExperimentResults
        Its metrics, provenance and (for a sensitivity sweep) indices.
    path : str or Path
        The run directory (the report is written into it as ``report.html``)
        or the ``.html`` file to write.  Figures are read from the
        ``figures/`` folder beside the report.

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    if path.suffix.lower() != ".html":
        path = path / REPORT_NAME
    run_dir = path.parent
    notes = _file_notes(_experiment_text(experiment, run_dir))
    sections = [
        what_was_run(experiment, spec, notes),
        figures(experiment, spec, run_dir / "figures"),
        results_section(experiment, spec, results),
        provenance(results.provenance),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    page = _page(f"{experiment.name}: ivigsim report", _question(experiment, spec, results), sections)
    path.write_text(page, encoding="utf-8")
    return path


def _page(title, header, sections) -> str:
    nav = "".join(f'<li><a href="#{anchor}">{escape(heading)}</a></li>'
                  for anchor, heading in (("what-was-run", "What was run"), ("figures", "Figures"),
                                          ("results", "Results"), ("provenance", "Provenance")))
    return ("<!DOCTYPE html>\n"
            f'<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{escape(title)}</title>\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<style>{CSS}</style>\n</head>\n<body>\n<main>\n{header}\n"
            f"<nav><ul>{nav}</ul></nav>\n" + "\n".join(sections) + "\n</main>\n</body>\n</html>\n")


# ---------------------------------------------------------------------------
# The experiment file's own notes
# ---------------------------------------------------------------------------


def _experiment_text(experiment, run_dir) -> str:
    for candidate in (Path(experiment.path), run_dir / "experiment.toml"):
        try:
            return candidate.read_text(encoding="utf-8")
        except OSError:
            continue
    return ""


def _file_notes(text) -> dict:
    """The comment block at the top of an experiment file and the comments on its table headers.

    Returns ``{"": header comment, "metrics.nadir": comment, ...}``.
    """
    notes, header = {}, []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            header.append(stripped[1:][1:] if stripped[1:2] == " " else stripped[1:])
        elif stripped:
            break
        elif header:
            header.append("")
    notes[""] = "\n".join(header).strip()
    for match in re.finditer(r"^\s*\[+\s*([^\]]+?)\s*\]+\s*#\s?(.*)$", text, re.M):
        notes[match.group(1)] = match.group(2).strip()
    return notes


# ---------------------------------------------------------------------------
# 1. The question
# ---------------------------------------------------------------------------


def _question(experiment, spec, results) -> str:
    frame = results.metrics
    n_failed = int((frame["status"] == "failed").sum())
    n_undefined = int((frame["status"] == "undefined").sum())
    sweep = experiment.sweep
    summary = (f"{plural(len(frame), 'simulation')} of the model {spec.name} "
               f"({plural(len(experiment.regimens), 'regimen')} x {plural(sweep.size, 'sweep point')} x "
               f"{plural(experiment.replicates, 'replicate')}), each over {experiment.t_end_days:g} days; "
               f"{n_failed} failed"
               + (f", {n_undefined} with a metric that has no value there (status undefined)." if n_undefined
                  else "."))
    parts = [f"<h1>{escape(experiment.name)}</h1>"]
    if experiment.description:
        parts.append(paragraph(experiment.description, "lead"))
    parts.append(paragraph(summary))
    return "<header>\n" + "\n".join(parts) + "\n</header>"
