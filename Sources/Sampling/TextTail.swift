/// The last characters of a text, in a ring of fixed capacity: what stop strings are matched
/// against and what the REPL shows as context. Appending allocates nothing.
public final class TextTail {
    public private(set) var capacity: Int
    public private(set) var count = 0
    private var storage: UnsafeMutablePointer<Unicode.Scalar>
    /// Where the next character goes.
    private var end = 0

    public init(capacity: Int) {
        precondition(capacity >= 1)
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
    }

    deinit { storage.deallocate() }

    public func append(_ scalar: Unicode.Scalar) {
        storage[end] = scalar
        end = end + 1 == capacity ? 0 : end + 1
        count = min(count + 1, capacity)
    }

    public func clear() { count = 0 }

    /// The character `k` places from the end (0 = the last one), or nil before the start.
    public func scalar(fromEnd k: Int) -> Unicode.Scalar? {
        guard k < count else { return nil }
        let i = end - 1 - k
        return storage[i < 0 ? i + capacity : i]
    }

    /// Grows the ring to hold at least `minimum` characters, keeping what it holds.
    public func reserve(_ minimum: Int) {
        guard minimum > capacity else { return }
        let kept = (0..<count).reversed().map { scalar(fromEnd: $0)! }
        storage.deallocate()
        storage = .allocate(capacity: minimum)
        capacity = minimum
        count = 0
        end = 0
        kept.forEach(append)
    }

    /// The last `maximum` characters (fewer when the tail is shorter), oldest first.
    public func suffix(_ maximum: Int) -> String {
        var view = String.UnicodeScalarView()
        for k in (0..<min(maximum, count)).reversed() { view.append(scalar(fromEnd: k)!) }
        return String(view)
    }
}
