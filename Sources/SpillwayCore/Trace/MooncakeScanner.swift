// The one Mooncake JSONL reader: streams chunks of bytes into a flat MooncakeTrace, one pass
// per line, no Foundation and no allocation per line.

/// Reads Mooncake JSONL in chunks of any size (a line may span chunks) into a
/// `MooncakeTrace`. Lines end at `\n`; a line of only spaces, tabs and CRs is blank and
/// ignored, every other line is one request (`MooncakeLine` says what is accepted). A
/// malformed line throws `TraceParseError` naming its 1-based number, or with
/// `skipBadLines` is counted in `skippedLineNumbers` and skipped.
///
/// Memory: the trace's arrays grow geometrically; a line that spans two chunks is copied
/// once into a carry buffer that keeps its capacity; a line's ids go to a scratch that grows
/// with the ids found, not the line's length (`HashIDScratch`). Nothing else is allocated
/// per line.
package struct MooncakeScanner: Sendable {
    package let skipBadLines: Bool
    private var trace = MooncakeTrace()
    private var lineNumber = 0
    /// The start of a line whose end has not arrived yet.
    private var carry: [UInt8] = []
    /// Scratch for object keys that contain escapes (decoded before comparing).
    private var keyScratch: [UInt8] = []
    /// A line's hash ids, appended to the trace in one piece once the line has parsed.
    private var idScratch = HashIDScratch()

    /// A scanner; `expectedBytes` (the input's size when known) sizes the trace's arrays
    /// up front: at most one key per 4 bytes and one request per 64 (a typical line has
    /// hundreds of bytes, a key takes at least 2), capped so a huge file does not reserve
    /// more than 512 MiB before it is read. A wrong estimate only costs regrowth.
    package init(skipBadLines: Bool = false, expectedBytes: Int = 0) {
        self.skipBadLines = skipBadLines
        if expectedBytes > 0 {
            trace.reserveCapacity(
                blocks: min(expectedBytes / 4, 1 << 26), requests: min(expectedBytes / 64, 1 << 22))
        }
    }

    /// Lines scanned so far (blank ones included).
    package var linesScanned: Int { lineNumber }

    /// The hash ids the id scratch has room for (bounded by the ids found, for tests).
    package var idScratchCapacity: Int { idScratch.buffer.count }

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

    /// The first `\n` at or after `start`: eight bytes at a time (a zero byte of
    /// `word ^ 0x0A0A...` is a newline; the classic has-zero-byte test flags the first one
    /// exactly), then byte by byte.
    @inline(__always)
    private static func newline(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var index = start
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while index &+ 8 <= bytes.count {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let x = word ^ 0x0A0A_0A0A_0A0A_0A0A
                let found = (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
                if found != 0 { return index &+ found.trailingZeroBitCount / 8 }
                index &+= 8
            }
        }
        while index < bytes.count {
            if bytes[index] == 0x0A { return index }
            index += 1
        }
        return nil
    }

    private mutating func scanLine(_ line: UnsafeBufferPointer<UInt8>) throws(TraceParseError) {
        lineNumber += 1
        if Self.isBlank(line) { return }
        // A copy of this scanner may share the box: give this one its own (the ids of
        // earlier lines are never read again).
        if !isKnownUniquelyReferenced(&idScratch) { idScratch = HashIDScratch() }
        var parser = MooncakeLine(bytes: line)
        var ids = idScratch.buffer
        var idCount = 0
        let result = parser.parse(ids: &ids, idCount: &idCount, keyScratch: &keyScratch)
        idScratch.buffer = ids
        switch result {
        case .success(let fields):
            trace.appendRequest(hashIDs: UnsafeBufferPointer(rebasing: ids[0..<idCount]), fields)
        case .failure(let error):
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
