import Checkpoints
import Foundation
import RecurrentNetwork

/// The model `charlstm train` builds when given none of --layers, --hidden, --embedding and
/// --dropout: the largest of a ladder of sizes that the budget can train well, regularised for
/// how many times it will read the text. (The rule and the measurements behind it are in the
/// README's "Choosing a model size".)
///
/// The budget is counted in characters trained on: `--steps` × batch × seq, `--epochs` × the
/// training text, or `--minutes` × 60 × the speed measured for the size on a 2-core machine
/// (`ladder`), so the choice is the same on every machine and for every run of the same command.
public enum ModelSizing {
    /// A size the rule may choose, with its training speed (chars/s, batch 50 × seq 50, 2 threads)
    /// on this project's 2-core AVX-512 machine when idle: the README's Performance figures
    /// for 2×128, 2×256, 2×512 and 3×512, the others from the ratios between the sizes measured
    /// with `Benchmarks/sizing.sh speed` (taken loaded, which slows every size about alike).
    struct Rung {
        var layers: Int, hidden: Int, charsPerSecond: Double
    }

    static let ladder = [
        Rung(layers: 2, hidden: 64, charsPerSecond: 300_000),
        Rung(layers: 2, hidden: 128, charsPerSecond: 130_000),
        Rung(layers: 2, hidden: 192, charsPerSecond: 75_000),
        Rung(layers: 2, hidden: 256, charsPerSecond: 40_000),
        Rung(layers: 2, hidden: 384, charsPerSecond: 21_000),
        Rung(layers: 2, hidden: 512, charsPerSecond: 10_000),
        Rung(layers: 3, hidden: 512, charsPerSecond: 5_500),
    ]

    /// Characters trained on per parameter that a size needs before it beats the next size
    /// down at equal characters (loss after N steps, README table).
    static let charactersPerParameter = 20.0
    /// At most this many parameters per training character: beyond it even dropout cannot keep
    /// a model from learning the text by heart. (On 100 KB of text a 2×256 model, 9 parameters
    /// per character, overfitted within 30 passes at dropout 0.3, yet its best loss still beat
    /// 2×128's and 2×64's: the bound is set below where that happens.)
    static let parametersPerCharacter = 4.0
    static let embedding = 64
    /// Share of a `--minutes` budget spent training rather than evaluating and saving.
    static let trainingShare = 0.9

    /// The size for a corpus of `trainingCharacters` (and `vocabularySize` characters) and the budget.
    public static func choose(vocabularySize: Int, trainingCharacters: Int, training c: TrainingConfiguration) -> ChosenSize {
        func parameters(_ rung: Rung) -> Double {
            Double(ParameterLayout(ModelConfiguration(vocabularySize: vocabularySize, embeddingSize: embedding,
                                                      hiddenSize: rung.hidden, layers: rung.layers)).totalCount)
        }
        // Threads beyond the measured two are not counted on: this machine had no more.
        let speedShare = Double(min(c.threads, 2)) / 2
        func budget(_ rung: Rung) -> Double {
            var characters = [Double]()
            if let steps = c.maxSteps { characters.append(Double(steps) * Double(c.batch * c.sequenceLength)) }
            if let epochs = c.maxEpochs { characters.append(Double(epochs) * Double(trainingCharacters)) }
            if let minutes = c.maxMinutes { characters.append(minutes * 60 * trainingShare * rung.charsPerSecond * speedShare) }
            return characters.min() ?? 0
        }
        let fitting = ladder.filter {
            budget($0) >= charactersPerParameter * parameters($0) && parameters($0) <= parametersPerCharacter * Double(trainingCharacters)
        }
        let rung = fitting.last ?? ladder[0]
        let characters = budget(rung)
        return ChosenSize(layers: rung.layers, hidden: rung.hidden, embedding: embedding,
                          dropout: dropout(epochs: characters / Double(max(trainingCharacters, 1))),
                          trainingCharacters: trainingCharacters, budgetCharacters: characters,
                          assumedCharsPerSecond: c.maxMinutes == nil ? nil : rung.charsPerSecond * speedShare)
    }

    /// Dropout for a model that reads its text `epochs` times: none for up to two passes (it
    /// barely sees a character twice), then rising with the logarithm of the passes, in steps
    /// of 0.05, to at most 0.4.
    static func dropout(epochs: Double) -> Float {
        guard epochs > 2 else { return 0 }
        let raw = min(0.4, 0.055 * log2(epochs))
        return Float((raw * 20).rounded() / 20)
    }
}
