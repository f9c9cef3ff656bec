// The one Mooncake JSONL reader: streams chunks of bytes into a flat MooncakeTrace, one pass
// per line, no Foundation and no allocation per line.

/// Reads Mooncake JSONL in chunks of any size (a line may span chunks) into a
/// `MooncakeTrace`. Lines end at `\n`; a line of only spaces, tabs and CRs is blank and
/// ignored, every other line is one request (`MooncakeLine` says what is accepted). A
/// malformed line throws `TraceParseError` naming its 1-based number, or with
/// `skipBadLines` is counted in `skippedLineNumbers` and skipped.
///
/// Memory: the trace's arrays grow geometrically; a line that spans two chunks is copied
/// once into a carry buffer that keeps its capacity. Nothing else is allocated per line.
package struct MooncakeScanner: Sendable {
    package let skipBadLines: Bool
    private var trace = MooncakeTrace()
    private var lineNumber = 0
    /// The start of a line whose end has not arrived yet.
    private var carry: [UInt8] = []
    /// Scratch for object keys that contain escapes (decoded before comparing).
    private var keyScratch: [UInt8] = []

    package init(skipBadLines: Bool = false) {
        self.skipBadLines = skipBadLines
    }

    /// Lines scanned so far (blank ones included).
    package var linesScanned: Int { lineNumber }

    /// Scans every line that `chunk` completes; keeps the unfinished last line for the next
    /// chunk or `finish()`.
    package mutating func consume(_ chunk: UnsafeRawBufferPointer) throws(TraceParseError) {
        guard let base = chunk.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let bytes = UnsafeBufferPointer(start: base, count: chunk.count)
        var start = 0
        if !carry.isEmpty {
            guard let newline = Self.newline(in: bytes, from: 0) else {
                carry.append(contentsOf: bytes)
                return
            }
            carry.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[0..<newline]))
            try scanCarry()
            start = newline + 1
        }
        while let newline = Self.newline(in: bytes, from: start) {
            try scanLine(UnsafeBufferPointer(rebasing: bytes[start..<newline]))
            start = newline + 1
        }
        if start < bytes.count {
            carry.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
    }

    /// Scans the last line (when the input does not end with a newline) and returns the trace.
    package mutating func finish() throws(TraceParseError) -> MooncakeTrace {
        if !carry.isEmpty { try scanCarry() }
        let result = trace
        trace = MooncakeTrace()
        return result
    }

    private mutating func scanCarry() throws(TraceParseError) {
        var line = carry
        carry = []
        var failure: TraceParseError?
        line.withUnsafeBufferPointer { bytes in
            do throws(TraceParseError) { try scanLine(bytes) } catch { failure = error }
        }
        line.removeAll(keepingCapacity: true)
        carry = line
        if let failure { throw failure }
    }

    @inline(__always)
    private static func newline(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var index = start
        while index < bytes.count {
            if bytes[index] == 0x0A { return index }
            index += 1
        }
        return nil
    }

    private mutating func scanLine(_ line: UnsafeBufferPointer<UInt8>) throws(TraceParseError) {
        lineNumber += 1
        if Self.isBlank(line) { return }
        let mark = trace.blockCount
        var parser = MooncakeLine(bytes: line)
        switch parser.parse(into: &trace, keyScratch: &keyScratch) {
        case .success(let fields):
            trace.commitRequest(fields)
        case .failure(let error):
            trace.rollBackHashIDs(to: mark)
            guard skipBadLines else {
                throw TraceParseError(lineNumber: lineNumber, message: error.message)
            }
            trace.skippedLineNumbers.append(lineNumber)
        }
    }

    private static func isBlank(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in line where byte != 0x20 && byte != 0x09 && byte != 0x0D { return false }
        return true
    }
}
