import Checkpoints
import Console
import Foundation
import Tokenization

/// An opened token cache file (see `TokenCache`): the corpus's characters with their counts,
/// and its text as tokens, read from disk a window at a time.
///
/// The file: the 16 bytes `CHARLSTM-TOKENS\n`, the JSON header's length (UInt64, little
/// endian), the JSON header, then `count` tokens of `width` bytes each, little endian.
public final class CorpusTokens {
    /// What the cache was built from; a cache is used only for exactly these files and policy.
    struct Identity: Codable, Equatable {
        struct File: Codable, Equatable {
            var path: String
            var size: Int
            var modified: Int64
        }
        var files: [File]
        var replacesInvalidUTF8: Bool

        init(_ files: [CorpusFile], replacesInvalidUTF8: Bool) {
            self.files = files.map { File(path: $0.path, size: $0.size, modified: $0.modified) }
            self.replacesInvalidUTF8 = replacesInvalidUTF8
        }
    }

    struct Header: Codable {
        static let version = 1
        var version = Header.version
        var identity: Identity
        var width: Int
        var count: Int
        /// [code point, occurrences] in code-point order: token i is character i.
        var characters: [[Int]]
        var checksum: String

        init(identity: Identity, width: Int, count: Int, characters: [[Int]], checksum: String) {
            self.identity = identity
            self.width = width
            self.count = count
            self.characters = characters
            self.checksum = checksum
        }

        func encoded() -> Data {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let json = try! encoder.encode(self)
            var length = UInt64(json.count).littleEndian
            return CorpusTokens.magic + Data(bytes: &length, count: 8) + json
        }
    }

    static let magic = Data("CHARLSTM-TOKENS\n".utf8)

    /// Bytes per token for a vocabulary of `count` characters.
    static func width(forCharacters count: Int) -> Int { count <= 256 ? 1 : (count <= 65536 ? 2 : 4) }

    public let path: String
    /// The corpus's characters in token order (ascending code point), with how often each occurs.
    public let characters: [(scalar: Unicode.Scalar, count: Int)]
    /// Tokens in the file: the corpus's length in characters.
    public let count: Int
    /// Bytes per token.
    public let width: Int
    /// The checksum of the tokens (see `TokenChecksum`): two hosts' caches of the same text agree.
    public let checksum: String
    let descriptor: Int32
    let dataOffset: Int

    private init(path: String, descriptor: Int32, header: Header, dataOffset: Int) {
        self.path = path
        self.descriptor = descriptor
        characters = header.characters.map { (Unicode.Scalar(UInt32($0[0]))!, $0[1]) }
        count = header.count
        width = header.width
        checksum = header.checksum
        self.dataOffset = dataOffset
    }

    deinit { close(descriptor) }

    /// The corpus's own vocabulary: every character it holds.
    public var vocabulary: Vocabulary { Vocabulary(codePoints: characters.map(\.scalar.value))! }

