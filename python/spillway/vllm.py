"""Spillway as a vLLM 0.33 secondary tier.

Configure it in ``kv_connector_extra_config.secondary_tiers``::

    {"type": "SpillwayTier", "module_path": "spillway.vllm",
     "directory": "/nvme/spillway", "capacity_bytes": "500GB"}

Keys (docs/VLLM.md): ``directory`` (required), ``capacity_bytes`` (required; bytes or a
string with units), ``extra_directories`` (a list of paths, one per device, to stripe the
tier over; the capacity is split equally), ``compression`` (none | lz4 | lz4-shuffle),
``queue_depth`` (1..4096), ``direct_io`` (auto | required | off), ``sync_interval_blocks``
(>= 0), ``namespace`` (overrides the configuration digest), ``enable_kv_events`` (bool),
and ``locality``, which vLLM passes through.

Lookups answer from Spillway's in-memory directory at once; stores and loads are jobs that
Spillway's native I/O thread moves straight between the primary rows and the disk while
the scheduler runs; finished jobs are reported by ``get_finished_jobs``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from vllm.v1.kv_offload.base import (
    Locality,
    LookupResult,
    Medium,
    OffloadingCounterMetadata,
    OffloadingEvent,
    OffloadingGaugeMetadata,
    OffloadingMetricMetadata,
    OffloadKey,
    ReqContext,
    RequestOffloadingContext,
)
from vllm.v1.kv_offload.tiering.base import JobResult, SecondaryTierManager, TransferJob

from . import _native
from .tier import HIT, PENDING, Tier, TierError, parse_bytes

if TYPE_CHECKING:
    from vllm.v1.kv_offload.base import OffloadingSpec
    from vllm.v1.kv_offload.tiering.backpressure import BackpressureDetector

logger = logging.getLogger(__name__)

#: Bumped when the bytes a namespace holds would change meaning.
NAMESPACE_FORMAT = 1

METRIC_PREFIX = "vllm:kv_offload_spillway_"
COUNTERS = {
    "lookup_hits": "Lookups Spillway answered HIT.",
    "lookup_misses": "Lookups Spillway answered MISS.",
    "blocks_stored": "Chunks written to Spillway's disk tier.",
    "blocks_store_skipped": "Chunk stores skipped because Spillway already held them.",
    "blocks_store_failed": "Chunk stores that failed.",
    "blocks_loaded": "Chunks promoted from Spillway, checksums verified.",
    "blocks_load_failed": "Chunk promotions that failed (absent, corrupt or unreadable).",
    "blocks_corrupt": "Chunks found corrupt on load (never served; dropped).",
    "blocks_evicted": "Chunks evicted to stay within the capacity.",
    "bytes_written": "Bytes written to Spillway's disk tier.",
    "bytes_read": "Bytes read from Spillway's disk tier.",
    "blocks_compressed": "Chunks stored compressed (with compression on).",
    "blocks_stored_raw_backpressure":
        "Chunks stored raw because every compression thread was busy (compression never waits).",
    "blocks_stored_raw_incompressible":
        "Chunks stored raw without compressing because the chunks before them did not compress.",
}
GAUGES = {
    "blocks_held": "Chunks Spillway holds.",
    "bytes_used": "Bytes of Spillway's data file in use.",
    "capacity_bytes": "Capacity of Spillway's data file in bytes.",
    "bytes_given_up_backpressure":
        "Capacity the chunks stored raw under backpressure cost, estimated in bytes.",
}

_CHOICES = {
    "compression": tuple(_native.CODECS),
    "direct_io": tuple(_native.DIRECT_IO_MODES),
}


def _config_error(key: str, value: Any, allowed: str) -> ValueError:
    return ValueError(f"SpillwayTier: {key}={value!r} is invalid: {allowed}")


def namespace_digest(offloading_spec: "OffloadingSpec", row_stride: int) -> str:
    """`<model>_<digest>`: a digest of everything that decides what a chunk's bytes mean
    (model, dtype, tokens per hash, chunking, KV cache groups, parallel layout, row
    stride), so a different configuration can never hit another's chunks."""
    from vllm.v1.kv_offload.file_mapper import FileMapper

    mapper = FileMapper.from_offloading_spec(
        root_dir="", offloading_spec=offloading_spec,
        blocks_per_file=offloading_spec.blocks_per_chunk, parallel_agnostic=False)
    fields = dict(mapper.get_run_config())
    fields["row_stride"] = row_stride
    fields["spillway_format"] = NAMESPACE_FORMAT
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    model = str(fields.get("model_name", "model")).replace("/", "_")
    return f"{model}_{digest}"


