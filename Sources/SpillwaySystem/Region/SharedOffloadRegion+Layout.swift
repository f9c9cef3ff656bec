// How a shared offload region's row stride follows from its slot geometry (docs/REGION.md, Layout).

extension SharedOffloadRegion {
    /// The row layout of a region. Both are byte-compatible with a vLLM version.
    public enum Layout: String, Sendable, Codable, CaseIterable {
        /// vLLM 0.22 / the seed document: row stride `S = P * M`, rows packed back to back.
        case seed
        /// Current vLLM: `S = roundUp(P * M, pageSize)`; the padding sits at the row end and
        /// is never written through a view.
        case pageAligned

        /// The spelling used on the command line and in sidecar files: `seed`, `page-aligned`.
        public var argument: String {
            switch self {
            case .seed: return "seed"
            case .pageAligned: return "page-aligned"
            }
        }

        /// Parses `seed` or `page-aligned` (also accepts `pageAligned`).
        public init?(argument: String) {
            switch argument {
            case "seed": self = .seed
            case "page-aligned", "pageAligned", "page_aligned": self = .pageAligned
            default: return nil
            }
        }
    }
}
