import Manifest

/// One manifest line as every stage reads it, then the writer's round trip: whatever
/// record a line becomes (an error record for a bad line) is written and read back
/// unchanged, and `JSONParser` gives a value or a `JSONParseError`.
///
/// Traps (a finding) when the written record cannot be written, is not one line, or
/// reads back as a different record.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifestLine(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let line = UnsafeBufferPointer(start: data, count: size)
  _ = try? JSONParser.parse(line)
  let record = Record.decode(line: line, lineNumber: 7)
  let written: [UInt8]
  do {
    written = try record.encodedLine()
  } catch {
    fatalError("a record read from a line cannot be written: \(error)")
  }
  precondition(written.firstIndex(of: UInt8(ascii: "\n")) == written.count - 1, "written record is not one line")
  let again = Record.decode(line: written.dropLast(), lineNumber: 7)
  precondition(again == record, "read back \(again), wrote \(record)")
  return 0
}
