// A validated configuration together with the source of each effective value.

/// The effective configuration after layering default < file < env < flag, validated.
public struct ResolvedConfiguration: Sendable {
    /// One printed line of `config show`.
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: String
        public var source: ConfigValueSource
    }

    public var configuration: SpillwayConfiguration
    /// Source per key name; keys never set by a layer are `.builtIn`.
    public var sources: [String: ConfigValueSource]
    /// Notes for the operator (e.g. unknown `SPILLWAY_` environment variables).
    public var warnings: [String]

    public init(
        configuration: SpillwayConfiguration, sources: [String: ConfigValueSource] = [:],
        warnings: [String] = []
    ) {
        self.configuration = configuration
        self.sources = sources
        self.warnings = warnings
    }

    /// The source of `key`'s effective value.
    public func source(of key: String) -> ConfigValueSource { sources[key] ?? .builtIn }

    /// Every key, its effective value and its source, in `ConfigurationKeys.all` order.
    public var entries: [Entry] {
        ConfigurationKeys.all.map {
            Entry(key: $0.name, value: $0.render(configuration), source: source(of: $0.name))
        }
    }
}
