/// Images in memory.
///
/// Goals, in order: one type for every decoded image whatever its source depth,
/// exact conversions that can be tested against known pixels, then speed.
/// Samples are interleaved and row-major: sample `c` of pixel `(x, y)` is at
/// `(y * width + x) * channels + c`.

/// The samples of an image: 8-bit and 16-bit as decoded, or Float in [0, 1].
public enum Samples: Equatable, Sendable {
  case uint8([UInt8])
  case uint16([UInt16])
  case float([Float])

  public var count: Int {
    switch self {
    case .uint8(let values): values.count
    case .uint16(let values): values.count
    case .float(let values): values.count
    }
  }

  /// Bits per sample: 8, 16 or 32 (Float).
  public var bitDepth: Int {
    switch self {
    case .uint8: 8
    case .uint16: 16
    case .float: 32
    }
  }
}

/// An image: width × height pixels of 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA) channels.
public struct PixelBuffer: Equatable, Sendable {
  public let width: Int
  public let height: Int
  public let channels: Int
  public var samples: Samples

  /// - Precondition: `samples.count == width * height * channels`, 1 ≤ channels ≤ 4.
  public init(width: Int, height: Int, channels: Int, samples: Samples) {
    precondition(width > 0 && height > 0 && (1...4).contains(channels), "bad image shape")
    precondition(samples.count == width * height * channels, "sample count does not match shape")
    self.width = width
    self.height = height
    self.channels = channels
    self.samples = samples
  }

  public var hasAlpha: Bool { channels == 2 || channels == 4 }
  public var isGray: Bool { channels <= 2 }
  public var pixelCount: Int { width * height }

  /// The samples scaled to [0, 1]: 8-bit by 1/255, 16-bit by 1/65535.
  public func floatSamples() -> [Float] {
    switch samples {
    case .uint8(let values): return values.map { Float($0) / 255 }
    case .uint16(let values): return values.map { Float($0) / 65535 }
    case .float(let values): return values
    }
  }

  /// The same image with Float samples in [0, 1].
  public func toFloat() -> PixelBuffer {
    if case .float = samples { return self }
    return PixelBuffer(width: width, height: height, channels: channels, samples: .float(floatSamples()))
  }

  /// The same image with 8-bit samples: 16-bit values are rounded to the nearest
  /// 8-bit value, Float values are clamped to [0, 1] and rounded (NaN becomes 0).
  public func to8Bit() -> PixelBuffer {
    let bytes: [UInt8]
    switch samples {
    case .uint8: return self
    case .uint16(let values):
      // 65535 / 255 = 257 exactly, so v / 257 rounded is the nearest 8-bit value.
      bytes = values.map { UInt8((UInt32($0) + 128) / 257) }
    case .float(let values):
      bytes = values.map(quantize)
    }
    return PixelBuffer(width: width, height: height, channels: channels, samples: .uint8(bytes))
  }
}

/// Float in [0, 1] to 8-bit, rounded to nearest, clamped; NaN becomes 0.
@inline(__always)
func quantize(_ value: Float) -> UInt8 {
  let scaled = (value * 255).rounded()
  guard scaled > 0 else { return 0 }  // also catches NaN
  return scaled >= 255 ? 255 : UInt8(scaled)
}
