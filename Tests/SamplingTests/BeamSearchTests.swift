import XCTest
import Kernels
import RecurrentNetwork
import Sampling
import Tokenization

/// Beam search, stop strings and log-probabilities on small untrained models with fixed seeds,
/// checked against independent computations with `InferenceState` alone.
final class BeamSearchTests: XCTestCase {
    func makeGenerator(_ alphabet: String, hidden: Int = 12, seed: UInt64 = 31,
                       settings: SamplingSettings = SamplingSettings(temperature: 1)) -> TextGenerator {
        let vocabulary = Vocabulary(building: alphabet.unicodeScalars)
        let configuration = ModelConfiguration(vocabularySize: vocabulary.count, embeddingSize: 5, hiddenSize: hidden, layers: 2)
        return TextGenerator(model: CharModel(configuration: configuration, seed: seed), vocabulary: vocabulary,
                             settings: settings, seed: 1)
    }

    /// The model's log-probability of `text` after `prompt`, stepping a fresh state by hand.
    func logProbability(of text: [Int32], after prompt: [Int32], model: CharModel) -> Double {
        let state = InferenceState(model: model)
        prompt.forEach { state.step($0) }
        var total = 0.0
        for token in text {
            let logits = state.logits.array
            let maximum = logits.max()!
            let normalizer = Double(maximum) + log(logits.reduce(0.0) { $0 + exp(Double($1 - maximum)) })
            total += Double(logits[Int(token)]) - normalizer
            state.step(token)
        }
        return total
    }

    func search(_ generator: TextGenerator, prompt: String, width: Int, length: Int) -> BeamSearch.Result {
        generator.reset()
        generator.feed(try! generator.vocabulary.encode(prompt.unicodeScalars))
        return BeamSearch(width: width).run(on: generator, length: length)
    }

    func testBeamSearch_widthOneIsGreedy() {
        let generator = makeGenerator("abcdefgh \n", settings: SamplingSettings(temperature: 0))
        let prompt = try! generator.vocabulary.encode("abc".unicodeScalars)
        generator.feed(prompt)
        var greedy = [Int32]()
        generator.continueText(count: 60) { greedy.append(generator.vocabulary.index(of: $0)!); return true }
        let found = search(generator, prompt: "abc", width: 1, length: 60)
        XCTAssertEqual(found.tokens, greedy)
        XCTAssertEqual(found.logProbability, logProbability(of: greedy, after: prompt, model: generator.model), accuracy: 1e-9)
    }

    /// With a beam as wide as every text of length L-1 has continuations, nothing is pruned:
    /// the search must find the best of all V^L texts, found here by enumerating them.
    func testBeamSearch_wideEnoughBeamFindsTheMostLikelyTextOfAll() {
        let generator = makeGenerator("abc", hidden: 8, seed: 5)
        let prompt = try! generator.vocabulary.encode("ab".unicodeScalars)
        let length = 4, v = generator.vocabulary.count
        var best = (score: -Double.infinity, tokens: [Int32]())
        for code in 0..<Int(pow(Double(v), Double(length))) {
            var c = code
            let tokens = (0..<length).map { _ -> Int32 in defer { c /= v }; return Int32(c % v) }
            let score = logProbability(of: tokens, after: prompt, model: generator.model)
            if score > best.score { best = (score, tokens) }
        }
        let found = search(generator, prompt: "ab", width: 27, length: length)
        XCTAssertEqual(found.tokens, best.tokens)
        XCTAssertEqual(found.logProbability, best.score, accuracy: 1e-9)
    }

