/// A fast checksum of a token file's data (FNV-1a over 64-bit words), checked every time a
/// cache file is opened: at several GB/s it costs a fraction of a second on a 1 GB corpus,
/// where CRC-32 byte by byte would cost seconds. Any single changed word changes it (each step
/// is a bijection of the state), and a truncated file is caught by its size before that.
struct TokenChecksum {
    private var state: UInt64 = 0xcbf2_9ce4_8422_2325
    private var pending: UInt64 = 0
    private var pendingBytes = 0

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var i = 0
        let n = bytes.count
        while pendingBytes > 0 && pendingBytes < 8 && i < n {
            pending |= UInt64(bytes[i]) << UInt64(8 * pendingBytes)
            pendingBytes += 1
            i += 1
        }
        if pendingBytes == 8 { mix(pending); pending = 0; pendingBytes = 0 }
        var h = state
        while i + 8 <= n {
            h = (h ^ bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x100_0000_01b3
            i += 8
        }
        state = h
        while i < n {
            pending |= UInt64(bytes[i]) << UInt64(8 * pendingBytes)
            pendingBytes += 1
            i += 1
        }
    }

    private mutating func mix(_ word: UInt64) { state = (state ^ word) &* 0x100_0000_01b3 }

    /// 16 hex digits (a fixed width, so a header can hold a placeholder of the same length).
    var hex: String {
        var final = self
        if final.pendingBytes > 0 { final.mix(final.pending ^ UInt64(final.pendingBytes) << 56) }
        let text = String(final.state, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }
}
