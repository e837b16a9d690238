import ArgumentParser
import Checkpoints
import Foundation
import Kernels
import RecurrentNetwork
import Sampling
import Tokenization

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "What a checkpoint holds: architecture, vocabulary, training position and losses.")

    @Argument(help: "A checkpoint file or a run folder (its best checkpoint).") var checkpoint: String
    @Flag(help: "Print as JSON.") var json = false

    func run() throws {
        let path = try resolveCheckpointArgument(checkpoint)
        let loaded = try Checkpoint.read(from: path)
        let m = loaded.model.configuration
        let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
        let vocabulary = String(String.UnicodeScalarView(loaded.vocabulary.scalars))
        if json {
            var object: [String: Any] = [
                "file": path, "file_bytes": size, "format_version": Checkpoint.formatVersion, "cell": m.cell.rawValue,
                "charlstm_version": ToolVersion.current,
                "layers": m.layers, "hidden": m.hiddenSize, "embedding": m.embeddingSize, "dropout": m.dropout,
                "dropout_mask": m.effectiveDropoutMask.rawValue, "embedding_dropout": m.embeddingDropout, "weight_drop": m.weightDrop,
                "vocabulary_size": m.vocabularySize, "vocabulary": vocabulary,
                "parameters": loaded.model.parameterCount,
                "weight_bytes_per_character": Dictionary(uniqueKeysWithValues: WeightPrecision.allCases.map {
                    ($0.rawValue, FusedWeights.bytesPerStep(m, precision: $0))
                }),
            ]
            if let p = loaded.position {
                object["step"] = p.step
                object["epoch"] = p.epochNumber
                object["elapsed_seconds"] = p.elapsedSeconds
                if let best = p.bestValidationLoss { object["best_val_loss"] = best }
                if let bestStep = p.bestStep { object["best_step"] = bestStep }
                object["history"] = p.history.map { ["step": $0.step, "train_loss": $0.trainLoss, "val_loss": $0.validationLoss] }
            }
            if let o = loaded.optimizer { object["optimizer"] = ["kind": o.kind.rawValue, "step": o.step] }
            if let parent = loaded.parent { object["parent"] = ["file": parent.file, "sha256": parent.sha256] }
            if let writtenBy = loaded.writtenBy { object["written_by"] = writtenBy }
            if let t = loaded.training, let data = try? JSONEncoder().encode(t),
               let training = try? JSONSerialization.jsonObject(with: data) {
                object["training"] = training
            }
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted]), as: UTF8.self))
            return
        }
        var lines = [
            "file          \(path) (\(formatBytes(size)), format version \(Checkpoint.formatVersion))",
            "version       written by \(loaded.writtenBy.map { "charlstm " + $0 } ?? "an unrecorded version (before 0.14.0, or another writer)"), read by charlstm \(ToolVersion.current)",
            "model         \(m.layers)×\(m.hiddenSize) \(m.cell.displayName), embedding \(m.embeddingSize), \(m.regularisationSummary), \(loaded.model.parameterCount) parameters",
            "vocabulary    \(m.vocabularySize) characters: \(printable(loaded.vocabulary))",
            "sampling      weights read per character: " + WeightPrecision.allCases.map {
                "\($0.rawValue) \(SamplingModel.formatBytes(FusedWeights.bytesPerStep(m, precision: $0)))" + ($0 == .fp32 ? " (default)" : "")
            }.joined(separator: ", ") + " (--precision on generate, repl and eval)",
        ]
        if let p = loaded.position {
            let best = p.bestValidationLoss.map { String(format: "%.4f nats/char (%.4f bits/char) at step %d", $0, $0 / log(2), p.bestStep ?? 0) } ?? "none yet"
            lines.append("trained       step \(p.step), epoch \(p.epochNumber), \(String(format: "%.0f", p.elapsedSeconds)) s")
            lines.append("best val      \(best)")
            if let last = p.history.last {
                lines.append(String(format: "last eval     step %d: train %.4f, val %.4f", last.step, last.trainLoss, last.validationLoss))
            }
        }
        if let t = loaded.training {
            let budget = [t.maxEpochs.map { "\($0) epochs" }, t.maxSteps.map { "\($0) steps" }, t.maxMinutes.map { "\($0) min" }]
                .compactMap { $0 }.joined(separator: ", ")
            let schedule = t.effectiveSchedule == .epochDecay ? "decay \(t.learningRateDecay)/epoch" : t.effectiveSchedule.summary
            lines.append("training      \(t.optimizer.rawValue) lr \(t.learningRate) (\(schedule))\(t.weightDecay.map { $0 > 0 ? ", weight decay \($0)" : "" } ?? ""), clip \(t.clip), batch \(t.batch) × seq \(t.sequenceLength), val fraction \(t.validationFraction), seed \(t.seed)\(budget.isEmpty ? "" : ", budget " + budget)")
            let evaluated = t.evaluationCharacters.map { "the first \($0)" } ?? "all"
            let hygiene = [t.patience.map { ", patience \($0)" }, t.saveEveryMinutes.map { ", save every \($0) min" }]
                .compactMap { $0 }.joined()
            lines.append("checkpoints   eval every \(t.evaluateEvery) steps on \(evaluated) held-out characters, keep \(t.keep)\(hygiene), threads \(t.threads)")
            let corpus = t.corpus.enumerated().map { index, typed -> String in
                guard let location = t.corpusLocations?[index] else { return typed }
                let at = typed == location.absolutePath ? "" : "at \(location.absolutePath), "
                return "\(typed) (\(at)\(location.summary))"
            }
            lines.append("corpus        \(corpus.joined(separator: ", "))")
            if let chosen = t.chosenSize {
                let speed = chosen.assumedCharsPerSecond.map { String(format: ", assuming ~%.0f chars/s", $0) } ?? ""
                lines.append("size chosen   \(chosen.layers)×\(chosen.hidden), embedding \(chosen.embedding), dropout \(String(format: "%g", chosen.dropout)) "
                             + "for \(chosen.trainingCharacters) training characters and a budget of ≈ "
                             + "\(RoughFigures.characters(chosen.budgetCharacters)) characters (\(RoughFigures.number(chosen.epochs, digits: 3)) passes\(speed))")
            }
        }
        if let parent = loaded.parent { lines.append("parent        \(parent.file) (sha256 \(parent.sha256))") }
        print(lines.joined(separator: "\n"))
    }

    func printable(_ vocabulary: Vocabulary) -> String {
        vocabulary.scalars.map { s -> String in
            switch s {
            case "\n": return "\\n"
            case "\t": return "\\t"
            case " ": return "␠"
            default:
                return s.properties.generalCategory == .control ? "\\u{\(String(s.value, radix: 16))}" : String(s)
            }
        }.joined()
    }

    func formatBytes(_ n: Int) -> String {
        n >= 1 << 20 ? String(format: "%.1f MiB", Double(n) / 1048576) : String(format: "%.1f KiB", Double(n) / 1024)
    }
}
