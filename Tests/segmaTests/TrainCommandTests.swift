import Foundation
import ImageCodecs
import Testing

/// `segma train`, `eval` and `info` on a model, run as a user would, on the 30 demo
/// Fashion-MNIST images (3 per class).
@Suite final class TrainCommandTests {
  static let fashion = BinaryTests.packageRoot.appendingPathComponent("fixtures/fashion").path
  let scratch = NSTemporaryDirectory() + "segma-train-\(UUID().uuidString)"

  deinit { try? FileManager.default.removeItem(atPath: scratch) }

  func train(_ extra: [String], output: String) throws -> RunResult {
    // conv at 16x16 keeps the model small (the mlp's 1024-wide layers are 3.7M parameters).
    try runSegma(
      ["train", "--arch", "conv", "--size", "16x16", "--channels", "1", "--labels-per-class", "2", "--batch-size", "15",
       "--seed", "4", "-q", "-o", output] + extra + [Self.fashion])
  }

  /// Two epochs straight equal one epoch plus a resumed second, byte for byte.
  @Test func resumeGivesTheSameModelAsAnUninterruptedRun() throws {
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    let straight = try train(["--epochs", "2", "--preview-every", "1"], output: scratch + "/straight.segma")
    #expect(straight.status == 0, "\(straight.stderr)")
    // Preview: 8 columns; rows of originals, reconstructions, 10 classes of samples, one interpolation.
    let preview = try ImageFile.read(path: scratch + "/straight.segma.preview.png")
    #expect((preview.width, preview.height) == (8 * 16 + 9 * 2, 13 * 16 + 14 * 2))
    let first = try train(["--epochs", "1"], output: scratch + "/resumed.segma")
    #expect(first.status == 0 && FileManager.default.fileExists(atPath: scratch + "/resumed.segma.ckpt"))
    let second = try train(["--epochs", "2", "--resume", scratch + "/resumed.segma.ckpt"], output: scratch + "/resumed.segma")
    #expect(second.status == 0, "\(second.stderr)")
    let a = try Data(contentsOf: URL(fileURLWithPath: scratch + "/straight.segma"))
    let b = try Data(contentsOf: URL(fileURLWithPath: scratch + "/resumed.segma"))
    #expect(a == b)

    let info = try runSegma(["info", scratch + "/straight.segma"])
    #expect(info.status == 0)
    func field(_ label: String) -> String? {
      info.stdout.split(separator: "\n").first { $0.hasPrefix("  " + label + " ") }?
        .dropFirst(label.count + 2).trimmingCharacters(in: .whitespaces)
    }
    #expect(field("architecture") == "conv")
    #expect(field("image") == "16x16x1")
    #expect(field("classes") == "ankle-boot bag coat dress pullover sandal shirt sneaker t-shirt trouser")
    #expect(field("training epochs") == "2")
    #expect(field("model id")?.hasPrefix("sha256:") == true)

    let eval = try runSegma(["eval", "--json", "--model", scratch + "/straight.segma", Self.fashion])
    #expect(eval.status == 0, "\(eval.stderr)")
    #expect(eval.stdout.contains("\"images\":30"))
    // A resumed run asked for no more epochs is a usage error, not a silent no-op.
    let done = try train(["--epochs", "2", "--resume", scratch + "/resumed.segma.ckpt"], output: scratch + "/again.segma")
    #expect(done.status == 64)
  }

  /// --unlabeled adds images that only the unlabelled losses see.
  @Test func unlabelledImagesJoinTheTrainingSet() throws {
    let fixtures = BinaryTests.packageRoot.appendingPathComponent("fixtures/images").path
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    let result = try train(["--epochs", "1", "--unlabeled", fixtures], output: scratch + "/more.segma")
    #expect(result.status == 0, "\(result.stderr)")
    let info = try runSegma(["info", "--json", scratch + "/more.segma"])
    let images = try FileManager.default.contentsOfDirectory(atPath: fixtures).count
    #expect(info.stdout.contains("\"training.images\":\"\(30 + images)\""))
    #expect(info.stdout.contains("\"training.labelled\":\"20\""))
  }

  /// SIGINT stops training after its current step with 130, keeping the checkpoint of
  /// the last finished epoch, which a resumed run continues from.
  @Test func sigintKeepsTheLastCheckpoint() throws {
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    let output = scratch + "/stopped.segma"
    let process = Process()
    process.executableURL = segmaExecutable
    process.arguments = [
      "train", "--arch", "conv", "--size", "16x16", "--channels", "1", "--labels-per-class", "2", "--batch-size", "15",
      "--seed", "4", "--epochs", "100000", "-o", output, Self.fashion,
    ]
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    var stderr = ""
    while !stderr.contains("epoch 2/") {  // one line per epoch, after its checkpoint is due
      let chunk = errors.fileHandleForReading.availableData
      if chunk.isEmpty { break }
      stderr += String(decoding: chunk, as: UTF8.self)
    }
    kill(process.processIdentifier, SIGINT)
    stderr += String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 130, "\(stderr)")
    #expect(stderr.hasSuffix("segma: interrupted (signal 2); the current batch was finished\n"))
    #expect(!FileManager.default.fileExists(atPath: output))
    let epochs = stderr.split(separator: "\n").compactMap { line in
      line.hasPrefix("segma: epoch ") ? line.dropFirst(13).split(separator: "/").first.flatMap { Int($0) } : nil
    }
    let last = try #require(epochs.last)
    let resumed = try train(["--epochs", "\(last + 1)", "--resume", output + ".ckpt"], output: output)
    #expect(resumed.status == 0, "\(resumed.stderr)")
    #expect(FileManager.default.fileExists(atPath: output))
  }

  @Test func aMissingModelAndABadModelFileUseSysexits() throws {
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    #expect(try runSegma(["eval", "--model", scratch + "/none.segma", Self.fashion]).status == 66)
    try Data("{\"not\":\"a model\"}".utf8).write(to: URL(fileURLWithPath: scratch + "/bad.segma"))
    let bad = try runSegma(["eval", "--model", scratch + "/bad.segma", Self.fashion])
    #expect(bad.status == 65 && bad.stderr.contains("bad.segma"))
  }
}
