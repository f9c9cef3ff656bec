#!/usr/bin/env bash
# Checks that another package can depend on Spillway by URL (what `unsafeFlags` in any target
# would break: "contains unsafe build flags"). Clones HEAD into a temporary directory, tags
# the clone 0.1.0 (the repository itself is not tagged), writes a throwaway package with
# `.package(url: "file://<clone>", from: "0.1.0")`, builds it and runs its program, which
# imports Spillway: region geometry, CRC32C (the C module), a replay of a small trace, one
# block stored and loaded through a disk tier (io_uring) in a temporary directory, a region
# spilled to a disk tier through a TieredStore, the manager API and the configuration
# defaults. A second target that names internal types must fail to build (package access).
#
# Checks the committed HEAD, not uncommitted changes. Called by scripts/test.sh.
# SPILLWAY_CONSUMER_KEEP=1 keeps the temporary directory (its path is printed).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/spillway-consumer.XXXXXX")
if [[ "${SPILLWAY_CONSUMER_KEEP:-0}" == 1 ]]; then
    echo "consumer-check: keeping $work" >&2
else
    trap 'rm -rf "$work"' EXIT
fi

git clone -q "$repo" "$work/spillway"
git -C "$work/spillway" -c user.name=consumer-check -c user.email=consumer-check@localhost \
    tag -f 0.1.0 HEAD >/dev/null

mkdir -p "$work/consumer/Sources/Consumer"
cat >"$work/consumer/Package.swift" <<EOF
// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "SpillwayConsumer",
    dependencies: [
        .package(url: "file://$work/spillway", from: "0.1.0")
    ],
    targets: [
        // MemberImportVisibility (SE-0444, an upcoming feature): members of Spillway's
        // types must come through `import Spillway` alone.
        .executableTarget(
            name: "Consumer",
            dependencies: [.product(name: "Spillway", package: "spillway")],
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]
        ),
        .executableTarget(
            name: "Internals",
            dependencies: [.product(name: "Spillway", package: "spillway")]
        ),
    ]
)
EOF
cat >"$work/consumer/Sources/Consumer/main.swift" <<'EOF'
import Foundation
import Spillway

func check(_ condition: Bool, _ what: String) {
    if !condition {
        FileHandle.standardError.write(Data("consumer: FAILED \(what)\n".utf8))
        exit(1)
    }
}

// Region geometry: docs/REGION.md's worked example (M = 3, P = 1000, page 4096).
let geometry = try RegionGeometry(
    numBlocks: 8, numWorkers: 3, cpuPageSize: 1000, layout: .pageAligned, pageSize: 4096)
check(geometry.rowStride == 4096 && geometry.fileSize == 8 * 4096, "region geometry")

// CRC32C (CSpillwayCompute): the standard check value of "123456789".
let crc = Array("123456789".utf8).withUnsafeBytes { CRC32C.checksum($0) }
check(crc == 0xE306_9283, "CRC32C check value, got \(String(crc, radix: 16))")

// Replay semantics: [1, 2], [1, 2, 3] with 4 primary rows hits 2 of 5 blocks.
let trace = try MooncakeTrace.parse(Array("{\"hash_ids\": [1, 2]}\n{\"hash_ids\": [1, 2, 3]}\n".utf8))
let replay = ReplayEngine(primaryBlocks: 4, diskBlocks: 0, policy: .spill)
for request in trace.requests { replay.replay(request) }
check(replay.counters.hitPrimary == 2 && replay.counters.miss == 3, "replay \(replay.counters)")

// Disk tier over io_uring: one block stored, loaded back and compared.
let directory = FileManager.default.temporaryDirectory
    .appendingPathComponent("spillway-consumer-\(getpid())").path
defer { try? FileManager.default.removeItem(atPath: directory) }
let tier = try DiskTierFactory.open(
    directory: directory, options: DiskTierOptions(capacityBytes: 1 << 20, blockByteCountMax: 8192))
