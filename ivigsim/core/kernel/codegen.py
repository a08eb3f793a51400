"""Turn a :class:`~ivigsim.core.spec.ModelSpec` into Numba-compiled kernel functions.

The model's mathematics is built in sympy (rates = switch x rate law, right-hand
side = stoichiometry x rates / volume), the Jacobian is differentiated
symbolically, common subexpressions are shared, and the result is written as a
small Python module of ``@njit(cache=True)`` functions. The module is named by
the model's fingerprint and lives in the kernel cache directory, so Numba's own
on-disk cache makes a second process start without compiling.

Inside the kernel ``p`` holds the model's parameters in declaration order,
followed by one 0/1 switch per mechanism; every reaction's rate is multiplied
by its mechanism's switch, so switching a mechanism off removes its reactions
from the right-hand side and the Jacobian alike.

Two styles of module, one interface (:mod:`ivigsim.core.kernel.signatures`):

* ``"straight"`` (small models): straight-line code from sympy with shared
  common subexpressions and a generated sparse LU. Only the Jacobian's
  structural non-zeros (:func:`~ivigsim.core.kernel.structure.jacobian_pattern`)
  are differentiated.
* ``"tape"`` (large models, :data:`TAPE_ABOVE`): the expression graph of
  :mod:`ivigsim.core.kernel.structure`, differentiated entry by entry along the
  rate-law dependency graph and evaluated by the compiled tape interpreter of
  :mod:`ivigsim.core.kernel.tape`. Compiling straight-line code takes time
  superlinear in its length, so beyond a few hundred statements the tape is
  what keeps a 2,000-species model's first use under a minute. Its sparse
  LU is likewise tables plus one compiled routine (:mod:`ivigsim.core.kernel.lu_tables`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ivigsim.core.expressions import to_sympy
from ivigsim.core.kernel import delays, lu_tables, sparse_lu, tape
from ivigsim.core.kernel.graph import power_rule_diff
from ivigsim.core.kernel.structure import jacobian_pattern, model_graph

CODEGEN_VERSION = "11"     # 11: power rule for parameter exponents; 10: jac_nonzeros; 9: tape kernels and table LU for large models (6: imports from ivigsim.core.kernel)

#: Models whose size (species + reactions + structural Jacobian non-zeros)
#: is above this get a tape kernel; the largest shipped model (ivig_autoimmune,
#: 51 species, 91 reactions, 269 non-zeros) is 411, and every shipped model keeps
#: the faster-running straight-line code.
TAPE_ABOVE = 450
STYLES = ("straight", "tape")
_STYLES_CHOSEN = {}


def kernel_style(spec, pattern=None):
    """``"tape"`` for a model larger than :data:`TAPE_ABOVE`, else ``"straight"``."""
    key = (spec.fingerprint(), TAPE_ABOVE)
    if key not in _STYLES_CHOSEN:
        pattern = jacobian_pattern(spec) if pattern is None else pattern
        size = spec.n_species + len(spec.reactions) + len(pattern)
        _STYLES_CHOSEN[key] = "tape" if size > TAPE_ABOVE else "straight"
    return _STYLES_CHOSEN[key]


def cache_dir():
    """Directory of generated kernel modules (``IVIGSIM_CACHE_DIR`` overrides)."""
    env = os.environ.get("IVIGSIM_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ivigsim" / "kernels"


def kernel_fingerprint(spec, style=None):
    """Cache key of the kernel: the model's mathematics, its kernel style, the generator and
    Numba's version. ``style`` forces a style (tests compare the two); None picks the model's own.
    """
    import numba
    style = kernel_style(spec) if style is None else style
    suffix = "" if style == "straight" else f"_{style}"
    return f"{spec.fingerprint()}_{CODEGEN_VERSION}_{numba.__version__.replace('.', '')}{suffix}"


def _symbolic_model(spec, pattern):
    """Sympy expressions of the rates, right-hand side, Jacobian and observables.

    Only the entries of ``pattern`` are differentiated; the others are zero.
    """
    import sympy as sp

    n_par = len(spec.parameters)
    y = [sp.Symbol(f"y{i}", real=True) for i in range(spec.n_species)]
    p = [sp.Symbol(f"p{j}", real=True) for j in range(n_par + len(spec.mechanisms))]
    table = {s.name: y[i] for i, s in enumerate(spec.species)}
    table.update({q.name: p[j] for j, q in enumerate(spec.parameters)})
    for c in spec.compartments:
        table[c.name] = to_sympy(c.volume, table)
    switch = {m: p[n_par + k] for k, m in enumerate(spec.mechanisms)}
    table.update(switch)                 # a mechanism's name in a rate law is its 0/1 switch

    rates = [switch[r.mechanism] * to_sympy(r.rate, table) for r in spec.reactions]
    stoich = spec.stoichiometry()
    rhs = []
    for i, s in enumerate(spec.species):
        volume = table[s.compartment]
        net = sum((sp.nsimplify(stoich[i, k]) * rates[k]
                   for k in range(len(rates)) if stoich[i, k] != 0), sp.Integer(0))
        rhs.append(net / volume)
    observables = [sp.Float(o.factor) * to_sympy(o.expression, table) if o.factor != 1.0
                   else to_sympy(o.expression, table) for o in spec.observables]
    if spec.uses_delay:         # delay(x, tau): x with the states read from the past
        expand = delays.expander(spec, y, rhs)
        rates, rhs, observables = ([expand(e) for e in group] for group in (rates, rhs, observables))
    zero = sp.Integer(0)
    jac = [[zero] * len(y) for _ in rhs]
    for i, j in pattern:
        jac[i][j] = power_rule_diff(rhs[i], y[j])
    return y, p, rates, rhs, jac, observables


# The full Jacobian is the structural non-zeros written into a zeroed matrix. The
# solver zeroes its matrix once and calls jac_nonzeros at every step: zeroing a
# dense 42 x 42 matrix costs about as much as computing its non-zeros.
_JAC_WRAPPER = """@nb.njit(JAC_SIG, cache=True)
def jac(y, p, J):
    J[:, :] = 0.0
    jac_nonzeros(y, p, J)"""


def _function_source(name, signature, args, targets, exprs, used_y, used_p, skip_zeros=False):
    """Source of one kernel function assigning ``exprs`` to ``targets``.

    With ``skip_zeros`` the entries whose expression is 0 are not written.
    """
    import sympy as sp
    from sympy.printing.pycode import PythonCodePrinter

    printer = PythonCodePrinter({"fully_qualified_modules": True, "strict": True})
    pairs = [(t, e) for t, e in zip(targets, exprs) if not (skip_zeros and e == 0)]
    replacements, reduced = sp.cse([e for _, e in pairs], symbols=sp.numbered_symbols("x"))
    free = set().union(*(e.free_symbols for _, e in replacements), *(e.free_symbols for e in reduced)) \
        if pairs else set()
    # error_model="numpy": 0/0 gives NaN (caught by the solver as a status), not an exception
    lines = [f"@nb.njit({signature}, cache=True, error_model=\"numpy\")", f"def {name}({', '.join(args)}):"]
    for s in sorted(free & used_y, key=lambda s: int(s.name[1:])):
        lines.append(f"    {s.name} = y[{s.name[1:]}]")
    for s in sorted(free & used_p, key=lambda s: int(s.name[1:])):
        lines.append(f"    {s.name} = p[{s.name[1:]}]")
    for sym, expr in replacements:
        lines.append(f"    {sym} = {printer.doprint(expr)}")
    for (target, _), expr in zip(pairs, reduced):
        lines.append(f"    {target} = {printer.doprint(expr)}")
    if len(lines) == 2:
        lines.append("    pass")
    return "\n".join(lines)


def _header(spec, key, imports):
    return (
        f'"""Compiled kernel of model {spec.name!r} ({spec.path}).\n\n'
        f"Generated by ivigsim.core.kernel.codegen (fingerprint {key}).\n"
        f'Do not edit: delete the file to regenerate it.\n"""\n\n'
        f"{imports}\n\nimport numba as nb\n\n"
        "from ivigsim.core.kernel.signatures import (FACTOR_SIG, JAC_SIG, OBSERVABLES_SIG, RATES_SIG, RHS_SIG,\n"
        "                                       SOLVE_SIG)\n"
    )


