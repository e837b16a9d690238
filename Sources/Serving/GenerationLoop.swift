import CharLSTM
import Foundation

/// The one thread that writes the text of every request: all active texts advance together,
/// one ``TextBatch`` step per character, and requests join and leave between steps.
///
/// A request reserves its slots (one per choice) when it is accepted, or is refused at once
/// when the server already writes `maxStreams` texts: it never waits in a queue. Its text
/// comes back in a ``RequestOutput``, which the loop fills without ever waiting for the
/// handler; when the handler goes away (the client disconnected), ``leave(_:)`` takes its
/// texts out before the next step and frees their slots.
final class GenerationLoop: @unchecked Sendable {
    // Unchecked: `batch` and `requests` are touched only by the loop's own thread; what other
    // threads share (`joining`, `leaving`, `reserved`) is guarded by `lock`.

    /// A request accepted: what the loop writes for it.
    struct Job: Sendable {
        let id: Int
        /// Per choice, its prompt and settings.
        let choices: [(prompt: String, settings: GenerationSettings)]
        let output: RequestOutput
    }

    let maxStreams: Int
    private let batch: TextBatch
    private let lock = NSCondition()
    private var joining: [Job] = []
    private var leaving: Set<Int> = []
    /// Slots taken by requests joining or in the batch.
    private var reserved = 0
    private var nextJobID = 0
    private var stopping = false

    /// Per text in the batch: its request and choice.
    private var texts: [Int: (job: Int, choice: Int)] = [:]
    /// Per request in the batch: its output and how many of its texts go on.
    private var requests: [Int: (output: RequestOutput, remaining: Int, texts: [Int])] = [:]

    init(model: TextModel, maxStreams: Int) {
        batch = TextBatch(model: model, capacity: maxStreams)
        self.maxStreams = maxStreams
    }

    /// Starts the loop's thread.
    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "charlstm generation"
        thread.start()
    }

    /// Ends the loop's thread once the texts now in it are written.
    func stop() {
        lock.lock()
        stopping = true
        lock.signal()
        lock.unlock()
    }

    /// Texts being written or about to be.
    var activeStreams: Int {
        lock.lock()
        defer { lock.unlock() }
        return reserved
    }

    /// Accepts a request of `choices.count` texts, or returns nil when that many slots are not free.
    /// The settings must already be valid and the prompts known to the model.
    func submit(_ choices: [(prompt: String, settings: GenerationSettings)]) -> (id: Int, output: RequestOutput)? {
        let output = RequestOutput(choices: choices.count)
        lock.lock()
        defer { lock.unlock() }
        guard reserved + choices.count <= maxStreams, !stopping else { return nil }
        reserved += choices.count
        let id = nextJobID
        nextJobID += 1
        joining.append(Job(id: id, choices: choices, output: output))
        lock.signal()
        return (id, output)
    }

    /// Takes request `id`'s texts out before the next step (nothing happens once they ended).
    func leave(_ id: Int) {
        lock.lock()
        leaving.insert(id)
        lock.signal()
        lock.unlock()
    }

    private func run() {
        while true {
            lock.lock()
            while joining.isEmpty && leaving.isEmpty && batch.count == 0 && !stopping { lock.wait() }
            if stopping && joining.isEmpty && batch.count == 0 {
                lock.unlock()
                return
            }
            let arrived = joining, departed = leaving
            joining = []
            leaving = []
            lock.unlock()

            for id in departed { finish(request: id) }
            for job in arrived where !departed.contains(job.id) { admit(job) }
            for job in arrived where departed.contains(job.id) {
                job.output.close()
                release(job.choices.count)
            }
            for piece in batch.step() { deliver(piece) }
        }
    }

    private func admit(_ job: Job) {
        var ids: [Int] = []
        for (choice, text) in job.choices.enumerated() {
            // The handler checked the settings and the prompt, so this cannot fail; if it
            // did, the choice ends at once rather than take the loop down.
            guard let id = try? batch.add(prompt: text.prompt, settings: text.settings) else {
                job.output.end(choice: choice, reason: .cancelled)
                release(1)
                continue
            }
            texts[id] = (job.id, choice)
            ids.append(id)
        }
        if ids.isEmpty {
            job.output.close()
        } else {
            requests[job.id] = (job.output, ids.count, ids)
        }
    }

    private func deliver(_ piece: TextBatch.Piece) {
        guard let text = texts[piece.id], var request = requests[text.job] else { return }
        if !piece.text.isEmpty { request.output.append(piece.text, choice: text.choice) }
        guard let reason = piece.finishReason else { return }
        request.output.end(choice: text.choice, reason: reason)
        texts[piece.id] = nil
        release(1)
        request.remaining -= 1
        requests[text.job] = request
        if request.remaining == 0 { finish(request: text.job) }
    }

    /// Ends request `id`: its output closes, and texts of it still in the batch leave it.
    private func finish(request id: Int) {
        guard let request = requests.removeValue(forKey: id) else { return }
        for text in request.texts where texts[text] != nil {
            batch.remove(text)
            texts[text] = nil
            release(1)
        }
        request.output.close()
    }

    private func release(_ slots: Int) {
        lock.lock()
        reserved -= slots
        lock.unlock()
    }
}
