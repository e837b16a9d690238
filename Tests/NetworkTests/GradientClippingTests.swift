import XCTest
import Kernels
@testable import RecurrentNetwork

/// `clipGradientNorm` on gradients whose squares or norm are beyond Float's range: any finite
/// gradient has a finite norm and is scaled to `maxNorm`; only a non-finite one is left as it is.
final class GradientClippingTests: XCTestCase {
    func testClip_normOfAnOrdinaryGradientMatchesTheDefinitionAndLeavesItUnderTheLimitAlone() {
        let gradients = FloatBuffer([3, -4, 0, 12])
        XCTAssertEqual(clipGradientNorm(gradients, maxNorm: 100), 13, accuracy: 1e-12)
        XCTAssertEqual(gradients.array, [3, -4, 0, 12])
    }

    /// 1e20 squared is 1e40, infinite in Float: the norm used to come out infinite and the run
    /// stopped as "diverged" with a finite gradient.
    func testClip_elementsWhoseSquaresOverflowFloatGiveAFiniteNormAndAreClipped() {
        let values: [Float] = [1e20, -2e25, 3e30, 0, 1]
        let gradients = FloatBuffer(values)
        let expected = values.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
        let norm = clipGradientNorm(gradients, maxNorm: 5)
        XCTAssertEqual(norm, expected, accuracy: expected * 1e-12)
        assertNorm(of: gradients, is: 5)
        // The direction is kept: the largest element stays the largest, with its sign.
        XCTAssertEqual(Double(gradients.array[2]), 5 * 3e30 / expected, accuracy: 1e-5)
        XCTAssertLessThan(gradients.array[1], 0)
    }

    /// A thousand elements at Float's largest finite value: their norm (about 1.1e40) is beyond
    /// Float, yet finite, and the gradient comes back with norm 1.
    func testClip_manyElementsAtFloatsLargestValueGiveANormBeyondFloatThatIsStillClipped() {
        let gradients = FloatBuffer([Float](repeating: .greatestFiniteMagnitude, count: 1000))
        let norm = clipGradientNorm(gradients, maxNorm: 1)
        XCTAssertTrue(norm.isFinite)
        XCTAssertGreaterThan(norm, Double(Float.greatestFiniteMagnitude))
        XCTAssertEqual(norm, Double(Float.greatestFiniteMagnitude) * 1000.0.squareRoot(), accuracy: norm * 1e-12)
        XCTAssertTrue(gradients.array.allSatisfy { $0.isFinite && $0 > 0 })
        assertNorm(of: gradients, is: 1)
    }

    func testClip_aNonFiniteElementGivesANonFiniteNormAndChangesNothing() {
        for bad in [Float.infinity, -.infinity, .nan] {
            let gradients = FloatBuffer([1e30, bad, 2])
            XCTAssertFalse(clipGradientNorm(gradients, maxNorm: 5).isFinite, "\(bad)")
            XCTAssertEqual(gradients.array[0], 1e30)
            XCTAssertEqual(gradients.array[2], 2)
        }
    }

    func assertNorm(of gradients: FloatBuffer, is expected: Double, file: StaticString = #filePath, line: UInt = #line) {
        let norm = gradients.array.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
        XCTAssertEqual(norm, expected, accuracy: expected * 1e-5, file: file, line: line)
    }
}
