import Foundation
import Kernels
import RecurrentNetwork
import Tokenization

/// Everything one checkpoint file holds: the model (architecture and weights), its vocabulary,
/// and, for a training checkpoint, the optimizer state, the run's configuration and position.
public struct Checkpoint {
    public var model: CharModel
    public var vocabulary: Vocabulary
    public var optimizer: Optimizer?
    public var training: TrainingConfiguration?
    public var position: TrainingPosition?
    /// The recurrent state carried between training steps (truncated BPTT), by name
    /// (`h_l0`, and for an LSTM `c_l0`, …, each batch×hidden), so a resumed run continues mid-epoch exactly.
    /// Stored as `optimizer.carried_state.<name>`: like the moments it is training state that
    /// a PyTorch user drops with the rest of `optimizer.*`.
    public var carriedState: [String: [Float]]
    public var carriedStateShape: [Int]
    /// The checkpoint this model was fine-tuned from, if any (metadata `parent`).
    public var parent: ParentCheckpoint?
    /// The charlstm version that wrote the file read (metadata `charlstm_version`); nil for a file
    /// from before versions were recorded, or from another writer. `encoded()` always records
    /// this build's `ToolVersion.current`.
    public var writtenBy: String?

    public init(model: CharModel, vocabulary: Vocabulary, optimizer: Optimizer? = nil,
                training: TrainingConfiguration? = nil, position: TrainingPosition? = nil,
                carriedState: [String: [Float]] = [:], carriedStateShape: [Int] = [], parent: ParentCheckpoint? = nil) {
        self.model = model
        self.vocabulary = vocabulary
        self.optimizer = optimizer
        self.training = training
        self.position = position
        self.carriedState = carriedState
        self.carriedStateShape = carriedStateShape
        self.parent = parent
    }

    static let carriedStatePrefix = "optimizer.carried_state."

    /// The format version this build writes and the only one it reads. Bump it when the
    /// meaning of a tensor or metadata field changes.
    public static let formatVersion = 1
    static let formatName = "charlstm"

    /// The model configuration as stored: the architecture plus the cell type, so a reader can
    /// tell the recurrent cells apart by the metadata alone. A file without `cell` holds an LSTM.
    struct StoredModel: Codable {
        var cell: String?
        var vocabularySize: Int
        var embeddingSize: Int
        var hiddenSize: Int
        var layers: Int
        var dropout: Float
        /// Training-time only (absent in files from before them, and in PyTorch-written ones).
        var dropoutMask: DropoutMask?
        var embeddingDropout: Float?
        var weightDrop: Float?
    }

    struct StoredOptimizer: Codable {
        var kind: OptimizerKind
        var step: Int
    }

    // MARK: Writing

    /// The checkpoint as safetensors bytes.
    public func encoded() -> Data {
        let (tensors, metadata) = contents()
        return SafeTensors.encode(tensors, metadata: metadata)
    }

    /// Writes the checkpoint atomically (see `AtomicFile`) to each path in turn, straight from the
    /// model's and the optimizer's buffers: the file's bytes are never assembled in memory, and
    /// the metadata and checksum are formed once for all the copies.
    public func write(to paths: String...) throws {
        let (tensors, metadata) = contents()
        for path in paths {
            let writer = try AtomicFileWriter(path: path)
            try SafeTensors.write(tensors, metadata: metadata, to: writer)
            try writer.commit()
        }
    }

