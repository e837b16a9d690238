import Foundation

/// A progress bar on stderr for a long generation: done/total characters, speed and time left.
/// `advance` is called once per character, so it only looks at the clock every 1,024 calls and
/// redraws at most ten times a second.
public struct GenerationProgress {
    public let total: Int
    private var done = 0
    private let started = DispatchTime.now().uptimeNanoseconds
    private var lastDrawn: UInt64 = 0
    private var line = ProgressLine()

    public init(total: Int) { self.total = total }

    public mutating func advance() {
        done += 1
        guard done & 1023 == 0 else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard now - lastDrawn >= 100_000_000 else { return }
        lastDrawn = now
        let seconds = Double(now - started) / 1e9
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let width = 30, filled = Int(fraction * Double(width))
        let speed = Double(done) / max(seconds, 1e-9)
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        line.show(String(format: "%@ %3.0f%% · %d/%d chars · %.0f chars/s · ETA %@", bar, fraction * 100, done, total,
                         speed, formatDuration(Double(total - done) / max(speed, 1e-9))))
    }

    /// Removes the bar.
    public mutating func finish() { line.clear() }
}
