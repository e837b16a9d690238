import Foundation

/// The model's most probable next characters after each character of a text: `count` per
/// position, best first, as token indices with their softmax probabilities.
public struct NextCharacterGuesses: Sendable {
    public let count: Int
    /// Position-major: entry t·count + r is the r-th best guess after character t.
    public private(set) var tokens: [Int32] = []
    public private(set) var probabilities: [Float] = []

    init(count: Int) { self.count = count }

    /// Appends the best `count` characters of softmax(`logits`) (V of them) as the next position.
    mutating func append(logits: UnsafeBufferPointer<Float>) {
        let largest = logits.max() ?? 0
        var total: Double = 0
        for x in logits { total += exp(Double(x - largest)) }
        // Repeated selection: `count` is small (5), so k passes over V beat sorting V.
        var chosen = [Int]()
        for _ in 0..<min(count, logits.count) {
            var best = -1
            for (v, x) in logits.enumerated() where !chosen.contains(v) && (best < 0 || x > logits[best]) { best = v }
            chosen.append(best)
            tokens.append(Int32(best))
            probabilities.append(Float(exp(Double(logits[best] - largest)) / total))
        }
    }
}
