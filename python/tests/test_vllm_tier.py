"""Spillway as a vLLM 0.33 secondary tier, driven by vLLM's own TieringOffloadingSpec and
TieringOffloadingManager over a real SharedOffloadRegion, the tier loaded through
``module_path`` exactly as ``--kv-transfer-config`` would load it."""

from __future__ import annotations

import os

import numpy as np
import pytest

from conftest import requires_vllm

pytestmark = requires_vllm

CHUNK = 256 * 1024


_drivers: list = []


@pytest.fixture(autouse=True)
def shut_down_drivers():
    """Shuts down every driver a test made, also when the test failed half-way, so no
    region file is left in /dev/shm."""
    yield
    while _drivers:
        driver = _drivers.pop()
        try:
            driver.shutdown()
        except Exception:
            pass


def tier_config(root: str, overrides: dict) -> dict:
    config = {"type": "SpillwayTier", "module_path": "spillway.vllm", "locality": "LOCAL",
              "directory": root, "capacity_bytes": "64MiB"}
    config.update(overrides)
    return config


def driver_for(root: str, num_chunks: int = 16, chunk_bytes: int = CHUNK, *,
               model: str = "spillway-test/model", events: bool = False, **overrides):
    import harness
    spec = harness.make_spec([tier_config(root, overrides)], num_chunks=num_chunks,
                             chunk_bytes=chunk_bytes, model=model,
                             enable_kv_cache_events=events)
    driver = harness.Driver(spec)
    _drivers.append(driver)
    return driver


def keys(start: int, count: int) -> list[bytes]:
    import harness
    return [harness.chunk_key(i) for i in range(start, start + count)]


def data_file(tier) -> str:
    return os.path.join(tier.path, "spillway-data.0")


def test_store_evict_promote_every_byte(scratch):
    """Chunks cascade to Spillway on store; once the 16-chunk primary evicted them, a new
    request promotes them back through Spillway with every byte equal."""
    driver = driver_for(scratch)
    tier = driver.tiers[0]
    assert type(tier).__name__ == "SpillwayTier" and tier.locality is not None
    first = keys(0, 48)
    for i in range(0, 48, 8):
        driver.play(first[i:i + 8])
        driver.settle()
    assert tier.stats()["blocks_stored"] == 48
    for i in range(0, 48, 8):
        driver.play(first[i:i + 8])
        driver.settle()
    stats = driver.stats
    assert stats.verify_failures == 0
    assert stats.hits_secondary >= 32, stats
    assert stats.hits_secondary + stats.hits_primary == 48
    native = tier.stats()
    assert native["blocks_loaded"] == stats.hits_secondary
    # vLLM's rows are page aligned: with O_DIRECT every chunk moves in place, no staging.
    assert native["direct_io"] == 1
    assert native["blocks_zero_copy_stored"] == 48
    assert native["blocks_zero_copy_loaded"] == stats.hits_secondary
    assert native["blocks_load_failed"] == 0 and native["blocks_corrupt"] == 0
    # Whole promotions are one batched job per request.
    assert native["jobs_load"] <= 6
    driver.shutdown()


def test_restart_hits_with_identical_bytes(scratch):
    """A restarted engine with the same model and layout hits what the previous run stored,
    with identical bytes."""
    driver = driver_for(scratch)
    stored = keys(100, 24)
    for i in range(0, 24, 8):
        driver.play(stored[i:i + 8])
        driver.settle()
    driver.shutdown()

    again = driver_for(scratch)
    tier = again.tiers[0]
    assert tier.stats()["blocks_held"] == 24
    for i in range(0, 24, 8):
        assert again.play(stored[i:i + 8]) == 8
    again.settle()
    assert again.stats.hits_secondary == 24 and again.stats.verify_failures == 0
    again.shutdown()


