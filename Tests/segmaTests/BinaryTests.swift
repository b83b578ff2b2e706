import Foundation
import ImageCodecs
import TestSupport
import Testing

@testable import segma

/// The built `segma` binary, run as a user would: exit statuses, stdout, stderr, files.
@Suite final class BinaryTests {
  static let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  static let fixtures = packageRoot.appendingPathComponent("fixtures/images").path
  let scratch = NSTemporaryDirectory() + "segma-binary-\(UUID().uuidString)"

  deinit { try? FileManager.default.removeItem(atPath: scratch) }

  @Test func versionAndHelp() throws {
    let version = try runSegma(["--version"])
    #expect(version.status == 0 && version.stdout == "0.1.0\n")
    let help = try runSegma(["--help"])
    #expect(help.status == 0 && help.stdout.contains("sheet") && help.stdout.contains("info"))
  }

  @Test func infoPrintsFactsOfEachImage() throws {
    let result = try runSegma(["info", Self.fixtures + "/gray16.png", Self.fixtures + "/orientation6.jpg"])
    #expect(result.status == 0 && result.stderr.isEmpty)
    #expect(result.stdout.contains("format       PNG\n  size         4x4\n  channels     1 (gray)\n  bit depth    16"))
    #expect(result.stdout.contains("size         16x32"))
    #expect(result.stdout.contains("orientation  6 (rotate 90 clockwise)"))
    let json = try runSegma(["info", "--json", Self.fixtures + "/palette4-trns.png"])
    #expect(
      json.stdout == """
        {"path":"\(Self.fixtures)/palette4-trns.png","format":"PNG","width":4,"height":2,"channels":4,\
        "bit_depth":4,"color":"palette","interlaced":false,"orientation":1}

        """)
  }

  @Test func infoCountsManifestRecordsAndFailsOnBadFiles() throws {
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    let manifest = scratch + "/m.jsonl"
    try """
      {"v":1,"type":"image","id":"a","path":"a.png"}
      not json
      {"v":1,"type":"error","id":null,"src":null,"stage":"encode","message":"x"}

      """.write(toFile: manifest, atomically: true, encoding: .utf8)
    try "plain text".write(toFile: scratch + "/notes.txt", atomically: true, encoding: .utf8)
    let result = try runSegma(["info", manifest, scratch + "/notes.txt", scratch + "/missing.png"])
    #expect(result.status == 1)
    #expect(result.stdout.contains("records  3\n  latent   0\n  image    1\n  error    2"))
    #expect(result.stderr.contains("notes.txt: info: not an image or a manifest"))
    #expect(result.stderr.contains("missing.png: info: no such file or directory"))
  }

  @Test func sheetDrawsTheFixturesIntoOnePNG() throws {
    let sheet = scratch + "/sheet.png"
    let result = try runSegma(["sheet", "--cell", "16x16", "--columns", "5", "-o", sheet, Self.fixtures])
    #expect(result.status == 0, "\(result.stderr)")
    let image = try ImageFile.read(path: sheet)
    let count = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures).count
    let rows = (count + 4) / 5
    #expect((image.width, image.height) == (5 * 16 + 6 * 2, rows * 16 + (rows + 1) * 2))
    // The first cell is baseline.jpg (sorted): red on the left of its centre row.
    #expect(image.pixel(2 + 3, 2 + 8)[0] > 200 && image.pixel(2 + 3, 2 + 8)[2] < 60)
    // Refused a second time, replaced with --overwrite.
    let again = try runSegma(["sheet", "-o", sheet, Self.fixtures])
    #expect(again.status == 73 && again.stderr.contains("exists"))
    #expect(try runSegma(["sheet", "--overwrite", "-o", sheet, Self.fixtures]).status == 0)
  }

  /// The image records of a manifest on stdin are drawn; other records are reported.
  @Test func sheetReadsImageRecordsFromStdin() throws {
    let manifest = """
      {"v":1,"type":"image","id":"a","path":"\(Self.fixtures)/rgb8.png"}
      {"v":1,"type":"error","id":"b","src":"b.png","stage":"encode","message":"bad PNG: truncated file"}
      {"v":1,"type":"image","id":"c","path":"\(Self.fixtures)/gray8.png"}
      this line is not json

      """
    let result = try runSegma(["sheet", "--cell", "8x8", "--gap", "0", "-o", scratch + "/m.png"], stdin: manifest)
    #expect(result.status == 1)
    // The error record was reported by the stage that made it; only -v repeats it.
    #expect(!result.stderr.contains("truncated file"))
    #expect(result.stderr.contains("line 4"))
    let sheet = try ImageFile.read(path: scratch + "/m.png")
    #expect((sheet.width, sheet.height) == (16, 8))  // two images, two columns
  }

  @Test func skipExistingLeavesTheSheetAlone() throws {
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    try Data("old".utf8).write(to: URL(fileURLWithPath: scratch + "/s.png"))
    let result = try runSegma(["sheet", "--skip-existing", "-o", scratch + "/s.png", Self.fixtures])
    #expect(result.status == 0)
    #expect(try Data(contentsOf: URL(fileURLWithPath: scratch + "/s.png")) == Data("old".utf8))
  }

  @Test func badImagesFailAloneAndTheSheetIsStillWritten() throws {
    try FileManager.default.createDirectory(atPath: scratch + "/in", withIntermediateDirectories: true)
    let good = try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/rgb8.png"))
    try good.write(to: URL(fileURLWithPath: scratch + "/in/good.png"))
    try good.prefix(40).write(to: URL(fileURLWithPath: scratch + "/in/cut.png"))
    try Data("garbage".utf8).write(to: URL(fileURLWithPath: scratch + "/in/junk.jpg"))
    let result = try runSegma(["sheet", "-o", scratch + "/s.png", scratch + "/in"])
    #expect(result.status == 1)
    #expect(result.stderr.contains("in/cut.png: sheet: bad PNG: "))
    #expect(result.stderr.contains("in/junk.jpg: sheet: not a PNG or JPEG file"))
    #expect(result.stderr.split(separator: "\n").count == 2)
    #expect(FileManager.default.fileExists(atPath: scratch + "/s.png"))
  }

  @Test func runStoppingErrorsUseSysexits() throws {
    #expect(try runSegma(["sheet", "-o", scratch + "/s.png", scratch + "/no-such-folder"]).status == 66)
    #expect(try runSegma(["sheet", "--columns", "0", "-o", "x.png", Self.fixtures]).status == 64)
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    #expect(FileManager.default.createFile(atPath: scratch + "/file", contents: Data()))
    let blocked = try runSegma(["sheet", "-o", scratch + "/file/s.png", Self.fixtures])
    #expect(blocked.status == 73 && blocked.stderr.hasPrefix("segma: "))
  }

  /// `segma ... | head -1`: the reader goes away, segma ends at once, quietly, with 0.
  @Test func aClosedStdoutEndsQuietly() throws {
    let arguments = ["info"] + Array(repeating: Self.fixtures + "/gray8.png", count: 3000)
    let result = try runSegma(arguments, readFirstLineOnly: true)
    #expect(result.stdout.hasPrefix(Self.fixtures))
    #expect(result.status == 0)
    #expect(result.stderr.isEmpty)
  }
}

