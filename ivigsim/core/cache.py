"""One bounded, locked cache for the module-level caches that worker threads share.

Kernels, models, untreated steady states and reaction structures are kept per
process so that a sweep computes each once.  Threads of a sweep read and fill
them at the same time, so every such cache is a :class:`BoundedCache`: a lock
guards the table, a per-key lock makes one thread compute a missing entry
while the others asking for the same key wait for it, and the oldest entry
goes first once ``maxsize`` is reached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

__all__ = ["BoundedCache"]


class BoundedCache:
    """A thread-safe mapping of at most ``maxsize`` entries, oldest evicted first.

    Parameters
    ----------
    maxsize : int
        Most entries kept (at least 1).
    name : str, optional
        What is cached, for its ``repr``.
    """

    def __init__(self, maxsize: int, name: str = "") -> None:
        if int(maxsize) < 1:
            raise ValueError(f"maxsize must be at least 1, got {maxsize!r}")
        self.maxsize = int(maxsize)
        self.name = name
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}

    def __repr__(self) -> str:
        return f"BoundedCache({self.name!r}, {len(self)}/{self.maxsize} entries)"

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._data

    def get(self, key: Hashable, default=None):
        """The entry for ``key``, or ``default``."""
        with self._lock:
            return self._data.get(key, default)

    def put(self, key: Hashable, value) -> None:
        """Store ``value`` under ``key``, evicting the oldest entries beyond ``maxsize``."""
        with self._lock:
            self._data[key] = value
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def get_or_compute(self, key: Hashable, compute: Callable[[], object]):
        """The entry for ``key``; if missing, ``compute()`` it once and store it.

        Threads asking for the same missing key wait for the one computing it;
        other keys are not blocked.  An exception in ``compute`` stores nothing
        and reaches the caller.
        """
        with self._lock:
            if key in self._data:
                return self._data[key]
            key_lock = self._computing.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._data:
                    return self._data[key]
            try:
                value = compute()
                self.put(key, value)
            finally:
                with self._lock:
                    if self._computing.get(key) is key_lock:
                        del self._computing[key]
            return value

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._data.clear()
