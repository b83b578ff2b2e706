/// EXIF orientation: how a stored JPEG must be turned to be shown upright.
public enum Orientation: Int, Sendable, CaseIterable, CustomStringConvertible {
  case normal = 1
  case mirrored = 2
  case rotated180 = 3
  case flipped = 4
  case transposed = 5
  case rotated90 = 6
  case transversed = 7
  case rotated270 = 8

  /// Orientations 5-8 swap width and height.
  public var swapsAxes: Bool { rawValue >= 5 }

  public var description: String {
    switch self {
    case .normal: "1 (normal)"
    case .mirrored: "2 (mirror horizontally)"
    case .rotated180: "3 (rotate 180)"
    case .flipped: "4 (mirror vertically)"
    case .transposed: "5 (transpose)"
    case .rotated90: "6 (rotate 90 clockwise)"
    case .transversed: "7 (transverse)"
    case .rotated270: "8 (rotate 90 counter-clockwise)"
    }
  }

  /// The stored pixel shown at `(x, y)` of the upright image, for a stored image `w` × `h`.
  @inline(__always)
  func storedPosition(x: Int, y: Int, width w: Int, height h: Int) -> (x: Int, y: Int) {
    switch self {
    case .normal: (x, y)
    case .mirrored: (w - 1 - x, y)
    case .rotated180: (w - 1 - x, h - 1 - y)
    case .flipped: (x, h - 1 - y)
    case .transposed: (y, x)
    case .rotated90: (y, h - 1 - x)
    case .transversed: (w - 1 - y, h - 1 - x)
    case .rotated270: (w - 1 - y, x)
    }
  }
}

extension PixelBuffer {
  /// The image as it should be shown, for a stored image with this orientation.
  public func applying(_ orientation: Orientation) -> PixelBuffer {
    guard orientation != .normal else { return self }
    let (outWidth, outHeight) = orientation.swapsAxes ? (height, width) : (width, height)
    func remap<T>(_ values: [T]) -> [T] {
      var out = values  // same count; every element is overwritten below
      for y in 0..<outHeight {
        for x in 0..<outWidth {
          let source = orientation.storedPosition(x: x, y: y, width: width, height: height)
          let from = (source.y * width + source.x) * channels
          let to = (y * outWidth + x) * channels
          for c in 0..<channels { out[to + c] = values[from + c] }
        }
      }
      return out
    }
    let remapped: Samples
    switch samples {
    case .uint8(let values): remapped = .uint8(remap(values))
    case .uint16(let values): remapped = .uint16(remap(values))
    case .float(let values): remapped = .float(remap(values))
    }
    return PixelBuffer(width: outWidth, height: outHeight, channels: channels, samples: remapped)
  }
}

/// Finds the EXIF orientation tag of a JPEG file (APP1 "Exif" segment, IFD0, tag 0x0112).
///
/// Every read is bounds-checked: a malformed segment means "no orientation", never a crash.
/// Scanning stops at the first scan (SOS), after which no metadata segment can follow.
func exifOrientation(inJPEG bytes: [UInt8]) -> Orientation {
  var offset = 2  // after SOI
  while offset + 4 <= bytes.count, bytes[offset] == 0xFF {
    let marker = bytes[offset + 1]
    if marker == 0xFF { offset += 1; continue }  // fill byte
    if marker == 0xDA || marker == 0xD9 { break }  // start of scan, end of image
    if (0xD0...0xD7).contains(marker) || marker == 0x01 { offset += 2; continue }  // no length
    let length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
    guard length >= 2, offset + 2 + length <= bytes.count else { break }
    let segment = (offset + 4)..<(offset + 2 + length)
    if marker == 0xE1, let found = orientation(inExifSegment: bytes[segment]) { return found }
    offset += 2 + length
  }
  return .normal
}

private func orientation(inExifSegment segment: ArraySlice<UInt8>) -> Orientation? {
  let exifHeader: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0, 0]  // "Exif\0\0"
  guard segment.starts(with: exifHeader) else { return nil }
  let tiff = Array(segment.dropFirst(6))
  guard tiff.count >= 8 else { return nil }
  let littleEndian: Bool
  switch (tiff[0], tiff[1]) {
  case (0x49, 0x49): littleEndian = true  // "II"
  case (0x4D, 0x4D): littleEndian = false  // "MM"
  default: return nil
  }
  func uint16(at i: Int) -> Int? {
    guard i >= 0, i + 2 <= tiff.count else { return nil }
    return littleEndian ? Int(tiff[i]) | Int(tiff[i + 1]) << 8 : Int(tiff[i]) << 8 | Int(tiff[i + 1])
  }
  func uint32(at i: Int) -> Int? {
    guard let low = uint16(at: littleEndian ? i : i + 2), let high = uint16(at: littleEndian ? i + 2 : i)
    else { return nil }
    return high << 16 | low
  }
  guard uint16(at: 2) == 42, let ifd = uint32(at: 4), let count = uint16(at: ifd) else { return nil }
  for entry in 0..<count {
    let at = ifd + 2 + entry * 12
    guard let tag = uint16(at: at) else { return nil }
    // Orientation is a SHORT (type 3) with count 1; its value sits in the first 2 bytes.
    if tag == 0x0112, uint16(at: at + 2) == 3, let value = uint16(at: at + 8) {
      return Orientation(rawValue: value)
    }
  }
  return nil
}
