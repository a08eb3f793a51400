"""Layers point one way; heavy libraries stay where they belong."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "ivigsim"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)

# Lower layers must not import higher ones (module name prefixes).
FORBIDDEN = {
    "units": ["ivigsim."],
    "expressions": ["ivigsim.core.spec", "ivigsim.core.kernel", "ivigsim.core.solvers", "ivigsim.core.simulation"],
    "spec": ["ivigsim.core.kernel", "ivigsim.core.solvers", "ivigsim.core.simulation", "ivigsim.sweep.run", "ivigsim.core.regimen"],
    "kernel": ["ivigsim.core.solvers", "ivigsim.core.simulation", "ivigsim.core.regimen", "ivigsim.sweep.run",
               "ivigsim.sweep.experiment", "ivigsim.sweep.ensemble"],
    "solvers": ["ivigsim.core.simulation", "ivigsim.core.regimen", "ivigsim.core.spec", "ivigsim.sweep.run",
                "ivigsim.sweep.experiment", "ivigsim.sweep.ensemble", "ivigsim.interfaces.cli"],
    "regimen": ["ivigsim.core.kernel", "ivigsim.core.solvers", "ivigsim.core.simulation", "ivigsim.sweep.run"],
    "metrics": ["ivigsim.core.kernel", "ivigsim.core.solvers", "ivigsim.core.simulation", "ivigsim.sweep.ensemble",
                "ivigsim.sweep.run"],
    "experiment": ["ivigsim.core.kernel", "ivigsim.core.solvers", "ivigsim.sweep.ensemble", "ivigsim.sweep.run",
                   "ivigsim.interfaces.cli"],
    "samplers": ["ivigsim.core.kernel", "ivigsim.core.solvers", "ivigsim.sweep.ensemble", "ivigsim.sweep.run"],
    "simulation": ["ivigsim.sweep.run", "ivigsim.sweep.ensemble", "ivigsim.sweep.experiment", "ivigsim.interfaces.cli"],
    "ensemble": ["ivigsim.sweep.run", "ivigsim.interfaces.cli"],
}


def _imports(path, top_level_only):
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else ast.walk(tree)
    names = []
    for node in nodes:
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def _layer(path):
    parts = path.relative_to(PACKAGE).parts
    if parts[0] in ("core", "sweep", "analysis", "io", "interfaces"):   # layer folders
        parts = parts[1:]
    return parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_layers_point_one_way(path):
    forbidden = FORBIDDEN.get(_layer(path), [])
    bad = [name for name in _imports(path, False) for prefix in forbidden if name.startswith(prefix)]
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_numba_only_in_kernel_and_solvers(path):
    uses_numba = any(n.split(".")[0] == "numba" for n in _imports(path, False))
    if uses_numba:
        assert _layer(path) in ("kernel", "solvers"), path


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_heavy_libraries_are_imported_inside_functions(path):
    top = {n.split(".")[0] for n in _imports(path, True)}
    assert not top & {"matplotlib", "sympy", "pandas", "xarray", "dask", "pyarrow"}, path


def test_import_runs_nothing_heavy():
    code = ("import sys, ivigsim; "
            "print(sorted(m for m in ('matplotlib', 'sympy', 'pandas', 'xarray', 'dask') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