struct RunResult {
  var status: Int32
  var stdout: String
  var stderr: String
}

/// The `segma` that `swift test` built next to this test bundle.
let segmaExecutable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  .appendingPathComponent("segma")

/// Runs the built `segma`.
///
/// With `readFirstLineOnly`, stdout is closed after its first line, as `| head -1` does.
func runSegma(_ arguments: [String], stdin: String? = nil, readFirstLineOnly: Bool = false) throws -> RunResult {
  try runSegma(arguments, stdinBytes: stdin.map { Data($0.utf8) }, readFirstLineOnly: readFirstLineOnly)
}

/// Runs the built `segma` on raw stdin bytes (which need not be UTF-8), written from
/// another thread so a large input cannot deadlock against segma's output.
///
/// - Parameter launcher: a command that runs segma, such as `setpriv ...` or
///   `/usr/bin/time ...`: `launcher + [segma] + arguments` is run.
func runSegma(
  _ arguments: [String], stdinBytes: Data?, launcher: [String] = [], readFirstLineOnly: Bool = false
) throws -> RunResult {
  signal(SIGPIPE, SIG_IGN)  // segma may stop reading its stdin early
  let process = Process()
  if let first = launcher.first {
    process.executableURL = URL(fileURLWithPath: first)
    process.arguments = Array(launcher.dropFirst()) + [segmaExecutable.path] + arguments
  } else {
    process.executableURL = segmaExecutable
    process.arguments = arguments
  }
  let (output, errors) = (Pipe(), Pipe())
  process.standardOutput = output
  process.standardError = errors
  let input = Pipe()
  process.standardInput = stdinBytes == nil ? FileHandle.nullDevice : input
  try process.run()
  if let stdinBytes {
    Thread {
      try? input.fileHandleForWriting.write(contentsOf: stdinBytes)
      try? input.fileHandleForWriting.close()
    }.start()
  }
  // stderr is drained meanwhile: many failed records must not fill its pipe and stall segma.
  let stderrReader = BackgroundRead(errors.fileHandleForReading)
  var stdout = Data()
  if readFirstLineOnly {
    while !stdout.contains(UInt8(ascii: "\n")) {
      let chunk = output.fileHandleForReading.availableData
      if chunk.isEmpty { break }
      stdout += chunk
    }
    try output.fileHandleForReading.close()
  } else {
    stdout = output.fileHandleForReading.readDataToEndOfFile()
  }
  let stderr = stderrReader.wait()
  process.waitUntilExit()
  return RunResult(
    status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
    stderr: String(decoding: stderr, as: UTF8.self))
}

