import CKernels
import SegmaKit
import TestSupport
import Testing

/// `segma_gemm_tn`, the weight-gradient kernel: each element must be exactly the sum over
/// k in order with one fused multiply-add per term (its documented rounding), whatever C
/// held before, over edge tiles, several blocks of A, and streamed and ordinary stores.
@Suite struct WeightGradientKernelTests {
  /// (m, n, k, ldc): tiles cut at both edges; k = 512 with m = 200 packs A in three
  /// blocks; ldc = n + 8 keeps rows 32-byte aligned (streaming stores), ldc = n + 3 does not.
  @Test(arguments: [(1, 1, 1, 1), (6, 16, 3, 16), (13, 37, 5, 40), (200, 40, 512, 48), (50, 100, 200, 103)])
  func eachElementIsOneFusedSumInOrder(m: Int, n: Int, k: Int, ldc: Int) throws {
    var random = SeededGenerator(seed: UInt64(m * 1000 + k))
    let (lda, ldb) = (m + 2, n + 1)
    let a = (0..<(k * lda)).map { _ in Float.random(in: -1...1, using: &random) }
    let b = (0..<(k * ldb)).map { _ in Float.random(in: -1...1, using: &random) }
    let c = MutableFloatView.allocate(capacity: m * ldc)
    defer { c.deallocate() }
    c.initialize(repeating: .nan)

    let status = segma_gemm_tn(Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), c.baseAddress!, Int32(ldc))
    guard segma_gemm_tn_available() != 0 else {
      #expect(status == -1 && c.allSatisfy { $0.isNaN }, "without AVX2 the kernel declines and leaves C alone")
      return
    }
    try #require(status == 0)
    for i in 0..<m {
      for j in 0..<n {
        var sum: Float = 0
        for p in 0..<k { sum.addProduct(a[p * lda + i], b[p * ldb + j]) }
        #expect(c[i * ldc + j] == sum, "C[\(i),\(j)]")
      }
      #expect(c[(i * ldc + n)..<(i * ldc + ldc)].allSatisfy { $0.isNaN }, "padding of row \(i)")
    }
  }

  @Test func declinesAKBeyondItsLimit() {
    let k = Int(segma_gemm_tn_max_k) + 1
    let a = [Float](repeating: 1, count: k), b = [Float](repeating: 1, count: k)
    var c: Float = .nan
    #expect(segma_gemm_tn(1, 1, Int32(k), a, 1, b, 1, &c, 1) == -1)
    #expect(c.isNaN)
  }

  /// Through `gemm`, split over two workers: each half of C (300 x 520) is larger than L2,
  /// so each takes the kernel (exact fused sums: the split changes no bit). OpenBLAS's
  /// sums differ from these in the last bit for 2-3% of the elements.
  @Test func gemmUsesItForLargeWeightGradients() {
    let (m, n, k) = (300, 1040, 24)
    var random = SeededGenerator(seed: 3)
    let a = (0..<(k * m)).map { _ in Float.random(in: -1...1, using: &random) }
    let b = (0..<(k * n)).map { _ in Float.random(in: -1...1, using: &random) }
    var c = [Float](repeating: .nan, count: m * n)
    ComputeThreads.with(2) {
      c.withUnsafeMutableBufferPointer { cBuffer in
        gemm(.transposed, .none, m: m, n: n, k: k, a: a, lda: m, b: b, ldb: n, beta: 0, c: cBuffer.baseAddress!, ldc: n)
      }
    }
    var mismatches = 0
    for i in 0..<m {
      for j in 0..<n {
        var sum: Float = 0
        for p in 0..<k { sum.addProduct(a[p * m + i], b[p * n + j]) }
        let close = abs(c[i * n + j] - sum) <= 1e-5
        let exact = c[i * n + j] == sum
        if segma_gemm_tn_available() != 0 ? !exact : !close { mismatches += 1 }
      }
    }
    #expect(mismatches == 0)
  }
}
