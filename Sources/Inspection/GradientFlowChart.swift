import Foundation

/// Draws gradient-flow curves — mean ‖∂L_t/∂h_{t−k}‖ against k, on a log scale — as one
/// standalone SVG, several series (checkpoints × layers) on the same axes with a legend.
public enum GradientFlowChart {
    public struct Series: Sendable {
        public let label: String
        /// Entry k−1 is the value at distance k.
        public let values: [Double]
        public init(label: String, values: [Double]) {
            self.label = label
            self.values = values
        }
    }

    public static func svg(series: [Series], title: String) -> String {
        // The plot takes a fixed area; the legend goes under it, one row per series, so it
        // never hides a curve (an RNN's reach onto the plot's lower part is the point).
        let width = 760.0, plotHeight = 440.0, left = 70.0, right = 20.0, top = 34.0, bottom = 46.0, row = 16.0
        let height = plotHeight + 8 + row * Double(series.count)
        let maxK = max(2, series.map(\.values.count).max() ?? 2)
        let positive = series.flatMap(\.values).filter { $0 > 0 && $0.isFinite }
        let lowDecade = floor(log10(positive.min() ?? 1e-6)), highDecade = max(ceil(log10(positive.max() ?? 1)), lowDecade + 1)
        func x(_ k: Double) -> Double { left + (k - 1) / Double(maxK - 1) * (width - left - right) }
        func y(_ value: Double) -> Double {
            let decade = value > 0 && value.isFinite ? log10(value) : lowDecade
            return top + (highDecade - decade) / (highDecade - lowDecade) * (plotHeight - top - bottom)
        }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(Int(left))\" y=\"20\" font-size=\"14\">\(Markup.escape(title))</text>\n"
        // A labelled grid line every 1, 2, 5, 10… decades, so labels stay at least 16 px apart
        // however many decades the curves span (a plain RNN's can span forty).
        let pixelsPerDecade = (plotHeight - top - bottom) / (highDecade - lowDecade)
        let decadeStep = [1.0, 2, 5, 10, 20, 50, 100].first { $0 * pixelsPerDecade >= 16 } ?? 100
        for decade in stride(from: highDecade, through: lowDecade, by: -decadeStep) {
            let value = pow(10, decade)
            s += String(format: "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", left, y(value), width - right, y(value))
            s += String(format: "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">1e%d</text>\n", left - 6, y(value) + 4, Int(decade))
        }
        // About five ticks at a round step (1, 2 or 5 times a power of ten), plus k = 1.
        let rough = Double(maxK) / 5, magnitude = pow(10, floor(log10(rough)))
        let tickStep = max(1, Int(([1.0, 2, 5, 10].first { $0 * magnitude >= rough } ?? 10) * magnitude))
        for k in [1] + Array(Swift.stride(from: tickStep, through: maxK, by: tickStep)) {
            s += String(format: "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%d</text>\n", x(Double(k)), plotHeight - bottom + 16, k)
        }
        s += String(format: "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", left, plotHeight - bottom, width - right, plotHeight - bottom)
        s += String(format: "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", left, top, left, plotHeight - bottom)
        s += "<text x=\"\(Int((left + width - right) / 2))\" y=\"\(Int(plotHeight - 8))\" text-anchor=\"middle\">k (steps back)</text>\n"
        s += "<text x=\"16\" y=\"\(Int(plotHeight / 2))\" transform=\"rotate(-90 16 \(Int(plotHeight / 2)))\" text-anchor=\"middle\">mean ‖∂L_t/∂h_(t−k)‖ (log scale)</text>\n"
        for (i, line) in series.enumerated() {
            let colour = Markup.palette[i % Markup.palette.count]
            let points = line.values.enumerated().map { String(format: "%.1f,%.1f", x(Double($0.offset + 1)), y($0.element)) }
            s += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.8\" points=\"\(points.joined(separator: " "))\"/>\n"
            let rowY = plotHeight + row * Double(i)
            s += String(format: "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"%@\" stroke-width=\"3\"/>\n",
                        left, rowY, left + 24, rowY, colour)
            s += String(format: "<text x=\"%.0f\" y=\"%.0f\">%@</text>\n", left + 30, rowY + 4, Markup.escape(line.label))
        }
        return s + "</svg>\n"
    }
}
