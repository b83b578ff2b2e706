import ImageCodecs
import Testing

/// Each PNG fixture decodes to the pixels scripts/make-fixtures.py wrote.
@Suite struct PNGFixtureTests {
  /// Every pixel of `image` equals `expected(x, y)`.
  func expectPixels(_ image: PixelBuffer, _ expected: (Int, Int) -> [Int], sourceLocation: SourceLocation = #_sourceLocation) {
    var mismatches = 0
    for y in 0..<image.height {
      for x in 0..<image.width where image.pixel(x, y) != expected(x, y) {
        if mismatches == 0 {
          Issue.record("pixel (\(x), \(y)) is \(image.pixel(x, y)), expected \(expected(x, y))", sourceLocation: sourceLocation)
        }
        mismatches += 1
      }
    }
    #expect(mismatches == 0, sourceLocation: sourceLocation)
  }

  @Test func grayLowBitDepthsScaleTo8Bit() throws {
    let one = try Fixtures.read("gray1.png")
    #expect((one.width, one.height, one.channels, one.samples.bitDepth) == (8, 2, 1, 8))
    expectPixels(one) { x, y in [(x + y) % 2 * 255] }
    let two = try Fixtures.read("gray2.png")
    expectPixels(two) { x, y in [(x + 4 * y) % 4 * 85] }
    let four = try Fixtures.read("gray4.png")
    expectPixels(four) { x, _ in [x * 17] }
    let eight = try Fixtures.read("gray8.png")
    expectPixels(eight) { x, y in [x * 16 + y] }
  }

  @Test func sixteenBitKeepsFullPrecision() throws {
    let gray = try Fixtures.read("gray16.png")
    #expect((gray.width, gray.height, gray.channels, gray.samples.bitDepth) == (4, 4, 1, 16))
    expectPixels(gray) { x, y in [x * 16384 + y * 1000 + 7] }
    let rgb = try Fixtures.read("rgb16.png")
    #expect(rgb.channels == 3)
    expectPixels(rgb) { x, y in [x * 30000, y * 60000 + 5, 65535] }
    let grayAlpha = try Fixtures.read("gray-alpha16.png")
    expectPixels(grayAlpha) { x, _ in [x * 40000 + 1, 65535 - x] }
  }

  @Test func colourTypesWithAndWithoutAlpha() throws {
    expectPixels(try Fixtures.read("rgb8.png")) { x, y in [x * 100, y * 200, 7] }
    let rgba = try Fixtures.read("rgba8.png")
    #expect(rgba.channels == 4)
    expectPixels(rgba) { x, y in [10, 20, 30, x * 100 + y * 50] }
    let grayAlpha = try Fixtures.read("gray-alpha.png")
    #expect(grayAlpha.channels == 2)
    expectPixels(grayAlpha) { x, _ in [x * 80, 255 - x * 85] }
  }

  @Test func grayTRNSBecomesAlpha() throws {
    let image = try Fixtures.read("gray8-trns.png")
    #expect(image.channels == 2)
    expectPixels(image) { x, _ in [x * 50, x == 1 ? 0 : 255] }
  }

  @Test func palettesExpandToRGBAndTRNSToAlpha() throws {
    let palette = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0]]
    let one = try Fixtures.read("palette1.png")
    #expect(one.channels == 3)
    expectPixels(one) { x, _ in palette[x % 2] }
    expectPixels(try Fixtures.read("palette2.png")) { x, _ in palette[x] }
    let transparent = try Fixtures.read("palette4-trns.png")
    #expect(transparent.channels == 4)
    // tRNS gives alpha 0 to entry 0 and 128 to entry 1; entries past its end are opaque.
    let alpha = [0, 128, 255, 255]
    expectPixels(transparent) { x, y in palette[(x + y) % 4] + [alpha[(x + y) % 4]] }
  }

  @Test func adam7InterlacedRowsAreReassembled() throws {
    let rgb = try Fixtures.read("interlaced.png")
    #expect((rgb.width, rgb.height) == (9, 7))
    expectPixels(rgb) { x, y in [x * 20, y * 30, (x * y) % 256] }
    let gray = try Fixtures.read("interlaced-gray1.png")
    expectPixels(gray) { x, y in [(x * y + x) % 2 * 255] }
  }

  @Test func infoReportsHeaderFacts() throws {
    let palette = try ImageFile.info(path: Fixtures.path("palette4-trns.png"))
    #expect(palette.format == .png)
    #expect((palette.width, palette.height, palette.channels, palette.bitDepth) == (4, 2, 4, 4))
    #expect(palette.sourceColor == .palette)
    #expect(!palette.isInterlaced)
    let interlaced = try ImageFile.info(path: Fixtures.path("interlaced.png"))
    #expect(interlaced.isInterlaced && interlaced.sourceColor == .rgb && interlaced.bitDepth == 8)
    let gray16 = try ImageFile.info(path: Fixtures.path("gray16.png"))
    #expect(gray16.bitDepth == 16 && gray16.channels == 1 && gray16.sourceColor == .gray)
    #expect(try ImageFile.info(path: Fixtures.path("gray-alpha.png")).sourceColor == .grayAlpha)
  }
}
