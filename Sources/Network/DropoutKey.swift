import Kernels

/// Where one training step's dropout masks come from: a seed for the step, and which of the
/// run's streams this network's stream 0 is.
///
/// A mask unit is a function of (seed, layer, time step, global stream, unit), never of how
/// the streams are split: into micro-batches, or across the ranks of a data-parallel job
/// (`mpirun`), every stream gets the masks it would get in one piece in one process, so the
/// loss curve does not depend on the split.
public struct DropoutKey {
    public let seed: UInt64
    /// The run-wide index of this network's stream 0.
    public let firstStream: Int
    let layer: Int

    public init(seed: UInt64, firstStream: Int = 0) {
        self.init(seed: seed, firstStream: firstStream, layer: 0)
    }

    private init(seed: UInt64, firstStream: Int, layer: Int) {
        self.seed = seed
        self.firstStream = firstStream
        self.layer = layer
    }

    /// The key for recurrent layer `l`'s output.
    func layer(_ l: Int) -> DropoutKey { DropoutKey(seed: seed, firstStream: firstStream, layer: l) }

    /// The key for the embeddings' mask: a layer number no recurrent layer has (at most 64).
    var embedding: DropoutKey { layer(1 << 32) }

    /// The generator of recurrent layer `l`'s weight mask (weight drop). It depends on neither
    /// the stream nor the split, so every slice and every rank of a step drops the same weights.
    func recurrentWeights(layer l: Int) -> SeededGenerator {
        SeededGenerator(seed: Self.mix(Self.mix(seed ^ UInt64(l)) ^ 0x5745_4947_4854_5321))
    }

    /// The generator of one row's unit draws: step `step` (within the window) of local stream `stream`.
    func units(step: Int, stream: Int) -> SeededGenerator {
        // Chained mixing, so no two (layer, step, stream) share a seed short of a 64-bit collision.
        SeededGenerator(seed: Self.mix(Self.mix(Self.mix(seed ^ UInt64(layer)) ^ UInt64(step)) ^ UInt64(firstStream + stream)))
    }

    /// SplitMix64's finaliser: a bijection of 64-bit words that spreads every bit.
    static func mix(_ word: UInt64) -> UInt64 {
        var z = word &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
