import Foundation
import XCTest

/// Watches a running `charlstm` process's memory through /proc (Linux): its resident set size
/// over time and its peak (the kernel's high-water mark, VmHWM).
struct MemorySampler {
    /// (seconds since the start of watching, resident KiB), one per sample.
    private(set) var samples: [(seconds: Double, residentKiB: Int)] = []
    private(set) var peakKiB = 0

    struct Unavailable: Error, CustomStringConvertible {
        var description: String { "no /proc/PID/status on this system: memory is sampled on Linux only" }
    }

    /// Samples `command` every `interval` seconds until it exits, and returns what it left.
    static func watch(_ command: RunningCommand, interval: TimeInterval = 0.02, timeout: TimeInterval) throws -> (CommandResult, MemorySampler) {
        var sampler = MemorySampler()
        let status = "/proc/\(command.process.processIdentifier)/status"
        let start = Date()
        while command.process.isRunning, Date().timeIntervalSince(start) < timeout {
            if let text = try? String(contentsOfFile: status, encoding: .utf8) {
                let field = { (name: String) -> Int? in
                    text.split(separator: "\n").first { $0.hasPrefix(name + ":") }
                        .flatMap { Int($0.dropFirst(name.count + 1).split { $0 == " " || $0 == "\t" }.first ?? "") }
                }
                if let resident = field("VmRSS"), let peak = field("VmHWM") {
                    sampler.samples.append((Date().timeIntervalSince(start), resident))
                    sampler.peakKiB = max(sampler.peakKiB, peak)
                }
            }
            usleep(UInt32(interval * 1e6))
        }
        let result = command.wait(timeout: 0) ?? command.kill()
        if sampler.samples.isEmpty && !FileManager.default.fileExists(atPath: "/proc/self/status") { throw Unavailable() }
        return (result, sampler)
    }

    /// The largest resident size sampled between fractions `from` and `to` of the watch's length.
    func maximumKiB(from: Double, to: Double) -> Int {
        guard let end = samples.last?.seconds else { return 0 }
        return samples.filter { $0.seconds >= from * end && $0.seconds <= to * end }.map(\.residentKiB).max() ?? 0
    }
}
