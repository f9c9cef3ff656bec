// The seeded fault plan of the simulated backend: which failures it injects and how often.
import SpillwayCore

extension SimulatedIO {
    /// Probabilities (0...1) of each injected fault, drawn per request from the backend's
    /// seeded stream, so a failing run replays exactly from its seed.
    package struct FaultPlan: Sendable, Equatable {
        /// A read completes with -EIO.
        package var readError: Double = 0
        /// A write completes with -EIO (after applying a random prefix of its sectors).
        package var writeError: Double = 0
        /// A write completes with -ENOSPC, changing nothing.
        package var writeNoSpace: Double = 0
        /// `reserve` throws ENOSPC.
        package var reserveNoSpace: Double = 0
        /// A read or write transfers a random shorter prefix (aligned when the backend
        /// requires alignment) and reports that count.
        package var shortTransfer: Double = 0
        /// One random bit of the bytes a read returns is flipped (the image is unchanged:
        /// a flaky bus or DMA, the read after may be clean).
        package var readBitFlip: Double = 0
        /// An fdatasync completes with -EIO and makes nothing durable.
        package var syncError: Double = 0
        /// A read or write completes with -EINTR or -EAGAIN, moving nothing (the caller must
        /// retry, bounded).
        package var interrupted: Double = 0
        /// A submitted batch's completions are shuffled.
        package var reorder: Double = 0
        /// On `crash()`, each unsynced write is dropped with this probability...
        package var crashDrop: Double = 1.0 / 3
        /// ...else torn (a random subset of its 512-byte sectors applied) with this
        /// probability, else applied whole.
        package var crashTear: Double = 1.0 / 3

        /// No faults on the data path; `crash()` still drops and tears unsynced writes.
        package static let none = FaultPlan()

        package init(
            readError: Double = 0, writeError: Double = 0, writeNoSpace: Double = 0,
            reserveNoSpace: Double = 0, shortTransfer: Double = 0, readBitFlip: Double = 0,
            syncError: Double = 0, reorder: Double = 0, crashDrop: Double = 1.0 / 3,
            crashTear: Double = 1.0 / 3, interrupted: Double = 0
        ) {
            self.interrupted = interrupted
            self.readError = readError
            self.writeError = writeError
            self.writeNoSpace = writeNoSpace
            self.reserveNoSpace = reserveNoSpace
            self.shortTransfer = shortTransfer
            self.readBitFlip = readBitFlip
            self.syncError = syncError
            self.reorder = reorder
            self.crashDrop = crashDrop
            self.crashTear = crashTear
        }

        /// Every data-path fault at `rate`, reordering always on: the chaos setting of the
        /// seeded simulation tests.
        package static func chaos(rate: Double) -> FaultPlan {
            FaultPlan(
                readError: rate, writeError: rate, writeNoSpace: rate, reserveNoSpace: 0,
                shortTransfer: rate * 2, readBitFlip: rate, syncError: rate / 2, reorder: 0.5,
                interrupted: rate)
        }
    }

    /// How many faults of each kind were injected.
    package struct FaultCounts: Sendable, Equatable {
        package var readErrors = 0
        package var writeErrors = 0
        package var writeNoSpace = 0
        package var reserveNoSpace = 0
        package var shortTransfers = 0
        package var readBitFlips = 0
        package var syncErrors = 0
        package var interruptions = 0
        package var reorderedBatches = 0
        package var crashes = 0
        package var crashDroppedWrites = 0
        package var crashTornWrites = 0
        package var crashAppliedWrites = 0
        package init() {}
    }
}
