/// Why a model file cannot be read or written. Each case names the file and, where it
/// applies, the tensor or metadata key, what was expected and what was found.
///
/// `description` reads `<path>: <reason>`, lower case, no final period (STYLE §8); the
/// CLI reports every case with exit status 65 (bad model file), except `unreadable` of a
/// missing file (66) and `cannotWrite` (73 or 74).
public enum ModelFileError: Error, Equatable, Sendable, CustomStringConvertible {
  // MARK: The file as a whole

  /// The file could not be opened or read; `reason` is the system's message.
  case unreadable(path: String, reason: String)
  /// The file (or its temporary sibling) could not be written, synced or renamed.
  case cannotWrite(path: String, reason: String)
  /// Fewer than the 8 bytes of the header length.
  case tooShort(path: String, fileHas: Int)
  /// The file is larger than `ModelFile.maxFileBytes`; nothing was read.
  case tooLarge(path: String, fileHas: Int, limit: Int)
  /// The header length is over `ModelFile.maxHeaderBytes`; nothing was allocated.
  case headerTooLarge(path: String, headerSays: UInt64, limit: Int)
  /// The header length runs past the end of the file.
  case truncated(path: String, headerSays: UInt64, fileHas: Int)
  /// The header is not UTF-8, not JSON or not a JSON object; `reason` says which and where.
  case badHeader(path: String, reason: String)

  // MARK: Metadata

  /// A required metadata entry (or `__metadata__` itself) is absent.
  case missingMetadata(path: String, key: String)
  /// A metadata entry that is present but unusable (not a number, an empty class name ...).
  case badMetadata(path: String, key: String, expected: String, found: String)
  /// `format` is not `segma-model`: some other safetensors file.
  case unknownFormat(path: String, found: String)
  /// A `format_version` this build does not read (a newer segma wrote it).
  case unsupportedVersion(path: String, found: Int, supported: ClosedRange<Int>)
  /// `image_width`, `image_height` or `latent_dim` outside its allowed range.
  case dimensionOutOfRange(path: String, key: String, found: Int, expected: ClosedRange<Int>)
  /// `class_names` and `class_weights` have different lengths.
  case classCountMismatch(path: String, names: Int, weights: Int)
  /// The class weights are proportions; their sum is more than 1e-4 away from 1.
  case weightsDoNotSumToOne(path: String, sum: Double)

  // MARK: The tensor table

  /// A tensor entry that is not an object or lacks `dtype`, `shape` or `data_offsets`.
  case badTensorEntry(path: String, tensor: String, reason: String)
  /// A dtype other than F32; `found` is quoted.
  case unsupportedDType(path: String, tensor: String, found: String)
  /// `shape` is not a list of positive integers; `found` is its JSON text.
  case badShape(path: String, tensor: String, found: String)
  /// The element count of `shape` does not fit in an `Int` of bytes.
  case tensorTooLarge(path: String, tensor: String, shape: [Int])
  /// `data_offsets` is not `[begin, end]` with non-negative integers; `found` is its JSON text.
  case badOffsets(path: String, tensor: String, found: String)
  /// `data_offsets` with `end < begin`.
  case reversedOffsets(path: String, tensor: String, begin: Int, end: Int)
  /// `end - begin` is not 4 bytes per element of `shape`.
  case sizeMismatch(path: String, tensor: String, shape: [Int], expectedBytes: Int, foundBytes: Int)
  /// The tensor ends after the data section does.
  case beyondData(path: String, tensor: String, end: Int, dataSize: Int)
  /// Two tensors share bytes of the data section.
  case overlapping(path: String, tensor: String, other: String)
  /// Bytes of the data section that belong to no tensor, starting at `begin`.
  case gap(path: String, before: String, begin: Int, end: Int)
  /// Two header entries with the same tensor name.
  case duplicateTensor(path: String, name: String)
  /// Bytes after the last tensor.
  case trailingBytes(path: String, dataEnd: Int, dataSize: Int)

  // MARK: The tensors against the architecture

  /// A tensor the architecture needs is not in the file.
  case missingTensor(path: String, tensor: String)
  /// The file has a tensor the architecture does not know.
  case unexpectedTensor(path: String, tensor: String)
  /// A tensor's shape differs from the architecture's.
  case wrongShape(path: String, tensor: String, expected: [Int], found: [Int])

