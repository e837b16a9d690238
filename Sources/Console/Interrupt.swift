import Foundation

/// Ctrl-C handling for long-running work: the first SIGINT asks the work to stop at a safe
/// point (it polls `requested`); a second one, while the first is still pending, exits at once.
/// SIGTERM (`kill`, a job scheduler, a system shutdown) and SIGHUP (the terminal or the SSH
/// session closed) are handled the same way when asked, so an overnight run that is told to
/// stop saves its progress instead of dying mid-epoch. So is SIGUSR1, which `mpirun` forwards
/// to every rank of a job (SIGTERM makes mpirun end the job, with status 1 whatever the ranks do).
public enum Interrupt {
    /// The pending signal's number (0 for none), set by the handler and read by the work loop;
    /// word-sized stores are atomic here. It lives behind a constant pointer, not in a `static
    /// var`, because the handler runs on whichever thread it interrupts: when that thread was in
    /// the middle of reading a Swift variable (`requested`, polled per character), the handler's
    /// write to the same variable is an overlapping access that the runtime's exclusivity check
    /// catches, and it aborts the process (status 134). Memory reached through a pointer is not
    /// tracked, so the handler touches nothing but these two words.
    private static let pending = signalWord()
    /// Nonzero when a second signal, while the first is pending, ends the process at once.
    private static let secondExits = signalWord()

    private static func signalWord() -> UnsafeMutablePointer<sig_atomic_t> {
        let word = UnsafeMutablePointer<sig_atomic_t>.allocate(capacity: 1)
        word.initialize(to: 0)
        return word
    }

    /// Installs the handler for SIGINT, and with `terminate` for SIGTERM, SIGHUP and SIGUSR1 too. With
    /// `secondExits`, a second signal before `clear()` ends the process with status 128 + its
    /// number (130 for SIGINT), the shell convention for death by a signal.
    public static func install(secondExits: Bool = true, terminate: Bool = false) {
        // Both words are set up here, before any handler can run and need them.
        pending.pointee = 0
        Self.secondExits.pointee = secondExits ? 1 : 0
        let handler: @convention(c) (Int32) -> Void = { number in
            if Interrupt.pending.pointee != 0 && Interrupt.secondExits.pointee != 0 {
                let message = "\ninterrupted again: exiting now\n"
                _ = message.withCString { write(2, $0, strlen($0)) }
                _exit(128 + number)
            }
            Interrupt.pending.pointee = number
        }
        signal(SIGINT, handler)
        if terminate {
            signal(SIGTERM, handler)
            signal(SIGHUP, handler)
            signal(SIGUSR1, handler)
        }
    }

    /// Whether Ctrl-C was pressed (or SIGTERM came) since the last `clear()`.
    public static var requested: Bool { pending.pointee != 0 }

    /// The exit status for a process that stops because of the pending signal: 128 + its number.
    public static var exitStatus: Int32 {
        let number = pending.pointee
        return 128 + (number != 0 ? number : SIGINT)
    }

    public static func clear() { pending.pointee = 0 }
}
