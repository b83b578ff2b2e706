#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a manifest could not be read or written as a whole.
///
/// A malformed line is not an error of this kind: it becomes an error record
/// (`Record.error`) so the rest of the stream still flows. These cases stop a run.
public enum ManifestError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A NaN or infinity was about to be written; JSON has no spelling for it.
  /// `field` names where it sat: `"z"`, `"p"`, `"probs"`, `"ops"`.
  case nonFiniteNumber(field: String)
  /// A manifest file could not be opened.
  case openFailed(path: String, errno: Int32)
  /// `read(2)` failed with something other than `EINTR`.
  case readFailed(errno: Int32)
  /// A signal handler ran while `read(2)` waited; nothing was lost and reading can go on.
  case interrupted
  /// `write(2)` failed with something other than `EINTR` or `EPIPE`.
  case writeFailed(errno: Int32)
  /// The reader of our output went away (`EPIPE`); the CLI ends quietly with status 0.
  case brokenPipe

  /// A lower-case message without a final period, for `segma: <message>`.
  public var description: String {
    switch self {
    case .nonFiniteNumber(let field): "cannot write non-finite number in \"\(field)\""
    case .openFailed(let path, let code): "\(path): cannot open: \(errorText(code))"
    case .readFailed(let code): "cannot read manifest: \(errorText(code))"
    case .interrupted: "interrupted while reading the manifest"
    case .writeFailed(let code): "cannot write manifest: \(errorText(code))"
    case .brokenPipe: "broken pipe"
    }
  }
}

/// Why a JSON text was rejected, and where.
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
  /// Short and lower case: `"trailing comma"`, `"invalid utf-8"`.
  public var message: String
  /// Zero-based byte offset of the offending byte in the parsed text.
  public var offset: Int

  /// Creates an error for `message` at zero-based byte `offset`.
  public init(_ message: String, at offset: Int) {
    self.message = message
    self.offset = offset
  }

  /// Columns are one-based, as editors count them.
  public var description: String { "invalid json at column \(offset + 1): \(message)" }
}

/// The system's text for an errno value with a lower-case first letter:
/// "no such file or directory".
func errorText(_ code: Int32) -> String {
  let text = String(cString: strerror(code))
  guard let first = text.first else { return "error \(code)" }
  return first.lowercased() + text.dropFirst()
}
