import Testing
@testable import Manifest

/// The exact bytes of each record kind: key order, escaping, float forms.
@Suite struct GoldenLineTests {
  @Test func latentWithEveryField() throws {
    let record = LatentRecord(
      id: "shirts/0001", src: "in/shirts/0001.png", model: "sha256:0123456789abcdef",
      z: [0.1, -1.5, 1e-05, 0, -0.0, 3.4028235e38], className: "shirt", p: 0.93,
      size: ImageSize(width: 28, height: 32), channels: 1,
      ops: [.object([("transfer", .object([("to", .string("dress")), ("t", .number(0.5))]))])],
      frame: 3, probs: [(className: "shirt", p: 0.93), (className: "dress", p: 0.05)])
    #expect(try encodedText(.latent(record)) == """
      {"v":1,"type":"latent","id":"shirts/0001","src":"in/shirts/0001.png",\
      "model":"sha256:0123456789abcdef","z":[0.1,-1.5,1e-05,0.0,-0.0,3.4028235e+38],\
      "class":"shirt","p":0.93,"size":[28,32],"channels":1,\
      "ops":[{"transfer":{"to":"dress","t":0.5}}],"frame":3,\
      "probs":{"shirt":0.93,"dress":0.05}}\n
      """)
  }

  @Test func sampleHasNullSourceAndLeavesOutEmptyOptionals() throws {
    let record = LatentRecord(
      id: "sample-dress/000001", src: nil, model: "sha256:00000000000000ff", z: [1, 2.5],
      className: "dress", p: 1, size: ImageSize(width: 64, height: 48), channels: 3)
    #expect(try encodedText(.latent(record)) == """
      {"v":1,"type":"latent","id":"sample-dress/000001","src":null,\
      "model":"sha256:00000000000000ff","z":[1.0,2.5],"class":"dress","p":1.0,\
      "size":[64,48],"channels":3}\n
      """)
  }

  @Test func imageEscapesQuoteAndBackslashButNotSlashOrNonASCII() throws {
    let record = ImageRecord(id: #"a"b\c/é"#, path: "out/tröja/😀.png")
    #expect(try encodedText(.image(record)) == #"""
      {"v":1,"type":"image","id":"a\"b\\c/é","path":"out/tröja/😀.png"}

      """#)
  }

  @Test func errorWithUnknownIdAndControlCharacters() throws {
    let record = ErrorRecord(stage: "manifest", message: "line 3: a\nb\tc\r\u{8}\u{C}\u{1}\u{1F}\u{7F}", line: 3)
    // DEL (0x7f) is not a control character for JSON and stays raw.
    #expect(try encodedText(.error(record)) == #"""
      {"v":1,"type":"error","id":null,"src":null,"stage":"manifest",\#
      "message":"line 3: a\nb\tc\r\b\f\u0001\u001f\#u{7F}","line":3}

      """#)
  }

  @Test func errorWithKnownIdAndNoLine() throws {
    let record = ErrorRecord(id: "shirts/0007", src: "in/shirts/0007.png", stage: "encode", message: "truncated PNG")
    #expect(try encodedText(.error(record)) == """
      {"v":1,"type":"error","id":"shirts/0007","src":"in/shirts/0007.png",\
      "stage":"encode","message":"truncated PNG"}\n
      """)
  }

  @Test func nonFiniteFloatsAreRefusedWithoutWritingHalfALine() {
    var buffer = Array("kept\n".utf8)
    #expect(throws: ManifestError.nonFiniteNumber(field: "z")) {
      try Record.latent(latent("a", z: [1, .nan])).encodeLine(into: &buffer)
    }
    #expect(throws: ManifestError.nonFiniteNumber(field: "p")) {
      var record = latent("a")
      record.p = .infinity
      try Record.latent(record).encodeLine(into: &buffer)
    }
    #expect(throws: ManifestError.nonFiniteNumber(field: "probs")) {
      try Record.latent(latent("a", probs: [(className: "x", p: -.infinity)])).encodeLine(into: &buffer)
    }
    #expect(throws: ManifestError.nonFiniteNumber(field: "ops")) {
      try Record.latent(latent("a", ops: [.object([("t", .number(.nan))])])).encodeLine(into: &buffer)
    }
    #expect(buffer == Array("kept\n".utf8))
  }

  @Test func encodeLineAppends() throws {
    var buffer = Array("{}\n".utf8)
    try Record.image(ImageRecord(id: "a", path: "b")).encodeLine(into: &buffer)
    #expect(String(decoding: buffer, as: UTF8.self) == "{}\n{\"v\":1,\"type\":\"image\",\"id\":\"a\",\"path\":\"b\"}\n")
  }

  @Test func jsonValuesKeepOrderAndIntegers() throws {
    var writer = JSONWriter()
    try writer.write(.object([
      ("b", .array([.number(12), .number(-0.0), .number(0.5), .number(1e300), .number(-3)])),
      ("a", .object([])), ("c", .array([])), ("d", .bool(true)), ("e", .null), ("f", .bool(false)),
      ("g", JSONValue.float(0.1)),
    ]))
    #expect(String(decoding: writer.bytes, as: UTF8.self)
      == #"{"b":[12,-0,0.5,1e+300,-3],"a":{},"c":[],"d":true,"e":null,"f":false,"g":0.1}"#)
    #expect(JSONValue.number(Double(Float(0.1))) != JSONValue.float(0.1))
  }

  @Test func doublesAndIntsUseShortestForms() throws {
    var writer = JSONWriter()
    try writer.writeDouble(0.1)
    writer.bytes.append(UInt8(ascii: " "))
    try writer.writeDouble(1e-7)
    writer.bytes.append(UInt8(ascii: " "))
    writer.writeInt(-42)
    writer.bytes.append(UInt8(ascii: " "))
    try writer.writeFloat(0.1)
    writer.bytes.append(UInt8(ascii: " "))
    try writer.writeFloat(Float.leastNonzeroMagnitude)
    #expect(String(decoding: writer.bytes, as: UTF8.self) == "0.1 1e-07 -42 0.1 1e-45")
    #expect(throws: ManifestError.nonFiniteNumber(field: "t")) { try writer.writeDouble(.infinity, field: "t") }
  }
}
