import Foundation
import SegmaKit
import Testing
import TestSupport

/// The model file (DESIGN §6): round trip, golden header bytes, one specific error per
/// way a file can be wrong, no crash on mutated files, atomic writes (SHA-256 in SHA256Tests).
@Suite struct ModelFileTests {
  // MARK: Fixture

  static let config = ModelConfig(
    architecture: .mlp, imageWidth: 4, imageHeight: 3, channels: 1, latentDimension: 3,
    classNames: ["a", "b", "c"], classWeights: [0.5, 0.25, 0.25], training: ["epochs": "2"])
  static let tensors = [
    NamedTensor(name: "w", shape: [2, 3], values: [1, -2, 0.5, 0, -0.0, .leastNonzeroMagnitude]),
    NamedTensor(name: "b", shape: [3], values: [.infinity, -1e30, 0.1]),
  ]
  /// The header `encode` writes for the fixture, without its padding.
  static let metadata = #"""
    "__metadata__":{"format":"segma-model","format_version":"1","architecture":"mlp","image_width":"4",\#
    "image_height":"3","channels":"1","latent_dim":"3","class_names":"[\"a\",\"b\",\"c\"]",\#
    "class_weights":"[0.5,0.25,0.25]","training.epochs":"2"}
    """#
  static let tensorTable = #"""
    "w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]}
    """#
  static let path = "m.segma"

  /// A file with `header` as its header text and `dataCount` bytes of data.
  static func file(header: String, dataCount: Int = 36) -> [UInt8] {
    file(headerBytes: Array(header.utf8), dataCount: dataCount)
  }

  static func file(headerBytes: [UInt8], dataCount: Int = 36, lengthField: UInt64? = nil) -> [UInt8] {
    var bytes: [UInt8] = []
    withUnsafeBytes(of: (lengthField ?? UInt64(headerBytes.count)).littleEndian) { bytes += $0 }
    return bytes + headerBytes + [UInt8](repeating: 0x3F, count: dataCount)
  }

  /// The fixture's header with `old` replaced by `new` (which must occur).
  static func header(replacing old: String = "", with new: String = "") -> String {
    let header = "{\(metadata),\(tensorTable)}"
    precondition(old.isEmpty || header.contains(old), "fixture has no \(old)")
    return old.isEmpty ? header : header.replacingOccurrences(of: old, with: new)
  }

  // MARK: Round trip and bytes

  @Test func writeThenReadGivesTheSameModelBitForBit() throws {
    let folder = try TemporaryFolder()
    defer { folder.remove() }
    var tensors = Self.tensors
    tensors.append(NamedTensor(name: "nan payload", shape: [1, 1], values: [Float(bitPattern: 0x7FC0_1234)]))
    let path = folder.path + "/model.segma"
    try ModelFile.write(config: Self.config, tensors: tensors, to: path)
    let (config, read, sha256) = try ModelFile.read(path: path)
    #expect(config == Self.config)
    #expect(read.map(\.name) == tensors.map(\.name))
    #expect(read.map(\.shape) == tensors.map(\.shape))
    #expect(read.map { $0.values.map(\.bitPattern) } == tensors.map { $0.values.map(\.bitPattern) })

    let encoded = ModelFile.encode(config: Self.config, tensors: tensors)
    #expect(ModelFile.encode(config: config, tensors: read) == encoded)
    #expect(try Array(Data(contentsOf: URL(fileURLWithPath: path))) == encoded)
    #expect(sha256 == ModelFile.sha256(of: encoded))
    // Overwriting keeps one file and no temporary siblings.
    try ModelFile.write(config: Self.config, tensors: tensors, to: path)
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["model.segma"])
  }

  @Test func headerIsTheGoldenTextPaddedToEightBytes() throws {
    let bytes = ModelFile.encode(config: Self.config, tensors: Self.tensors)
    let length = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
    #expect(length % 8 == 0)
    let header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
    #expect(header.trimmingCharacters(in: .whitespaces) == Self.header())
    #expect(bytes.count == 8 + length + 36)
    // Data are little-endian Float32: 1.0 is 00 00 80 3F.
    #expect(Array(bytes[(8 + length)..<(12 + length)]) == [0, 0, 0x80, 0x3F])
    // The hand-written fixture header decodes too.
    let (config, tensors) = try ModelFile.decode(Self.file(header: Self.header()), path: Self.path)
    #expect(config == Self.config && tensors.map(\.name) == ["w", "b"])
  }

  @Test func modelIDIsTheFirstSixteenHexDigits() {
    let hash = ModelFile.sha256(of: Array("abc".utf8))
    #expect(ModelFile.modelID(sha256: hash) == "sha256:ba7816bf8f01cfea")
  }

  // MARK: Validation: one specific error per defect

  struct BadFile: Sendable, CustomTestStringConvertible {
    var name: String
    var bytes: [UInt8]
    var expected: ModelFileError
    var testDescription: String { name }

    init(_ name: String, _ bytes: [UInt8], _ expected: ModelFileError) {
      self.name = name
      self.bytes = bytes
      self.expected = expected
    }

    /// The fixture with `old` replaced by `new` in its header.
    init(_ name: String, replacing old: String, with new: String, dataCount: Int = 36, _ expected: ModelFileError) {
      self.init(name, ModelFileTests.file(header: ModelFileTests.header(replacing: old, with: new), dataCount: dataCount), expected)
    }
  }

  static let p = path
  static let goodHeaderCount = header().utf8.count
  static let badFiles: [BadFile] = [
    // The file as a whole.
    BadFile("empty file", [], .tooShort(path: p, fileHas: 0)),
    BadFile("seven bytes", [1, 2, 3, 4, 5, 6, 7], .tooShort(path: p, fileHas: 7)),
    BadFile(
      "header length 2^64-1", file(headerBytes: [], dataCount: 8, lengthField: .max),
      .headerTooLarge(path: p, headerSays: .max, limit: 16 << 20)),
    BadFile(
      "header length over 16 MiB", file(headerBytes: [], dataCount: 8, lengthField: 16 << 20 + 1),
      .headerTooLarge(path: p, headerSays: 16 << 20 + 1, limit: 16 << 20)),
    BadFile(
      "header length past the end",
      file(headerBytes: Array(header().utf8), dataCount: 0, lengthField: UInt64(goodHeaderCount + 1)),
      .truncated(path: p, headerSays: UInt64(goodHeaderCount + 1), fileHas: 8 + goodHeaderCount)),
    BadFile("header not UTF-8", file(headerBytes: [0x7B, 0x22, 0xFF, 0x22, 0x7D]), .badHeader(path: p, reason: "not valid UTF-8")),
    BadFile("header not JSON", file(header: "{"), .badHeader(path: p, reason: "not JSON: expected a string key at byte 1")),
    BadFile("header not an object", file(header: "[1]"), .badHeader(path: p, reason: #"expected a JSON object, found "[1]""#)),
    BadFile(
      "header nested 100 deep", file(header: String(repeating: "[", count: 100) + String(repeating: "]", count: 100)),
      .badHeader(path: p, reason: "not JSON: nested more than 16 deep at byte 16")),
    BadFile(
      "text after the header object", file(header: header() + " x"),
      .badHeader(path: p, reason: "not JSON: unexpected text after the value at byte \(goodHeaderCount + 1)")),

    // Metadata.
    BadFile("no metadata", file(header: "{\(tensorTable)}"), .missingMetadata(path: p, key: "__metadata__")),
    BadFile(
      "metadata not an object", file(header: #"{"__metadata__":[],\#(tensorTable)}"#),
      .badMetadata(path: p, key: "__metadata__", expected: "an object", found: #""[]""#)),
    BadFile(
      "metadata twice", file(header: "{\(metadata),\(metadata),\(tensorTable)}"),
      .badMetadata(path: p, key: "__metadata__", expected: "one entry", found: "several")),
    BadFile(
      "metadata value not a string", replacing: #""channels":"1""#, with: #""channels":1"#,
      .badMetadata(path: p, key: "channels", expected: "a string", found: #""1""#)),
    BadFile(
      "metadata key twice", replacing: #""channels":"1""#, with: #""channels":"1","channels":"1""#,
      .badMetadata(path: p, key: "channels", expected: "one entry", found: "several")),
    BadFile("no format", replacing: #""format":"segma-model","#, with: "", .missingMetadata(path: p, key: "format")),
    BadFile("unknown format", replacing: "segma-model", with: "pt", .unknownFormat(path: p, found: "pt")),
    BadFile(
      "format version 2", replacing: #""format_version":"1""#, with: #""format_version":"2""#,
      .unsupportedVersion(path: p, found: 2, supported: 1...1)),
    BadFile(
      "unknown architecture", replacing: #""mlp""#, with: #""rnn""#,
      .badMetadata(path: p, key: "architecture", expected: "mlp or conv", found: #""rnn""#)),
    BadFile(
      "width with a sign", replacing: #""image_width":"4""#, with: #""image_width":"+4""#,
      .badMetadata(path: p, key: "image_width", expected: "a decimal integer", found: #""+4""#)),
    BadFile(
      "height not an integer", replacing: #""image_height":"3""#, with: #""image_height":"3.0""#,
      .badMetadata(path: p, key: "image_height", expected: "a decimal integer", found: #""3.0""#)),
    BadFile(
      "width 0", replacing: #""image_width":"4""#, with: #""image_width":"0""#,
      .dimensionOutOfRange(path: p, key: "image_width", found: 0, expected: 1...4096)),
    BadFile(
      "height 4097", replacing: #""image_height":"3""#, with: #""image_height":"4097""#,
      .dimensionOutOfRange(path: p, key: "image_height", found: 4097, expected: 1...4096)),
    BadFile(
      "latent 2", replacing: #""latent_dim":"3""#, with: #""latent_dim":"2""#,
      .dimensionOutOfRange(path: p, key: "latent_dim", found: 2, expected: 3...1024)),
    BadFile(
      "latent 1025", replacing: #""latent_dim":"3""#, with: #""latent_dim":"1025""#,
      .dimensionOutOfRange(path: p, key: "latent_dim", found: 1025, expected: 3...1024)),
    BadFile(
      "2 channels", replacing: #""channels":"1""#, with: #""channels":"2""#,
      .badMetadata(path: p, key: "channels", expected: "1 or 3", found: "2")),
    BadFile(
      "no class weights", replacing: #","class_weights":"[0.5,0.25,0.25]""#, with: "",
      .missingMetadata(path: p, key: "class_weights")),
    BadFile(
      "class names not JSON", replacing: #""[\"a\",\"b\",\"c\"]""#, with: #""a,b,c""#,
      .badMetadata(path: p, key: "class_names", expected: "a JSON array of strings", found: #""a,b,c""#)),
    BadFile(
      "one class", replacing: #""[\"a\",\"b\",\"c\"]","class_weights":"[0.5,0.25,0.25]""#,
      with: #""[\"a\"]","class_weights":"[1]""#,
      .badMetadata(path: p, key: "class_names", expected: "at least 2 classes", found: "1")),
    BadFile(
      "duplicate class names", replacing: #"\"b\""#, with: #"\"a\""#,
      .badMetadata(path: p, key: "class_names", expected: "unique names", found: #""a" twice"#)),
    BadFile(
      "empty class name", replacing: #"\"b\""#, with: #"\"\""#,
      .badMetadata(path: p, key: "class_names", expected: "non-empty names without control characters", found: #""""#)),
    BadFile(
      "control character in a class name", replacing: #"\"b\""#, with: #"\"b\\u0007\""#,
      .badMetadata(
        path: p, key: "class_names", expected: "non-empty names without control characters", found: #""b\u{7}""#)),
    BadFile(
      "class weights not numbers", replacing: "[0.5,0.25,0.25]", with: #"[0.5,\"x\",0.25]"#,
      .badMetadata(path: p, key: "class_weights", expected: "a JSON array of numbers", found: #""[0.5,"x",0.25]""#)),
    BadFile(
      "negative class weight", replacing: "[0.5,0.25,0.25]", with: "[1.5,-0.25,-0.25]",
      .badMetadata(path: p, key: "class_weights", expected: "positive proportions", found: "-0.25")),
    BadFile(
      "two weights for three classes", replacing: "[0.5,0.25,0.25]", with: "[0.5,0.5]",
      .classCountMismatch(path: p, names: 3, weights: 2)),
    BadFile(
      "weights sum to 1.25", replacing: "[0.5,0.25,0.25]", with: "[0.5,0.25,0.5]",
      .weightsDoNotSumToOne(path: p, sum: 1.25)),
    BadFile(
      "training key without a name", replacing: #""training.epochs""#, with: #""training.""#,
      .badMetadata(path: p, key: "training.", expected: #"a name after "training.""#, found: "none")),

    // The tensor table.
    BadFile(
      "tensor entry not an object", replacing: #""b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]}"#,
      with: #""b":[1]"#, .badTensorEntry(path: p, tensor: "b", reason: #"expected an object, found "[1]""#)),
    BadFile(
      "no dtype", replacing: #""w":{"dtype":"F32","#, with: #""w":{"#,
      .badTensorEntry(path: p, tensor: "w", reason: "no dtype")),
    BadFile(
      "dtype twice", replacing: #""w":{"dtype":"F32","#, with: #""w":{"dtype":"F32","dtype":"F32","#,
      .badTensorEntry(path: p, tensor: "w", reason: "dtype given twice")),
    BadFile(
      "dtype F16", replacing: #""w":{"dtype":"F32""#, with: #""w":{"dtype":"F16""#,
      .unsupportedDType(path: p, tensor: "w", found: #""F16""#)),
    BadFile(
      "zero in shape", replacing: "[2,3]", with: "[2,0]", .badShape(path: p, tensor: "w", found: #""[2,0]""#)),
    BadFile(
      "fraction in shape", replacing: "[2,3]", with: "[2,3.0]", .badShape(path: p, tensor: "w", found: #""[2,3.0]""#)),
    BadFile(
      "boolean in shape", replacing: "[2,3]", with: "[true,6]", .badShape(path: p, tensor: "w", found: #""[true,6]""#)),
    BadFile("shape not a list", replacing: "[2,3]", with: "6", .badShape(path: p, tensor: "w", found: #""6""#)),
    BadFile(
      "element count overflows", replacing: "[2,3]", with: "[4294967296,4294967296]",
      .tensorTooLarge(path: p, tensor: "w", shape: [1 << 32, 1 << 32])),
    BadFile(
      "byte count overflows", replacing: "[2,3]", with: "[2305843009213693952,2]",
      .tensorTooLarge(path: p, tensor: "w", shape: [1 << 61, 2])),
    BadFile(
      "one offset", replacing: "[0,24]", with: "[24]", .badOffsets(path: p, tensor: "w", found: #""[24]""#)),
    BadFile(
      "negative offset", replacing: "[0,24]", with: "[-4,20]", .badOffsets(path: p, tensor: "w", found: #""[-4,20]""#)),
    BadFile(
      "offsets as strings", replacing: "[0,24]", with: #"["0","24"]"#,
      .badOffsets(path: p, tensor: "w", found: #""["0","24"]""#)),
    BadFile(
      "offsets past Int", replacing: "[0,24]", with: "[0,9223372036854775808]",
      .badOffsets(path: p, tensor: "w", found: #""[0,9223372036854775808]""#)),
    BadFile(
      "end before begin", replacing: "[0,24]", with: "[24,0]", .reversedOffsets(path: p, tensor: "w", begin: 24, end: 0)),
    BadFile(
      "offsets span the wrong size", replacing: "[0,24]", with: "[0,20]",
      .sizeMismatch(path: p, tensor: "w", shape: [2, 3], expectedBytes: 24, foundBytes: 20)),
    BadFile(
      "end past the data", replacing: "[24,36]", with: "[24,36]", dataCount: 30,
      .beyondData(path: p, tensor: "b", end: 36, dataSize: 30)),
    BadFile(
      "a gigabyte claimed in a small file", replacing: #""shape":[3],"data_offsets":[24,36]"#,
      with: #""shape":[268435456],"data_offsets":[36,1073741860]"#,
      .beyondData(path: p, tensor: "b", end: 1_073_741_860, dataSize: 36)),
    BadFile(
      "overlapping tensors", replacing: "[24,36]", with: "[12,24]", .overlapping(path: p, tensor: "b", other: "w")),
    BadFile(
      "hole between tensors", replacing: "[24,36]", with: "[28,40]", dataCount: 40,
      .gap(path: p, before: "b", begin: 24, end: 28)),
    BadFile(
      "duplicate tensor", replacing: #""b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]}"#,
      with: #""w":{"dtype":"F32","shape":[3],"data_offsets":[24,36]}"#, .duplicateTensor(path: p, name: "w")),
    BadFile(
      "trailing bytes", replacing: "[24,36]", with: "[24,36]", dataCount: 40,
      .trailingBytes(path: p, dataEnd: 36, dataSize: 40)),
  ]

  @Test(arguments: badFiles)
  func badFileGivesItsError(_ bad: BadFile) {
    #expect(throws: bad.expected) { try ModelFile.decode(bad.bytes, path: Self.path) }
  }

  @Test func errorMessagesNameThePathAndWhatWasFound() {
    let error = ModelFileError.sizeMismatch(path: "m.segma", tensor: "w", shape: [2, 3], expectedBytes: 24, foundBytes: 20)
    #expect(error.description == #"m.segma: tensor "w": shape [2, 3] needs 24 bytes, data_offsets span 20"#)
    for bad in Self.badFiles {
      #expect(bad.expected.description.hasPrefix("m.segma: "), "\(bad.name)")
      #expect(!bad.expected.description.hasSuffix("."), "\(bad.name)")
    }
  }

  // MARK: Files

  @Test func readingRefusesMissingShortAndOversizedFilesFromDisk() throws {
    let folder = try TemporaryFolder()
    defer { folder.remove() }
    let missing = folder.path + "/missing.segma"
    #expect(throws: ModelFileError.unreadable(path: missing, reason: "no such file or directory")) {
      try ModelFile.read(path: missing)
    }
    #expect(throws: ModelFileError.unreadable(path: folder.path, reason: "is a directory")) {
      try ModelFile.read(path: folder.path)
    }
    let short = folder.path + "/short.segma"
    try Data([1, 2, 3]).write(to: URL(fileURLWithPath: short))
    #expect(throws: ModelFileError.tooShort(path: short, fileHas: 3)) { try ModelFile.read(path: short) }
    let huge = folder.path + "/huge.segma"
    try Data(Self.file(headerBytes: [], dataCount: 8, lengthField: 1 << 40)).write(to: URL(fileURLWithPath: huge))
    #expect(throws: ModelFileError.headerTooLarge(path: huge, headerSays: 1 << 40, limit: 16 << 20)) {
      try ModelFile.read(path: huge)
    }
  }

  @Test func failedWritesLeaveNoFileBehind() throws {
    let folder = try TemporaryFolder()
    defer { folder.remove() }
    var config = Self.config
    config.channels = 2
    let path = folder.path + "/model.segma"
    #expect(throws: ModelFileError.badMetadata(path: path, key: "channels", expected: "1 or 3", found: "2")) {
      try ModelFile.write(config: config, tensors: Self.tensors, to: path)
    }
    // A folder in the way: the rename fails and the temporary file is removed.
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    #expect(throws: ModelFileError.self) { try ModelFile.write(config: Self.config, tensors: Self.tensors, to: path) }
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["model.segma"])
    let nowhere = folder.path + "/no/such/folder/model.segma"
    #expect(throws: ModelFileError.cannotWrite(path: nowhere, reason: "no such file or directory")) {
      try ModelFile.write(config: Self.config, tensors: Self.tensors, to: nowhere)
    }
  }

  @Test func tensorsAreCheckedAgainstTheArchitectureLayout() {
    let layout: [(name: String, shape: [Int])] = [("w", [2, 3]), ("b", [3])]
    #expect(throws: Never.self) { try ModelFile.validate(Self.tensors, against: layout, path: "m") }
    #expect(throws: ModelFileError.missingTensor(path: "m", tensor: "b")) {
      try ModelFile.validate([Self.tensors[0]], against: layout, path: "m")
    }
    #expect(throws: ModelFileError.unexpectedTensor(path: "m", tensor: "b")) {
      try ModelFile.validate(Self.tensors, against: [("w", [2, 3])], path: "m")
    }
    #expect(throws: ModelFileError.wrongShape(path: "m", tensor: "w", expected: [3, 2], found: [2, 3])) {
      try ModelFile.validate(Self.tensors, against: [("w", [3, 2]), ("b", [3])], path: "m")
    }
  }

  // MARK: Robustness

  /// 2000 mutated files (byte flips, mostly in the header, header bytes deleted or
  /// inserted with the length fixed, truncations): each one
  /// decodes or throws `ModelFileError` (the only error `decode` can throw); none traps.
  @Test func mutatedFilesDecodeOrThrowButNeverCrash() {
    var random = SeededGenerator(seed: 42)
    let config = ModelConfig(
      architecture: .conv, imageWidth: 32, imageHeight: 32, channels: 3, latentDimension: 8,
      classNames: ["t-shirt", "trouser", "pullover"], classWeights: [0.2, 0.3, 0.5], training: ["seed": "7"])
    let tensors = (0..<4).map { i in
      NamedTensor(name: "layer\(i).weight", shape: [i + 1, 3], values: (0..<(3 * i + 3)).map { _ in Float.random(in: -1...1, using: &random) })
    }
    let valid = ModelFile.encode(config: config, tensors: tensors)
    let headerEnd = 8 + valid[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
    var (decoded, refused) = (0, 0)
    for _ in 0..<2000 {
      var bytes = valid
      let flips = Int.random(in: 0...4, using: &random)
      for _ in 0..<flips {
        // Flips in the data section always decode; aim most of them at the header.
        let limit = Bool.random(using: &random) || Bool.random(using: &random) ? headerEnd : bytes.count
        let index = Int.random(in: 0..<limit, using: &random)
        bytes[index] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &random)
      }
      switch Int.random(in: 0..<4, using: &random) {
      case 0:
        bytes.removeLast(Int.random(in: 1...bytes.count, using: &random))
      case 1:
        // Delete or insert a header byte and fix the length, so the damage reaches the JSON checks.
        let index = Int.random(in: 8..<headerEnd, using: &random)
        if Bool.random(using: &random) {
          bytes.remove(at: index)
        } else {
          bytes.insert(UInt8.random(in: 0x20...0x7E, using: &random), at: index)
        }
        let length = UInt64(headerEnd - 8 + bytes.count - valid.count)
        withUnsafeBytes(of: length.littleEndian) { bytes.replaceSubrange(0..<8, with: $0) }
      default:
        if flips == 0 { bytes.removeLast(Int.random(in: 1...bytes.count, using: &random)) }
      }
      do {
        _ = try ModelFile.decode(bytes, path: "fuzz")
        decoded += 1
      } catch {
        #expect(error.path == "fuzz")
        refused += 1
      }
    }
    #expect(decoded + refused == 2000)
    #expect(decoded > 0 && refused > 1000, "decoded \(decoded), refused \(refused)")
  }
}

/// A fresh folder under the system's temporary directory; `remove()` deletes it.
private struct TemporaryFolder {
  let path: String

  init() throws {
    path = FileManager.default.temporaryDirectory.path + "/segma-modelfile-\(getpid())-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
  }

  func remove() { try? FileManager.default.removeItem(atPath: path) }
}
