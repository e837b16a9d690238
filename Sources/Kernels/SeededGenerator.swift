import Foundation

/// xoshiro256** (Blackman & Vigna): a fast generator whose whole state is four words, so a
/// checkpoint can store it and a resumed run draws exactly the numbers the original would have.
public struct SeededGenerator: RandomNumberGenerator, Equatable, Sendable {
    @usableFromInline var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// The four state words, as a checkpoint stores them.
    public var state: [UInt64] { [s0, s1, s2, s3] }

    /// Seeds the four state words from `seed` with SplitMix64, as the xoshiro authors advise,
    /// so that nearby seeds give unrelated streams.
    public init(seed: UInt64) {
        var x = seed
        var words = [UInt64]()
        for _ in 0..<4 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            words.append(z ^ (z >> 31))
        }
        (s0, s1, s2, s3) = (words[0], words[1], words[2], words[3])
    }

    /// Restores a generator from a saved state; nil unless it is four words, not all zero.
    public init?(state: [UInt64]) {
        guard state.count == 4, state.contains(where: { $0 != 0 }) else { return nil }
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3])
    }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    @inlinable
    static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A uniform Float in [0, 1) with 24 random bits.
    @inlinable
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A uniform Double in [0, 1) with 53 random bits.
    @inlinable
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A standard normal deviate (Box–Muller).
    public mutating func nextGaussian() -> Float {
        let u1 = max(nextUnitDouble(), 1e-300)
        let u2 = nextUnitDouble()
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}
