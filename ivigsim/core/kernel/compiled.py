"""Load (generating and compiling when needed) the compiled kernel of a model."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import warnings
from dataclasses import dataclass

import numba as nb
import numpy as np

from ivigsim.errors import IvigsimError
from ivigsim.core.cache import BoundedCache
from ivigsim.core.kernel.codegen import cache_dir, generate_source, kernel_fingerprint
from ivigsim.core.kernel.lazy import LazyJit
from ivigsim.core.limits import check_model_size
from ivigsim.core.kernel.signatures import (FACTOR_SIG, JAC_SIG, OBSERVABLES_SIG, RATES_SIG, RHS_SIG,
                                       SOLVE_SIG)
from ivigsim.core.views import view

try:  # typed function pointers: passing them skips a per-call dispatcher lookup
    from numba.core.types import WrapperAddressProtocol
    from numba.experimental.function_type import _get_wrapper_address
except ImportError:  # pragma: no cover - older or newer Numba: pass the dispatchers themselves
    WrapperAddressProtocol = None

# Kernels loaded in this process, by fingerprint (one per model structure).
_LOADED = BoundedCache(64, "kernels")


if WrapperAddressProtocol is not None:
    class _FunctionPointer(WrapperAddressProtocol):
        """A compiled kernel function as a typed first-class function (address + signature)."""

        def __init__(self, dispatcher, signature):
            self._address = _get_wrapper_address(dispatcher, signature)
            self._signature = signature

        def __wrapper_address__(self):
            return self._address

        def signature(self):
            return self._signature


def _typed(dispatcher, signature):
    # With NUMBA_DISABLE_JIT=1 the "dispatchers" are plain Python functions, which
    # have no machine address: the Python drivers then call them directly.
    if WrapperAddressProtocol is None or nb.config.DISABLE_JIT:
        return dispatcher
    return _FunctionPointer(dispatcher, signature)


@dataclass(frozen=True)
class TypedFunctions:
    """The kernel's functions as they are handed to compiled drivers."""

    rhs: object
    jac: object
    rates: object
    observables: object
    factor: object
    solve: object
    jac_nonzeros: object = None


@dataclass(frozen=True)
class Kernel:
    """The compiled functions of one model (see :mod:`ivigsim.core.kernel.signatures`)."""

    fingerprint: str
    rhs: object
    jac: object
    rates: object
    observables: object
    factor: object
    solve: object
    lu_size: int
    n_species: int
    n_parameters: int
    n_mechanisms: int
    n_reactions: int
    n_observables: int
    source_path: str
    typed: TypedFunctions
    jac_nonzeros: object = None

    def parameter_vector(self, values, switches):
        """Kernel vector ``p``: parameter values followed by mechanism switches."""
        return np.concatenate([np.asarray(values, dtype=np.float64),
                               np.asarray(switches, dtype=np.float64)])


# Compiled on first use, not at import (see ivigsim.core.kernel.lazy).
_LAZY = LazyJit(globals())
__getattr__ = _LAZY.module_getattr()


@_LAZY.define("observables_over_time",
              nb.types.void(nb.types.FunctionType(OBSERVABLES_SIG), nb.float64[:, ::1],
                            nb.float64[::1], nb.float64[:, ::1]), cache=True, error_model="numpy")
def _observables_over_time(observables, y, p, out):
    for k in range(y.shape[0]):
        observables(y[k], p, out[k])


def evaluate_observables(kernel, y, p):
    """Observables for every row of ``y`` (n_times, n_species) -> (n_times, n_observables)."""
    out = np.empty((y.shape[0], kernel.n_observables))
    if kernel.n_observables:
        _LAZY.get("observables_over_time")(kernel.typed.observables, np.ascontiguousarray(y), p, out)
    return out


def _write_atomically(path, text):
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


_CHECKSUM_PREFIX = "# sha256 of the lines below: "


def _with_checksum(source):
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
    return f"{_CHECKSUM_PREFIX}{digest}\n{source}"


def _checksum_ok(path):
    """Whether the generated module at ``path`` is intact (its first line is the sha256 of the rest)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    first, _, rest = text.partition("\n")
    return first.startswith(_CHECKSUM_PREFIX) and \
        first[len(_CHECKSUM_PREFIX):] == hashlib.sha256(rest.encode("utf-8")).hexdigest()


def _remove_entry(path):
    """Delete a generated module and Numba's cache files of it (index .nbi, code .nbc)."""
    for stale in [path, *path.parent.glob(f"__pycache__/{path.stem}.*")]:
        try:
            stale.unlink()
        except OSError:
            pass


