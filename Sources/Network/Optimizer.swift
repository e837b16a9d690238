import Foundation
import Kernels

/// The update rules `--optimizer` offers, with PyTorch's default hyper-parameters.
public enum OptimizerKind: String, Codable, CaseIterable, Sendable {
    /// Adam (β1 0.9, β2 0.999, ε 1e-8), bias-corrected.
    case adam
    /// RMSprop (α 0.99, ε 1e-8), as `torch.optim.RMSprop`.
    case rmsprop
    /// Plain stochastic gradient descent.
    case sgd

    /// Names of the per-parameter moment buffers, as PyTorch's optimizers call them in their state.
    public var momentNames: [String] {
        switch self {
        case .adam: return ["exp_avg", "exp_avg_sq"]
        case .rmsprop: return ["square_avg"]
        case .sgd: return []
        }
    }
}

/// An optimizer over a flat parameter buffer. Its moments share the parameters' layout, so
/// the checkpoint stores each as `optimizer.<moment>.<tensor name>`.
public final class Optimizer {
    public let kind: OptimizerKind
    /// Moment buffers by name (see `OptimizerKind.momentNames`).
    public let moments: [String: FloatBuffer]
    /// Updates taken so far (Adam's bias correction depends on it).
    public var step: Int

    public init(kind: OptimizerKind, parameterCount: Int, step: Int = 0, moments: [String: FloatBuffer]? = nil) {
        self.kind = kind
        self.step = step
        self.moments = moments ?? Dictionary(uniqueKeysWithValues: kind.momentNames.map {
            ($0, FloatBuffer(count: parameterCount))
        })
    }

    /// Applies one update with learning rate `lr` from `gradients` to `parameters`. A
    /// `weightDecay` above 0 first shrinks every parameter by the factor 1 − lr·weightDecay:
    /// decoupled weight decay (Loshchilov & Hutter), what `torch.optim.AdamW` does, kept apart
    /// from the gradient so Adam's per-weight scaling does not weaken it where gradients are large.
    public func update(parameters: FloatBuffer, gradients: FloatBuffer, lr: Float, weightDecay: Float = 0) {
        step += 1
        let p = parameters.pointer, g = gradients.pointer, n = parameters.count
        if weightDecay > 0 {
            let shrink = 1 - lr * weightDecay
            for k in 0..<n { p[k] *= shrink }
        }
        switch kind {
        case .sgd:
            for k in 0..<n { p[k] -= lr * g[k] }
        case .adam:
            let m = moments["exp_avg"]!.pointer, v = moments["exp_avg_sq"]!.pointer
            let beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8
            let correction1 = 1 - Float(pow(Double(beta1), Double(step)))
            let correction2 = 1 - Float(pow(Double(beta2), Double(step)))
            let stepSize = lr / correction1, rootCorrection2 = correction2.squareRoot()
            for k in 0..<n {
                m[k] = beta1 * m[k] + (1 - beta1) * g[k]
                v[k] = beta2 * v[k] + (1 - beta2) * g[k] * g[k]
                p[k] -= stepSize * m[k] / (v[k].squareRoot() / rootCorrection2 + epsilon)
            }
        case .rmsprop:
            let s = moments["square_avg"]!.pointer
            let alpha: Float = 0.99, epsilon: Float = 1e-8
            for k in 0..<n {
                s[k] = alpha * s[k] + (1 - alpha) * g[k] * g[k]
                p[k] -= lr * g[k] / (s[k].squareRoot() + epsilon)
            }
        }
    }
}

/// Scales `gradients` so their global L2 norm is at most `maxNorm` (as
/// `torch.nn.utils.clip_grad_norm_`) and returns the norm before clipping.
///
/// Squares, sum, norm and scale are all in Double, so any finite gradient has a finite norm
/// and is clipped: in Float, `g * g` overflows to infinity from about 1.8e19, and the norm of
/// many values near `Float.greatestFiniteMagnitude` is beyond Float's range. The norm is
/// infinite or NaN only when some element is.
@discardableResult
public func clipGradientNorm(_ gradients: FloatBuffer, maxNorm: Float) -> Double {
    let g = gradients.pointer
    var sum = 0.0
    for k in 0..<gradients.count {
        let x = Double(g[k])
        sum += x * x
    }
    let norm = sum.squareRoot()
    if maxNorm > 0, norm > Double(maxNorm), norm.isFinite {
        let scale = Double(maxNorm) / (norm + 1e-6)
        for k in 0..<gradients.count { g[k] = Float(Double(g[k]) * scale) }
    }
    return norm
}
