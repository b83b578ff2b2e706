import CKernels
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
/// the loss runs on one core, and every non-GEMM pass ran on one thread. Training
/// hands the parts to spinning threads instead of Dispatch (`keepingCoresAwake`).
public enum ComputeThreads {
  /// Workers a kernel may use: the innermost `with` scope's count, else the process's.
  public static var count: Int { scoped ?? processWide }

  /// The most workers any kernel will use: buffers per worker are sized for it.
  public static let maximum = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

  nonisolated(unsafe) private static var processWide = 1
  @TaskLocal private static var scoped: Int?

  /// Sets the count for the whole process: the command line does this once, at start-up.
  public static func set(_ threads: Int) {
    openBLASIsSingleThreaded
    processWide = clamped(threads)
  }

  /// Runs `body` with `threads` workers, leaving other tasks' count alone (tests run side by side).
  public static func with<Result>(_ threads: Int, _ body: () throws -> Result) rethrows -> Result {
    openBLASIsSingleThreaded
    return try $scoped.withValue(clamped(threads)) { try body() }
  }

  /// OpenBLAS set to one thread, and the pool it started when it loaded stopped: its
  /// idle threads spin in sched_yield for some 0.1 s before they sleep, half of a short
  /// command's system time (0.16 s → 0.08 s for `segma transfer` of nothing). Done once,
  /// before any SGEMM (`gemmOnOneThread` asks for it too), as the stop must neither run
  /// twice at a time nor meet a threaded SGEMM. `blas_thread_shutdown_` is in no public
  /// header and a single-threaded build of OpenBLAS has none, so it is looked up.
  static let openBLASIsSingleThreaded: Void = {
    openblas_set_num_threads(1)
    typealias Shutdown = @convention(c) () -> Int32
    if let program = dlopen(nil, RTLD_NOW), let shutdown = dlsym(program, "blas_thread_shutdown_") {
      _ = unsafeBitCast(shutdown, to: Shutdown.self)()
    }
  }()

  private static func clamped(_ threads: Int) -> Int { min(max(1, threads), maximum) }

  /// Runs `body` while one thread per worker spins at the lowest priority (SCHED_IDLE)
  /// on cores that would otherwise sleep, and takes `parallelParts`' parts the moment
  /// they are handed over: waking one of Dispatch's sleeping threads took 40-90 µs per
  /// hand-over on our VM, and a training step hands over some 30 times
  /// (`segma_idle_spinners.h`). For long compute-bound work, as training; with one
  /// worker there is no hand-over, so nothing spins. The split, and so every result,
  /// is the same as with Dispatch.
  public static func keepingCoresAwake<Result>(_ body: () throws -> Result) rethrows -> Result {
    guard count > 1, let spinners = segma_idle_spinners_start(Int32(count)) else { return try body() }
    defer { segma_idle_spinners_stop(spinners) }
    return try $spinners.withValue(Spinners(pointer: spinners)) { try body() }
  }

  /// The spinners of the innermost `keepingCoresAwake` scope, if any.
  @TaskLocal static var spinners: Spinners?

  /// The C spinners; only the scope that started them uses them, and it outlives the use.
  struct Spinners: @unchecked Sendable { let pointer: OpaquePointer }
}

/// Calls `body(worker, range)` for contiguous, nearly equal parts of 0..<count, one per
/// worker, on up to `ComputeThreads.count` threads, and returns how many workers ran.
/// Parts are at least `grain` long, so a small loop stays on the calling thread. The
/// split depends only on `count`, `grain` and the thread count, never on scheduling,
/// so results are deterministic.
@discardableResult @inline(__always)
func parallelParts(_ count: Int, grain: Int, _ body: (_ worker: Int, _ range: Range<Int>) -> Void) -> Int {
  let workers = min(ComputeThreads.count, max(1, count / max(1, grain)))
  guard workers > 1 else {
    if count > 0 { body(0, 0..<count) }
    return 1
  }
  withoutActuallyEscaping(body) { body in
    // Each worker writes only its own part, so sharing the job is safe.
    nonisolated(unsafe) let job = PartsJob(body: body, count: count, workers: workers)
    if let spinners = ComputeThreads.spinners {
      // The C side only reads the job through its `void *context`.
      let ran = withUnsafePointer(to: job) { job in
        segma_idle_spinners_run(spinners.pointer, Int32(workers), { context, worker in
          context!.assumingMemoryBound(to: PartsJob.self).pointee.run(Int(worker))
        }, UnsafeMutableRawPointer(mutating: job))
      }
      if ran != 0 { return }
    }
    DispatchQueue.concurrentPerform(iterations: workers) { job.run($0) }
  }
  return workers
}

/// The sum of `part` over the parts `parallelParts` makes of 0..<count: one Double per
/// part, added in part order, so the result depends only on the thread count.
func parallelSum(_ count: Int, grain: Int, _ part: (_ range: Range<Int>) -> Double) -> Double {
  withUnsafeTemporaryAllocation(of: Double.self, capacity: ComputeThreads.maximum) { partials in
    partials.initialize(repeating: 0)
    parallelParts(count, grain: grain) { worker, range in partials[worker] = part(range) }
    return partials.reduce(0, +)
  }
}

/// A `parallelParts` call: the body and how to split the count, the same for the
/// spinners and for Dispatch.
private struct PartsJob {
  let body: (_ worker: Int, _ range: Range<Int>) -> Void
  let count: Int, workers: Int

  func run(_ worker: Int) { body(worker, (worker * count / workers)..<((worker + 1) * count / workers)) }
}
