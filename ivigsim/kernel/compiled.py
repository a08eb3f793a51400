"""Load (generating and compiling when needed) the compiled kernel of a model."""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass

import numba as nb
import numpy as np

from ivigsim.kernel.codegen import cache_dir, generate_source, kernel_fingerprint
from ivigsim.kernel.signatures import (FACTOR_SIG, JAC_SIG, OBSERVABLES_SIG, RATES_SIG, RHS_SIG,
                                       SOLVE_SIG)

try:  # typed function pointers: passing them skips a per-call dispatcher lookup
    from numba.core.types import WrapperAddressProtocol
    from numba.experimental.function_type import _get_wrapper_address
except ImportError:  # pragma: no cover - older or newer Numba: pass the dispatchers themselves
    WrapperAddressProtocol = None

_LOADED = {}


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
    return dispatcher if WrapperAddressProtocol is None else _FunctionPointer(dispatcher, signature)


@dataclass(frozen=True)
class TypedFunctions:
    """The kernel's functions as they are handed to compiled drivers."""

    rhs: object
    jac: object
    rates: object
    observables: object
    factor: object
    solve: object


@dataclass(frozen=True)
class Kernel:
    """The compiled functions of one model (see :mod:`ivigsim.kernel.signatures`)."""

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

    def parameter_vector(self, values, switches):
        """Kernel vector ``p``: parameter values followed by mechanism switches."""
        return np.concatenate([np.asarray(values, dtype=np.float64),
                               np.asarray(switches, dtype=np.float64)])


@nb.njit(nb.types.void(nb.types.FunctionType(OBSERVABLES_SIG), nb.float64[:, ::1],
                       nb.float64[::1], nb.float64[:, ::1]), cache=True, error_model="numpy")
def _observables_over_time(observables, y, p, out):
    for k in range(y.shape[0]):
        observables(y[k], p, out[k])


def evaluate_observables(kernel, y, p):
    """Observables for every row of ``y`` (n_times, n_species) -> (n_times, n_observables)."""
    out = np.empty((y.shape[0], kernel.n_observables))
    if kernel.n_observables:
        _observables_over_time(kernel.typed.observables, np.ascontiguousarray(y), p, out)
    return out


def _write_atomically(path, text):
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def load_kernel(spec):
    """The compiled kernel of ``spec``: from this process, from disk, or built now."""
    key = kernel_fingerprint(spec)
    if key in _LOADED:
        return _LOADED[key]
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"kernel_{spec.name}_{key}.py"
    if not path.exists():
        _write_atomically(path, generate_source(spec))
    if not any((directory / "__pycache__").glob(f"{path.stem}.*.nbi")):    # Numba has no compiled copy yet
        from ivigsim.progress import note
        note(f"compiling {spec.name} (first use, ~10 s)…")
    module_name = f"ivigsim_kernel_{spec.name}_{key}"
    loader_spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[module_name] = module
    loader_spec.loader.exec_module(module)
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
            factor=_typed(module.factor, FACTOR_SIG), solve=_typed(module.solve, SOLVE_SIG)),
    )
    _LOADED[key] = kernel
    return kernel

