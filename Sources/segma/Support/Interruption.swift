#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import Manifest

/// SIGINT and SIGTERM end a run between batches, not in the middle of one: the
/// batch being written completes (no temporary file is left behind) and the run
/// exits with 128 + the signal (130, 143), as a shell expects.
enum Interruption {
  /// The signal received, or 0. Written only by the handler.
  nonisolated(unsafe) private static var received: sig_atomic_t = 0

  /// Installs the handlers; a second signal of the same kind ends the program at once.
  static func install() {
    // A parent may have started us with these blocked (a blocked mask is inherited
    // through exec); an interrupted run must still be able to stop.
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    sigaddset(&set, SIGTERM)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
    // No SA_RESTART: a read blocked on an idle upstream returns EINTR, so the first
    // signal is seen at once rather than when the next line arrives (ManifestError.interrupted).
    // SA_RESETHAND: the second signal finds the default action and ends the program.
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { number in Interruption.received = sig_atomic_t(number) }
    sigemptyset(&action.sa_mask)
    action.sa_flags = Int32(truncatingIfNeeded: SA_RESETHAND)  // 0x80000000 does not fit a positive Int32
    for signal in [SIGINT, SIGTERM] { sigaction(signal, &action, nil) }
  }

  /// Throws the exit status for a received signal; call between batches. Returns true
  /// so it can lead a `while` condition.
  @discardableResult
  static func check() throws -> Bool {
    let number = received
    guard number != 0 else { return true }
    throw InterruptedError(signal: Int32(number))
  }
}

extension ManifestReader {
  /// `nextBatch`, but a signal that interrupts the wait for input stops the run (an
  /// idle upstream must not keep a SIGINT waiting); any other interruption reads on.
  func nextBatchOrStop(maxCount: Int) throws -> [Record] {
    while true {
      do {
        return try nextBatch(maxCount: maxCount)
      } catch {
        guard error == .interrupted else { throw error }
        try Interruption.check()
      }
    }
  }

  /// `next`, stopping on a signal like `nextBatchOrStop`.
  func nextOrStop() throws -> Record? {
    while true {
      do {
        return try next()
      } catch {
        guard error == .interrupted else { throw error }
        try Interruption.check()
      }
    }
  }
}

/// The run was stopped by a signal after finishing its current batch.
struct InterruptedError: Error, CustomStringConvertible {
  let signal: Int32
  var status: Int32 { 128 + signal }
  var description: String { "interrupted (signal \(signal)); the current batch was finished" }
}
