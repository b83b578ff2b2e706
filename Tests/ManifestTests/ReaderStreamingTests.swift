import Foundation
import Testing
@testable import Manifest

/// The reader streams in bounded memory and numbers every line.
@Suite struct ReaderStreamingTests {
  @Test func hundredThousandRecordsInBoundedMemory() throws {
    // Lines are made from one encoded template (the writer has its own tests),
    // which keeps this test fast in debug builds.
    let template = try Record.latent(latent("#", z: [0.25, -1.5, 3])).encodedLine()
    let hash = try #require(template.firstIndex(of: UInt8(ascii: "#")))
    var manifest: [UInt8] = []
    manifest.reserveCapacity(100_000 * (template.count + 12))
    for i in 0..<100_000 {
      manifest += template[..<hash]
      manifest += Array("shirts/\(i)".utf8)
      manifest += template[(hash + 1)...]
    }
    let path = temporaryPath("stream-\(UUID().uuidString)")
    defer { unlink(path) }
    writeFile(path, manifest)

    let reader = try ManifestReader(path: path)
    var count = 0
    var lastId: String?
    var batches = 0
    while true {
      let batch = try reader.nextBatch(maxCount: 256)
      if batch.isEmpty { break }
      batches += 1
      #expect(batch.count <= 256)
      for record in batch {
        guard case .latent(let read) = record else {
          Issue.record("line \(count + 1): \(record)")
          continue
        }
        if read.id != "shirts/\(count)" { Issue.record("line \(count + 1) has id \(read.id)") }
        count += 1
        lastId = read.id
      }
    }
    #expect(count == 100_000)
    #expect(lastId == "shirts/99999")
    #expect(reader.lineNumber == 100_000)
    #expect(batches >= 100_000 / 256)
    #expect(reader.peakBufferBytes <= 256 * 1024)
    #expect(reader.peakBufferBytes == 2 * ManifestReader.chunkBytes)  // never grew
    #expect(try reader.next() == nil)
  }

