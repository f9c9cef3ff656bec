// swift-tools-version:6.0
// Spillway: a tiered KV-cache offload store (shared /dev/shm region + io_uring disk tier).
// Linux only (Glibc, /dev/shm, io_uring): no Apple platform is declared because none builds.
// No unsafe flags in any target, so other packages can depend on Spillway by URL
// (scripts/consumer-check.sh checks it).
//
// Layers, lowest first (the build enforces the seams; see docs/ARCHITECTURE.md):
//   CSpillwayCompute  C: pure computation (CRC32C, LZ4, byte shuffle). No syscalls.
//   CSpillwayURing    C: the only code that includes liburing.h, behind spw_ functions.
//   SpillwayCore      Swift: all logic (directory, tiering, disk tier over an I/O protocol,
//                     replay). No syscalls.
//   SpillwaySystem    Swift: the only Swift that touches Glibc or the uring shim (files,
//                     the shared mmap region, the io_uring backend).
//   Spillway          Swift: wires Core and System; the library users import.
//   SpillwayTools     Swift: benchmarks, replay reports, charts (what the CLI runs).
//   SpillwayCABI      Swift: the C ABI (include/spillway.h), product libspillway_c.so.
//   SpillwayTesting   Swift: simulated I/O with a seeded fault plan, reference models.
//   spillway          The CLI.
import PackageDescription

let package = Package(
    name: "Spillway",
    products: [
        .library(name: "Spillway", targets: ["Spillway"]),
        .executable(name: "spillway", targets: ["SpillwayCLI"]),
        .executable(name: "spillway-alloc-probe", targets: ["SpillwayAllocProbe"]),
        // The C ABI (include/spillway.h) as libspillway_c.so, what the Python package loads.
        .library(name: "spillway_c", type: .dynamic, targets: ["SpillwayCABI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        .target(
            name: "CSpillwayCompute",
            linkerSettings: [.linkedLibrary("lz4")]
        ),
        .target(
            name: "CSpillwayURing",
            linkerSettings: [.linkedLibrary("uring")]
        ),
        .target(
            name: "SpillwayCore",
            dependencies: [
                "CSpillwayCompute",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        .target(
            name: "SpillwaySystem",
            dependencies: [
                "SpillwayCore",
                "CSpillwayURing",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Spillway",
            dependencies: [
                "SpillwayCore",
                "SpillwaySystem",
                .product(name: "Configuration", package: "swift-configuration"),
            ]
        ),
        // Benchmarks, replay reports and charts: what the CLI runs and prints, not what a
        // library user builds on (`import Spillway` does not show them).
        .target(
            name: "SpillwayTools",
            dependencies: ["Spillway", "SpillwayCore", "SpillwaySystem"]
        ),
        .target(
            name: "SpillwayCABI",
            dependencies: ["Spillway", "SpillwayCore", "SpillwaySystem"]
        ),
        .target(
            name: "SpillwayTesting",
            dependencies: ["SpillwayCore"]
        ),
        .executableTarget(
            name: "SpillwayCLI",
            dependencies: [
                "Spillway",
                "SpillwayCore",
                "SpillwaySystem",
                "SpillwayTools",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Counting malloc interposer: linked ONLY into spillway-alloc-probe (never into the
        // library, the CLI or test bundles), where its malloc & co. replace glibc's.
        .target(name: "CSpillwayMallocCount"),
        .executableTarget(
            name: "SpillwayAllocProbe",
            dependencies: ["SpillwayCore", "SpillwaySystem", "CSpillwayMallocCount"]
        ),
        // The libFuzzer harness (scripts/fuzz.sh builds it with -sanitize=fuzzer,address into
        // .build/fuzz; a plain build links it without libFuzzer, and it only says so). It
        // lives in this package because its targets read package-level internals (checkpoint,
        // journal and record codecs, the trace scanner) and SpillwayTesting's SimulatedIO.
        .target(name: "CSpillwayFuzzDriver"),
        .executableTarget(
            name: "SpillwayFuzz",
            dependencies: [
                "CSpillwayFuzzDriver", "Spillway", "SpillwayCore", "SpillwaySystem", "SpillwayTesting",
            ]
        ),
        .testTarget(
            name: "SpillwayCoreTests",
            dependencies: ["SpillwayCore", "SpillwayTools", "SpillwayTesting"]
        ),
        .testTarget(
            name: "SpillwaySystemTests",
            dependencies: ["SpillwaySystem", "SpillwayTesting"]
        ),
        .testTarget(
            name: "SpillwayTests",
            dependencies: ["Spillway", "SpillwayCore", "SpillwaySystem", "SpillwayTools", "SpillwayTesting"]
        ),
    ],
    // Swift 6 language mode: complete concurrency checking for every target. The few
    // `@unchecked Sendable` types say why in their doc comment (raw shared memory, a lock
    // the compiler cannot see).
    swiftLanguageModes: [.v6]
)
