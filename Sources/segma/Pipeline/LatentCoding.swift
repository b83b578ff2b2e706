import ImageCodecs
import Manifest
import SegmaKit

/// Images to latent records and back, in batches, with one loaded model.
///
/// Goals: the same image always gives the same record bytes (so the pipe and the
/// direct form agree), a bad image becomes an error record and never stops the
/// batch, memory bounded by one batch.
struct LatentCoder {
  let loaded: LoadedModel
  let images: ImageOptions
  let threads: Int

  var model: SegmaModel { loaded.model }
  var batchSize: Int { min(model.encoder.maxBatch, model.decoder.maxBatch) }

  /// Latent records for image files (at most `batchSize`); failures become error records.
  func encode(_ files: [InputFile], diagnostics: Diagnostics) -> [Record] {
    let config = model.config
    let layout: ColorLayout = config.channels == 1 ? .gray : .rgb
    let (maxPixels, background) = (images.maxPixels, images.background.color)
    // Only the size and channels of a source are kept, not its (maybe large) pixels.
    let decoded = parallelMap(files, threads: threads) { file -> Result<(ImageSize, Int, [Float]), ImageCodecError> in
      Result { () throws(ImageCodecError) in
        let image = try file.readImage(maxPixels: maxPixels)
        let input = image.modelInput(width: config.imageWidth, height: config.imageHeight, layout: layout, background: background)
        return (ImageSize(width: image.width, height: image.height), image.channels <= 2 ? 1 : 3, input)
      }
    }
    var pixels: [Float] = []
    for case .success(let (_, _, input)) in decoded { pixels += input }
    let count = pixels.count / model.pixelCount
    let latents = count == 0 ? [] : pixels.withUnsafeBufferPointer { Array(model.encode($0, batch: count)) }
    var next = 0
    return zip(files, decoded).map { file, result in
      switch result {
      case .failure(let error):
        diagnostics.recordFailed("\(file.path): encode: \(error.reason)")
        return .error(ErrorRecord(id: file.id, src: file.path, stage: "encode", message: error.reason))
      case .success(let (size, channels, _)):
        let d = model.latentDimension
        let z = Array(latents[(next * d)..<((next + 1) * d)])
        next += 1
        return .latent(record(id: file.id, src: file.path, z: z, size: size, channels: channels))
      }
    }
  }

  /// A latent record for `z`, its class and probability computed by the model.
  func record(
    id: String, src: String?, z: [Float], size: ImageSize, channels: Int, ops: [JSONValue] = [], frame: Int? = nil
  ) -> LatentRecord {
    let (best, p) = classify(z)
    return LatentRecord(
      id: id, src: src, model: loaded.id, z: z, className: model.config.classNames[best], p: p, size: size,
      channels: channels, ops: ops, frame: frame)
  }

  /// The most likely class of `z` and its probability.
  func classify(_ z: [Float]) -> (index: Int, p: Float) {
    let probabilities = self.probabilities(z)
    let best = probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0
    return (best, probabilities[best])
  }

  func probabilities(_ z: [Float]) -> [Float] {
    var probabilities = [Float](repeating: 0, count: model.classCount)
    z.withUnsafeBufferPointer { latent in
      model.logWeights.withUnsafeBufferPointer { weights in
        probabilities.withUnsafeMutableBufferPointer {
          GaussianClassifier.probabilities(of: latent, means: FloatView(model.means), logWeights: weights, into: $0)
        }
      }
    }
    return probabilities
  }

  /// The mean of component `index`.
  func mean(_ index: Int) -> [Float] {
    let d = model.latentDimension
    return Array(model.means[(index * d)..<((index + 1) * d)])
  }

  /// Images for latents (at most `batchSize`), 8-bit, at the model's size.
  func decode(_ latents: [[Float]]) -> [PixelBuffer] {
    guard !latents.isEmpty else { return [] }
    let flat = latents.flatMap { $0 }
    let pixels = flat.withUnsafeBufferPointer { Array(model.decode($0, batch: latents.count)) }
    let (p, config) = (model.pixelCount, model.config)
    return parallelMap(Array(0..<latents.count), threads: threads) { i in
      PixelBuffer(planar: Array(pixels[(i * p)..<((i + 1) * p)]), width: config.imageWidth, height: config.imageHeight,
                  channels: config.channels)
    }
  }
}
