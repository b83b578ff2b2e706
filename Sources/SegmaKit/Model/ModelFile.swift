import CKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One tensor of a model file: a name, a row-major shape and its Float32 values.
public struct NamedTensor: Equatable, Sendable {
  /// Unique within a file; the architecture's parameter name (`encoder.0.weight`).
  public var name: String
  /// Row-major dimensions, each positive; `values.count` is their product.
  public var shape: [Int]
  /// `shape.reduce(1, *)` values, row-major.
  public var values: [Float]

  /// A tensor as given; `ModelFile.encode` checks that `shape` fits `values`.
  public init(name: String, shape: [Int], values: [Float]) {
    self.name = name
    self.shape = shape
    self.values = values
  }
}

/// Reads and writes segma model files: safetensors with the config in `__metadata__`
/// (DESIGN §6).
///
/// Layout: an 8-byte little-endian header length N, N bytes of JSON header padded with
/// spaces to a multiple of 8, then the data section, every tensor's little-endian F32
/// values back to back in header order. The header is written by hand, metadata first
/// in a fixed key order, then the tensors in the order given, so the same model always
/// gives the same bytes (and the same sha256). Reading checks every size, offset,
/// shape and dtype against the file before it copies any tensor data, and refuses
/// large claims before allocating for them.
public enum ModelFile {
  /// A longer header is refused before it is read: real headers are a few kilobytes.
  public static let maxHeaderBytes = 16 << 20
  /// A larger file is refused before it is read.
  public static let maxFileBytes = 1 << 32

  /// Writes the model to `path` atomically: a temporary file in the same folder,
  /// fsync, then rename over `path`, so a crash leaves either the old file or the new
  /// one, never a part (checkpoints rely on it).
  ///
  /// - Precondition: tensor names are unique and not `__metadata__`; each shape is
  ///   positive and matches its value count.
  /// - Throws: the `ModelFileError` a reader would give for an invalid `config`
  ///   (nothing is written then), or `cannotWrite` with the system's message.
  public static func write(config: ModelConfig, tensors: [NamedTensor], to path: String) throws(ModelFileError) {
    _ = try ModelConfig(metadata: config.metadataEntries, path: path)
    try writeAtomically(encode(config: config, tensors: tensors), to: path)
  }

  /// The bytes of the model file for `config` and `tensors` (for tests and hashing).
  /// The config is not checked here; `write` checks it.
  ///
  /// - Precondition: as for `write(config:tensors:to:)`.
  public static func encode(config: ModelConfig, tensors: [NamedTensor]) -> [UInt8] {
    var header = Array(#"{"__metadata__":{"#.utf8)
    for (i, entry) in config.metadataEntries.enumerated() {
      if i > 0 { header.append(UInt8(ascii: ",")) }
      HeaderJSON.appendString(entry.key, to: &header)
      header.append(UInt8(ascii: ":"))
      HeaderJSON.appendString(entry.value, to: &header)
    }
    header.append(UInt8(ascii: "}"))
    var names = Set<String>()
    var offset = 0
    for tensor in tensors {
      precondition(tensor.name != "__metadata__" && names.insert(tensor.name).inserted, "tensor name \(tensor.name)")
      precondition(
        tensor.shape.allSatisfy { $0 > 0 } && tensor.shape.reduce(1, *) == tensor.values.count,
        "tensor \(tensor.name): shape \(tensor.shape) for \(tensor.values.count) values")
      let end = offset + 4 * tensor.values.count
      header.append(UInt8(ascii: ","))
      HeaderJSON.appendString(tensor.name, to: &header)
      let shape = tensor.shape.map(String.init).joined(separator: ",")
      header.append(contentsOf: #":{"dtype":"F32","shape":[\#(shape)],"data_offsets":[\#(offset),\#(end)]}"#.utf8)
      offset = end
    }
    header.append(UInt8(ascii: "}"))
    // Padding keeps the data section 8-byte aligned; the safetensors spec allows trailing spaces.
    header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))

    var bytes: [UInt8] = []
    bytes.reserveCapacity(8 + header.count + offset)
    withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
    bytes.append(contentsOf: header)
    for tensor in tensors {
      #if _endian(little)
      tensor.values.withUnsafeBytes { bytes.append(contentsOf: $0) }
      #else
      for value in tensor.values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
      #endif
    }
    return bytes
  }