def test_namespace_isolation(scratch):
    """Another model (or dtype, chunk size) gets its own namespace: it never hits the first
    one's chunks; the first one still does."""
    driver = driver_for(scratch)
    stored = keys(200, 8)
    driver.play(stored)
    first_path = driver.tiers[0].path
    driver.shutdown()

    other = driver_for(scratch, model="another/model")
    assert other.tiers[0].path != first_path
    assert other.play(stored) == 0
    other.shutdown()

    bigger = driver_for(scratch, chunk_bytes=2 * CHUNK, num_chunks=8)
    assert bigger.tiers[0].path != first_path
    assert bigger.play(stored) == 0
    bigger.shutdown()

    same = driver_for(scratch)
    assert same.tiers[0].path == first_path
    assert same.play(stored) == 8 and same.stats.verify_failures == 0
    same.shutdown()


def test_capacity_never_exceeded(scratch):
    """A 4 MiB tier (15 chunks of 256 KiB with headers) under 80 stored chunks evicts least
    recently used chunks; the data file never grows past the capacity."""
    capacity = 4 * 1024 * 1024
    driver = driver_for(scratch, capacity_bytes=capacity)
    tier = driver.tiers[0]
    for i in range(0, 80, 8):
        driver.play(keys(300 + i, 8))
        driver.settle()
        stats = tier.stats()
        assert stats["bytes_used"] <= capacity
        assert os.path.getsize(data_file(tier)) <= capacity
    stats = tier.stats()
    assert stats["blocks_evicted"] >= 80 - 15
    assert stats["blocks_held"] <= 15
    # The most recent chunks are the ones kept: they promote back intact.
    recent = keys(300 + 72, 8)
    hits = driver.play(recent)
    assert hits == 8 and driver.stats.verify_failures == 0
    driver.shutdown()


def _flip_payload_byte(path: str, key: bytes) -> None:
    """Flips one payload byte of `key`'s record (its header holds the key at +32; the
    payload starts at +128, or at +4096 in the zero-copy layout: +5096 is inside both)."""
    with open(path, "r+b") as f:
        data = f.read()
        at = data.find(key)
        assert at >= 32, "record of the key not found"
        record = at - 32
        f.seek(record + 4096 + 1000)
        byte = f.read(1)
        f.seek(record + 4096 + 1000)
        f.write(bytes([byte[0] ^ 0x40]))


def test_corrupt_chunk_is_a_counted_miss_and_failed_read_is_partial(scratch):
    """One chunk corrupted on disk: its promotion fails, the job reports the other chunks
    as successful (partial result), the corrupt one is counted, answers MISS from then on
    (no promote-fail loop), and its wrong bytes are never served as a hit."""
    driver = driver_for(scratch)
    stored = keys(400, 8)
    driver.play(stored)
    path = data_file(driver.tiers[0])
    driver.shutdown()
    _flip_payload_byte(path, stored[3])

    again = driver_for(scratch)
    tier = again.tiers[0]
    results = []
    original = tier.get_finished_jobs

    def recording():
        finished = list(original())
        results.extend(finished)
        return finished

    tier.get_finished_jobs = recording
    from vllm.v1.kv_offload.base import LookupResult, ReqContext
    context = again.new_context()
    hits = again.lookup_prefix(context, stored)
    again.settle()
    assert hits == 3, "the prefix stops at the corrupt chunk"
    loads = [r for r in results if not r.success]
    assert len(loads) == 1
    assert set(loads[0].successful_keys) == set(stored) - {stored[3]}
    stats = tier.stats()
    assert stats["blocks_corrupt"] == 1 and stats["blocks_load_failed"] == 1
    # A MISS from now on, for the tier and for vLLM's manager: no promote-fail loop.
    assert tier.lookup(stored[3], ReqContext(req_id="x")) is LookupResult.MISS
    assert again.manager.lookup(stored[3], context) is LookupResult.MISS
    assert tier.stats()["jobs_load"] == 1
    again.manager.on_request_finished(context)
    # The promoted chunks hold the right bytes; the chunk is recomputed and stored again,
    # and a clean copy replaces the corrupt one.
    assert again.play(stored) == 3
    again.settle()
    assert again.stats.verify_failures == 0
    assert tier.lookup(stored[3], ReqContext(req_id="y")) is LookupResult.HIT
    again.shutdown()


