import Foundation

/// Karpathy et al.'s gate-saturation scatter as inline SVG: one panel per layer, one dot per
/// unit and gate at (fraction of steps below 0.1, fraction above 0.9). Dots near the left edge
/// are gates that are never shut, near the bottom never open; a cloud on the diagonal edge
/// switches hard between the two.
enum SaturationPlot {
    static func svg(_ saturation: [GateSaturation]) -> String {
        let layers = Array(Set(saturation.map(\.layer))).sorted()
        let gates = saturation.reduce(into: [String]()) { if !$0.contains($1.gate.shortLabel) { $0.append($1.gate.shortLabel) } }
        let panel = 230.0, margin = 42.0, gap = 48.0, legend = 22.0
        let width = margin + Double(layers.count) * (panel + gap), height = panel + margin + 34 + legend
        var s = String(format: "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"11\">\n",
                       width, height, width, height)
        for (g, name) in gates.enumerated() {
            s += String(format: "<circle cx=\"%.0f\" cy=\"12\" r=\"4\" fill=\"%@\"/><text x=\"%.0f\" y=\"16\">%@</text>\n",
                        margin + Double(g) * 110, Markup.palette[g], margin + Double(g) * 110 + 8, Markup.escape(name))
        }
        for (i, layer) in layers.enumerated() {
            let x0 = margin + Double(i) * (panel + gap), y0 = legend + 14
            s += String(format: "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"#fafafa\" stroke=\"#888\"/>\n", x0, y0, panel, panel)
            s += String(format: "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">layer %d</text>\n", x0 + panel / 2, y0 - 4, layer)
            s += String(format: "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">fraction below 0.1</text>\n", x0 + panel / 2, y0 + panel + 28)
            s += String(format: "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\" transform=\"rotate(-90 %.0f %.0f)\">fraction above 0.9</text>\n",
                        x0 - 24, y0 + panel / 2, x0 - 24, y0 + panel / 2)
            for tick in [0.0, 0.5, 1.0] {
                s += String(format: "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">%.1f</text>\n", x0 + tick * panel, y0 + panel + 13, tick)
                s += String(format: "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%.1f</text>\n", x0 - 3, y0 + (1 - tick) * panel + 4, tick)
            }
            for entry in saturation where entry.layer == layer {
                let colour = Markup.palette[gates.firstIndex(of: entry.gate.shortLabel) ?? 0]
                for (below, above) in zip(entry.below, entry.above) {
                    s += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\" fill=\"%@\" fill-opacity=\"0.6\"/>", x0 + below * panel,
                                y0 + (1 - above) * panel, colour)
                }
                s += "\n"
            }
        }
        return s + "</svg>\n"
    }
}
