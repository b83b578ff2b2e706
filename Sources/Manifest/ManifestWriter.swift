#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes records as JSON Lines to a file descriptor with `write(2)`.
///
/// The one stdout writer of a run. It handles partial writes and `EINTR`, and
/// turns `EPIPE` into `ManifestError.brokenPipe` so the CLI can end quietly
/// when the reader has gone (`print` kept writing into a closed pipe, and
/// `FileHandle.write(_: Data)` crashed on it). Expects SIGPIPE to be ignored.
public final class ManifestWriter {
  /// Bytes buffered before a write when not flushing each record.
  static let bufferBytes = 1 << 16

  private let fileDescriptor: Int32
  /// Write each record at once, so the next stage of a pipe can start on it.
  public let flushEachRecord: Bool
  private var pending: [UInt8] = []
  /// Set after `EPIPE`: nothing more can reach the reader.
  private var isBroken = false

  /// A writer to `fileDescriptor`, which stays open: the caller owns it.
  ///
  /// - Parameter flushEachRecord: write every record as it comes (pipes,
  ///   terminals) rather than in blocks of up to 64 KiB (files).
  public init(fileDescriptor: Int32 = 1, flushEachRecord: Bool) {
    self.fileDescriptor = fileDescriptor
    self.flushEachRecord = flushEachRecord
    pending.reserveCapacity(Self.bufferBytes + 4096)
  }

  /// A writer to standard output that writes each record at once when stdout
  /// is a pipe, a socket or a terminal (someone may be waiting for it), and
  /// buffers when it is a file.
  public static func standardOutput() -> ManifestWriter {
    ManifestWriter(fileDescriptor: 1, flushEachRecord: isStream(fileDescriptor: 1))
  }

  /// Whether `fileDescriptor` is a pipe, a socket or a terminal.
  static func isStream(fileDescriptor: Int32) -> Bool {
    var status = stat()
    let kind = fstat(fileDescriptor, &status) == 0 ? status.st_mode & S_IFMT : 0
    return kind == S_IFIFO || kind == S_IFSOCK || isatty(fileDescriptor) == 1
  }

  // Best effort: a writer dropped without `flush()` still delivers what it
  // holds, but only `flush()` can report a failure.
  deinit {
    try? flush()
  }

  /// Appends `record` as one line and writes it out now if `flushEachRecord`
  /// is set or the buffer is full.
  ///
  /// - Throws: `ManifestError.nonFiniteNumber(field:)` (nothing is written),
  ///   `.brokenPipe`, `.writeFailed(errno:)`.
  public func write(_ record: Record) throws(ManifestError) {
    guard !isBroken else { throw .brokenPipe }
    try record.encodeLine(into: &pending)
    if flushEachRecord || pending.count >= Self.bufferBytes { try flush() }
  }

  /// Appends bytes that are not a record (the text of `segma info`, a PNG on
  /// stdout), written out on the same terms as records.
  ///
  /// - Throws: `.brokenPipe`, `.writeFailed(errno:)`.
  public func write(bytes: some Sequence<UInt8>) throws(ManifestError) {
    guard !isBroken else { throw .brokenPipe }
    pending.append(contentsOf: bytes)
    if flushEachRecord || pending.count >= Self.bufferBytes { try flush() }
  }

  /// Writes out everything buffered.
  ///
  /// - Throws: `ManifestError.brokenPipe` when the reader has gone,
  ///   `.writeFailed(errno:)` for other failures; the buffered bytes are dropped.
  public func flush() throws(ManifestError) {
    guard !isBroken else { throw .brokenPipe }
    defer { pending.removeAll(keepingCapacity: true) }
    let failure: Int32? = pending.withUnsafeBytes { bytes in
      var written = 0
      while written < bytes.count {
        guard let base = bytes.baseAddress else { return nil }
        let count = systemWrite(fileDescriptor, base + written, bytes.count - written)
        if count >= 0 {
          written += count
        } else if errno != EINTR {
          return errno
        }
      }
      return nil
    }
    guard let failure else { return }
    if failure == EPIPE {
      isBroken = true
      throw .brokenPipe
    }
    throw .writeFailed(errno: failure)
  }
}

/// `write(2)`, named apart from `ManifestWriter.write(_:)`.
private func systemWrite(_ fileDescriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
  write(fileDescriptor, bytes, count)
}
