import XCTest
import Foundation
import Kernels
import Sampling

final class SamplerTests: XCTestCase {
    /// Logits whose softmax at temperature 1 is exactly proportional to `weights`.
    func logits(_ weights: [Float]) -> [Float] { weights.map { log($0) } }

    /// The indices a distribution gives non-zero probability.
    func support(_ distribution: [Float]) -> Set<Int> {
        Set(distribution.indices.filter { distribution[$0] > 0 })
    }

    func distribution(_ weights: [Float], _ settings: SamplingSettings) -> [Float] {
        var sampler = Sampler(settings: settings, vocabularySize: weights.count)
        return logits(weights).withUnsafeBufferPointer { sampler.distribution($0.baseAddress!) }
    }

    func testSampler_greedyEqualsArgmaxAtEveryStep() {
        var rng = SeededGenerator(seed: 1)
        var sampler = Sampler(settings: SamplingSettings(temperature: 0), vocabularySize: 37)
        for _ in 0..<500 {
            let scores = (0..<37).map { _ in rng.nextGaussian() }
            let expected = scores.indices.max { scores[$0] < scores[$1] }!
            let drawn = scores.withUnsafeBufferPointer { sampler.draw($0.baseAddress!, using: &rng) }
            XCTAssertEqual(Int(drawn), expected)
            let oneHot = scores.withUnsafeBufferPointer { sampler.distribution($0.baseAddress!) }
            XCTAssertEqual(support(oneHot), [expected])
        }
    }

    func testSampler_topKKeepsTheKMostLikely() {
        let d = distribution([0.1, 0.4, 0.05, 0.3, 0.15], SamplingSettings(temperature: 1, topK: 2))
        XCTAssertEqual(support(d), [1, 3])
        XCTAssertEqual(d[1], 0.4 / 0.7, accuracy: 1e-6)
        XCTAssertEqual(d[3], 0.3 / 0.7, accuracy: 1e-6)
    }

    /// A character exactly as likely as the k-th is kept too: which of equals is "in the top k"
    /// must not depend on the arbitrary order of the vocabulary.
    func testSampler_topKKeepsEveryCharacterTiedWithTheKth() {
        let weights: [Float] = [0.1, 0.2, 0.3, 0.2, 0.2]
        XCTAssertEqual(support(distribution(weights, SamplingSettings(temperature: 1, topK: 2))), [1, 2, 3, 4])
        XCTAssertEqual(support(distribution(weights, SamplingSettings(temperature: 1, topK: 1))), [2])
        XCTAssertEqual(support(distribution([0.3, 0.3, 0.4], SamplingSettings(temperature: 1, topK: 2))), [0, 1, 2])
        XCTAssertEqual(support(distribution([0.4, 0.4, 0.2], SamplingSettings(temperature: 1, topK: 1))), [0, 1])
        XCTAssertEqual(support(distribution(weights, SamplingSettings(temperature: 1, topK: 99))), [0, 1, 2, 3, 4])
    }

    func testSampler_topPKeepsTheSmallestSetReachingP() {
        let weights: [Float] = [0.15, 0.5, 0.05, 0.3]
        func kept(_ p: Float) -> Set<Int> { support(distribution(weights, SamplingSettings(temperature: 1, topP: p))) }
        XCTAssertEqual(kept(0.3), [1])
        XCTAssertEqual(kept(0.5), [1])        // 0.5 reaches 0.5 exactly
        XCTAssertEqual(kept(0.8), [1, 3])     // 0.5 + 0.3 reaches 0.8 despite float rounding
        XCTAssertEqual(kept(0.81), [0, 1, 3])
        XCTAssertEqual(kept(1), [0, 1, 2, 3])
        let d = distribution(weights, SamplingSettings(temperature: 1, topP: 0.8))
        XCTAssertEqual(d[1], 0.5 / 0.8, accuracy: 1e-6)
        XCTAssertEqual(d[3], 0.3 / 0.8, accuracy: 1e-6)
    }

