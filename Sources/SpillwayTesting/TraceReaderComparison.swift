// Compares MooncakeScanner with the JSONDecoder reader it replaced on the same bytes: the
// differential test and the `trace` fuzz target both judge agreement here.
import SpillwayCore

/// What a reader made of one input: the trace, or the first bad line's number and message.
package enum TraceReaderOutcome: Equatable, Sendable {
    case parsed(MooncakeTrace)
    case failed(line: Int, message: String)

    /// `MooncakeTrace.parse` (the scanner).
    package static func scanner(_ bytes: [UInt8], skipBadLines: Bool = false) -> TraceReaderOutcome {
        outcome { try MooncakeTrace.parse(bytes, skipBadLines: skipBadLines) }
    }

    /// `ReferenceTraceDecoder.parse` (Foundation's JSONDecoder per line).
    package static func reference(_ bytes: [UInt8], skipBadLines: Bool = false) -> TraceReaderOutcome {
        outcome { try ReferenceTraceDecoder.parse(bytes, skipBadLines: skipBadLines) }
    }

    private static func outcome(_ parse: () throws -> MooncakeTrace) -> TraceReaderOutcome {
        do { return .parsed(try parse()) } catch let error as TraceParseError {
            return .failed(line: error.lineNumber, message: error.message)
        } catch {
            preconditionFailure("a trace reader threw \(error), not a TraceParseError")
        }
    }
}

package enum TraceReaderComparison {
    /// Whether Foundation may have read `line` as UTF-16/32: it guessed the encoding from NUL
    /// bytes among the first four, which a UTF-8 scanner never does. Such lines are
    /// rejected by the scanner; the comparison leaves them out (docs/SEMANTICS.md, "Trace
    /// format").
    package static func mayBeUTF16(_ line: some Collection<UInt8>) -> Bool { line.prefix(4).contains(0) }

    /// Nil when the scanner agrees with the reference on `bytes`: the same trace, or the same
    /// first bad line with the same message, except that the reference's catch-all "not valid
    /// JSON" may be made precise (what was expected and where, or which field's number does
    /// not fit). Otherwise a description of the difference.
    package static func difference(_ bytes: [UInt8], skipBadLines: Bool = false) -> String? {
        let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        if lines.contains(where: mayBeUTF16) { return nil }
        let scanned = TraceReaderOutcome.scanner(bytes, skipBadLines: skipBadLines)
        let reference = TraceReaderOutcome.reference(bytes, skipBadLines: skipBadLines)
        switch (scanned, reference) {
        case (.parsed(let a), .parsed(let b)) where a == b: return nil
        case (.failed(let lineA, let a), .failed(let lineB, let b)) where lineA == lineB:
            if a == b { return nil }
            if b == "not valid JSON"
                && (a.hasPrefix("not valid JSON: expected ") || (a.hasPrefix("field '") && a.contains("' is not ")))
            {
                return nil
            }
        default: break
        }
        return "scanner \(scanned), reference \(reference)"
    }
}
