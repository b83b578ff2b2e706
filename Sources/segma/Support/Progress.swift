import Foundation

/// A progress bar for a known amount of work, drawn through `Diagnostics`
/// at most ten times a second, and only on an interactive stderr.
final class Progress: @unchecked Sendable {
  private let diagnostics: Diagnostics
  private let label: String
  private let total: Int
  private let started = Date()
  private let lock = NSLock()
  private var done = 0
  private var lastDrawn = Date.distantPast

  init(_ label: String, total: Int, diagnostics: Diagnostics) {
    (self.label, self.total, self.diagnostics) = (label, total, diagnostics)
  }

  func advance(by count: Int = 1) {
    let line: String? = lock.withLock {
      done += count
      let now = Date()
      guard now.timeIntervalSince(lastDrawn) >= 0.1 || done == total else { return nil }
      lastDrawn = now
      return render(now: now)
    }
    if let line { diagnostics.showProgress(line) }
  }

  private func render(now: Date) -> String {
    let width = 24
    let fraction = total > 0 ? min(Double(done) / Double(total), 1) : 1
    let filled = Int(fraction * Double(width))
    let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
    let elapsed = now.timeIntervalSince(started)
    let rate = elapsed > 0 ? Double(done) / elapsed : 0
    let remaining = rate > 0 ? Double(total - done) / rate : 0
    return "\(label) [\(bar)] \(done)/\(total) \(String(format: "%.0f", rate))/s ETA \(formatDuration(remaining))"
  }
}

/// "1:05" or "1:02:03" for a number of seconds.
func formatDuration(_ seconds: Double) -> String {
  let whole = max(0, Int(seconds.rounded()))
  let (hours, minutes, secs) = (whole / 3600, whole / 60 % 60, whole % 60)
  return hours > 0
    ? String(format: "%d:%02d:%02d", hours, minutes, secs) : String(format: "%d:%02d", minutes, secs)
}
