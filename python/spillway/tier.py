"""A Spillway disk tier over caller-owned rows, from Python (over the C ABI).

Calls into the library release the GIL (ctypes), and a native I/O thread moves the bytes,
so no Python thread competes with the caller for the interpreter.
"""

from __future__ import annotations

import array
import ctypes
import os
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from . import _native
from ._native import lib

_UNITS = {
    "": 1, "b": 1,
    "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3, "gb": 1000**3,
    "t": 1000**4, "tb": 1000**4,
    "ki": 1024, "kib": 1024, "mi": 1024**2, "mib": 1024**2, "gi": 1024**3, "gib": 1024**3,
    "ti": 1024**4, "tib": 1024**4,
}


def parse_bytes(value: int | str, name: str = "size") -> int:
    """Bytes from an int or a string with units ("64GiB", "500 GB", "1e9")."""
    if isinstance(value, bool):
        raise ValueError(f"{name}: {value!r} is not a byte count")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{name}: {value} is negative")
        return value
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    if isinstance(value, str):
        match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?(?:e[0-9]+)?)\s*([a-zA-Z]*)\s*", value)
        if match and match.group(2).lower() in _UNITS:
            number = float(match.group(1)) * _UNITS[match.group(2).lower()]
            if number.is_integer():
                return int(number)
    raise ValueError(
        f"{name}: {value!r} is not a byte count (an integer, or a number with a unit such "
        "as 512MiB, 64GiB, 1TB)"
    )


