import CharLSTM
import Foundation

/// The JSON of OpenAI's completion answers: a whole `text_completion` object, or the
/// server-sent events of a streamed one.
struct CompletionReply: Sendable {
    let id: String
    let created: Int
    let model: String
    /// A streamed chunk's JSON after its one choice, the same for every chunk of the answer:
    /// `],"created":…,"id":…,"model":…,"object":"text_completion"}` and the blank line that
    /// ends the event.
    private let chunkEnd: [UInt8]

    init(model: String) {
        id = "cmpl-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        created = Int(Date().timeIntervalSince1970)
        self.model = model
        var end = Array("],\"created\":\(created),\"id\":".utf8)
        Self.appendJSONString(id, to: &end)
        end.append(contentsOf: ",\"model\":".utf8)
        Self.appendJSONString(model, to: &end)
        end.append(contentsOf: ",\"object\":\"text_completion\"}\n\n".utf8)
        chunkEnd = end
    }

    /// OpenAI's name for why a choice ended. A text is cancelled only when the server stops
    /// writing it, which OpenAI has no word for; "length" is the nearest (it was cut short).
    static func finishReason(_ reason: FinishReason) -> String {
        switch reason {
        case .stop: return "stop"
        case .length, .cancelled: return "length"
        }
    }

    private func choice(_ index: Int, _ text: String, _ reason: FinishReason?) -> [String: Any] {
        ["text": text, "index": index, "logprobs": NSNull(), "finish_reason": reason.map(Self.finishReason) ?? NSNull()]
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

    /// One event of a streamed answer, `data: <chunk>` and a blank line, appended to `event`.
    /// Written from a template rather than through JSONSerialization, as a stream sends one
    /// per character while its client keeps up; the keys are in the order `json` sorts them.
    func appendChunk(choice index: Int, text: String, reason: FinishReason?, to event: inout [UInt8]) {
        event += Self.chunkStart
        if let reason { Self.appendJSONString(Self.finishReason(reason), to: &event) } else { event.append(contentsOf: "null".utf8) }
        event.append(contentsOf: ",\"index\":\(index),\"logprobs\":null,\"text\":".utf8)
        Self.appendJSONString(text, to: &event)
        event.append(UInt8(ascii: "}"))
        event += chunkEnd
    }

    private static let chunkStart = Array("data: {\"choices\":[{\"finish_reason\":".utf8)

    /// `string` as a JSON string literal: quotes, backslashes and control characters escaped,
    /// everything else as its UTF-8.
    static func appendJSONString(_ string: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), byte]
            case UInt8(ascii: "\n"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20: bytes.append(contentsOf: String(format: "\\u%04x", byte).utf8)
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// The event that ends a stream, as OpenAI ends one.
    static let done = Array("data: [DONE]\n\n".utf8)

    static func json(_ object: Any) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }
}
