import COpenBLAS

/// Views of Float buffers: kernels and layers never own memory, they borrow it.
public typealias FloatView = UnsafeBufferPointer<Float>
public typealias MutableFloatView = UnsafeMutableBufferPointer<Float>

/// Whether a GEMM operand is used as stored or transposed.
public enum Transpose: Sendable {
  case none
  case transposed

  var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// C (M, N) = alpha · op(A) · op(B) + beta · C, all row-major. The only caller of `cblas_sgemm`.
///
/// `op(A)` is (M, K) and `op(B)` is (K, N); `lda`, `ldb`, `ldc` are the row strides of
/// A, B and C as stored. `beta = 0` overwrites C (its old contents may be garbage, even
/// NaN: BLAS does not read C when beta is 0), `beta = 1` accumulates.
///
/// - Precondition: the buffers hold the rows the shapes ask for.
@inline(__always)
public func gemm(
  _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
  alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
  beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
  guard m > 0 && n > 0 else { return }
  cblas_sgemm(
    CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
    beta, c, Int32(ldc))
}

/// The number of threads OpenBLAS uses for one GEMM.
public func setBLASThreads(_ count: Int) {
  openblas_set_num_threads(Int32(max(1, count)))
}
