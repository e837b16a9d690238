import Foundation

/// The model's own log-probabilities: log-softmax of the raw logits (temperature 1, no masks),
/// in nats, accumulated in double precision. This is what `--json` reports and what beam
/// search maximises, whatever temperature a sampler draws at.
public enum LogProbability {
    /// log Σ_j exp(logits[j]), computed stably (shifted by the largest logit).
    public static func normalizer(_ logits: UnsafePointer<Float>, count: Int) -> Double {
        var maximum = -Float.infinity
        for j in 0..<count { maximum = max(maximum, logits[j]) }
        var sum = 0.0
        for j in 0..<count { sum += exp(Double(logits[j] - maximum)) }
        return Double(maximum) + log(sum)
    }

    /// log p(token) under softmax(logits).
    public static func of(_ token: Int32, logits: UnsafePointer<Float>, count: Int) -> Double {
        Double(logits[Int(token)]) - normalizer(logits, count: count)
    }

    /// softmax(logits) in double precision.
    public static func probabilities(_ logits: UnsafePointer<Float>, count: Int) -> [Double] {
        let z = normalizer(logits, count: count)
        return (0..<count).map { exp(Double(logits[$0]) - z) }
    }
}
