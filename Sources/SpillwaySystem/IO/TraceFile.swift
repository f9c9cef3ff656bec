// The one trace loader: reads a Mooncake JSONL file in large chunks into MooncakeScanner.
import Glibc
import SpillwayCore

/// Why a trace file could not be loaded; `description` says what to do.
public enum TraceFileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file could not be opened or read (`reason` is the C library's text).
    case unreadable(path: String, reason: String)
    /// A line is malformed (only without `skipBadLines`).
    case malformed(path: String, TraceParseError)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            "cannot read trace '\(path)': \(reason) (check the path and permissions)"
        case .malformed(let path, let error): "\(path): \(error)"
        }
    }
}

/// Loads Mooncake traces from files. Every command that reads a trace (`replay`, `run`,
/// `trace stats`, `bench directory`, `bench replay`, the allocation probe) and the tests
/// go through `load`: `read(2)` into one reused buffer of `chunkBytes`, each chunk handed
/// to `MooncakeScanner` (which owns all parsing; SpillwayCore makes no syscalls).
public enum TraceFile {
    /// Bytes read per `read(2)`.
    public static let chunkBytes = 1 << 20

    /// Loads `path`. Malformed lines throw (naming the line) unless `skipBadLines`.
    public static func load(_ path: String, skipBadLines: Bool = false) throws(TraceFileError)
        -> MooncakeTrace
    {
        let descriptor = SystemCall.retryingInterrupts { open(path, O_RDONLY | O_CLOEXEC) }
        guard descriptor >= 0 else {
            throw .unreadable(path: path, reason: SystemCall.message(errno))
        }
        defer { close(descriptor) }
        var status = stat()
        let size = fstat(descriptor, &status) == 0 ? Int(status.st_size) : 0
        var scanner = MooncakeScanner(skipBadLines: skipBadLines, expectedBytes: size)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkBytes, alignment: 4096)
        defer { buffer.deallocate() }
        while true {
            let count = SystemCall.retryingInterrupts { read(descriptor, buffer.baseAddress, chunkBytes) }
            guard count >= 0 else {
                throw .unreadable(path: path, reason: SystemCall.message(errno))
            }
            if count == 0 { break }
            do throws(TraceParseError) {
                try scanner.consume(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            } catch {
                throw .malformed(path: path, error)
            }
        }
        do throws(TraceParseError) {
            return try scanner.finish()
        } catch {
            throw .malformed(path: path, error)
        }
    }
}
