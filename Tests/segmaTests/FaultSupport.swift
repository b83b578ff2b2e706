import Foundation

/// What the fault, security and load tests share: streams of records, views of an
/// output folder, and ways to run segma without root's file access or under a meter.

/// The path of a small model (conv, 16x16 gray, the demo classes, D = 10), trained for
/// one epoch once per test run. A debug build loads it in a fraction of the time the
/// default model takes, which matters for tests that start segma many times.
func tinyModel() throws -> String {
  try TestModels.shared.tinyModel()
}

/// `count` latent records of the tiny model (bags), one per line; made once per count.
func sampleStream(_ count: Int) throws -> String {
  try TestModels.shared.stream(count)
}

private final class TestModels: @unchecked Sendable {
  static let shared = TestModels()
  static let folder = NSTemporaryDirectory() + "segma-tiny-model-\(getpid())"
  private let lock = NSLock()
  private var streams: [Int: String] = [:]
  private var model: String?

  func tinyModel() throws -> String {
    try lock.withLock {
      if let model { return model }
      let path = Self.folder + "/tiny.segma"
      try FileManager.default.createDirectory(atPath: Self.folder, withIntermediateDirectories: true)
      let result = try runSegma([
        "train", "--arch", "conv", "--size", "16x16", "--channels", "1", "--latent-dim", "10", "--labels-per-class", "1",
        "--batch-size", "30", "--epochs", "1", "--seed", "1", "-q", "-o", path, PipelineTests.fashion,
      ])
      guard result.status == 0 else { throw SupportError("segma train failed: \(result.stderr)") }
      try? FileManager.default.removeItem(atPath: path + ".ckpt")
      atexit { try? FileManager.default.removeItem(atPath: TestModels.folder) }
      model = path
      return path
    }
  }

  func stream(_ count: Int) throws -> String {
    let model = try tinyModel()
    if let stream = lock.withLock({ streams[count] }) { return stream }
    let result = try runSegma(["sample", "--model", model, "--class", "bag", "-n", "\(count)", "--seed", "3"])
    guard result.status == 0 else { throw SupportError("segma sample failed: \(result.stderr)") }
    lock.withLock { streams[count] = result.stdout }
    return result.stdout
  }
}

struct SupportError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

/// The visible files under `folder` (relative path to bytes); hidden ones are left out.
func visibleFiles(under folder: String) throws -> [String: Data] {
  var found: [String: Data] = [:]
  for path in try FileManager.default.subpathsOfDirectory(atPath: folder) where !isHidden(path) {
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: folder + "/" + path, isDirectory: &isFolder), !isFolder.boolValue {
      found[path] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + path))
    }
  }
  return found
}

/// The hidden files under `folder`, such as segma's temporary files.
func hiddenFiles(under folder: String) throws -> [String] {
  try FileManager.default.subpathsOfDirectory(atPath: folder).filter(isHidden)
}

private func isHidden(_ path: String) -> Bool { path.split(separator: "/").last?.hasPrefix(".") == true }

/// Whether `name` is a temporary file as OutputDirectory names them:
/// `.<final name>.segma-<pid>-<serial>.tmp`.
func isSegmaTemporaryName(_ path: String) -> Bool {
  let name = path.split(separator: "/").last.map(String.init) ?? path
  guard name.hasPrefix("."), name.hasSuffix(".tmp"), let marker = name.range(of: ".segma-", options: .backwards)
  else { return false }
  let numbers = name[marker.upperBound...].dropLast(4).split(separator: "-", omittingEmptySubsequences: false)
  return numbers.count == 2 && numbers.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
}

/// A launcher that runs segma without root's power to ignore file permissions, so a
/// mode-000 folder is really unreadable; empty when not root; nil when that cannot be
/// done here (the test then says so and skips).
func withoutFileAccessOverride() -> [String]? {
  guard geteuid() == 0 else { return [] }
  let setpriv = "/usr/bin/setpriv"
  guard FileManager.default.isExecutableFile(atPath: setpriv) else { return nil }
  // Dropped from the bounding set, the capabilities are gone after exec, even for uid 0.
  let launcher = [setpriv, "--bounding-set", "-dac_override,-dac_read_search"]
  let probe = Process()
  probe.executableURL = URL(fileURLWithPath: setpriv)
  probe.arguments = Array(launcher.dropFirst()) + ["/bin/true"]
  probe.standardError = FileHandle.nullDevice
  guard (try? probe.run()) != nil else { return nil }
  probe.waitUntilExit()
  return probe.terminationStatus == 0 ? launcher : nil
}

/// Runs segma under GNU time and returns its result with its peak resident memory in
/// KiB, or nil for the memory when /usr/bin/time is not installed.
func runSegmaMeasuringMemory(_ arguments: [String], stdinBytes: Data?, scratch: String) throws
  -> (result: RunResult, peakKiB: Int?)
{
  let time = "/usr/bin/time"
  guard FileManager.default.isExecutableFile(atPath: time) else {
    return (try runSegma(arguments, stdinBytes: stdinBytes), nil)
  }
  try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
  let report = scratch + "/time-\(UUID().uuidString)"
  let result = try runSegma(arguments, stdinBytes: stdinBytes, launcher: [time, "-f", "%M", "-o", report])
  let text = try String(contentsOfFile: report, encoding: .utf8)
  return (result, text.split(separator: "\n").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) })
}

/// A small tmpfs mounted for a test (a full disk on demand); nil where mounting is not
/// allowed (not root, or a container without CAP_SYS_ADMIN).
final class SmallFileSystem {
  let path: String

  init?(at path: String, bytes: Int) {
    self.path = path
    guard (try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)) != nil,
      Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(bytes)", "tmpfs", path])
    else { return nil }
  }

  deinit { _ = Self.run("/bin/umount", [path]) }

  private static func run(_ tool: String, _ arguments: [String]) -> Bool {
    guard FileManager.default.isExecutableFile(atPath: tool) else { return false }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return false }
    process.waitUntilExit()
    return process.terminationStatus == 0
  }
}