def generate_source(spec, style=None):
    """Python source of the kernel module for ``spec``; also defines ``LU_SIZE``.

    ``style`` is ``"straight"`` or ``"tape"`` (see the module docstring); None
    picks by the model's size (:func:`kernel_style`).
    """
    chosen = kernel_style(spec) if style is None else style
    if chosen not in STYLES:
        raise ValueError(f"kernel style must be one of {STYLES}, got {style!r}")
    key = kernel_fingerprint(spec, chosen)
    if chosen == "tape":
        return _tape_source(spec, key)
    return _straight_source(spec, key, jacobian_pattern(spec))


def _straight_source(spec, key, pattern):
    y, p, rates, rhs, jac, observables = _symbolic_model(spec, pattern)
    used_y, used_p = set(y), set(p)
    n = spec.n_species
    header = _header(spec, key, "import math") + "\n"
    if spec.uses_delay:         # delay(): the past from the history buffer at the end of p
        header += ("from ivigsim.core.kernel.history import rate as history_rate, value as history_value\n\n"
                   f"HISTORY_AT = {len(p)}\n")
    pattern = {(i, j) for i in range(n) for j in range(n) if jac[i][j] != 0}
    lu_source, lu_size = sparse_lu.generate(n, pattern)
    header += f"LU_SIZE = {lu_size}\n\n\n"
    blocks = [
        _function_source("rates", "RATES_SIG", ("y", "p", "r"),
                         [f"r[{k}]" for k in range(len(rates))], rates, used_y, used_p),
        _function_source("rhs", "RHS_SIG", ("y", "p", "dydt"),
                         [f"dydt[{i}]" for i in range(n)], rhs, used_y, used_p),
        _function_source("jac_nonzeros", "JAC_SIG", ("y", "p", "J"),
                         [f"J[{i}, {j}]" for i in range(n) for j in range(n)],
                         [jac[i][j] for i in range(n) for j in range(n)], used_y, used_p,
                         skip_zeros=True),
        _JAC_WRAPPER,
        _function_source("observables", "OBSERVABLES_SIG", ("y", "p", "out"),
                         [f"out[{m}]" for m in range(len(observables))], observables, used_y, used_p),
        lu_source,
    ]
    return header + "\n\n\n".join(blocks) + "\n"


