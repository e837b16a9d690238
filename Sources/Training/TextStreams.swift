import Tokenization

/// Cuts a token sequence into `batch` parallel streams of equal length and serves the next
/// `steps` characters of every stream, time-major, as inputs with their next-character targets.
///
/// Stream b covers tokens [b·L, (b+1)·L) with L = ⌊n / batch⌋. Window k (0-based) of length T
/// feeds positions k·T … k·T+T−1 of each stream and predicts positions one further on, so the
/// last usable window is the one whose targets reach L − 1.
public struct TextStreams {
    public let tokens: [Int32]
    public let batch: Int
    public let streamLength: Int

    public init(tokens: [Int32], batch: Int) {
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
        tokens.withUnsafeBufferPointer { tok in
            for t in 0..<length {
                for (k, b) in streams.enumerated() {
                    let position = b * streamLength + start + t
                    inputs[t * width + k] = tok[position]
                    targets[t * width + k] = tok[position + 1]
                }
            }
        }
    }
}
