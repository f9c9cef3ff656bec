"""Spillway's shared offload region against real vLLM 0.33.0, process by process, byte by byte.

vLLM participants are long-lived `region_helpers/vllm_participant.py` servers (vLLM's own
`SharedOffloadRegion`, imported once per server); Spillway participants are `spillway region
create` processes. Every test compares bytes three ways where the files still exist: each
participant verifies every row it touches through its own mapping (`--verify` /
`verified`), and the test reads the backing files (per segment) itself. Large regions are
2 GiB over two files on /dev/shm, kept sparse: a few rows are written and pre-faulting is
limited to small shards.

Run with the pinned venv: `$(bash scripts/vllm-env.sh) -m pytest python/tests/test_region_vllm.py`.
The Spillway CLI is `<repo>/.build/debug/spillway` (override with SPILLWAY_BIN).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

HELPERS = Path(__file__).resolve().parent / "region_helpers"
sys.path.insert(0, str(HELPERS))

pytest.importorskip("numpy", reason="numpy (installed with vLLM) computes the expected bytes")
from region_pattern import expected_row  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SPILLWAY = os.environ.get("SPILLWAY_BIN") or str(REPO / ".build" / "debug" / "spillway")
SHM = "/dev/shm"
PAGE = os.sysconf("SC_PAGESIZE")
GIB = 1 << 30


def _skip_reason() -> str | None:
    if importlib.util.find_spec("vllm") is None:
        return "vLLM is not installed here; run with $(bash scripts/vllm-env.sh) -m pytest"
    version = importlib.metadata.version("vllm")
    if version != "0.33.0":
        return f"vLLM {version} is installed; these tests pin vLLM 0.33.0"
    if not os.access(SPILLWAY, os.X_OK):
        return f"{SPILLWAY} is not built (swift build --product spillway, or set SPILLWAY_BIN)"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=str(_skip_reason()))


def stride(cpu_page_size: int, num_workers: int) -> int:
    """vLLM's kv_bytes_per_chunk: P * M rounded up to the page (Spillway's page-aligned S)."""
    return -(-cpu_page_size * num_workers // PAGE) * PAGE


def region_files(engine_id: str) -> list[str]:
    return sorted(n for n in os.listdir(SHM) if n.startswith(f"vllm_offload_{engine_id}.mmap"))


class Process:
    """A child whose stdout event lines (`@@ {...}` or bare JSON) are read by a thread."""

    def __init__(self, argv: list[str], name: str, stdin: bool = False) -> None:
        self.name = name
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "VLLM_LOGGING_LEVEL": "WARNING"},
        )
        self.events: queue.Queue[dict | None] = queue.Queue()
        self.stderr: list[str] = []
        # Events of another session (a server's earlier, failed test) are skipped.
        self.session: str | None = None
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self) -> None:
        for line in self.proc.stdout:
            line = line.strip()
            if line.startswith("@@ "):
                line = line[3:]
            if line.startswith("{"):
                try:
                    self.events.put(json.loads(line))
                except json.JSONDecodeError:
                    pass
        self.events.put(None)

    def _read_stderr(self) -> None:
        for line in self.proc.stderr:
            self.stderr.append(line)

    def expect(self, event: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            try:
                got = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"{self.name}: no {event!r} within {timeout} s") from None
            if got is None:
                self.proc.wait()
                raise AssertionError(
                    f"{self.name} exited ({self.proc.returncode}) before {event!r}: "
                    + "".join(self.stderr[-20:])
                )
            if got.get("session") not in (None, self.session):
                continue
            if got.get("event") == "error" and event != "error":
                raise AssertionError(f"{self.name}: {got['type']}: {got['message']}\n{got['trace']}")
            if got.get("event") == event:
                return got

    def run(self, command: dict) -> None:
        self.session = command["engine_id"]
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class VLLMPool:
    """vLLM participant servers, started together (import ~10 s each), respawned if killed."""

    def __init__(self, size: int) -> None:
        self.servers = [self._spawn(i) for i in range(size)]
        started = time.monotonic()
        for server in self.servers:
            try:
                server.expect("imported", timeout=300)
            except AssertionError as error:
                self.close()
                pytest.skip(f"vLLM does not import: {error}")
        self.import_seconds = time.monotonic() - started

    @staticmethod
    def _spawn(i: int) -> Process:
        script = str(HELPERS / "vllm_participant.py")
        return Process([sys.executable, script], f"vllm[{i}]", stdin=True)

    def __getitem__(self, i: int) -> Process:
        if self.servers[i].proc.poll() is not None:
            self.servers[i] = self._spawn(i)
            self.servers[i].expect("imported", timeout=300)
        return self.servers[i]

    def close(self) -> None:
        for server in self.servers:
            server.stop()


@pytest.fixture(scope="module")
def vllm():
    pool = VLLMPool(2)
    print(f"\nvLLM servers imported in {pool.import_seconds:.1f} s")
    yield pool
    pool.close()


@pytest.fixture
def scenario(tmp_path):
    """A unique engine id, sync files and every Spillway process the test starts."""

    class Scenario:
        engine_id = f"spwtest-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        go = str(tmp_path / "go")
        release = str(tmp_path / "release")
        barrier = str(tmp_path / "barrier")
        spillways: list[Process] = []

        def spillway(self, *args: str | int, name: str = "spillway") -> Process:
            argv = [SPILLWAY, "region", "create", "--instance-id", self.engine_id, "--json"]
            argv += [str(a) for a in args]
            process = Process(argv, name)
            self.spillways.append(process)
            return process

    os.mkdir(tmp_path / "barrier")
    s = Scenario()
    yield s
    # Unblock vLLM sessions of a failed test, so their servers serve the next one.
    for path in (s.go, s.release):
        open(path, "w").close()
    for process in s.spillways:
        process.stop()
    for name in region_files(s.engine_id):
        os.unlink(os.path.join(SHM, name))


def vllm_command(s, *, num_chunks, rank, num_workers, cpu_page_size, tensors, **extra) -> dict:
    return {
        "engine_id": s.engine_id,
        "num_chunks": num_chunks,
        "rank": rank,
        "num_workers": num_workers,
        "kv_bytes_per_chunk": stride(cpu_page_size, num_workers),
        "cpu_page_size": cpu_page_size,
        "tensors": tensors,
        "checksum_after": s.go,
        "release_after": s.release,
        **extra,
    }


def assert_files_hold(files: list[str], rows: list[int], rows_per_file: int, want) -> None:
    """Reads each row straight from the backing file holding it and compares every byte."""
    for row in rows:
        path = os.path.join(SHM, files[row // rows_per_file])
        expected = want(row).tobytes()
        with open(path, "rb") as f:
            f.seek((row % rows_per_file) * len(expected))
            got = f.read(len(expected))
        if got != expected:
            first = next(i for i, (a, b) in enumerate(zip(got, expected)) if a != b)
            pytest.fail(f"{path} row {row}: first differing byte {first} of {len(expected)}")


def finish(s, spillways: list[Process], vllms: list[Process]) -> None:
    """Both sides verify every touched row, then everyone cleans up; nothing may remain."""
    open(s.go, "w").close()
    for p in spillways:
        assert p.expect("checksum")["mismatchedBytes"] == 0, p.name
    for p in vllms:
        assert p.expect("verified")["mismatchedBytes"] == 0, p.name
    for p in spillways:
        p.proc.send_signal(signal.SIGTERM)
        p.expect("exit")
        assert p.proc.wait(timeout=30) == 0, "".join(p.stderr)
    open(s.release, "w").close()
    for p in vllms:
        p.expect("exit")
    assert region_files(s.engine_id) == [], "files left behind after every cleanup"


def test_vllm_creates_spillway_joins_one_file(vllm, scenario):
    """vLLM (rank 0) creates and fills two tensors per slot, Spillway (rank 1) joins and
    fills; P = 6000 leaves page padding. The file, read directly, holds both ranks' bytes
    and zero padding; both sides verify everything through their mappings."""
    s, geometry = scenario, dict(num_chunks=8, num_workers=2, cpu_page_size=6000)
    tensors = [2000, 4000]
    v = vllm[0]
    v.run(vllm_command(s, rank=0, tensors=tensors, fill_pattern=11, expect_pattern=11, **geometry))
    assert v.expect("ready")["creator"] is True
    sp = s.spillway(
        "--num-blocks", 8, "--num-workers", 2, "--cpu-page-size", 6000, "--rank", 1,
        "--tensor-page-sizes", "2000,4000", "--fill-pattern", 11,
        "--checksum-after", s.go, "--verify",
    )
    ready = sp.expect("ready")
    assert ready["isCreator"] is False and ready["rowStride"] == stride(6000, 2)
    assert region_files(s.engine_id) == [f"vllm_offload_{s.engine_id}.mmap"]
    want = lambda row: expected_row(
        seed=11, block=row, row_stride=stride(6000, 2), num_workers=2, cpu_page_size=6000,
        tensors=tensors, canonical=False,
    )
    assert_files_hold(region_files(s.engine_id), list(range(8)), 8, want)
    finish(s, [sp], [v])


def test_spillway_creates_vllm_joins_one_file(vllm, scenario):
    """Spillway (rank 0) creates and fills, vLLM (rank 1) joins and fills; the same checks.
    Spillway's sidecar sits next to the region, never inside it, and goes with it."""
    s, geometry = scenario, dict(num_chunks=5, num_workers=2, cpu_page_size=8192)
    sp = s.spillway(
        "--num-blocks", 5, "--num-workers", 2, "--cpu-page-size", 8192, "--rank", 0,
        "--fill-pattern", 12, "--checksum-after", s.go, "--verify",
    )
    assert sp.expect("ready")["isCreator"] is True
    v = vllm[1]
    v.run(vllm_command(s, rank=1, tensors=[8192], fill_pattern=12, expect_pattern=12, **geometry))
    assert v.expect("ready")["creator"] is False
    files = region_files(s.engine_id)
    assert files == [f"vllm_offload_{s.engine_id}.mmap", f"vllm_offload_{s.engine_id}.mmap.meta"]
    want = lambda row: expected_row(
        seed=12, block=row, row_stride=16384, num_workers=2, cpu_page_size=8192,
        tensors=[8192], canonical=False,
    )
    assert_files_hold(files[:1], list(range(5)), 5, want)
    finish(s, [sp], [v])