/// Reads a file handle to its end on another thread.
final class BackgroundRead: @unchecked Sendable {
  private let done = DispatchSemaphore(value: 0)
  private var data = Data()

  init(_ handle: FileHandle) {
    Thread { [self] in
      data = handle.readDataToEndOfFile()
      done.signal()
    }.start()
  }

  /// Everything read, once the writer has closed its end.
  func wait() -> Data {
    done.wait()
    return data
  }
}

/// Progress and colour appear only on a terminal (run under `script`, which gives a pty).
@Suite struct TerminalTests {
  @Test func colourFollowsTheTerminalAndNO_COLOR() {
    #expect(Diagnostics(isTerminal: true, environment: [:]).usesColor)
    #expect(!Diagnostics(isTerminal: true, environment: ["NO_COLOR": "1"]).usesColor)
    #expect(Diagnostics(isTerminal: true, environment: ["NO_COLOR": ""]).usesColor)
    #expect(!Diagnostics(isTerminal: true, environment: ["TERM": "dumb"]).isInteractive)
    #expect(!Diagnostics(isTerminal: false, environment: [:]).isInteractive)
  }

  @Test func progressIsDrawnOnATerminalUnlessQuiet() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
      print("skipped: /usr/bin/script (bsdutils) is not installed")
      return
    }
    let scratch = NSTemporaryDirectory() + "segma-tty-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    func underTerminal(_ arguments: String, environment: [String: String] = [:]) throws -> String {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
      process.arguments = ["-qec", "\(segmaExecutable.path) \(arguments)", "/dev/null"]
      var inherited = ProcessInfo.processInfo.environment
      inherited["NO_COLOR"] = nil  // the machine's own setting must not decide the test
      process.environment = inherited.merging(environment) { $1 }
      let output = Pipe()
      process.standardOutput = output
      process.standardInput = FileHandle.nullDevice
      try process.run()
      let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      process.waitUntilExit()
      return text
    }
    let fixtures = BinaryTests.fixtures
    let shown = try underTerminal("sheet -o \(scratch)/a.png \(fixtures)", environment: ["TERM": "xterm"])
    #expect(shown.contains("sheet [") && shown.contains("/s ETA"))
    let quiet = try underTerminal("sheet -q -o \(scratch)/b.png \(fixtures)", environment: ["TERM": "xterm"])
    #expect(!quiet.contains("sheet ["))
    let coloured = try underTerminal("info \(scratch)/missing.png", environment: ["TERM": "xterm"])
    #expect(coloured.contains("\u{1B}[31msegma:"))
    let plain = try underTerminal("info \(scratch)/missing.png", environment: ["TERM": "xterm", "NO_COLOR": "1"])
    #expect(plain.contains("segma: ") && !plain.contains("\u{1B}["))
  }
}
