import Foundation
import Kernels

/// How the next character is chosen from the model's scores.
public struct SamplingSettings: Codable, Equatable, Sendable {
    /// Divides the logits before the softmax; 0 means greedy (always the most likely character).
    public var temperature: Float
    /// Keep only the k most likely characters (nil: all).
    public var topK: Int?
    /// Keep the smallest set of most likely characters whose probability reaches p (nil: all).
    public var topP: Float?

    public init(temperature: Float = 1, topK: Int? = nil, topP: Float? = nil) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
    }

    /// The first invalid setting, as a sentence with the valid range, or nil.
    public var problem: String? {
        if !(temperature.isFinite && temperature >= 0) {
            return "temperature must be a finite number ≥ 0 (0 = greedy), got \(temperature)"
        }
        if let k = topK, k < 1 { return "top-k must be an integer ≥ 1, got \(k)" }
        if let p = topP, !(p > 0 && p <= 1) { return "top-p must be in (0, 1], got \(p)" }
        return nil
    }
}

/// Draws characters from logits: softmax(logits / T), optionally restricted by top-k and top-p.
/// It owns its scratch space, so drawing allocates nothing.
public struct Sampler {
    public var settings: SamplingSettings
    private var probabilities: [Float]
    private var order: [Int32]

    public init(settings: SamplingSettings, vocabularySize: Int) {
        self.settings = settings
        probabilities = [Float](repeating: 0, count: vocabularySize)
        order = (0..<Int32(vocabularySize)).map { $0 }
    }

    /// The index of the largest logit (the lowest index among ties).
    public static func argmax(_ logits: UnsafePointer<Float>, count: Int) -> Int32 {
        var best = 0
        for j in 1..<count where logits[j] > logits[best] { best = j }
        return Int32(best)
    }

    /// The distribution the next draw would use: after temperature, top-k and top-p, renormalised.
    /// At temperature 0 it is one-hot on the argmax.
    public mutating func distribution(_ logits: UnsafePointer<Float>) -> [Float] {
        prepare(logits)
        return probabilities
    }

    /// Draws the next character.
    public mutating func draw<G: RandomNumberGenerator>(_ logits: UnsafePointer<Float>, using rng: inout G) -> Int32 {
        if settings.temperature == 0 { return Self.argmax(logits, count: probabilities.count) }
        prepare(logits)
        let u = Float(Double(rng.next() >> 11) * (1.0 / 9_007_199_254_740_992.0))
        var cumulative: Float = 0
        var last: Int32 = 0
        for j in 0..<probabilities.count where probabilities[j] > 0 {
            cumulative += probabilities[j]
            last = Int32(j)
            if u < cumulative { return Int32(j) }
        }
        return last  // u fell in the rounding gap above the final cumulative sum
    }

    /// Fills `probabilities` with the (masked, renormalised) distribution.
    private mutating func prepare(_ logits: UnsafePointer<Float>) {
        let v = probabilities.count
        if settings.temperature == 0 {
            for j in 0..<v { probabilities[j] = 0 }
            probabilities[Int(Self.argmax(logits, count: v))] = 1
            return
        }
        let inverseT = 1 / settings.temperature
        var maximum = -Float.infinity
        for j in 0..<v { maximum = max(maximum, logits[j]) }
        var sum: Float = 0
        for j in 0..<v {
            let e = exp((logits[j] - maximum) * inverseT)
            probabilities[j] = e
            sum += e
        }
        for j in 0..<v { probabilities[j] /= sum }
        guard settings.topK != nil || settings.topP != nil else { return }
        // Rank by probability (descending, lower index first on ties) to apply the masks.
        for j in 0..<v { order[j] = Int32(j) }
        order.withUnsafeMutableBufferPointer { o in
            probabilities.withUnsafeBufferPointer { p in
                o.sort { p[Int($0)] != p[Int($1)] ? p[Int($0)] > p[Int($1)] : $0 < $1 }
            }
        }
        var keep = v
        if let k = settings.topK { keep = min(keep, k) }
        if let p = settings.topP {
            var cumulative: Float = 0
            for rank in 0..<keep {
                cumulative += probabilities[Int(order[rank])]
                if cumulative >= p { keep = rank + 1; break }
            }
        }
        var kept: Float = 0
        for rank in 0..<v {
            let j = Int(order[rank])
            if rank < keep { kept += probabilities[j] } else { probabilities[j] = 0 }
        }
        for j in 0..<v { probabilities[j] /= kept }
    }
}
