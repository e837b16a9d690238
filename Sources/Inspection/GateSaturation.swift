import RecurrentNetwork

/// How often one gate of one layer is saturated over a text: per unit, the fraction of steps
/// with the gate below 0.1 (nearly shut) and above 0.9 (nearly open) — the statistics of
/// Karpathy et al.'s gate-saturation plots.
public struct GateSaturation: Sendable {
    public let layer: Int
    public let gate: CellQuantity
    /// Per unit: fraction of steps below `low`.
    public let below: [Double]
    /// Per unit: fraction of steps above `high`.
    public let above: [Double]

    public static let low: Float = 0.1
    public static let high: Float = 0.9

    /// Over all units and steps: the fraction below `low`.
    public var belowFraction: Double { below.isEmpty ? 0 : below.reduce(0, +) / Double(below.count) }
    /// Over all units and steps: the fraction above `high`.
    public var aboveFraction: Double { above.isEmpty ? 0 : above.reduce(0, +) / Double(above.count) }
}
