import Foundation

/// How the learning rate moves over a run (`train --lr-schedule`).
public enum LearningRateSchedule: String, Codable, CaseIterable, Sendable {
    /// `--lr` throughout.
    case constant
    /// `--lr` × `--lr-decay`^(epochs completed): char-rnn's schedule.
    case epochDecay = "epoch-decay"
    /// A linear warmup from the floor over the first `warmupFraction` of the budget, then half a
    /// cosine down to the floor (`floorFraction` × `--lr`), which it reaches exactly when the
    /// budget ends. A constant rate spends the end of a budget bouncing around a minimum that a
    /// falling one settles into; tying the fall to the budget means a short run anneals as
    /// completely as a long one.
    case cosine

    /// The share of the budget spent warming up: Adam's second-moment estimates start from
    /// nothing, and full-size early steps on them can throw an LSTM's gates into saturation.
    public static let warmupFraction = 0.02
    /// The rate the cosine ends at, as a fraction of `--lr` (nanoGPT's min_lr = lr/10).
    public static let floorFraction = 0.1

    /// The factor on `--lr` at `progress` (0 at the start of the budget, 1 at its end; clamped)
    /// after `epochs` completed passes with per-epoch factor `decay`.
    public func factor(progress: Double, epochs: Int, decay: Float) -> Double {
        switch self {
        case .constant: return 1
        case .epochDecay: return pow(Double(decay), Double(epochs))
        case .cosine:
            let p = min(max(progress, 0), 1), w = Self.warmupFraction, floor = Self.floorFraction
            if p < w { return floor + (1 - floor) * p / w }
            return floor + (1 - floor) * 0.5 * (1 + cos(Double.pi * (p - w) / (1 - w)))
        }
    }

    /// What the status lines and `info` call it: the name, with the cosine's shape.
    public var summary: String {
        switch self {
        case .constant, .epochDecay: return rawValue
        case .cosine:
            return "cosine: warmup over \(Int(Self.warmupFraction * 100))% of the budget, down to \(Int(Self.floorFraction * 100))% of --lr at its end"
        }
    }
}
