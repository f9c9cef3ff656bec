#!/usr/bin/env bash
# Disk throughput of `spillway bench disk --layer io|tier` as a ratio of fio's, both run here
# on the same file system with the same block size, queue depth, io_uring, O_DIRECT and total
# bytes: sequential write (+ closing fdatasync), then random read of every block once.
# --layer tier goes through the disk tier (records, CRC32C, staging, --compression codec on
# --payload rows) and counts raw row bytes; fio always moves the raw block size.
# Runs alternate (fio, spillway, fio, spillway, ...) so machine noise hits both alike; it
# reports the ratio of medians and the geometric mean of the per-run (back-to-back) ratios.
# Prints one JSON object on stdout.
#
# Several --disk-dir (with --layer tier): the tier stripes over them (one per device) and
# fio's one job spreads the same I/O over one file in each (its files taken in turn).
#
# Usage: scripts/bench-compare.sh --disk-dir D [--disk-dir D2 ...] [--block-bytes N] [--queue-depth Q] [--bytes TOTAL]
#                                 [--runs R] [--spillway PATH] [--layer io|tier]
#                                 [--compression none|lz4|lz4-shuffle]
#                                 [--payload random|bf16|zeros|mixed]
# Example: scripts/bench-compare.sh --disk-dir /tmp/spillway-bench --block-bytes 262144 \
#              --queue-depth 32 --bytes 2147483648 --runs 3 --layer tier
set -euo pipefail
cd "$(dirname "$0")/.."

dirs=()
block_bytes=262144
queue_depth=32
total_bytes=$((1 << 30))
runs=3
spillway=".build/release/spillway"
layer=io
compression=none
payload=random
while [ $# -gt 0 ]; do
    case "$1" in
        --disk-dir) dirs+=("$2"); shift 2 ;;
        --block-bytes) block_bytes="$2"; shift 2 ;;
        --queue-depth) queue_depth="$2"; shift 2 ;;
        --bytes) total_bytes="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --spillway) spillway="$2"; shift 2 ;;
        --layer) layer="$2"; shift 2 ;;
        --compression) compression="$2"; shift 2 ;;
        --payload) payload="$2"; shift 2 ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "bench-compare: unknown argument $1 (see --help)" >&2; exit 64 ;;
    esac
done
if [ "${#dirs[@]}" -eq 0 ]; then echo "bench-compare: --disk-dir is required" >&2; exit 64; fi
dir="${dirs[0]}"
layer_args=(--layer "$layer")
if [ "$layer" = tier ]; then
    layer_args+=(--compression "$compression" --payload "$payload")
elif [ "$layer" != io ] || [ "$compression" != none ] || [ "$payload" != random ]; then
    echo "bench-compare: --layer must be io or tier; --compression/--payload need --layer tier" >&2
    exit 64
