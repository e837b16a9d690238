// Fuzz target: the server's request decoding (`CompletionRequest`, Sources/Serving), on the
// bytes of a `POST /v1/completions` body as `charlstm serve` hands them over (it has already
// refused a body larger than its limit, so inputs are small).
//
// Contract: every body is either accepted as settings the generation loop takes without a
// further check, or refused with a 400 whose JSON error object names the problem in one line;
// never a trap. Accepted means: at least one prompt, 1 ≤ n ≤ 16 and n × prompts within the
// server's streams, 0 ≤ max_tokens ≤ its cap, a finite temperature ≥ 0, top-k ≥ 1, top-p in
// (0, 1), at most 4 stop strings, none empty, no beam search, and `settings.problem` nil. And
// what was accepted, written back as a request with those values, is accepted as the same.
import CharLSTM
import Foundation
import FuzzDriver
@testable import Serving

let limits = ServerSettings()

fuzz { bytes in
    let request: CompletionRequest
    do throws(APIError) {
        request = try CompletionRequest(body: Data(bytes), limits: limits)
    } catch {
        checkRefusal(error)
        return
    }
    checkAccepted(request)
    let again: CompletionRequest
    do throws(APIError) { again = try CompletionRequest(body: body(of: request), limits: limits) } catch {
        fuzzFailure("a request it accepted, written back, is refused: \(error.message)")
    }
    if again.prompts != request.prompts || again.settings != request.settings || again.n != request.n
        || again.stream != request.stream {
        fuzzFailure("a request it accepted, written back, reads as \(again.settings), not \(request.settings)")
    }
}

func checkRefusal(_ error: APIError) {
    if error.status != .badRequest { fuzzFailure("a body was refused with \(error.status), not 400") }
    if error.message.isEmpty || error.message.contains("\n") { fuzzFailure("the refusal \(error.message.debugDescription) is not one line") }
    guard let object = try? JSONSerialization.jsonObject(with: error.body) as? [String: Any],
          let fields = object["error"] as? [String: Any], fields["message"] as? String == error.message,
          fields["type"] as? String == "invalid_request_error" else {
        fuzzFailure("the refusal's body is not OpenAI's error object: \(String(decoding: error.body, as: UTF8.self))")
    }
}

func checkAccepted(_ request: CompletionRequest) {
    let settings = request.settings
    if request.prompts.isEmpty { fuzzFailure("accepted a request with no prompt") }
    if !(1...CompletionRequest.maximumChoices).contains(request.n) || request.n * request.prompts.count > limits.maxStreams {
        fuzzFailure("accepted n = \(request.n) for \(request.prompts.count) prompts")
    }
    if !(0...limits.maxTokens).contains(settings.length) { fuzzFailure("accepted max_tokens \(settings.length)") }
    if !settings.temperature.isFinite || settings.temperature < 0 { fuzzFailure("accepted temperature \(settings.temperature)") }
    if let k = settings.topK, k < 1 { fuzzFailure("accepted top-k \(k)") }
    if let p = settings.topP, !(p > 0 && p < 1) { fuzzFailure("accepted top-p \(p) (1 is kept as no top-p)") }
    if settings.stop.count > CompletionRequest.maximumStops || settings.stop.contains("") { fuzzFailure("accepted stop \(settings.stop)") }
    if settings.beamWidth != nil { fuzzFailure("accepted a beam search, which the server does not offer") }
    if let problem = settings.problem { fuzzFailure("accepted settings the library refuses: \(problem)") }
}

/// The request as a client would send it with the values accepted, every field written out
/// (JSONEncoder writes each number so that it reads back exactly).
struct WrittenBack: Encodable {
    let prompt: [String], n: Int, maxTokens: Int, temperature: Double, stop: [String], stream: Bool
    let topK: Int?, topP: Double?, seed: UInt64?
}

func body(of request: CompletionRequest) -> Data {
    let settings = request.settings
    let fields = WrittenBack(prompt: request.prompts, n: request.n, maxTokens: settings.length, temperature: Double(settings.temperature),
                             stop: settings.stop, stream: request.stream, topK: settings.topK, topP: settings.topP.map(Double.init),
                             seed: settings.seed)
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    guard let data = try? encoder.encode(fields) else { fuzzFailure("cannot write back \(fields)") }
    return data
}
