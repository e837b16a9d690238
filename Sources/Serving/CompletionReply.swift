import CharLSTM
import Foundation

/// The JSON of OpenAI's completion answers: a whole `text_completion` object, or one
/// server-sent-event chunk of a streamed one.
struct CompletionReply: Sendable {
    let id: String
    let created: Int
    let model: String

    init(model: String) {
        id = "cmpl-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        created = Int(Date().timeIntervalSince1970)
        self.model = model
    }

    /// OpenAI's name for why a choice ended. A text is cancelled only when the server stops
    /// writing it, which OpenAI has no word for; "length" is the nearest (it was cut short).
    static func finishReason(_ reason: FinishReason?) -> Any {
        switch reason {
        case nil: return NSNull()
        case .stop?: return "stop"
        case .length?, .cancelled?: return "length"
        }
    }

    private func choice(_ index: Int, _ text: String, _ reason: FinishReason?) -> [String: Any] {
        ["text": text, "index": index, "logprobs": NSNull(), "finish_reason": Self.finishReason(reason)]
    }

    /// The whole answer: every choice's text and finish reason, and the characters counted.
    func completion(texts: [String], reasons: [FinishReason?], promptCharacters: Int) -> Data {
        let written = texts.reduce(0) { $0 + $1.unicodeScalars.count }
        return Self.json([
            "id": id, "object": "text_completion", "created": created, "model": model,
            "choices": texts.indices.map { choice($0, texts[$0], reasons[$0]) },
            "usage": ["prompt_tokens": promptCharacters, "completion_tokens": written, "total_tokens": promptCharacters + written],
        ])
    }

    /// One event of a streamed answer: `data: <chunk>` and a blank line.
    func chunk(choice index: Int, text: String, reason: FinishReason?) -> Data {
        var event = Data("data: ".utf8)
        event.append(Self.json(["id": id, "object": "text_completion", "created": created, "model": model,
                                "choices": [choice(index, text, reason)]]))
        event.append(contentsOf: Array("\n\n".utf8))
        return event
    }

    /// The event that ends a stream, as OpenAI ends one.
    static let done = Data("data: [DONE]\n\n".utf8)

    static func json(_ object: Any) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }
}
