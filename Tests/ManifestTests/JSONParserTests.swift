import Foundation
import Testing
@testable import Manifest

/// RFC 8259 conformance of the parser: what it accepts, what it rejects and where.
@Suite struct JSONParserTests {
  /// The error for `text`, or nil when it parses.
  func failure(_ text: String) -> JSONParseError? {
    do throws(JSONParseError) {
      _ = try JSONParser.parse(text)
      return nil
    } catch {
      return error
    }
  }

  func failure(_ bytes: [UInt8]) -> JSONParseError? {
    do throws(JSONParseError) {
      _ = try JSONParser.parse(bytes)
      return nil
    } catch {
      return error
    }
  }

  @Test func nestingIsLimitedTo64() throws {
    let deepest = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
    #expect(failure(deepest) == nil)
    let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
    #expect(failure(tooDeep) == JSONParseError("nesting deeper than 64", at: 64))
    let mixed = String(repeating: #"{"a":["#, count: 32) + "1" + String(repeating: "]}", count: 32)
    #expect(failure(mixed) == nil)
    let mixedTooDeep = "[" + mixed + "]"
    #expect(failure(mixedTooDeep)?.message == "nesting deeper than 64")
    // Far deeper input fails the same way instead of exhausting the stack.
    #expect(failure(String(repeating: "[", count: 100_000))?.offset == 64)
  }

  @Test func surrogatePairs() throws {
    #expect(try JSONParser.parse(#""\uD83D\uDE00 \u00e9\u0041\u20AC""#) == .string("😀 éA€"))
    #expect(try JSONParser.parse(#""\u0000""#) == .string("\u{0}"))
    #expect(failure(#""\uD83D""#) == JSONParseError("unpaired surrogate", at: 1))
    #expect(failure(#""\uD83Dx""#) == JSONParseError("unpaired surrogate", at: 1))
    #expect(failure(#""\uD83D\u0041""#) == JSONParseError("unpaired surrogate", at: 1))
    #expect(failure(#""ab\uDE00""#) == JSONParseError("unpaired surrogate", at: 3))
    #expect(failure(#""\u12G4""#) == JSONParseError(#"invalid \u escape"#, at: 1))
    #expect(failure(#""\u12""#) == JSONParseError(#"invalid \u escape"#, at: 1))
  }

  @Test func escapesAndControlCharacters() throws {
    #expect(try JSONParser.parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{8}\u{C}\n\r\t"))
    #expect(failure(#""\x""#) == JSONParseError("invalid escape", at: 1))
    #expect(failure("\"a\tb\"") == JSONParseError("unescaped control character byte 0x09 in string", at: 2))
    #expect(failure("\"é\nb\"") == JSONParseError("unescaped control character byte 0x0a in string", at: 3))
    #expect(failure(#""abc"#) == JSONParseError("unterminated string", at: 0))
    #expect(failure(#""abc\"#) == JSONParseError("unterminated string", at: 4))
  }

  @Test(arguments: [
    ([0x22, 0xC0, 0x80, 0x22], 1),  // overlong NUL
    ([0x22, 0xE0, 0x80, 0x80, 0x22], 1),  // overlong 3-byte form
    ([0x22, 0xED, 0xA0, 0x80, 0x22], 1),  // UTF-16 surrogate in UTF-8
    ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1),  // above U+10FFFF
    ([0x22, 0x61, 0xE2, 0x82, 0x22], 2),  // truncated sequence
    ([0x22, 0x80, 0x22], 1),  // lone continuation byte
    ([0x22, 0xFF, 0x22], 1),
    ([0x22, 0x61, 0xC3], 2),  // cut at the end of input
    ([0xEF, 0xBB, 0xBF, 0x31], 0),  // a byte-order mark is not JSON
  ] as [([UInt8], Int)])
  func invalidUTF8(bytes: [UInt8], offset: Int) {
    let error = failure(bytes)
    #expect(error?.offset == offset)
    #expect(error?.message == (bytes[0] == 0x22 ? "invalid utf-8" : "unexpected byte 0xef"))
  }

  @Test func validMultibyteUTF8() throws {
    let text = "\"é€😀\u{10FFFF}\u{7FF}\u{800}\u{FFFF}\u{10000}\""
    #expect(try JSONParser.parse(Array(text.utf8)) == .string(String(text.dropFirst().dropLast())))
  }

  @Test func numbers() throws {
    let negativeZero = try #require(try JSONParser.parse("-0").doubleValue)
    #expect(negativeZero == 0 && negativeZero.sign == .minus)
    #expect(try JSONParser.parse("-0.0e-0").doubleValue?.sign == .minus)
    let cases: [(String, Double)] = [
      ("0", 0), ("1E2", 100), ("1e+2", 100), ("1e-2", 0.01), ("-1.5E-3", -0.0015), ("0e999", 0),
      ("0.1", 0.1), ("123456789012345678901234567890", 1.2345678901234568e29), ("1e-400", 0),
      ("9007199254740993", 9_007_199_254_740_992), ("2.2250738585072011e-308", Double(bitPattern: 0x000F_FFFF_FFFF_FFFF)),
      ("4.9406564584124654e-324", .leastNonzeroMagnitude), ("1.7976931348623157e308", .greatestFiniteMagnitude),
      ("0.30000000000000004", 0.30000000000000004), ("1e23", 1e23), ("8.589973e9", 8.589973e9),
      ("0.000000000000000000000000000001", 1e-30), ("1" + String(repeating: "0", count: 30) + ".5e-30", 1),
    ]
    for (text, value) in cases {
      #expect(try JSONParser.parse(text).doubleValue?.bitPattern == value.bitPattern, "\(text)")
    }
  }

