import Foundation
import Kernels

/// Softmax over the vocabulary and the cross-entropy of the true next character.
public enum SoftmaxCrossEntropy {
    /// For each of `rows` rows of `logits` (rows×V): adds −log softmax(row)[target] to the
    /// returned sum (in Double, so long evaluations do not drift) and, when `gradients` is
    /// given, writes (softmax(row) − onehot(target)) · scale into it.
    public static func loss(logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>, rows: Int, vocabulary v: Int,
                            gradients: UnsafeMutablePointer<Float>? = nil, scale: Float = 1) -> Double {
        var total = 0.0
        for r in 0..<rows {
            let row = logits + r * v
            var maximum = -Float.infinity
            for j in 0..<v { maximum = max(maximum, row[j]) }
            let target = Int(targets[r])
            if let gradients {
                let g = gradients + r * v
                var sum: Float = 0
                var j = 0
                while j < v {
                    let e = vexp(loadLanes(row, j, count: v) - maximum)
                    storeLanes(e, g, j, count: v)
                    j += 16
                }
                for k in 0..<v { sum += g[k] }
                let inverse = scale / sum
                for k in 0..<v { g[k] *= inverse }
                g[target] -= scale
                total += log(Double(sum)) + Double(maximum) - Double(row[target])
            } else {
                var sum: Float = 0
                var j = 0
                while j < v {
                    let e = vexp(loadLanes(row, j, count: v) - maximum)
                    // Padding lanes hold e^(0 − max) only when loaded, so sum the valid ones.
                    for k in 0..<min(16, v - j) { sum += e[k] }
                    j += 16
                }
                total += log(Double(sum)) + Double(maximum) - Double(row[target])
            }
        }
        return total
    }
}