let block = (0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 7) }
let key = BlockKey(traceID: 42)
let stored = try block.withUnsafeBytes { try tier.store(key: key, bytes: $0) }
check(stored == .stored, "disk store: \(stored)")
var back = [UInt8](repeating: 0, count: 8192)
let loaded = try back.withUnsafeMutableBytes { try tier.load(key: key, into: $0) }
check(loaded == .loaded(byteCount: 8192) && back == block, "disk load: \(loaded)")
try tier.close()

// The primary tier: a region in a temporary directory, spilled to a disk tier through a
// TieredStore, and block 1 read back after eleven others pushed it out of the region.
let regionDirectory = directory + "-region"
try FileManager.default.createDirectory(atPath: regionDirectory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: regionDirectory) }
let region = try SharedOffloadRegion(
    instanceID: "consumer\(getpid())", numBlocks: 4, rank: 0, numWorkers: 1, cpuPageSize: 4096,
    layout: .pageAligned, directory: regionDirectory)
check(region.rowStride == 4096, "region row stride \(region.rowStride)")
let storeDirectory = directory + "-store"
defer { try? FileManager.default.removeItem(atPath: storeDirectory) }
let storeDisk = try DiskTierFactory.open(
    directory: storeDirectory,
    options: DiskTierOptions(capacityBytes: 1 << 20, blockByteCountMax: region.rowStride))
let store = TieredStore(region: region, disk: storeDisk, diskBlocks: 64)
func row(_ k: UInt64) -> [UInt8] { (0..<4096).map { UInt8(truncatingIfNeeded: UInt64($0) &* k &+ k) } }
for k in UInt64(1)...12 {
    let bytes = row(k)
    check(bytes.withUnsafeBytes { store.store(BlockKey(traceID: k), bytes: $0) }, "tiered store \(k)")
}
var first = [UInt8](repeating: 0, count: 4096)
check(first.withUnsafeMutableBytes { store.load(BlockKey(traceID: 1), into: $0) }, "tiered load")
check(first == row(1), "block 1 promoted from disk with its bytes")
region.cleanup()

// The vLLM manager API over a simulated data path, and the configuration's defaults.
let manager = PrimaryTierManager(primaryBlocks: 2, blockSize: 4096)
check(manager.prepareStore([BlockKey(traceID: 5)]) != nil, "manager prepareStore")
let resolved = try ConfigurationLoader.load(filePath: nil, environment: [:])
check(resolved.configuration.region.numWorkers > 0, "configuration defaults")

print("consumer: import Spillway works (geometry, CRC32C, replay, disk tier, region, tiered store, manager, configuration)")
EOF

# `import Spillway` shows the user's API, not the internals: a second target naming two
# internal types (the block directory, the index journal) must fail to build, for that reason.
mkdir -p "$work/consumer/Sources/Internals"
cat >"$work/consumer/Sources/Internals/main.swift" <<'EOF'
import Spillway
let directory: BlockDirectory? = nil
let journal: DiskJournal? = nil
print(directory == nil, journal == nil)
EOF

cd "$work/consumer"
swift build --product Consumer 2>&1 | tail -n 20 >&2 || { echo "consumer-check: the consumer package does not build" >&2; exit 1; }
"$(swift build --show-bin-path)/Consumer"
if internals=$(swift build --product Internals 2>&1); then
    echo "consumer-check: FAILED: internal types (BlockDirectory, DiskJournal) are visible through import Spillway" >&2
    exit 1
fi
for name in BlockDirectory DiskJournal; do
    if ! grep -q "cannot find type '$name' in scope" <<<"$internals"; then
        echo "consumer-check: FAILED: the Internals target failed for another reason than hiding $name:" >&2
        tail -n 20 <<<"$internals" >&2
        exit 1
    fi
done
echo "consumer: internal types stay hidden behind import Spillway"
