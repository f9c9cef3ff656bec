"""Drives vLLM 0.33's own TieringOffloadingSpec / TieringOffloadingManager on a CPU-only
machine: a real SharedOffloadRegion in /dev/shm as the primary tier, secondary tiers
loaded from their configuration dicts (Spillway's through ``module_path``), and requests
played the way vLLM's scheduler plays them (lookup, promote, prepare/complete store,
cascade, poll at the end of every step). Every chunk's bytes are a function of its key,
so every promoted chunk can be checked byte for byte.

Used by the tests and by scripts/bench-vllm.py.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass, field

import numpy as np

from vllm.v1.kv_offload.base import LookupResult, ReqContext, ScheduleEndContext
from vllm.v1.kv_offload.config import (
    OffloadingCacheConfig,
    OffloadingConfig,
    OffloadingGroupConfig,
    OffloadingModelConfig,
    OffloadingParallelConfig,
)
from vllm.v1.kv_offload.tiering.spec import TieringOffloadingSpec

STEP_END = ScheduleEndContext(new_req_ids=(), preempted_req_ids=())


def make_spec(
    secondary_tiers: list[dict],
    *,
    num_chunks: int,
    chunk_bytes: int,
    model: str = "spillway-test/model",
    dtype: str = "bfloat16",
    engine_id: str | None = None,
    enable_kv_cache_events: bool = False,
    extra: dict | None = None,
) -> TieringOffloadingSpec:
    """A real TieringOffloadingSpec for one worker whose chunk is `chunk_bytes` (a page
    multiple) and whose primary holds `num_chunks` chunks."""
    extra_config = {
        "spec_name": "TieringOffloadingSpec",
        "cpu_bytes_to_use": num_chunks * chunk_bytes,
        "eviction_policy": "lru",
        # Tiers are polled by the driver at every step, as the scheduler would.
        "tier_poll_interval_s": 0,
        "secondary_tiers": [dict(tier) for tier in secondary_tiers],
    }
    extra_config.update(extra or {})
    config = OffloadingConfig(
        groups=(OffloadingGroupConfig(tokens_per_block=16, layer_names=("layer.0",), group_id=0),),
        worker_kv_bytes_per_block=chunk_bytes,
        enable_kv_cache_events=enable_kv_cache_events,
        extra_config=extra_config,
        engine_id=engine_id or f"spillway-test-{uuid.uuid4().hex[:12]}",
        model=OffloadingModelConfig(name=model, dtype=dtype),
        cache=OffloadingCacheConfig(tokens_per_hash=16, blocks_per_chunk=1),
        parallel=OffloadingParallelConfig(
            rank=0, world_size=1, tp_size=1, pp_size=1, pcp_size=1, dcp_size=1,
            data_parallel_index=0, data_parallel_size=1, data_parallel_rank_local=None,
            is_parallelism_agnostic=True),
    )
    return TieringOffloadingSpec(config)


def chunk_key(index: int) -> bytes:
    """A vLLM-shaped key: a 32-byte hash and a 4-byte big-endian group index."""
    return hashlib.sha256(index.to_bytes(8, "little")).digest() + (0).to_bytes(4, "big")


def chunk_bytes_for(key: bytes, size: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(key).digest()[:8], "little")
    return np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8)


@dataclass
class DriveStats:
    requests: int = 0
    chunks: int = 0
    hits_primary: int = 0
    hits_secondary: int = 0
    misses: int = 0
    stored: int = 0
    store_refused: int = 0
    promotion_failures: int = 0
    verify_failures: int = 0
    steps: int = 0
    promotion_latencies: list[float] = field(default_factory=list)


class Driver:
    """Plays requests against a TieringOffloadingManager the way the scheduler does."""

    def __init__(self, spec: TieringOffloadingSpec, verify: bool = True):
        self.spec = spec
        self.manager = spec.get_manager()
        self.primary = self.manager.primary_tier
        self.view = np.asarray(self.primary.get_kv_memoryview()).view(np.uint8)
        self.row_bytes = self.view.shape[1]
        self.verify = verify
        self.stats = DriveStats()
        self.closed = False
        self._next_req = 0
        self._patterns: dict[bytes, np.ndarray] = {}

    @property
    def tiers(self):
        return self.manager.secondary_tiers

    def pattern(self, key: bytes) -> np.ndarray:
        pattern = self._patterns.get(key)
        if pattern is None:
            pattern = chunk_bytes_for(key, self.row_bytes)
            self._patterns[key] = pattern
        return pattern

    def step(self) -> None:
        self.manager.on_schedule_end(STEP_END)
        self.stats.steps += 1

    def settle(self, timeout: float = 60.0) -> None:
        """Steps until no tier has work in flight."""
        deadline = time.monotonic() + timeout
        while self.manager.has_pending_work():
            self.step()
            if time.monotonic() > deadline:
                raise TimeoutError("tiers still have pending work")
            time.sleep(0.0005)

    def new_context(self) -> ReqContext:
        self._next_req += 1
        context = ReqContext(req_id=f"req-{self._next_req}")
        self.manager.on_new_request(context)
        return context

    def prefix_pass(self, context: ReqContext, keys: list[bytes],
                    started: dict[bytes, float]) -> tuple[int, bool]:
        """One pass of vLLM's `_maximal_prefix_lookup`: HIT and HIT_PENDING count, RETRY
        defers, MISS stops. Records when each key was first seen pending in `started`.
        Returns (keys counted, whether anything was deferred)."""
        hits = 0
        deferred = False
        for key in keys:
            answer = self.manager.lookup(key, context)
            if answer is LookupResult.HIT:
                hits += 1
            elif answer is LookupResult.HIT_PENDING:
                started.setdefault(key, time.monotonic())
                hits += 1
                deferred = True
            elif answer is LookupResult.RETRY:
                deferred = True
            else:
                break
        return hits, deferred

    def lookup_prefix(self, context: ReqContext, keys: list[bytes], timeout: float = 60.0) -> int:
        """The scheduler's maximal prefix lookup (vLLM's `_maximal_prefix_lookup`): HIT and
        HIT_PENDING count, RETRY defers, MISS stops; repeated every step until nothing is
        deferred. Returns how many leading keys are then HIT in the primary."""
        deadline = time.monotonic() + timeout
        started: dict[bytes, float] = {}
        while True:
            hits, deferred = self.prefix_pass(context, keys, started)
            if not deferred:
                now = time.monotonic()
                for key in keys[:hits]:
                    if key in started:
                        self.stats.promotion_latencies.append(now - started[key])
                self._promoted = {k for k in keys[:hits] if k in started}
                return hits
            self.step()
            if time.monotonic() > deadline:
                raise TimeoutError("prefix lookup did not resolve")
            time.sleep(0.0002)

    def play(self, keys: list[bytes]) -> int:
        """One request: look up its prefix (promoting what the tiers hold), read the hit
        chunks back (checking their bytes), store the rest, cascade, finish."""
        stats = self.stats
        stats.requests += 1
        stats.chunks += len(keys)
        context = self.new_context()
        hits = self.lookup_prefix(context, keys)
        promoted = self._promoted
        stats.hits_secondary += len(promoted)
        stats.hits_primary += hits - len(promoted)
        stats.misses += len(keys) - hits
        if hits:
            spec = self.manager.prepare_load(keys[:hits], context)
            if self.verify:
                for key, chunk in zip(keys[:hits], spec.chunk_ids):
                    if not np.array_equal(self.view[int(chunk)], self.pattern(key)):
                        stats.verify_failures += 1
            self.manager.touch(keys[:hits], context)
            self.manager.complete_load(keys[:hits], context)
        rest = keys[hits:]
        if rest:
            output = self.manager.prepare_store(rest, context)
            if output is None:
                stats.store_refused += len(rest)
            elif output.keys_to_store:
                for key, chunk in zip(output.keys_to_store, output.store_spec.chunk_ids):
                    self.view[int(chunk)] = self.pattern(key)
                self.manager.complete_store(output.keys_to_store, context)
                stats.stored += len(output.keys_to_store)
        self.step()
        self.manager.on_request_finished(context)
        return hits

    def shutdown(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.settle()
        finally:
            self.view = None
            self.manager.shutdown()


# -- used by scripts/bench-vllm.py ------------------------------------------------------------

@dataclass
class TransferCounts:
    """Bytes and jobs each secondary tier reported finished, by direction, counted at the
    tier boundary (every job's keys times the tier's chunk bytes)."""
    store_jobs: int = 0
    store_bytes: int = 0
    store_failed_jobs: int = 0
    load_jobs: int = 0
    load_bytes: int = 0
    load_failed_jobs: int = 0

    def copy(self) -> "TransferCounts":
        return TransferCounts(**self.__dict__)

    def minus(self, other: "TransferCounts") -> "TransferCounts":
        return TransferCounts(**{k: v - getattr(other, k) for k, v in self.__dict__.items()})


def count_transfers(driver: Driver) -> list[TransferCounts]:
    """Wraps every secondary tier of `driver` (instance attributes, the tier's own code
    unchanged) so the bytes of its finished store and load jobs are counted. Returns one
    live TransferCounts per tier."""
    all_counts = []
    for tier in driver.tiers:
        counts = TransferCounts()
        kinds: dict[int, tuple[bool, int]] = {}
        chunk = tier.block_size_bytes

        def submit_store(job, _orig=tier.submit_store, _kinds=kinds):
            _kinds[job.job_id] = (False, len(job.keys))
            return _orig(job)

        def submit_load(job, _orig=tier.submit_load, _kinds=kinds):
            _kinds[job.job_id] = (True, len(job.keys))
            return _orig(job)

        def get_finished_jobs(_orig=tier.get_finished_jobs, _kinds=kinds, _c=counts,
                              _chunk=chunk):
            results = list(_orig())
            for result in results:
                is_load, n = _kinds.pop(result.job_id, (None, 0))
                if is_load is None:
                    continue
                ok = n if result.success else len(result.successful_keys or ())
                if is_load:
                    _c.load_jobs += 1
                    _c.load_bytes += ok * _chunk
                    _c.load_failed_jobs += 0 if result.success else 1
                else:
                    _c.store_jobs += 1
                    _c.store_bytes += ok * _chunk
                    _c.store_failed_jobs += 0 if result.success else 1
            return results

        tier.submit_store = submit_store
        tier.submit_load = submit_load
        tier.get_finished_jobs = get_finished_jobs
        all_counts.append(counts)
    return all_counts


def pinned_for_cascade(driver: Driver) -> int:
    """Primary chunks pinned by cascades (stores to a secondary tier) still in flight."""
    return sum(len(m.transfer_job.keys) for m in driver.manager._transfer_jobs.values()
               if not m.transfer_job.is_promotion)


def store_stream(driver: Driver, requests: list[list[bytes]], max_pinned: int,
                 timeout: float = 600.0) -> None:
    """Plays requests of fresh chunks back to back, as fast as the tiers drain them: before
    each request, steps the engine until the cascades in flight pin at most `max_pinned`
    primary chunks with this request's included (so no store is refused for want of an
    evictable chunk), then settles."""
    deadline = time.monotonic() + timeout
    for keys in requests:
        while driver.manager.has_pending_work() and \
                pinned_for_cascade(driver) + len(keys) > max_pinned:
            driver.step()
            if time.monotonic() > deadline:
                raise TimeoutError("cascades did not drain")
            time.sleep(0.0002)
        driver.play(keys)
    driver.settle(timeout=max(1.0, deadline - time.monotonic()))


def play_concurrent(driver: Driver, requests: list[list[bytes]], concurrency: int,
                    timeout: float = 600.0) -> None:
    """Like Driver.play for each request, but with up to `concurrency` requests waiting on
    their prefix lookups at once (as a scheduler with several waiting requests does): every
    step, each waiting request repeats its maximal prefix lookup; a request whose lookup
    resolved reads its hit chunks back (checking their bytes), stores the rest and
    finishes. Promotion latency is first HIT_PENDING to resolution, per chunk."""
    from collections import deque

    stats = driver.stats
    manager = driver.manager
    queue = deque(requests)
    active: list[tuple[ReqContext, list[bytes], dict[bytes, float]]] = []
    deadline = time.monotonic() + timeout
    while queue or active:
        while queue and len(active) < concurrency:
            keys = queue.popleft()
            stats.requests += 1
            stats.chunks += len(keys)
            active.append((driver.new_context(), keys, {}))
        waiting = []
        finished = []
        for context, keys, started in active:
            hits, deferred = driver.prefix_pass(context, keys, started)
            if deferred:
                waiting.append((context, keys, started))
                continue
            now = time.monotonic()
            promoted = [k for k in keys[:hits] if k in started]
            stats.promotion_latencies.extend(now - started[k] for k in promoted)
            stats.hits_secondary += len(promoted)
            stats.hits_primary += hits - len(promoted)
            stats.misses += len(keys) - hits
            if hits:
                spec = manager.prepare_load(keys[:hits], context)
                if driver.verify:
                    for key, chunk in zip(keys[:hits], spec.chunk_ids):
                        if not np.array_equal(driver.view[int(chunk)], driver.pattern(key)):
                            stats.verify_failures += 1
                manager.touch(keys[:hits], context)
                manager.complete_load(keys[:hits], context)
            rest = keys[hits:]
            if rest:
                output = manager.prepare_store(rest, context)
                if output is None:
                    stats.store_refused += len(rest)
                elif output.keys_to_store:
                    for key, chunk in zip(output.keys_to_store, output.store_spec.chunk_ids):
                        driver.view[int(chunk)] = driver.pattern(key)
                    manager.complete_store(output.keys_to_store, context)
                    stats.stored += len(output.keys_to_store)
            finished.append(context)
        active = waiting
        driver.step()
        for context in finished:
            manager.on_request_finished(context)
        if active:
            if time.monotonic() > deadline:
                raise TimeoutError("prefix lookups did not resolve")
            time.sleep(0.0002)
