// Locates the trace fixtures the tests share (Tests/Fixtures/traces in the repository) from a
// test's #filePath; tests never read files outside the repository.
import Foundation

/// Paths of the trace fixtures used by the replay tests (`Tests/Fixtures/traces`, see the
/// README there: the public Mooncake trace, a generated trace, their expected counters).
package enum SharedTraces {
    /// The repository root: the nearest ancestor of `testFile` holding `Package.swift`.
    package static func repositoryRoot(testFile: String) -> URL? {
        var directory = URL(fileURLWithPath: testFile).deletingLastPathComponent()
        for _ in 0..<6 {
            directory = directory.deletingLastPathComponent()
            if FileManager.default.fileExists(
                atPath: directory.appendingPathComponent("Package.swift").path)
            {
                return directory
            }
        }
        return nil
    }

    /// The `Tests/Fixtures/traces` directory of the repository holding `testFile`. Nil when
    /// it is absent (callers fail with the path they looked for).
    package static func directory(testFile: String) -> URL? {
        guard let root = repositoryRoot(testFile: testFile) else { return nil }
        let candidate = root.appendingPathComponent("Tests/Fixtures/traces")
        guard
            FileManager.default.fileExists(
                atPath: candidate.appendingPathComponent("mooncake-synthetic.jsonl").path)
        else { return nil }
        return candidate
    }
}
