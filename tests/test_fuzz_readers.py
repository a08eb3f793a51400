"""Property-based fuzzing of the model-file and experiment-file readers (issue 14).

Random TOML trees, random mutations of valid files and random expressions must
give a valid model (or experiment) or an :class:`IvigsimError` that names a
key, within a time bound, and never another exception. The default run tries a
small share; ``pytest -m slow`` runs 10,000 model files and 10,000 experiment
files.
"""

import json
import math
import string
import tempfile
import time
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from conftest import DATA  # noqa: E402
from ivigsim.errors import IvigsimError, ModelFileError  # noqa: E402
from ivigsim.sweep.experiment import METRIC_KINDS, load_experiment  # noqa: E402
from ivigsim.core.expressions import to_sympy, symbols  # noqa: E402
from ivigsim.core.spec import load_model_file  # noqa: E402

import tomllib  # noqa: E402

MODEL_TEXT = (DATA / "one_compartment.toml").read_text()
MODEL_TREE = tomllib.loads(MODEL_TEXT)
# A hang detector, not a benchmark: the refusals take milliseconds, but the test machines are
# shared, and a file that hung (10^10^10 did) never returns.
TIME_BOUND_S = 30.0
SMALL, LARGE = 100, 10_000

EXPERIMENT_TREE = {
    "experiment": {"name": "fuzz", "model": str(DATA / "one_compartment.toml"), "seed": 1,
                   "t_end_days": 20.0, "output_step_days": 0.5},
    "regimens": {"daily": {"kind": "ivig", "days": 2, "infusion_hours": 8}},
    "sweep": {"method": "grid", "variables": {"dose_g_per_kg": {"values": [0.5, 1.0]},
                                              "k_el": {"low": 0.1, "high": 0.3, "count": 3}}},
    "metrics": {"peak": {"kind": "max", "output": "concentration"},
                "nadir": {"kind": "percent_change_min", "output": "concentration", "baseline": "untreated"},
                "grams": {"kind": "grams_given"}},
    "plots": {"dose_response": {"kind": "dose_response", "x": "dose_g_per_kg", "metric": "peak"}},
}


# --- a small TOML writer (the standard library only reads TOML) ------------------------------
def _key(k):
    return k if k and all(c in string.ascii_letters + string.digits + "_-" for c in k) else json.dumps(k)


def _value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


def to_toml(tree, prefix=()):
    lines, tables = [], []
    for k, v in tree.items():
        if isinstance(v, dict) and v:
            tables.append((k, v))
        else:
            lines.append(f"{_key(k)} = {_value(v)}")
    out = ""
    if prefix and (lines or not tables):
        out += "[" + ".".join(_key(p) for p in prefix) + "]\n"
    out += "".join(line + "\n" for line in lines)
    for k, v in tables:
        out += to_toml(v, prefix + (k,))
    return out


def test_the_toml_writer_round_trips():
    assert tomllib.loads(to_toml(MODEL_TREE)) == MODEL_TREE
    assert tomllib.loads(to_toml(EXPERIMENT_TREE)) == EXPERIMENT_TREE


# --- strategies -----------------------------------------------------------------------------
NAMES = ["drug", "eliminated", "central", "k_el", "c0", "mw", "v_per_kg", "body_weight", "elimination",
         "concentration", "x", "_x", "nan", "inf", "exp", "hill", "os", "__import__"]
expression_atoms = st.one_of(
    st.sampled_from(NAMES),
    st.integers(min_value=-10**6, max_value=10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["1e308", "1e-320", "10^400", "0", "0.0", "2**1000", "1/0", "()", "''", "[]"]),
)


def _combine(children):
    return st.one_of(
        st.tuples(children, st.sampled_from([" + ", " - ", " * ", " / ", " ^ ", "**", " // ", " % ", " < "]),
                  children).map("".join),
        st.tuples(st.sampled_from(["exp", "log", "sqrt", "abs", "min", "max", "pow", "hill", "mm", "f",
                                   "eval"]),
                  st.lists(children, max_size=4)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        children.map(lambda c: f"({c})"),
        children.map(lambda c: f"-{c}"),
    )


expressions = st.recursive(expression_atoms, lambda children: _combine(children), max_leaves=25)
toml_scalars = st.one_of(
    st.booleans(), st.integers(min_value=-2**63, max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30), expressions,
)
toml_values = st.recursive(
    toml_scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(string.ascii_letters + "_.", min_size=1, max_size=12),
                                               children, max_size=4)),
    max_leaves=12,
)


