import CImageCodecs
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an output file was not written. Each case names the path.
public enum OutputError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A folder could not be created or opened (stops the run: exit 73).
  case cannotCreate(path: String, reason: String)
  /// The file exists and the policy is to refuse (one failed record).
  case exists(path: String)
  /// An earlier record of this run already wrote this name (one failed record).
  case collision(path: String)
  /// The name has a `..`, empty or NUL component, or a folder on the way is a symlink.
  case unsafePath(path: String, reason: String)
  /// Writing failed: disk full, I/O error (stops the run: exit 74).
  case writeFailed(path: String, reason: String)

  public var description: String {
    switch self {
    case .cannotCreate(let path, let reason): "\(path): cannot create: \(reason)"
    case .exists(let path): "\(path): exists (use --overwrite or --skip-existing)"
    case .collision(let path): "\(path): another record of this run has the same output name"
    case .unsafePath(let path, let reason): "\(path): refusing to write: \(reason)"
    case .writeFailed(let path, let reason): "\(path): cannot write: \(reason)"
    }
  }
}

/// A folder that outputs are written into, safely.
///
/// Every file is written without its name, then given it in one step, so a killed
/// run never leaves a half-written file under a final name. On Linux the file is
/// unnamed (O_TMPFILE) until it is linked to its name, and a killed run leaves
/// nothing. Elsewhere, and for `--overwrite` (a link cannot replace a file), it is
/// a hidden temporary name in the target folder made with `O_CREAT | O_EXCL |
/// O_NOFOLLOW`; a run killed outright (SIGKILL) may leave those; they are never taken
/// for outputs, and later runs leave them alone since another process writing the
/// same folder may still own them. Folders are walked with
/// `openat(O_NOFOLLOW)` from the root's descriptor: a symlink placed inside the
/// folder cannot lead a write outside it, and the first 64 folders walked stay open for
/// the life of the object, so an output costs four system calls rather than ten (a
/// folder removed during a run is then not made again: its later outputs fail).
/// Safe to use from several threads.
public final class OutputDirectory: @unchecked Sendable {
  /// What to do when a file of that name already exists.
  public enum ExistingPolicy: Sendable { case refuse, overwrite, skip }
  public enum Outcome: Equatable, Sendable { case written, skippedExisting }

  public let path: String
  private let rootDescriptor: Int32
  private let lock = NSLock()
  /// The names this run claimed, each kept as a 128-bit keyed hash instead of the string:
  /// 16 bytes instead of some 110, so that a run's memory grows less with its outputs
  /// (peak RSS of `transfer -o` over 30,000 images: 87 -> 78 MB). A false collision needs
  /// two names to share 128 bits of keyed SipHash, and would cost one error record.
  private var namesClaimed = Set<NameFingerprint>()
  private var temporaryCounter = 0
  /// Folders under the root already walked to, by relative path; never closed before
  /// deinit, since other threads may be writing into them.
  private var keptFolders: [String: Int32] = [:]
  private static let keptFolderLimit = 64

  /// Opens `path`, creating it and its parents if needed.
  public init(path: String) throws(OutputError) {
    self.path = path
    var made = ""
    for component in path.split(separator: "/", omittingEmptySubsequences: false) {
      made += made.isEmpty && component.isEmpty ? "/" : (made.isEmpty || made == "/" ? "" : "/") + component
      if component.isEmpty { continue }
      if mkdir(made, 0o777) != 0 && errno != EEXIST {
        throw .cannotCreate(path: made, reason: systemMessage(errno))
      }
    }
    let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard descriptor >= 0 else { throw .cannotCreate(path: path, reason: systemMessage(errno)) }
    rootDescriptor = descriptor
  }

  deinit {
    for descriptor in keptFolders.values { close(descriptor) }
    close(rootDescriptor)
  }

  /// The path of `relativePath` as a user would type it.
  public func displayPath(_ relativePath: String) -> String {
    path.hasSuffix("/") ? path + relativePath : path + "/" + relativePath
  }

  /// Whether `relativePath` exists (as anything, symlinks not followed).
  public func exists(_ relativePath: String) -> Bool {
    guard let (folders, name) = try? split(relativePath) else { return false }
    guard let folder = try? openFolders(folders, creating: false, for: relativePath) else { return false }
    defer { if folder != rootDescriptor { close(folder) } }
    var status = stat()
    return fstatat(folder, name, &status, AT_SYMLINK_NOFOLLOW) == 0
  }

  /// Reserves `relativePath` for one record of this run.
  ///
  /// - Throws: `OutputError.collision` if another record of this run has it.
  public func claim(_ relativePath: String) throws(OutputError) {
    let fingerprint = NameFingerprint(relativePath)
    let isFirstClaim = lock.withLock { namesClaimed.insert(fingerprint).inserted }
    guard isFirstClaim else { throw .collision(path: displayPath(relativePath)) }
  }

