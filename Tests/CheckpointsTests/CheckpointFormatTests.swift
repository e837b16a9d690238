import Foundation
import RecurrentNetwork
import XCTest
@testable import Checkpoints

/// The checkpoint file: what it holds, that it reads back exactly, and that every kind of
/// damage is refused with a `CheckpointError` naming the file.
final class CheckpointFormatTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws { folder = try CheckpointSample.temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func file(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }

    // MARK: What a checkpoint holds

    func testCheckpoint_roundTripRestoresEveryTensorAndField() throws {
        let original = CheckpointSample.make()
        try original.write(to: file("a.safetensors"))
        let restored = try Checkpoint.read(from: file("a.safetensors"))

        XCTAssertEqual(restored.model.configuration, original.model.configuration)
        XCTAssertEqual(restored.vocabulary, original.vocabulary)
        XCTAssertEqual(Array(restored.model.parameters.pointer, count: original.model.parameterCount).map(\.bitPattern),
                       Array(original.model.parameters.pointer, count: original.model.parameterCount).map(\.bitPattern))
        let optimizer = try XCTUnwrap(restored.optimizer)
        XCTAssertEqual(optimizer.kind, .adam)
        XCTAssertEqual(optimizer.step, 17)
        for name in ["exp_avg", "exp_avg_sq"] {
            let a = original.optimizer!.moments[name]!, b = optimizer.moments[name]!
            XCTAssertEqual(Array(b.pointer, count: b.count).map(\.bitPattern), Array(a.pointer, count: a.count).map(\.bitPattern), name)
        }
        XCTAssertEqual(restored.training, original.training)
        XCTAssertEqual(restored.position, original.position)
        XCTAssertEqual(restored.carriedState, original.carriedState)
        XCTAssertEqual(restored.carriedStateShape, [3, 6])
        XCTAssertEqual(restored.encoded(), CheckpointSample.bytes, "re-encoding a restored checkpoint changes its bytes")
    }

    /// A GRU or RNN checkpoint reads back as it was, under `nn.GRU`'s / `nn.RNN`'s names, with
    /// only h in its carried state.
    func testCheckpoint_roundTripKeepsTheCellItsTensorsAndItsCarriedState() throws {
        for (cell, rows) in [(CellKind.gru, 3 * 6), (.rnn, 6)] {
            let original = CheckpointSample.make(cell: cell)
            try original.write(to: file("\(cell).safetensors"))
            let restored = try Checkpoint.read(from: file("\(cell).safetensors"))
            XCTAssertEqual(restored.model.configuration.cell, cell)
            XCTAssertEqual(restored.model.configuration, original.model.configuration)
            XCTAssertEqual(Array(restored.model.parameters.pointer, count: original.model.parameterCount),
                           Array(original.model.parameters.pointer, count: original.model.parameterCount))
            XCTAssertEqual(restored.carriedState, original.carriedState)
            XCTAssertEqual(restored.carriedState.keys.sorted(), ["h_l0", "h_l1"])
            let contents = try SafeTensors.decode(original.encoded())
            XCTAssertEqual(contents.tensors["\(cell).weight_ih_l0"]?.shape, [rows, 4])
            XCTAssertEqual(contents.tensors["\(cell).weight_hh_l1"]?.shape, [rows, 6])
            XCTAssertEqual(contents.tensors["optimizer.exp_avg.\(cell).bias_hh_l1"]?.shape, [rows])
            XCTAssertEqual(restored.encoded(), original.encoded())
        }
    }

