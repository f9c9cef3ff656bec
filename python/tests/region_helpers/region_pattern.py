"""The bytes Spillway's `region create --fill-pattern` writes, for Python participants.

A port of Swift's `RegionFillPattern` (splitmix64 key per seed/rank/tensor/row, bytes never 0)
and of `RegionPatternRows.expectedRow`, plus the file barrier protocol of
`RegionFileBarrier` (docs/CLI.md), so vLLM participants write, expect and synchronize
exactly like `spillway region create`.
"""

from __future__ import annotations

import os
import time

import numpy as np

_M64 = (1 << 64) - 1


def key(seed: int, rank: int, tensor: int, block: int) -> int:
    z = (seed ^ (rank << 48) ^ (tensor << 36) ^ block) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def page(k: int, size: int) -> np.ndarray:
    """`size` pattern bytes of key `k` (uint8)."""
    index = np.arange(size, dtype=np.uint64)
    with np.errstate(over="ignore"):
        values = np.uint64(k) + index * np.uint64(0x9E3779B97F4A7C15)
    return (values >> np.uint64(56)).astype(np.uint8) | np.uint8(1)


def expected_row(
    *,
    seed: int,
    block: int,
    row_stride: int,
    num_workers: int,
    cpu_page_size: int,
    tensors: list[int],
    canonical: bool,
) -> np.ndarray:
    """The row every writer has filled: worker slots (or canonical tensors, keys of rank 0)
    hold the pattern, everything else is zero."""
    row = np.zeros(row_stride, dtype=np.uint8)
    for writer in [0] if canonical else range(num_workers):
        offset = 0 if canonical else writer * cpu_page_size
        for tensor, size in enumerate(tensors):
            row[offset : offset + size] = page(key(seed, writer, tensor, block), size)
            offset += size
    return row


class FileBarrier:
    """Call k creates `<dir>/<k>.<pid>` and waits until `parties` names start with `<k>.`."""

    def __init__(self, directory: str, parties: int, timeout: float = 60.0) -> None:
        self.directory = directory
        self.parties = parties
        self.timeout = timeout
        self.generation = 0

    def __call__(self) -> None:
        self.generation += 1
        prefix = f"{self.generation}."
        open(os.path.join(self.directory, f"{prefix}{os.getpid()}"), "w").close()
        deadline = time.monotonic() + self.timeout
        while sum(name.startswith(prefix) for name in os.listdir(self.directory)) < self.parties:
            if time.monotonic() > deadline:
                raise TimeoutError(f"barrier of {self.parties} in {self.directory} timed out")
            time.sleep(0.002)
