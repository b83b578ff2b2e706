// Turning the fields of one line into a typed record, checking each field in
// the order records are written. Messages are lower case and name the field:
// `missing field "z"`, `field "channels" must be an integer in 1...4`.

/// What is wrong with a line that is valid JSON.
struct FieldProblem: Error {
  var message: String

  init(_ message: String) {
    self.message = message
  }
}

extension LineFields {
  /// The record these fields describe.
  /// - Throws: `FieldProblem` for the first field that is missing or wrong.
  func record() throws(FieldProblem) -> Record {
    if isNotAnObject { throw FieldProblem("not a json object") }
    if let duplicate { throw FieldProblem("duplicate field \"\(duplicate.name)\"") }
    let version = try int(.v)
    guard version == 1 else { throw FieldProblem("unsupported version \(version)") }
    switch try string(.type) {
    case "latent":
      return .latent(try latent())
    case "image":
      return .image(ImageRecord(id: try string(.id), path: try string(.path)))
    case "error":
      return .error(ErrorRecord(
        id: try optionalString(.id), src: try optionalString(.src), stage: try string(.stage),
        message: try string(.message), line: try optionalInt(.line, atLeast: 1, "a positive integer")))
    case let other:
      throw FieldProblem("unknown record type \(quoted(other))")
    }
  }

  private func latent() throws(FieldProblem) -> LatentRecord {
    let id = try string(.id)
    let src = try optionalString(.src)
    let model = try string(.model)
    let z: [Float]
    switch try required(.z) {
    case .floats(let values) where values.isEmpty: throw FieldProblem("field \"z\" must not be empty")
    case .floats(let values): z = values
    case .outOfFloatRange(let location): throw FieldProblem("\(location) is out of float range")
    default: throw FieldProblem("field \"z\" must be an array of numbers")
    }
    let className = try string(.className)
    let p: Float
    switch try required(.p) {
    case .float(let value): p = value
    case .outOfFloatRange(let location): throw FieldProblem("\(location) is out of float range")
    default: throw FieldProblem("field \"p\" must be a number")
    }
    return LatentRecord(
      id: id, src: src, model: model, z: z, className: className, p: p, size: try size(),
      channels: try int(.channels, in: 1...4, "an integer in 1...4"), ops: try ops(),
      frame: try optionalInt(.frame, atLeast: 1, "an integer from 1"), probs: try probabilities())
  }

  private func size() throws(FieldProblem) -> ImageSize {
    // Capped at Int32.max so that width × height cannot overflow downstream.
    let problem = FieldProblem("field \"size\" must be [width, height] with positive integers")
    guard case .value(.array(let sides)) = try required(.size), sides.count == 2,
          let width = sides[0].intValue, let height = sides[1].intValue,
          (1...Int(Int32.max)).contains(width), (1...Int(Int32.max)).contains(height) else { throw problem }
    return ImageSize(width: width, height: height)
  }

  private func ops() throws(FieldProblem) -> [JSONValue] {
    switch self[.ops] {
    case nil, .value(.null)?: return []
    case .value(.array(let ops))? where ops.allSatisfy({ $0.objectValue != nil }): return ops
    default: throw FieldProblem("field \"ops\" must be an array of objects")
    }
  }

  private func probabilities() throws(FieldProblem) -> [(className: String, p: Float)]? {
    switch self[.probs] {
    case nil, .value(.null)?: return nil
    case .probs(let entries)?: return entries
    case .outOfFloatRange(let location)?: throw FieldProblem("\(location) is out of float range")
    default: throw FieldProblem("field \"probs\" must be an object of numbers")
    }
  }

  // MARK: Typed access

  private func required(_ key: Key) throws(FieldProblem) -> Field {
    guard let field = self[key] else { throw FieldProblem("missing field \"\(key.name)\"") }
    return field
  }

  private func string(_ key: Key) throws(FieldProblem) -> String {
    guard case .value(.string(let s)) = try required(key) else {
      throw FieldProblem("field \"\(key.name)\" must be a string")
    }
    return s
  }

  /// Absent and `null` both mean unknown.
  private func optionalString(_ key: Key) throws(FieldProblem) -> String? {
    switch self[key] {
    case nil, .value(.null)?: return nil
    case .value(.string(let s))?: return s
    default: throw FieldProblem("field \"\(key.name)\" must be a string or null")
    }
  }

  private func int(_ key: Key) throws(FieldProblem) -> Int {
    guard case .value(let value) = try required(key), let integer = value.intValue else {
      throw FieldProblem("field \"\(key.name)\" must be an integer")
    }
    return integer
  }

  private func int(_ key: Key, in range: ClosedRange<Int>, _ expected: String) throws(FieldProblem) -> Int {
    guard case .value(let value) = try required(key), let integer = value.intValue, range.contains(integer) else {
      throw FieldProblem("field \"\(key.name)\" must be \(expected)")
    }
    return integer
  }

  /// Absent and `null` both mean none.
  private func optionalInt(_ key: Key, atLeast minimum: Int, _ expected: String) throws(FieldProblem) -> Int? {
    switch self[key] {
    case nil, .value(.null)?: return nil
    case .value(let value)?:
      if let integer = value.intValue, integer >= minimum { return integer }
      fallthrough
    default: throw FieldProblem("field \"\(key.name)\" must be \(expected)")
    }
  }
}

/// `s` as a JSON string, cut after 40 characters: a message may reach a
/// terminal, so control characters in bad input stay escaped.
func quoted(_ s: String) -> String {
  var writer = JSONWriter()
  writer.writeString(s.count > 40 ? String(s.prefix(40)) + "..." : s)
  return String(decoding: writer.bytes, as: UTF8.self)
}
