import Foundation
import XCTest

/// The built `charlstm` run on a pseudo-terminal, as a person at a keyboard would run it: the
/// child is a session leader whose controlling terminal is the pty, so a typed Ctrl-C (0x03)
/// reaches it as SIGINT and Ctrl-D (0x04) as end of input, exactly as in a real terminal.
final class PseudoTerminal {
    let process: pid_t
    private let master: Int32
    /// Everything the child has written so far (escape codes included), as received.
    private(set) var transcript = Data()
    /// How far `waitFor` has consumed `transcript`.
    private var consumed = 0

    /// `columns`, when given, is the terminal's width, as a terminal window of that size reports it.
    init(_ arguments: [String], in folder: String, environment: [String: String], columns: UInt16? = nil) throws {
        master = PTY.openpt(O_RDWR | O_NOCTTY)
        guard master >= 0, PTY.grantpt(master) == 0, PTY.unlockpt(master) == 0, let name = PTY.ptsname(master) else {
            throw PseudoTerminalError(description: "no pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        if let columns {
            var size = winsize(ws_row: 24, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
            _ = ioctl(master, UInt(TIOCSWINSZ), &size)
        }
        let slavePath = String(cString: name)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // After setsid, opening the terminal makes it the child's controlling terminal.
        posix_spawn_file_actions_addopen(&actions, 0, slavePath, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)
        _ = PTY.addchdir(&actions, folder)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, PTY.setsidFlag)
        let argv = ([Workspace.binary] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, Workspace.binary, &actions, &attributes, argv, envp)
        guard status == 0 else { throw PseudoTerminalError(description: "cannot start charlstm: \(String(cString: strerror(status)))") }
        process = pid
    }

    deinit {
        kill(process, SIGKILL)
        var status: Int32 = 0
        waitpid(process, &status, 0)
        close(master)
    }

    /// Sends keystrokes, as typed.
    func type(_ keys: String) {
        let bytes = Array(keys.utf8)
        _ = bytes.withUnsafeBytes { write(master, $0.baseAddress!, $0.count) }
    }

    /// Reads what the child writes until the text since the last wait contains `marker`; returns
    /// that text up to and including the marker. Nil after `timeout` seconds without it.
    func waitFor(_ marker: String, timeout: TimeInterval = 60) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let pending = String(decoding: transcript[consumed...], as: UTF8.self)
            if let range = pending.range(of: marker) {
                let text = String(pending[..<range.upperBound])
                consumed += text.utf8.count
                return text
            }
            guard Date() < deadline, readAvailable(waitingUpTo: 0.1) else { return nil }
        }
    }

    /// Reads whatever is there within `seconds`; false once the child has closed the terminal.
    @discardableResult
    func readAvailable(waitingUpTo seconds: Double) -> Bool {
        var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, Int32(seconds * 1000)) > 0 else { return true }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = read(master, &buffer, buffer.count)
        guard n > 0 else { return false }
        transcript.append(contentsOf: buffer[0..<n])
        return true
    }

    /// Waits for the child to exit (reading its output meanwhile); its exit status, or nil on timeout.
    func waitForExit(timeout: TimeInterval = 30) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while Date() < deadline {
            if waitpid(process, &status, WNOHANG) == process {
                return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            }
            readAvailable(waitingUpTo: 0.05)
        }
        return nil
    }
}

/// The pty and spawn calls Swift's Glibc module leaves out (they sit behind _XOPEN_SOURCE and
/// _GNU_SOURCE in the C headers), looked up in the C library at run time.
private enum PTY {
    static func function<T>(_ name: String, as type: T.Type) -> T {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { fatalError("no \(name) in libc") }
        return unsafeBitCast(symbol, to: type)
    }
    static let openpt = function("posix_openpt", as: (@convention(c) (Int32) -> Int32).self)
    static let grantpt = function("grantpt", as: (@convention(c) (Int32) -> Int32).self)
    static let unlockpt = function("unlockpt", as: (@convention(c) (Int32) -> Int32).self)
    static let ptsname = function("ptsname", as: (@convention(c) (Int32) -> UnsafeMutablePointer<CChar>?).self)
    static let addchdir = function("posix_spawn_file_actions_addchdir_np",
                                   as: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32).self)
    /// glibc's POSIX_SPAWN_SETSID: the child starts a new session.
    static let setsidFlag: Int16 = 0x80
}

struct PseudoTerminalError: Error, CustomStringConvertible { let description: String }
