import Foundation

/// One file of a corpus as it is on disk now: what a token cache is keyed by.
public struct CorpusFile: Sendable {
    /// The path as the user gave it (or as found in a folder they gave): what messages name.
    public var name: String
    /// Absolute, with symbolic links resolved.
    public var path: String
    public var size: Int
    /// Modification time, nanoseconds since 1970.
    public var modified: Int64
}

/// Reads a corpus in fixed-size chunks, never whole, for corpora larger than memory: one pass
/// counts the characters (to build the vocabulary), another encodes them to tokens. Both decode
/// with the strict `UTF8Decoder`, so invalid UTF-8 is reported with the file and the byte offset
/// exactly as `CorpusReader.read` reports it.
public enum CorpusScan {
    /// Bytes read per chunk: large enough that the per-chunk work is noise, small enough for RSS.
    /// (Tests pass tiny chunks, to put chunk ends inside characters and invalid sequences.)
    public static let chunkSize = 4 << 20

    /// The files of the corpus (as `CorpusReader.files` finds them) with their sizes and
    /// modification times.
    public static func identify(_ paths: [String]) throws -> [CorpusFile] {
        let files = try CorpusReader.files(in: paths)
        guard !files.isEmpty else { throw CorpusError.noTextFiles(paths: paths) }
        return try files.map { file in
            var status = stat()
            guard stat(file, &status) == 0 else {
                throw CorpusError.unreadable(path: file, reason: String(cString: strerror(errno)))
            }
            return CorpusFile(name: file, path: CorpusReader.canonicalPath(file), size: Int(status.st_size),
                              modified: Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec))
        }
    }

    /// How often each character (by code point) occurs in the files.
    public static func countCharacters(_ files: [CorpusFile], invalidUTF8: InvalidUTF8Policy, chunkSize: Int = chunkSize,
                                       progress: (Int) -> Void) throws -> [UInt32: Int] {
        // A flat table over every code point: a hash lookup per character would cost more than
        // the decoding. `calloc` leaves the pages no text touches unallocated.
        let counts = calloc(0x110000, MemoryLayout<Int>.stride)!.bindMemory(to: Int.self, capacity: 0x110000)
        defer { free(counts) }
        try forEachChunk(files, chunkSize: chunkSize, progress: progress) { bytes, file in
            try UTF8Decoder.decode(bytes, file: file, policy: invalidUTF8) { counts[Int($0.value)] += 1 }
        }
        var result = [UInt32: Int]()
        for c in 0..<0x110000 where counts[c] > 0 { result[UInt32(c)] = counts[c] }
        return result
    }

    /// Decodes the files again and hands over their tokens in chunks, each token `tokenOf[code
    /// point]` stored in `width` bytes (1, 2 or 4: the narrowest the vocabulary fits), little endian.
    public static func encode(_ files: [CorpusFile], width: Int, tokenOf: [UInt32: Int32],
                              invalidUTF8: InvalidUTF8Policy, chunkSize: Int = chunkSize, progress: (Int) -> Void,
                              emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        // Specialised here, in this module, for each width: a generic call from another module
        // would run unspecialised, several times slower per character.
        switch width {
        case 1: try encode(files, as: UInt8.self, tokenOf: tokenOf, invalidUTF8: invalidUTF8, chunkSize: chunkSize, progress: progress, emit: emit)
        case 2: try encode(files, as: UInt16.self, tokenOf: tokenOf, invalidUTF8: invalidUTF8, chunkSize: chunkSize, progress: progress, emit: emit)
        default: try encode(files, as: UInt32.self, tokenOf: tokenOf, invalidUTF8: invalidUTF8, chunkSize: chunkSize, progress: progress, emit: emit)
        }
    }

    private static func encode<T: FixedWidthInteger>(_ files: [CorpusFile], as _: T.Type, tokenOf: [UInt32: Int32],
                                                     invalidUTF8: InvalidUTF8Policy, chunkSize: Int, progress: (Int) -> Void,
                                                     emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        let table = calloc(0x110000, MemoryLayout<T>.stride)!.bindMemory(to: T.self, capacity: 0x110000)
        defer { free(table) }
        for (codePoint, token) in tokenOf { table[Int(codePoint)] = T(token).littleEndian }
        let capacity = max(chunkSize + 4, 1 << 16)
        let output = UnsafeMutablePointer<T>.allocate(capacity: capacity)
        defer { output.deallocate() }
        var filled = 0
        try forEachChunk(files, chunkSize: chunkSize, progress: progress) { bytes, file in
            // A chunk of n bytes decodes to at most n characters: flush first when they might not fit.
            if filled + bytes.count > capacity {
                try emit(UnsafeRawBufferPointer(start: output, count: filled * MemoryLayout<T>.stride))
                filled = 0
            }
            try UTF8Decoder.decode(bytes, file: file, policy: invalidUTF8) {
                output[filled] = table[Int($0.value)]
                filled += 1
            }
        }
        try emit(UnsafeRawBufferPointer(start: output, count: filled * MemoryLayout<T>.stride))
    }

    /// Reads each file in chunks that end on a character boundary (the bytes of a character cut
    /// by the chunk's end are carried into the next chunk) and calls `body` with each chunk;
    /// `progress` gets the bytes done so far. Invalid UTF-8 errors carry the offset in the file.
    static func forEachChunk(_ files: [CorpusFile], chunkSize: Int, progress: (Int) -> Void,
                             _ body: (UnsafeBufferPointer<UInt8>, String) throws -> Void) throws {
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkSize + 4)
        defer { buffer.deallocate() }
        var done = 0
        for file in files {
            let descriptor = open(file.path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw CorpusError.unreadable(path: file.name, reason: String(cString: strerror(errno)))
            }
            defer { close(descriptor) }
            var carried = 0, fileOffset = 0
            while true {
                let n = read(descriptor, buffer + carried, chunkSize)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw CorpusError.unreadable(path: file.name, reason: String(cString: strerror(errno)))
                }
                let available = carried + n
                let end = n == 0 ? available : characterBoundary(before: available, in: buffer)
                do {
                    try body(UnsafeBufferPointer(start: buffer, count: end), file.name)
                } catch CorpusError.invalidUTF8(let path, let offset) {
                    throw CorpusError.invalidUTF8(file: path, byteOffset: fileOffset + offset)
                }
                fileOffset += end
                done += n
                progress(done)
                if n == 0 { break }
                carried = available - end
                buffer.update(from: buffer + end, count: carried)
            }
        }
    }

    /// Where the last character that may be incomplete starts: the last lead byte among the
    /// final three, else `end`. Decoding from a lead byte does not depend on what came before
    /// (no sequence that starts earlier can run over a lead byte), so cutting there decodes the
    /// file exactly as decoding it whole would, errors and replacements included.
    static func characterBoundary(before end: Int, in bytes: UnsafeMutablePointer<UInt8>) -> Int {
        var i = end - 1
        while i >= max(0, end - 3) {
            if bytes[i] >= 0xC0 { return i }
            if bytes[i] < 0x80 { return end }
            i -= 1
        }
        return end
    }
}
