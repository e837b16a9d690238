import CharLSTM
import Foundation

/// A `POST /v1/completions` body, checked field by field: OpenAI's completion request
/// (`model`, `prompt`, `max_tokens`, `temperature`, `top_p`, `n`, `stop`, `seed`, `stream`)
/// plus `top_k`, as llama-server takes it. Fields it does not know are ignored, as OpenAI's
/// clients send some by default; the few that would change the answer in a way this server
/// does not offer (`echo`, `logprobs`, `best_of`, `suffix`) are refused rather than ignored.
struct CompletionRequest: Sendable {
    /// One or more prompts; each gets `n` choices.
    let prompts: [String]
    /// The settings of choice 0 of prompt 0; the others differ only in their seed.
    let settings: GenerationSettings
    let n: Int
    let stream: Bool

    /// OpenAI's default `max_tokens`.
    static let defaultMaxTokens = 16
    /// The most choices one request may ask for (`n`).
    static let maximumChoices = 16
    /// The most stop strings, as OpenAI allows.
    static let maximumStops = 4

    init(body: Data, limits: ServerSettings) throws(APIError) {
        let fields: [String: JSONValue]
        do {
            guard case .object(let object) = try JSONDecoder().decode(JSONValue.self, from: body) else {
                throw APIError.invalid("the request body must be a JSON object")
            }
            fields = object
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.invalid("the request body is not valid JSON: \(Self.describe(error))")
        }
        func field(_ name: String) -> JSONValue? {
            guard let value = fields[name], case .null = value else { return fields[name] }
            return nil
        }

        if let model = field("model") {
            guard case .string = model else { throw APIError.invalid("model must be a string, got \(model.kind)", param: "model") }
        }
        for name in ["echo", "logprobs", "best_of", "suffix"] {
            guard let value = field(name) else { continue }
            switch (name, value) {
            case ("echo", .bool(false)), ("best_of", .integer(1)), ("logprobs", .integer(0)): continue
            default: throw APIError.invalid("\(name) is not offered by this server; leave it out", param: name)
            }
        }

        prompts = try Self.strings(field("prompt"), "prompt", note: " (this model reads characters, not token ids)") ?? [""]
        if prompts.isEmpty { throw APIError.invalid("prompt must not be an empty array", param: "prompt") }

        let maxTokens = try Self.integer(field("max_tokens"), "max_tokens", in: 0...limits.maxTokens) ?? Self.defaultMaxTokens
        let n = try Self.integer(field("n"), "n", in: 1...Self.maximumChoices) ?? 1
        if n * prompts.count > limits.maxStreams {
            throw APIError.invalid("n × the number of prompts is \(n * prompts.count), more texts than this server writes at once (\(limits.maxStreams))", param: "n")
        }
        self.n = n
        let temperature = try Self.number(field("temperature"), "temperature", "a finite number ≥ 0 (0 = greedy)") { $0 >= 0 }
        let topP = try Self.number(field("top_p"), "top_p", "a number in (0, 1]") { $0 > 0 && $0 <= 1 }
        let topK = try Self.integer(field("top_k"), "top_k", in: 0...Int(Int32.max))
        let seed = try Self.integer(field("seed"), "seed", in: 0...Int(Int64.max))

        let stops = try Self.strings(field("stop"), "stop") ?? []
        if stops.count > Self.maximumStops { throw APIError.invalid("stop takes at most \(Self.maximumStops) strings, got \(stops.count)", param: "stop") }
        if stops.contains("") { throw APIError.invalid("stop strings must not be empty", param: "stop") }

        switch field("stream") {
        case nil: stream = false
        case .bool(let value)?: stream = value
        case let other?: throw APIError.invalid("stream must be a boolean, got \(other.kind)", param: "stream")
        }

        settings = GenerationSettings(length: maxTokens, temperature: temperature.map(Float.init) ?? Self.defaultTemperature,
                                      topK: topK == 0 ? nil : topK, topP: topP.map(Float.init).flatMap { $0 == 1 ? nil : $0 },
                                      seed: seed.map(UInt64.init), stop: stops)
        if let problem = settings.problem { throw APIError.invalid(problem) }
    }

    /// `charlstm generate`'s and llama-server's default (OpenAI's is 1).
    static let defaultTemperature: Float = 0.8

    /// The settings of choice `index` (prompt-major, as OpenAI numbers choices): seed + index,
    /// so a seeded request repeats exactly and its choices differ.
    func settings(ofChoice index: Int, baseSeed: UInt64) -> GenerationSettings {
        var settings = self.settings
        settings.seed = baseSeed &+ UInt64(index)
        return settings
    }

    /// A string or an array of strings, as `prompt` and `stop` take them; `note` follows the
    /// message when an array holds something else.
    private static func strings(_ value: JSONValue?, _ name: String, note: String = "") throws(APIError) -> [String]? {
        let expected = "\(name) must be a string or an array of strings"
        switch value {
        case nil: return nil
        case .string(let string)?: return [string]
        case .array(let items)?:
            return try items.map { item throws(APIError) in
                guard case .string(let string) = item else {
                    throw APIError.invalid("\(expected)\(note), got an array holding \(item.kind)", param: name)
                }
                return string
            }
        case let other?: throw APIError.invalid("\(expected), got \(other.kind)", param: name)
        }
    }

    private static func integer(_ value: JSONValue?, _ name: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
        guard let value else { return nil }
        let problem = "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)"
        switch value {
        case .integer(let integer) where integer >= Int64(range.lowerBound) && integer <= Int64(range.upperBound): return Int(integer)
        case .integer(let integer): throw APIError.invalid("\(problem), got \(integer)", param: name)
        case .number(let number): throw APIError.invalid("\(problem), got \(Self.shown(number))", param: name)
        default: throw APIError.invalid("\(problem), got \(value.kind)", param: name)
        }
    }

    private static func number(_ value: JSONValue?, _ name: String, _ valid: String,
                               _ isValid: (Double) -> Bool) throws(APIError) -> Double? {
        guard let value else { return nil }
        guard let number = value.number else { throw APIError.invalid("\(name) must be \(valid), got \(value.kind)", param: name) }
        guard number.isFinite, isValid(number) else { throw APIError.invalid("\(name) must be \(valid), got \(Self.shown(number))", param: name) }
        return number
    }

    /// A number as the client most likely wrote it: -1, not -1.0.
    private static func shown(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }

    /// A decoding error in a few words.
    private static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            return (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String ?? context.debugDescription
        }
        return "\(error)"
    }
}
