// The one way every `--json` output is written: a Codable value encoded by JSONText (keys
// sorted, one line), through StandardOutput so a full device or closed pipe is exit status 1, never a trap.
import Foundation
import Spillway
import SpillwayCore
import SpillwaySystem

enum JSONOutput {
    /// Writes `value` as one line of JSON on standard output.
    /// - Throws: `CLIError` when the output cannot be written.
    static func print(_ value: some Encodable) throws {
        try StandardOutput.write(Data((try JSONText.encode(value) + "\n").utf8))
    }
}
