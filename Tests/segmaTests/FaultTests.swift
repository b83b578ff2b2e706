import Foundation
import ImageCodecs
import Testing

/// The built binary meeting faults: kill -9, a full disk, folders it may not read or
/// write, and two runs writing one folder at once.
@Suite final class FaultTests {
  let scratch = NSTemporaryDirectory() + "segma-fault-\(UUID().uuidString)"

  deinit { try? FileManager.default.removeItem(atPath: scratch) }

  /// Every file under a final name equals the one an uninterrupted run writes.
  func expectCompleteCopies(under folder: String, of reference: [String: Data]) throws {
    for (path, bytes) in try visibleFiles(under: folder) {
      #expect(bytes == reference[path], "\(path) is not the file an uninterrupted run writes")
    }
  }

  /// kill -9 in the middle of a folder: no partial image under a final name; its
  /// temporary files are recognisable, and a rerun with --skip-existing ignores them
  /// (another process could own them) and completes the set.
  @Test func killNineLeavesOnlyCompleteImagesAndARerunCompletesTheSet() throws {
    let stream = try sampleStream(1000)
    let reference = try decodeOnce(stream, into: scratch + "/reference")
    let out = scratch + "/out"
    let process = Process()
    process.executableURL = segmaExecutable
    process.arguments = ["decode", "--model", try tinyModel(), "-o", out]
    let (input, output) = (Pipe(), Pipe())
    process.standardInput = input
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    Thread {
      try? input.fileHandleForWriting.write(contentsOf: Data(stream.utf8))
      try? input.fileHandleForWriting.close()
    }.start()
    _ = output.fileHandleForReading.availableData  // a batch is written: now in the middle
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    #expect(process.terminationReason == .uncaughtSignal)
    let partial = try visibleFiles(under: out)
    #expect(partial.count > 0 && partial.count < reference.count, "\(partial.count) of \(reference.count)")
    try expectCompleteCopies(under: out, of: reference)
    #expect(try hiddenFiles(under: out).allSatisfy(isSegmaTemporaryName))
    // A leftover of some other run, under a name this rerun might have used.
    let planted = out + "/sample-bag/.000001.png.segma-1-1.tmp"
    #expect(FileManager.default.createFile(atPath: planted, contents: Data("half a PNG".utf8)))

    let rerun = try runSegma(["decode", "--model", try tinyModel(), "--skip-existing", "-o", out], stdin: stream)
    #expect(rerun.status == 0, "\(rerun.stderr)")
    #expect(rerun.stdout.split(separator: "\n").count == 1000)
    #expect(try visibleFiles(under: out) == reference)
    #expect(FileManager.default.contents(atPath: planted) == Data("half a PNG".utf8))
  }

  /// Two runs with --skip-existing writing one folder at once: every file complete,
  /// each written once, equal to a single run's.
  @Test func twoRunsWritingOneFolderAtOnceLeaveCompleteFiles() throws {
    let stream = try sampleStream(600)
    let reference = try decodeOnce(stream, into: scratch + "/reference")
    let out = scratch + "/shared"
    let model = try tinyModel()
    let runs = (0..<2).map { _ in
      let process = Process()
      process.executableURL = segmaExecutable
      process.arguments = ["decode", "--model", model, "--skip-existing", "-o", out]
      let input = Pipe()
      process.standardInput = input
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      return (process, input)
    }
    for (process, _) in runs { try process.run() }
    let feeders = runs.map { _, input in
      Thread {
        try? input.fileHandleForWriting.write(contentsOf: Data(stream.utf8))
        try? input.fileHandleForWriting.close()
      }
    }
    for feeder in feeders { feeder.start() }
    for (process, _) in runs {
      process.waitUntilExit()
      #expect(process.terminationStatus == 0)
    }
    #expect(try visibleFiles(under: out) == reference)
    #expect(try hiddenFiles(under: out).isEmpty)
  }

  /// The files of one uninterrupted `decode -o folder` of `stream`.
  func decodeOnce(_ stream: String, into folder: String) throws -> [String: Data] {
    let result = try runSegma(["decode", "--model", try tinyModel(), "-o", folder], stdin: stream)
    #expect(result.status == 0, "\(result.stderr)")
    return try visibleFiles(under: folder)
  }

  /// A full disk stops the run with 74 and a message naming the file; what is under a
  /// final name is complete, and no temporary file is left.
  @Test func aFullDiskStopsWith74AndLeavesNoPartialFile() throws {
    guard let disk = SmallFileSystem(at: scratch + "/small", bytes: 96 * 1024) else {
      print("skipped: cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)")
      return
    }
    let stream = try sampleStream(300)
    let reference = try decodeOnce(stream, into: scratch + "/reference")
    let out = disk.path + "/out"
    let result = try runSegma(["decode", "--model", try tinyModel(), "-o", out], stdin: stream)
    #expect(result.status == 74)
    #expect(result.stderr.hasPrefix("segma: \(out)/sample-bag/0"), "\(result.stderr)")
    #expect(result.stderr.hasSuffix(": cannot write: no space left on device\n"), "\(result.stderr)")
    #expect(result.stderr.split(separator: "\n").count == 1)
    let written = try visibleFiles(under: out)
    #expect(written.count > 0 && written.count < 300)
    try expectCompleteCopies(under: out, of: reference)
    #expect(try hiddenFiles(under: out).isEmpty)
  }