  /// Reads, checks and loads the model file at `path`.
  ///
  /// - Returns: the config, the tensors in file order, and the lowercase hex sha256 of
  ///   the whole file (see `modelID(sha256:)`).
  /// - Throws: `ModelFileError` naming `path`: `unreadable` when it cannot be read,
  ///   otherwise what `decode(_:path:)` throws.
  public static func read(path: String) throws(ModelFileError) -> (config: ModelConfig, tensors: [NamedTensor], sha256: String) {
    let bytes = try readFile(path)
    let (config, tensors) = try decode(bytes, path: path)
    return (config, tensors, sha256(of: bytes))
  }

  /// Checks and loads a model file held in memory; `path` is only used in errors.
  ///
  /// Every check passes before any tensor data is copied: the header length against the
  /// file, the header as UTF-8 JSON, the metadata (`ModelConfig`), and each tensor's
  /// dtype, shape and offsets, which must tile the data section exactly, without gaps,
  /// overlaps or trailing bytes.
  /// - Throws: `ModelFileError`, a case for each way the bytes can be wrong.
  public static func decode(_ bytes: [UInt8], path: String) throws(ModelFileError) -> (config: ModelConfig, tensors: [NamedTensor]) {
    let headerLength = try checkedHeaderLength(bytes, fileSize: bytes.count, path: path)
    let dataStart = 8 + headerLength
    let header = Array(bytes[8..<dataStart])
    guard String(validating: header, as: UTF8.self) != nil else {
      throw .badHeader(path: path, reason: "not valid UTF-8")
    }
    let root: HeaderJSON
    do {
      root = try HeaderJSON.parse(header)
    } catch {
      throw .badHeader(path: path, reason: "not JSON: \(error.message)")
    }
    guard case .object(let members) = root else {
      throw .badHeader(path: path, reason: "expected a JSON object, found \(ModelFileError.quote(root.text))")
    }
    let (config, table) = try checkedTable(members, dataSize: bytes.count - dataStart, path: path)
    let tensors = table.map { entry in
      NamedTensor(name: entry.name, shape: entry.shape, values: floats(in: bytes, at: dataStart + entry.begin, count: entry.count))
    }
    return (config, tensors)
  }

  /// Checks that `tensors` are exactly the tensors of `layout` (in any order) with its
  /// shapes, as a model built from the file's architecture expects.
  ///
  /// - Throws: `missingTensor`, `unexpectedTensor` or `wrongShape`, naming `path`.
  public static func validate(
    _ tensors: [NamedTensor], against layout: [(name: String, shape: [Int])], path: String
  ) throws(ModelFileError) {
    var expected: [String: [Int]] = [:]
    for slot in layout { expected[slot.name] = slot.shape }
    for tensor in tensors {
      guard let shape = expected[tensor.name] else { throw .unexpectedTensor(path: path, tensor: tensor.name) }
      guard shape == tensor.shape else {
        throw .wrongShape(path: path, tensor: tensor.name, expected: shape, found: tensor.shape)
      }
    }
    let present = Set(tensors.map(\.name))
    if let missing = layout.first(where: { !present.contains($0.name) }) {
      throw .missingTensor(path: path, tensor: missing.name)
    }
  }

  /// The lowercase hex SHA-256 of `bytes`.
  public static func sha256(of bytes: [UInt8]) -> String {
    var digest = [UInt8](repeating: 0, count: 32)
    bytes.withUnsafeBytes { segma_sha256($0.baseAddress, $0.count, &digest) }
    let hexDigits = Array("0123456789abcdef".utf8)
    var hex: [UInt8] = []
    for byte in digest { hex += [hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]] }
    return String(decoding: hex, as: UTF8.self)
  }

  /// The model id that manifests carry: `sha256:` and the first 16 hex digits.
  public static func modelID(sha256: String) -> String {
    "sha256:" + sha256.prefix(16)
  }
}

// MARK: - Checks

extension ModelFile {
  /// One tensor of the header, checked against the data section.
  struct TableEntry {
    var name: String
    var shape: [Int]
    var count: Int
    /// Byte range within the data section.
    var begin: Int
    var end: Int
  }

