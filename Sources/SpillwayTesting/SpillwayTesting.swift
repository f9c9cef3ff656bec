// Test support: simulated I/O with a seeded fault plan and plain reference models.
import SpillwayCore
