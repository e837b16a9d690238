import Foundation
import XCTest
@testable import Kernels

final class ActivationTests: XCTestCase {
    /// Every 1/64 from −90 to 90: ck_exp within 3e-7 relative of libm's exp (in Double), and
    /// σ and tanh within 3e-7 absolute — the accuracy the gate kernels rely on.
    func testFastActivations_matchLibmAcrossTheRange() {
        for x in stride(from: -90.0, through: 90.0, by: 1.0 / 64).map({ Float($0) }) {
            let v = Double(x)
            let expected = exp(min(max(v, -87), 88))
            XCTAssertLessThan(abs(Double(ck_exp(x)) - expected) / expected, 3e-7, "exp(\(v))")
            XCTAssertEqual(Double(ck_sigmoid(x)), 1 / (1 + exp(-v)), accuracy: 3e-7, "σ(\(v))")
            XCTAssertEqual(Double(ck_tanh(x)), tanh(v), accuracy: 3e-7, "tanh(\(v))")
        }
    }

    func testSeededGenerator_sameSeedSameStreamAndStateRestores() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let first = (0..<8).map { _ in a.next() }
        XCTAssertEqual(first, (0..<8).map { _ in b.next() })
        XCTAssertNotEqual(first, (0..<8).map { _ in c.next() })
        var restored = SeededGenerator(state: a.state)!
        XCTAssertEqual((0..<8).map { _ in a.next() }, (0..<8).map { _ in restored.next() })
        XCTAssertNil(SeededGenerator(state: [0, 0, 0, 0]))
    }
}
