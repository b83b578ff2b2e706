import ImageCodecs
import Testing

@Suite struct ConversionTests {
  func floats(_ image: PixelBuffer) -> [Float] { image.floatSamples() }

  @Test func grayIsRec601Luma() {
    let rgb = PixelBuffer(width: 3, height: 1, channels: 3, samples: .uint8([255, 0, 0, 0, 255, 0, 0, 0, 255]))
    let gray = rgb.converted(to: .gray)
    #expect(gray.channels == 1)
    for (found, expected) in zip(floats(gray), [Float(0.299), 0.587, 0.114]) {
      #expect(abs(found - expected) < 1e-6)
    }
  }

  @Test func grayToRGBRepeatsTheValue() {
    let gray = PixelBuffer(width: 2, height: 1, channels: 1, samples: .uint8([51, 204]))
    #expect(floats(gray.converted(to: .rgb)) == [0.2, 0.2, 0.2, 0.8, 0.8, 0.8].map { Float($0) })
  }

  @Test func alphaIsCompositedOverTheBackground() {
    // Half-transparent black over white is mid gray; opaque stays, transparent shows the background.
    let image = PixelBuffer(width: 3, height: 1, channels: 4, samples: .float([0, 0, 0, 0.5, 1, 0, 0, 1, 0, 1, 0, 0]))
    let onWhite = floats(image.converted(to: .rgb))
    #expect(onWhite == [0.5, 0.5, 0.5, 1, 0, 0, 1, 1, 1])
    let red = RGBColor(parsing: "#ff0000")
    #expect(red == RGBColor(red: 1, green: 0, blue: 0))
    let onRed = floats(image.converted(to: .rgb, background: red ?? .white))
    #expect(onRed == [0.5, 0, 0, 1, 0, 0, 1, 0, 0])
    let grayAlpha = PixelBuffer(width: 1, height: 1, channels: 2, samples: .float([1, 0.25]))
    #expect(floats(grayAlpha.converted(to: .gray, background: .black)) == [0.25])
  }

  @Test func colourNamesParse() {
    #expect(RGBColor(parsing: "White") == .white)
    #expect(RGBColor(parsing: "#000") == .black)
    #expect(RGBColor(parsing: "#12345") == nil)
    #expect(RGBColor(parsing: "red") == nil)
  }

  @Test func planarRoundTripRoundsAndClamps() {
    let image = PixelBuffer(width: 2, height: 1, channels: 3, samples: .uint8([1, 2, 3, 4, 5, 6]))
    let planar = image.planarFloats()
    #expect(planar.map { ($0 * 255).rounded() } == [1, 4, 2, 5, 3, 6])
    #expect(PixelBuffer(planar: planar, width: 2, height: 1, channels: 3) == image)
    let outOfRange = PixelBuffer(planar: [-1, 0.499 / 255, 0.501 / 255, 2], width: 4, height: 1, channels: 1)
    #expect(outOfRange.samples == .uint8([0, 0, 1, 255]))
  }

  @Test func sixteenBitTo8BitRoundsToNearest() {
    let deep = PixelBuffer(width: 4, height: 1, channels: 1, samples: .uint16([0, 128, 129, 65535]))
    #expect(deep.to8Bit().samples == .uint8([0, 0, 1, 255]))
  }

  @Test func shrinkingAveragesAreas() {
    // 4x4 -> 2x2: each output is the mean of one 2x2 block.
    let values: [Float] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
    let image = PixelBuffer(width: 4, height: 4, channels: 1, samples: .float(values))
    #expect(floats(image.resized(width: 2, height: 2)) == [2.5, 4.5, 10.5, 12.5])
    // 3 -> 2 columns: the middle pixel is split half and half.
    let row = PixelBuffer(width: 3, height: 1, channels: 1, samples: .float([0, 3, 6]))
    let shrunk = floats(row.resized(width: 2, height: 1))
    #expect(abs(shrunk[0] - 1) < 1e-6 && abs(shrunk[1] - 5) < 1e-6)
  }

  @Test func enlargingIsBilinearWithAlignedCentres() {
    let row = PixelBuffer(width: 2, height: 1, channels: 1, samples: .float([0, 1]))
    // Output centres 0.5..3.5 map to source -0.25, 0.25, 0.75, 1.25, clamped at the edges.
    #expect(floats(row.resized(width: 4, height: 1)) == [0, 0.25, 0.75, 1])
  }

  @Test func resizingKeepsAConstantImageConstant() {
    let image = PixelBuffer(width: 28, height: 28, channels: 3, samples: .float(Array(repeating: 0.3, count: 28 * 28 * 3)))
    for (w, h) in [(32, 32), (7, 9), (28, 5), (100, 3)] {
      let resized = floats(image.resized(width: w, height: h))
      #expect(resized.count == w * h * 3)
      #expect(resized.allSatisfy { abs($0 - 0.3) < 1e-5 }, "\(w)x\(h)")
    }
  }
}

@Suite struct ContactSheetTests {
  @Test func cellsArePlacedInRowsWithGapsAndFailedCellsStayBlank() {
    let black = PixelBuffer(width: 2, height: 2, channels: 1, samples: .uint8([0, 0, 0, 0]))
    let red = PixelBuffer(width: 4, height: 2, channels: 3, samples: .uint8(Array(repeating: [255, 0, 0], count: 8).flatMap { $0 }))
    let sheet = ContactSheet(columns: 2, cellWidth: 2, cellHeight: 2, gap: 1)
    let canvas = sheet.render([black, nil, red])
    // 2 columns x 2 rows of 2x2 cells with 1-pixel gaps: 7 x 7.
    #expect((canvas.width, canvas.height, canvas.channels) == (7, 7, 3))
    #expect(canvas.pixel(0, 0) == [255, 255, 255])  // gap
    #expect(canvas.pixel(1, 1) == [0, 0, 0] && canvas.pixel(2, 2) == [0, 0, 0])  // first cell
    #expect(canvas.pixel(4, 1) == [255, 255, 255])  // the failed cell is background
    // The 4x2 red image is fitted into 2x1 and centred vertically: row 4 of the third cell.
    #expect(canvas.pixel(1, 4) == [255, 0, 0] && canvas.pixel(2, 4) == [255, 0, 0])
    #expect(canvas.pixel(1, 5) == [255, 255, 255])
  }
}
