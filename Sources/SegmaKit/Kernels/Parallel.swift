import COpenBLAS
import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SegmaKit's one pool of threads (DESIGN §9).
///
/// Kernels split their work over `ComputeThreads.count` workers with Dispatch and
/// OpenBLAS runs single-threaded inside each worker. Two pools on two cores fight:
/// with OpenBLAS's own threads, its idle workers spin in `sched_yield` while Adam or
/// the loss runs on one core, and every non-GEMM pass ran on one thread.
public enum ComputeThreads {
  /// Workers a kernel may use; set once at start-up by the command line.
  nonisolated(unsafe) public private(set) static var count = 1

  /// The most workers any kernel will use: buffers per worker are sized for it.
  public static let maximum = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

  public static func set(_ threads: Int) {
    count = min(max(1, threads), maximum)
    openblas_set_num_threads(1)
  }
}

/// Calls `body(worker, range)` for contiguous, nearly equal parts of 0..<count, one per
/// worker, on up to `ComputeThreads.count` threads. Parts are at least `grain` long, so a
/// small loop stays on the calling thread. The split depends only on `count`, `grain`
/// and the thread count, never on scheduling, so results are deterministic.
@inline(__always)
func parallelParts(_ count: Int, grain: Int, _ body: (_ worker: Int, _ range: Range<Int>) -> Void) {
  let workers = min(ComputeThreads.count, max(1, count / max(1, grain)))
  guard workers > 1 else {
    if count > 0 { body(0, 0..<count) }
    return
  }
  withoutActuallyEscaping(body) { body in
    // Each worker writes only its own part, so sharing the closure is safe.
    nonisolated(unsafe) let part = body
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      part(worker, (worker * count / workers)..<((worker + 1) * count / workers))
    }
  }
}