  /// Two 64-bit hashes of a name by Swift's Hasher (SipHash, seeded per process), each
  /// after a different first byte.
  private struct NameFingerprint: Hashable {
    let first: Int, second: Int

    init(_ name: String) {
      var first = Hasher(), second = Hasher()
      first.combine(UInt8(0))
      first.combine(name)
      second.combine(UInt8(1))
      second.combine(name)
      (self.first, self.second) = (first.finalize(), second.finalize())
    }
  }

  /// Writes `bytes` to `relativePath` (components separated by "/"), creating folders.
  ///
  /// - Parameter isClaimed: the caller already reserved the name with `claim`.
  /// - Throws: `OutputError`; on any error no file is left under the final name and
  ///   the temporary file is removed.
  @discardableResult
  public func write(_ bytes: [UInt8], to relativePath: String, policy: ExistingPolicy, isClaimed: Bool = false)
    throws(OutputError) -> Outcome
  {
    let shown = displayPath(relativePath)
    if !isClaimed { try claim(relativePath) }
    let (folders, name) = try split(relativePath)
    let (folder, isOwned) = try descriptor(ofFolders: folders, for: relativePath)
    defer { if isOwned { close(folder) } }

    if policy != .overwrite, let outcome = try writeUnnamedFile(bytes, as: name, in: folder, policy: policy, shown: shown) {
      return outcome
    }
    let temporary = try writeTemporaryFile(bytes, for: name, in: folder, shown: shown)
    defer { unlinkat(folder, temporary, 0) }  // a no-op once it has been renamed

    if policy == .overwrite {
      guard renameat(folder, temporary, folder, name) == 0 else {
        throw .writeFailed(path: shown, reason: systemMessage(errno))
      }
      return .written
    }
    // A hard link never replaces an existing name, so two runs racing on one
    // folder cannot both "win"; the file appears complete or not at all.
    if linkat(folder, temporary, folder, name, 0) == 0 { return .written }
    switch errno {
    case EEXIST:
      if policy == .skip { return .skippedExisting }
      throw .exists(path: shown)
    case EPERM, ENOTSUP, EOPNOTSUPP, EMLINK:
      // File systems without hard links (some FUSE and FAT mounts): check, then rename.
      var status = stat()
      if fstatat(folder, name, &status, AT_SYMLINK_NOFOLLOW) == 0 {
        if policy == .skip { return .skippedExisting }
        throw .exists(path: shown)
      }
      guard renameat(folder, temporary, folder, name) == 0 else {
        throw .writeFailed(path: shown, reason: systemMessage(errno))
      }
      return .written
    default:
      throw .writeFailed(path: shown, reason: systemMessage(errno))
    }
  }

  /// Writes one file at `path` (its folder created if needed), the same safe way.
  @discardableResult
  public static func writeFile(_ bytes: [UInt8], toPath path: String, policy: ExistingPolicy) throws(OutputError)
    -> Outcome
  {
    let folder = (path as NSString).deletingLastPathComponent
    return try OutputDirectory(path: folder.isEmpty ? "." : folder)
      .write(bytes, to: (path as NSString).lastPathComponent, policy: policy)
  }

  private func split(_ relativePath: String) throws(OutputError) -> (folders: [String], name: String) {
    let components = relativePath.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    for component in components {
      let reason: String? =
        if component.isEmpty { "empty path component" }
        else if component == "." || component == ".." { "'\(component)' in path" }
        else if component.utf8.contains(0) { "NUL in name" }
        else if component.utf8.count > 255 { "name longer than 255 bytes" }
        else { nil }
      if let reason { throw .unsafePath(path: displayPath(relativePath), reason: reason) }
    }
    return (Array(components.dropLast()), components[components.count - 1])
  }

  /// The folder `folders` under the root, created if needed: kept open from an earlier
  /// write, or walked to now (`isOwned`: the caller closes it).
  private func descriptor(ofFolders folders: [String], for relativePath: String) throws(OutputError)
    -> (descriptor: Int32, isOwned: Bool)
  {
    guard !folders.isEmpty else { return (rootDescriptor, false) }
    let key = folders.joined(separator: "/")
    if let kept = lock.withLock({ keptFolders[key] }) { return (kept, false) }
    let opened = try openFolders(folders, creating: true, for: relativePath)
    let isKept = lock.withLock {
      guard keptFolders[key] == nil && keptFolders.count < Self.keptFolderLimit else { return false }
      keptFolders[key] = opened
      return true
    }
    return (opened, !isKept)
  }

