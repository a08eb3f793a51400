"""Compiled functions of a model's events: triggers, assigned values, delays and priorities.

They live in a generated module of their own, beside the model's kernel and
named by the same fingerprint, so the kernel of a model is the same with or
without events and its cache entry is shared. Signatures (``t`` in days)::

    triggers(t, y, p, out)              out[e] = 1.0 if event e's trigger holds, 0.0 if not,
                                        NaN if an operand of its conditions is NaN
    values(e, t, y, p, out)             out[k] = value of event e's k-th assignment
    timing(t, y, p, delay, priority)    delay[e] (days) and priority[e] of every event

``y`` is the state and ``p`` the kernel's parameter vector (parameters, then
mechanism switches), as in :mod:`ivigsim.core.kernel.signatures`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from dataclasses import dataclass

import numpy as np
from numba import types

from ivigsim.errors import IvigsimError
from ivigsim.core.expressions import COMPARISONS, Call, to_sympy
from ivigsim.core.kernel.codegen import cache_dir, kernel_fingerprint

EVENT_CODEGEN_VERSION = "2"

_vec = types.float64[::1]
TRIGGERS_SIG = types.void(types.float64, _vec, _vec, _vec)
VALUES_SIG = types.void(types.int64, types.float64, _vec, _vec, _vec)
TIMING_SIG = types.void(types.float64, _vec, _vec, _vec, _vec)
TriggersFunction = types.FunctionType(TRIGGERS_SIG)
ValuesFunction = types.FunctionType(VALUES_SIG)
TimingFunction = types.FunctionType(TIMING_SIG)
_CMP = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "neq": "!="}
_LOADED = {}


def _symbols(spec):
    """Expression name -> sympy symbol: ``y{i}`` species, ``p{j}`` parameters and switches, ``t`` time."""
    import sympy as sp
    n_par = len(spec.parameters)
    table = {s.name: sp.Symbol(f"y{i}", real=True) for i, s in enumerate(spec.species)}
    table.update({q.name: sp.Symbol(f"p{j}", real=True) for j, q in enumerate(spec.parameters)})
    for c in spec.compartments:
        table[c.name] = to_sympy(c.volume, table)
    table.update({m: sp.Symbol(f"p{n_par + k}", real=True) for k, m in enumerate(spec.mechanisms)})
    table["time"] = sp.Symbol("t", real=True)      # the exact time, not the clock species
    return table


class _Writer:
    """Prints expression nodes as Python lines of one function body."""

    def __init__(self, table):
        from sympy.printing.pycode import PythonCodePrinter
        self.table = table
        self.printer = PythonCodePrinter({"fully_qualified_modules": True, "strict": True})
        self.lines, self.used, self.count = [], set(), 0

    def value(self, node):
        """A local variable holding the value of ``node``."""
        expr = to_sympy(node, self.table)
        self.used |= {s.name for s in expr.free_symbols}
        name = f"a{self.count}"
        self.count += 1
        self.lines.append(f"{name} = {self.printer.doprint(expr)}")
        return name

    def condition(self, node, operands, relations):
        """Python boolean source of a condition node.

        Its numeric operands are appended to ``operands`` and the source of each
        of its relations (comparisons and numeric atoms) to ``relations``, in
        the order of :func:`relation_count`.
        """
        if isinstance(node, Call) and node.func in COMPARISONS:
            a, b = self.value(node.args[0]), self.value(node.args[1])
            operands += [a, b]
            relations.append((f"({a} {_CMP[node.func]} {b})", (a, b)))
            return relations[-1][0]
        if isinstance(node, Call) and node.func in ("all_of", "any_of"):
            joiner = " and " if node.func == "all_of" else " or "
            return "(" + joiner.join(self.condition(a, operands, relations) for a in node.args) + ")"
        if isinstance(node, Call) and node.func == "none_of":
            return f"(not {self.condition(node.args[0], operands, relations)})"
        a = self.value(node)
        operands.append(a)
        relations.append((f"({a} != 0.0)", (a,)))
        return relations[-1][0]

    def loads(self, indent="    "):
        """Lines reading the state and parameter entries the body uses."""
        out = []
        for name in sorted(self.used - {"t"}, key=lambda s: (s[0], int(s[1:]))):
            out.append(f"{indent}{name} = {'y' if name[0] == 'y' else 'p'}[{name[1:]}]")
        return out


def relation_count(node):
    """The number of relations (comparisons and numeric atoms) in a trigger condition."""
    if isinstance(node, Call) and node.func in COMPARISONS:
        return 1
    if isinstance(node, Call) and node.func in ("all_of", "any_of", "none_of"):
        return sum(relation_count(a) for a in node.args)
    return 1


def monitored(spec):
    """Per event, how many relations of its trigger are monitored on their own (0 for a simple trigger).

    A compound trigger such as ``k > 3.5 && k < 4`` can be true for a window
    shorter than a step, and the step's ends then see it false at both. Each of
    its relations is monitored as a trigger of its own (a root function in the
    sense of CVODE's), so a window that opens and closes inside one step shows
    as two changes and the step is cut at the first.
    """
    counts = [relation_count(e.trigger) for e in spec.events]
    return [c if c > 1 else 0 for c in counts]


def generate_source(spec):
    """Python source of the event module of ``spec``."""
    table = _symbols(spec)
    header = (f'"""Compiled events of model {spec.name!r} ({spec.path}); generated by '
              f'ivigsim.core.kernel.events. Do not edit."""\n\n'
              "import math\n\nimport numba as nb\n\n"
              "from ivigsim.core.kernel.events import TIMING_SIG, TRIGGERS_SIG, VALUES_SIG\n\n\n")
    deco = '@nb.njit({}, cache=True, error_model="numpy")\n'

    w = _Writer(table)
    body = []
    slot = len(spec.events)                # relations monitored on their own follow the events
    for e, (event, n_monitored) in enumerate(zip(spec.events, monitored(spec))):
        operands, relations = [], []
        start = len(w.lines)
        cond = w.condition(event.trigger, operands, relations)
        body += ["    " + line for line in w.lines[start:]]
        nan_test = " or ".join(f"{a} != {a}" for a in operands)
        body += [f"    if {nan_test}:", f"        out[{e}] = math.nan", "    else:",
                 f"        out[{e}] = 1.0 if {cond} else 0.0"]
        for source, names in relations[:n_monitored]:
            nan_rel = " or ".join(f"{a} != {a}" for a in names)
            body += [f"    out[{slot}] = math.nan if {nan_rel} else (1.0 if {source} else 0.0)"]
            slot += 1
    triggers = deco.format("TRIGGERS_SIG") + "def triggers(t, y, p, out):\n" + \
        "\n".join(w.loads() + body or ["    pass"]) + "\n"

    w = _Writer(table)
    body = []
    for e, event in enumerate(spec.events):
        start = len(w.lines)
        targets = [w.value(node) for _, node in event.assignments]
        body.append(f"    {'if' if e == 0 else 'elif'} e == {e}:")
        body += ["        " + line for line in w.lines[start:]]
        body += [f"        out[{k}] = {a}" for k, a in enumerate(targets)]
    values = deco.format("VALUES_SIG") + "def values(e, t, y, p, out):\n" + \
        "\n".join(w.loads() + body or ["    pass"]) + "\n"

    w = _Writer(table)
    body = []
    for e, event in enumerate(spec.events):
        delay = w.value(event.delay) if event.delay is not None else "0.0"
        priority = w.value(event.priority) if event.priority is not None else "0.0"
        body += [f"    delay[{e}] = {delay}", f"    priority[{e}] = {priority}"]
    timing = deco.format("TIMING_SIG") + "def timing(t, y, p, delay, priority):\n" + \
        "\n".join(w.loads() + ["    " + line for line in w.lines] + body or ["    pass"]) + "\n"
    return header + "\n\n".join((triggers, values, timing))


