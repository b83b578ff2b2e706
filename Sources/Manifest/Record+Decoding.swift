#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Reading records: one pass over the line with the pull parser, collecting
// the known top-level fields (unknown ones are checked for syntax and
// dropped), then a check of each field in a fixed order (RecordFields.swift),
// so the first problem reported does not depend on the input's key order.

extension Record {
  /// Decodes one manifest line (without its newline). Never throws: whatever
  /// is wrong with the line becomes an error record
  /// `{stage: "manifest", message: "line N: ...", line: N}` carrying the id
  /// when it could be read. Error records in the input come back as they are.
  ///
  /// Rejected: invalid JSON or UTF-8, a missing or wrongly typed field, `"v"`
  /// other than 1, an unknown `"type"`, `z`/`p`/`probs` values beyond Float's
  /// range, an empty `z`, a `size` that is not two positive integers,
  /// `channels` outside 1...4, a `frame` below 1 (frames count from 1), a repeated known field.
  /// Unknown keys are ignored, so newer writers can add fields.
  public static func decode(line: UnsafeBufferPointer<UInt8>, lineNumber: Int) -> Record {
    var fields = LineFields()
    var parser = JSONParser(line)
    do throws(JSONParseError) {
      try fields.read(from: &parser)
    } catch {
      return malformedLine(lineNumber, id: fields.id, problem: error.description)
    }
    do throws(FieldProblem) {
      return try fields.record()
    } catch {
      return malformedLine(lineNumber, id: fields.id, problem: error.message)
    }
  }

  /// Decodes one manifest line (without its newline); see `decode(line:lineNumber:)`.
  public static func decode(line: some Collection<UInt8>, lineNumber: Int) -> Record {
    if let record = line.withContiguousStorageIfAvailable({ decode(line: $0, lineNumber: lineNumber) }) {
      return record
    }
    return Array(line).withUnsafeBufferPointer { decode(line: $0, lineNumber: lineNumber) }
  }

  /// The error record that stands for an unreadable line.
  static func malformedLine(_ lineNumber: Int, id: String?, problem: String) -> Record {
    .error(ErrorRecord(id: id, src: nil, stage: "manifest", message: "line \(lineNumber): \(problem)", line: lineNumber))
  }
}

/// The known top-level fields of one line, as read.
struct LineFields {
  /// Every key any record type knows.
  enum Key {
    case v, type, id, src, model, z, className, p, size, channels, ops, frame, probs
    case path, stage, message, line

    /// The key spelled by `name`'s UTF-8 bytes, if it is one.
    init?(_ name: UnsafeBufferPointer<UInt8>) {
      // Length and first letter pick the one candidate; then compare it whole.
      let candidate: Key
      switch (name.count, name.first ?? 0) {
      case (1, UInt8(ascii: "v")): candidate = .v
      case (1, UInt8(ascii: "z")): candidate = .z
      case (1, UInt8(ascii: "p")): candidate = .p
      case (2, UInt8(ascii: "i")): candidate = .id
      case (3, UInt8(ascii: "s")): candidate = .src
      case (3, UInt8(ascii: "o")): candidate = .ops
      case (4, UInt8(ascii: "t")): candidate = .type
      case (4, UInt8(ascii: "s")): candidate = .size
      case (4, UInt8(ascii: "p")): candidate = .path
      case (4, UInt8(ascii: "l")): candidate = .line
      case (5, UInt8(ascii: "m")): candidate = .model
      case (5, UInt8(ascii: "c")): candidate = .className
      case (5, UInt8(ascii: "f")): candidate = .frame
      case (5, UInt8(ascii: "p")): candidate = .probs
      case (5, UInt8(ascii: "s")): candidate = .stage
      case (7, UInt8(ascii: "m")): candidate = .message
      case (8, UInt8(ascii: "c")): candidate = .channels
      default: return nil
      }
      guard let base = name.baseAddress, memcmp(base, candidate.spelling.utf8Start, name.count) == 0 else {
        return nil
      }
      self = candidate
    }

    /// The key spelled `name` (escaped in the input), if it is one.
    init?(_ name: String) {
      guard let key = Array(name.utf8).withUnsafeBufferPointer({ Key($0) }) else { return nil }
      self = key
    }

    /// The key as written in JSON.
    var spelling: StaticString {
      switch self {
      case .v: "v"
      case .type: "type"
      case .id: "id"
      case .src: "src"
      case .model: "model"
      case .z: "z"
      case .className: "class"
      case .p: "p"
      case .size: "size"
      case .channels: "channels"
      case .ops: "ops"
      case .frame: "frame"
      case .probs: "probs"
      case .path: "path"
      case .stage: "stage"
      case .message: "message"
      case .line: "line"
      }
    }

    /// The key as written in JSON, for messages.
    var name: String { spelling.description }
  }