fi
command -v fio >/dev/null || { echo "bench-compare: fio is not installed (scripts/setup.sh)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "bench-compare: python3 is needed to read the JSON" >&2; exit 1; }
if [ ! -x "$spillway" ]; then
    echo "bench-compare: building $spillway (release)" >&2
    swift build -c release --product spillway >&2
fi

fio_files=()
dir_args=()
for d in "${dirs[@]}"; do
    mkdir -p "$d"
    chmod 700 "$d"
    fio_files+=("$d/fio-bench.dat")
    dir_args+=(--disk-dir "$d")
done
fio_filename="$(IFS=:; echo "${fio_files[*]}")"
work="$(mktemp -d)"
trap 'rm -rf "$work"; rm -f "${fio_files[@]}"' EXIT

# With several files fio splits --size equally over them and takes them in turn.
fio_common=(--filename="$fio_filename" --bs="$block_bytes" --iodepth="$queue_depth"
    --ioengine=io_uring --direct=1 --size="$total_bytes" --lat_percentiles=1 --output-format=json)

for run in $(seq 1 "$runs"); do
    rm -f "${fio_files[@]}"
    # Write: a fresh file (fio preallocates it, as the benchmark does with fallocate), then
    # end_fsync=1 so fio's time includes the closing fsync like spillway's
    # write_bytes_per_second_including_sync.
    fio --name=write --rw=write --end_fsync=1 "${fio_common[@]}" > "$work/fio-write-$run.json"
    # Random read of every block once (fio's default random map), same file.
    fio --name=randread --rw=randread "${fio_common[@]}" > "$work/fio-read-$run.json"
    rm -f "${fio_files[@]}"
    "$spillway" bench disk "${layer_args[@]}" "${dir_args[@]}" --block-bytes "$block_bytes" \
        --queue-depth "$queue_depth" --bytes "$total_bytes" --direct-io required --seed "$run" \
        --json > "$work/spillway-$run.json"
done

filesystem=""
for d in "${dirs[@]}"; do
    fs="$(findmnt -n -o FSTYPE,SOURCE -T "$d" 2>/dev/null || stat -f -c %T "$d")"
    filesystem="${filesystem:+$filesystem, }$(echo $fs)"
done
python3 - "$work" "$runs" "$(IFS=,; echo "${dirs[*]}")" "$filesystem" "$block_bytes" "$queue_depth" "$total_bytes" "$layer" <<'PY'
import json, math, statistics, sys
work, runs, directory, filesystem = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
block_bytes, queue_depth, total_bytes = map(int, sys.argv[5:8])
layer = sys.argv[8]

def fio_side(path, key):
    job = json.load(open(path))["jobs"][0][key]
    pct = job["lat_ns"]["percentile"]
    return {"bytes_per_second": float(job["bw_bytes"]),
            "p50_nanoseconds": pct["50.000000"], "p99_nanoseconds": pct["99.000000"],
            "p999_nanoseconds": pct["99.900000"]}

fio_write = [fio_side(f"{work}/fio-write-{r}.json", "write") for r in range(1, runs + 1)]
fio_read = [fio_side(f"{work}/fio-read-{r}.json", "read") for r in range(1, runs + 1)]
ours = [json.load(open(f"{work}/spillway-{r}.json")) for r in range(1, runs + 1)]

def median(values):
    return statistics.median(values)

def summary(write, read):
    return {
        "write_bytes_per_second": median([w["bytes_per_second"] for w in write]),
        "read_bytes_per_second": median([r["bytes_per_second"] for r in read]),
        "write_latency_p50_nanoseconds": median([w["p50_nanoseconds"] for w in write]),
        "write_latency_p99_nanoseconds": median([w["p99_nanoseconds"] for w in write]),
        "write_latency_p999_nanoseconds": median([w["p999_nanoseconds"] for w in write]),
        "read_latency_p50_nanoseconds": median([r["p50_nanoseconds"] for r in read]),
        "read_latency_p99_nanoseconds": median([r["p99_nanoseconds"] for r in read]),
        "read_latency_p999_nanoseconds": median([r["p999_nanoseconds"] for r in read]),
        "write_runs_bytes_per_second": [w["bytes_per_second"] for w in write],
        "read_runs_bytes_per_second": [r["bytes_per_second"] for r in read],
    }

def ours_side(report, phase, rate_key):
    lat = report[f"{phase}_latency"]
    return {"bytes_per_second": report[rate_key], "p50_nanoseconds": lat["p50_nanoseconds"],
            "p99_nanoseconds": lat["p99_nanoseconds"], "p999_nanoseconds": lat["p999_nanoseconds"]}

fio = summary(fio_write, fio_read)
spillway = summary([ours_side(o, "write", "write_bytes_per_second_including_sync") for o in ours],
                   [ours_side(o, "read", "read_bytes_per_second") for o in ours])
spillway["write_bytes_per_second_excluding_sync"] = median([o["write_bytes_per_second"] for o in ours])
spillway["registered_buffers"] = all(o["registered_buffers"] for o in ours)
spillway["direct_io"] = all(o["direct_io"] for o in ours)
if layer == "tier":
    for key in ("compression", "payload", "raw_bytes", "stored_bytes", "disk_bytes",
                "compression_ratio", "verified_rows"):
        spillway[key] = ours[-1][key]
    if "disk_bytes_per_directory" in ours[-1]:
        spillway["disk_bytes_per_directory"] = ours[-1]["disk_bytes_per_directory"]
def paired(phase):
    # Run i of each tool ran back to back, so their ratio cancels most of the machine's
    # drift; the geometric mean of those ratios is steadier than a ratio of medians.
    ratios = [s / f for s, f in zip(spillway[f"{phase}_runs_bytes_per_second"],
                                    fio[f"{phase}_runs_bytes_per_second"])]
    return ratios, math.exp(sum(math.log(r) for r in ratios) / len(ratios))

write_pairs, write_geomean = paired("write")
read_pairs, read_geomean = paired("read")
print(json.dumps({
    "layer": layer, "directory": directory, "filesystem": filesystem,
    "block_bytes": block_bytes, "queue_depth": queue_depth, "total_bytes": total_bytes,
    "runs": runs, "fio": fio, "spillway": spillway,
    "write_ratio": spillway["write_bytes_per_second"] / fio["write_bytes_per_second"],
    "read_ratio": spillway["read_bytes_per_second"] / fio["read_bytes_per_second"],
    "write_ratio_per_run": write_pairs, "write_ratio_paired_geomean": write_geomean,
    "read_ratio_per_run": read_pairs, "read_ratio_paired_geomean": read_geomean,
}, indent=2, sort_keys=True))
PY
