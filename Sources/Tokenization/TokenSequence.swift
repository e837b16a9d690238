/// Token indices that are read a window at a time: an array in memory, or a token cache file
/// on disk (see `TokenCache`), so a corpus larger than memory never has to be loaded whole.
public protocol TokenSequence {
    /// Tokens in the sequence.
    var count: Int { get }
    /// Copies tokens [start, start + count) to `destination`.
    func copy(from start: Int, count: Int, to destination: UnsafeMutablePointer<Int32>)
}

extension Array: TokenSequence where Element == Int32 {
    public func copy(from start: Int, count: Int, to destination: UnsafeMutablePointer<Int32>) {
        withUnsafeBufferPointer { destination.update(from: $0.baseAddress! + start, count: count) }
    }
}

extension TokenSequence {
    /// The token at `index`.
    public func token(at index: Int) -> Int32 {
        var token: Int32 = 0
        copy(from: index, count: 1, to: &token)
        return token
    }
}
