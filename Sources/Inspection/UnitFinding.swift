import RecurrentNetwork

/// One unit's correlation with a property of the text: which unit (layer, quantity, index)
/// tracks what, and how closely (Pearson's r over the text).
public struct UnitFinding: Sendable, Equatable {
    public let property: TextProperty
    public let layer: Int
    public let quantity: CellQuantity
    public let unit: Int
    public let correlation: Double
}