  /// Random decimals, short and long, agree with the standard library bit for bit.
  @Test func randomDecimalsAreCorrectlyRounded() throws {
    var generator = SeededGenerator(seed: 42)
    for _ in 0..<3000 {
      let digits = Int.random(in: 1...25, using: &generator)
      var text = Int.random(in: 0...1, using: &generator) == 0 ? "-" : ""
      text += String(Int.random(in: 1...9, using: &generator))
      for _ in 1..<digits { text += String(Int.random(in: 0...9, using: &generator)) }
      if digits > 1 && Bool.random(using: &generator) {
        text.insert(".", at: text.index(text.endIndex, offsetBy: -Int.random(in: 1...(digits - 1), using: &generator)))
      }
      if Bool.random(using: &generator) { text += "e\(Int.random(in: -330...300, using: &generator))" }
      let expected = try #require(Double(text))
      guard expected.isFinite else { continue }
      #expect(try JSONParser.parse(text).doubleValue?.bitPattern == expected.bitPattern, "\(text)")
    }
  }

  @Test(arguments: [
    ("01", "leading zero in number", 0), ("-01", "leading zero in number", 0), ("00", "leading zero in number", 0),
    ("1.", "unexpected end of input", 2), ("1.e5", "expected a digit after '.'", 2), (".5", "unexpected '.'", 0),
    ("+1", "unexpected '+'", 0), ("-", "unexpected end of input", 1), ("-a", "expected a digit", 1),
    ("1e", "unexpected end of input", 2), ("1e+", "unexpected end of input", 3), ("1ex", "expected a digit in exponent", 2),
    ("NaN", "unexpected 'N'", 0), ("Infinity", "unexpected 'I'", 0), ("-Infinity", "expected a digit", 1),
    ("1e999", "number out of range", 0), ("-1e309", "number out of range", 0),
    ("0x10", "unexpected 'x' after the value", 1), ("1 2", "unexpected '2' after the value", 2),
  ])
  func badNumbers(text: String, message: String, offset: Int) {
    #expect(failure(text) == JSONParseError(message, at: offset))
  }

  @Test(arguments: [
    ("", "unexpected end of input", 0), ("   ", "unexpected end of input", 3),
    ("[1,]", "trailing comma", 3), ("[1,\n ]", "trailing comma", 5), (#"{"a":1,}"#, "trailing comma", 7),
    ("[,1]", "unexpected ','", 1), ("[1 2]", "expected ',' or ']'", 3), (#"{"a" 1}"#, "expected ':'", 5),
    (#"{"a":1 "b":2}"#, "expected ',' or '}'", 7), ("{1:2}", "expected a string key", 1), ("{'a':1}", "expected a string key", 1),
    ("[1", "unexpected end of input", 2), (#"{"a":"#, "unexpected end of input", 5), ("tru", "invalid literal (expected true)", 0),
    ("nul", "invalid literal (expected null)", 0), ("True", "unexpected 'T'", 0), ("[1]x", "unexpected 'x' after the value", 3),
    ("{}}", "unexpected '}' after the value", 2), ("\u{0}", "unexpected byte 0x00", 0), ("\u{C}1", "unexpected byte 0x0c", 0),
  ])
  func badStructure(text: String, message: String, offset: Int) {
    #expect(failure(text) == JSONParseError(message, at: offset))
  }

  @Test func valuesAndWhitespace() throws {
    let value = try JSONParser.parse(" \t\r\n{\"b\" : [true, false, null, {}, [], \"\"], \"a\":1.5, \"b\":2 }\n")
    #expect(value == .object([
      ("b", .array([.bool(true), .bool(false), .null, .object([]), .array([]), .string("")])),
      ("a", .number(1.5)), ("b", .number(2)),
    ]))
    #expect(value["b"]?.arrayValue?.count == 6)  // the first of duplicate keys
    #expect(value["a"]?.doubleValue == 1.5)
    #expect(value["a"]?.intValue == nil)
    #expect(value["missing"] == nil)
    #expect(try JSONParser.parse("3.0").intValue == 3)
    #expect(try JSONParser.parse("1e300").intValue == nil)
    #expect(try JSONParser.parse(#""x""#).stringValue == "x")
    #expect(try JSONParser.parse("true").boolValue == true)
    #expect(try JSONParser.parse("null").isNull)
  }

  /// What the writer writes, the parser reads back as the same value.
  @Test func writerOutputParsesBack() throws {
    let value = JSONValue.object([
      ("text", .string("quote \" backslash \\ slash / tab \t nul \u{0} del \u{7F} é 😀")),
      ("numbers", .array([.number(0), .number(-0.0), .number(1e-7), .number(123_456_789_012), .number(0.1), .number(-2.5e300)])),
      ("nested", .array([.object([("", .null)]), .array([.bool(false)])])),
    ])
    var writer = JSONWriter()
    try writer.write(value)
    #expect(try JSONParser.parse(writer.bytes) == value)
    let text = String(decoding: writer.bytes, as: UTF8.self)
    #expect(text.contains(#"slash / tab \t nul \u0000 del "#))
    #expect(try JSONParser.parse(text) == value)
  }

  @Test func errorDescriptionCountsColumnsFromOne() {
    #expect(JSONParseError("trailing comma", at: 3).description == "invalid json at column 4: trailing comma")
  }
}
