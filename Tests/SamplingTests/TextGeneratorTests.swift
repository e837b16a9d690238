import XCTest
import Foundation
import Kernels
import RecurrentNetwork
@testable import Sampling
import Tokenization

final class TextGeneratorTests: XCTestCase {
    let vocabulary = Vocabulary(building: "abcdefghij klmnop\n".unicodeScalars)

    func makeGenerator(seed: UInt64, settings: SamplingSettings = SamplingSettings(temperature: 1)) -> TextGenerator {
        let configuration = ModelConfiguration(vocabularySize: vocabulary.count, embeddingSize: 6, hiddenSize: 24, layers: 2)
        return TextGenerator(model: CharModel(configuration: configuration, seed: 11), vocabulary: vocabulary,
                             settings: settings, seed: seed)
    }

    func text(_ generator: TextGenerator, prompt: String = "abc", count: Int) -> String {
        generator.feed(try! generator.tokens(for: prompt, skippingUnknown: false).tokens)
        var out = String.UnicodeScalarView()
        generator.continueText(count: count) { out.append($0); return true }
        return String(out)
    }

    /// The generator's greedy text against a loop of its own: the step's argmax fed back each time.
    func testTextGenerator_greedyFollowsTheArgmaxAtEveryStep() {
        let generator = makeGenerator(seed: 1, settings: SamplingSettings(temperature: 0))
        let greedy = text(generator, count: 200)
        let state = InferenceState(model: generator.model)
        for token in try! vocabulary.encode("abc".unicodeScalars) { state.step(token) }
        var expected = [Int32]()
        for _ in 0..<200 {
            let logits = state.logits.array
            let best = Int32(logits.indices.max { logits[$0] < logits[$1] }!)
            expected.append(best)
            state.step(best)
        }
        XCTAssertEqual(greedy, vocabulary.decode(expected))
    }

    func testTextGenerator_sameSeedGivesTheSameText() {
        XCTAssertEqual(text(makeGenerator(seed: 42), count: 500), text(makeGenerator(seed: 42), count: 500))
    }

    func testTextGenerator_differentSeedsGiveDifferentText() {
        let texts = Set((1...5).map { text(makeGenerator(seed: $0), count: 200) })
        XCTAssertEqual(texts.count, 5)
    }

    /// Reading on after a pause is the same as one long run: the state and the random stream carry over.
    func testTextGenerator_continuingEqualsOneLongRun() {
        let whole = text(makeGenerator(seed: 5), count: 300)
        let generator = makeGenerator(seed: 5)
        var pieces = text(generator, count: 120)
        generator.continueText(count: 180) { pieces.unicodeScalars.append($0); return true }
        XCTAssertEqual(pieces, whole)
    }

    func testTextGenerator_resetForgetsTheText() {
        let generator = makeGenerator(seed: 6, settings: SamplingSettings(temperature: 0))
        let first = text(generator, count: 50)
        _ = text(generator, prompt: "klm", count: 50)
        generator.reset()
        XCTAssertEqual(text(generator, count: 50), first)
    }

    func testTextGenerator_stopsWhenTheConsumerSaysSo() {
        let generator = makeGenerator(seed: 7)
        var seen = 0
        let drawn = generator.continueText(count: 100) { _ in seen += 1; return seen < 10 }
        XCTAssertEqual(drawn, 10)
        XCTAssertEqual(seen, 10)
    }

    func testTextGenerator_unknownPromptCharactersAreNamedOrSkipped() {
        let generator = makeGenerator(seed: 8)
        XCTAssertThrowsError(try generator.tokens(for: "abZcZé", skippingUnknown: false)) { error in
            XCTAssertEqual(error as? VocabularyError, .unknownCharacters(["Z": 2, "é": 1]))
        }
        let (tokens, skipped) = try! generator.tokens(for: "abZcZé", skippingUnknown: true)
        XCTAssertEqual(vocabulary.decode(tokens), "abc")
        XCTAssertEqual(skipped, ["Z": 2, "é": 1])
    }
}

final class SamplingThreadsTests: XCTestCase {
    override func tearDown() { BLAS.threads = 1 }

    /// The thread count changes while text is written (a `ThreadTuner` times the candidates),
    /// so it must not change the text: fixed 1 or 2 threads, or switching every few steps.
    func testTextGenerator_threadCountDoesNotChangeTheText() {
        let vocabulary = Vocabulary(building: "abcdefghijklmnopqrstuvwxyz .,\n".unicodeScalars)
        let configuration = ModelConfiguration(vocabularySize: vocabulary.count, embeddingSize: 16, hiddenSize: 160, layers: 2)
        let model = CharModel(configuration: configuration, seed: 3)
        func text(threads: Int, tuner: ThreadTuner? = nil) -> String {
            BLAS.threads = threads
            let generator = TextGenerator(model: model, vocabulary: vocabulary, settings: SamplingSettings(temperature: 1), seed: 4)
            generator.state.threadTuner = tuner
            var out = String.UnicodeScalarView()
            generator.continueText(count: 300) { out.append($0); return true }
            return String(out)
        }
        let single = text(threads: 1)
        XCTAssertEqual(text(threads: 2), single)
        var switches = 0
        let tuner = ThreadTuner(candidates: [2, 1], trialSteps: 2, settledSteps: 3, warmupSteps: 1,
                                setThreads: { BLAS.threads = $0; switches += 1 })
        XCTAssertEqual(text(threads: 1, tuner: tuner), single)
        XCTAssertGreaterThan(switches, 50)
    }
}
