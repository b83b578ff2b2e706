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
  @inline(__always)
  private func isFloatMidpoint(_ value: Double, rounded: Float) -> Bool {
    // In Float's normal range a Float has 29 fewer significand bits than a
    // Double, so a midpoint has exactly the top one of those 29 bits set.
    if value.magnitude >= Double(Float.leastNormalMagnitude) {
      return value.bitPattern & 0x1FFF_FFFF == 0x1000_0000
    }
    return isSubnormalMidpoint(value, rounded: rounded)
  }

  private func isSubnormalMidpoint(_ value: Double, rounded: Float) -> Bool {
    let back = Double(rounded)
    guard back != value else { return false }
    let neighbour = back < value ? rounded.nextUp : rounded.nextDown
    // Two adjacent Floats sum exactly in Double, so this midpoint is exact.
    return (back + Double(neighbour)) * 0.5 == value
  }

  /// Checks the grammar `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
  /// and collects up to 19 significant digits.
  mutating func scanNumber() throws(JSONParseError) -> ScannedNumber {
    // Locals rather than `self.offset`: this loop runs for every digit.
    var number = ScannedNumber(start: offset)
    let count = bytes.count
    var i = offset
    /// The digit at `i`, or nil when there is none.
    func digit(at i: Int) -> UInt64? {
      guard i < count else { return nil }
      let value = bytes[i] &- UInt8(ascii: "0")
      return value < 10 ? UInt64(value) : nil
    }
    /// The error for a missing digit at `i`.
    func missingDigit(at i: Int, _ message: String) -> JSONParseError {
      JSONParseError(i < count ? message : "unexpected end of input", at: i)
    }

    if i < count, bytes[i] == UInt8(ascii: "-") {
      number.isNegative = true
      i += 1
    }
    guard let first = digit(at: i) else { throw missingDigit(at: i, "expected a digit") }
    var keptDigits = 0
    if first == 0 {
      i += 1
      if digit(at: i) != nil { throw JSONParseError("leading zero in number", at: number.start) }
    } else {
      while let d = digit(at: i) {
        if keptDigits < 19 {
          number.significand = number.significand &* 10 &+ d
          keptDigits += 1
        } else {
          number.exponent += 1  // a dropped integer digit still scales the value
          if d != 0 { number.isTruncated = true }
        }
        i += 1
      }
    }
    if i < count, bytes[i] == UInt8(ascii: ".") {
      i += 1
      guard digit(at: i) != nil else { throw missingDigit(at: i, "expected a digit after '.'") }
      while let d = digit(at: i) {
        if number.significand == 0 && d == 0 {
          number.exponent -= 1  // leading fraction zeros are not significant
        } else if keptDigits < 19 {
          number.significand = number.significand &* 10 &+ d
          keptDigits += 1
          number.exponent -= 1
        } else if d != 0 {
          number.isTruncated = true
        }
        i += 1
      }
    }
    if i < count, bytes[i] | 0x20 == UInt8(ascii: "e") {
      i += 1
      var exponentIsNegative = false
      if i < count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
        exponentIsNegative = bytes[i] == UInt8(ascii: "-")
        i += 1
      }
      guard digit(at: i) != nil else { throw missingDigit(at: i, "expected a digit in exponent") }
      var written = 0
      while let d = digit(at: i) {
        // Clamped: past a million the value is 0 or infinity whatever follows.
        if written < 1_000_000 { written = written * 10 + Int(d) }
        i += 1
      }
      number.exponent += exponentIsNegative ? -written : written
    }
    offset = i
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
}
