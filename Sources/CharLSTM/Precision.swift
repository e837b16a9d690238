import Kernels

/// How a model's weights are stored while it writes or scores text. Checkpoints always hold
/// fp32; a reduced precision is made from them once, when a model is set up to run, and only
/// the weights change: activations, cell state and softmax stay fp32.
public enum Precision: String, Sendable, CaseIterable, Codable {
    /// The checkpoint's own numbers.
    case fp32
    /// bfloat16: the upper half of each fp32 weight, rounded to nearest. Half the bytes.
    case bf16
    /// One byte per weight with one fp32 scale per output row. A quarter of the bytes.
    case int8

    var weights: WeightPrecision { WeightPrecision(rawValue: rawValue)! }
}
