#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
    for signal in [SIGINT, SIGTERM] {
      _ = Glibc.signal(signal) { number in
        Interruption.received = sig_atomic_t(number)
        _ = Glibc.signal(number, SIG_DFL)
      }
    }
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

/// The run was stopped by a signal after finishing its current batch.
struct InterruptedError: Error, CustomStringConvertible {
  let signal: Int32
  var status: Int32 { 128 + signal }
  var description: String { "interrupted (signal \(signal)); the current batch was finished" }
}
