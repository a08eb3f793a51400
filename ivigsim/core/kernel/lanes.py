"""Lane kernels: a model's right-hand side, Jacobian and sparse LU over L points at once.

A sweep integrates many points of one model. The lane kernels evaluate the
same generated straight-line code as the scalar kernel
(:mod:`ivigsim.core.kernel.codegen`, :mod:`ivigsim.core.kernel.sparse_lu`) for
L points side by side: every array gains a trailing lane axis (``Y[i, l]``,
``J[i, j, l]``, ``LU[s, l]``) and each function body runs inside one
``for l in range(L)`` loop, so the lane index is innermost and contiguous and
LLVM can vectorise the loop body across lanes.

The lane source is the scalar source with its array subscripts rewritten, so
each lane does exactly the scalar kernel's operations in the same order: no
fused multiply-add (Numba does not contract without ``fastmath``); ``sqrt``
is correctly rounded in vector form too, and other library functions
(``exp``, ``log``, ``pow``) stay calls of the scalar libm inside the vector
loop unless Numba uses Intel's SVML (:attr:`LaneKernel.exact`). One lane's
numbers are therefore those of the scalar kernel, bit for bit (tested).

In the generated code an array is read flat with literal offsets
(``Y_[8 * i + l]``): with 2-D subscripts and a run-time row stride LLVM does
not vectorise the lane loop at all. The functions take the flat (1-D) arrays
themselves, which the solver makes once per integration: a ``reshape`` inside
the kernel calls a Numba runtime helper on every call, about a tenth of a lane
pass. A long function is cut into
several lane loops (:func:`_pieces`), because the vectoriser gives up on a
loop with about a hundred memory accesses; locals that cross a cut travel
through the scratch array ``T``, exactly.

The sparse factorisation cannot return early for one lane: a lane whose pivot
fails the threshold test is flagged in ``BAD[l]`` (the scalar ``factor``'s
non-zero return) and the solver factors that lane densely, as the scalar
solver does.

Functions of a lane module (arrays C-contiguous, lanes last, L = ``WIDTH``, each
passed flat: ``Y.reshape(-1)`` for ``Y``)::

    rhs(Y, P, DYDT, T)              Y (n, L), P (n_p, L), DYDT (n, L), scratch T (SCRATCH, L)
    jac_nonzeros(Y, P, J, T)        J (n, n, L): the structural non-zeros only
    factor(J, C, LU, BAD, T)        C (L,) = 1 / (h gamma) per lane; LU (lu_size, L); BAD (L,) int64
    solve(LU, B, T)                 B (n, L), solved in place

Only straight-line kernels of models without ``delay()`` have lane kernels
(:func:`supports_lanes`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import sys
import tempfile
from dataclasses import dataclass

import numba as nb
from numba import types

from ivigsim.core.cache import BoundedCache
from ivigsim.core.kernel.codegen import cache_dir, generate_source, kernel_fingerprint, kernel_style
from ivigsim.core.views import view
from ivigsim.errors import IvigsimError

LANES_VERSION = "7"
#: Lanes per call: 8 doubles fill one AVX-512 register.
WIDTH = 8
#: Array accesses per lane loop, spills left out (see :func:`_pieces`), by function: the
#: largest that Numba's LLVM still vectorises in the shipped models (fcrn_pk, fcrn_pk_qss),
#: found by inspecting the machine code; fewer loops mean fewer spills.
PIECE = {"rhs": 200, "jac_nonzeros": 30, "factor": 80, "solve": 80}

_flat_array = types.float64[::1]       # every array flat: (rows, L) or (n, n, L) C-contiguous, reshaped to 1-D
LANE_RHS_SIG = types.void(_flat_array, _flat_array, _flat_array, _flat_array)
LANE_JAC_SIG = types.void(_flat_array, _flat_array, _flat_array, _flat_array)
LANE_FACTOR_SIG = types.void(_flat_array, _flat_array, _flat_array, types.int64[::1], _flat_array)
LANE_SOLVE_SIG = types.void(_flat_array, _flat_array, _flat_array)
LaneRhsFunction = types.FunctionType(LANE_RHS_SIG)
LaneJacFunction = types.FunctionType(LANE_JAC_SIG)
LaneFactorFunction = types.FunctionType(LANE_FACTOR_SIG)
LaneSolveFunction = types.FunctionType(LANE_SOLVE_SIG)

_FLAGS = 'cache=True, error_model="numpy", boundscheck=False'
_LOADED = BoundedCache(64, "lane kernels")


def supports_lanes(spec):
    """Whether ``spec`` has lane kernels: a straight-line kernel and no ``delay()``."""
    return kernel_style(spec) == "straight" and not spec.uses_delay


def _functions(source):
    """The scalar module's functions by name: (decorator line, def line, body lines)."""
    found = {}
    blocks = source.split("\n@nb.njit(")
    for block in blocks[1:]:
        lines = block.split("\n")
        name = re.match(r"def (\w+)\(", lines[1]).group(1)
        body = []
        for line in lines[2:]:
            if line and not line.startswith(" "):
                break
            body.append(line)
        while body and not body[-1].strip():
            body.pop()
        found[name] = body
    return found


