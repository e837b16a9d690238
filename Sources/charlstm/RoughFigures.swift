import Foundation

/// Figures said as people say them in a line of text: two significant digits below 100, whole
/// numbers above (never `%g`'s exponents, which a size of 970 MB or 9,690 M characters got).
enum RoughFigures {
    /// A byte count in decimal units: "20 KB", "1.1 MB", "970 MB", "1.1 GB".
    static func bytes(_ count: Int) -> String {
        let value = Double(count)
        if value < 1e6 { return number(value / 1e3) + " KB" }
        if value < 1e9 { return number(value / 1e6) + " MB" }
        return number(value / 1e9) + " GB"
    }

    /// A number of characters: exact below ten thousand, else in millions ("0.18 M", "21.6 M").
    static func characters(_ count: Double) -> String {
        count < 1e4 ? String(format: "%.0f", count) : number(count / 1e6, digits: 3) + " M"
    }

    /// A number with `digits` significant digits below 100, whole above.
    static func number(_ value: Double, digits: Int = 2) -> String {
        value >= 100 ? String(format: "%.0f", value) : String(format: "%.\(digits)g", value)
    }
}
