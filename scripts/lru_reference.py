#!/usr/bin/env python3
"""Plain Python LRU implementation of the replay semantics (docs/SEMANTICS.md, Replay semantics).

A deliberately simple cross-check for Spillway's Swift directory: two OrderedDicts (primary
and disk recency, least recent first), no cleverness. It computed the expected counters in
Tests/Fixtures/traces/*.expected.json (the tests rerun it and compare), and it is the baseline that
scripts/bench-directory.sh compares the Swift directory against (block operations per second,
where one block operation = one block reference of the trace replayed).

Usage: lru_reference.py TRACE --primary-blocks N --disk-blocks N --policy spill|write-through
       [--repeat R]   prints one JSON object (the counters plus timing) on stdout.
       lru_reference.py TRACE --check EXPECTED.json   replays every configuration and
       exits nonzero on any mismatch.
       lru_reference.py TRACE --expected-for P:D:POLICY [P:D:POLICY ...]   prints the counters
       of each configuration (primary blocks, disk blocks, policy) as one JSON array, the
       format of the *.expected.json files.
"""
import argparse
import json
import sys
import time
from collections import OrderedDict


def load_trace(path):
    requests = []
    with open(path, "rb") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                ids = json.loads(line)["hash_ids"]
            except Exception as error:  # noqa: BLE001 - a reference, report and stop
                sys.exit(f"trace line {number}: {error}")
            requests.append(ids)
    return requests


def replay(requests, primary_blocks, disk_blocks, policy):
    primary = OrderedDict()  # key -> None, least recent first
    disk = OrderedDict()
    c = dict(requests=0, blocks=0, hit_primary=0, hit_disk=0, miss=0, stored=0,
             store_skipped=0, disk_writes=0, disk_reads=0, primary_evictions=0,
             disk_evictions=0, promote_failed=0)

    def write_to_disk(key, protected):
        if key in disk:
            disk.move_to_end(key)
            return
        if disk_blocks == 0:
            return
        if len(disk) >= disk_blocks:
            victim = next((k for k in disk if k not in protected), None)
            if victim is None:
                return  # dropped
            del disk[victim]
            c["disk_evictions"] += 1
        disk[key] = None
        c["disk_writes"] += 1

    def make_room(n, protected):
        need = n - (primary_blocks - len(primary))
        if need <= 0:
            return True
        victims = []
        for k in primary:
            if k not in protected:
                victims.append(k)
                if len(victims) == need:
                    break
        if len(victims) < need:
            return False
        for k in victims:
            del primary[k]
            c["primary_evictions"] += 1
            if policy == "spill" and k not in disk:
                write_to_disk(k, protected)
        return True

    for keys in requests:
        c["requests"] += 1
        c["blocks"] += len(keys)
        protected = set(keys)
        # 1. prefix present in primary or on disk
        plen = 0
        for k in keys:
            if k in primary or k in disk:
                plen += 1
            else:
                break
        # 2. promote the disk-only prefix keys as one batch
        to_promote = []
        seen = set()
        for k in keys[:plen]:
            if k not in primary and k not in seen:
                seen.add(k)
                to_promote.append(k)
        promoted = set()
        if to_promote:
            if make_room(len(to_promote), protected):
                for k in to_promote:
                    primary[k] = None
                    c["disk_reads"] += 1
                promoted = seen
            else:
                c["promote_failed"] += 1
                plen = next(i for i, k in enumerate(keys[:plen]) if k not in primary)
        # 3. hits
        for k in keys[:plen]:
            if k in promoted:
                c["hit_disk"] += 1
            else:
                c["hit_primary"] += 1
        c["miss"] += len(keys) - plen
        # 4. touch the prefix in reverse, both tiers
        for k in reversed(keys[:plen]):
            if k in primary:
                primary.move_to_end(k)
            if k in disk:
                disk.move_to_end(k)
        # 5. store the rest not in primary (first occurrence only)
        to_store = []
        seen = set()
        for k in keys[plen:]:
            if k not in primary and k not in seen:
                seen.add(k)
                to_store.append(k)
        if to_store:
            if make_room(len(to_store), protected):
                for k in to_store:
                    primary[k] = None
                    c["stored"] += 1
                    if policy == "write-through":
                        write_to_disk(k, protected)
            else:
                c["store_skipped"] += len(to_store)
    hits = c["hit_primary"] + c["hit_disk"]
    c["resident_primary"] = len(primary)
    c["resident_disk"] = len(disk)
    c["hit_rate"] = round(hits / c["blocks"], 6) if c["blocks"] else 0.0
    c["primary_blocks"] = primary_blocks
    c["disk_blocks"] = disk_blocks
    c["policy"] = policy
    return c


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trace")
    parser.add_argument("--primary-blocks", type=int, default=1000)
    parser.add_argument("--disk-blocks", type=int, default=0)
    parser.add_argument("--policy", choices=["spill", "write-through"], default="spill")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--check", metavar="EXPECTED")
    parser.add_argument("--expected-for", nargs="+", metavar="P:D:POLICY")
    args = parser.parse_args()
    requests = load_trace(args.trace)
    if args.expected_for:
        results = []
        for config in args.expected_for:
            primary, disk, policy = config.split(":")
            if policy not in ("spill", "write-through"):
                sys.exit(f"{config}: policy must be spill or write-through")
            results.append(replay(requests, int(primary), int(disk), policy))
        print(json.dumps(results, indent=1))
        return
    if args.check:
        with open(args.check) as f:
            expected = json.load(f)
        failures = 0
        for e in expected:
            got = replay(requests, e["primary_blocks"], e["disk_blocks"], e["policy"])
            diffs = {k: (got.get(k), v) for k, v in e.items() if got.get(k) != v}
            status = "ok" if not diffs else f"MISMATCH {diffs}"
            failures += bool(diffs)
            print(f"primary={e['primary_blocks']} disk={e['disk_blocks']} {e['policy']}: {status}")
        sys.exit(1 if failures else 0)
    best = None
    for _ in range(args.repeat):
        start = time.perf_counter()
        counters = replay(requests, args.primary_blocks, args.disk_blocks, args.policy)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    counters["elapsed_seconds"] = round(best, 6)
    counters["block_ops_per_second"] = round(counters["blocks"] / best, 1)
    print(json.dumps(counters))


if __name__ == "__main__":
    main()