def _paths(tree, prefix=()):
    for k, v in tree.items():
        yield prefix + (k,)
        if isinstance(v, dict):
            yield from _paths(v, prefix + (k,))


@st.composite
def mutated(draw, base):
    """A valid tree with a few keys replaced, deleted or added, values often expressions."""
    tree = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(1, 4))):
        paths = list(_paths(tree))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = tree
        for k in path[:-1]:
            parent = parent[k]
        action = draw(st.sampled_from(["replace", "expression", "delete", "add"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "add":
            target = parent[path[-1]] if isinstance(parent[path[-1]], dict) else parent
            target[draw(st.text(string.ascii_letters + "_", min_size=1, max_size=10))] = draw(toml_values)
        elif action == "expression":
            parent[path[-1]] = draw(expressions)
        else:
            parent[path[-1]] = draw(toml_values)
    return tree


random_trees = st.dictionaries(st.sampled_from(["model", "species", "parameters", "reactions", "compartments",
                                                 "observables", "doses", "experiment", "regimens", "sweep",
                                                 "metrics", "plots", "other"]),
                               st.dictionaries(st.text(string.ascii_letters + "_", min_size=1, max_size=8),
                                               toml_values, max_size=4), max_size=6)


# --- the properties -------------------------------------------------------------------------------
def _check(reader, tree, after=None):
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "fuzz.toml"
        path.write_text(to_toml(tree), encoding="utf-8")
        started = time.perf_counter()
        try:
            result = reader(path)
        except IvigsimError as exc:
            if isinstance(exc, ModelFileError) and exc.path == str(path):
                assert exc.key or "not valid TOML" in exc.reason, str(exc)
            else:
                assert "[" in str(exc), str(exc)          # the model file's key, within the message
            outcome = "refused"
        else:
            if after is not None:
                after(result)
            outcome = "valid"
        assert time.perf_counter() - started < TIME_BOUND_S, to_toml(tree)[:500]
    return outcome


def _symbolic(spec):
    """Every rate law reaches sympy within the time bound (where 10^10^10 used to hang)."""
    import sympy
    table = {n: sympy.Symbol(n) for n in [*spec.parameter_names, *spec.species_names,
                                          *[c.name for c in spec.compartments], *spec.mechanism_names]}
    for r in spec.reactions:
        assert symbols(r.rate) <= set(table)
        to_sympy(r.rate, table)


def _load_experiment(path):
    return load_experiment(path, metric_kinds=METRIC_KINDS)


FUZZ = dict(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)


@settings(max_examples=SMALL, **FUZZ)
@given(st.one_of(mutated(MODEL_TREE), random_trees))
def test_model_reader_fuzz(tree):
    _check(load_model_file, tree, _symbolic)


@settings(max_examples=SMALL, **FUZZ)
@given(st.one_of(mutated(EXPERIMENT_TREE), random_trees))
def test_experiment_reader_fuzz(tree):
    _check(_load_experiment, tree)


COUNTS = {"model": {"valid": 0, "refused": 0}, "experiment": {"valid": 0, "refused": 0}}


@pytest.mark.slow
@settings(max_examples=LARGE, **{**FUZZ, "derandomize": False})
@given(st.one_of(mutated(MODEL_TREE), mutated(MODEL_TREE), random_trees))
def test_model_reader_fuzz_10000(tree):
    COUNTS["model"][_check(load_model_file, tree, _symbolic)] += 1


@pytest.mark.slow
@settings(max_examples=LARGE, **{**FUZZ, "derandomize": False})
@given(st.one_of(mutated(EXPERIMENT_TREE), mutated(EXPERIMENT_TREE), random_trees))
def test_experiment_reader_fuzz_10000(tree):
    COUNTS["experiment"][_check(_load_experiment, tree)] += 1


@pytest.mark.slow
def test_fuzz_counts_reported():
    """Runs after the two above (file order); prints what they generated."""
    print("fuzz outcomes:", COUNTS)
    ran = [reader for reader in COUNTS if sum(COUNTS[reader].values())]
    assert ran, "run with the two tests above"
    for reader in ran:
        assert sum(COUNTS[reader].values()) >= LARGE, COUNTS
