import Foundation

/// The safetensors container: an 8-byte little-endian header length, a JSON header naming each
/// tensor's dtype, shape and byte range, an optional `__metadata__` map of strings, then the raw
/// little-endian tensor bytes. Only F32 tensors are written or accepted.
public enum SafeTensors {
    /// A tensor as stored: name, shape and its Float values.
    public struct Tensor: Equatable {
        public var name: String
        public var shape: [Int]
        public var values: [Float]
        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    /// Largest header accepted. Real headers are a few kilobytes plus the vocabulary; a bigger
    /// declared length is a damaged or hostile file and is refused before anything is allocated.
    public static let maximumHeaderBytes = 64 << 20

    /// Serialises tensors (in the given order, 8-byte aligned) and metadata to bytes.
    public static func encode(_ tensors: [Tensor], metadata: [String: String]) -> Data {
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for t in tensors {
            let bytes = t.values.count * 4
            header[t.name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + bytes]]
            offset += bytes
        }
        var json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad with spaces so the data section starts 8-byte aligned, as the format recommends.
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - (8 + json.count) % 8) % 8))
        var data = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for t in tensors {
            t.values.withUnsafeBytes { raw in
                // Floats are little-endian on every platform Swift runs on that we build for.
                data.append(contentsOf: raw)
            }
        }
        return data
    }

    /// What a parsed file holds: its metadata, and each tensor's shape and bytes.
    public struct Contents {
        public var metadata: [String: String]
        public var tensors: [String: (shape: [Int], values: [Float])]
        /// The data section, for checksumming.
        public var dataSection: Data
    }

    /// Parses and validates a safetensors file's bytes. Every structural promise is checked
    /// (lengths, JSON, dtypes, shapes against byte ranges, ranges inside the data and not
    /// overlapping) before any tensor is materialised.
    public static func decode(_ data: Data) throws -> Contents {
        guard data.count >= 8 else { throw SafeTensorsError.damaged("it is \(data.count) bytes, too short for a header") }
        let declared = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard declared <= UInt64(maximumHeaderBytes) else {
            throw SafeTensorsError.damaged("its header claims \(declared) bytes, more than any checkpoint has")
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
        var ranges = [(Int, Int, String)]()
        var tensors = [String: (shape: [Int], values: [Float])]()
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
            let (count, overflow) = shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                return (p, acc.1 || o)
            }
            let (start, end) = (offsets[0], offsets[1])
            guard !overflow, start >= 0, end >= start, end <= dataSection.count, end - start == count * 4 else {
                throw SafeTensorsError.damaged("tensor \(name) declares bytes \(start)..<\(end), which do not fit its shape \(shape) and the \(dataSection.count)-byte data section")
            }
            ranges.append((start, end, name))
        }
        ranges.sort { $0.0 < $1.0 }
        for (a, b) in zip(ranges, ranges.dropFirst()) where b.0 < a.1 {
            throw SafeTensorsError.damaged("tensors \(a.2) and \(b.2) overlap")
        }
        for (start, end, name) in ranges {
            let shape = (header[name] as! [String: Any])["shape"] as! [Int]
            var values = [Float](repeating: 0, count: (end - start) / 4)
            values.withUnsafeMutableBytes { dataSection.copyBytes(to: $0, from: dataSection.startIndex + start ..< dataSection.startIndex + end) }
            tensors[name] = (shape, values)
        }
        return Contents(metadata: metadata, tensors: tensors, dataSection: dataSection)
    }
}

public enum SafeTensorsError: Error, Equatable {
    case damaged(String)
}
