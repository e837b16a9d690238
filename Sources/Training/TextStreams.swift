import Tokenization

/// Cuts a token sequence into `batch` parallel streams of equal length and serves the next
/// `steps` characters of every stream, time-major, as inputs with their next-character targets.
///
/// Stream b covers tokens [b·L, (b+1)·L) with L = ⌊n / batch⌋. Window k (0-based) of length T
/// feeds positions k·T … k·T+T−1 of each stream and predicts positions one further on, so the
/// last usable window is the one whose targets reach L − 1.
/// The tokens are read a window per stream at a time, so they may live on disk (`CachedTokens`).
public struct TextStreams {
    public let tokens: any TokenSequence
    public let batch: Int
    public let streamLength: Int

    public init(tokens: any TokenSequence, batch: Int) {
        self.tokens = tokens
        self.batch = batch
        streamLength = tokens.count / batch
    }

    /// Whole windows of length `steps` per pass over the streams.
    public func windows(steps: Int) -> Int { max(0, (streamLength - 1) / steps) }

    /// Characters predicted per pass: the streams' length minus one, times the streams.
    public var predictionsPerPass: Int { max(0, streamLength - 1) * batch }

    /// Fills `inputs` and `targets` (each `length`·|streams|, time-major) with the window of
    /// `length` steps that starts `start` characters into each of `streams` (default: all).
    public func fill(start: Int, length: Int, streams: Range<Int>? = nil,
                     inputs: UnsafeMutablePointer<Int32>, targets: UnsafeMutablePointer<Int32>) {
        let streams = streams ?? 0..<batch
        let width = streams.count
        // Each stream's window and the one target after it, read in one piece.
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: length + 1) { window in
            for (k, b) in streams.enumerated() {
                tokens.copy(from: b * streamLength + start, count: length + 1, to: window.baseAddress!)
                for t in 0..<length {
                    inputs[t * width + k] = window[t]
                    targets[t * width + k] = window[t + 1]
                }
            }
        }
    }
}
