import Foundation
import ImageCodecs
import Testing

/// Bad files give a typed error naming the file; nothing crashes and no partial image returns.
@Suite struct DecodeErrorTests {
  static let allFixtures = [
    "gray1.png", "gray16.png", "palette4-trns.png", "interlaced.png", "gray-alpha.png", "rgba8.png",
    "baseline.jpg", "progressive.jpg", "gray.jpg", "cmyk.jpg", "cmyk-adobe.jpg", "orientation6.jpg",
  ]

  func decodeError(_ bytes: [UInt8], name: String = "bad") -> ImageCodecError? {
    do {
      _ = try ImageFile.decode(bytes, name: name)
      return nil
    } catch {
      return error
    }
  }

  /// Cutting a file anywhere before its end is always an error, never a partial image.
  @Test(arguments: allFixtures) func everyTruncationIsAnError(name: String) throws {
    let bytes = try Fixtures.bytes(name)
    let format: ImageFormat = name.hasSuffix(".png") ? .png : .jpeg
    for length in 1..<bytes.count {
      let error = decodeError(Array(bytes.prefix(length)), name: name)
      switch error {
      case .corrupt(let path, let found, _)?:
        #expect(path == name && found == format)
      case .unknownFormat?:
        #expect(length < (format == .png ? 8 : 3), "only a cut inside the signature loses the format")
      default:
        Issue.record("\(name) cut at \(length) of \(bytes.count): \(String(describing: error))")
        return
      }
    }
  }

  @Test func emptyAndUnknownFiles() {
    #expect(decodeError([]) == .empty(path: "bad"))
    #expect(decodeError(Array("GIF89a....".utf8)) == .unknownFormat(path: "bad"))
    #expect(decodeError([0x89, 0x50]) == .unknownFormat(path: "bad"))
  }

  /// Random bytes after a valid signature: each is an error with the codec's message.
  @Test func garbageAfterTheSignatureIsCorrupt() {
    var generator = SeededGenerator(seed: 7)
    let signatures: [(ImageFormat, [UInt8])] = [
      (.png, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), (.jpeg, [0xFF, 0xD8, 0xFF]),
    ]
    for (format, signature) in signatures {
      for trial in 0..<200 {
        let tail = (0..<Int.random(in: 0...300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        guard case .corrupt(_, let found, let message)? = decodeError(signature + tail) else {
          Issue.record("\(format) trial \(trial) did not fail as corrupt")
          continue
        }
        #expect(found == format && !message.isEmpty)
      }
    }
  }

  /// Flipping bytes inside the image data: either a clean error or a full-size image.
  @Test(arguments: allFixtures) func corruptedBytesNeverCrash(name: String) throws {
    let original = try Fixtures.bytes(name)
    let info = try ImageFile.info(of: original, name: name)
    var generator = SeededGenerator(seed: 11)
    for _ in 0..<100 {
      var bytes = original
      for _ in 0..<3 {
        bytes[Int.random(in: 2..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
      }
      if let image = try? ImageFile.decode(bytes, name: name), info.width * info.height <= 4096 {
        #expect(image.samples.count == image.width * image.height * image.channels)
      }
    }
  }

  /// A header claiming 100000 x 100000 pixels is refused before any pixel memory exists.
  @Test func oversizedHeadersAreRefusedBeforeAllocation() throws {
    var png = try Fixtures.bytes("rgb8.png")
    // IHDR data starts at byte 16: width, height as big-endian UInt32, then the CRC at 29.
    png.replaceSubrange(16..<24, with: bigEndian(100_000) + bigEndian(100_000))
    png.replaceSubrange(29..<33, with: bigEndian(crc32(Array(png[12..<29]))))
    #expect(decodeError(png) == .tooLarge(path: "bad", width: 100_000, height: 100_000, maxPixels: defaultMaxPixels))
    let small = try Fixtures.bytes("rgb8.png")
    #expect(throws: ImageCodecError.tooLarge(path: "x", width: 3, height: 2, maxPixels: 5)) {
      try ImageFile.decode(small, name: "x", maxPixels: 5)
    }
    var jpeg = try Fixtures.bytes("baseline.jpg")
    let sof = try #require((0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
    // SOF0: marker, length (2), precision (1), height (2), width (2).
    jpeg.replaceSubrange((sof + 5)..<(sof + 9), with: [0xEA, 0x60, 0xEA, 0x60])  // 60000 x 60000
    #expect(decodeError(jpeg) == .tooLarge(path: "bad", width: 60000, height: 60000, maxPixels: defaultMaxPixels))
  }

  @Test func missingAndFolderPathsAreUnreadable() {
    #expect(throws: ImageCodecError.unreadable(path: "/no/such.png", reason: "no such file or directory")) {
      try ImageFile.read(path: "/no/such.png")
    }
    #expect(throws: ImageCodecError.unreadable(path: Fixtures.folder.path, reason: "is a directory")) {
      try ImageFile.read(path: Fixtures.folder.path)
    }
  }

  @Test func messagesNameTheFileAndTheProblem() {
    let error = decodeError([0xFF, 0xD8, 0xFF, 0xE0], name: "shirts/0007.jpg")
    let text = error.map(String.init(describing:)) ?? ""
    #expect(text.hasPrefix("shirts/0007.jpg: bad JPEG: "))
    #expect(text == text.lowercased().replacingOccurrences(of: "jpeg", with: "JPEG"))
  }

  func bigEndian(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }

  func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
      crc ^= UInt32(byte)
      for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
  }
}
