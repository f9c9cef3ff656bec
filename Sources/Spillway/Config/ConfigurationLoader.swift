// Layers the configuration: built-in defaults < JSON file < SPILLWAY_ environment < flags.
import Configuration
import Foundation
import SpillwayCore

/// Builds the effective, validated configuration and records each value's source.
///
/// Lookups go through apple/swift-configuration providers: `JSONSnapshot` for the file
/// (nested objects address dotted keys) and `EnvironmentVariablesProvider` for the
/// environment (key `disk.queue_depth` reads `SPILLWAY_DISK_QUEUE_DEPTH`). Layers are
/// applied lowest first and every value a layer supplies is parsed and range-checked by
/// its `ConfigurationKey`, so a bad value is reported even when a higher layer overrides
/// it. Then the whole configuration is validated (cross-key rules).
public enum ConfigurationLoader {
    /// The environment variable naming a config file when `--config` is absent.
    public static let configFileEnvironmentName = "SPILLWAY_CONFIG"

    /// `SPILLWAY_` variables that are not configuration keys but are known to Spillway.
    public static let otherEnvironmentNames: Set<String> = [
        configFileEnvironmentName, "SPILLWAY_SOAK", "SPILLWAY_LOG_LEVEL",
    ]

    /// Loads and validates the configuration.
    ///
    /// - Parameters:
    ///   - filePath: the JSON file (`--config`); nil falls back to `SPILLWAY_CONFIG`, and
    ///     without either the built-in defaults are used.
    ///   - environment: the process environment (tests pass their own).
    ///   - overrides: command-line values, applied last in order.
    /// - Returns: the configuration, the source of every value, and warnings.
    /// - Throws: `ConfigurationFileError` for a missing/malformed file or unknown key,
    ///   `ConfigurationError` for a bad value.
    public static func load(
        filePath: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        overrides: [ConfigurationOverride] = []
    ) throws -> ResolvedConfiguration {
        var configuration = SpillwayConfiguration()
        var sources: [String: ConfigValueSource] = [:]
        var warnings: [String] = []

        let path =
            filePath ?? environment[configFileEnvironmentName].flatMap { $0.isEmpty ? nil : $0 }
        if let path {
            let data = try readFile(path)
            let names = try flattenedKeyNames(data, path: path)
            let known = Set(ConfigurationKeys.all.map(\.name))
            for name in names.sorted() where !known.contains(name) && !isComment(name) {
                throw ConfigurationFileError(path: path, message: unknownKeyMessage(name))
            }
            let snapshot = try makeSnapshot(data: data, path: path)
            for key in ConfigurationKeys.all where names.contains(key.name) {
                let input = try fileInput(snapshot, key: key, path: path)
                try key.apply(input, to: &configuration, source: .file(path))
                sources[key.name] = .file(path)
            }
        }

        let environmentProvider = EnvironmentVariablesProvider(environmentVariables: environment)
        for key in ConfigurationKeys.all {
            let result = try environmentProvider.value(
                forKey: AbsoluteConfigKey(["spillway"] + key.components), type: .string)
            guard let value = result.value, case .string(let text) = value.content else { continue }
            let source = ConfigValueSource.environment(result.encodedKey)
            try key.apply(.text(text), to: &configuration, source: source)
            sources[key.name] = source
        }
        let keyEnvironmentNames = Set(ConfigurationKeys.all.map(\.environmentName))
        for name in environment.keys.sorted()
        where name.hasPrefix("SPILLWAY_") && !keyEnvironmentNames.contains(name)
            && !otherEnvironmentNames.contains(name)
        {
            warnings.append("environment variable \(name) is not a Spillway setting and is ignored")
        }

        for override in overrides {
            guard let key = ConfigurationKeys.named(override.key) else {
                throw ConfigurationError(
                    key: override.key, value: override.value,
                    allowed: "a known key (spillway config show lists them)",
                    source: .flag(override.flag), reason: unknownKeyMessage(override.key))
            }
            let source = ConfigValueSource.flag(
                override.flag == "--set" ? "--set \(key.name)" : override.flag)
            try key.apply(.text(override.value), to: &configuration, source: source)
            sources[key.name] = source
        }

        try configuration.validate(sources: sources)
        return ResolvedConfiguration(
            configuration: configuration, sources: sources, warnings: warnings)
    }