    func testBeamSearch_reportsTheLogProbabilityOfItsTextAndBeatsGreedy() {
        let generator = makeGenerator("abcdefgh \n", hidden: 16)
        let prompt = try! generator.vocabulary.encode("bad".unicodeScalars)
        let greedy = search(generator, prompt: "bad", width: 1, length: 80)
        let wide = search(generator, prompt: "bad", width: 8, length: 80)
        XCTAssertEqual(wide.tokens.count, 80)
        XCTAssertEqual(wide.logProbability, logProbability(of: wide.tokens, after: prompt, model: generator.model), accuracy: 1e-6)
        XCTAssertGreaterThanOrEqual(wide.logProbability, greedy.logProbability)
    }

    /// A beam ending with a stop string is finished; the search returns the most likely text
    /// that ends with one (or has the full length), and that text holds no earlier stop.
    func testBeamSearch_endsRightAfterAStopString() {
        let generator = makeGenerator("abcdefgh \n", hidden: 16)
        let free = search(generator, prompt: "bad", width: 4, length: 60)
        let text = generator.vocabulary.decode(free.tokens)
        // A stop string the free search produces: its text must now end right after it.
        let stop = String(text.unicodeScalars.dropFirst(10).prefix(2))
        generator.stops = StopStrings([stop])
        let stopped = search(generator, prompt: "bad", width: 4, length: 60)
        let stoppedText = generator.vocabulary.decode(stopped.tokens)
        XCTAssertTrue(stopped.reachedStop)
        XCTAssertTrue(stoppedText.hasSuffix(stop), stoppedText)
        XCTAssertFalse(stoppedText.dropLast(1).contains(stop), stoppedText)
        let prompt = try! generator.vocabulary.encode("bad".unicodeScalars)
        XCTAssertEqual(stopped.logProbability, logProbability(of: stopped.tokens, after: prompt, model: generator.model), accuracy: 1e-6)
    }

    func testTextGenerator_logProbabilityIsTheModelsOwnWhateverTheTemperature() {
        for settings in [SamplingSettings(temperature: 0), SamplingSettings(temperature: 1.7, topK: 3)] {
            let generator = makeGenerator("abcdefgh \n", settings: settings)
            generator.measuresLogProbability = true
            let prompt = try! generator.vocabulary.encode("hag".unicodeScalars)
            generator.feed(prompt)
            var drawn = [Int32]()
            generator.continueText(count: 100) { drawn.append(generator.vocabulary.index(of: $0)!); return true }
            XCTAssertEqual(generator.logProbability, logProbability(of: drawn, after: prompt, model: generator.model), accuracy: 1e-6)
        }
    }

    /// Sampling ends right after the first occurrence of a stop string, which may begin in the
    /// prompt; the prompt alone does not trigger it.
    func testTextGenerator_stopStringsEndTheTextRightAfterTheirFirstOccurrence() {
        let generator = makeGenerator("abcdefgh \n", settings: SamplingSettings(temperature: 1.5))
        func continuation(_ prompt: String, stops: [String], seed: UInt64) -> String {
            generator.reset()
            generator.reseed(seed)
            generator.stops = StopStrings(stops)
            generator.feed(try! generator.vocabulary.encode(prompt.unicodeScalars))
            var out = String.UnicodeScalarView()
            generator.continueText(count: 400) { out.append($0); return true }
            return String(out)
        }
        let free = continuation("abc", stops: [], seed: 9)
        for stop in ["a", "hb", "\n"] where free.contains(stop) {
            let cut = continuation("abc", stops: [stop, "zz"], seed: 9)
            let expected = free[..<free.range(of: stop)!.upperBound]
            XCTAssertEqual(cut, String(expected), "stop \(stop)")
        }
        // "ca" spans the prompt's last character and the first one written.
        let first = free.unicodeScalars.first!
        let spanning = "c" + String(first)
        XCTAssertEqual(continuation("abc", stops: [spanning], seed: 9), String(first))
        // The prompt holds "ab", but only text that ends in the continuation counts.
        let unstopped = continuation("abc", stops: ["ab"], seed: 9)
        XCTAssertEqual(unstopped, free.range(of: "ab").map { String(free[..<$0.upperBound]) } ?? free)
    }
}
