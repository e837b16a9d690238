/// How the recurrent weights are stored for writing text. Activations, cell state, softmax
/// and sampling are fp32 in every case, and checkpoints on disk always hold fp32: a reduced
/// precision is made from them once, when a model is loaded for sampling.
public enum WeightPrecision: String, CaseIterable, Sendable {
    /// The checkpoint's own numbers, multiplied by BLAS.
    case fp32
    /// The upper half of each fp32 weight (8 bits of mantissa), rounded to nearest: half the bytes.
    case bf16
    /// One byte per weight and one fp32 scale per output row (the row's largest magnitude maps
    /// to ±127): a quarter of the bytes.
    case int8

    /// Bytes one weight takes.
    public var bytesPerWeight: Int {
        switch self {
        case .fp32: return 4
        case .bf16: return 2
        case .int8: return 1
        }
    }

    /// "fp32, bf16 or int8", for messages.
    public static var names: String { "fp32, bf16 or int8" }
}
