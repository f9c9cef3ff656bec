// The library users import: re-exports the core and system layers and wires them.
@_exported import SpillwayCore
@_exported import SpillwaySystem
