import Foundation
import XCTest

/// Long runs through the binary do not grow: generating streams in constant memory whatever
/// the length, and many thousands of training steps, with checkpoints along the way, hold a
/// flat resident size; `eval` reads held-out text of any length in the same memory.
/// (Benchmarks/memory.sh measures the same in a release build at
/// `generate --length 10000000`.)
final class LongRunMemoryTests: SampledModelTestCase {
    /// The peak resident size of one successful run of the binary; `check` looks at its output.
    func peak(_ arguments: [String], check: (CommandResult) -> Void) throws -> Int {
        let (result, memory) = try MemorySampler.watch(try workspace.start(arguments), timeout: 300)
        XCTAssertEqual(result.status, 0, result.stderr)
        check(result)
        XCTAssertGreaterThan(memory.peakKiB, 0, "no memory sample taken")
        return memory.peakKiB
    }

    func peakOfGeneration(length: Int) throws -> Int {
        try peak(["generate", "--checkpoint", "checkpoints/tiny", "--length", String(length), "--seed", "1"]) {
            XCTAssertEqual($0.stdout.unicodeScalars.count, length)
        }
    }

    func testGenerate_peakMemoryDoesNotGrowWithTheLength() throws {
        let short = try peakOfGeneration(length: 20_000)
        let long = try peakOfGeneration(length: 1_000_000)
        print("memory: generate --length 20000 peak RSS \(short) KiB, --length 1000000 peak RSS \(long) KiB (debug build)")
        // 50 times the text, and at most 2 MiB more memory (the noise of the allocator).
        XCTAssertLessThan(long - short, 2048, "peak RSS grew from \(short) KiB to \(long) KiB with the length")
    }

    func testTraining_residentMemoryStaysFlatOverTensOfThousandsOfSteps() throws {
        let command = try workspace.start(["train", "words.txt", "--run", "long", "--layers", "1", "--hidden", "16",
                                           "--embedding", "8", "--batch", "4", "--seq", "16", "--steps", "20000",
                                           "--eval-every", "2000", "--keep", "2", "--threads", "1"])
        let (result, memory) = try MemorySampler.watch(command, timeout: 300)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("stopped at step 20000"), result.stderr)
        XCTAssertGreaterThan(memory.samples.count, 20, "too few samples to judge")
        // Each third of the run spans several evaluations and checkpoints; after the first
        // (start-up), the later thirds must not hold more.
        let early = memory.maximumKiB(from: 0.1, to: 0.4), late = memory.maximumKiB(from: 0.7, to: 1)
        print("memory: 20000 training steps in \(String(format: "%.1f", memory.samples.last?.seconds ?? 0)) s, \(memory.samples.count) samples: max RSS \(early) KiB early, \(late) KiB late, peak \(memory.peakKiB) KiB (debug build)")
        XCTAssertLessThan(late - early, 512, "resident memory grew from \(early) KiB to \(late) KiB over the run")
    }

    func peakOfEvaluation(repeats: Int) throws -> Int {
        let name = "held-out-\(repeats).txt"
        try workspace.write(String(repeating: SampledModel.text, count: repeats), to: name)
        return try peak(["eval", "checkpoints/tiny", name]) { XCTAssertTrue($0.stdout.contains("nats/char"), $0.stdout) }
    }

    /// `eval` reads its text through the token cache a window at a time, as training does, so
    /// held-out text larger than memory can be measured. (When it read the text whole, the
    /// 4 MB text here took 30 MB more than the 0.2 MB one: characters and tokens, 4 bytes each.)
    func testEval_peakMemoryDoesNotGrowWithTheText() throws {
        let short = try peakOfEvaluation(repeats: 15)
        let long = try peakOfEvaluation(repeats: 300)
        print("memory: eval of \(15 * SampledModel.text.utf8.count) bytes peak RSS \(short) KiB, of \(300 * SampledModel.text.utf8.count) bytes \(long) KiB (debug build)")
        XCTAssertLessThan(long - short, 4096, "peak RSS grew from \(short) KiB to \(long) KiB with the text")
    }
}
