import Foundation
import Testing
@testable import Manifest

/// The stdout writer: whole lines, pipes flushed per record, EPIPE reported.
@Suite struct WriterTests {
  @Test func closedPipeIsBrokenPipe() throws {
    signal(SIGPIPE, SIG_IGN)
    let ends = makePipe()
    close(ends.read)
    defer { close(ends.write) }
    let writer = ManifestWriter(fileDescriptor: ends.write, flushEachRecord: true)
    #expect(throws: ManifestError.brokenPipe) { try writer.write(.image(ImageRecord(id: "a", path: "p"))) }
    #expect(throws: ManifestError.brokenPipe) { try writer.write(.image(ImageRecord(id: "b", path: "p"))) }
    #expect(ManifestError.brokenPipe.description == "broken pipe")
  }

  @Test func otherWriteErrorsKeepTheirErrno() throws {
    let path = temporaryPath("readonly-\(UUID().uuidString)")
    writeFile(path, [])
    defer { unlink(path) }
    let fd = open(path, O_RDONLY)
    defer { close(fd) }
    let writer = ManifestWriter(fileDescriptor: fd, flushEachRecord: false)
    try writer.write(.image(ImageRecord(id: "a", path: "p")))  // buffered, not written yet
    #expect(throws: ManifestError.writeFailed(errno: EBADF)) { try writer.flush() }
  }

  /// Far more than a pipe holds, so `write(2)` returns partial counts.
  @Test func largeFlushThroughAPipeArrivesWhole() throws {
    let ends = makePipe()
    var expected: [UInt8] = []
    let records = (0..<3000).map { Record.image(ImageRecord(id: "\($0)", path: String(repeating: "q", count: 90))) }
    for record in records { try record.encodeLine(into: &expected) }
    let received = ReceivedBytes()
    let thread = Thread {
      received.set(readAll(from: ends.read))
      close(ends.read)
    }
    thread.start()
    let writer = ManifestWriter(fileDescriptor: ends.write, flushEachRecord: false)
    for record in records { try writer.write(record) }
    try writer.flush()
    close(ends.write)
    #expect(received.wait() == expected)
  }

  @Test func eachRecordIsFlushedWhenAsked() throws {
    let ends = makePipe()
    defer { close(ends.read) }
    let writer = ManifestWriter(fileDescriptor: ends.write, flushEachRecord: true)
    try writer.write(.image(ImageRecord(id: "a", path: "p")))
    // Readable now, without flush() and with the pipe still open.
    var buffer = [UInt8](repeating: 0, count: 256)
    let count = buffer.withUnsafeMutableBytes { read(ends.read, $0.baseAddress!, $0.count) }
    #expect(Array(buffer.prefix(max(count, 0))) == Array("{\"v\":1,\"type\":\"image\",\"id\":\"a\",\"path\":\"p\"}\n".utf8))
    close(ends.write)
  }

  @Test func pipesAreStreamsAndFilesAreNot() throws {
    let ends = makePipe()
    defer { close(ends.read); close(ends.write) }
    #expect(ManifestWriter.isStream(fileDescriptor: ends.write))
    let path = temporaryPath("file-\(UUID().uuidString)")
    writeFile(path, [])
    defer { unlink(path) }
    let fd = open(path, O_WRONLY)
    defer { close(fd) }
    #expect(!ManifestWriter.isStream(fileDescriptor: fd))
  }
}

/// Bytes handed from a reader thread to the test.
final class ReceivedBytes: @unchecked Sendable {
  private let condition = NSCondition()
  private var bytes: [UInt8]?

  func set(_ value: [UInt8]) {
    condition.lock()
    bytes = value
    condition.signal()
    condition.unlock()
  }

  func wait() -> [UInt8] {
    condition.lock()
    defer { condition.unlock() }
    while bytes == nil { condition.wait() }
    return bytes ?? []
  }
}
