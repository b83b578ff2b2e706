import Manifest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// stdout for text and bytes, written with write(2): EPIPE becomes
/// `ManifestError.brokenPipe`, which `runCommand` turns into a quiet exit.
enum StandardOutput {
  static func write(_ text: String) throws {
    try write(bytes: Array(text.utf8))
  }

  static func write(bytes: [UInt8]) throws {
    var offset = 0
    while offset < bytes.count {
      let written = bytes.withUnsafeBytes { Glibc.write(1, $0.baseAddress! + offset, $0.count - offset) }
      if written < 0 {
        if errno == EINTR { continue }
        throw errno == EPIPE ? ManifestError.brokenPipe : ManifestError.writeFailed(errno: errno)
      }
      offset += written
    }
  }

  static var isTerminal: Bool { isatty(1) == 1 }
}
