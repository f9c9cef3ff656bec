#!/usr/bin/env python3
"""Spillway vs vLLM's fs tier, both driven by vLLM 0.33's own TieringOffloadingManager.

Replays the same trace through vLLM's TieringOffloadingSpec/TieringOffloadingManager (on a
real SharedOffloadRegion primary, see python/tests/harness.py) twice per round, once with
vLLM's `fs` secondary tier and once with Spillway's (`spillway.vllm.SpillwayTier`), with the
same primary size, the same chunk bytes and the same file system (fresh directories under
--disk-dir), alternating which goes first between rounds. Every promoted chunk is checked byte
for byte. Per chunk size and tier it measures:

  replay     the trace (Mooncake JSONL `hash_ids`, one chunk per hash id, or a generated
             multi-turn trace with shared system prompts): hit rate (primary / secondary),
             stores refused because the primary was pinned by cascades
  store      N fresh chunks played back to back (at most primary-minus-one-request chunks
             pinned by cascades in flight, so none is refused): bytes the tier reported
             stored / wall time until settled
  promotion  the chunks of the store phase the primary evicted, requested again
             (--concurrency requests waiting at once): promoted bytes / wall time,
             promotion latency p50/p99 (first HIT_PENDING to resolution, per chunk)
  cpu        process CPU seconds (user+sys, every thread incl. native ones) per GB moved,
             per phase
  disk       files created and bytes allocated (st_blocks) in the tier's directory, and
             Spillway's bytes_used against its capacity
  fio        sequential write, sequential read and random read at the same block size on
             the same directory (O_DIRECT, io_uring, iodepth 32), for scale; tier
             throughputs are also given as ratios of fio's

Page cache: dropped between the store and the promotion phases when allowed (root,
/proc/sys/vm/drop_caches); otherwise every file of the tier is fsynced and
posix_fadvise(DONTNEED)'d. Both tiers' O_DIRECT use is reported.

Prints one JSON document on stdout (or --json FILE) and a table on stderr. Exit status 1
if any promoted chunk had wrong bytes or a load failed.

Run with the vLLM venv's python (scripts/bench-vllm.sh does that).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "python" / "tests"))

GB = 1e9
MiB = 1 << 20
TIERS = ("fs", "spillway")


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


# -- trace ----------------------------------------------------------------------------------

def load_trace(path: str, limit: int | None) -> list[list[int]]:
    requests = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            ids = json.loads(line).get("hash_ids") or []
            if ids:
                requests.append([int(i) for i in ids])
            if limit and len(requests) >= limit:
                break
    return requests


def generate_trace(requests: int, seed: int, max_context: int) -> list[list[int]]:
    """Multi-turn sessions: each starts from one of a few shared system prompts (4..12
    chunks) and grows by 1..4 chunks a turn up to `max_context` chunks; turns of about 16
    concurrently open sessions interleave, so a session's prefix comes back after other
    sessions' traffic went through the primary. Deterministic for a seed."""
    rng = random.Random(seed)
    next_id = 0

    def fresh(n: int) -> list[int]:
        nonlocal next_id
        ids = list(range(next_id, next_id + n))
        next_id += n
        return ids

    prompts = [fresh(rng.randint(4, 12)) for _ in range(8)]
    open_sessions: list[list[int]] = []
    trace = []
    while len(trace) < requests:
        while len(open_sessions) < 16:
            open_sessions.append(list(rng.choice(prompts)))
        i = rng.randrange(len(open_sessions))
        context = open_sessions[i] + fresh(rng.randint(1, 4))
        trace.append(context)
        if len(context) >= max_context or rng.random() < 0.15:
            open_sessions.pop(i)
        else:
            open_sessions[i] = context
    return trace


# -- measurement helpers --------------------------------------------------------------------

def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def disk_usage(path: str) -> dict:
    files = 0
    allocated = 0
    apparent = 0
    for dirpath, _, filenames in os.walk(path):
        for name in filenames:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except FileNotFoundError:
                continue
            files += 1
            allocated += st.st_blocks * 512
            apparent += st.st_size
    return {"files": files, "allocated_bytes": allocated, "apparent_bytes": apparent}


