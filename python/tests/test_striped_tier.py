"""A tier striped over several directories from Python (no vLLM): round trips with a data
file in each directory, the directory list fixed at creation, the checks of
spw_tier_options' extra directories, and the 40-byte options struct of ABI 1."""

from __future__ import annotations

import ctypes
import mmap
import os
import subprocess
import sys

import pytest

import spillway
from spillway import _native

ROW = 64 * 1024


def rows(count: int) -> mmap.mmap:
    return mmap.mmap(-1, count * ROW)


def key(i: int) -> bytes:
    return b"stripe" + i.to_bytes(4, "big") * 6


def fill(memory: mmap.mmap, count: int) -> dict[bytes, bytes]:
    """Row i holds bytes that are a function of i; returns key -> bytes."""
    expected = {}
    for i in range(count):
        data = bytes((i * 31 + j * 7 + j // 4096) & 0xFF for j in range(ROW))
        memory[i * ROW:(i + 1) * ROW] = data
        expected[key(i)] = data
    return expected


def keys_in(path: str, keys) -> set[bytes]:
    """The keys whose record headers are in the data file at `path`."""
    data = open(path, "rb").read()
    return {k for k in keys if data.find(k) >= 0}


@pytest.fixture
def dirs(scratch):
    home, extra, other = (os.path.join(scratch, name) for name in ("home", "extra", "other"))
    return home, extra, other


def test_round_trip_with_a_data_file_in_each_directory(dirs):
    """16 rows stored in a tier over two directories land in both data files; reopened
    with the same list, every row loads back byte for byte."""
    home, extra, _ = dirs
    count = 16
    memory = rows(count)
    expected = fill(memory, count)
    with spillway.Tier(home, memory, row_stride=ROW, capacity_bytes="8MiB",
                       extra_directories=[extra]) as tier:
        tier.submit_store(1, list(expected), range(count))
        tier.drain()
        [result] = tier.poll()
        assert result.success and result.key_success == [True] * count
        stats = tier.stats()
        assert stats["blocks_held"] == count and stats["capacity_bytes"] == 8 << 20
    assert sorted(os.listdir(extra)) == ["spillway-data.1"]
    first = keys_in(os.path.join(home, "spillway-data.0"), expected)
    second = keys_in(os.path.join(extra, "spillway-data.1"), expected)
    assert first and second, "both directories hold blocks"
    assert first | second == set(expected) and not first & second
    memory[:] = bytes(len(memory))
    with spillway.Tier(home, memory, row_stride=ROW, extra_directories=[extra]) as tier:
        assert tier.stats()["blocks_held"] == count
        order = list(reversed(list(expected)))
        tier.submit_load(2, order, range(count))
        tier.drain()
        [result] = tier.poll()
        assert result.success and not result.is_store
        for row, k in enumerate(order):
            assert memory[row * ROW:(row + 1) * ROW] == expected[k]


def test_reopening_with_another_list_fails_naming_the_difference(dirs):
    """The list is fixed at creation: another extra directory, none, or one more is refused
    with the tier's message naming the difference; the right list still opens."""
    home, extra, other = dirs
    memory = rows(2)
    fill(memory, 2)
    with spillway.Tier(home, memory, row_stride=ROW, capacity_bytes="2MiB",
                       extra_directories=[extra]) as tier:
        tier.submit_store(1, [key(0), key(1)], [0, 1])
    created = os.path.realpath(extra)
    with pytest.raises(spillway.TierError) as moved:
        spillway.Tier(home, memory, row_stride=ROW, extra_directories=[other])
    assert moved.value.code == _native.E_OPEN_FAILED
    assert f"directory 2: created {created}, given {other}" in str(moved.value)
    with pytest.raises(spillway.TierError) as fewer:
        spillway.Tier(home, memory, row_stride=ROW)
    assert "created over 2 directories" in str(fewer.value)
    assert "directory 2: created " + created + ", given none" in str(fewer.value)
    with pytest.raises(spillway.TierError) as more:
        spillway.Tier(home, memory, row_stride=ROW, extra_directories=[extra, other])
    assert "directory 3: created none, given " + other in str(more.value)
    with spillway.Tier(home, memory, row_stride=ROW, extra_directories=[extra]) as tier:
        assert tier.stats()["blocks_held"] == 2
        assert tier.lookup(key(1)) == spillway.HIT


@pytest.mark.parametrize("extras, fragment", [
    (lambda home, extra: [""], "extra_directories[0] is empty"),
    (lambda home, extra: [extra, extra], "extra_directories[1] ({extra}) repeats extra_directories[0]"),
    (lambda home, extra: [extra, extra + "/"], "repeats extra_directories[0]"),
    (lambda home, extra: [home], "repeats the home directory"),
    (lambda home, extra: [f"{extra}{i}" for i in range(64)], "at most 64 directories"),
])
def test_bad_extra_directories_are_refused_before_anything_is_created(dirs, extras, fragment):
    home, extra, _ = dirs
    memory = rows(2)
    with pytest.raises(spillway.TierError) as refused:
        spillway.Tier(home, memory, row_stride=ROW, capacity_bytes="2MiB",
                      extra_directories=extras(home, extra))
    assert refused.value.code == _native.E_INVALID_ARGUMENT
    assert fragment.format(extra=extra) in str(refused.value)
    assert not os.path.exists(home) and not os.path.exists(extra)


def test_a_single_path_is_not_a_list(dirs):
    home, extra, _ = dirs
    with pytest.raises(ValueError, match="give a list of paths"):
        spillway.Tier(home, rows(2), row_stride=ROW, capacity_bytes="2MiB",
                      extra_directories=extra)


def test_paths_that_are_not_utf8_are_refused(dirs):
    """The library reads paths as UTF-8: a name that is not (surrogate-escaped bytes from
    the file system) would be opened under another name, so Python refuses it first."""
    home, extra, _ = dirs
    bad = os.fsdecode(os.fsencode(extra) + b"\xff")
    with pytest.raises(ValueError, match="not valid UTF-8"):
        spillway.Tier(home, rows(2), row_stride=ROW, capacity_bytes="2MiB", extra_directories=[bad])
    with pytest.raises(ValueError, match="not valid UTF-8"):
        spillway.Tier(bad, rows(2), row_stride=ROW, capacity_bytes="2MiB")
    assert not os.path.exists(home) and not os.path.exists(os.fsencode(bad))


def raw_open(directory: str, options: _native.TierOptions | None, memory: mmap.mmap):
    """spw_tier_open straight through ctypes: (status, handle, message)."""
    handle = ctypes.c_void_p()
    error = _native.Error()
    buffer = (ctypes.c_char * len(memory)).from_buffer(memory)
    status = _native.lib.spw_tier_open(
        directory.encode(), ctypes.byref(options) if options is not None else None,
        ctypes.addressof(buffer), ROW, len(memory) // ROW, ctypes.byref(handle),
        ctypes.byref(error))
    del buffer
    return status, handle, error.message.decode()


def options_v2(**fields) -> _native.TierOptions:
    options = _native.TierOptions()
    options.struct_size = ctypes.sizeof(options)
    options.capacity_bytes = 2 << 20
    for name, value in fields.items():
        setattr(options, name, value)
    return options


def test_options_struct_sizes_and_pointers_are_checked(dirs):
    """Only the 40-byte (ABI 1) and 56-byte (ABI 2) structs are taken; a NULL list or entry
    with a count, and a nonzero reserved field, are errors that create nothing."""
    home, extra, _ = dirs
    memory = rows(2)
    for size in (0, 39, 41, 48, 64):
        status, handle, message = raw_open(home, options_v2(struct_size=size), memory)
        assert status == _native.E_INVALID_ARGUMENT and not handle.value
        assert f"options.struct_size {size} is neither 56" in message
    status, _, message = raw_open(home, options_v2(extra_directory_count=2), memory)
    assert status == _native.E_INVALID_ARGUMENT
    assert message == "extra_directories is NULL but extra_directory_count is 2"
    paths = (ctypes.c_char_p * 2)(extra.encode(), None)
    status, _, message = raw_open(home, options_v2(
        extra_directories=ctypes.cast(paths, ctypes.POINTER(ctypes.c_char_p)),
        extra_directory_count=2), memory)
    assert status == _native.E_INVALID_ARGUMENT
    assert message.startswith("extra_directories[1] is NULL")
    status, _, message = raw_open(home, options_v2(reserved=7), memory)
    assert status == _native.E_INVALID_ARGUMENT and "options.reserved is 7" in message
    status, _, message = raw_open(home, options_v2(extra_directory_count=1 << 31), memory)
    assert status == _native.E_INVALID_ARGUMENT and "at most 64 directories" in message
    assert not os.path.exists(home) and not os.path.exists(extra)
    # A list given with a count of 0 is no extra directory.
    status, handle, message = raw_open(home, options_v2(
        extra_directories=ctypes.cast(paths, ctypes.POINTER(ctypes.c_char_p))), memory)
    assert status == _native.OK, message
    _native.lib.spw_tier_free(handle)
    assert not os.path.exists(extra)


# Run in a child process: the 40-byte struct ends right before a PROT_NONE page, so a library
# that read past struct_size would crash the child, not the test run.
V1_CLIENT = r"""
import ctypes, mmap, sys
from spillway import _native
page = mmap.PAGESIZE
guarded = mmap.mmap(-1, 2 * page)
base = ctypes.addressof(ctypes.c_char.from_buffer(guarded))
libc = ctypes.CDLL(None, use_errno=True)
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
assert libc.mprotect(base + page, page, 0) == 0

class OptionsV1(ctypes.Structure):
    _fields_ = _native.TierOptions._fields_[:7]

assert ctypes.sizeof(OptionsV1) == _native.TIER_OPTIONS_SIZE_V1 == 40
at = base + page - 40
options = OptionsV1.from_address(at)
options.struct_size = 40
options.capacity_bytes = 1 << 20
rows = mmap.mmap(-1, 2 * 65536)
rows[:65536] = b"v1" * 32768
handle, error = ctypes.c_void_p(), _native.Error()
lib = _native.lib
status = lib.spw_tier_open(
    sys.argv[1].encode(), ctypes.cast(ctypes.c_void_p(at), ctypes.POINTER(_native.TierOptions)),
    ctypes.addressof(ctypes.c_char.from_buffer(rows)), 65536, 2, ctypes.byref(handle),
    ctypes.byref(error))
if status != 0:
    sys.exit("open: " + error.message.decode())
lengths = (ctypes.c_uint32 * 1)(2)
ids = (ctypes.c_int64 * 1)(0)
assert lib.spw_tier_submit(handle, 1, 0, b"v1", lengths, ids, 1, ctypes.byref(error)) == 0
assert lib.spw_tier_drain(handle, ctypes.byref(error)) == 0
assert lib.spw_tier_close(handle, ctypes.byref(error)) == 0
lib.spw_tier_free(handle)
print("ok")
"""


def test_the_40_byte_options_of_abi_1_still_open_a_tier(dirs):
    """A client of ABI 1 (struct_size 40, nothing after the struct) creates and fills a
    one-directory tier, which the current struct then opens; a striped tier is refused
    to it, since it names no extra directory."""
    home, extra, _ = dirs
    child = subprocess.run([sys.executable, "-c", V1_CLIENT, home], capture_output=True,
                           text=True)
    assert child.returncode == 0, (child.returncode, child.stderr)
    assert child.stdout.strip() == "ok"
    memory = rows(2)
    with spillway.Tier(home, memory, row_stride=ROW) as tier:
        assert tier.lookup(b"v1") == spillway.HIT
    striped = os.path.join(os.path.dirname(home), "striped")
    with spillway.Tier(striped, memory, row_stride=ROW, capacity_bytes="2MiB",
                       extra_directories=[extra]):
        pass
    child = subprocess.run([sys.executable, "-c", V1_CLIENT, striped], capture_output=True,
                           text=True)
    assert child.returncode == 1 and "created over 2 directories" in child.stderr, child.stderr
