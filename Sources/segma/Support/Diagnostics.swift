import Foundation
import Manifest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The only writer of stderr: error lines, notes and the progress line.
///
/// Messages read `segma: <path>: <stage>: <message>`. A live progress line is
/// cleared before a message and redrawn after it, so the two never interleave.
final class Diagnostics: @unchecked Sendable {
  static let shared = Diagnostics()

  private let lock = NSLock()
  private(set) var isQuiet = false
  private(set) var isVerbose = false
  private var failures = 0
  private var statusLine: String?
  /// stderr is a terminal that can redraw a line in place.
  let isInteractive: Bool
  let usesColor: Bool

  init(isTerminal: Bool = isatty(2) == 1, environment: [String: String] = ProcessInfo.processInfo.environment) {
    isInteractive = isTerminal && environment["TERM"] != "dumb"
    // https://no-color.org: any non-empty NO_COLOR disables colour.
    usesColor = isInteractive && (environment["NO_COLOR"] ?? "").isEmpty
  }

  func configure(quiet: Bool, verbose: Bool) {
    lock.withLock { (isQuiet, isVerbose) = (quiet, verbose) }
  }

  /// Number of records reported as failed so far.
  var failedRecords: Int { lock.withLock { failures } }

  /// Reports an error that stops the run (`segma: message`).
  func error(_ message: String) {
    emit(prefix: usesColor ? "\u{1B}[31msegma:\u{1B}[0m " : "segma: ", message)
  }

  /// Reports one failed record; the run goes on and exits 1 at the end.
  func recordFailed(_ message: String) {
    lock.withLock { failures += 1 }
    error(message)
  }

  /// Counts an error record read from a manifest. One this stage's reader made from a
  /// malformed line (stage "manifest") is reported; one an earlier stage made and
  /// reported is shown again only with `-v`, so a pipeline prints each failure once.
  func recordErrorRecord(_ record: ErrorRecord) {
    if record.stage == "manifest" {
      recordFailed(describe(record))
    } else {
      lock.withLock { failures += 1 }
      if isVerbose { emit(prefix: "segma: ", describe(record)) }
    }
  }

  /// A note shown unless `-q` (for example a ready ffmpeg command).
  func note(_ message: String) {
    guard !isQuiet else { return }
    emit(prefix: "segma: ", message)
  }

  /// Shown only with `-v`.
  func verbose(_ message: String) {
    guard isVerbose else { return }
    emit(prefix: "segma: ", message)
  }

  /// Shows `line` as the live status line (on an interactive stderr, unless `-q`).
  func showProgress(_ line: String) {
    guard isInteractive && !isQuiet else { return }
    lock.withLock {
      statusLine = line
      writeStandardError("\r\u{1B}[K" + line)
    }
  }

  /// Clears the status line, if any.
  func finishProgress() {
    lock.withLock {
      guard statusLine != nil else { return }
      statusLine = nil
      writeStandardError("\r\u{1B}[K")
    }
  }

  private func emit(prefix: String, _ message: String) {
    lock.withLock {
      let clear = statusLine == nil ? "" : "\r\u{1B}[K"
      let redraw = statusLine ?? ""
      writeStandardError(clear + prefix + message + "\n" + redraw)
    }
  }
}

/// Writes to fd 2, whole; errors writing stderr have nowhere to be reported.
private func writeStandardError(_ text: String) {
  var bytes = Array(text.utf8)
  var offset = 0
  while offset < bytes.count {
    let written = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
    if written < 0 && errno == EINTR { continue }
    if written <= 0 { return }
    offset += written
  }
  bytes.removeAll()
}
