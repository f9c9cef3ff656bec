#!/usr/bin/env bash
# Directory benchmark (docs/BENCHMARKS.md): block operations per second of the simulated replay
# in the release build, against scripts/lru_reference.py (plain Python LRU, same trace, same
# configuration, same unit: one block reference replayed), plus directory memory per block
# at 10 million blocks. Prints one JSON object; targets: >= 30x Python, >= 10M block ops/s,
# <= 64 bytes per block beyond the key.
#
# Usage: scripts/bench-directory.sh [TRACE] [PRIMARY] [DISK] [POLICY]
#   defaults: Tests/Fixtures/traces/mooncake-synthetic.jsonl 1000 10000 spill
#   SPILLWAY_BENCH_REPEATS (default 5), SPILLWAY_BENCH_MEMORY_BLOCKS (default 10000000),
#   SPILLWAY_SKIP_BUILD=1 to reuse an existing release build.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
trace=${1:-Tests/Fixtures/traces/mooncake-synthetic.jsonl}
[[ -f "$trace" ]] || { echo "bench-directory: trace not found (pass it as the first argument)" >&2; exit 2; }
primary=${2:-1000}
disk=${3:-10000}
policy=${4:-spill}
repeats=${SPILLWAY_BENCH_REPEATS:-5}
memory_blocks=${SPILLWAY_BENCH_MEMORY_BLOCKS:-10000000}

if [[ "${SPILLWAY_SKIP_BUILD:-0}" != 1 ]]; then
    swift build -c release --product spillway >&2
fi
bin=$(swift build -c release --show-bin-path)/spillway

swift_json=$("$bin" bench directory --trace "$trace" --primary-blocks "$primary" \
    --disk-blocks "$disk" --policy "$policy" --repeats "$repeats" --memory-blocks "$memory_blocks")
python_json=$(python3 "$root/scripts/lru_reference.py" "$trace" --primary-blocks "$primary" \
    --disk-blocks "$disk" --policy "$policy" --repeat "$(( repeats < 10 ? repeats : 10 ))")

SWIFT_JSON="$swift_json" PYTHON_JSON="$python_json" python3 - "$trace" "$primary" "$disk" "$policy" <<'PY'
import json, os, sys
s = json.loads(os.environ["SWIFT_JSON"])
p = json.loads(os.environ["PYTHON_JSON"])
counter_keys = [k for k in s["counters"] if k in p]
same = all(s["counters"][k] == p[k] for k in counter_keys)
ratio = s["block_ops_per_second"] / p["block_ops_per_second"]
print(json.dumps({
    "trace": sys.argv[1], "primary_blocks": int(sys.argv[2]), "disk_blocks": int(sys.argv[3]),
    "policy": sys.argv[4],
    "block_operations": s["block_operations"],
    "swift_seconds": round(s["seconds"], 6),
    "swift_block_ops_per_second": round(s["block_ops_per_second"]),
    "python_seconds": p["elapsed_seconds"],
    "python_block_ops_per_second": round(p["block_ops_per_second"]),
    "ratio": round(ratio, 1),
    "counters_agree": same,
    "memory_blocks": s["memory"]["blocks"],
    "bytes_per_block": round(s["memory"]["bytes_per_block"], 2),
    "bytes_per_block_beyond_key": round(s["memory"]["bytes_per_block_beyond_key"], 2),
    "fill_blocks_per_second": round(s["memory"]["fill_blocks_per_second"]),
    "targets_met": ratio >= 30 and s["block_ops_per_second"] >= 10e6
                   and s["memory"]["bytes_per_block_beyond_key"] <= 64 and same,
}, indent=1))
sys.exit(0 if same else 1)
PY
