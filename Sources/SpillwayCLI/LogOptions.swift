// `--log-level` for subcommands: swift-log to standard error (data stays on stdout).
import ArgumentParser
import Foundation
import Logging

/// The `--log-level` option (default: `$SPILLWAY_LOG_LEVEL`, else `warning`). `bootstrap()`
/// routes swift-log to standard error at that level and returns the command's logger.
struct LogOptions: ParsableArguments {
    @Option(
        name: .customLong("log-level"),
        help:
            "Log level on stderr: trace, debug, info, notice, warning, error, critical (default: $SPILLWAY_LOG_LEVEL or warning)."
    )
    var logLevel: Logger.Level?

    /// The level in effect.
    var effectiveLevel: Logger.Level {
        if let logLevel { return logLevel }
        if let text = ProcessInfo.processInfo.environment["SPILLWAY_LOG_LEVEL"],
            let level = Logger.Level(rawValue: text.lowercased())
        {
            return level
        }
        return .warning
    }

    /// A warning when `$SPILLWAY_LOG_LEVEL` is set to something that is not a level (it is
    /// then ignored), else nil.
    var environmentWarning: String? {
        guard logLevel == nil, let text = ProcessInfo.processInfo.environment["SPILLWAY_LOG_LEVEL"],
            Logger.Level(rawValue: text.lowercased()) == nil
        else { return nil }
        return
            "warning: SPILLWAY_LOG_LEVEL='\(text)' is not a log level (trace, debug, info, notice, warning, error, critical); using warning"
    }

    /// Bootstraps logging once per process and returns a logger labelled `spillway.<label>`.
    func bootstrap(label: String) -> Logger {
        if let warning = environmentWarning { printError(warning) }
        let level = effectiveLevel
        LogBootstrap.once(level: level)
        var logger = Logger(label: "spillway." + label)
        logger.logLevel = level
        return logger
    }
}

/// Calls `LoggingSystem.bootstrap` at most once (it traps on a second call).
enum LogBootstrap {
    nonisolated(unsafe) static var done = false

    static func once(level: Logger.Level) {
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
