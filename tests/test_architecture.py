"""The package's architecture: layers point one way, without cycles, private names stay private.

Every module has a rank (the table below; docs/architecture.md draws it).  A
module may import modules of its own rank or lower, at the top of the file or
inside a function; the few function-level imports that still point up are
listed, each with its reason, in ``KNOWN_UPWARD`` (the list may only shrink:
an entry that no longer exists fails the test, so that it is removed).
"""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "ivigsim"
FILES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in FILES}

# Rank of each module, by the longest matching name (a package's entry covers its modules).
# Lower ranks are lower layers; a module may import its own rank or lower.
RANKS = {
    # the foundation: errors, paths to the shipped data, the version
    "ivigsim.errors": 0, "ivigsim.paths": 0, "ivigsim.version": 0,
    # core, bottom up: views registry, units, the expression language, model files,
    # kernels, solvers, dosing, results, one simulation, and what is built on it
    "ivigsim.core": 10, "ivigsim.core.views": 10,
    "ivigsim.core.units": 11,
    "ivigsim.core.expressions": 12, "ivigsim.core._expression_": 12, "ivigsim.core.algebraic": 12,
    "ivigsim.core.limits": 13, "ivigsim.core.columns": 13, "ivigsim.core.parameter_sets": 13, "ivigsim.core.antagonists": 13,
    "ivigsim.core.apheresis": 13, "ivigsim.core.rules": 13, "ivigsim.core.events": 13,
    "ivigsim.core.spec": 14, "ivigsim.core._spec_": 14, "ivigsim.core.equations": 14,
    "ivigsim.core.catalogue": 15, "ivigsim.core.data": 15,
    "ivigsim.core.kernel": 16, "ivigsim.core.kernel.history": 16, "ivigsim.core.kernel.delays": 16,
    "ivigsim.core.kernel.lanes": 16,
    "ivigsim.core.solvers": 17, "ivigsim.core.solvers.rodas_lanes": 17, "ivigsim.core.solvers.ensemble_lanes": 17,
    "ivigsim.core.solvers.newton_continuation": 17,
    "ivigsim.core.regimen": 18, "ivigsim.core._regimen_": 18, "ivigsim.core.schedule": 18,
    "ivigsim.core.summary": 18, "ivigsim.core.result": 18, "ivigsim.core.steady_state": 18,
    "ivigsim.core.stochastic": 19, "ivigsim.core.triggered": 19, "ivigsim.core.regimen_data": 19,
    "ivigsim.core.simulation": 20,
    "ivigsim.core.agents": 21, "ivigsim.core.in_vitro": 21, "ivigsim.core.in_vitro_nk": 21,
    # file formats: atomic writes, HTML pages, SBML (which needs core only)
    "ivigsim.io": 30,
    # the metrics are computed inside the sweep's work loop, so they rank below it
    "ivigsim.analysis.metrics": 35, "ivigsim.analysis._metric_": 35,
    # many runs: experiment files, points, work, executors, results
    "ivigsim.sweep": 40, "ivigsim.sweep.sensitivity": 40, "ivigsim.sweep.interrupts": 40,
    "ivigsim.sweep.locking": 40,
    "ivigsim.sweep.experiment": 41, "ivigsim.sweep._experiment_": 41,
    "ivigsim.sweep.samplers": 42, "ivigsim.sweep.store": 42, "ivigsim.sweep.trajectories": 42,
    "ivigsim.sweep.ensemble": 43, "ivigsim.sweep.ensemble_compiled": 43,
    "ivigsim.sweep.run": 44,
    # questions asked of many runs
    "ivigsim.analysis": 50,
    # what people touch: command lines (wherever they live), reports, figures, the demo
    "ivigsim.interfaces": 60,
    "ivigsim.analysis.comparison.plots": 60,
    "ivigsim.io.sbml.cli": 60, "ivigsim.analysis.comparison.cli": 60, "ivigsim.analysis.fitting.cli": 60,
    "ivigsim.analysis.regression.cli": 60, "ivigsim.analysis.validation.cli": 60,
    "ivigsim.interfaces.cli": 61,
    # the package itself: the public API
    "ivigsim": 99,
}

