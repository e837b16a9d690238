import CharLSTM
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Tokenization

/// `charlstm serve`: OpenAI's completions API over one loaded model, on Hummingbird.
///
/// Requests are checked here (body size, JSON, every field, the prompt's characters) and
/// answered with a 4xx and OpenAI's error object when wrong; accepted ones go to the
/// ``GenerationLoop``, which writes every request's text together. The checkpoint on disk is
/// only read, once, when the model is loaded.
public struct CompletionServer: Sendable {
    let model: TextModel
    let settings: ServerSettings
    /// The model's name in answers and in /v1/models: its run folder's name, else its file's.
    let modelName: String
    let loop: GenerationLoop
    /// The page at `/` and the document at `/openapi.json`, made once.
    let page: String, openAPI: String

    public init(model: TextModel, settings: ServerSettings) {
        self.model = model
        self.settings = settings
        modelName = Self.name(of: model.info.file)
        loop = GenerationLoop(model: model, maxStreams: settings.maxStreams)
        page = WebPage.html(modelName: modelName, summary: model.info.summary)
        openAPI = OpenAPIDocument.json(settings: settings, modelName: modelName)
    }

    static func name(of file: String) -> String {
        let url = URL(fileURLWithPath: file)
        let folder = url.deletingLastPathComponent().lastPathComponent
        return url.pathExtension == "safetensors" && !folder.isEmpty && folder != "/" && folder != "."
            ? folder : url.deletingPathExtension().lastPathComponent
    }

    /// Serves until SIGTERM or SIGINT, then lets the requests in progress finish and returns.
    /// `onListening` gets the address once the port is bound.
    public func run(onListening: @escaping @Sendable (String) -> Void) async throws {
        var logger = Logger(label: "charlstm-serve")
        logger.logLevel = .warning
        let app = Application(
            router: router(),
            server: HTTPServerBuilder { [settings] responder in
                HeadDeadlineHTTP1Channel(responder: responder, idleTimeout: .seconds(Int64(settings.idleTimeoutSeconds)),
                                         headerTimeout: .seconds(Int64(settings.headerTimeoutSeconds)))
            },
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "charlstm"),
            onServerRunning: { [settings] channel in
                let host = settings.host.contains(":") ? "[\(settings.host)]" : settings.host
                onListening("http://\(host):\(channel.localAddress?.port ?? settings.port)/")
            },
            logger: logger)
        loop.start()
        defer { loop.stop() }
        try await app.runService()
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        // Middleware first: it wraps the routes added after it and the not-found answer.
        router.add(middleware: ErrorObjects(maxBodyBytes: settings.maxBodyBytes))
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8",
                                            .contentSecurityPolicy: WebPage.contentSecurityPolicy],
                     body: .init(byteBuffer: ByteBuffer(string: page)))
        }
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: openAPI)))
        }
        router.get("/health") { _, _ in
            json(["status": "ok", "streams": loop.activeStreams, "max_streams": settings.maxStreams])
        }
        let api = router.group("/v1")
        if let key = settings.apiKey { api.add(middleware: APIKeyCheck(key: key)) }
        api.get("/models") { _, _ in
            json(["object": "list", "data": [["id": modelName, "object": "model", "created": 0, "owned_by": "charlstm",
                                                "summary": model.info.summary]]])
        }
        api.post("/completions") { request, _ in try await complete(request) }
        return router
    }

    private func json(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: CompletionReply.json(object))))
    }

    /// Seconds a client refused for lack of slots should wait: texts end within a fraction of
    /// a second to a few seconds, so retrying soon is right.
    static let retryAfterSeconds = 1

    private func complete(_ request: Request) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > settings.maxBodyBytes {
            throw APIError.tooLarge(limit: settings.maxBodyBytes)
        }
        let body = try await request.body.collect(upTo: settings.maxBodyBytes)
        let completion = try CompletionRequest(body: Data(body.readableBytesView), limits: settings)
        for prompt in completion.prompts {
            let unknown = model.unknownCharacters(in: prompt)
            if !unknown.isEmpty {
                throw APIError.invalid("the prompt holds characters the model does not know: " + describeCharacterCounts(unknown)
                                       + "; GET /v1/models names the model, and its vocabulary is in 'charlstm info'", param: "prompt")
            }
        }
        let baseSeed = completion.settings.seed ?? UInt64.random(in: 0...UInt64(Int64.max))
        let choices = (0..<completion.prompts.count * completion.n).map { index in
            (prompt: completion.prompts[index / completion.n], settings: completion.settings(ofChoice: index, baseSeed: baseSeed))
        }
        guard let (id, output) = loop.submit(choices) else {
            throw APIError.busy(streams: settings.maxStreams, retryAfter: Self.retryAfterSeconds)
        }
        let reply = CompletionReply(model: modelName)
        if completion.stream {
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                            body: ResponseBody { [loop] writer in
                                // However the body ends (the client gone, a write failing), the texts leave the batch.
                                defer { loop.leave(id) }
                                // One write per turn: what every choice gained since the last one
                                // (one character while this writer keeps up, more when it fell behind).
                                var events: [UInt8] = []
                                while let gains = await output.take() {
                                    events.removeAll(keepingCapacity: true)
                                    for gain in gains {
                                        if !gain.text.isEmpty {
                                            reply.appendChunk(choice: gain.choice, text: gain.text, reason: nil, to: &events)
                                        }
                                        if let reason = gain.finishReason {
                                            reply.appendChunk(choice: gain.choice, text: "", reason: reason, to: &events)
                                        }
                                    }
                                    try await writer.write(ByteBuffer(bytes: events))
                                }
                                try Task.checkCancellation()
                                try await writer.write(ByteBuffer(bytes: CompletionReply.done))
                                try await writer.finish(nil)
                            })
        }
        defer { loop.leave(id) }
        var texts = [String](repeating: "", count: choices.count)
        var reasons = [FinishReason?](repeating: nil, count: choices.count)
        while let gains = await output.take() {
            for gain in gains {
                texts[gain.choice] += gain.text
                if let reason = gain.finishReason { reasons[gain.choice] = reason }
            }
        }
        try Task.checkCancellation()
        let promptCharacters = choices.reduce(0) { $0 + $1.prompt.unicodeScalars.count }
        return Response(status: .ok, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: reply.completion(texts: texts, reasons: reasons,
                                                                                   promptCharacters: promptCharacters))))
    }
}
