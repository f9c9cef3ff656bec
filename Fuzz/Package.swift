// swift-tools-version:6.0
// Spillway's fuzz harness: a package of its own, depending on the main package by path, so
// a plain `swift build` of Spillway never sees it. Only scripts/fuzz.sh builds it, with
// `-sanitize=fuzzer,address -parse-as-library`: libFuzzer supplies `main`, and the harness
// supplies `LLVMFuzzerTestOneInput` (the target is chosen by SPILLWAY_FUZZ_TARGET).
//
// FuzzSimulatedIO is a symlink to ../Sources/SpillwayTesting (the main package does not
// export it as a product, and a product would expose test code to Spillway's users); it is
// compiled here under another module name so the two packages' target names never clash.
import PackageDescription

let package = Package(
    name: "SpillwayFuzz",
    dependencies: [
        .package(name: "Spillway", path: "..")
    ],
    targets: [
        .target(
            name: "FuzzSimulatedIO",
            dependencies: [.product(name: "Spillway", package: "Spillway")]
        ),
        // Defines SpillwayFuzz_main (the symbol SwiftPM makes `main`) as libFuzzer's driver.
        .target(name: "CFuzzDriver"),
        .executableTarget(
            name: "SpillwayFuzz",
            dependencies: [
                "CFuzzDriver",
                "FuzzSimulatedIO",
                .product(name: "Spillway", package: "Spillway"),
            ]
        ),
    ],
    swiftLanguageModes: [.v5]
)
