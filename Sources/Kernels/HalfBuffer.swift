/// A fixed-size, 64-byte-aligned block of IEEE binary16 values (as `UInt16` bits): weights kept
/// at half the bytes of a `FloatBuffer` for products bound by memory bandwidth.
public final class HalfBuffer {
    public let count: Int
    public let pointer: UnsafeMutablePointer<UInt16>

    /// `values` rounded to the nearest half (ties to even).
    public init(rounding values: FloatBuffer) {
        count = values.count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 2, alignment: 64)
        pointer = raw.bindMemory(to: UInt16.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
        ck_float_to_half(values.pointer, pointer, count)
    }

    deinit { pointer.deallocate() }
}
