// A data path that tracks which key each row and disk record holds, flags every move that
// would serve or overwrite the wrong block, and fails disk reads by a seeded plan.
import SpillwayCore

/// Checks the `TierDataPath` call protocol: a row is written only when free, copied only
/// when it holds the key, a record is read only when it holds the key, and so on. Violations
/// are collected (not trapped) so tests can `#expect(path.violations.isEmpty)`.
///
/// Disk reads fail when `failRead(readNumber)` says so (read numbers count every
/// `loadFromDisk` call from 0), e.g. `{ $0 % 7 == 3 }` or a seeded random choice.
package final class RecordingDataPath: TierDataPath {
    package private(set) var rows: [BlockKey?]
    package private(set) var records: [BlockKey?]
    package private(set) var violations: [String] = []
    package private(set) var readCount = 0
    package private(set) var failedReads = 0
    package private(set) var writeCount = 0
    let failRead: (Int) -> Bool

    package init(primaryBlocks: Int, diskBlocks: Int, failRead: @escaping (Int) -> Bool = { _ in false }) {
        rows = Array(repeating: nil, count: primaryBlocks)
        records = Array(repeating: nil, count: diskBlocks)
        self.failRead = failRead
    }

    private func violation(_ text: String) {
        if violations.count < 20 { violations.append(text) }
    }

    package func writeRow(_ key: BlockKey, row: Int32) {
        if let held = rows[Int(row)] { violation("writeRow \(key) into row \(row) still holding \(held)") }
        rows[Int(row)] = key
    }

    package func copyToDisk(_ key: BlockKey, row: Int32, record: Int32) -> TierIOOutcome {
        if rows[Int(row)] != key { violation("copyToDisk \(key) from row \(row) holding \(String(describing: rows[Int(row)]))") }
        if let held = records[Int(record)] { violation("copyToDisk \(key) over record \(record) holding \(held)") }
        records[Int(record)] = key
        writeCount += 1
        return .completed
    }

    package func loadFromDisk(_ key: BlockKey, record: Int32, row: Int32) -> TierIOOutcome {
        defer { readCount += 1 }
        if records[Int(record)] != key { violation("loadFromDisk \(key) from record \(record) holding \(String(describing: records[Int(record)]))") }
        if let held = rows[Int(row)] { violation("loadFromDisk \(key) into row \(row) still holding \(held)") }
        if failRead(readCount) {
            failedReads += 1
            return .failed
        }
        rows[Int(row)] = key
        return .completed
    }

    package func removeFromDisk(_ key: BlockKey, record: Int32) {
        if records[Int(record)] != key { violation("removeFromDisk \(key) from record \(record) holding \(String(describing: records[Int(record)]))") }
        records[Int(record)] = nil
    }

    package func rowFreed(_ key: BlockKey, row: Int32) {
        // After a failed read the row was never filled; otherwise it must hold the key.
        if let held = rows[Int(row)], held != key { violation("rowFreed \(key) for row \(row) holding \(held)") }
        rows[Int(row)] = nil
    }
}
