/// A strict RFC 8259 parser for one JSON text, over UTF-8 bytes.
///
/// Goals, in order: reject everything RFC 8259 rejects (with a short message
/// and the byte offset), bounded recursion, then speed: a manifest line is
/// mostly an array of 10-20 floats, and there can be millions of lines, so
/// ASCII strings and short numbers take allocation-free fast paths.
///
/// Rejected: NaN/Infinity literals, trailing commas, leading zeros, invalid
/// UTF-8 (overlong forms, UTF-16 surrogates, above U+10FFFF), raw control
/// characters and unpaired surrogate escapes in strings, numbers that overflow
/// `Double`, nesting deeper than `maxDepth`, and anything but whitespace after
/// the value. Duplicate object keys are kept, in order, as RFC 8259 allows.
///
/// The record decoder drives the same parser member by member (`enterObject`,
/// `nextKey`, `parseFloat`), so a latent's floats are rounded from their text
/// straight to `Float` without a `JSONValue` in between.
public struct JSONParser {
  /// The deepest nesting of arrays and objects accepted: a bound on recursion,
  /// far above what a manifest needs.
  public static let maxDepth = 64

  let bytes: UnsafeBufferPointer<UInt8>
  /// The next byte to read.
  var offset = 0
  /// Arrays and objects currently open.
  var depth = 0
  /// Reused for strings that contain escapes or non-ASCII bytes.
  private var scratch: [UInt8] = []

  init(_ bytes: UnsafeBufferPointer<UInt8>) {
    self.bytes = bytes
  }

  /// Parses `bytes` as exactly one JSON text, surrounded by optional whitespace.
  ///
  /// - Throws: `JSONParseError` naming the first problem and its byte offset.
  public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSONValue {
    var parser = JSONParser(bytes)
    let value = try parser.parseValue()
    try parser.expectEnd()
    return value
  }

