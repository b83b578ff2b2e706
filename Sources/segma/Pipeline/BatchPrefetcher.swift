import Foundation

/// Makes the next batch on a thread of its own while the caller uses the current one:
/// each side has serial parts that otherwise leave a core idle (Stage: reading,
/// encoding and decoding on one side, PNG files and records on the other).
///
/// Goals: at most one batch read ahead (memory stays bounded by two batches), the
/// batches in the order read, and the producer's error, a signal's included, only
/// after every batch read before it, so every batch read is still written.
final class BatchPrefetcher<Batch>: @unchecked Sendable {
  /// What the producer handed over and the caller has not taken: a batch, nil at the
  /// end of the input, or the error that stopped reading. Guarded by `condition`.
  private var handedOver: Result<Batch?, any Error>?
  /// Set by `stop`: the caller takes no more batches (it ended, or its write failed).
  private var isStopped = false
  private var isProducing = true
  private let condition = NSCondition()

  /// Starts calling `read` on a new thread; it must not be called anywhere else after this.
  init(_ read: @escaping () throws -> Batch?) {
    // Only the producer thread calls `read` from here on, one call at a time.
    nonisolated(unsafe) let read = read
    Thread { [self] in produce(read) }.start()
  }

  /// The next batch in order, nil at the end; rethrows the error that stopped reading.
  func next() throws -> Batch? {
    let result = condition.withLock {
      while handedOver == nil { condition.wait() }
      let result = handedOver!
      // The last result (end or error) stays, so a further call gives it again.
      if case .success(.some) = result {
        handedOver = nil
        condition.broadcast()  // the producer may read the next one
      }
      return result
    }
    return try result.get()
  }

  /// Stops the producer and waits for its thread to end: at most the batch being read
  /// is finished, then dropped, as the caller no longer wants it.
  func stop() {
    condition.withLock {
      isStopped = true
      condition.broadcast()
      while isProducing { condition.wait() }
    }
  }

  private func produce(_ read: () throws -> Batch?) {
    defer {
      condition.withLock {
        isProducing = false
        condition.broadcast()
      }
    }
    while true {
      // Read only once the last batch was taken: one batch ahead, no more.
      let goesOn = condition.withLock {
        while handedOver != nil && !isStopped { condition.wait() }
        return !isStopped
      }
      guard goesOn else { return }
      let result = Result { try read() }
      condition.withLock {
        handedOver = result
        condition.broadcast()
      }
      guard case .success(.some) = result else { return }
    }
  }
}
