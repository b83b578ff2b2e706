/// The file formats segma reads and writes, recognised by content.
public enum ImageFormat: String, Sendable, CaseIterable {
  case png
  case jpeg

  /// The format whose signature starts `bytes`, or nil.
  public init?(sniffing bytes: some Collection<UInt8>) {
    let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    if bytes.starts(with: pngSignature) {
      self = .png
    } else if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
      self = .jpeg
    } else {
      return nil
    }
  }

  /// The usual file extension, without the dot.
  public var fileExtension: String { self == .png ? "png" : "jpg" }
  public var displayName: String { self == .png ? "PNG" : "JPEG" }
}

/// Why an image could not be read or written. Each case names the file.
public enum ImageCodecError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The file could not be opened or read (`reason` is the system's message).
  case unreadable(path: String, reason: String)
  case empty(path: String)
  case unknownFormat(path: String)
  /// The header claims more pixels than allowed; nothing was allocated.
  case tooLarge(path: String, width: Int, height: Int, maxPixels: Int)
  /// The codec rejected the data (truncated, corrupt, unsupported); `message` is the codec's.
  case corrupt(path: String, format: ImageFormat, message: String)
  case cannotEncode(format: ImageFormat, message: String)

  /// The file the error is about (nil when encoding).
  public var path: String? {
    switch self {
    case .unreadable(let path, _), .empty(let path), .unknownFormat(let path), .tooLarge(let path, _, _, _),
      .corrupt(let path, _, _):
      path
    case .cannotEncode: nil
    }
  }

  /// What went wrong, without the path: "bad PNG: truncated file".
  public var reason: String {
    switch self {
    case .unreadable(_, let reason): "cannot read: \(reason)"
    case .empty: "empty file"
    case .unknownFormat: "not a PNG or JPEG file"
    case .tooLarge(_, let width, let height, let maxPixels): "\(width)x\(height) is more than --max-pixels \(maxPixels)"
    case .corrupt(_, let format, let message): "bad \(format.displayName): \(message.lowercasedFirst)"
    case .cannotEncode(let format, let message): "cannot encode \(format.displayName): \(message)"
    }
  }

  public var description: String { path.map { "\($0): \(reason)" } ?? reason }
}

extension String {
  /// Codec messages start with a capital ("Premature end of JPEG file"); ours are lower case.
  var lowercasedFirst: String {
    guard let first else { return self }
    return first.lowercased() + dropFirst()
  }
}
