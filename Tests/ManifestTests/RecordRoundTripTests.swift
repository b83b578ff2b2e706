import Testing
@testable import Manifest

/// Records written and read back are equal, and a read line is written back
/// with the same bytes.
@Suite struct RecordRoundTripTests {
  static let records: [Record] = [
    .latent(latent("shirts/0001")),
    .latent(latent("sample-dress/000001", src: nil)),
    .latent(latent(
      "shirts/0001.transfer-dress.03", z: [0.1, -0.0, Float(bitPattern: 0x0001_16C2), 123_456.79],
      ops: [
        .object([("transfer", .object([("to", .string("dress")), ("t", .number(0.25))]))]),
        .object([("restyle", .object([("style", .string("ref/ü \"x\"")), ("extra", .array([.null, .bool(true), .number(-3)]))]))]),
      ],
      frame: 3, probs: [(className: "dress", p: 0.81), (className: "coat", p: 0.1), (className: "shirt", p: 0.09)])),
    .latent(latent("empty-probs", frame: 1, probs: [])),
    .image(ImageRecord(id: "shirts/0001", path: "out/shirts/0001.png")),
    .image(ImageRecord(id: "😀/\t", path: "/abs/päth\\x")),
    .error(ErrorRecord(stage: "manifest", message: "line 9: invalid json", line: 9)),
    .error(ErrorRecord(id: "shirts/0007", src: "in/shirts/0007.png", stage: "encode", message: "truncated PNG")),
  ]

  @Test(arguments: records)
  func writeThenRead(record: Record) throws {
    let line = try record.encodedLine()
    #expect(line.last == UInt8(ascii: "\n"))
    #expect(line.dropLast().contains(UInt8(ascii: "\n")) == false)
    let decoded = Record.decode(line: line.dropLast(), lineNumber: 1)
    #expect(decoded == record)
    #expect(try decoded.encodedLine() == line)
  }

  @Test func wholeManifestRoundTrips() throws {
    var manifest: [UInt8] = []
    for record in Self.records { try record.encodeLine(into: &manifest) }
    let (records, reader) = try readRecords(manifest)
    #expect(records == Self.records)
    #expect(reader.lineNumber == Self.records.count)
  }

  @Test func keyOrderAndUnknownKeysDoNotMatter() throws {
    let line = #"""
       { "channels" : 1, "future": {"deep": [1, {"x": null}]}, "size": [28, 28], "p": 0.75,
      "class": "shirt", "z": [0.5, -1.25], "model": "sha256:0123456789abcdef",
      "src": "in/a.png", "id": "a", "type": "latent", "v": 1.0, "frame": null, "ops": null } 
      """#
    #expect(decode(line) == .latent(latent("a")))
    #expect(try encodedText(decode(line)) == """
      {"v":1,"type":"latent","id":"a","src":"in/a.png","model":"sha256:0123456789abcdef",\
      "z":[0.5,-1.25],"class":"shirt","p":0.75,"size":[28,28],"channels":1}\n
      """)
  }

  @Test func absentSourceMeansNone() {
    let line = #"{"v":1,"type":"latent","id":"s","model":"sha256:0123456789abcdef","z":[0.5,-1.25],"class":"shirt","p":0.75,"size":[28,28],"channels":1}"#
    #expect(decode(line) == .latent(latent("s", src: nil)))
  }

  @Test func errorRecordsPassThroughUnchanged() throws {
    let line = #"{"v":1,"type":"error","id":"x/1","src":"in/x/1.png","stage":"transfer","message":"model mismatch: sha256:a vs sha256:b"}"#
    let record = decode(line, lineNumber: 40)
    #expect(record == .error(ErrorRecord(
      id: "x/1", src: "in/x/1.png", stage: "transfer", message: "model mismatch: sha256:a vs sha256:b")))
    #expect(try encodedText(record) == line + "\n")
    #expect(record.id == "x/1")
  }

  @Test func equalityComparesEveryField() {
    let base = latent("a", probs: [(className: "x", p: 0.5)])
    var other = base
    other.probs = [(className: "y", p: 0.5)]
    #expect(base != other)
    other = base
    other.ops = [.object([])]
    #expect(base != other)
    other = base
    other.size = ImageSize(width: 28, height: 29)
    #expect(base != other)
    #expect(JSONValue.object([("a", .null), ("b", .null)]) != .object([("b", .null), ("a", .null)]))
  }
}