    private static func readFile(_ path: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigurationFileError(
                path: path,
                message:
                    "no such file; pass an existing JSON file to --config (or \(configFileEnvironmentName)),"
                    + " or omit it to use the built-in defaults")
        }
        guard !isDirectory.boolValue else {
            throw ConfigurationFileError(path: path, message: "is a directory, not a JSON file")
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigurationFileError(
                path: path, message: "cannot be read (\(error.localizedDescription))")
        }
    }

    /// The dotted names of every scalar in the file; arrays and nulls are refused.
    private static func flattenedKeyNames(_ data: Data, path: String) throws -> Set<String> {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ConfigurationFileError(
                path: path, message: "is not valid JSON (\(error.localizedDescription))")
        }
        guard let dictionary = object as? [String: Any] else {
            throw ConfigurationFileError(path: path, message: "the top level must be a JSON object")
        }
        var names: Set<String> = []
        func walk(_ dictionary: [String: Any], prefix: String) throws {
            for (name, value) in dictionary {
                let dotted = prefix.isEmpty ? name : prefix + "." + name
                if let nested = value as? [String: Any] {
                    try walk(nested, prefix: dotted)
                } else if value is [Any] || value is NSNull {
                    if isComment(dotted) { continue }
                    throw ConfigurationFileError(
                        path: path, message: "key '\(dotted)' must be a string, number or boolean")
                } else {
                    names.insert(dotted)
                }
            }
        }
        try walk(dictionary, prefix: "")
        return names
    }

    /// Keys whose last component starts with `_` are comments (`"_comment": "..."`).
    private static func isComment(_ name: String) -> Bool {
        name.split(separator: ".").last?.hasPrefix("_") ?? false
    }

    // Kept out of `load` because passing `data.bytes` to a throwing initializer inline
    // miscompiles on Swift 6.2 (swift-configuration works around the same issue).
    private static func makeSnapshot(data: Data, path: String) throws -> JSONSnapshot {
        do {
            return try JSONSnapshot(
                data: data.bytes, providerName: "file \(path)", parsingOptions: .default)
        } catch {
            throw ConfigurationFileError(
                path: path,
                message:
                    "is not a valid configuration (\(error)); integers above \(Int.max) must be"
                    + " written as strings, e.g. \"seed\": \"18446744073709551615\"")
        }
    }

    /// The file's value for `key`. Strings stay text (so sizes may be "256KiB"); numbers
    /// are read as the key's kind wants them. swift-configuration treats JSON numbers and
    /// booleans alike ("number-ish"), so `true`/`false` and `1`/`0` are interchangeable.
    private static func fileInput(_ snapshot: JSONSnapshot, key: ConfigurationKey, path: String)
        throws
        -> ConfigurationInput
    {
        let absolute = AbsoluteConfigKey(key.components)
        if let value = try? snapshot.value(forKey: absolute, type: .string).value,
            case .string(let text) = value.content
        {
            return .text(text)
        }
        let types: [ConfigType]
        switch key.kind {
        case .boolean: types = [.bool]
        case .integer, .size: types = [.int, .double]
        case .fraction: types = [.double]
        case .string, .choice: types = [.int, .double]
        }
        for type in types {
            guard let value = try? snapshot.value(forKey: absolute, type: type).value else {
                continue
            }
            switch value.content {
            case .int(let number): return .integer(number)
            case .double(let number): return .number(number)
            case .bool(let flag): return .boolean(flag)
            default: continue
            }
        }
        throw ConfigurationFileError(
            path: path, message: "key '\(key.name)' has a value of unsupported type")
    }

    /// "unknown key 'x'" plus the closest known key when one is near.
    static func unknownKeyMessage(_ name: String) -> String {
        let closest = ConfigurationKeys.all.map(\.name).min {
            editDistance($0, name) < editDistance($1, name)
        }
        if let closest, editDistance(closest, name) <= 3 {
            return "unknown key '\(name)' (did you mean '\(closest)'?)"
        }
        return "unknown key '\(name)' (spillway config show lists the keys)"
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8)
        let b = Array(b.utf8)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(
                    previous[j] + 1, current[j - 1] + 1,
                    previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