def drop_page_cache(path: str) -> str:
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return "drop_caches"
    except OSError:
        pass
    for dirpath, _, filenames in os.walk(path):
        for name in filenames:
            try:
                fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            except OSError:
                continue
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            except OSError:
                pass
            finally:
                os.close(fd)
    return "fadvise_dontneed"


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[rank]


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fio(directory: str, block: int, size: int) -> dict:
    """fio write, read, randread on `directory`, O_DIRECT io_uring iodepth 32; MiB/s."""
    os.makedirs(directory, exist_ok=True)
    out = {}
    for rw in ("write", "read", "randread"):
        cmd = ["fio", "--name=w", f"--directory={directory}", f"--rw={rw}", f"--bs={block}",
               f"--size={size}", "--direct=1", "--ioengine=io_uring", "--iodepth=32",
               "--output-format=json"]
        if rw == "write":
            cmd.append("--end_fsync=1")
        result = subprocess.run(cmd, capture_output=True, text=True, check=True)
        job = json.loads(result.stdout[result.stdout.index("{"):])["jobs"][0]
        side = job["write" if rw == "write" else "read"]
        out[f"{rw}_mib_s"] = side["bw_bytes"] / MiB
    shutil.rmtree(directory, ignore_errors=True)
    return out


# -- one run --------------------------------------------------------------------------------

class MemoryCopyTier:
    """Placeholder; replaced by _memory_tier_class() once vLLM is imported."""


def _memory_tier_class():
    """An in-memory secondary tier that copies every chunk (numpy memcpy) and finishes each
    job at once: the ceiling the harness and vLLM's manager allow, with no disk."""
    import numpy as np
    from vllm.v1.kv_offload.base import LookupResult, Medium
    from vllm.v1.kv_offload.tiering.base import (
        JobResult, RequestOffloadingContext, SecondaryTierManager)

    class MemoryCopyTier(SecondaryTierManager):
        medium = Medium.CPU

        def __init__(self, offloading_spec, primary_kv_view, tier_type,
                     backpressure_detector=None, locality=None, slots=1):
            super().__init__(offloading_spec, primary_kv_view, tier_type,
                             backpressure_detector)
            self._view = np.asarray(primary_kv_view).view(np.uint8)
            # Every slot paged in up front, so copies do not measure page faults.
            self._pool = np.ones((slots, self._view.shape[1]), dtype=np.uint8)
            self._rows: dict = {}
            self._done: list = []

        def on_new_request(self, req_context):
            return RequestOffloadingContext()

        def lookup(self, key, req_context):
            return LookupResult.HIT if key in self._rows else LookupResult.MISS

        def submit_store(self, job):
            for key, chunk in zip(job.keys, job.chunk_ids):
                slot = self._rows.get(key)
                if slot is None:
                    slot = self._rows[key] = len(self._rows)
                np.copyto(self._pool[slot], self._view[int(chunk)])
            self._done.append(JobResult(job_id=job.job_id, success=True))

        def submit_load(self, job):
            for key, chunk in zip(job.keys, job.chunk_ids):
                np.copyto(self._view[int(chunk)], self._pool[self._rows[key]])
            self._done.append(JobResult(job_id=job.job_id, success=True))

        def get_finished_jobs(self):
            done, self._done = self._done, []
            return done

        def has_pending_work(self):
            return bool(self._done)

        def drain_jobs(self):
            pass

        def shutdown(self):
            self._rows.clear()
            self._pool = None
            self._view = None

    return MemoryCopyTier


def tier_config(name: str, directory: str, capacity: int, queue_depth: int | None,
                slots: int = 1) -> dict:
    if name == "memory":
        global MemoryCopyTier
        MemoryCopyTier = _memory_tier_class()
        sys.modules.setdefault("bench_vllm_memory_tier", sys.modules[__name__])
        return {"type": "MemoryCopyTier", "module_path": "bench_vllm_memory_tier",
                "slots": slots}
    if name == "fs":
        return {"type": "fs", "root_dir": directory, "locality": "LOCAL"}
    config = {"type": "SpillwayTier", "module_path": "spillway.vllm", "locality": "LOCAL",
              "directory": directory, "capacity_bytes": capacity}
    if queue_depth:
        config["queue_depth"] = queue_depth
    return config


