import CharLSTM
import Foundation

/// What the generation loop has written for one request and its handler has not sent yet.
///
/// The loop appends each character as it is drawn and never waits; the handler takes
/// everything that piled up since it last looked, in one go. A handler that keeps up with the
/// loop takes one character at a time (one event per character); one that fell behind, because
/// its client, the network or the machine is slower than the loop, takes the characters
/// waiting and sends them as one event, so a late writer costs one write per turn rather than
/// one per character, and catches up instead of falling further behind. Between the two
/// threads there is one lock and, only when the handler is waiting, one wake-up per turn.
final class RequestOutput: @unchecked Sendable {
    // Unchecked: every stored property is guarded by `lock`.

    /// What one choice gained since the handler last took: its new text, and its finish
    /// reason when it ended meanwhile.
    struct Gain: Equatable {
        let choice: Int
        let text: String
        let finishReason: FinishReason?
    }

    private let lock = NSLock()
    private var texts: [String]
    private var reasons: [FinishReason?]
    /// Choices that gained something since the handler last took, in the order they did.
    private var changed: [Int] = []
    private var isChanged: [Bool]
    private var closed = false
    private var cancelled = false
    private var waiter: CheckedContinuation<Void, Never>?

    init(choices: Int) {
        texts = Array(repeating: "", count: choices)
        reasons = Array(repeating: nil, count: choices)
        isChanged = Array(repeating: false, count: choices)
    }

    // MARK: The loop's side

    /// Adds `text` to choice `choice`'s output.
    func append(_ text: String, choice: Int) {
        update { texts[choice] += text; mark(choice) }
    }

    /// Records that choice `choice` ended.
    func end(choice: Int, reason: FinishReason) {
        update { reasons[choice] = reason; mark(choice) }
    }

    /// Nothing more will come: the handler's `take()` returns nil once it has taken the rest.
    func close() {
        update { closed = true }
    }

    private func mark(_ choice: Int) {
        if !isChanged[choice] {
            isChanged[choice] = true
            changed.append(choice)
        }
    }

    /// Runs `change` under the lock, then wakes the handler if it waits.
    private func update(_ change: () -> Void) {
        lock.lock()
        change()
        let woken = waiter
        waiter = nil
        lock.unlock()
        woken?.resume()
    }

    // MARK: The handler's side

    /// Everything gained since the last call, waiting until there is something; nil when the
    /// output is closed and all of it taken, or when the calling task is cancelled.
    func take() async -> [Gain]? {
        while true {
            switch takeNow() {
            case .gains(let gains): return gains
            case .over: return nil
            case .nothing:
                await withTaskCancellationHandler {
                    await withCheckedContinuation { wake(when: $0) }
                } onCancel: {
                    self.update { self.cancelled = true }
                }
            }
        }
    }

    private enum Taken {
        case gains([Gain])
        case over
        case nothing
    }

    private func takeNow() -> Taken {
        lock.lock()
        defer { lock.unlock() }
        if changed.isEmpty { return closed || cancelled ? .over : .nothing }
        let gains = changed.map { Gain(choice: $0, text: texts[$0], finishReason: reasons[$0]) }
        for choice in changed {
            texts[choice] = ""
            reasons[choice] = nil
            isChanged[choice] = false
        }
        changed.removeAll(keepingCapacity: true)
        return .gains(gains)
    }

    /// Resumes `continuation` at the next change, or at once when one came (or the task was
    /// cancelled) since `takeNow` looked.
    private func wake(when continuation: CheckedContinuation<Void, Never>) {
        lock.lock()
        if !changed.isEmpty || closed || cancelled {
            lock.unlock()
            continuation.resume()
        } else {
            waiter = continuation
            lock.unlock()
        }
    }
}
