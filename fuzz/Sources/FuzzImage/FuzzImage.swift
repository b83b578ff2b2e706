import ImageCodecs

/// `--max-pixels` for the harness: small enough that a header claiming a large
/// image is refused before allocation, large enough for every fixture.
let maxPixels = 1 << 20

/// One input file as `segma encode` and `segma info` see it: the header facts, the
/// decode under `--max-pixels`, then the conversions to a gray and an RGB model input.
///
/// Traps (a finding) when the decoder and the header disagree or a model input leaves
/// [0, 1]; any other thrown `ImageCodecError` is the expected answer to a bad file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  let info = try? ImageFile.info(of: bytes, name: "input")
  let image: PixelBuffer
  do {
    image = try ImageFile.decode(bytes, name: "input", maxPixels: maxPixels)
  } catch {
    // The shim's own consistency check: its header predicted another pixel layout.
    if case .corrupt(_, .png, "decoded size differs from the header") = error { fatalError("\(error)") }
    return 0
  }
  guard let info else { fatalError("decoded, but the header could not be read") }
  precondition(image.width * image.height <= maxPixels, "decoded more than --max-pixels")
  precondition(
    (info.width, info.height, info.channels) == (image.width, image.height, image.channels),
    "header says \(info.width)x\(info.height)x\(info.channels), decoded \(image.width)x\(image.height)x\(image.channels)")
  checkModelInput(image.modelInput(width: 28, height: 28, layout: .gray), count: 28 * 28)
  checkModelInput(image.modelInput(width: 32, height: 32, layout: .rgb, background: .black), count: 3 * 32 * 32)
  return 0
}

/// Resampling weights sum to 1, so only rounding may take a value past [0, 1].
func checkModelInput(_ values: [Float], count: Int) {
  precondition(values.count == count, "model input has \(values.count) values, expected \(count)")
  for value in values {
    precondition(value >= -1e-5 && value <= 1 + 1e-5, "model input value \(value) outside [0, 1]")
  }
}
