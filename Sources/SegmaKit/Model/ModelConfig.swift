/// What a model file says about its model: the architecture, the image and latent
/// sizes, the classes and their proportions, and a free-form training summary.
///
/// Stored as the string entries of the safetensors `__metadata__` (DESIGN §6), read and
/// checked by `ModelFile.read(path:)`; `ModelFile.write` refuses a config it could not
/// read back.
public struct ModelConfig: Equatable, Sendable {
  /// The network family (DESIGN §2).
  public enum Architecture: String, Sendable, CaseIterable {
    /// Dense encoder and decoder, for small gray images.
    case mlp
    /// Strided convolutions, for colour or larger images.
    case conv
  }

  /// Which encoder and decoder the tensors belong to.
  public var architecture: Architecture
  /// Width of the model's input and output images in pixels, in `imageSideRange`.
  public var imageWidth: Int
  /// Height of the model's input and output images in pixels, in `imageSideRange`.
  public var imageHeight: Int
  /// 1 (gray) or 3 (RGB).
  public var channels: Int
  /// D, the length of a latent vector, in `latentDimensionRange`.
  public var latentDimension: Int
  /// One name per mixture component, in component order: at least 2, unique, non-empty,
  /// without control characters.
  public var classNames: [String]
  /// The mixture weights `p_k`, one per class: positive, summing to 1 within
  /// `weightSumTolerance`.
  public var classWeights: [Float]
  /// Free-form summary (epochs, labels, seed, accuracy ...), stored as `training.<key>`
  /// entries; keys are non-empty.
  public var training: [String: String]
  /// The file format version; `supportedFormatVersions` lists what this build reads.
  public var formatVersion: Int

  /// The value of the `format` metadata entry of every segma model.
  public static let formatName = "segma-model"
  /// The `format_version` values this build reads (and writes).
  public static let supportedFormatVersions = 1...1
  /// Allowed image width and height in pixels.
  public static let imageSideRange = 1...4096
  /// The Cramér-Wold kernel's `phi_D` needs D >= 3.
  public static let latentDimensionRange = 3...1024
  /// Gray or RGB.
  public static let allowedChannels = [1, 3]
  /// How far the class weights may sum from 1 (they are Float32 proportions).
  public static let weightSumTolerance = 1e-4

  /// A config as given; nothing is checked until it is written or read back.
  public init(
    architecture: Architecture, imageWidth: Int, imageHeight: Int, channels: Int, latentDimension: Int,
    classNames: [String], classWeights: [Float], training: [String: String] = [:], formatVersion: Int = 1
  ) {
    self.architecture = architecture
    self.imageWidth = imageWidth
    self.imageHeight = imageHeight
    self.channels = channels
    self.latentDimension = latentDimension
    self.classNames = classNames
    self.classWeights = classWeights
    self.training = training
    self.formatVersion = formatVersion
  }

  /// K, the number of classes and of mixture components.
  public var classCount: Int { classNames.count }
}

// MARK: - Metadata entries

extension ModelConfig {
  /// The `__metadata__` entries in the order they are written: the fixed keys, then
  /// `training.<key>` sorted by key, so equal configs give equal bytes.
  var metadataEntries: [(key: String, value: String)] {
    var namesJSON: [UInt8] = [UInt8(ascii: "[")]
    for (i, name) in classNames.enumerated() {
      if i > 0 { namesJSON.append(UInt8(ascii: ",")) }
      HeaderJSON.appendString(name, to: &namesJSON)
    }
    namesJSON.append(UInt8(ascii: "]"))
    // Float's description is its shortest round-trip form ("0.1", "1e-05"), valid JSON.
    let weightsJSON = "[" + classWeights.map(\.description).joined(separator: ",") + "]"
    var entries: [(key: String, value: String)] = [
      ("format", Self.formatName),
      ("format_version", String(formatVersion)),
      ("architecture", architecture.rawValue),
      ("image_width", String(imageWidth)),
      ("image_height", String(imageHeight)),
      ("channels", String(channels)),
      ("latent_dim", String(latentDimension)),
      ("class_names", String(decoding: namesJSON, as: UTF8.self)),
      ("class_weights", weightsJSON),
    ]
    for (key, value) in training.sorted(by: { $0.key < $1.key }) {
      entries.append(("training." + key, value))
    }
    return entries
  }

