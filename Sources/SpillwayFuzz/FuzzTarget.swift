// The fuzz targets of the harness and the function each one feeds its input to.

/// One parser or decoder under fuzzing, named as on scripts/fuzz.sh's command line.
enum FuzzTarget: String, CaseIterable {
    /// Mooncake JSONL, as `spillway replay --trace` scans it, against the JSONDecoder reference.
    case trace
    /// A JSON configuration file, as `spillway run --config` loads it.
    case config
    /// A disk-tier checkpoint: header and entry decoding, then opening a tier over it.
    case checkpoint
    /// A data-file record header: decoding, then recovery by scan over the bytes.
    case record
    /// The index journal: batch scanning and record decoding, then replay on open.
    case journal

    /// Feeds one input; returns normally whatever the input (a trap is a bug).
    func run(_ bytes: [UInt8]) {
        switch self {
        case .trace: TraceFuzzer.run(bytes)
        case .config: ConfigurationFuzzer.run(bytes)
        case .checkpoint: CheckpointFuzzer.run(bytes)
        case .record: RecordFuzzer.run(bytes)
        case .journal: JournalFuzzer.run(bytes)
        }
    }
}
