import CZlib
import Foundation

/// zlib-format deflate (RFC 1950), which browsers inflate natively with
/// `DecompressionStream("deflate")`, so a page can carry its data compressed without a script library.
enum Deflate {
    static func compress(_ bytes: [UInt8]) -> [UInt8] {
        var length = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(length))
        let status = compress2(&output, &length, bytes, uLong(bytes.count), 6)
        // Only out-of-memory can fail here: the output buffer has zlib's own worst-case bound.
        precondition(status == Z_OK, "zlib compress2 failed (\(status))")
        return Array(output.prefix(Int(length)))
    }
}
