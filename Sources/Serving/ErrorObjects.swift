import Hummingbird
import NIOCore

/// Turns every failure into OpenAI's error object: Hummingbird's own (no such route, a body
/// past the cap) as well as ours, so a client sees one shape of error whatever went wrong.
struct ErrorObjects<Context: RequestContext>: RouterMiddleware {
    let maxBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch is NIOTooManyBytesError {
            throw APIError.tooLarge(limit: maxBodyBytes)
        } catch let error as HTTPError where error.status == .notFound {
            throw APIError.notFound(request.method, request.uri.path)
        } catch let error as HTTPError {
            throw APIError(status: error.status, message: error.body ?? "\(error.status.code) \(error.status.reasonPhrase)",
                           type: error.status.code >= 500 ? "server_error" : "invalid_request_error", param: nil, code: nil)
        }
    }
}
