import ImageCodecs
import Testing

/// Encode then decode: PNG gives the same bytes back, JPEG nearly the same.
@Suite struct RoundTripTests {
  func randomImage(width: Int, height: Int, channels: Int, seed: UInt64) -> PixelBuffer {
    var generator = SeededGenerator(seed: seed)
    let samples = (0..<(width * height * channels)).map { _ in UInt8.random(in: 0...255, using: &generator) }
    return PixelBuffer(width: width, height: height, channels: channels, samples: .uint8(samples))
  }

  @Test(arguments: 1...4) func pngIsExact(channels: Int) throws {
    let image = randomImage(width: 17, height: 9, channels: channels, seed: UInt64(channels))
    let bytes = try ImageEncoder.png(image)
    #expect(try ImageFile.decode(bytes, name: "round-trip") == image)
  }

  /// A smooth image, as models make, comes back exact and compressed (stored, it would
  /// take more bytes than it has samples).
  @Test func smoothPNGIsExactAndCompressed() throws {
    let (width, height) = (256, 192)
    let samples = (0..<(width * height)).map { UInt8(($0 % width + $0 / width) / 2) }
    let image = PixelBuffer(width: width, height: height, channels: 1, samples: .uint8(samples))
    let bytes = try ImageEncoder.png(image)
    #expect(try ImageFile.decode(bytes, name: "smooth") == image)
    #expect(bytes.count < samples.count / 4, "\(bytes.count) bytes for \(samples.count) samples")
  }

  @Test func sixteenBitAndFloatAreRoundedTo8Bit() throws {
    let deep = PixelBuffer(width: 3, height: 1, channels: 1, samples: .uint16([0, 32896, 65535]))
    #expect(try ImageFile.decode(ImageEncoder.png(deep), name: "x").samples == .uint8([0, 128, 255]))
    let float = PixelBuffer(width: 4, height: 1, channels: 1, samples: .float([-0.5, 0.5, 1.5, .nan]))
    #expect(try ImageFile.decode(ImageEncoder.png(float), name: "x").samples == .uint8([0, 128, 255, 0]))
  }

  /// A smooth image survives JPEG at quality 92 within a few levels per sample.
  @Test(arguments: [1, 3]) func jpegIsClose(channels: Int) throws {
    let (width, height) = (32, 24)
    var samples = [UInt8]()
    for y in 0..<height {
      for x in 0..<width {
        for c in 0..<channels { samples.append(UInt8(40 + x * 3 + y * 2 + c * 20)) }
      }
    }
    let image = PixelBuffer(width: width, height: height, channels: channels, samples: .uint8(samples))
    let decoded = try ImageFile.decode(ImageEncoder.jpeg(image, quality: 92), name: "x")
    #expect((decoded.width, decoded.height, decoded.channels) == (width, height, channels))
    guard case .uint8(let back) = decoded.samples else { Issue.record("not 8-bit"); return }
    let worst = zip(samples, back).map { abs(Int($0) - Int($1)) }.max() ?? 0
    #expect(worst <= 6, "largest sample error \(worst)")
  }

  @Test func jpegCompositesAlphaOverTheBackground() throws {
    let transparent = PixelBuffer(width: 8, height: 8, channels: 2, samples: .uint8(Array(repeating: 0, count: 128)))
    let onWhite = try ImageFile.decode(ImageEncoder.jpeg(transparent), name: "x")
    #expect(onWhite.channels == 1 && onWhite.pixel(4, 4)[0] >= 250)
    let onBlack = try ImageFile.decode(ImageEncoder.jpeg(transparent, background: .black), name: "x")
    #expect(onBlack.pixel(4, 4)[0] <= 5)
  }

  /// A noisy image compresses badly: the encoder's buffer must grow past its first 16 KB.
  @Test func largeJPEGsGrowTheOutputBuffer() throws {
    let image = randomImage(width: 300, height: 200, channels: 3, seed: 6)
    let bytes = try ImageEncoder.jpeg(image, quality: 95)
    #expect(bytes.count > 4 * 16384)
    let decoded = try ImageFile.decode(bytes, name: "large")
    #expect((decoded.width, decoded.height, decoded.channels) == (300, 200, 3))
  }

  @Test func jpegQualityChangesTheSize() throws {
    let image = randomImage(width: 32, height: 32, channels: 3, seed: 5)
    #expect(try ImageEncoder.jpeg(image, quality: 30).count < ImageEncoder.jpeg(image, quality: 95).count)
  }
}