def _indent(body):
    return ["    " + line if line.strip() else line for line in body]


def _flat(line, n, width):
    """``A[i, l]`` -> ``A_[i * width + l]`` and ``J[i, j, l]`` -> ``J_[(i * n + j) * width + l]``.

    With literal offsets from one base pointer LLVM sees that the accesses of
    different rows cannot overlap, so it vectorises the lane loop (with
    ``A[i, l]`` and a run-time row stride it does not).
    """
    line = re.sub(r"\bJ\[(\d+), (\d+), l\]",
                  lambda m: f"J_[{(int(m.group(1)) * n + int(m.group(2))) * width} + l]", line)
    return re.sub(r"\b([A-Z]+)\[(\d+), l\]", lambda m: f"{m.group(1)}_[{int(m.group(2)) * width} + l]", line)


_ASSIGN = re.compile(r"^(\w+) *([-+*/]?=) (.*)$")
_NOT_LOCAL = {"math", "abs", "max", "min", "if", "else", "and", "or", "not", "True", "False", "l"}


def _names(expression):
    """Identifiers an expression reads (attribute names such as ``sqrt`` in ``math.sqrt`` left out)."""
    return {m.group(1) for m in re.finditer(r"(?<![.\w])([A-Za-z_]\w*)\b(?!\[)", expression)} - _NOT_LOCAL


_LOAD = re.compile(r"^(\w+) = ([A-Z]+\[\d+(?:, \d+)?, l\]|C\[l\])$")


