import Foundation
import Kernels
import XCTest

/// `charlstm inspect` end to end: a small LSTM trained by the binary on text whose next
/// character depends on whether it is inside quotes, its findings, its page rendered by a real
/// headless browser (Chromium), its gradient-flow chart, and its bad-input handling.
final class InspectCommandTests: XCTestCase {
    private static var trained: Workspace?

    /// Words of the letters a–f outside quotes and u–z inside them: to predict a letter the
    /// model must know whether a quote is open.
    static func quotedText(characters: Int, seed: UInt64) -> String {
        var rng = SeededGenerator(seed: seed)
        func pick(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(rng.next() % UInt64(range.count)) }
        func word(_ letters: [Character]) -> String { String((0..<pick(2...5)).map { _ in letters[pick(0...letters.count - 1)] }) }
        var text = "", line = [String]()
        while text.count < characters {
            if rng.nextUnitFloat() < 0.25 {
                line.append("\"" + (0..<pick(2...5)).map { _ in word(Array("uvwxyz")) }.joined(separator: " ") + "\"")
            } else {
                line.append(word(Array("abcdef")))
            }
            if rng.nextUnitFloat() < 0.1 {
                text += line.joined(separator: " ") + "\n"
                line = []
            }
        }
        return text
    }

    override class func setUp() {
        super.setUp()
        guard let workspace = try? Workspace() else { return }
        guard (try? workspace.write(quotedText(characters: 20_000, seed: 7), to: "quotes.txt")) != nil else { return }
        let run = try? workspace.run(["train", "quotes.txt", "--run", "quotes", "--layers", "1", "--hidden", "32",
                                      "--embedding", "8", "--batch", "16", "--seq", "64", "--steps", "300", "--lr", "0.01",
                                      "--eval-every", "150", "--keep", "2", "--seed", "1"])
        if run?.status == 0 { trained = workspace }
    }

    override class func tearDown() {
        trained = nil
        super.tearDown()
    }

    private func workspace() throws -> Workspace {
        try XCTUnwrap(Self.trained, "training the quotes model failed")
    }

    private func json(_ result: CommandResult) throws -> [String: Any] {
        XCTAssertEqual(result.status, 0, result.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    func testInspect_ranksAUnitTrackingQuotesFirst() throws {
        let report = try json(try workspace().run(["inspect", "checkpoints/quotes", "--text", "quotes.txt", "--chars", "4000",
                                                   "--json", "--top", "3"]))
        let units = try XCTUnwrap(report["units"] as? [[String: Any]])
        let quotes = units.filter { $0["property"] as? String == "inside_quotes" }
        XCTAssertEqual(quotes.count, 3)
        let best = try XCTUnwrap(quotes.first)
        XCTAssertEqual(best["rank"] as? Int, 1)
        XCTAssertGreaterThanOrEqual(abs(try XCTUnwrap(best["correlation"] as? Double)), 0.9, "\(best)")
        let saturation = try XCTUnwrap(report["saturation"] as? [[String: Any]])
        XCTAssertEqual(saturation.compactMap { $0["gate"] as? String }, ["keep", "write", "read"])
        XCTAssertEqual(saturation.compactMap { $0["pytorch"] as? String }, ["f", "i", "o"])
        for entry in saturation {
            let below = try XCTUnwrap(entry["below_0_1"] as? Double), above = try XCTUnwrap(entry["above_0_9"] as? Double)
            XCTAssert(below >= 0 && above >= 0 && below + above <= 1, "\(entry)")
        }
    }

    /// What a headless Chromium shows for the page at `fragment`: the `data-` attributes the
    /// page's script sets on <html>, the number of character spans, and every console line.
    private func render(_ page: String, fragment: String, in workspace: Workspace) throws -> (attributes: [String: String], spans: Int, console: [String]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                             "--user-data-dir=" + workspace.path("browser-profile"), "--virtual-time-budget=20000",
                             "--enable-logging=stderr", "--v=0", "--dump-dom",
                             URL(fileURLWithPath: workspace.path(page)).absoluteString + "#" + fragment]
        let out = workspace.path("dom.html"), err = workspace.path("browser.log")
        for file in [out, err] { _ = FileManager.default.createFile(atPath: file, contents: nil) }
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "chromium failed (is it installed? make test installs it)")
        let dom = try String(contentsOfFile: out, encoding: .utf8)
        let opening = try XCTUnwrap(dom.range(of: "<html"), "no <html> in what the browser dumped")
        let root = String(dom[opening.lowerBound...].prefix { $0 != ">" })
        var attributes = [String: String]()
        let pattern = try NSRegularExpression(pattern: "data-([a-z-]+)=\"([^\"]*)\"")
        for match in pattern.matches(in: root, range: NSRange(root.startIndex..., in: root)) {
            let name = String(root[Range(match.range(at: 1), in: root)!]), value = String(root[Range(match.range(at: 2), in: root)!])
            attributes[name] = value.replacingOccurrences(of: "&amp;", with: "&")
        }
        let console = try String(contentsOfFile: err, encoding: .utf8).split(separator: "\n").map(String.init)
            .filter { $0.contains(":CONSOLE") }
        return (attributes, dom.components(separatedBy: "<span class=\"v").count - 1, console)
    }

