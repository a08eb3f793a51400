"""A fit's output directory: tables, figures, ``report.html`` and ``provenance.json``.

Everything is written into a temporary sibling directory that is renamed to
``out`` at the end, so ``out`` either holds a complete result or does not
exist. An existing non-empty ``out`` is refused, never overwritten.

Files:

``best_parameters.toml``  ``[parameters]`` table an experiment file (or ``simulate(params=...)``) accepts
``best_parameters.csv``   parameter, value, unit (the same values)
``parameters.csv``        estimates with profile and Wald 95 % intervals and identifiability
``starts.csv``            every start sorted by objective, with its status and reason
``correlation.csv``       correlation matrix of the estimates at the optimum
``profiles.csv``          every profile point
``fit.png``, ``residuals.png``, ``waterfall.png``, ``profiles.png``
``report.html``           all of the above on one self-contained page
``provenance.json``       versions, problem hash, settings, timings
``problem/``              the problem as fitted (PEtab tables, ``ivigsim.toml``, ``model.xml``)
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import platform
import shutil
import sys
from pathlib import Path

import numpy as np

from ivigsim.errors import IvigsimError
from ivigsim.analysis.fitting.tables import format_number, write_text


class OutputDirectoryError(IvigsimError, ValueError):
    """The output directory cannot be used (it exists and is not empty)."""


FIGURES = {"fit.png": "fit", "residuals.png": "residuals", "waterfall.png": "waterfall",
           "profiles.png": "profiles"}


def write_outputs(result, out):
    """Write every output of ``result`` into the new directory ``out``; returns its path."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OutputDirectoryError(f"--out {out}: exists and is not empty; choose a new directory "
                                   "(fit results are never written over)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.{os.getpid()}.partial"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        _write_all(result, tmp)
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _csv_text(header, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([format_number(v) if isinstance(v, float) and np.isfinite(v) else
                         ("" if isinstance(v, float) else v) for v in row])
    return buffer.getvalue()


def _write_all(result, directory):
    import matplotlib
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    problem = result.problem
    spec = problem.spec
    best = result.best_parameters
    units = {p.name: str(p.unit) for p in spec.parameters}
    lines = [f"# Best parameters of fit problem '{problem.name}' (model '{spec.name}'),",
             f"# negative log-likelihood {result.value:.10g}. Use as an experiment file's [parameters]",
             "# table, or pass to ivigsim.simulate(params=...).", "", "[parameters]"]
    lines += [f"{name} = {format_number(float(value))}    # {units[name]}" for name, value in best.items()]
    write_text(directory / "best_parameters.toml", "\n".join(lines) + "\n")
    write_text(directory / "best_parameters.csv",
               _csv_text(["parameter", "value", "unit"], [(n, float(v), units[n]) for n, v in best.items()]))
    write_text(directory / "parameters.csv", _csv_text(
        ["parameter", "unit", "estimate", "ci_lower", "ci_upper", "wald_lower", "wald_upper", "identifiable",
         "note"], result.intervals()))
    names = result.objective.names
    starts = sorted(result.starts, key=lambda s: (s.objective, s.index))
    write_text(directory / "starts.csv", _csv_text(
        ["rank", "start", "objective", "status", "evaluations", "seconds", *names, *(f"start_{n}" for n in names),
         "reason"],
        [(rank + 1, s.index, float(s.objective), "ok" if s.ok else "failed", s.n_evaluations, round(s.seconds, 4),
          *[float(v) for v in s.x], *[float(v) for v in s.x0], s.reason) for rank, s in enumerate(starts)]))
    write_text(directory / "correlation.csv", _csv_text(
        ["parameter", *names], [(n, *map(float, row)) for n, row in zip(names, result.wald.correlation)]))
    write_text(directory / "profiles.csv", _csv_text(
        ["parameter", "value_on_scale", "objective"],
        [(prof.name, float(x), float(v)) for prof in result.profiles for x, v in zip(prof.x, prof.objective)]))
    for name, kind in FIGURES.items():
        if kind == "profiles" and not result.profiles:
            continue
        axes = result.plot(kind)
        figure = np.atleast_1d(axes)[0].figure
        figure.savefig(directory / name, dpi=110)
        plt.close(figure)
    prov = provenance(result)
    write_text(directory / "provenance.json", json.dumps(prov, indent=2) + "\n")
    try:
        problem.to_petab(directory / "problem", sbml=True)
    except IvigsimError:            # python-libsbml missing: the tables still travel
        shutil.rmtree(directory / "problem", ignore_errors=True)
        problem.to_petab(directory / "problem", sbml=False)
    from ivigsim.analysis.fitting.report import write_report
    write_report(result, directory, prov)


def problem_hash(problem):
    """SHA-256 over the problem's files as read (tables, settings, model)."""
    digest = hashlib.sha256()
    directory = Path(problem.directory)
    for name in sorted(p.name for p in directory.iterdir() if p.is_file() and p.suffix in (".tsv", ".toml", ".yaml")):
        digest.update(name.encode())
        digest.update((directory / name).read_bytes())
    digest.update(spec_bytes(problem.spec))
    return digest.hexdigest()


def spec_bytes(spec):
    return Path(spec.path).read_bytes() if spec.path and Path(spec.path).is_file() else spec.name.encode()


def provenance(result):
    from importlib.metadata import PackageNotFoundError, version
    import scipy
    import ivigsim
    try:
        numba_version = version("numba")
    except PackageNotFoundError:      # pragma: no cover
        numba_version = "unknown"
    problem = result.problem
    return {
        "problem": problem.name, "problem_directory": str(Path(problem.directory).resolve()),
        "problem_sha256": problem_hash(problem), "model": problem.spec.name, "model_file": problem.spec.path,
        "model_fingerprint": problem.spec.fingerprint(), "seed": problem.seed, "n_starts": len(result.starts),
        "workers": result.workers, "rtol": problem.rtol,
        "optimiser": "scipy.optimize.least_squares (trf)" if result.objective.least_squares
        else "scipy.optimize.minimize (L-BFGS-B)",
        "gradient": "forward finite differences, one compiled batch per condition",
        "best_objective": result.value, "best_start": result.best.index,
        "estimates": result.estimates, "seconds": result.seconds,
        "versions": {"ivigsim": ivigsim.__version__, "python": sys.version.split()[0], "numpy": np.__version__,
                     "scipy": scipy.__version__, "numba": numba_version},
        "platform": platform.platform(),
    }
