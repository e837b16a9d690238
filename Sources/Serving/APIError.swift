import Foundation
import HTTPTypes
import Hummingbird

/// A request the server refuses, answered as OpenAI answers: the status and an error object,
/// `{"error": {"message", "type", "param", "code"}}`, whose message names the problem.
struct APIError: Error, HTTPResponseError {
    let status: HTTPResponse.Status
    let message: String
    let type: String
    let param: String?
    let code: String?
    var headers: HTTPFields = [:]

    /// A 400: a value out of range, a wrong type, bad JSON, an unknown prompt character.
    static func invalid(_ message: String, param: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: nil)
    }

    static let missingKey = APIError(status: .unauthorized,
                                     message: "this server needs an API key: send the header 'Authorization: Bearer <key>'",
                                     type: "invalid_request_error", param: nil, code: "invalid_api_key")
    static let wrongKey = APIError(status: .unauthorized, message: "the API key is not this server's",
                                   type: "invalid_request_error", param: nil, code: "invalid_api_key")

    static func tooLarge(limit: Int) -> APIError {
        APIError(status: .contentTooLarge, message: "the request body is larger than this server takes (\(limit) bytes)",
                 type: "invalid_request_error", param: nil, code: "request_too_large")
    }

    static func busy(streams: Int, retryAfter seconds: Int) -> APIError {
        APIError(status: .tooManyRequests,
                 message: "the server is writing as many texts as it takes (\(streams)); retry in \(seconds) s",
                 type: "server_busy", param: nil, code: "rate_limit_exceeded",
                 headers: [.retryAfter: String(seconds)])
    }

    static func notFound(_ method: HTTPRequest.Method, _ path: String) -> APIError {
        APIError(status: .notFound, message: "no endpoint \(method) \(path): GET /openapi.json lists this server's endpoints",
                 type: "invalid_request_error", param: nil, code: "not_found")
    }

    static let shuttingDown = APIError(status: .serviceUnavailable, message: "the server is shutting down",
                                       type: "server_error", param: nil, code: nil)

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The JSON error object.
    var body: Data {
        var error: [String: Any] = ["message": message, "type": type]
        error["param"] = param ?? NSNull()
        error["code"] = code ?? NSNull()
        return (try? JSONSerialization.data(withJSONObject: ["error": error], options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }
}