# 2 GiB: 2048 rows of 1 MiB, so num_segments=32 gives two 1 GiB files.
BIG = dict(num_chunks=2048, num_workers=2, cpu_page_size=512 * 1024)
BIG_ROWS = [0, 1, 1023, 1024, 1025, 2047]


def test_segmented_2gib_vllm_creates_spillway_joins(vllm, scenario):
    """vLLM creates a 2 GiB region over two files (num_segments=32) and fills rows on both
    sides of the file boundary; Spillway joins with --num-segments 32 and fills the same rows.
    Each row is read from the file that holds it; `region list` folds the two files into one
    live region; a joiner that expects one file is refused with a message naming the segment
    count rather than being told a live region is stale. Pre-faulting is limited to tiny
    shards, so the region stays sparse."""
    s = scenario
    v = vllm[0]
    v.run(
        vllm_command(
            s, rank=0, tensors=[BIG["cpu_page_size"]], fill_pattern=13, expect_pattern=13,
            rows=BIG_ROWS, num_segments=32, populate_shard=[0, 1024], **BIG,
        )
    )
    ready = v.expect("ready")
    assert ready["creator"] is True and len(ready["segments"]) == 2
    rows_arg = ",".join(map(str, BIG_ROWS))
    sp = s.spillway(
        "--num-blocks", 2048, "--num-workers", 2, "--cpu-page-size", BIG["cpu_page_size"],
        "--rank", 1, "--num-segments", 32, "--populate-shard", "1/1024",
        "--fill-pattern", 13, "--fill-rows", rows_arg, "--checksum-after", s.go, "--verify",
    )
    assert sp.expect("ready")["segments"] == ready["segments"]
    name = f"vllm_offload_{s.engine_id}.mmap"
    files = region_files(s.engine_id)
    assert files == [name, name + ".1"]
    for f in files:
        st = os.stat(os.path.join(SHM, f))
        print(f"\n{f}: {st.st_size} bytes, {st.st_blocks * 512} allocated")
        assert st.st_size == GIB and st.st_blocks * 512 < 64 << 20, "region is not sparse"
    want = lambda row: expected_row(
        seed=13, block=row, row_stride=1 << 20, num_workers=2,
        cpu_page_size=BIG["cpu_page_size"], tensors=[BIG["cpu_page_size"]], canonical=False,
    )
    assert_files_hold(files, BIG_ROWS, 1024, want)

    listing = json.loads(
        subprocess.run([SPILLWAY, "region", "list", "--json"], capture_output=True,
                       text=True, check=True).stdout
    )
    entry = next(r for r in listing["regions"] if r["instanceID"] == s.engine_id)
    assert entry["sizeBytes"] == 2 * GIB and [g["index"] for g in entry["segments"]] == [1]
    assert entry["state"] == "live" and ready["pid"] in entry["mappingPIDs"]
    inspected = json.loads(
        subprocess.run([SPILLWAY, "region", "inspect", os.path.join(SHM, name + ".1"), "--json"],
                       capture_output=True, text=True, check=True).stdout
    )
    assert inspected["path"] == os.path.join(SHM, name) and inspected["sizeBytes"] == 2 * GIB
    assert ready["pid"] in inspected["segments"][0]["mappingPIDs"]

    one_file = subprocess.run(
        [SPILLWAY, "region", "create", "--instance-id", s.engine_id, "--num-blocks", "2048",
         "--num-workers", "2", "--cpu-page-size", str(BIG["cpu_page_size"]), "--rank", "1",
         "--hold-seconds", "0", "--timeout-seconds", "2"],
        capture_output=True, text=True,
    )
    assert one_file.returncode != 0 and "numSegments" in one_file.stderr, one_file.stderr
    finish(s, [sp], [v])


