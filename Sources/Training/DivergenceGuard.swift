import Foundation

/// Tells a run that has diverged from one whose loss overshoots for a few steps.
///
/// A value that is not finite (a loss, the gradient norm, a weight) is divergence at once:
/// nothing comes back from it. A finite loss above `bound`, three times the loss of a uniform
/// guess over the vocabulary (char-rnn stops at three times its first loss; the uniform guess is
/// that first loss, and fixing it keeps the rule the same on resume), is divergence only when the
/// training loss stays above it for `patience` steps in a row.
///
/// Why not at once: Adam's first update moves every weight by about lr in the direction of its
/// gradient, so a pre-activation moves by up to about lr × its fan-in, which is the width. A wide
/// model (lr × hidden around 8 and more) can jump above the bound for a step or a few and then
/// learn as usual. Why steps and not evaluations: the training loss is measured every step on new
/// text, while evaluations may be thousands of steps apart, so waiting for several of them would
/// keep a broken run going for that long. While the loss is above the bound the run writes no
/// checkpoint, so one that does diverge leaves its last good checkpoints as they were.
struct DivergenceGuard {
    /// Steps in a row the training loss may stay above `bound`. A wide model's overshoot lasts a
    /// few steps (the README's "Wide models" has the measurements); a learning rate that
    /// truly diverges stays above the bound or reaches NaN, and costs at most these steps more.
    static let patience = 20

    /// Three times the loss of a uniform guess (nats per character).
    let bound: Double
    /// The step that began the present run of losses above `bound`; nil when the last was within.
    private(set) var firstStepAbove: Int?
    /// The training loss last recorded.
    private(set) var latestLoss = Double.nan

    init(vocabularySize: Int) {
        bound = 3 * max(log(Double(vocabularySize)), 1)
    }

    /// Whether the training loss is above the bound now: the weights may be on their way out,
    /// so nothing is saved from them.
    var isAboveBound: Bool { firstStepAbove != nil }

    /// Whether `loss` (a validation loss, say) is above the bound or not finite.
    func exceeds(_ loss: Double) -> Bool { !(loss <= bound) }

    /// Records the mean training loss of `step` and says whether the run has now diverged: the
    /// loss is not finite, or it has been above the bound for `patience` steps in a row.
    mutating func record(loss: Double, step: Int) -> Bool {
        latestLoss = loss
        guard loss.isFinite else { return true }
        guard loss > bound else {
            firstStepAbove = nil
            return false
        }
        let first = firstStepAbove ?? step
        firstStepAbove = first
        return step - first + 1 >= Self.patience
    }

    /// What to say of the latest loss, above the bound since `firstStepAbove`, at `step`.
    func describe(atStep step: Int) -> String {
        let since = firstStepAbove ?? step
        let steps = step - since + 1
        return "loss \(latestLoss), above 3·ln V = \(String(format: "%.3g", bound)) for \(steps) step\(steps == 1 ? "" : "s") since step \(since)"
    }

    /// What a run says when its loss goes above the bound: it goes on, but saves nothing until
    /// the loss is back.
    func overshootNote(atStep step: Int) -> String {
        "step \(step): loss \(String(format: "%.4g", latestLoss)) is above 3·ln V = \(String(format: "%.3g", bound)); "
            + "no checkpoint is written until it is back, and the run stops if it stays above for \(Self.patience) steps"
    }

    /// The advice a diverged run ends with. It names lr × hidden, the product that sets how far
    /// Adam's first steps move a pre-activation. Above 2 it suggests the rate that brings the
    /// product to 2 (widths from 256 to 1024 trained there without overshoot); otherwise the
    /// width is not the cause, and it suggests a rate ten times lower.
    static func advice(learningRate: Float, hiddenSize: Int, clip: Float) -> String {
        let product = Double(learningRate) * Double(hiddenSize)
        let suggested = product > 2 ? 2 / Double(hiddenSize) : Double(learningRate) / 10
        return "lr × hidden = \(learningRate) × \(hiddenSize) = \(String(format: "%.3g", product)); "
            + "try a lower --lr (now \(learningRate)), such as --lr \(String(format: "%.1g", suggested)), "
            + "or a lower --clip (now \(clip))"
    }
}