class SpillwayTier(SecondaryTierManager):
    """vLLM secondary tier backed by a Spillway disk tier (bounded, checksummed,
    persistent, io_uring)."""

    medium: ClassVar[Medium] = Medium.STORAGE

    def __init__(
        self,
        offloading_spec: "OffloadingSpec",
        primary_kv_view: memoryview,
        tier_type: str,
        backpressure_detector: "BackpressureDetector | None" = None,
        directory: str | None = None,
        capacity_bytes: int | str | None = None,
        extra_directories: list[str] | None = None,
        compression: str = "none",
        queue_depth: int = 64,
        direct_io: str = "auto",
        sync_interval_blocks: int = 4096,
        namespace: str | None = None,
        enable_kv_events: bool = False,
        locality: str | None = None,
        **unknown: Any,
    ) -> None:
        super().__init__(offloading_spec, primary_kv_view, tier_type, backpressure_detector)
        if unknown:
            allowed = ("directory, capacity_bytes, extra_directories, compression, queue_depth, "
                       "direct_io, sync_interval_blocks, namespace, enable_kv_events, locality")
            raise ValueError(
                f"SpillwayTier: unknown key(s) {sorted(unknown)}; the keys are {allowed}")
        if not isinstance(directory, str) or not directory:
            raise _config_error("directory", directory, "a directory path is required")
        extras = list(extra_directories) if isinstance(extra_directories, (list, tuple)) else []
        if extra_directories is not None and (
                not isinstance(extra_directories, (list, tuple))
                or not all(isinstance(path, str) and path for path in extras)):
            raise _config_error("extra_directories", extra_directories,
                                "a list of directory paths, one per device")
        if capacity_bytes is None:
            raise _config_error("capacity_bytes", capacity_bytes,
                                "required: bytes or a string with units such as '500GB'")
        capacity = parse_bytes(capacity_bytes, "SpillwayTier: capacity_bytes")
        row_stride = self.block_size_bytes
        if capacity < row_stride * (1 + len(extras)):
            raise _config_error("capacity_bytes", capacity_bytes,
                                f"must hold at least one chunk ({row_stride} bytes)"
                                + (" per directory" if extras else ""))
        for key, value in (("compression", compression), ("direct_io", direct_io)):
            if value not in _CHOICES[key]:
                raise _config_error(key, value, f"one of {', '.join(_CHOICES[key])}")
        if isinstance(queue_depth, bool) or not isinstance(queue_depth, int) \
                or not 1 <= queue_depth <= 4096:
            raise _config_error("queue_depth", queue_depth, "an integer in 1..4096")
        if isinstance(sync_interval_blocks, bool) or not isinstance(sync_interval_blocks, int) \
                or sync_interval_blocks < 0:
            raise _config_error("sync_interval_blocks", sync_interval_blocks,
                                "an integer >= 0 (0: sync only at shutdown)")
        if namespace is not None and (not isinstance(namespace, str) or not namespace
                                      or "/" in namespace or namespace in (".", "..")):
            raise _config_error("namespace", namespace, "a non-empty name without '/'")
        if not isinstance(enable_kv_events, bool):
            raise _config_error("enable_kv_events", enable_kv_events, "true or false")
        self.locality = Locality(locality) if locality is not None else None

        self.namespace = namespace or namespace_digest(offloading_spec, row_stride)
        self.path = os.path.join(directory, self.namespace)
        # Striped: the namespace directory under each extra directory holds its data file.
        self.extra_paths = [os.path.join(extra, self.namespace) for extra in extras]
        for parent in [directory, *extras]:
            os.makedirs(parent, mode=0o700, exist_ok=True)
        self._tier = Tier(
            self.path, primary_kv_view, row_stride=row_stride, capacity_bytes=capacity,
            codec=compression, queue_depth=queue_depth, direct_io=direct_io,
            sync_interval_blocks=sync_interval_blocks, extra_directories=self.extra_paths)
        self._config = {
            "directory": directory, "extra_directories": extras,
            "namespace": self.namespace, "capacity_bytes": capacity,
            "compression": compression, "queue_depth": queue_depth, "direct_io": direct_io,
            "sync_interval_blocks": sync_interval_blocks, "row_stride": row_stride,
        }
        self._events: list[OffloadingEvent] | None = None
        if enable_kv_events:
            if offloading_spec.kv_events_config.enable_kv_cache_events:
                self._events = []
                self._tier.record_removals(True)
            else:
                logger.warning("SpillwayTier: enable_kv_events is set but KV cache events "
                               "are disabled globally; the tier emits none")
        self._job_keys: dict[int, tuple[bool, list[OffloadKey]]] = {}
        self._local_results: list[JobResult] = []
        self._reported: dict[str, int] = {}
        stats = self._tier.stats()
        logger.info(
            "SpillwayTier at %s%s: %d chunks held of %d bytes, capacity %d bytes, O_DIRECT %s",
            self.path, "".join(f" + {p}" for p in self.extra_paths), stats["blocks_held"],
            row_stride, stats["capacity_bytes"],
            bool(stats["direct_io"]))

    # -- lookups --------------------------------------------------------------------------
    def lookup(self, key: OffloadKey, req_context: ReqContext) -> LookupResult:
        answer = self._tier.lookup(key)
        if answer == HIT:
            return LookupResult.HIT
        if answer == PENDING:
            return LookupResult.RETRY
        return LookupResult.MISS

    def on_new_request(self, req_context: ReqContext) -> RequestOffloadingContext:
        return RequestOffloadingContext()

    # -- jobs -----------------------------------------------------------------------------
    def _submit(self, job: TransferJob, is_store: bool) -> None:
        keys = list(job.keys)
        try:
            if is_store:
                self._tier.submit_store(job.job_id, keys, job.chunk_ids)
            else:
                self._tier.submit_load(job.job_id, keys, job.chunk_ids)
        except (TierError, ValueError) as error:
            logger.error("SpillwayTier: job %s refused: %s", job.job_id, error)
            self._local_results.append(JobResult(job_id=job.job_id, success=False))
            return
        self._job_keys[job.job_id] = (is_store, keys)

    def submit_store(self, job_metadata: TransferJob) -> None:
        self._submit(job_metadata, is_store=True)

    def submit_load(self, job_metadata: TransferJob) -> None:
        self._submit(job_metadata, is_store=False)

    def get_finished_jobs(self) -> Iterable[JobResult]:
        results, self._local_results = self._local_results, []
        for done in self._tier.poll():
            is_store, keys = self._job_keys.pop(done.job_id)
            successful = None
            if not done.success and not is_store:
                kept = tuple(k for k, ok in zip(keys, done.key_success) if ok)
                successful = kept or None
            if is_store and self._events is not None:
                stored = [k for k, ok in zip(keys, done.key_success) if ok]
                if stored:
                    self._events.append(OffloadingEvent(
                        keys=stored, medium=self.medium, removed=False,
                        locality=self.locality))
            results.append(JobResult(
                job_id=done.job_id, success=done.success, successful_keys=successful,
                transfer_time=done.transfer_ns / 1e9,
                transfer_bytes=done.bytes or None))
        return results

    def has_pending_work(self) -> bool:
        if self._local_results:
            return True
        _, unpolled = self._tier.pending()
        return unpolled > 0

    def drain_jobs(self) -> None:
        self._tier.drain()

    def take_events(self) -> Iterable[OffloadingEvent]:
        if self._events is None:
            return
        removed = self._tier.take_removed()
        if removed:
            self._events.append(OffloadingEvent(
                keys=removed, medium=self.medium, removed=True, locality=self.locality))
        events, self._events = self._events, []
        yield from events

    # -- metrics --------------------------------------------------------------------------
    @classmethod
    def build_metric_definitions(
        cls, extra_config: dict[str, Any]
    ) -> dict[str, OffloadingMetricMetadata]:
        definitions: dict[str, OffloadingMetricMetadata] = {}
        for name, text in COUNTERS.items():
            definitions[METRIC_PREFIX + name] = OffloadingCounterMetadata(documentation=text)
        for name, text in GAUGES.items():
            definitions[METRIC_PREFIX + name] = OffloadingGaugeMetadata(documentation=text)
        return definitions

    def get_stats(self):
        from vllm.distributed.kv_transfer.kv_connector.v1.offloading.metrics import (
            OffloadingConnectorStats,
        )

        if self._tier.closed:
            return None
        now = self._tier.stats()
        stats = OffloadingConnectorStats()
        for name in COUNTERS:
            delta = now[name] - self._reported.get(name, 0)
            if delta:
                stats.increase_counter(METRIC_PREFIX + name, delta)
            self._reported[name] = now[name]
        for name in GAUGES:
            stats.set_gauge(METRIC_PREFIX + name, now[name])
        return stats

    def stats(self) -> dict[str, int]:
        """Spillway's cumulative counters and gauges (for tools and tests)."""
        return self._tier.stats()

    # -- lifecycle ------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Finishes every transfer, makes everything stored durable, closes the tier and
        drops every reference into the primary memory (so it can unmap)."""
        self._tier.close()
