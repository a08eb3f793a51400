"""Evaluate expression graphs as tapes: compiled once, data for each model.

Straight-line generated code is the fastest form of a small model's kernel,
but compiling it does not scale: Numba and LLVM take time superlinear in the
length of a function (measured here: 500 statements ~20 s, 1,000 statements
several minutes), so a 500-species model cannot be compiled that way. A
large model's functions are therefore *tapes*: the nodes its outputs need,
in evaluation order, as an integer instruction array plus constants. One
interpreter, compiled once for every model (:func:`run`), evaluates a tape
into a register array; each model's generated module only holds its tapes as
constant arrays and thin wrappers, so its compile time barely depends on
its size.

A tape instruction is a row ``(op, a, b, c)`` of :data:`OPCODES`; ``a, b, c``
are registers of earlier instructions, or the index into ``y`` / ``p`` for the
loads; ``const`` reads its value from ``values`` at the same row. Conditions
are 1.0 or 0.0, and ``select`` picks its first or third operand as its second
is non-zero. Arithmetic follows the generated code's: IEEE float64 with
Numba's ``error_model="numpy"`` (0/0 gives NaN, which the solver reports).
"""

from __future__ import annotations

import base64

import numba as nb
import numpy as np

OPCODES = {name: k for k, name in enumerate((
    "const", "y", "p", "neg", "add", "sub", "mul", "div", "pow", "min", "max",
    "lt", "le", "gt", "ge", "eq", "neq", "and", "or", "select",
    "exp", "log", "sqrt", "abs", "sign", "sin", "cos", "tan", "asin", "acos", "atan",
    "sinh", "cosh", "tanh"))}


def build(graph, outputs):
    """The tape computing ``outputs`` (node ids) from ``graph``.

    Returns ``(code, values, out_registers)``: ``code`` int32 (n, 4),
    ``values`` float64 (n,), and the register of each output (int32).
    """
    needed = set()
    stack = list(outputs)
    nodes = graph.nodes
    while stack:
        a = stack.pop()
        if a in needed:
            continue
        needed.add(a)
        node = nodes[a]
        if node[0] not in ("const", "y", "p"):
            stack.extend(node[1:])
    order = sorted(needed)                  # operands have smaller ids: a valid evaluation order
    register = {a: r for r, a in enumerate(order)}
    code = np.zeros((len(order), 4), dtype=np.int32)
    values = np.zeros(len(order))
    for r, a in enumerate(order):
        node = nodes[a]
        code[r, 0] = OPCODES[node[0]]
        if node[0] == "const":
            values[r] = node[1]
        elif node[0] in ("y", "p"):
            code[r, 1] = node[1]
        else:
            for k, operand in enumerate(node[1:]):
                code[r, 1 + k] = register[operand]
    return code, values, np.array([register[a] for a in outputs], dtype=np.int32)


def array_literal(array):
    """Python source that rebuilds ``array`` (compact: base64 of its bytes)."""
    text = base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")
    shape = ", ".join(str(s) for s in array.shape)
    return (f"np.frombuffer(base64.b64decode('{text}'), dtype=np.{array.dtype.name})"
            f".reshape(({shape},)).copy()")


@nb.njit(cache=True, error_model="numpy", nogil=True)
def run(code, values, first, y, p, reg):
    """Evaluate a piece of a tape: ``reg[first + r]`` receives instruction ``r``'s value.

    A long tape runs as consecutive pieces sharing ``reg`` (operands are
    registers of the whole tape): Numba embeds a global array in the compiled
    code, where it can be cached, only up to 1 MB.
    """
    for r in range(code.shape[0]):
        op = code[r, 0]
        if op == 0:
            reg[first + r] = values[r]
        elif op == 1:
            reg[first + r] = y[code[r, 1]]
        elif op == 2:
            reg[first + r] = p[code[r, 1]]
        elif op == 3:
            reg[first + r] = -reg[code[r, 1]]
        elif op == 4:
            reg[first + r] = reg[code[r, 1]] + reg[code[r, 2]]
        elif op == 5:
            reg[first + r] = reg[code[r, 1]] - reg[code[r, 2]]
        elif op == 6:
            reg[first + r] = reg[code[r, 1]] * reg[code[r, 2]]
        elif op == 7:
            reg[first + r] = reg[code[r, 1]] / reg[code[r, 2]]
        elif op == 8:
            reg[first + r] = reg[code[r, 1]] ** reg[code[r, 2]]
        elif op == 9:
            reg[first + r] = min(reg[code[r, 1]], reg[code[r, 2]])
        elif op == 10:
            reg[first + r] = max(reg[code[r, 1]], reg[code[r, 2]])
        elif op <= 18:
            a = reg[code[r, 1]]
            b = reg[code[r, 2]]
            if op == 11:
                t = a < b
            elif op == 12:
                t = a <= b
            elif op == 13:
                t = a > b
            elif op == 14:
                t = a >= b
            elif op == 15:
                t = a == b
            elif op == 16:
                t = a != b
            elif op == 17:
                t = a != 0.0 and b != 0.0
            else:
                t = a != 0.0 or b != 0.0
            reg[first + r] = 1.0 if t else 0.0
        elif op == 19:
            reg[first + r] = reg[code[r, 1]] if reg[code[r, 2]] != 0.0 else reg[code[r, 3]]
        else:
            a = reg[code[r, 1]]
            if op == 20:
                reg[first + r] = np.exp(a)
            elif op == 21:
                reg[first + r] = np.log(a)
            elif op == 22:
                reg[first + r] = np.sqrt(a)
            elif op == 23:
                reg[first + r] = abs(a)
            elif op == 24:
                reg[first + r] = 1.0 if a > 0.0 else (-1.0 if a < 0.0 else a * 0.0)
            elif op == 25:
                reg[first + r] = np.sin(a)
            elif op == 26:
                reg[first + r] = np.cos(a)
            elif op == 27:
                reg[first + r] = np.tan(a)
            elif op == 28:
                reg[first + r] = np.arcsin(a)
            elif op == 29:
                reg[first + r] = np.arccos(a)
            elif op == 30:
                reg[first + r] = np.arctan(a)
            elif op == 31:
                reg[first + r] = np.sinh(a)
            elif op == 32:
                reg[first + r] = np.cosh(a)
            else:
                reg[first + r] = np.tanh(a)


@nb.njit(cache=True, nogil=True)
def gather(out_registers, reg, out):
    """``out[m] = reg[out_registers[m]]``."""
    for m in range(out_registers.shape[0]):
        out[m] = reg[out_registers[m]]


@nb.njit(cache=True, nogil=True)
def scatter(out_registers, rows, cols, reg, out):
    """``out`` = 0 except ``out[rows[m], cols[m]] = reg[out_registers[m]]`` (a sparse Jacobian)."""
    out[:, :] = 0.0
    for m in range(out_registers.shape[0]):
        out[rows[m], cols[m]] = reg[out_registers[m]]


@nb.njit(cache=True, nogil=True)
def scatter_nonzeros(out_registers, rows, cols, reg, out):
    """``out[rows[m], cols[m]] = reg[out_registers[m]]``; the other entries of ``out`` are left as they are."""
    for m in range(out_registers.shape[0]):
        out[rows[m], cols[m]] = reg[out_registers[m]]