def test_mixed_ranks_barrier_2gib_spillway_creates_then_sigkill(vllm, scenario):
    """Four ranks on one 2 GiB two-file region, alternating Spillway and vLLM, Spillway
    creating; all pass one barrier (two calls: populate shards), after which the creator has
    unlinked both files. Every participant verifies all four ranks' rows. Then a Spillway
    rank is killed with SIGKILL and the others clean up: nothing is left in /dev/shm."""
    s = scenario
    geometry = dict(num_chunks=2048, num_workers=4, cpu_page_size=256 * 1024)
    rows_arg = ",".join(map(str, BIG_ROWS))

    def spillway_rank(rank: int) -> Process:
        return s.spillway(
            "--num-blocks", 2048, "--num-workers", 4, "--cpu-page-size", 256 * 1024,
            "--rank", rank, "--num-segments", 32, "--populate-shard", f"{rank}/1024",
            "--barrier-dir", s.barrier, "--barrier-parties", 4, "--fill-pattern", 14,
            "--fill-rows", rows_arg, "--checksum-after", s.go, "--verify",
            name=f"spillway rank {rank}",
        )

    def vllm_rank(server: int, rank: int) -> Process:
        v = vllm[server]
        v.run(
            vllm_command(
                s, rank=rank, tensors=[256 * 1024], fill_pattern=14, expect_pattern=14,
                rows=BIG_ROWS, num_segments=32, populate_shard=[rank, 1024],
                barrier_dir=s.barrier, barrier_parties=4, **geometry,
            )
        )
        return v

    shm_before = os.statvfs(SHM)
    creator = spillway_rank(0)
    deadline = time.monotonic() + 10
    while not region_files(s.engine_id) and time.monotonic() < deadline:
        time.sleep(0.005)
    v1, sp2, v3 = vllm_rank(0, 1), spillway_rank(2), vllm_rank(1, 3)
    assert creator.expect("ready")["isCreator"] is True
    for p in (v1, sp2, v3):
        p.expect("ready")
    assert region_files(s.engine_id) == [], "the barrier must have unlinked every file"
    open(s.go, "w").close()
    for p in (creator, sp2):
        assert p.expect("checksum")["mismatchedBytes"] == 0, p.name
    for p in (v1, v3):
        assert p.expect("verified")["mismatchedBytes"] == 0, p.name
    sp2.proc.send_signal(signal.SIGKILL)
    assert sp2.proc.wait(timeout=10) == -signal.SIGKILL
    creator.proc.send_signal(signal.SIGTERM)
    creator.expect("exit")
    open(s.release, "w").close()
    for p in (v1, v3):
        p.expect("exit")
    assert region_files(s.engine_id) == []
    shm_after = os.statvfs(SHM)
    used = lambda st: (st.f_blocks - st.f_bfree) * st.f_frsize
    print(f"\n/dev/shm used before {used(shm_before)}, after {used(shm_after)} bytes")


