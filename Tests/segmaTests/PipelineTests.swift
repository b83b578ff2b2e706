import Foundation
import ImageCodecs
import Testing

/// The latent commands over pipes and folders, with the bundled default model.
@Suite final class PipelineTests {
  static let fashion = BinaryTests.packageRoot.appendingPathComponent("fixtures/fashion").path
  let scratch = NSTemporaryDirectory() + "segma-pipeline-\(UUID().uuidString)"

  deinit { try? FileManager.default.removeItem(atPath: scratch) }

  func files(under folder: String) throws -> [String: Data] {
    var found: [String: Data] = [:]
    for path in try FileManager.default.subpathsOfDirectory(atPath: folder) {
      var isFolder: ObjCBool = false
      if FileManager.default.fileExists(atPath: folder + "/" + path, isDirectory: &isFolder), !isFolder.boolValue {
        found[path] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + path))
      }
    }
    return found
  }

  /// `encode | transfer | decode -o` and `transfer -o` write the same bytes under the same names.
  @Test func thePipeAndTheDirectFormWriteIdenticalFiles() throws {
    let shirts = Self.fashion + "/shirt"
    let encoded = try runSegma(["encode", shirts])
    #expect(encoded.status == 0, "\(encoded.stderr)")
    let moved = try runSegma(["transfer", "--to", "dress", "--steps", "3"], stdin: encoded.stdout)
    let piped = try runSegma(["decode", "-o", scratch + "/piped"], stdin: moved.stdout)
    #expect(piped.status == 0, "\(piped.stderr)")
    let direct = try runSegma(["transfer", "--to", "dress", "--steps", "3", "-o", scratch + "/direct", shirts])
    #expect(direct.status == 0, "\(direct.stderr)")
    let a = try files(under: scratch + "/piped"), b = try files(under: scratch + "/direct")
    #expect(a.count == 9 && a == b)
    #expect(a.keys.contains("shirt/00004.transfer-dress.3.png"))
    // Each output is a 28x28 gray PNG, as the model makes them.
    let image = try ImageFile.read(path: scratch + "/direct/shirt/00004.transfer-dress.3.png")
    #expect((image.width, image.height, image.channels) == (28, 28, 1))
  }

  /// Reruns refuse existing files by default, and --skip-existing makes them cheap.
  @Test func existingOutputsAreRefusedOrSkipped() throws {
    let shirts = Self.fashion + "/shirt"
    #expect(try runSegma(["transfer", "--to", "dress", "-o", scratch, shirts]).status == 0)
    let before = try files(under: scratch)
    let refused = try runSegma(["transfer", "--to", "dress", "-o", scratch, shirts])
    #expect(refused.status == 1 && refused.stderr.contains("exists (use --overwrite or --skip-existing)"))
    #expect(refused.stdout.split(separator: "\n").allSatisfy { $0.contains("\"type\":\"error\"") })
    let skipped = try runSegma(["transfer", "--to", "dress", "--skip-existing", "-o", scratch, shirts])
    #expect(skipped.status == 0)
    #expect(skipped.stdout.split(separator: "\n").filter { $0.contains("\"type\":\"image\"") }.count == 3)
    #expect(try files(under: scratch) == before)
  }

  @Test func transferAtOneLandsInTheTargetClass() throws {
    let result = try runSegma(["transfer", "--to", "trouser", Self.fashion + "/shirt"])
    let lines = result.stdout.split(separator: "\n")
    #expect(lines.count == 3)
    #expect(lines.allSatisfy { $0.contains("\"class\":\"trouser\"") && $0.contains("\"frame\":1") })
    #expect(lines.allSatisfy { $0.contains("\"ops\":[{\"transfer\":{\"to\":\"trouser\",\"t\":1}}]") })
  }

  @Test func unknownClassNamesAreUsageErrorsListingTheNames() throws {
    let result = try runSegma(["transfer", "--to", "drss", Self.fashion + "/shirt"])
    #expect(result.status == 64)
    #expect(result.stderr.contains("ankle-boot, bag, coat, dress"))
  }

  /// Bad files and lines become error records; counts add up; the status is 1.
  @Test func errorsPassThroughAndCountsAddUp() throws {
    try FileManager.default.createDirectory(atPath: scratch + "/in", withIntermediateDirectories: true)
    for name in ["00004", "00007"] {
      try FileManager.default.copyItem(atPath: Self.fashion + "/shirt/\(name).png", toPath: scratch + "/in/\(name).png")
    }
    try Data("not an image".utf8).write(to: URL(fileURLWithPath: scratch + "/in/bad.png"))
    let encoded = try runSegma(["encode", scratch + "/in"])
    #expect(encoded.status == 1 && encoded.stderr.contains("bad.png: encode: not a PNG or JPEG file"))
    let stream = encoded.stdout + "{\"v\":1,\"type\":\"latent\",\"id\":\"x\",\"model\":\"sha256:0000000000000000\",\"src\":null,"
      + "\"z\":[1,2,3,4,5,6,7,8,9,10],\"class\":\"bag\",\"p\":1,\"size\":[28,28],\"channels\":1}\nnot json\n"
    let moved = try runSegma(["transfer", "--to", "coat", "--steps", "2"], stdin: stream)
    #expect(moved.status == 1)
    let lines = moved.stdout.split(separator: "\n")
    // 2 good inputs x 2 frames + 1 bad image + 1 foreign latent + 1 bad line.
    #expect(lines.count == 7)
    #expect(lines.filter { $0.contains("\"type\":\"error\"") }.count == 3)
    #expect(moved.stdout.contains("made by model sha256:0000000000000000, not this model sha256:"))
    // The upstream error is not printed a second time; the new ones are.
    #expect(!moved.stderr.contains("bad.png"))
    #expect(moved.stderr.contains("line 5"))
  }

  @Test func classifyListsTheTopClasses() throws {
    let result = try runSegma(["classify", "--top", "2", Self.fashion + "/trouser"])
    #expect(result.status == 0)
    let first = try #require(result.stdout.split(separator: "\n").first)
    #expect(first.contains("\"probs\":{\"trouser\":"))
  }

  @Test func decodeWithoutAFolderIsAUsageError() throws {
    #expect(try runSegma(["decode"], stdin: "").status == 64)
  }

  @Test func interpolationFramesHitBothKeysAndPrintAnFFmpegCommand() throws {
    let a = Self.fashion + "/trouser/00002.png", b = Self.fashion + "/dress/00013.png"
    let keys = try runSegma(["encode", a, b]).stdout.split(separator: "\n")
    let result = try runSegma(["interpolate", "--frames", "4", "-o", scratch, a, b])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr.contains("ffmpeg -framerate 24 -i '\(scratch)/00002--00013/%06d.png'"))
    let names = try FileManager.default.contentsOfDirectory(atPath: scratch + "/00002--00013").sorted()
    #expect(names == (1...5).map { String(format: "%06d.png", $0) })
    let manifest = try runSegma(["interpolate", "--frames", "4", a, b]).stdout.split(separator: "\n")
    func z(_ line: Substring) -> Substring? { line.split(separator: "\"z\":").last?.split(separator: "]").first }
    #expect(manifest.count == 5)
    #expect(z(manifest[0]) == z(keys[0]) && z(manifest[4]) == z(keys[1]))
    #expect(manifest[2].contains("\"frame\":3"))
  }

  @Test func samplesAreReproducibleAndOfTheirClass() throws {
    let first = try runSegma(["sample", "--class", "trouser", "-n", "4", "--temperature", "0.5", "--seed", "7"])
    let again = try runSegma(["sample", "--class", "trouser", "-n", "4", "--temperature", "0.5", "--seed", "7"])
    #expect(first.status == 0 && first.stdout == again.stdout)
    let lines = first.stdout.split(separator: "\n")
    #expect(lines.count == 4 && lines[3].contains("\"id\":\"sample-trouser/000004\"") && lines[0].contains("\"src\":null"))
    #expect(lines.allSatisfy { $0.contains("\"class\":\"trouser\"") })
  }

  @Test func restyleAndIntensityKeepTheClassAndNameTheirOutputs() throws {
    let restyled = try runSegma(["restyle", "--style", Self.fashion + "/dress/00013.png", Self.fashion + "/trouser"])
    #expect(restyled.status == 0, "\(restyled.stderr)")
    #expect(restyled.stdout.split(separator: "\n").allSatisfy { $0.contains(".restyle-00013\"") })
    let intense = try runSegma(["intensity", "--amount", "-0.5,0,1", "--away-from", "coat", Self.fashion + "/bag/00018.png"])
    let lines = intense.stdout.split(separator: "\n")
    try #require(lines.count == 3)
    #expect(lines[1].contains("\"id\":\"00018.intensity-away-coat.2\""))
    // s = 0 is the identity: the same z as encoding the image.
    let encoded = try runSegma(["encode", Self.fashion + "/bag/00018.png"]).stdout
    func z(_ line: Substring) -> Substring? { line.split(separator: "\"z\":").last?.split(separator: "]").first }
    #expect(z(lines[1]) == z(encoded.split(separator: "\n")[0]))
  }

  /// DESIGN §10: per-record stages split across processes with GNU parallel give the
  /// serial result, byte for byte.
  @Test func gnuParallelGivesTheSerialOutput() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/parallel") else {
      print("skipped: GNU parallel is not installed (apt-get install parallel)")
      return
    }
    let encoded = try runSegma(["encode", Self.fashion]).stdout
    let serial = try runSegma(["transfer", "--to", "dress", "--steps", "2"], stdin: encoded)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/parallel")
    process.arguments = ["--will-cite", "--pipe", "-N", "7", "--keep-order", segmaExecutable.path, "transfer", "--to", "dress",
                         "--steps", "2"]
    let (input, output) = (Pipe(), Pipe())
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    try input.fileHandleForWriting.write(contentsOf: Data(encoded.utf8))
    try input.fileHandleForWriting.close()
    let parallel = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    #expect(serial.stdout.split(separator: "\n").count == 60)
    #expect(parallel == serial.stdout)
  }

  /// An installed segma finds its default model from any folder, with no --model.
  @Test func anInstalledSegmaFindsItsDefaultModel() throws {
    let install = Process()
    install.executableURL = URL(fileURLWithPath: "/bin/bash")
    install.arguments = [BinaryTests.packageRoot.appendingPathComponent("scripts/install.sh").path, "--binary",
                         segmaExecutable.path, scratch + "/prefix"]
    install.standardError = FileHandle.nullDevice
    try install.run()
    install.waitUntilExit()
    #expect(install.terminationStatus == 0)
    for path in ["bin/segma", "share/segma/default.segma", "share/man/man1/segma.1",
                 "share/bash-completion/completions/segma", "share/zsh/site-functions/_segma",
                 "share/fish/vendor_completions.d/segma.fish"] {
      #expect(FileManager.default.fileExists(atPath: scratch + "/prefix/" + path), "\(path)")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: scratch + "/prefix/bin/segma")
    process.arguments = ["classify", "-v", Self.fashion + "/bag/00018.png"]
    process.currentDirectoryURL = URL(fileURLWithPath: NSTemporaryDirectory())
    var environment = ProcessInfo.processInfo.environment
    environment["SEGMA_MODEL"] = nil
    process.environment = environment
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    #expect(text.contains("model \(scratch)/prefix/share/segma/default.segma"))
  }

  /// Records are processed as they arrive: the first output line comes while stdin is
  /// still open; and a reader that goes away ends the stage quietly.
  @Test func stagesStreamAndEndQuietlyOnAClosedPipe() throws {
    signal(SIGPIPE, SIG_IGN)  // this test writes into segma's stdin after segma has gone
    let line = try #require(try runSegma(["encode", Self.fashion + "/bag/00018.png"]).stdout.split(separator: "\n").first)
    let process = Process()
    process.executableURL = segmaExecutable
    process.arguments = ["transfer", "--to", "coat"]
    let (input, output, errors) = (Pipe(), Pipe(), Pipe())
    process.standardInput = input
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    try input.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
    // stdin stays open: the record must come out anyway.
    let first = output.fileHandleForReading.availableData
    #expect(String(decoding: first, as: UTF8.self).contains("00018.transfer-coat.1"))
    // Now close the reading end and keep writing: segma ends with 0 and says nothing.
    try output.fileHandleForReading.close()
    let many = String(repeating: line + "\n", count: 2000)
    try? input.fileHandleForWriting.write(contentsOf: Data(many.utf8))
    try? input.fileHandleForWriting.close()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    #expect(errors.fileHandleForReading.readDataToEndOfFile().isEmpty)
  }

  /// Records that would overflow or need huge images fail alone; the run goes on.
  @Test func overflowingAndHugeRecordsFailAlone() throws {
    let shirts = Self.fashion + "/shirt"
    let overflow = try runSegma(["transfer", "--to", "dress", "--t", "1,1e38", shirts])
    #expect(overflow.status == 1)
    let lines = overflow.stdout.split(separator: "\n")
    #expect(lines.count == 6 && lines.filter { $0.contains("z is not finite") }.count == 3)
    let encoded = try runSegma(["encode", shirts + "/00004.png"]).stdout
    let huge = encoded.replacingOccurrences(of: "\"size\":[28,28]", with: "\"size\":[2000000000,2000000000]")
    let decoded = try runSegma(["decode", "--size", "original", "-o", scratch], stdin: huge + encoded)
    #expect(decoded.status == 1 && decoded.stderr.contains("is more than --max-pixels"))
    #expect(decoded.stdout.contains("\"type\":\"image\""))  // the normal record still came through
    let oneKey = try runSegma(["interpolate", shirts + "/00004.png", scratch + "/missing.png"])
    #expect(oneKey.status == 66)
  }

  /// SIGINT and SIGTERM end a stage after its current batch: exit 130 and 143, every
  /// image record's file complete, no temporary files left.
  @Test(arguments: [(SIGINT, 130), (SIGTERM, 143)] as [(Int32, Int32)])
  func aSignalFinishesTheBatchAndExits(signalNumber: Int32, status: Int32) throws {
    signal(SIGPIPE, SIG_IGN)  // the feeder may write after segma has gone
    let stream = try runSegma(["sample", "--class", "bag", "-n", "3000"]).stdout
    let process = Process()
    process.executableURL = segmaExecutable
    process.arguments = ["transfer", "--to", "coat", "-o", scratch + "/out"]
    let (input, output) = (Pipe(), Pipe())
    process.standardInput = input
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let feeder = Thread {
      try? input.fileHandleForWriting.write(contentsOf: Data(stream.utf8))
      try? input.fileHandleForWriting.close()
    }
    feeder.start()
    _ = output.fileHandleForReading.availableData  // some output exists: a batch is done
    kill(process.processIdentifier, signalNumber)
    let rest = output.fileHandleForReading.readDataToEndOfFile()  // after the first chunk
    process.waitUntilExit()
    #expect(process.terminationStatus == status)
    let written = try FileManager.default.subpathsOfDirectory(atPath: scratch + "/out")
    #expect(!written.contains { $0.split(separator: "/").last?.hasPrefix(".") == true }, "temporary files left")
    let pngs = written.filter { $0.hasSuffix(".png") }
    #expect(pngs.count > 0 && pngs.count < 3000)
    // Every image record printed names a complete file.
    let records = String(decoding: rest, as: UTF8.self).split(separator: "\n")
    #expect(records.count <= pngs.count)
    for path in pngs.prefix(20) { _ = try ImageFile.read(path: scratch + "/out/" + path) }
  }

  /// From image files the next batch is read on a second thread; a signal still stops
  /// the reading, and every batch read is written whole, its records printed.
  @Test func aSignalStopsReadingImageFiles() throws {
    let inputs = scratch + "/in"
    try FileManager.default.createDirectory(atPath: inputs, withIntermediateDirectories: true)
    let image = try Data(contentsOf: URL(fileURLWithPath: Self.fashion + "/bag/00018.png"))
    for i in 0..<600 { try image.write(to: URL(fileURLWithPath: inputs + "/\(i).png")) }  // 3 batches of 256
    let process = Process()
    process.executableURL = segmaExecutable
    process.arguments = ["transfer", "--to", "coat", "--steps", "4", "-o", scratch + "/out", inputs]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    var printed = output.fileHandleForReading.availableData  // some output exists: a batch is done
    kill(process.processIdentifier, SIGINT)
    printed += output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 130)
    let written = try FileManager.default.subpathsOfDirectory(atPath: scratch + "/out")
    #expect(!written.contains { $0.split(separator: "/").last?.hasPrefix(".") == true }, "temporary files left")
    let pngs = written.filter { $0.hasSuffix(".png") }
    #expect(pngs.count > 0 && pngs.count < 2400 && pngs.count % 1024 == 0, "\(pngs.count) images")
    #expect(String(decoding: printed, as: UTF8.self).split(separator: "\n").count == pngs.count)
  }

  /// One thread (batches in turn) and the default (the next batch read on a second
  /// thread while the last is written) print the same records and write the same files,
  /// from image files and from a manifest on stdin, over several batches.
  @Test func oneThreadAndOverlappedBatchesWriteTheSameBytes() throws {
    let inputs = scratch + "/in"
    try FileManager.default.createDirectory(atPath: inputs, withIntermediateDirectories: true)
    for (i, name) in ["bag/00018", "shirt/00004", "dress/00013"].enumerated() {
      let image = try Data(contentsOf: URL(fileURLWithPath: Self.fashion + "/\(name).png"))
      // 300 images: 2 batches of 256.
      for copy in 0..<100 { try image.write(to: URL(fileURLWithPath: inputs + "/\(i)-\(copy).png")) }
    }
    let model = try tinyModel()
    let latents = try runSegma(["encode", "--model", model, inputs]).stdout
    var outputs: [[String: Data]] = []
    var records: [[String]] = []
    for threads in ["1", "2"] {
      let fromFiles = try runSegma(
        ["transfer", "--model", model, "-j", threads, "--to", "coat", "-o", scratch + "/f\(threads)", inputs])
      let fromStdin = try runSegma(
        ["decode", "--model", model, "-j", threads, "-o", scratch + "/s\(threads)"], stdin: latents)
      #expect(fromFiles.status == 0 && fromStdin.status == 0)
      outputs += [try files(under: scratch + "/f\(threads)"), try files(under: scratch + "/s\(threads)")]
      records += [fromFiles.stdout, fromStdin.stdout].map {
        $0.replacingOccurrences(of: scratch, with: "").split(separator: "\n").map(String.init)
      }
    }
    #expect(outputs[0].count == 300 && outputs[1].count == 300)
    #expect(outputs[0] == outputs[2] && outputs[1] == outputs[3])
    #expect(records[0].count == 300 && records[1].count == 300)
    func folderless(_ lines: [String], _ folder: String) -> [String] {
      lines.map { $0.replacingOccurrences(of: folder, with: "/") }
    }
    #expect(folderless(records[0], "/f1/") == folderless(records[2], "/f2/"))
    #expect(folderless(records[1], "/s1/") == folderless(records[3], "/s2/"))
  }

  /// Two ids that sanitise to one name: the second is an error, with or without
  /// --skip-existing, and the first file is not replaced.
  @Test func idsThatShareAnOutputNameCollide() throws {
    let line = try #require(try runSegma(["encode", Self.fashion + "/bag/00018.png"]).stdout.split(separator: "\n").first)
    let twin = line.replacingOccurrences(of: "\"id\":\"00018\"", with: "\"id\":\"../00018\"")
    for flags in [[], ["--skip-existing"]] {
      let folder = scratch + "/collide\(flags.count)"
      let result = try runSegma(["decode", "-o", folder] + flags, stdin: line + "\n" + twin + "\n")
      #expect(result.status == 1 && result.stderr.contains("another record of this run has the same output name"))
      #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["00018.png"])
    }
  }
}
