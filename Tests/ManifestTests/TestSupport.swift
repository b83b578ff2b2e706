import Foundation
@testable import Manifest
@_exported import TestSupport

/// A temporary file path, removed by `cleanUp`.
func temporaryPath(_ name: String) -> String {
  let directory = FileManager.default.temporaryDirectory.path
  return "\(directory)/segma-manifest-\(getpid())-\(name)"
}

/// Writes all of `bytes` to `fileDescriptor`.
func writeAll(_ bytes: [UInt8], to fileDescriptor: Int32) {
  bytes.withUnsafeBytes { raw in
    var written = 0
    while written < raw.count {
      let count = write(fileDescriptor, raw.baseAddress! + written, raw.count - written)
      if count < 0 && errno == EINTR { continue }
      precondition(count > 0, "test could not write: errno \(errno)")
      written += count
    }
  }
}

/// Every byte from `fileDescriptor` until end of file.
func readAll(from fileDescriptor: Int32) -> [UInt8] {
  var result: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 1 << 16)
  while true {
    let count = chunk.withUnsafeMutableBytes { read(fileDescriptor, $0.baseAddress!, $0.count) }
    if count < 0 && errno == EINTR { continue }
    if count <= 0 { return result }
    result.append(contentsOf: chunk[0..<count])
  }
}

/// A pipe as (read end, write end).
func makePipe() -> (read: Int32, write: Int32) {
  var ends: [Int32] = [0, 0]
  precondition(pipe(&ends) == 0, "pipe failed")
  return (ends[0], ends[1])
}

/// Writes `bytes` to a new file at `path`.
func writeFile(_ path: String, _ bytes: [UInt8]) {
  let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
  precondition(fd >= 0, "cannot create \(path)")
  writeAll(bytes, to: fd)
  close(fd)
}

/// All records of a manifest held in memory, read through a temporary file.
func readRecords(_ bytes: [UInt8], maxLineBytes: Int = 1 << 20) throws -> (records: [Record], reader: ManifestReader) {
  let path = temporaryPath("read-\(UUID().uuidString)")
  writeFile(path, bytes)
  defer { unlink(path) }
  let reader = try ManifestReader(path: path, maxLineBytes: maxLineBytes)
  var records: [Record] = []
  while let record = try reader.next() { records.append(record) }
  return (records, reader)
}

/// The line a record encodes to, as text.
func encodedText(_ record: Record) throws -> String {
  String(decoding: try record.encodedLine(), as: UTF8.self)
}

/// Decodes one line given as text.
func decode(_ line: String, lineNumber: Int = 1) -> Record {
  Record.decode(line: Array(line.utf8), lineNumber: lineNumber)
}

/// The error record a malformed line must become.
func manifestError(_ message: String, line: Int, id: String? = nil) -> Record {
  .error(ErrorRecord(id: id, src: nil, stage: "manifest", message: "line \(line): \(message)", line: line))
}

/// A latent record for tests; `z` defaults to a short vector.
func latent(
  _ id: String, z: [Float] = [0.5, -1.25], src: String? = "in/a.png", ops: [JSONValue] = [],
  frame: Int? = nil, probs: [(className: String, p: Float)]? = nil
) -> LatentRecord {
  LatentRecord(
    id: id, src: src, model: "sha256:0123456789abcdef", z: z, className: "shirt", p: 0.75,
    size: ImageSize(width: 28, height: 28), channels: 1, ops: ops, frame: frame, probs: probs)
}
