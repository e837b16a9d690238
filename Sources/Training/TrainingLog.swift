import Checkpoints
import Foundation

/// One row of a run's CSV log, written at each evaluation.
public struct LogRow {
    /// The epoch counted from 1 (`TrainingPosition.epochNumber`), as every output shows it.
    public var step: Int, epoch: Int
    public var trainLoss: Double, validationLoss: Double?
    public var learningRate: Float, charsPerSecond: Double, seconds: Double
}

/// The run's `log.csv`: appended at each evaluation, so it survives resumes and crashes.
public enum TrainingLog {
    public static let header = "step,epoch,train_loss,val_loss,lr,chars_per_sec,seconds\n"

    public static func append(_ row: LogRow, to path: String) throws {
        var text = ""
        if !FileManager.default.fileExists(atPath: path) { text += header }
        text += String(format: "%d,%d,%.5f,%@,%.6g,%.0f,%.1f\n", row.step, row.epoch, row.trainLoss,
                       row.validationLoss.map { String(format: "%.5f", $0) } ?? "", row.learningRate,
                       row.charsPerSecond, row.seconds)
        guard let handle = FileHandle(forWritingAtPath: path) ?? {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            return FileHandle(forWritingAtPath: path)
        }() else { throw FileWriteError.cannotWrite(path: path, reason: "cannot open it for appending") }
        defer { try? handle.close() }
        do {
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
        } catch {
            throw FileWriteError.cannotWrite(path: path, reason: error.localizedDescription)
        }
    }
}

/// Draws train and validation loss against step as a small standalone SVG.
public enum LossPlot {
    public static func svg(history: [Evaluation], title: String) -> String {
        let width = 640.0, height = 360.0, left = 60.0, right = 20.0, top = 30.0, bottom = 40.0
        let points = history.filter { $0.trainLoss.isFinite && $0.validationLoss.isFinite }
        let steps = points.map { Double($0.step) }
        let losses = points.flatMap { [$0.trainLoss, $0.validationLoss] }
        let xMax = max(steps.max() ?? 1, 1), xMin = min(steps.min() ?? 0, xMax - 1)
        var yMin = losses.min() ?? 0, yMax = losses.max() ?? 1
        if yMax - yMin < 1e-6 { yMin -= 0.5; yMax += 0.5 }
        func x(_ s: Double) -> Double { left + (s - xMin) / (xMax - xMin) * (width - left - right) }
        func y(_ l: Double) -> Double { top + (yMax - l) / (yMax - yMin) * (height - top - bottom) }
        func line(_ values: [Double], _ colour: String) -> String {
            let coordinates = zip(steps, values).map { String(format: "%.1f,%.1f", x($0), y($1)) }.joined(separator: " ")
            return "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(coordinates)\"/>"
        }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(Int(left))\" y=\"18\" font-size=\"14\">\(escape(title))</text>\n"
        s += String(format: "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", left, height - bottom, width - right, height - bottom)
        s += String(format: "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", left, top, left, height - bottom)
        for k in 0...4 {
            let value = yMin + (yMax - yMin) * Double(k) / 4
            s += String(format: "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%.2f</text>\n", left - 6, y(value) + 4, value)
            let step = xMin + (xMax - xMin) * Double(k) / 4
            s += String(format: "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">%.0f</text>\n", x(step), height - bottom + 16, step)
        }
        s += "<text x=\"\(Int(width / 2))\" y=\"\(Int(height - 6))\" text-anchor=\"middle\">step</text>\n"
        s += "<text x=\"14\" y=\"\(Int(height / 2))\" transform=\"rotate(-90 14 \(Int(height / 2)))\" text-anchor=\"middle\">loss (nats/char)</text>\n"
        if !points.isEmpty {
            s += line(points.map(\.trainLoss), "#1f77b4") + "\n" + line(points.map(\.validationLoss), "#d62728") + "\n"
        }
        s += "<text x=\"\(Int(width - 150))\" y=\"\(Int(top + 10))\" fill=\"#1f77b4\">— train</text>\n"
        s += "<text x=\"\(Int(width - 150))\" y=\"\(Int(top + 26))\" fill=\"#d62728\">— validation</text>\n"
        return s + "</svg>\n"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