    func testSampler_topPKeepsEveryCharacterTiedWithTheLastKept() {
        let weights: [Float] = [0.2, 0.4, 0.2, 0.2]
        XCTAssertEqual(support(distribution(weights, SamplingSettings(temperature: 1, topP: 0.5))), [0, 1, 2, 3])
        XCTAssertEqual(support(distribution(weights, SamplingSettings(temperature: 1, topP: 0.4))), [1])
    }

    /// Top-k first, then top-p on the top-k set renormalised (the order Hugging Face applies them):
    /// 0.4 alone is only 40% of everything but 57% of the top two.
    func testSampler_topPAppliesToTheRenormalisedTopKSet() {
        let weights: [Float] = [0.4, 0.3, 0.2, 0.1]
        XCTAssertEqual(support(distribution(weights, SamplingSettings(temperature: 1, topK: 2, topP: 0.5))), [0])
        XCTAssertEqual(support(distribution(weights, SamplingSettings(temperature: 1, topP: 0.5))), [0, 1])
    }

    func testSampler_temperatureSharpensAndFlattens() {
        let weights: [Float] = [0.6, 0.3, 0.1]
        let cold = distribution(weights, SamplingSettings(temperature: 0.5))
        XCTAssertEqual(cold[0], 0.36 / 0.46, accuracy: 1e-5)  // p^(1/T), renormalised
        let hot = distribution(weights, SamplingSettings(temperature: 2))
        let roots = weights.map { $0.squareRoot() }
        XCTAssertEqual(hot[2], roots[2] / roots.reduce(0, +), accuracy: 1e-5)
    }

    func testSampler_highTemperatureTendsToUniform() {
        var rng = SeededGenerator(seed: 2)
        let weights = (0..<65).map { _ in Float.random(in: 0.001...1, using: &rng) }
        var previous = Float.infinity
        for t: Float in [1, 10, 100, 10_000] {
            let d = distribution(weights, SamplingSettings(temperature: t))
            let distance = d.map { abs($0 - 1 / 65) }.max()!
            XCTAssertLessThan(distance, previous)
            previous = distance
        }
        XCTAssertLessThan(previous, 1e-5)
    }

    /// Draws follow the masked distribution and never pick a masked character.
    func testSampler_drawsFollowTheDistribution() {
        let weights: [Float] = [0.05, 0.35, 0.1, 0.25, 0.25]
        let settings = SamplingSettings(temperature: 1, topK: 3)
        var sampler = Sampler(settings: settings, vocabularySize: weights.count)
        var rng = SeededGenerator(seed: 3)
        var counts = [Int](repeating: 0, count: weights.count)
        let n = 40_000
        logits(weights).withUnsafeBufferPointer { l in
            for _ in 0..<n { counts[Int(sampler.draw(l.baseAddress!, using: &rng))] += 1 }
        }
        let expected = distribution(weights, settings)
        for j in weights.indices {
            XCTAssertEqual(Double(counts[j]) / Double(n), Double(expected[j]), accuracy: 0.01, "character \(j)")
        }
        XCTAssertEqual(counts[0], 0)
        XCTAssertEqual(counts[2], 0)
    }

    func testSamplingSettings_problemsStateTheValidRange() {
        XCTAssertNil(SamplingSettings(temperature: 0, topK: 1, topP: 1).problem)
        XCTAssertEqual(SamplingSettings(temperature: -1).problem, "temperature must be a finite number ≥ 0 (0 = greedy), got -1.0")
        XCTAssertNotNil(SamplingSettings(temperature: .infinity).problem)
        XCTAssertNotNil(SamplingSettings(temperature: .nan).problem)
        XCTAssertEqual(SamplingSettings(topK: 0).problem, "top-k must be an integer ≥ 1, got 0")
        XCTAssertEqual(SamplingSettings(topP: 0).problem, "top-p must be in (0, 1], got 0.0")
        XCTAssertNotNil(SamplingSettings(topP: 1.01).problem)
    }
}
