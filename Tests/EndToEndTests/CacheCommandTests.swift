import Foundation
import XCTest

/// `charlstm cache list` and `cache clear` on the token files real train and eval runs leave.
final class CacheCommandTests: XCTestCase {
    static let tinyRun = ["--layers", "1", "--hidden", "8", "--embedding", "4", "--batch", "2", "--seq", "8",
                          "--threads", "1"]

    func listing(_ w: Workspace, _ extra: [String] = [], shellPrefix: String? = nil) throws -> [[String: Any]] {
        let result = try w.run(["cache", "list", "--json"] + extra, shellPrefix: shellPrefix)
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return try XCTUnwrap(object["files"] as? [[String: Any]])
    }

    func setLastUse(_ w: Workspace, _ file: String, daysAgo days: Double) throws {
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-days * 86_400)], ofItemAtPath: w.path(file))
    }

    /// A workspace where train encoded `a.txt` and eval encoded `b.txt`: two token files.
    func workspaceWithTwoCorpora() throws -> Workspace {
        let w = try Workspace()
        try w.write(GeneratedText.words(400, seed: 8), to: "a.txt")
        try w.write(GeneratedText.words(300, seed: 8), to: "b.txt")
        XCTAssertEqual(try w.run(["train", "a.txt", "--run", "r", "--steps", "2"] + Self.tinyRun).status, 0)
        let eval = try w.run(["eval", "checkpoints/r", "b.txt"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        return w
    }

    func testList_showsEachTokenFileWithItsCorpusSizeAndState_andSeesAStaleOne() throws {
        let w = try workspaceWithTwoCorpora()
        var files = try listing(w)
        XCTAssertEqual(files.count, 2)
        XCTAssertEqual(Set(files.compactMap { $0["state"] as? String }), ["up_to_date"])
        XCTAssertEqual(Set(files.compactMap { ($0["corpus"] as? [String])?.first }),
                       Set([w.path("a.txt"), w.path("b.txt")].map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }))
        for file in files {
            let path = try XCTUnwrap(file["file"] as? String)
            XCTAssertEqual(file["bytes"] as? Int, try FileManager.default.attributesOfItem(atPath: w.path(path))[.size] as? Int)
        }

        try FileManager.default.removeItem(atPath: w.path("b.txt"))
        files = try listing(w)
        let stale = try XCTUnwrap(files.first { $0["state"] as? String == "stale" })
        XCTAssertTrue((stale["reason"] as? String)?.hasSuffix("b.txt is gone") == true, "\(stale)")
        let text = try w.run(["cache", "list"])
        XCTAssertTrue(text.stdout.hasPrefix("checkpoints/.cache: 2 token files,"), text.stdout)
        XCTAssertTrue(text.stdout.contains("(1 stale,"), text.stdout)
        XCTAssertTrue(text.stdout.contains("b.txt is gone"), text.stdout)
        XCTAssertTrue(text.stdout.contains("up to date"), text.stdout)
    }

    func testClearStale_removesOnlyWhatCanNeverBeUsedAgain() throws {
        let w = try workspaceWithTwoCorpora()
        try FileManager.default.removeItem(atPath: w.path("b.txt"))
        // What a writer killed mid-way leaves: a temporary file of a process that is gone.
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        try w.write("half a token file", to: "checkpoints/.cache/.0123456789abcdef0123456789abcdef.tokens.tmp-\(gone.processIdentifier)")
        XCTAssertEqual(try listing(w).compactMap { $0["state"] as? String }.sorted(), ["abandoned", "stale", "up_to_date"])

        let clear = try w.run(["cache", "clear", "--stale"])
        XCTAssertEqual(clear.status, 0, clear.stderr)
        XCTAssertTrue(clear.stdout.hasPrefix("removed 2 token files ("), clear.stdout)
        XCTAssertTrue(clear.stdout.hasSuffix("from checkpoints/.cache; 1 kept\n"), clear.stdout)
        let left = try listing(w)
        XCTAssertEqual(left.count, 1)
        XCTAssertTrue((left.first?["corpus"] as? [String])?.first?.hasSuffix("a.txt") == true)
        // The token file kept still serves its corpus.
        let resumed = try w.run(["train", "--resume", "checkpoints/r", "--steps", "3"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("token cache: reusing"), resumed.stderr)
    }

    func testClearUnusedDays_keepsWhatWasReusedRecently() throws {
        let w = try workspaceWithTwoCorpora()
        let files = try listing(w).compactMap { $0["file"] as? String }
        for file in files { try setLastUse(w, file, daysAgo: 10) }
        // eval reuses b.txt's token file, which makes it recently used again.
        XCTAssertEqual(try w.run(["eval", "checkpoints/r", "b.txt"]).status, 0)
        let clear = try w.run(["cache", "clear", "--unused-days", "5"])
        XCTAssertEqual(clear.status, 0, clear.stderr)
        XCTAssertTrue(clear.stdout.hasPrefix("removed 1 token file ("), clear.stdout)
        let left = try listing(w)
        XCTAssertEqual(left.count, 1)
        XCTAssertTrue((left.first?["corpus"] as? [String])?.first?.hasSuffix("b.txt") == true)
    }

    func testClearAll_emptiesTheFolderAndTheNextRunEncodesAgain() throws {
        let w = try workspaceWithTwoCorpora()
        let clear = try w.run(["cache", "clear"])
        XCTAssertTrue(clear.stdout.hasPrefix("removed 2 token files ("), clear.stdout)
        XCTAssertEqual(w.files(in: "checkpoints/.cache"), [])
        XCTAssertEqual(try w.run(["cache", "list"]).stdout, "checkpoints/.cache: no token files\n")
        let resumed = try w.run(["train", "--resume", "checkpoints/r", "--steps", "3"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("token cache: encoded"), resumed.stderr)
    }

    func testCacheFolder_followsTheEnvironmentVariableAndCacheDir() throws {
        let w = try Workspace()
        try w.write(GeneratedText.words(400, seed: 8), to: "a.txt")
        let env = "export CHARLSTM_CACHE_DIR=shared-cache"
        XCTAssertEqual(try w.run(["train", "a.txt", "--run", "r", "--steps", "2"] + Self.tinyRun, shellPrefix: env).status, 0)
        XCTAssertEqual(try listing(w, shellPrefix: env).count, 1)
        XCTAssertEqual(try listing(w, ["--cache-dir", "shared-cache"]).count, 1)
        XCTAssertEqual(try listing(w).count, 0, "nothing went to the default folder")
        XCTAssertTrue(try w.run(["cache", "clear", "--cache-dir", "shared-cache"]).stdout.hasPrefix("removed 1 token file ("))
        XCTAssertEqual(w.files(in: "shared-cache"), [])
    }

    func testClear_refusesABadAge() throws {
        let w = try Workspace()
        try w.run(["cache", "clear", "--unused-days", "-1"]).assertRefused(saying: "--unused-days must be a number ≥ 0 (got -1.0)", "negative age")
        try w.run(["cache", "clear", "--unused-days", "nan"]).assertRefused(saying: "--unused-days must be a number ≥ 0", "NaN age")
    }
}
