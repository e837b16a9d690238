import Foundation

/// Ctrl-C handling for long-running work: the first SIGINT asks the work to stop at a safe
/// point (it polls `requested`); a second one, while the first is still pending, exits at once.
/// SIGTERM (`kill`, a job scheduler, a system shutdown) and SIGHUP (the terminal or the SSH
/// session closed) are handled the same way when asked, so an overnight run that is told to
/// stop saves its progress instead of dying mid-epoch. So is SIGUSR1, which `mpirun` forwards
/// to every rank of a job (SIGTERM makes mpirun end the job, with status 1 whatever the ranks do).
public enum Interrupt {
    /// Set from the signal handler; read by the work loop. Word-sized stores are atomic here.
    nonisolated(unsafe) private static var pending: sig_atomic_t = 0
    nonisolated(unsafe) private static var hardExit = true

    /// Installs the handler for SIGINT, and with `terminate` for SIGTERM, SIGHUP and SIGUSR1 too. With
    /// `secondExits`, a second signal before `clear()` ends the process with status 128 + its
    /// number (130 for SIGINT), the shell convention for death by a signal.
    public static func install(secondExits: Bool = true, terminate: Bool = false) {
        hardExit = secondExits
        let handler: @convention(c) (Int32) -> Void = { number in
            if Interrupt.pending != 0 && Interrupt.hardExit {
                let message = "\ninterrupted again: exiting now\n"
                _ = message.withCString { write(2, $0, strlen($0)) }
                _exit(128 + number)
            }
            Interrupt.pending = number
        }
        signal(SIGINT, handler)
        if terminate {
            signal(SIGTERM, handler)
            signal(SIGHUP, handler)
            signal(SIGUSR1, handler)
        }
    }

    /// Whether Ctrl-C was pressed (or SIGTERM came) since the last `clear()`.
    public static var requested: Bool { pending != 0 }

    /// The exit status for a process that stops because of the pending signal: 128 + its number.
    public static var exitStatus: Int32 { 128 + (pending != 0 ? pending : SIGINT) }

    public static func clear() { pending = 0 }
}
