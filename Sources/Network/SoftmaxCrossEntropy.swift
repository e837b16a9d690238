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
            total += ck_softmax_xent(logits + r * v, v, Int(targets[r]), gradients.map { $0 + r * v }, scale)
        }
        return total
    }
}
