import Checkpoints
import Console
import Foundation
import Training

/// Shows a training run: a live status line on a terminal, plain log lines otherwise, and a
/// short sample at each evaluation. Everything goes to stderr; stdout is left for `--json`.
final class ConsoleTrainingReporter: TrainingReporter {
    let json: Bool
    let live = Terminal.stderrIsTerminal
    var line = ProgressLine()
    var lastPlainLine = Date.distantPast

    /// Notes from setting up the run (the token cache, a grown vocabulary), shown once it
    /// starts: a start that fails prints its one error line alone.
    private var setupNotes = [String]()

    init(json: Bool) { self.json = json }

    func noteOnStart(_ message: String) { setupNotes.append(message) }

    func started(_ trainer: Trainer) {
        setupNotes.forEach(note)
        let m = trainer.model.configuration, c = trainer.configuration
        let resumed = trainer.position.step > 0 ? " (resumed at step \(trainer.position.step))"
            : trainer.parent.map { " (fine-tuning \($0.file))" } ?? ""
        let regularised = m.regularisationSummary == "no dropout" ? "" : " (\(m.regularisationSummary))"
        let decay = (c.weightDecay ?? 0) > 0 ? " weight decay \(c.weightDecay!)" : ""
        note("training \(m.layers)×\(m.hiddenSize) \(m.cell.displayName)\(regularised), \(trainer.model.parameterCount) parameters, \(m.vocabularySize) characters; batch \(c.batch) × seq \(c.sequenceLength)\(processes(trainer)), \(trainer.stepsPerEpoch) steps/epoch, \(c.optimizer.rawValue) lr \(c.learningRate)\(decay) \(schedule(c)) → \(trainer.run.path)\(resumed)")
    }

    /// The schedule as the start line names it, with the budget a cosine ends at.
    func schedule(_ c: TrainingConfiguration) -> String {
        switch c.effectiveSchedule {
        case .constant: return "constant"
        case .epochDecay: return "× \(c.learningRateDecay) per epoch"
        case .cosine:
            let ends = [c.maxSteps.map { "step \($0)" }, c.maxEpochs.map { "epoch \($0)" },
                        c.maxMinutes.map { "\(formatDuration($0 * 60)) of training" }].compactMap { $0 }
            return String(format: "cosine to %.3g at ", Double(c.learningRate) * LearningRateSchedule.floorFraction) + ends.joined(separator: " or ")
        }
    }

    /// Milliseconds per step in the all-reduce of a data-parallel run; nil in one process.
    func allReduce(_ trainer: Trainer) -> Double? {
        trainer.allReduceSteps > 0 ? 1000 * trainer.allReduceSeconds / Double(trainer.allReduceSteps) : nil
    }

    /// How a data-parallel run splits the batch; nothing in one process.
    func processes(_ trainer: Trainer) -> String {
        let n = trainer.group.size
        return n > 1 ? " over \(n) processes (\(trainer.ownStreams.count) streams each)" : ""
    }

    func progress(_ s: TrainingStatus) {
        if live {
            line.show(describe(s))
        } else if Date().timeIntervalSince(lastPlainLine) >= 10 {
            note(describe(s))
            lastPlainLine = Date()
        }
    }

    func evaluated(_ s: TrainingStatus, sample: String) {
        line.clear()
        let validation = s.lastValidationLoss.map { String(format: "val %.4f", $0) } ?? "no validation text"
        let best = s.bestValidationLoss.map { String(format: " (best %.4f)", $0) } ?? ""
        note(String(format: "step %d · epoch %d · train %.4f · ", s.step, s.epochNumber, s.smoothedLoss) + validation + best)
        let indented = sample.split(separator: "\n", omittingEmptySubsequences: false).map { "  │ " + $0 }.joined(separator: "\n")
        note(indented)
    }

    func finished(_ trainer: Trainer, _ outcome: TrainingOutcome) {
        line.clear()
        let why: String
        switch outcome.reason {
        case .budgetReached: why = "budget reached"
        case .interrupted: why = "interrupted"
        case .noImprovement(let evaluations): why = "no new best validation loss in \(evaluations) evaluations, --patience"
        case .diverged: why = "diverged"
        }
        let best = outcome.bestValidationLoss.map { String(format: "best val %.4f nats/char (%.4f bits/char)", $0, $0 / log(2)) }
            ?? "no validation loss"
        let saved = outcome.lastCheckpoint == nil ? "nothing saved" : "checkpoints in \(trainer.run.path)"
        note("stopped at step \(outcome.step) (\(why)); \(best); \(saved)\(allReduce(trainer).map { String(format: "; all-reduce %.1f ms/step", $0) } ?? "")")
        if json {
            var summary: [String: Any] = ["run": trainer.run.path, "step": outcome.step, "stop_reason": why,
                                          "epoch": trainer.position.epochNumber]
            if let bestLoss = outcome.bestValidationLoss { summary["best_val_loss"] = bestLoss }
            if let last = outcome.lastCheckpoint { summary["last_checkpoint"] = last }
            if let milliseconds = allReduce(trainer) {
                summary["processes"] = trainer.group.size
                summary["allreduce_ms_per_step"] = milliseconds
            }
            if let data = try? JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]) {
                print(String(decoding: data, as: UTF8.self))
            }
        }
    }

    func note(_ message: String) {
        line.clear()
        Terminal.note(message)
    }

    func describe(_ s: TrainingStatus) -> String {
        var parts = ["epoch \(s.epochNumber)", "step \(s.step)", String(format: "loss %.4f", s.smoothedLoss)]
        if let v = s.lastValidationLoss { parts.append(String(format: "val %.4f", v)) }
        parts.append(String(format: "lr %.3g", s.learningRate))
        parts.append(String(format: "%.0f chars/s", s.charsPerSecond))
        parts.append(formatDuration(s.elapsed) + " elapsed")
        if let r = s.remaining { parts.append("ETA " + formatDuration(r)) }
        return parts.joined(separator: " · ")
    }
}