  /// The file the error is about.
  public var path: String {
    switch self {
    case .unreadable(let path, _), .cannotWrite(let path, _), .tooShort(let path, _), .tooLarge(let path, _, _),
      .headerTooLarge(let path, _, _), .truncated(let path, _, _), .badHeader(let path, _),
      .missingMetadata(let path, _), .badMetadata(let path, _, _, _), .unknownFormat(let path, _),
      .unsupportedVersion(let path, _, _), .dimensionOutOfRange(let path, _, _, _),
      .classCountMismatch(let path, _, _), .weightsDoNotSumToOne(let path, _),
      .badTensorEntry(let path, _, _), .unsupportedDType(let path, _, _), .badShape(let path, _, _),
      .tensorTooLarge(let path, _, _), .badOffsets(let path, _, _), .reversedOffsets(let path, _, _, _),
      .sizeMismatch(let path, _, _, _, _), .beyondData(let path, _, _, _), .overlapping(let path, _, _),
      .gap(let path, _, _, _), .duplicateTensor(let path, _), .trailingBytes(let path, _, _),
      .missingTensor(let path, _), .unexpectedTensor(let path, _), .wrongShape(let path, _, _, _):
      path
    }
  }

  /// What went wrong, without the path: "tensor encoder.0.weight: dtype F16, expected F32".
  public var reason: String {
    switch self {
    case .unreadable(_, let reason): "cannot read model: \(reason)"
    case .cannotWrite(_, let reason): "cannot write model: \(reason)"
    case .tooShort(_, let size): "not a model file: \(size) bytes, expected at least 8"
    case .tooLarge(_, let size, let limit): "model file of \(size) bytes is larger than the limit of \(limit)"
    case .headerTooLarge(_, let says, let limit): "header length \(says) is more than the limit of \(limit) bytes"
    case .truncated(_, let says, let size):
      "truncated: header length \(says) but only \(max(0, size - 8)) bytes follow the length field"
    case .badHeader(_, let reason): "bad header: \(reason)"
    case .missingMetadata(_, let key): "metadata \(key) is missing"
    case .badMetadata(_, let key, let expected, let found): "metadata \(key): expected \(expected), found \(found)"
    case .unknownFormat(_, let found): "not a segma model: format is \(quoted(found)), expected \"segma-model\""
    case .unsupportedVersion(_, let found, let supported):
      "format version \(found) is not supported (supported: \(rangeText(supported)))"
    case .dimensionOutOfRange(_, let key, let found, let expected):
      "metadata \(key): \(found) is out of range \(rangeText(expected))"
    case .classCountMismatch(_, let names, let weights): "\(names) class names but \(weights) class weights"
    case .weightsDoNotSumToOne(_, let sum): "class weights sum to \(sum), expected 1"
    case .badTensorEntry(_, let tensor, let reason): "tensor \(quoted(tensor)): \(reason)"
    case .unsupportedDType(_, let tensor, let found): "tensor \(quoted(tensor)): dtype \(found), expected F32"
    case .badShape(_, let tensor, let found):
      "tensor \(quoted(tensor)): shape \(found), expected a list of positive integers"
    case .tensorTooLarge(_, let tensor, let shape): "tensor \(quoted(tensor)): shape \(shape) is too large"
    case .badOffsets(_, let tensor, let found):
      "tensor \(quoted(tensor)): data_offsets \(found), expected [begin, end] with non-negative integers"
    case .reversedOffsets(_, let tensor, let begin, let end):
      "tensor \(quoted(tensor)): data_offsets [\(begin), \(end)] end before they begin"
    case .sizeMismatch(_, let tensor, let shape, let expected, let found):
      "tensor \(quoted(tensor)): shape \(shape) needs \(expected) bytes, data_offsets span \(found)"
    case .beyondData(_, let tensor, let end, let size):
      "tensor \(quoted(tensor)): ends at byte \(end) of a data section of \(size) bytes"
    case .overlapping(_, let tensor, let other): "tensor \(quoted(tensor)) overlaps tensor \(quoted(other))"
    case .gap(_, let before, let begin, let end):
      "bytes \(begin)..<\(end) of the data section belong to no tensor (before \(quoted(before)))"
    case .duplicateTensor(_, let name): "tensor \(quoted(name)) appears more than once"
    case .trailingBytes(_, let end, let size):
      "\(size - end) bytes after the last tensor (tensors end at \(end), data section has \(size))"
    case .missingTensor(_, let tensor): "tensor \(quoted(tensor)) is missing"
    case .unexpectedTensor(_, let tensor): "tensor \(quoted(tensor)) is not part of the architecture"
    case .wrongShape(_, let tensor, let expected, let found):
      "tensor \(quoted(tensor)): shape \(found), expected \(expected)"
    }
  }

  /// `<path>: <reason>`.
  public var description: String { "\(path): \(reason)" }

  /// `text` quoted for a message: control characters made visible, cut after 80 characters.
  static func quote(_ text: String) -> String { quoted(text) }
}

/// `s` in double quotes, control characters made visible, cut after 80 characters.
private func quoted(_ s: String) -> String {
  let shown = s.count > 80 ? String(s.prefix(80)) + "..." : s
  let visible = shown.unicodeScalars.map { $0.properties.generalCategory == .control ? "\\u{\(String($0.value, radix: 16))}" : String($0) }
  return "\"" + visible.joined() + "\""
}

private func rangeText(_ range: ClosedRange<Int>) -> String {
  range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound)...\(range.upperBound)"
}
