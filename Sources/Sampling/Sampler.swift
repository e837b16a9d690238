import Foundation
import Kernels

/// How the next character is chosen from the model's scores.
public struct SamplingSettings: Codable, Equatable, Sendable {
    /// Divides the logits before the softmax; 0 means greedy (always the most likely character).
    public var temperature: Float
    /// Keep only the k most likely characters, and any tied with the k-th (nil: all).
    public var topK: Int?
    /// Keep the smallest set of most likely characters whose probability reaches p, and any
    /// tied with the last one kept (nil: all).
    public var topP: Float?

    public init(temperature: Float = 1, topK: Int? = nil, topP: Float? = nil) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
    }

    /// The first invalid setting, as a sentence with the valid range, or nil.
    public var problem: String? {
        if let p = Self.temperatureProblem(temperature) { return "temperature " + p }
        if let k = topK, let p = Self.topKProblem(k) { return "top-k " + p }
        if let p = topP, let p = Self.topPProblem(p) { return "top-p " + p }
        return nil
    }

    // The checks one setting at a time, phrased to follow the setting's name ("--top-k " or
    // ":top-k "), so the command line and the REPL state the same valid range.

    public static func temperatureProblem(_ t: Float) -> String? {
        t.isFinite && t >= 0 ? nil : "must be a finite number ≥ 0 (0 = greedy), got \(t)"
    }

    public static func topKProblem(_ k: Int) -> String? {
        k >= 1 ? nil : "must be an integer ≥ 1, got \(k)"
    }

    public static func topPProblem(_ p: Float) -> String? {
        p > 0 && p <= 1 ? nil : "must be in (0, 1], got \(p)"
    }
}

/// Draws characters from logits: softmax(logits / T), optionally restricted by top-k and top-p.
///
/// Both masks are thresholds on probability, so the kept set never depends on the order of
/// the vocabulary: top-k keeps every character at least as likely as the k-th most likely one
/// (ties at the boundary are all kept, as Hugging Face's top-k does, so the set can exceed k);
/// top-p then works on the top-k set renormalised, keeping the most likely characters until
/// their mass reaches p, plus any tied with the last one kept. Probabilities equal within
/// float rounding of the softmax count as ties only when bit-identical.
///
/// It owns its scratch space, so drawing allocates nothing.
public struct Sampler {
    public var settings: SamplingSettings
    /// softmax(logits / T), not renormalised after masking; entries below `threshold` are out.
    private var probabilities: [Float]
    /// Scratch where the masks rank the probabilities (only when a mask is set).
    private var ranked: [Float]
    private var threshold: Float = 0
    private var keptMass: Float = 1

    public init(settings: SamplingSettings, vocabularySize: Int) {
        precondition(vocabularySize >= 1)
        self.settings = settings
        probabilities = [Float](repeating: 0, count: vocabularySize)
        ranked = [Float](repeating: 0, count: vocabularySize)
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
        if settings.temperature == 0 {
            var oneHot = [Float](repeating: 0, count: probabilities.count)
            oneHot[Int(Self.argmax(logits, count: probabilities.count))] = 1
            return oneHot
        }
        prepare(logits)
        return probabilities.map { $0 >= threshold ? $0 / keptMass : 0 }
    }

    /// Draws the next character. `rng` is only consulted when the temperature is above 0.
    public mutating func draw<G: RandomNumberGenerator>(_ logits: UnsafePointer<Float>, using rng: inout G) -> Int32 {
        let v = probabilities.count
        if settings.temperature == 0 { return Self.argmax(logits, count: v) }
        prepare(logits)
        let u = Float(Double(rng.next() >> 11) * (1.0 / 9_007_199_254_740_992.0)) * keptMass
        let threshold = self.threshold
        return probabilities.withUnsafeBufferPointer { p in
            var cumulative: Float = 0
            var last: Int32 = 0
            for j in 0..<v where p[j] >= threshold && p[j] > 0 {
                cumulative += p[j]
                last = Int32(j)
                if u < cumulative { return last }
            }
            return last  // u fell in the rounding gap above the final cumulative sum
        }
    }

    /// Fills `probabilities` with softmax(logits / T) and sets `threshold` and `keptMass` to
    /// the masks' cut-off and the probability mass above it.
    private mutating func prepare(_ logits: UnsafePointer<Float>) {
        let v = probabilities.count
        let inverseT = 1 / settings.temperature
        var maximum = -Float.infinity
        for j in 0..<v { maximum = max(maximum, logits[j]) }
        var sum: Float = 0
        probabilities.withUnsafeMutableBufferPointer { p in
            for j in 0..<v {
                let e = exp((logits[j] - maximum) * inverseT)
                p[j] = e
                sum += e
            }
            let scale = 1 / sum
            for j in 0..<v { p[j] *= scale }
        }
        threshold = 0
        keptMass = 1
        guard settings.topK != nil || settings.topP != nil else { return }
        ranked.withUnsafeMutableBufferPointer { s in
            for j in 0..<v { s[j] = probabilities[j] }
            var ranking = DescendingValues(s)
            var kept = 0, mass: Float = 0
            if let k = settings.topK {
                // The k most likely, then everything tied with the k-th.
                while kept < k, let value = ranking.value(at: kept) { mass += value; kept += 1 }
                while let value = ranking.value(at: kept), value == ranking.value(at: kept - 1)! { mass += value; kept += 1 }
            } else {
                kept = v
                mass = 0
                for j in 0..<v { mass += probabilities[j] }
            }
            if let p = settings.topP {
                // Reaching p is judged on the top-k set renormalised, with a relative slack
                // of 1e-6 so that masses that reach p exactly are not lost to float rounding.
                let target = p * mass * (1 - 1e-6)
                var cumulative: Float = 0, rank = 0
                while rank < kept, let value = ranking.value(at: rank) {
                    cumulative += value
                    rank += 1
                    if cumulative >= target { break }
                }
                while rank < kept, let value = ranking.value(at: rank), value == ranking.value(at: rank - 1)! {
                    cumulative += value
                    rank += 1
                }
                kept = rank
                mass = cumulative
            }
            threshold = ranking.value(at: kept - 1)!
            keptMass = mass
        }
    }
}

/// The values of a buffer from the largest down, produced lazily by a heap built in place:
/// O(n) to start and O(log n) per value asked for, so a mask that keeps a few characters of a
/// large vocabulary does not sort all of it, and nothing is allocated. Values handed out are
/// parked at the end of the buffer, where the r-th largest is at `count - 1 - r`.
struct DescendingValues {
    private let s: UnsafeMutableBufferPointer<Float>
    private var heapCount: Int

    init(_ buffer: UnsafeMutableBufferPointer<Float>) {
        s = buffer
        heapCount = buffer.count
        var parent = heapCount / 2 - 1
        while parent >= 0 { siftDown(parent); parent -= 1 }
    }

    /// The value of rank `rank` (0 = largest), or nil past the end.
    mutating func value(at rank: Int) -> Float? {
        guard rank < s.count else { return nil }
        while s.count - heapCount <= rank {
            heapCount -= 1
            s.swapAt(0, heapCount)
            siftDown(0)
        }
        return s[s.count - 1 - rank]
    }

    private func siftDown(_ start: Int) {
        var i = start
        while true {
            let left = 2 * i + 1, right = left + 1
            var largest = i
            if left < heapCount && s[left] > s[largest] { largest = left }
            if right < heapCount && s[right] > s[largest] { largest = right }
            if largest == i { return }
            s.swapAt(i, largest)
            i = largest
        }
    }
}
