import Foundation
import RecurrentNetwork

/// What a model does inside while it reads a text, recorded in one pass of `InferenceState`
/// from a fresh state: every quantity of every unit of every layer after each character
/// (quantised for display), the most probable next characters, each unit's correlation with
/// the `TextProperty`s, and how often each gate is saturated.
public final class ActivationTrace {
    public let layers: Int
    public let hiddenSize: Int
    /// The quantities recorded per layer, in the order of `levels`.
    public let quantities: [CellQuantity]
    /// Characters read.
    public let length: Int
    /// Series-major display levels, 0…`levelCount`−1: element s·length + t is series
    /// s = (layer·Q + quantity index)·H + unit after character t, over `displayRange(q)` of
    /// the value divided by the series' `scales` entry.
    public let levels: [UInt8]
    /// Per series: what its values were divided by before quantising. 1, except for the cell
    /// state, which has no fixed range: its largest magnitude over the text, so every cell
    /// uses the whole colour scale (through tanh, the long-memory cells would be saturated).
    public let scales: [Float]
    public let guesses: NextCharacterGuesses
    public let saturation: [GateSaturation]
    private let correlations: CorrelationAccumulator

    /// Colour steps a page shows. Eight tell the values apart well enough for the eye and
    /// cost about 2.5 bits per value once deflated (sixteen cost 3.4: a third more page).
    public static let levelCount = 8

    /// - Parameters:
    ///   - tokens: the text as token indices; `text` the same characters, for the properties.
    ///   - guessCount: next characters recorded per position.
    public init(model: CharModel, tokens: [Int32], text: [Unicode.Scalar], guessCount: Int = 5) {
        precondition(tokens.count == text.count && !tokens.isEmpty)
        let state = InferenceState(model: model)
        let c = model.configuration, h = c.hiddenSize, n = tokens.count
        let quantities = state.quantities
        layers = c.layers
        hiddenSize = h
        self.quantities = quantities
        length = n
        let seriesCount = c.layers * quantities.count * h
        let propertyValues = TextProperty.allCases.map { $0.values(of: text) }
        var accumulator = CorrelationAccumulator(seriesCount: seriesCount, propertyCount: propertyValues.count)
        var levels = [UInt8](repeating: 0, count: seriesCount * n)
        // 1, or for cell states their largest magnitude so far (from 0).
        var scales = (0..<seriesCount).map { s -> Float in quantities[(s / h) % quantities.count] == .cell ? 0 : 1 }
        // Cell states wait here, series-major like `levels`, until their scales are known.
        var unscaled = [Float](repeating: 0, count: quantities.contains(.cell) ? seriesCount * n : 0)
        var guesses = NextCharacterGuesses(count: min(guessCount, c.vocabularySize))
        var below = [Int](repeating: 0, count: seriesCount), above = below
        var y = [Double](repeating: 0, count: propertyValues.count)

        for t in 0..<n {
            state.step(tokens[t])
            for j in y.indices { y[j] = Double(propertyValues[j][t]) }
            for l in 0..<c.layers {
                for (qi, q) in quantities.enumerated() {
                    let values = state.quantity(q, layer: l), first = (l * quantities.count + qi) * h
                    accumulator.add(values, firstSeries: first, properties: y)
                    for (unit, value) in values.enumerated() {
                        let s = first + unit
                        if q == .cell {
                            unscaled[s * n + t] = value
                            scales[s] = max(scales[s], abs(value))
                        } else {
                            levels[s * n + t] = Self.level(value, q)
                        }
                        if q.isGate {
                            if value < GateSaturation.low { below[s] += 1 }
                            if value > GateSaturation.high { above[s] += 1 }
                        }
                    }
                }
            }
            accumulator.finishStep(properties: y)
            guesses.append(logits: UnsafeBufferPointer(start: state.logits.pointer, count: c.vocabularySize))
        }
        if let qi = quantities.firstIndex(of: .cell) {
            for l in 0..<c.layers {
                for s in (l * quantities.count + qi) * h ..< (l * quantities.count + qi + 1) * h {
                    scales[s] = max(scales[s], .leastNormalMagnitude)
                    for t in 0..<n { levels[s * n + t] = Self.level(unscaled[s * n + t] / scales[s], .cell) }
                }
            }
        }
        self.scales = scales
        self.levels = levels
        self.guesses = guesses
        correlations = accumulator
        saturation = (0..<c.layers).flatMap { l in
            quantities.enumerated().filter { $0.element.isGate }.map { qi, q in
                let first = (l * quantities.count + qi) * h
                return GateSaturation(layer: l, gate: q, below: (0..<h).map { Double(below[first + $0]) / Double(n) },
                                      above: (0..<h).map { Double(above[first + $0]) / Double(n) })
            }
        }
    }

    /// The range a quantity is coloured over: gates 0…1, everything else −1…1 (the cell state
    /// after dividing by its scale).
    public static func displayRange(_ q: CellQuantity) -> ClosedRange<Float> { q.isGate ? 0...1 : -1...1 }

    private static func level(_ value: Float, _ q: CellQuantity) -> UInt8 {
        let range = displayRange(q), top = Float(levelCount - 1)
        let position = (value - range.lowerBound) / (range.upperBound - range.lowerBound)
        return UInt8(max(0, min(top, (position * top).rounded())))
    }

    /// For each property that varies over the text, the `count` series that correlate with it most strongly (by |r|),
    /// strongest first.
    public func findings(perProperty count: Int) -> [UnitFinding] {
        var result = [UnitFinding]()
        for (j, property) in TextProperty.allCases.enumerated() where correlations.varies(property: j) {
            let strengths: [(series: Int, r: Double)] = (0..<correlations.seriesCount).map {
                ($0, correlations.correlation(series: $0, property: j))
            }
            let strongest = strengths.sorted { abs($0.r) != abs($1.r) ? abs($0.r) > abs($1.r) : $0.series < $1.series }
            for (s, r) in strongest.prefix(count) {
                let layer = s / (quantities.count * hiddenSize), quantity = quantities[(s / hiddenSize) % quantities.count]
                result.append(UnitFinding(property: property, layer: layer, quantity: quantity, unit: s % hiddenSize, correlation: r))
            }
        }
        return result
    }
}