  /// A field's value. `z`, `p` and `probs` are rounded to Float as they are
  /// read (once, from the text); when they have another JSON type they are
  /// kept as `.value` for the type check.
  enum Field {
    case value(JSONValue)
    case floats([Float])
    case float(Float)
    case probs([(className: String, p: Float)])
    /// An element of `z` or a value of `probs` was not a number.
    case notNumbers
    /// A number beyond Float's range; `location` is `z[3]`, `p` or `probs["dress"]`.
    case outOfFloatRange(location: String)
  }

  // One stored property per key rather than an array: destroying an array of
  // enums goes through generic witnesses, measured at a fifth of decode time.
  private var v, type, idValue, src, model, z, className, p, size, channels: Field?
  private var ops, frame, probs, path, stage, message, line: Field?
  /// The first known key that appeared twice: which value counts would be a guess.
  private(set) var duplicate: Key?
  /// The line is valid JSON but not an object.
  private(set) var isNotAnObject = false

  /// The field read for `key`, nil when the line does not have it.
  private(set) subscript(key: Key) -> Field? {
    get {
      switch key {
      case .v: v
      case .type: type
      case .id: idValue
      case .src: src
      case .model: model
      case .z: z
      case .className: className
      case .p: p
      case .size: size
      case .channels: channels
      case .ops: ops
      case .frame: frame
      case .probs: probs
      case .path: path
      case .stage: stage
      case .message: message
      case .line: line
      }
    }
    set {
      switch key {
      case .v: v = newValue
      case .type: type = newValue
      case .id: idValue = newValue
      case .src: src = newValue
      case .model: model = newValue
      case .z: z = newValue
      case .className: className = newValue
      case .p: p = newValue
      case .size: size = newValue
      case .channels: channels = newValue
      case .ops: ops = newValue
      case .frame: frame = newValue
      case .probs: probs = newValue
      case .path: path = newValue
      case .stage: stage = newValue
      case .message: message = newValue
      case .line: line = newValue
      }
    }
  }

  /// The `id` when it has been read as a string, for error records.
  var id: String? {
    if case .value(.string(let id))? = idValue { return id }
    return nil
  }

  /// Reads the whole line: one JSON value and nothing after it.
  mutating func read(from parser: inout JSONParser) throws(JSONParseError) {
    guard parser.peek() == UInt8(ascii: "{") else {
      _ = try parser.parseValue()
      try parser.expectEnd()
      isNotAnObject = true
      return
    }
    try parser.enterObject()
    var isFirst = true
    while let name = try parser.nextRawKey(isFirst: isFirst) {
      isFirst = false
      let known: Key?
      switch name {
      case .bytes(let bytes): known = Key(bytes)
      case .string(let string): known = Key(string)
      }
      guard let key = known else {
        _ = try parser.parseValue()
        continue
      }
      let field: Field
      switch key {
      case .z: field = try Self.readFloats(from: &parser)
      case .p: field = try Self.readFloat(from: &parser, location: "p")
      case .probs: field = try Self.readProbabilities(from: &parser)
      default: field = .value(try parser.parseValue())
      }
      if self[key] == nil {
        self[key] = field
      } else if duplicate == nil {
        duplicate = key
      }
    }
    try parser.expectEnd()
  }

  private static func readFloats(from parser: inout JSONParser) throws(JSONParseError) -> Field {
    guard parser.peek() == UInt8(ascii: "[") else { return .value(try parser.parseValue()) }
    try parser.enterArray()
    var values: [Float] = []
    values.reserveCapacity(32)
    var problem: Field?
    while try parser.nextElement(isFirst: values.isEmpty) {
      if isNumberStart(parser.peek()) {
        let x = try parser.parseFloat()
        if x.isInfinite && problem == nil { problem = .outOfFloatRange(location: "z[\(values.count)]") }
        values.append(x)
      } else {
        _ = try parser.parseValue()
        if problem == nil { problem = .notNumbers }
        values.append(0)  // keeps indices in later messages right
      }
    }
    return problem ?? .floats(values)
  }

  private static func readFloat(from parser: inout JSONParser, location: String) throws(JSONParseError) -> Field {
    guard isNumberStart(parser.peek()) else { return .value(try parser.parseValue()) }
    let x = try parser.parseFloat()
    return x.isInfinite ? .outOfFloatRange(location: location) : .float(x)
  }

  private static func readProbabilities(from parser: inout JSONParser) throws(JSONParseError) -> Field {
    guard parser.peek() == UInt8(ascii: "{") else { return .value(try parser.parseValue()) }
    try parser.enterObject()
    var entries: [(className: String, p: Float)] = []
    var problem: Field?
    var isFirst = true
    while let className = try parser.nextKey(isFirst: isFirst) {
      isFirst = false
      guard isNumberStart(parser.peek()) else {
        _ = try parser.parseValue()
        if problem == nil { problem = .notNumbers }
        continue
      }
      let p = try parser.parseFloat()
      if p.isInfinite && problem == nil { problem = .outOfFloatRange(location: "probs[\(quoted(className))]") }
      entries.append((className: className, p: p))
    }
    return problem ?? .probs(entries)
  }

  private static func isNumberStart(_ byte: UInt8?) -> Bool {
    guard let byte else { return false }
    return byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
  }
}
