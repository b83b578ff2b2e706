import CImageCodecs

extension ImageFile {
  /// Pixels of a PNG whose header was read and size-checked: 8 or 16-bit, 1-4 channels.
  static func decodePNG(_ bytes: [UInt8], header: segma_image_info, name: String) throws(ImageCodecError)
    -> PixelBuffer
  {
    let (width, height, channels) = (Int(header.width), Int(header.height), Int(header.channels))
    let count = width * height * channels
    var error = segma_error()
    if header.bits_per_sample == 16 {
      var samples = [UInt16](repeating: 0, count: count)
      let status = samples.withUnsafeMutableBytes { pixels in
        bytes.withUnsafeBufferPointer { data in
          segma_png_read_pixels(
            data.baseAddress, data.count, pixels.baseAddress?.assumingMemoryBound(to: UInt8.self), pixels.count,
            &error)
        }
      }
      guard status == 0 else { throw .corrupt(path: name, format: .png, message: error.text) }
      return PixelBuffer(width: width, height: height, channels: channels, samples: .uint16(samples))
    }
    var samples = [UInt8](repeating: 0, count: count)
    let status = samples.withUnsafeMutableBufferPointer { pixels in
      bytes.withUnsafeBufferPointer { data in
        segma_png_read_pixels(data.baseAddress, data.count, pixels.baseAddress, pixels.count, &error)
      }
    }
    guard status == 0 else { throw .corrupt(path: name, format: .png, message: error.text) }
    return PixelBuffer(width: width, height: height, channels: channels, samples: .uint8(samples))
  }
}

/// Encoding images to PNG and JPEG bytes in memory.
public enum ImageEncoder {
  /// PNG bytes of an image: 16-bit and Float samples are first rounded to 8 bits.
  /// Compressed for speed (see segma_png_encode): writing many small files is segma's job.
  public static func png(_ image: PixelBuffer) throws(ImageCodecError) -> [UInt8] {
    let image = image.to8Bit()
    guard case .uint8(let pixels) = image.samples else { preconditionFailure("to8Bit returns 8-bit samples") }
    var buffer = segma_buffer()
    var error = segma_error()
    let status = pixels.withUnsafeBufferPointer {
      segma_png_encode(
        $0.baseAddress, UInt32(image.width), UInt32(image.height), Int32(image.channels), &buffer, &error)
    }
    return try takeBuffer(&buffer, status: status, error: error, format: .png)
  }

  /// JPEG bytes of an image: alpha is composited over `background`, samples rounded to 8 bits.
  ///
  /// - Parameter quality: 1-100 (libjpeg's scale); 92 keeps edges of small images clean.
  public static func jpeg(_ image: PixelBuffer, quality: Int = 92, background: RGBColor = .white)
    throws(ImageCodecError) -> [UInt8]
  {
    let opaque = image.hasAlpha ? image.compositing(over: background) : image
    let image = opaque.to8Bit()
    guard case .uint8(let pixels) = image.samples else { preconditionFailure("to8Bit returns 8-bit samples") }
    var buffer = segma_buffer()
    var error = segma_error()
    let status = pixels.withUnsafeBufferPointer {
      segma_jpeg_encode(
        $0.baseAddress, UInt32(image.width), UInt32(image.height), Int32(image.channels),
        Int32(min(max(quality, 1), 100)), &buffer, &error)
    }
    return try takeBuffer(&buffer, status: status, error: error, format: .jpeg)
  }

  /// Bytes of `image` in `format`.
  public static func encode(
    _ image: PixelBuffer, as format: ImageFormat, quality: Int = 92, background: RGBColor = .white
  ) throws(ImageCodecError) -> [UInt8] {
    switch format {
    case .png: try png(image)
    case .jpeg: try jpeg(image, quality: quality, background: background)
    }
  }

  private static func takeBuffer(_ buffer: inout segma_buffer, status: Int32, error: segma_error, format: ImageFormat)
    throws(ImageCodecError) -> [UInt8]
  {
    defer { segma_buffer_free(&buffer) }
    guard status == 0, let data = buffer.data else { throw .cannotEncode(format: format, message: error.text) }
    return Array(UnsafeBufferPointer(start: data, count: buffer.size))
  }
}
