// Strings: an allocation-free fast path for plain ASCII, then a decoding
// path for escapes and non-ASCII that validates UTF-8 as RFC 3629 defines it.

extension JSONParser {
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
}