@pytest.mark.parametrize("writer", ["vllm", "spillway"])
def test_canonical_views_replicated_layout(vllm, scenario, writer):
    """vLLM's replicated layout: every worker maps rank 0 with a populate shard and uses
    canonical views carved from the row start. One side writes two canonical tensors, the
    other only reads; both verify every byte of every row (tensors, then zero to the row
    end). The barrier runs twice (after mapping, after the shards) across both
    implementations."""
    s = scenario
    tensors = [3000, 5000]
    geometry = dict(num_chunks=6, num_workers=1, cpu_page_size=8000)
    fill = ["--fill-pattern", 15] if writer == "spillway" else []
    sp = s.spillway(
        "--num-blocks", 6, "--num-workers", 1, "--cpu-page-size", 8000, "--rank", 0,
        "--view", "canonical", "--tensor-page-sizes", "3000,5000", "--populate-shard", "1/2",
        "--barrier-dir", s.barrier, "--barrier-parties", 2, *fill, "--expect-pattern", 15,
        "--checksum-after", s.go, "--verify",
    )
    v = vllm[0]
    v.run(
        vllm_command(
            s, rank=0, tensors=tensors, view="canonical", expect_pattern=15,
            fill_pattern=15 if writer == "vllm" else None, populate_shard=[0, 2],
            barrier_dir=s.barrier, barrier_parties=2, **geometry,
        )
    )
    sp.expect("ready")
    v.expect("ready")
    assert region_files(s.engine_id) == []
    finish(s, [sp], [v])


