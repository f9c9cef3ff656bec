"""ctypes declarations of Spillway's C ABI (include/spillway.h), and the library loader.

The shared library ships inside this package (``libspillway_c.so``, Swift runtime linked
in statically). ``SPILLWAY_LIB`` names another copy, for development.
"""

from __future__ import annotations

import ctypes
import os
import pathlib

#: The ABI this package was written against; a library of this version or later serves it
#: (versions only grow, include/spillway.h).
ABI_VERSION = 2
#: sizeof(spw_tier_options) of ABI 1, which spw_tier_open still accepts.
TIER_OPTIONS_SIZE_V1 = 40

OK = 0
E_INVALID_ARGUMENT = -1
E_DUPLICATE_JOB = -2
E_CLOSED = -3
E_OPEN_FAILED = -4
E_IO = -5
E_SYNC = -6

KEY_BYTES_MAX = 64

CODECS = {"none": 0, "lz4": 1, "lz4-shuffle": 2}
DIRECT_IO_MODES = {"auto": 0, "required": 1, "off": 2}
JOB_STORE = 0
JOB_LOAD = 1
MISS, HIT, PENDING = 0, 1, 2


class Error(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int32), ("message", ctypes.c_char * 508)]


class TierOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("codec", ctypes.c_uint32),
        ("direct_io", ctypes.c_uint32),
        ("queue_depth", ctypes.c_uint32),
        ("capacity_bytes", ctypes.c_uint64),
        ("sync_interval_blocks", ctypes.c_uint64),
        ("compression_threshold", ctypes.c_double),
        # ABI 2
        ("extra_directories", ctypes.POINTER(ctypes.c_char_p)),
        ("extra_directory_count", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32),
    ]


class JobResultC(ctypes.Structure):
    _fields_ = [
        ("job_id", ctypes.c_uint64),
        ("kind", ctypes.c_int32),
        ("success", ctypes.c_int32),
        ("key_count", ctypes.c_uint64),
        ("succeeded_count", ctypes.c_uint64),
        ("bytes", ctypes.c_uint64),
        ("transfer_ns", ctypes.c_uint64),
    ]


STATS_FIELDS = (
    "lookup_hits", "lookup_misses", "lookup_pending",
    "blocks_stored", "blocks_store_skipped", "blocks_store_failed",
    "blocks_loaded", "blocks_load_failed", "blocks_corrupt", "blocks_evicted",
    "bytes_written", "bytes_read", "jobs_store", "jobs_load", "syncs",
    "blocks_held", "bytes_used", "capacity_bytes", "direct_io",
    "blocks_zero_copy_stored", "blocks_zero_copy_loaded",
    "blocks_compressed", "blocks_stored_raw_backpressure", "bytes_given_up_backpressure",
    "blocks_stored_raw_incompressible",
)


class TierStats(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in STATS_FIELDS]


assert ctypes.sizeof(Error) == 512
assert ctypes.sizeof(TierOptions) == 56
assert ctypes.sizeof(JobResultC) == 48


def library_path() -> str:
    override = os.environ.get("SPILLWAY_LIB")
    if override:
        return override
    return str(pathlib.Path(__file__).with_name("libspillway_c.so"))


def _load() -> ctypes.CDLL:
    path = library_path()
    if not os.path.exists(path):
        raise ImportError(
            f"Spillway's native library is missing at {path}: reinstall the package "
            "(pip install ./python builds it) or set SPILLWAY_LIB to a libspillway_c.so"
        )
    lib = ctypes.CDLL(path)
    p = ctypes.POINTER
    u8p, u32p, i64p, u64p = p(ctypes.c_uint8), p(ctypes.c_uint32), p(ctypes.c_int64), p(ctypes.c_uint64)
    err = p(Error)
    sigs = {
        "spw_abi_version": (ctypes.c_uint32, []),
        "spw_tier_open": (ctypes.c_int32, [ctypes.c_char_p, p(TierOptions), ctypes.c_void_p,
                                           ctypes.c_uint64, ctypes.c_uint64,
                                           p(ctypes.c_void_p), err]),
        "spw_tier_lookup": (ctypes.c_int32, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint32, err]),
        "spw_tier_submit": (ctypes.c_int32, [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_int32,
                                             ctypes.c_char_p, u32p, i64p, ctypes.c_uint64, err]),
        "spw_tier_poll": (ctypes.c_int32, [ctypes.c_void_p, p(JobResultC), ctypes.c_uint64,
                                           u8p, ctypes.c_uint64, u64p, err]),
        "spw_tier_pending": (ctypes.c_int32, [ctypes.c_void_p, u64p, u64p, err]),
        "spw_tier_drain": (ctypes.c_int32, [ctypes.c_void_p, err]),
        "spw_tier_sync": (ctypes.c_int32, [ctypes.c_void_p, err]),
        "spw_tier_get_stats": (ctypes.c_int32, [ctypes.c_void_p, p(TierStats), err]),
        "spw_tier_set_removal_events": (ctypes.c_int32, [ctypes.c_void_p, ctypes.c_int32, err]),
        "spw_tier_take_removed": (ctypes.c_int32, [ctypes.c_void_p, u8p, u32p, ctypes.c_uint64,
                                                   u64p, err]),
        "spw_tier_close": (ctypes.c_int32, [ctypes.c_void_p, err]),
        "spw_tier_free": (None, [ctypes.c_void_p]),
    }
    for name, (restype, argtypes) in sigs.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    version = lib.spw_abi_version()
    if version < ABI_VERSION:
        raise ImportError(
            f"{path} implements Spillway ABI {version}, this package needs {ABI_VERSION} "
            "or later: install matching versions"
        )
    return lib


lib = _load()
