/// A grid of images on one canvas, for `segma sheet` and training previews.
public struct ContactSheet: Sendable {
  public var columns: Int
  public var cellWidth: Int
  public var cellHeight: Int
  /// Pixels between cells and around the edge.
  public var gap: Int
  public var background: RGBColor

  public init(columns: Int, cellWidth: Int, cellHeight: Int, gap: Int = 2, background: RGBColor = .white) {
    precondition(columns > 0 && cellWidth > 0 && cellHeight > 0 && gap >= 0, "bad sheet layout")
    (self.columns, self.cellWidth, self.cellHeight, self.gap, self.background) =
      (columns, cellWidth, cellHeight, gap, background)
  }

  /// The canvas size for `count` cells.
  public func size(forCount count: Int) -> (width: Int, height: Int) {
    let rows = max(1, (count + columns - 1) / columns)
    return (columns * cellWidth + (columns + 1) * gap, rows * cellHeight + (rows + 1) * gap)
  }

  /// An 8-bit RGB canvas with each image scaled to fit its cell (aspect kept) and
  /// centred; a nil cell (an image that failed) is left as background.
  public func render(_ cells: [PixelBuffer?]) -> PixelBuffer {
    let (width, height) = size(forCount: cells.count)
    let fill = [background.red, background.green, background.blue].map(quantize)
    var canvas = [UInt8](repeating: 0, count: width * height * 3)
    for i in 0..<(width * height) { (canvas[3 * i], canvas[3 * i + 1], canvas[3 * i + 2]) = (fill[0], fill[1], fill[2]) }
    for (index, cell) in cells.enumerated() {
      guard let cell else { continue }
      let image = cell.fitted(width: cellWidth, height: cellHeight, background: background)
      guard case .uint8(let pixels) = image.samples else { continue }
      let left = gap + (index % columns) * (cellWidth + gap) + (cellWidth - image.width) / 2
      let top = gap + (index / columns) * (cellHeight + gap) + (cellHeight - image.height) / 2
      for y in 0..<image.height {
        let from = y * image.width * 3, to = ((top + y) * width + left) * 3
        canvas.replaceSubrange(to..<(to + image.width * 3), with: pixels[from..<(from + image.width * 3)])
      }
    }
    return PixelBuffer(width: width, height: height, channels: 3, samples: .uint8(canvas))
  }
}

extension PixelBuffer {
  /// The image as 8-bit RGB, scaled to fit inside `width` × `height` with its aspect
  /// ratio kept (alpha composited over `background`).
  public func fitted(width: Int, height: Int, background: RGBColor = .white) -> PixelBuffer {
    let rgb = converted(to: .rgb, background: background)
    let scale = min(Double(width) / Double(self.width), Double(height) / Double(self.height))
    let newWidth = min(width, max(1, Int((Double(self.width) * scale).rounded())))
    let newHeight = min(height, max(1, Int((Double(self.height) * scale).rounded())))
    return rgb.resized(width: newWidth, height: newHeight).to8Bit()
  }
}