def phase_stats(driver, counts, before_counts, before_stats, cpu0, t0, moved_attr) -> dict:
    import harness  # noqa: F401

    wall = time.monotonic() - t0
    cpu = cpu_seconds() - cpu0
    delta = counts.copy().minus(before_counts)
    moved = getattr(delta, moved_attr)
    s = driver.stats
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "bytes": moved,
        "mib_s": moved / MiB / wall if wall > 0 else None,
        "cpu_s_per_gb": cpu / (moved / GB) if moved else None,
        "requests": s.requests - before_stats["requests"],
        "chunks": s.chunks - before_stats["chunks"],
        "hits_primary": s.hits_primary - before_stats["hits_primary"],
        "hits_secondary": s.hits_secondary - before_stats["hits_secondary"],
        "misses": s.misses - before_stats["misses"],
        "stored": s.stored - before_stats["stored"],
        "store_refused": s.store_refused - before_stats["store_refused"],
        "verify_failures": s.verify_failures - before_stats["verify_failures"],
        "store_jobs": delta.store_jobs,
        "store_bytes": delta.store_bytes,
        "store_failed_jobs": delta.store_failed_jobs,
        "load_jobs": delta.load_jobs,
        "load_bytes": delta.load_bytes,
        "load_failed_jobs": delta.load_failed_jobs,
    }


def snapshot(driver) -> dict:
    s = driver.stats
    return {k: getattr(s, k) for k in ("requests", "chunks", "hits_primary", "hits_secondary",
                                        "misses", "stored", "store_refused", "verify_failures")}


def run_one(tier_name: str, args, chunk: int, primary_chunks: int, capacity: int,
            trace_keys: list[list[bytes]], store_keys: list[bytes], directory: str) -> dict:
    import harness

    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    slots = len({k for keys in trace_keys for k in keys}) + len(store_keys)
    spec = harness.make_spec([tier_config(tier_name, directory, capacity, args.queue_depth,
                                          slots)],
                             num_chunks=primary_chunks, chunk_bytes=chunk)
    stage_t = time.monotonic()
    timings: dict[str, float] = {}

    def stage(name: str) -> None:
        nonlocal stage_t
        now = time.monotonic()
        timings[name] = timings.get(name, 0.0) + now - stage_t
        stage_t = now

    driver = harness.Driver(spec)
    tier = driver.tiers[0]
    counts = harness.count_transfers(driver)[0]
    row = driver.row_bytes
    result: dict = {"tier": tier_name, "directory": directory, "row_bytes": row,
                    "timings_s": timings}
    stage("setup")
    if tier_name == "fs":
        result["o_direct"] = bool(getattr(tier, "_use_o_direct", False))
        try:
            from vllm.v1.kv_offload.tiering.fs import io as fs_io
            result["fs_native_io"] = bool(getattr(fs_io, "_HAS_FSIO_C", False))
        except Exception:
            pass
    elif tier_name == "spillway":
        result["o_direct"] = bool(tier.stats().get("direct_io"))
        result["capacity_bytes"] = capacity
    else:
        result["o_direct"] = False
    try:
        # -- replay --------------------------------------------------------------------
        stage("setup")
        before_c, before_s, cpu0, t0 = counts.copy(), snapshot(driver), cpu_seconds(), \
            time.monotonic()
        lat0 = len(driver.stats.promotion_latencies)
        if args.concurrency > 1:
            if args.replay_pace == "settle":
                for keys in trace_keys:
                    harness.play_concurrent(driver, [keys], 1)
                    driver.settle()
            else:
                harness.play_concurrent(driver, trace_keys, args.concurrency)
        else:
            for keys in trace_keys:
                driver.play(keys)
                if args.replay_pace == "settle":
                    driver.settle()
        driver.settle(timeout=600)
        replay = phase_stats(driver, counts, before_c, before_s, cpu0, t0, "load_bytes")
        lats = driver.stats.promotion_latencies[lat0:]
        looked = replay["chunks"]
        replay["hit_rate"] = (replay["hits_primary"] + replay["hits_secondary"]) / looked \
            if looked else None
        replay["hit_rate_primary"] = replay["hits_primary"] / looked if looked else None
        replay["hit_rate_secondary"] = replay["hits_secondary"] / looked if looked else None
        replay["promotion_p50_ms"] = (percentile(lats, 50) or 0) * 1e3 if lats else None
        replay["promotion_p99_ms"] = (percentile(lats, 99) or 0) * 1e3 if lats else None
        result["replay"] = replay
        driver._patterns.clear()
        stage("replay")

        # -- store -----------------------------------------------------------------------
        per = args.phase_request_chunks
        requests = [store_keys[i:i + per] for i in range(0, len(store_keys), per)]
        driver._patterns = {k: harness.chunk_bytes_for(k, row) for k in store_keys}
        stage("patterns")
        before_c, before_s, cpu0, t0 = counts.copy(), snapshot(driver), cpu_seconds(), \
            time.monotonic()
        harness.store_stream(driver, requests, max_pinned=primary_chunks - per)
        store = phase_stats(driver, counts, before_c, before_s, cpu0, t0, "store_bytes")
        result["store"] = store
        stage("store")
        result["disk_after_store"] = disk_usage(directory)
        stage("disk_walk")

        # -- promotion -------------------------------------------------------------------
        result["page_cache"] = drop_page_cache(directory)
        stage("drop_cache")
        # The primary holds (at most) the last primary_chunks of the store phase; request
        # the earlier ones again, oldest first, so each promotion evicts a chunk not yet
        # requested.
        evicted = store_keys[:max(0, len(store_keys) - primary_chunks)]
        promo_requests = [evicted[i:i + per] for i in range(0, len(evicted), per)]
        lat0 = len(driver.stats.promotion_latencies)
        before_c, before_s, cpu0, t0 = counts.copy(), snapshot(driver), cpu_seconds(), \
            time.monotonic()
        harness.play_concurrent(driver, promo_requests, args.concurrency)
        driver.settle(timeout=600)
        promo = phase_stats(driver, counts, before_c, before_s, cpu0, t0, "load_bytes")
        lats = driver.stats.promotion_latencies[lat0:]
        promo["promotion_p50_ms"] = percentile(lats, 50) * 1e3 if lats else None
        promo["promotion_p99_ms"] = percentile(lats, 99) * 1e3 if lats else None
        promo["chunks_requested"] = len(evicted)
        result["promotion"] = promo
        driver._patterns.clear()
        stage("promotion")

        result["disk"] = disk_usage(directory)
        if tier_name == "spillway":
            native = tier.stats()
            result["spillway_stats"] = {k: v for k, v in native.items()
                                        if isinstance(v, (int, float, bool))}
            result["bytes_used"] = native.get("bytes_used")
            result["within_capacity"] = (native.get("bytes_used", 0) <= capacity
                                         and result["disk"]["allocated_bytes"] <= capacity
                                         * 1.01 + 16 * MiB)
        result["verify_failures"] = driver.stats.verify_failures
        result["promotion_failures"] = counts.load_failed_jobs
        stage("disk_walk")
    finally:
        driver.shutdown()
        stage("shutdown")
        result["disk_after_shutdown"] = disk_usage(directory)
        shutil.rmtree(directory, ignore_errors=True)
        stage("cleanup")
    return result


