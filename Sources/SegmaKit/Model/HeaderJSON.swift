/// Why a text is not JSON, with the byte offset.
struct HeaderJSONSyntaxError: Error {
  var message: String
}

/// A JSON value as the model file reads it: objects keep their member order and any
/// duplicate keys (so duplicate tensor names are caught), numbers keep their text (so
/// integers and floats are read exactly, and `true` is never taken for 1).
///
/// Used for the safetensors header and for the JSON texts inside its metadata
/// (`class_names`, `class_weights`). A small parser of our own keeps SegmaKit free of
/// Foundation and bounds the nesting depth.
enum HeaderJSON: Sendable {
  case object([(key: String, value: HeaderJSON)])
  case array([HeaderJSON])
  case string(String)
  /// The number's text, checked against the JSON grammar.
  case number(String)
  case bool(Bool)
  case null

  /// Headers nest three deep; anything deeper is refused rather than recursed into.
  static let maxDepth = 16

  /// Parses `bytes` (UTF-8) as one JSON value, surrounded by optional whitespace.
  static func parse(_ bytes: [UInt8]) throws(HeaderJSONSyntaxError) -> HeaderJSON {
    var parser = Parser(bytes: bytes)
    let value = try parser.value(depth: 0)
    parser.skipWhitespace()
    guard parser.index == bytes.count else { throw parser.error("unexpected text after the value") }
    return value
  }

