import CKernels
import SegmaKit
import TestSupport
import Testing

/// `segma_gemm_tn`, the weight-gradient kernel: each element must be exactly the sum over
/// k in order with one fused multiply-add per term (its documented rounding), whatever C
/// held before, over edge tiles and several blocks of A, aligned or not, and nothing
/// written outside the m x n block.
@Suite struct WeightGradientKernelTests {
  /// (m, n, k, ldc): tiles cut at both edges; k = 512 with m = 200 packs A in three blocks;
  /// n = 1100 packs B in two; padded rows (ldc > n), one of them not a multiple of 8.
  static let shapes = [
    (1, 1, 1, 1), (6, 16, 3, 16), (13, 37, 5, 40), (200, 40, 512, 48), (50, 100, 200, 103), (7, 1100, 3, 1104),
  ]

  /// C at a 64-byte boundary (offset 0) or one float past it (offset 1).
  @Test(arguments: shapes, [0, 1])
  func eachElementIsOneFusedSumInOrder(shape: (m: Int, n: Int, k: Int, ldc: Int), offset: Int) throws {
    let (m, n, k, ldc) = shape
    var random = SeededGenerator(seed: UInt64(m * 1000 + k))
    let (lda, ldb) = (m + 2, n + 1)
    let a = (0..<(k * lda)).map { _ in Float.random(in: -1...1, using: &random) }
    let b = (0..<(k * ldb)).map { _ in Float.random(in: -1...1, using: &random) }
    let c = GuardedMatrix(floats: m * ldc, offset: offset)
    defer { c.deallocate() }

    let status = segma_gemm_tn(Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), c.start, Int32(ldc))
    guard segma_gemm_tn_available() != 0 else {
      #expect(status == -1 && c.all.allSatisfy { $0.isNaN }, "without AVX2 the kernel declines and leaves C alone")
      return
    }
    try #require(status == 0)
    for i in 0..<m {
      for j in 0..<n {
        let expected = fusedSum(k) { a[$0 * lda + i] } times: { b[$0 * ldb + j] }
        #expect(c.start[i * ldc + j] == expected, "C[\(i),\(j)]")
      }
      #expect((n..<ldc).allSatisfy { c.start[i * ldc + $0].isNaN }, "padding of row \(i)")
    }
    #expect(c.guardsAreUntouched, "nothing written before or after C")
  }

  @Test func declinesAKBeyondItsLimit() {
    let k = Int(segma_gemm_tn_max_k) + 1
    let a = [Float](repeating: 1, count: k), b = [Float](repeating: 1, count: k)
    var c: Float = .nan
    #expect(segma_gemm_tn(1, 1, Int32(k), a, 1, b, 1, &c, 1) == -1)
    #expect(c.isNaN)
  }

  /// Through `gemm`, split over two workers: with `output: .weightGradient` each half of C
  /// (300 x 520, larger than L2) goes to the kernel, so every element is the exact fused sum
  /// and the split changes no bit. The same product as `.ordinary` (OpenBLAS) must differ
  /// somewhere, or this test could not tell the two paths apart.
  @Test func gemmSendsWeightGradientsToTheKernel() throws {
    try #require(segma_gemm_tn_available() != 0, "needs AVX2 and FMA")
    let (m, n, k) = (300, 1040, 24)
    var random = SeededGenerator(seed: 3)
    let a = (0..<(k * m)).map { _ in Float.random(in: -1...1, using: &random) }
    let b = (0..<(k * n)).map { _ in Float.random(in: -1...1, using: &random) }
    func product(_ output: GemmOutput) -> [Float] {
      let c = GuardedMatrix(floats: m * n, offset: 0)
      defer { c.deallocate() }
      ComputeThreads.with(2) {
        gemm(.transposed, .none, m: m, n: n, k: k, a: a, lda: m, b: b, ldb: n, beta: 0, c: c.start, ldc: n, output: output)
      }
      #expect(c.guardsAreUntouched)
      return Array(UnsafeBufferPointer(start: c.start, count: m * n))
    }
    let expected = (0..<(m * n)).map { index in
      fusedSum(k) { a[$0 * m + index / n] } times: { b[$0 * n + index % n] }
    }
    #expect(product(.weightGradient) == expected)
    #expect(product(.ordinary) != expected)
  }
}

/// Σ_p x(p)·y(p) for p in 0..<k, in order, each term one fused multiply-add.
private func fusedSum(_ k: Int, _ x: (Int) -> Float, times y: (Int) -> Float) -> Float {
  var sum: Float = 0
  for p in 0..<k { sum.addProduct(x(p), y(p)) }
  return sum
}

/// A matrix of NaNs, `offset` floats past a 64-byte boundary, between two guard lines of
/// NaNs: whatever a kernel writes outside the matrix shows.
private struct GuardedMatrix {
  static let guardFloats = 16
  let all: MutableFloatView
  let start: UnsafeMutablePointer<Float>
  let floats: Int, offset: Int

  init(floats: Int, offset: Int) {
    let total = 2 * Self.guardFloats + offset + floats
    let raw = UnsafeMutableRawPointer.allocate(byteCount: total * MemoryLayout<Float>.stride, alignment: 64)
    all = MutableFloatView(start: raw.bindMemory(to: Float.self, capacity: total), count: total)
    all.initialize(repeating: .nan)
    start = all.baseAddress! + Self.guardFloats + offset
    (self.floats, self.offset) = (floats, offset)
  }

  var guardsAreUntouched: Bool {
    let before = all[0..<(Self.guardFloats + offset)], after = all[(Self.guardFloats + offset + floats)...]
    return before.allSatisfy { $0.isNaN } && after.allSatisfy { $0.isNaN }
  }

  func deallocate() { UnsafeMutableRawPointer(all.baseAddress!).deallocate() }
}
