import ImageCodecs
import SegmaKit

/// The training preview sheet (`--preview-every`): a row of training images, a row of
/// their reconstructions, 8 samples of each class, and one interpolation row.
enum TrainingPreview {
  static let columns = 8

  static func write(model: SegmaModel, data: TrainingData, to path: String, seed: UInt64) throws {
    let (p, d) = (model.pixelCount, model.latentDimension)
    let shown = min(columns, data.count, model.encoder.maxBatch, model.decoder.maxBatch)
    var cells: [PixelBuffer?] = []
    let originals = Array(data.images[0..<(shown * p)])
    let latents = originals.withUnsafeBufferPointer { Array(model.encode($0, batch: shown)) }
    cells += (0..<shown).map { image(Array(originals[($0 * p)..<(($0 + 1) * p)]), model) }
    cells += Array(repeating: nil, count: columns - shown)
    cells += decoded(latents, count: shown, model) + Array(repeating: nil, count: columns - shown)

    var random = SeededRandom(seed: seed)
    let means = Array(model.means)
    for k in 0..<model.classCount {
      let mean = Array(means[(k * d)..<((k + 1) * d)])
      let samples = (0..<columns).flatMap { _ in sample(around: mean, temperature: 1, using: &random) }
      cells += decoded(samples, count: columns, model)
    }
    if shown >= 2 {
      let (a, b) = (Array(latents[0..<d]), Array(latents[d..<(2 * d)]))
      let frames = (0..<columns).flatMap { interpolate(from: a, to: b, fraction: Float($0) / Float(columns - 1)) }
      cells += decoded(frames, count: columns, model)
    }
    let config = model.config
    let sheet = ContactSheet(columns: columns, cellWidth: config.imageWidth, cellHeight: config.imageHeight, gap: 2)
    let png = try ImageEncoder.png(sheet.render(cells))
    try OutputDirectory.writeFile(png, toPath: path, policy: .overwrite)
  }

  private static func decoded(_ latents: [Float], count: Int, _ model: SegmaModel) -> [PixelBuffer?] {
    let p = model.pixelCount
    var cells: [PixelBuffer?] = []
    var start = 0
    while start < count {
      let batch = min(model.decoder.maxBatch, count - start)
      let d = model.latentDimension
      let pixels = latents[(start * d)..<((start + batch) * d)].withUnsafeBufferPointer { Array(model.decode($0, batch: batch)) }
      cells += (0..<batch).map { image(Array(pixels[($0 * p)..<(($0 + 1) * p)]), model) }
      start += batch
    }
    return cells
  }

  private static func image(_ planar: [Float], _ model: SegmaModel) -> PixelBuffer {
    PixelBuffer(planar: planar, width: model.config.imageWidth, height: model.config.imageHeight, channels: model.config.channels)
  }
}