# -- summary --------------------------------------------------------------------------------

SUMMARY_FIELDS = {
    "hit_rate": ("replay", "hit_rate"),
    "hit_rate_primary": ("replay", "hit_rate_primary"),
    "hit_rate_secondary": ("replay", "hit_rate_secondary"),
    "replay_store_refused": ("replay", "store_refused"),
    "replay_wall_s": ("replay", "wall_s"),
    "replay_cpu_s": ("replay", "cpu_s"),
    "store_mib_s": ("store", "mib_s"),
    "store_cpu_s_per_gb": ("store", "cpu_s_per_gb"),
    "promotion_mib_s": ("promotion", "mib_s"),
    "promotion_cpu_s_per_gb": ("promotion", "cpu_s_per_gb"),
    "promotion_p50_ms": ("promotion", "promotion_p50_ms"),
    "promotion_p99_ms": ("promotion", "promotion_p99_ms"),
    "promotion_hits_secondary": ("promotion", "hits_secondary"),
    "files": ("disk", "files"),
    "disk_allocated_bytes": ("disk", "allocated_bytes"),
}


def summarize(runs: list[dict], fio_runs: list[dict]) -> dict:
    out = {}
    for name, (phase, key) in SUMMARY_FIELDS.items():
        out[name] = median([r[phase][key] for r in runs])
    fio_write = median([f["write_mib_s"] for f in fio_runs])
    fio_read = median([f["read_mib_s"] for f in fio_runs])
    fio_randread = median([f["randread_mib_s"] for f in fio_runs])
    out["store_vs_fio_write"] = out["store_mib_s"] / fio_write \
        if out["store_mib_s"] and fio_write else None
    out["promotion_vs_fio_randread"] = out["promotion_mib_s"] / fio_randread \
        if out["promotion_mib_s"] and fio_randread else None
    out["promotion_vs_fio_read"] = out["promotion_mib_s"] / fio_read \
        if out["promotion_mib_s"] and fio_read else None
    out["verify_failures"] = sum(r["verify_failures"] for r in runs)
    out["promotion_failures"] = sum(r["promotion_failures"] for r in runs)
    out["o_direct"] = all(r["o_direct"] for r in runs)
    if "within_capacity" in runs[0]:
        out["bytes_used"] = median([r["bytes_used"] for r in runs])
        out["capacity_bytes"] = runs[0]["capacity_bytes"]
        out["within_capacity"] = all(r["within_capacity"] for r in runs)
    return out