  /// A 5 MB line without a newline is dropped as it streams past.
  @Test func overlongLineBecomesOneErrorRecord() throws {
    var manifest = try Record.latent(latent("before")).encodedLine()
    manifest += Array(repeating: UInt8(ascii: "x"), count: 5_000_000) + [UInt8(ascii: "\n")]
    manifest += try Record.latent(latent("after")).encodedLine()
    manifest += try Record.image(ImageRecord(id: "i", path: "p")).encodedLine()
    let (records, reader) = try readRecords(manifest)
    #expect(records == [
      .latent(latent("before")),
      manifestError("longer than 1048576 bytes", line: 2),
      .latent(latent("after")),
      .image(ImageRecord(id: "i", path: "p")),
    ])
    #expect(reader.peakBufferBytes <= reader.maxLineBytes + ManifestReader.chunkBytes)
    #expect(reader.peakBufferBytes >= reader.maxLineBytes)  // it did hold a line up to the limit
  }

  @Test func lineLimitIsExact() throws {
    let good = try Array(Record.image(ImageRecord(id: "a", path: "p")).encodedLine().dropLast())
    /// `good` padded with spaces before its `}` to `count` bytes.
    func padded(_ count: Int) -> [UInt8] {
      good.dropLast() + Array(repeating: UInt8(ascii: " "), count: count - good.count) + [UInt8(ascii: "}")]
    }
    var manifest = padded(200) + [UInt8(ascii: "\n")]
    manifest += padded(201) + [UInt8(ascii: "\n")]
    manifest += padded(200) + Array("\r\n".utf8)  // the \r counts: 201
    manifest += padded(199) + Array("\r\n".utf8)  // 200 with the \r
    manifest += Array(repeating: UInt8(ascii: "y"), count: 300)  // overlong, then end of file
    let (records, reader) = try readRecords(manifest, maxLineBytes: 200)
    #expect(records == [
      .image(ImageRecord(id: "a", path: "p")),
      manifestError("longer than 200 bytes", line: 2),
      manifestError("longer than 200 bytes", line: 3),
      .image(ImageRecord(id: "a", path: "p")),
      manifestError("longer than 200 bytes", line: 5),
    ])
    #expect(reader.peakBufferBytes <= 200 + ManifestReader.chunkBytes)
  }

  @Test func lastLineWithoutNewline() throws {
    let line = try Record.image(ImageRecord(id: "a", path: "p")).encodedLine()
    var (records, _) = try readRecords(line + line.dropLast())
    #expect(records == [.image(ImageRecord(id: "a", path: "p")), .image(ImageRecord(id: "a", path: "p"))])
    (records, _) = try readRecords(line + line.prefix(20))
    #expect(records == [
      .image(ImageRecord(id: "a", path: "p")),
      manifestError("invalid json at column 15: unterminated string", line: 2),
    ])
    (records, _) = try readRecords([])
    #expect(records.isEmpty)
    (records, _) = try readRecords(Array("\n\n  \n".utf8))
    #expect(records.isEmpty)
  }

  @Test func linesSplitAcrossReadsAreJoined() throws {
    // Records of every length around the chunk size cross read boundaries.
    var manifest: [UInt8] = []
    var expected: [Record] = []
    for i in 0..<400 {
      let record = Record.image(ImageRecord(id: "\(i)", path: String(repeating: "p", count: i * 37 % 1000)))
      try record.encodeLine(into: &manifest)
      expected.append(record)
    }
    let (records, _) = try readRecords(manifest)
    #expect(records == expected)
  }

  /// Records that have arrived are handed out while the writer keeps the pipe open.
  @Test func batchReturnsWhatHasArrived() throws {
    let ends = makePipe()
    defer { close(ends.read) }
    // If nextBatch waited for more, the watchdog's close would end the wait.
    let watchdog = DelayedClose(fileDescriptor: ends.write, seconds: 5)
    var lines: [UInt8] = []
    for i in 1...3 { try Record.image(ImageRecord(id: "\(i)", path: "p")).encodeLine(into: &lines) }
    writeAll(lines, to: ends.write)
    let reader = ManifestReader(fileDescriptor: ends.read)
    let batch = try reader.nextBatch(maxCount: 100)
    #expect(batch.map(\.id) == ["1", "2", "3"])
    try #require(!watchdog.hasClosed, "nextBatch waited for the writer to close the pipe")
    // Half a line stays buffered until its newline arrives.
    writeAll(Array(#"{"v":1,"type":"image","id":"4","#.utf8), to: ends.write)
    writeAll(Array(#""path":"p"}"#.utf8) + [UInt8(ascii: "\n")], to: ends.write)
    #expect(try reader.nextBatch(maxCount: 100).map(\.id) == ["4"])
    try #require(watchdog.cancel(), "nextBatch waited for the writer to close the pipe")
    close(ends.write)
    #expect(try reader.nextBatch(maxCount: 100).isEmpty)
  }

  @Test func readErrorsAreThrown() throws {
    let directory = open(FileManager.default.temporaryDirectory.path, O_RDONLY | O_DIRECTORY)
    try #require(directory >= 0)
    defer { close(directory) }
    let reader = ManifestReader(fileDescriptor: directory)
    #expect(throws: ManifestError.readFailed(errno: EISDIR)) { try reader.next() }
    #expect(throws: ManifestError.openFailed(path: "/nonexistent/m.jsonl", errno: ENOENT)) {
      try ManifestReader(path: "/nonexistent/m.jsonl")
    }
    #expect(ManifestError.readFailed(errno: EISDIR).description == "cannot read manifest: is a directory")
  }
}

/// Closes a descriptor after a delay unless cancelled first, so a test that
/// would block forever on a pipe fails instead.
final class DelayedClose: @unchecked Sendable {
  private let lock = NSLock()
  private var isCancelled = false
  private var hasFired = false

  init(fileDescriptor: Int32, seconds: Double) {
    DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
      lock.lock()
      defer { lock.unlock() }
      if !isCancelled {
        isCancelled = true
        hasFired = true
        close(fileDescriptor)
      }
    }
  }

  /// Whether the delay ran out and the descriptor was closed.
  var hasClosed: Bool {
    lock.lock()
    defer { lock.unlock() }
    return hasFired
  }

  /// True when the descriptor was not closed yet (and now will not be).
  func cancel() -> Bool {
    lock.lock()
    defer { lock.unlock() }
    let wasPending = !isCancelled
    isCancelled = true
    return wasPending
  }
}