def _pieces(statements, piece):
    """Cut straight-line statements into loops of at most ``piece`` array accesses each.

    LLVM's loop vectoriser gives up on a loop body with many memory accesses
    (about a hundred: its run-time alias checks stop merging), so a long
    kernel becomes several lane loops. A local that is a plain load from an
    array the function does not write (``y3 = Y[3, l]``) is loaded again in
    each loop that reads it. Any other local that a later loop reads is stored
    in the scratch array ``T`` at the end of the loop that last set it and
    loaded at the start of the loop that reads it. Both are exact copies, so
    the arithmetic is that of one loop. Returns (loops as statement lists,
    number of scratch slots).
    """
    written = {m.group(1) for line in statements for m in [re.match(r"^([A-Z]+)\[", line)] if m}
    loads, body = {}, []
    for line in statements:
        m = _LOAD.match(line)
        if m and m.group(2).split("[")[0] not in written:
            loads[m.group(1)] = m.group(2)
        else:
            body.append(line)
    chunks, current, accesses, seen = [], [], 0, set()
    for line in body:
        new = {name for name in _names(line) if name in loads} - seen
        count = line.count("[") + len(new)
        if current and accesses + count > piece:
            chunks.append(current)
            current, accesses, seen = [], 0, set()
            new = {name for name in _names(line) if name in loads}
            count = line.count("[") + len(new)
        current.append(line)
        accesses += count
        seen |= new
    chunks.append(current)
    defined, read = [], []
    for chunk in chunks:
        d, r = set(), set()
        for line in chunk:
            m = _ASSIGN.match(line.strip())
            reads = _names(m.group(3)) if m else _names(line)
            if m and m.group(2) != "=":
                reads.add(m.group(1))
            r |= reads - d
            if m and "[" not in m.group(1):
                d.add(m.group(1))
        defined.append(d)
        read.append(r)
    slots = {}
    loops = []
    for k, chunk in enumerate(chunks):
        reloads = sorted((name for name in read[k] if name in loads), key=lambda name: loads[name])
        spilled = sorted(name for name in read[k] if name not in loads and any(name in defined[j] for j in range(k)))
        later = set().union(*read[k + 1:]) if k + 1 < len(chunks) else set()
        stores = sorted(defined[k] & later)
        for name in spilled + stores:
            slots.setdefault(name, len(slots))
        loops.append([f"{name} = {loads[name]}" for name in reloads]
                     + [f"{name} = T[{slots[name]}, l]" for name in spilled] + chunk
                     + [f"T[{slots[name]}, l] = {name}" for name in stores])
    return loops, len(slots)


def _function(name, signature, args, statements, n, width, piece):
    """A lane function: ``statements`` (scalar code over lane ``l``) in lane loops (see :func:`_pieces`).

    The array arguments arrive flat and are named ``Y_``, ``J_``, ...: the
    generated lines' ``_flat`` subscripts read them directly.
    """
    loops, n_slots = _pieces(statements, piece)
    names = [a if a in ("C", "BAD") else a + "_" for a in args]
    # a run-time trip count (it is ``width``): with a literal one LLVM unrolls the loop instead
    # (Y and B have n rows of L lanes)
    count = "C.shape[0]" if "C" in args else f"{'Y_' if 'Y' in args else 'B_'}.shape[0] // {n}"
    lines = [f"@nb.njit({signature}, {_FLAGS})", f"def {name}({', '.join(names)}):"]
    for body in loops:
        lines.append(f"    for l in range({count}):")
        lines += ["        " + _flat(line, n, width) for line in body]
    return lines, n_slots


def _subscripts(body, rules):
    out = []
    for line in body:
        for pattern, replacement in rules:
            line = re.sub(pattern, replacement, line)
        if line.strip() and not line.strip().startswith("#"):
            out.append(line.strip())
    return out


_STATE = [(r"\by\[(\d+)\]", r"Y[\1, l]"), (r"\bp\[(\d+)\]", r"P[\1, l]")]


def _rhs(body, n, width, piece):
    statements = _subscripts(body, _STATE + [(r"\bdydt\[(\d+)\]", r"DYDT[\1, l]")])
    return _function("rhs", "LANE_RHS_SIG", ("Y", "P", "DYDT", "T"), statements, n, width, piece)


def _jac(body, n, width, piece):
    statements = _subscripts(body, _STATE + [(r"\bJ\[(\d+), (\d+)\]", r"J[\1, \2, l]")])
    return _function("jac_nonzeros", "LANE_JAC_SIG", ("Y", "P", "J", "T"), statements, n, width, piece)


