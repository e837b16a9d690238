import ArgumentParser
import Checkpoints
import Console
import Foundation
import Inspection
import Kernels
import RecurrentNetwork
import Tokenization
import Training

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "What the model does inside: an activations page (--html), findings (--json), gradient flow (--gradients).",
        discussion: """
        The model reads the first --chars characters of --text from a fresh state. --html writes one \
        self-contained page: the text coloured by any unit's hidden state, cell state or gate \
        (LSTM: keep/write/read, PyTorch's f/i/o; GRU: reset/update/candidate), the top next characters on hover, the units that best \
        track quotes, brackets, the position in the line and word starts (Pearson r over the text), \
        and how often each gate is saturated. Open it at #layer=0&quantity=cell&unit=3 to start \
        there. --json prints the ranked units and the saturation figures.

        --gradients OUT.svg measures how strongly the loss at a step depends on each layer's hidden \
        state k steps earlier, mean ‖∂L_t/∂h_(t−k)‖ for k = 1…--max-distance, over --positions \
        windows spread evenly over the whole text. Each window first reads the --warmup characters \
        before it (from a zero state, without gradient), then the loss of the last step only is \
        backpropagated. With several checkpoints, one chart compares them; --json then prints the \
        curves. Together with --html (one checkpoint), --json holds both.
        """)

    @Argument(help: "Checkpoint files or run folders (their best checkpoint); several only with --gradients.")
    var checkpoints: [String]
    @Option(help: "The text to read (a UTF-8 file).") var text: String
    @Option(help: "Write the activations page to this file.") var html: String?
    @Option(help: "Write the gradient-flow chart (SVG) to this file.") var gradients: String?
    @Flag(help: "Print the findings (and the gradient flow) as JSON on stdout.") var json = false
    @Option(help: "Characters of the text the page and the findings cover.") var chars: Int = 20000
    @Option(help: "Units listed per property.") var top: Int = 10
    @Option(name: .customLong("max-distance"), help: "Largest k of the gradient flow.") var maxDistance: Int = 200
    @Option(help: "Positions the gradient flow is averaged over.") var positions: Int = 128
    @Option(help: "Characters each gradient-flow window reads before it.") var warmup: Int = 100
    @Flag(name: .customLong("skip-unknown"), help: "Drop characters the model does not know (with a warning) instead of stopping.")
    var skipUnknown = false
    @Flag(name: .customLong("replace-invalid"), help: "Replace invalid UTF-8 with U+FFFD instead of stopping.")
    var replaceInvalid = false

    func validate() throws {
        if checkpoints.isEmpty { throw ValidationError("name a checkpoint file or run folder") }
        if html == nil && gradients == nil && !json { throw ValidationError("say what to produce: --html FILE, --gradients FILE and/or --json") }
        if checkpoints.count > 1 && (gradients == nil || html != nil) {
            throw ValidationError("several checkpoints are compared only by --gradients (without --html)")
        }
        if chars < 2 || chars > 10_000_000 { throw ValidationError("--chars must be between 2 and 10000000 (got \(chars))") }
        if top < 1 || top > 10_000 { throw ValidationError("--top must be between 1 and 10000 (got \(top))") }
        if maxDistance < 1 || maxDistance > 100_000 { throw ValidationError("--max-distance must be between 1 and 100000 (got \(maxDistance))") }
        if positions < 1 || positions > 100_000 { throw ValidationError("--positions must be between 1 and 100000 (got \(positions))") }
        if warmup < 0 || warmup > 100_000 { throw ValidationError("--warmup must be between 0 and 100000 (got \(warmup))") }
    }

    /// Activations are read when there is a page to write, or when only findings are asked for.
    var readsActivations: Bool { html != nil || gradients == nil }

    func run() throws {
        Parallel.configure(threads: ProcessInfo.processInfo.activeProcessorCount)
        let paths = try checkpoints.map(resolveCheckpointArgument)
        let loaded = try paths.map { try Checkpoint.read(from: $0) }
        let scalars = try CorpusReader.read([text], invalidUTF8: replaceInvalid ? .replace : .fail)
        // Opened first, so an unwritable path fails before the work.
        let page = try html.map { try AtomicFileWriter(path: $0) }
        let chart = try gradients.map { try AtomicFileWriter(path: $0) }
        var report = [String: Any]()

        if readsActivations {
            let checkpoint = loaded[0]
            if scalars.count > chars {
                Terminal.note("charlstm: reading the first \(chars) of the \(scalars.count) characters of \(text) (--chars)")
            }
            let (known, tokens) = try encode(Array(scalars.prefix(chars)), checkpoint.vocabulary)
            guard tokens.count >= 2 else { throw UsageError("\(text): needs at least 2 characters the model knows") }
            let trace = ActivationTrace(model: checkpoint.model, tokens: tokens, text: known)
            let findings = trace.findings(perProperty: top)
            if let page, let html {
                let title = "\(paths[0]) (\(describe(checkpoint.model.configuration))) reading \(tokens.count) characters of \(text)"
                let document = Data(ActivationPage.html(trace: trace, text: known, vocabulary: checkpoint.vocabulary,
                                                        title: title, findings: findings).utf8)
                try page.append(document)
                try page.commit()
                Terminal.note(String(format: "charlstm: wrote %@ (%.1f MiB, %d characters)", html, Double(document.count) / 1_048_576, tokens.count))
            }
            report["checkpoint"] = paths[0]
            report["characters"] = tokens.count
            report["units"] = findings.enumerated().map { index, f -> [String: Any] in
                ["property": f.property.rawValue, "rank": rank(of: index, in: findings), "layer": f.layer, "quantity": f.quantity.rawValue,
                 "pytorch": f.quantity.pytorchName, "unit": f.unit, "correlation": f.correlation]
            }
            report["saturation"] = trace.saturation.map { s -> [String: Any] in
                ["layer": s.layer, "gate": s.gate.rawValue, "pytorch": s.gate.pytorchName,
                 "below_0_1": s.belowFraction, "above_0_9": s.aboveFraction]
            }
        }

        if let chart, let gradients {
            var series = [[String: Any]](), lines = [GradientFlowChart.Series]()
            var flows = [GradientFlow]()
            for (path, checkpoint) in zip(paths, loaded) {
                let (_, tokens) = try encode(scalars, checkpoint.vocabulary)
                let needed = GradientFlow.charactersNeeded(maxDistance: maxDistance, warmup: warmup)
                guard tokens.count >= needed else {
                    throw UsageError("\(text): the gradient flow needs at least \(needed) characters (--warmup \(warmup) + --max-distance \(maxDistance) + 2); it has \(tokens.count)")
                }
                let flow = GradientFlow(model: checkpoint.model, tokens: tokens, maxDistance: maxDistance, positions: positions, warmup: warmup)
                flows.append(flow)
                let name = checkpointName(path)
                for (layer, norms) in flow.norms.enumerated() {
                    series.append(["checkpoint": path, "name": name, "cell": checkpoint.model.configuration.cell.rawValue,
                                   "layer": layer, "starts": flow.starts, "norms": norms])
                    lines.append(.init(label: "\(name) · \(describe(checkpoint.model.configuration)) · layer \(layer)", values: norms))
                }
            }
            let title = "Gradient flow on \(text): mean over \(flows[0].starts.count) positions, warm-up \(warmup) characters"
            try chart.append(Data(GradientFlowChart.svg(series: lines, title: title).utf8))
            try chart.commit()
            Terminal.note("charlstm: wrote \(gradients)")
            report["gradient_flow"] = ["text": text, "k_max": maxDistance, "warmup": warmup, "series": series] as [String: Any]
        }

        if json {
            let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    /// The text as this vocabulary's tokens, with the characters kept; unknown characters are
    /// an error naming them, or with --skip-unknown dropped with a warning.
    func encode(_ scalars: [Unicode.Scalar], _ vocabulary: Vocabulary) throws -> ([Unicode.Scalar], [Int32]) {
        let unknown = vocabulary.unknownCharacters(in: scalars)
        if !unknown.isEmpty {
            guard skipUnknown else {
                throw UsageError("\(text): \(VocabularyError.unknownCharacters(unknown)); remove them or pass --skip-unknown")
            }
            Terminal.note("charlstm: warning: left out characters the model does not know: " + describeCharacterCounts(unknown))
        }
        let known = scalars.filter { vocabulary.index(of: $0) != nil }
        return (known, known.map { vocabulary.index(of: $0)! })
    }

    /// 1 for the first finding of its property, 2 for the second, …
    func rank(of index: Int, in findings: [UnitFinding]) -> Int {
        findings[..<index].reversed().prefix { $0.property == findings[index].property }.count + 1
    }

    func describe(_ c: ModelConfiguration) -> String { "\(c.layers)×\(c.hiddenSize) \(c.cell.displayName)" }

    /// A checkpoint as a legend names it: its folder and file, "bundled/best.safetensors".
    func checkpointName(_ path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().lastPathComponent
        return folder.isEmpty || folder == "/" ? url.lastPathComponent : "\(folder)/\(url.lastPathComponent)"
    }
}
