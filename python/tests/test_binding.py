"""The Python binding on its own (no vLLM): a Tier over anonymous mmap rows, checked
against plain expectations, plus a C program built against include/spillway.h."""

from __future__ import annotations

import mmap
import os
import pathlib
import shutil
import subprocess

import pytest

import spillway
from spillway import _native

ROW = 64 * 1024


def rows(count: int) -> mmap.mmap:
    return mmap.mmap(-1, count * ROW)


def fill(memory: mmap.mmap, row: int, seed: int) -> bytes:
    data = (seed.to_bytes(4, "little") * (ROW // 4))
    data = bytes(b ^ (i & 0xFF) for i, b in enumerate(data[:4096])) + data[4096:]
    memory[row * ROW:(row + 1) * ROW] = data
    return data


def key(i: int) -> bytes:
    return i.to_bytes(4, "big") * 9  # 36 bytes, like vLLM's sha256 + group keys


def test_store_lookup_load_round_trip_and_persistence(scratch):
    memory = rows(8)
    expected = {key(i): fill(memory, i, i) for i in range(8)}
    with spillway.Tier(scratch, memory, row_stride=ROW, capacity_bytes="8MiB") as tier:
        assert tier.lookup(key(0)) == spillway.MISS
        tier.submit_store(1, list(expected), range(8))
        tier.drain()
        [result] = tier.poll()
        assert result.job_id == 1 and result.is_store and result.success
        assert result.key_success == [True] * 8 and result.bytes == 8 * ROW
        assert all(tier.lookup(k) == spillway.HIT for k in expected)
        assert tier.poll() == []
    memory[:] = bytes(len(memory))
    with spillway.Tier(scratch, memory, row_stride=ROW) as tier:
        assert tier.stats()["blocks_held"] == 8
        tier.submit_load(2, list(reversed(list(expected))), range(8))
        tier.drain()
        [result] = tier.poll()
        assert result.success and not result.is_store
        for row, k in enumerate(reversed(list(expected))):
            assert memory[row * ROW:(row + 1) * ROW] == expected[k]


def test_store_skips_held_keys_and_pending_lookups(scratch):
    memory = rows(4)
    for i in range(4):
        fill(memory, i, 100 + i)
    with spillway.Tier(scratch, memory, row_stride=ROW, capacity_bytes="4MiB") as tier:
        tier.submit_store(1, [key(1), key(2)], [0, 1])
        # In flight: PENDING (RETRY in vLLM) or already HIT, never MISS.
        assert tier.lookup(key(1)) in (spillway.PENDING, spillway.HIT)
        tier.drain()
        tier.poll()
        tier.submit_store(2, [key(1), key(3), key(3)], [0, 2, 2])
        tier.drain()
        [result] = tier.poll()
        assert result.success and result.key_success == [True, True, True]
        stats = tier.stats()
        assert stats["blocks_stored"] == 3 and stats["blocks_store_skipped"] == 2
        assert result.bytes == ROW


def test_capacity_evicts_least_recently_used(scratch):
    """A 1 MiB tier holds 15 rows of 64 KiB (+ header page): storing 40 keeps the newest,
    evicts the rest, records them as removed, and never exceeds the capacity."""
    memory = rows(40)
    for i in range(40):
        fill(memory, i, i)
    with spillway.Tier(scratch, memory, row_stride=ROW, capacity_bytes=1 << 20) as tier:
        tier.record_removals()
        for i in range(40):
            tier.submit_store(i, [key(i)], [i])
            tier.drain()
        tier.poll()
        stats = tier.stats()
        assert stats["bytes_used"] <= stats["capacity_bytes"] == 1 << 20
        held = [i for i in range(40) if tier.lookup(key(i)) == spillway.HIT]
        assert held == list(range(40 - len(held), 40)) and 10 <= len(held) <= 15
        removed = tier.take_removed()
        assert removed == [key(i) for i in range(40 - len(held))]
        assert stats["blocks_evicted"] == len(removed)


def test_corrupt_block_fails_per_key_and_becomes_a_miss(scratch):
    memory = rows(4)
    data = [fill(memory, i, 7 * i) for i in range(4)]
    with spillway.Tier(scratch, memory, row_stride=ROW, capacity_bytes="4MiB") as tier:
        tier.submit_store(1, [key(i) for i in range(4)], range(4))
    path = os.path.join(scratch, "spillway-data.0")
    raw = bytearray(open(path, "rb").read())
    at = raw.find(key(2)) - 32 + 128 + 5000
    raw[at] ^= 1
    open(path, "r+b").write(raw)
    memory[:] = bytes(len(memory))
    with spillway.Tier(scratch, memory, row_stride=ROW) as tier:
        tier.submit_load(9, [key(i) for i in range(4)], range(4))
        tier.drain()
        [result] = tier.poll()
        assert not result.success and result.key_success == [True, True, False, True]
        assert tier.lookup(key(2)) == spillway.MISS
        assert tier.stats()["blocks_corrupt"] == 1
        for i in (0, 1, 3):
            assert memory[i * ROW:(i + 1) * ROW] == data[i]


def test_bad_arguments_are_errors_not_crashes(scratch):
    memory = rows(2)
    with pytest.raises(ValueError):
        spillway.Tier(scratch, bytes(ROW * 2), row_stride=ROW)          # read-only
    with pytest.raises(ValueError):
        spillway.Tier(scratch, memory, row_stride=ROW, codec="zip")
    with pytest.raises(spillway.TierError) as missing:
        spillway.Tier(os.path.join(scratch, "none"), memory, row_stride=ROW)
    assert missing.value.code == _native.E_OPEN_FAILED and "capacity" in str(missing.value)
    with spillway.Tier(scratch, memory, row_stride=ROW, capacity_bytes="1MiB") as tier:
        with pytest.raises(spillway.TierError) as bad_row:
            tier.submit_store(1, [key(1)], [2])
        assert bad_row.value.code == _native.E_INVALID_ARGUMENT and "row 2" in str(bad_row.value)
        with pytest.raises(ValueError):
            tier.submit_store(1, [b"x" * 65], [0])
        with pytest.raises(ValueError):
            tier.submit_store(1, [key(1)], [0, 1])
        tier.submit_store(5, [key(1)], [0])
        with pytest.raises(spillway.TierError) as duplicate:
            tier.submit_store(5, [key(2)], [1])
        assert duplicate.value.code == _native.E_DUPLICATE_JOB
        tier.drain()
        assert [r.job_id for r in tier.poll()] == [5]
    with pytest.raises(spillway.TierError) as closed:
        tier.lookup(key(1))
    assert closed.value.code == _native.E_CLOSED
    # Raw C calls with bad handles and NULLs return codes.
    error = _native.Error()
    lib = _native.lib
    assert lib.spw_tier_lookup(None, b"k", 1, error) == _native.E_INVALID_ARGUMENT
    assert lib.spw_tier_drain(12345678, error) == _native.E_INVALID_ARGUMENT
    assert b"not an open tier handle" in error.message
    lib.spw_tier_free(None)


@pytest.mark.parametrize("text, value", [
    (1000, 1000), ("64GiB", 64 << 30), ("500GB", 500 * 10**9), ("1.5MiB", 3 << 19),
    ("4096", 4096), ("2 TiB", 2 << 40),
])
def test_parse_bytes(text, value):
    assert spillway.parse_bytes(text) == value


@pytest.mark.parametrize("text", ["lots", "-5", "1.3", "5 parsecs", True, -1, ""])
def test_parse_bytes_rejects(text):
    with pytest.raises(ValueError):
        spillway.parse_bytes(text)


C_PROGRAM = r"""
#include <spillway.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
int main(int argc, char **argv) {
    if (spw_abi_version() < SPW_ABI_VERSION) return 10;
    size_t stride = 65536, count = 4;
    unsigned char *rows = mmap(NULL, stride * count, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (size_t i = 0; i < stride * count; i++) rows[i] = (unsigned char)(i * 7 + i / 4096);
    spw_tier_options options = {0};
    options.struct_size = sizeof options;
    options.capacity_bytes = 1 << 20;
    spw_error error;
    spw_tier *tier = NULL;
    if (spw_tier_open(argv[1], &options, rows, stride, count, &tier, &error) != SPW_OK) {
        fprintf(stderr, "open: %s\n", error.message); return 11;
    }
    uint8_t keys[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint32_t lengths[4] = {2, 2, 2, 2};
    int64_t ids[4] = {0, 1, 2, 3};
    if (spw_tier_submit(tier, 1, SPW_JOB_STORE, keys, lengths, ids, 4, &error)) return 12;
    if (spw_tier_drain(tier, &error)) return 13;
    spw_job_result result; uint8_t ok[4]; uint64_t n = 0;
    if (spw_tier_poll(tier, &result, 1, ok, 4, &n, &error) || n != 1 || !result.success) return 14;
    unsigned char *copy = malloc(stride * count);
    memcpy(copy, rows, stride * count);
    memset(rows, 0, stride * count);
    int64_t reversed[4] = {3, 2, 1, 0};
    if (spw_tier_submit(tier, 2, SPW_JOB_LOAD, keys, lengths, reversed, 4, &error)) return 15;
    if (spw_tier_drain(tier, &error)) return 16;
    if (spw_tier_poll(tier, &result, 1, ok, 4, &n, &error) || n != 1 || !result.success) return 17;
    for (int k = 0; k < 4; k++)
        if (memcmp(rows + reversed[k] * stride, copy + ids[k] * stride, stride)) return 18;
    if (spw_tier_lookup(tier, keys, 2, &error) != SPW_HIT) return 19;
    if (spw_tier_lookup(tier, keys, 0, &error) != SPW_E_INVALID_ARGUMENT) return 20;
    spw_tier_stats stats;
    if (spw_tier_get_stats(tier, &stats, &error) || stats.blocks_loaded != 4) return 21;
    if (spw_tier_close(tier, &error)) return 22;
    if (spw_tier_submit(tier, 3, SPW_JOB_STORE, keys, lengths, ids, 4, &error) != SPW_E_CLOSED) return 23;
    spw_tier_free(tier);
    if (spw_tier_drain(tier, &error) != SPW_E_INVALID_ARGUMENT) return 24;
    /* ABI 2: striped over a second directory; ABI 1's 40-byte struct; other sizes refused. */
    _Static_assert(sizeof(spw_tier_options) == 56, "spw_tier_options of ABI 2 is 56 bytes");
    const char *extra[1] = {argv[3]};
    spw_tier_options striped = {0};
    striped.struct_size = sizeof striped;
    striped.capacity_bytes = 1 << 20;
    striped.extra_directories = extra;
    striped.extra_directory_count = 1;
    if (spw_tier_open(argv[2], &striped, rows, stride, count, &tier, &error) != SPW_OK) {
        fprintf(stderr, "striped: %s\n", error.message); return 25;
    }
    if (spw_tier_submit(tier, 4, SPW_JOB_STORE, keys, lengths, ids, 4, &error)) return 26;
    if (spw_tier_close(tier, &error)) return 27;
    spw_tier_free(tier);
    striped.struct_size = 48;
    if (spw_tier_open(argv[2], &striped, rows, stride, count, &tier, &error) != SPW_E_INVALID_ARGUMENT
        || !strstr(error.message, "struct_size 48")) return 28;
    striped.struct_size = 40; /* no extra directories: the striped tier is refused */
    if (spw_tier_open(argv[2], &striped, rows, stride, count, &tier, &error) != SPW_E_OPEN_FAILED
        || !strstr(error.message, "created over 2 directories")) return 29;
    puts("ok");
    return 0;
}
"""


def test_c_program_against_the_header(scratch, tmp_path):
    """A C program compiled against include/spillway.h and linked with the library stores,
    loads (rows permuted), looks up and closes, then opens a tier striped over two
    directories, and checks the options' struct sizes: the header and the library agree."""
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        pytest.skip("no C compiler on PATH")
    include = pathlib.Path(__file__).resolve().parents[2] / "include"
    library = pathlib.Path(_native.library_path()).resolve()
    source = tmp_path / "client.c"
    source.write_text(C_PROGRAM)
    binary = tmp_path / "client"
    subprocess.run([compiler, "-std=c11", "-Wall", "-Werror", "-D_DEFAULT_SOURCE",
                    f"-I{include}", str(source), str(library),
                    f"-Wl,-rpath,{library.parent}", "-o", str(binary)], check=True)
    run = subprocess.run([str(binary), os.path.join(scratch, "c-tier"),
                          os.path.join(scratch, "c-striped"), os.path.join(scratch, "c-extra")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, (run.returncode, run.stderr)
    assert run.stdout.strip() == "ok"
    assert os.listdir(os.path.join(scratch, "c-extra")) == ["spillway-data.1"]


def test_poll_takes_jobs_larger_than_the_flag_buffer_and_races_cleanly(scratch):
    """A job with more keys than poll's first flag buffer is returned whole, and polling
    while jobs keep finishing neither loses a result nor grows memory without bound."""
    count = 70000
    memory = mmap.mmap(-1, 4096 * 8)
    with spillway.Tier(scratch, memory, row_stride=4096, capacity_bytes="64MiB") as tier:
        keys = [i.to_bytes(8, "big") for i in range(count)]
        tier.submit_store(1, keys, [i % 8 for i in range(count)])
        small = [(100 + i, [key(i)], [i % 8]) for i in range(200)]
        for job_id, job_keys, rows in small:
            tier.submit_load(job_id, job_keys, rows)
        seen = []
        while len(seen) < 201:
            seen += tier.poll()
            assert len(tier._flags) <= 2 * count
        ids = [r.job_id for r in seen]
        assert sorted(ids) == [1] + [100 + i for i in range(200)]
        [big] = [r for r in seen if r.job_id == 1]
        assert len(big.key_success) == count and big.success