    func testInspectPage_rendersInABrowserColouredByTheChosenUnit() throws {
        let workspace = try workspace()
        let run = try workspace.run(["inspect", "checkpoints/quotes", "--text", "quotes.txt", "--chars", "1500", "--html", "page.html"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let page = try String(contentsOfFile: workspace.path("page.html"), encoding: .utf8)
        XCTAssert(page.contains("content=\"default-src 'none'"), "the page must forbid every fetch")
        for external in ["src=", "href=", "@import", "url("] { XCTAssertFalse(page.contains(external), "the page refers to \(external)…") }
        for gate in ["keep (f)", "write (i)", "read (o)"] { XCTAssert(page.contains(gate), "the page names the gate \(gate)") }

        let first = try render("page.html", fragment: "layer=0&quantity=cell&unit=3", in: workspace)
        XCTAssertEqual(first.console, [], "console messages (errors, blocked requests)")
        XCTAssertEqual(first.attributes["ready"], "yes")
        XCTAssertEqual(first.attributes["selection"], "layer=0&quantity=cell&unit=3")
        XCTAssertEqual(first.spans, 1500, "one coloured span per character")
        XCTAssertGreaterThan(Int(first.attributes["distinct-colours"] ?? "") ?? 0, 1, "the text is coloured")

        let second = try render("page.html", fragment: "layer=0&quantity=read&unit=17", in: workspace)
        XCTAssertEqual(second.console, [])
        XCTAssertEqual(second.attributes["selection"], "layer=0&quantity=read&unit=17")
        XCTAssertNotNil(second.attributes["colours"])
        XCTAssertNotEqual(first.attributes["colours"], second.attributes["colours"], "another unit colours the text differently")
    }

    func testInspectGradients_chartsEveryCheckpointAndLayer() throws {
        let workspace = try workspace()
        let steps = workspace.files(in: "checkpoints/quotes").filter { $0.hasPrefix("step-") }
        let early = try XCTUnwrap(steps.first, "the run keeps its step checkpoints")
        let report = try json(try workspace.run(["inspect", "checkpoints/quotes/" + early, "checkpoints/quotes", "--text", "quotes.txt",
                                                 "--gradients", "flow.svg", "--json", "--max-distance", "30", "--positions", "8",
                                                 "--warmup", "10"]))
        let flow = try XCTUnwrap(report["gradient_flow"] as? [String: Any])
        XCTAssertNil(report["units"], "--gradients alone measures only the gradient flow")
        let series = try XCTUnwrap(flow["series"] as? [[String: Any]])
        XCTAssertEqual(series.count, 2)
        for line in series {
            let norms = try XCTUnwrap(line["norms"] as? [Double])
            XCTAssertEqual(norms.count, 30)
            XCTAssert(norms.allSatisfy { $0.isFinite && $0 >= 0 } && norms[0] > norms[29], "\(norms)")
            XCTAssertEqual((line["starts"] as? [Int])?.count, 8)
        }
        let svg = try String(contentsOfFile: workspace.path("flow.svg"), encoding: .utf8)
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 2)
        XCTAssert(svg.contains("quotes/\(early) · 1×32 LSTM · layer 0") && svg.contains("quotes/best.safetensors · 1×32 LSTM · layer 0"))
    }

    func testInspect_badInputIsOneLineAndAStatus() throws {
        let workspace = try workspace()
        try workspace.write("abc “quoted” é\n", to: "foreign.txt")
        let cases: [([String], Int32, String)] = [
            (["inspect", "checkpoints/quotes", "--text", "missing.txt", "--json"], 2, "missing.txt"),
            (["inspect", "missing-run", "--text", "quotes.txt", "--json"], 2, "missing-run"),
            (["inspect", "checkpoints/quotes", "--text", "foreign.txt", "--json"], 2, "'é' (U+00E9)"),
            (["inspect", "checkpoints/quotes", "--text", "quotes.txt", "--html", "no-such-folder/page.html"], 1, "no-such-folder/page.html"),
            (["inspect", "checkpoints/quotes", "checkpoints/quotes", "--text", "quotes.txt", "--html", "refused.html"], 2, "several checkpoints"),
            (["inspect", "checkpoints/quotes", "--text", "quotes.txt"], 2, "--html"),
        ]
        for (arguments, status, mention) in cases {
            let run = try workspace.run(arguments)
            XCTAssertEqual(run.status, status, arguments.joined(separator: " "))
            XCTAssertEqual(run.errorLines.count, 1, run.stderr)
            XCTAssert(run.errorLines.first?.contains(mention) == true, "\(run.stderr) should mention \(mention)")
        }
        XCTAssertEqual(workspace.files(in: ".").filter { $0.contains("refused.html") }, [])
        let skipped = try workspace.run(["inspect", "checkpoints/quotes", "--text", "foreign.txt", "--json", "--skip-unknown"])
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
        XCTAssert(skipped.stderr.contains("warning: left out characters the model does not know"))
        let tooShort = try workspace.run(["inspect", "checkpoints/quotes", "--text", "foreign.txt", "--gradients", "flow.svg", "--skip-unknown"])
        XCTAssertEqual(tooShort.status, 2)
        XCTAssert(tooShort.errorLines.last?.contains("needs at least") == true, tooShort.stderr)
    }
}
