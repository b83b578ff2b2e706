import CImageCodecs

/// The default `--max-pixels`: 100 megapixels.
public let defaultMaxPixels = 100_000_000

/// How the source file stores colour, for `segma info`.
public enum SourceColor: String, Sendable {
  case gray, grayAlpha = "gray+alpha", rgb = "RGB", rgba = "RGBA", palette
  case ycbcr = "YCbCr", cmyk = "CMYK", ycck = "YCCK"
}

/// What a file's header says, read without decoding pixels.
public struct ImageInfo: Equatable, Sendable {
  public let format: ImageFormat
  /// Size as shown, after the EXIF orientation is applied.
  public let width: Int
  public let height: Int
  /// Channels of the decoded image: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
  public let channels: Int
  /// Bits per sample as stored (1, 2, 4, 8 or 16; palette: bits per index).
  public let bitDepth: Int
  public let sourceColor: SourceColor
  /// PNG Adam7 interlacing or progressive JPEG.
  public let isInterlaced: Bool
  public let orientation: Orientation
}

/// Reading images from files or bytes: PNG and JPEG, recognised by content.
public enum ImageFile {
  /// Decodes the image at `path` and applies its EXIF orientation.
  ///
  /// - Throws: `ImageCodecError`: unreadable, empty, unknown format, too large
  ///   (checked from the header, before pixel memory is allocated) or corrupt.
  public static func read(path: String, maxPixels: Int = defaultMaxPixels) throws(ImageCodecError) -> PixelBuffer {
    try decode(readFileBytes(atPath: path), name: path, maxPixels: maxPixels)
  }

  /// The header facts of the image at `path`.
  public static func info(path: String) throws(ImageCodecError) -> ImageInfo {
    try info(of: readFileBytes(atPath: path), name: path)
  }

  /// Decodes PNG or JPEG bytes; `name` is used in error messages.
  public static func decode(_ bytes: [UInt8], name: String, maxPixels: Int = defaultMaxPixels) throws(ImageCodecError)
    -> PixelBuffer
  {
    let format = try sniff(bytes, name: name)
    let header = try readHeader(bytes, format: format, name: name)
    let width = Int(header.width), height = Int(header.height)
    guard width > 0, height > 0, width.multipliedReportingOverflow(by: height).partialValue <= maxPixels,
      width <= maxPixels, height <= maxPixels
    else { throw .tooLarge(path: name, width: width, height: height, maxPixels: maxPixels) }
    switch format {
    case .png:
      return try decodePNG(bytes, header: header, name: name)
    case .jpeg:
      let stored = try decodeJPEG(bytes, header: header, name: name)
      return stored.applying(exifOrientation(inJPEG: bytes))
    }
  }

  /// The header facts of PNG or JPEG bytes.
  public static func info(of bytes: [UInt8], name: String) throws(ImageCodecError) -> ImageInfo {
    let format = try sniff(bytes, name: name)
    let header = try readHeader(bytes, format: format, name: name)
    let orientation = format == .jpeg ? exifOrientation(inJPEG: bytes) : .normal
    let (width, height) = (Int(header.width), Int(header.height))
    return ImageInfo(
      format: format,
      width: orientation.swapsAxes ? height : width,
      height: orientation.swapsAxes ? width : height,
      channels: format == .jpeg && header.channels == 4 ? 3 : Int(header.channels),
      bitDepth: Int(header.source_bit_depth),
      sourceColor: sourceColor(of: header, format: format),
      isInterlaced: header.is_interlaced != 0,
      orientation: orientation)
  }

  private static func sniff(_ bytes: [UInt8], name: String) throws(ImageCodecError) -> ImageFormat {
    guard !bytes.isEmpty else { throw .empty(path: name) }
    guard let format = ImageFormat(sniffing: bytes) else { throw .unknownFormat(path: name) }
    return format
  }

  private static func readHeader(_ bytes: [UInt8], format: ImageFormat, name: String) throws(ImageCodecError)
    -> segma_image_info
  {
    var header = segma_image_info()
    var error = segma_error()
    let status = bytes.withUnsafeBufferPointer { buffer in
      format == .png
        ? segma_png_read_header(buffer.baseAddress, buffer.count, &header, &error)
        : segma_jpeg_read_header(buffer.baseAddress, buffer.count, &header, &error)
    }
    guard status == 0 else { throw .corrupt(path: name, format: format, message: error.text) }
    return header
  }

  private static func sourceColor(of header: segma_image_info, format: ImageFormat) -> SourceColor {
    if format == .jpeg {
      switch header.source_color {
      case Int32(JCSGrayscale): return .gray
      case Int32(JCSCMYK): return .cmyk
      case Int32(JCSYCCK): return .ycck
      case Int32(JCSRGB): return .rgb
      default: return .ycbcr
      }
    }
    switch header.source_color {
    case 0: return .gray
    case 2: return .rgb
    case 3: return .palette
    case 4: return .grayAlpha
    default: return .rgba
    }
  }
}

// J_COLOR_SPACE values from jpeglib.h; the shim reports the file's colour space as an int.
let JCSGrayscale = 1, JCSRGB = 2, JCSCMYK = 4, JCSYCCK = 5

extension segma_error {
  /// The C message buffer as a String (the shim always NUL-terminates it).
  var text: String {
    withUnsafeBytes(of: message) { raw in
      let bytes = raw.bindMemory(to: UInt8.self)
      let end = bytes.firstIndex(of: 0) ?? bytes.count
      return String(decoding: bytes[..<end], as: UTF8.self)
    }
  }
}
