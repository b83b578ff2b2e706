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
  var scratch: [UInt8] = []

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
    guard try nextMember(isFirst: isFirst) else { return nil }
    let key = try parseString()
    try expectColon()
    return key
  }

  /// Like `nextKey`, but a key of plain ASCII without escapes comes as its
  /// bytes in the input, with no `String` made; other keys come decoded.
  mutating func nextRawKey(isFirst: Bool) throws(JSONParseError) -> RawKey? {
    guard try nextMember(isFirst: isFirst) else { return nil }
    let start = offset + 1
    var end = start
    while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"),
          bytes[end] >= 0x20, bytes[end] < 0x80 {
      end += 1
    }
    let key: RawKey
    if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
      key = .bytes(UnsafeBufferPointer(rebasing: bytes[start..<end]))
      offset = end + 1
    } else {
      key = .string(try parseString())
    }
    try expectColon()
    return key
  }

  /// A key as `nextRawKey` returns it.
  enum RawKey {
    /// The key's bytes within the parsed input: ASCII, no escapes.
    case bytes(UnsafeBufferPointer<UInt8>)
    /// A key that had escapes or non-ASCII characters, decoded.
    case string(String)
  }

  /// Consumes the `,` before a member or the closing `}`: true when a key follows.
  private mutating func nextMember(isFirst: Bool) throws(JSONParseError) -> Bool {
    guard let byte = peek() else { throw unexpected() }
    if byte == UInt8(ascii: "}") {
      offset += 1
      depth -= 1
      return false
    }
    if !isFirst {
      guard byte == UInt8(ascii: ",") else { throw JSONParseError("expected ',' or '}'", at: offset) }
      offset += 1
      if peek() == UInt8(ascii: "}") { throw JSONParseError("trailing comma", at: offset) }
    }
    guard let quote = peek() else { throw unexpected() }
    guard quote == UInt8(ascii: "\"") else { throw JSONParseError("expected a string key", at: offset) }
    return true
  }

  private mutating func expectColon() throws(JSONParseError) {
    guard peek() == UInt8(ascii: ":") else {
      throw offset < bytes.count ? JSONParseError("expected ':'", at: offset) : unexpected()
    }
    offset += 1
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
