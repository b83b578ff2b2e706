import SegmaKit
import TestSupport
import Testing

/// `gemm` (the one cblas_sgemm caller) against a plain triple loop, every transpose
/// combination, odd shapes and padded leading dimensions (STYLE §1.5).
@Suite struct GemmTests {
  @Test(arguments: [(Transpose.none, Transpose.none), (.none, .transposed), (.transposed, .none), (.transposed, .transposed)])
  func matchesTheNaiveProduct(transA: Transpose, transB: Transpose) {
    var random = SeededGenerator(seed: 9)
    let (m, n, k) = (3, 5, 7)
    // Stored shapes: A is (m, k) or (k, m); B is (k, n) or (n, k); one spare column each.
    let (aRows, aCols) = transA == .none ? (m, k) : (k, m)
    let (bRows, bCols) = transB == .none ? (k, n) : (n, k)
    let (lda, ldb, ldc) = (aCols + 1, bCols + 1, n + 2)
    let a = (0..<(aRows * lda)).map { _ in Float.random(in: -1...1, using: &random) }
    let b = (0..<(bRows * ldb)).map { _ in Float.random(in: -1...1, using: &random) }
    var c = (0..<(m * ldc)).map { _ in Float.random(in: -1...1, using: &random) }
    let original = c
    func aAt(_ i: Int, _ p: Int) -> Double { Double(transA == .none ? a[i * lda + p] : a[p * lda + i]) }
    func bAt(_ p: Int, _ j: Int) -> Double { Double(transB == .none ? b[p * ldb + j] : b[j * ldb + p]) }
    c.withUnsafeMutableBufferPointer { cBuffer in
      gemm(transA, transB, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb, beta: 2, c: cBuffer.baseAddress!, ldc: ldc)
    }
    for i in 0..<m {
      for j in 0..<ldc {
        let expected = j < n
          ? 0.5 * (0..<k).reduce(0.0) { $0 + aAt(i, $1) * bAt($1, j) } + 2 * Double(original[i * ldc + j])
          : Double(original[i * ldc + j])  // padding is never touched
        #expect(abs(Double(c[i * ldc + j]) - expected) < 1e-5, "C[\(i),\(j)]")
      }
    }
  }

  /// beta = 0 overwrites C whatever it held (NaN here) and leaves the padding between
  /// rows alone, on one worker and split over two (whose blocks of C are strided).
  @Test(arguments: [(3, 5, 7, 5), (3, 5, 7, 8), (40, 600, 100, 600), (40, 600, 100, 611)])
  func betaZeroOverwritesGarbage(m: Int, n: Int, k: Int, ldc: Int) {
    var random = SeededGenerator(seed: 5)
    let a = (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &random) }
    let b = (0..<(k * n)).map { _ in Float.random(in: -1...1, using: &random) }
    var c = [Float](repeating: .nan, count: m * ldc)
    ComputeThreads.with(2) {
      c.withUnsafeMutableBufferPointer { cBuffer in
        gemm(.none, .none, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, beta: 0, c: cBuffer.baseAddress!, ldc: ldc)
      }
    }
    for i in 0..<m {
      for j in 0..<n {
        let expected = (0..<k).reduce(0.0) { $0 + Double(a[i * k + $1]) * Double(b[$1 * n + j]) }
        #expect(abs(Double(c[i * ldc + j]) - expected) < 1e-4, "C[\(i),\(j)]")
      }
      let padding = c[(i * ldc + n)..<(i * ldc + ldc)]
      #expect(padding.allSatisfy { $0.isNaN }, "padding of row \(i)")
    }
  }
}
