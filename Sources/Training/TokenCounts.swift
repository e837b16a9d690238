/// How often each token occurs in a token file's data, counted as the data is read to check its
/// checksum, so a cache is opened only when its header's per-character counts are the data's.
///
/// The checksum covers the data, not the header, so without this a header whose character list
/// was edited (one character dropped and its count moved onto another: the counts still add up)
/// would open, and a token past the end of the character list would index past the
/// translation table when it is read (unchecked in release builds).
struct TokenCounts {
    let width: Int
    /// Occurrences of tokens 0 ..< characters.
    private(set) var counts: [Int]
    /// Whether some token is not below the number of characters.
    private(set) var sawTokenOutOfRange = false

    init(width: Int, characters: Int) {
        self.width = width
        counts = [Int](repeating: 0, count: characters)
    }

    /// Counts the tokens in `bytes`, whose length is a whole number of tokens.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count % width == 0, "a piece of the data must hold whole tokens")
        let n = bytes.count / width
        let limit = counts.count
        var outOfRange = false
        counts.withUnsafeMutableBufferPointer { counts in
            func add(_ token: Int) {
                if token < limit { counts[token] += 1 } else { outOfRange = true }
            }
            switch width {
            case 1:
                for i in 0..<n { add(Int(bytes[i])) }
            case 2:
                for i in 0..<n { add(Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))) }
            default:
                for i in 0..<n { add(Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))) }
            }
        }
        if outOfRange { sawTokenOutOfRange = true }
    }

    /// Whether the data holds exactly `expected[i]` tokens i, and no other token.
    func match(_ expected: [Int]) -> Bool { !sawTokenOutOfRange && counts == expected }
}