    /// The cell comes from the model metadata: a file without one holds an LSTM (as every file
    /// written before the other cells existed); an unknown cell, or LSTM tensors labelled as
    /// another cell, are refused.
    func testCheckpointReader_takesTheCellFromTheMetadata() throws {
        let model = try XCTUnwrap(try SafeTensors.decode(CheckpointSample.bytes).metadata["model"])
        var fields = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(model.utf8)) as? [String: Any])
        func withCell(_ cell: String?) throws -> Data {
            fields["cell"] = cell
            let json = String(decoding: try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]), as: UTF8.self)
            return try rewritingHeader(dropChecksum: true, setMetadata("model", json))
        }
        try withCell(nil).write(to: URL(fileURLWithPath: file("old.safetensors")))
        XCTAssertEqual(try Checkpoint.read(from: file("old.safetensors")).model.configuration.cell, .lstm)
        try assertRefused(try withCell("transformer"), "holds a transformer model, which this build cannot run (it runs lstm, gru, rnn)")
        try assertRefused(try withCell("gru"), "tensor gru.weight_ih_l0 is missing")
    }

    func testCheckpoint_isPlainSafetensorsWithPyTorchStateDictNames() throws {
        let bytes = CheckpointSample.bytes
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual((8 + headerLength) % 8, 0, "the data section starts 8-byte aligned")
        let contents = try SafeTensors.decode(bytes)
        let weights = contents.tensors.filter { !$0.key.hasPrefix("optimizer.") }
        XCTAssertEqual(weights.keys.sorted(), [
            "decoder.bias", "decoder.weight", "embedding.weight",
            "lstm.bias_hh_l0", "lstm.bias_hh_l1", "lstm.bias_ih_l0", "lstm.bias_ih_l1",
            "lstm.weight_hh_l0", "lstm.weight_hh_l1", "lstm.weight_ih_l0", "lstm.weight_ih_l1",
        ])
        let v = CheckpointSample.make().vocabulary.count
        XCTAssertEqual(weights["embedding.weight"]?.shape, [v, 4])
        XCTAssertEqual(weights["lstm.weight_ih_l0"]?.shape, [24, 4])
        XCTAssertEqual(weights["lstm.weight_ih_l1"]?.shape, [24, 6])
        XCTAssertEqual(weights["lstm.weight_hh_l1"]?.shape, [24, 6])
        XCTAssertEqual(weights["lstm.bias_hh_l1"]?.shape, [24])
        XCTAssertEqual(weights["decoder.weight"]?.shape, [v, 6])
        XCTAssertEqual(contents.tensors["optimizer.exp_avg.lstm.weight_hh_l0"]?.shape, [24, 6])
        XCTAssertEqual(contents.tensors["optimizer.carried_state.c_l1"]?.shape, [3, 6])
        XCTAssertEqual(Set(contents.metadata.keys), Checkpoint.metadataFields.subtracting(["parent"]),
                       "only a fine-tuned checkpoint names a parent")
        XCTAssertEqual(contents.metadata["format_version"], "1")
        XCTAssertEqual(contents.metadata["format"], "charlstm")
    }

    func testCheckpoint_fineTunedRecordsItsParentAndReadsItBack() throws {
        var checkpoint = CheckpointSample.make()
        checkpoint.parent = ParentCheckpoint(file: "checkpoints/base/best.safetensors", sha256: String(repeating: "ab", count: 32))
        let read = try Checkpoint.decode(checkpoint.encoded())
        XCTAssertEqual(read.parent, checkpoint.parent)
        XCTAssertNil(try Checkpoint.decode(CheckpointSample.make().encoded()).parent)
    }

    /// What a PyTorch user writes with `safetensors.torch.save_file`: weights and the four
    /// descriptive fields, no checksum, no training state.
    func testCheckpoint_weightsOnlyFileWithoutChecksumLoads() throws {
        let sample = try SafeTensors.decode(CheckpointSample.bytes)
        let weights = sample.entries.filter { !$0.name.hasPrefix("optimizer.") }.map {
            SafeTensors.Tensor(name: $0.name, shape: $0.shape, values: sample.tensors[$0.name]!.values)
        }
        let metadata = sample.metadata.filter { ["format", "format_version", "vocabulary", "model"].contains($0.key) }
        try SafeTensors.encode(weights.reversed(), metadata: metadata).write(to: URL(fileURLWithPath: file("w.safetensors")))
        let loaded = try Checkpoint.read(from: file("w.safetensors"))
        XCTAssertNil(loaded.optimizer)
        XCTAssertNil(loaded.position)
        XCTAssertEqual(loaded.carriedState, [:])
        let original = CheckpointSample.make().model
        XCTAssertEqual(Array(loaded.model.parameters.pointer, count: original.parameterCount),
                       Array(original.parameters.pointer, count: original.parameterCount))
    }

    // MARK: Refusals

    /// Writes `bytes` to NAME, reads it, and checks the refusal names the file and says `why`.
    func assertRefused(_ bytes: Data, _ why: String, file name: String = "bad.safetensors",
                       line: UInt = #line) throws {
        let path = file(name)
        try bytes.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Checkpoint.read(from: path), line: line) { error in
            guard let error = error as? CheckpointError else { return XCTFail("\(error) is not a CheckpointError", line: line) }
            XCTAssertEqual(error.path, path, line: line)
            XCTAssertTrue(error.description.hasPrefix(path + ": "), error.description, line: line)
            XCTAssertTrue(error.problem.contains(why), "\"\(error.problem)\" does not say \"\(why)\"", line: line)
            XCTAssertFalse(error.description.contains("\n"), line: line)
        }
    }

    /// The sample's bytes with the JSON header changed by `edit` (and re-measured).
    func rewritingHeader(dropChecksum: Bool = false, _ edit: (inout [String: Any]) -> Void) throws -> Data {
        let bytes = CheckpointSample.bytes
        let length = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        var header = try XCTUnwrap(JSONSerialization.jsonObject(with: bytes.subdata(in: 8 ..< 8 + length)) as? [String: Any])
        if dropChecksum {
            var metadata = header["__metadata__"] as! [String: String]
            metadata["checksum"] = nil
            header["__metadata__"] = metadata
        }
        edit(&header)
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        var result = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { result.append(contentsOf: $0) }
        return result + json + bytes.suffix(from: 8 + length)
    }

    func setTensor(_ name: String, _ key: String, _ value: Any) -> (inout [String: Any]) -> Void {
        { header in
            var entry = header[name] as! [String: Any]
            entry[key] = value
            header[name] = entry
        }
    }

    func setMetadata(_ key: String, _ value: String?) -> (inout [String: Any]) -> Void {
        { header in
            var metadata = header["__metadata__"] as! [String: String]
            metadata[key] = value
            header["__metadata__"] = metadata
        }
    }

    func testCheckpointReader_refusesTruncatedFiles() throws {
        let bytes = CheckpointSample.bytes
        try assertRefused(Data(), "too short")
        try assertRefused(bytes.prefix(5), "too short")
        try assertRefused(bytes.prefix(200), "truncated")
        try assertRefused(bytes.prefix(bytes.count / 2), "truncated")
        try assertRefused(bytes.dropLast(4), "truncated")
    }

    func testCheckpointReader_refusesFlippedBytesByChecksum() throws {
        var bytes = CheckpointSample.bytes
        bytes[bytes.count - 37] ^= 0x01
        try assertRefused(bytes, "checksum mismatch")
        bytes = CheckpointSample.bytes
        // A letter of a metadata field's JSON: still valid JSON, but not what was written.
        let position = bytes.range(of: Data("bestValidationLoss".utf8))!.lowerBound + 1
        bytes[position] ^= 0x01
        try assertRefused(bytes, "checksum mismatch")
    }

    func testCheckpointReader_refusesHeadersThatLieAboutOffsetsOrShapes() throws {
        // With the checksum, any change to the tensor table is caught by it…
        try assertRefused(try rewritingHeader(setTensor("decoder.weight", "shape", [6, 11])), "checksum mismatch")
        // …and without one (as in files written by other tools) by the structural checks.
        let dataBytes = try SafeTensors.decode(CheckpointSample.bytes).dataSection.count
        try assertRefused(try rewritingHeader(dropChecksum: true, setTensor("lstm.weight_hh_l0", "shape", [6, 24])),
                          "has shape [6, 24], expected [24, 6]")
        try assertRefused(try rewritingHeader(dropChecksum: true, setTensor("lstm.weight_hh_l0", "shape", [25, 6])),
                          "do not fit its shape")
        try assertRefused(try rewritingHeader(dropChecksum: true, setTensor("decoder.bias", "data_offsets", [dataBytes, dataBytes + 4 * 11])),
                          "truncated")
        try assertRefused(try rewritingHeader(dropChecksum: true, setTensor("decoder.bias", "data_offsets", [-8, 32])),
                          "do not fit")
        try assertRefused(try rewritingHeader(dropChecksum: true, setTensor("lstm.bias_hh_l0", "shape", [1 << 31, 1 << 31, 4])),
                          "do not fit")
        // Two tensors of the same size claiming the same bytes.
        let contents = try SafeTensors.decode(CheckpointSample.bytes)
        let ih = contents.entries.first { $0.name == "lstm.bias_ih_l0" }!
        try assertRefused(try rewritingHeader(dropChecksum: true, setTensor("lstm.bias_hh_l0", "data_offsets", [ih.start, ih.end])),
                          "overlaps")
        try assertRefused(try rewritingHeader(dropChecksum: true, setTensor("lstm.bias_hh_l0", "dtype", "F16")),
                          "dtype F16")
        try assertRefused(try rewritingHeader(dropChecksum: true) { $0["decoder.bias"] = nil }, "has a hole at byte")
        let last = contents.entries.last!.name
        try assertRefused(try rewritingHeader(dropChecksum: true) { $0[last] = nil }, "no tensor claims")
        try assertRefused(try rewritingHeader(dropChecksum: true, setTensor("decoder.bias", "data_offsets", "0-40")), "malformed")
    }

    /// Sizes that would need terabytes are refused from the header alone, before anything of
    /// that size is allocated: the length prefix, the model's dimensions, the vocabulary.
    func testCheckpointReader_refusesEnormousDeclaredSizesWithoutAllocatingThem() throws {
        var huge = Data()
        withUnsafeBytes(of: UInt64(1 << 62).littleEndian) { huge.append(contentsOf: $0) }
        try assertRefused(huge + Data("{}".utf8), "declare")
        let model = try XCTUnwrap(try SafeTensors.decode(CheckpointSample.bytes).metadata["model"])
        let cases: [([String: Int], String)] = [
            (["hiddenSize": 1 << 40], "--hidden must be between"), (["embeddingSize": 1 << 40], "--embedding must be between"),
            (["vocabularySize": 1 << 40], "the model expects"), (["layers": 1 << 40], "--layers must be between"),
            (["hiddenSize": Int.max / 2], "--hidden must be between"),
            // Within every bound, yet 2^37 weights (512 GiB) that the file does not hold.
            (["hiddenSize": 16384, "embeddingSize": 16384, "layers": 64], "expected"),
        ]
        for (fields, why) in cases {
            var edited = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(model.utf8)) as? [String: Any])
            for (field, value) in fields { edited[field] = value }
            let json = String(decoding: try JSONSerialization.data(withJSONObject: edited, options: [.sortedKeys]), as: UTF8.self)
            try assertRefused(try rewritingHeader(dropChecksum: true, setMetadata("model", json)), why)
        }
    }

    func testCheckpointReader_refusesUnknownFormatVersionsAndForeignFiles() throws {
        try assertRefused(try rewritingHeader(setMetadata("format_version", "2")), "format version 2 is not supported")
        try assertRefused(try rewritingHeader(setMetadata("format_version", nil)), "not a CharLSTM checkpoint")
        try assertRefused(try rewritingHeader(setMetadata("format", "gguf")), "not a CharLSTM checkpoint")
        try assertRefused(try rewritingHeader(setMetadata("author", "someone")), "checksum mismatch")
        try assertRefused(try rewritingHeader(dropChecksum: true, setMetadata("author", "someone")), "field \"author\"")
        try assertRefused(try rewritingHeader(dropChecksum: true, setMetadata("model", "{\"cell\":\"gru\"}")), "model metadata")
        try assertRefused(try rewritingHeader(dropChecksum: true, setMetadata("vocabulary", "[98,97]")), "vocabulary")
        try assertRefused(try rewritingHeader { $0["__metadata__"] = 7 }, "__metadata__ is not a map of strings")
        try assertRefused(Data("To be, or not to be: that is the question.\n".utf8), "not a safetensors file")
        try assertRefused(Data("{\"a\": 1}".utf8), "not a safetensors file")
        var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        png.append(Data(repeating: 0, count: 64))
        try assertRefused(png, "not a safetensors file")
        try assertRefused(SafeTensors.encode([], metadata: [:]), "not a CharLSTM checkpoint")
    }

    func testCheckpointReader_refusesNonFiniteWeightsAndMissingTensors() throws {
        let sample = try SafeTensors.decode(CheckpointSample.bytes)
        var tensors = sample.entries.map {
            SafeTensors.Tensor(name: $0.name, shape: $0.shape, values: sample.tensors[$0.name]!.values)
        }
        var metadata = sample.metadata
        metadata["checksum"] = nil
        let index = tensors.firstIndex { $0.name == "lstm.weight_ih_l1" }!
        tensors[index].values[3] = .nan
        try assertRefused(SafeTensors.encode(tensors, metadata: metadata), "lstm.weight_ih_l1 holds NaN")
        tensors.remove(at: index)
        try assertRefused(SafeTensors.encode(tensors, metadata: metadata), "lstm.weight_ih_l1 is missing")
        let carried = tensors.firstIndex { $0.name == "optimizer.carried_state.h_l1" }!
        tensors = sample.entries.map { SafeTensors.Tensor(name: $0.name, shape: $0.shape, values: sample.tensors[$0.name]!.values) }
        tensors.remove(at: carried)
        try assertRefused(SafeTensors.encode(tensors, metadata: metadata), "carried state")
    }

    func testCheckpointReader_namesMissingFilesAndFolders() throws {
        XCTAssertThrowsError(try Checkpoint.read(from: file("absent.safetensors"))) { error in
            XCTAssertEqual((error as? CheckpointError)?.description, file("absent.safetensors") + ": no such file")
        }
        XCTAssertThrowsError(try Checkpoint.read(from: folder)) { error in
            XCTAssertEqual((error as? CheckpointError)?.path, folder)
        }
    }
}

extension Array where Element == Float {
    init(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        self.init(UnsafeBufferPointer(start: pointer, count: count))
    }
}
