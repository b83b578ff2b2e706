import Testing
@testable import Manifest

/// Every malformed line becomes one error record with its line number.
@Suite struct MalformedLineTests {
  static let good = #"{"v":1,"type":"latent","id":"a","src":"in/a.png","model":"sha256:0123456789abcdef","z":[0.5,-1.25],"class":"shirt","p":0.75,"size":[28,28],"channels":1}"#

  /// `good` with `old` replaced by `new`.
  static func variant(_ old: String, _ new: String) -> String {
    precondition(good.contains(old))
    return good.replacingOccurrences(of: old, with: new)
  }

  @Test func aStreamOfBadLines() throws {
    var manifest: [UInt8] = []
    func add(_ line: String) { manifest += Array(line.utf8) + [UInt8(ascii: "\n")] }
    add(Self.good)  // 1
    add(#"{"v":1,"type":"latent","id":"cut","src":nu"#)  // 2
    add("")  // 3, blank
    add(Self.variant(#""channels":1"#, #""channels":1,"#))  // 4
    add(Self.variant("0.5,", "NaN,"))  // 5
    add(Self.variant("0.5,", "1e999,"))  // 6
    manifest += Array(#"{"v":1,"type":"image","id":"bad-utf8","path":"x"#.utf8) + [0xC3, 0x28] + Array("\"}\n".utf8)  // 7
    add(Self.variant("[0.5,-1.25]", #""0.5""#))  // 8
    add(Self.variant("[0.5,-1.25]", "[]"))  // 9
    add(Self.variant(#""v":1"#, #""v":2"#))  // 10
    add(Self.variant(#""type":"latent""#, #""type":"thumbnail""#))  // 11
    add(Self.variant("[28,28]", "[28,28,1]"))  // 12
    add(Self.variant(#""id":"a","#, ""))  // 13
    add("   \t\r")  // 14, blank
    add(Self.good.replacingOccurrences(of: #""a""#, with: #""last""#) + "\r")  // 15, CRLF
    let (records, reader) = try readRecords(manifest)
    let expected: [Record] = [
      .latent(latent("a")),
      manifestError("invalid json at column 41: invalid literal (expected null)", line: 2, id: "cut"),
      manifestError("invalid json at column 153: trailing comma", line: 4, id: "a"),
      manifestError("invalid json at column 89: unexpected 'N'", line: 5, id: "a"),
      manifestError("invalid json at column 89: number out of range", line: 6, id: "a"),
      manifestError("invalid json at column 48: invalid utf-8", line: 7, id: "bad-utf8"),
      manifestError(#"field "z" must be an array of numbers"#, line: 8, id: "a"),
      manifestError(#"field "z" must not be empty"#, line: 9, id: "a"),
      manifestError("unsupported version 2", line: 10, id: "a"),
      manifestError(#"unknown record type "thumbnail""#, line: 11, id: "a"),
      manifestError(#"field "size" must be [width, height] with positive integers"#, line: 12, id: "a"),
      manifestError(#"missing field "id""#, line: 13),
      .latent(latent("last")),
    ]
    #expect(records.count == expected.count)
    for (record, want) in zip(records, expected) { #expect(record == want) }
    #expect(reader.lineNumber == 15)
  }

  @Test(arguments: [
    (variant(#""channels":1"#, #""channels":5"#), #"field "channels" must be an integer in 1...4"#),
    (variant(#""channels":1"#, #""channels":1.5"#), #"field "channels" must be an integer in 1...4"#),
    (variant(#""channels":1"#, #""channels":1,"frame":-1"#), #"field "frame" must be an integer from 1"#),
    (variant(#""channels":1"#, #""channels":1,"frame":0"#), #"field "frame" must be an integer from 1"#),
    (variant(#""channels":1"#, #""channels":1,"ops":[1]"#), #"field "ops" must be an array of objects"#),
    (variant(#""channels":1"#, #""channels":1,"probs":{"a":"b"}"#), #"field "probs" must be an object of numbers"#),
    (variant(#""channels":1"#, #""channels":1,"probs":{"a":1e39}"#), #"probs["a"] is out of float range"#),
    (variant(#""channels":1"#, #""channels":1,"z":[1]"#), #"duplicate field "z""#),
    (variant("[28,28]", "[0,28]"), #"field "size" must be [width, height] with positive integers"#),
    (variant("[28,28]", #"[28,"28"]"#), #"field "size" must be [width, height] with positive integers"#),
    (variant("0.5,", #""x","#), #"field "z" must be an array of numbers"#),
    (variant("-1.25", "1e39"), "z[1] is out of float range"),
    (variant("0.75", #""high""#), #"field "p" must be a number"#),
    (variant("0.75", "-4e38"), "p is out of float range"),
    (variant(#""src":"in/a.png""#, #""src":7"#), #"field "src" must be a string or null"#),
    (variant(#""class":"shirt""#, #""class":null"#), #"field "class" must be a string"#),
    (variant(#""v":1"#, #""v":"1""#), #"field "v" must be an integer"#),
    (variant(#""type":"latent""#, #""type":"a\u0007b""#), #"unknown record type "a\u0007b""#),
    (#"{"v":1,"type":"image","id":"a"}"#, #"missing field "path""#),
    (#"{"v":1,"type":"error","message":"m"}"#, #"missing field "stage""#),
    (#"{"v":1,"type":"error","stage":"s","message":"m","line":0}"#, #"field "line" must be a positive integer"#),
    (#"{"type":"image","id":"a","path":"p"}"#, #"missing field "v""#),
    ("[1,2]", "not a json object"),
  ])
  func fieldProblems(line: String, message: String) {
    let record = decode(line, lineNumber: 7)
    #expect(record == manifestError(message, line: 7, id: "a") || record == manifestError(message, line: 7))
    if case .error(let error) = record {
      #expect(error.message == "line 7: " + message)
    }
  }

  @Test(arguments: [
    ("", "invalid json at column 1: unexpected end of input"),
    (#"{"v":1,}"#, "invalid json at column 8: trailing comma"),
    (#"{"v":1} x"#, "invalid json at column 9: unexpected 'x' after the value"),
    (#"{"v":01}"#, "invalid json at column 6: leading zero in number"),
    (#"{"v":1,"id":"a\u0000"} {"#, "invalid json at column 24: unexpected '{' after the value"),
  ])
  func syntaxProblems(line: String, message: String) {
    guard case .error(let error) = decode(line, lineNumber: 3) else {
      Issue.record("accepted: \(line)")
      return
    }
    #expect(error.message == "line 3: " + message)
    #expect(error.line == 3 && error.stage == "manifest" && error.src == nil)
  }

  @Test func idIsKeptWhenItCouldBeRead() {
    #expect(decode(#"{"id":"x/1","v":1,"type":"latent","z":[1,]}"#).id == "x/1")
    #expect(decode(#"{"v":1,"type":"latent","z":[1,],"id":"x/1"}"#).id == nil)
    #expect(decode(#"{"id":5,"v":1,"type":"latent"}"#).id == nil)
  }
}
