"""A vLLM 0.33 `SharedOffloadRegion` participant, driven by test_region_vllm.py.

Imports vLLM once, prints `@@ {"event": "imported"}`, then serves sessions: each stdin line
is one JSON command; the session opens (creates or joins) a region with vLLM's own class,
fills its slots (worker views) or the canonical tensors through vLLM's views, prints
`ready`, waits for `checksum_after` and verifies the rows byte for byte through vLLM's
`create_kv_memoryview()`, waits for `release_after`, cleans up and prints `exit`. Errors
print `error` and the server waits for the next command. Event lines start with `@@ ` so
vLLM's own log lines on stdout are never mistaken for events.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from region_pattern import FileBarrier, expected_row, key, page  # noqa: E402

from vllm.v1.kv_offload.cpu.shared_offload_region import SharedOffloadRegion  # noqa: E402


SESSION: str | None = None  # the engine id of the command being served


def emit(event: str, **fields) -> None:
    print("@@ " + json.dumps({"event": event, "session": SESSION, **fields}), flush=True)


def wait_for(path: str | None) -> None:
    while path and not os.path.exists(path):
        time.sleep(0.002)


def session(cmd: dict) -> None:
    global SESSION
    SESSION = cmd["engine_id"]
    barrier = None
    if cmd.get("barrier_dir"):
        barrier = FileBarrier(cmd["barrier_dir"], cmd["barrier_parties"])
    shard = cmd.get("populate_shard")
    memory_check = None
    if cmd.get("memory_check_fail_after") is not None:

        def memory_check(size: int) -> None:
            time.sleep(cmd["memory_check_fail_after"])
            raise MemoryError(f"test memory check refuses {size} bytes")

    wait_for(cmd.get("start_after"))
    started = time.monotonic()
    region = SharedOffloadRegion(
        cmd["engine_id"],
        cmd["num_chunks"],
        cmd["rank"],
        cmd["kv_bytes_per_chunk"],
        cmd["cpu_page_size"],
        barrier,
        creator_memory_check=memory_check,
        populate_shard=tuple(shard) if shard else None,
        num_segments=cmd.get("num_segments", 1),
    )
    opened_seconds = time.monotonic() - started
    # vLLM clears _creator once its barrier has unlinked the files.
    creator = bool(region._creator)
    rows = cmd.get("rows") or list(range(cmd["num_chunks"]))
    tensors = cmd["tensors"]
    canonical = cmd.get("view") == "canonical"
    if cmd.get("fill_pattern") is not None:
        seed = cmd["fill_pattern"]
        writer = 0 if canonical else cmd["rank"]
        for tensor, size in enumerate(tensors):
            if canonical:
                view = region.create_next_canonical_view(size)
            else:
                view = region.create_next_worker_view(size)
            for row in rows:
                data = page(key(seed, writer, tensor, row), size)
                view[row].copy_(torch.from_numpy(data.view(np.int8)))
    emit(
        "ready",
        pid=os.getpid(),
        creator=creator,
        segments=[path for path, _, _ in region._segments],
        opened_seconds=opened_seconds,
    )
    if cmd.get("checksum_after"):
        wait_for(cmd["checksum_after"])
        seed = cmd["expect_pattern"]
        rows_view = np.asarray(region.create_kv_memoryview())
        mismatched = 0
        for row in rows:
            want = expected_row(
                seed=seed,
                block=row,
                row_stride=cmd["kv_bytes_per_chunk"],
                num_workers=cmd["num_workers"],
                cpu_page_size=cmd["cpu_page_size"],
                tensors=tensors,
                canonical=canonical,
            )
            mismatched += int(np.count_nonzero(rows_view[row].view(np.uint8) != want))
        del rows_view
        emit("verified", mismatchedBytes=mismatched)
    wait_for(cmd.get("release_after"))
    region.cleanup()
    emit("exit")


def main() -> None:
    emit("imported", pid=os.getpid())
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            session(json.loads(line))
        except Exception as error:  # reported to the test, which decides
            emit(
                "error",
                type=type(error).__name__,
                message=str(error),
                trace=traceback.format_exc(),
            )


if __name__ == "__main__":
    main()
