import Checkpoints
import Hummingbird

/// Lets a request through only with `Authorization: Bearer <key>`. The key is compared in
/// constant time (SHA-256 of both sides, every byte of the digests looked at), so the time
/// an answer takes tells nothing about how much of a guess was right.
struct APIKeyCheck<Context: RequestContext>: RouterMiddleware {
    private let keyDigest: [UInt8]

    init(key: String) {
        keyDigest = Self.digest(key)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let authorization = request.headers[.authorization] else { throw APIError.missingKey }
        let prefix = "Bearer "
        guard authorization.hasPrefix(prefix) else { throw APIError.missingKey }
        guard Self.equalInConstantTime(Self.digest(String(authorization.dropFirst(prefix.count))), keyDigest) else {
            throw APIError.wrongKey
        }
        return try await next(request, context)
    }

    private static func digest(_ text: String) -> [UInt8] {
        var hash = SHA256()
        hash.update(Array(text.utf8))
        return hash.finish()
    }

    /// Whether two digests of the same length are equal, looking at every byte whatever the first difference.
    static func equalInConstantTime(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
