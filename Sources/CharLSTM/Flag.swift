import Foundation

/// A flag any thread may set and read.
final class Flag: @unchecked Sendable {
    // Unchecked: every access goes through the lock.
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
    /// Sets it; false when it was set already.
    func setOnce() -> Bool { lock.withLock { defer { value = true }; return !value } }
}
