"""Generic executors: every task once, bounded tasks in flight, errors stop the map."""

import threading
import time

import pytest

from ivigsim.sweep.executors import TASKS_PER_WORKER, DaskExecutor, ProcessExecutor, ThreadExecutor


class Recorder:
    """A task function that counts how many calls run at once."""

    def __init__(self, fail_at=None):
        self.lock = threading.Lock()
        self.running = self.most = 0
        self.started = []
        self.fail_at = fail_at

    def __call__(self, offset, task):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.started.append(task)
        try:
            time.sleep(0.002)
            if task == self.fail_at:
                raise ZeroDivisionError(f"task {task}")
            return offset + task
        finally:
            with self.lock:
                self.running -= 1


def test_one_worker_runs_in_order_in_the_calling_thread():
    fn = Recorder()
    assert list(ThreadExecutor(1).map(fn, range(7), 100)) == list(range(100, 107))
    assert fn.most == 1


def test_threads_run_every_task_once_with_its_shared_arguments():
    fn = Recorder()
    results = list(ThreadExecutor(3).map(fn, range(60), 1000))
    assert sorted(results) == list(range(1000, 1060))
    assert sorted(fn.started) == list(range(60))
    assert 1 < fn.most <= 3


def test_tasks_are_submitted_lazily(monkeypatch):
    """At most TASKS_PER_WORKER x workers tasks exist as futures: a consumer that has
    read k results has caused at most k + window tasks to be taken from the iterator."""
    taken = []

    def tasks():
        for k in range(200):
            taken.append(k)
            yield k

    stream = ThreadExecutor(2).map(Recorder(), tasks(), 0)
    for _ in range(5):
        next(stream)
    assert len(taken) <= 5 + TASKS_PER_WORKER * 2 + 1
    stream.close()
    assert len(taken) < 200


@pytest.mark.parametrize("workers", [1, 2])
def test_an_exception_stops_the_map_and_cancels_the_queued_tasks(workers):
    fn = Recorder(fail_at=5)
    with pytest.raises(ZeroDivisionError, match="task 5"):
        list(ThreadExecutor(workers).map(fn, range(500), 0))
    time.sleep(0.05)        # let any task still running finish
    assert len(fn.started) < 5 + TASKS_PER_WORKER * workers + 2


@pytest.mark.slow
def test_processes_run_every_task_once_and_carry_read_only_mappings():
    import types
    shared = types.MappingProxyType({"offset": 7})      # frozen experiment tables are such mappings
    executor = ProcessExecutor(2, preload=())
    assert sorted(executor.map(_add_from_mapping, range(20), shared)) == list(range(7, 27))
    with pytest.raises(ZeroDivisionError, match="task 3"):
        list(executor.map(_fail_at_3, range(20), 0))


def test_dask_runs_every_task_once():
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        executor = DaskExecutor(client=client)
        assert executor.workers == 2
        assert sorted(executor.map(_add, range(30), 5)) == list(range(5, 35))
        with pytest.raises(ZeroDivisionError):
            list(executor.map(_fail_at_3, range(30), 0))
        executor.close()
        assert client.status == "running"       # a client passed in stays open


def _add(offset, task):
    return offset + task


def _fail_at_3(offset, task):
    if task == 3:
        raise ZeroDivisionError("task 3")
    return offset + task


def _add_from_mapping(mapping, task):
    return mapping["offset"] + task
