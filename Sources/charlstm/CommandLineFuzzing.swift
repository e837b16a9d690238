#if CHARLSTM_FUZZ
import FuzzDriver

/// Fuzz target: the command line's parsing and option validation (swift-argument-parser and
/// every command's `validate()`), built into this binary by scripts/fuzz.sh (`CHARLSTM_FUZZ`),
/// which then runs libFuzzer instead of a command. An input is the arguments, separated by NUL.
///
/// Contract: every command line is either accepted (parsed and validated, ready to run) or
/// refused through `Entry.report` with exit status 2 (or 0 for help), never a trap.
enum CommandLineFuzzing {
    static func run() -> Never {
        fuzz { bytes in
            let arguments = bytes.split(separator: 0, omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
            do {
                _ = try CharLSTMCommand.parseAsRoot(NegativeNumberArguments.joined(arguments))
            } catch {
                let status = Entry.report(error)
                if status != 2 && status != 0 { fuzzFailure("\(arguments) was refused with status \(status), not 2") }
            }
        }
    }
}
#endif
