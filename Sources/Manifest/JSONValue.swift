/// A JSON value as parsed or about to be written.
///
/// Objects keep their members in order, duplicates included, so a value read
/// from a manifest is written back with the same bytes (for the `ops` history
/// that every stage passes through). Numbers are `Double`; the parser never
/// produces NaN or infinity and the writer refuses them.
public enum JSONValue: Equatable, Sendable {
  /// `null`.
  case null
  /// `true` or `false`.
  case bool(Bool)
  /// A finite number.
  case number(Double)
  /// A string, escapes decoded.
  case string(String)
  /// Elements in order.
  case array([JSONValue])
  /// Members in their written order.
  case object([(key: String, value: JSONValue)])

  /// Equality compares object members in order: `{"a":1,"b":2}` differs from
  /// `{"b":2,"a":1}` because they are written differently. Numbers compare as
  /// `Double`, so `0` equals `-0`.
  public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
    switch (lhs, rhs) {
    case (.null, .null): return true
    case (.bool(let a), .bool(let b)): return a == b
    case (.number(let a), .number(let b)): return a == b
    case (.string(let a), .string(let b)): return a == b
    case (.array(let a), .array(let b)): return a == b
    case (.object(let a), .object(let b)):
      guard a.count == b.count else { return false }
      for (x, y) in zip(a, b) where x.key != y.key || x.value != y.value { return false }
      return true
    default: return false
    }
  }

  /// The number nearest to the shortest decimal form of `x`, so that it is
  /// written as `0.1` rather than `0.10000000149011612`.
  ///
  /// Use it for Float parameters stored in `ops` (`{"transfer":{"t":0.1}}`):
  /// `.number(Double(x))` would carry the binary expansion of the Float.
  public static func float(_ x: Float) -> JSONValue {
    guard x.isFinite, let nearest = Double(x.description) else { return .number(Double(x)) }
    return .number(nearest)
  }

  /// The value of the first member named `key` when this is an object, else nil.
  public subscript(key: String) -> JSONValue? {
    guard case .object(let members) = self else { return nil }
    return members.first(where: { $0.key == key })?.value
  }

  /// The string, when this is a string.
  public var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  /// The number, when this is a number.
  public var doubleValue: Double? {
    if case .number(let x) = self { return x }
    return nil
  }

  /// The number as an `Int` when it is integral and fits: `3` and `3.0` give 3,
  /// `3.5` and `1e300` give nil.
  public var intValue: Int? {
    if case .number(let x) = self { return Int(exactly: x) }
    return nil
  }

  /// The Boolean, when this is `true` or `false`.
  public var boolValue: Bool? {
    if case .bool(let b) = self { return b }
    return nil
  }

  /// The elements, when this is an array.
  public var arrayValue: [JSONValue]? {
    if case .array(let elements) = self { return elements }
    return nil
  }

  /// The members in order, when this is an object.
  public var objectValue: [(key: String, value: JSONValue)]? {
    if case .object(let members) = self { return members }
    return nil
  }

  /// Whether this is `null`.
  public var isNull: Bool {
    if case .null = self { return true }
    return false
  }
}