# Function-level imports that still point to a higher layer: presentation called
# by lower layers.  Each is lazy (inside a function), so it costs nothing at import
# and makes no cycle; the list may only shrink.
KNOWN_UPWARD = {
    ("ivigsim.core.agents.result", "ivigsim.interfaces.plotting"): "AgentResult.plot draws its figure",
    ("ivigsim.core.agents.result", "ivigsim.interfaces.style"): "AgentResult.plot draws its figure",
    ("ivigsim.core.in_vitro", "ivigsim.interfaces.plotting"): "InhibitionCurve.plot draws its figure",
    ("ivigsim.core.in_vitro", "ivigsim.interfaces.sweep_plots"): "InhibitionCurve.plot draws its figure",
    ("ivigsim.core.in_vitro_nk", "ivigsim.interfaces.plotting"): "the NK curve's plot draws its figure",
    ("ivigsim.core.in_vitro_nk", "ivigsim.interfaces.sweep_plots"): "the NK curve's plot draws its figure",
    ("ivigsim.analysis.comparison.core", "ivigsim.interfaces.result_views"): "Comparison shows itself",
    ("ivigsim.analysis.comparison.report", "ivigsim.analysis.comparison.plots"): "the comparison's figures",
    ("ivigsim.analysis.factorial", "ivigsim.interfaces.sweep_plots"): "the factorial's bar chart",
    ("ivigsim.analysis.fitting.result", "ivigsim.interfaces.notebook"): "FitResult shows itself",
    ("ivigsim.analysis.validation.report", "ivigsim.interfaces.plotting"): "validation figures",
    ("ivigsim.analysis.validation.report", "ivigsim.interfaces.style"): "validation figures",
    ("ivigsim.analysis.validation.runner", "ivigsim.interfaces.progress"): "validate shows a progress bar",
    ("ivigsim.analysis.validation.runner", "ivigsim.interfaces.result_views"): "ValidationReport shows itself",
}

NUMBA_HOMES = ("ivigsim.core.kernel", "ivigsim.core.solvers")
HEAVY = {"matplotlib", "sympy", "pandas", "xarray", "dask", "pyarrow", "SALib", "libsbml",
         "roadrunner", "petab", "pypesto", "playwright"}


def rank(module: str) -> int:
    """The rank of ``module``: the entry of RANKS with the longest matching name."""
    best = None
    for name, value in RANKS.items():
        if module == name or module.startswith(name + ".") or (name.endswith("_") and module.startswith(name)):
            if best is None or len(name) > len(best):
                best = name
    if best is None:
        raise KeyError(module)
    return RANKS[best]


def _resolve(name: str) -> str | None:
    """The ivigsim module that ``name`` (a module or a name inside one) refers to."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports(module: str):
    """``(target module, imported name or None, line, top level?)`` for every ivigsim import of ``module``."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "ivigsim":
                    found.append((_resolve(alias.name), None, node.lineno, id(node) in top))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                source = base + ("." + node.module if node.module else "")
            else:
                source = node.module or ""
            if source.split(".")[0] != "ivigsim":
                continue
            for alias in node.names:
                full = f"{source}.{alias.name}"
                if full in MODULES:                      # a submodule
                    found.append((full, None, node.lineno, id(node) in top))
                else:                                    # a name inside a module
                    found.append((_resolve(source), alias.name, node.lineno, id(node) in top))
    return [f for f in found if f[0] and f[0] != module]


GRAPH = {m: imports(m) for m in MODULES}


def external_imports(path: Path, top_level_only: bool):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    names = []
    for node in nodes:
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return names


def test_every_module_has_a_rank():
    missing = []
    for module in MODULES:
        try:
            rank(module)
        except KeyError:
            missing.append(module)
    assert not missing, f"modules missing from RANKS in tests/test_architecture.py: {missing}"


def test_layers_point_one_way():
    upward = {}
    for module, found in GRAPH.items():
        for target, _, line, top_level in found:
            if rank(target) > rank(module):
                upward.setdefault((module, target), []).append((line, top_level))
    unexpected = {edge: where for edge, where in upward.items() if edge not in KNOWN_UPWARD}
    assert not unexpected, "imports of a higher layer: " + "; ".join(
        f"{a} (line {where[0][0]}) imports {b}" for (a, b), where in sorted(unexpected.items()))
    eager = [edge for edge, where in upward.items() if any(top for _, top in where)]
    assert not eager, f"known upward imports must stay inside functions: {eager}"
    stale = sorted(set(KNOWN_UPWARD) - set(upward))
    assert not stale, f"these upward imports are gone: remove them from KNOWN_UPWARD: {stale}"


