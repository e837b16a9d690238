import Foundation
import Kernels
import Tokenization
import Training

/// How well a model predicts a text: the mean loss per character, as `charlstm eval` reports it.
public struct Score: Sendable, Equatable {
    /// Characters predicted (the text's length, less those left out to cut it into equal streams).
    public let characters: Int
    /// Mean cross-entropy: nats per character.
    public let natsPerCharacter: Double
    /// The same loss in bits per character.
    public var bitsPerCharacter: Double { natsPerCharacter / log(2) }
    /// With dynamic evaluation asked for: the loss of a copy of the model that takes a gradient
    /// step after scoring each window (see `TextModel.score(_:streams:window:adaptingAt:precision:notes:)`).
    public var dynamicNatsPerCharacter: Double? = nil
}

extension TextModel {
    /// Parallel streams a text is cut into for scoring, by default.
    public static let defaultScoringStreams = 50
    /// Characters per stream run in one pass, by default.
    public static let defaultScoringWindow = 256

    /// Scores `text` as `charlstm eval` scores a file: cut into up to `streams` equal parallel
    /// streams, each read from a fresh state to its end; the loss is the mean over every
    /// prediction. One stream reads the text as one sequence.
    ///
    /// Scoring runs on all the machine's cores (a process-wide setting of the library's math).
    ///
    /// - Throws: ``CharLSTMError`` of kind `settings` for `streams` or `window` below 1,
    ///   `unknownCharacters` for a character the model does not know, `corpus` for a text
    ///   shorter than 2 characters.
    public func score(_ text: String, streams: Int = defaultScoringStreams,
                      window: Int = defaultScoringWindow) throws(CharLSTMError) -> Score {
        try score(try tokens(text, what: "text"), streams: streams, window: window, source: "the text")
    }

    /// Scores a corpus as ``score(_:streams:window:)`` scores a string, reading it through
    /// the token cache, as training does, so it need not fit in memory.
    ///
    /// - Parameters:
    ///   - corpus: the files and folders, and how to read them.
    ///   - streams: the most parallel streams to cut the text into.
    ///   - window: characters per stream run in one pass (the loss does not depend on it).
    ///   - learningRate: also measure the loss under dynamic evaluation (Krause et al., 2018):
    ///     each window is scored, then a copy of the weights takes one Adam step of this
    ///     learning rate on it; the model itself is not changed. nil: static only.
    ///   - precision: the weights to score with. A reduced precision runs the products that
    ///     writing text at it runs, one character at a time, so the loss shows what it costs;
    ///     dynamic evaluation needs fp32.
    ///   - notes: receives what the token cache did ("encoded …", "reusing …").
    /// - Throws: ``CharLSTMError`` as ``score(_:streams:window:)`` does, and of kind `corpus`
    ///   for files that are missing, empty or not UTF-8.
    public func score(_ corpus: Corpus, streams: Int = defaultScoringStreams, window: Int = defaultScoringWindow,
                      adaptingAt learningRate: Float? = nil, precision: Precision = .fp32,
                      notes: (String) -> Void = { _ in }) throws(CharLSTMError) -> Score {
        if learningRate != nil && precision != .fp32 {
            throw CharLSTMError(.settings, "dynamic evaluation adapts fp32 weights: score at \(precision.rawValue) without it")
        }
        let named = corpus.paths.joined(separator: ", ")
        let tokens = try CharLSTMError.converting(otherwise: .corpus) {
            let text = try corpus.cache.open(corpus.paths, invalidUTF8: corpus.invalidUTF8, report: notes)
            do {
                return try text.tokens(in: 0..<text.count, vocabulary: loaded.checkpoint.vocabulary)
            } catch let error as VocabularyError {
                throw CharLSTMError(.unknownCharacters, "\(named): \(error)")
            }
        }
        return try score(tokens, streams: streams, window: window, adaptingAt: learningRate, precision: precision, source: named)
    }

    /// Adam's learning rate for dynamic evaluation, by default.
    public static let defaultAdaptationRate = Evaluator.defaultAdaptationRate

    private func score(_ tokens: any TokenSequence, streams: Int, window: Int, adaptingAt learningRate: Float? = nil,
                       precision: Precision = .fp32, source: String) throws(CharLSTMError) -> Score {
        guard streams >= 1, window >= 1 else {
            throw CharLSTMError(.settings, "streams and window must be at least 1 (got \(streams) and \(window))")
        }
        guard tokens.count >= 2 else { throw CharLSTMError(.corpus, "\(source): need at least 2 characters to evaluate") }
        Parallel.configure(threads: ProcessInfo.processInfo.activeProcessorCount)
        let model = loaded.checkpoint.model
        if precision != .fp32 {
            BLAS.threads = 1
            WorkerPool.shared.parallelism = ProcessInfo.processInfo.activeProcessorCount
            let stepped = SteppedEvaluator(model: model, tokens: tokens, batch: streams, window: window, precision: precision.weights)
            return Score(characters: stepped.predictionCount, natsPerCharacter: stepped.meanLoss())
        }
        let evaluator = Evaluator(model: model, tokens: tokens, batch: streams, window: window)
        let dynamic = learningRate.map {
            Evaluator(model: model.adaptableCopy(), tokens: tokens, batch: streams, window: window).dynamicMeanLoss(learningRate: $0)
        }
        return Score(characters: evaluator.predictionCount, natsPerCharacter: evaluator.meanLoss(), dynamicNatsPerCharacter: dynamic)
    }
}
