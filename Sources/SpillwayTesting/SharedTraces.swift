// Locates the shared traces (../shared/traces next to the checkout) from a test's #filePath.
import Foundation

/// Paths of the shared trace files used by the replay tests.
public enum SharedTraces {
    /// The `shared/traces` directory: `../../../shared/traces` relative to a test file in
    /// `Tests/X/` of the main checkout, or the nearest ancestor holding `shared/traces` (a
    /// worktree one level deeper). Nil when absent.
    public static func directory(testFile: String) -> URL? {
        var directory = URL(fileURLWithPath: testFile).deletingLastPathComponent()
        for _ in 0..<6 {
            directory = directory.deletingLastPathComponent()
            let candidate = directory.appendingPathComponent("shared/traces")
            if FileManager.default.fileExists(
                atPath: candidate.appendingPathComponent("mooncake-synthetic.jsonl").path)
            {
                return candidate
            }
        }
        return nil
    }
}