  /// A descriptor for the folder `folders` under the root, never through a symlink.
  private func openFolders(_ folders: [String], creating: Bool, for relativePath: String) throws(OutputError)
    -> Int32
  {
    var current = rootDescriptor
    var walked = path
    for folder in folders {
      walked += "/" + folder
      if creating && mkdirat(current, folder, 0o777) != 0 && errno != EEXIST {
        let code = errno
        if current != rootDescriptor { close(current) }
        throw .cannotCreate(path: walked, reason: systemMessage(code))
      }
      let next = openat(current, folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
      let code = errno
      if current != rootDescriptor { close(current) }
      guard next >= 0 else {
        if code == ELOOP || code == ENOTDIR {
          throw .unsafePath(path: displayPath(relativePath), reason: "\(walked) is a symlink or not a folder")
        }
        throw .cannotCreate(path: walked, reason: systemMessage(code))
      }
      current = next
    }
    return current
  }

  /// `.<name>.segma-<pid>-<serial>.tmp`: hidden and ending in ".tmp", so folder scans for
  /// .png/.jpg inputs never pick it up, and a killed run's leftovers are recognisable.
  private func temporaryName(for name: String) -> String {
    let serial = lock.withLock {
      temporaryCounter += 1
      return temporaryCounter
    }
    return ".\(String(name.utf8.prefix(200)) ?? "out").segma-\(getpid())-\(serial).tmp"
  }

  /// Writes `bytes` to an unnamed file (Linux's O_TMPFILE) and links it to `name`: one
  /// directory entry per output instead of three (temporary name, link, unlink), which
  /// is most of what writing a small image costs, and a killed run leaves nothing.
  /// Nil when the file system has no unnamed files or /proc is missing: the caller
  /// falls back to a temporary name.
  private func writeUnnamedFile(
    _ bytes: [UInt8], as name: String, in folder: Int32, policy: ExistingPolicy, shown: String
  ) throws(OutputError) -> Outcome? {
    let descriptor = segma_open_unnamed(folder)
    guard descriptor >= 0 else {
      let code = errno
      if Self.isWriteFailure(code) { throw .writeFailed(path: shown, reason: systemMessage(code)) }
      return nil
    }
    defer { close(descriptor) }
    if let failure = writeAll(bytes, to: descriptor) {
      throw .writeFailed(path: shown, reason: systemMessage(failure))
    }
    guard segma_link_unnamed(descriptor, folder, name) != 0 else { return .written }
    switch errno {
    case EEXIST:
      if policy == .skip { return .skippedExisting }
      throw .exists(path: shown)
    case ENOENT, EPERM, ENOTSUP, EOPNOTSUPP, EXDEV, EMLINK: return nil
    case let code: throw .writeFailed(path: shown, reason: systemMessage(code))
    }
  }

  /// Whether a failed create is a write failure (no space, quota, device error: exit 74)
  /// rather than a folder segma may not create in (73).
  private static func isWriteFailure(_ code: Int32) -> Bool { code == ENOSPC || code == EIO || code == EDQUOT }

  /// Writes all of `bytes`; the errno of a failure, or nil.
  private func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Int32? {
    var written = 0
    var failure: Int32?
    bytes.withUnsafeBytes { raw in
      while written < raw.count {
        let result = Glibc.write(descriptor, raw.baseAddress! + written, raw.count - written)
        if result < 0 {
          if errno == EINTR { continue }
          failure = errno
          return
        }
        written += result
      }
    }
    return failure
  }

  /// Writes `bytes` to a new temporary file beside `name` and returns the temporary name.
  private func writeTemporaryFile(_ bytes: [UInt8], for name: String, in folder: Int32, shown: String)
    throws(OutputError) -> String
  {
    var temporary = temporaryName(for: name)
    var descriptor = openat(folder, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o666)
    // A killed run of an earlier process with our pid (pids repeat, in containers
    // often) may have left this name; it is not ours to delete, so take the next one.
    while descriptor < 0 && errno == EEXIST {
      temporary = temporaryName(for: name)
      descriptor = openat(folder, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o666)
    }
    guard descriptor >= 0 else {
      let code = errno
      if Self.isWriteFailure(code) { throw .writeFailed(path: shown, reason: systemMessage(code)) }
      throw .cannotCreate(path: shown, reason: systemMessage(code))
    }
    var failure = writeAll(bytes, to: descriptor) ?? 0
    // close reports delayed write errors on some file systems (NFS, quota).
    if close(descriptor) != 0 && failure == 0 { failure = errno }
    if failure != 0 {
      unlinkat(folder, temporary, 0)
      throw .writeFailed(path: shown, reason: systemMessage(failure))
    }
    return temporary
  }
}
