import ArgumentParser
import Checkpoints
import Console
import Foundation
import Kernels
import Tokenization
import Training

/// The `charlstm` command: only the list of subcommands; each lives in its own file.
struct CharLSTMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "charlstm",
        abstract: "Learn the style of any text with a stacked LSTM, and write new text in that style.",
        version: ToolVersion.current,
        subcommands: [TrainCommand.self, GenerateCommand.self, ReplCommand.self, EvalCommand.self, InfoCommand.self,
                      InspectCommand.self, CacheCommand.self])
}

/// Runs the command line with the project's exit-status contract: 0 success, 1 runtime
/// failure, 2 bad usage or bad input, always with one line on stderr saying what was wrong.
/// (swift-argument-parser's own usage status is 64; this maps it to 2.)
@main
enum Entry {
    static func main() {
        BLASKernelSelection.chooseFastKernelsIfMisdetected()
        do {
            var command = try CharLSTMCommand.parseAsRoot(NegativeNumberArguments.joined(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch {
            exit(report(error))
        }
    }

    static func report(_ error: Error) -> Int32 {
        switch error {
        case let error as UsageError: return fail(error.description, status: 2)
        case let error as CorpusError: return fail(error.description, status: 2)
        case let error as CheckpointError: return fail(error.description, status: 2)
        case let error as VocabularyError: return fail(error.description, status: 2)
        case let error as FileWriteError: return fail(error.description, status: 1)
        case let error as RuntimeFailure: return fail(error.description, status: 1)
        case is ExitCode: return (error as! ExitCode).rawValue
        default:
            let code = CharLSTMCommand.exitCode(for: error)
            if code == .success {
                print(CharLSTMCommand.fullMessage(for: error))
                return 0
            }
            let message = CharLSTMCommand.message(for: error)
                .replacingOccurrences(of: "Error: ", with: "")
                .split(separator: "\n").first.map(String.init) ?? "invalid arguments"
            return fail("\(message) (see 'charlstm help')", status: 2)
        }
    }

    static func fail(_ message: String, status: Int32) -> Int32 {
        Terminal.note("charlstm: " + message)
        return status
    }
}

/// A failure while doing valid work (a diverged run, a full disk): one line, exit status 1.
struct RuntimeFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
