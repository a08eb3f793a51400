"""The process-wide caches shared by worker threads: bounded, locked, computed once per key."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import ivigsim as iv
from ivigsim.core import catalogue, simulation, stochastic
from ivigsim.core.cache import BoundedCache
from ivigsim.core.kernel import compiled


def test_the_module_caches_are_bounded_locked_caches():
    for cache in (compiled._LOADED, catalogue._CACHE, simulation._STEADY_STATES, stochastic._STRUCTURE):
        assert isinstance(cache, BoundedCache), cache


def test_bound_evicts_the_oldest_first():
    cache = BoundedCache(3, "test")
    for k in range(5):
        cache.put(k, k * k)
    assert len(cache) == 3 and 0 not in cache and 1 not in cache
    assert [cache.get(k) for k in (2, 3, 4)] == [4, 9, 16]
    with pytest.raises(ValueError, match="maxsize"):
        BoundedCache(0)


def test_a_missing_key_is_computed_once_while_the_others_wait():
    cache = BoundedCache(8, "test")
    calls = []
    barrier = threading.Barrier(16)

    def slow(key):
        calls.append(key)
        time.sleep(0.05)                  # long enough for every thread to ask meanwhile
        return object()

    def ask(key):
        barrier.wait()
        return cache.get_or_compute(key, lambda: slow(key))

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(ask, [k % 2 for k in range(16)]))
    assert sorted(calls) == [0, 1]                      # one computation per key
    assert len({id(r) for r in results[0::2]}) == 1 and len({id(r) for r in results[1::2]}) == 1


def test_a_failed_computation_stores_nothing_and_can_be_retried():
    cache = BoundedCache(2, "test")

    def fail():
        raise RuntimeError("boom")
    with pytest.raises(RuntimeError, match="boom"):
        cache.get_or_compute("k", fail)
    assert "k" not in cache
    assert cache.get_or_compute("k", lambda: 5) == 5


def test_many_threads_hammering_the_cache_keep_it_consistent():
    cache = BoundedCache(16, "test")

    def work(seed):
        rng = np.random.default_rng(seed)
        for key in rng.integers(0, 64, 400):
            value = cache.get_or_compute(int(key), lambda k=int(key): k * 3)
            assert value == int(key) * 3
        return len(cache)

    with ThreadPoolExecutor(8) as pool:
        sizes = list(pool.map(work, range(8)))
    assert max(sizes) <= 16 and len(cache) <= 16


def test_simulations_from_threads_share_one_model_kernel_and_steady_state():
    """Threads simulating the same patient at once get the answer of one thread alone."""
    model = "fcrn_pk"
    regimen = iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8)
    alone = iv.simulate(model, regimen, t_end=40.0, body_weight_kg=70.0)["igg_total"]
    simulation._STEADY_STATES.clear()
    catalogue._CACHE.clear()

    def run(_):
        return iv.simulate(model, regimen, t_end=40.0, body_weight_kg=70.0)["igg_total"]

    with ThreadPoolExecutor(6) as pool:
        together = list(pool.map(run, range(12)))
    for values in together:
        np.testing.assert_array_equal(values, alone)     # bit-identical
    assert len(catalogue._CACHE) >= 1 and len(simulation._STEADY_STATES) >= 1
