// `--payload a,b,c`: payload kinds as a comma-separated list (bench disk --compare-compression).
import ArgumentParser
import Spillway
import SpillwayCore
import SpillwaySystem

/// One or more payload kinds, parsed from `random,bf16,mixed:0.3`.
struct PayloadKindList: Equatable, Sendable, CustomStringConvertible {
    var kinds: [PayloadKind]

    init(_ kinds: [PayloadKind]) { self.kinds = kinds }

    var description: String { kinds.map(\.description).joined(separator: ",") }

    /// - Throws: `ValidationError` naming the item that is not a payload kind.
    static func parse(_ text: String) throws -> PayloadKindList {
        var kinds: [PayloadKind] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let kind = PayloadKind(parsing: String(item)) else {
                throw ValidationError(
                    "'\(item)' is not a payload kind: use random, bf16, zeros, mixed or mixed:F")
            }
            kinds.append(kind)
        }
        return PayloadKindList(kinds)
    }
}
