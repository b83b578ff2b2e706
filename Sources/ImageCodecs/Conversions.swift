/// Colour conversions between the decoded image and what the model sees.
///
/// All arithmetic is on Float in [0, 1], so 8-bit and 16-bit sources give the same
/// result up to their own precision.

/// An opaque colour, components in [0, 1]; alpha is composited over it.
public struct RGBColor: Equatable, Sendable {
  public var red: Float, green: Float, blue: Float
  public init(red: Float, green: Float, blue: Float) {
    (self.red, self.green, self.blue) = (red, green, blue)
  }
  public static let white = RGBColor(red: 1, green: 1, blue: 1)
  public static let black = RGBColor(red: 0, green: 0, blue: 0)

  /// Parses "white", "black", "#rgb" or "#rrggbb".
  public init?(parsing text: String) {
    switch text.lowercased() {
    case "white": self = .white
    case "black": self = .black
    default:
      guard text.hasPrefix("#") else { return nil }
      var hex = String(text.dropFirst())
      if hex.count == 3 { hex = hex.map { "\($0)\($0)" }.joined() }
      guard hex.count == 6, let value = UInt32(hex, radix: 16) else { return nil }
      self.init(
        red: Float(value >> 16 & 0xFF) / 255, green: Float(value >> 8 & 0xFF) / 255, blue: Float(value & 0xFF) / 255)
    }
  }

  /// Rec. 601 luma of this colour.
  var luminance: Float { luma(red, green, blue) }
}

/// Rec. 601 luma, the weights JPEG and most tools use for "gray".
@inline(__always)
func luma(_ r: Float, _ g: Float, _ b: Float) -> Float {
  0.299 * r + 0.587 * g + 0.114 * b
}

/// The colour layout the model works in.
public enum ColorLayout: Int, Sendable {
  case gray = 1
  case rgb = 3
}

extension PixelBuffer {
  /// The image without alpha: each pixel `a · colour + (1 − a) · background`, as Float.
  public func compositing(over background: RGBColor) -> PixelBuffer {
    guard hasAlpha else { return toFloat() }
    let values = floatSamples()
    let colorChannels = channels - 1
    var out = [Float](repeating: 0, count: pixelCount * colorChannels)
    let backdrop = colorChannels == 1 ? [background.luminance] : [background.red, background.green, background.blue]
    for pixel in 0..<pixelCount {
      let alpha = values[pixel * channels + colorChannels]
      for c in 0..<colorChannels {
        out[pixel * colorChannels + c] = alpha * values[pixel * channels + c] + (1 - alpha) * backdrop[c]
      }
    }
    return PixelBuffer(width: width, height: height, channels: colorChannels, samples: .float(out))
  }

  /// The image in `layout` as Float: alpha composited over `background`, then gray by
  /// Rec. 601 luma or RGB by repeating the gray value.
  public func converted(to layout: ColorLayout, background: RGBColor = .white) -> PixelBuffer {
    let opaque = compositing(over: background)
    guard opaque.channels != layout.rawValue else { return opaque }
    let values = opaque.floatSamples()
    var out = [Float](repeating: 0, count: pixelCount * layout.rawValue)
    switch layout {
    case .gray:
      for i in 0..<pixelCount { out[i] = luma(values[3 * i], values[3 * i + 1], values[3 * i + 2]) }
    case .rgb:
      for i in 0..<pixelCount { (out[3 * i], out[3 * i + 1], out[3 * i + 2]) = (values[i], values[i], values[i]) }
    }
    return PixelBuffer(width: width, height: height, channels: layout.rawValue, samples: .float(out))
  }

  /// The samples as planar Float (C, H, W) in [0, 1], the model's input layout.
  public func planarFloats() -> [Float] {
    let values = floatSamples()
    var out = [Float](repeating: 0, count: values.count)
    for c in 0..<channels {
      for pixel in 0..<pixelCount { out[c * pixelCount + pixel] = values[pixel * channels + c] }
    }
    return out
  }

  /// An 8-bit image from planar Float (C, H, W): values are clamped to [0, 1] and rounded.
  ///
  /// - Precondition: `planar.count == channels * height * width`.
  public init(planar: [Float], width: Int, height: Int, channels: Int) {
    precondition(planar.count == width * height * channels, "planar sample count does not match shape")
    let pixels = width * height
    var out = [UInt8](repeating: 0, count: planar.count)
    for c in 0..<channels {
      for pixel in 0..<pixels { out[pixel * channels + c] = quantize(planar[c * pixels + pixel]) }
    }
    self.init(width: width, height: height, channels: channels, samples: .uint8(out))
  }
}

extension PixelBuffer {
  /// What the model reads: the image in `layout` (alpha over `background`), resampled
  /// to `width` × `height`, as planar Float (C, H, W) in [0, 1].
  public func modelInput(width: Int, height: Int, layout: ColorLayout, background: RGBColor = .white) -> [Float] {
    converted(to: layout, background: background).resized(width: width, height: height).planarFloats()
  }
}
