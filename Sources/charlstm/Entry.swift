import ArgumentParser
import CharLSTM
import Checkpoints
import Console
import Foundation
import Kernels
import MessagePassing
import Tokenization
import Training

/// The `charlstm` command: only the list of subcommands; each lives in its own file.
struct CharLSTMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "charlstm",
        abstract: "Learn the style of any text with a stacked LSTM, and write new text in that style.",
        version: ToolVersion.current,
        subcommands: [TrainCommand.self, GenerateCommand.self, ReplCommand.self, EvalCommand.self, InfoCommand.self,
                      InspectCommand.self, CacheCommand.self, ServeCommand.self])
}

/// Runs the command line with the project's exit-status contract: 0 success, 1 runtime
/// failure, 2 bad usage or bad input, always with one line on stderr saying what was wrong.
/// (swift-argument-parser's own usage status is 64; this maps it to 2.)
@main
enum Entry {
    static func main() {
        #if CHARLSTM_FUZZ
        CommandLineFuzzing.run()
        #endif
        BLASKernelSelection.chooseFastKernelsIfMisdetected()
        do {
            var command = try CharLSTMCommand.parseAsRoot(NegativeNumberArguments.joined(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch {
            let status = report(error)
            DataParallelJob.leave()
            exit(status)
        }
        DataParallelJob.leave()
    }

    static func report(_ error: Error) -> Int32 {
        if let stopped = error as? StoppedWithRankZero { return stopped.status }
        if case let code as ExitCode = error { return code.rawValue }
        guard let (message, status) = failure(error) else {
            // --help and --version: not a failure, the text goes to stdout.
            if !DataParallelJob.isSilentRank { print(CharLSTMCommand.fullMessage(for: error)) }
            return 0
        }
        // Open MPI missing on one host is that rank's own news; everything else rank 0 says.
        if !DataParallelJob.isSilentRank || error is MPIUnavailable { Terminal.note("charlstm: " + message) }
        return status
    }

    /// The one line and the exit status an error ends the process with; nil when it is no
    /// failure (help was asked for).
    static func failure(_ error: Error) -> (message: String, status: Int32)? {
        switch error {
        case let error as CharLSTMError: return (error.message, error.isBadInput ? 2 : 1)
        case let error as UsageError: return (error.description, 2)
        case let error as CorpusError: return (error.description, 2)
        case let error as CheckpointError: return (error.description, 2)
        case let error as VocabularyError: return (error.description, 2)
        case let error as FileWriteError: return (error.description, 1)
        case let error as RuntimeFailure: return (error.description, 1)
        case let error as RankFailure: return (error.description, error.status)
        case let error as ReplicasDisagree: return (error.description, 1)
        case let error as MPIUnavailable: return (error.description, 1)
        case let error as StoppedWithRankZero: return ("stopped with rank 0", error.status)
        case let error as ExitCode: return ("exit status \(error.rawValue)", error.rawValue)
        default:
            let code = CharLSTMCommand.exitCode(for: error)
            if code == .success { return nil }
            let message = CharLSTMCommand.message(for: error)
                .replacingOccurrences(of: "Error: ", with: "")
                .split(separator: "\n").first.map(String.init) ?? "invalid arguments"
            return ("\(message) (see 'charlstm help')", 2)
        }
    }
}

/// A failure while doing valid work (a diverged run, a full disk): one line, exit status 1.
struct RuntimeFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
