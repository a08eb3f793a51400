"""Generic executors: ``map(fn, tasks, *shared)`` on threads, processes or a Dask cluster.

They know nothing of models or sweeps. ``fn(*shared, task)`` runs once per
task and the results are yielded as they finish, in any order: a caller that
needs an order places each result by its own ids (a sweep places chunks by
point id, so 1 worker and 16 give identical numbers).

Memory stays bounded whatever the number of tasks: at most ``window`` tasks
are in flight, a new one is submitted only when one finishes, and each
finished future is dropped as soon as its result is handed on. An exception
raised by ``fn`` stops the map: the queued tasks are cancelled and the
exception reaches the caller with its own traceback.
"""

from __future__ import annotations

import concurrent.futures as cf
import copyreg
import io
import itertools
import os
import pickle
import types

from ivigsim.errors import IvigsimError

#: Tasks in flight per worker: enough that a worker never waits for the next
#: one to be submitted, few enough that finished results do not pile up.
TASKS_PER_WORKER = 2


def default_workers():
    """Cores this process may use (its CPU affinity), at least 1."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


class ThreadExecutor:
    """Runs tasks on threads of this process.

    Parallel only when ``fn`` releases the GIL for most of its time, as the
    compiled solver does.

    Parameters
    ----------
    workers : int, optional
        Threads (default: :func:`default_workers`). With 1, tasks run in the
        calling thread, one after another.
    """

    name = "in-process"

    def __init__(self, workers=None):
        self.workers = workers or default_workers()

    def map(self, fn, tasks, *shared):
        """Yield ``fn(*shared, task)`` for each task, as each finishes."""
        if self.workers == 1:
            for task in tasks:
                yield fn(*shared, task)
            return
        tasks = iter(tasks)
        pool = cf.ThreadPoolExecutor(max_workers=self.workers)
        pending = {pool.submit(fn, *shared, task)
                   for task in itertools.islice(tasks, TASKS_PER_WORKER * self.workers)}
        try:
            while pending:
                done, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                for future in done:
                    result = future.result()
                    for task in itertools.islice(tasks, 1):
                        pending.add(pool.submit(fn, *shared, task))
                    yield result
                del done, future
        finally:
            # On an interrupt, an error or any early exit the queued tasks are
            # cancelled at once; only those already running finish.
            for future in pending:
                future.cancel()
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self):
        """Nothing to release: the threads end with each map."""


class ProcessExecutor:
    """Runs tasks in worker processes of this machine: no shared GIL, so the
    Python part of each task runs in parallel too.

    The ``shared`` arguments are sent to each worker once, when it starts.
    Workers are forked from a clean server process (``forkserver``) that has
    imported ``preload`` once; each loads what it needs (compiled kernels
    from the disk cache) on its first task. ``fn`` and the tasks must be
    picklable (``fn`` a module-level function).

    Parameters
    ----------
    workers : int, optional
        Processes (default: :func:`default_workers`).
    preload : tuple of str
        Modules the server imports before forking workers.
    """

    name = "processes"

    def __init__(self, workers=None, preload=("ivigsim.sweep.ensemble",)):
        self.workers = workers or default_workers()
        self.preload = tuple(preload)

    def map(self, fn, tasks, *shared):
        """Yield ``fn(*shared, task)`` for each task, as each finishes."""
        import multiprocessing
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(self.preload))
        tasks = iter(tasks)
        pool = cf.ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                      initializer=_set_shared, initargs=(_dumps(shared),))
        pending = {pool.submit(_call_shared, fn, task)
                   for task in itertools.islice(tasks, TASKS_PER_WORKER * self.workers)}
        try:
            while pending:
                done, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                for future in done:
                    result = future.result()
                    for task in itertools.islice(tasks, 1):
                        pending.add(pool.submit(_call_shared, fn, task))
                    yield result
                del done, future
        finally:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True, cancel_futures=True)

    def close(self):
        """Nothing to release: the processes end with each map."""


_SHARED = ()


def _mapping_proxy(items):
    return types.MappingProxyType(items)


def _dumps(value):
    """Pickle ``value``; read-only mappings (frozen experiment tables) travel as their contents."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table,
                              types.MappingProxyType: lambda m: (_mapping_proxy, (dict(m),))}
    pickler.dump(value)
    return buffer.getvalue()


def _set_shared(payload):
    """Worker initializer: keep the shared arguments of this map."""
    global _SHARED
    _SHARED = pickle.loads(payload)


def _call_shared(fn, task):
    return fn(*_SHARED, task)


class DaskExecutor:
    """Runs tasks on a dask.distributed cluster; the ``shared`` arguments are sent to each worker once.

    Parameters
    ----------
    address : str, optional
        Scheduler address (``tcp://host:8786``); None starts a local cluster.
    client : dask.distributed.Client, optional
        A client to use (it stays open on :meth:`close`).
    timeout_s : float, optional
        How long to wait for the scheduler (default ``IVIGSIM_DASK_TIMEOUT_S`` or 10 s).
    """

    name = "dask"

    def __init__(self, address=None, client=None, timeout_s=None):
        try:
            from dask.distributed import Client
        except ImportError as exc:      # optional extra
            raise IvigsimError("the Dask executor needs the 'dask' extra: pip install 'ivigsim[dask]'") from exc
        self.address = address
        self._owns_client = client is None
        if client is None:
            timeout_s = timeout_s or float(os.environ.get("IVIGSIM_DASK_TIMEOUT_S", "10"))
            try:
                client = Client(address, timeout=f"{timeout_s}s")
            except (OSError, TimeoutError, ValueError, TypeError) as exc:
                raise IvigsimError(f"--scheduler {address}: cannot reach a Dask scheduler there within "
                                   f"{timeout_s:g} s ({type(exc).__name__}: {str(exc)[:200]}); check the "
                                   f"address (tcp://host:8786) and that the scheduler runs "
                                   f"(IVIGSIM_DASK_TIMEOUT_S sets the wait)") from None
        self.client = client

    @property
    def workers(self):
        """Worker threads of the cluster now (at least 1)."""
        return max(1, sum(self.client.nthreads().values()))

    def map(self, fn, tasks, *shared):
        """Yield ``fn(*shared, task)`` for each task, as each finishes."""
        from dask.distributed import as_completed
        shared = [self.client.scatter(value, broadcast=True) for value in shared]
        tasks = iter(tasks)
        queue = as_completed([self.client.submit(fn, *shared, task, pure=False)
                              for task in itertools.islice(tasks, TASKS_PER_WORKER * self.workers)])
        try:
            for future in queue:
                result = future.result()
                for task in itertools.islice(tasks, 1):
                    queue.add(self.client.submit(fn, *shared, task, pure=False))
                yield result
        finally:
            pending = list(queue.futures) if hasattr(queue, "futures") else []
            if pending:
                self.client.cancel(pending)

    def close(self):
        """Close the client this executor opened (a client passed in stays open)."""
        if self._owns_client and self.client is not None:
            self.client.close()
            self.client = None


#: The name the thread executor had before it became generic.
InProcessExecutor = ThreadExecutor