def _factor(body, n, width, piece):
    """The scalar factor with its early returns turned into a per-lane flag: the same arithmetic.

    ``bad`` counts the pivots that fail the scalar test; ``BAD[l]`` is 1 when
    any did (the scalar ``factor`` would have returned non-zero).
    """
    statements = ["c = C[l]", "bad = 0.0"]
    i = 0
    while i < len(body):
        line = re.sub(r"\blu\[(\d+)\]", r"LU[\1, l]", body[i]).strip()
        line = re.sub(r"\bJ\[(\d+), (\d+)\]", r"J[\1, \2, l]", line)
        i += 1
        if line.startswith("if not abs(pivot)"):
            # "if not (A) or pivot == 0.0: return k + 1" -> bad unless A and pivot != 0
            test = re.match(r"if not (.*?)( or pivot == 0\.0)?:$", line)
            condition = f"({test.group(1)})" + (" & (pivot != 0.0)" if test.group(2) else "")
            statements.append(f"bad = bad + (0.0 if {condition} else 1.0)")
            i += 1                          # skip the "return k + 1" line
        elif line == "return 0":
            statements.append("BAD[l] = 0 if bad == 0.0 else 1")
        elif line and not line.startswith("#"):
            statements.append(line)
    return _function("factor", "LANE_FACTOR_SIG", ("J", "C", "LU", "BAD", "T"), statements, n, width, piece)


def _solve(body, n, width, piece):
    """The scalar solve with its unknowns kept in ``B`` itself (no locals to spill between loops).

    The scalar code loads ``x_k = b[perm[k]]``, updates the ``x_k`` and stores
    them back; here ``x_k`` is ``B[perm[k], l]`` throughout: the same
    operations on the same values.
    """
    rows = {}
    statements = []
    for line in body:
        line = line.strip()
        load = re.match(r"^x(\d+) = b\[(\d+)\]$", line)
        if load:
            rows[load.group(1)] = load.group(2)
            continue
        if re.match(r"^b\[(\d+)\] = x(\d+)$", line):
            continue
        if line and not line.startswith("#"):
            line = re.sub(r"\blu\[(\d+)\]", r"LU[\1, l]", line)
            statements.append(re.sub(r"\bx(\d+)\b", lambda m: f"B[{rows[m.group(1)]}, l]", line))
    return _function("solve", "LANE_SOLVE_SIG", ("LU", "B", "T"), statements, n, width, piece)


def lane_fingerprint(spec, width=WIDTH):
    """Cache key of the lane module: the scalar kernel's key, the lane width and this generator's version."""
    return f"{kernel_fingerprint(spec, 'straight')}_lanes{width}_{LANES_VERSION}"


def generate_lane_source(spec, width=WIDTH, piece=PIECE):
    """Python source of the lane module of ``spec`` (see the module docstring)."""
    if not supports_lanes(spec):
        raise ValueError(f"model '{spec.name}' has no lane kernels (tape kernel or delay())")
    scalar = generate_source(spec, "straight")
    functions = _functions(scalar)
    size = re.search(r"^LU_SIZE = (\d+)$", scalar, re.M).group(1)
    header = [
        f'"""Lane kernels of model {spec.name!r}: generated by ivigsim.core.kernel.lanes '
        f'({lane_fingerprint(spec, width)}).\n\nDo not edit: delete the file to regenerate it.\n"""',
        "", "import math  # noqa: F401", "", "import numba as nb", "",
        "from ivigsim.core.kernel.lanes import LANE_FACTOR_SIG, LANE_JAC_SIG, LANE_RHS_SIG, LANE_SOLVE_SIG",
        "", f"LU_SIZE = {size}", f"WIDTH = {width}", "",
    ]
    n = spec.n_species
    made = [make(functions[name], n, width, piece[name]) for make, name in
            ((_rhs, "rhs"), (_jac, "jac_nonzeros"), (_factor, "factor"), (_solve, "solve"))]
    blocks = [lines for lines, _ in made]
    text = "\n".join(line for lines in blocks for line in lines)
    calls = set(re.findall(r"math\.(\w+)", text)) - {"sqrt"}
    if re.search(r"\*\*(?!\d+\b)", text):          # a power other than an integer literal: pow()
        calls.add("pow")
    header.insert(-1, f"LIBRARY_CALLS = {tuple(sorted(calls))!r}")
    header.insert(-1, f"SCRATCH = {max(1, max(slots for _, slots in made))}")
    return "\n".join(header) + "\n\n" + "\n\n\n".join("\n".join(b) for b in blocks) + "\n"


