// Where a block lives: a primary row, a disk record, or both.

/// The tiers holding a block. A block in the directory is in at least one tier, except
/// transiently inside a single directory operation.
package struct Residency: OptionSet, Sendable, Hashable, CustomStringConvertible {
    package let rawValue: UInt8
    package init(rawValue: UInt8) { self.rawValue = rawValue }

    /// In a row of the shared region.
    package static let primary = Residency(rawValue: 1)
    /// In a disk record.
    package static let disk = Residency(rawValue: 2)
    /// In both tiers (after a promotion, or a write-through store).
    package static let both: Residency = [.primary, .disk]

    package var description: String {
        switch self {
        case []: "none"
        case .primary: "primary"
        case .disk: "disk"
        default: "both"
        }
    }
}
