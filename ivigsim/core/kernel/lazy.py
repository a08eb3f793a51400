"""Numba functions with explicit signatures, compiled on first use instead of at import.

``@nb.njit(signature)`` compiles (or loads from Numba's cache) when the module
is imported, so ``import ivigsim`` would pay for solvers it may never run.
:class:`LazyJit` keeps the Python function and the signature, and builds the
dispatcher, with exactly that signature and those options, the first time it
is asked for: through the module's ``__getattr__`` (so ``from module import
name`` and ``module.name`` keep working) or through :meth:`LazyJit.get`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numba as nb

__all__ = ["LazyJit"]


class LazyJit:
    """A table of functions to compile with ``nb.njit(signature, **options)`` on first use.

    Parameters
    ----------
    namespace : dict
        The module's ``globals()``: a compiled function is stored there under
        its public name, so that later look-ups are plain attribute access.
    """

    def __init__(self, namespace: dict) -> None:
        self._namespace = namespace
        self._table: dict[str, tuple[Callable, object, dict]] = {}
        self._lock = threading.Lock()

    def define(self, name: str, signature, **options) -> Callable[[Callable], Callable]:
        """Decorator: compile the function as ``name`` with ``signature`` when first asked for.

        The decorated Python function is returned unchanged (under its private
        name), so nothing is compiled at import.
        """
        def register(py_func: Callable) -> Callable:
            self._table[name] = (py_func, signature, options)
            return py_func
        return register

    def names(self) -> tuple[str, ...]:
        """The public names of the functions in the table."""
        return tuple(self._table)

    def get(self, name: str):
        """The compiled function ``name`` (compiled now if it is the first request)."""
        compiled = self._namespace.get(name)
        if compiled is not None:
            return compiled
        with self._lock:                   # two threads asking at once compile once
            compiled = self._namespace.get(name)
            if compiled is None:
                py_func, signature, options = self._table[name]
                compiled = nb.njit(signature, **options)(py_func)
                self._namespace[name] = compiled
        return compiled

    def module_getattr(self) -> Callable[[str], object]:
        """A module-level ``__getattr__`` that compiles table entries on first access."""
        module = self._namespace.get("__name__", "module")

        def __getattr__(name: str):
            if name in self._table:
                return self.get(name)
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        return __getattr__
