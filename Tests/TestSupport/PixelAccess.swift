import ImageCodecs

extension PixelBuffer {
  /// Sample `c` of pixel (x, y) as Int, whatever the sample type (Float scaled to 0...255).
  public func sample(_ x: Int, _ y: Int, _ c: Int = 0) -> Int {
    let i = (y * width + x) * channels + c
    switch samples {
    case .uint8(let values): return Int(values[i])
    case .uint16(let values): return Int(values[i])
    case .float(let values): return Int((values[i] * 255).rounded())
    }
  }

  /// All samples of pixel (x, y).
  public func pixel(_ x: Int, _ y: Int) -> [Int] { (0..<channels).map { sample(x, y, $0) } }
}
