// Typed command-line values: codec, payload kind, O_DIRECT mode and region layout parse
// straight into the library's enums, so no command parses these strings itself.
import ArgumentParser
import Spillway
import SpillwayCore
import SpillwaySystem

extension DirectIOMode: ExpressibleByArgument {}

extension DiskCodec: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
    public var defaultValueDescription: String { description }
    public static var allValueStrings: [String] { allCases.map(\.description) }
}

extension PayloadKind: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
    public var defaultValueDescription: String { description }
    public static var allValueStrings: [String] { ["random", "bf16", "zeros", "mixed", "mixed:F"] }
}

extension SharedOffloadRegion.Layout: ExpressibleByArgument {
    public var defaultValueDescription: String { argument }
    public static var allValueStrings: [String] { allCases.map(\.argument) }
}
