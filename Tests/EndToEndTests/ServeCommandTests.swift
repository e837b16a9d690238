import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

/// `charlstm serve` run as a user runs it: the real binary on a loopback port picked by the
/// system, spoken to over real HTTP.
final class ServeCommandTests: SampledModelTestCase {
    /// A running server and the address it printed.
    final class Server {
        let command: RunningCommand
        let base: URL

        init(_ workspace: Workspace, _ options: [String] = []) throws {
            command = try workspace.start(["serve", "--checkpoint", "checkpoints/tiny", "--port", "0"] + options)
            let deadline = Date().addingTimeInterval(60)
            while true {
                let printed = (try? String(contentsOfFile: command.stdoutPath, encoding: .utf8)) ?? ""
                if let range = printed.range(of: #"http://127\.0\.0\.1:[0-9]+/"#, options: .regularExpression) {
                    base = URL(string: String(printed[range]))!
                    return
                }
                guard command.process.isRunning, Date() < deadline else {
                    let result = command.kill()
                    throw NotListening(output: result.stdout + result.stderr)
                }
                usleep(20_000)
            }
        }

        struct NotListening: Error, CustomStringConvertible {
            let output: String
            var description: String { "charlstm serve did not start listening: \(output)" }
        }

        deinit { if command.process.isRunning { command.kill() } }

        /// Sends a request and waits for the whole answer.
        func send(_ method: String, _ path: String, json: Any? = nil, body: Data? = nil,
                  headers: [String: String] = [:]) -> Reply {
            let (task, reply) = start(method, path, json: json, body: body, headers: headers)
            task.resume()
            return reply.wait()
        }

        /// A request made but not sent: `resume()` the task, `wait()` for the reply.
        func start(_ method: String, _ path: String, json: Any? = nil, body: Data? = nil,
                   headers: [String: String] = [:]) -> (URLSessionDataTask, PendingReply) {
            var request = URLRequest(url: base.appendingPathComponent(String(path.dropFirst())))
            request.httpMethod = method
            request.timeoutInterval = 120
            if let json { request.httpBody = try! JSONSerialization.data(withJSONObject: json) }
            if let body { request.httpBody = body }
            if request.httpBody != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
            for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
            let pending = PendingReply()
            let task = URLSession.shared.dataTask(with: request) { data, response, error in
                let http = response as? HTTPURLResponse
                pending.finish(Reply(status: http?.statusCode ?? -1, headers: http?.allHeaderFields as? [String: String] ?? [:],
                                     body: data ?? Data(), error: error))
            }
            return (task, pending)
        }

        /// The number of texts the server is writing now.
        func activeStreams() -> Int { send("GET", "/health").object["streams"] as? Int ?? -1 }

        /// Waits until `/health` reports `count` active texts; false after 30 s.
        func waitForStreams(_ count: Int) -> Bool {
            let deadline = Date().addingTimeInterval(30)
            while activeStreams() != count { if Date() > deadline { return false }; usleep(10_000) }
            return true
        }
    }

    struct Reply {
        let status: Int
        let headers: [String: String]
        let body: Data
        let error: Error?

        var text: String { String(decoding: body, as: UTF8.self) }
        var object: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        /// The first choice's text of a completion.
        var completionText: String? { ((object["choices"] as? [[String: Any]])?.first?["text"]) as? String }
        var errorObject: [String: Any]? { object["error"] as? [String: Any] }
        var errorMessage: String { errorObject?["message"] as? String ?? "(no error message in \(text))" }

        /// The `data:` payloads of a server-sent-event stream, in order.
        var events: [String] {
            text.components(separatedBy: "\n\n").compactMap { event in
                event.hasPrefix("data: ") ? String(event.dropFirst(6)) : nil
            }
        }
    }

