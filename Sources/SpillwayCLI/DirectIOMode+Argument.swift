// Lets `--direct-io required|auto|off` parse straight into the core's DirectIOMode.
import ArgumentParser
import Spillway

extension DirectIOMode: ExpressibleByArgument {}
