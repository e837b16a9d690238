/// Pearson correlations of many series with a few properties over time, gathered one time step
/// at a time in running sums (so nothing per step is kept): Σx, Σx², Σxy per series and Σy, Σy²
/// per property, in Double.
struct CorrelationAccumulator {
    let seriesCount: Int
    let propertyCount: Int
    private(set) var steps = 0
    private var sumX: [Double], sumXX: [Double]
    /// Series-major: element s·P + p.
    private var sumXY: [Double]
    private var sumY: [Double], sumYY: [Double]

    init(seriesCount: Int, propertyCount: Int) {
        self.seriesCount = seriesCount
        self.propertyCount = propertyCount
        sumX = [Double](repeating: 0, count: seriesCount)
        sumXX = sumX
        sumXY = [Double](repeating: 0, count: seriesCount * propertyCount)
        sumY = [Double](repeating: 0, count: propertyCount)
        sumYY = sumY
    }

    /// Adds this step's values of the series `firstSeries…firstSeries + values.count − 1`,
    /// against this step's property values `y` (P of them).
    mutating func add(_ values: UnsafeBufferPointer<Float>, firstSeries: Int, properties y: [Double]) {
        let p = propertyCount
        for (k, value) in values.enumerated() {
            let x = Double(value), s = firstSeries + k
            sumX[s] += x
            sumXX[s] += x * x
            for j in 0..<p { sumXY[s * p + j] += x * y[j] }
        }
    }

    /// Closes a time step: adds the properties' own sums (call once per step, after its `add`s).
    mutating func finishStep(properties y: [Double]) {
        steps += 1
        for j in 0..<propertyCount {
            sumY[j] += y[j]
            sumYY[j] += y[j] * y[j]
        }
    }

    /// Whether property `j` took more than one value over the steps.
    func varies(property j: Int) -> Bool {
        let n = Double(steps)
        return n * sumYY[j] - sumY[j] * sumY[j] > 1e-12 * max(n * sumYY[j], 1e-300)
    }

    /// Pearson's r of series `s` with property `j`; 0 when either is constant over the steps.
    func correlation(series s: Int, property j: Int) -> Double {
        let n = Double(steps)
        let covariance = n * sumXY[s * propertyCount + j] - sumX[s] * sumY[j]
        let varianceX = n * sumXX[s] - sumX[s] * sumX[s], varianceY = n * sumYY[j] - sumY[j] * sumY[j]
        // Relative guards: a constant series leaves rounding noise, not a real variance.
        guard varianceX > 1e-12 * max(n * sumXX[s], 1e-300), varies(property: j) else { return 0 }
        return max(-1, min(1, covariance / (varianceX * varianceY).squareRoot()))
    }
}
