import Kernels
import RecurrentNetwork

/// How strongly the loss at a step depends on each layer's hidden state k steps earlier:
/// the mean over many positions of ‖∂L_t/∂h^l_{t−k}‖ for k = 1…`maxDistance`.
///
/// The positions run as parallel streams of one batched network (`UnrolledNetwork`). Each
/// stream first reads the `warmup` characters before its window, from a zero state and without
/// gradient, so the window starts from a state like the one the model has mid-text; then the
/// window runs `maxDistance` + 1 steps, the loss is the cross-entropy of the next character at
/// the last step only, and one backward pass gives ∂L/∂h^l at every earlier step of every
/// stream at once (`UnrolledNetwork.backwardFromLastStep`). Dropout is off.
public struct GradientFlow: Sendable {
    public let maxDistance: Int
    public let warmup: Int
    /// Where each position's stream starts (its first warm-up character) in the text.
    public let starts: [Int]
    /// Per layer, entry k−1: the mean over positions of ‖∂L_t/∂h^l_{t−k}‖₂.
    public let norms: [[Double]]

    /// Characters a text needs for one position.
    public static func charactersNeeded(maxDistance: Int, warmup: Int) -> Int { warmup + maxDistance + 2 }

    /// Measures over `positions` windows spread evenly over `tokens` (fewer when the text has
    /// fewer distinct starts); the text must hold `charactersNeeded` characters.
    public init(model: CharModel, tokens: [Int32], maxDistance: Int, positions: Int, warmup: Int) {
        let needed = Self.charactersNeeded(maxDistance: maxDistance, warmup: warmup)
        precondition(maxDistance >= 1 && positions >= 1 && warmup >= 0 && tokens.count >= needed)
        let slack = tokens.count - needed
        let batch = min(positions, slack + 1)
        starts = (0..<batch).map { batch == 1 ? 0 : $0 * slack / (batch - 1) }
        self.maxDistance = maxDistance
        self.warmup = warmup
        let steps = maxDistance + 1, h = model.configuration.hiddenSize
        let network = UnrolledNetwork(model: model, batch: batch, maxSteps: max(steps, warmup))
        network.resetState()
        var rng = SeededGenerator(seed: 0)  // unused: dropout is off
        if warmup > 0 {
            let (inputs, targets) = Self.timeMajor(tokens, starts: starts, offset: 0, steps: warmup)
            network.forward(inputs: inputs, targets: targets, steps: warmup, training: false, rng: &rng)
        }
        let (inputs, targets) = Self.timeMajor(tokens, starts: starts, offset: warmup, steps: steps)
        let hiddenGradients = (0..<model.configuration.layers).map { _ in FloatBuffer(count: steps * batch * h) }
        network.backwardFromLastStep(inputs: inputs, targets: targets, steps: steps, hiddenGradients: hiddenGradients,
                                     gradients: FloatBuffer(count: model.parameterCount))
        norms = hiddenGradients.map { g in
            (1...maxDistance).map { k in
                let t = maxDistance - k  // the last step is t = maxDistance
                var total = 0.0
                for b in 0..<batch {
                    let row = g.at((t * batch + b) * h)
                    var squares = 0.0
                    for j in 0..<h { squares += Double(row[j]) * Double(row[j]) }
                    total += squares.squareRoot()
                }
                return total / Double(batch)
            }
        }
    }

    /// Inputs and next-character targets of `steps` steps of every stream, time-major, from
    /// `offset` characters after each start.
    private static func timeMajor(_ tokens: [Int32], starts: [Int], offset: Int, steps: Int) -> ([Int32], [Int32]) {
        var inputs = [Int32](), targets = [Int32]()
        for t in 0..<steps {
            for s in starts {
                inputs.append(tokens[s + offset + t])
                targets.append(tokens[s + offset + t + 1])
            }
        }
        return (inputs, targets)
    }
}
