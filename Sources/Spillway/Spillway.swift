// The library users import. It wires the core and system layers and re-exports them, and
// what they show is the user's API only: the shared region, the disk tier and its I/O
// backends, the tiered store and the vLLM manager API, configuration, trace replay, and their
// errors. Everything else in Core and System is `package` (the CLI, the tools and the tests
// see it; `import Spillway` does not), so the re-export adds nothing internal.
//
// Why re-export the modules rather than name each type with a `public typealias`: members
// declared in Core or System (a disk tier's `store`, `BlockKey(traceID:)`) must come from a
// module the user's file imports once Swift's MemberImportVisibility is on (SE-0444, an
// upcoming feature); a typealias does not carry them, a re-export does.
// scripts/consumer-check.sh builds its consumer with that feature on.
@_exported public import SpillwayCore
@_exported public import SpillwaySystem