    final class PendingReply: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var reply: Reply?
        func finish(_ reply: Reply) { self.reply = reply; done.signal() }
        func wait() -> Reply { done.wait(); return reply! }
    }

    func completion(_ fields: [String: Any]) -> [String: Any] {
        ["model": "tiny", "prompt": "the king", "max_tokens": 60, "temperature": 0.8, "seed": 11].merging(fields) { $1 }
    }

    func testSeededCompletionRepeatsAndIsTheTextGenerateWrites() throws {
        let server = try Server(workspace)
        let first = server.send("POST", "/v1/completions", json: completion([:]))
        XCTAssertEqual(first.status, 200, first.text)
        XCTAssertEqual(first.object["object"] as? String, "text_completion")
        XCTAssertEqual(first.object["model"] as? String, "tiny")
        let choice = try XCTUnwrap((first.object["choices"] as? [[String: Any]])?.first)
        XCTAssertEqual(choice["finish_reason"] as? String, "length")
        let text = try XCTUnwrap(first.completionText)
        XCTAssertEqual(text.unicodeScalars.count, 60)
        XCTAssertEqual((first.object["usage"] as? [String: Any])?["completion_tokens"] as? Int, 60)
        XCTAssertEqual(server.send("POST", "/v1/completions", json: completion([:])).completionText, text)
        XCTAssertNotEqual(server.send("POST", "/v1/completions", json: completion(["seed": 12])).completionText, text)
        let generated = try workspace.run(["generate", "--checkpoint", "checkpoints/tiny", "--prompt", "the king", "--length", "60",
                                           "--temperature", "0.8", "--seed", "11", "--no-prompt"])
        XCTAssertEqual(generated.stdout.trimmingCharacters(in: .newlines), text.trimmingCharacters(in: .newlines))
    }

    func testStreamSendsTheSameTextInChunksThenTheFinishReasonThenDone() throws {
        let server = try Server(workspace)
        let whole = try XCTUnwrap(server.send("POST", "/v1/completions", json: completion([:])).completionText)
        let streamed = server.send("POST", "/v1/completions", json: completion(["stream": true]))
        XCTAssertEqual(streamed.status, 200)
        XCTAssertEqual(streamed.headers["Content-Type"], "text/event-stream")
        let events = streamed.events
        XCTAssertEqual(events.last, "[DONE]")
        let chunks = events.dropLast().map { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] ?? [:] }
        let choices = chunks.compactMap { ($0["choices"] as? [[String: Any]])?.first }
        // One character per chunk while the client keeps up, several when it fell behind.
        XCTAssertTrue((2...61).contains(choices.count), "\(choices.count) chunks for 60 characters and the finish reason")
        XCTAssertEqual(choices.map { $0["text"] as? String ?? "?" }.joined(), whole)
        XCTAssertEqual(choices.last?["finish_reason"] as? String, "length")
        XCTAssertEqual(choices.last?["text"] as? String, "")
        XCTAssertTrue(choices.dropLast().allSatisfy { $0["finish_reason"] is NSNull && !($0["text"] as? String ?? "").isEmpty })
    }

    func testStopStringEndsTheTextAndSaysStop() throws {
        let server = try Server(workspace)
        let reply = server.send("POST", "/v1/completions", json: completion(["stop": [" "], "max_tokens": 200]))
        let text = try XCTUnwrap(reply.completionText)
        XCTAssertTrue(text.hasSuffix(" ") && !text.dropLast().contains(" "), text)
        XCTAssertEqual(((reply.object["choices"] as? [[String: Any]])?.first?["finish_reason"]) as? String, "stop")
    }

    func testBadRequestsGetAnOpenAIErrorNamingTheProblem() throws {
        let server = try Server(workspace, ["--max-tokens", "500", "--max-body", "2048"])
        let cases: [(String, Data, Int, String)] = [
            ("bad JSON", Data("{\"prompt\": ".utf8), 400, "the request body is not valid JSON"),
            ("not an object", Data("[1]".utf8), 400, "the request body must be a JSON object"),
            ("negative temperature", try JSONSerialization.data(withJSONObject: completion(["temperature": -1])), 400,
             "temperature must be a finite number ≥ 0"),
            ("temperature as text", try JSONSerialization.data(withJSONObject: completion(["temperature": "hot"])), 400,
             "temperature must be a finite number ≥ 0 (0 = greedy), got a string"),
            ("max_tokens past the cap", try JSONSerialization.data(withJSONObject: completion(["max_tokens": 501])), 400,
             "max_tokens must be an integer from 0 to 500, got 501"),
            ("unknown characters", try JSONSerialization.data(withJSONObject: completion(["prompt": "Zürich"])), 400,
             "the prompt holds characters the model does not know"),
            ("token ids", try JSONSerialization.data(withJSONObject: completion(["prompt": [1, 2]])), 400,
             "prompt must be a string or an array of strings"),
            ("top_p out of range", try JSONSerialization.data(withJSONObject: completion(["top_p": 1.5])), 400,
             "top_p must be a number in (0, 1]"),
            ("a body past the cap", Data(repeating: UInt8(ascii: " "), count: 4096), 413, "the request body is larger"),
        ]
        for (what, body, status, message) in cases {
            let reply = server.send("POST", "/v1/completions", body: body)
            XCTAssertEqual(reply.status, status, "\(what): \(reply.text)")
            XCTAssertTrue(reply.errorMessage.hasPrefix(message), "\(what): \(reply.errorMessage)")
            XCTAssertNotNil(reply.errorObject?["type"] as? String, what)
        }
        let missing = server.send("GET", "/v2/nothing")
        XCTAssertEqual(missing.status, 404)
        XCTAssertTrue(missing.errorMessage.contains("/v2/nothing"), missing.text)
        // The server is still there after all of it.
        XCTAssertEqual(server.send("POST", "/v1/completions", json: completion([:])).status, 200)
    }

    func testAPIKeyIsRequiredOnTheAPIButNotForHealth() throws {
        let server = try Server(workspace, ["--api-key", "sesame"])
        XCTAssertEqual(server.send("GET", "/health").status, 200)
        let none = server.send("POST", "/v1/completions", json: completion([:]))
        XCTAssertEqual(none.status, 401)
        XCTAssertEqual(none.errorObject?["code"] as? String, "invalid_api_key")
        XCTAssertEqual(server.send("GET", "/v1/models", headers: ["Authorization": "Bearer sesamf"]).status, 401)
        XCTAssertEqual(server.send("GET", "/v1/models", headers: ["Authorization": "Bearer sesame"]).status, 200)
        XCTAssertEqual(server.send("POST", "/v1/completions", json: completion([:]),
                                   headers: ["Authorization": "Bearer sesame"]).status, 200)
    }

    func testPastMaxStreamsA429AndADisconnectFreesTheSlot() throws {
        let server = try Server(workspace, ["--max-streams", "1", "--max-tokens", "1000000"])
        let (long, _) = server.start("POST", "/v1/completions", json: completion(["max_tokens": 1_000_000, "stream": true]))
        long.resume()
        XCTAssertTrue(server.waitForStreams(1))
        let refused = server.send("POST", "/v1/completions", json: completion([:]))
        XCTAssertEqual(refused.status, 429, refused.text)
        XCTAssertEqual(refused.headers["Retry-After"], "1")
        long.cancel()
        XCTAssertTrue(server.waitForStreams(0), "the disconnected client's text still takes its slot")
        XCTAssertEqual(server.send("POST", "/v1/completions", json: completion([:])).status, 200)
    }

    func testConcurrentRequestsAreWrittenTogetherAndEachGetsItsWholeText() throws {
        let server = try Server(workspace)
        let started = (0..<6).map { i in
            server.start("POST", "/v1/completions", json: completion(["seed": 100 + i, "max_tokens": 3000, "stream": i % 2 == 0]))
        }
        started.forEach { $0.0.resume() }
        let replies = started.map { $0.1.wait() }
        XCTAssertEqual(replies.map(\.status), Array(repeating: 200, count: 6))
        for (i, reply) in replies.enumerated() where i % 2 == 1 {
            XCTAssertEqual(reply.completionText?.unicodeScalars.count, 3000, "request \(i)")
        }
        for (i, reply) in replies.enumerated() where i % 2 == 0 { XCTAssertEqual(reply.events.last, "[DONE]", "request \(i)") }
        XCTAssertEqual(server.activeStreams(), 0)
    }

    func testPageAndOpenAPIDocumentAreServed() throws {
        let server = try Server(workspace)
        let page = server.send("GET", "/")
        XCTAssertEqual(page.status, 200)
        let policy = page.headers["Content-Security-Policy"] ?? ""
        XCTAssertTrue(policy.hasPrefix("default-src 'none'; script-src 'sha256-"), policy)
        XCTAssertTrue(page.text.contains("<button id=\"stop\""), page.text)
        XCTAssertFalse(page.text.contains("http://") || page.text.contains("https://"), "the page loads nothing from elsewhere")
        let document = server.send("GET", "/openapi.json").object
        XCTAssertEqual(document["openapi"] as? String, "3.0.3")
        XCTAssertEqual((document["paths"] as? [String: Any])?.keys.sorted(), ["/health", "/v1/completions", "/v1/models"])
    }

    func testSIGTERMLetsTheRequestInProgressFinishThenExits() throws {
        let server = try Server(workspace, ["--max-tokens", "1000000"])
        let (task, pending) = server.start("POST", "/v1/completions", json: completion(["max_tokens": 100_000]))
        task.resume()
        XCTAssertTrue(server.waitForStreams(1))
        kill(server.command.process.processIdentifier, SIGTERM)
        let reply = pending.wait()
        XCTAssertEqual(reply.status, 200, reply.text.prefix(300) + "")
        XCTAssertEqual(reply.completionText?.unicodeScalars.count, 100_000)
        let result = server.command.wait(timeout: 30)
        XCTAssertEqual(result?.status, 0, result?.stderr ?? "still running 30 s after SIGTERM")
    }
}