  /// Reads and checks a config from `__metadata__` entries; unknown keys are ignored.
  ///
  /// - Throws: `ModelFileError` naming `path` and the offending key: `missingMetadata`,
  ///   `unknownFormat`, `unsupportedVersion`, `dimensionOutOfRange`, `classCountMismatch`,
  ///   `weightsDoNotSumToOne`, or `badMetadata` for anything else unusable.
  init(metadata entries: [(key: String, value: String)], path: String) throws(ModelFileError) {
    var values: [String: String] = [:]
    var training: [String: String] = [:]
    for (key, value) in entries {
      guard values.updateValue(value, forKey: key) == nil else {
        throw .badMetadata(path: path, key: key, expected: "one entry", found: "several")
      }
      if key.hasPrefix("training.") {
        let name = String(key.dropFirst("training.".count))
        guard !name.isEmpty else {
          throw .badMetadata(path: path, key: key, expected: "a name after \"training.\"", found: "none")
        }
        training[name] = value
      }
    }
    func required(_ key: String) throws(ModelFileError) -> String {
      guard let value = values[key] else { throw .missingMetadata(path: path, key: key) }
      return value
    }
    func integer(_ key: String) throws(ModelFileError) -> Int {
      let text = try required(key)
      // Only the canonical form: no sign, no leading zeros, no spaces.
      guard let value = Int(text), String(value) == text else {
        throw .badMetadata(path: path, key: key, expected: "a decimal integer", found: ModelFileError.quote(text))
      }
      return value
    }
    func dimension(_ key: String, in range: ClosedRange<Int>) throws(ModelFileError) -> Int {
      let value = try integer(key)
      guard range.contains(value) else { throw .dimensionOutOfRange(path: path, key: key, found: value, expected: range) }
      return value
    }

    let format = try required("format")
    guard format == Self.formatName else { throw .unknownFormat(path: path, found: format) }
    formatVersion = try integer("format_version")
    guard Self.supportedFormatVersions.contains(formatVersion) else {
      throw .unsupportedVersion(path: path, found: formatVersion, supported: Self.supportedFormatVersions)
    }
    let architectureName = try required("architecture")
    guard let architecture = Architecture(rawValue: architectureName) else {
      let known = Architecture.allCases.map(\.rawValue).joined(separator: " or ")
      throw .badMetadata(path: path, key: "architecture", expected: known, found: ModelFileError.quote(architectureName))
    }
    self.architecture = architecture
    imageWidth = try dimension("image_width", in: Self.imageSideRange)
    imageHeight = try dimension("image_height", in: Self.imageSideRange)
    channels = try integer("channels")
    guard Self.allowedChannels.contains(channels) else {
      throw .badMetadata(path: path, key: "channels", expected: "1 or 3", found: String(channels))
    }
    latentDimension = try dimension("latent_dim", in: Self.latentDimensionRange)
    classNames = try Self.classNames(from: required("class_names"), path: path)
    classWeights = try Self.classWeights(from: required("class_weights"), path: path)
    guard classWeights.count == classNames.count else {
      throw .classCountMismatch(path: path, names: classNames.count, weights: classWeights.count)
    }
    let sum = classWeights.reduce(0.0) { $0 + Double($1) }
    guard abs(sum - 1) <= Self.weightSumTolerance else { throw .weightsDoNotSumToOne(path: path, sum: sum) }
    self.training = training
  }

  private static func classNames(from text: String, path: String) throws(ModelFileError) -> [String] {
    let key = "class_names"
    var names: [String] = []
    if case .array(let items)? = try? HeaderJSON.parse(Array(text.utf8)) {
      for item in items {
        guard case .string(let name) = item else { break }
        names.append(name)
      }
      if names.count != items.count { names = [] }
    }
    guard !names.isEmpty else {
      throw .badMetadata(path: path, key: key, expected: "a JSON array of strings", found: ModelFileError.quote(text))
    }
    guard names.count >= 2 else {
      throw .badMetadata(path: path, key: key, expected: "at least 2 classes", found: String(names.count))
    }
    var seen = Set<String>()
    for name in names {
      guard !name.isEmpty, !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
        throw .badMetadata(
          path: path, key: key, expected: "non-empty names without control characters", found: ModelFileError.quote(name))
      }
      guard seen.insert(name).inserted else {
        throw .badMetadata(path: path, key: key, expected: "unique names", found: "\(ModelFileError.quote(name)) twice")
      }
    }
    return names
  }

  private static func classWeights(from text: String, path: String) throws(ModelFileError) -> [Float] {
    var weights: [Float] = []
    var isWellFormed = false
    if case .array(let items)? = try? HeaderJSON.parse(Array(text.utf8)) {
      // Float(text) rounds the decimal once, straight to Float: the written weights come back bit for bit.
      for item in items {
        guard case .number(let number) = item, let weight = Float(number) else { break }
        weights.append(weight)
      }
      isWellFormed = weights.count == items.count
    }
    guard isWellFormed else {
      throw .badMetadata(
        path: path, key: "class_weights", expected: "a JSON array of numbers", found: ModelFileError.quote(text))
    }
    if let bad = weights.first(where: { !($0.isFinite && $0 > 0) }) {
      throw .badMetadata(path: path, key: "class_weights", expected: "positive proportions", found: bad.description)
    }
    return weights
  }
}

// MARK: - Header JSON

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
