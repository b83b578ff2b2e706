import Foundation
import ImageCodecs
import Testing

/// Inputs `fuzz/run image` found a problem with, kept in fixtures/fuzz-regressions/image/
/// once fixed. Each goes through what the harness (fuzz/Sources/FuzzImage) does.
@Suite struct FuzzRegressionTests {
  static let folder = Fixtures.folder.deletingLastPathComponent().appendingPathComponent("fuzz-regressions/image")
  /// The harness's `--max-pixels`.
  static let maxPixels = 1 << 20
  static let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()) ?? []

  static func bytes(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
  }

  /// A missing folder would make the test below pass by running on nothing.
  @Test func regressionInputsArePresent() {
    #expect(Self.names.contains("png-forged-width-header.png"))
  }

  /// Each input decodes to an image its header describes, or throws; either way
  /// within a gigabyte of memory and without a crash.
  @Test(arguments: names) func decodesOrThrowsWithinMemory(name: String) throws {
    let bytes = try Self.bytes(name)
    let peakBefore = peakResidentBytes()
    let info = try? ImageFile.info(of: bytes, name: name)
    if let image = try? ImageFile.decode(bytes, name: name, maxPixels: Self.maxPixels) {
      let info = try #require(info, "\(name) decodes but its header cannot be read")
      #expect(image.width * image.height <= Self.maxPixels)
      #expect(info.width == image.width && info.height == image.height && info.channels == image.channels)
      let input = image.modelInput(width: 28, height: 28, layout: .gray)
      #expect(input.allSatisfy { $0 >= -1e-5 && $0 <= 1 + 1e-5 })
    }
    #expect(peakResidentBytes() - peakBefore < 1 << 30, "reading \(name) took more than 1 GiB")
  }

  /// A PNG header claiming 1165519206 x 1 pixels of 16-bit gray+alpha: libpng's row
  /// buffer for it (4.6 GB) used to be allocated and cleared while reading the header,
  /// before the --max-pixels check. Now the header is read without it.
  @Test func forgedPNGWidthIsRefusedFromTheHeader() throws {
    let bytes = try Self.bytes("png-forged-width-header.png")
    #expect(throws: ImageCodecError.tooLarge(path: "forged", width: 1_165_519_206, height: 1, maxPixels: Self.maxPixels)) {
      try ImageFile.decode(bytes, name: "forged", maxPixels: Self.maxPixels)
    }
    let info = try ImageFile.info(of: bytes, name: "forged")
    #expect(info.width == 1_165_519_206 && info.height == 1 && info.channels == 2 && info.bitDepth == 16)
  }
}