def test_jobs_in_flight_while_lookups_and_stores_arrive(scratch):
    """Requests arrive every few engine steps without waiting for the tier: stores cascade
    while earlier promotions are in flight; every cascade is accounted for, every answer
    stays consistent and every promoted byte is right."""
    import time
    driver = driver_for(scratch, num_chunks=32, queue_depth=4)
    for round_ in range(3):
        for i in range(0, 96, 12):
            driver.play(keys(500 + i, 12))
            for _ in range(3):
                driver.step()
                time.sleep(0.001)
    driver.settle()
    assert driver.stats.verify_failures == 0
    assert driver.stats.hits_secondary > 0
    stats = driver.tiers[0].stats()
    assert stats["blocks_load_failed"] == 0
    assert stats["blocks_stored"] + stats["blocks_store_skipped"] == driver.stats.stored
    assert stats["blocks_stored"] <= 96, "a chunk the tier holds is never written twice"
    driver.shutdown()


def test_drain_reset_and_shutdown(scratch):
    """reset_cache drains every transfer (vLLM asserts no job is left), keeps the tier's
    chunks, and promotions resume after on_reset_flushed; shutdown leaves everything
    durable and no reference into the primary memory."""
    driver = driver_for(scratch)
    stored = keys(600, 16)
    driver.play(stored[:8])
    driver.play(stored[8:])
    driver.manager.reset_cache()          # drains the cascades still in flight          # asserts internally that no job is left
    tier = driver.tiers[0]
    assert tier.stats()["blocks_held"] == 16
    assert not tier.has_pending_work()
    driver.manager.on_reset_flushed()
    assert driver.play(stored[:8]) == 8
    driver.settle()
    assert driver.stats.verify_failures == 0
    region = driver.spec._scheduler_mmap
    assert region is not None and region.mmap_obj is not None
    driver.shutdown()
    assert tier._tier.closed
    # The tier let go of every export of the primary memory: vLLM could unmap it (it keeps
    # a region mapped, and logs "Keeping ... mapped", while a native user still exports it).
    assert region.mmap_obj is None
    # shutdown synced: a new engine sees all 16.
    again = driver_for(scratch)
    assert again.tiers[0].stats()["blocks_held"] == 16
    again.shutdown()


def test_metrics_and_events(scratch):
    """get_stats reports Spillway's counters under declared metric names; with KV events
    on, stored chunks and evictions become OffloadingEvents of medium STORAGE."""
    from spillway.vllm import METRIC_PREFIX, SpillwayTier
    from vllm.v1.kv_offload.base import Medium

    definitions = SpillwayTier.build_metric_definitions({})
    driver = driver_for(scratch, capacity_bytes=3 * 1024 * 1024, events=True,
                        enable_kv_events=True)
    tier = driver.tiers[0]
    for i in range(0, 32, 8):
        driver.play(keys(700 + i, 8))
        driver.settle()
    stats = tier.get_stats()
    data = stats.data
    flat = repr(data)
    for name in ("blocks_stored", "blocks_evicted", "bytes_written"):
        assert METRIC_PREFIX + name in definitions
        assert METRIC_PREFIX + name in flat
    events = list(driver.manager.take_events())
    mine = [e for e in events if e.medium is Medium.STORAGE]
    stored = sum(len(e.keys) for e in mine if not e.removed)
    removed = sum(len(e.keys) for e in mine if e.removed)
    assert stored == 32
    assert removed == tier.stats()["blocks_evicted"] > 0
    driver.shutdown()


