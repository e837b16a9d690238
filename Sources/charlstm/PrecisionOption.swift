import ArgumentParser
import Kernels

/// `--precision`, on the commands that run a model forward (generate, repl, eval).
struct PrecisionOption: ParsableArguments {
    @Option(name: .customLong("precision"),
            help: "Weights to multiply: fp32 (the checkpoint's own), bf16 (half the bytes) or int8 (a quarter, one scale per output row); quantised once at load, the checkpoint is not changed. Activations, cell state and softmax stay fp32.")
    var name: String = WeightPrecision.fp32.rawValue

    func validate() throws {
        if WeightPrecision(rawValue: name) == nil { throw ValidationError("--precision must be \(WeightPrecision.names), got '\(name)'") }
    }

    var precision: WeightPrecision { WeightPrecision(rawValue: name) ?? .fp32 }
}
