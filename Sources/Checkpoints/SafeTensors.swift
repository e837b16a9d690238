import Foundation

/// The safetensors container: an 8-byte little-endian header length, a JSON header naming each
/// tensor's dtype, shape and byte range, an optional `__metadata__` map of strings, then the raw
/// little-endian tensor bytes. Only F32 tensors are written or accepted.
public enum SafeTensors {
    /// A tensor to store: name, shape and its Float values, either its own or borrowed.
    ///
    /// A borrowed tensor points at floats someone else keeps alive and unchanged until it has
    /// been written (a model's parameter buffer, an optimizer's moments): writing a checkpoint then
    /// copies nothing, where copying the weights and both Adam moments of a 2×512 model, once into
    /// arrays and again into the file's bytes, used to add about 120 MB to a training run's peak.
    public struct Tensor: Equatable {
        public var name: String
        public var shape: [Int]
        private enum Storage { case owned([Float]), borrowed(UnsafeBufferPointer<Float>) }
        private var storage: Storage

        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name
            self.shape = shape
            storage = .owned(values)
        }

        /// A tensor over `values`, which must stay alive and unchanged while it is encoded or written.
        public init(name: String, shape: [Int], borrowing values: UnsafeBufferPointer<Float>) {
            self.name = name
            self.shape = shape
            storage = .borrowed(values)
        }

        /// Number of floats.
        public var count: Int {
            switch storage {
            case .owned(let values): return values.count
            case .borrowed(let values): return values.count
            }
        }

        /// The floats, copied; setting them makes the tensor own its values.
        public var values: [Float] {
            get {
                switch storage {
                case .owned(let values): return values
                case .borrowed(let values): return Array(values)
                }
            }
            set { storage = .owned(newValue) }
        }

