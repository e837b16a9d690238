import XCTest
import Kernels

final class HalfKernelTests: XCTestCase {
    /// The half GEMV against a Double product over the same (rounded) weights, on shapes that are
    /// not multiples of the vector widths and on column sub-ranges, leaving other columns alone.
    func testGemvRowsF16_matchesADoubleProductOnRaggedShapesAndSubRanges() {
        var random = SeededGenerator(seed: 7)
        func uniform() -> Float { Float(Double(random.next() >> 11) / Double(1 << 53)) * 2 - 1 }
        for (rows, cols) in [(1, 1), (3, 17), (37, 131), (70, 300), (5, 128)] {
            let weights = FloatBuffer((0..<rows * cols).map { _ in uniform() })
            let half = HalfBuffer(rounding: weights)
            let x = (0..<rows).map { _ in uniform() }, start = (0..<cols).map { _ in uniform() }
            let ranges = [0..<cols, 0..<cols / 2, cols / 3..<cols, min(1, cols)..<max(min(1, cols), cols - 1)]
            for range in ranges {
                var y = start
                ck_gemv_rows_f16(half.pointer, Int32(rows), Int32(cols), Int32(range.lowerBound), Int32(range.upperBound), x, &y)
                for c in 0..<cols {
                    guard range.contains(c) else { XCTAssertEqual(y[c], start[c], "column \(c) outside \(range)"); continue }
                    var expected = Double(start[c]), magnitude = abs(Double(start[c]))
                    for r in 0..<rows {
                        let w = Double(ck_half_to_float(half.pointer[r * cols + c]))
                        expected += Double(x[r]) * w
                        magnitude += abs(Double(x[r]) * w)
                    }
                    XCTAssertEqual(Double(y[c]), expected, accuracy: 1e-6 * magnitude + 1e-12, "\(rows)×\(cols) column \(c) of \(range)")
                }
            }
        }
    }

    /// Float to half rounds to nearest (within half a unit of the 11-bit significand), keeps
    /// representable values exact, and is the same whether converted in a vector or alone.
    func testFloatToHalf_roundsToNearestAndKeepsExactValues() {
        let exact: [Float] = [0, 1, -2, 0.5, 65504, -0.099975586, 6.1035156e-05, 5.9604645e-08]
        var bits = [UInt16](repeating: 0, count: exact.count)
        ck_float_to_half(exact, &bits, exact.count)
        XCTAssertEqual(bits.map { ck_half_to_float($0) }, exact)
        var random = SeededGenerator(seed: 3)
        let values = (0..<100).map { _ in Float(Double(random.next() >> 11) / Double(1 << 53)) * 20 - 10 }
        var rounded = [UInt16](repeating: 0, count: values.count)
        ck_float_to_half(values, &rounded, values.count)
        for (value, half) in zip(values, rounded) {
            XCTAssertLessThanOrEqual(abs(ck_half_to_float(half) - value), abs(value) * 0x1p-11)
            var alone: UInt16 = 0
            ck_float_to_half([value], &alone, 1)
            XCTAssertEqual(alone, half)
        }
    }
}
