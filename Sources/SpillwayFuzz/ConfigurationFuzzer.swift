// Fuzzes the configuration loader: arbitrary bytes as the --config file must load and
// validate, or throw a ConfigurationFileError / ConfigurationError.
import Glibc
import Spillway
import SpillwayCore

/// Loads the input through `ConfigurationLoader.load(filePath:)`, the path of
/// `spillway run --config F`, with an empty environment.
enum ConfigurationFuzzer {
    /// One scratch file per process, rewritten for every input.
    static let path: String = {
        let directory = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        return "\(directory)/spillway-fuzz-config-\(getpid()).json"
    }()

    static func run(_ bytes: [UInt8]) {
        guard let file = fopen(path, "wb") else { fatalError("cannot write \(path)") }
        precondition(bytes.isEmpty || fwrite(bytes, 1, bytes.count, file) == bytes.count)
        fclose(file)
        let resolved: ResolvedConfiguration
        do {
            resolved = try ConfigurationLoader.load(filePath: path, environment: [:])
        } catch is ConfigurationFileError {
            return
        } catch is ConfigurationError {
            return
        } catch {
            fatalError("configuration loader threw an unexpected error: \(error)")
        }
        // A loaded configuration is valid by contract, and renders every key.
        do { try resolved.configuration.validate(sources: resolved.sources) } catch {
            fatalError("loaded configuration fails validation: \(error)")
        }
        for key in ConfigurationKeys.all { _ = key.render(resolved.configuration) }
    }
}