def _import_kernel_module(spec, path, key):
    module_name = f"ivigsim_kernel_{spec.name}_{key}"
    loader_spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[module_name] = module
    try:
        loader_spec.loader.exec_module(module)      # compiles, or loads Numba's cache
        for name in ("rhs", "jac", "jac_nonzeros", "rates", "observables", "factor", "solve", "LU_SIZE"):
            getattr(module, name)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def _load_module(spec, key, style=None):
    """Import the kernel module, regenerating it once when the cache entry is damaged.

    A generated file whose checksum does not match, or one that fails to import
    or compile (a truncated file, a corrupt Numba cache, an edit by hand), is
    removed with a warning and built again; a second failure is an error.
    """
    directory = cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IvigsimError(f"cannot create the kernel cache directory {directory}: {exc.strerror or exc} "
                           f"(set IVIGSIM_CACHE_DIR to a writable directory)") from None
    path = directory / f"kernel_{spec.name}_{key}.py"
    if path.exists() and not _checksum_ok(path):
        warnings.warn(f"kernel cache entry {path} is damaged (checksum mismatch); it is removed and "
                      f"generated again", RuntimeWarning, stacklevel=3)
        _remove_entry(path)
    if not any((directory / "__pycache__").glob(f"{path.stem}.*.nbi")):    # Numba has no compiled copy yet
        view("progress.note")(f"compiling {spec.name} (first use, ~10 s)…")
    for attempt in (1, 2):
        if not path.exists():
            _write_atomically(path, _with_checksum(generate_source(spec, style)))
        try:
            return _import_kernel_module(spec, path, key)
        except Exception as exc:       # noqa: BLE001 - whatever broke, the entry is rebuilt once
            _remove_entry(path)
            first_line = (str(exc).strip().splitlines() or [""])[0][:300]
            if attempt == 2:
                raise IvigsimError(f"model '{spec.name}': its compiled kernel cannot be built "
                                   f"({type(exc).__name__}: {first_line}); the cache entry was removed. "
                                   f"Check the model's rate laws for values that are not finite") from None
            warnings.warn(f"kernel cache entry {path} could not be loaded ({type(exc).__name__}: "
                          f"{first_line}); it is removed and built again", RuntimeWarning, stacklevel=3)
    raise AssertionError("unreachable")  # pragma: no cover


def load_kernel(spec, style=None):
    """The compiled kernel of ``spec``: from this process, from disk, or built now.

    ``style`` (``"straight"`` or ``"tape"``) forces a kernel style, for tests
    and benchmarks; None lets :func:`ivigsim.core.kernel.codegen.kernel_style` pick.
    """
    check_model_size(spec.name, spec.n_species, len(spec.reactions))   # before the key: it reads the rate laws
    key = kernel_fingerprint(spec, style)
    return _LOADED.get_or_compute(key, lambda: _load_kernel(spec, key, style))


def _load_kernel(spec, key, style):
    module = _load_module(spec, key, style)
    path = cache_dir() / f"kernel_{spec.name}_{key}.py"
    kernel = Kernel(
        fingerprint=key, rhs=module.rhs, jac=module.jac, rates=module.rates,
        observables=module.observables, factor=module.factor, solve=module.solve,
        lu_size=module.LU_SIZE, n_species=spec.n_species,
        n_parameters=len(spec.parameters), n_mechanisms=len(spec.mechanisms),
        n_reactions=len(spec.reactions), n_observables=len(spec.observables),
        source_path=str(path),
        typed=TypedFunctions(
            rhs=_typed(module.rhs, RHS_SIG), jac=_typed(module.jac, JAC_SIG),
            rates=_typed(module.rates, RATES_SIG), observables=_typed(module.observables, OBSERVABLES_SIG),
            factor=_typed(module.factor, FACTOR_SIG), solve=_typed(module.solve, SOLVE_SIG),
            jac_nonzeros=_typed(module.jac_nonzeros, JAC_SIG)),
        jac_nonzeros=module.jac_nonzeros,
    )
    return kernel
