// Where one effective configuration value came from: default, file, environment or flag.

/// The layer that set a configuration value. Later layers win: default < file < env < flag.
public enum ConfigValueSource: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The built-in default (identical to `Config/default.json`).
    case builtIn
    /// A JSON configuration file, by path.
    case file(String)
    /// An environment variable, by name.
    case environment(String)
    /// A command-line flag, by spelling (`--primary-bytes`, `--set disk.queue_depth`).
    case flag(String)

    /// The layer name alone: `default`, `file`, `env` or `flag`.
    public var layer: String {
        switch self {
        case .builtIn: return "default"
        case .file: return "file"
        case .environment: return "env"
        case .flag: return "flag"
        }
    }

    /// The layer and its detail: `file Config/default.json`, `env SPILLWAY_POLICY`.
    public var description: String {
        switch self {
        case .builtIn: return "default"
        case .file(let path): return "file \(path)"
        case .environment(let name): return "env \(name)"
        case .flag(let spelling): return "flag \(spelling)"
        }
    }
}
