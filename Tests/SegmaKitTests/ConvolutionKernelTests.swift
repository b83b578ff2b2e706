import CKernels
import TestSupport
import Testing

/// The C im2col, col2im, row sums and plane transposes against their definitions in segma_convolution.h,
/// written out the slow way: one entry at a time, padding tested per entry.
@Suite struct ConvolutionKernelTests {
  /// (channels, height, width), one for each way im2col copies a row of Wo output columns:
  /// Wo = 1, 2, 3 and 12 (plain loops), 4 (SSE2), 8 and 16 (AVX2, one block and two).
  static let shapes = [(2, 2, 2), (1, 6, 4), (3, 4, 6), (1, 2, 24), (2, 4, 8), (2, 8, 16), (1, 4, 32)]

  /// image[c, 2·oy − 1 + ky, 2·ox − 1 + kx], or 0 in the padding.
  func definedEntry(_ image: [Float], c: Int, ky: Int, kx: Int, oy: Int, ox: Int, height: Int, width: Int) -> Float {
    let (y, x) = (2 * oy - 1 + ky, 2 * ox - 1 + kx)
    guard y >= 0 && y < height && x >= 0 && x < width else { return 0 }
    return image[(c * height + y) * width + x]
  }

  @Test(arguments: shapes) func im2colTakesEachEntryItsDefinitionNames(channels: Int, height: Int, width: Int) {
    var random = SeededGenerator(seed: 11)
    let image = (0..<(channels * height * width)).map { _ in Float.random(in: -1...1, using: &random) }
    let (ho, wo) = (height / 2, width / 2)
    // The image's columns sit at offset 3 of wider rows; the rest must stay untouched.
    let (offset, stride) = (3, ho * wo + 5)
    var cols = [Float](repeating: .nan, count: channels * 16 * stride)
    cols.withUnsafeMutableBufferPointer {
      segma_im2col_4x4s2(image, channels, height, width, $0.baseAddress! + offset, stride)
    }
    for c in 0..<channels {
      for ky in 0..<4 {
        for kx in 0..<4 {
          let row = (c * 16 + ky * 4 + kx) * stride
          for j in 0..<stride {
            let value = cols[row + j]
            guard j >= offset && j < offset + ho * wo else {
              #expect(value.isNaN, "c \(c) ky \(ky) kx \(kx): column \(j) outside the image's was written")
              continue
            }
            let (oy, ox) = ((j - offset) / wo, (j - offset) % wo)
            let expected = definedEntry(image, c: c, ky: ky, kx: kx, oy: oy, ox: ox, height: height, width: width)
            #expect(value == expected, "c \(c) ky \(ky) kx \(kx) oy \(oy) ox \(ox)")
          }
        }
      }
    }
  }

  @Test(arguments: shapes) func col2imIsBiasPlusTheAdjointOfIm2col(channels: Int, height: Int, width: Int) {
    var random = SeededGenerator(seed: 12)
    let (ho, wo) = (height / 2, width / 2)
    let stride = ho * wo + 2
    let cols = (0..<(channels * 16 * stride)).map { _ in Float.random(in: -1...1, using: &random) }
    let bias = (0..<channels).map { _ in Float.random(in: -1...1, using: &random) }
    // Expected: bias, plus every entry scattered back to the pixel it came from.
    var expected = [Double](repeating: 0, count: channels * height * width)
    for c in 0..<channels {
      for i in 0..<(height * width) { expected[c * height * width + i] = Double(bias[c]) }
      for ky in 0..<4 {
        for kx in 0..<4 {
          for oy in 0..<ho {
            for ox in 0..<wo {
              let (y, x) = (2 * oy - 1 + ky, 2 * ox - 1 + kx)
              guard y >= 0 && y < height && x >= 0 && x < width else { continue }
              expected[(c * height + y) * width + x] += Double(cols[(c * 16 + ky * 4 + kx) * stride + oy * wo + ox])
            }
          }
        }
      }
    }
    // Garbage in the image first: col2im overwrites every pixel.
    var image = [Float](repeating: .nan, count: channels * height * width)
    image.withUnsafeMutableBufferPointer {
      segma_col2im_4x4s2(cols, stride, channels, height, width, bias, $0.baseAddress!)
    }
    for i in image.indices {
      #expect(abs(Double(image[i]) - expected[i]) < 1e-5, "pixel \(i): \(image[i]) vs \(expected[i])")
    }
    // Without a bias, the pixels are the scattered sums alone.
    image.withUnsafeMutableBufferPointer {
      segma_col2im_4x4s2(cols, stride, channels, height, width, nil, $0.baseAddress!)
    }
    for i in image.indices {
      let unbiased = expected[i] - Double(bias[i / (height * width)])
      #expect(abs(Double(image[i]) - unbiased) < 1e-5, "pixel \(i) without bias: \(image[i]) vs \(unbiased)")
    }
  }

  @Test func rowSumsAddToWhatIsThere() {
    var random = SeededGenerator(seed: 13)
    // 21 columns of 27-float rows: a vector loop plus a remainder; the last 6 are not summed.
    let (count, length, stride) = (5, 21, 27)
    let rows = (0..<(count * stride)).map { _ in Float.random(in: -1...1, using: &random) }
    var sums: [Float] = [1, 2, 3, 4, 5]
    sums.withUnsafeMutableBufferPointer { segma_add_row_sums(rows, count, length, stride, $0.baseAddress!) }
    for r in 0..<count {
      let expected = Double(r + 1) + (0..<length).reduce(0.0) { $0 + Double(rows[r * stride + $1]) }
      #expect(abs(Double(sums[r]) - expected) < 1e-5, "row \(r): \(sums[r]) vs \(expected)")
    }
  }

  /// Planes of 1, 4, 5 and 16 floats: each entry lands where the layouts name it, and
  /// the way back restores the images.
  @Test(arguments: [1, 4, 5, 16]) func transposePlanesMovesEachEntryAndBack(plane: Int) {
    let (images, channels) = (3, 2)
    let source = (0..<(images * channels * plane)).map(Float.init)
    var channelMajor = [Float](repeating: .nan, count: source.count)
    segma_transpose_planes(source, &channelMajor, images, channels, plane, 1)
    for i in 0..<images {
      for c in 0..<channels {
        for j in 0..<plane {
          #expect(channelMajor[(c * images + i) * plane + j] == source[(i * channels + c) * plane + j])
        }
      }
    }
    var back = [Float](repeating: .nan, count: source.count)
    segma_transpose_planes(channelMajor, &back, images, channels, plane, 0)
    #expect(back == source)
  }
}