  /// The value as an `Int` when it is a JSON integer (no fraction or exponent) that fits.
  var integer: Int? {
    guard case .number(let text) = self, !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) else { return nil }
    return Int(text)
  }

  /// Compact JSON text of the value, for messages.
  var text: String {
    switch self {
    case .object(let members):
      "{" + members.map { HeaderJSON.stringText($0.key) + ":" + $0.value.text }.joined(separator: ",") + "}"
    case .array(let items): "[" + items.map(\.text).joined(separator: ",") + "]"
    case .string(let s): HeaderJSON.stringText(s)
    case .number(let text): text
    case .bool(let value): String(value)
    case .null: "null"
    }
  }

  private static func stringText(_ s: String) -> String {
    var bytes: [UInt8] = []
    appendString(s, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Appends `s` as a JSON string: `"`, `\` and control characters escaped, the rest raw UTF-8.
  static func appendString(_ s: String, to bytes: inout [UInt8]) {
    bytes.append(UInt8(ascii: "\""))
    for byte in s.utf8 {
      switch byte {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), byte]
      case 0x0A: bytes += Array(#"\n"#.utf8)
      case 0x09: bytes += Array(#"\t"#.utf8)
      case 0x0D: bytes += Array(#"\r"#.utf8)
      case ..<0x20:
        let hexDigits = Array("0123456789abcdef".utf8)
        bytes += Array(#"\u00"#.utf8) + [hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]]
      default: bytes.append(byte)
      }
    }
    bytes.append(UInt8(ascii: "\""))
  }

  private struct Parser {
    let bytes: [UInt8]
    var index = 0

    func error(_ message: String) -> HeaderJSONSyntaxError { HeaderJSONSyntaxError(message: "\(message) at byte \(index)") }

    var next: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipWhitespace() {
      while let byte = next, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    mutating func expect(_ literal: String) throws(HeaderJSONSyntaxError) {
      for byte in literal.utf8 {
        guard next == byte else { throw error("expected \(literal)") }
        index += 1
      }
    }

    mutating func value(depth: Int) throws(HeaderJSONSyntaxError) -> HeaderJSON {
      skipWhitespace()
      guard let byte = next else { throw error("unexpected end") }
      switch byte {
      case UInt8(ascii: "{"), UInt8(ascii: "["):
        guard depth < HeaderJSON.maxDepth else { throw error("nested more than \(HeaderJSON.maxDepth) deep") }
        return byte == UInt8(ascii: "{") ? try object(depth: depth + 1) : try array(depth: depth + 1)
      case UInt8(ascii: "\""): return .string(try string())
      case UInt8(ascii: "t"): try expect("true"); return .bool(true)
      case UInt8(ascii: "f"): try expect("false"); return .bool(false)
      case UInt8(ascii: "n"): try expect("null"); return .null
      default: return try number()
      }
    }

    mutating func object(depth: Int) throws(HeaderJSONSyntaxError) -> HeaderJSON {
      index += 1
      var members: [(key: String, value: HeaderJSON)] = []
      skipWhitespace()
      if next == UInt8(ascii: "}") {
        index += 1
        return .object(members)
      }
      while true {
        skipWhitespace()
        guard next == UInt8(ascii: "\"") else { throw error("expected a string key") }
        let key = try string()
        skipWhitespace()
        try expect(":")
        members.append((key, try value(depth: depth)))
        skipWhitespace()
        if next == UInt8(ascii: ",") {
          index += 1
        } else {
          try expect("}")
          return .object(members)
        }
      }
    }

    mutating func array(depth: Int) throws(HeaderJSONSyntaxError) -> HeaderJSON {
      index += 1
      var items: [HeaderJSON] = []
      skipWhitespace()
      if next == UInt8(ascii: "]") {
        index += 1
        return .array(items)
      }
      while true {
        items.append(try value(depth: depth))
        skipWhitespace()
        if next == UInt8(ascii: ",") {
          index += 1
        } else {
          try expect("]")
          return .array(items)
        }
      }
    }

    /// A string from its opening quote; the caller has checked the whole text is UTF-8.
    mutating func string() throws(HeaderJSONSyntaxError) -> String {
      index += 1
      var utf8: [UInt8] = []
      while true {
        guard let byte = next else { throw error("unterminated string") }
        index += 1
        switch byte {
        case UInt8(ascii: "\""):
          return String(decoding: utf8, as: UTF8.self)
        case UInt8(ascii: "\\"):
          guard let escape = next else { throw error("unterminated string") }
          index += 1
          switch escape {
          case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
          case UInt8(ascii: "b"): utf8.append(0x08)
          case UInt8(ascii: "f"): utf8.append(0x0C)
          case UInt8(ascii: "n"): utf8.append(0x0A)
          case UInt8(ascii: "r"): utf8.append(0x0D)
          case UInt8(ascii: "t"): utf8.append(0x09)
          case UInt8(ascii: "u"):
            var code = try hex4()
            if (0xD800..<0xDC00).contains(code) {
              // A high surrogate must be followed by an escaped low one.
              try expect("\\u")
              let low = try hex4()
              guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate") }
              code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(code) else { throw error("unpaired surrogate") }
            utf8.append(contentsOf: String(Character(scalar)).utf8)
          default: throw error("bad escape")
          }
        case ..<0x20: throw error("control character in a string")
        default: utf8.append(byte)
        }
      }
    }

    mutating func hex4() throws(HeaderJSONSyntaxError) -> UInt32 {
      var code: UInt32 = 0
      for _ in 0..<4 {
        guard let byte = next, let digit = UInt32(String(UnicodeScalar(byte)), radix: 16) else {
          throw error("bad \\u escape")
        }
        code = code << 4 | digit
        index += 1
      }
      return code
    }

    /// A number by the JSON grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    mutating func number() throws(HeaderJSONSyntaxError) -> HeaderJSON {
      let start = index
      func isDigit(_ byte: UInt8?) -> Bool { byte.map { (0x30...0x39).contains($0) } ?? false }
      if next == UInt8(ascii: "-") { index += 1 }
      guard isDigit(next) else { throw error("unexpected character") }
      if next == UInt8(ascii: "0") {
        index += 1
      } else {
        while isDigit(next) { index += 1 }
      }
      if next == UInt8(ascii: ".") {
        index += 1
        guard isDigit(next) else { throw error("expected a digit") }
        while isDigit(next) { index += 1 }
      }
      if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
        index += 1
        if next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { index += 1 }
        guard isDigit(next) else { throw error("expected a digit") }
        while isDigit(next) { index += 1 }
      }
      return .number(String(decoding: bytes[start..<index], as: UTF8.self))
    }
  }
}