def test_vllm_creator_failure_fails_spillway_joiner_at_once(vllm, scenario):
    """vLLM's creator refuses in its creator_memory_check (after 3 s) while a Spillway
    joiner waits on the unsized file: the joiner fails at once with creator-failed (not
    after its 30 s timeout), both still meet at the barrier so neither hangs, and no file
    remains."""
    s = scenario
    v = vllm[0]
    v.run(
        vllm_command(
            s, rank=0, num_chunks=4, num_workers=2, cpu_page_size=4096, tensors=[4096],
            barrier_dir=s.barrier, barrier_parties=2, memory_check_fail_after=3.0,
        )
    )
    deadline = time.monotonic() + 30
    while not region_files(s.engine_id) and time.monotonic() < deadline:
        time.sleep(0.002)
    started = time.monotonic()
    sp = s.spillway(
        "--num-blocks", 4, "--num-workers", 2, "--cpu-page-size", 4096, "--rank", 1,
        "--barrier-dir", s.barrier, "--barrier-parties", 2, "--timeout-seconds", 30,
        "--hold-seconds", 0,
    )
    assert sp.proc.wait(timeout=20) == 1, "".join(sp.stderr)
    elapsed = time.monotonic() - started
    stderr = "".join(sp.stderr)
    assert "creator failed" in stderr, stderr
    assert elapsed < 10, f"the joiner took {elapsed:.1f} s"
    error = v.expect("error")
    assert error["type"] == "MemoryError", error
    assert region_files(s.engine_id) == []


def test_spillway_creator_failure_still_joins_the_barrier(vllm, scenario):
    """A Spillway creator refused by its memory check (--memory-limit-bytes) does not just
    exit: it waits at the barrier until its vLLM peer arrives, so the peer never hangs, then
    fails with memory-limit. The peer, arriving after the files were removed, creates the
    region itself and gets through its barrier; nothing is left afterwards."""
    s = scenario
    sp = s.spillway(
        "--num-blocks", 4, "--num-workers", 2, "--cpu-page-size", 4096, "--rank", 0,
        "--barrier-dir", s.barrier, "--barrier-parties", 2, "--memory-limit-bytes", 1,
    )
    time.sleep(1.0)
    assert sp.proc.poll() is None, "the failed creator must wait for its peer at the barrier"
    assert region_files(s.engine_id) == []
    v = vllm[1]
    v.run(
        vllm_command(
            s, rank=1, num_chunks=4, num_workers=2, cpu_page_size=4096, tensors=[4096],
            barrier_dir=s.barrier, barrier_parties=2, checksum_after=None,
        )
    )
    assert sp.proc.wait(timeout=30) == 1
    stderr = "".join(sp.stderr)
    assert "memory limit" in stderr, stderr
    v.expect("ready")
    assert region_files(s.engine_id) == [], "the vLLM creator unlinks after its barrier"
    open(s.release, "w").close()
    v.expect("exit")
    assert region_files(s.engine_id) == []
