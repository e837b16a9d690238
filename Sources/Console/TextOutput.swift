import Foundation

/// Characters written to a file descriptor as UTF-8 through a fixed buffer, so streaming a
/// long text allocates nothing per character. On a terminal it flushes after every character
/// (the text appears as it is generated); elsewhere it flushes when the buffer fills.
public final class TextOutput {
    public let fileDescriptor: Int32
    public var flushEachCharacter: Bool
    /// Why the first failed write failed (strerror), or nil; later writes are dropped.
    public private(set) var failure: String?
    /// Whether the last character written was a line feed (true before anything is written).
    public private(set) var atLineStart = true
    private let buffer: UnsafeMutablePointer<UInt8>
    private let capacity = 1 << 16
    private var used = 0

    public init(fileDescriptor: Int32, flushEachCharacter: Bool) {
        self.fileDescriptor = fileDescriptor
        self.flushEachCharacter = flushEachCharacter
        buffer = .allocate(capacity: capacity)
    }

    /// Standard output, flushed per character when it is a terminal.
    public static func standardOutput() -> TextOutput {
        TextOutput(fileDescriptor: 1, flushEachCharacter: Terminal.stdoutIsTerminal)
    }

    deinit {
        flush()
        buffer.deallocate()
    }

    public func write(_ scalar: Unicode.Scalar) {
        if used + 4 > capacity { flush() }
        let v = scalar.value
        switch v {
        case 0..<0x80:
            buffer[used] = UInt8(v); used += 1
        case 0x80..<0x800:
            buffer[used] = UInt8(0xC0 | v >> 6); buffer[used + 1] = UInt8(0x80 | v & 0x3F); used += 2
        case 0x800..<0x10000:
            buffer[used] = UInt8(0xE0 | v >> 12); buffer[used + 1] = UInt8(0x80 | v >> 6 & 0x3F)
            buffer[used + 2] = UInt8(0x80 | v & 0x3F); used += 3
        default:
            buffer[used] = UInt8(0xF0 | v >> 18); buffer[used + 1] = UInt8(0x80 | v >> 12 & 0x3F)
            buffer[used + 2] = UInt8(0x80 | v >> 6 & 0x3F); buffer[used + 3] = UInt8(0x80 | v & 0x3F); used += 4
        }
        atLineStart = v == 0x0A
        if flushEachCharacter { flush() }
    }

    public func write(_ text: String) {
        for scalar in text.unicodeScalars { write(scalar) }
    }

    /// Ends the current line unless the output is already at the start of one.
    public func finishLine() {
        if !atLineStart { write("\n") }
    }

    /// Hands the buffered bytes to the kernel.
    public func flush() {
        var written = 0
        while written < used && failure == nil {
            let n = Foundation.write(fileDescriptor, buffer + written, used - written)
            if n < 0 {
                if errno == EINTR { continue }
                failure = String(cString: strerror(errno))
            } else {
                written += n
            }
        }
        used = 0
    }
}
