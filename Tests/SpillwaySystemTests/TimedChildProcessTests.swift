// TimedChildProcess: exit status, signal, captured stdout (larger than a pipe's buffer), and
// a missing executable, with real children.
import SpillwaySystem
import Testing

@Suite struct TimedChildProcessTests {
    /// Setup: `sh -c` printing a line and exiting 3. Checks: status 3, no signal, the line
    /// captured, a positive time.
    @Test func exitStatusAndOutput() throws {
        let child = try TimedChildProcess.run("sh", ["-c", "echo spilled; exit 3"])
        #expect(child.exitStatus == 3 && child.signal == nil)
        #expect(String(decoding: child.output, as: UTF8.self) == "spilled\n")
        #expect(child.seconds > 0)
    }

    /// Setup: a child that writes 1 MiB (16 pipe buffers) then exits 0, and one that sleeps
    /// 0.2 s. Checks: every byte captured (the parent drains the pipe while the child
    /// writes); the sleeper's time is at least its sleep (spawn to exit is covered).
    @Test func largeOutputAndTimeCovered() throws {
        let big = try TimedChildProcess.run("/bin/sh", ["-c", "head -c 1048576 /dev/zero"])
        #expect(big.exitStatus == 0 && big.output.count == 1_048_576)
        let sleeper = try TimedChildProcess.run("sleep", ["0.2"])
        #expect(sleeper.exitStatus == 0 && sleeper.seconds >= 0.2, "\(sleeper.seconds)")
    }

    /// Setup: a child that kills itself with SIGKILL; an executable that does not exist.
    /// Checks: signal 9 and no exit status; the missing one throws naming it.
    @Test func signalAndMissingExecutable() throws {
        let killed = try TimedChildProcess.run("sh", ["-c", "kill -9 $$"])
        #expect(killed.signal == 9 && killed.exitStatus == nil)
        #expect(throws: TimedChildProcessError.self) {
            try TimedChildProcess.run("/nonexistent/spillway-no-such-tool", [])
        }
        do {
            _ = try TimedChildProcess.run("spillway-no-such-tool-in-path", [])
            Issue.record("a missing executable did not throw")
        } catch {
            #expect("\(error)".contains("spillway-no-such-tool-in-path"), "\(error)")
        }
    }
}