  /// Parses `bytes` as exactly one JSON text; copies them only when they are
  /// not contiguous in memory.
  public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
    let attempt = bytes.withContiguousStorageIfAvailable { buffer in
      Result { () throws(JSONParseError) in try parse(buffer) }
    }
    let result = attempt ?? Array(bytes).withUnsafeBufferPointer { buffer in
      Result { () throws(JSONParseError) in try parse(buffer) }
    }
    return try result.get()
  }

  /// Parses the UTF-8 form of `text` as exactly one JSON text.
  public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
    try parse(Array(text.utf8))
  }

  // MARK: Values

  /// Parses the value that starts at the next non-whitespace byte.
  mutating func parseValue() throws(JSONParseError) -> JSONValue {
    skipWhitespace()
    guard offset < bytes.count else { throw unexpected() }
    switch bytes[offset] {
    case UInt8(ascii: "{"):
      try enterObject()
      var members: [(key: String, value: JSONValue)] = []
      var isFirst = true
      while let key = try nextKey(isFirst: isFirst) {
        isFirst = false
        members.append((key: key, value: try parseValue()))
      }
      return .object(members)
    case UInt8(ascii: "["):
      try enterArray()
      var elements: [JSONValue] = []
      var isFirst = true
      while try nextElement(isFirst: isFirst) {
        isFirst = false
        elements.append(try parseValue())
      }
      return .array(elements)
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
    case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
    case UInt8(ascii: "n"): try expectLiteral("null"); return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseDouble())
    default: throw unexpected()
    }
  }

  /// Skips the whitespace RFC 8259 allows between tokens.
  mutating func skipWhitespace() {
    while offset < bytes.count {
      switch bytes[offset] {
      case 0x20, 0x09, 0x0A, 0x0D: offset += 1
      default: return
      }
    }
  }

  /// The next non-whitespace byte, not consumed; nil at the end.
  mutating func peek() -> UInt8? {
    skipWhitespace()
    return offset < bytes.count ? bytes[offset] : nil
  }

  /// Checks that only whitespace is left.
  mutating func expectEnd() throws(JSONParseError) {
    skipWhitespace()
    guard offset == bytes.count else {
      throw JSONParseError("unexpected \(describe(bytes[offset])) after the value", at: offset)
    }
  }

  private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
    let start = offset
    for i in 0..<literal.utf8CodeUnitCount {
      guard offset < bytes.count, bytes[offset] == literal.utf8Start[i] else {
        throw JSONParseError("invalid literal (expected \(literal))", at: start)
      }
      offset += 1
    }
  }

  // MARK: Containers, member by member

  /// Consumes the `{` at `offset`.
  mutating func enterObject() throws(JSONParseError) {
    depth += 1
    guard depth <= Self.maxDepth else {
      throw JSONParseError("nesting deeper than \(Self.maxDepth)", at: offset)
    }
    offset += 1
  }

  /// The next member's key with its `:` consumed, or nil once the closing `}`
  /// is consumed. `isFirst` is true for the first call after `enterObject`.
  mutating func nextKey(isFirst: Bool) throws(JSONParseError) -> String? {
    guard let byte = peek() else { throw unexpected() }
    if byte == UInt8(ascii: "}") {
      offset += 1
      depth -= 1
      return nil
    }
    if !isFirst {
      guard byte == UInt8(ascii: ",") else { throw JSONParseError("expected ',' or '}'", at: offset) }
      offset += 1
      if peek() == UInt8(ascii: "}") { throw JSONParseError("trailing comma", at: offset) }
    }
    guard let quote = peek() else { throw unexpected() }
    guard quote == UInt8(ascii: "\"") else { throw JSONParseError("expected a string key", at: offset) }
    let key = try parseString()
    guard peek() == UInt8(ascii: ":") else {
      throw offset < bytes.count ? JSONParseError("expected ':'", at: offset) : unexpected()
    }
    offset += 1
    return key
  }

  /// Consumes the `[` at `offset`.
  mutating func enterArray() throws(JSONParseError) {
    try enterObject()  // the same depth bookkeeping
  }

  /// True when another element follows (its separator consumed), false once
  /// the closing `]` is consumed. `isFirst` is true right after `enterArray`.
  mutating func nextElement(isFirst: Bool) throws(JSONParseError) -> Bool {
    guard let byte = peek() else { throw unexpected() }
    if byte == UInt8(ascii: "]") {
      offset += 1
      depth -= 1
      return false
    }
    if !isFirst {
      guard byte == UInt8(ascii: ",") else { throw JSONParseError("expected ',' or ']'", at: offset) }
      offset += 1
      if peek() == UInt8(ascii: "]") { throw JSONParseError("trailing comma", at: offset) }
    }
    return true
  }

  // MARK: Strings

  /// Parses the string whose opening quote is at `offset`.
  mutating func parseString() throws(JSONParseError) -> String {
    let quote = offset
    offset += 1
    let start = offset
    // Fast path: plain ASCII without escapes is decoded straight from the input.
    while offset < bytes.count {
      let byte = bytes[offset]
      if byte == UInt8(ascii: "\"") {
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        offset += 1
        return text
      }
      if byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { break }
      offset += 1
    }
    scratch.removeAll(keepingCapacity: true)
    scratch.append(contentsOf: bytes[start..<offset])
    while offset < bytes.count {
      let byte = bytes[offset]
      switch byte {
      case UInt8(ascii: "\""):
        offset += 1
        return String(decoding: scratch, as: UTF8.self)
      case UInt8(ascii: "\\"):
        try appendEscape()
      case 0..<0x20:
        throw JSONParseError("unescaped control character \(describe(byte)) in string", at: offset)
      case 0x80...:
        let length = try utf8SequenceLength()
        scratch.append(contentsOf: bytes[offset..<offset + length])
        offset += length
      default:
        scratch.append(byte)
        offset += 1
      }
    }
    throw JSONParseError("unterminated string", at: quote)
  }

  /// The length of the valid UTF-8 sequence starting at `offset` (RFC 3629 table).
  private func utf8SequenceLength() throws(JSONParseError) -> Int {
    let lead = bytes[offset]
    let length: Int
    var secondRange: ClosedRange<UInt8> = 0x80...0xBF
    switch lead {
    case 0xC2...0xDF: length = 2
    case 0xE0: length = 3; secondRange = 0xA0...0xBF  // no overlong forms
    case 0xE1...0xEC, 0xEE...0xEF: length = 3
    case 0xED: length = 3; secondRange = 0x80...0x9F  // no UTF-16 surrogates
    case 0xF0: length = 4; secondRange = 0x90...0xBF
    case 0xF1...0xF3: length = 4
    case 0xF4: length = 4; secondRange = 0x80...0x8F  // nothing above U+10FFFF
    default: throw JSONParseError("invalid utf-8", at: offset)
    }
    guard offset + length <= bytes.count, secondRange.contains(bytes[offset + 1]) else {
      throw JSONParseError("invalid utf-8", at: offset)
    }
    for i in 2..<length where !(0x80...0xBF).contains(bytes[offset + i]) {
      throw JSONParseError("invalid utf-8", at: offset)
    }
    return length
  }

  /// Decodes the escape at `offset` into `scratch`.
  private mutating func appendEscape() throws(JSONParseError) {
    let start = offset
    guard offset + 1 < bytes.count else { throw JSONParseError("unterminated string", at: start) }
    let letter = bytes[offset + 1]
    offset += 2
    switch letter {
    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(letter)
    case UInt8(ascii: "b"): scratch.append(0x08)
    case UInt8(ascii: "f"): scratch.append(0x0C)
    case UInt8(ascii: "n"): scratch.append(0x0A)
    case UInt8(ascii: "r"): scratch.append(0x0D)
    case UInt8(ascii: "t"): scratch.append(0x09)
    case UInt8(ascii: "u"):
      var scalar = try hexQuad(escapeStart: start)
      if (0xD800...0xDBFF).contains(scalar) {
        // A high surrogate must be followed at once by an escaped low one.
        guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"),
              bytes[offset + 1] == UInt8(ascii: "u") else {
          throw JSONParseError("unpaired surrogate", at: start)
        }
        offset += 2
        let low = try hexQuad(escapeStart: start)
        guard (0xDC00...0xDFFF).contains(low) else { throw JSONParseError("unpaired surrogate", at: start) }
        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
      } else if (0xDC00...0xDFFF).contains(scalar) {
        throw JSONParseError("unpaired surrogate", at: start)
      }
      appendUTF8(scalar)
    default:
      throw JSONParseError("invalid escape", at: start)
    }
  }

  /// Four hex digits at `offset`, consumed.
  private mutating func hexQuad(escapeStart: Int) throws(JSONParseError) -> UInt32 {
    guard offset + 4 <= bytes.count else { throw JSONParseError("invalid \\u escape", at: escapeStart) }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let byte = bytes[offset]
      let digit: UInt8
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
      default: throw JSONParseError("invalid \\u escape", at: escapeStart)
      }
      value = value << 4 | UInt32(digit)
      offset += 1
    }
    return value
  }

  private mutating func appendUTF8(_ scalar: UInt32) {
    switch scalar {
    case 0..<0x80:
      scratch.append(UInt8(scalar))
    case 0x80..<0x800:
      scratch.append(UInt8(0xC0 | scalar >> 6))
      scratch.append(UInt8(0x80 | scalar & 0x3F))
    case 0x800..<0x10000:
      scratch.append(UInt8(0xE0 | scalar >> 12))
      scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
      scratch.append(UInt8(0x80 | scalar & 0x3F))
    default:
      scratch.append(UInt8(0xF0 | scalar >> 18))
      scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
      scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
      scratch.append(UInt8(0x80 | scalar & 0x3F))
    }
  }

  // MARK: Errors

  /// An error for the byte at `offset`, or for the end of input.
  func unexpected() -> JSONParseError {
    guard offset < bytes.count else { return JSONParseError("unexpected end of input", at: offset) }
    return JSONParseError("unexpected \(describe(bytes[offset]))", at: offset)
  }

  /// `'x'` for printable ASCII, `byte 0x0a` otherwise.
  func describe(_ byte: UInt8) -> String {
    if (0x21...0x7E).contains(byte) { return "'\(Character(Unicode.Scalar(byte)))'" }
    let hex = String(byte, radix: 16)
    return "byte 0x" + (hex.count == 1 ? "0" + hex : hex)
  }
}