    /// The tensors (borrowing the model's and optimizer's buffers, which live as long as this
    /// checkpoint) and the metadata, checksum included.
    private func contents() -> (tensors: [SafeTensors.Tensor], metadata: [String: String]) {
        let layout = model.layout
        func view(_ buffer: FloatBuffer, _ t: ParameterLayout.Tensor) -> UnsafeBufferPointer<Float> {
            UnsafeBufferPointer(start: buffer.at(t.offset), count: t.count)
        }
        var tensors = layout.tensors.map { t in
            SafeTensors.Tensor(name: t.name, shape: t.shape, borrowing: view(model.parameters, t))
        }
        var metadata: [String: String] = [
            "format": Self.formatName,
            "format_version": String(Self.formatVersion),
            "charlstm_version": ToolVersion.current,
            "vocabulary": json(vocabulary.codePoints),
            "model": json(StoredModel(cell: model.configuration.cell.rawValue, vocabularySize: model.configuration.vocabularySize,
                                      embeddingSize: model.configuration.embeddingSize,
                                      hiddenSize: model.configuration.hiddenSize,
                                      layers: model.configuration.layers, dropout: model.configuration.dropout,
                                      dropoutMask: model.configuration.dropoutMask,
                                      embeddingDropout: model.configuration.embeddingDropout,
                                      weightDrop: model.configuration.weightDrop)),
        ]
        if let optimizer {
            metadata["optimizer"] = json(StoredOptimizer(kind: optimizer.kind, step: optimizer.step))
            for name in optimizer.kind.momentNames {
                let buffer = optimizer.moments[name]!
                tensors += layout.tensors.map { t in
                    SafeTensors.Tensor(name: "optimizer.\(name).\(t.name)", shape: t.shape, borrowing: view(buffer, t))
                }
            }
        }
        for name in carriedState.keys.sorted() {
            tensors.append(SafeTensors.Tensor(name: Self.carriedStatePrefix + name, shape: carriedStateShape,
                                              values: carriedState[name]!))
        }
        if let training { metadata["training"] = json(training) }
        if let position { metadata["position"] = json(position) }
        if let parent { metadata["parent"] = json(parent) }
        metadata["checksum"] = Self.checksum(metadata: metadata, entries: SafeTensors.entries(for: tensors)) { crc in
            for t in tensors { t.withBytes { crc.update($0) } }
        }
        return (tensors, metadata)
    }

    /// The metadata fields a checkpoint may hold. Anything else is refused: a field this build
    /// does not know could change the meaning of the file (a newer format), and a damaged
    /// `checksum` key would otherwise turn a checked file into an unchecked one.
    public static let metadataFields: Set<String> = [
        "format", "format_version", "charlstm_version", "vocabulary", "model", "optimizer", "training", "position", "checksum", "parent",
    ]

    /// CRC-32 of everything in the file that carries meaning: every metadata field but the
    /// checksum itself, the header's tensor table (name, shape, byte range), and the tensor bytes.
    /// Formatting (JSON spacing, key order, padding) is left out, so any safetensors writer can
    /// produce the same file. Written as 8 lowercase hex digits.
    /// `addData` feeds the data section's bytes, in order, to the CRC.
    static func checksum(metadata: [String: String], entries: [SafeTensors.Entry],
                         addData: (inout CRC32) -> Void) -> String {
        var crc = CRC32()
        func field(_ text: String) {
            crc.update(Array(text.utf8))
            crc.update([0])
        }
        for key in metadata.keys.sorted() where key != "checksum" {
            field(key)
            field(metadata[key]!)
        }
        for e in entries.sorted(by: { $0.name < $1.name }) {
            field(e.name)
            field(e.shape.map(String.init).joined(separator: ","))
            field("\(e.start),\(e.end)")
        }
        addData(&crc)
        return String(format: "%08x", crc.checksum)
    }

    private func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    // MARK: Reading

    /// Reads and fully validates a checkpoint file. Any problem is a `CheckpointError` naming
    /// the file; nothing half-loaded is ever returned.
    public static func read(from path: String) throws -> Checkpoint {
        try decode(readBytes(from: path), from: path)
    }