  /// The same from image files, whose next batch is read and decoded on a second thread:
  /// the failed write stops that thread too (no hang) and the status is still 74.
  @Test func aFullDiskStopsAnImageFileRunWith74() throws {
    guard let disk = SmallFileSystem(at: scratch + "/small", bytes: 96 * 1024) else {
      print("skipped: cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)")
      return
    }
    let out = disk.path + "/out"
    let args = ["transfer", "--model", try tinyModel(), "--to", "coat", "--steps", "40", "-o", out, PipelineTests.fashion]
    let result = try runSegma(args)
    #expect(result.status == 74)
    #expect(result.stderr.hasSuffix(": cannot write: no space left on device\n"), "\(result.stderr)")
    #expect(try hiddenFiles(under: out).isEmpty)
  }

  /// An output folder that cannot be made or written: 73, naming the path.
  @Test func anUnwritableOutputFolderStopsWith73() throws {
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    #expect(FileManager.default.createFile(atPath: scratch + "/file", contents: Data()))
    let stream = try sampleStream(3)
    let model = try tinyModel()
    let underAFile = try runSegma(["decode", "--model", model, "-o", scratch + "/file/out"], stdin: stream)
    #expect(underAFile.status == 73)
    #expect(underAFile.stderr == "segma: \(scratch)/file/out: cannot create: not a directory\n")
    guard let launcher = withoutFileAccessOverride() else {
      print("skipped: read-only folder case; running as root and setpriv cannot drop CAP_DAC_OVERRIDE here")
      return
    }
    let locked = scratch + "/locked"
    try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: true)
    try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: locked)
    let readOnly = try runSegma(["decode", "--model", model, "-o", locked], stdinBytes: Data(stream.utf8), launcher: launcher)
    #expect(readOnly.status == 73)
    #expect(readOnly.stderr == "segma: \(locked)/sample-bag: cannot create: permission denied\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: locked).isEmpty)
  }

  /// A FIFO named as an image (on the command line or in a manifest) or as the model is
  /// refused at once: opening it must not wait for a writer that never comes.
  @Test func aFIFOIsRefusedWithoutWaitingForAWriter() throws {
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    let fifo = scratch + "/pipe.png"
    #expect(mkfifo(fifo, 0o644) == 0)
    let model = try tinyModel()
    let named = try runSegma(["encode", "--model", model, fifo, PipelineTests.fashion + "/bag/00018.png"])
    #expect(named.status == 1)
    #expect(named.stderr == "segma: \(fifo): encode: cannot read: not a regular file\n")
    #expect(named.stdout.split(separator: "\n").count == 2)
    let listed = try runSegma(["encode", "--model", model], stdin: #"{"v":1,"type":"image","id":"p","path":"\#(fifo)"}"# + "\n")
    #expect(listed.status == 1 && listed.stdout.contains("not a regular file"))
    let asModel = try runSegma(["classify", "--model", fifo, PipelineTests.fashion + "/bag/00018.png"])
    #expect(asModel.status != 0 && asModel.stderr.contains("not a regular file"))
  }

  /// A missing or unreadable input folder stops the run (66); an unreadable folder met
  /// deeper in the tree is one error record in its place, and the run goes on.
  @Test func unreadableInputs() throws {
    let model = try tinyModel()
    let missing = try runSegma(["encode", "--model", model, scratch + "/no-such-folder"])
    #expect(missing.status == 66 && missing.stderr == "segma: \(scratch)/no-such-folder: no such file or directory\n")
    guard let launcher = withoutFileAccessOverride() else {
      print("skipped: unreadable folders; running as root and setpriv cannot drop CAP_DAC_READ_SEARCH here")
      return
    }
    let shirts = PipelineTests.fashion + "/shirt"
    for folder in ["in/a", "in/b-locked", "in/c"] {
      try FileManager.default.createDirectory(atPath: scratch + "/" + folder, withIntermediateDirectories: true)
    }
    for (name, folder) in [("00004", "a"), ("00007", "b-locked"), ("00026", "c")] {
      try FileManager.default.copyItem(atPath: "\(shirts)/\(name).png", toPath: "\(scratch)/in/\(folder)/\(name).png")
    }
    let locked = scratch + "/in/b-locked"
    try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: locked)
    defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: locked) }

    let result = try runSegma(["encode", "--model", model, scratch + "/in"], stdinBytes: nil, launcher: launcher)
    #expect(result.status == 1)
    let lines = result.stdout.split(separator: "\n")
    try #require(lines.count == 3)
    #expect(lines[0].contains(#""type":"latent","id":"in/a/00004""#))
    #expect(lines[1] == #"{"v":1,"type":"error","id":"in/b-locked","src":"\#(locked)","stage":"encode","message":"cannot read: permission denied"}"#)
    #expect(lines[2].contains(#""type":"latent","id":"in/c/00026""#))
    #expect(result.stderr == "segma: \(locked): encode: cannot read: permission denied\n")
    let named = try runSegma(["encode", "--model", model, locked], stdinBytes: nil, launcher: launcher)
    #expect(named.status == 66 && named.stderr == "segma: \(locked): permission denied\n")
  }
}
