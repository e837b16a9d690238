import Foundation

/// Ctrl-C handling for long-running work: the first SIGINT asks the work to stop at a safe
/// point (it polls `requested`); a second one, while the first is still pending, exits at once.
public enum Interrupt {
    /// Set from the signal handler; read by the work loop. Word-sized stores are atomic here.
    nonisolated(unsafe) private static var pending: sig_atomic_t = 0
    nonisolated(unsafe) private static var hardExit = true

    /// Installs the handler. With `secondExits`, a second Ctrl-C before `clear()` ends the
    /// process with status 130, the shell convention for death by SIGINT.
    public static func install(secondExits: Bool = true) {
        hardExit = secondExits
        signal(SIGINT) { _ in
            if Interrupt.pending != 0 && Interrupt.hardExit {
                let message = "\ninterrupted again: exiting now\n"
                _ = message.withCString { write(2, $0, strlen($0)) }
                _exit(130)
            }
            Interrupt.pending = 1
        }
    }

    /// Whether Ctrl-C was pressed since the last `clear()`.
    public static var requested: Bool { pending != 0 }

    public static func clear() { pending = 0 }
}