  /// The header length from the first 8 bytes of `prefix`, checked against the limit and
  /// the file size before anything is allocated for the header.
  static func checkedHeaderLength(_ prefix: [UInt8], fileSize: Int, path: String) throws(ModelFileError) -> Int {
    guard fileSize >= 8, prefix.count >= 8 else { throw .tooShort(path: path, fileHas: fileSize) }
    let length = prefix[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    guard length <= UInt64(maxHeaderBytes) else { throw .headerTooLarge(path: path, headerSays: length, limit: maxHeaderBytes) }
    guard length <= UInt64(fileSize - 8) else { throw .truncated(path: path, headerSays: length, fileHas: fileSize) }
    return Int(length)
  }

  /// The config and the tensor table, sorted by offset, after every check of the header.
  static func checkedTable(
    _ members: [(key: String, value: HeaderJSON)], dataSize: Int, path: String
  ) throws(ModelFileError) -> (ModelConfig, [TableEntry]) {
    var metadata: [(key: String, value: HeaderJSON)]?
    var table: [TableEntry] = []
    var names = Set<String>()
    for (key, value) in members {
      if key == "__metadata__" {
        guard metadata == nil else {
          throw .badMetadata(path: path, key: key, expected: "one entry", found: "several")
        }
        guard case .object(let entries) = value else {
          throw .badMetadata(path: path, key: key, expected: "an object", found: ModelFileError.quote(value.text))
        }
        metadata = entries
      } else {
        guard names.insert(key).inserted else { throw .duplicateTensor(path: path, name: key) }
        table.append(try checkedEntry(name: key, value, dataSize: dataSize, path: path))
      }
    }
    guard let metadata else { throw .missingMetadata(path: path, key: "__metadata__") }
    var strings: [(key: String, value: String)] = []
    for (key, value) in metadata {
      guard case .string(let text) = value else {
        throw .badMetadata(path: path, key: key, expected: "a string", found: ModelFileError.quote(value.text))
      }
      strings.append((key, text))
    }
    let config = try ModelConfig(metadata: strings, path: path)

    // Sorted by offset, the tensors must tile the data section exactly.
    table.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
    var covered = 0
    var previous = ""
    for entry in table {
      guard entry.begin >= covered else { throw .overlapping(path: path, tensor: entry.name, other: previous) }
      guard entry.begin == covered else { throw .gap(path: path, before: entry.name, begin: covered, end: entry.begin) }
      covered = entry.end
      previous = entry.name
    }
    guard covered == dataSize else { throw .trailingBytes(path: path, dataEnd: covered, dataSize: dataSize) }
    return (config, table)
  }

  private static func checkedEntry(
    name: String, _ value: HeaderJSON, dataSize: Int, path: String
  ) throws(ModelFileError) -> TableEntry {
    guard case .object(let fields) = value else {
      throw .badTensorEntry(path: path, tensor: name, reason: "expected an object, found \(ModelFileError.quote(value.text))")
    }
    func field(_ key: String) throws(ModelFileError) -> HeaderJSON {
      let matches = fields.filter { $0.key == key }
      guard matches.count == 1 else {
        throw .badTensorEntry(path: path, tensor: name, reason: matches.isEmpty ? "no \(key)" : "\(key) given twice")
      }
      return matches[0].value
    }
    let dtype = try field("dtype")
    guard case .string("F32") = dtype else {
      var found = dtype.text
      if case .string(let text) = dtype { found = text }
      throw .unsupportedDType(path: path, tensor: name, found: ModelFileError.quote(found))
    }

    let shapeValue = try field("shape")
    guard case .array(let dimensions) = shapeValue else {
      throw .badShape(path: path, tensor: name, found: ModelFileError.quote(shapeValue.text))
    }
    var shape: [Int] = []
    for dimension in dimensions {
      guard let size = dimension.integer, size > 0 else {
        throw .badShape(path: path, tensor: name, found: ModelFileError.quote(shapeValue.text))
      }
      shape.append(size)
    }
    var count = 1
    for dimension in shape {
      let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
      guard !overflow else { throw .tensorTooLarge(path: path, tensor: name, shape: shape) }
      count = product
    }
    let (byteCount, overflow) = count.multipliedReportingOverflow(by: 4)
    guard !overflow else { throw .tensorTooLarge(path: path, tensor: name, shape: shape) }

    let offsetsValue = try field("data_offsets")
    guard case .array(let offsets) = offsetsValue, offsets.count == 2,
      let begin = offsets[0].integer, let end = offsets[1].integer, begin >= 0, end >= 0
    else {
      throw .badOffsets(path: path, tensor: name, found: ModelFileError.quote(offsetsValue.text))
    }
    guard end >= begin else { throw .reversedOffsets(path: path, tensor: name, begin: begin, end: end) }
    guard end - begin == byteCount else {
      throw .sizeMismatch(path: path, tensor: name, shape: shape, expectedBytes: byteCount, foundBytes: end - begin)
    }
    guard end <= dataSize else { throw .beyondData(path: path, tensor: name, end: end, dataSize: dataSize) }
    return TableEntry(name: name, shape: shape, count: count, begin: begin, end: end)
  }

  /// `count` little-endian Float32 values of `bytes` from byte `start`; the range was checked.
  private static func floats(in bytes: [UInt8], at start: Int, count: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
      bytes.withUnsafeBytes { raw in
        let source = UnsafeRawBufferPointer(rebasing: raw[start..<(start + 4 * count)])
        #if _endian(little)
        UnsafeMutableRawBufferPointer(buffer).copyMemory(from: source)
        #else
        for i in 0..<count {
          buffer[i] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
        }
        #endif
      }
      initialized = count
    }
  }
}

