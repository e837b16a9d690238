import XCTest
@testable import Kernels

final class PackedGEMMTests: XCTestCase {
    /// The packed recurrent-product kernel against a naive triple loop, for shapes that
    /// exercise every edge: every tile height (1 to 12 rows, and row counts that split into
    /// unequal tiles), columns not a multiple of the panel width, depth over one and several KC
    /// blocks, and both packing orientations (B and Bᵀ).
    func testPackedAccumulate_matchesNaiveProductForRaggedShapes() {
        var rng = SeededGenerator(seed: 5)
        for (m, n, k) in [(1, 1, 1), (3, 17, 5), (4, 64, 128), (7, 100, 300), (25, 512, 128), (9, 33, 129),
                          (32, 70, 520), (13, 40, 257), (12, 16, 3), (11, 31, 64), (50, 48, 9)] {
            let lda = k + 3, ldc = n + 2
            let a = (0..<m * lda).map { _ in rng.nextGaussian() }
            let bRowMajor = (0..<k * n).map { _ in rng.nextGaussian() }            // B[p][j] = bRowMajor[p·n + j]
            let bTransposed = (0..<n * k).map { j in bRowMajor[(j % k) * n + j / k] } // Bᵀ stored row-major (n×k)
            let c0 = (0..<m * ldc).map { _ in rng.nextGaussian() }
            var expected = c0
            for i in 0..<m {
                for j in 0..<n {
                    var sum = 0.0
                    for p in 0..<k { sum += Double(a[i * lda + p]) * Double(bRowMajor[p * n + j]) }
                    expected[i * ldc + j] += Float(sum)
                }
            }
            for (source, rowStride, columnStride) in [(bRowMajor, n, 1), (bTransposed, 1, k)] {
                var packed = [Float](repeating: .nan, count: ck_packed_count(k, n))
                ck_pack(source, rowStride, columnStride, k, n, &packed)
                var c = c0
                ck_gemm_packed_accumulate(m, n, k, a, lda, packed, &c, ldc)
                for idx in 0..<c.count {
                    XCTAssertEqual(c[idx], expected[idx], accuracy: 1e-3 * Float(k).squareRoot(), "m \(m) n \(n) k \(k) at \(idx)")
                }
            }
        }
    }
}