class TierError(Exception):
    """A failed call: `code` is the C ABI's SPW_E_* value."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


def _check(status: int, error: _native.Error) -> int:
    if status < 0:
        raise TierError(status, error.message.decode("utf-8", "replace") or f"error {status}")
    return status


@dataclass
class JobResult:
    job_id: int
    is_store: bool
    success: bool
    key_success: list[bool]
    bytes: int
    transfer_ns: int


MISS = _native.MISS
HIT = _native.HIT
PENDING = _native.PENDING


def _encoded_path(path) -> bytes:
    """`path` as the bytes the library opens; a name that is not valid UTF-8 is refused
    (the library reads paths as UTF-8 and would open another name)."""
    encoded = os.fsencode(path)
    try:
        encoded.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"path {path!r} is not valid UTF-8: Spillway takes UTF-8 paths") from None
    return encoded


def _directory_list(extra_directories) -> list[bytes]:
    """The extra directories as encoded paths; a single path (not in a list) is refused."""
    if isinstance(extra_directories, (str, bytes, os.PathLike)):
        raise ValueError(
            f"extra_directories {extra_directories!r} is one path: give a list of paths")
    paths = []
    for path in extra_directories:
        if not isinstance(path, (str, bytes, os.PathLike)):
            raise ValueError(f"extra_directories: {path!r} is not a path")
        paths.append(_encoded_path(path))
    return paths


class Tier:
    """A disk tier in `directory` over `memory`, a writable C-contiguous buffer of
    `row_count` rows of `row_stride` bytes (default: the buffer's first stride).

    `extra_directories` (paths, one per device) stripes the tier's data over them too,
    `directory` being the home; the list is fixed when the tier is created, and reopening
    with another list fails naming the difference (docs/DISK_FORMAT.md, "Several
    directories").

    Keep every row named by a job untouched until the job's result came back from
    `poll()` (or `drain()` returned); `close()` syncs and releases the buffer.
    """

    def __init__(
        self,
        directory: str,
        memory,
        *,
        row_stride: int | None = None,
        capacity_bytes: int | str | None = None,
        codec: str = "none",
        queue_depth: int = 64,
        direct_io: str = "auto",
        sync_interval_blocks: int = 4096,
        compression_threshold: float = 0.9,
        extra_directories: Sequence[str | os.PathLike] = (),
    ):
        extras = _directory_list(extra_directories)
        view = memoryview(memory)
        if view.readonly:
            raise ValueError("memory must be writable (loads write rows into it)")
        if not view.c_contiguous:
            raise ValueError("memory must be C-contiguous")
        stride = row_stride if row_stride is not None else (
            view.strides[0] if view.ndim > 1 else None)
        if not stride or stride <= 0:
            raise ValueError("row_stride must be given for a one-dimensional buffer")
        if view.nbytes % stride:
            raise ValueError(f"memory of {view.nbytes} bytes is not a whole number of {stride}-byte rows")
        if codec not in _native.CODECS:
            raise ValueError(f"codec {codec!r} is not one of {sorted(_native.CODECS)}")
        if direct_io not in _native.DIRECT_IO_MODES:
            raise ValueError(f"direct_io {direct_io!r} is not one of {sorted(_native.DIRECT_IO_MODES)}")
        if isinstance(queue_depth, bool) or not isinstance(queue_depth, int) or not 1 <= queue_depth <= 4096:
            raise ValueError(f"queue_depth {queue_depth!r} is not an integer in 1..4096")
        if isinstance(sync_interval_blocks, bool) or not isinstance(sync_interval_blocks, int) or sync_interval_blocks < 0:
            raise ValueError(f"sync_interval_blocks {sync_interval_blocks!r} is not an integer >= 0")
        if not 0 < float(compression_threshold) <= 1:
            raise ValueError(f"compression_threshold {compression_threshold!r} is not in (0, 1]")
        capacity = 0 if capacity_bytes is None else parse_bytes(capacity_bytes, "capacity_bytes")
        self.row_stride = stride
        self.row_count = view.nbytes // stride
        # One export of the caller's buffer for the tier's lifetime, dropped by close().
        self._buffer = (ctypes.c_char * view.nbytes).from_buffer(view)
        self._view = view
        options = _native.TierOptions(
            ctypes.sizeof(_native.TierOptions), _native.CODECS[codec],
            _native.DIRECT_IO_MODES[direct_io], queue_depth, capacity, sync_interval_blocks,
            float(compression_threshold))
        # The paths stay referenced (extras, paths) until spw_tier_open returns.
        paths = (ctypes.c_char_p * max(len(extras), 1))(*extras)
        options.extra_directories = ctypes.cast(paths, ctypes.POINTER(ctypes.c_char_p)) \
            if extras else None
        options.extra_directory_count = len(extras)
        handle = ctypes.c_void_p()
        error = _native.Error()
        status = lib.spw_tier_open(
            _encoded_path(directory), ctypes.byref(options), ctypes.addressof(self._buffer),
            stride, self.row_count, ctypes.byref(handle), ctypes.byref(error))
        if status < 0:
            self._release_buffer()
            _check(status, error)
        self._handle = handle
        self._error = _native.Error()
        self._results = (_native.JobResultC * 256)()
        self._flags = (ctypes.c_uint8 * 65536)()
        self._count = ctypes.c_uint64()

    # -- helpers --------------------------------------------------------------------------
    def _release_buffer(self) -> None:
        self._buffer = None
        if getattr(self, "_view", None) is not None:
            self._view.release()
            self._view = None

    def _live(self) -> ctypes.c_void_p:
        if self._handle is None:
            raise TierError(_native.E_CLOSED, "the tier is closed")
        return self._handle

    @staticmethod
    def _keys(keys: Sequence[bytes]) -> tuple[bytes, ctypes.Array]:
        for key in keys:
            if not isinstance(key, (bytes, bytearray)) or not 1 <= len(key) <= _native.KEY_BYTES_MAX:
                raise ValueError(f"key {key!r} is not 1..{_native.KEY_BYTES_MAX} bytes")
        lengths = (ctypes.c_uint32 * len(keys))(*(len(k) for k in keys))
        return b"".join(keys), lengths

    # -- API ------------------------------------------------------------------------------
    def lookup(self, key: bytes) -> int:
        """HIT, MISS or PENDING (a store of the key is in flight)."""
        if not isinstance(key, (bytes, bytearray)):
            raise ValueError(f"key {key!r} is not bytes")
        return _check(lib.spw_tier_lookup(self._live(), bytes(key), len(key), self._error), self._error)

    def _submit(self, kind: int, job_id: int, keys: Iterable[bytes], rows: Iterable[int]) -> None:
        keys = list(keys)
        row_array = array.array("q", (int(r) for r in rows))
        if len(row_array) != len(keys):
            raise ValueError(f"job {job_id}: {len(keys)} keys but {len(row_array)} rows")
        flat, lengths = self._keys(keys)
        if len(keys) > len(self._flags):
            # poll() must be able to take this job's per-key flags in one call.
            self._flags = (ctypes.c_uint8 * max(len(keys), 2 * len(self._flags)))()
        rows_pointer = ctypes.cast(
            row_array.buffer_info()[0], ctypes.POINTER(ctypes.c_int64)) if keys else None
        _check(lib.spw_tier_submit(self._live(), job_id, kind, flat, lengths, rows_pointer,
                                   len(keys), self._error), self._error)

    def submit_store(self, job_id: int, keys: Iterable[bytes], rows: Iterable[int]) -> None:
        """Writes row rows[i] under keys[i] (skipping keys already held), in the background."""
        self._submit(_native.JOB_STORE, job_id, keys, rows)

    def submit_load(self, job_id: int, keys: Iterable[bytes], rows: Iterable[int]) -> None:
        """Reads keys[i] into row rows[i], verified, in the background."""
        self._submit(_native.JOB_LOAD, job_id, keys, rows)

    def poll(self) -> list[JobResult]:
        """Finished jobs since the last call, each exactly once."""
        finished: list[JobResult] = []
        handle = self._live()
        while True:
            # The flag buffer holds at least the largest job ever submitted (see _submit),
            # so a call that returns nothing means nothing has finished.
            _check(lib.spw_tier_poll(handle, self._results, len(self._results), self._flags,
                                     len(self._flags), ctypes.byref(self._count), self._error),
                   self._error)
            count = self._count.value
            offset = 0
            for index in range(count):
                entry = self._results[index]
                flags = [bool(f) for f in self._flags[offset:offset + entry.key_count]]
                offset += entry.key_count
                finished.append(JobResult(entry.job_id, entry.kind == _native.JOB_STORE,
                                          bool(entry.success), flags, entry.bytes,
                                          entry.transfer_ns))
            if count == 0:
                return finished

    def pending(self) -> tuple[int, int]:
        """(jobs whose transfers run, jobs submitted and not yet polled)."""
        running, unpolled = ctypes.c_uint64(), ctypes.c_uint64()
        _check(lib.spw_tier_pending(self._live(), ctypes.byref(running), ctypes.byref(unpolled),
                                    self._error), self._error)
        return running.value, unpolled.value

    def drain(self) -> None:
        """Blocks until no transfer touches the rows (results wait for `poll`)."""
        error = _native.Error()
        _check(lib.spw_tier_drain(self._live(), ctypes.byref(error)), error)

    def sync(self) -> None:
        """Makes every block stored so far durable."""
        error = _native.Error()
        _check(lib.spw_tier_sync(self._live(), ctypes.byref(error)), error)

    def record_removals(self, enabled: bool = True) -> None:
        """Keep the keys that leave the tier (evicted, dropped after a failed load) for
        `take_removed()`."""
        _check(lib.spw_tier_set_removal_events(self._live(), 1 if enabled else 0, self._error),
               self._error)

    def take_removed(self) -> list[bytes]:
        """Keys that left the tier since the last call, oldest first."""
        capacity = 1024
        key_bytes = (ctypes.c_uint8 * (capacity * _native.KEY_BYTES_MAX))()
        lengths = (ctypes.c_uint32 * capacity)()
        removed: list[bytes] = []
        while True:
            _check(lib.spw_tier_take_removed(self._live(), key_bytes, lengths, capacity,
                                             ctypes.byref(self._count), self._error), self._error)
            raw = bytes(key_bytes)
            for index in range(self._count.value):
                start = index * _native.KEY_BYTES_MAX
                removed.append(raw[start:start + lengths[index]])
            if self._count.value < capacity:
                return removed

    def stats(self) -> dict[str, int]:
        stats = _native.TierStats()
        _check(lib.spw_tier_get_stats(self._live(), ctypes.byref(stats), self._error), self._error)
        return {name: getattr(stats, name) for name in _native.STATS_FIELDS}

    def close(self) -> None:
        """Finishes every transfer, syncs, closes, and releases the caller's buffer. Idempotent."""
        if self._handle is None:
            return
        handle, self._handle = self._handle, None
        error = _native.Error()
        try:
            _check(lib.spw_tier_close(handle, ctypes.byref(error)), error)
        finally:
            lib.spw_tier_free(handle)
            self._release_buffer()

    @property
    def closed(self) -> bool:
        return self._handle is None

    def __enter__(self) -> "Tier":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass
