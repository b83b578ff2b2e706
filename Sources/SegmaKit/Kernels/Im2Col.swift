/// im2col and col2im for 4x4 kernels, stride 2, padding 1: the only convolution
/// shape segma's architectures use (each halves or doubles the side).
///
/// Legend: C channels, H/W input height/width, Ho/Wo output height/width
/// (Ho = H/2, Wo = W/2). `cols` is (C·16, Ho·Wo), row r = c·16 + ky·4 + kx,
/// column j = oy·Wo + ox, holding image[c, 2·oy − 1 + ky, 2·ox − 1 + kx]
/// (0 where that falls in the padding). Rows are `rowStride` apart, so the columns
/// of several images can sit side by side in one matrix for one GEMM.
enum Im2Col {
  static let kernel = 4
  static let stride = 2
  static let padding = 1

  /// Overwrites cols (C·16, Ho·Wo) from image (C, H, W).
  static func im2col(
    image: UnsafePointer<Float>, channels: Int, height: Int, width: Int, cols: UnsafeMutablePointer<Float>,
    rowStride: Int
  ) {
    let (outHeight, outWidth) = (height / 2, width / 2)
    for c in 0..<channels {
      for ky in 0..<4 {
        for kx in 0..<4 {
          let row = cols + ((c * 4 + ky) * 4 + kx) * rowStride
          for oy in 0..<outHeight {
            let y = 2 * oy - 1 + ky
            let out = row + oy * outWidth
            guard y >= 0 && y < height else {
              for ox in 0..<outWidth { out[ox] = 0 }
              continue
            }
            // Padding at most at either end of the row; no test per element in between.
            let source = image + (c * height + y) * width - 1 + kx
            let inside = columnsInside(kx: kx, width: width)
            for ox in 0..<inside.lowerBound { out[ox] = 0 }
            for ox in inside { out[ox] = source[2 * ox] }
            for ox in inside.upperBound..<outWidth { out[ox] = 0 }
          }
        }
      }
    }
  }

  /// The adjoint of im2col: accumulates each column entry into image (C, H, W).
  static func col2im(
    cols: UnsafePointer<Float>, rowStride: Int, channels: Int, height: Int, width: Int,
    image: UnsafeMutablePointer<Float>
  ) {
    let (outHeight, outWidth) = (height / 2, width / 2)
    for c in 0..<channels {
      for ky in 0..<4 {
        for kx in 0..<4 {
          let row = cols + ((c * 4 + ky) * 4 + kx) * rowStride
          for oy in 0..<outHeight {
            let y = 2 * oy - 1 + ky
            guard y >= 0 && y < height else { continue }
            let target = image + (c * height + y) * width - 1 + kx
            let source = row + oy * outWidth
            for ox in columnsInside(kx: kx, width: width) { target[2 * ox] += source[ox] }
          }
        }
      }
    }
  }

  /// The output columns ox whose input column 2·ox − 1 + kx lies inside 0..<width:
  /// ox ≥ 1 for kx = 0, and ox ≤ ⌊(width − kx) / 2⌋ (kept non-negative before dividing,
  /// as Swift's division rounds toward zero).
  @inline(__always)
  static func columnsInside(kx: Int, width: Int) -> Range<Int> {
    (kx == 0 ? 1 : 0)..<min(width / 2, (width - kx + 2) / 2)
  }
}
