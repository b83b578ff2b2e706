#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads records from a JSON Lines stream, one line at a time, in bounded memory.
///
/// Goals, in order: every line accounted for (a bad line becomes an error
/// record with its line number, never a thrown error or a silent skip),
/// memory bounded by `maxLineBytes` plus one chunk whatever the input, and
/// records handed out as soon as their line has arrived, so a stage in a
/// pipe works while its upstream is still producing.
///
/// Lines are split on `\n`; a `\r` before it is dropped; lines holding only
/// whitespace are skipped but counted. Lines are numbered from 1. A line longer
/// than `maxLineBytes` is not kept: its bytes are dropped up to the next
/// newline and it becomes one error record. A last line without a newline is
/// still read. The descriptor should be blocking.
public final class ManifestReader {
  /// Bytes asked of each `read(2)`.
  static let chunkBytes = 1 << 16

  private let fileDescriptor: Int32
  private let closesDescriptor: Bool
  /// The longest line accepted: the bytes before its `\n`, a `\r` included.
  public let maxLineBytes: Int
  /// The number of the last line read, blank lines included.
  public private(set) var lineNumber = 0
  /// The largest the read buffer has been, in bytes; tests check it stays bounded.
  internal private(set) var peakBufferBytes = 0

  private var buffer: UnsafeMutableBufferPointer<UInt8>
  /// Unconsumed bytes are `buffer[start..<end]`; no newline lies in `start..<scanned`.
  private var start = 0
  private var end = 0
  private var scanned = 0
  /// Dropping the rest of an overlong line.
  private var isDiscarding = false
  private var isAtEnd = false

  /// A reader of `fileDescriptor`, which stays open: the caller owns it.
  ///
  /// - Parameter maxLineBytes: lines longer than this (bytes before the `\n`)
  ///   become error records; the buffer never exceeds it plus 64 KiB.
  public convenience init(fileDescriptor: Int32, maxLineBytes: Int = 1 << 20) {
    self.init(fileDescriptor: fileDescriptor, maxLineBytes: maxLineBytes, closesDescriptor: false)
  }

  /// A reader of the file at `path`, closed when the reader goes away.
  ///
  /// - Throws: `ManifestError.openFailed(path:errno:)`.
  public convenience init(path: String, maxLineBytes: Int = 1 << 20) throws(ManifestError) {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw .openFailed(path: path, errno: errno) }
    self.init(fileDescriptor: descriptor, maxLineBytes: maxLineBytes, closesDescriptor: true)
  }

  private init(fileDescriptor: Int32, maxLineBytes: Int, closesDescriptor: Bool) {
    self.fileDescriptor = fileDescriptor
    self.closesDescriptor = closesDescriptor
    self.maxLineBytes = max(1, maxLineBytes)
    // Two chunks: a partial line of up to one chunk plus a full read still fit
    // without growing, so ordinary manifests never reallocate. Never more
    // than the bound promised for any line limit.
    buffer = .allocate(capacity: min(2 * Self.chunkBytes, self.maxLineBytes + Self.chunkBytes))
    peakBufferBytes = buffer.count
  }

  deinit {
    buffer.deallocate()
    if closesDescriptor { close(fileDescriptor) }
  }

  /// The next record, or nil at the end of the stream. Blocks until a whole
  /// line (or the end) has arrived.
  ///
  /// - Throws: `ManifestError.readFailed(errno:)` when `read(2)` fails, `.interrupted`
  ///   when a signal interrupted it (no record is lost; calling again goes on).
  public func next() throws(ManifestError) -> Record? {
    while true {
      switch nextBuffered() {
      case .record(let record): return record
      case .end: return nil
      case .needData: try fill()
      }
    }
  }

  /// Up to `maxCount` records: returns once `maxCount` are ready, or once the
  /// bytes already read are used up and at least one record is ready, so a
  /// slow pipe never holds back records that have arrived. Empty only at the
  /// end of the stream.
  ///
  /// - Throws: `ManifestError.readFailed(errno:)` when `read(2)` fails, `.interrupted`
  ///   when a signal interrupted it (no record is lost; calling again goes on).
  public func nextBatch(maxCount: Int) throws(ManifestError) -> [Record] {
    var records: [Record] = []
    while records.count < maxCount {
      switch nextBuffered() {
      case .record(let record): records.append(record)
      case .end: return records
      case .needData:
        if !records.isEmpty { return records }
        try fill()
      }
    }
    return records
  }

  private enum Step {
    case record(Record)
    case needData
    case end
  }

  /// The next record from the bytes already read, without reading more.
  private func nextBuffered() -> Step {
    while true {
      let newline = findNewline()
      guard newline != nil || isAtEnd else {
        if isDiscarding || end - start > maxLineBytes {
          // Too long already: drop what we hold and keep only the count.
          isDiscarding = true
          start = 0
          end = 0
          scanned = 0
        }
        return .needData
      }
      guard newline != nil || start < end || isDiscarding else { return .end }
      let lineEnd = newline ?? end
      let lineStart = start
      start = newline.map { $0 + 1 } ?? end
      scanned = start
      lineNumber += 1
      if isDiscarding || lineEnd - lineStart > maxLineBytes {
        isDiscarding = false
        return .record(Record.malformedLine(lineNumber, id: nil, problem: "longer than \(maxLineBytes) bytes"))
      }
      var contentEnd = lineEnd
      if contentEnd > lineStart, buffer[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
      let line = UnsafeBufferPointer(rebasing: buffer[lineStart..<contentEnd])
      if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
      return .record(Record.decode(line: line, lineNumber: lineNumber))
    }
  }

  /// The index of the next newline in the unconsumed bytes, remembering how
  /// far it looked so bytes are scanned once.
  private func findNewline() -> Int? {
    guard scanned < end, let base = buffer.baseAddress else { return nil }
    guard let found = memchr(base + scanned, Int32(UInt8(ascii: "\n")), end - scanned) else {
      scanned = end
      return nil
    }
    return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
  }

  /// Reads once into the free space after the unconsumed bytes; sets `isAtEnd` at end of file.
  private func fill() throws(ManifestError) {
    if buffer.count - end < Self.chunkBytes && start > 0 {
      // Move the partial line to the front instead of growing.
      let pending = end - start
      if pending > 0, let base = buffer.baseAddress { memmove(base, base + start, pending) }
      scanned -= start
      end = pending
      start = 0
    }
    if buffer.count - end < Self.chunkBytes {
      // Only a line of up to maxLineBytes is ever kept, so this stops at maxLineBytes + one chunk.
      let capacity = min(max(2 * buffer.count, end + Self.chunkBytes), maxLineBytes + Self.chunkBytes)
      let grown = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(capacity, end + Self.chunkBytes))
      _ = grown.initialize(fromContentsOf: buffer[0..<end])
      buffer.deallocate()
      buffer = grown
      peakBufferBytes = max(peakBufferBytes, buffer.count)
    }
    while true {
      guard let base = buffer.baseAddress else { return }
      let count = read(fileDescriptor, base + end, buffer.count - end)
      if count > 0 {
        end += count
        return
      }
      if count == 0 {
        isAtEnd = true
        return
      }
      // A signal handler ran: the caller decides whether to stop or to call again.
      throw errno == EINTR ? .interrupted : .readFailed(errno: errno)
    }
  }
}
