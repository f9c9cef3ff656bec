// Power loss and media corruption for the simulated backend.
import SpillwayCore

extension SimulatedIO {
    /// Models power loss plus process death: every unsynced write is dropped, torn or
    /// applied per the seed (`FaultPlan.crashDrop`, `crashTear`), the surviving image
    /// becomes both current and durable, and open files and queued requests vanish.
    /// Reopen files by name afterwards.
    package func crash() {
        faultCounts.crashes += 1
        for file in files.values.sorted(by: { $0.name < $1.name }) {
            var image = file.durable
            for write in file.unsynced {
                Self.grow(&image, to: write.offset + write.bytes.count)
                let roll = rng.nextUnit()
                if roll < faults.crashDrop {
                    faultCounts.crashDroppedWrites += 1
                } else if roll < faults.crashDrop + faults.crashTear {
                    faultCounts.crashTornWrites += 1
                    var sector = 0
                    while sector * 512 < write.bytes.count {
                        if rng.chance(0.5) {
                            let start = sector * 512
                            let stop = min(write.bytes.count, start + 512)
                            Self.copy(
                                write.bytes[start..<stop], into: &image, at: write.offset + start)
                        }
                        sector += 1
                    }
                } else {
                    faultCounts.crashAppliedWrites += 1
                    Self.copy(write.bytes, into: &image, at: write.offset)
                }
            }
            file.current = image
            file.durable = image
            file.unsynced.removeAll()
        }
        openFiles.removeAll()
        prepared.removeAll(keepingCapacity: true)
        completed.removeAll(keepingCapacity: true)
    }

    /// XORs `mask` into the byte at `offset` of `name` in both images: media corruption
    /// that survives crashes. Returns false when the file or offset does not exist.
    @discardableResult
    package func corrupt(fileNamed name: String, offset: Int, xor mask: UInt8) -> Bool {
        guard let file = files[name], offset < file.current.count else { return false }
        file.current[offset] ^= mask
        if offset < file.durable.count { file.durable[offset] ^= mask }
        return true
    }

    /// A copy of the bytes reads would see in `name`, or nil when it does not exist.
    package func contents(ofFileNamed name: String) -> [UInt8]? { files[name]?.current }

    /// Bytes written and not yet made durable, summed over files.
    package var unsyncedByteCount: Int {
        files.values.reduce(0) { $0 + $1.unsynced.reduce(0) { $0 + $1.bytes.count } }
    }

    /// Requests prepared or completed and not yet reaped (0 when the caller leaked none).
    package var outstandingRequestCount: Int { outstandingCount }

    /// A new backend over the same files, as a second process opening the directory would
    /// see them (every completed write, synced or not; no crash in between). Open file ids
    /// and queued requests are not shared.
    /// `directories` (default: the same) may name others, as an opener passing another
    /// list would.
    package func reopened(seed: UInt64, faults: FaultPlan = .none, directories: [String]? = nil)
        -> SimulatedIO
    {
        let other = SimulatedIO(
            seed: seed, requiredAlignment: requiredAlignment, queueDepth: queueDepth,
            faults: faults, directories: directories ?? directoryPaths)
        other.files = files
        return other
    }
}