// MARK: - Files

extension ModelFile {
  /// The whole file, after the size and header-length checks that need only its first 8 bytes.
  static func readFile(_ path: String) throws(ModelFileError) -> [UInt8] {
    // O_NONBLOCK: opening a FIFO would otherwise wait for a writer before the check
    // below can refuse it; reads of a regular file are not affected by the flag.
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else { throw .unreadable(path: path, reason: systemMessage(errno)) }
    defer { close(fd) }
    var status = stat()
    guard fstat(fd, &status) == 0 else { throw .unreadable(path: path, reason: systemMessage(errno)) }
    guard (status.st_mode & S_IFMT) == S_IFREG else {
      throw .unreadable(path: path, reason: (status.st_mode & S_IFMT) == S_IFDIR ? "is a directory" : "not a regular file")
    }
    let size = Int(status.st_size)
    var prefix = [UInt8](repeating: 0, count: min(size, 8))
    guard let got = readFully(fd, into: &prefix, at: 0) else { throw .unreadable(path: path, reason: systemMessage(errno)) }
    _ = try checkedHeaderLength(Array(prefix[0..<got]), fileSize: size, path: path)
    guard size <= maxFileBytes else { throw .tooLarge(path: path, fileHas: size, limit: maxFileBytes) }
    var bytes = [UInt8](repeating: 0, count: size)
    guard let filled = readFully(fd, into: &bytes, at: 0) else { throw .unreadable(path: path, reason: systemMessage(errno)) }
    // A file that shrank while being read fails the checks of `decode`.
    if filled < size { bytes.removeLast(size - filled) }
    return bytes
  }

  /// Fills `buffer` from `offset` with `pread`; the count read (short at end of file), or nil on error.
  private static func readFully(_ fd: Int32, into buffer: inout [UInt8], at offset: Int) -> Int? {
    var filled = 0
    while filled < buffer.count {
      let got = buffer.withUnsafeMutableBytes { raw in
        pread(fd, raw.baseAddress.map { $0 + filled }, raw.count - filled, off_t(offset + filled))
      }
      if got < 0 {
        if errno == EINTR { continue }
        return nil
      }
      if got == 0 { break }
      filled += got
    }
    return filled
  }

  /// Writes `bytes` to a new temporary file next to `path`, syncs it, renames it over
  /// `path` and syncs the folder; on failure the temporary file is removed.
  static func writeAtomically(_ bytes: [UInt8], to path: String) throws(ModelFileError) {
    let slash = path.lastIndex(of: "/")
    let folder = slash.map { String(path[...$0]) } ?? ""
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    guard !name.isEmpty, name != ".", name != ".." else { throw .cannotWrite(path: path, reason: "not a file name") }
    let temporary = "\(folder).\(name).\(getpid())-\(String(UInt32.random(in: .min ... .max), radix: 16)).tmp"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw .cannotWrite(path: path, reason: systemMessage(errno)) }

    var failure: String?
    var written = 0
    while written < bytes.count {
      let count = bytes.withUnsafeBytes { raw in systemWrite(fd, raw.baseAddress.map { $0 + written }, raw.count - written) }
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else {
        failure = systemMessage(count < 0 ? errno : EIO)
        break
      }
      written += count
    }
    if failure == nil && fsync(fd) != 0 { failure = "fsync: \(systemMessage(errno))" }
    if close(fd) != 0 && failure == nil { failure = systemMessage(errno) }
    if failure == nil && rename(temporary, path) != 0 { failure = systemMessage(errno) }
    if let failure {
      unlink(temporary)
      throw .cannotWrite(path: path, reason: failure)
    }
    // The rename is durable once the folder's entry is on disk.
    let folderFD = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if folderFD >= 0 {
      _ = fsync(folderFD)
      close(folderFD)
    }
  }

  /// The system's text for an errno value, lower case: "no such file or directory".
  private static func systemMessage(_ code: Int32) -> String {
    let text = String(cString: strerror(code))
    return (text.first.map { $0.lowercased() } ?? "") + text.dropFirst()
  }
}

/// `write(2)`; a free function because `ModelFile.write` hides the system's inside the enum.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
  #if canImport(Glibc)
  Glibc.write(fd, buffer, count)
  #else
  Darwin.write(fd, buffer, count)
  #endif
}