@pytest.mark.parametrize("overrides, fragment", [
    ({"capacity_bytes": "lots"}, "capacity_bytes"),
    ({"capacity_bytes": None}, "capacity_bytes"),
    ({"capacity_bytes": 1000}, "at least one chunk"),
    ({"compression": "zstd"}, "compression='zstd'"),
    ({"queue_depth": 0}, "queue_depth=0"),
    ({"queue_depth": 99999}, "1..4096"),
    ({"direct_io": "sometimes"}, "direct_io"),
    ({"sync_interval_blocks": -1}, "sync_interval_blocks"),
    ({"namespace": "../escape"}, "namespace"),
    ({"colour": "blue"}, "unknown key"),
    ({"directory": ""}, "directory"),
    ({"extra_directories": "/one/path"}, "extra_directories='/one/path'"),
    ({"extra_directories": ["", "/b"]}, "a list of directory paths"),
    ({"extra_directories": ["/b"], "capacity_bytes": 300 * 1024}, "one chunk (262144 bytes) per directory"),
])
def test_bad_configurations_fail_at_start(scratch, overrides, fragment):
    """A bad tier value fails when the engine builds its manager, naming the key and the
    allowed values, and leaves no region file behind."""
    import glob
    before = set(glob.glob("/dev/shm/vllm_offload_spillway-test-*"))
    with pytest.raises(ValueError) as raised:
        driver_for(scratch, **overrides)
    assert fragment in str(raised.value)
    assert set(glob.glob("/dev/shm/vllm_offload_spillway-test-*")) <= before


def test_compressed_tier_round_trip(scratch):
    """lz4-shuffle on: chunks still round-trip byte for byte through vLLM (settling after
    each request, so no store is dropped while the primary is pinned)."""
    driver = driver_for(scratch, compression="lz4-shuffle")
    stored = keys(800, 24)
    for _ in range(2):
        for i in range(0, 24, 8):
            driver.play(stored[i:i + 8])
            driver.settle()
    assert driver.stats.store_refused == 0
    assert driver.stats.verify_failures == 0 and driver.stats.hits_secondary >= 8
    # Every chunk was kept compressed, stored raw because it did not shrink, or stored raw
    # because the compression threads were busy; the last two are told apart.
    native = driver.tiers[0].stats()
    compressed = native["blocks_compressed"]
    busy = native["blocks_stored_raw_backpressure"]
    skipped = native["blocks_stored_raw_incompressible"]
    assert compressed + busy + skipped <= native["blocks_stored"]
    assert native["bytes_given_up_backpressure"] >= 0
    driver.shutdown()


def test_second_engine_on_the_same_tier_is_refused(scratch):
    """A tier has one writer: a second engine with the same directory and configuration
    fails at start naming the first one's pid; once the first shut down, it opens."""
    import spillway
    first = driver_for(scratch)
    with pytest.raises(spillway.TierError) as refused:
        driver_for(scratch)
    assert f"pid {os.getpid()}" in str(refused.value)
    first.shutdown()
    again = driver_for(scratch)
    again.shutdown()


def test_striped_over_two_directories(scratch):
    """extra_directories from the tier's config dict: the namespace directory under each
    holds a data file with chunks in it, chunks promote back through vLLM with every byte
    equal, a restart with the same list hits, and one with another list fails at start
    naming the difference."""
    import spillway
    home, extra, other = (os.path.join(scratch, name) for name in ("home", "extra", "other"))
    driver = driver_for(home, extra_directories=[extra])
    tier = driver.tiers[0]
    assert tier.extra_paths == [os.path.join(extra, tier.namespace)]
    stored = keys(900, 48)
    for _ in range(2):
        for i in range(0, 48, 8):
            driver.play(stored[i:i + 8])
            driver.settle()
    assert driver.stats.verify_failures == 0 and driver.stats.hits_secondary >= 32
    native = tier.stats()
    assert native["blocks_stored"] == 48 and native["capacity_bytes"] == 64 << 20
    driver.shutdown()
    for path, name in ((tier.path, "spillway-data.0"), (tier.extra_paths[0], "spillway-data.1")):
        data = open(os.path.join(path, name), "rb").read()
        assert any(data.find(k) >= 0 for k in stored), f"{name} holds no chunk"

    again = driver_for(home, extra_directories=[extra])
    assert again.tiers[0].stats()["blocks_held"] == 48
    assert again.play(stored[40:]) == 8
    again.settle()
    assert again.stats.verify_failures == 0
    again.shutdown()

    with pytest.raises(spillway.TierError) as moved:
        driver_for(home, extra_directories=[other])
    assert "directory 2: created " + os.path.realpath(tier.extra_paths[0]) in str(moved.value)