@dataclass(frozen=True)
class EventFunctions:
    """The compiled event functions of one model and the arrays that describe its events.

    The arrays have one entry per event, then one per relation monitored on its
    own (see :func:`monitored`); a monitored relation has ``has_delay`` -1, and
    the event driver only records its value, never queues it.
    """

    triggers: object
    values: object
    timing: object
    persistent: np.ndarray            # int64 (n_events,): 1 persistent
    initial_value: np.ndarray         # float64 (n_events,): the trigger's value before t = 0
    use_trigger_values: np.ndarray    # int64 (n_events,): 1 if values are computed at trigger time
    has_delay: np.ndarray             # int64 (n_events,): 1 if the event has a delay expression, -1 monitor
    offsets: np.ndarray               # int64 (n_events + 1,): assignments of event e are offsets[e]:offsets[e+1]
    targets: np.ndarray               # int64 (n_assignments,): state index assigned


def _load_module(spec, key):
    directory = cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IvigsimError(f"cannot create the kernel cache directory {directory}: {exc.strerror or exc} "
                           f"(set IVIGSIM_CACHE_DIR to a writable directory)") from None
    path = directory / f"events_{spec.name}_{key}.py"
    source = generate_source(spec)
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
    text = f"# sha256 of the lines below: {digest}\n{source}"
    if not path.exists() or path.read_text(encoding="utf-8") != text:     # missing or damaged: rewrite
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    module_name = f"ivigsim_events_{spec.name}_{key}"
    loader_spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[module_name] = module
    try:
        loader_spec.loader.exec_module(module)
    except Exception as exc:                       # noqa: BLE001 - reported with the model's name
        sys.modules.pop(module_name, None)
        raise IvigsimError(f"model '{spec.name}': its compiled events cannot be built "
                           f"({type(exc).__name__}: {str(exc).strip()[:300]})") from None
    return module


def load_events(spec):
    """The compiled event functions of ``spec`` (which has events), built on first use."""
    key = f"{kernel_fingerprint(spec)}_{EVENT_CODEGEN_VERSION}"
    if key in _LOADED:
        return _LOADED[key]
    module = _load_module(spec, key)
    events = spec.events
    offsets = np.zeros(len(events) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(e.assignments) for e in events])
    n_mon = sum(monitored(spec))
    offsets = np.concatenate([offsets, np.full(n_mon, offsets[-1], dtype=np.int64)])
    functions = EventFunctions(
        triggers=module.triggers, values=module.values, timing=module.timing,
        persistent=np.array([e.persistent for e in events] + [1] * n_mon, dtype=np.int64),
        initial_value=np.array([1.0 if e.initial_value else 0.0 for e in events] + [0.0] * n_mon),
        use_trigger_values=np.array([e.use_values_from_trigger_time for e in events] + [0] * n_mon,
                                    dtype=np.int64),
        has_delay=np.array([e.delay is not None for e in events] + [-1] * n_mon, dtype=np.int64),
        offsets=offsets,
        targets=np.array([spec.species_index(t) for e in events for t, _ in e.assignments], dtype=np.int64))
    _LOADED[key] = functions
    return functions