def available(spec):
    """Whether a sweep of ``spec`` can run its courses in lanes: lane kernels exist and the JIT is on.

    With ``NUMBA_DISABLE_JIT=1`` the lane loops would run as Python, far slower
    than the scalar path, so the compiled chunk keeps to that.
    """
    return not nb.config.DISABLE_JIT and supports_lanes(spec)


@dataclass(frozen=True)
class LaneKernel:
    """A model's compiled lane functions: the dispatchers, their typed pointers, the scratch rows and width."""

    rhs: object
    jac_nonzeros: object
    factor: object
    solve: object
    typed: tuple          # (rhs, jac_nonzeros, factor, solve) as typed first-class functions
    scratch: int
    width: int
    source_path: str
    library_calls: tuple = ()   # libm functions other than sqrt that the lane functions call

    @property
    def exact(self):
        """Whether each lane is the scalar kernel bit for bit on this installation.

        A vectorised loop keeps calling the scalar libm for ``exp``, ``log`` or
        ``pow`` (the same bits), unless Numba uses Intel's SVML, whose vector
        versions may differ in the last bits: then only models without such
        calls are exact.
        """
        return not (self.library_calls and nb.config.USING_SVML)


def load_lanes(spec, width=WIDTH):
    """The compiled lane kernel of ``spec``: from this process, from disk, or generated now."""
    key = lane_fingerprint(spec, width)
    return _LOADED.get_or_compute(key, lambda: _load(spec, key, width))


def _write(path, text):
    """Write ``text`` to ``path`` atomically (a temporary file in the same folder, then a rename)."""
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _intact(path):
    """Whether the generated module at ``path`` exists and its first line is the sha256 of the rest."""
    try:
        first, _, body = path.read_text().partition("\n")
    except (OSError, UnicodeDecodeError):
        return False
    return first == f"# sha256 {hashlib.sha256(body.encode()).hexdigest()}"


def _load(spec, key, width):
    directory = cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IvigsimError(f"cannot create the kernel cache directory {directory}: {exc.strerror or exc} "
                           f"(set IVIGSIM_CACHE_DIR to a writable directory)") from None
    path = directory / f"lanes_{spec.name}_{key}.py"
    if not _intact(path):               # absent, or damaged (its checksum does not match): written again
        view("progress.note")(f"compiling the lane kernels of {spec.name} (first use, 10-25 s)…")
        body = generate_lane_source(spec, width)
        _write(path, f"# sha256 {hashlib.sha256(body.encode()).hexdigest()}\n{body}")
    name = f"ivigsim_lanes_{spec.name}_{key}"
    loader_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[name] = module
    try:
        loader_spec.loader.exec_module(module)        # compiles, or loads Numba's cache
    except BaseException:
        sys.modules.pop(name, None)
        raise
    typed = (_typed(module.rhs, LANE_RHS_SIG), _typed(module.jac_nonzeros, LANE_JAC_SIG),
             _typed(module.factor, LANE_FACTOR_SIG), _typed(module.solve, LANE_SOLVE_SIG))
    return LaneKernel(module.rhs, module.jac_nonzeros, module.factor, module.solve, typed, module.SCRATCH,
                      width, str(path), module.LIBRARY_CALLS)


def _typed(dispatcher, signature):
    """A compiled lane function as a typed first-class function (its address and signature)."""
    if nb.config.DISABLE_JIT:
        return dispatcher
    from numba.core.types import WrapperAddressProtocol
    from numba.experimental.function_type import _get_wrapper_address

    class _Pointer(WrapperAddressProtocol):
        def __init__(self):
            self._address = _get_wrapper_address(dispatcher, signature)

        def __wrapper_address__(self):
            return self._address

        def signature(self):
            return signature

    return _Pointer()
