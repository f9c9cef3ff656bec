// Runs a child process to completion and times it start to exit (posix_spawnp + waitpid),
// for benchmarks that compare whole processes.
import Glibc

/// A finished child process: its exit, its standard output, and its wall time.
///
/// Timed from just before `posix_spawnp` to `waitpid`'s return, so the figure is the child's
/// life and nothing of the parent's (Foundation's `Process.waitUntilExit` polls its run loop
/// and adds up to tens of milliseconds to a process that takes a tenth of a second).
package struct TimedChildProcess: Sendable {
    /// Exit status when the child exited normally, else nil (see `signal`).
    package var exitStatus: Int32?
    /// The signal that ended the child, if one did.
    package var signal: Int32?
    /// Everything the child wrote to standard output.
    package var output: [UInt8]
    /// Seconds from spawn to exit.
    package var seconds: Double

    /// Runs `executable` (a path, or a name looked up in PATH) with `arguments`; standard
    /// input and standard error go to /dev/null, standard output is captured.
    /// - Throws: `TimedChildProcessError` when the pipe, the spawn, reading the output or
    ///   waiting for the child fails (the message names the executable and the errno text).
    package static func run(_ executable: String, _ arguments: [String]) throws -> TimedChildProcess {
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else {
            throw TimedChildProcessError("cannot make a pipe for \(executable): \(SystemCall.message(errno))")
        }
        let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])
        // Close-on-exec (pipe2 is not visible to Swift): the child gets the write end only
        // as its stdout, through dup2. (A spawn on another thread between pipe and fcntl
        // could inherit an end; the benchmarks that use this spawn from one thread.)
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        var readEndOpen = true
        defer { if readEndOpen { close(readEnd) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let start = MonotonicClock.nanoseconds()
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, executable, &actions, nil, argv, environ)
        close(writeEnd)
        guard spawned == 0 else {
            throw TimedChildProcessError("cannot start \(executable): \(SystemCall.message(spawned))")
        }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var readError: Int32 = 0
        while true {
            let count = SystemCall.retryingInterrupts { buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) } }
            if count < 0 { readError = errno }
            if count <= 0 { break }
            output.append(contentsOf: buffer[0..<count])
        }
        // Closed before the wait: a child still writing after a read error gets EPIPE
        // instead of blocking on a full pipe forever.
        close(readEnd)
        readEndOpen = false
        var status: Int32 = 0
        var waited: pid_t
        repeat { waited = waitpid(pid, &status, 0) } while waited == -1 && errno == EINTR
        guard waited == pid else {
            throw TimedChildProcessError("cannot wait for \(executable) (pid \(pid)): \(SystemCall.message(errno))")
        }
        guard readError == 0 else {
            throw TimedChildProcessError("cannot read the output of \(executable): \(SystemCall.message(readError))")
        }
        let seconds = Double(MonotonicClock.nanoseconds() - start) / 1e9
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift cannot import.
        let terminatingSignal = status & 0x7F
        return TimedChildProcess(
            exitStatus: terminatingSignal == 0 ? (status >> 8) & 0xFF : nil,
            signal: terminatingSignal == 0 ? nil : terminatingSignal, output: output, seconds: seconds)
    }
}

/// Why `TimedChildProcess.run` could not run the child.
package struct TimedChildProcessError: Error, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}