    /// A checkpoint file's bytes, not yet checked; a file that cannot be read is a
    /// `CheckpointError` naming it.
    public static func readBytes(from path: String) throws -> Data {
        // Read, not memory-mapped: a mapped file that shrinks while it is decoded (copied over
        // in place by `cp`) kills the process with SIGBUS.
        do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            var isFolder: ObjCBool = false
            if !FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
                throw CheckpointError(path: path, problem: "no such file")
            }
            throw CheckpointError(path: path, problem: isFolder.boolValue ? "is a folder with no checkpoint in it" : "cannot be read")
        }
    }

    /// Fully validates a checkpoint's bytes, read from `path` here or elsewhere (rank 0 of a
    /// data-parallel job reads the file for all ranks). Any problem is a `CheckpointError`
    /// naming `path`.
    public static func decode(_ data: Data, from path: String) throws -> Checkpoint {
        do {
            return try decode(data)
        } catch SafeTensorsError.damaged(let why) {
            throw CheckpointError(path: path, problem: "not a valid checkpoint: \(why)")
        } catch let problem as CheckpointProblem {
            throw CheckpointError(path: path, problem: problem.description)
        }
    }

    struct CheckpointProblem: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static func decode(_ data: Data) throws -> Checkpoint {
        let contents = try SafeTensors.decode(data)
        let meta = contents.metadata
        guard meta["format"] == formatName, let versionText = meta["format_version"] else {
            throw CheckpointProblem("it is a safetensors file but not a CharLSTM checkpoint (no format metadata)")
        }
        guard let version = Int(versionText), version == formatVersion else {
            throw CheckpointProblem("format version \(versionText) is not supported by this build (it reads version \(formatVersion)); use a matching charlstm")
        }
        if let stored = meta["checksum"], stored != checksum(metadata: meta, entries: contents.entries, addData: { crc in
            contents.dataSection.withUnsafeBytes { crc.update($0) }
        }) {
            throw CheckpointProblem("checksum mismatch: the file is damaged")
        }
        if let unknown = meta.keys.sorted().first(where: { !metadataFields.contains($0) }) {
            throw CheckpointProblem("its metadata has a field \"\(unknown)\" this build does not know (damaged, or written by a newer charlstm)")
        }
        guard let vocabularyText = meta["vocabulary"],
              let codePoints = try? JSONDecoder().decode([UInt32].self, from: Data(vocabularyText.utf8)),
              let vocabulary = Vocabulary(codePoints: codePoints) else {
            throw CheckpointProblem("its vocabulary metadata is missing or invalid")
        }
        guard let modelText = meta["model"],
              let stored = try? JSONDecoder().decode(StoredModel.self, from: Data(modelText.utf8)) else {
            throw CheckpointProblem("its model metadata is missing or invalid")
        }
        guard let cell = CellKind(rawValue: stored.cell ?? CellKind.lstm.rawValue) else {
            throw CheckpointProblem("it holds a \(stored.cell ?? "") model, which this build cannot run (it runs \(CellKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let configuration = ModelConfiguration(vocabularySize: stored.vocabularySize, embeddingSize: stored.embeddingSize,
                                               hiddenSize: stored.hiddenSize, layers: stored.layers, dropout: stored.dropout,
                                               cell: cell, dropoutMask: stored.dropoutMask,
                                               embeddingDropout: stored.embeddingDropout ?? 0, weightDrop: stored.weightDrop ?? 0)
        if let problem = configuration.problem { throw CheckpointProblem("its model metadata is invalid: \(problem)") }
        guard configuration.vocabularySize == vocabulary.count else {
            throw CheckpointProblem("its vocabulary has \(vocabulary.count) characters but the model expects \(configuration.vocabularySize)")
        }
        let layout = ParameterLayout(configuration)
        let parameters = try buffer(prefix: "", layout: layout, from: contents)

        var optimizer: Optimizer?
        if let text = meta["optimizer"] {
            guard let state = try? JSONDecoder().decode(StoredOptimizer.self, from: Data(text.utf8)), state.step >= 0 else {
                throw CheckpointProblem("its optimizer metadata is invalid")
            }
            var moments = [String: FloatBuffer]()
            for name in state.kind.momentNames {
                moments[name] = try buffer(prefix: "optimizer.\(name).", layout: layout, from: contents)
            }
            optimizer = Optimizer(kind: state.kind, parameterCount: layout.totalCount, step: state.step, moments: moments)
        }
        let expected = Set(layout.tensors.map(\.name)).union(optimizer.map { o in
            o.kind.momentNames.flatMap { m in layout.tensors.map { "optimizer.\(m).\($0.name)" } }
        } ?? [])
        var carried = [String: [Float]]()
        var carriedShape = [Int]()
        for (name, tensor) in contents.tensors where name.hasPrefix(carriedStatePrefix) {
            let (shape, values) = tensor
            guard shape.count == 2, shape[0] >= 1, shape[1] == configuration.hiddenSize,
                  carriedShape.isEmpty || carriedShape == shape, values.allSatisfy(\.isFinite) else {
                throw CheckpointProblem("tensor \(name) does not hold a valid carried state")
            }
            carriedShape = shape
            carried[String(name.dropFirst(carriedStatePrefix.count))] = values
        }
        // A carried state is all or nothing: half of one would resume from a state that never was.
        let carriedNames = Set(UnrolledNetwork.carriedStateNames(configuration))
        if !carried.isEmpty, Set(carried.keys) != carriedNames {
            throw CheckpointProblem("its carried state has tensors \(carried.keys.sorted()), expected \(carriedNames.sorted())")
        }
        if let extra = contents.tensors.keys.sorted().first(where: { !expected.contains($0) && !$0.hasPrefix(carriedStatePrefix) }) {
            throw CheckpointProblem("it holds an unexpected tensor \(extra) for a \(configuration.layers)-layer \(cell.displayName)")
        }
        var training: TrainingConfiguration?, position: TrainingPosition?
        if let text = meta["training"] {
            guard let t = try? JSONDecoder().decode(TrainingConfiguration.self, from: Data(text.utf8)) else {
                throw CheckpointProblem("its training metadata is invalid")
            }
            if let problem = t.problem { throw CheckpointProblem("its training metadata is invalid: \(problem)") }
            training = t
        }
        if let text = meta["position"] {
            guard let p = try? JSONDecoder().decode(TrainingPosition.self, from: Data(text.utf8)) else {
                throw CheckpointProblem("its training-position metadata is invalid")
            }
            if let problem = p.problem { throw CheckpointProblem("its training-position metadata is invalid: \(problem)") }
            position = p
        }
        var parent: ParentCheckpoint?
        if let text = meta["parent"] {
            guard let p = try? JSONDecoder().decode(ParentCheckpoint.self, from: Data(text.utf8)) else {
                throw CheckpointProblem("its parent metadata is invalid")
            }
            parent = p
        }
        let model = CharModel(configuration: configuration, parameters: parameters)
        var checkpoint = Checkpoint(model: model, vocabulary: vocabulary, optimizer: optimizer, training: training,
                                    position: position, carriedState: carried, carriedStateShape: carriedShape, parent: parent)
        checkpoint.writtenBy = meta["charlstm_version"]
        return checkpoint
    }

    /// The layout's tensors (under `prefix`) gathered into one buffer. Every tensor is checked
    /// first, so the buffer is only allocated when the file really holds that many values: a
    /// header that claims a huge model over small tensors is refused, not allocated.
    private static func buffer(prefix: String, layout: ParameterLayout, from contents: SafeTensors.Contents) throws -> FloatBuffer {
        for t in layout.tensors {
            guard let stored = contents.tensors[prefix + t.name] else {
                throw CheckpointProblem("tensor \(prefix + t.name) is missing")
            }
            guard stored.shape == t.shape else {
                throw CheckpointProblem("tensor \(prefix + t.name) has shape \(stored.shape), expected \(t.shape)")
            }
            guard stored.values.allSatisfy(\.isFinite) else {
                throw CheckpointProblem("tensor \(prefix + t.name) holds NaN or infinite values")
            }
        }
        let buffer = FloatBuffer(count: layout.totalCount)
        for t in layout.tensors {
            contents.tensors[prefix + t.name]!.values.withUnsafeBufferPointer { buffer.at(t.offset).update(from: $0.baseAddress!, count: t.count) }
        }
        return buffer
    }
}

/// A checkpoint that could not be used, with the file and the reason, in one line.
public struct CheckpointError: Error, CustomStringConvertible {
    public let path: String
    public let problem: String
    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }
    public var description: String { "\(path): \(problem)" }
}