def test_the_sweep_layer_imports_no_presentation():
    """Results are published by the interfaces layer: nothing in ivigsim.sweep imports it, even lazily."""
    found = [f"{module} (line {line}) imports {target}" for module, edges in GRAPH.items()
             if module.startswith("ivigsim.sweep") for target, _, line, _ in edges
             if target.startswith("ivigsim.interfaces")]
    assert not found, "; ".join(found)


def test_no_import_cycles():
    """Top-level and function-level imports both: the module graph is acyclic."""
    edges = {m: sorted({t for t, *_ in found}) for m, found in GRAPH.items()}
    state, stack, cycles = {}, [], []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in edges.get(node, ()):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for module in sorted(edges):
        if module not in state:
            visit(module)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_private_names_stay_in_their_module():
    """No ``from x import _name`` across modules; a private module is imported only from its own package."""
    bad = []
    for module, found in GRAPH.items():
        for target, name, line, _ in found:
            if name and name.startswith("_") and not name.startswith("__"):
                bad.append(f"{module} (line {line}) imports {target}.{name}")
            leaf = target.rpartition(".")[2]
            if leaf.startswith("_") and not leaf.startswith("__"):
                owner = target.rpartition(".")[0]
                if not (module == owner or module.startswith(owner + ".")):
                    bad.append(f"{module} (line {line}) imports the private module {target}")
    assert not bad, "; ".join(bad)


def test_a_layer_is_above_what_it_needs():
    """The ranks themselves: core below io below sweep below analysis below interfaces."""
    assert rank("ivigsim.errors") < rank("ivigsim.core.units") < rank("ivigsim.core.expressions") \
        < rank("ivigsim.core.spec") < rank("ivigsim.core.kernel.compiled") < rank("ivigsim.core.solvers.rodas") \
        < rank("ivigsim.core.regimen") < rank("ivigsim.core.simulation") < rank("ivigsim.io.sbml.export") \
        < rank("ivigsim.sweep.experiment") < rank("ivigsim.sweep.run") < rank("ivigsim.analysis.factorial") \
        < rank("ivigsim.interfaces.report") < rank("ivigsim")


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_numba_only_in_kernel_and_solvers(path):
    uses_numba = any(n.split(".")[0] == "numba" for n in external_imports(path, False))
    if uses_numba:
        assert _module_name(path).startswith(NUMBA_HOMES), path


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_heavy_libraries_are_imported_inside_functions(path):
    top = {n.split(".")[0] for n in external_imports(path, True)}
    heavy = top & HEAVY
    assert not heavy, f"{path}: import {sorted(heavy)} inside the functions that need them"


def test_public_api_is_listed():
    import ivigsim
    assert sorted(set(ivigsim.__all__)) == sorted(ivigsim.__all__), "duplicates in ivigsim.__all__"
    assert set(dir(ivigsim)) == set(ivigsim.__all__) | {"__version__"}
    for name in ivigsim.__all__:
        assert getattr(ivigsim, name) is not None, name


IMPORT_PROBE = """
import json, sys
import ivigsim
from numba.core.registry import CPUDispatcher
compiled = sorted(f"{name}.{attr}" for name, module in list(sys.modules.items())
                  if name.split(".")[0] == "ivigsim"
                  for attr, value in vars(module).items()
                  if isinstance(value, CPUDispatcher) and value.signatures)
heavy = sorted(m for m in %r if m in sys.modules)
print(json.dumps({"compiled": compiled, "heavy": heavy}))
"""


def test_import_compiles_nothing_and_imports_nothing_heavy():
    code = IMPORT_PROBE % (sorted(HEAVY),)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found == {"compiled": [], "heavy": []}


EVERY_MODULE_PROBE = """
import importlib, json, sys
from numba.core.registry import CPUDispatcher

def compiled():
    return {f"{name}.{attr}" for name, module in list(sys.modules.items()) if name.split(".")[0] == "ivigsim"
            for attr, value in vars(module).items() if isinstance(value, CPUDispatcher) and value.signatures}

found = {}
for name in %r:
    importlib.import_module(name)
    new = sorted(compiled() - {f for names in found.values() for f in names})
    if new:
        found[name] = new
print(json.dumps(found))
"""


def test_importing_any_module_compiles_nothing():
    """Every module, the fitting simulator's included, compiles its solvers on first use, never at import.

    The modules are imported one after another in one process, and each
    compiled function is charged to the import that compiled it.
    """
    code = EVERY_MODULE_PROBE % (sorted(MODULES),)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found == {}, f"importing these modules compiles: {found}"
