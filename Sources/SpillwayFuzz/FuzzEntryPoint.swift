// libFuzzer's two hooks: LLVMFuzzerInitialize picks the target (and writes seeds when
// asked), LLVMFuzzerTestOneInput feeds each input to it.
import Glibc

/// The target of this process, chosen once from SPILLWAY_FUZZ_TARGET.
let selectedTarget: FuzzTarget = {
    let name = getenv("SPILLWAY_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        let message = "SPILLWAY_FUZZ_TARGET must be one of: \(names) (got '\(name)')\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
        exit(2)
    }
    return target
}()

/// Called by libFuzzer before the first input. With SPILLWAY_FUZZ_WRITE_SEEDS=DIR it writes
/// the generated seed files of every target under DIR/<target>/ and exits instead.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    if let directory = getenv("SPILLWAY_FUZZ_WRITE_SEEDS").map({ String(cString: $0) }) {
        exit(SeedWriter.writeAll(under: directory) ? 0 : 1)
    }
    _ = selectedTarget
    return 0
}

/// Called by libFuzzer for every input; a trap inside is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    selectedTarget.run(bytes)
    return 0
}
