import Foundation
import Kernels
import XCTest
@testable import Checkpoints

/// The reader against damage it has never seen: every truncation of a real checkpoint, and
/// thousands of random byte flips. It must never crash or hang, and never hand back a model
/// that differs from what was written: each damaged file is either refused or, when the damage
/// was meaningless (a padding space turned into another whitespace), reads as the original.
final class CheckpointFuzzTests: XCTestCase {
    enum Outcome { case refused, identical }

    func decode(_ bytes: Data, original: Data) throws -> Outcome {
        do {
            let checkpoint = try Checkpoint.decode(bytes)
            guard checkpoint.encoded() == original else {
                throw DamageAccepted(description: "a damaged file decoded to a different checkpoint")
            }
            return .identical
        } catch is SafeTensorsError {
            return .refused
        } catch is Checkpoint.CheckpointProblem {
            return .refused
        }
    }

    struct DamageAccepted: Error, CustomStringConvertible { let description: String }

    func testCheckpointReader_refusesEveryTruncation() throws {
        let original = CheckpointSample.make(layers: 1, hidden: 4).encoded()
        var refused = 0
        for length in 0..<original.count {
            let outcome = try decode(original.prefix(length), original: original)
            XCTAssertEqual(outcome, .refused, "a file truncated to \(length) of \(original.count) bytes was accepted")
            if outcome == .refused { refused += 1 }
        }
        XCTAssertEqual(refused, original.count)
        print("fuzz: \(original.count) truncations of a \(original.count)-byte checkpoint, all refused")
    }

    func testCheckpointReader_survivesRandomByteFlips() throws {
        let original = CheckpointSample.make(layers: 1, hidden: 4).encoded()
        var rng = SeededGenerator(seed: 77)
        let cases = 4000
        var refused = 0, harmless = 0
        for trial in 0..<cases {
            var bytes = original
            // 1 to 4 flips, each of 1 to 8 random bits, anywhere in the file; every fourth
            // trial aims at the header (length and JSON), where damage is most varied.
            let headerEnd = 8 + bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let range = trial % 4 == 0 ? headerEnd : bytes.count
                let position = Int(rng.next() % UInt64(range))
                var mask = UInt8(truncatingIfNeeded: rng.next())
                if mask == 0 { mask = 1 }
                bytes[position] ^= mask
            }
            switch try decode(bytes, original: original) {
            case .refused: refused += 1
            case .identical: harmless += 1
            }
        }
        XCTAssertEqual(refused + harmless, cases)
        XCTAssertGreaterThan(refused, cases * 9 / 10)
        print("fuzz: \(cases) random multi-byte flips: \(refused) refused, \(harmless) harmless (same checkpoint), 0 accepted damaged")
    }

    /// Flipping every single byte, one at a time, in turn.
    func testCheckpointReader_refusesEverySingleByteChangeThatMatters() throws {
        let original = CheckpointSample.make(layers: 1, hidden: 4).encoded()
        var refused = 0, harmless = 0
        for position in 0..<original.count {
            var bytes = original
            bytes[position] ^= 0x04
            switch try decode(bytes, original: original) {
            case .refused: refused += 1
            case .identical: harmless += 1
            }
        }
        print("fuzz: \(original.count) single-byte changes: \(refused) refused, \(harmless) harmless")
        XCTAssertEqual(refused + harmless, original.count)
    }
}
