@testable import ImageCodecs
import Testing

/// JPEG fixtures are flat blocks: the block centres must come back within `tolerance`.
@Suite struct JPEGFixtureTests {
  let tolerance = 8

  func expectNear(_ found: [Int], _ expected: [Int], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let close = found.count == expected.count && zip(found, expected).allSatisfy { abs($0 - $1) <= tolerance }
    #expect(close, "\(what): found \(found), expected \(expected) ± \(tolerance)", sourceLocation: sourceLocation)
  }

  /// 32x16 fixtures: red on the left half, blue on the right.
  func expectRedThenBlue(_ name: String) throws {
    let image = try Fixtures.read(name)
    #expect((image.width, image.height, image.channels) == (32, 16, 3), "\(name)")
    for (x, y) in [(4, 4), (8, 8), (11, 12)] {
      expectNear(image.pixel(x, y), [255, 0, 0], "\(name) left (\(x), \(y))")
      expectNear(image.pixel(x + 16, y), [0, 0, 255], "\(name) right (\(x + 16), \(y))")
    }
  }

  @Test func baselineAndProgressiveDecodeToTheSameColours() throws {
    try expectRedThenBlue("baseline.jpg")
    try expectRedThenBlue("progressive.jpg")
    #expect(try ImageFile.info(path: Fixtures.path("progressive.jpg")).isInterlaced)
    #expect(try !ImageFile.info(path: Fixtures.path("baseline.jpg")).isInterlaced)
  }

  @Test func adobeCMYKIsInvertedBackToRGB() throws {
    let info = try ImageFile.info(path: Fixtures.path("cmyk.jpg"))
    // ImageMagick stores CMYK as YCCK (Adobe transform 2); libjpeg turns it back into CMYK.
    #expect(info.sourceColor == .ycck && info.channels == 3)
    try expectRedThenBlue("cmyk.jpg")
  }

  @Test func plainAdobeCMYKIsInvertedBackToRGB() throws {
    // Pillow writes CMYK without the YCCK transform, inverted, with an Adobe marker.
    #expect(try ImageFile.info(path: Fixtures.path("cmyk-adobe.jpg")).sourceColor == .cmyk)
    try expectRedThenBlue("cmyk-adobe.jpg")
  }

  @Test func cmykConversionHandlesBothInkConventions() {
    // Red is C=0 M=1 Y=1 K=0 in ink; Adobe files store 255 - ink.
    #expect(rgbFromCMYK([0, 255, 255, 0], isInverted: false) == [255, 0, 0])
    #expect(rgbFromCMYK([255, 0, 0, 255], isInverted: true) == [255, 0, 0])
    // Half black ink over no colour ink: mid gray, rounded to nearest.
    #expect(rgbFromCMYK([0, 0, 0, 128], isInverted: false) == [127, 127, 127])
    #expect(rgbFromCMYK([255, 255, 255, 127], isInverted: true) == [127, 127, 127])
  }

  @Test func grayStaysOneChannel() throws {
    let image = try Fixtures.read("gray.jpg")
    #expect((image.width, image.height, image.channels) == (32, 16, 1))
    expectNear(image.pixel(8, 8), [64], "gray left")
    expectNear(image.pixel(24, 8), [192], "gray right")
    #expect(try ImageFile.info(path: Fixtures.path("gray.jpg")).sourceColor == .gray)
  }

  @Test func exifOrientation6IsRotatedUpright() throws {
    let info = try ImageFile.info(path: Fixtures.path("orientation6.jpg"))
    #expect(info.orientation == .rotated90)
    #expect((info.width, info.height) == (16, 32))
    let image = try Fixtures.read("orientation6.jpg")
    #expect((image.width, image.height) == (16, 32))
    // Stored red-left/blue-right, turned 90° clockwise: red on top, blue below.
    expectNear(image.pixel(8, 8), [255, 0, 0], "top")
    expectNear(image.pixel(8, 24), [0, 0, 255], "bottom")
  }

  /// The fixture's orientation byte patched to each value 1-8: the flat halves land where
  /// the EXIF rule says (red half: left, right, top or bottom).
  @Test(arguments: 1...8) func everyOrientationValue(value: Int) throws {
    var bytes = try Fixtures.bytes("orientation6.jpg")
    // make-fixtures.py writes the tag big-endian: 01 12 00 03 00 00 00 01 00 06.
    let tag: [UInt8] = [0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00]
    let at = try #require((0..<(bytes.count - tag.count)).first { Array(bytes[$0..<($0 + tag.count)]) == tag })
    bytes[at + tag.count] = UInt8(value)
    let image = try ImageFile.decode(bytes, name: "patched")
    let red: (Int, Int), blue: (Int, Int)
    switch value {
    case 1, 4: (red, blue) = ((8, 8), (24, 8))  // red stays on the left
    case 2, 3: (red, blue) = ((24, 8), (8, 8))  // mirrored: red on the right
    case 5, 6: (red, blue) = ((8, 8), (8, 24))  // red on top
    default: (red, blue) = ((8, 24), (8, 8))  // 7, 8: red at the bottom
    }
    #expect((image.width, image.height) == (value >= 5 ? (16, 32) : (32, 16)))
    expectNear(image.pixel(red.0, red.1), [255, 0, 0], "orientation \(value) red")
    expectNear(image.pixel(blue.0, blue.1), [0, 0, 255], "orientation \(value) blue")
  }
}
