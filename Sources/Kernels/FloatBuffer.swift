/// A fixed-size, zero-initialised, 64-byte-aligned block of Floats that hot loops address
/// through a raw pointer: no copy-on-write, no exclusivity checks, no per-element bounds checks.
/// Parameters, gradients, optimizer moments and activation workspaces all live in these.
public final class FloatBuffer {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>
    /// The buffer whose memory this one borrows (see `init(borrowing:offset:count:)`), nil when
    /// this buffer owns its memory.
    private let owner: FloatBuffer?

    public init(count: Int) {
        precondition(count >= 0)
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
        owner = nil
    }

    /// Elements `offset ..< offset + count` of `owner`, not a copy: the view keeps `owner` alive
    /// and never frees the memory, and it starts with whatever `owner` held there. Scratch space
    /// lent between uses (see `ScratchArena`).
    public init(borrowing owner: FloatBuffer, offset: Int, count: Int) {
        precondition(offset >= 0 && count >= 0 && offset + count <= owner.count)
        self.count = count
        pointer = owner.pointer + offset
        self.owner = owner
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { if owner == nil { pointer.deallocate() } }

    /// The elements `offset ..< offset + count` as a pointer.
    @inlinable
    public func at(_ offset: Int) -> UnsafeMutablePointer<Float> { pointer + offset }

    public func zero() { pointer.update(repeating: 0, count: count) }

    public func copy(from other: FloatBuffer) {
        precondition(other.count == count)
        pointer.update(from: other.pointer, count: count)
    }

    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    public subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }
}
