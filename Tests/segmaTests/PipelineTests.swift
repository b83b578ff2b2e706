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
}