def goals(fs: dict, sp: dict) -> dict:
    def ratio(a, b):
        return a / b if a and b else None

    store = ratio(sp["store_mib_s"], fs["store_mib_s"])
    promo = ratio(sp["promotion_mib_s"], fs["promotion_mib_s"])
    cpu_store = ratio(sp["store_cpu_s_per_gb"], fs["store_cpu_s_per_gb"])
    cpu_promo = ratio(sp["promotion_cpu_s_per_gb"], fs["promotion_cpu_s_per_gb"])
    checks = {
        "store_throughput_ratio": store,
        "store_throughput_3x": store is not None and store >= 3.0,
        "promotion_throughput_ratio": promo,
        "promotion_throughput_1_5x": promo is not None and promo >= 1.5,
        "store_cpu_ratio": cpu_store,
        "promotion_cpu_ratio": cpu_promo,
        "less_cpu_per_gb": (cpu_store is not None and cpu_store < 1.0
                            and cpu_promo is not None and cpu_promo < 1.0),
        "disk_within_capacity": bool(sp.get("within_capacity")),
        "hit_rate_not_lower": (sp["hit_rate"] or 0) >= (fs["hit_rate"] or 0) - 1e-9,
        "every_promotion_verified": sp["verify_failures"] == 0 and fs["verify_failures"] == 0,
    }
    checks["all_met"] = all(checks[k] for k in (
        "store_throughput_3x", "promotion_throughput_1_5x", "less_cpu_per_gb",
        "disk_within_capacity", "hit_rate_not_lower", "every_promotion_verified"))
    return checks


def fmt(v, spec=".1f"):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    return format(v, spec)


def print_table(report: dict) -> None:
    for chunk, entry in report["results"].items():
        fio_m = entry["fio"]["median"]
        log(f"\nchunk {int(chunk) // 1024} KiB, primary {entry['primary_chunks']} chunks, "
            f"{entry['rounds']} round(s); fio write {fmt(fio_m['write_mib_s'])} MiB/s, "
            f"read {fmt(fio_m['read_mib_s'])}, randread {fmt(fio_m['randread_mib_s'])}")
        rows = [
            ("hit rate", "hit_rate", ".4f"),
            ("  primary / secondary", None, None),
            ("replay stores refused", "replay_store_refused", ".0f"),
            ("replay wall s", "replay_wall_s", ".1f"),
            ("store MiB/s", "store_mib_s", ".1f"),
            ("  x fio write", "store_vs_fio_write", ".2f"),
            ("store CPU s/GB", "store_cpu_s_per_gb", ".3f"),
            ("promotion MiB/s", "promotion_mib_s", ".1f"),
            ("  x fio randread", "promotion_vs_fio_randread", ".2f"),
            ("promotion CPU s/GB", "promotion_cpu_s_per_gb", ".3f"),
            ("promotion p50 ms", "promotion_p50_ms", ".2f"),
            ("promotion p99 ms", "promotion_p99_ms", ".2f"),
            ("files", "files", ".0f"),
            ("disk MiB allocated", "disk_allocated_bytes", None),
            ("O_DIRECT", "o_direct", None),
            ("verify failures", "verify_failures", ".0f"),
        ]
        fs, sp = entry["fs"]["median"], entry["spillway"]["median"]
        names = [n for n in ("fs", "spillway", "memory") if n in entry]
        meds = [entry[n]["median"] for n in names]
        log(f"  {'':26}" + "".join(f"{n if n != 'memory' else 'memory(ceil)':>14}"
                                    for n in names))
        for label, key, spec in rows:
            cells = []
            for m in meds:
                if key is None:
                    cells.append(f"{fmt(m['hit_rate_primary'], '.3f')}/"
                                 f"{fmt(m['hit_rate_secondary'], '.3f')}")
                elif key == "disk_allocated_bytes":
                    cells.append(fmt(m[key] / MiB if m[key] is not None else None))
                elif key == "o_direct":
                    cells.append(fmt(m[key]))
                else:
                    cells.append(fmt(m[key], spec))
            log(f"  {label:26}" + "".join(f"{c:>14}" for c in cells))
        log(f"  spillway capacity {fmt(sp['capacity_bytes'] / MiB)} MiB, bytes_used "
            f"{fmt(sp['bytes_used'] / MiB if sp['bytes_used'] is not None else None)} MiB")
        g = entry["goals"]
        log(f"  goals: store x{fmt(g['store_throughput_ratio'], '.2f')} (>=3: "
            f"{fmt(g['store_throughput_3x'])}), promotion x"
            f"{fmt(g['promotion_throughput_ratio'], '.2f')} (>=1.5: "
            f"{fmt(g['promotion_throughput_1_5x'])}), CPU/GB store x"
            f"{fmt(g['store_cpu_ratio'], '.2f')} promotion x{fmt(g['promotion_cpu_ratio'], '.2f')}"
            f" (less: {fmt(g['less_cpu_per_gb'])}), within capacity "
            f"{fmt(g['disk_within_capacity'])}, hit rate not lower "
            f"{fmt(g['hit_rate_not_lower'])}, verified {fmt(g['every_promotion_verified'])}"
            f" -> all met: {fmt(g['all_met'])}")


