import Foundation
import Testing

/// Broken manifest streams, readers that go away, and ids that try to leave `-o`,
/// through the built binary.
@Suite final class StreamFaultTests {
  let scratch = NSTemporaryDirectory() + "segma-stream-\(UUID().uuidString)"

  deinit { try? FileManager.default.removeItem(atPath: scratch) }

  /// One good latent line of the default model, with `id`.
  func latentLine(id: String) throws -> String {
    let line = try #require(try sampleStream(1).split(separator: "\n").first.map(String.init))
    return line.replacingOccurrences(of: #""id":"sample-bag/000001""#, with: #""id":"\#(id)""#)
  }

  /// Each bad line becomes one error record in its place; the lines after it are processed.
  @Test func badLinesBecomeErrorRecordsAndTheStreamGoesOn() throws {
    let good = try latentLine(id: "good")
    let z = try #require(good.range(of: #""z":\[[^\]]*\]"#, options: .regularExpression))
    func withZ(_ values: String) -> String { good.replacingCharacters(in: z, with: #""z":[\#(values)]"#) }
    var stream = Data()
    for line in [good, withZ("NaN,1,2,3,4,5,6,7,8,9"), withZ("Infinity,1,2,3,4,5,6,7,8,9"), withZ("1,2,3,4,5,6,7,8,9")] {
      stream += Data((line + "\n").utf8)
    }
    stream += Data(#"{"v":1,"type":"latent","id":"bad-"#.utf8) + Data([0xFF, 0xFE]) + Data((#"utf8"}"# + "\n").utf8)
    stream += Data((good.replacingOccurrences(of: #""good""#, with: #""after""#) + "\n").utf8)
    stream += Data(good.prefix(60).utf8)  // cut in the middle of the last line
    let result = try runSegma(["transfer", "--model", try tinyModel(), "--to", "coat"], stdinBytes: stream)
    #expect(result.status == 1)
    let lines = result.stdout.split(separator: "\n").map(String.init)
    try #require(lines.count == 7, "\(result.stdout)")
    #expect(lines[0].contains(#""type":"latent","id":"good.transfer-coat.1""#))
    #expect(lines[1].contains(#""message":"line 2: invalid json at column "#) && lines[1].contains("unexpected 'N'"))
    #expect(lines[2].contains(#""message":"line 3: invalid json at column "#) && lines[2].contains("unexpected 'I'"))
    #expect(lines[3].contains(#""id":"good""#) && lines[3].contains(#""message":"z has 9 values, the model 10""#))
    #expect(lines[4].contains(#""message":"line 5: invalid json at column 34: invalid utf-8""#))
    #expect(lines[5].contains(#""type":"latent","id":"after.transfer-coat.1""#))
    #expect(lines[6].contains(#""message":"line 7: invalid json at column "#))
    #expect(result.stderr.split(separator: "\n").count == 5)
  }

  /// A 100 MB line is dropped as it streams past: one error record, the next line
  /// processed, and peak memory as for a short stream (measured with GNU time).
  @Test func aHundredMegabyteLineTakesNoMoreMemory() throws {
    let good = try latentLine(id: "before")
    let after = good.replacingOccurrences(of: #""before""#, with: #""after""#)
    let long = Data(repeating: UInt8(ascii: "7"), count: 100 << 20)
    let arguments = ["transfer", "--model", try tinyModel(), "--to", "coat"]
    let small = try runSegmaMeasuringMemory(arguments, stdinBytes: Data((good + "\n" + after + "\n").utf8), scratch: scratch)
    let large = try runSegmaMeasuringMemory(
      arguments, stdinBytes: Data((good + "\n").utf8) + long + Data(("\n" + after + "\n").utf8), scratch: scratch)
    #expect(large.result.status == 1)
    let lines = large.result.stdout.split(separator: "\n")
    try #require(lines.count == 3)
    #expect(lines[1].contains(#""message":"line 2: longer than 1048576 bytes""#))
    #expect(lines[2].contains(#""id":"after.transfer-coat.1""#))
    // With no newline at all before the end, the line is still one error record.
    let unended = try runSegma(arguments, stdinBytes: Data((good + "\n").utf8) + long)
    #expect(unended.status == 1 && unended.stdout.split(separator: "\n").count == 2)
    guard let smallKiB = small.peakKiB, let largeKiB = large.peakKiB else {
      print("skipped: peak memory; /usr/bin/time (Debian package time) is not installed")
      return
    }
    #expect(largeKiB < smallKiB + 16 * 1024, "peak \(largeKiB) KiB with the long line, \(smallKiB) KiB without")
  }

  /// A reader that goes away (`| head -1`): every stage ends quietly with 0 and leaves
  /// no temporary file. OUT is a folder of the test; FASHION*100 the demo folder given
  /// 100 times (3000 images).
  @Test(arguments: [
    ["encode", "FASHION*100"], ["decode", "-o", "OUT"], ["transfer", "--to", "coat"], ["restyle", "--style", PipelineTests.fashion + "/dress/00013.png"],
    ["intensity", "--amount", "0.5"], ["classify", "--top", "3"], ["sample", "--class", "bag", "-n", "3000"],
    ["interpolate", "--frames", "3000", PipelineTests.fashion + "/bag/00018.png", PipelineTests.fashion + "/dress/00013.png"],
  ])
  func aClosedStdoutEndsEveryStageQuietly(arguments: [String]) throws {
    let out = scratch + "/out"
    let readsStdin = ["decode", "transfer", "restyle", "intensity", "classify"].contains(arguments[0])
    let result = try runSegma(
      [arguments[0], "--model", try tinyModel()]
        + arguments.dropFirst().flatMap { $0 == "OUT" ? [out] : $0 == "FASHION*100" ? Array(repeating: PipelineTests.fashion, count: 100) : [$0] },
      stdinBytes: readsStdin ? Data(try sampleStream(3000).utf8) : nil, readFirstLineOnly: true)
    #expect(result.status == 0)
    #expect(result.stderr.isEmpty, "\(result.stderr)")
    #expect(result.stdout.hasPrefix(#"{"v":1,"type":"#))
    if FileManager.default.fileExists(atPath: out) {
      #expect(try hiddenFiles(under: out).isEmpty)
      #expect(try visibleFiles(under: out).count < 3000, "the run went on after stdout closed")
    }
  }

  /// Ids that try to leave -o (`..`, absolute, NUL) land inside it; a symlink inside -o
  /// that points outside is not followed: that record fails and nothing is written outside.
  @Test func idsNeverLeadAWriteOutsideTheFolder() throws {
    let out = scratch + "/out", outside = scratch + "/outside"
    for folder in [out, outside] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
    try FileManager.default.createSymbolicLink(atPath: out + "/link", withDestinationPath: outside)
    let ids = ["../../escape", "/tmp/absolute", #"nul\u0000byte"#, "link/x", "a/../../../up"]
    let stream = try ids.map { try latentLine(id: $0) }.joined(separator: "\n") + "\n"
    let result = try runSegma(["decode", "--model", try tinyModel(), "-o", out], stdin: stream)
    #expect(result.status == 1)
    #expect(result.stderr == "segma: link/x: decode: \(out)/link/x.png: refusing to write: \(out)/link is a symlink or not a folder\n")
    #expect(try visibleFiles(under: out).keys.sorted() == ["a/up.png", "escape.png", "nulbyte.png", "tmp/absolute.png"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
    #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).sorted() == ["out", "outside"])
  }

  /// --dry-run renders every image and writes nothing: only error records reach stdout.
  @Test func aDryRunWritesNoFilesAndPrintsOnlyErrors() throws {
    let stream = try sampleStream(300) + "not json\n" + (try latentLine(id: "huge"))
      .replacingOccurrences(of: #""size":[16,16]"#, with: #""size":[200000,200000]"#) + "\n"
    let result = try runSegma(["decode", "--model", try tinyModel(), "--dry-run", "--size", "original"], stdin: stream)
    #expect(result.status == 1)
    let lines = result.stdout.split(separator: "\n")
    #expect(lines.count == 2 && lines.allSatisfy { $0.contains(#""type":"error""#) })
    #expect(lines[0].contains(#""line":301"#) && lines[1].contains("is more than --max-pixels"))
    #expect(try runSegma(["decode", "--dry-run", "-o", scratch], stdin: "").status == 64)
    #expect(!FileManager.default.fileExists(atPath: scratch))
  }

  /// One SIGINT stops a stage whose upstream is alive but idle: the read it waits in is
  /// interrupted, not restarted. (With SA_RESTART it waited for the next line.)
  @Test func aSignalStopsAStageWaitingForInput() throws {
    let line = try #require(try sampleStream(1).split(separator: "\n").first)
    let process = Process()
    process.executableURL = segmaExecutable
    process.arguments = ["transfer", "--model", try tinyModel(), "--to", "coat"]
    let (input, output) = (Pipe(), Pipe())
    process.standardInput = input
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    try input.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
    _ = output.fileHandleForReading.availableData  // its record is out
    usleep(500_000)  // and by now it waits in read(2) for the next line
    kill(process.processIdentifier, SIGINT)
    let deadline = Date().addingTimeInterval(20)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    #expect(process.terminationStatus == 130, "still waiting after one SIGINT")
    try? input.fileHandleForWriting.close()
  }
}
