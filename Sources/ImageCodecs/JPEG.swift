import CImageCodecs

extension ImageFile {
  /// Pixels of a JPEG whose header was read and size-checked, as stored (orientation not
  /// applied): 8-bit gray or RGB; CMYK and YCCK are converted to RGB here.
  static func decodeJPEG(_ bytes: [UInt8], header: segma_image_info, name: String) throws(ImageCodecError)
    -> PixelBuffer
  {
    let (width, height, channels) = (Int(header.width), Int(header.height), Int(header.channels))
    var samples = [UInt8](repeating: 0, count: width * height * channels)
    var error = segma_error()
    let status = samples.withUnsafeMutableBufferPointer { pixels in
      bytes.withUnsafeBufferPointer { data in
        segma_jpeg_read_pixels(data.baseAddress, data.count, pixels.baseAddress, pixels.count, &error)
      }
    }
    guard status == 0 else { throw .corrupt(path: name, format: .jpeg, message: error.text) }
    if channels == 4 {
      let rgb = rgbFromCMYK(samples, isInverted: header.is_inverted_cmyk != 0)
      return PixelBuffer(width: width, height: height, channels: 3, samples: .uint8(rgb))
    }
    return PixelBuffer(width: width, height: height, channels: channels, samples: .uint8(samples))
  }
}

/// RGB from CMYK samples: R = (1 - C)(1 - K), likewise G from M and B from Y.
///
/// Adobe applications (and ImageMagick) store CMYK JPEGs inverted, 255 meaning no ink;
/// the Adobe marker tells us so, as browsers and Pillow also assume.
func rgbFromCMYK(_ cmyk: [UInt8], isInverted: Bool) -> [UInt8] {
  let pixels = cmyk.count / 4
  var rgb = [UInt8](repeating: 0, count: pixels * 3)
  for i in 0..<pixels {
    var ink = (cmyk[4 * i], cmyk[4 * i + 1], cmyk[4 * i + 2], cmyk[4 * i + 3])
    if !isInverted { ink = (255 - ink.0, 255 - ink.1, 255 - ink.2, 255 - ink.3) }
    let k = UInt32(ink.3)
    // (a * k + 127) / 255 is a * k / 255 rounded to nearest for a, k in 0...255.
    rgb[3 * i] = UInt8((UInt32(ink.0) * k + 127) / 255)
    rgb[3 * i + 1] = UInt8((UInt32(ink.1) * k + 127) / 255)
    rgb[3 * i + 2] = UInt8((UInt32(ink.2) * k + 127) / 255)
  }
  return rgb
}