    /// Why a cache file cannot be used, as the end of a sentence starting with its path.
    struct Problem: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// Opens and checks a cache file: the header must describe `identity`, the size must match
    /// the header, and the data must have the header's checksum and hold each character as often
    /// as the header says (read in full: a damaged cache would otherwise train on garbage silently).
    static func open(_ path: String, expecting identity: Identity, checkingData: Bool = true) -> Result<CorpusTokens, Problem> {
        let descriptor = Foundation.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(Problem("cannot be read (\(String(cString: strerror(errno))))")) }
        var status = stat()
        fstat(descriptor, &status)
        let size = Int(status.st_size)
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
        func fail(_ why: String) -> Result<CorpusTokens, Problem> {
            close(descriptor)
            return .failure(Problem(why))
        }
        let header: Header, length: Int
        switch readHeader(handle, size: size) {
        case .success(let read): (header, length) = read
        case .failure(let problem): return fail(problem.description)
        }
        guard header.version == Header.version else { return fail("was written by another version of charlstm") }
        guard header.identity == identity else { return fail("was built from files that have changed since (size or modification time)") }
        guard [1, 2, 4].contains(header.width), header.count >= 1, !header.characters.isEmpty,
              header.characters.allSatisfy({ $0.count == 2 && $0[1] > 0 && UInt32(exactly: $0[0]).flatMap(Unicode.Scalar.init) != nil }),
              zip(header.characters, header.characters.dropFirst()).allSatisfy({ $0[0] < $1[0] }),
              header.width == width(forCharacters: header.characters.count),
              sumWithoutOverflow(header.characters.map { $0[1] }) == header.count else {
            return fail("has a damaged header")
        }
        let dataOffset = 24 + Int(length)
        // The product is checked: a count near Int.max would wrap round to a plausible size.
        let (dataBytes, overflow) = header.count.multipliedReportingOverflow(by: header.width)
        guard !overflow, size - dataOffset == dataBytes else {
            return fail(overflow ? "has a damaged header"
                        : "is \(size) bytes where its header promises \(dataOffset + dataBytes) (truncated or damaged)")
        }
        var checksum = TokenChecksum()
        var counts = TokenCounts(width: header.width, characters: header.characters.count)
        // A multiple of every width, so each piece read holds whole tokens.
        let chunk = 4 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 8)
        defer { buffer.deallocate() }
        var offset = checkingData ? dataOffset : size
        while offset < size {
            let piece = min(chunk, size - offset)
            var done = 0
            while done < piece {
                let n = pread(descriptor, buffer + done, piece - done, off_t(offset + done))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return fail("cannot be read (\(n < 0 ? String(cString: strerror(errno)) : "unexpected end of file"))") }
                done += n
            }
            let bytes = UnsafeRawBufferPointer(start: buffer, count: piece)
            checksum.update(bytes)
            counts.update(bytes)
            offset += piece
        }
        if checkingData {
            guard checksum.hex == header.checksum else { return fail("is damaged (its data does not match its checksum)") }
            guard counts.match(header.characters.map { $0[1] }) else {
                return fail("is damaged (its data does not hold the characters its header counts)")
            }
        }
        // Stop the kernel from reading ahead a whole corpus: the streams read small windows far apart.
        posix_fadvise(descriptor, 0, 0, POSIX_FADV_RANDOM)
        return .success(CorpusTokens(path: path, descriptor: descriptor, header: header, dataOffset: dataOffset))
    }

    /// The sum of `values`, or nil when it overflows (a header's counts are untrusted).
    private static func sumWithoutOverflow(_ values: [Int]) -> Int? {
        var sum = 0
        for value in values {
            let (next, overflow) = sum.addingReportingOverflow(value)
            if overflow { return nil }
            sum = next
        }
        return sum
    }

    /// The header of a token cache file of `size` bytes, read from its start, and the header's
    /// length in bytes; only the header is read (the data stays unchecked).
    static func readHeader(_ handle: FileHandle, size: Int) -> Result<(Header, length: Int), Problem> {
        guard let prefix = try? handle.read(upToCount: 24), prefix.count == 24, prefix.prefix(16) == magic else {
            return .failure(Problem("is not a token cache file"))
        }
        let length = prefix.suffix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << UInt64(8 * $1.offset) }
        guard length < UInt64(size), let json = try? handle.read(upToCount: Int(length)), json.count == Int(length),
              let header = try? JSONDecoder().decode(Header.self, from: json) else {
            return .failure(Problem("has a damaged header"))
        }
        return .success((header, Int(length)))
    }

    /// The tokens in `range`, as indices of `vocabulary`. Throws `unknownCharacters` (with
    /// counts over the whole corpus) when the corpus holds characters the vocabulary lacks.
    public func tokens(in range: Range<Int>, vocabulary: Vocabulary) throws -> CachedTokens {
        var unknown = [Unicode.Scalar: Int]()
        let table = characters.map { c -> Int32 in
            if let index = vocabulary.index(of: c.scalar) { return index }
            unknown[c.scalar] = c.count
            return -1
        }
        guard unknown.isEmpty else { throw VocabularyError.unknownCharacters(unknown) }
        return CachedTokens(file: self, range: range, table: table)
    }
}

/// A range of a token cache file, translated into a model's vocabulary as it is read.
public struct CachedTokens: TokenSequence {
    let file: CorpusTokens
    let range: Range<Int>
    /// Token in the file → index in the model's vocabulary.
    let table: [Int32]

    public var count: Int { range.count }

    public func copy(from start: Int, count: Int, to destination: UnsafeMutablePointer<Int32>) {
        let width = file.width
        withUnsafeTemporaryAllocation(byteCount: count * width, alignment: 4) { raw in
            var done = 0
            let offset = file.dataOffset + (range.lowerBound + start) * width
            while done < raw.count {
                let n = pread(file.descriptor, raw.baseAddress! + done, raw.count - done, off_t(offset + done))
                if n < 0 && errno == EINTR { continue }
                // The file was checked when it was opened and is never rewritten in place (a
                // rebuild renames a new file over it), so only a failing disk gets here; there
                // is no sensible way to train on, so stop with the reason (exit status 1).
                guard n > 0 else {
                    Terminal.note("charlstm: \(file.path): cannot read the token cache (\(n < 0 ? String(cString: strerror(errno)) : "unexpected end of file"))")
                    exit(1)
                }
                done += n
            }
            table.withUnsafeBufferPointer { table in
                switch width {
                case 1:
                    let tokens = raw.bindMemory(to: UInt8.self)
                    for i in 0..<count { destination[i] = table[Int(tokens[i])] }
                case 2:
                    let tokens = raw.bindMemory(to: UInt16.self)
                    for i in 0..<count { destination[i] = table[Int(UInt16(littleEndian: tokens[i]))] }
                default:
                    let tokens = raw.bindMemory(to: UInt32.self)
                    for i in 0..<count { destination[i] = table[Int(UInt32(littleEndian: tokens[i]))] }
                }
            }
        }
    }

    /// The first `count` tokens of this range.
    public func prefix(_ count: Int) -> CachedTokens {
        CachedTokens(file: file, range: range.lowerBound ..< range.lowerBound + min(count, range.count), table: table)
    }
}