        /// Calls `body` with the tensor's little-endian bytes (floats are little-endian on every
        /// platform this builds for, so the bytes are the floats as they lie in memory).
        public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
            switch storage {
            case .owned(let values): return try values.withUnsafeBytes(body)
            case .borrowed(let values): return try body(UnsafeRawBufferPointer(values))
            }
        }

        public static func == (a: Tensor, b: Tensor) -> Bool {
            a.name == b.name && a.shape == b.shape && a.withBytes { x in b.withBytes { y in x.elementsEqual(y) } }
        }
    }

    /// Largest header accepted. Real headers are a few kilobytes plus the vocabulary; a bigger
    /// declared length is a damaged or hostile file and is refused before anything is allocated.
    public static let maximumHeaderBytes = 64 << 20

    /// Where one tensor's bytes lie in the data section, as the header describes it.
    public struct Entry: Equatable {
        public var name: String
        public var shape: [Int]
        /// Byte range within the data section.
        public var start: Int, end: Int
    }

    /// The header entries for `tensors` laid out back to back, in the given order.
    public static func entries(for tensors: [Tensor]) -> [Entry] {
        var offset = 0
        return tensors.map { t in
            defer { offset += t.count * 4 }
            return Entry(name: t.name, shape: t.shape, start: offset, end: offset + t.count * 4)
        }
    }

    /// What comes before the data section: the 8-byte header length and the JSON header, padded
    /// with spaces so the data section starts 8-byte aligned, as the format recommends.
    static func header(for tensors: [Tensor], metadata: [String: String]) -> Data {
        var header: [String: Any] = ["__metadata__": metadata]
        for e in entries(for: tensors) {
            header[e.name] = ["dtype": "F32", "shape": e.shape, "data_offsets": [e.start, e.end]]
        }
        var json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - (8 + json.count) % 8) % 8))
        var data = Data(capacity: 8 + json.count)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        return data
    }

    /// Serialises tensors (in the given order, 8-byte aligned) and metadata to bytes.
    public static func encode(_ tensors: [Tensor], metadata: [String: String]) -> Data {
        var data = header(for: tensors, metadata: metadata)
        for t in tensors { t.withBytes { data.append(contentsOf: $0) } }
        return data
    }

    /// Writes what `encode` returns to `writer`, a tensor at a time, without assembling the file
    /// in memory.
    public static func write(_ tensors: [Tensor], metadata: [String: String], to writer: AtomicFileWriter) throws {
        try writer.append(header(for: tensors, metadata: metadata))
        for t in tensors { try t.withBytes { try writer.append($0) } }
    }

    /// What a parsed file holds: its metadata, and each tensor's shape and bytes.
    public struct Contents {
        public var metadata: [String: String]
        public var tensors: [String: (shape: [Int], values: [Float])]
        /// The header's tensor entries, in data order, for checksumming.
        public var entries: [Entry]
        /// The data section, for checksumming.
        public var dataSection: Data
    }

    /// Parses and validates a safetensors file's bytes. Every structural promise is checked
    /// (lengths, JSON, dtypes, shapes against byte ranges, ranges inside the data and not
    /// overlapping, covering the data section without holes, as the format requires) before
    /// any tensor is materialised.
    public static func decode(_ data: Data) throws -> Contents {
        guard data.count >= 8 else { throw SafeTensorsError.damaged("it is \(data.count) bytes long, too short for a safetensors file (empty or truncated)") }
        let declared = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard declared <= UInt64(maximumHeaderBytes) else {
            throw SafeTensorsError.damaged("it is not a safetensors file (its first 8 bytes declare a \(declared)-byte header)")
        }
        let headerLength = Int(declared)
        guard headerLength >= 2, 8 + headerLength <= data.count else {
            throw SafeTensorsError.damaged("its header claims \(headerLength) bytes but the file has \(data.count - 8) after the length (truncated?)")
        }
        let headerBytes = data.subdata(in: data.startIndex + 8 ..< data.startIndex + 8 + headerLength)
        guard let object = try? JSONSerialization.jsonObject(with: headerBytes),
              let header = object as? [String: Any] else {
            throw SafeTensorsError.damaged("its header is not a JSON object (not a safetensors file, or damaged)")
        }
        let dataSection = data.subdata(in: data.startIndex + 8 + headerLength ..< data.endIndex)
        var metadata = [String: String]()
        if let raw = header["__metadata__"] {
            guard let map = raw as? [String: String] else {
                throw SafeTensorsError.damaged("its __metadata__ is not a map of strings")
            }
            metadata = map
        }
        var entries = [Entry]()
        for (name, value) in header where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int],
                  offsets.count == 2 else {
                throw SafeTensorsError.damaged("the header entry for \(name) is malformed")
            }
            guard dtype == "F32" else {
                throw SafeTensorsError.damaged("tensor \(name) has dtype \(dtype); only F32 is supported (convert with tensor.float())")
            }
            guard shape.allSatisfy({ $0 >= 0 && $0 <= 1 << 31 }) else {
                throw SafeTensorsError.damaged("tensor \(name) has an impossible shape \(shape)")
            }
            // Four bytes per F32 element; a product that overflows is a lie, not a trap.
            let (bytes, overflow) = shape.reduce((4, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                return (p, acc.1 || o)
            }
            let (start, end) = (offsets[0], offsets[1])
            if !overflow, start >= 0, end - start == bytes, end > dataSection.count {
                throw SafeTensorsError.damaged("it is truncated: tensor \(name) ends at byte \(end) of a data section that has only \(dataSection.count)")
            }
            guard !overflow, start >= 0, end >= start, end <= dataSection.count, end - start == bytes else {
                throw SafeTensorsError.damaged("tensor \(name) declares bytes \(start)..<\(end), which do not fit its shape \(shape) and the \(dataSection.count)-byte data section")
            }
            entries.append(Entry(name: name, shape: shape, start: start, end: end))
        }
        // Sorting by (start, end) keeps zero-length tensors ahead of the tensor they share a start with.
        entries.sort { ($0.start, $0.end) < ($1.start, $1.end) }
        var covered = 0
        for e in entries {
            guard e.start >= covered else {
                throw SafeTensorsError.damaged("tensor \(e.name) overlaps the tensor before it")
            }
            guard e.start == covered else {
                throw SafeTensorsError.damaged("the data section has a hole at byte \(covered), before tensor \(e.name)")
            }
            covered = e.end
        }
        guard covered == dataSection.count else {
            throw SafeTensorsError.damaged("the data section has \(dataSection.count - covered) bytes that no tensor claims (damaged or padded file)")
        }
        var tensors = [String: (shape: [Int], values: [Float])]()
        for e in entries {
            var values = [Float](repeating: 0, count: (e.end - e.start) / 4)
            values.withUnsafeMutableBytes { _ = dataSection.copyBytes(to: $0, from: dataSection.startIndex + e.start ..< dataSection.startIndex + e.end) }
            tensors[e.name] = (e.shape, values)
        }
        return Contents(metadata: metadata, tensors: tensors, entries: entries, dataSection: dataSection)
    }
}

public enum SafeTensorsError: Error, Equatable {
    case damaged(String)
}
