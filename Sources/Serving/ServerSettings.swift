/// How `charlstm serve` listens and what it allows.
public struct ServerSettings: Sendable {
    /// The address to bind: loopback unless told otherwise, so a server is not on the network by accident.
    public var host = "127.0.0.1"
    /// The port; 0 picks a free one (the line the server prints names it).
    public var port = 8080
    /// When set, every /v1 request must carry `Authorization: Bearer <key>`.
    public var apiKey: String?
    /// Texts written at once, over all requests (a request with `n` choices takes n);
    /// past it a request gets 429 with Retry-After.
    public var maxStreams = 64
    /// The most characters one choice may ask for (`max_tokens`).
    public var maxTokens = 4096
    /// The largest request body, in bytes; a larger one gets 413.
    public var maxBodyBytes = 1 << 20
    /// Seconds a connection may stay idle (no request in progress) before it is closed.
    public var idleTimeoutSeconds = 30
    /// Seconds a request's head (request line and headers) may take to arrive, from its first
    /// byte; a client slower than that is disconnected.
    public var headerTimeoutSeconds = 10

    public init() {}
}