_TAPE_FUNCTIONS = (("rates", "RATES_SIG", "r"), ("rhs", "RHS_SIG", "dydt"),
                   ("observables", "OBSERVABLES_SIG", "out"), ("jac", "JAC_SIG", "J"))

#: Instructions per tape piece: 40,000 x 4 int32 (640 kB) stays under the 1 MB up to which
#: Numba embeds a global array in (cacheable) compiled code.
TAPE_PIECE = 40_000


def _tape_source(spec, key):
    """A module of tapes (constant arrays) and thin compiled wrappers around the interpreter."""
    model = model_graph(spec)
    entries = list(model.jacobian.items())
    outputs = {"rates": model.rates, "rhs": model.rhs, "observables": model.observables,
               "jac": tuple(node for _, node in entries)}
    tables, lu_size = lu_tables.analyse(spec.n_species, set(model.jacobian))
    lines = [_header(spec, key, "import base64\n\nimport numpy as np"),
             "from ivigsim.core.kernel.lu_tables import factor as table_factor, solve as table_solve",
             "from ivigsim.core.kernel.tape import gather, run, scatter, scatter_nonzeros\n",
             f"LU_SIZE = {lu_size}\n"]
    for name, array in tables.items():
        lines.append(f"_LU_{name.upper()} = {tape.array_literal(array.astype(np.int32))}")
    rows = np.array([i for (i, _), _ in entries], dtype=np.int32)
    cols = np.array([j for (_, j), _ in entries], dtype=np.int32)
    lines.append(f"_JAC_ROWS = {tape.array_literal(rows)}")
    lines.append(f"_JAC_COLS = {tape.array_literal(cols)}")
    flags = 'cache=True, error_model="numpy"'
    wrappers = []
    for name, signature, out in _TAPE_FUNCTIONS:
        big = name.upper()
        code, values, registers = tape.build(model.graph, outputs[name])
        lines.append(f"_{big}_OUT = {tape.array_literal(registers)}")
        body = [f"    reg = np.empty({max(len(code), 1)})"]
        for k, first in enumerate(range(0, len(code), TAPE_PIECE)):
            lines.append(f"_{big}_CODE_{k} = {tape.array_literal(code[first:first + TAPE_PIECE])}")
            lines.append(f"_{big}_VALUES_{k} = {tape.array_literal(values[first:first + TAPE_PIECE])}")
            body.append(f"    run(_{big}_CODE_{k}, _{big}_VALUES_{k}, {first}, y, p, reg)")
        body.append(f"    scatter(_JAC_OUT, _JAC_ROWS, _JAC_COLS, reg, J)" if name == "jac"
                    else f"    gather(_{big}_OUT, reg, {out})")
        wrappers.append(f"@nb.njit({signature}, {flags})\ndef {name}(y, p, {out}):\n" + "\n".join(body) + "\n")
        if name == "jac":
            body[-1] = "    scatter_nonzeros(_JAC_OUT, _JAC_ROWS, _JAC_COLS, reg, J)"
            wrappers.append(f"@nb.njit({signature}, {flags})\ndef jac_nonzeros(y, p, J):\n" + "\n".join(body) + "\n")
    wrappers.append("@nb.njit(FACTOR_SIG, cache=True)\ndef factor(J, c, lu):\n"
                    "    return table_factor(J, c, lu, _LU_PERM, _LU_ROW_PTR, _LU_COL, _LU_DIAG, _LU_SRC_ROW,\n"
                    "                        _LU_SRC_COL)\n")
    wrappers.append("@nb.njit(SOLVE_SIG, cache=True)\ndef solve(lu, b):\n"
                    "    table_solve(lu, b, _LU_PERM, _LU_ROW_PTR, _LU_COL, _LU_DIAG)\n")
    return "\n".join(lines) + "\n\n\n" + "\n\n".join(wrappers)
