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
    // The conv architecture's four stride-2 convolutions need sides divisible by 16.
    if architecture == .conv && (imageWidth % 16 != 0 || imageHeight % 16 != 0) {
      throw .badMetadata(
        path: path, key: "image_width, image_height", expected: "multiples of 16 for conv",
        found: "\(imageWidth)x\(imageHeight)")
    }
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
