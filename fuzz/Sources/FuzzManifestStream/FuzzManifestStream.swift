#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Manifest

/// A whole manifest stream through `ManifestReader` over a pipe, as a stage reads
/// stdin, checked against the records of its lines split the simple way.
///
/// The input's length picks the reader's line limit, the batch size and how the
/// stream arrives (a few bytes per `write` up to all at once); so a mutation that adds
/// a byte also tries the same lines another way. One length in eight repeats the input
/// past 128 KiB with runs of spaces between the copies (cheap to read: a blank line,
/// or whitespace after a line's JSON), so the reader's 64 KiB buffer must move partial
/// lines, grow and discard.
///
/// Traps (a finding) when the reader's records or line count differ from the
/// reference, or when it throws on a readable pipe.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifestStream(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let input = UnsafeBufferPointer(start: data, count: size)
  let maxLineBytes = [16, 200, 70_000, 1 << 20][size % 4]
  let batch = [1, 3, 256][size / 4 % 3]
  var bytes = Array(input)
  let isRepeated = size / 12 % 8 == 0
  if isRepeated {
    let spaces = [UInt8](repeating: UInt8(ascii: " "), count: 4096 * (1 + size % 16))
    while bytes.count < 1 << 17 { bytes += spaces + input }
  }
  // Tiny writes cost a system call each: a long stream arrives in large ones.
  let piece = isRepeated ? [4096, Int.max][size / 96 % 2] : [3, 61, 4096, Int.max][size / 96 % 4]

  var ends: [Int32] = [0, 0]
  precondition(pipe(&ends) == 0, "pipe: errno \(errno)")
  let writer = startWriting(bytes, to: ends[1], piece: piece)
  let reader = ManifestReader(fileDescriptor: ends[0], maxLineBytes: maxLineBytes)
  var records: [Record] = []
  do {
    while true {
      let next = try reader.nextBatch(maxCount: batch)
      if next.isEmpty { break }
      precondition(next.count <= batch, "batch of \(next.count), asked for at most \(batch)")
      records += next
    }
  } catch {
    fatalError("reading a pipe failed: \(error)")
  }
  pthread_join(writer, nil)
  close(ends[0])

  let expected = referenceRecords(bytes, maxLineBytes: maxLineBytes)
  precondition(reader.lineNumber == expected.lines, "reader counted \(reader.lineNumber) lines, expected \(expected.lines)")
  precondition(records.count == expected.records.count, "\(records.count) records, expected \(expected.records.count)")
  for (got, wanted) in zip(records, expected.records) {
    precondition(got == wanted, "got \(got), expected \(wanted)")
  }
  return 0
}

/// The records of `bytes` by the reader's documented rules, one line at a time.
func referenceRecords(_ bytes: [UInt8], maxLineBytes: Int) -> (records: [Record], lines: Int) {
  var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
  if lines.last?.isEmpty == true { lines.removeLast() }  // a final newline ends a line, it starts none
  var records: [Record] = []
  for (index, line) in lines.enumerated() {
    let number = index + 1
    if line.count > maxLineBytes {
      let message = "line \(number): longer than \(maxLineBytes) bytes"
      records.append(.error(ErrorRecord(stage: "manifest", message: message, line: number)))
      continue
    }
    let content = line.last == UInt8(ascii: "\r") ? line.dropLast() : line
    if content.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
    records.append(Record.decode(line: content, lineNumber: number))
  }
  return (records, lines.count)
}

/// What the writing thread needs; retained for it until it is done.
final class PipeFeed {
  let bytes: [UInt8]
  let fileDescriptor: Int32
  let piece: Int
  init(bytes: [UInt8], fileDescriptor: Int32, piece: Int) {
    (self.bytes, self.fileDescriptor, self.piece) = (bytes, fileDescriptor, piece)
  }
}

/// A thread that writes `bytes` to `fileDescriptor` at most `piece` bytes per `write`,
/// then closes it: the pipe holds 64 KiB, so the reader must run meanwhile.
func startWriting(_ bytes: [UInt8], to fileDescriptor: Int32, piece: Int) -> pthread_t {
  let feed = Unmanaged.passRetained(PipeFeed(bytes: bytes, fileDescriptor: fileDescriptor, piece: piece))
  var thread = pthread_t()
  let status = pthread_create(&thread, nil, { context in
    let feed = Unmanaged<PipeFeed>.fromOpaque(context!).takeRetainedValue()
    feed.bytes.withUnsafeBytes { raw in
      var written = 0
      while written < raw.count {
        let count = write(feed.fileDescriptor, raw.baseAddress! + written, min(feed.piece, raw.count - written))
        if count < 0 && errno == EINTR { continue }
        precondition(count > 0, "write to pipe: errno \(errno)")
        written += count
      }
    }
    close(feed.fileDescriptor)
    return nil
  }, feed.toOpaque())
  precondition(status == 0, "pthread_create: \(status)")
  return thread
}
