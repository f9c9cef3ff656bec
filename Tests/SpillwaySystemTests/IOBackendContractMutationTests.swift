// Checks that the IOBackend contract suite can fail: a real URingIO wrapped in a decorator
// that breaks one promise must be caught by at least one contract check.
import Glibc
import SpillwayCore
import SpillwaySystem
import SpillwayTesting
import Testing

/// One way to break the contract.
enum ContractMutation: String, CaseIterable, CustomStringConvertible {
    case duplicateCompletion
    case wrongUserData
    case corruptRead
    case shortTransfer
    case overstateQueueDepth
    case listExtraFile
    case failSync

    var description: String { rawValue }
}

/// URingIO with one contract promise broken.
final class MutatedBackend: IOBackend {
    let inner: URingIO
    let mutation: ContractMutation
    private var readBuffers: [UInt64: UnsafeMutableRawPointer] = [:]
    private var syncs: Set<UInt64> = []
    private var mutated = false

    init(_ inner: URingIO, _ mutation: ContractMutation) {
        self.inner = inner
        self.mutation = mutation
    }

    var requiredAlignment: Int { inner.requiredAlignment }
    var queueDepth: Int {
        mutation == .overstateQueueDepth ? inner.queueDepth - 1 : inner.queueDepth
    }
    func openFile(_ name: String, options: IOFileOptions) throws -> IOFileID {
        try inner.openFile(name, options: options)
    }
    func listFiles() throws -> [String] {
        let names = try inner.listFiles()
        return mutation == .listExtraFile ? (names + ["phantom"]).sorted() : names
    }
    func removeFile(_ name: String) throws { try inner.removeFile(name) }
    func fileSize(_ file: IOFileID) throws -> UInt64 { try inner.fileSize(file) }
    func reserve(_ file: IOFileID, size: UInt64) throws { try inner.reserve(file, size: size) }
    func closeFile(_ file: IOFileID) { inner.closeFile(file) }
    func registerBuffers(_ buffers: [UnsafeMutableRawBufferPointer]) -> Bool {
        inner.registerBuffers(buffers)
    }
    func prepare(_ request: IORequest) -> Bool {
        guard inner.prepare(request) else { return false }
        if request.kind == .read { readBuffers[request.userData] = request.buffer }
        if request.kind == .sync { syncs.insert(request.userData) }
        return true
    }
    func submit() throws -> Int { try inner.submit() }
    func reap(into completions: inout [IOCompletion], minimum: Int) throws -> Int {
        let start = completions.count
        var count = try inner.reap(into: &completions, minimum: minimum)
        for index in start..<completions.count {
            let userData = completions[index].userData
            let buffer = readBuffers.removeValue(forKey: userData)
            switch mutation {
            case .corruptRead where buffer != nil && completions[index].result > 0:
                buffer!.storeBytes(
                    of: buffer!.load(as: UInt8.self) ^ 0x01, as: UInt8.self)
            case .shortTransfer where completions[index].result > 1:
                completions[index].result -= 1
            case .failSync where syncs.contains(userData):
                completions[index].result = -EIO
            default: break
            }
        }
        if !mutated && count > 0 {
            switch mutation {
            case .duplicateCompletion:
                completions.append(completions[start])
                count += 1
                mutated = true
            case .wrongUserData:
                completions[start].userData ^= 1
                mutated = true
            default: break
            }
        }
        return count
    }
}

@Suite(
    "IOBackend contract catches broken backends",
    .enabled(
        if: uringUnavailable == nil,
        Comment(rawValue: "io_uring unavailable: \(uringUnavailable ?? "")")))
struct IOBackendContractMutationTests {
    @Test("each broken promise is reported as a violation", arguments: ContractMutation.allCases)
    func mutationIsCaught(_ mutation: ContractMutation) throws {
        let scratch = try ScratchDirectory(under: "/dev/shm")
        var violations: [String] = []
        for check in IOBackendContract.Check.allCases {
            do {
                try IOBackendContract.run(check, directory: scratch.sub(check.rawValue)) {
                    MutatedBackend(try URingIO(directory: $0, queueDepth: 8), mutation)
                }
            } catch let violation as IOBackendContract.Violation {
                violations.append(violation.description)
            }
        }
        #expect(!violations.isEmpty, "mutation \(mutation) passed every contract check")
    }
}
