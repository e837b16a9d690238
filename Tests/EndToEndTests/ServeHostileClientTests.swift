import Foundation
import XCTest

/// `charlstm serve` against clients that misbehave on the wire, spoken to over a raw socket so
/// the test decides every byte and every pause: headers sent a line at a time, a 10 MB body,
/// a client that reads its stream slowly.
final class ServeHostileClientTests: SampledModelTestCase {
    typealias Server = ServeCommandTests.Server

    /// A TCP connection to the server, written and read by hand.
    final class Connection {
        let socket: Int32

        /// Connects to `base`'s port; `receiveBuffer` shrinks the socket's receive buffer first
        /// (the kernel then holds little of what the server sends before it must wait).
        init(to base: URL, receiveBuffer: Int32? = nil) throws {
            socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            if var size = receiveBuffer {
                setsockopt(socket, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(base.port!).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { close(socket); throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        }

        deinit { close(socket) }

        /// Sends all of `bytes`; false when the server closed the connection.
        @discardableResult
        func send(_ bytes: some Collection<UInt8>) -> Bool {
            let array = Array(bytes)
            var sent = 0
            while sent < array.count {
                let n = array[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return false }
                sent += n
            }
            return true
        }

        func send(_ text: String) -> Bool { send(Array(text.utf8)) }

        /// Whether something (bytes or the end of the stream) is there to read within `seconds`.
        func readable(within seconds: Double) -> Bool {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            return poll(&descriptor, 1, Int32(seconds * 1000)) > 0
        }

        /// Up to `limit` bytes, waiting for them; empty when the server closed the connection.
        func receive(limit: Int = 65536) -> [UInt8] {
            var buffer = [UInt8](repeating: 0, count: limit)
            let n = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, limit, 0) }
            return n > 0 ? Array(buffer[..<n]) : []
        }

        /// Everything the server sends until it closes the connection.
        func receiveAll() -> [UInt8] {
            var all: [UInt8] = []
            while true {
                let bytes = receive()
                if bytes.isEmpty { return all }
                all += bytes
            }
        }
    }

    func request(_ json: [String: Any], path: String = "/v1/completions") throws -> String {
        let body = String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)
        return "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
    }

    func testHeadersTrickledPastTheHeaderTimeoutAreCutOffWhileAPromptClientIsServed() throws {
        let server = try Server(workspace, ["--header-timeout", "1", "--idle-timeout", "60"])
        // A head sent in pieces within the deadline is answered.
        let prompt = try Connection(to: server.base)
        let whole = Array(try request(["prompt": "the", "max_tokens": 5, "seed": 1]).utf8)
        for piece in stride(from: 0, to: whole.count, by: 40) {
            XCTAssertTrue(prompt.send(whole[piece..<min(piece + 40, whole.count)]))
            usleep(50_000)
        }
        XCTAssertTrue(String(decoding: prompt.receiveAll(), as: UTF8.self).hasPrefix("HTTP/1.1 200"))

        // One header line every 0.2 s: each keeps the connection busy, none finishes the head.
        let slow = try Connection(to: server.base)
        let started = Date()
        XCTAssertTrue(slow.send("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"))
        var closedAfter: TimeInterval?
        for line in 0..<100 {
            if slow.readable(within: 0.2) {
                XCTAssertEqual(slow.receive(), [], "the server answered a request whose head never ended")
                closedAfter = Date().timeIntervalSince(started)
                break
            }
            if !slow.send("X-Slow-\(line): a\r\n") {
                closedAfter = Date().timeIntervalSince(started)
                break
            }
        }
        let seconds = try XCTUnwrap(closedAfter, "a head trickled for 20 s still held its connection")
        XCTAssertGreaterThan(seconds, 0.9)
        XCTAssertLessThan(seconds, 10, "closed by the idle timeout (60 s) rather than the header timeout (1 s)?")
        // The server goes on serving.
        XCTAssertEqual(server.send("POST", "/v1/completions", json: ["prompt": "the", "max_tokens": 5]).status, 200)
    }

    func testTenMegabyteBodyGets413WithAndWithoutContentLength() throws {
        let server = try Server(workspace)
        let tenMegabytes = 10 << 20
        let piece = [UInt8](repeating: UInt8(ascii: " "), count: 64 << 10)

        // Announced: refused on its Content-Length, before the body is read.
        let announced = try Connection(to: server.base)
        XCTAssertTrue(announced.send("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                     + "Content-Length: \(tenMegabytes)\r\n\r\n"))
        XCTAssertTrue(announced.readable(within: 30), "no answer to a 10 MB Content-Length before the body")
        XCTAssertTrue(String(decoding: announced.receive(), as: UTF8.self).hasPrefix("HTTP/1.1 413"))

        // Chunked, no length given: the server reads up to its cap (1 MiB) and refuses.
        let chunked = try Connection(to: server.base)
        XCTAssertTrue(chunked.send("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                   + "Transfer-Encoding: chunked\r\n\r\n"))
        var sent = 0
        var answer: [UInt8] = []
        while sent < tenMegabytes {
            if chunked.readable(within: 0) {
                answer = chunked.receive()
                break
            }
            guard chunked.send(Array("10000\r\n".utf8) + piece + Array("\r\n".utf8)) else { break }
            sent += piece.count
        }
        if answer.isEmpty, chunked.readable(within: 30) { answer = chunked.receive() }
        // (How much of the body the socket took before the answer says little: the kernel's
        // buffers on both ends hold megabytes the server never reads.)
        XCTAssertTrue(String(decoding: answer, as: UTF8.self).hasPrefix("HTTP/1.1 413"),
                      "after \(sent) bytes sent: \(String(decoding: answer.prefix(200), as: UTF8.self))")
        XCTAssertEqual(server.send("POST", "/v1/completions", json: ["prompt": "the", "max_tokens": 5]).status, 200)
    }

    func testSlowReaderGetsItsWholeTextInFewerEventsAndDoesNotHoldBackOthers() throws {
        let server = try Server(workspace)
        let fields: [String: Any] = ["prompt": "the king", "max_tokens": 3000, "temperature": 0.8, "seed": 7]
        let whole = try XCTUnwrap(server.send("POST", "/v1/completions", json: fields).completionText)

        // A small receive buffer and nothing read for a while: the server's writes back up.
        let slow = try Connection(to: server.base, receiveBuffer: 2048)
        XCTAssertTrue(slow.send(try request(fields.merging(["stream": true]) { $1 })))
        // Meanwhile another client is answered in full.
        let other = server.send("POST", "/v1/completions", json: ["prompt": "the", "max_tokens": 500, "seed": 3])
        XCTAssertEqual(other.completionText?.unicodeScalars.count, 500)
        XCTAssertTrue(server.waitForStreams(0), "the slow reader's text was not written to its end")

        // Read slowly, then the rest: the same text, in events of several characters.
        var received: [UInt8] = []
        for _ in 0..<5 {
            received += slow.receive(limit: 512)
            usleep(100_000)
        }
        received += slow.receiveAll()
        let response = String(decoding: received, as: UTF8.self)
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 200"), String(response.prefix(300)))
        let events = Self.events(ofChunkedResponse: received)
        XCTAssertEqual(events.last, "[DONE]")
        let texts = events.compactMap { event -> String? in
            guard let chunk = try? JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any] else { return nil }
            return (chunk["choices"] as? [[String: Any]])?.first?["text"] as? String
        }.filter { !$0.isEmpty }
        XCTAssertEqual(texts.joined(), whole)
        XCTAssertLessThan(texts.count, 1000, "3000 characters came one per event although the reader was behind")
    }

    /// The `data:` payloads of a server-sent-event response sent with chunked transfer coding.
    static func events(ofChunkedResponse response: [UInt8]) -> [String] {
        let crlf: [UInt8] = [13, 10]
        func lineEnd(from index: Int) -> Int? {
            (index..<max(index, response.count - 1)).first { response[$0] == crlf[0] && response[$0 + 1] == crlf[1] }
        }
        // Past the head (the first empty line), then chunk by chunk: a hex size line, the bytes, CRLF.
        guard var index = (0..<max(0, response.count - 3)).first(where: { Array(response[$0..<$0 + 4]) == crlf + crlf })
        else { return [] }
        index += 4
        var body: [UInt8] = []
        while let end = lineEnd(from: index), let size = Int(String(decoding: response[index..<end], as: UTF8.self), radix: 16),
              size > 0, end + 2 + size <= response.count {
            body += response[(end + 2)..<(end + 2 + size)]
            index = end + 2 + size + 2
        }
        return String(decoding: body, as: UTF8.self).components(separatedBy: "\n\n").compactMap { event in
            event.hasPrefix("data: ") ? String(event.dropFirst(6)) : nil
        }
    }
}
