import CKernels
import COpenBLAS

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Views of Float buffers: kernels and layers never own memory, they borrow it.
public typealias FloatView = UnsafeBufferPointer<Float>
public typealias MutableFloatView = UnsafeMutableBufferPointer<Float>

/// Whether a GEMM operand is used as stored or transposed.
public enum Transpose: Sendable {
  case none
  case transposed

  var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// What C is, for how `gemm` writes it.
public enum GemmOutput: Sendable {
  /// Read again soon: OpenBLAS's ordinary stores leave it in cache.
  case ordinary
  /// A weight gradient, dYᵀ·X over a batch, next read by Adam at the end of the step.
  /// One larger than a core's L2 (512 KB here) is computed by `segma_gemm_tn`, which
  /// stores C once without clearing or reading it first; see `segma_gemm.h`.
  case weightGradient
}

/// C (M, N) = alpha · op(A) · op(B) + beta · C, all row-major. Every SGEMM goes through here
/// or, inside a worker of a split, `gemmOnOneThread` (the only caller of `cblas_sgemm` and
/// of `segma_gemm_tn`).
///
/// `op(A)` is (M, K) and `op(B)` is (K, N); `lda`, `ldb`, `ldc` are the row strides of
/// A, B and C as stored. `beta = 0` overwrites C (its old contents may be garbage, even
/// NaN: C is cleared first), `beta = 1` accumulates.
///
/// A large product is split into blocks of C, columns or rows, one per worker
/// (`ComputeThreads`); every element is still one single-threaded SGEMM's dot product.
///
/// - Precondition: the buffers hold the rows the shapes ask for.
public func gemm(
  _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
  alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
  beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, output: GemmOutput = .ordinary
) {
  guard m > 0 && n > 0 else { return }
  let clock = GemmClock.active
  let started = clock?.now()
  defer {
    if let clock, let started {
      clock.record(
        since: started,
        .init(
          transA: transA, transB: transB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc, beta: beta, output: output))
    }
  }
  // Below about a million multiply-adds a worker's wake-up costs more than it saves.
  let grain = max(1, (1 << 20) / max(1, k))
  if n >= m {
    // Blocks of 16 columns: op(B) and C advance by columns.
    let blocks = (n + 15) / 16
    parallelParts(blocks, grain: max(1, grain / (16 * m))) { _, part in
      let first = part.lowerBound * 16, count = min(n, part.upperBound * 16) - first
      let bBlock = transB == .none ? b + first : b + first * ldb
      gemmOnOneThread(transA, transB, m, count, k, alpha, a, lda, bBlock, ldb, beta, c + first, ldc, output)
    }
  } else {
    let blocks = (m + 15) / 16
    parallelParts(blocks, grain: max(1, grain / (16 * n))) { _, part in
      let first = part.lowerBound * 16, count = min(m, part.upperBound * 16) - first
      let aBlock = transA == .none ? a + first * lda : a + first
      gemmOnOneThread(transA, transB, count, n, k, alpha, aBlock, lda, b, ldb, beta, c + first * ldc, ldc, output)
    }
  }
}

/// `gemm` without the split, for callers that are themselves one worker of a split.
@inline(__always)
func gemmOnOneThread(
  _ transA: Transpose, _ transB: Transpose, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
  _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int, _ beta: Float,
  _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ output: GemmOutput = .ordinary
) {
  ComputeThreads.openBLASIsSingleThreaded
  // Below L2's size C is read back cheaply, and the kernel's packing and edge tiles made
  // the mlp's 10 x 1024 gradients slower (0.08 -> 0.13 ms).
  if output == .weightGradient && transA == .transposed && transB == .none && alpha == 1 && beta == 0
    && k <= Int(segma_gemm_tn_max_k) && m * n > 1 << 17
    && segma_gemm_tn(Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), c, Int32(ldc)) == 0
  {
    return
  }
  // OpenBLAS 0.3.21 clears C for beta = 0 one float at a time (sgemm_beta: 5-8% of a
  // training step); memset clears it vector-wide, and accumulating onto zeros gives the
  // same bits.
  if beta == 0 {
    if ldc == n {
      memset(c, 0, m * n * MemoryLayout<Float>.stride)
    } else {
      for row in 0..<m { memset(c + row * ldc, 0, n * MemoryLayout<Float>.stride) }
    }
  }
  cblas_sgemm(
    CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
    beta == 0 ? 1 : beta, c, Int32(ldc))
}

/// Wall time and FLOPs spent in `gemm` while active, and the shapes called: how the
/// roofline benchmark tells a training step's GEMMs from everything else and replays
/// them alone. Off (nil) in normal runs; only the calling thread's `gemm`s are seen.
public final class GemmClock {
  /// One `gemm` call's shape.
  public struct Call: Sendable {
    public let transA: Transpose, transB: Transpose
    public let m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int
    public let beta: Float
    public let output: GemmOutput
  }

  nonisolated(unsafe) public static var active: GemmClock?
  public private(set) var seconds: Double = 0
  public private(set) var flops = 0
  public private(set) var calls: [Call] = []
  /// Each recorded call's wall time, in `calls` order.
  public private(set) var callSeconds: [Double] = []
  public var recordsCalls = false
  public init() {}

  public func reset() {
    (seconds, flops) = (0, 0)
    calls.removeAll()
    callSeconds.removeAll()
  }

  func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
  }

  func record(since started: Double, _ call: Call) {
    let elapsed = now() - started
    seconds += elapsed
    flops += 2 * call.m * call.n * call.k
    if recordsCalls {
      calls.append(call)
      callSeconds.append(elapsed)
    }
  }
}
