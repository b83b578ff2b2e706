import Manifest

/// The records a stage works on, a batch at a time: image files (encoded on the way
/// in) or a manifest on stdin (read as it arrives, so a pipe streams).
final class RecordSource {
  private let coder: LatentCoder
  private let diagnostics: Diagnostics
  private var files: ArraySlice<InputFile>
  private let reader: ManifestReader?

  init(input: InputOptions, coder: LatentCoder, diagnostics: Diagnostics) throws {
    self.coder = coder
    self.diagnostics = diagnostics
    if input.readsManifest {
      files = []
      reader = ManifestReader(fileDescriptor: 0)
    } else {
      files = ArraySlice(try input.expandFiles())
      reader = nil
    }
  }

  /// The next records, or nil at the end. Image records on stdin are encoded; latent
  /// records of another model become error records naming both models.
  func nextBatch() throws -> [Record]? {
    if let reader {
      let records = try reader.nextBatchOrStop(maxCount: coder.batchSize)
      guard !records.isEmpty else { return nil }
      var batch: [Record] = []
      var pending: [(index: Int, file: InputFile)] = []
      for record in records {
        switch record {
        case .image(let image):
          // Encoded below, all at once; its place in the batch is kept.
          pending.append((batch.count, InputFile(path: image.path, id: image.id)))
          batch.append(record)
        case .latent(let latent) where latent.model != coder.loaded.id:
          let message = "made by model \(latent.model), not this model \(coder.loaded.id)"
          diagnostics.recordFailed("\(latent.id): \(message)")
          batch.append(.error(ErrorRecord(id: latent.id, src: latent.src, stage: "model", message: message)))
        case .latent(let latent) where latent.z.count != coder.model.latentDimension:
          let message = "z has \(latent.z.count) values, the model \(coder.model.latentDimension)"
          diagnostics.recordFailed("\(latent.id): \(message)")
          batch.append(.error(ErrorRecord(id: latent.id, src: latent.src, stage: "model", message: message)))
        case .error(let error):
          // Reported by the stage that made it; counted here so the exit status says so.
          diagnostics.recordErrorRecord(error)
          batch.append(record)
        default:
          batch.append(record)
        }
      }
      if !pending.isEmpty {
        for (slot, encoded) in zip(pending, coder.encode(pending.map(\.file), diagnostics: diagnostics)) {
          batch[slot.index] = encoded
        }
      }
      return batch
    }
    guard !files.isEmpty else { return nil }
    let chunk = files.prefix(coder.batchSize)
    files = files.dropFirst(chunk.count)
    return coder.encode(Array(chunk), diagnostics: diagnostics)
  }
}
