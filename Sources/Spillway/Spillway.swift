// The library users import. It wires the core and system layers and names, below, the part
// of them a user builds on: the shared region, the disk tier, the tiered store and the vLLM
// manager API, configuration, trace replay, and their errors. Everything else in those
// layers is `package`: the CLI, the tools and the tests see it, `import Spillway` does not.
public import SpillwayCore
public import SpillwaySystem

// Keys, checksums, sizes.
public typealias BlockKey = SpillwayCore.BlockKey
public typealias CRC32C = SpillwayCore.CRC32C
public typealias ByteSize = SpillwayCore.ByteSize

// The primary tier: the shared /dev/shm region (docs/REGION.md) and row stores over it.
public typealias SharedOffloadRegion = SpillwaySystem.SharedOffloadRegion
public typealias SharedOffloadRegionError = SpillwaySystem.SharedOffloadRegionError
public typealias RegionGeometry = SpillwaySystem.RegionGeometry
public typealias RegionLayoutKind = SpillwayCore.RegionLayoutKind
public typealias RegionInventory = SpillwaySystem.RegionInventory
public typealias RegionListing = SpillwaySystem.RegionListing
public typealias RegionCleanReport = SpillwaySystem.RegionCleanReport
public typealias RegionMetadata = SpillwaySystem.RegionMetadata
public typealias RegionSegment = SpillwaySystem.RegionSegment
public typealias RegionSegmentFile = SpillwaySystem.RegionSegmentFile
public typealias FileStatus = SpillwaySystem.FileStatus
public typealias ProcessFileUsage = SpillwaySystem.ProcessFileUsage
public typealias RowStore = SpillwayCore.RowStore
public typealias RowMemory = SpillwayCore.RowMemory
public typealias RegionRowStore = SpillwaySystem.RegionRowStore

// The disk tier (docs/DISK_FORMAT.md) and its I/O backends.
public typealias DiskTier = SpillwayCore.DiskTier
public typealias DiskTierOptions = SpillwayCore.DiskTierOptions
public typealias DiskTierError = SpillwayCore.DiskTierError
public typealias DiskTierStats = SpillwayCore.DiskTierStats
public typealias DiskTierInspection = SpillwayCore.DiskTierInspection
public typealias DiskTierRecovery = SpillwayCore.DiskTierRecovery
public typealias DiskVerifyReport = SpillwayCore.DiskVerifyReport
public typealias DiskCodec = SpillwayCore.DiskCodec
public typealias CompressionKind = SpillwayCore.CompressionKind
public typealias DirectIOMode = SpillwayCore.DirectIOMode
public typealias DiskStoreOutcome = SpillwayCore.DiskStoreOutcome
public typealias DiskLoadOutcome = SpillwayCore.DiskLoadOutcome
public typealias DiskStoreFailure = SpillwayCore.DiskStoreFailure
public typealias DiskLoadFailure = SpillwayCore.DiskLoadFailure
public typealias DiskCompletion = SpillwayCore.DiskCompletion
public typealias DiskJobOutcome = SpillwayCore.DiskJobOutcome
public typealias IOBackend = SpillwayCore.IOBackend
public typealias IOBackendError = SpillwayCore.IOBackendError
public typealias IOFileID = SpillwayCore.IOFileID
public typealias IOFileOptions = SpillwayCore.IOFileOptions
public typealias IORequest = SpillwayCore.IORequest
public typealias IOCompletion = SpillwayCore.IOCompletion
public typealias URingIO = SpillwaySystem.URingIO
public typealias IOURingSupport = SpillwaySystem.IOURingSupport
public typealias DirectoryAccess = SpillwaySystem.DirectoryAccess

// Tiering: vLLM's offloading-manager API over a data path (docs/SEMANTICS.md), and the
// vLLM tier's jobs (OffloadTier, docs/VLLM.md).
public typealias PrimaryTierManager = SpillwayCore.PrimaryTierManager
public typealias TierDataPath = SpillwayCore.TierDataPath
public typealias TierIOOutcome = SpillwayCore.TierIOOutcome
public typealias SimulatedDataPath = SpillwayCore.SimulatedDataPath
public typealias TieringPolicy = SpillwayCore.TieringPolicy
public typealias ManagerLookup = SpillwayCore.ManagerLookup
public typealias ManagerStats = SpillwayCore.ManagerStats
public typealias OffloadingEvent = SpillwayCore.OffloadingEvent
public typealias OffloadingMedium = SpillwayCore.OffloadingMedium
public typealias PrepareStoreResult = SpillwayCore.PrepareStoreResult
public typealias PreparePromotionResult = SpillwayCore.PreparePromotionResult
public typealias OffloadTierError = SpillwayCore.OffloadTierError
public typealias OffloadTierStats = SpillwayCore.OffloadTierStats
public typealias OffloadJob = SpillwayCore.OffloadJob
public typealias OffloadJobResult = SpillwayCore.OffloadJobResult
public typealias OffloadLookup = SpillwayCore.OffloadLookup

// Configuration (docs/CONFIGURATION.md).
public typealias SpillwayConfiguration = SpillwayCore.SpillwayConfiguration
public typealias ConfigurationError = SpillwayCore.ConfigurationError
public typealias ConfigValueSource = SpillwayCore.ConfigValueSource
public typealias ResolvedConfiguration = SpillwayCore.ResolvedConfiguration

// Trace replay (docs/SEMANTICS.md): Mooncake traces, the replay engine and its counters.
public typealias MooncakeTrace = SpillwayCore.MooncakeTrace
public typealias TraceRequest = SpillwayCore.TraceRequest
public typealias TraceParseError = SpillwayCore.TraceParseError
public typealias TraceFile = SpillwaySystem.TraceFile
public typealias TraceFileError = SpillwaySystem.TraceFileError
public typealias TraceGenerator = SpillwayCore.TraceGenerator
public typealias PayloadChoice = SpillwayCore.PayloadChoice
public typealias PayloadKind = SpillwayCore.PayloadKind
public typealias ReplayEngine = SpillwayCore.ReplayEngine
public typealias ReplayCounters = SpillwayCore.ReplayCounters
