/// Appends compact JSON to a byte buffer, the same bytes for the same values.
///
/// Why not `JSONEncoder`: it changed key order between runs and wrote `/` as
/// `\/`, and manifests must be byte-identical for identical input (the
/// GNU parallel equality test). Here strings escape only what JSON requires
/// (`"`, `\` and control characters), non-ASCII stays raw UTF-8, and floats
/// take their shortest round-trip form. Non-finite numbers are refused.
public struct JSONWriter {
  /// Everything written so far.
  public var bytes: [UInt8]

  /// Starts a writer that appends to `bytes`.
  public init(bytes: [UInt8] = []) {
    self.bytes = bytes
  }

  /// Writes `null`.
  public mutating func writeNull() {
    writeRaw("null")
  }

  /// Writes `true` or `false`.
  public mutating func writeBool(_ value: Bool) {
    writeRaw(value ? "true" : "false")
  }

  /// Writes `s` as a JSON string: `"` and `\` are backslash-escaped, as are
  /// control characters (`\n \t \r \b \f`, others as `\u00XX`); `/` and
  /// non-ASCII characters are written as they are.
  public mutating func writeString(_ s: String) {
    bytes.append(UInt8(ascii: "\""))
    var s = s
    s.withUTF8 { utf8 in
      // Copy runs of plain bytes at once; most strings are a single run.
      var runStart = 0
      for i in 0..<utf8.count {
        let byte = utf8[i]
        guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i]))
        runStart = i + 1
        appendEscape(for: byte)
      }
      bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count]))
    }
    bytes.append(UInt8(ascii: "\""))
  }

  private mutating func appendEscape(for byte: UInt8) {
    bytes.append(UInt8(ascii: "\\"))
    switch byte {
    case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
    case 0x0A: bytes.append(UInt8(ascii: "n"))
    case 0x09: bytes.append(UInt8(ascii: "t"))
    case 0x0D: bytes.append(UInt8(ascii: "r"))
    case 0x08: bytes.append(UInt8(ascii: "b"))
    case 0x0C: bytes.append(UInt8(ascii: "f"))
    default:
      let hexDigits: StaticString = "0123456789abcdef"
      bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
      bytes.append(hexDigits.utf8Start[Int(byte >> 4)])
      bytes.append(hexDigits.utf8Start[Int(byte & 0xF)])
    }
  }

  /// Writes an integer in decimal.
  public mutating func writeInt(_ value: Int) {
    bytes.append(contentsOf: String(value).utf8)
  }

  /// Writes `x` in Float32 shortest round-trip form: `0.1`, `1e-05`, `1.0`.
  ///
  /// Reading the text back as a Float gives the same bits, `-0.0` included.
  /// - Throws: `ManifestError.nonFiniteNumber(field:)` for NaN and infinities.
  public mutating func writeFloat(_ x: Float, field: String = "number") throws(ManifestError) {
    guard x.isFinite else { throw .nonFiniteNumber(field: field) }
    bytes.append(contentsOf: x.description.utf8)
  }

  /// Writes `x` in Double shortest round-trip form: `0.1`, `1e-07`, `3.0`.
  /// - Throws: `ManifestError.nonFiniteNumber(field:)` for NaN and infinities.
  public mutating func writeDouble(_ x: Double, field: String = "number") throws(ManifestError) {
    guard x.isFinite else { throw .nonFiniteNumber(field: field) }
    bytes.append(contentsOf: x.description.utf8)
  }

  /// Writes `value` compactly, object members in their stored order.
  ///
  /// Integral numbers below 2^53 are written without a fraction (`12`, `-0`),
  /// so a value read from `{"steps":12}` is written back as it was.
  /// - Throws: `ManifestError.nonFiniteNumber(field:)` for a NaN or infinity anywhere.
  public mutating func write(_ value: JSONValue, field: String = "value") throws(ManifestError) {
    switch value {
    case .null: writeNull()
    case .bool(let b): writeBool(b)
    case .string(let s): writeString(s)
    case .number(let x):
      if x == 0 && x.sign == .minus {
        writeRaw("-0")
      } else if x.magnitude < 0x1p53, let integer = Int(exactly: x) {
        writeInt(integer)
      } else {
        try writeDouble(x, field: field)
      }
    case .array(let elements):
      bytes.append(UInt8(ascii: "["))
      for (i, element) in elements.enumerated() {
        if i > 0 { bytes.append(UInt8(ascii: ",")) }
        try write(element, field: field)
      }
      bytes.append(UInt8(ascii: "]"))
    case .object(let members):
      bytes.append(UInt8(ascii: "{"))
      for (i, member) in members.enumerated() {
        if i > 0 { bytes.append(UInt8(ascii: ",")) }
        writeString(member.key)
        bytes.append(UInt8(ascii: ":"))
        try write(member.value, field: field)
      }
      bytes.append(UInt8(ascii: "}"))
    }
  }

  /// Appends ASCII punctuation or a literal key as it is; the caller knows it
  /// needs no escaping.
  mutating func writeRaw(_ text: StaticString) {
    bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
  }
}