def parse_sizes(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--disk-dir", default="/tmp/spillway-bench-vllm",
                        help="scratch directory; every tier and fio run under it (same FS)")
    parser.add_argument("--chunk-bytes", default="262144,2097152", type=parse_sizes,
                        help="comma-separated chunk sizes (default 262144,2097152)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="alternations fs/spillway per chunk size (default 2)")
    parser.add_argument("--trace", help="Mooncake JSONL trace (hash_ids per line)")
    parser.add_argument("--requests", type=int, default=400,
                        help="requests of the generated trace, or the trace's first N "
                             "(default 400 generated)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-context", type=int, default=40,
                        help="generated trace: most chunks a request's context holds")
    parser.add_argument("--primary-chunks", type=int, default=128,
                        help="chunks the primary (CPU) tier holds, at every chunk size")
    parser.add_argument("--store-bytes", type=int, default=2 << 30,
                        help="bytes of fresh chunks the store phase writes (default 2 GiB); "
                             "the promotion phase reads back all but the primary's worth")
    parser.add_argument("--phase-request-chunks", type=int, default=8,
                        help="chunks per request in the store and promotion phases")
    parser.add_argument("--concurrency", type=int, default=4,
                        help="requests waiting on lookups at once (promotion phase, and "
                             "replay when > 1)")
    parser.add_argument("--replay-pace", choices=("free", "settle"), default="free",
                        help="free: requests back to back, one engine step each (stores "
                             "refused when cascades pin the primary are counted); settle: "
                             "wait for the tiers after every request")
    parser.add_argument("--spillway-capacity-bytes", type=int, default=0,
                        help="Spillway's capacity (default: 1.25 x the bytes of every "
                             "distinct chunk the run stores, plus 64 MiB)")
    parser.add_argument("--queue-depth", type=int, default=0,
                        help="Spillway queue_depth (default: the tier's default)")
    parser.add_argument("--skip-fio", action="store_true")
    parser.add_argument("--ceiling", action="store_true",
                        help="also run an in-memory copying tier once per chunk size (round "
                             "0): what the harness and vLLM's manager can move at all")
    parser.add_argument("--json", help="write the JSON document here instead of stdout")
    args = parser.parse_args()

    import harness  # imports vLLM (~10 s)
    import spillway.vllm  # noqa: F401  (fails early when the package is not installed)

    if args.trace:
        trace = load_trace(args.trace, args.requests)
        trace_source = os.path.abspath(args.trace)
    else:
        trace = generate_trace(args.requests, args.seed, args.max_context)
        trace_source = f"generated(requests={args.requests}, seed={args.seed}, " \
                       f"max_context={args.max_context})"
    # One chunk per trace hash id; store-phase chunks from a disjoint key range.
    id_keys: dict[int, bytes] = {}
    for ids in trace:
        for i in ids:
            if i not in id_keys:
                id_keys[i] = harness.chunk_key(i)
    trace_keys = [[id_keys[i] for i in ids] for ids in trace]
    unique = len(id_keys)
    lookups = sum(len(ids) for ids in trace)
    best_hit_rate = (lookups - unique) / lookups if lookups else 0.0
    log(f"trace: {trace_source}: {len(trace)} requests, {lookups} chunk lookups, "
        f"{unique} distinct chunks (hit rate with unbounded cache {best_hit_rate:.4f})")

    report = {
        "config": {
            "dir": args.disk_dir, "trace": trace_source, "requests": len(trace),
            "chunk_lookups": lookups, "distinct_chunks": unique,
            "unbounded_hit_rate": best_hit_rate, "rounds": args.rounds,
            "primary_chunks": args.primary_chunks, "store_bytes": args.store_bytes,
            "phase_request_chunks": args.phase_request_chunks,
            "concurrency": args.concurrency, "replay_pace": args.replay_pace,
            "cpu_count": os.cpu_count(),
            "kernel": os.uname().release,
        },
        "results": {},
    }
    os.makedirs(args.disk_dir, exist_ok=True)
    failed = False
    for chunk in args.chunk_bytes:
        store_chunks = max(args.primary_chunks + args.phase_request_chunks,
                           args.store_bytes // chunk)
        store_keys = [harness.chunk_key((1 << 40) + i) for i in range(store_chunks)]
        row_guess = chunk + 4096
        capacity = args.spillway_capacity_bytes or \
            int(1.25 * (unique + store_chunks) * row_guess) + 64 * MiB
        runs = {name: [] for name in TIERS + ("memory",)}
        fio_runs = []
        for r in range(args.rounds):
            order = TIERS if r % 2 == 0 else tuple(reversed(TIERS))
            if not args.skip_fio:
                fio_dir = os.path.join(args.disk_dir, f"fio-{chunk}-{r}")
                fio_runs.append(fio(fio_dir, chunk, min(args.store_bytes, 2 << 30)))
                log(f"chunk {chunk}: round {r}: fio {json.dumps(fio_runs[-1])}")
            if args.ceiling and r == 0:
                order = order + ("memory",)
            for name in order:
                directory = os.path.join(args.disk_dir, f"{name}-{chunk}-{r}")
                t = time.monotonic()
                result = run_one(name, args, chunk, args.primary_chunks, capacity,
                                 trace_keys, store_keys, directory)
                result["round"] = r
                runs[name].append(result)
                log(f"chunk {chunk}: round {r}: {name}: {time.monotonic() - t:.1f}s: "
                    f"hit {result['replay']['hit_rate']:.4f} "
                    f"(refused {result['replay']['store_refused']}), "
                    f"store {result['store']['mib_s']:.1f} MiB/s, "
                    f"promotion {fmt(result['promotion']['mib_s'])} MiB/s "
                    f"p99 {fmt(result['promotion']['promotion_p99_ms'], '.2f')} ms, "
                    f"files {result['disk']['files']}, "
                    f"verify failures {result['verify_failures']}")
                if result["verify_failures"] or result["promotion_failures"]:
                    failed = True
        entry = {"primary_chunks": args.primary_chunks, "rounds": args.rounds,
                 "store_chunks": store_chunks,
                 "promotion_chunks": max(0, store_chunks - args.primary_chunks),
                 "spillway_capacity_bytes": capacity,
                 "fio": {"median": {k: median([f[k] for f in fio_runs])
                                    for k in ("write_mib_s", "read_mib_s", "randread_mib_s")},
                         "runs": fio_runs}}
        for name in TIERS + ("memory",):
            if runs[name]:
                entry[name] = {"median": summarize(runs[name], fio_runs), "runs": runs[name]}
        entry["goals"] = goals(entry["fs"]["median"], entry["spillway"]["median"])
        report["results"][str(chunk)] = entry

    print_table(report)
    text = json.dumps(report, indent=2, sort_keys=False)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
        log(f"\nJSON written to {args.json}")
    else:
        print(text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
