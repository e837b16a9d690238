/// Hands out zeroed buffers carved from borrowed memory while it lasts, and newly allocated
/// ones after that.
///
/// Why: a short-lived helper (the sample a training run writes at each evaluation) needs a
/// copy of the weights, and the training network holds memory that is idle between its
/// passes. Carving the copy out of that memory keeps the run's peak at its training level
/// instead of adding the copy on top. The buffers are valid only until the lender next uses
/// its memory.
public struct ScratchArena {
    private let memory: FloatBuffer?
    private var used = 0

    /// An arena over `memory`; with nil, every buffer is allocated.
    public init(borrowing memory: FloatBuffer?) {
        self.memory = memory
    }

    /// A zeroed buffer of `count` floats, 64-byte aligned as `FloatBuffer(count:)` is.
    public mutating func buffer(count: Int) -> FloatBuffer {
        guard let memory, used + count <= memory.count else { return FloatBuffer(count: count) }
        let buffer = FloatBuffer(borrowing: memory, offset: used, count: count)
        buffer.zero()
        used += (count + 15) / 16 * 16  // 16 floats: the next buffer starts 64 bytes aligned too
        return buffer
    }
}
