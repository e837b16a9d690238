import ArgumentParser
import CharLSTM
import Checkpoints
import Dispatch
import Foundation
import Serving
import Training

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "An HTTP API that OpenAI clients speak (completions, streamed as server-sent events) over one model.",
        discussion: """
        POST /v1/completions takes OpenAI's completion request (model, prompt, max_tokens, \
        temperature, top_p, n, stop, seed, stream) plus top_k; GET /v1/models and GET /health \
        say what is served. The texts of all requests are written together, one step per \
        character. It listens on loopback unless --host says otherwise; with --api-key (or \
        CHARLSTM_API_KEY) every /v1 request needs 'Authorization: Bearer KEY'. SIGTERM or \
        Ctrl-C stops taking requests, lets those in progress finish, and exits. The checkpoint \
        is only read.
        """)

    @Option(help: "A checkpoint file or a run folder (default: the best checkpoint of the newest run in checkpoints/, else the bundled model).")
    var checkpoint: String?
    @Option(help: "The address to listen on; 0.0.0.0 or :: listens on every interface.") var host = "127.0.0.1"
    @Option(help: "The port to listen on; 0 picks a free one (printed).") var port = 8080
    @Option(name: .customLong("api-key"), help: "Require 'Authorization: Bearer KEY' on /v1 (default: the CHARLSTM_API_KEY environment variable, else none).")
    var apiKey: String?
    @Option(name: .customLong("max-streams"), help: "Texts written at once over all requests; past it a request gets 429 with Retry-After.")
    var maxStreams = 64
    @Option(name: .customLong("max-tokens"), help: "The largest max_tokens a request may ask for.") var maxTokens = 4096
    @Option(name: .customLong("max-body"), help: "The largest request body in bytes; a larger one gets 413.") var maxBody = 1 << 20
    @Option(name: .customLong("idle-timeout"), help: "Seconds an idle connection stays open.") var idleTimeout = 30
    @Option(name: .customLong("header-timeout"), help: "Seconds a request's headers may take to arrive, from their first byte; a slower client is disconnected.")
    var headerTimeout = 10

    func validate() throws {
        if port < 0 || port > 65535 { throw ValidationError("--port must be an integer from 0 to 65535, got \(port)") }
        if maxStreams < 1 || maxStreams > 4096 { throw ValidationError("--max-streams must be an integer from 1 to 4096, got \(maxStreams)") }
        if maxTokens < 1 || maxTokens > 1_000_000 { throw ValidationError("--max-tokens must be an integer from 1 to 1000000, got \(maxTokens)") }
        if maxBody < 1024 { throw ValidationError("--max-body must be at least 1024 bytes, got \(maxBody)") }
        if idleTimeout < 1 { throw ValidationError("--idle-timeout must be at least 1 second, got \(idleTimeout)") }
        if headerTimeout < 1 { throw ValidationError("--header-timeout must be at least 1 second, got \(headerTimeout)") }
        if apiKey == "" { throw ValidationError("--api-key must not be empty") }
    }

    func run() throws {
        guard let path = checkpoint ?? defaultCheckpoint(root: "checkpoints", bundled: SamplingOptions.bundledModelPath) else {
            throw UsageError("no checkpoint given and none found under checkpoints/: train one with 'charlstm train FILE', or pass --checkpoint")
        }
        let model = try TextModel(loading: path)
        var settings = ServerSettings()
        settings.host = host
        settings.port = port
        settings.apiKey = apiKey ?? ProcessInfo.processInfo.environment["CHARLSTM_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        settings.maxStreams = maxStreams
        settings.maxTokens = maxTokens
        settings.maxBodyBytes = maxBody
        settings.idleTimeoutSeconds = idleTimeout
        settings.headerTimeoutSeconds = headerTimeout
        let server = CompletionServer(model: model, settings: settings)
        let summary = model.info.summary
        let secured = settings.apiKey == nil ? "" : ", API key required"
        try Self.wait {
            try await server.run { address in
                print("charlstm serve: \(address) (\(summary)\(secured)); SIGTERM or Ctrl-C stops")
                fflush(stdout)
            }
        }
    }

    /// Runs `body` on Swift's concurrency pool and blocks this thread until it ends (the
    /// command line's entry point is synchronous).
    private static func wait(_ body: @escaping @Sendable () async throws -> Void) throws {
        final class Outcome: @unchecked Sendable { var error: Error? }
        let outcome = Outcome(), done = DispatchSemaphore(value: 0)
        Task.detached {
            do { try await body() } catch { outcome.error = error }
            done.signal()
        }
        done.wait()
        if let error = outcome.error {
            if error is CharLSTMError || error is UsageError { throw error }
            throw RuntimeFailure("the server stopped: \(error)")
        }
    }
}
