#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Files larger than this are refused before reading: no PNG or JPEG under
/// `--max-pixels` needs a gigabyte, and a bigger file is a mistake or an attack.
public let maxImageFileBytes = 1 << 30

/// The whole content of a regular file, read with `read(2)`.
///
/// - Throws: `ImageCodecError.unreadable` with the system's message, `.tooLarge`-style
///   refusal for files over `limit` bytes.
func readFileBytes(atPath path: String, limit: Int = maxImageFileBytes) throws(ImageCodecError) -> [UInt8] {
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
  guard Int(status.st_size) <= limit else {
    throw .unreadable(path: path, reason: "file of \(status.st_size) bytes is larger than \(limit)")
  }
  var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
  var filled = 0
  while filled < bytes.count {
    let got = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
    if got < 0 {
      if errno == EINTR { continue }
      throw .unreadable(path: path, reason: systemMessage(errno))
    }
    if got == 0 { break }  // the file shrank while we read it
    filled += got
  }
  if filled < bytes.count { bytes.removeLast(bytes.count - filled) }
  return bytes
}

/// The system's text for an errno value, lower case: "no such file or directory".
public func systemMessage(_ code: Int32) -> String {
  String(cString: strerror(code)).lowercasedFirst
}
