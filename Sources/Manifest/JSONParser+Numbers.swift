// Numbers: RFC 8259 grammar, then correctly rounded conversion.
//
// Most manifest numbers are Float32 shortest forms ("0.123456789", "-1.5e-05"):
// at most 9 significant digits, so the decimal significand fits in 53 bits and
// the power of ten is exact in Double. Then one IEEE multiplication or division
// is correctly rounded (Clinger's fast path) and no text is copied. Anything
// else goes through the standard library's correctly rounded conversion.

extension JSONParser {
  /// A number's digits as read: value = ±significand × 10^exponent.
  struct ScannedNumber {
    var start: Int
    var significand: UInt64 = 0
    var exponent = 0
    var isNegative = false
    /// Nonzero digits beyond the 19 kept in `significand` were dropped.
    var isTruncated = false
  }

  /// Exact powers of ten: 10^22 is the largest that Double holds exactly.
  private static let exactPowersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
  ]

  /// Parses the number at `offset` to the nearest `Double`.
  ///
  /// - Throws: on bad syntax, and "number out of range" when it overflows to infinity
  ///   (underflow to zero is accepted: the value is still the nearest Double).
  mutating func parseDouble() throws(JSONParseError) -> Double {
    let number = try scanNumber()
    let value = doubleValue(of: number)
    guard value.isFinite else { throw JSONParseError("number out of range", at: number.start) }
    return value
  }

  /// Parses the number at `offset` to the nearest `Float`, rounded once from the
  /// text (not text → Double → Float, which can round twice). Infinite when the
  /// number is a valid Double beyond Float's range; the caller decides.
  ///
  /// Rounding through Double can only go wrong when the Double lands exactly
  /// on a midpoint between two Floats (a decimal on one side of the midpoint
  /// rounds onto it, and then ties-to-even may pick the wrong side). That case
  /// is detected and redone from the text.
  mutating func parseFloat() throws(JSONParseError) -> Float {
    let number = try scanNumber()
    let value = doubleValue(of: number)
    guard value.isFinite else { throw JSONParseError("number out of range", at: number.start) }
    let rounded = Float(value)
    guard isFloatMidpoint(value, rounded: rounded) else { return rounded }
    return Float(text(of: number)) ?? rounded
  }

  /// Whether `value` lies exactly halfway between two adjacent Floats
  /// (or between `Float.greatestFiniteMagnitude` and 2^128, where rounding overflows).
  private func isFloatMidpoint(_ value: Double, rounded: Float) -> Bool {
    if rounded.isInfinite {
      return value.magnitude == Double(Float.greatestFiniteMagnitude) + 0x1p103
    }
    let back = Double(rounded)
    guard back != value else { return false }
    let neighbour = back < value ? rounded.nextUp : rounded.nextDown
    guard neighbour.isFinite else { return false }
    // Two adjacent Floats sum exactly in Double, so this midpoint is exact.
    return (back + Double(neighbour)) * 0.5 == value
  }

  /// Checks the grammar `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
  /// and collects up to 19 significant digits.
  mutating func scanNumber() throws(JSONParseError) -> ScannedNumber {
    var number = ScannedNumber(start: offset)
    if offset < bytes.count, bytes[offset] == UInt8(ascii: "-") {
      number.isNegative = true
      offset += 1
    }
    guard offset < bytes.count, isDigit(bytes[offset]) else {
      throw offset < bytes.count ? JSONParseError("expected a digit", at: offset) : unexpected()
    }
    var keptDigits = 0
    if bytes[offset] == UInt8(ascii: "0") {
      offset += 1
      if offset < bytes.count, isDigit(bytes[offset]) {
        throw JSONParseError("leading zero in number", at: number.start)
      }
    } else {
      while offset < bytes.count, isDigit(bytes[offset]) {
        let digit = UInt64(bytes[offset] &- UInt8(ascii: "0"))
        if keptDigits < 19 {
          number.significand = number.significand &* 10 &+ digit
          keptDigits += 1
        } else {
          number.exponent += 1  // a dropped integer digit still scales the value
          if digit != 0 { number.isTruncated = true }
        }
        offset += 1
      }
    }
    if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
      offset += 1
      guard offset < bytes.count, isDigit(bytes[offset]) else {
        throw offset < bytes.count ? JSONParseError("expected a digit after '.'", at: offset) : unexpected()
      }
      while offset < bytes.count, isDigit(bytes[offset]) {
        let digit = UInt64(bytes[offset] &- UInt8(ascii: "0"))
        if number.significand == 0 && digit == 0 {
          number.exponent -= 1  // leading fraction zeros are not significant
        } else if keptDigits < 19 {
          number.significand = number.significand &* 10 &+ digit
          keptDigits += 1
          number.exponent -= 1
        } else if digit != 0 {
          number.isTruncated = true
        }
        offset += 1
      }
    }
    if offset < bytes.count, bytes[offset] | 0x20 == UInt8(ascii: "e") {
      offset += 1
      var exponentIsNegative = false
      if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") {
        exponentIsNegative = bytes[offset] == UInt8(ascii: "-")
        offset += 1
      }
      guard offset < bytes.count, isDigit(bytes[offset]) else {
        throw offset < bytes.count ? JSONParseError("expected a digit in exponent", at: offset) : unexpected()
      }
      var written = 0
      while offset < bytes.count, isDigit(bytes[offset]) {
        // Clamped: past a million the value is 0 or infinity whatever follows.
        if written < 1_000_000 { written = written * 10 + Int(bytes[offset] &- UInt8(ascii: "0")) }
        offset += 1
      }
      number.exponent += exponentIsNegative ? -written : written
    }
    return number
  }

  /// The nearest Double to the scanned number (possibly infinite).
  private func doubleValue(of number: ScannedNumber) -> Double {
    if number.significand == 0 && !number.isTruncated {
      return number.isNegative ? -0.0 : 0.0
    }
    if !number.isTruncated, number.significand <= 1 << 53, (-22...22).contains(number.exponent) {
      var value = Double(number.significand)  // exact: at most 2^53
      if number.exponent < 0 {
        value /= Self.exactPowersOfTen[-number.exponent]
      } else {
        value *= Self.exactPowersOfTen[number.exponent]
      }
      return number.isNegative ? -value : value
    }
    // The grammar was checked, so the standard library accepts the text; it
    // rounds correctly and does not depend on the C locale.
    return Double(text(of: number)) ?? .nan
  }

  private func text(of number: ScannedNumber) -> String {
    String(decoding: UnsafeBufferPointer(rebasing: bytes[number.start..<offset]), as: UTF8.self)
  }

  @inline(__always)
  private func isDigit(_ byte: UInt8) -> Bool {
    byte &- UInt8(ascii: "0") < 10
  }
}
