import Foundation

/// Uses batches on a thread of its own while the caller makes the next one: the
/// mirror of `BatchPrefetcher`, for when the caller's thread must be the one that
/// reads (Stage: a signal interrupts the main thread's read of stdin).
///
/// Goals: at most one batch waiting (memory stays bounded by two batches), the batches
/// used in the order given, and the consumer's error handed back to the caller, which
/// then stops making batches.
final class BatchConsumer<Batch>: @unchecked Sendable {
  /// The batch handed over and not yet used up; guarded by `condition`, as are the rest.
  private var waiting: Batch?
  private var failure: (any Error)?
  /// Set by `finish`: no more batches will come.
  private var isFinished = false
  private var isConsuming = true
  private let condition = NSCondition()

  /// Starts a thread that calls `use` on each batch handed over, in order.
  init(_ use: @escaping (Batch) throws -> Void) {
    // Only the consumer thread calls `use`, one batch at a time.
    nonisolated(unsafe) let use = use
    Thread { [self] in consume(use) }.start()
  }

  /// Hands `batch` over once the one before it is used up; rethrows the error that
  /// stopped the consumer.
  func submit(_ batch: Batch) throws {
    try condition.withLock {
      while waiting != nil && failure == nil { condition.wait() }
      if let failure { throw failure }
      waiting = batch
      condition.broadcast()
    }
  }

  /// Waits until every batch handed over is used; rethrows the error that stopped the consumer.
  func finish() throws {
    try condition.withLock {
      isFinished = true
      condition.broadcast()
      while isConsuming { condition.wait() }
      if let failure { throw failure }
    }
  }

  private func consume(_ use: (Batch) throws -> Void) {
    defer {
      condition.withLock {
        isConsuming = false
        condition.broadcast()
      }
    }
    while true {
      let batch: Batch? = condition.withLock {
        while waiting == nil && !isFinished { condition.wait() }
        return waiting  // nil only once finished with nothing left
      }
      guard let batch else { return }
      do {
        try use(batch)
      } catch {
        condition.withLock { failure = error }
        return
      }
      condition.withLock {
        waiting = nil  // kept until used, so the caller stays at most one batch ahead
        condition.broadcast()
      }
    }
  }
}
