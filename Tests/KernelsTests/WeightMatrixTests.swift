import XCTest
import CKernels
@testable import Kernels

final class WeightMatrixTests: XCTestCase {
    /// rows × columns weights of mixed magnitudes (one large outlier per row) and `streams`
    /// activation rows padded with zeros to `stride`.
    func data(rows: Int, columns: Int, streams: Int, seed: UInt64) -> (weights: [Float], x: [Float], stride: Int) {
        var rng = SeededGenerator(seed: seed)
        var weights = (0..<rows * columns).map { _ in rng.nextGaussian() * 0.1 }
        for r in 0..<rows { weights[r * columns + Int(rng.next() % UInt64(columns))] = 0.9 }
        let stride = WeightMatrix.stride(columns: columns)
        var x = [Float](repeating: 0, count: streams * stride)
        for s in 0..<streams { for k in 0..<columns { x[s * stride + k] = rng.nextGaussian() } }
        return (weights, x, stride)
    }

    func product(_ matrix: WeightMatrix, streams: Int, x: [Float], stride: Int, y start: [Float]) -> [Float] {
        var y = start
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { matrix.multiply(streams: streams, xp.baseAddress!, ldx: stride, into: $0.baseAddress!, ldy: matrix.rows) }
        }
        return y
    }

    /// Against the fp32 product in double precision, every output of every stream is within the
    /// bound the storage allows: int8, half a scale step per weight (Σ_k |x_k| · scale_r / 2);
    /// bf16, a relative 2⁻⁹ per weight (Σ_k |w_rk x_k| · 2⁻⁹); fp32, rounding only. And it
    /// equals, to fp32 rounding, the product of the widened weights the matrix reports, so the
    /// kernels multiply what was stored. Sizes leave tails: 37 rows (not a multiple of the
    /// 8- and 4-row tiles), 100 columns (not a multiple of a vector), 1 to 5 streams.
    func testWeightMatrix_productsStayWithinTheStorageErrorBoundOfTheFP32Product() {
        let rows = 37, columns = 100
        for precision in WeightPrecision.allCases {
            for streams in [1, 2, 3, 5] {
                let (weights, x, stride) = data(rows: rows, columns: columns, streams: streams, seed: UInt64(streams))
                let matrix = weights.withUnsafeBufferPointer {
                    WeightMatrix(precision, weights: $0.baseAddress!, rows: rows, columns: columns, rowStride: columns)
                }
                let bias = (0..<streams * rows).map { Float($0 % 7) * 0.25 }
                let y = product(matrix, streams: streams, x: x, stride: stride, y: bias)
                for s in 0..<streams {
                    for r in 0..<rows {
                        var exact = 0.0, stored = 0.0, magnitude = 0.0, absoluteX = 0.0, absoluteProducts = 0.0
                        for k in 0..<columns {
                            let w = Double(weights[r * columns + k]), xk = Double(x[s * stride + k])
                            exact += w * xk
                            stored += Double(matrix.weight(row: r, column: k)) * xk
                            magnitude += abs(Double(matrix.weight(row: r, column: k)) * xk)
                            absoluteX += abs(xk)
                            absoluteProducts += abs(w * xk)
                        }
                        let got = Double(y[s * rows + r]) - Double(bias[s * rows + r])
                        let rounding = 1e-5 * (magnitude + 1)
                        let bound: Double
                        switch precision {
                        case .fp32: bound = rounding
                        case .bf16: bound = absoluteProducts / 512 + rounding
                        case .int8: bound = absoluteX * 0.9 / 127 / 2 + rounding
                        }
                        XCTAssertLessThanOrEqual(abs(got - exact), bound, "\(precision), \(streams) streams, stream \(s), row \(r)")
                        XCTAssertEqual(got, stored, accuracy: rounding, "\(precision), \(streams) streams, stream \(s), row \(r)")
                    }
                }
            }
        }
    }

    /// A stream's outputs are the same bits alone, beside other streams, and with the rows split
    /// over two threads: what lets `generate --count K` write each sample as it is written alone.
    func testWeightMatrix_aStreamsOutputsDoNotDependOnTheOtherStreamsOrTheThreads() {
        let rows = 64, columns = 200, streams = 5
        let pool = WorkerPool.shared, before = pool.parallelism
        defer { pool.parallelism = before }
        for precision in WeightPrecision.allCases {
            let (weights, x, stride) = data(rows: rows, columns: columns, streams: streams, seed: 9)
            let matrix = weights.withUnsafeBufferPointer {
                WeightMatrix(precision, weights: $0.baseAddress!, rows: rows, columns: columns, rowStride: columns)
            }
            let zeros = [Float](repeating: 0, count: streams * rows)
            pool.parallelism = 1
            let together = product(matrix, streams: streams, x: x, stride: stride, y: zeros)
            pool.parallelism = 2
            let threaded = product(matrix, streams: streams, x: x, stride: stride, y: zeros)
            XCTAssertEqual(threaded, together, "\(precision)")
            for s in 0..<streams {
                let alone = product(matrix, streams: 1, x: Array(x[s * stride ..< (s + 1) * stride]), stride: stride,
                                    y: [Float](repeating: 0, count: rows))
                XCTAssertEqual(alone, Array(together[s * rows ..< (s + 1) * rows]), "\(precision), stream \(s)")
            }
        }
    }

    /// int8: each row's largest magnitude becomes ±127 with scale largest/127, a zero row gets
    /// scale 0; bf16 rounds to nearest with ties to even, and NaN stays NaN.
    func testWeightMatrix_quantisesRowsToTheirLargestMagnitudeAndRoundsBF16ToNearestEven() {
        let weights: [Float] = [0.5, -1.27, 0.01, 0, 0, 0, 0, 0]
        let int8 = weights.withUnsafeBufferPointer { WeightMatrix(.int8, weights: $0.baseAddress!, rows: 2, columns: 4, rowStride: 4) }
        XCTAssertEqual(int8.weight(row: 0, column: 1), -1.27, accuracy: 1e-6)
        XCTAssertEqual(int8.weight(row: 0, column: 0), 0.5, accuracy: 0.01 / 2 + 1e-6)
        XCTAssertEqual(int8.weight(row: 0, column: 2), 0.01, accuracy: 1e-6)
        XCTAssertEqual(int8.weight(row: 1, column: 0), 0)
        // 1 + 2⁻⁸ lies halfway between bf16's 1 and 1 + 2⁻⁷: ties go to the even one, 1;
        // 1 + 3·2⁻⁸ lies halfway between 1 + 2⁻⁷ and 1 + 2⁻⁶: to 1 + 2⁻⁶.
        let ties: [Float] = [1 + 1.0 / 256, 1 + 3.0 / 256, 1 + 1.5 / 256, .nan]
        let bf16 = ties.withUnsafeBufferPointer { WeightMatrix(.bf16, weights: $0.baseAddress!, rows: 1, columns: 4, rowStride: 4) }
        XCTAssertEqual(bf16.weight(row: 0, column: 0), 1)
        XCTAssertEqual(bf16.weight(row: 0, column: 1), 1 + 1.0 / 64)
        XCTAssertEqual(bf16.weight(row: 0, column: 2), 1 + 1.0 / 128)
        XCTAssertTrue(bf16.weight(row: 0, column: 3).isNaN)
        XCTAssertEqual(int8.byteCount, 2 * 16 + 2 * 4)
        XCTAssertEqual(bf16.byteCount, 16 * 2)
    }
}
