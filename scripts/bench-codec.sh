#!/usr/bin/env bash
# Codec benchmark (docs/BENCHMARKS.md): `spillway bench codec` (the disk tier's LZ4 / shuffled LZ4 code
# path) against `lz4 -b1` on the same bytes: spillway dumps each payload kind to a file, lz4
# benchmarks that file cut into blocks of the same size (-B<bytes>), level 1, and the same
# file byte-shuffled block by block (the reference for lz4-shuffle: spillway's number
# includes the shuffle, lz4's does not). Prints one JSON
# object: per payload kind, both tools' compress/decompress MB/s (10^6 bytes/s, lz4's unit)
# and compression ratio, and the speed ratios spillway / lz4.
#
# Usage: scripts/bench-codec.sh [--block-bytes N] [--blocks N] [--passes N] [--iterations N]
#                               [--payloads LIST] [--spillway PATH]
# Example: scripts/bench-codec.sh --block-bytes 262144 --blocks 64 --passes 5 --iterations 5
set -euo pipefail
cd "$(dirname "$0")/.."

block_bytes=262144
blocks=64
passes=3
iterations=3
payloads="bf16,random,mixed,zeros"
spillway=".build/release/spillway"
while [ $# -gt 0 ]; do
    case "$1" in
        --block-bytes) block_bytes="$2"; shift 2 ;;
        --blocks) blocks="$2"; shift 2 ;;
        --passes) passes="$2"; shift 2 ;;
        --iterations) iterations="$2"; shift 2 ;;
        --payloads) payloads="$2"; shift 2 ;;
        --spillway) spillway="$2"; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "bench-codec: unknown argument $1 (see --help)" >&2; exit 64 ;;
    esac
done
command -v lz4 >/dev/null || { echo "bench-codec: lz4 is not installed (apt-get install lz4)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "bench-codec: python3 is needed to read the JSON" >&2; exit 1; }
if [ ! -x "$spillway" ]; then
    echo "bench-codec: building $spillway (release)" >&2
    swift build -c release --product spillway >&2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$spillway" bench codec --block-bytes "$block_bytes" --blocks "$blocks" --passes "$passes" \
    --payloads "$payloads" --codecs none,lz4,lz4-shuffle --dump "$work" --json > "$work/spillway.json"
for kind in ${payloads//,/ }; do
    # lz4 redraws its progress with \r; the last line with both speeds is the final result.
    for variant in "" .shuffled; do
        lz4 -b1 -i"$iterations" -B"$block_bytes" "$work/payload-$kind$variant.bin" 2>&1 | tr '\r' '\n' \
            | grep 'MB/s ,' | tail -1 > "$work/lz4-$kind$variant.txt"
    done
done

python3 - "$work" "$payloads" "$spillway" "$block_bytes" "$iterations" <<'PY'
import json, re, sys
work, payloads, spillway, block_bytes, iterations = sys.argv[1:6]
s = json.load(open(f"{work}/spillway.json"))
out = {"block_bytes": int(block_bytes), "blocks": s["blocks"], "spillway_passes": s["passes"],
       "lz4_iterations": int(iterations), "lz4_command": f"lz4 -b1 -i{iterations} -B{block_bytes} FILE",
       "spillway_command": f"{spillway} bench codec --block-bytes {block_bytes} --blocks {s['blocks']} --passes {s['passes']} --dump DIR --json",
       "payloads": []}
pattern = re.compile(r"(\d+)\s*->\s*(\d+)\s*\(\s*([\d.]+)\s*\)\s*,\s*([\d.]+)\s*MB/s\s*,\s*([\d.]+)\s*MB/s")
def lz4_result(name):
    line = open(f"{work}/lz4-{name}.txt").read()
    m = pattern.search(line)
    if not m:
        print(f"bench-codec: cannot parse lz4 output for {name}: {line!r}", file=sys.stderr)
        sys.exit(1)
    return int(m[1]), int(m[2]), float(m[3]), float(m[4]), float(m[5])
for kind in payloads.split(","):
    raw, packed, _, lz4_c, lz4_d = lz4_result(kind)
    sraw, spacked, _, slz4_c, slz4_d = lz4_result(kind + ".shuffled")
    r = {x["codec"]: x for x in s["results"] if x["payload"] == kind}
    sp = r["lz4"]
    entry = {
        "payload": kind,
        "lz4_ratio": round(raw / packed, 4),
        "spillway_lz4_ratio": round(sp["ratio"], 4),
        "spillway_lz4_shuffle_ratio": round(r["lz4-shuffle"]["ratio"], 4),
        "lz4_compress_mb_per_second": lz4_c,
        "spillway_lz4_compress_mb_per_second": round(sp["compress_bytes_per_second"] / 1e6, 1),
        "compress_speed_ratio": round(sp["compress_bytes_per_second"] / 1e6 / lz4_c, 3),
        "lz4_decompress_mb_per_second": lz4_d,
        "spillway_lz4_decompress_mb_per_second": round(sp["decompress_bytes_per_second"] / 1e6, 1),
        "decompress_speed_ratio": round(sp["decompress_bytes_per_second"] / 1e6 / lz4_d, 3),
        "lz4_on_shuffled_ratio": round(sraw / spacked, 4),
        "lz4_on_shuffled_compress_mb_per_second": slz4_c,
        "spillway_lz4_shuffle_compress_mb_per_second": round(r["lz4-shuffle"]["compress_bytes_per_second"] / 1e6, 1),
        "shuffle_compress_speed_ratio": round(r["lz4-shuffle"]["compress_bytes_per_second"] / 1e6 / slz4_c, 3),
        "lz4_on_shuffled_decompress_mb_per_second": slz4_d,
        "spillway_lz4_shuffle_decompress_mb_per_second": round(r["lz4-shuffle"]["decompress_bytes_per_second"] / 1e6, 1),
        "shuffle_decompress_speed_ratio": round(r["lz4-shuffle"]["decompress_bytes_per_second"] / 1e6 / slz4_d, 3),
        "spillway_none_copy_mb_per_second": round(r["none"]["compress_bytes_per_second"] / 1e6, 1),
    }
    out["payloads"].append(entry)
print(json.dumps(out, indent=1))
PY
